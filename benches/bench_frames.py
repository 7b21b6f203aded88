"""Frame sequences for video: 150 frames (0.1 s each) of a 15 s clip, 640x480 PNG.

- spectrust: `Spectrogram(640, 480, colormap="gray_r").generate_frames(clip, dir)` (all cores).
- the seed script's approach: librosa mel spectrogram of the whole clip, `power_to_db(ref=max)`,
  then one matplotlib figure (640x480 px, no axes) whose image is updated with each 0.1 s slice
  (`set_data`) and saved with `savefig` (PNG), one frame after another.

In one process, warmed up once, best of 3.

Run: python3 benches/bench_frames.py
"""

import os
import tempfile

import librosa
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import spectrust
from benchutil import best_of, wait_idle
from make_data import SOURCE

W, H, FRAME = 640, 480, 0.1


def with_spectrust(out_dir):
    frames = spectrust.Spectrogram(W, H, colormap="gray_r").generate_frames(SOURCE, out_dir, frame_duration=FRAME)
    assert len(frames) == 150


def with_matplotlib(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    y, sr = librosa.load(SOURCE, sr=None)
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr), ref=np.max)
    per_frame = FRAME * sr / 512
    fig = plt.figure(figsize=(W / 100, H / 100), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    image = ax.imshow(S[:, :5], origin="lower", aspect="auto", cmap="gray_r", vmin=-80, vmax=0, interpolation="nearest")
    count = int(np.ceil(len(y) / sr / FRAME - 1e-9))
    for k in range(count):
        part = S[
            :, int(np.ceil(k * per_frame)) : max(int(np.ceil((k + 1) * per_frame)), int(np.ceil(k * per_frame)) + 1)
        ]
        image.set_data(part)
        image.set_extent((0, part.shape[1], 0, S.shape[0]))
        fig.savefig(f"{out_dir}/frame_{k:04d}.png", dpi=100)
    plt.close(fig)
    assert count == 150


def main() -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as d:
        for label, fn in [("spectrust", with_spectrust), ("matplotlib", with_matplotlib)]:
            wait_idle()
            results[label] = best_of(lambda fn=fn, out=f"{d}/{label}": fn(out), repeat=3)
    ratio = results["matplotlib"] / results["spectrust"]
    print(
        f"150 frames of 0.1 s, {W}x{H} PNG: spectrust {results['spectrust']:.3f} s, "
        f"seed approach (librosa + matplotlib) {results['matplotlib']:.3f} s -> {ratio:.1f}x"
    )
    return results


if __name__ == "__main__":
    main()
