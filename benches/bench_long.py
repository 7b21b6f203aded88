"""One hour of 44.1 kHz stereo WAV (635 MB) to an 800x600 image: time and peak memory.

Each pipeline runs in a fresh interpreter (`python3 -c ...`) that reports its own wall time
(imports included) and peak RSS (`VmHWM` of /proc/self/status: `ru_maxrss` would count the
parent's memory when the child is forked from a large `run_all.py`); best of 2 for spectrust, one run of librosa
(it takes tens of seconds and gigabytes).

- spectrust: `Spectrogram(800, 600).generate(hour.wav, out.jpg)` (streams the file).
- librosa:   `librosa.load(sr=None)` (mono) -> `melspectrogram` -> `power_to_db(ref=max)` ->
             matplotlib colormap -> Pillow resize to 800x600 -> JPEG, as bench_batch.py.

Targets (issue 3): peak RSS <= 200 MB and >= 1000x real time for spectrust.

Run: python3 benches/bench_long.py
"""

import json
import subprocess
import sys
import tempfile

from benchutil import wait_idle
from make_data import make_hour

SPECTRUST = """
import json, sys, time
t = time.perf_counter()
import spectrust
r = spectrust.Spectrogram(800, 600).generate(sys.argv[1], sys.argv[2])
assert r.ok, r.error
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": time.perf_counter() - t, "rss_mb": int(peak.split()[1]) / 1024}))
"""

LIBROSA = """
import json, sys, time
t = time.perf_counter()
import librosa, matplotlib, numpy as np
from PIL import Image
y, sr = librosa.load(sys.argv[1], sr=None)
S = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr), ref=np.max)
rgb = (matplotlib.colormaps["magma"]((S[::-1] + 80) / 80)[..., :3] * 255).astype(np.uint8)
Image.fromarray(rgb).resize((800, 600), Image.BILINEAR).save(sys.argv[2], quality=90)
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": time.perf_counter() - t, "rss_mb": int(peak.split()[1]) / 1024}))
"""


def run(code: str, hour, out) -> dict:
    p = subprocess.run([sys.executable, "-c", code, str(hour), str(out)], capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(with_librosa: bool = True) -> dict:
    hour = make_hour()
    audio_seconds = 3600.0
    with tempfile.TemporaryDirectory() as d:
        runs = []
        for _ in range(2):
            wait_idle()
            runs.append(run(SPECTRUST, hour, f"{d}/s.jpg"))
        mine = min(runs, key=lambda r: r["seconds"])
        results = {"spectrust": mine}
        print("one hour, 44.1 kHz stereo WAV -> 800x600 JPEG (whole process)")
        line = "  {}: {:.2f} s ({:.0f}x real time), peak RSS {:.0f} MB"
        print(line.format("spectrust", mine["seconds"], audio_seconds / mine["seconds"], mine["rss_mb"]))
        if with_librosa:
            wait_idle()
            ref = run(LIBROSA, hour, f"{d}/l.jpg")
            results["librosa"] = ref
            print(line.format("librosa  ", ref["seconds"], audio_seconds / ref["seconds"], ref["rss_mb"]))
            speed, memory = ref["seconds"] / mine["seconds"], ref["rss_mb"] / mine["rss_mb"]
            print(f"  spectrust is {speed:.1f}x faster with {memory:.0f}x less memory")
    return results


if __name__ == "__main__":
    main()
