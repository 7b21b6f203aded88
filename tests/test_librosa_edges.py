"""Regression tests of the places where spectrust and librosa 0.11 parted (issue 13), each
compared with librosa itself."""

import subprocess
import sys
import warnings

import librosa
import numpy as np
import pytest
import spectrust
from conftest import EXAMPLES


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman", "boxcar"])
def test_a_window_of_one_sample_is_scipys(window):
    y = np.random.default_rng(0).standard_normal(4000).astype(np.float32)
    kw = dict(sr=16000, n_fft=16, win_length=1, hop_length=8, window=window, n_mels=4, htk=True, norm=None)
    ours = spectrust.melspectrogram(y=y, **kw)
    ref = librosa.feature.melspectrogram(y=y, **kw)
    assert ours.max() > 0
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6)


def test_melspectrogram_of_s_takes_its_fft_length_from_s():
    y, sr = spectrust.load(EXAMPLES / "music_mono22k_s16.wav", sr=None)
    S = np.abs(librosa.stft(y, n_fft=1024)) ** 2
    ours = spectrust.melspectrogram(S=S, sr=sr)
    ref = librosa.feature.melspectrogram(S=S, sr=sr)
    assert ours.shape == ref.shape == (128, S.shape[1])
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-8 * ref.max())


@pytest.mark.parametrize("top_db", [80.0, None])
@pytest.mark.parametrize("ref", [1.0, np.max])
def test_power_to_db_propagates_nan_as_librosa(top_db, ref):
    S = np.array([[1, np.nan], [0.1, 0.01]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = librosa.power_to_db(S, ref=ref, top_db=top_db)
    got = spectrust.power_to_db(S, ref=ref, top_db=top_db)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    # float32 log10 of each side: a few ulp apart across CPUs (see the negative-ref test below).
    np.testing.assert_allclose(got[~np.isnan(got)], expected[~np.isnan(expected)], rtol=1e-5)
    assert np.isnan(got).sum() in (1, 4)


def test_python_dash_m_spectrust_and_spectrust_server_after_import():
    p = subprocess.run([sys.executable, "-m", "spectrust", "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("spectrust ")
    code = "import sys, spectrust; assert 'fastapi' not in sys.modules; print(spectrust.server.create_app.__name__)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.strip() == "create_app", p.stderr
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        spectrust.nonexistent  # noqa: B018


def test_fmin_is_checked_against_each_files_own_rate(tmp_path):
    spect = spectrust.Spectrogram(fmin=15000)  # fine for 44.1 kHz files, not for 22.05 kHz ones
    assert spect.generate(EXAMPLES / "music_stereo44k_s16.wav", tmp_path / "a.png").ok
    low = EXAMPLES / "music_mono22k_s16.wav"
    result = spect.generate(low, tmp_path / "b.png")
    assert isinstance(result.exception, spectrust.ParameterError) and not (tmp_path / "b.png").exists()
    assert result.error == f"{low}: need 0 <= fmin < fmax, got fmin=15000 fmax=11025 (its sample rate is 22050 Hz)"
    out = spectrust.melspectrogram_batch([EXAMPLES / "music.flac", low], fmin=15000, on_error="none")
    assert out[0] is not None and out[1] is None
    with pytest.raises(spectrust.ParameterError, match="fmin"):
        spectrust.Spectrogram(fmin=300000)  # past any file's Nyquist frequency: refused at once


@pytest.mark.parametrize("n", [0, 100])
def test_signals_shorter_than_n_fft_give_librosas_shape_and_warning(n):
    y = np.zeros(n, np.float32)
    with pytest.warns(UserWarning, match=f"n_fft=2048 is too large for input signal of length={n}"):
        ours = spectrust.melspectrogram(y=y, sr=22050)
    with pytest.warns(UserWarning, match="too large"):
        ref = librosa.feature.melspectrogram(y=y, sr=22050)
    assert ours.shape == ref.shape == (128, 1)
    np.testing.assert_array_equal(ours, ref)
    with pytest.warns(UserWarning, match="too large"):
        assert spectrust.melspectrogram(y=np.zeros((2, 3, n), np.float32), sr=22050).shape == (2, 3, 128, 1)


def test_sizes_past_memory_are_parameter_errors_not_an_aborted_interpreter():
    code = """
import numpy as np, spectrust
for kw in (dict(n_fft=2**34), dict(n_mels=2**40), dict(n_fft=2**25)):
    try:
        spectrust.melspectrogram(y=np.zeros(1000, np.float32), sr=22050, **kw)
    except spectrust.ParameterError as e:
        print(type(e).__name__, e)
try:
    spectrust.mel_filters(sr=22050, n_fft=2**34)
except spectrust.ParameterError as e:
    print(type(e).__name__, e)
"""
    # Under a 6 GB address-space limit, as the report had it.
    p = subprocess.run(
        ["bash", "-c", f"ulimit -v 6000000; {sys.executable} -c '{code}'"], capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr[-2000:]
    lines = p.stdout.splitlines()
    assert len(lines) == 4 and all(line.startswith("ParameterError ") for line in lines), lines
    assert "n_fft must be between 2 and 2**24" in lines[0] and "n_mels must be between 1 and 65536" in lines[1]


@pytest.mark.parametrize("n", [300, 5000])
def test_linear_ramp_padding_and_pad_mode_ignored_without_centring(n):
    y = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    kw = dict(sr=8000, n_fft=512, hop_length=128, n_mels=20)
    ours = spectrust.melspectrogram(y=y, pad_mode="linear_ramp", **kw)
    ref = librosa.feature.melspectrogram(y=y, pad_mode="linear_ramp", **kw)
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6 * ref.max())
    for mode in ("wrap", "mean", "anything") if n >= 512 else ():  # ignored when center=False
        ours = spectrust.melspectrogram(y=y, center=False, pad_mode=mode, **kw)
        ref = librosa.feature.melspectrogram(y=y, center=False, pad_mode=mode, **kw)
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6 * ref.max())
    with pytest.raises(spectrust.ParameterError, match="pad_mode"):
        spectrust.melspectrogram(y=y, pad_mode="wrap", **kw)  # as librosa.stft refuses it
    with pytest.raises(librosa.ParameterError):
        librosa.feature.melspectrogram(y=y, pad_mode="wrap", **kw)


@pytest.mark.parametrize("window", ["triang", "bartlett", "flattop", ("kaiser", 8.0), 8.0], ids=str)
def test_any_window_librosa_takes(window):
    import scipy.signal

    y = np.random.default_rng(2).standard_normal(6000).astype(np.float32)
    kw = dict(sr=16000, n_fft=512, win_length=400, hop_length=160, n_mels=40)
    ours = spectrust.melspectrogram(y=y, window=window, **kw)
    ref = librosa.feature.melspectrogram(y=y, window=window, **kw)
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6 * ref.max())
    callable_ours = spectrust.melspectrogram(y=y, window=scipy.signal.windows.hann, **kw)
    callable_ref = librosa.feature.melspectrogram(y=y, window=scipy.signal.windows.hann, **kw)
    np.testing.assert_allclose(callable_ours, callable_ref, rtol=1e-4, atol=1e-6 * callable_ref.max())
    for name in ("nonsense", "HANN", "hanning"):  # scipy's names only, as librosa
        with pytest.raises(spectrust.ParameterError, match=f"window='{name}'"):
            spectrust.melspectrogram(y=y, window=name, **kw)
        with pytest.raises(ValueError):
            librosa.feature.melspectrogram(y=y, window=name, **kw)


@pytest.mark.parametrize(
    "kw, empty",
    [
        (dict(sr=8000, n_fft=128, n_mels=128), True),  # about as many bands as bins
        (dict(sr=8000, n_fft=256, n_mels=128), False),
        (dict(sr=22050, n_fft=2048, n_mels=128), False),  # librosa's defaults
        (dict(sr=22050, n_fft=512, n_mels=256, fmin=20.0), True),
        (dict(sr=4000, n_fft=64, n_mels=40, htk=True), True),
    ],
    ids=str,
)
def test_the_empty_filters_warning_comes_when_librosas_does(kw, empty):
    def warned(fn, **extra) -> bool:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(**kw, **extra)
        return any("Empty filters detected in mel frequency basis" in str(w.message) for w in caught)

    expected = warned(librosa.filters.mel)
    assert expected == empty and warned(spectrust.mel_filters) == expected
    y = np.random.default_rng(3).standard_normal(4000).astype(np.float32)
    mel = {k: v for k, v in kw.items() if k != "sr"}
    assert warned(lambda **k: spectrust.melspectrogram(y=y, sr=k["sr"], **mel)) == expected


def test_the_tail_block_pads_as_librosas_does():
    # librosa.stft pads its last frames from the tail block alone: a reflection longer than
    # that block bounces inside it, unlike a reflection of the whole signal.
    y = np.random.default_rng(1).standard_normal(64)
    kw = dict(sr=44100, n_fft=8, hop_length=16, window=4.5, pad_mode="reflect", power=1.0, n_mels=8, htk=True)
    np.testing.assert_allclose(
        spectrust.melspectrogram(y=y, **kw), librosa.feature.melspectrogram(y=y, **kw), rtol=1e-4, atol=1e-7
    )


def test_float64_audio_gives_float64_and_dtype_is_taken():
    y = np.random.default_rng(4).standard_normal(3000)
    assert spectrust.melspectrogram(y=y, sr=22050).dtype == librosa.feature.melspectrogram(y=y, sr=22050).dtype
    assert spectrust.mfcc(y=y, sr=22050).dtype == np.float64
    for dtype in (np.float32, np.float64):
        ours = spectrust.mel_filters(sr=22050, n_fft=512, n_mels=40, dtype=dtype)
        ref = librosa.filters.mel(sr=22050, n_fft=512, n_mels=40, dtype=dtype)
        assert ours.dtype == ref.dtype
        np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-9)
        y32, _ = spectrust.load(EXAMPLES / "music.flac", dtype=dtype, sr=None)
        assert y32.dtype == librosa.load(EXAMPLES / "music.flac", sr=None, dtype=dtype)[0].dtype
    with pytest.raises(spectrust.ParameterError, match="dtype"):
        spectrust.load(EXAMPLES / "music.flac", dtype=np.int16, sr=None)


def test_empty_signals_with_an_odd_fft_are_refused_as_by_librosa():
    y = np.zeros(0, np.float32)
    with pytest.raises(librosa.ParameterError, match="too short"):
        librosa.feature.melspectrogram(y=y, sr=22050, n_fft=15)
    with pytest.raises(spectrust.ParameterError, match="too short"):
        spectrust.melspectrogram(y=y, sr=22050, n_fft=15)


def test_an_fmin_at_mel_zero_spares_its_filter_the_warning():
    # fmin > 0 is mel 0 in float64: the first filter starts at 0 Hz and is empty, unwarned.
    kw = dict(sr=44100, n_fft=1244, n_mels=166, fmin=3.27e-76, htk=True, norm=np.inf)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ref = librosa.filters.mel(**kw)
        ours = spectrust.mel_filters(**kw)
    assert not ref[0].any() and not ours[0].any() and ours[1:].any(axis=1).all()
    assert caught == []


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: spectrust.load(EXAMPLES / "music.flac", sr=-1), "sr must be at least 0, got -1"),
        (lambda: spectrust.mel_filters(sr=22050, n_fft=512, n_mels=-1), "n_mels must be at least 0, got -1"),
        (lambda: spectrust.mel_filters(sr=22050, n_fft=-4), "n_fft must be at least 0, got -4"),
        (lambda: spectrust.mel_filters(sr=22050, n_fft=0), "n_fft must be between 2 and 2**24"),
        (lambda: spectrust.Spectrogram(quality=500), "quality must be between 1 and 100, got 500"),
        (lambda: spectrust.Spectrogram(-5, 300), "width must be at least 0, got -5"),
        (lambda: spectrust.StreamingSpectrogram(16000).pull(-1), "max_columns must be at least 0, got -1"),
        (lambda: spectrust.power_to_db(np.zeros(0)), "top_db=80 needs a non-empty S"),
        (
            lambda: spectrust.mfcc(y=np.ones(4000, np.float32), n_mels=1, n_mfcc=2, lifter=22),
            "lifter=22 needs n_mfcc <= n_mels, got n_mfcc=2 and n_mels=1",
        ),
    ],
)
def test_bad_values_are_parameter_errors_naming_parameter_value_and_range(call, message):
    with pytest.raises(spectrust.ParameterError) as raised:
        call()
    assert message in str(raised.value)


def test_negative_ref_from_a_callable_is_taken_as_librosa_takes_it():
    S = np.array([-1.0, 0.5], np.float32)
    # float32 dB levels: numpy's float32 log10 differs by a few ulp between instruction sets
    # (3.8 ulp seen between two x86-64 CPUs), so rtol=1e-5 (84 ulp at most); a ref taken
    # wrongly moves the levels by dB, not by 1e-5.
    for ref in (np.min, -2.0):
        np.testing.assert_allclose(spectrust.power_to_db(S, ref=ref), librosa.power_to_db(S, ref=ref), rtol=1e-5)


@pytest.mark.parametrize("res_type", ["soxr_vhq", "soxr_mq", "polyphase", "fft"])
def test_other_resamplers_are_librosas(res_type):
    y = np.random.default_rng(5).standard_normal((2, 5000)).astype(np.float32)
    kw = dict(orig_sr=44100, target_sr=16000, res_type=res_type)
    np.testing.assert_array_equal(spectrust.resample(y, **kw), librosa.resample(y, **kw))
    path = EXAMPLES / "music.flac"
    ours, sr = spectrust.load(path, sr=22050, res_type=res_type, mono=False, duration=2.0)
    ref, ref_sr = librosa.load(path, sr=22050, res_type=res_type, mono=False, duration=2.0)
    assert sr == ref_sr == 22050 and ours.shape == ref.shape and ours.dtype == ref.dtype
    np.testing.assert_allclose(ours, ref, atol=1e-5)
