"""Audio in: :func:`load` (any format, mono, resampled, a part), :func:`load_batch` (many
inputs in parallel) and :func:`resample`, as ``librosa.load`` and ``librosa.resample``
(librosa 0.11's names, defaults and results), computed in Rust without the GIL. numpy is
imported on first use, so that the image API and the command line start fast."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

from . import _core
from ._arrays import float_dtype, rows, valid_audio
from ._inputs import AudioInput, check_on_error, first_error, is_input, run_batch, source
from ._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION, opt_float, opt_int, read_args
from .errors import ParameterError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import DTypeLike

__all__ = ["load", "load_batch", "resample"]


def load(
    path: AudioInput,
    *,
    sr: Optional[int] = 22050,
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
        Target sample rate in Hz (default 22050, as ``librosa.load``); ``None`` keeps the file's
        own rate. Resampling is :func:`resample`'s (soxr HQ's response, as librosa's default).
    mono : bool
        Mix down to one channel by averaging the channels (default ``True``).
    offset : float
        Start reading this many seconds into the file (default 0), found by seeking (WAV, MP3,
        FLAC, Ogg, MP4, Opus in WebM) rather than by decoding what lies before it; the samples
        are the whole file's from there (bit for bit in WAV, FLAC, MP3 and Vorbis; Opus and
        AAC after a pre-roll that converges).
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
    dtype = float_dtype(dtype)
    y, sr_out = _core.load(
        source(path, max_bytes),
        sr=_core_rate(sr, res_type),
        mono=bool(mono),
        offset=float(offset),
        duration=opt_float(duration),
        max_duration=opt_float(max_duration),
    )
    return _loaded(y, sr_out, mono=mono, sr=sr, res_type=res_type, dtype=dtype)


def load_batch(
    inputs: Sequence[AudioInput],
    *,
    sr: Optional[int] = 22050,
    mono: bool = True,
    offset: float = 0.0,
    duration: Optional[float] = None,
    res_type: str = "soxr_hq",
    dtype: DTypeLike = "float32",
    workers: Optional[int] = None,
    on_error: str = "raise",
    max_duration: Optional[float] = DEFAULT_MAX_DURATION,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list:
    """Load many audio files, decoded and resampled in parallel without the GIL:
    ``[spectrust.load(x, sr=sr, mono=mono, offset=offset, duration=duration, ...) for x in
    inputs]``, each result exactly :func:`load`'s.

    The waveforms that models such as wav2vec2, HuBERT or WavLM take, and that training loops
    computing their features on the GPU need: decoding only what is kept (MP3 and Opus mixed
    to mono and synthesised at no more than the target rate), seeking to ``offset`` instead
    of decoding what lies before it, one file per task on ``workers`` threads.

    Parameters
    ----------
    inputs : sequence of str, os.PathLike, bytes, bytearray, memoryview or binary file objects
        The inputs :func:`load` takes (one input alone is a batch of one).
    sr, mono, offset, duration, res_type, dtype, max_duration, max_bytes
        As :func:`load` (``sr`` default 22050 Hz, as ``librosa.load``), the same for every input.
    workers : int or None
        Threads to use (default: one per core).
    on_error : {"raise", "none"}
        ``"raise"`` (default): the first input that fails raises its error, after the whole
        batch ran; ``"none"``: a failed input is ``None`` in its place.

    Returns
    -------
    list of (y, sr) tuples
        Per input, in order, :func:`load`'s ``(y, sr)`` (``y`` of shape ``(n,)``, or ``(channels,
        n)`` with ``mono=False``, dtype ``dtype``; ``sr`` in Hz), or ``None`` (``on_error="none"``).

    Raises
    ------
    FileNotFoundError, DecodeError, TooLongError, UnsupportedFormatError
        With ``on_error="raise"``, the first failed input's error, as :func:`load` raises it.
    ParameterError
        As :func:`load`, or an ``on_error`` that is not ``"raise"`` or ``"none"``.

    Examples
    --------
    >>> import spectrust
    >>> batch = spectrust.load_batch(["examples/music.mp3", "examples/music.flac"], sr=16000)
    >>> [(y.shape, sr) for y, sr in batch]
    [((240000,), 16000), ((240000,), 16000)]
    """
    check_on_error(on_error)
    dtype = float_dtype(dtype)
    read = read_args(offset, duration, max_duration)
    batch = [inputs] if is_input(inputs) else list(inputs)

    def compute(sources: list, _positions: list) -> list:
        return _core.load_batch(
            sources, sr=_core_rate(sr, res_type), mono=bool(mono), read=read, workers=opt_int(workers)
        )

    results = run_batch(batch, max_bytes, compute)
    first_error(results, on_error)
    return [
        None if isinstance(r, BaseException) else _loaded(*r, mono=mono, sr=sr, res_type=res_type, dtype=dtype)
        for r in results
    ]


def _core_rate(sr: Optional[int], res_type: str) -> Optional[int]:
    """The rate the core resamples to: ``sr``, or none where librosa resamples (another
    ``res_type``)."""
    return opt_int(sr) if res_type == "soxr_hq" else None


def _loaded(y: np.ndarray, sr_out: int, *, mono: bool, sr: Optional[int], res_type: str, dtype) -> tuple:
    """The core's ``(y, sr_out)`` as :func:`load` returns it: ``(channels, n)`` unless mono,
    resampled by librosa for another ``res_type``, of ``dtype``."""
    if not mono:
        # (channels, n) as librosa's; a mono file gives (n,), as librosa's (soundfile's) does.
        y = y[:, 0] if y.shape[1] == 1 else y.T
    if sr is not None and _core_rate(sr, res_type) is None:
        y, sr_out = _librosa_resample(y, sr_out, sr, res_type), sr
    return y.astype(dtype, copy=False), sr_out


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

    Band-limited resampling in the frequency domain (overlapping blocks, two at a time as the
    real and imaginary parts of one complex FFT in and one out) with a zero-phase
    Kaiser-windowed sinc filter whose response follows soxr's "HQ" recipe, librosa's default:
    flat (0.01 dB) to 91 % of the lower Nyquist frequency, -6 dB at 95.7 %, 130 dB down from
    99.9 % on. Output sample ``m`` is the band-limited input at ``m * orig_sr / target_sr``
    input samples: no delay. Rows (every axis but ``axis``) are
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
        return _librosa_resample(valid_audio(y), orig_sr, target_sr, res_type, fix=fix, scale=scale, axis=axis)
    y = valid_audio(y, finite=False)  # the core checks each row as it reads it
    if orig_sr == target_sr:
        if not np.isfinite(y).all():
            raise ParameterError("audio buffer is not finite everywhere")
        return y
    moved = np.moveaxis(y, axis, -1)
    out = _core.resample(
        rows(moved), orig_sr=float(orig_sr), target_sr=float(target_sr), workers=opt_int(workers),
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
