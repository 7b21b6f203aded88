"""Run every benchmark: make the data, then bench_batch and bench_features.

Run from anywhere: python3 benches/run_all.py
Figures are printed and also saved to benches/out/results.json (git-ignored).
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_batch  # noqa: E402
import bench_features  # noqa: E402
import make_data  # noqa: E402


def main() -> dict:
    make_data.main()
    results = {"batch": bench_batch.main(), "features": bench_features.main()}
    out = HERE / "out" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"results saved to {out}")
    return results


if __name__ == "__main__":
    main()
