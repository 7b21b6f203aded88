"""spectrust against librosa 0.11 over librosa's parameter space, driven by hypothesis.

Each draw takes a signal (a slice of a real clip, noise, tones, silence, shorter than the FFT,
empty; 1-D to 3-D; float32 or float64; contiguous or strided) and parameters from the whole
range librosa accepts (any window scipy has, every pad mode librosa.stft takes, odd and even
FFT sizes, any mel layout), runs both libraries and requires that

- both raise, or neither does (and then the same warnings' categories come);
- the shapes and dtypes are the same;
- the values agree within 0.05 dB on every bin within 80 dB of its frame's peak and above
  float32 rounding noise (the other bins are nothing a model or a picture can tell apart).

``SPECTRUST_DIFFERENTIAL_EXAMPLES`` sets the number of draws per test (default 150; the
figures in benches/README.md come from 5,000).
"""

import os
import warnings

import librosa
import numpy as np
import pytest
import scipy.signal
import soundfile
import spectrust
from conftest import EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES_PER_TEST = int(os.environ.get("SPECTRUST_DIFFERENTIAL_EXAMPLES", "150"))
SETTINGS = settings(
    max_examples=EXAMPLES_PER_TEST, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False
)
pytestmark = pytest.mark.slow

CLIP, CLIP_SR = soundfile.read(EXAMPLES / "music_stereo44k_s16.wav", dtype="float32", always_2d=True)
RATES = [8000, 11025, 16000, 22050, 44100, 48000, 96000]
WINDOWS = [
    "hann", "hamming", "blackman", "boxcar", "triang", "bartlett", "flattop", "bohman", "nuttall",
    "blackmanharris", "parzen", "cosine", "barthann", "rect", "hanning",
    ("kaiser", 8.0), ("gaussian", 7.0), ("tukey", 0.3), ("general_hamming", 0.6), 4.5,
    scipy.signal.windows.hann, scipy.signal.windows.triang,
]  # fmt: skip
PAD_MODES = ["constant", "edge", "reflect", "symmetric", "linear_ramp", "empty"]


@st.composite
def signals(draw, max_len=6000):
    """(y, description): a signal of any kind librosa takes."""
    kind = draw(st.sampled_from(["clip", "noise", "tones", "silence", "short", "empty"]))
    n = {
        "short": draw(st.integers(1, 64)),
        "empty": 0,
    }.get(kind, draw(st.integers(64, max_len)))
    channels = draw(st.sampled_from([(), (), (), (2,), (2, 2)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (*channels, n)
    if kind == "clip":
        start = int(rng.integers(0, len(CLIP) - n))
        y = np.stack([CLIP[start : start + n, i % 2] for i in range(int(np.prod(channels, dtype=int)))]).reshape(shape)
    elif kind == "tones":
        t = np.arange(n) / 22050
        y = sum(
            rng.uniform(0.05, 0.5) * np.sin(2 * np.pi * rng.uniform(20, 11000) * t + rng.uniform(0, 6))
            for _ in range(3)
        )
        y = np.broadcast_to(y, shape)
    elif kind == "silence":
        y = np.zeros(shape)
    else:
        y = rng.standard_normal(shape) * rng.choice([1e-3, 0.1, 1.0])
    dtype = draw(st.sampled_from([np.float32, np.float32, np.float64]))
    y = np.asarray(y, dtype=dtype)
    if draw(st.booleans()) and n:  # strided: every other sample of a signal twice as long
        wide = np.repeat(y, 2, axis=-1)
        y = wide[..., ::2]
    return y


@st.composite
def stft_params(draw):
    n_fft = draw(st.one_of(st.integers(2, 64), st.integers(64, 4096), st.sampled_from([256, 512, 1024, 2048, 400])))
    win_length = draw(st.one_of(st.none(), st.integers(1, n_fft)))
    window = draw(st.sampled_from([*WINDOWS, "array"]))
    if window == "array":
        window = np.random.default_rng(n_fft).uniform(0.1, 1.0, win_length or n_fft)
    return dict(
        n_fft=n_fft,
        hop_length=draw(st.one_of(st.none(), st.integers(1, 2 * n_fft))),
        win_length=win_length,
        window=window,
        center=draw(st.booleans()),
        pad_mode=draw(st.sampled_from(PAD_MODES)),
        power=draw(st.sampled_from([1.0, 2.0, 0.5, 1.5, 3.0])),
    )


@st.composite
def mel_params(draw, sr):
    nyquist = sr / 2
    fmin = draw(st.one_of(st.just(0.0), st.floats(0.0, nyquist * 0.9)))
    fmax = draw(st.one_of(st.none(), st.floats(fmin + 1.0, nyquist), st.just(float(nyquist))))
    return dict(
        n_mels=draw(st.one_of(st.integers(1, 40), st.integers(40, 256))),
        fmin=fmin,
        fmax=fmax,
        htk=draw(st.booleans()),
        norm=draw(st.sampled_from(["slaney", None, 1.0, 2.0, np.inf, 3.5])),
    )


def both(ours, theirs, same_warnings=True):
    """Runs both; returns (ours, theirs), or None when both raised (it fails when only one
    side raises, or, with ``same_warnings``, when the categories of their warnings differ)."""
    results, raised, caught = [], [], []
    for f in (ours, theirs):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                results.append(f())
                raised.append(None)
            except Exception as e:  # librosa raises ParameterError, ValueError, ZeroDivisionError...
                results.append(None)
                raised.append(e)
        caught.append({x.category for x in w if not issubclass(x.category, DeprecationWarning)})
    assert (raised[0] is None) == (raised[1] is None), f"spectrust raised {raised[0]!r}, librosa {raised[1]!r}"
    # spectrust's refusals are typed: a ParameterError, a TypeError for a wrong keyword, or
    # what a function the caller passed (ref=np.max of nothing) raised in both.
    typed = (spectrust.ParameterError, TypeError, type(raised[1]))
    assert raised[0] is None or isinstance(raised[0], typed), repr(raised[0])
    if raised[0] is not None:
        return None
    assert caught[0] == caught[1] or not same_warnings, f"warnings: spectrust {caught[0]}, librosa {caught[1]}"
    return results[0], results[1]


def rounding_noise(y, sr, kw):
    """An upper bound of float32 rounding noise in a mel bin: an FFT's error is within
    ``eps * 64`` of its largest possible value, ``max|y| * n_fft``, raised to ``power`` and
    summed over the widest filter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # empty filters: compared by the caller
        M = librosa.filters.mel(
            sr=sr, n_fft=kw["n_fft"], **{k: kw[k] for k in ("n_mels", "fmin", "fmax", "htk", "norm")}
        )
    peak = float(np.abs(y).max()) * kw["n_fft"] if y.size else 0.0
    return (np.finfo(np.float32).eps * 64 * peak) ** kw["power"] * float(M.sum(axis=1).max())


def below_rounding_noise(y, sr, kw) -> bool:
    """Whether MFCC's dB range (80 dB under the mel spectrogram's peak, taken as power even
    when it is not, power=0.5 spanning 320 dB of power) reaches down into float32 rounding
    noise, where both libraries give arbitrary levels."""
    mel = {k: v for k, v in kw.items() if k not in ("n_mfcc", "dct_type", "norm", "lifter", "mel_norm")}
    mel["norm"] = kw["mel_norm"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peak = librosa.feature.melspectrogram(y=y, sr=sr, **mel).max(initial=0)
    return peak * 1e-8 < rounding_noise(y, sr, mel) * 10


def arbitrary_padding(kw) -> bool:
    """Whether librosa pads with np.empty's uninitialised memory (pad_mode="empty", centred;
    spectrust pads with zeros): its values, and the warnings they cause, are then arbitrary,
    only the shapes are not."""
    return kw["center"] and kw["pad_mode"] == "empty"


def assert_spectra_agree(ours, ref, power=2.0, noise=0.0, db=0.05, within=80.0):
    """Within ``db`` (in power dB) on every bin within ``within`` dB of its frame's peak and
    above ``noise`` (float32 rounding noise)."""
    assert ours.shape == ref.shape and ours.dtype == ref.dtype, (ours.shape, ref.shape, ours.dtype, ref.dtype)
    assert np.isfinite(ours).all() == np.isfinite(ref).all()
    to_db = 20.0 / power  # |X|**power -> 10 log10 |X|**2
    ref64, ours64 = ref.astype(np.float64), ours.astype(np.float64)
    peak = ref64.max(axis=-2, keepdims=True)
    floor = np.maximum(peak * 10 ** (-within / to_db), noise)
    mask = (ref64 > floor) & (peak > 0)
    if not mask.any():
        np.testing.assert_allclose(ours64, ref64, atol=max(noise, 1e-30) * 10)
        return
    diff = np.abs(to_db * np.log10(np.maximum(ours64[mask], 1e-300) / ref64[mask]))
    assert diff.max() < db, f"{diff.max():.3f} dB apart on {(diff >= db).sum()} of {mask.sum()} bins"


@SETTINGS
@given(data=st.data())
def test_melspectrogram_matches_librosa_everywhere(data):
    y = data.draw(signals())
    sr = data.draw(st.sampled_from(RATES))
    kw = {**data.draw(stft_params()), **data.draw(mel_params(sr))}
    if data.draw(st.booleans()):
        kw["dtype"] = data.draw(st.sampled_from([np.float32, np.float64]))  # the filter bank's
    check_melspectrogram(y, sr, kw)


def check_melspectrogram(y, sr, kw):
    got = both_padded(
        lambda: spectrust.melspectrogram(y=y, sr=sr, **kw), lambda: librosa.feature.melspectrogram(y=y, sr=sr, **kw), kw
    )
    if got is not None:
        assert_spectra_agree(*got, power=kw["power"], noise=rounding_noise(y, sr, kw))


def both_padded(ours, theirs, kw):
    """:func:`both` for a feature of a padded STFT: also None where librosa's padding is
    arbitrary (:func:`arbitrary_padding`), after comparing the shapes and dtypes."""
    arbitrary = arbitrary_padding(kw)
    got = both(ours, theirs, same_warnings=not arbitrary)
    if got is not None and arbitrary:
        assert got[0].shape == got[1].shape and got[0].dtype == got[1].dtype
        return None
    return got


@SETTINGS
@given(data=st.data())
def test_mel_filters_match_librosa_everywhere(data):
    sr = data.draw(st.sampled_from([*RATES, 1000.0, 12345.6]))
    n_fft = data.draw(st.one_of(st.integers(2, 64), st.integers(64, 8192)))
    kw = data.draw(mel_params(sr))
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    got = both(
        lambda: spectrust.mel_filters(sr=sr, n_fft=n_fft, dtype=dtype, **kw),
        lambda: librosa.filters.mel(sr=sr, n_fft=n_fft, dtype=dtype, **kw),
    )
    if got is not None:
        ours, ref = got
        assert ours.shape == ref.shape and ours.dtype == ref.dtype
        np.testing.assert_allclose(ours, ref, rtol=2e-5, atol=1e-6 * max(ref.max(), 1e-30))
        np.testing.assert_array_equal(ours.any(axis=1), ref.any(axis=1))  # the same empty filters


@SETTINGS
@given(data=st.data())
def test_power_to_db_matches_librosa_everywhere(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    shape = data.draw(st.sampled_from([(5,), (4, 7), (2, 3, 5), (0, 3), (1,)]))
    S = rng.uniform(0, 10, shape) ** data.draw(st.sampled_from([1, 4, 12]))
    if S.size and data.draw(st.booleans()):
        S.flat[int(rng.integers(0, S.size))] = data.draw(st.sampled_from([np.nan, np.inf, 0.0, -1.0]))
    S = S.astype(data.draw(st.sampled_from([np.float32, np.float64])))
    kw = dict(
        ref=data.draw(st.sampled_from([1.0, np.max, np.median, 1e-3, 0.0, -2.0])),
        amin=data.draw(st.sampled_from([1e-10, 1e-5, 1.0, 0.0, -1.0])),
        top_db=data.draw(st.sampled_from([80.0, None, 0.0, 20.0, -5.0])),
    )
    if callable(kw["ref"]) and S.size == 0:
        return  # np.max or np.median of nothing: numpy's error or warning, in both
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's, on NaN and inf, in both
        # (numpy's RuntimeWarnings on inf - inf come in librosa's arithmetic, not in Rust's.)
        got = both(lambda: spectrust.power_to_db(S, **kw), lambda: librosa.power_to_db(S, **kw), same_warnings=False)
    if got is not None:
        ours, ref = got
        assert ours.shape == ref.shape and ours.dtype == ref.dtype
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-3)


@SETTINGS
@given(data=st.data())
def test_mfcc_matches_librosa_everywhere(data):
    y = data.draw(signals(max_len=8000))
    sr = data.draw(st.sampled_from(RATES))
    kw = {**data.draw(stft_params()), **data.draw(mel_params(sr))}
    kw.update(
        n_mfcc=data.draw(st.integers(1, 40)),
        dct_type=data.draw(st.sampled_from([1, 2, 3])),
        norm=data.draw(st.sampled_from(["ortho", None])),
        lifter=data.draw(st.sampled_from([0, 22, 0.5])),
        mel_norm=kw.pop("norm"),
    )
    check_mfcc(y, sr, kw)


def check_mfcc(y, sr, kw):
    got = both_padded(lambda: spectrust.mfcc(y=y, sr=sr, **kw), lambda: librosa.feature.mfcc(y=y, sr=sr, **kw), kw)
    if got is not None:
        ours, ref = got
        assert ours.shape == ref.shape and ours.dtype == ref.dtype
        if below_rounding_noise(y, sr, kw):
            return  # levels in float32 rounding noise on both sides: the shapes are what holds
        # The coefficients are a DCT of dB levels clipped to 80 dB (top_db) below the peak:
        # 0.05 dB on each of the n levels moves one by at most 0.05 times the row's 1-norm of
        # the DCT matrix (2n unnormalised, under 2 sqrt(n) orthonormal), times the lifter's.
        n = ref.shape[-2] and kw["n_mels"]
        norm1 = 2 * n if kw["norm"] is None else 2 * np.sqrt(n)
        atol = 0.05 * norm1 * (1 + kw["lifter"] / 2) + 1e-5 * np.abs(ref).max(initial=0)
        np.testing.assert_allclose(ours, ref, atol=atol, rtol=0)


#: Real recordings in the formats librosa reads itself (through soundfile): WAV of every
#: sample type, FLAC, Ogg Vorbis, MP3.
FILES = [
    "music_mono22k_s16.wav", "music_stereo44k_s16.wav", "music_stereo44k_s24.wav", "music_mono44k_f32.wav",
    "music_mono8k_u8.wav", "music.flac", "music.ogg", "music.mp3",
]  # fmt: skip


@st.composite
def reads(draw):
    """A file, and how to read it as librosa.load's parameters."""
    return draw(st.sampled_from(FILES)), dict(
        sr=draw(st.sampled_from([None, 8000, 16000, 22050, 44100, 48000])),
        mono=draw(st.booleans()),
        offset=draw(st.sampled_from([0.0, 0.5, 2.25])),
        duration=draw(st.one_of(st.none(), st.floats(0.05, 3.0))),
        dtype=draw(st.sampled_from([np.float32, np.float64])),
    )


@settings(max_examples=max(EXAMPLES_PER_TEST // 5, 10), deadline=None, suppress_health_check=list(HealthCheck))
@given(
    read=reads(),
    mel=st.fixed_dictionaries({"n_fft": st.sampled_from([400, 512, 2048]), "n_mels": st.sampled_from([40, 80, 128])}),
)
def test_load_and_the_batch_form_match_librosa_on_real_files(read, mel):
    name, kw = read
    path = EXAMPLES / name
    got = both(lambda: spectrust.load(path, **kw), lambda: librosa.load(path, **kw))
    if got is None:
        return
    (ours, sr), (ref, ref_sr) = got
    assert sr == ref_sr and ours.shape == ref.shape and ours.dtype == ref.dtype
    if kw["sr"] is None:  # decoded samples: the same up to the decoders' rounding
        np.testing.assert_allclose(ours, ref, atol=2e-4 if name == "music.mp3" else 1e-6)
    y = ref if ref.ndim == 1 else ref.mean(axis=0)
    if y.shape[-1] < mel["n_fft"]:
        return
    reference = librosa.feature.melspectrogram(y=y.astype(np.float32), sr=sr, **mel)
    noise = rounding_noise(y, sr, {**mel, "fmin": 0.0, "fmax": None, "htk": False, "norm": "slaney", "power": 2.0})
    if kw["sr"] is None:
        check = assert_spectra_agree
    else:
        orig_sr = librosa.get_samplerate(path)
        edge = -(-(mel["n_fft"] // 2 + 16) // 512)  # frames reaching the first or last 16 samples
        check = lambda a, b, noise: assert_resampled_spectra_agree(a, b, noise, orig_sr / sr, edge)  # noqa: E731
    mono = ours if ours.ndim == 1 else ours.mean(axis=0)
    check(spectrust.melspectrogram(y=mono, sr=sr, **mel).astype(np.float32), reference, noise=noise)
    (batch,) = spectrust.melspectrogram_batch([path], **{k: kw[k] for k in ("sr", "offset", "duration")}, **mel)
    if kw["duration"] is not None:  # padded or cut to int(duration * sr) samples, as documented
        fixed = librosa.util.fix_length(y.astype(np.float32), size=int(kw["duration"] * sr))
        reference = librosa.feature.melspectrogram(y=fixed, sr=sr, **mel)
    check(batch, reference, noise=noise)


def assert_resampled_spectra_agree(ours, ref, noise, ratio, edge):
    """The resampling issue's measure (soxr HQ's response, which librosa.load uses): 0.1 dB at
    the 99th percentile in the bands below 0.9 of the lower Nyquist frequency, and, resampling
    down (``ratio``: the old rate over the new), 2 dB median in the top band (soxr's own VHQ
    and HQ differ by 1.9 dB there), on the bins within 80 dB of their frame's peak. (Resampling
    up, the bands past the old Nyquist frequency hold only what both filters let through.)"""
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    # soxr's first and last output samples differ from a signal between zeros (its start-up
    # and flush): the ``edge`` frames at each end that reach them are left out.
    ours, ref = ours[:, edge:-edge], ref[:, edge:-edge]
    n_mels = ref.shape[0]
    centres = librosa.mel_frequencies(n_mels + 2, fmax=1.0)[1:-1]  # as fractions of Nyquist
    floor = np.maximum(ref.max(axis=0, keepdims=True) * 1e-8, noise)
    diff = np.abs(10 * np.log10(np.maximum(ours, 1e-30) / np.maximum(ref, 1e-30)))
    band = centres < 0.9 * min(1.0, ratio)
    low = diff[band][(ref > floor)[band]]
    if low.size:
        assert np.percentile(low, 99) < 0.1, np.percentile(low, 99)
    top = diff[-1][ref[-1] > floor[0]]
    if top.size and ratio > 1:
        assert np.median(top) < 2.0, np.median(top)
