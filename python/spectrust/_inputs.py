"""Audio inputs as the Rust core takes them: a path, or the bytes of a file with the name its
errors give (``<bytes>``, or a file object's ``name``). Decoding happens from memory, in Rust;
no temporary file is written.
"""

from __future__ import annotations

import numbers
import os
import sys
from typing import IO, TYPE_CHECKING, Callable, Sequence, Union

from ._arrays import valid_audio
from ._params import DEFAULT_MAX_BYTES
from .errors import DecodeError, ParameterError, TooLongError

if TYPE_CHECKING:
    import numpy as np

#: What every function that reads audio takes: a path, the bytes of a file, or a binary file
#: object (an open file, ``io.BytesIO``, an fsspec file, a socket's ``makefile("rb")``, ...).
AudioInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]

#: What the core takes for one input: a path, bytes, or bytes and their name.
Source = Union[str, bytes, "tuple[bytes, str]"]

#: What every feature function takes for one input: an :data:`AudioInput`, or mono samples
#: (a 1-D float array, or an object with ``__array__`` such as a torch tensor).
Audio = Union[AudioInput, "np.ndarray"]

#: Bytes read from a file object at a time.
_CHUNK = 1 << 24


class NamedBytes:
    """The bytes of a file and the name its errors give (a tar member, a Parquet row, an
    object's URL): an input that reaches the core without a copy (the core reads ``bytes`` where
    they lie), however many inputs give the same ``data`` (the segments of one recording)."""

    __slots__ = ("data", "name")

    def __init__(self, data: bytes, name: str):
        self.data, self.name = data, name


def plain_samples(audio) -> bool:
    """Whether ``audio`` is a 1-D float32 or float64 numpy array (native byte order): mono
    samples that every check would take as they are, so that per-item calls skip them. (numpy is
    imported if such an array exists.)"""
    np = sys.modules.get("numpy")
    return (
        np is not None
        and type(audio) is np.ndarray
        and audio.ndim == 1
        and audio.dtype.char in "fd"
        and audio.dtype.isnative
    )


def is_input(audio) -> bool:
    """Whether ``audio`` is an :data:`AudioInput` (not samples)."""
    return isinstance(audio, (str, os.PathLike, bytes, bytearray, memoryview, NamedBytes)) or callable(
        getattr(audio, "read", None)
    )


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
    if isinstance(audio, NamedBytes):
        return audio.data, audio.name
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


def check_batch(on_error: str, stack: bool) -> None:
    """A batch's ``on_error`` and ``stack``, checked (``ParameterError``)."""
    check_on_error(on_error)
    if stack and on_error != "raise":
        raise ParameterError("stack=True needs on_error='raise': a failed file has no row")


def batch_results(results: list, on_error: str, stack: bool = False):
    """A batch's per-file arrays (from ``(array, sample rate, samples)`` results): the first
    error raised (``"raise"``) or None in its place; with ``stack``, one array."""
    results = [r if isinstance(r, BaseException) else r[0] for r in results]
    first_error(results, on_error)
    if stack:
        import numpy as np

        shapes = sorted({r.shape for r in results})
        if len(shapes) > 1:
            raise ParameterError(f"stack=True needs one shape, got {shapes}: give duration= (and sr=)")
        return np.stack(results) if results else np.zeros((0, 0, 0), dtype=np.float32)
    return [None if isinstance(r, BaseException) else r for r in results]


def audio_input(audio: Audio, max_bytes: int):
    """One input as the core takes it: a :func:`source`, or samples as a 1-D float32 or float64
    array (read where it lies, and checked for NaN and infinity, by the core's task that uses
    it): a numpy array, any object with ``__array__`` (a torch tensor on the CPU, read without a
    copy), or a list of numbers.

    Raises
    ------
    ParameterError
        Samples that are not floating point or not 1-D.
    TooLongError, TypeError, OSError
        As :func:`source`.
    """
    if plain_samples(audio):
        return audio
    if is_input(audio):
        return source(audio, max_bytes)
    import numpy as np

    y = valid_audio(np.asarray(audio), finite=False)
    if y.ndim != 1:
        raise ParameterError(f"audio must be mono samples, shape (n,), got shape {y.shape}")
    return y if y.dtype in (np.float32, np.float64) else y.astype(np.float32)


def as_batch(inputs) -> tuple:
    """``(list of inputs, single)``: what every feature function takes, one input or many. One
    input is an :data:`AudioInput` (a path, bytes, a binary file object), a 1-D array (or an
    object with ``__array__``, such as a torch tensor) or a list of numbers; many are any other
    sequence of them (ragged lists welcome), a 1-D array of objects (a pandas column's values)
    or a 2-D array, a row each (as transformers takes them).

    Raises
    ------
    ParameterError
        An array of no dimension or of more than two.
    TypeError
        Anything else.
    """
    if plain_samples(inputs) or is_input(inputs):
        return [inputs], True
    if hasattr(inputs, "__array__") and not isinstance(inputs, (list, tuple)):
        import numpy as np

        y = np.asarray(inputs)
        if y.dtype == object and y.ndim == 1:  # ragged arrays (a pandas column's values)
            return list(y), False
        if y.ndim == 1:
            return [y], True
        if y.ndim == 2:
            return list(y), False
        raise ParameterError(f"audio must be samples (n,) or a batch of them (batch, n), got shape {y.shape}")
    if isinstance(inputs, (list, tuple)):
        if inputs and isinstance(inputs[0], numbers.Number):
            return [inputs], True
        return list(inputs), False
    raise TypeError(
        "audio must be a path, bytes, a binary file object, samples (an array) or a sequence of them, "
        f"got {type(inputs).__name__}"
    )


#: What a failed read of a file object becomes on its way to the core (which fails on it, so
#: that every input keeps its place in a stacked result); its error is then the read's.
_UNREADABLE = b""


def core_inputs(inputs: list, max_bytes: int) -> tuple:
    """``(inputs as the core takes them, per input the exception of a file object that could
    not be read or None)``: see :func:`audio_input`; a file object that cannot be read (too
    large, an I/O error) is its error, in its place."""
    converted, failed = [], []
    for audio in inputs:
        try:
            converted.append(audio_input(audio, max_bytes))
            failed.append(None)
        except (OSError, DecodeError) as error:
            converted.append(_UNREADABLE)
            failed.append(error)
    return converted, failed


def check_on_error(on_error: str) -> None:
    """``on_error``: "raise" or "none" (``ParameterError``)."""
    if on_error not in ("raise", "none"):
        raise ParameterError(f"on_error must be 'raise' or 'none', got {on_error!r}")


def first_error(results: list, on_error: str) -> None:
    """Raises the first exception among ``results`` with ``on_error="raise"``."""
    if on_error == "raise":
        for r in results:
            if isinstance(r, BaseException):
                raise r
