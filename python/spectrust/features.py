"""librosa-compatible features: numpy in, numpy out, computed in Rust without the GIL.

Parameter names, defaults and results follow librosa 0.11 (``librosa.load``,
``librosa.feature.melspectrogram``, ``librosa.power_to_db``, ``librosa.filters.mel``). numpy
is imported on first use, so that the image API and the command line start fast.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Callable, Optional, Union

from . import _core
from ._inputs import AudioInput, source
from ._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION, MelArgs, opt_float, opt_int
from .errors import ParameterError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import DTypeLike

__all__ = ["load", "mel_filters", "melspectrogram", "power_to_db", "resample"]


def load(
    path: AudioInput,
    *,
    sr: Optional[int] = None,
    mono: bool = True,
    offset: float = 0.0,
    duration: Optional[float] = None,
    max_duration: Optional[float] = DEFAULT_MAX_DURATION,
    max_bytes: int = DEFAULT_MAX_BYTES,
    dtype: DTypeLike = "float32",
    res_type: str = "soxr_hq",
) -> tuple[np.ndarray, int]:
    """Load an audio file as floating-point samples (``librosa.load``).

    The format is found from the file's content, not its name: WAV (PCM 8/16/24/32-bit,
    float32, WAVE_FORMAT_EXTENSIBLE, A-law/mu-law), MP3, Ogg (Vorbis, Opus, FLAC), FLAC, AAC
    (ADTS), MP4/M4A (AAC, ALAC) and Matroska/WebM (Opus, Vorbis), any number of channels.
    Encoder delay and padding are removed where the file records them (gapless MP3 and MP4,
    Opus pre-skip).

    Parameters
    ----------
    path : str, os.PathLike, bytes, bytearray, memoryview or binary file object
        An audio file, its bytes, or a file object open for binary reading (``open(p,
        "rb")``, ``io.BytesIO``, an fsspec file), read from its current position into memory
        and decoded there (no temporary file).
    sr : int or None
        Target sample rate in Hz; ``None`` (default) keeps the file's own rate. Resampling is
        :func:`resample`'s (soxr HQ's response, as librosa's default).
    mono : bool
        Mix down to one channel by averaging the channels (default ``True``).
    offset : float
        Start reading this many seconds into the file (default 0).
    duration : float or None
        Read at most this many seconds (default ``None``: to the end).
    max_duration : float or None
        Refuse files that decode to more than this many seconds, counted from the start of
        the file (default 4 hours; ``None``: no limit). Decoding stops as soon as the limit
        is passed, so a small file claiming days of audio costs little.
    max_bytes : int
        The most bytes read from a file object (default 2 GiB).
    dtype : numpy floating-point dtype
        Type of ``y`` (default ``np.float32``, as librosa); decoded and resampled in float32.
    res_type : str
        How to resample (default ``"soxr_hq"``, spectrust's own); any other is
        :func:`resample`'s, that is librosa's.

    Returns
    -------
    y : np.ndarray [shape=(n,) or (channels, n), dtype=dtype]
        Samples scaled to [-1, 1) as libsndfile does (``x / 2**(bits-1)``). With
        ``mono=False`` it is, as in librosa, the transposed view of the file's interleaved
        samples (not C-contiguous; ``np.ascontiguousarray`` copies it if needed).
    sr : int
        Sample rate of ``y`` in Hz.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    DecodeError
        ``path`` is not valid audio (empty, a directory, truncated header, corrupt stream).
        Errors name the input: its path, a file object's ``name``, or ``<bytes>``.
    TooLongError
        ``path`` is longer than ``max_duration``, or a file object holds more than
        ``max_bytes`` (a subclass of ``DecodeError``).
    UnsupportedFormatError
        ``path`` is not in a format that is read (e.g. a PNG, AC-3, HE-AAC); a subclass of
        ``DecodeError``. The message names the codec when it is known.
    ParameterError
        ``offset`` < 0, ``duration`` < 0, ``max_duration`` <= 0, ``sr`` <= 0, or a ``dtype``
        that is not floating-point.
    """
    dtype = _float_dtype(dtype)
    elsewhere = res_type != "soxr_hq" and sr is not None  # decoded here, resampled by librosa
    y, sr_out = _core.load(
        source(path, max_bytes),
        sr=None if elsewhere else opt_int(sr),
        mono=bool(mono),
        offset=float(offset),
        duration=opt_float(duration),
        max_duration=opt_float(max_duration),
    )
    if not mono:
        # (channels, n) as librosa's; a mono file gives (n,), as librosa's (soundfile's) does.
        y = y[:, 0] if y.shape[1] == 1 else y.T
    if elsewhere:
        y, sr_out = _librosa_resample(y, sr_out, sr, res_type), sr
    return y.astype(dtype, copy=False), sr_out


def _float_dtype(dtype: DTypeLike):
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


def resample(
    y: np.ndarray,
    *,
    orig_sr: float,
    target_sr: float,
    res_type: str = "soxr_hq",
    fix: bool = True,
    scale: bool = False,
    axis: int = -1,
    workers: Optional[int] = None,
) -> np.ndarray:
    """Resample a time series from ``orig_sr`` to ``target_sr`` Hz, as ``librosa.resample``.

    Band-limited resampling in the frequency domain (overlapping blocks, one real FFT in and
    one out each) with a zero-phase Kaiser-windowed sinc filter whose response follows soxr's
    "HQ" recipe, librosa's default: flat (0.01 dB) to 91 % of the lower Nyquist frequency,
    -6 dB at 95.7 %, 130 dB down from 99.9 % on. Output sample ``m`` is the band-limited input
    at ``m * orig_sr / target_sr`` input samples: no delay. Rows (every axis but ``axis``) are
    resampled in parallel with the GIL released.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n, ...)], real floating point
        Audio time series, resampled along ``axis``.
    orig_sr, target_sr : number > 0
        Sample rates in Hz; whole numbers.
    res_type : str
        ``"soxr_hq"`` (default): the filter described above. Any other type librosa takes
        (``"soxr_vhq"``, ``"kaiser_best"``, ``"polyphase"``, ...) is ``librosa.resample``'s,
        imported only then (with ``resampy`` or ``samplerate`` where librosa needs them).
    fix : bool
        ``True`` (default): the output has librosa's ``ceil(n * (target_sr / orig_sr))``
        samples, of which those past soxr's ``round(n * target_sr / orig_sr)`` are zero
        (librosa pads soxr's output so); ``False``: soxr's ``round(n * target_sr / orig_sr)``.
    scale : bool
        Divide the output by ``sqrt(target_sr / orig_sr)`` (default ``False``).
    axis : int
        The time axis (default the last).
    workers : int or None
        Threads to use (default: one per core).

    Returns
    -------
    y_hat : np.ndarray [shape=(..., n * target_sr / orig_sr, ...)]
        The resampled signal, of ``y``'s dtype (computed in float32).

    Raises
    ------
    ParameterError
        Rates that are not positive whole numbers of Hz, non-floating or non-finite ``y``,
        or a ``res_type`` that librosa, or the library it needs, is missing for or refuses.
    """
    import numpy as np

    if res_type != "soxr_hq":
        return _librosa_resample(_valid_audio(y), orig_sr, target_sr, res_type, fix=fix, scale=scale, axis=axis)
    y = _valid_audio(y, finite=False)  # the core checks each row as it reads it
    if orig_sr == target_sr:
        if not np.isfinite(y).all():
            raise ParameterError("audio buffer is not finite everywhere")
        return y
    moved = np.moveaxis(y, axis, -1)
    out = _core.resample(
        _rows(moved), orig_sr=float(orig_sr), target_sr=float(target_sr), workers=opt_int(workers),
        float64=y.dtype == np.float64,
    )  # fmt: skip
    if not fix:
        out = out[:, : int(moved.shape[-1] * float(target_sr) / float(orig_sr) + 0.5)]
    if scale:
        out /= np.sqrt(float(target_sr) / float(orig_sr))
    out = out.reshape(moved.shape[:-1] + out.shape[-1:])
    return np.moveaxis(out, -1, axis).astype(y.dtype, copy=False)


def _librosa_resample(y, orig_sr, target_sr, res_type: str, **kwargs):
    """A ``res_type`` other than spectrust's own (soxr_hq): ``librosa.resample``, with the
    library it calls for it (soxr, scipy, resampy, samplerate), imported only then."""
    try:
        import librosa
    except ImportError:
        raise ParameterError(
            f"res_type={res_type!r} needs librosa (pip install librosa); spectrust computes only 'soxr_hq' itself"
        ) from None
    try:
        return librosa.resample(y, orig_sr=orig_sr, target_sr=target_sr, res_type=res_type, **kwargs)
    except (ImportError, ValueError) as e:  # a missing resampy or samplerate; librosa's ParameterError
        raise ParameterError(f"res_type={res_type!r}: {str(e).splitlines()[0]}") from None


def _valid_audio(y, finite: bool = True) -> np.ndarray:
    """``y`` as an array, checked as librosa's ``util.valid_audio`` checks audio. ``finite``:
    here that every sample is finite; where the core reads the samples (:func:`_rows`), it
    checks them there, row by row, in parallel, with the same error."""
    import numpy as np

    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError(f"audio data must be floating-point, got {y.dtype}")
    if y.ndim == 0:
        raise ParameterError("audio data must have at least one dimension")
    if finite and not np.isfinite(y).all():
        raise ParameterError("audio buffer is not finite everywhere")
    return y


def _rows(y: np.ndarray) -> np.ndarray:
    """``y`` as the core's rows, ``(rows, n)`` along its last axis: a view where numpy can
    make one (the core reads any strides, float32 or float64, in parallel, each row by the task
    that transforms it); other floating types as float32."""
    import numpy as np

    rows = y.reshape(math.prod(y.shape[:-1]), y.shape[-1])  # (rows, n) even for n = 0
    return rows if rows.dtype in (np.float32, np.float64) else rows.astype(np.float32)


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
        basis_dtype = _float_dtype(kwargs.pop("dtype", np.float32))
        S = np.asarray(S)
        if n_fft // 2 + 1 != S.shape[-2]:  # as librosa's _spectrogram: S's own FFT length
            n_fft = 2 * (S.shape[-2] - 1)
        basis = mel_filters(sr=sr, n_fft=n_fft, dtype=basis_dtype, **kwargs)
        return np.einsum("...ft,mf->...mt", np.asarray(S), basis, optimize=True)
    stft = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window, center=center)
    y, params, float64 = mel_rows("melspectrogram", y, {**stft, "pad_mode": pad_mode, "power": power, **kwargs})
    out = _core.melspectrogram(_rows(y), sr=float(sr), params=params, workers=opt_int(workers), float64=float64)
    return out.reshape(y.shape[:-1] + out.shape[1:])


def mel_rows(caller: str, y, kwargs: dict) -> tuple:
    """What the core's mel spectrogram of audio takes, as :func:`melspectrogram` and
    :func:`spectrust.mfcc` call it: ``(y`` checked, the parameters (``kwargs``: any of
    :data:`MEL_DEFAULTS` and ``dtype``), whether the result is float64``)``: as librosa, for
    float64 audio (its complex128 STFT) or a float64 filter bank (``dtype``); computed in
    float32 all the same. Warns, as librosa's stft, where a centred frame is longer than ``y``."""
    import numpy as np

    # librosa passes dtype on to filters.mel: the filter bank's type, which the result takes.
    basis_dtype = _float_dtype(kwargs.pop("dtype", np.float32))
    params = mel_args(caller, **kwargs)
    if y is None:
        raise ParameterError(f"{caller} needs y= (audio) or S= (a spectrogram)")
    y = _valid_audio(y, finite=False)  # the core checks each row as it reads it
    if params["center"] and params["n_fft"] > y.shape[-1]:
        warnings.warn(f"n_fft={params['n_fft']} is too large for input signal of length={y.shape[-1]}", stacklevel=3)
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
    dtype = _float_dtype(dtype)
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
    over librosa's defaults. ``TypeError`` names ``caller`` for an unknown keyword."""
    unknown = kwargs.keys() - MEL_DEFAULTS.keys()
    if unknown:
        raise TypeError(f"{caller}() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    a = {**MEL_DEFAULTS, **kwargs}
    norm = a["norm"]
    return MelArgs(
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
