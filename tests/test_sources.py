"""The dataset job's sources, with the real parts: Parquet in the Hugging Face Hub's layout
(written by pyarrow and by ``datasets``), WebDataset tars (written by webdataset), segments
manifests (JSON lines, CSV), an S3 API (moto's server) for ``s3://``, a local Ray cluster; and
the job's guards (parameters checked before writing, a rerun retrying failures)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.dataset
import pyarrow.parquet as pq
import pytest
import spectrust
import webdataset as wds
from conftest import EXAMPLES, write_wav

DATA = Path(__file__).resolve().parent / "data"
SPEECH = DATA / "speech_jfk.mp3"
CLIPS = [SPEECH, EXAMPLES / "music.mp3", EXAMPLES / "bell.oga", EXAMPLES / "music.flac", EXAMPLES / "complete.oga"]


def cli(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "spectrust.cli", "features", *map(str, args)], capture_output=True, text=True, **kwargs
    )


def whisper(audio, **read) -> np.ndarray:
    return spectrust.whisper_features(audio, **read)["input_features"][0]


def rows(out) -> list:
    """OUT read whole by pyarrow.dataset, as dicts (row order: the shards', then within them)."""
    return pyarrow.dataset.dataset(str(out)).to_table().to_pylist()


def features(row: dict) -> np.ndarray:
    return np.asarray(row["features"], dtype=np.float32).reshape(row["shape"])


def long_clip(tmp_path: Path) -> Path:
    """A 32 s recording (longer than Whisper's 30 s window)."""
    y, sr = spectrust.load(EXAMPLES / "music_mono22k_s16.wav", sr=None)
    return write_wav(tmp_path / "long.wav", np.tile(y, int(np.ceil(32 * sr / len(y))))[: 32 * sr], sr)


def hub_parquet(folder: Path, clips: list, per_file: int = 3) -> list:
    """Parquet files as the Hub holds them: an ``audio`` struct of bytes and path, a text and a
    label column; row groups of 2 rows. Returns the rows."""
    folder.mkdir(parents=True)
    table = [
        {"audio": {"bytes": c.read_bytes(), "path": c.name}, "text": f"text {k}", "label": k}
        for k, c in enumerate(clips)
    ]
    for f, start in enumerate(range(0, len(table), per_file)):
        part = pa.Table.from_pylist(table[start : start + per_file])
        pq.write_table(part, folder / f"train-{f:05d}-of-{-(-len(table) // per_file):05d}.parquet", row_group_size=2)
    return table


def test_hub_parquet_whisper_rows_keep_key_columns_and_true_duration(tmp_path):
    clips = [*CLIPS, long_clip(tmp_path)]
    table = hub_parquet(tmp_path / "hub" / "data", clips)
    table[2]["audio"]["bytes"] = b"not audio"
    pq.write_table(pa.Table.from_pylist(table[:3]), next((tmp_path / "hub" / "data").glob("train-00000-*")))
    p = cli(tmp_path / "hub", tmp_path / "out", "--feature", "whisper", "--shard-size", 2)
    assert p.returncode == 1 and "1 failed" in p.stdout
    assert f"{tmp_path / 'hub'}/data/train-00000-of-00002.parquet:row 2 (bell.oga): " in p.stderr
    got = rows(tmp_path / "out")
    assert len(got) == len(clips) - 1
    for row in got:
        k = row["label"]
        assert row["text"] == f"text {k}" and row["path"] == clips[k].name
        assert (row["source_file"], row["source_row"]) == (f"data/train-0000{k // 3}-of-00002.parquet", k % 3)
        y, _ = spectrust.load(clips[k], sr=16000)
        assert row["duration"] == min(len(y), 480000) / 16000 and row["cut"] == (len(y) > 480000)
        np.testing.assert_array_equal(features(row), whisper(clips[k].read_bytes()))
    assert [r["cut"] for r in got].count(True) == 1


def test_parquet_written_by_datasets_and_the_audio_column_named(tmp_path):
    import datasets

    schema = datasets.Features(
        {
            "clip": datasets.Audio(decode=False),
            "other": datasets.Audio(decode=False),
            "sentence": datasets.Value("string"),
        }
    )
    clip = lambda c: {"bytes": c.read_bytes(), "path": c.name}  # noqa: E731
    table = pa.Table.from_pydict(
        {"clip": [clip(c) for c in CLIPS[:3]], "other": [clip(CLIPS[3])] * 3, "sentence": ["a", "b", "c"]}
    )
    # The features of the Hub's schema metadata (datasets encodes audio only with torchcodec).
    ds = datasets.Dataset(table, info=datasets.DatasetInfo(features=schema))
    ds.to_parquet(str(tmp_path / "cv.parquet"))
    with pytest.raises(spectrust.ParameterError, match="audio columns: several"):
        spectrust.extract_features(tmp_path / "cv.parquet", tmp_path / "out", feature="mfcc", sr=16000)
    assert not (tmp_path / "out").exists()  # refused before writing anything
    summary = spectrust.extract_features(
        tmp_path / "cv.parquet", tmp_path / "out", feature="mfcc", sr=16000, n_mfcc=13, audio_column="clip"
    )
    assert (summary["written"], summary["failed"]) == (3, 0)
    got = rows(tmp_path / "out")
    assert [r["sentence"] for r in got] == ["a", "b", "c"] and "other" in got[0]
    for row, c in zip(got, CLIPS):
        np.testing.assert_array_equal(features(row), spectrust.mfcc_batch([c], sr=16000, n_mfcc=13)[0])


def write_tars(folder: Path, clips: list, per_tar: int = 2) -> list:
    """WebDataset shards as webdataset writes them: ``<key>.<ext>``, ``.json``, ``.txt``."""
    folder.mkdir(parents=True)
    keys = []
    for t, start in enumerate(range(0, len(clips), per_tar)):
        with wds.TarWriter(str(folder / f"train-{t:06d}.tar")) as sink:
            for k, c in enumerate(clips[start : start + per_tar], start):
                key = f"spk{k % 2}/utt{k:04d}"
                sink.write(
                    {"__key__": key, c.suffix[1:]: c.read_bytes(), "json": {"id": k, "text": f"t{k}"}, "txt": "hi"}
                )
                keys.append(key)
    return keys


def test_webdataset_tars_by_brace_range_to_parquet_and_back_to_webdataset(tmp_path):
    keys = write_tars(tmp_path / "tars", CLIPS)
    whole = (tmp_path / "tars" / "train-000000.tar").read_bytes()  # cut in its second sample's audio
    (tmp_path / "tars" / "train-000003.tar").write_bytes(whole[: len(whole) - CLIPS[1].stat().st_size // 2])
    src = str(tmp_path / "tars" / "train-{000000..000002}.tar")
    p = cli(src, tmp_path / "out", "--feature", "whisper")
    assert p.returncode == 0, p.stderr
    got = rows(tmp_path / "out")
    assert [r["__key__"] for r in got] == keys and {r["__url__"] for r in got} == {
        str(tmp_path / "tars" / f"train-{t:06d}.tar") for t in range(3)
    }
    for row in got:
        assert (row["text"], row["txt"]) == (f"t{row['id']}", "hi")
        clip = CLIPS[row["id"]]
        y, _ = spectrust.load(clip, sr=16000)
        assert row["duration"] == min(len(y), 480000) / 16000
        np.testing.assert_array_equal(features(row), whisper(clip))
    # A truncated tar: its readable samples written, the shard's failure recorded, the job goes on.
    summary = spectrust.extract_features(tmp_path / "tars", tmp_path / "wds", feature="whisper", format="webdataset")
    assert (summary["written"], summary["failed"]) == (len(CLIPS) + 1, 1)
    records = [json.loads(line) for line in (tmp_path / "wds" / "__spectrust__" / "manifest.jsonl").open()]
    (bad,) = [r for r in records if not r["ok"]]
    assert bad["shard"] == 3 and bad["error"].startswith(str(tmp_path / "tars" / "train-000003.tar") + ": ")
    samples = list(wds.WebDataset(str(tmp_path / "wds" / "shard-{00000..00003}.tar"), shardshuffle=False).decode())
    assert [s["json"]["__key__"] for s in samples[: len(keys)]] == keys
    for s in samples[: len(keys)]:
        np.testing.assert_array_equal(s["npy"], whisper(CLIPS[s["json"]["id"]]))


def test_a_tar_sample_without_audio_fails_alone(tmp_path):
    with wds.TarWriter(str(tmp_path / "a.tar")) as sink:
        sink.write({"__key__": "x1", "mp3": SPEECH.read_bytes()})
        sink.write({"__key__": "x2", "json": {"text": "no audio"}})
        sink.write({"__key__": "x3", "mp3": SPEECH.read_bytes(), "flac": CLIPS[3].read_bytes()})
    summary = spectrust.extract_features(tmp_path / "a.tar", tmp_path / "out", sr=16000, n_mels=40)
    assert (summary["written"], summary["failed"]) == (1, 2)
    records = [json.loads(line) for line in (tmp_path / "out" / "__spectrust__" / "manifest.jsonl").open()]
    assert [r["error"] for r in records] == [
        None,
        f"{tmp_path / 'a.tar'}:x2: no audio member",
        f"{tmp_path / 'a.tar'}:x3: audio members: flac, mp3; give audio_column",
    ]
    again = spectrust.extract_features(tmp_path / "a.tar", tmp_path / "flac", sr=16000, n_mels=40, audio_column="flac")
    assert (again["written"], again["failed"]) == (1, 2)


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_segments_manifest_reads_each_segment_by_seeking(tmp_path, kind):
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    for c in (SPEECH, EXAMPLES / "music.flac"):
        (recordings / c.name).write_bytes(c.read_bytes())
    segments = [
        {"path": "recordings/speech_jfk.mp3", "offset": 1.25, "duration": 2.5, "text": "and so"},
        {"path": "recordings/music.flac", "offset": 3.0, "duration": 4.0, "text": "music"},
        {"path": "recordings/speech_jfk.mp3", "offset": 8.0, "duration": 20.0, "text": "past the end"},
        {"path": "recordings/speech_jfk.mp3", "offset": -1.0, "duration": 1.0, "text": "bad"},
    ]
    manifest = tmp_path / f"segments.{kind}"
    if kind == "jsonl":
        manifest.write_text("".join(json.dumps(s) + "\n" for s in segments))
    else:
        pyarrow.csv.write_csv(pa.Table.from_pylist(segments), manifest)
    p = cli(manifest, tmp_path / "out", "--feature", "whisper")
    assert p.returncode == 1 and f"{recordings / 'speech_jfk.mp3'}: offset must be >= 0 seconds" in p.stderr
    got = rows(tmp_path / "out")
    assert [r["text"] for r in got] == ["and so", "music", "past the end"]
    for row, s in zip(got, segments):
        clip = tmp_path / s["path"]
        assert row["path"] == s["path"] and row["offset"] == s["offset"]
        y, _ = spectrust.load(clip, sr=16000, offset=s["offset"], duration=s["duration"])
        assert row["duration"] == len(y) / 16000 <= s["duration"]
        np.testing.assert_array_equal(features(row), whisper(clip, offset=s["offset"], duration=s["duration"]))
    # The job's offset and duration count within each segment.
    spectrust.extract_features(manifest, tmp_path / "mel", sr=16000, offset=0.5, duration=1.0, n_mels=32)
    for row, s in zip(rows(tmp_path / "mel"), segments):
        expected = spectrust.melspectrogram_batch(
            [tmp_path / s["path"]], sr=16000, offset=s["offset"] + 0.5, duration=1.0, n_mels=32
        )[0]
        np.testing.assert_array_equal(features(row), expected)


@pytest.fixture(scope="module")
def s3():
    """An S3 API on localhost (moto's server mode), as s3fs and the CLI's subprocesses reach
    it: the endpoint and credentials in the environment."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = dict(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=f"http://{host}:{port}",
    )
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    import fsspec

    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    fs.mkdir("data")
    yield fs
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    server.stop()


def test_hub_parquet_tars_and_a_manifest_on_s3_equal_the_local_runs(tmp_path, s3):
    hub_parquet(tmp_path / "hub" / "data", CLIPS)
    write_tars(tmp_path / "tars", CLIPS)
    recordings = tmp_path / "seg" / "audio"
    recordings.mkdir(parents=True)
    (recordings / "speech.mp3").write_bytes(SPEECH.read_bytes())
    segments = [{"path": "audio/speech.mp3", "offset": 2.0 * k, "duration": 2.0, "spk": k % 2} for k in range(5)]
    (tmp_path / "seg" / "segments.jsonl").write_text("".join(json.dumps(s) + "\n" for s in segments))
    for folder in ("hub", "tars", "seg"):
        s3.put(str(tmp_path / folder), f"data/{folder}", recursive=True)
    job = dict(feature="whisper", shard_size=2)
    for k, src in enumerate(["hub", "tars/train-{000000..000002}.tar", "seg/segments.jsonl"]):
        here = spectrust.extract_features(str(tmp_path / src), tmp_path / f"local{k}", **job)
        there = spectrust.extract_features(f"s3://data/{src}", f"s3://data/out{k}", **job)
        assert here["written"] == there["written"] > 0 and here["failed"] == there["failed"] == 0
        remote_table = pyarrow.dataset.dataset(f"data/out{k}", filesystem=s3).to_table()
        local_table = pyarrow.dataset.dataset(str(tmp_path / f"local{k}")).to_table()
        if "__url__" in local_table.column_names:  # the tars' own names: a path here, a URL there
            assert remote_table.column("__url__").to_pylist()[0].startswith("s3://data/tars/train-000000.tar")
            remote_table, local_table = remote_table.drop_columns(["__url__"]), local_table.drop_columns(["__url__"])
        assert remote_table.equals(local_table)
    # The CLI, from S3 to a local folder.
    p = cli("s3://data/hub/data/train-00000-of-00002.parquet", tmp_path / "cli", "--feature", "log_mel", "--sr", 16000)
    assert p.returncode == 0 and "3 written, 0 failed" in p.stdout, p.stderr
    (row,) = [r for r in rows(tmp_path / "cli") if r["source_row"] == 1]
    mel = spectrust.melspectrogram_batch([CLIPS[1]], sr=16000)[0]
    np.testing.assert_array_equal(features(row), spectrust.power_to_db(mel))


def test_a_ray_run_equals_a_local_run_bit_for_bit(tmp_path):
    write_tars(tmp_path / "tars", CLIPS, per_tar=1)
    (tmp_path / "tars" / "train-000002.tar").write_bytes(b"not a tar")
    local = spectrust.extract_features(tmp_path / "tars", tmp_path / "local", feature="mfcc", sr=16000, n_mfcc=13)
    p = cli(tmp_path / "tars", tmp_path / "ray", "--engine", "ray", "--feature", "mfcc", "--sr", 16000, "--n-mfcc", 13,
            env={**os.environ, "RAY_ADDRESS": ""})  # fmt: skip
    assert p.returncode == 1 and f"{local['written']} written, {local['failed']} failed" in p.stdout, p.stderr
    assert (local["written"], local["failed"]) == (len(CLIPS) - 1, 1)
    names = sorted(q.name for q in (tmp_path / "local").glob("shard-*.parquet"))
    assert names == sorted(q.name for q in (tmp_path / "ray").glob("shard-*.parquet")) and len(names) == len(CLIPS)
    for name in names:
        assert pq.read_table(tmp_path / "ray" / name).equals(pq.read_table(tmp_path / "local" / name))
    manifest = "__spectrust__/manifest.jsonl"
    assert (tmp_path / "ray" / manifest).read_text() == (tmp_path / "local" / manifest).read_text()


def test_bad_parameters_fail_before_anything_is_written(tmp_path):
    write_tars(tmp_path / "tars", CLIPS[:2])
    for args, message in [
        (("--feature", "mel", "--num-mel-bins", 80), "unexpected keyword argument(s): num_mel_bins"),
        (("--feature", "whisper", "--offset", 1.0), "feature='whisper' reads 30 s from the start"),
        (("--source-format", "manifest",), "a folder is not a manifest"),
        (("--format", "webdataset", "--audio-column", "wav"), None),
    ]:  # fmt: skip
        p = cli(tmp_path / "tars", tmp_path / "out", *args)
        if message is None:  # no sample has a .wav member: each fails, the job runs
            assert p.returncode == 1 and "0 written, 2 failed" in p.stdout
            continue
        assert p.returncode == 2 and message in p.stderr and p.stderr.count("\n") == 1, p.stderr
        assert not (tmp_path / "out").exists()


def test_a_rerun_retries_the_inputs_that_failed_and_reports_them(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for c in CLIPS:
        (folder / c.name).write_bytes(c.read_bytes())
    (folder / "music.mp3").write_bytes(b"ID3" + bytes(500))  # broken, repaired below
    args = (folder, tmp_path / "out", "--shard-size", 2, "--sr", 16000, "--n-mels", 32)
    p = cli(*args)
    assert p.returncode == 1 and "4 written, 1 failed, 0 skipped" in p.stdout
    p = cli(*args)  # still broken: its shard is tried again
    assert p.returncode == 1 and "1 written, 1 failed, 3 skipped" in p.stdout
    assert "tried again 1 input(s) that failed before" in p.stderr
    (folder / "music.mp3").write_bytes(CLIPS[1].read_bytes())
    p = cli(*args, "--json")
    assert p.returncode == 0 and "2 written, 0 failed, 3 skipped" in p.stderr
    assert [json.loads(line)["path"] for line in p.stdout.splitlines()] == ["music.flac", "music.mp3"]
    got = {r["path"]: r for r in rows(tmp_path / "out")}
    assert len(got) == 5
    expected = spectrust.melspectrogram_batch([CLIPS[1]], sr=16000, n_mels=32)[0]
    np.testing.assert_array_equal(features(got["music.mp3"]), expected)
    records = [json.loads(line) for line in (tmp_path / "out" / "__spectrust__" / "manifest.jsonl").open()]
    assert all(r["ok"] for r in records) and len(records) == 5


def test_help_and_docstring_name_every_feature_and_source():
    from spectrust.features.by_name import FEATURES

    p = subprocess.run([sys.executable, "-m", "spectrust.cli", "features", "--help"], capture_output=True, text=True)
    text = " ".join(p.stdout.split())
    doc = " ".join(spectrust.extract_features.__doc__.split())
    for name in (*FEATURES, "parquet", "webdataset", "manifest", "ray", "dask"):
        assert name in text and name in doc, name


@pytest.mark.parametrize("kind", ["parquet", "webdataset", "manifest"])
def test_a_rerun_redoes_only_the_shards_a_killed_run_left_for_every_source(tmp_path, kind):
    if kind == "parquet":
        hub_parquet(tmp_path / "src", CLIPS, per_file=5)  # one file: shards of 2 rows of it
        src = tmp_path / "src"
    elif kind == "webdataset":
        write_tars(tmp_path / "src", CLIPS)
        src = tmp_path / "src"
    else:
        src = tmp_path / "segments.csv"
        segments = [{"path": str(SPEECH), "offset": 1.5 * k, "duration": 2.0, "n": k} for k in range(5)]
        pyarrow.csv.write_csv(pa.Table.from_pylist(segments), src)
    job = dict(shard_size=2, sr=16000, n_mels=32, format="webdataset" if kind == "parquet" else "parquet")
    first = spectrust.extract_features(src, tmp_path / "out", **job)
    assert (first["written"], first["failed"]) == (5, 0)
    out = tmp_path / "out"
    whole = {p.name: p.read_bytes() for p in out.glob("shard-*")}
    assert len(whole) == 3
    # As a run killed after shard 0 leaves it: shard 1 half-written, shard 2 not begun.
    (out / "__spectrust__" / "manifest.jsonl").unlink()
    for k in (1, 2):
        (out / "__spectrust__" / "manifest.d" / f"shard-0000{k}.jsonl").unlink()
    shard = next(out.glob("shard-00001.*"))
    (out / ".spectrust-999999999-0.part").write_bytes(shard.read_bytes()[:100])
    shard.unlink()
    again = spectrust.extract_features(src, out, **job)
    assert (again["written"], again["skipped"], again["failed"]) == (3, 2, 0)  # shards 1 and 2 redone
    assert {p.name: p.read_bytes() for p in out.glob("shard-*")} == whole and not list(out.glob(".spectrust-*"))
    records = [json.loads(line) for line in (out / "__spectrust__" / "manifest.jsonl").open()]
    assert len(records) == 5 and [r["shard"] for r in records] == [0, 0, 1, 1, 2]


def test_parquet_batches_across_row_groups_read_every_row_once_in_order(tmp_path, monkeypatch):
    import spectrust.dataset

    clips = CLIPS * 3  # 15 rows in row groups of 4, shards of 7, batches of 3
    table = pa.Table.from_pylist(
        [{"audio": {"bytes": c.read_bytes(), "path": c.name}, "i": i} for i, c in enumerate(clips)]
    )
    pq.write_table(table, tmp_path / "a.parquet", row_group_size=4)
    monkeypatch.setattr(spectrust.dataset, "BATCH", 3)
    summary = spectrust.extract_features(tmp_path / "a.parquet", tmp_path / "out", shard_size=7, sr=16000, n_mels=16)
    assert (summary["written"], summary["failed"]) == (15, 0)
    got = rows(tmp_path / "out")
    assert [r["i"] for r in got] == [r["source_row"] for r in got] == list(range(15))
    expected = spectrust.melspectrogram_batch(clips, sr=16000, n_mels=16)
    for row in got:
        np.testing.assert_array_equal(features(row), expected[row["i"]])
