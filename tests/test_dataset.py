"""spectrust features / extract_features: shards read back by their own libraries equal the
numpy API; the manifest; refusing a changed job; resuming after kill -9; Dask."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.dataset
import pyarrow.parquet as pq
import pytest
import spectrust
import webdataset as wds
from conftest import COMPRESSED, EXAMPLES

DATA = Path(__file__).resolve().parent / "data"
PARAMS = dict(sr=16000, duration=3.0, n_mels=40, n_fft=512, hop_length=256)


def audio_tree(root: Path, copies: int = 1) -> Path:
    """Real clips in a two-level tree (``copies`` of each under other names), plus one broken
    file and a file that is not audio."""
    names = [*sorted(COMPRESSED), "music_mono22k_s16.wav", "music_stereo44k_s24.wav"]
    for c in range(copies):
        for k, name in enumerate(names):
            folder = root / f"set{c}" / ("a" if k % 2 else "b")
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(EXAMPLES / name, folder / name)
    (root / "set0" / "broken.mp3").write_bytes(b"ID3" + bytes(300))
    (root / "set0" / "notes.txt").write_text("not audio, not picked up")
    return root


def expected(root: Path, path: str, feature="mel", **params) -> np.ndarray:
    if feature == "mfcc":
        return spectrust.mfcc_batch([root / path], **params)[0]
    return spectrust.melspectrogram_batch([root / path], **params)[0]


def cli(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "spectrust.cli", "features", *map(str, args)], capture_output=True, text=True, **kwargs
    )


def manifest(out: Path) -> list:
    return [json.loads(line) for line in (out / "__spectrust__" / "manifest.jsonl").read_text().splitlines()]


def test_parquet_shards_read_back_with_pyarrow_equal_the_numpy_api(tmp_path):
    root = audio_tree(tmp_path / "in")
    p = cli(root, tmp_path / "out", "--shard-size", 4, "--sr", 16000, "--duration", 3.0, "--n-mels", 40,
            "--n-fft", 512, "--hop-length", 256)  # fmt: skip
    assert p.returncode == 1  # the broken file
    assert re_summary(p.stdout) == (10, 1, 0)
    table = pq.read_table(sorted((tmp_path / "out").glob("shard-*.parquet")))
    assert table.schema.field("features").type.value_type == "float" and len(table) == 10
    for row in table.to_pylist():
        features = np.asarray(row["features"], dtype=np.float32).reshape(row["shape"])
        np.testing.assert_array_equal(features, expected(root, row["path"], **PARAMS))
        # The audio used, padding not counted: the clip's first 3 s, or all of a shorter one.
        y, _ = spectrust.load(root / row["path"], sr=16000, duration=3.0)
        assert row["sample_rate"] == 16000 and row["duration"] == len(y) / 16000 and row["cut"] is False
    records = manifest(tmp_path / "out")
    assert [r["path"] for r in records] == sorted(r["path"] for r in records) and len(records) == 11
    (bad,) = [r for r in records if not r["ok"]]
    assert bad["path"] == "set0/broken.mp3" and bad["error"].startswith(str(root / "set0" / "broken.mp3") + ": ")
    assert {r["shard"] for r in records} == {0, 1, 2}


def re_summary(text: str) -> tuple:
    import re

    m = re.search(r"(\d+) written, (\d+) failed, (\d+) skipped in \d+\.\d\d s", text)
    return tuple(int(g) for g in m.groups())


def test_float16_and_whole_files(tmp_path):
    root = audio_tree(tmp_path / "in")
    summary = spectrust.extract_features(root, tmp_path / "out", dtype="float16", feature="log_mel", n_mels=32)
    assert (summary["written"], summary["failed"], summary["skipped"]) == (10, 1, 0)
    table = pq.read_table(tmp_path / "out" / "shard-00000.parquet")
    assert str(table.schema.field("features").type.value_type) == "halffloat"
    for row in table.to_pylist():
        y, sr = spectrust.load(root / row["path"], sr=None)
        assert row["sample_rate"] == sr and row["duration"] == len(y) / sr  # each file whole, its own rate
        mel = spectrust.power_to_db(spectrust.melspectrogram_batch([root / row["path"]], n_mels=32)[0])
        features = np.asarray(row["features"], dtype=np.float16).reshape(row["shape"])
        np.testing.assert_array_equal(features, mel.astype(np.float16))


def test_webdataset_shards_read_back_with_webdataset(tmp_path):
    root = audio_tree(tmp_path / "in")
    params = dict(sr=16000, duration=2.0, n_mfcc=13)
    spectrust.extract_features(root, tmp_path / "out", feature="mfcc", format="webdataset", shard_size=3, **params)
    shards = sorted(str(p) for p in (tmp_path / "out").glob("shard-*.tar"))
    assert len(shards) == 4
    samples = list(wds.WebDataset(shards, shardshuffle=False).decode())
    assert len(samples) == 10
    for sample in samples:
        meta = sample["json"]
        np.testing.assert_array_equal(sample["npy"], expected(root, meta["path"], feature="mfcc", **params))
        y, _ = spectrust.load(root / meta["path"], sr=16000, duration=2.0)
        assert meta["sample_rate"] == 16000 and meta["duration"] == len(y) / 16000 and meta["cut"] is False


def test_npy_files_mirror_the_tree_and_a_list_file_is_an_input(tmp_path):
    root = audio_tree(tmp_path / "in")
    listing = root / "list.txt"
    listing.write_text("# two files\nset0/a/complete.oga\n\nset0/b/bell.oga\n" + str(EXAMPLES / "music.ogg") + "\n")
    summary = spectrust.extract_features(listing, tmp_path / "out", format="npy", **PARAMS)
    assert summary["written"] == 3
    np.testing.assert_array_equal(
        np.load(tmp_path / "out" / "set0" / "a" / "complete.oga.npy"), expected(root, "set0/a/complete.oga", **PARAMS)
    )
    absolute = tmp_path / "out" / str(EXAMPLES / "music.ogg").lstrip("/")
    np.testing.assert_array_equal(
        np.load(f"{absolute}.npy"), expected(Path("/"), str(EXAMPLES / "music.ogg"), **PARAMS)
    )
    assert [r["path"] for r in manifest(tmp_path / "out")][:2] == ["set0/a/complete.oga", "set0/b/bell.oga"]


def test_whisper_features_in_parquet(tmp_path):
    spectrust.extract_features([str(DATA / "speech_jfk.mp3")], tmp_path / "out", feature="whisper")
    row = pq.read_table(tmp_path / "out" / "shard-00000.parquet").to_pylist()[0]
    # The audio's own length (11 s), not the 30 s window it was padded to.
    assert row["shape"] == [80, 3000] and row["sample_rate"] == 16000 and row["duration"] == 11.0
    assert row["cut"] is False
    features = np.asarray(row["features"], dtype=np.float32).reshape(80, 3000)
    np.testing.assert_array_equal(features, spectrust.whisper_features(DATA / "speech_jfk.mp3")["input_features"][0])


def test_a_rerun_with_other_parameters_is_refused_naming_them_and_the_same_one_skips_finished_shards(tmp_path):
    root = audio_tree(tmp_path / "in")
    spectrust.extract_features(root, tmp_path / "out", shard_size=5, **PARAMS)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("shard-*")}
    p = cli(root, tmp_path / "out", "--shard-size", 5, "--n-mels", 64)
    assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
    # The parameters that differ, named, with both values; no other.
    assert "holds a job with other params.duration (None; OUT has 3.0), params.hop_length" in p.stderr
    assert "params.n_mels (64; OUT has 40)" in p.stderr and "shard_size" not in p.stderr
    again = spectrust.extract_features(root, tmp_path / "out", shard_size=5, **PARAMS)
    # Only the broken file's shard (the last, alone) is tried again.
    assert (again["written"], again["failed"], again["skipped"], again["retried"]) == (0, 1, 10, 1)
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("shard-*")}
    assert before.keys() == after.keys() and len(before) == 3
    assert all(before[p] == after[p] for p in before if p.name != "shard-00002.parquet")
    (root / "set0" / "new.wav").write_bytes((EXAMPLES / "music_mono8k_u8.wav").read_bytes())
    with pytest.raises(spectrust.ParameterError, match=r"other source\.inputs"):
        spectrust.extract_features(root, tmp_path / "out", shard_size=5, **PARAMS)


def test_resume_after_kill_9_redoes_only_unfinished_shards(tmp_path):
    root = audio_tree(tmp_path / "in", copies=6)  # 61 inputs, 21 shards
    args = [root, tmp_path / "out", "--shard-size", 3, "--workers", 1, "--sr", 16000, "--n-mels", 40]
    proc = subprocess.Popen([sys.executable, "-m", "spectrust.cli", "features", *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    parts = tmp_path / "out" / "__spectrust__" / "manifest.d"
    while proc.poll() is None and len(list(parts.glob("*.jsonl")) if parts.is_dir() else []) < 4:
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # A finished shard with a failed input (the broken file) is redone by the rerun.
    done = {p.name for p in parts.glob("*.jsonl") if '"ok": false' not in p.read_text()}
    assert 3 <= len(done) < 21 and not (tmp_path / "out" / "__spectrust__" / "manifest.jsonl").exists()
    kept = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("shard-*")}
    p = cli(*args, "--json")
    written, failed, skipped = re_summary(p.stderr)
    assert p.returncode == (1 if failed else 0), p.stderr
    rerun = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(rerun) == written + failed == 61 - 3 * len(done)  # only the unfinished shards' inputs
    assert skipped == 3 * len(done)
    for shard, mtime in kept.items():  # finished shards were not written again
        if f"{shard.name.split('.')[0]}.jsonl" in done:
            assert shard.stat().st_mtime_ns == mtime
    assert list((tmp_path / "out").rglob(".spectrust-*")) == []
    # The same as an uninterrupted run.
    spectrust.extract_features(root, tmp_path / "whole", shard_size=3, sr=16000, n_mels=40)
    assert manifest(tmp_path / "out") == manifest(tmp_path / "whole")
    for shard in sorted((tmp_path / "whole").glob("shard-*.parquet")):
        assert pq.read_table(shard).equals(pq.read_table(tmp_path / "out" / shard.name))


def test_dask_local_cluster_gives_the_local_output(tmp_path):
    from distributed import Client, LocalCluster

    root = audio_tree(tmp_path / "in", copies=2)
    local = spectrust.extract_features(root, tmp_path / "local", shard_size=4, **PARAMS)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            remote = spectrust.extract_features(root, tmp_path / "dask", shard_size=4, client=client, **PARAMS)
            assert len(client.scheduler_info()["workers"]) == 2
    assert (remote["written"], remote["failed"]) == (local["written"], local["failed"]) == (20, 1)
    assert manifest(tmp_path / "dask") == manifest(tmp_path / "local")
    for shard in sorted((tmp_path / "local").glob("shard-*.parquet")):
        assert pq.read_table(shard).equals(pq.read_table(tmp_path / "dask" / shard.name))


def test_parquet_shards_load_in_pandas_and_hugging_face_datasets(tmp_path):
    import datasets
    import pandas as pd

    root = audio_tree(tmp_path / "in")
    spectrust.extract_features(root, tmp_path / "out", shard_size=4, dtype="float16", **PARAMS)
    # OUT as it is, the job's own files beside the shards (each reader skips __spectrust__/).
    out = str(tmp_path / "out")
    frame = pd.read_parquet(out)
    ds = datasets.load_dataset("parquet", data_dir=out, split="train", cache_dir=str(tmp_path / "hf"))
    table = pyarrow.dataset.dataset(out).to_table()
    columns = ["path", "sample_rate", "duration", "cut", "shape", "features"]
    assert len(frame) == len(ds) == table.num_rows == 10 and list(ds.features) == table.column_names == columns
    assert table.equals(pq.read_table(sorted((tmp_path / "out").glob("shard-*.parquet"))))
    for k in (0, 9):
        mel = expected(root, frame["path"][k], **PARAMS).astype(np.float16)
        np.testing.assert_array_equal(np.asarray(frame["features"][k]).reshape(frame["shape"][k]), mel)
        row = ds.with_format("numpy")[k]
        assert row["path"] == frame["path"][k]
        np.testing.assert_array_equal(row["features"].reshape(row["shape"]), mel)


def test_an_fsspec_url_as_output(tmp_path):
    # An object store's code path (whole objects, no rename), on fsspec's in-memory store.
    import fsspec

    root = audio_tree(tmp_path / "in")
    summary = spectrust.extract_features(root, "memory://bucket/feats", shard_size=4, **PARAMS)
    assert (summary["written"], summary["failed"]) == (10, 1)
    fs = fsspec.filesystem("memory")
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.ls("/bucket/feats", detail=False))
    assert names == ["__spectrust__", *[f"shard-0000{k}.parquet" for k in range(3)]]
    assert sorted(p.rsplit("/", 1)[-1] for p in fs.ls("/bucket/feats/__spectrust__", detail=False)) == [
        "job.json",
        "manifest.d",
        "manifest.jsonl",
    ]
    with fs.open("/bucket/feats/shard-00001.parquet", "rb") as f:
        table = pq.read_table(f)
    local = spectrust.extract_features(root, tmp_path / "out", shard_size=4, **PARAMS)
    assert local["written"] == 10 and table.equals(pq.read_table(tmp_path / "out" / "shard-00001.parquet"))
    again = spectrust.extract_features(root, "memory://bucket/feats", shard_size=4, **PARAMS)
    assert (again["skipped"], again["retried"], again["failed"]) == (8, 1, 1)  # the broken file's shard redone
