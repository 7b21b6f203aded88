"""Batchop to 800x600 JPEG, whole process including imports: spectrust vs a librosa pipeline.

Each pipeline renders the 100 clips of make_data.py to 800x600 JPEGs (quality 90) in a fresh
``python3`` subprocess, timed from outside with time.perf_counter, so interpreter start-up
and imports count. Best of 3 runs each; the output folder is emptied before every run.

- spectrust:      ``spectrust.Batchop(IN, OUT, 800, 600)`` (one thread per core), and
                  again with ``workers=1`` to show the parallel speed-up.
- reference:      librosa.load -> librosa.feature.melspectrogram -> power_to_db(ref=np.max)
                  -> (D+80)/80 -> matplotlib 'magma' -> flip -> PIL bilinear resize -> JPEG,
                  one file after another in one process.

Run: python3 benches/bench_batch.py   (prints and returns the ratios)
"""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import make_data
from benchutil import QUICK, wait_idle

OUT = Path(__file__).resolve().parent / "out"
RUNS = 1 if QUICK else 3

SPECTRUST = """
import sys, spectrust
workers = int(sys.argv[3]) if len(sys.argv) > 3 else None
with spectrust.Batchop(sys.argv[1], sys.argv[2], 800, 600, workers=workers) as r:
    assert all(x.ok for x in r)
"""

REFERENCE = """
import sys
from pathlib import Path
import librosa, matplotlib, numpy as np
from PIL import Image
cmap = matplotlib.colormaps['magma']
out = Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
for path in sorted(Path(sys.argv[1]).glob('*.wav')):
    y, sr = librosa.load(path, sr=None)
    S = librosa.feature.melspectrogram(y=y, sr=sr)
    D = librosa.power_to_db(S, ref=np.max)
    norm = np.clip((D + 80) / 80, 0, 1)
    rgb = (cmap(norm)[..., :3] * 255).astype(np.uint8)[::-1]
    img = Image.fromarray(np.ascontiguousarray(rgb)).resize((800, 600), Image.BILINEAR)
    img.save(out / (path.stem + '.jpg'), quality=90)
"""


def best_time(code: str, name: str, *extra: str) -> float:
    """Best wall time of RUNS fresh ``python3 -c code IN OUT *extra`` processes."""
    out = OUT / name
    times = []
    for _ in range(RUNS):
        shutil.rmtree(out, ignore_errors=True)
        wait_idle()
        cmd = [sys.executable, "-c", code, str(make_data.CLIPS), str(out), *extra]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        times.append(time.perf_counter() - t0)
        assert len(list(out.glob("*.jpg"))) == make_data.N_CLIPS, name
    print(f"  {name:<20} " + "  ".join(f"{t:6.2f}" for t in times) + f"   best {min(times):.2f} s")
    return min(times)


def main() -> dict:
    make_data.main()
    print(f"bench_batch: {make_data.N_CLIPS} clips -> 800x600 JPEG, whole process, best of {RUNS}")
    t_sp = best_time(SPECTRUST, "spectrust")
    t_sp1 = best_time(SPECTRUST, "spectrust_workers1", "1")
    t_ref = best_time(REFERENCE, "reference")
    res = dict(
        spectrust=t_sp,
        spectrust_workers1=t_sp1,
        reference=t_ref,
        ratio=t_ref / t_sp,
        ratio_workers1=t_ref / t_sp1,
        parallel_speedup=t_sp1 / t_sp,
    )
    print(
        f"  reference / spectrust           = {res['ratio']:.1f}x (target >= 8x: "
        f"{'met' if res['ratio'] >= 8 else 'NOT met'})"
    )
    print(f"  reference / spectrust workers=1 = {res['ratio_workers1']:.1f}x")
    print(f"  parallel speed-up (workers=1 / default) = {res['parallel_speedup']:.2f}x")
    return res


if __name__ == "__main__":
    main()
