"""Feature datasets: many recordings to training-ready shards on disk, resumable after a crash,
on one machine or a Dask cluster (``spectrust features`` and :func:`extract_features`).

OUT holds ``spectrust.json`` (the job: parameters, inputs, spectrust version), the shards
``shard-00000.parquet`` / ``.tar`` (or one ``.npy`` per input mirroring IN's tree),
``manifest.d/shard-00000.jsonl`` (a shard's manifest lines, written after its data: a shard
is done when its manifest part exists) and ``manifest.jsonl`` (all of them, in input order).
Every file is written to a temporary name and renamed (on object stores, an object appears
only whole), so a killed job leaves no partial shard; a rerun redoes only unfinished shards
and removes the temporary files the killed run left.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Optional, Union

from ._core import AUDIO_EXTENSIONS, build_info
from ._files import remove_stale_parts, write_atomic
from .errors import ParameterError
from .features.by_name import analyser

__all__ = ["FORMATS", "extract_features"]

#: Shard formats and their file suffix (``npy``: one file per input, no shard file).
FORMATS = {"parquet": ".parquet", "webdataset": ".tar", "npy": None}
DTYPES = ("float32", "float16")
CONFIG, MANIFEST, PARTS = "spectrust.json", "manifest.jsonl", "manifest.d"


@dataclass(frozen=True)
class Job:
    """One extraction, as every shard task needs it (plain data: it travels to Dask workers)."""

    root: str
    inputs: tuple  # paths as given: relative to ``root`` or absolute
    out: str
    feature: str
    format: str
    dtype: str
    shard_size: int
    workers: Optional[int]
    params: dict  # sr, offset, duration and the feature's keywords

    @property
    def n_shards(self) -> int:
        return -(-len(self.inputs) // self.shard_size)

    def shard(self, k: int) -> range:
        return range(k * self.shard_size, min(len(self.inputs), (k + 1) * self.shard_size))

    def source(self, i: int) -> str:
        return os.path.join(self.root, self.inputs[i])

    def record(self) -> dict:
        """What ``spectrust.json`` holds: all that decides the output."""
        listing = hashlib.sha256("\n".join(self.inputs).encode()).hexdigest()
        keep = ("feature", "format", "dtype", "shard_size", "params")
        return {
            "spectrust": build_info()["version"],
            **{k: v for k, v in asdict(self).items() if k in keep},
            "inputs": listing,
        }


def list_inputs(source: Union[str, os.PathLike, Sequence]) -> tuple[str, list]:
    """The root and the inputs (relative to it, sorted) of a folder searched recursively for
    audio, a text file listing one path a line (relative to the file's folder or absolute;
    blank lines and ``#`` comments skipped), or a list of paths (root ``""``)."""
    if not isinstance(source, (str, os.PathLike)):
        return "", [os.fspath(p) for p in source]
    path = Path(source)
    if path.is_dir():
        wanted = set(AUDIO_EXTENSIONS)
        found = (p for p in path.rglob("*") if p.suffix.lower() in wanted and p.is_file())
        return str(path), sorted(p.relative_to(path).as_posix() for p in found)
    if path.is_file():
        lines = (line.strip() for line in path.read_text().splitlines())
        return str(path.parent), [line for line in lines if line and not line.startswith("#")]
    raise FileNotFoundError(f"{path}: no such folder or list file")


def extract_features(
    inputs: Union[str, os.PathLike, Sequence],
    out_dir: Union[str, os.PathLike],
    *,
    feature: str = "mel",
    format: str = "parquet",
    shard_size: int = 1000,
    dtype: str = "float32",
    sr: Optional[int] = None,
    offset: float = 0.0,
    duration: Optional[float] = None,
    workers: Optional[int] = None,
    client: Any = None,
    on_shard: Optional[Callable[[list], None]] = None,
    **feature_kwargs,
) -> dict:
    """Compute features of many recordings into shards in ``out_dir``; resumable.

    Parameters
    ----------
    inputs : str, os.PathLike or sequence of str
        A folder (searched recursively for audio files), a text file listing one path a line,
        or a list of paths. Paths are recorded relative to the folder (or the list's folder).
    out_dir : str or os.PathLike
        The output folder: a path, or an fsspec URL (``s3://bucket/prefix`` with s3fs).
    feature : {"mel", "log_mel", "mfcc", "whisper"}
        As :func:`spectrust.tf_dataset` (default ``"mel"``); ``feature_kwargs`` are its
        parameters (``n_mels``, ``n_fft``, ``hop_length``, ``n_mfcc``, ``top_db``, ...).
    format : {"parquet", "webdataset", "npy"}
        ``"parquet"`` (default): a row per input, columns ``path`` (string), ``sample_rate``
        (int32, Hz), ``duration`` (float64, seconds of audio analysed), ``shape``
        (list<int32>) and ``features`` (list<float32> or list<float16>, the array flattened in
        row-major order). ``"webdataset"``: POSIX tar shards, per input ``<key>.npy`` and
        ``<key>.json`` (path, sample_rate, duration), the key being the input's index
        (``000000042``). ``"npy"``: ``<path>.npy`` per input, mirroring the input tree.
    shard_size : int
        Inputs per shard (default 1000); on Dask, one task per shard.
    dtype : {"float32", "float16"}
        Type of the stored features (default float32).
    sr, offset, duration
        As :func:`spectrust.melspectrogram_batch` (sample rate in Hz, seconds).
    workers : int or None
        Threads per shard (default: one per core of the machine computing it).
    client : distributed.Client or None
        Run the shards as tasks on this Dask cluster (its workers must see the inputs and
        ``out_dir``); output identical to a local run.
    on_shard : callable or None
        Called with the manifest records of each shard when it is done (progress).

    Returns
    -------
    dict
        ``{"written": N, "failed": M, "skipped": K, "seconds": T}``: inputs written and
        failed by this run, inputs of shards an earlier run had finished.

    Raises
    ------
    ParameterError
        Bad parameters, or ``out_dir`` holds a job with other parameters or inputs.
    FileNotFoundError
        ``inputs`` is neither a folder nor a file.
    """
    start = time.perf_counter()
    if format not in FORMATS:
        raise ParameterError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    if dtype not in DTYPES:
        raise ParameterError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if shard_size < 1:
        raise ParameterError(f"shard_size must be at least 1, got {shard_size}")
    params = dict(sr=sr, offset=float(offset), duration=duration, **feature_kwargs)
    analyser(feature, workers=workers, **params)  # checks the parameters now
    root, listed = list_inputs(inputs)
    job = Job(root, tuple(listed), os.fspath(out_dir), feature, format, dtype, int(shard_size), workers, params)
    store = Store(job.out)
    store.claim(job.record())
    done = store.done_shards()
    todo = [k for k in range(job.n_shards) if k not in done]
    counts = {"written": 0, "failed": 0, "skipped": sum(len(job.shard(k)) for k in done)}

    def finished(records: list) -> None:
        counts["written"] += sum(r["ok"] for r in records)
        counts["failed"] += sum(not r["ok"] for r in records)
        if on_shard is not None:
            on_shard(records)

    if client is None:
        # Shard k is written (numpy, pyarrow: the GIL mostly released) while shard k + 1 is
        # computed (Rust, without the GIL): the cores stay busy between shards.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="spectrust-writer") as writer:
            pending = None
            for k in todo:
                results = compute_shard(job, k)
                if pending is not None:
                    finished(pending.result())
                pending = writer.submit(write_shard, job, k, results)
            if pending is not None:
                finished(pending.result())
    else:
        from distributed import as_completed

        # The job (with every input's path) goes to each worker once, not with every task.
        shared = client.scatter(job, broadcast=True)
        futures = [client.submit(run_shard, shared, k, pure=False) for k in todo]
        for future in as_completed(futures):
            finished(future.result())
    store.write_manifest(job.n_shards)
    return {**counts, "seconds": time.perf_counter() - start}


def run_shard(job: Job, k: int) -> list:
    """Computes and writes shard ``k``, then its manifest part; returns its manifest records."""
    return write_shard(job, k, compute_shard(job, k))


def compute_shard(job: Job, k: int) -> list:
    """The features of shard ``k``'s inputs (per input, as the analyser gives them)."""
    analyse = analyser(job.feature, workers=job.workers, **job.params)
    return analyse([job.source(i) for i in job.shard(k)])


def write_shard(job: Job, k: int, results: list) -> list:
    """Writes shard ``k`` from its ``results``, then its manifest part; returns its manifest
    records."""
    indices = list(job.shard(k))
    store = Store(job.out)
    rows, records = [], []
    for i, result in zip(indices, results):
        record = {"path": job.inputs[i], "ok": not isinstance(result, BaseException), "shard": k, "error": None}
        if record["ok"]:
            features, rate, samples = result
            rows.append((i, features.astype(job.dtype), int(rate), samples / rate))
        else:
            record["error"] = str(result)
        records.append(record)
    WRITERS[job.format](store, job, k, rows)
    lines = "".join(json.dumps(r) + "\n" for r in records).encode()
    store.put(f"{PARTS}/shard-{k:05d}.jsonl", lambda f: f.write(lines))
    return records


def _parquet(store: Store, job: Job, k: int, rows: list) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    value = pa.float16() if job.dtype == "float16" else pa.float32()
    flat = [f.reshape(-1) for _, f, _, _ in rows]
    offsets = np.cumsum([0] + [len(f) for f in flat], dtype=np.int64)
    values = np.concatenate(flat) if flat else np.zeros(0, dtype=job.dtype)
    table = pa.table(
        {
            "path": pa.array([job.inputs[i] for i, _, _, _ in rows], pa.string()),
            "sample_rate": pa.array([r for _, _, r, _ in rows], pa.int32()),
            "duration": pa.array([d for _, _, _, d in rows], pa.float64()),
            "shape": pa.array([list(f.shape) for _, f, _, _ in rows], pa.list_(pa.int32())),
            "features": pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, value)),
        }
    )
    store.put(f"shard-{k:05d}.parquet", lambda f: pq.write_table(table, f))


def _webdataset(store: Store, job: Job, k: int, rows: list) -> None:
    import tarfile

    import numpy as np

    def write(f) -> None:
        with tarfile.open(fileobj=f, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for i, features, rate, duration in rows:
                npy = io.BytesIO()
                np.save(npy, features)
                meta = json.dumps({"path": job.inputs[i], "sample_rate": rate, "duration": duration}).encode()
                for name, data in ((f"{i:09d}.npy", npy.getvalue()), (f"{i:09d}.json", meta)):
                    info = tarfile.TarInfo(name)
                    info.size, info.mtime, info.mode = len(data), 0, 0o644
                    tar.addfile(info, io.BytesIO(data))

    store.put(f"shard-{k:05d}.tar", write)


def _npy(store: Store, job: Job, k: int, rows: list) -> None:
    import numpy as np

    for i, features, _, _ in rows:
        relative = PurePosixPath(Path(job.inputs[i]).as_posix().lstrip("/"))
        store.put(f"{relative}.npy", lambda f, features=features: np.save(f, features))


WRITERS = {"parquet": _parquet, "webdataset": _webdataset, "npy": _npy}


class Store:
    """OUT: a local folder (files written through a temporary name, fsynced and renamed) or
    an fsspec URL (objects written whole)."""

    def __init__(self, out: str):
        import fsspec

        self.fs, self.root = fsspec.core.url_to_fs(out)
        self.local = "file" in self.fs.protocol or "local" in self.fs.protocol

    def path(self, relative: str) -> str:
        return f"{self.root.rstrip('/')}/{relative}"

    def put(self, relative: str, write: Callable) -> None:
        if self.local:
            write_atomic(self.path(relative), write)
        else:
            with self.fs.open(self.path(relative), "wb") as f:
                write(f)

    def claim(self, record: dict) -> None:
        """Records the job in ``spectrust.json``, or refuses a job unlike the one recorded."""
        config = self.path(CONFIG)
        if self.fs.exists(config):
            recorded = json.loads(self.fs.cat_file(config))
            differ = sorted(k for k in record.keys() | recorded.keys() if record.get(k) != recorded.get(k))
            if differ:
                raise ParameterError(f"{config}: holds a job with other {', '.join(differ)}; use another output folder")
        else:
            self.fs.makedirs(self.root, exist_ok=True)
            text = json.dumps(record, indent=2).encode()
            self.put(CONFIG, lambda f: f.write(text))
        if self.local:
            remove_stale_parts(self.root)

    def done_shards(self) -> set:
        parts = self.path(PARTS)
        if not self.fs.exists(parts):
            return set()
        names = (PurePosixPath(p).name for p in self.fs.ls(parts, detail=False))
        return {int(n[6:11]) for n in names if n.startswith("shard-") and n.endswith(".jsonl")}

    def write_manifest(self, n_shards: int) -> None:
        parts = [self.fs.cat_file(self.path(f"{PARTS}/shard-{k:05d}.jsonl")) for k in range(n_shards)]
        self.put(MANIFEST, lambda f: f.write(b"".join(parts)))
