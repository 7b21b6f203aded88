"""Audio inputs as the Rust core takes them: a path, or the bytes of a file with the name its
errors give (``<bytes>``, or a file object's ``name``). Decoding happens from memory, in Rust;
no temporary file is written.
"""

from __future__ import annotations

import os
from typing import IO, Callable, Sequence, Union

from ._params import DEFAULT_MAX_BYTES
from .errors import DecodeError, TooLongError

#: What every function that reads audio takes: a path, the bytes of a file, or a binary file
#: object (an open file, ``io.BytesIO``, an fsspec file, a socket's ``makefile("rb")``, ...).
AudioInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]

#: What the core takes for one input: a path, bytes, or bytes and their name.
Source = Union[str, bytes, "tuple[bytes, str]"]

#: Bytes read from a file object at a time.
_CHUNK = 1 << 24


def is_input(audio) -> bool:
    """Whether ``audio`` is an :data:`AudioInput` (not samples)."""
    return isinstance(audio, (str, os.PathLike, bytes, bytearray, memoryview)) or callable(getattr(audio, "read", None))


def source(audio: AudioInput, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    """``audio`` as the core takes it: a path as ``str``, bytes as ``bytes``, a file object
    read from its current position into ``(bytes, name)``.

    Raises
    ------
    TooLongError
        A file object holds more than ``max_bytes`` bytes.
    TypeError
        ``audio`` is none of the above (or a file opened in text mode).
    OSError
        Reading the file object failed.
    """
    if isinstance(audio, (str, os.PathLike)):
        return os.fspath(audio)
    if isinstance(audio, bytes):
        return audio
    if isinstance(audio, (bytearray, memoryview)):
        return bytes(audio)
    if is_input(audio):
        name = input_name(audio)
        return read_all(audio, name, int(max_bytes)), name
    raise TypeError(f"audio must be a path, bytes or a binary file object, got {type(audio).__name__}")


def input_name(audio: AudioInput) -> str:
    """The name errors give ``audio``: its path, a file object's ``name`` (or fsspec's
    ``path``), else ``<bytes>``."""
    if isinstance(audio, (str, os.PathLike)):
        return os.fspath(audio)
    for attribute in ("name", "path"):
        name = getattr(audio, attribute, None)
        if isinstance(name, (str, os.PathLike)):
            return os.fspath(name)
    return "<bytes>"


def read_all(stream: IO[bytes], name: str, max_bytes: int) -> bytes:
    """Everything left in ``stream``, read in chunks.

    Raises
    ------
    TooLongError
        ``stream`` holds more than ``max_bytes`` bytes (read no further than one past them).
    """
    chunks, size = [], 0
    while True:
        chunk = stream.read(min(_CHUNK, max_bytes + 1 - size))
        if isinstance(chunk, str):
            raise TypeError(f"{name}: a file object in text mode; open it in binary mode ('rb')")
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise TooLongError(f"{name}: holds more than max_bytes = {max_bytes} bytes")


def run_batch(inputs: Sequence[AudioInput], max_bytes: int, compute: Callable[[list, list], list]) -> list:
    """Per input, ``compute(sources, positions)``'s result (one per source, for the inputs at
    ``positions``), or the exception of an input whose file object could not be read (too
    large, an I/O error), as an input that fails to decode has its own."""
    sources: list = []
    for audio in inputs:
        try:
            sources.append(source(audio, max_bytes))
        except (OSError, DecodeError) as error:
            sources.append(error)
    positions = [k for k, s in enumerate(sources) if not isinstance(s, BaseException)]
    done = iter(compute([sources[k] for k in positions], positions))
    return [s if isinstance(s, BaseException) else next(done) for s in sources]
