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
3. Whisper features of the 100 MP3s, ``(100, 80, 3000)`` float32:
   ``spectrust.whisper_features(paths)`` against ``librosa.load(p, sr=16000)`` per file, then
   transformers' ``WhisperFeatureExtractor()`` (its numpy code, the defaults) on the list.
4. MFCC (librosa's defaults: 20 coefficients of 128 mels, n_fft 2048, hop 512) of the 100 MP3s
   at 16 kHz: ``spectrust.mfcc_batch(paths, sr=16000)`` against ``librosa.load(p, sr=16000)``
   + ``librosa.feature.mfcc``; and of one 15 s signal at 16 kHz already in memory (best of
   20), ``spectrust.mfcc(y=y, sr=16000)`` (and ``workers=1``) against
   ``librosa.feature.mfcc(y=y, sr=16000)``.
5. Decoding what browsers record: the 100 excerpts as Opus (96 kb/s, 48 kHz stereo) in Ogg and
   in WebM, each file to float32 samples (all channels, 48 kHz), one thread, one file after
   another: ``spectrust.load(p, mono=False)`` against PyAV (FFmpeg's decoder, as
   bench_decode.py).

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
from bench_decode import with_pyav  # noqa: E402
from benchutil import best_of, wait_idle  # noqa: E402
from transformers import WhisperFeatureExtractor  # noqa: E402

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
    res = timed(
        {
            "spectrust": lambda: spectrust.melspectrogram_batch(paths, sr=16000, **MEL),
            "spectrust_workers1": lambda: spectrust.melspectrogram_batch(paths, sr=16000, workers=1, **MEL),
            "librosa": lambda: librosa_loop(paths),
        }
    )
    ours, ref = spectrust.melspectrogram_batch(paths[:1], sr=16000, **MEL)[0], librosa_loop(paths[:1])[0]
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    ratio = res["librosa"] / res["spectrust"]
    print(
        f"  {kind} -> 16 kHz -> 80 mels: spectrust {res['spectrust']:.3f} s "
        f"(one thread {res['spectrust_workers1']:.3f} s), librosa {res['librosa']:.3f} s: "
        f"librosa / spectrust = {ratio:.1f}x (target >= 3x: {'met' if ratio >= 3 else 'NOT met'})"
    )
    return res


def timed(runs: dict) -> dict:
    """Best of 3 of each of ``runs`` (name -> function), the machine idle before each."""
    res = {}
    for name, fn in runs.items():
        wait_idle()
        res[name] = best_of(fn)
    return res


def whisper(paths: list) -> dict:
    extractor = WhisperFeatureExtractor()

    def reference(paths):
        return reference_arrays(extractor, [librosa.load(p, sr=16000)[0] for p in paths])

    # The same numbers: from the same 16 kHz arrays, and from the files (where the two
    # resamplers' transition bands, 93-100 % of 8 kHz, differ slightly: the top bands move).
    audio = [librosa.load(p, sr=16000)[0] for p in paths]
    same_input = np.abs(spectrust.whisper_features(audio) - reference_arrays(extractor, audio)).max()
    assert same_input < 1e-3, same_input
    files = np.abs(spectrust.whisper_features(paths) - reference_arrays(extractor, audio))
    res = timed({"spectrust": lambda: spectrust.whisper_features(paths), "transformers": lambda: reference(paths)})
    res["parity"] = {
        "same_arrays_max": float(same_input),
        "files_max": float(files.max()),
        "files_p99_9": float(np.percentile(files, 99.9)),
    }
    ratio = res["transformers"] / res["spectrust"]
    print(
        f"  Whisper features of {len(paths)} MP3s, {files.shape[1:]} each: spectrust {res['spectrust']:.3f} s, "
        f"librosa.load + WhisperFeatureExtractor {res['transformers']:.3f} s: {ratio:.1f}x "
        f"(target >= 10x: {'met' if ratio >= 10 else 'NOT met'}); largest difference from the same arrays "
        f"{same_input:.1e}, from the files {files.max():.1e} (99.9th percentile {np.percentile(files, 99.9):.1e})"
    )
    return res


def reference_arrays(extractor, audio: list) -> np.ndarray:
    return extractor(audio, sampling_rate=16000, return_tensors="np").input_features


def mfcc(paths: list) -> dict:
    def reference(paths):
        return [librosa.feature.mfcc(y=librosa.load(p, sr=16000)[0], sr=16000) for p in paths]

    assert spectrust.mfcc_batch(paths[:1], sr=16000)[0].shape == reference(paths[:1])[0].shape
    res = timed({"spectrust": lambda: spectrust.mfcc_batch(paths, sr=16000), "librosa": lambda: reference(paths)})
    y = spectrust.load(paths[0], sr=16000)[0]
    for name, fn in {
        "one_signal": lambda: spectrust.mfcc(y=y, sr=16000),
        "one_signal_workers1": lambda: spectrust.mfcc(y=y, sr=16000, workers=1),
        "one_signal_librosa": lambda: librosa.feature.mfcc(y=y, sr=16000),
    }.items():
        wait_idle()
        res[name] = best_of(fn, repeat=20)
    print(
        f"  MFCC of {len(paths)} MP3s at 16 kHz: spectrust {res['spectrust']:.3f} s, librosa {res['librosa']:.3f} s: "
        f"{res['librosa'] / res['spectrust']:.1f}x; one signal in memory: spectrust {res['one_signal'] * 1e3:.2f} ms "
        f"(one thread {res['one_signal_workers1'] * 1e3:.2f} ms), librosa {res['one_signal_librosa'] * 1e3:.2f} ms: "
        f"{res['one_signal_librosa'] / res['one_signal']:.1f}x"
    )
    return res


def browser_formats() -> dict:
    res = {}
    for kind in ("opus", "webm"):
        paths = [str(p) for p in make_data.compressed_clips(kind)]
        y, sr = spectrust.load(paths[0], mono=False)
        assert sr == 48000 and abs(y.shape[-1] - with_pyav(paths[0]).shape[-1]) <= 960, (y.shape, sr)
        res[kind] = timed(
            {
                "spectrust": lambda paths=paths: [spectrust.load(p, mono=False) for p in paths],
                "pyav": lambda paths=paths: [with_pyav(p) for p in paths],
            }
        )
        print(
            f"  decode {len(paths)} Opus files in {'Ogg' if kind == 'opus' else 'WebM'}, one thread: spectrust "
            f"{res[kind]['spectrust']:.3f} s, PyAV {res[kind]['pyav']:.3f} s: "
            f"{res[kind]['pyav'] / res[kind]['spectrust']:.2f}x"
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
    results["whisper"] = whisper(mp3)
    results["mfcc"] = mfcc(mp3)
    results["browser_formats"] = browser_formats()
    return results


if __name__ == "__main__":
    main()
