"""The mel front end, librosa's: :func:`melspectrogram` (``librosa.feature.melspectrogram``),
:func:`power_to_db` and :func:`mel_filters` (``librosa.filters.mel``) of arrays, and
:func:`melspectrogram_batch` of many inputs; numpy in, numpy out, computed in Rust without the GIL
(librosa 0.11's names, defaults and results). numpy is imported on first use."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable, Optional, Union

from .. import _core
from .._arrays import float_dtype, rows, valid_audio
from .._inputs import Audio, as_batch, batch_results, check_batch, first_error, is_input
from .._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION, MelArgs, keep, opt_float, opt_int, plain_key
from ..errors import ParameterError
from ._frontend import run

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import DTypeLike

__all__ = ["mel_filters", "melspectrogram", "melspectrogram_batch", "power_to_db"]


def melspectrogram(
    *,
    y: Optional[np.ndarray] = None,
    sr: float = 22050,
    S: Optional[np.ndarray] = None,
    n_fft: int = 2048,
    hop_length: Optional[int] = 512,
    win_length: Optional[int] = None,
    window: Union[str, np.ndarray] = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    workers: Optional[int] = None,
    **kwargs,
) -> np.ndarray:
    """Mel-scaled spectrogram, numerically ``librosa.feature.melspectrogram`` (librosa 0.11).

    The signal is framed (padded by ``n_fft // 2`` on both sides with ``pad_mode`` when
    ``center``), multiplied by a periodic window of ``win_length`` zero-padded to ``n_fft``,
    transformed by a real FFT, raised to ``power`` (``|X|**power``) and reduced by the mel
    filterbank of :func:`mel_filters`. The work is split across ``workers`` threads with the
    GIL released.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)], real floating point
        Audio time series; multichannel input is supported (every leading axis is kept).
    sr : number > 0
        Sample rate of ``y`` in Hz.
    S : np.ndarray [shape=(..., 1 + n_fft // 2, t)], optional
        A precomputed (power) spectrogram; when given, ``y`` is not used and ``S`` is only
        reduced by the mel filterbank.
    n_fft : int > 0
        FFT length in samples (default 2048).
    hop_length : int > 0 or None
        Samples between successive frames (default 512; ``None``: ``win_length // 4``).
    win_length : int <= n_fft or None
        Window length in samples (default ``n_fft``).
    window : str, tuple, float, callable or np.ndarray [shape=(win_length,)]
        Any window ``librosa.filters.get_window`` takes: ``"hann"`` (default),
        ``"hamming"``, ``"blackman"`` and ``"boxcar"`` are computed in Rust; other scipy
        names and specs (``"triang"``, ``("kaiser", 8.0)``, a number for Kaiser's beta) come
        from ``scipy.signal.get_window(window, win_length, fftbins=True)``; a callable is
        called with ``win_length``; an array gives the values.
    center : bool
        Centre frame ``t`` on sample ``t * hop_length`` (default ``True``).
    pad_mode : str
        ``"constant"`` (zeros, default), ``"reflect"``, ``"edge"``, ``"symmetric"``,
        ``"linear_ramp"`` or ``"empty"`` (padded with zeros): numpy's ``np.pad`` modes that
        ``librosa.stft`` takes. Ignored when ``center`` is ``False``, as librosa ignores it.
    power : float > 0
        Exponent of the magnitude: 2 for power (default), 1 for energy.
    workers : int or None
        Threads to use (default: one per core).
    **kwargs
        The mel filterbank's parameters, as librosa: those of :func:`mel_filters` but ``sr``
        and ``n_fft`` (``n_mels=128``, ``fmin=0.0``, ``fmax=None``, ``htk=False``,
        ``norm="slaney"``, ``dtype=np.float32``: a float64 bank makes the result float64).

    Returns
    -------
    S : np.ndarray [shape=(..., n_mels, t)]
        Mel spectrogram, float32 (float64 for float64 ``y``, as librosa; computed in float32);
        ``t = 1 + n // hop_length`` when ``center`` (even ``n_fft``), else
        ``1 + (n - n_fft) // hop_length``.

    Raises
    ------
    ParameterError
        Invalid parameters, non-floating or non-finite ``y``, or (``center=False``) a signal
        shorter than ``n_fft``.
    TypeError
        An unknown keyword argument.
    """
    import numpy as np

    if S is not None:
        # librosa passes dtype on to filters.mel: the filter bank's type, which the result takes.
        basis_dtype = float_dtype(kwargs.pop("dtype", np.float32))
        S = np.asarray(S)
        if n_fft // 2 + 1 != S.shape[-2]:  # as librosa's _spectrogram: S's own FFT length
            n_fft = 2 * (S.shape[-2] - 1)
        basis = mel_filters(sr=sr, n_fft=n_fft, dtype=basis_dtype, **kwargs)
        return np.einsum("...ft,mf->...mt", np.asarray(S), basis, optimize=True)
    stft = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window, center=center)
    y, params, float64 = mel_rows("melspectrogram", y, {**stft, "pad_mode": pad_mode, "power": power, **kwargs})
    out = _core.melspectrogram(rows(y), sr=float(sr), params=params, workers=opt_int(workers), float64=float64)
    return out.reshape(y.shape[:-1] + out.shape[1:])


def mel_rows(caller: str, y, kwargs: dict) -> tuple:
    """What the core's mel spectrogram of audio takes, as :func:`melspectrogram` and
    :func:`spectrust.mfcc` call it: ``(y`` checked, the parameters (``kwargs``: any of
    :data:`MEL_DEFAULTS` and ``dtype``), whether the result is float64``)``: as librosa, for
    float64 audio (its complex128 STFT) or a float64 filter bank (``dtype``); computed in
    float32 all the same. Warns, as librosa's stft, where a centred frame is longer than ``y``."""
    import numpy as np

    # librosa passes dtype on to filters.mel: the filter bank's type, which the result takes
    # (None here: the default, float32).
    dtype = kwargs.pop("dtype", np.float32)
    basis_dtype = None if dtype is np.float32 else float_dtype(dtype)
    params = mel_args(caller, **kwargs)
    if y is None:
        raise ParameterError(f"{caller} needs y= (audio) or S= (a spectrogram)")
    y = valid_audio(y, finite=False)  # the core checks each row as it reads it
    if params["center"] and params["n_fft"] > y.shape[-1]:
        warnings.warn(f"n_fft={params['n_fft']} is too large for input signal of length={y.shape[-1]}", stacklevel=3)
    if basis_dtype is None:  # np.result_type(y.dtype, np.float32, np.float32), y floating
        return y, params, y.dtype == np.float64
    return y, params, np.result_type(y.dtype, np.float32, basis_dtype) == np.float64


def power_to_db(
    S: np.ndarray,
    *,
    ref: Union[float, Callable[[np.ndarray], float]] = 1.0,
    amin: float = 1e-10,
    top_db: Optional[float] = 80.0,
    workers: Optional[int] = None,
) -> np.ndarray:
    """Convert a power spectrogram to decibels, as ``librosa.power_to_db``.

    ``10 * log10(max(amin, S)) - 10 * log10(max(amin, ref))``, then, when ``top_db`` is not
    None, clipped from below at ``max - top_db``.

    Parameters
    ----------
    S : np.ndarray
        Power values (complex input uses its magnitude).
    ref : float or callable
        Reference power for 0 dB, or a function of ``S`` returning it (e.g. ``np.max``).
    amin : float > 0
        Floor on ``S`` and ``ref`` (default 1e-10).
    top_db : float >= 0 or None
        Dynamic range kept below the peak, in dB (default 80).
    workers : int or None
        Threads to use (default: one per core).

    Returns
    -------
    S_db : np.ndarray [shape=S.shape]
        Decibels; float32 for float32 input, float64 otherwise.

    Raises
    ------
    ParameterError
        ``amin <= 0`` or ``top_db < 0``.
    """
    import numpy as np

    S = np.asarray(S)
    if np.iscomplexobj(S):
        S = np.abs(S)
    if S.dtype != np.float32:
        S = S.astype(np.float64, copy=False)
    # As librosa: the magnitude of a number, what a callable returns as it is; np.max (of a
    # non-empty S: of nothing it is numpy's error) found by the core, in parallel.
    if ref is np.max and S.size:
        ref_value = None
    else:
        ref_value = float(ref(S) if callable(ref) else np.abs(ref))
    return _core.power_to_db(
        S, ref_value=ref_value, amin=float(amin), top_db=opt_float(top_db), workers=opt_int(workers)
    )


def mel_filters(
    *,
    sr: float,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
    htk: bool = False,
    norm: Union[str, float, None] = "slaney",
    dtype: DTypeLike = "float32",
) -> np.ndarray:
    """The mel filterbank, as ``librosa.filters.mel``.

    Triangular filters between ``n_mels + 2`` points evenly spaced on the mel scale (Slaney's
    Auditory Toolbox scale by default, HTK's with ``htk=True``), normalised by Slaney's
    constant-area rule ``2 / (f[i+2] - f[i])`` (``norm="slaney"``), a p-norm, or not at all.

    Parameters
    ----------
    sr : float > 0
        Sample rate of the audio in Hz.
    n_fft : int > 0
        FFT length in samples: the filters cover its ``1 + n_fft // 2`` bins.
    n_mels : int > 0
        Number of mel bands (default 128).
    fmin : float >= 0
        Lowest frequency in Hz (default 0).
    fmax : float or None
        Highest frequency in Hz (default ``None``: ``sr / 2``).
    htk : bool
        HTK's mel scale, ``2595 log10(1 + f / 700)`` (default ``False``: Slaney's, linear
        below 1 kHz and logarithmic above).
    norm : "slaney", float or None
        ``"slaney"`` (default): divide each filter by its width in Hz (constant area); a
        number ``p``: divide by its p-norm; ``None``: peaks at 1.
    dtype : numpy floating-point dtype
        Type of the weights (default ``np.float32``, as librosa). They are computed as
        librosa computes its float32 ones; other types hold those values.

    Returns
    -------
    M : np.ndarray [shape=(n_mels, 1 + n_fft // 2), dtype=dtype]

    Raises
    ------
    ParameterError
        ``fmin``/``fmax`` out of range, non-positive sizes, or a ``dtype`` that is not
        floating-point.

    Warns
    -----
    UserWarning
        "Empty filters detected in mel frequency basis...", when a filter other than those
        starting at 0 Hz has no nonzero weight (as librosa warns).
    """
    dtype = float_dtype(dtype)
    return _core.mel_filters(
        sr=float(sr),
        n_fft=int(n_fft),
        n_mels=int(n_mels),
        fmin=float(fmin),
        fmax=opt_float(fmax),
        htk=bool(htk),
        norm=norm,
    ).astype(dtype, copy=False)


#: librosa's mel spectrogram parameters and their defaults: the keyword arguments of
#: :func:`melspectrogram` (the STFT's) and of :func:`mel_filters` (the filter bank's).
MEL_DEFAULTS = {
    **{k: v for k, v in melspectrogram.__kwdefaults__.items() if k not in ("y", "sr", "S", "workers")},
    **{k: v for k, v in mel_filters.__kwdefaults__.items() if k != "dtype"},
}


def _window(window, win_length: int) -> Union[str, list]:
    """``window`` for the core: a name it computes, or the values of any other window as
    ``librosa.filters.get_window`` gives them (a callable called with ``win_length``; a
    string, tuple or number through ``scipy.signal.get_window(window, win_length,
    fftbins=True)``, scipy imported only then; an array as it is)."""
    if isinstance(window, str) and window in _core.WINDOWS:
        return window
    if callable(window):
        return [float(w) for w in window(int(win_length))]
    if isinstance(window, (str, tuple, float, int)):
        try:
            from scipy.signal import get_window
        except ImportError as e:
            raise ParameterError(f"window={window!r} needs scipy (pip install scipy): {e}") from None
        try:
            return [float(w) for w in get_window(window, int(win_length), fftbins=True)]
        except ValueError as e:
            raise ParameterError(f"window={window!r}: {e}") from None
    return [float(w) for w in window]


def mel_args(caller: str, **kwargs) -> MelArgs:
    """The mel spectrogram parameters for the core: ``kwargs`` (any of :data:`MEL_DEFAULTS`)
    over librosa's defaults. ``TypeError`` names ``caller`` for an unknown keyword. Those of
    plain values (numbers, strings, None) are made once and shared (see :func:`plain_key`):
    the result is not to be changed."""
    key = plain_key(kwargs)
    made = _MEL_ARGS.get(key) if key is not None else None
    if made is not None:
        return made
    unknown = kwargs.keys() - MEL_DEFAULTS.keys()
    if unknown:
        raise TypeError(f"{caller}() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    a = {**MEL_DEFAULTS, **kwargs}
    norm = a["norm"]
    made = MelArgs(
        n_fft=int(a["n_fft"]),
        hop_length=opt_int(a["hop_length"]),
        win_length=opt_int(a["win_length"]),
        window=_window(a["window"], a["win_length"] or a["n_fft"]),
        center=bool(a["center"]),
        pad_mode=str(a["pad_mode"]),
        power=float(a["power"]),
        n_mels=int(a["n_mels"]),
        fmin=float(a["fmin"]),
        fmax=opt_float(a["fmax"]),
        htk=bool(a["htk"]),
        norm=norm if norm is None or isinstance(norm, str) else float(norm),
    )
    if key is not None:
        keep(_MEL_ARGS, key, made)
    return made


#: :func:`mel_args`' results made from plain values, by :func:`plain_key`.
_MEL_ARGS: dict = {}


def melspectrogram_batch(
    inputs: Union[Audio, Sequence[Audio]],
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
    """Mel spectrograms of many inputs, decoded and computed in parallel without the GIL:
    ``[librosa.feature.melspectrogram(y=librosa.load(x, sr=sr, offset=offset,
    duration=duration)[0], sr=sr, **kwargs) for x in inputs]``.

    Each file is mixed to mono and analysed at its own sample rate (or ``sr``) with the
    parameters of :func:`melspectrogram` (``n_fft``, ``hop_length``, ``n_mels``, ...); samples
    are taken to be at ``sr``. With a ``duration``, each input is read from ``offset`` for that
    long and padded with zeros at the end (or cut) to ``int(duration * sr)`` samples:
    spectrograms of one rate then have one shape, and ``stack=True`` returns them as one
    array, a training batch.

    Parameters
    ----------
    inputs : str, os.PathLike, bytes, binary file object, np.ndarray [shape=(n,)], or a sequence of them
        Audio files (any format :func:`spectrust.load` reads), their bytes, file objects, or
        mono samples at ``sr`` (float arrays, or anything with ``__array__`` such as a torch
        tensor; ragged lists welcome, as a Hugging Face dataset yields them). One input gives
        one spectrogram, many a list.
    sr : int or None
        Target sample rate in Hz (``None``: each file's own); the rate of samples given, which
        need it.
    workers : int or None
        Threads to use (default: one per core).
    on_error : {"raise", "none"}
        ``"raise"`` (default): after all inputs are done, raise the error of the first that
        failed. ``"none"``: put ``None`` in its place and go on.
    max_duration : float or None
        Refuse files longer than this many seconds (default 4 hours; ``None``: no limit).
    max_bytes : int
        The most bytes read from a file object (default 2 GiB).
    offset : float >= 0
        Start reading this many seconds into each input (default 0).
    duration : float >= 0 or None
        Read this many seconds and pad or cut every signal to exactly that (default ``None``:
        each input whole, as it is).
    stack : bool
        Return one array ``(len(inputs), n_mels, t)`` (default ``False``: a list); the
        spectrograms must have one shape (give ``duration``, and ``sr`` for files of several
        rates) and none may fail (``on_error="raise"``).
    **kwargs
        Any parameter of :func:`melspectrogram` but ``y``, ``S``, ``sr`` and ``workers``.

    Returns
    -------
    np.ndarray [shape=(n_mels, t), dtype=float32], a list of them, or np.ndarray [shape=(len(inputs), n_mels, t)]
        One mel spectrogram per input, in order (one array for one input).

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        With ``on_error="raise"``, for the first input that failed.
    ParameterError
        Invalid parameters, or samples without ``sr``.
    TypeError
        An unknown keyword argument.
    """
    check_batch(on_error, stack)
    front = mel_front(mel_args("melspectrogram_batch", **kwargs))
    read = dict(offset=offset, duration=duration, max_duration=max_duration, max_bytes=max_bytes)
    return file_batch(front, inputs, sr=sr, workers=workers, read=read, on_error=on_error, stack=stack)


def mel_front(params: MelArgs, db: Optional[tuple] = None, dct: Optional[tuple] = None) -> tuple:
    """The core's mel front end: the power mel spectrogram; with ``db`` (``(ref or None for each
    spectrogram's maximum, amin, top_db)``) its :func:`power_to_db`, with ``dct``
    (``(dct_type, n_mfcc, norm, lifter)``) librosa's MFCCs."""
    return ("mel", dict(params=params, db=db, dct=dct))


def file_batch(front: tuple, inputs, *, sr, workers, read: dict, on_error: str, stack: bool):
    """:func:`melspectrogram_batch` and :func:`spectrust.mfcc_batch`'s result: one array for one
    input, a list for many (None for a failed input with ``on_error="none"``), or stacked:
    computed into one array by the core where every input has one shape by construction
    (``duration`` and ``sr`` given)."""
    check_rate(inputs, sr)
    if stack and read["duration"] is not None and sr is not None:
        _, (x, meta) = run(front, inputs, sr=sr, **read, fit=True, layout="stack", workers=workers)
        first_error(meta, "raise")
        return x
    single, results = run(front, inputs, sr=sr, **read, fit=True, layout="list", workers=workers)
    out = batch_results(results, on_error, stack)
    return out[0] if single and not stack else out


def check_rate(inputs, sr) -> None:
    """Samples need their rate: ``ParameterError`` where ``sr`` is None and ``inputs`` holds
    samples."""
    if sr is None and not all(is_input(x) for x in as_batch(inputs)[0]):
        raise ParameterError("samples need their sample rate: give sr= (files are read at their own rate)")
