"""``spectrust features`` at scale: clips per second on 500 varied real MP3s, locally and on a
Dask LocalCluster, from Parquet and tar sources against the same files on disk, and the bytes
each format and dtype store per clip.

Inputs: make_data's 500 distinct 15 s excerpts of the Wesnoth soundtrack (overlapping: every
10 s of each track), 44.1 kHz stereo MP3 at 128 kb/s. Feature: log-mel at 16 kHz (128 bands,
n_fft 2048, hop 512: 469 frames a clip), as an ML engineer would extract them.

1. Local: ``extract_features(mp3s, out, feature="log_mel", sr=16000, shard_size=50)``, both
   cores (spectrust's threads), Parquet float32, a fresh OUT each time, best of 2.
2. Dask: the same with ``client=`` a ``distributed.LocalCluster(n_workers=2,
   threads_per_worker=1)`` (two worker processes, each shard on one thread: ``workers=1``).
3. Sources: the same MP3s, written once (under make_data.DATA) as Parquet files in the
   Hugging Face Hub layout (``audio``: struct ``{bytes, path}``; ``text``: string) and as
   WebDataset tar shards (``clip_000.mp3`` + ``clip_000.json`` a sample), 50 clips a file:
   ``extract_features`` of the list of files, of the Parquet folder and of the tars' brace
   range ``shard-{000000..000009}.tar``, ``shard_size=50`` (one shard a Parquet file, a tar,
   50 files), timed in turn, a fresh OUT each time, best of 2: clips/s and the ratio to the
   files'. Each output is checked: every clip written, in as many shards, and the first
   clip's features equal to the files'.
4. Output size per clip: the first 100 clips in each format (parquet, webdataset, npy) and
   dtype (float32, float16).

Run: python3 benches/bench_dataset.py (needs the bench extras: pyarrow, distributed; and
webdataset, to read tars).
"""

import io
import json
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_data  # noqa: E402
import spectrust  # noqa: E402
from benchutil import QUICK, scaled, wait_idle  # noqa: E402

N_CLIPS = scaled(500)
FEATURE = dict(feature="log_mel", sr=16000)
#: Clips a shard: of the list of files, rows of a Parquet file, samples of a tar.
SHARD = 50
#: The column that names a clip in each source's output.
IDENT = {"files": "path", "parquet": "path", "webdataset": "__key__"}


def timed_run(paths: list, repeat: int = 2, **kwargs) -> float:
    best = float("inf")
    for _ in range(repeat):
        out = Path(tempfile.mkdtemp(prefix="bench-dataset-"))
        wait_idle()
        start = time.perf_counter()
        summary = spectrust.extract_features(paths, out / "o", shard_size=50, **FEATURE, **kwargs)
        best = min(best, time.perf_counter() - start)
        assert summary["written"] == len(paths), summary
        shutil.rmtree(out)
    return best


def source_files(paths: list) -> dict:
    """The clips as Parquet files in the Hugging Face Hub layout and as WebDataset tars, SHARD
    clips a file, written once under make_data.DATA (again if the clips changed): ``{source:
    what extract_features is given}``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = make_data.DATA / f"dataset_sources_{len(paths)}"
    groups = [paths[a : a + SHARD] for a in range(0, len(paths), SHARD)]
    stamp = json.dumps([[Path(p).name, Path(p).stat().st_size] for p in paths])
    if not (folder / "clips.json").is_file() or (folder / "clips.json").read_text() != stamp:
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "parquet").mkdir(parents=True)
        (folder / "tar").mkdir()
        audio_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
        for k, group in enumerate(groups):
            clips = [(Path(p).name, Path(p).read_bytes()) for p in group]
            texts = [f"excerpt {Path(name).stem}" for name, _ in clips]
            audio = pa.array([{"bytes": data, "path": name} for name, data in clips], audio_type)
            table = pa.table({"audio": audio, "text": texts})
            pq.write_table(table, folder / "parquet" / f"train-{k:05d}-of-{len(groups):05d}.parquet")
            with tarfile.open(folder / "tar" / f"shard-{k:06d}.tar", "w", format=tarfile.USTAR_FORMAT) as tar:
                for (name, data), text in zip(clips, texts):
                    key = Path(name).stem
                    for member, body in ((name, data), (f"{key}.json", json.dumps({"text": text}).encode())):
                        info = tarfile.TarInfo(member)
                        info.size = len(body)
                        tar.addfile(info, io.BytesIO(body))
        (folder / "clips.json").write_text(stamp)  # last: a partial folder is written again
        print(f"bench_dataset: wrote {len(paths)} clips as {len(groups)} Parquet files and tars in {folder}")
    tars = f"{folder}/tar/shard-{{{0:06d}..{len(groups) - 1:06d}}}.tar"
    return {"files": paths, "parquet": str(folder / "parquet"), "webdataset": tars}


def timed_sources(sources: dict, n: int) -> dict:
    """Best time of ``extract_features`` from each source (timed in turn, a fresh OUT each
    time); checks each output: ``n`` rows in as many shards as the files', and the first
    clip's features equal to the files'."""
    import numpy as np
    import pyarrow.parquet as pq

    best = dict.fromkeys(sources, float("inf"))
    for _ in range(1 if QUICK else 2):
        first = {}
        for name, inputs in sources.items():
            out = Path(tempfile.mkdtemp(prefix="bench-dataset-"))
            wait_idle()
            start = time.perf_counter()
            summary = spectrust.extract_features(inputs, out / "o", shard_size=SHARD, **FEATURE)
            best[name] = min(best[name], time.perf_counter() - start)
            assert summary["written"] == n and summary["failed"] == 0, (name, summary)
            shards = sorted((out / "o").glob("shard-*.parquet"))
            rows = sum(pq.ParquetFile(s).metadata.num_rows for s in shards)
            assert rows == n and len(shards) == -(-n // SHARD), (name, rows, len(shards))
            table = pq.ParquetFile(shards[0]).read_row_group(0, columns=[IDENT[name], "features"])
            clip = Path(table.column(IDENT[name])[0].as_py()).stem
            first[name] = (clip, np.asarray(table.column("features")[0].values))
            shutil.rmtree(out)
        for name, (clip, features) in first.items():
            assert clip == first["files"][0], (name, clip, first["files"][0])
            assert np.array_equal(features, first["files"][1]), f"{name}: features of {clip} differ from the files'"
    return best


def bytes_per_clip(paths: list) -> dict:
    sizes = {}
    for fmt in ("parquet", "webdataset", "npy"):
        for dtype in ("float32", "float16"):
            out = Path(tempfile.mkdtemp(prefix="bench-dataset-"))
            spectrust.extract_features(paths, out / "o", format=fmt, dtype=dtype, shard_size=50, **FEATURE)
            data = [p for p in (out / "o").rglob("*") if p.is_file() and "manifest" not in p.name]
            data = [p for p in data if p.name != "spectrust.json" and p.parent.name != "manifest.d"]
            data = [p for p in data if "__spectrust__" not in p.parts]  # the job's own files
            sizes[fmt, dtype] = sum(p.stat().st_size for p in data) / len(paths)
            shutil.rmtree(out)
    return sizes


def main() -> dict:
    from distributed import Client, LocalCluster

    paths = [str(p) for p in make_data.compressed_clips("mp3", N_CLIPS)]
    spectrust.extract_features(paths[:10], tempfile.mkdtemp() + "/warm", **FEATURE)
    local = timed_run(paths)
    print(f"bench_dataset: {N_CLIPS} MP3s, log-mel at 16 kHz, Parquet float32")
    print(f"  local, 2 threads:            {local:6.2f} s  {N_CLIPS / local:6.1f} clips/s")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            dask = timed_run(paths, client=client, workers=1)
    print(f"  Dask LocalCluster, 2 x 1:    {dask:6.2f} s  {N_CLIPS / dask:6.1f} clips/s")
    times = timed_sources(source_files(paths), N_CLIPS)
    print(f"  sources, local, {SHARD} clips a shard (a Parquet file, a tar):")
    for name, t in times.items():
        print(f"    {name:10s} {t:6.2f} s  {N_CLIPS / t:6.1f} clips/s  {times['files'] / t:5.2f}x the files'")
    sizes = bytes_per_clip(paths[:100])
    for (fmt, dtype), size in sizes.items():
        print(f"  {fmt:10s} {dtype}: {size / 1e3:7.1f} KB a clip")
    bytes_per = {f"{fmt} {dtype}": size for (fmt, dtype), size in sizes.items()}  # JSON keys are strings
    return {
        "local_clips_per_s": N_CLIPS / local,
        "dask_clips_per_s": N_CLIPS / dask,
        "source_clips_per_s": {name: N_CLIPS / t for name, t in times.items()},
        "source_to_files": {name: times["files"] / t for name, t in times.items()},
        "bytes": bytes_per,
    }


if __name__ == "__main__":
    main()
