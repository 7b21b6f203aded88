"""Many files at once: :func:`melspectrogram_batch` and the helpers the batch forms share
(reading each input, per-input results, stacking). Decoding, resampling and the transforms
run in Rust on all cores with the GIL released."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from . import _core
from ._inputs import AudioInput, run_batch, source
from ._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION, ReadArgs, opt_float, opt_int
from .errors import DecodeError, ParameterError
from .features import mel_args

__all__ = ["melspectrogram_batch"]


def melspectrogram_batch(
    paths: Sequence[AudioInput],
    *,
    sr: Optional[int] = None,
    workers: Optional[int] = None,
    on_error: str = "raise",
    max_duration: Optional[float] = DEFAULT_MAX_DURATION,
    max_bytes: int = DEFAULT_MAX_BYTES,
    offset: float = 0.0,
    duration: Optional[float] = None,
    stack: bool = False,
    **kwargs,
):
    """Decode many files and compute their mel spectrograms in parallel, without the GIL.

    Each file is mixed to mono and analysed at its own sample rate (or ``sr``) with the
    parameters of :func:`melspectrogram` (``n_fft``, ``hop_length``, ``n_mels``, ...). With a
    ``duration``, each file is read from ``offset`` for that long, as ``librosa.load(path,
    sr=sr, offset=offset, duration=duration)``, and padded with zeros at the end (or cut) to
    ``int(duration * sr)`` samples: spectrograms of one rate then have one shape, and
    ``stack=True`` returns them as one array, a training batch.

    Parameters
    ----------
    paths : sequence of str, os.PathLike, bytes or binary file objects
        Audio files, their bytes, or file objects (see :func:`load`).
    sr : int or None
        Target sample rate in Hz (``None``: each file's own).
    workers : int or None
        Threads to use (default: one per core).
    on_error : {"raise", "none"}
        ``"raise"`` (default): after all files are done, raise the error of the first file
        that failed. ``"none"``: put ``None`` in that file's place and go on.
    max_duration : float or None
        Refuse files longer than this many seconds (default 4 hours; ``None``: no limit).
    max_bytes : int
        The most bytes read from a file object (default 2 GiB).
    offset : float >= 0
        Start reading this many seconds into each file (default 0).
    duration : float >= 0 or None
        Read this many seconds and pad or cut every signal to exactly that (default ``None``:
        each file whole, as it is).
    stack : bool
        Return one array ``(len(paths), n_mels, t)`` (default ``False``: a list); the
        spectrograms must have one shape (give ``duration``, and ``sr`` for files of several
        rates) and none may fail (``on_error="raise"``).
    **kwargs
        Any parameter of :func:`melspectrogram` but ``y``, ``S``, ``sr`` and ``workers``.

    Returns
    -------
    list of np.ndarray [shape=(n_mels, t), dtype=float32], or np.ndarray [shape=(len(paths), n_mels, t)]
        One mel spectrogram per path, in order.

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        With ``on_error="raise"``, for the first file that failed.
    ParameterError
        Invalid parameters.
    TypeError
        An unknown keyword argument.
    """
    _check_batch(on_error, stack)
    read = dict(offset=offset, duration=duration, max_duration=max_duration, max_bytes=max_bytes)
    if stack:
        stacked = stacked_batch(paths, mel_args("melspectrogram_batch", **kwargs), None, sr=sr, workers=workers, **read)
        if stacked is not None:
            return stacked
    return _batch_results(analyse_mel(paths, sr=sr, workers=workers, **read, **kwargs), on_error, stack)


def stacked_batch(paths, params, dct, *, sr, workers, offset, duration, max_duration, max_bytes):
    """A ``stack=True`` batch stacked by the core as it is computed, each file into its slot of
    one array (mel spectrograms, or MFCCs with ``dct``: ``(dct_type, n_mfcc, norm, lifter)``),
    where the files have one shape by construction (``duration`` and ``sr`` given); else None,
    as where a file object cannot be read (the list's path then raises the first error in
    order)."""
    if duration is None or sr is None or not paths:
        return None
    sources = []
    for audio in paths:
        try:
            sources.append(source(audio, max_bytes))
        except (OSError, DecodeError):
            return None
    read = read_args(offset, duration, max_duration)
    return _core.stacked_files(sources, params=params, sr=int(sr), workers=opt_int(workers), read=read, dct=dct)


def analyse_mel(
    paths: Sequence[AudioInput], *, sr, workers, offset, duration, max_duration, max_bytes, db=None, **kwargs
) -> list:
    """:func:`melspectrogram_batch`'s work: per input, ``(mel spectrogram, sample rate, samples
    analysed)`` or the input's exception; with ``db`` (``(ref, amin, top_db)``, ``ref`` a number
    or None for each spectrogram's maximum), its :func:`spectrust.power_to_db`, by the file's
    task."""
    params = mel_args("melspectrogram_batch", **kwargs)
    return run_batch(
        paths,
        max_bytes,
        lambda sources, _: _core.melspectrogram_files(
            sources,
            params=params,
            sr=opt_int(sr),
            workers=opt_int(workers),
            read=read_args(offset, duration, max_duration),
            db=db,
        ),
    )


def read_args(offset, duration, max_duration) -> ReadArgs:
    """What part of each file a batch reads, checked types."""
    return ReadArgs(offset=float(offset), duration=opt_float(duration), max_duration=opt_float(max_duration))


def _check_batch(on_error: str, stack: bool) -> None:
    if on_error not in ("raise", "none"):
        raise ParameterError(f"on_error must be 'raise' or 'none', got {on_error!r}")
    if stack and on_error != "raise":
        raise ParameterError("stack=True needs on_error='raise': a failed file has no row")


def _batch_results(results: list, on_error: str, stack: bool = False):
    """A batch's per-file arrays (from ``(array, sample rate, samples)`` results): the first
    error raised (``"raise"``) or None in its place; with ``stack``, one array."""
    results = [r if isinstance(r, BaseException) else r[0] for r in results]
    if on_error == "raise":
        for r in results:
            if isinstance(r, BaseException):
                raise r
    if stack:
        import numpy as np

        shapes = sorted({r.shape for r in results})
        if len(shapes) > 1:
            raise ParameterError(f"stack=True needs one shape, got {shapes}: give duration= (and sr=)")
        return np.stack(results) if results else np.zeros((0, 0, 0), dtype=np.float32)
    return [None if isinstance(r, BaseException) else r for r in results]
