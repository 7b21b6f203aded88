"""The audio ML users hold, made ready for speech models: MP3 and FLAC at 44.1 kHz to 16 kHz.

Inputs: the 100 distinct 15 s excerpts of make_data.py as 44.1 kHz stereo MP3 (128 kb/s) and
16-bit FLAC. In one process, each pipeline warmed up once, then best of 3:

1. Resampling alone, one thread: the 100 clips (decoded to mono float32 beforehand) from
   44.1 to 16 kHz by ``spectrust.resample(y, orig_sr=44100, target_sr=16000, workers=1)``
   and by ``soxr.resample(y, 44100, 16000, "HQ")`` (librosa's default), clip after clip.
2. The whole pipeline, file to 80-band mel spectrogram at 16 kHz (n_fft 400, hop 160, the
   Whisper settings): ``spectrust.melspectrogram_batch(paths, sr=16000, n_fft=400,
   hop_length=160, n_mels=80)`` (decoding, mono, resampling and STFT in Rust, both cores)
   against librosa's loop, ``librosa.load(p, sr=16000)`` (soxr HQ) then
   ``librosa.feature.melspectrogram(y=y, sr=16000, n_fft=400, hop_length=160, n_mels=80)``,
   and against spectrust on one thread (``workers=1``).

Run: python3 benches/bench_speech.py (needs the bench extras, soxr comes with librosa).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import librosa  # noqa: E402
import make_data  # noqa: E402
import numpy as np  # noqa: E402
import soxr  # noqa: E402
import spectrust  # noqa: E402
from benchutil import best_of, wait_idle  # noqa: E402

MEL = dict(n_fft=400, hop_length=160, n_mels=80)


def resampling(signals: list) -> dict:
    res = {
        "spectrust": best_of(
            lambda: [spectrust.resample(y, orig_sr=44100, target_sr=16000, workers=1) for y in signals]
        ),
        "soxr_hq": None,
    }
    wait_idle()
    res["soxr_hq"] = best_of(lambda: [soxr.resample(y, 44100, 16000, "HQ") for y in signals])
    n = len(signals)
    print(
        f"  resample 44.1 -> 16 kHz, one thread: spectrust {res['spectrust'] / n * 1e3:.2f} ms a clip, soxr HQ "
        f"{res['soxr_hq'] / n * 1e3:.2f} ms: soxr / spectrust = {res['soxr_hq'] / res['spectrust']:.2f}x"
    )
    return res


def librosa_loop(paths):
    return [librosa.feature.melspectrogram(y=librosa.load(p, sr=16000)[0], sr=16000, **MEL) for p in paths]


def pipeline(kind: str, paths: list) -> dict:
    runs = {
        "spectrust": lambda: spectrust.melspectrogram_batch(paths, sr=16000, **MEL),
        "spectrust_workers1": lambda: spectrust.melspectrogram_batch(paths, sr=16000, workers=1, **MEL),
        "librosa": lambda: librosa_loop(paths),
    }
    res = {}
    for name, fn in runs.items():
        wait_idle()
        res[name] = best_of(fn)
    ours, ref = spectrust.melspectrogram_batch(paths[:1], sr=16000, **MEL)[0], librosa_loop(paths[:1])[0]
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    ratio = res["librosa"] / res["spectrust"]
    print(
        f"  {kind} -> 16 kHz -> 80 mels: spectrust {res['spectrust']:.3f} s "
        f"(one thread {res['spectrust_workers1']:.3f} s), librosa {res['librosa']:.3f} s: "
        f"librosa / spectrust = {ratio:.1f}x (target >= 3x: {'met' if ratio >= 3 else 'NOT met'})"
    )
    return res


def main() -> dict:
    mp3 = [str(p) for p in make_data.compressed_clips("mp3")]
    flac = [str(p) for p in make_data.compressed_clips("flac")]
    print(f"bench_speech: {len(mp3)} MP3 and {len(flac)} FLAC clips, 15 s, 44.1 kHz stereo; best of 3 after a warm-up")
    signals = [np.ascontiguousarray(spectrust.load(p)[0]) for p in flac]
    wait_idle()
    results = {"resample": resampling(signals)}
    for kind, paths in (("mp3", mp3), ("flac", flac)):
        results[kind] = pipeline(kind, paths)
    return results


if __name__ == "__main__":
    main()
