"""MFCCs against librosa 0.11's feature.mfcc on real music: every DCT type and norm,
liftering, precomputed S, multichannel input, the batch over files."""

import librosa
import numpy as np
import pytest
import spectrust
from conftest import MONO22, STEREO44
from hypothesis import given, settings
from hypothesis import strategies as st


def assert_close(ours, ref):
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() <= 1e-3 * np.abs(ref).max()


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(n_mfcc=13, lifter=22),
        dict(dct_type=1, norm=None),
        dict(dct_type=1),
        dict(dct_type=3, n_mfcc=40),
        dict(norm=None, n_mels=40, htk=True, fmax=8000.0),
        dict(n_mfcc=200, n_mels=64),  # more coefficients than bands: all the bands, as librosa
        dict(mel_norm=None, n_fft=1024, hop_length=256),
    ],
)
def test_mfcc_matches_librosa_on_music(kw):
    y, sr = librosa.load(MONO22, sr=None)
    ours = spectrust.mfcc(y=y, sr=sr, **kw)
    assert ours.dtype == np.float32
    assert_close(ours, librosa.feature.mfcc(y=y, sr=sr, **kw))


def test_mfcc_of_s_and_of_many_channels():
    y, sr = librosa.load(STEREO44, sr=None, mono=False)
    assert_close(spectrust.mfcc(y=y, sr=sr, n_mfcc=13), librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13))
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=y[0], sr=sr)).astype(np.float64)
    ours = spectrust.mfcc(S=S, dct_type=3)
    assert ours.dtype == np.float64
    assert_close(ours, librosa.feature.mfcc(S=S, dct_type=3))


@settings(max_examples=20, deadline=None)
@given(
    n_mels=st.integers(2, 96),
    n_mfcc=st.integers(1, 40),
    dct_type=st.sampled_from([1, 2, 3]),
    norm=st.sampled_from([None, "ortho"]),
    lifter=st.sampled_from([0, 10, 22]),
    seed=st.integers(0, 2**32 - 1),
)
def test_mfcc_dct_matches_scipy(n_mels, n_mfcc, dct_type, norm, lifter, seed):
    S = np.random.default_rng(seed).uniform(-80, 0, (n_mels, 30)).astype(np.float32)
    kw = dict(S=S, n_mfcc=n_mfcc, dct_type=dct_type, norm=norm, lifter=lifter)
    if lifter and n_mfcc > n_mels:
        # librosa cannot broadcast its lifter over fewer bands: both refuse (spectrust naming why).
        with pytest.raises(ValueError):
            librosa.feature.mfcc(**kw)
        with pytest.raises(spectrust.ParameterError, match=r"lifter=.* needs n_mfcc <= n_mels"):
            spectrust.mfcc(**kw)
        return
    assert_close(spectrust.mfcc(**kw), librosa.feature.mfcc(**kw))


def test_mfcc_batch_equals_one_by_one(tmp_path, bad_inputs):
    paths = [MONO22, STEREO44, bad_inputs["text"]]
    out = spectrust.mfcc_batch(paths, n_mfcc=13, lifter=22, on_error="none", workers=2)
    assert out[2] is None
    for p, M in zip(paths[:2], out[:2]):
        y, sr = spectrust.load(p, sr=None)
        np.testing.assert_allclose(M, spectrust.mfcc(y=y, sr=sr, n_mfcc=13, lifter=22), atol=1e-4)
    with pytest.raises(spectrust.UnsupportedFormatError, match="text"):
        spectrust.mfcc_batch(paths)
    with pytest.raises(TypeError, match="mfcc_batch"):
        spectrust.mfcc_batch(paths, n_mel=3)


def test_mfcc_parameter_errors():
    S = np.zeros((40, 10), dtype=np.float32)
    for kw, word in [
        (dict(dct_type=4), "dct_type"),
        (dict(norm="backward"), "norm"),
        (dict(lifter=-1), "lifter"),
        (dict(n_mfcc=0), "n_mfcc"),
    ]:
        with pytest.raises(spectrust.ParameterError, match=word):
            spectrust.mfcc(S=S, **kw)
