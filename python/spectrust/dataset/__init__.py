"""Feature datasets: many recordings to training-ready shards, resumable after a crash, on one
machine, a Dask cluster or Ray (``spectrust features`` and :func:`extract_features`).

The inputs come from a source (:mod:`.sources`: audio files, Parquet files with an audio
column, WebDataset tars, a segments manifest; local or at an fsspec URL), a shard of them at a
time; each shard is computed in batches (the next read while the core computes one) and
written as it goes to one file under a temporary name, renamed when whole (:mod:`.store`), then
its manifest part. A shard is the unit of work of every engine: the same :func:`run_shard`
runs here, on a Dask worker or as a Ray task.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Optional, Union

from .._ahead import one_ahead
from .._core import build_info
from ..errors import ParameterError
from ..features.by_name import analyser
from .listing import open_source
from .sources import SOURCE_FORMATS, Source
from .store import WRITERS, Store

__all__ = ["DTYPES", "ENGINES", "FORMATS", "SOURCE_FORMATS", "extract_features"]

#: Shard formats and their file suffix (``npy``: one file per input, no shard file).
FORMATS = {"parquet": ".parquet", "webdataset": ".tar", "npy": None}
DTYPES = ("float32", "float16")
#: Where the shards run.
ENGINES = ("local", "dask", "ray")

#: Inputs per call of the core within a shard (fewer where the shard is smaller).
BATCH = 256


@dataclass(frozen=True)
class Job:
    """One extraction, as every shard task needs it (plain data: it travels to Dask and Ray
    workers)."""

    source: Source
    out: str
    feature: str
    format: str
    dtype: str
    shard_size: int
    workers: Optional[int]
    params: dict  # sr, offset, duration and the feature's keywords

    @property
    def n_shards(self) -> int:
        return len(self.source.units)

    def record(self) -> dict:
        """What ``job.json`` holds: all that decides the output."""
        s = self.source
        return {
            "spectrust": build_info()["version"],
            "source": {"format": s.format, "audio_column": s.audio_column, "inputs": s.listing},
            "feature": self.feature,
            "format": self.format,
            "dtype": self.dtype,
            "shard_size": self.shard_size,
            "params": self.params,
        }


class Row(NamedTuple):
    """One input's output: its key and identity, the features and what they used."""

    key: str
    ident: dict
    features: Any
    rate: int
    duration: float
    cut: bool


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
    source_format: Optional[str] = None,
    audio_column: Optional[str] = None,
    engine: Optional[str] = None,
    client: Any = None,
    on_shard: Optional[Callable[[list], None]] = None,
    **feature_kwargs,
) -> dict:
    """Compute features of many recordings into shards in ``out_dir``; resumable.

    Parameters
    ----------
    inputs : str, os.PathLike or sequence of str
        Where the audio is (its format detected, see ``source_format``), a local path or an
        fsspec URL (``s3://``, ``gs://``, ``hf://``, ``https://``; read as a stream, nothing
        extracted to disk): a folder of audio files (searched recursively), a text file
        listing one path a line, or a list of paths; Parquet files (a file, a folder, a glob
        or a list) with an audio column (the Hugging Face Hub's ``{bytes, path}`` struct, or
        binary); WebDataset tar shards (a file, a folder, a glob, a brace range
        ``shards/train-{000000..000099}.tar``, a list), a sample's audio its member with an
        audio extension; a segments manifest (``.jsonl`` or ``.csv``: ``path`` or NeMo's
        ``audio_filepath`` relative to the manifest's folder or absolute, ``offset`` and
        ``duration`` in seconds, any other fields), each segment read by seeking.
    out_dir : str or os.PathLike
        The output folder: a path, or an fsspec URL (``s3://bucket/prefix`` with s3fs). It is
        a dataset as it is to ``pyarrow.dataset.dataset``, ``pandas.read_parquet``,
        ``datasets.load_dataset("parquet", data_dir=...)`` and ``webdataset.WebDataset``: the
        job's own files are under ``__spectrust__/`` (``job.json``, ``manifest.jsonl``, a record
        per input: its identity, ``ok``, ``shard``, ``error``), which they skip.
    feature : {"mel", "log_mel", "mfcc", "whisper", "fbank", "ast", "seamless", "parakeet"}
        As :func:`spectrust.tf_dataset` (default ``"mel"``); ``feature_kwargs`` are its
        parameters (``n_mels``, ``n_fft``, ``hop_length``, ``n_mfcc``, ``top_db``,
        ``num_mel_bins``, ...).
    format : {"parquet", "webdataset", "npy"}
        ``"parquet"`` (default): a row per input written; columns: the input's identity
        (``path`` for files; ``path``, ``source_file``, ``source_row`` for Parquet rows;
        ``__key__``, ``__url__`` for tar samples; the manifest's path field), its other fields
        (the Parquet row's other columns, the manifest line's fields but ``duration``, the tar
        sample's ``.json`` fields and text members such as ``txt``, typed as in the first
        sample; a field named as one of the job's columns is kept as ``source_<name>``), then
        ``sample_rate`` (int32, Hz), ``duration`` (float64, seconds of the input's audio used,
        padding not counted), ``cut`` (bool: the input went on past the front end's window,
        Whisper's 30 s, AST's ``max_length``), ``shape`` (list<int32>) and ``features``
        (list<float32> or list<float16>, the array flattened in row-major order).
        ``"webdataset"``: POSIX tar shards, per input ``<key>.npy`` and ``<key>.json`` (the
        same fields), the key the input's number (``000000042``) or a tar sample's own key.
        ``"npy"``: ``<path>.npy`` per file (mirroring the input tree), ``<key>.npy`` else.
    shard_size : int
        Inputs per shard (default 1000): of the files, rows of one Parquet file, manifest
        lines; a tar is one shard. On Dask and Ray, one task per shard.
    dtype : {"float32", "float16"}
        Type of the stored features (default float32).
    sr, offset, duration
        As :func:`spectrust.melspectrogram_batch` (sample rate in Hz, seconds); a segment's
        ``offset`` and ``duration`` count within it.
    workers : int or None
        Threads per shard (default: one per core of the machine computing it).
    source_format : {"files", "parquet", "webdataset", "manifest"} or None
        The format of ``inputs`` (default: detected from the files' extensions).
    audio_column : str or None
        The audio: a Parquet column, a tar member's extension (``"flac"``), a manifest field
        (default: the one there is).
    engine : {"local", "dask", "ray"} or None
        Where the shards run (default ``"dask"`` with ``client``, else ``"local"``). ``"ray"``:
        as Ray tasks on the cluster ``RAY_ADDRESS`` names (else a local one, started and
        stopped here), each asking for ``workers`` CPUs (default: a whole machine's). Output
        identical to a local run (the workers must see the inputs and ``out_dir``).
    client : distributed.Client or None
        The Dask cluster of ``engine="dask"``.
    on_shard : callable or None
        Called with the manifest records of each shard when it is done (progress).

    Returns
    -------
    dict
        ``{"written": N, "failed": M, "skipped": K, "retried": R, "seconds": T}``: inputs
        written and failed by this run, inputs of shards an earlier run had finished, and of
        these runs' failures those tried again (their shards are redone).

    Raises
    ------
    ParameterError
        Bad parameters (before anything is written), or ``out_dir`` holds a job with other
        parameters or inputs (naming them).
    FileNotFoundError
        ``inputs`` names nothing.
    """
    start = time.perf_counter()
    if format not in FORMATS:
        raise ParameterError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    if dtype not in DTYPES:
        raise ParameterError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if shard_size < 1:
        raise ParameterError(f"shard_size must be at least 1, got {shard_size}")
    engine = engine or ("dask" if client is not None else "local")
    if engine not in ENGINES:
        raise ParameterError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if (engine == "dask") != (client is not None):
        raise ParameterError("engine='dask' takes a Dask client (client=), and client= engine='dask'")
    params = dict(sr=sr, offset=float(offset), duration=duration, **feature_kwargs)
    analyser(feature, workers=workers, **params)  # checks the parameters now
    source = inputs if isinstance(inputs, Source) else open_source(inputs, source_format, audio_column)
    source = source.plan(int(shard_size))
    out = os.fspath(out_dir)
    out = out if "://" in out else os.path.abspath(out)  # the same folder on every worker
    job = Job(source, out, feature, format, dtype, int(shard_size), workers, params)
    store = Store(job.out)
    store.claim(job.record())
    parts = store.parts()
    done = {k for k, records in parts.items() if all(r["ok"] for r in records)}
    todo = [k for k in range(job.n_shards) if k not in done]
    retried = sum(not r["ok"] for k, records in parts.items() if k not in done for r in records)
    counts = {"written": 0, "failed": 0, "skipped": sum(len(parts[k]) for k in done), "retried": retried}

    def finished(records: list) -> None:
        counts["written"] += sum(r["ok"] for r in records)
        counts["failed"] += sum(not r["ok"] for r in records)
        if on_shard is not None:
            on_shard(records)

    RUNNERS[engine](job, todo, finished, client)
    store.write_manifest(job.n_shards)
    return {**counts, "seconds": time.perf_counter() - start}


def run_shard(job: Job, k: int) -> list:
    """Computes and writes shard ``k``, then its manifest part; returns its manifest records
    (what a Dask or Ray task runs)."""
    with ThreadPoolExecutor(1, thread_name_prefix="spectrust-writer") as writer:
        return _shard(job, k, read_ahead(job, k), writer).result()


def _shard(job: Job, k: int, batches: Iterator, writer: ThreadPoolExecutor) -> Future:
    """Computes shard ``k`` here, a batch at a time (``batches``: read one ahead, see
    :func:`read_ahead`), while ``writer`` (one thread) writes the batch before, then commits
    the shard file and writes its manifest part: the future of its records. The next shard can
    be computed while this one's last rows are written."""
    analyse = analyser(job.feature, workers=job.workers, **job.params)
    records: list = []
    output = writer.submit(_Output, job, k)
    written = output
    try:
        while True:
            try:
                batch = next(batches, None)
            except Exception as e:  # a tar or Parquet file unreadable from here: the shard failed
                ident, where = job.source.describe(k)
                records.append({**ident, "ok": False, "shard": k, "error": f"{where}: {e}"})
                break
            if batch is None:
                break
            rows, extra = _computed(job, k, batch, analyse, records)
            written.result()  # one batch waits to be written at most
            written = writer.submit(lambda rows=rows, extra=extra: output.result().add(rows, extra))
    except BaseException as e:
        writer.submit(lambda error=e: output.result().abort(error))
        raise
    finally:
        batches.close()

    def commit() -> list:
        try:
            written.result()
        except BaseException as e:
            output.result().abort(e)
            raise
        return output.result().commit(records)

    return writer.submit(commit)


class _Output:
    """Shard ``k``'s file (or files, npy) as its writer thread writes it: opened under a
    temporary name, a batch's rows added at a time, then committed (renamed into place) and
    its manifest part written; or aborted (nothing left)."""

    def __init__(self, job: Job, k: int):
        self.store, self.k, self.stack = Store(job.out), k, contextlib.ExitStack()
        kind = WRITERS[job.format]
        target = self.stack.enter_context(self.store.open(f"shard-{k:05d}{kind.suffix}")) if kind.suffix else self.store
        self.writer = kind(job, target)

    def add(self, rows: list, extra) -> None:
        self.writer.add(rows, extra)

    def commit(self, records: list) -> list:
        self.writer.close()
        self.stack.close()
        self.store.write_part(self.k, records)
        return records

    def abort(self, error: BaseException) -> None:
        self.stack.__exit__(type(error), error, error.__traceback__)


def read_ahead(job: Job, k: int) -> Iterator:
    """Shard ``k``'s batches of inputs, each read on a background thread while the one before
    is computed (the first as soon as this is called)."""
    return one_ahead(job.source.batches(k, min(job.shard_size, BATCH)), "spectrust-next-inputs")


def _computed(job: Job, k: int, batch, analyse, records: list) -> tuple:
    """The rows of a batch's inputs that were computed, and their other fields; each input's
    record appended to ``records``."""
    import numpy as np

    items = batch.items
    readable = [i for i, item in enumerate(items) if not isinstance(item.audio, BaseException)]
    spans = None
    if any(items[i].span is not None for i in readable):
        spans = [items[i].span or (0.0, None) for i in readable]
    results: list = [item.audio for item in items]
    for i, result in zip(readable, analyse([items[i].audio for i in readable], spans) if readable else []):
        results[i] = result
    rows, kept = [], []
    for i, (item, result) in enumerate(zip(items, results)):
        ok = not isinstance(result, BaseException)
        records.append({**item.ident, "ok": ok, "shard": k, "error": None if ok else str(result)})
        if ok:
            features, rate, samples, cut = result
            rows.append(Row(item.key, item.ident, features.astype(job.dtype), int(rate), samples / rate, bool(cut)))
            kept.append(i)
    extra = batch.extra.take(np.asarray(kept, dtype=np.int64)) if batch.extra is not None else None
    return rows, extra


# -- engines ------------------------------------------------------------------------------------


def _local(job: Job, todo: list, finished: Callable, client) -> None:
    # The next shard's first batch is read, and this shard's last is written, while the next
    # shard is computed.
    with ThreadPoolExecutor(1, thread_name_prefix="spectrust-writer") as writer:
        following, done = (read_ahead(job, todo[0]) if todo else None), None
        for i, k in enumerate(todo):
            batches, following = following, read_ahead(job, todo[i + 1]) if i + 1 < len(todo) else None
            shard = _shard(job, k, batches, writer)
            if done is not None:
                finished(done.result())
            done = shard
        if done is not None:
            finished(done.result())


def _dask(job: Job, todo: list, finished: Callable, client) -> None:
    from distributed import as_completed

    # The job (with every input's path) goes to each worker once, not with every task.
    shared = client.scatter(job, broadcast=True)
    futures = [client.submit(run_shard, shared, k, pure=False) for k in todo]
    for future in as_completed(futures):
        finished(future.result())


def _ray(job: Job, todo: list, finished: Callable, client) -> None:
    import ray

    started = not ray.is_initialized()
    if started:  # RAY_ADDRESS's cluster, else a local one
        ray.init(address=os.environ.get("RAY_ADDRESS") or None, log_to_driver=False, include_dashboard=False)
    try:
        alive = [n["Resources"].get("CPU", 1) for n in ray.nodes() if n.get("Alive")]
        cpus = job.workers or int(min(alive or [1]))
        task = ray.remote(num_cpus=cpus, max_retries=2)(run_shard)
        shared = ray.put(job)  # sent once, not with every task
        pending = [task.remote(shared, k) for k in todo]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            finished(ray.get(ready[0]))
    finally:
        if started:
            ray.shutdown()


RUNNERS = {"local": _local, "dask": _dask, "ray": _ray}
