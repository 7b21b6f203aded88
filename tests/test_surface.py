"""One surface for every feature function: the same inputs everywhere (one or many; a path, an
os.PathLike, bytes, a binary file object, samples as a 1-D float array or any object with
``__array__``; ragged lists), and each reference's own call, so that code written for
transformers, torchaudio or librosa runs with spectrust swapped in."""

import io
import sys
from pathlib import Path

import librosa
import numpy as np
import pytest
import spectrust
from conftest import EXAMPLES
from transformers import SeamlessM4TFeatureExtractor, WhisperFeatureExtractor

DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(DATA))
import make_frontend_refs  # noqa: E402

SPEECH = DATA / "speech_jfk.mp3"
OPUS = DATA / "speech_opus.ogg"


class ArrayLike:
    """An object with ``__array__`` and nothing else (as a torch tensor on the CPU)."""

    def __init__(self, y):
        self.y = y

    def __array__(self, dtype=None, copy=None):
        return self.y if dtype is None else self.y.astype(dtype)


#: Every feature function, called with one input or many (at 16 kHz, the rate of the samples
#: below), and what it returns as one array per input.
FUNCTIONS = {
    "melspectrogram_batch": (
        lambda x, **kw: spectrust.melspectrogram_batch(x, sr=16000, n_fft=400, hop_length=160, **kw),
        lambda out: out,
    ),
    "mfcc_batch": (lambda x, **kw: spectrust.mfcc_batch(x, sr=16000, **kw), lambda out: out),
    "fbank": (lambda x, **kw: spectrust.fbank(x, sample_frequency=16000, **kw), lambda out: out),
    "whisper_features": (spectrust.whisper_features, lambda out: list(out["input_features"])),
    "ast_features": (spectrust.ast_features, lambda out: list(out["input_values"])),
    "seamless_features": (spectrust.seamless_features, lambda out: list(out["input_features"])),
    "parakeet_features": (spectrust.parakeet_features, lambda out: list(out["input_features"])),
}

#: Functions whose reference (transformers) gives one input a batch of one; the others
#: (torchaudio, librosa) give it one result.
BATCH_OF_ONE = {"whisper_features", "ast_features", "seamless_features", "parakeet_features"}


def input_kinds():
    """Each kind of input, made anew (a file object is read once), for the two clips, and the
    kind of the reference it must equal: files equal the path, samples equal the float32
    array."""
    y = spectrust.load(OPUS, sr=16000)[0]
    return {
        "str": (lambda: str(OPUS), "file"),
        "PathLike": (lambda: OPUS, "file"),
        "bytes": (lambda: OPUS.read_bytes(), "file"),
        "bytearray": (lambda: bytearray(OPUS.read_bytes()), "file"),
        "memoryview": (lambda: memoryview(OPUS.read_bytes()), "file"),
        "BytesIO": (lambda: io.BytesIO(OPUS.read_bytes()), "file"),
        "open file": (lambda: open(OPUS, "rb"), "file"),
        "float32": (lambda: y, "samples"),
        "float64": (lambda: y.astype(np.float64), "samples"),
        "strided": (lambda: np.repeat(y, 2)[::2], "samples"),
        "__array__": (lambda: ArrayLike(y), "samples"),
    }


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_every_function_takes_every_kind_of_input_alone_and_in_ragged_lists(function):
    call, arrays = FUNCTIONS[function]
    kinds = input_kinds()
    reference = {}
    for kind, (make, like) in kinds.items():
        out = call(make())
        got = arrays(out)
        if function in BATCH_OF_ONE:
            assert len(got) == 1, kind
            got = got[0]
        assert isinstance(got, np.ndarray) and got.dtype == np.float32, kind
        if like in reference:
            np.testing.assert_allclose(got, reference[like], atol=1e-5, err_msg=kind)
        else:
            reference[like] = got
    # A ragged list of every kind at once (and a short clip): one result per input, in order.
    short = spectrust.load(SPEECH, sr=16000, duration=1.3)[0]
    many = [make() for make, _ in kinds.values()] + [short]
    got = arrays(call(many))
    assert len(got) == len(many)
    singles = [
        arrays(call(make()))[0] if function in BATCH_OF_ONE else arrays(call(make())) for make, _ in kinds.values()
    ]
    if function not in ("seamless_features", "parakeet_features"):  # these pad the batch to its longest
        for k, want in enumerate(singles):
            np.testing.assert_allclose(got[k], want, atol=1e-5, err_msg=list(kinds)[k])
        alone = arrays(call(short))
        np.testing.assert_allclose(got[-1], alone[0] if function in BATCH_OF_ONE else alone, atol=1e-5)


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_every_function_refuses_the_same_bad_inputs_the_same_way(function, tmp_path):
    call, _ = FUNCTIONS[function]
    with pytest.raises(spectrust.ParameterError, match="floating-point"):
        call(np.zeros(16000, dtype=np.int16))
    with pytest.raises(spectrust.ParameterError, match="shape"):
        call([np.zeros((2, 2, 100), dtype=np.float32)])
    with pytest.raises(TypeError, match="got int"):
        call(42)
    with pytest.raises(FileNotFoundError):
        call(tmp_path / "missing.wav")
    with pytest.raises(spectrust.UnsupportedFormatError, match="<bytes>"):
        call(b"not audio at all" * 20)
    with pytest.raises(spectrust.ParameterError, match="not finite"):
        call(np.full(16000, np.nan, dtype=np.float32))
    # on_error="none": the batch goes on past a bad input.
    call([SPEECH, tmp_path / "missing.wav"], on_error="none")


def test_load_defaults_to_librosas_22050_hz():
    y, sr = spectrust.load(EXAMPLES / "music.flac")
    want, want_sr = librosa.load(EXAMPLES / "music.flac")
    assert sr == want_sr == 22050 and y.shape == want.shape
    assert np.abs(y - want).max() < 1e-3


def test_librosa_batch_habits_with_ragged_arrays():
    # What a Hugging Face dataset yields: arrays of several lengths.
    y = spectrust.load(SPEECH, sr=16000)[0]
    arrays = [y[:16000], y[5000:45000], y[:9000].astype(np.float64)]
    got = spectrust.melspectrogram_batch(arrays, sr=16000)
    for a, g in zip(arrays, got):
        want = librosa.feature.melspectrogram(y=a.astype(np.float32), sr=16000)
        assert g.shape == want.shape
        np.testing.assert_allclose(g, want, rtol=1e-3, atol=1e-6 * want.max())
    mfccs = spectrust.mfcc_batch(arrays, sr=16000, n_mfcc=13)
    for a, g in zip(arrays, mfccs):
        np.testing.assert_allclose(g, librosa.feature.mfcc(y=a.astype(np.float32), sr=16000, n_mfcc=13), atol=2e-3)
    with pytest.raises(spectrust.ParameterError, match="sr="):
        spectrust.melspectrogram_batch(arrays)
    # A pandas column's values: a 1-D array of arrays.
    column = np.empty(len(arrays), dtype=object)
    column[:] = arrays
    for a, b in zip(spectrust.melspectrogram_batch(column, sr=16000), got):
        np.testing.assert_array_equal(a, b)


def transformers_style(extract, batch, **kw):
    """Code written for a transformers feature extractor."""
    return extract(batch, sampling_rate=16000, return_tensors="np", **kw)["input_features"]


@pytest.mark.parametrize(
    "reference, ours, kw",
    [
        (WhisperFeatureExtractor(), spectrust.whisper_features, {}),
        (
            WhisperFeatureExtractor(feature_size=128),
            lambda *a, **k: spectrust.whisper_features(*a, feature_size=128, **k),
            {},
        ),
        (WhisperFeatureExtractor(), spectrust.whisper_features, dict(padding="longest")),
        (WhisperFeatureExtractor(), spectrust.whisper_features, dict(do_normalize=True, device="cpu")),
        (SeamlessM4TFeatureExtractor(), spectrust.seamless_features, {}),
        (
            SeamlessM4TFeatureExtractor(),
            spectrust.seamless_features,
            dict(padding="max_length", max_length=160, truncation=True),
        ),
    ],
)
def test_transformers_code_runs_with_the_module_swapped(reference, ours, kw):
    y = spectrust.load(SPEECH, sr=16000)[0]
    batch = [y[:40000], y[30000:60000], y[:20000]]
    want = transformers_style(reference, batch, **kw)
    got = transformers_style(ours, batch, **kw)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.abs(got - want).max() < 1e-3
    # One input: a batch of one, as transformers.
    assert np.abs(transformers_style(ours, batch[0], **kw) - transformers_style(reference, batch[0], **kw)).max() < 1e-3
    # Masks where asked for, as transformers'.
    want_mask = reference(batch, sampling_rate=16000, return_attention_mask=True, return_tensors="np", **kw)
    got_mask = ours(batch, sampling_rate=16000, return_attention_mask=True, return_tensors="np", **kw)
    np.testing.assert_array_equal(got_mask.attention_mask, want_mask["attention_mask"])
    # Arrays at another rate raise transformers' ValueError.
    with pytest.raises(ValueError):
        reference(batch, sampling_rate=44100)
    with pytest.raises(ValueError, match="16000 Hz"):
        ours(batch, sampling_rate=44100)


@pytest.mark.parametrize("function", sorted(BATCH_OF_ONE))
def test_model_front_ends_speak_transformers(function):
    call = getattr(spectrust, function)
    y = spectrust.load(SPEECH, sr=16000)[0][:24000]
    out = call([y, y[:8000]], sampling_rate=16000, sr=16000)
    key = "input_values" if function == "ast_features" else "input_features"
    assert isinstance(out, dict) and getattr(out, key) is out[key]
    with pytest.raises(spectrust.ParameterError, match="differ"):
        call(y, sampling_rate=16000, sr=8000)
    # Files are read at 16 kHz whatever their rate: a rate given with files only is not refused.
    call(SPEECH, sampling_rate=44100)
    with pytest.raises(spectrust.ParameterError, match="return_tensors"):
        call(y, return_tensors="jax")
    import tensorflow as tf

    tensor = call(y, return_tensors="tf")[key]
    assert isinstance(tensor, tf.Tensor) and np.array_equal(tensor.numpy(), out[key][:1])
    try:
        import torch
    except ImportError:
        with pytest.raises(spectrust.ParameterError, match="PyTorch"):
            call(y, return_tensors="pt")
    else:
        tensor = torch.from_numpy(y)
        assert np.array_equal(call(tensor, return_tensors="pt")[key].numpy(), out[key][:1])
    # on_error="none": a failed input's row is padding, its mask 0, and its error is given.
    bad = call([y, b"not audio" * 30], on_error="none")
    assert bad["errors"][0] is None and isinstance(bad["errors"][1], spectrust.DecodeError)
    if "attention_mask" in bad:
        assert not np.asarray(bad["attention_mask"])[1].any()


def test_torchaudio_fbank_code_runs_with_the_module_swapped():
    # torchaudio.compliance.kaldi.fbank's outputs, computed once (make_frontend_refs.py) on the
    # (1, n) and (2, n) waveforms torchaudio.load gives.
    refs = np.load(DATA / "torchaudio_fbank_refs.npz")
    waveform = make_frontend_refs.stereo_waveform()
    for name, kw in make_frontend_refs.FBANK_CALLS.items():
        w = waveform[:1] if name == "mono80" else waveform
        got = spectrust.fbank(w * 32768, sample_frequency=16000, **kw)
        want = refs[name].astype(np.float32) * make_frontend_refs.FBANK_UNIT
        assert got.shape == want.shape, name
        assert np.abs(got - want).max() < 1e-3, name
    # Many waveforms as a list give a list.
    got = spectrust.fbank([waveform[0] * 32768, waveform[1] * 32768], num_mel_bins=80)
    want = refs["right80"].astype(np.float32) * make_frontend_refs.FBANK_UNIT
    assert isinstance(got, list) and np.abs(got[1] - want).max() < 1e-3


def test_a_file_is_what_load_gives():
    # Every function reads a file as load(x, sr=16000) gives it (mono, resampled), whatever the
    # function: the one input model.
    y = spectrust.load(EXAMPLES / "music_stereo44k_s16.wav", sr=16000, offset=1.0, duration=2.0)[0]
    kw = dict(offset=1.0, duration=2.0)
    path = EXAMPLES / "music_stereo44k_s16.wav"
    for function, (call, arrays) in FUNCTIONS.items():
        from_file, from_samples = arrays(call(path, **kw)), arrays(call(y))
        if function in BATCH_OF_ONE:
            from_file, from_samples = from_file[0], from_samples[0]
        np.testing.assert_allclose(from_file, from_samples, atol=1e-5, err_msg=function)
