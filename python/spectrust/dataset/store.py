"""OUT: the shards (written whole or not at all), and the job's own files under
``__spectrust__/`` (skipped by pyarrow and pandas, which ignore names starting with ``_`` or
``.``, and by Hugging Face ``datasets``, which ignores folders starting with ``__``):
``job.json`` (what decides the output), ``manifest.d/shard-00000.jsonl`` (a shard's records,
written after its data: a shard is done when its part exists and holds no failure) and
``manifest.jsonl`` (all of them, in input order)."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Callable

from .._files import atomic_file, remove_stale_parts
from ..errors import ParameterError

#: The job's own files, under a folder dataset readers skip.
JOB_DIR = "__spectrust__"
CONFIG, MANIFEST, PARTS = f"{JOB_DIR}/job.json", f"{JOB_DIR}/manifest.jsonl", f"{JOB_DIR}/manifest.d"

#: Where an OUT written before 0.3 keeps its job.
OLD_CONFIG = "spectrust.json"


class Store:
    """OUT: a local folder (files written through a temporary name, fsynced and renamed) or
    an fsspec URL (objects written whole)."""

    def __init__(self, out: str):
        import fsspec

        self.fs, self.root = fsspec.core.url_to_fs(out)
        self.local = "file" in self.fs.protocol or "local" in self.fs.protocol

    def path(self, relative: str) -> str:
        return f"{self.root.rstrip('/')}/{relative}"

    @contextlib.contextmanager
    def open(self, relative: str) -> Iterator:
        """A binary file to write ``relative`` into: in place once the block ends without an
        exception, else nothing written."""
        if self.local:
            with atomic_file(self.path(relative)) as f:
                yield f
            return
        f = self.fs.open(self.path(relative), "wb")
        try:
            yield f
        except BaseException:
            if hasattr(f, "discard"):  # a multipart upload is aborted, not committed
                f.discard()
            raise
        f.close()

    def put(self, relative: str, write: Callable) -> None:
        with self.open(relative) as f:
            write(f)

    def claim(self, record: dict) -> None:
        """Records the job in ``job.json``, or refuses a job unlike the one recorded, naming
        what differs (``ParameterError``)."""
        config = self.path(CONFIG)
        if self.fs.exists(self.path(OLD_CONFIG)):
            raise ParameterError(f"{self.path(OLD_CONFIG)}: a job of spectrust < 0.3; use another output folder")
        if self.fs.exists(config):
            recorded, mine = _flat(json.loads(self.fs.cat_file(config))), _flat(record)
            differ = [
                f"{k} ({_show(mine, k)}; OUT has {_show(recorded, k)})"
                for k in sorted(mine.keys() | recorded.keys())
                if k != "spectrust" and mine.get(k) != recorded.get(k)
            ]
            if differ:
                raise ParameterError(f"{config}: holds a job with other {', '.join(differ)}; use another output folder")
        else:
            self.fs.makedirs(self.path(JOB_DIR), exist_ok=True)
            text = json.dumps(record, indent=2).encode()
            self.put(CONFIG, lambda f: f.write(text))
        if self.local:
            remove_stale_parts(self.root)

    def parts(self) -> dict:
        """The records of each shard with a manifest part: ``{k: records}``."""
        parts = self.path(PARTS)
        if not self.fs.exists(parts):
            return {}
        found = {}
        for p in self.fs.ls(parts, detail=False):
            name = PurePosixPath(p).name
            if name.startswith("shard-") and name.endswith(".jsonl"):
                text = self.fs.cat_file(self.path(f"{PARTS}/{name}")).decode()
                found[int(name[6:-6])] = [json.loads(line) for line in text.splitlines()]
        return found

    def write_part(self, k: int, records: list) -> None:
        lines = "".join(json.dumps(r) + "\n" for r in records).encode()
        self.put(f"{PARTS}/shard-{k:05d}.jsonl", lambda f: f.write(lines))

    def write_manifest(self, n_shards: int) -> None:
        parts = [self.fs.cat_file(self.path(f"{PARTS}/shard-{k:05d}.jsonl")) for k in range(n_shards)]
        self.put(MANIFEST, lambda f: f.write(b"".join(parts)))


def _flat(record: dict, prefix: str = "") -> dict:
    """``record`` with nested dicts' keys dotted: ``{"params.n_mels": 80}``."""
    flat = {}
    for k, v in record.items():
        if isinstance(v, dict):
            flat.update(_flat(v, f"{prefix}{k}."))
        else:
            flat[f"{prefix}{k}"] = v
    return flat


def _show(values: dict, key: str) -> str:
    value = values.get(key, "unset")
    return f"{value[:12]}..." if isinstance(value, str) and len(value) == 64 else repr(value)


# -- shard writers ------------------------------------------------------------------------------


def schema(job):
    """The columns of the Parquet shards: the source's identity columns, its other fields,
    ``sample_rate`` (int32, Hz), ``duration`` (float64, seconds of audio used), ``cut`` (bool),
    ``shape`` (list<int32>) and ``features`` (the array flattened)."""
    import pyarrow as pa

    own = [pa.field(name, pa.type_for_alias(kind)) for name, kind in job.source.ident_schema()]
    extra = list(job.source.extra) if job.source.extra is not None else []
    value = pa.float16() if job.dtype == "float16" else pa.float32()
    return pa.schema(
        [
            *own,
            *extra,
            pa.field("sample_rate", pa.int32()),
            pa.field("duration", pa.float64()),
            pa.field("cut", pa.bool_()),
            pa.field("shape", pa.list_(pa.int32())),
            pa.field("features", pa.list_(value)),
        ]
    )


class ParquetShard:
    """``shard-00000.parquet``: a row per input written, a row group per batch."""

    suffix = ".parquet"

    def __init__(self, job, f):
        import pyarrow.parquet as pq

        self.job, self.schema = job, schema(job)
        self.value_type = self.schema.field("features").type.value_type
        # Dictionary pages for every column but the features (float data: a page as large as the
        # values, never used).
        plain = [name for name in self.schema.names if name != "features"]
        self.writer = pq.ParquetWriter(f, self.schema, use_dictionary=plain)

    def add(self, rows: list, extra) -> None:
        import numpy as np
        import pyarrow as pa

        flat = [r.features.reshape(-1) for r in rows]
        offsets = np.cumsum([0] + [len(f) for f in flat], dtype=np.int64)
        values = np.concatenate(flat) if flat else np.zeros(0, dtype=self.job.dtype)
        columns = {name: [r.ident.get(name) for r in rows] for name, _ in self.job.source.ident_schema()}
        if extra is not None:
            columns.update({name: extra.column(name) for name in extra.column_names})
        columns.update(
            sample_rate=[r.rate for r in rows],
            duration=[r.duration for r in rows],
            cut=[r.cut for r in rows],
            shape=[list(r.features.shape) for r in rows],
            features=pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, self.value_type)),
        )
        self.writer.write_table(pa.table(columns, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


class TarShard:
    """``shard-00000.tar``: per input ``<key>.npy`` and ``<key>.json`` (identity, other fields,
    sample_rate, duration, cut), as webdataset writes them."""

    suffix = ".tar"

    def __init__(self, job, f):
        import tarfile

        self.tar = tarfile.open(fileobj=f, mode="w", format=tarfile.USTAR_FORMAT)

    def add(self, rows: list, extra) -> None:
        import tarfile

        import numpy as np

        fields = extra.to_pylist() if extra is not None else [{}] * len(rows)
        for r, other in zip(rows, fields):
            npy = io.BytesIO()
            np.save(npy, r.features)
            meta = {**r.ident, **other, "sample_rate": r.rate, "duration": r.duration, "cut": r.cut}
            for name, data in ((f"{r.key}.npy", npy.getvalue()), (f"{r.key}.json", _json(meta))):
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(data), 0, 0o644
                self.tar.addfile(info, io.BytesIO(data))

    def close(self) -> None:
        self.tar.close()


def _json(value: dict) -> bytes:
    return json.dumps(value, default=str).encode()


class NpyFiles:
    """One ``.npy`` per input: a file's path mirrored (``a/b.mp3.npy``), else ``<key>.npy``."""

    suffix = None

    def __init__(self, job, store):
        import numpy as np

        self.job, self.store, self.np = job, store, np

    def add(self, rows: list, extra) -> None:
        for r in rows:
            name = r.ident["path"] if self.job.source.format == "files" else r.key
            relative = PurePosixPath(PurePosixPath(name.replace(os.sep, "/")).as_posix().lstrip("/"))
            self.store.put(f"{relative}.npy", lambda f, x=r.features: self.np.save(f, x))

    def close(self) -> None:
        pass


WRITERS = {"parquet": ParquetShard, "webdataset": TarShard, "npy": NpyFiles}
