"""The Kaldi and model front ends by name ("fbank", "ast", "seamless", "parakeet") in
extract_features, ``spectrust features`` and tf_dataset: what they store or yield equals the
numpy API on the same part of each file, and the job's parameters are recorded."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import spectrust
from conftest import EXAMPLES

DATA = Path(__file__).resolve().parent / "data"
FILES = [DATA / "speech_jfk.mp3", EXAMPLES / "music.ogg", DATA / "speech_opus.ogg"]


def samples(path, offset, duration):
    """The part of ``path`` the job reads at 16 kHz, padded with zeros to ``duration``."""
    y = spectrust.load(path, sr=16000, offset=offset, duration=duration)[0]
    return np.pad(y, (0, round(duration * 16000) - len(y)))


NUMPY_API = {
    "fbank": lambda y: spectrust.fbank(y * 32768, num_mel_bins=40),
    "ast": lambda y: spectrust.ast_features([y])["input_values"][0],
    "seamless": lambda y: spectrust.seamless_features([y])["input_features"][0],
    "parakeet": lambda y: spectrust.parakeet_features([y])["input_features"][0],
}


@pytest.mark.parametrize("feature", list(NUMPY_API))
def test_extract_features_stores_the_numpy_apis_features(tmp_path, feature):
    kwargs = {"num_mel_bins": 40} if feature == "fbank" else {}
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"ID3" + bytes(300))
    summary = spectrust.extract_features(
        [*map(str, FILES), str(broken)], tmp_path / "out", feature=feature, sr=16000, offset=0.5, duration=2.5,
        shard_size=2, workers=2, **kwargs,
    )  # fmt: skip
    assert (summary["written"], summary["failed"]) == (3, 1)
    rows = pq.read_table(sorted((tmp_path / "out").glob("shard-*.parquet"))).to_pylist()
    assert len(rows) == 3
    for row in rows:
        got = np.asarray(row["features"], dtype=np.float32).reshape(row["shape"])
        np.testing.assert_array_equal(got, NUMPY_API[feature](samples(row["path"], 0.5, 2.5)))
        assert row["sample_rate"] == 16000 and row["duration"] == 2.5
    config = json.loads((tmp_path / "out" / "__spectrust__" / "job.json").read_text())
    assert config["feature"] == feature and config["params"]["duration"] == 2.5
    assert config["params"].get("num_mel_bins") == kwargs.get("num_mel_bins")


def test_ast_by_name_with_a_duration_past_its_frames(tmp_path):
    # A duration past AST's 1024 frames (10.24 s): the job decodes only the samples those frames
    # use and the resampler's margin (10.34 s of the file's 11 s; ReadOptions::keeping, tested in
    # Rust), and stores the numpy API's features of the whole part: the same samples up to the
    # float32 rounding of the resampler's last block (1.2e-7 here, in the last 18 frames), so the
    # same log bands within 1e-3 wherever a band is within 60 dB of its frame's loudest and
    # inside the resampler's pass band (below 0.91 x 8 kHz; the 5 bands above, where the
    # resampler's filter has taken the signal down, differ by up to 1.5e-3 at 60 dB, 3.2e-3 at
    # 80 dB: that rounding against a quieter band).
    jfk = DATA / "speech_jfk.mp3"
    spectrust.extract_features([str(jfk)], tmp_path / "out", feature="ast", duration=12.0, workers=1)
    (row,) = pq.read_table(sorted((tmp_path / "out").glob("shard-*.parquet"))).to_pylist()
    got = np.asarray(row["features"], dtype=np.float32).reshape(row["shape"])
    assert got.shape == (1024, 128)
    mean, std = spectrust.ast_features.__kwdefaults__["mean"], spectrust.ast_features.__kwdefaults__["std"]
    logs = [x.astype(np.float64) * 2 * std + mean for x in (got, NUMPY_API["ast"](samples(jfk, 0.0, 12.0)))]
    loud = logs[1] >= logs[1].max(axis=1, keepdims=True) - 6 * np.log(10)  # 60 dB of power
    # Kaldi's mel bands (20 Hz to 8 kHz, 128): band i reaches up to edge i + 2.
    mel = np.linspace(1127 * np.log1p(20 / 700), 1127 * np.log1p(8000 / 700), 130)
    passband = 700 * np.expm1(mel[2:] / 1127) <= 0.91 * 8000
    assert loud.mean() > 0.8 and passband.sum() == 123
    np.testing.assert_allclose(logs[0][loud & passband], logs[1][loud & passband], atol=1e-3, rtol=0)
    np.testing.assert_allclose(logs[0], logs[1], atol=1e-2, rtol=0)


def test_the_command_line_takes_the_front_ends(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "spectrust.cli", "features", str(DATA), str(tmp_path / "out"), "--feature", "fbank",
         "--num-mel-bins", "40", "--sr", "16000", "--duration", "2.5"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert p.returncode in (0, 1), p.stderr  # tests/data holds files that are not audio
    rows = pq.read_table(sorted((tmp_path / "out").glob("shard-*.parquet"))).to_pylist()
    (jfk,) = [r for r in rows if r["path"] == "speech_jfk.mp3"]
    got = np.asarray(jfk["features"], dtype=np.float32).reshape(jfk["shape"])
    np.testing.assert_array_equal(got, NUMPY_API["fbank"](samples(DATA / "speech_jfk.mp3", 0.0, 2.5)))


def test_tf_dataset_batches_the_front_ends():
    ds = spectrust.tf_dataset(FILES, feature="seamless", duration=2.0, batch_size=2)
    batches = [b.numpy() for b in ds]
    assert [b.shape for b in batches] == [(2, 99, 160), (1, 99, 160)]
    for x, path in zip(np.concatenate(batches), FILES):
        np.testing.assert_array_equal(x, NUMPY_API["seamless"](samples(path, 0.0, 2.0)))


@pytest.mark.parametrize(
    "feature, kwargs, message",
    [
        ("ast", {"sr": 22050}, "16 kHz"),
        ("seamless", {"n_mels": 80}, "num_mel_bins"),
        ("parakeet", {"stride": 2}, "feature_size"),
        ("fbank", {"n_fft": 512}, "fbank's keywords"),
        ("ast", {"max_length": 0}, "max_length"),
    ],
    ids=str,
)
def test_bad_parameters_are_refused_before_any_input_is_read(tmp_path, feature, kwargs, message):
    with pytest.raises(spectrust.ParameterError, match=message):
        spectrust.extract_features([str(FILES[0])], tmp_path / "out", feature=feature, **kwargs)
    assert not (tmp_path / "out" / "__spectrust__" / "job.json").exists()
