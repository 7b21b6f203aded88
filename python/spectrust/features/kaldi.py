"""Kaldi's filterbank features, as ``torchaudio.compliance.kaldi.fbank`` computes them (the
input of k2/icefall, WeNet, sherpa, FunASR and SpeechBrain recipes, of BEATs and of lhotse's
default features), without PyTorch. The model front ends built on them are
:mod:`spectrust.features.ast` and :mod:`spectrust.features.seamless`."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Optional

from .. import _core
from .._arrays import rows, valid_audio
from .._params import FbankArgs, opt_int
from ..errors import ParameterError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["fbank"]


def fbank(
    y: np.ndarray,
    *,
    sr: float = 16000.0,
    num_mel_bins: int = 23,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    dither: float = 0.0,
    preemphasis_coefficient: float = 0.97,
    remove_dc_offset: bool = True,
    window_type: str = "povey",
    blackman_coeff: float = 0.42,
    round_to_power_of_two: bool = True,
    snip_edges: bool = True,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
    use_energy: bool = False,
    raw_energy: bool = True,
    energy_floor: float = 1.0,
    use_log_fbank: bool = True,
    use_power: bool = True,
    htk_compat: bool = False,
    subtract_mean: bool = False,
    vtln_warp: float = 1.0,
    min_duration: float = 0.0,
    seed: Optional[int] = None,
    workers: Optional[int] = None,
) -> np.ndarray:
    """Kaldi filterbank features (``compute-fbank-feats``), as
    ``torchaudio.compliance.kaldi.fbank`` with the same parameter names and defaults, each row
    of ``y`` on its own task, in parallel, the GIL released.

    Per frame of ``frame_length`` ms every ``frame_shift`` ms: dither, the frame's mean
    removed, its log energy, pre-emphasis, the window, zeros up to the FFT length, the power
    spectrum, Kaldi's triangular mel bands (equal on the mel scale ``1127 ln(1 + f / 700)``
    from ``low_freq`` to ``high_freq``) and ``ln(max(x, eps))`` (``eps``: float32's epsilon).
    Source: Kaldi's ``feature-fbank.cc``, ``feature-window.cc`` and ``mel-computations.cc``,
    as torchaudio's ``compliance/kaldi.py`` transcribes them.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)], floating point
        Samples, taken as given, as torchaudio takes them: Kaldi's own tools read int16
        samples, so to match features computed by Kaldi from a WAV file multiply audio in
        [-1, 1] by 32768. Every leading axis is kept.
    sr : float
        Sample rate of ``y`` in Hz (torchaudio's ``sample_frequency``; default 16000).
    num_mel_bins : int
        Mel bands (default 23; at least 4).
    frame_length, frame_shift : float
        Frame length and shift in milliseconds (default 25 and 10); in samples
        ``int(sr * ms / 1000)``.
    dither : float
        Standard deviation of the Gaussian noise added to every sample (default 0: none).
    preemphasis_coefficient : float
        Pre-emphasis ``x[i] - c x[i - 1]`` (default 0.97; in [0, 1]).
    remove_dc_offset : bool
        Subtract each frame's mean (default True).
    window_type : str
        ``"povey"`` (default: Hann to the power 0.85), ``"hanning"``, ``"hamming"``,
        ``"rectangular"`` or ``"blackman"`` (with ``blackman_coeff``, default 0.42); symmetric,
        of the frame's length.
    round_to_power_of_two : bool
        FFT length: the frame's length rounded up to a power of two (default True).
    snip_edges : bool
        True (default): only frames wholly inside the signal, ``1 + (n - length) // shift``
        (none for a signal under a frame, as Kaldi). False: ``(n + shift // 2) // shift``
        frames, the signal reflected at its ends (``n`` must hold a frame, as torchaudio
        asserts).
    low_freq, high_freq : float
        Band edges in Hz (default 20 and 0); ``high_freq <= 0`` counts back from the Nyquist
        frequency.
    use_energy : bool
        Add the log energy as a column, first (last with ``htk_compat``; default False).
    raw_energy : bool
        The energy before pre-emphasis and windowing (default True), else after.
    energy_floor : float
        Floor of the energy (default 1.0; 0: none).
    use_log_fbank : bool
        Natural logarithm of the bands (default True).
    use_power : bool
        Power spectrum (default True), else magnitude.
    htk_compat : bool
        The energy after the bands (default False).
    subtract_mean : bool
        Subtract each column's mean over the frames (default False).
    vtln_warp : float
        Vocal tract length normalisation warp factor: only 1.0 (none) is supported.
    min_duration : float
        Signals shorter than this (seconds) give no frames (default 0).
    seed : int or None
        Seed of the dither's noise (with ``dither > 0``): the same seed gives the same
        features; default None, a fresh seed each call. Each row has its own noise.
    workers : int or None
        Threads (default: one per core).

    Returns
    -------
    np.ndarray [shape=(..., frames, num_mel_bins + use_energy)], float32
        Frames first, as Kaldi and torchaudio return them.

    Raises
    ------
    ParameterError
        A bad parameter (a window under 2 samples, band edges outside ``(0, sr / 2]`` or out
        of order, fewer than 4 bands, ``vtln_warp`` other than 1, an unknown window).
        Unlike Kaldi, and as torchaudio, a band that holds no FFT bin is accepted (its value
        is ``ln(eps)``): AST and BEATs ask for 128 bands of a 512-point FFT. Also ``y`` not
        floating point, not finite, or shorter than one frame without ``snip_edges``.
    """
    if vtln_warp != 1.0:
        raise ParameterError(f"vtln_warp={vtln_warp}: only 1.0 (no warping) is supported")
    y = valid_audio(y, finite=False)  # the core checks each row as it reads it
    params = fbank_args(
        sr=sr,
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
    seed = secrets.randbits(64) if seed is None else int(seed) % 2**64
    out = _core.fbank(rows(y), params=params, seed=seed, workers=opt_int(workers))
    return out.reshape(y.shape[:-1] + out.shape[1:])


#: torchaudio.compliance.kaldi.fbank's defaults (spectrust's sr for its sample_frequency): the
#: core's parameters among :func:`fbank`'s keyword defaults, so that each lives in one place.
FBANK_DEFAULTS = {k: v for k, v in fbank.__kwdefaults__.items() if k in FbankArgs.__annotations__}


def fbank_args(**kwargs) -> FbankArgs:
    """The core's fbank parameters: ``kwargs`` over :data:`FBANK_DEFAULTS`, typed."""
    a = {**FBANK_DEFAULTS, **kwargs}
    return FbankArgs(**{k: type(FBANK_DEFAULTS[k])(v) for k, v in a.items()})  # type: ignore[typeddict-item]
