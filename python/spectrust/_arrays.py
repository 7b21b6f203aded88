"""The checks and views every array call shares: audio checked as librosa checks it, and
arrays as the core's rows (read where they lie, in parallel, by the task that uses them)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .errors import ParameterError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import DTypeLike


def float_dtype(dtype: DTypeLike):
    """``dtype`` as a numpy floating-point dtype (the ``dtype=`` of :func:`load` and
    :func:`mel_filters`), or a ParameterError."""
    import numpy as np

    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ParameterError(f"dtype must be a numpy floating-point type, got {dtype!r}") from None
    if not np.issubdtype(dt, np.floating):
        raise ParameterError(f"dtype must be a numpy floating-point type, got {dt}")
    return dt


def valid_audio(y, finite: bool = True) -> np.ndarray:
    """``y`` as an array, checked as librosa's ``util.valid_audio`` checks audio. ``finite``:
    here that every sample is finite; where the core reads the samples (:func:`rows`), it
    checks them there, row by row, in parallel, with the same error."""
    import numpy as np

    y = np.asarray(y)
    if y.dtype.kind != "f":  # np.issubdtype(y.dtype, np.floating)
        raise ParameterError(f"audio data must be floating-point, got {y.dtype}")
    if y.ndim == 0:
        raise ParameterError("audio data must have at least one dimension")
    if finite and not np.isfinite(y).all():
        raise ParameterError("audio buffer is not finite everywhere")
    return y


def rows(y: np.ndarray) -> np.ndarray:
    """``y`` as the core's rows, ``(rows, n)`` along its last axis: a view where numpy can
    make one (the core reads any strides, float32 or float64, in parallel, each row by the task
    that transforms it); other floating types as float32."""
    import numpy as np

    r = y.reshape(math.prod(y.shape[:-1]), y.shape[-1])  # (rows, n) even for n = 0
    return r if r.dtype in (np.float32, np.float64) else r.astype(np.float32)
