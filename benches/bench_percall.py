"""Per-call cost: what one call costs on one short array, as a tf.data map, a torch
``Dataset.__getitem__`` or a keyword-spotting clip pays it, item after item.

Inputs: 1 s and 4 s of float32 white noise at 16 kHz (one array each, made here; noise, as
every frame then costs the same). Each front end is called on them with its defaults and all
cores (``workers`` left out), one call after another in one process, up to 200 calls a timing
(as many as take 0.05 s), the timings of spectrust and of its reference taken in turn (``benchutil.
best_interleaved``), best of 10 rounds; per call in microseconds:

- ``melspectrogram(y=y, sr=16000)`` and ``mfcc(y=y, sr=16000)`` against librosa 0.11's;
- ``fbank(y * 32768)`` against kaldi-native-fbank's ``OnlineFbank``;
- ``log_mel_spectrogram(y)`` (openai-whisper's, no reference here) and
  ``whisper_features(y)`` against transformers' ``WhisperFeatureExtractor``;
- ``seamless_features``, ``ast_features`` and ``parakeet_features`` against transformers'
  extractors (AST's and Parakeet's need PyTorch).

BLAS runs on one thread here (``threadpoolctl``, where installed): after each call its idle threads
spin for a while, and slow down whatever runs next, spectrust's call timed in turn included.
A reference that is not installed (kaldi-native-fbank, transformers, torch: none is in CI) is
left out. For each: the per-second work, the slope ``(t4 - t1) / 3`` of the line through the 1 s
and 4 s calls, and the fixed cost, its intercept ``t1 - slope``. Last, fbank's work per second
of audio against ``melspectrogram``'s for the same frames, FFT size and bands (25 ms every 10 ms,
512 points, 23 bands: ``n_fft=512, hop_length=160, win_length=400, n_mels=23``), on one thread,
from 60 s of noise: the target is at most 1.5x.

Run: python3 benches/bench_percall.py
"""

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import spectrust  # noqa: E402
from benchutil import QUICK, best_interleaved, scaled, wait_idle  # noqa: E402

RATE = 16000
#: The most calls a timing (4 in a quick run); fewer for slow calls, which take ``BUDGET``
#: seconds a timing (at least 3 calls).
CALLS = scaled(200)
BUDGET = 0.05
#: Rounds of timings, the best kept.
ROUNDS = 10
#: melspectrogram's parameters with fbank's frames, FFT size and bands.
LIKE_FBANK = dict(sr=RATE, n_fft=512, hop_length=160, win_length=400, n_mels=23)


def per_call(fns: dict) -> dict:
    """Per call in microseconds of each of ``fns`` (name: function), up to ``CALLS`` calls a
    timing (as many as take ``BUDGET`` seconds), the functions timed in turn, best of
    ``ROUNDS``."""
    calls = {}
    for name, fn in fns.items():
        fn()
        t0 = time.perf_counter()
        fn()
        calls[name] = max(min(CALLS, 3), min(CALLS, int(BUDGET / (time.perf_counter() - t0))))
    loops = {name: (lambda fn=fn, n=calls[name]: [fn() for _ in range(n)]) for name, fn in fns.items()}
    return {name: t / calls[name] * 1e6 for name, t in best_interleaved(loops, rounds=ROUNDS).items()}


def knf_fbank(y):
    import kaldi_native_fbank as knf

    o = knf.FbankOptions()
    o.frame_opts.dither = 0.0
    f = knf.OnlineFbank(o)
    f.accept_waveform(RATE, y)
    f.input_finished()
    return [f.get_frame(i) for i in range(f.num_frames_ready)]


def extractor(name: str, torch: bool = False):
    """transformers' extractor ``name`` (made once), or None where transformers (or PyTorch, for
    the extractors that need it) is not installed."""
    if importlib.util.find_spec("transformers") is None or (torch and importlib.util.find_spec("torch") is None):
        return None
    import transformers

    return getattr(transformers, name)()


def front_ends(y: np.ndarray) -> dict:
    """``name: (spectrust's call, the reference's call or None)`` on the samples ``y``."""
    scaled_y = y * 32768
    refs = {
        "whisper_features": extractor("WhisperFeatureExtractor"),
        "seamless_features": extractor("SeamlessM4TFeatureExtractor"),
        "ast_features": extractor("ASTFeatureExtractor", torch=True),
        "parakeet_features": extractor("ParakeetFeatureExtractor", torch=True),
    }
    knf = None
    if importlib.util.find_spec("kaldi_native_fbank") is not None:
        as_list = scaled_y.tolist()  # kaldi-native-fbank takes Python lists
        knf = lambda: knf_fbank(as_list)  # noqa: E731

    def model(name):
        ours = getattr(spectrust, name)
        ref = refs[name]
        return lambda: ours(y), None if ref is None else (lambda: ref(y, sampling_rate=RATE))

    return {
        "melspectrogram": (
            lambda: spectrust.melspectrogram(y=y, sr=RATE),
            lambda: librosa.feature.melspectrogram(y=y, sr=RATE),
        ),
        "mfcc": (lambda: spectrust.mfcc(y=y, sr=RATE), lambda: librosa.feature.mfcc(y=y, sr=RATE)),
        "fbank": (lambda: spectrust.fbank(scaled_y), knf),
        "log_mel_spectrogram": (lambda: spectrust.log_mel_spectrogram(y), None),
        **{name: model(name) for name in refs},
    }


def main() -> dict:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return run()
    with threadpool_limits(1):
        return run()


def run() -> dict:
    rng = np.random.default_rng(0)
    signals = {s: rng.standard_normal(RATE * s).astype(np.float32) for s in (1, 4)}
    times: dict = {}
    print(f"bench_percall: one call on 1 s and 4 s of 16 kHz noise, up to {CALLS} calls a timing, best of {ROUNDS}")
    for seconds, y in signals.items():
        for name, (ours, ref) in front_ends(y).items():
            wait_idle()
            fns = {"ours": ours} if ref is None else {"ours": ours, "ref": ref}
            for side, t in per_call(fns).items():
                times.setdefault(name, {}).setdefault(side, {})[seconds] = t
    results = {}
    print(f"  {'front end':<20} {'1 s':>8} {'4 s':>8} {'fixed':>7} {'per s':>7}   reference 1 s, 4 s: ratios")
    for name, sides in times.items():
        t1, t4 = sides["ours"][1], sides["ours"][4]
        slope = (t4 - t1) / 3
        r = {"us_1s": t1, "us_4s": t4, "fixed_us": t1 - slope, "us_per_s": slope}
        line = f"  {name:<20} {t1:8.1f} {t4:8.1f} {t1 - slope:7.1f} {slope:7.1f}"
        if "ref" in sides:
            r1, r4 = sides["ref"][1], sides["ref"][4]
            r.update(ref_us_1s=r1, ref_us_4s=r4, ratio_1s=r1 / t1, ratio_4s=r4 / t4)
            line += f"   {r1:8.1f} {r4:8.1f}: {r1 / t1:5.1f}x {r4 / t4:5.1f}x"
        results[name] = r
        print(line)
    # fbank's work per second of audio against melspectrogram's on the same frames, one thread.
    y = rng.standard_normal(RATE * (2 if QUICK else 60)).astype(np.float32) * 32768
    wait_idle()
    long = best_interleaved({
        "fbank": lambda: spectrust.fbank(y, workers=1),
        "mel": lambda: spectrust.melspectrogram(y=y, **LIKE_FBANK, workers=1),
    }, rounds=ROUNDS)  # fmt: skip
    seconds = len(y) / RATE
    fb, mel = long["fbank"] / seconds * 1e6, long["mel"] / seconds * 1e6
    results["fbank_vs_mel"] = {"fbank_us_per_s": fb, "mel_us_per_s": mel, "ratio": fb / mel}
    print(f"  work per second of audio, one thread, {seconds:.0f} s: fbank {fb:.1f} us, melspectrogram with "
          f"fbank's frames and bands {mel:.1f} us: {fb / mel:.2f}x (target <= 1.5x)")  # fmt: skip
    return results


if __name__ == "__main__":
    main()
