"""The librosa-compatible feature API, checked against librosa 0.11 on real clips."""

import math

import librosa
import numpy as np
import pytest
import soundfile as sf
import spectrust
from conftest import BAD_INPUTS, CLIPS, EXAMPLES, MONO22, MONO44_F32, STEREO44, STEREO44_S24
from hypothesis import given, settings
from hypothesis import strategies as st


def assert_db_close(ours, ref, tol_db=0.05, range_db=80.0, power=2.0):
    """Every bin within `range_db` of the reference maximum agrees within `tol_db` (in dB
    relative to the reference maximum: 10 log10 of power, 20 log10 of magnitude)."""
    assert ours.shape == ref.shape
    assert ours.dtype == np.float32
    peak = ref.max()
    scale = 20.0 / power
    ref_db = scale * np.log10(np.maximum(ref, 1e-30) / peak)
    our_db = scale * np.log10(np.maximum(ours, 1e-30) / peak)
    mask = ref_db > -range_db
    worst = np.abs(our_db - ref_db)[mask].max()
    assert worst <= tol_db, f"max difference {worst:.4f} dB over {mask.sum()} bins"


@pytest.mark.parametrize("path", CLIPS, ids=lambda p: p.name)
def test_load_matches_libsndfile(path):
    ref, sr_ref = sf.read(path, dtype="float32")
    y, sr = spectrust.load(path, mono=False, sr=None)
    assert sr == sr_ref
    # librosa's shapes: (channels, n), and (n,) for a mono file.
    assert y.dtype == np.float32 and y.shape == ref.T.shape == librosa.load(path, sr=None, mono=False)[0].shape
    np.testing.assert_array_equal(y, ref.T)
    mono, _ = spectrust.load(path, sr=None)
    np.testing.assert_allclose(mono, np.atleast_2d(ref.T).mean(axis=0), rtol=0, atol=1e-7)


def test_load_matches_librosa_and_resamples():
    y, _ = spectrust.load(STEREO44, sr=None)
    ref, _ = librosa.load(STEREO44, sr=None)
    np.testing.assert_allclose(y, ref, atol=1e-7)
    y16, sr16 = spectrust.load(STEREO44, sr=16000)
    ref16, _ = librosa.load(STEREO44, sr=16000, res_type="soxr_hq")
    assert sr16 == 16000 and y16.shape == ref16.shape
    # Below 7 kHz (90% of the new Nyquist) the two resamplers agree to a small fraction of a dB.
    ours = librosa.feature.melspectrogram(y=y16, sr=16000, fmax=7000)
    theirs = librosa.feature.melspectrogram(y=ref16, sr=16000, fmax=7000)
    db = np.abs(librosa.power_to_db(ours, top_db=None) - librosa.power_to_db(theirs, top_db=None))
    assert np.percentile(db[theirs > theirs.max() * 1e-6], 99) < 0.1


PARAM_SETS = {
    "defaults": dict(sr=None),
    "htk-nonorm-reflect": dict(sr=None, htk=True, norm=None, pad_mode="reflect", n_mels=64, fmin=30.0, fmax=8000.0),
    "uncentered-power1-short-window": dict(
        sr=None, center=False, power=1.0, win_length=1024, n_fft=2048, hop_length=256
    ),
    "whisper": dict(sr=16000, n_fft=400, hop_length=160, n_mels=80),
}


@pytest.mark.parametrize("path", [MONO22, STEREO44, MONO44_F32], ids=lambda p: p.name)
@pytest.mark.parametrize("name", PARAM_SETS)
def test_melspectrogram_parity_on_real_music(path, name):
    params = dict(PARAM_SETS[name])
    sr = params.pop("sr")
    y, sr = librosa.load(path, sr=sr, res_type="soxr_hq")
    ref = librosa.feature.melspectrogram(y=y, sr=sr, **params)
    ours = spectrust.melspectrogram(y=y, sr=sr, **params)
    assert_db_close(ours, ref, power=params.get("power", 2.0))


def test_multichannel_input_keeps_leading_axes():
    y, sr = librosa.load(STEREO44_S24, sr=None, mono=False)
    y = np.stack([y, y[::-1]])  # (2, 2, n)
    ours = spectrust.melspectrogram(y=y, sr=sr, n_mels=40)
    ref = librosa.feature.melspectrogram(y=y, sr=sr, n_mels=40)
    assert ours.shape == ref.shape == (2, 2, 40, 1 + y.shape[-1] // 512)
    for i in range(2):
        for j in range(2):
            assert_db_close(ours[i, j], ref[i, j])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2048, 20000),
    n_fft=st.sampled_from([256, 512, 1000, 2048]),
    hop=st.integers(64, 700),
    n_mels=st.integers(8, 96),
    center=st.booleans(),
    pad_mode=st.sampled_from(["constant", "reflect", "edge"]),
    htk=st.booleans(),
    window=st.sampled_from(["hann", "hamming", "blackman", "boxcar"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_melspectrogram_parity_on_random_signals(n, n_fft, hop, n_mels, center, pad_mode, htk, window, seed):
    y = np.random.default_rng(seed).standard_normal(n).astype(np.float32) * 0.1
    kw = dict(
        sr=16000, n_fft=n_fft, hop_length=hop, n_mels=n_mels, center=center, pad_mode=pad_mode, htk=htk, window=window
    )
    assert_db_close(spectrust.melspectrogram(y=y, **kw), librosa.feature.melspectrogram(y=y, **kw))


@pytest.mark.parametrize(
    "kw",
    [
        dict(sr=22050, n_fft=2048),
        dict(sr=16000, n_fft=400, n_mels=80),
        dict(sr=44100, n_fft=1024, n_mels=64, fmin=50.0, fmax=14000.0, htk=True),
        dict(sr=8000, n_fft=512, n_mels=40, norm=None),
        dict(sr=22050, n_fft=2048, n_mels=32, norm=2.0),
        dict(sr=22050, n_fft=2048, n_mels=32, norm=np.inf),
    ],
)
def test_mel_filters_match_librosa(kw):
    np.testing.assert_allclose(spectrust.mel_filters(**kw), librosa.filters.mel(**kw), rtol=1e-5, atol=1e-9)


def test_power_to_db_matches_librosa():
    S = spectrust.melspectrogram(y=spectrust.load(MONO22, sr=None)[0], sr=22050)
    for kw in [dict(), dict(ref=np.max), dict(ref=np.median, top_db=None), dict(ref=3.0, amin=1e-5, top_db=40.0)]:
        ours = spectrust.power_to_db(S, **kw)
        ref = librosa.power_to_db(S, **kw)
        assert ours.dtype == ref.dtype == np.float32
        np.testing.assert_allclose(ours, ref, atol=2e-4)
    S64 = S.astype(np.float64)
    ours = spectrust.power_to_db(S64, ref=np.max)
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, librosa.power_to_db(S64, ref=np.max), atol=1e-9)
    with pytest.raises(spectrust.ParameterError, match="amin"):
        spectrust.power_to_db(S, amin=0)
    with pytest.raises(spectrust.ParameterError, match="top_db"):
        spectrust.power_to_db(S, top_db=-1)


def test_melspectrogram_batch_equals_one_by_one(tmp_path):
    paths = [MONO22, STEREO44, MONO44_F32]
    batch = spectrust.melspectrogram_batch(paths, n_mels=64, workers=2)
    for p, S in zip(paths, batch):
        y, sr = spectrust.load(p, sr=None)
        np.testing.assert_array_equal(S, spectrust.melspectrogram(y=y, sr=sr, n_mels=64))
    resampled = spectrust.melspectrogram_batch([STEREO44], sr=16000, n_fft=400, hop_length=160, n_mels=80)[0]
    y16, _ = spectrust.load(STEREO44, sr=16000)
    np.testing.assert_array_equal(
        resampled, spectrust.melspectrogram(y=y16, sr=16000, n_fft=400, hop_length=160, n_mels=80)
    )


def test_melspectrogram_batch_goes_on_past_bad_files(bad_inputs):
    paths = [MONO22, bad_inputs["text"], bad_inputs["missing"], MONO22]
    out = spectrust.melspectrogram_batch(paths, on_error="none")
    assert out[1] is None and out[2] is None
    np.testing.assert_array_equal(out[0], out[3])
    with pytest.raises(spectrust.DecodeError, match=r"text\.wav"):
        spectrust.melspectrogram_batch(paths)
    with pytest.raises(spectrust.ParameterError):
        spectrust.melspectrogram_batch(paths, on_error="skip")


def test_parameter_errors():
    y = np.zeros(1000, dtype=np.float32)
    with pytest.raises(spectrust.ParameterError, match="n_fft=2048 is too large"):
        spectrust.melspectrogram(y=y, sr=22050, center=False)
    with pytest.raises(spectrust.ParameterError, match="window"):
        spectrust.melspectrogram(y=y, sr=22050, window="nope")
    with pytest.raises(spectrust.ParameterError, match="pad_mode"):
        spectrust.melspectrogram(y=y, sr=22050, pad_mode="wrap")
    with pytest.raises(spectrust.ParameterError, match="finite"):
        spectrust.melspectrogram(y=np.full(4096, np.nan, dtype=np.float32), sr=22050)
    with pytest.raises(spectrust.ParameterError, match="floating"):
        spectrust.melspectrogram(y=np.zeros(4096, dtype=np.int16), sr=22050)
    with pytest.raises(spectrust.ParameterError, match="fmin"):
        spectrust.melspectrogram(y=y, sr=8000, fmin=5000.0)
    with pytest.raises(ValueError):  # ParameterError is also a ValueError (librosa's derives from Exception only)
        spectrust.melspectrogram(y=y, sr=22050, win_length=4096)


def test_short_and_silent_signals_follow_librosa():
    for n in (1, 100, 1500):
        y = np.random.default_rng(n).standard_normal(n).astype(np.float32)
        ours = spectrust.melspectrogram(y=y, sr=22050)
        ref = librosa.feature.melspectrogram(y=y, sr=22050)
        assert ours.shape == ref.shape == (128, 1 + n // 512)
        assert_db_close(ours, ref)
    silent = spectrust.melspectrogram(y=np.zeros(22050, dtype=np.float32), sr=22050)
    assert silent.shape == (128, 44) and not silent.any()


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_load_bad_input_raises_typed_one_line_errors(bad_inputs, name):
    path = bad_inputs[name]
    expected = FileNotFoundError if name == "missing" else spectrust.DecodeError
    with pytest.raises(expected) as info:
        spectrust.load(path, sr=None)
    msg = str(info.value)
    assert path.name in msg and "\n" not in msg


def test_truncated_data_loads_what_is_there(tmp_path):
    data = MONO22.read_bytes()
    cut = tmp_path / "cut.wav"
    start = data.index(b"data") + 8
    cut.write_bytes(data[: start + 2 * 1000 + 1])  # 1000 samples and half of the next
    y, sr = spectrust.load(cut, sr=None)
    ref, _ = sf.read(MONO22, dtype="float32", frames=1000)
    np.testing.assert_array_equal(y, ref)
    assert math.isclose(sr, 22050)


def test_keywords_follow_librosa_and_unknown_ones_are_type_errors():
    y = np.random.default_rng(1).standard_normal(8000).astype(np.float32)
    # The mel filterbank's keywords pass through melspectrogram, as in librosa.
    ours = spectrust.melspectrogram(y=y, sr=16000, n_fft=512, n_mels=40, fmin=50.0, htk=True, norm=None)
    ref = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, n_mels=40, fmin=50.0, htk=True, norm=None)
    assert_db_close(ours, ref)
    with pytest.raises(TypeError, match="n_mel"):
        spectrust.melspectrogram(y=y, sr=16000, n_mel=40)
    with pytest.raises(TypeError, match="melspectrogram_batch"):
        spectrust.melspectrogram_batch([MONO22], n_mel=40)
    for kwargs in [dict(n_fft=-512), dict(hop_length=-1), dict(n_mels=-3), dict(workers=-2)]:
        with pytest.raises(spectrust.ParameterError):
            spectrust.melspectrogram(y=y, sr=16000, **kwargs)
    with pytest.raises(spectrust.ParameterError):
        spectrust.load(MONO22, sr=-8000)


def test_max_duration_is_a_too_long_error():
    with pytest.raises(spectrust.TooLongError, match="max_duration"):
        spectrust.load(MONO22, max_duration=1.0, sr=None)
    out = spectrust.melspectrogram_batch([MONO22], max_duration=1.0, on_error="none")
    assert out == [None]


def tone_fit(y, sr, freq):
    """Level in dB (re amplitude 1) and delay in samples of the ``freq`` Hz tone in ``y``,
    by a least-squares fit away from the edges."""
    t = np.arange(len(y))[len(y) // 8 : -len(y) // 8]
    s, c = np.sin(2 * np.pi * freq * t / sr), np.cos(2 * np.pi * freq * t / sr)
    a, b = np.linalg.lstsq(np.stack([s, c], axis=1), y[t], rcond=None)[0]
    return 20 * np.log10(np.hypot(a, b)), -np.arctan2(b, a) / (2 * np.pi * freq) * sr


def test_resample_meets_soxr_hq_quality():
    sr_in, sr_out = 44100, 16000
    nyquist = sr_out / 2
    x = lambda f: np.sin(2 * np.pi * f * np.arange(sr_in * 2) / sr_in).astype(np.float32)  # noqa: E731
    for frac in (0.1, 0.5, 0.8, 0.875):
        level, delay = tone_fit(
            spectrust.resample(x(frac * nyquist), orig_sr=sr_in, target_sr=sr_out), sr_out, frac * nyquist
        )
        assert abs(level) < 0.1, (frac, level)
        assert abs(delay) < 0.05, (frac, delay)  # the input's timing, in output samples
    for frac in (1.1, 1.3, 2.0, 2.7):
        y = spectrust.resample(x(frac * nyquist), orig_sr=sr_in, target_sr=sr_out)
        # (Away from the edges: the tone's sudden start and end are broadband.)
        assert 20 * np.log10(np.abs(y[len(y) // 8 : -len(y) // 8]).max()) < -100, frac


def test_resample_follows_librosa_soxr_hq_on_music():
    y, sr = librosa.load(STEREO44, sr=None, mono=False)
    ours = spectrust.resample(y, orig_sr=sr, target_sr=16000)
    ref = librosa.resample(y, orig_sr=sr, target_sr=16000)  # res_type="soxr_hq"
    assert ours.shape == ref.shape and ours.dtype == ref.dtype == np.float32
    # Everywhere but soxr's first two output samples (its start-up differs from a signal
    # preceded by zeros), the padded end included.
    assert np.abs(ours - ref)[:, 2:].max() < 1e-4
    # Mel spectrograms up to the new Nyquist frequency within 0.1 dB at the 99th percentile.
    a, b = librosa.feature.melspectrogram(y=ours, sr=16000), librosa.feature.melspectrogram(y=ref, sr=16000)
    db = np.abs(librosa.power_to_db(a, top_db=None) - librosa.power_to_db(b, top_db=None))
    assert np.percentile(db[b > b.max() * 1e-6], 99) < 0.1
    # Keywords as librosa's: axis, fix, scale, dtype.
    y64 = y.T.astype(np.float64)
    for kw in (dict(axis=0), dict(axis=0, fix=False), dict(axis=0, scale=True)):
        got, want = (
            spectrust.resample(y64, orig_sr=sr, target_sr=22050, **kw),
            librosa.resample(y64, orig_sr=sr, target_sr=22050, **kw),
        )
        assert got.shape == want.shape and got.dtype == np.float64, kw
        assert np.abs(got - want)[100:-100].max() < 1e-4, kw


@settings(max_examples=30, deadline=None)
@given(
    rates=st.sampled_from(
        [(44100, 16000), (48000, 16000), (22050, 16000), (16000, 44100), (8000, 22050), (44100, 48000), (32000, 11025)]
    ),
    n=st.integers(3000, 30000),
    seed=st.integers(0, 2**32 - 1),
)
def test_resample_matches_soxr_on_band_limited_signals(rates, n, seed):
    orig_sr, target_sr = rates
    rng = np.random.default_rng(seed)
    t = np.arange(n) / orig_sr
    freqs = rng.uniform(20, 0.85 * min(orig_sr, target_sr) / 2, 6)
    y = (sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) for f in freqs) / 6).astype(np.float32)
    ours = spectrust.resample(y, orig_sr=orig_sr, target_sr=target_sr)
    ref = librosa.resample(y, orig_sr=orig_sr, target_sr=target_sr)
    assert ours.shape == ref.shape
    # (soxr's first few output samples, within 6 inputs of the start, differ up to 0.04.)
    assert np.abs(ours - ref)[16:].max() < 1e-3
    # Past soxr's round(n * target_sr / orig_sr) samples, librosa pads with zeros, as spectrust.
    signal = int(n * target_sr / orig_sr + 0.5)
    assert not ours[signal:].any() and ours[signal - 1] != 0


def test_resample_refuses_what_it_cannot_do():
    y = np.zeros(1000, dtype=np.float32)
    with pytest.raises(spectrust.ParameterError, match="res_type='no_such_filter'"):
        spectrust.resample(y, orig_sr=44100, target_sr=16000, res_type="no_such_filter")
    with pytest.raises(spectrust.ParameterError, match="orig_sr"):
        spectrust.resample(y, orig_sr=44100.5, target_sr=16000)
    with pytest.raises(spectrust.ParameterError, match="target_sr"):
        spectrust.resample(y, orig_sr=44100, target_sr=0)
    with pytest.raises(spectrust.ParameterError, match="floating"):
        spectrust.resample(np.zeros(100, dtype=np.int16), orig_sr=44100, target_sr=16000)
    assert spectrust.resample(y, orig_sr=16000, target_sr=16000) is not None


def test_fixed_length_batches_stack_into_one_array():
    paths = [EXAMPLES / "music.mp3", MONO22, EXAMPLES / "music.flac", EXAMPLES / "complete.oga"]  # 1.09 s: padded
    kw = dict(n_fft=400, hop_length=160, n_mels=80)
    X = spectrust.melspectrogram_batch(paths, sr=16000, offset=1.0, duration=5.0, stack=True, **kw)
    assert X.shape == (4, 80, 1 + 80000 // 160) and X.dtype == np.float32
    for path, x in zip(paths, X):
        # librosa.load of that part, fixed to 5 s: the same signal as one call here gives ...
        y, _ = spectrust.load(path, sr=16000, offset=1.0, duration=5.0)
        y = librosa.util.fix_length(y, size=80000)
        np.testing.assert_allclose(x, spectrust.melspectrogram(y=y, sr=16000, **kw), rtol=1e-5, atol=1e-9)
        # ... and librosa's own pipeline within 0.1 dB at the 99th percentile (music).
        if path.name != "complete.oga":
            ref_y, _ = librosa.load(path, sr=16000, offset=1.0, duration=5.0)
            ref = librosa.feature.melspectrogram(y=librosa.util.fix_length(ref_y, size=80000), sr=16000, **kw)
            db = np.abs(
                librosa.power_to_db(x, ref=ref.max(), top_db=None)
                - librosa.power_to_db(ref, ref=ref.max(), top_db=None)
            )
            assert np.percentile(db[ref > ref.max() * 1e-6], 99) < 0.1, path.name
    M = spectrust.mfcc_batch(paths, sr=22050, duration=2.0, stack=True, n_mfcc=13)
    assert M.shape == (4, 13, 1 + 44100 // 512)
    with pytest.raises(spectrust.ParameterError, match="one shape"):
        spectrust.melspectrogram_batch(paths, stack=True)  # whole files: different lengths
    with pytest.raises(spectrust.ParameterError, match="on_error"):
        spectrust.melspectrogram_batch(paths, duration=1.0, stack=True, on_error="none")
