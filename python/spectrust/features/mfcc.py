"""Mel-frequency cepstral coefficients, as ``librosa.feature.mfcc``, for arrays and files."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional, Union

from .. import _core
from .._arrays import rows
from .._inputs import Audio, check_batch
from .._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION, opt_int
from .mel import file_batch, mel_args, mel_front, mel_rows

if TYPE_CHECKING:
    import numpy as np

__all__ = ["mfcc", "mfcc_batch"]


def mfcc(
    *,
    y: Optional[np.ndarray] = None,
    sr: float = 22050,
    S: Optional[np.ndarray] = None,
    n_mfcc: int = 20,
    dct_type: int = 2,
    norm: Optional[str] = "ortho",
    lifter: float = 0,
    mel_norm: Union[str, float, None] = "slaney",
    workers: Optional[int] = None,
    **kwargs,
) -> np.ndarray:
    """Mel-frequency cepstral coefficients (MFCCs), numerically ``librosa.feature.mfcc``.

    ``S`` (by default ``power_to_db(melspectrogram(y=y, sr=sr, norm=mel_norm, **kwargs))``, in
    dB re 1 with an 80 dB floor) is transformed along the mel axis by scipy's discrete cosine
    transform of ``dct_type`` and ``norm``, and the first ``n_mfcc`` coefficients are kept;
    with ``lifter > 0`` coefficient ``k`` is scaled by ``1 + (lifter / 2) sin(pi (k + 1) /
    lifter)`` (Juang, Rabiner and Wilpon, 1987).

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)] or None
        Audio time series.
    sr : number > 0
        Sample rate of ``y`` in Hz.
    S : np.ndarray [shape=(..., n_mels, t)] or None
        A log-power mel spectrogram (dB) to use instead of ``y``.
    n_mfcc : int > 0
        Coefficients kept (default 20; at most the number of mel bands).
    dct_type : {1, 2, 3}
        The DCT's type (default 2).
    norm : "ortho" or None
        The DCT's normalisation (default ``"ortho"``: orthonormal).
    lifter : number >= 0
        Cepstral liftering (default 0: none).
    mel_norm : "slaney", number or None
        The mel filters' normalisation, as :func:`spectrust.melspectrogram`'s ``norm``.
    workers : int or None
        Threads for the mel spectrogram (default: one per core).
    **kwargs
        Further parameters of :func:`spectrust.melspectrogram` (``n_fft``, ``hop_length``,
        ``n_mels``, ...).

    Returns
    -------
    M : np.ndarray [shape=(..., n_mfcc, t)]
        float32 (float64 when ``S`` is float64).

    Raises
    ------
    ParameterError
        A parameter out of range (``dct_type``, ``norm``, a negative ``lifter``, ...), or
        ``lifter > 0`` with ``n_mfcc > n_mels`` (librosa's lifter cannot broadcast then).
    """
    import numpy as np

    dct = dict(dct_type=int(dct_type), n_mfcc=int(n_mfcc), norm=norm, lifter=float(lifter), workers=opt_int(workers))
    if S is None:
        # The mel spectrogram, its dB and the DCT in the core, two passes of a task per row.
        y, params, float64 = mel_rows("mfcc", y, {"norm": mel_norm, **kwargs})
        out = _core.mfcc(rows(y), sr=float(sr), params=params, float64=float64, **dct)
        return out.reshape(y.shape[:-1] + out.shape[1:])
    S = np.asarray(S)
    if S.dtype not in (np.float32, np.float64):
        S = S.astype(np.float32)
    flat = S.reshape(math.prod(S.shape[:-2]), S.shape[-2] * S.shape[-1])
    out = _core.dct(flat, n_mels=S.shape[-2], float64=S.dtype == np.float64, **dct)
    return out.reshape(S.shape[:-2] + out.shape[1:])


def mfcc_batch(
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
    n_mfcc: int = 20,
    dct_type: int = 2,
    norm: Optional[str] = "ortho",
    lifter: float = 0,
    mel_norm: Union[str, float, None] = "slaney",
    **kwargs,
):
    """MFCCs of many inputs, decoded and computed in parallel without the GIL:
    ``[librosa.feature.mfcc(y=librosa.load(x, sr=sr, ...)[0], sr=sr, **kwargs) for x in
    inputs]``.

    Each input is read as :func:`spectrust.melspectrogram_batch` reads it (mono, at ``sr`` or
    a file's own rate; samples at ``sr``) and goes through :func:`mfcc` with the parameters
    given.

    Parameters
    ----------
    inputs : str, os.PathLike, bytes, binary file object, np.ndarray [shape=(n,)], or a sequence of them
        As :func:`spectrust.melspectrogram_batch` (one input gives one array, many a list).
    sr, workers, on_error, max_duration, max_bytes, offset, duration, stack
        As :func:`spectrust.melspectrogram_batch` (with ``duration`` and ``stack=True``, one
        array ``(len(inputs), n_mfcc, t)``).
    n_mfcc, dct_type, norm, lifter, mel_norm, **kwargs
        As :func:`mfcc`.

    Returns
    -------
    np.ndarray [shape=(n_mfcc, t), dtype=float32], a list of them, or np.ndarray
        One per input, in order (None for inputs that failed, with ``on_error="none"``).

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        With ``on_error="raise"``, for the first input that failed.
    ParameterError
        Invalid parameters, or samples without ``sr``.
    """
    check_batch(on_error, stack)
    front = mfcc_front(n_mfcc, dct_type, norm, lifter, mel_norm, **kwargs)
    read = dict(offset=offset, duration=duration, max_duration=max_duration, max_bytes=max_bytes)
    return file_batch(front, inputs, sr=sr, workers=workers, read=read, on_error=on_error, stack=stack)


def mfcc_front(n_mfcc=20, dct_type=2, norm="ortho", lifter=0, mel_norm="slaney", **kwargs) -> tuple:
    """The core's MFCC front end (:func:`mfcc_batch`'s keywords, librosa's defaults)."""
    params = mel_args("mfcc_batch", norm=mel_norm, **kwargs)
    return mel_front(params, dct=(int(dct_type), int(n_mfcc), norm, float(lifter)))
