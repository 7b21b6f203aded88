"""Run every benchmark: make the data, then bench_batch, bench_features, bench_jpeg,
bench_speech, bench_decode, bench_long, bench_frames, bench_server, bench_tf and bench_dataset,
accuracy_resample (how close load(sr=16000) comes to librosa's), accuracy_decode (how close
reduced MP3 decoding comes to FFmpeg's full decode), bench_scale (every path at 1, 2, 4, ...
threads against the reference in as many processes), bench_frontends (fbank against
kaldi-native-fbank; the model front ends against transformers' extractors), bench_slices
(parts of long recordings, sought), bench_load (load_batch against librosa.load) and
bench_percall (one call on a short array, every front end).

Run from anywhere: python3 benches/run_all.py
Figures are printed and also saved to benches/out/results.json (git-ignored).
"""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import accuracy_decode  # noqa: E402
import accuracy_resample  # noqa: E402
import bench_batch  # noqa: E402
import bench_dataset  # noqa: E402
import bench_decode  # noqa: E402
import bench_features  # noqa: E402
import bench_frames  # noqa: E402
import bench_frontends  # noqa: E402
import bench_jpeg  # noqa: E402
import bench_load  # noqa: E402
import bench_long  # noqa: E402
import bench_percall  # noqa: E402
import bench_scale  # noqa: E402
import bench_server  # noqa: E402
import bench_slices  # noqa: E402
import bench_speech  # noqa: E402
import bench_tf  # noqa: E402
import make_data  # noqa: E402


def build_id() -> str:
    """Git commit and hash of the installed spectrust extension, to tie figures to a build."""
    import spectrust._core as core

    digest = hashlib.sha256(Path(core.__file__).read_bytes()).hexdigest()[:12]
    head = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return f"commit {head}, _core sha256 {digest}"


def main() -> dict:
    before = build_id()
    print(f"spectrust build: {before}")
    make_data.parse_source()
    make_data.main()
    results = {
        "build": before,
        "batch": bench_batch.main(),
        "features": bench_features.main(),
        "jpeg": bench_jpeg.main(),
        "speech": bench_speech.main(),
        "decode": bench_decode.main(),
        "long": bench_long.main(),
        "frames": bench_frames.main(),
        "server": bench_server.main(),
        "tf": bench_tf.main(),
        "dataset": bench_dataset.main(),
        "accuracy_resample": accuracy_resample.main(),
        "accuracy_decode": accuracy_decode.main(),
        "scale": bench_scale.main(),
        "frontends": bench_frontends.main(),
        "slices": bench_slices.main(),
        "load": bench_load.main(),
        "percall": bench_percall.main(),
    }
    if build_id().split(", ")[1] != before.split(", ")[1]:
        print("WARNING: the spectrust extension was rebuilt during the run; run again")
    out = HERE / "out" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"results saved to {out}")
    return results


if __name__ == "__main__":
    main()
