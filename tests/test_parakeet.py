"""spectrust.parakeet_features against transformers' ParakeetFeatureExtractor (which needs
PyTorch: its outputs were made once by tests/data/make_frontend_refs.py on the same clips)."""

import sys
from pathlib import Path

import numpy as np
import pytest
import spectrust

DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(DATA))
import make_frontend_refs  # noqa: E402

REFS = np.load(DATA / "frontend_refs.npz")
CLIPS = make_frontend_refs.parakeet_clips(make_frontend_refs.clip_samples())


def test_features_are_the_extractors_alone_and_in_a_padded_batch():
    before = [y.copy() for y in CLIPS]
    got = spectrust.parakeet_features(CLIPS, workers=2)
    for y, was in zip(CLIPS, before):
        np.testing.assert_array_equal(y, was)  # the inputs are pre-emphasised in a copy
    frames = int(REFS["parakeet_batch_frames"])
    assert got["input_features"].shape == (3, frames, 80) and got["input_features"].dtype == np.float32
    np.testing.assert_array_equal(got["attention_mask"], REFS["parakeet_batch_mask"])
    for k, y in enumerate(CLIPS):
        want = REFS[f"parakeet_{k}"].astype(np.float64) * make_frontend_refs.PARAKEET_UNIT
        np.testing.assert_allclose(got["input_features"][k, : len(want)], want, atol=1e-3, rtol=0)
        assert not got["input_features"][k, len(want) :].any()
        alone = spectrust.parakeet_features([y])
        assert alone["input_features"].shape == (1, len(want), 80)
        np.testing.assert_array_equal(alone["input_features"][0], got["input_features"][k, : len(want)])
        assert alone["attention_mask"][0].sum() == len(y) // 160


def test_each_band_is_normalised_over_the_inputs_own_frames():
    got = spectrust.parakeet_features([DATA / "speech_jfk.mp3"])
    x, mask = got["input_features"][0], got["attention_mask"][0]
    own = x[mask]
    np.testing.assert_allclose(own.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(own.std(axis=0, ddof=1), 1.0, atol=1e-3)
    assert not x[~mask].any()


def test_files_padding_and_truncation():
    path = DATA / "speech_opus.ogg"
    y = spectrust.load(path, sr=16000)[0]
    np.testing.assert_array_equal(
        spectrust.parakeet_features([path])["input_features"], spectrust.parakeet_features([y])["input_features"]
    )
    padded = spectrust.parakeet_features([y[:16000]], padding="max_length", max_length=32000)
    assert padded["input_features"].shape == (1, 201, 80) and padded["attention_mask"].sum() == 100
    cut = spectrust.parakeet_features([path, y], truncation=True, max_length=8000, padding="max_length")
    assert cut["input_features"].shape == (2, 51, 80)
    alone = spectrust.parakeet_features([y[:8000]])["input_features"][0]
    np.testing.assert_array_equal(cut["input_features"][1], alone)
    np.testing.assert_allclose(cut["input_features"][0], cut["input_features"][1], atol=1e-3)
    plain = spectrust.parakeet_features([y], preemphasis=None)["input_features"]
    assert not np.allclose(plain, spectrust.parakeet_features([y])["input_features"], atol=0.1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"padding": "sideways"}, "padding"),
        ({"truncation": True}, "max_length"),
        ({"feature_size": 0}, "n_mels|feature_size"),
        ({"pad_to_multiple_of": 0}, "pad_to_multiple_of"),
    ],
    ids=str,
)
def test_bad_parameters_are_parameter_errors(kwargs, message):
    with pytest.raises(spectrust.ParameterError, match=message):
        spectrust.parakeet_features(CLIPS[:1], **kwargs)
