"""Kaldi's filterbank features, as ``torchaudio.compliance.kaldi.fbank`` computes them (the
input of k2/icefall, WeNet, sherpa, FunASR and SpeechBrain recipes, of BEATs and of lhotse's
default features), without PyTorch. The model front ends built on them are
:mod:`spectrust.features.ast` and :mod:`spectrust.features.seamless`."""

from __future__ import annotations

import secrets
from typing import Optional

from .._inputs import as_batch, check_on_error, first_error, is_input, plain_samples
from .._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION, FbankArgs
from ..errors import ParameterError
from ._frontend import run

__all__ = ["fbank"]


def fbank(
    waveform,
    *,
    blackman_coeff: float = 0.42,
    channel: int = -1,
    dither: float = 0.0,
    energy_floor: float = 1.0,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    high_freq: float = 0.0,
    htk_compat: bool = False,
    low_freq: float = 20.0,
    min_duration: float = 0.0,
    num_mel_bins: int = 23,
    preemphasis_coefficient: float = 0.97,
    raw_energy: bool = True,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    sample_frequency: float = 16000.0,
    snip_edges: bool = True,
    subtract_mean: bool = False,
    use_energy: bool = False,
    use_log_fbank: bool = True,
    use_power: bool = True,
    vtln_high: float = -500.0,
    vtln_low: float = 100.0,
    vtln_warp: float = 1.0,
    window_type: str = "povey",
    sr: Optional[float] = None,
    seed: Optional[int] = None,
    offset: float = 0.0,
    duration: Optional[float] = None,
    workers: Optional[int] = None,
    on_error: str = "raise",
    max_duration: Optional[float] = DEFAULT_MAX_DURATION,
    max_bytes: int = DEFAULT_MAX_BYTES,
):
    """Kaldi filterbank features (``compute-fbank-feats``), as
    ``torchaudio.compliance.kaldi.fbank(waveform, ...)`` with the same parameter names and
    defaults, computed in Rust with the GIL released (many inputs in parallel).

    Per frame of ``frame_length`` ms every ``frame_shift`` ms: dither, the frame's mean
    removed, its log energy, pre-emphasis, the window, zeros up to the FFT length, the power
    spectrum, Kaldi's triangular mel bands (equal on the mel scale ``1127 ln(1 + f / 700)``
    from ``low_freq`` to ``high_freq``) and ``ln(max(x, eps))`` (``eps``: float32's epsilon).
    Source: Kaldi's ``feature-fbank.cc``, ``feature-window.cc`` and ``mel-computations.cc``,
    as torchaudio's ``compliance/kaldi.py`` transcribes them.

    Parameters
    ----------
    waveform : np.ndarray [shape=(n,) or (channels, n)], a path, bytes, a binary file object, or a list of them
        Samples, taken as given, as torchaudio takes them (a torch tensor too: anything with
        ``__array__``): Kaldi's own tools read int16 samples, so to match features computed by
        Kaldi from a WAV file multiply audio in [-1, 1] by 32768. A ``(channels, n)`` waveform
        (``torchaudio.load``'s) gives the features of ``channel``. A file (any format
        :func:`spectrust.load` reads) is decoded, mixed to mono and resampled to
        ``sample_frequency``, in [-1, 1] as ``torchaudio.load`` reads it. A list of inputs
        gives a list of features.
    blackman_coeff : float
        The Blackman window's coefficient (default 0.42).
    channel : int
        The channel of a ``(channels, n)`` waveform (default -1: the first, as torchaudio).
    dither : float
        Standard deviation of the Gaussian noise added to every sample (default 0: none).
    energy_floor : float
        Floor of the energy (default 1.0; 0: none).
    frame_length, frame_shift : float
        Frame length and shift in milliseconds (default 25 and 10); in samples
        ``int(sample_frequency * ms / 1000)``.
    high_freq, low_freq : float
        Band edges in Hz (default 0 and 20); ``high_freq <= 0`` counts back from the Nyquist
        frequency.
    htk_compat : bool
        The energy after the bands (default False).
    min_duration : float
        Signals shorter than this (seconds) give no frames (default 0).
    num_mel_bins : int
        Mel bands (default 23; at least 4).
    preemphasis_coefficient : float
        Pre-emphasis ``x[i] - c x[i - 1]`` (default 0.97; in [0, 1]).
    raw_energy : bool
        The energy before pre-emphasis and windowing (default True), else after.
    remove_dc_offset : bool
        Subtract each frame's mean (default True).
    round_to_power_of_two : bool
        FFT length: the frame's length rounded up to a power of two (default True).
    sample_frequency : float
        Sample rate in Hz of the samples, and the rate files are read at (default 16000).
    snip_edges : bool
        True (default): only frames wholly inside the signal, ``1 + (n - length) // shift``
        (none for a signal under a frame, as Kaldi). False: ``(n + shift // 2) // shift``
        frames, the signal reflected at its ends (``n`` must hold a frame, as torchaudio
        asserts).
    subtract_mean : bool
        Subtract each column's mean over the frames (default False).
    use_energy : bool
        Add the log energy as a column, first (last with ``htk_compat``; default False).
    use_log_fbank : bool
        Natural logarithm of the bands (default True).
    use_power : bool
        Power spectrum (default True), else magnitude.
    vtln_high, vtln_low : float
        Vocal tract length normalisation's edges, unused without warping (as torchaudio).
    vtln_warp : float
        Vocal tract length normalisation warp factor: only 1.0 (none) is supported.
    window_type : str
        ``"povey"`` (default: Hann to the power 0.85), ``"hanning"``, ``"hamming"``,
        ``"rectangular"`` or ``"blackman"``; symmetric, of the frame's length.
    sr : float or None
        spectrust's alias of ``sample_frequency``.
    seed : int or None
        Seed of the dither's noise (with ``dither > 0``): the same seed gives the same
        features; default None, a fresh seed each call. Each input has its own noise.
    offset, duration : float
        Read each file (and cut each waveform) from ``offset`` seconds for at most
        ``duration`` seconds (default: whole).
    workers : int or None
        Threads (default: one per core).
    on_error : {"raise", "none"}
        ``"raise"`` (default): the first input that failed raises, after all are done;
        ``"none"``: None in its place.
    max_duration : float or None
        Refuse files longer than this many seconds (default 4 hours).
    max_bytes : int
        Largest file object read into memory (default 2 GiB).

    Returns
    -------
    np.ndarray [shape=(frames, num_mel_bins + use_energy), dtype=float32], or a list of them
        Frames first, as Kaldi and torchaudio return them; a list for a list of inputs.

    Raises
    ------
    ParameterError
        A bad parameter (a window under 2 samples, band edges outside ``(0, sr / 2]`` or out
        of order, fewer than 4 bands, ``vtln_warp`` other than 1, an unknown window, a
        ``channel`` the waveform does not have). Unlike Kaldi, and as torchaudio, a band that
        holds no FFT bin is accepted (its value is ``ln(eps)``): AST and BEATs ask for 128
        bands of a 512-point FFT. Also samples not floating point, not finite, or shorter
        than one frame without ``snip_edges``.
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        A file could not be read (``on_error="raise"``).
    """
    if vtln_warp != 1.0:
        raise ParameterError(f"vtln_warp={vtln_warp}: only 1.0 (no warping) is supported")
    if sr is not None and sample_frequency != fbank.__kwdefaults__["sample_frequency"] and sr != sample_frequency:
        raise ParameterError(f"sample_frequency={sample_frequency} and sr={sr} differ (sr is an alias)")
    rate = float(sample_frequency if sr is None else sr)
    check_on_error(on_error)
    params = fbank_args(
        sr=rate,
        num_mel_bins=num_mel_bins,
        frame_length=frame_length,
        frame_shift=frame_shift,
        dither=dither,
        preemphasis_coefficient=preemphasis_coefficient,
        remove_dc_offset=remove_dc_offset,
        window_type=window_type,
        blackman_coeff=blackman_coeff,
        round_to_power_of_two=round_to_power_of_two,
        snip_edges=snip_edges,
        low_freq=low_freq,
        high_freq=high_freq,
        use_energy=use_energy,
        raw_energy=raw_energy,
        energy_floor=energy_floor,
        use_log_fbank=use_log_fbank,
        use_power=use_power,
        htk_compat=htk_compat,
        subtract_mean=subtract_mean,
        min_duration=min_duration,
    )
    if seed is not None:
        seed = int(seed) % 2**64
    elif params["dither"] > 0:  # without dither the seed is not used
        seed = secrets.randbits(64)
    inputs, single = _channels(waveform, channel)
    front = fbank_front(params, seed=seed or 0)
    read = dict(offset=offset, duration=duration, max_duration=max_duration, max_bytes=max_bytes)
    _, results = run(front, inputs, sr=rate, **read, layout="list", workers=workers)
    results = [r if isinstance(r, BaseException) else r[0] for r in results]
    first_error(results, on_error)
    results = [None if isinstance(r, BaseException) else r for r in results]
    return results[0] if single else results


def _channels(waveform, channel: int) -> tuple:
    """``(inputs, single)``: ``waveform`` as one input or many (see
    :func:`spectrust._inputs.as_batch`), a ``(channels, n)`` waveform (alone, or each of a list)
    as its row ``channel`` (-1: the first, as torchaudio's ``max(channel, 0)``)."""
    if plain_samples(waveform):
        return [waveform], True
    import numpy as np

    def row(x):
        if is_input(x) or not hasattr(x, "__array__"):
            return x
        y = np.asarray(x)
        if y.ndim != 2:
            return y
        c = max(int(channel), 0)
        if c >= y.shape[0]:
            raise ParameterError(f"Invalid channel {channel} for size {y.shape[0]}")
        return y[c]

    if not is_input(waveform) and not isinstance(waveform, (list, tuple)) and hasattr(waveform, "__array__"):
        return [row(waveform)], True
    inputs, single = as_batch(waveform)
    return [row(x) for x in inputs], single


def fbank_front(params: FbankArgs, scale: float = 1.0, normalize=None, seed: int = 0) -> tuple:
    """The core's fbank front end: Kaldi's filterbank of the samples times ``scale``; with
    ``normalize`` (``(ddof, eps)``) each band normalised over the input's frames."""
    return ("fbank", dict(params=params, scale=float(scale), normalize=normalize, seed=int(seed)))


#: torchaudio.compliance.kaldi.fbank's defaults (the core's ``sr`` for its
#: ``sample_frequency``): the core's parameters among :func:`fbank`'s keyword defaults, so that
#: each lives in one place.
FBANK_DEFAULTS = {
    **{k: v for k, v in fbank.__kwdefaults__.items() if k in FbankArgs.__annotations__},
    "sr": fbank.__kwdefaults__["sample_frequency"],
}


def fbank_args(**kwargs) -> FbankArgs:
    """The core's fbank parameters: ``kwargs`` over :data:`FBANK_DEFAULTS`, typed (a default
    itself is already)."""
    a = dict(FBANK_DEFAULTS)
    for k, v in kwargs.items():
        default = FBANK_DEFAULTS[k]
        a[k] = v if v is default else type(default)(v)
    return FbankArgs(**a)  # type: ignore[typeddict-item]
