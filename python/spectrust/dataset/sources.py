"""Where the dataset job's inputs come from: a stream of (key, audio, span, other fields) per
shard, whatever holds them.

=============  ============================================================================
format         what SRC is, and a shard
=============  ============================================================================
``files``      a folder searched recursively for audio files, a text file listing one path a
               line, one audio file, or a list of paths; a shard: ``shard_size`` of them
``parquet``    Parquet files (a file, a folder of them, a glob, a list) with an audio column:
               the Hugging Face Hub's ``{bytes, path}`` struct or binary; a shard:
               ``shard_size`` rows of one file, its row groups read alone
``webdataset`` WebDataset tar shards (a file, a folder, a glob, a brace range
               ``shard-{000000..000099}.tar``, a list); a sample's audio is its member with an
               audio extension; a shard: one tar, read as a stream
``manifest``   a segments manifest, JSON lines or CSV: a ``path`` (or NeMo's
               ``audio_filepath``) relative to the manifest's folder or absolute, ``offset``
               and ``duration`` in seconds, any other fields; a shard: ``shard_size`` lines,
               each segment read by seeking
=============  ============================================================================

Each may be a local path or an fsspec URL (``s3://``, ``gs://``, ``hf://``, ``https://``),
read as a stream: nothing is extracted to disk; a shard's inputs are read in batches, the
next while the core computes one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

from .._core import AUDIO_EXTENSIONS
from .._inputs import NamedBytes, read_all
from .._params import DEFAULT_MAX_BYTES
from ..errors import DecodeError, ParameterError

#: The source formats, detected from SRC or given (``source_format``).
SOURCE_FORMATS = ("files", "parquet", "webdataset", "manifest")

#: The columns the job writes itself (the identity columns of every format, then the
#: features'); a source's field of one of these names is kept as ``source_<name>``.
OWN_COLUMNS = (
    "path",
    "source_file",
    "source_row",
    "__key__",
    "__url__",
    "sample_rate",
    "duration",
    "cut",
    "shape",
    "features",
)

#: The fields of a manifest line that name its recording, in the order they are looked for.
MANIFEST_PATHS = ("path", "audio_filepath")

#: Members of a tar sample kept as text columns (beside the fields of its ``.json``).
TEXT_MEMBERS = ("txt", "text", "transcript", "cls", "label", "lab")

#: Bytes of audio read ahead for one batch at most (a batch ends early past them).
BATCH_BYTES = 256 << 20


@dataclass
class Item:
    """One input: its ``key`` (the sample's name in webdataset and npy outputs), ``ident`` (the
    columns that say where it came from), ``audio`` (as the core takes it, or the exception of
    reading it) and ``span`` (``(start, length)`` in seconds, or None: whole)."""

    key: str
    ident: dict
    audio: Any
    span: Optional[tuple] = None


@dataclass
class Batch:
    """Some inputs of a shard and their other fields: ``extra`` (a pyarrow table, a row per
    item, or None)."""

    items: list
    extra: Any = None


@dataclass(frozen=True)
class Source:
    """SRC, listed: plain data that travels to Dask and Ray workers.

    ``entries``: ``files`` paths (relative to ``root``, or absolute); ``parquet`` ``(name,
    rows)`` per file; ``webdataset`` tar names; ``manifest`` its name (its lines are
    ``table``). ``extra``: the pyarrow schema of the other fields (None: none); ``listing``:
    a digest of the inputs (what a rerun must find again)."""

    format: str
    root: str
    entries: tuple
    audio_column: Optional[str] = None
    extra: Any = None
    table: Any = None
    listing: str = ""
    units: tuple = field(default=(), compare=False)

    # -- what a shard is ----------------------------------------------------------------------

    def plan(self, shard_size: int) -> Source:
        """This source with its shards (``units``): ``(start, stop)`` of the inputs' numbers,
        with the file for ``parquet`` (``(file, first row, stop)``), the tar for
        ``webdataset`` (``(tar,)``)."""
        if self.format == "webdataset":
            units = tuple((k,) for k in range(len(self.entries)))
        elif self.format == "parquet":
            units = tuple(
                (f, a, min(a + shard_size, rows))
                for f, (_, rows) in enumerate(self.entries)
                for a in range(0, rows, shard_size)
            )
        else:
            n = len(self.entries) if self.format == "files" else self.table.num_rows
            units = tuple((a, min(a + shard_size, n)) for a in range(0, n, shard_size))
        return dataclasses.replace(self, units=units)

    def ident_schema(self) -> list:
        """``(name, pyarrow type name)`` of the identity columns of this format."""
        if self.format == "webdataset":
            return [("__key__", "string"), ("__url__", "string")]
        if self.format == "parquet":
            return [("path", "string"), ("source_file", "string"), ("source_row", "int64")]
        if self.format == "manifest":
            return [(self.audio_column, "string")]
        return [("path", "string")]

    def size(self) -> Optional[int]:
        """How many inputs there are (None: known once read, for tars)."""
        if self.format == "webdataset":
            return None
        if self.format == "parquet":
            return sum(rows for _, rows in self.entries)
        return len(self.entries) if self.format == "files" else self.table.num_rows

    def describe(self, k: int) -> tuple:
        """``(identity, location)`` of shard ``k``'s file (a tar or Parquet file), for the record
        of a shard that could not be read to its end."""
        if self.format == "webdataset":
            name = self.entries[self.units[k][0]]
            return {"__key__": None, "__url__": name}, self.location(name)
        if self.format == "parquet":
            name = self.entries[self.units[k][0]][0]
            return {"path": None, "source_file": name, "source_row": None}, self.location(name)
        return {}, self.location(self.entries[0]) if self.format == "manifest" else self.root

    # -- reading a shard ----------------------------------------------------------------------

    def batches(self, k: int, size: int) -> Iterator[Batch]:
        """Shard ``k``'s inputs, in batches of at most ``size`` (and about ``BATCH_BYTES`` of
        audio)."""
        return {"files": self._files, "parquet": self._parquet, "webdataset": self._tar, "manifest": self._manifest}[
            self.format
        ](self.units[k], size)

    def location(self, name: str) -> str:
        """An entry's path or URL (see :func:`location`)."""
        return location(self.root, name)

    def _files(self, unit: tuple, size: int) -> Iterator[Batch]:
        start, stop = unit
        for a in range(start, stop, size):
            names = self.entries[a : min(stop, a + size)]
            audio = _readers([self.location(n) for n in names])
            items = [Item(f"{a + j:09d}", {"path": n}, audio[j]) for j, n in enumerate(names)]
            yield Batch(items)

    def _manifest(self, unit: tuple, size: int) -> Iterator[Batch]:
        start, stop = unit
        column = self.audio_column
        for a in range(start, stop, size):
            rows = self.table.slice(a, min(stop, a + size) - a)
            paths = rows.column(column).to_pylist()
            audio = _readers([self.location(p) if isinstance(p, str) else "" for p in paths])
            offsets = _numbers(rows, "offset")
            durations = _numbers(rows, "duration")
            items = []
            for j, path in enumerate(paths):
                span = (offsets[j] or 0.0, durations[j])
                bad = _bad_span(span) if isinstance(path, str) and path else f"no {column}"
                if bad:
                    where = self.location(path) if isinstance(path, str) and path else self.location(self.entries[0])
                    audio[j] = ParameterError(f"{where}: {bad} (line {a + j + 1} of {self.entries[0]})")
                items.append(Item(f"{a + j:09d}", {column: path}, audio[j], span))
            yield Batch(items, _extra(rows, self.extra))

    def _parquet(self, unit: tuple, size: int) -> Iterator[Batch]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        f, start, stop = unit
        name, _ = self.entries[f]
        first = sum(rows for _, rows in self.entries[:f])
        url = self.location(name)
        # A local file mapped by pyarrow itself (its pages read where the system caches them, not
        # copied first), a URL's read through fsspec.
        local = "://" not in url
        with contextlib.nullcontext(url) if local else _open(url) as stream:
            pf = pq.ParquetFile(stream, memory_map=local)
            sizes = [pf.metadata.row_group(g).num_rows for g in range(pf.num_row_groups)]
            starts = [sum(sizes[:g]) for g in range(len(sizes))]
            held: dict = {}  # the row groups read, while a batch still needs them
            for a in range(start, stop, size):
                b = min(stop, a + size)
                # The row groups that hold rows a..b, each read once.
                groups = [g for g in range(len(sizes)) if starts[g] < b and starts[g] + sizes[g] > a]
                held = {g: held[g] if g in held else pf.read_row_group(g) for g in groups}
                table = pa.concat_tables([held[g] for g in groups]).slice(a - starts[groups[0]], b - a)
                audio, paths = _audio_values(table.column(self.audio_column))
                items = []
                for j, (data, path) in enumerate(zip(audio, paths)):
                    where = f"{url}:row {a + j}" + (f" ({path})" if path else "")
                    clip = NamedBytes(data, where) if data else DecodeError(f"{where}: no audio bytes")
                    ident = {"path": path, "source_file": name, "source_row": a + j}
                    items.append(Item(f"{first + a + j:09d}", ident, clip))
                yield Batch(items, _extra(table.drop_columns([self.audio_column]), self.extra))

    def _tar(self, unit: tuple, size: int) -> Iterator[Batch]:
        (t,) = unit
        name = self.entries[t]
        items, fields, held = [], [], 0
        try:
            for sample in tar_samples(self.location(name)):
                audio, extra = sample_audio(sample, self.audio_column)
                key = sample["__key__"]
                where = f"{self.location(name)}:{key}"
                if isinstance(audio, tuple):
                    audio = NamedBytes(audio[1], f"{where}.{audio[0]}")
                    held += len(audio.data)
                else:
                    audio = DecodeError(f"{where}: {audio}")
                items.append(Item(key, {"__key__": key, "__url__": name}, audio))
                fields.append(extra)
                if len(items) == size or held > BATCH_BYTES:
                    yield Batch(items, _typed(fields, self.extra))
                    items, fields, held = [], [], 0
        except Exception:  # the samples read before a tar that breaks off are written
            if items:
                yield Batch(items, _typed(fields, self.extra))
            raise
        if items:
            yield Batch(items, _typed(fields, self.extra))


def location(root: str, name: str) -> str:
    """A path or URL ``name`` under ``root`` (a folder or URL prefix, or ``""``) unless absolute
    (or a URL)."""
    if not root or "://" in name or os.path.isabs(name):
        return name
    return posixpath.join(root, name) if "://" in root else os.path.join(root, name)


# -- reading helpers ----------------------------------------------------------------------------


def _open(location: str):
    """A binary file object of a path or URL."""
    import fsspec

    return fsspec.open(location, "rb").open() if "://" in location else open(location, "rb")


def _readers(locations: list) -> list:
    """The inputs as the core takes them: a local path as it is, a URL's bytes read whole
    (once for the same URL: segments of one recording share them), or the error of reading
    them."""
    fetched: dict = {}
    out = []
    for location in locations:
        if "://" not in location:
            out.append(location)
            continue
        if location not in fetched:
            try:
                with _open(location) as f:
                    fetched[location] = NamedBytes(read_all(f, location, DEFAULT_MAX_BYTES), location)
            except FileNotFoundError:
                fetched[location] = FileNotFoundError(f"{location}: no such file")
            except DecodeError as e:  # too large
                fetched[location] = e
            except OSError as e:
                fetched[location] = OSError(f"{location}: {e}")
        out.append(fetched[location])
    return out


def _audio_values(column) -> tuple:
    """``(audio, paths)`` of a Parquet audio column (the Hub's ``{bytes, path}`` struct, or
    binary): per row its bytes (None for a null) and its path (or None)."""
    import pyarrow as pa

    audio: list = []
    paths: list = []
    for chunk in column.chunks:
        if pa.types.is_struct(chunk.type):
            fields = dict(zip((f.name for f in chunk.type), chunk.flatten()))  # the chunk's rows
            paths += fields["path"].to_pylist() if "path" in fields else [None] * len(chunk)
            values = fields["bytes"].to_pylist()
            if chunk.null_count:  # a null struct: no audio
                values = [v if ok else None for v, ok in zip(values, chunk.is_valid().to_pylist())]
        else:
            paths += [None] * len(chunk)
            values = chunk.to_pylist()
        audio += values
    return audio, paths


def _numbers(table, name: str) -> list:
    return table.column(name).to_pylist() if name in table.column_names else [None] * table.num_rows


def _bad_span(span: tuple) -> Optional[str]:
    offset, duration = span
    if not offset >= 0:
        return f"offset must be >= 0 seconds, got {offset}"
    if duration is not None and not duration > 0:
        return f"duration must be > 0 seconds, got {duration}"
    return None


def _renamed(schema):
    """``schema`` with the job's own column names prefixed ``source_`` (None if empty)."""
    import pyarrow as pa

    if not len(schema):
        return None
    return pa.schema([f.with_name(f"source_{f.name}") if f.name in OWN_COLUMNS else f for f in schema])


def _extra(table, schema):
    """A source table's other columns as the job writes them (renamed as ``schema``)."""
    if schema is None:
        return None
    return table.select([_original(n, table.column_names) for n in schema.names]).rename_columns(schema.names)


def _original(name: str, present) -> str:
    """The source's name of column ``name`` (one of ``present``): itself, or without the
    ``source_`` that :func:`_renamed` gave it."""
    return name[len("source_") :] if name not in present and name.startswith("source_") else name


def _typed(fields: list, schema):
    """Dicts of fields as a table of ``schema`` (None: inferred, renamed): a value that does not
    fit its column's type is null."""
    import pyarrow as pa

    if schema is None:
        table = pa.Table.from_pylist(fields)
        renamed = _renamed(table.schema)
        return None if renamed is None else table.rename_columns(renamed.names)
    plain = [{name: f.get(_original(name, f)) for name in schema.names} for f in fields]
    columns = []
    for column in schema:
        values = [row[column.name] for row in plain]
        try:
            columns.append(pa.array(values, column.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            columns.append(pa.array([_fit(v, column.type) for v in values], column.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _fit(value, kind):
    import pyarrow as pa

    try:
        return pa.array([value], kind)[0].as_py()
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return None


def tar_samples(location: str) -> Iterator[dict]:
    """The samples of a tar (webdataset's grouping of members by key), read as a stream."""
    from webdataset.tariterators import group_by_keys, tar_file_iterator

    failed: list = []

    def members(f) -> Iterator[dict]:
        try:
            for member in tar_file_iterator(f):
                yield {**member, "__url__": location}
        except Exception as e:  # raised after the samples read whole before it
            failed.append(e)

    with _open(location) as f:
        for sample in group_by_keys(members(f)):
            if failed:  # the sample the tar broke off in
                break
            yield sample
    if failed:  # webdataset appends the stream to the message
        raise OSError(str(failed[0]).split(" @ <")[0])


def sample_audio(sample: dict, audio_column: Optional[str]) -> tuple:
    """``((extension, bytes) or the reason there is none, other fields)`` of a tar sample: its
    member ``audio_column`` (an extension), else the one with an audio extension; the fields of
    its ``.json`` and its text members."""
    found = [e for e in sample if not e.startswith("__") and "." + e.rsplit(".", 1)[-1] in AUDIO_EXTENSIONS]
    if audio_column is not None:
        audio = (audio_column, sample[audio_column]) if audio_column in sample else f"no member .{audio_column}"
    elif len(found) == 1:
        audio = (found[0], sample[found[0]])
    else:
        audio = f"audio members: {', '.join(found)}; give audio_column" if found else "no audio member"
    fields: dict = {}
    for ext, data in sample.items():
        if ext == "json":
            try:
                value = json.loads(data)
            except ValueError:
                value = None
            if isinstance(value, dict):
                fields.update(value)
    for ext in TEXT_MEMBERS:
        if ext in sample:
            fields[ext] = sample[ext].decode("utf-8", "replace")
    return audio, fields
