"""Decoding throughput per format: spectrust vs soundfile (libsndfile) vs PyAV (FFmpeg).

Each decoder reads the whole file to float32 samples (all channels, native rate), warmed up
once, best of 5, in one process. Inputs: the 15 s (10 s for s24/f32, 5 s for u8) clips of
the repository's examples/. Figures are seconds of audio decoded per second of wall time ("x real time",
higher is better) and spectrust's speed-up over each.

Run: python3 benches/bench_decode.py
"""

import av
import numpy as np
import soundfile as sf
import spectrust
from benchutil import best_of, wait_idle
from make_data import EXAMPLES

FILES = [
    "music_mono22k_s16.wav",
    "music_stereo44k_s16.wav",
    "music_stereo44k_s24.wav",
    "music_mono44k_f32.wav",
    "music.flac",
    "music.mp3",
    "music.ogg",
    "music.m4a",
    "music.aac",
]


def with_spectrust(path):
    return spectrust.load(path, mono=False, sr=None)[0]


def with_soundfile(path):
    return sf.read(path, dtype="float32", always_2d=True)[0]


def with_pyav(path):
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        to_float = av.AudioResampler(format="fltp")
        return np.concatenate(
            [f.to_ndarray() for fr in container.decode(stream) for f in to_float.resample(fr)], axis=1
        )


def main() -> dict:
    results = {}
    print("decode: seconds of audio per second (x real time), best of 5")
    print(f"  {'file':26s} {'spectrust':>10s} {'soundfile':>10s} {'PyAV':>10s}   vs sf   vs av")
    for name in FILES:
        path = EXAMPLES / name
        y, sr = spectrust.load(path, mono=False, sr=None)
        seconds = y.shape[-1] / sr
        row = {}
        for label, fn in [("spectrust", with_spectrust), ("soundfile", with_soundfile), ("pyav", with_pyav)]:
            try:
                fn(path)
            except Exception:  # libsndfile does not read AAC/MP4
                row[label] = None
                continue
            wait_idle()
            row[label] = seconds / best_of(lambda fn=fn, path=path: fn(path), repeat=5)
        results[name] = row
        fmt = lambda v: f"{v:9.0f}x" if v else "        --"  # noqa: E731
        ratio = lambda other, row=row: f"{row['spectrust'] / row[other]:6.1f}x" if row.get(other) else "     --"  # noqa: E731
        speeds = " ".join(fmt(row[k]) for k in ("spectrust", "soundfile", "pyav"))
        print(f"  {name:26s} {speeds}  {ratio('soundfile')} {ratio('pyav')}")
    return results


if __name__ == "__main__":
    main()
