"""Listing SRC: its format detected from what it is (or given), its files found (a folder, a
glob, a brace range, a list; local or at an fsspec URL), a Parquet file's rows counted from its
footer, a manifest read whole, a tar's first sample read for its fields: a :class:`Source`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import posixpath
from collections.abc import Sequence
from typing import Optional, Union

from .._core import AUDIO_EXTENSIONS
from ..errors import ParameterError
from .sources import (
    MANIFEST_PATHS,
    SOURCE_FORMATS,
    Source,
    _open,
    _renamed,
    _typed,
    location,
    sample_audio,
    tar_samples,
)


def open_source(
    src: Union[str, os.PathLike, Sequence], source_format: Optional[str] = None, audio_column: Optional[str] = None
) -> Source:
    """SRC listed as a :class:`Source`: its format detected (``source_format`` forces it),
    its files found (a folder, a glob, a brace range, a list), a Parquet file's rows counted
    from its footer, a manifest read whole, a tar's first sample read for its fields.

    Raises
    ------
    ParameterError
        An unknown ``source_format``, SRC of several formats, no audio column, a manifest
        without paths.
    FileNotFoundError
        SRC names nothing.
    """
    if source_format is not None and source_format not in SOURCE_FORMATS:
        raise ParameterError(f"source_format must be one of {', '.join(SOURCE_FORMATS)}, got {source_format!r}")
    try:
        root, names, form = _find(src, source_format)
        if form == "files":
            source = Source("files", root, tuple(names))
        elif form == "parquet":
            source = _parquet_source(root, names, audio_column)
        elif form == "webdataset":
            source = _tar_source(root, names, audio_column)
        else:
            source = _manifest_source(root, names, audio_column)
    except (ParameterError, OSError):
        raise
    except ImportError as e:  # fsspec's "Install s3fs to access S3"
        raise ParameterError(f"{_name(src)}: {e}") from None
    except Exception as e:  # an object store's own errors (credentials, permissions)
        raise OSError(f"{_name(src)}: {type(e).__name__}: {e}") from None
    return dataclasses.replace(source, listing=source.listing or _digest(source))


def _name(src) -> str:
    return os.fspath(src) if isinstance(src, (str, os.PathLike)) else "SRC"


def _find(src, forced: Optional[str]) -> tuple:
    """``(root, names, format)``: what SRC names, relative to ``root`` where it is a folder."""
    if not isinstance(src, (str, os.PathLike)):
        names = [os.fspath(p) for p in src]
        # Relative paths are the working directory's, here and on every worker.
        local = any("://" not in n and not os.path.isabs(n) for n in names)
        return os.getcwd() if local else "", names, forced or _format_of(names, "files")
    text = os.fspath(src)
    fs, path = _fs(text)
    if any(c in text for c in "*?[") or ("{" in text and ".." in text):
        from braceexpand import braceexpand

        found = sorted(
            {p for pattern in braceexpand(path) for p in (fs.glob(pattern) if _globbed(pattern) else [pattern])}
        )
        missing = [p for p in found if not fs.exists(p)]
        if not found or missing:
            raise FileNotFoundError(f"{text}: {'no such file ' + missing[0] if missing else 'matches nothing'}")
        names = [_url(text, fs, p) for p in found]
        return "", names, forced or _format_of(names, None, text)
    if fs.isdir(path):
        every = sorted(p for p in fs.find(path) if not posixpath.basename(p).startswith("."))
        base = path.rstrip("/") + "/"
        by_format = {
            "parquet": [p for p in every if p.endswith(".parquet")],
            "webdataset": [p for p in every if p.endswith(".tar")],
            "files": [p for p in every if posixpath.splitext(p)[1].lower() in AUDIO_EXTENSIONS],
        }
        form = forced or next((f for f in ("parquet", "webdataset") if by_format[f]), "files")
        if form not in by_format:
            raise ParameterError(f"{text}: a folder is not a {form}; give the manifest's path")
        root = text if "://" in text else os.path.abspath(text)
        return root, [p[len(base) :] for p in by_format[form]], form
    if fs.isfile(path):
        form = forced or _format_of([path], None, text)
        if form not in (None, "files") or posixpath.splitext(path)[1].lower() in AUDIO_EXTENSIONS:
            return _parent(text), [posixpath.basename(path)], form
        # a list of paths, a line each
        lines = (line.strip() for line in fs.cat_file(path).decode().splitlines())
        return _parent(text), [line for line in lines if line and not line.startswith("#")], "files"
    raise FileNotFoundError(f"{text}: no such folder, file or URL")


def _format_of(names: list, default: Optional[str], text: str = "") -> Optional[str]:
    """The format of files by their extension (all the same), else ``default``."""
    kinds = set()
    for n in names:
        ext = posixpath.splitext(n)[1].lower()
        kinds.add(
            {
                ".parquet": "parquet",
                ".tar": "webdataset",
                ".jsonl": "manifest",
                ".json": "manifest",
                ".csv": "manifest",
            }.get(ext, "files" if ext in AUDIO_EXTENSIONS else default)
        )
    if len(kinds) > 1:
        raise ParameterError(f"{text or 'SRC'}: files of several formats ({', '.join(sorted(map(str, kinds)))})")
    return kinds.pop() if kinds else default


def _parquet_source(root: str, names: list, audio_column: Optional[str]) -> Source:
    import pyarrow.parquet as pq

    entries, schema = [], None
    for name in names:
        where = location(root, name)
        with _open(where) as f:
            pf = pq.ParquetFile(f)
            entries.append((name, pf.metadata.num_rows))
            schema = schema or pf.schema_arrow
    if schema is None:
        raise FileNotFoundError(f"{root}: no Parquet files")
    column = audio_column or _audio_column(schema, root)
    if column not in schema.names:
        raise ParameterError(f"{root or names[0]}: no column {column!r} (columns: {', '.join(schema.names)})")
    extra = _renamed(schema.remove(schema.get_field_index(column)))
    return Source("parquet", root, tuple(entries), column, extra)


def _audio_column(schema, where: str) -> str:
    """The audio column: the one struct of ``bytes`` (and ``path``), else the one binary."""
    import pyarrow as pa

    structs = [f.name for f in schema if pa.types.is_struct(f.type) and f.type.get_field_index("bytes") >= 0]
    binary = [f.name for f in schema if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
    found = structs or binary
    if len(found) != 1:
        which = f"several ({', '.join(found)})" if found else "none"
        raise ParameterError(f"{where}: audio columns: {which}; give audio_column (--audio-column)")
    return found[0]


def _tar_source(root: str, names: list, audio_column: Optional[str]) -> Source:
    """The tars, the fields of the other members read from the first sample."""
    if not names:
        raise FileNotFoundError(f"{root}: no tar files")
    first = next(tar_samples(location(root, names[0])), None)
    fields = [] if first is None else [sample_audio(first, audio_column)[1]]
    extra = _typed(fields, None).schema if fields and fields[0] else None
    return Source("webdataset", root, tuple(names), audio_column, extra)


def _manifest_source(root: str, names: list, audio_column: Optional[str]) -> Source:
    import pyarrow as pa

    (name,) = names
    where = location(root, name)
    with _open(where) as f:
        data = f.read()
    if name.lower().endswith(".csv"):
        import pyarrow.csv as pcsv

        table = pcsv.read_csv(pa.BufferReader(data))
    else:
        import pyarrow.json as pjson

        try:
            table = pjson.read_json(pa.BufferReader(data))
        except pa.ArrowInvalid as e:
            raise ParameterError(f"{where}: not JSON lines ({e})") from None
    column = audio_column or next((c for c in MANIFEST_PATHS if c in table.column_names), None)
    if column is None or column not in table.column_names:
        raise ParameterError(f"{where}: no {column or ' or '.join(MANIFEST_PATHS)} field")
    for number in ("offset", "duration"):
        if number in table.column_names and not pa.types.is_floating(table.schema.field(number).type):
            try:
                table = table.set_column(
                    table.column_names.index(number), number, table.column(number).cast(pa.float64())
                )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise ParameterError(f"{where}: {number} must be seconds (a number)") from None
    kept = table.drop_columns([c for c in ("duration",) if c in table.column_names])
    extra = _renamed(kept.drop_columns([column]).schema)
    return Source("manifest", root, (name,), column, extra, table, hashlib.sha256(data).hexdigest())


def _digest(source: Source) -> str:
    return hashlib.sha256(json.dumps([source.format, source.audio_column, list(source.entries)]).encode()).hexdigest()


def _fs(text: str):
    import fsspec

    return fsspec.core.url_to_fs(text)


def _globbed(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def _url(text: str, fs, path: str) -> str:
    """A path ``fs`` found, as a URL where ``text`` was one."""
    return fs.unstrip_protocol(path) if "://" in text else path


def _parent(text: str) -> str:
    return text.rsplit("/", 1)[0] if "://" in text else os.path.dirname(os.path.abspath(text))
