"""Kaldi's filterbank features, as ``torchaudio.compliance.kaldi.fbank`` computes them (the
input of k2/icefall, WeNet, sherpa, FunASR and SpeechBrain recipes and of lhotse's default
features), without PyTorch, and the model front ends built on them: the Audio Spectrogram
Transformer's and SeamlessM4T / Wav2Vec2-BERT's."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional, Union

from . import _core
from ._padding import padded
from ._params import DEFAULT_MAX_BYTES, FbankArgs, opt_int
from .batches import read_args
from .errors import ParameterError
from .features import _rows, _valid_audio
from .whisper import Audio, _audio

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ast_features", "fbank", "seamless_features"]


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
    y = _valid_audio(y, finite=False)  # the core checks each row as it reads it
    params = _fbank_args(
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
    out = _core.fbank(_rows(y), params=params, seed=seed, workers=opt_int(workers))
    return out.reshape(y.shape[:-1] + out.shape[1:])


#: torchaudio.compliance.kaldi.fbank's defaults (spectrust's sr for its sample_frequency): the
#: core's parameters among :func:`fbank`'s keyword defaults, so that each lives in one place.
FBANK_DEFAULTS = {k: v for k, v in fbank.__kwdefaults__.items() if k in FbankArgs.__annotations__}


#: SeamlessM4T's per-band normalisation: the variance's ddof and the epsilon under its root.
SEAMLESS_NORMALIZE = (1, 1e-7)


def _fbank_args(**kwargs) -> FbankArgs:
    """The core's fbank parameters: ``kwargs`` over :data:`FBANK_DEFAULTS`, typed."""
    a = {**FBANK_DEFAULTS, **kwargs}
    return FbankArgs(**{k: type(FBANK_DEFAULTS[k])(v) for k, v in a.items()})  # type: ignore[typeddict-item]


def seamless_features(
    inputs: Sequence[Audio],
    *,
    num_mel_bins: int = 80,
    stride: int = 2,
    padding: Union[bool, str] = True,
    pad_to_multiple_of: Optional[int] = 2,
    max_length: Optional[int] = None,
    truncation: bool = False,
    do_normalize_per_mel_bins: bool = True,
    padding_value: float = 0.0,
    workers: Optional[int] = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict:
    """SeamlessM4T / Wav2Vec2-BERT 2.0's input features, as transformers'
    ``SeamlessM4TFeatureExtractor()(inputs, sampling_rate=16000, return_tensors="np")``.

    Each input is decoded, mixed to mono and resampled to 16 kHz (a file), scaled by 32768
    (Kaldi's int16 range), and turned into 80 Kaldi filterbank bands (:func:`fbank` with the
    Povey window, 25 ms frames every 10 ms, 512-point FFT, pre-emphasis 0.97, DC removed,
    bands from 20 Hz to 8 kHz); each band is normalised over the input's frames (its mean
    removed, divided by ``sqrt(var + 1e-7)``, the variance with ``ddof=1`` as torch's). Inputs
    run in parallel in Rust, the GIL released. Then, as the extractor: padded to the longest
    (a multiple of ``pad_to_multiple_of`` frames) with ``padding_value``, and ``stride``
    frames stacked into one (frames past a multiple of ``stride`` dropped). Source:
    transformers' ``models/seamless_m4t/feature_extraction_seamless_m4t.py``.

    Parameters
    ----------
    inputs : sequence of str, os.PathLike, bytes, binary file objects or np.ndarray [shape=(n,)]
        Files (any format spectrust reads) or mono samples at 16 kHz in [-1, 1].
    num_mel_bins : int
        Mel bands (default 80).
    stride : int
        Frames stacked into one (default 2).
    padding : bool or str
        ``True`` or ``"longest"`` (default): to the longest input; ``"max_length"``: to
        ``max_length``; ``False`` or ``"do_not_pad"``: none (the inputs' frames must then
        agree).
    pad_to_multiple_of : int or None
        Padded lengths rounded up to a multiple of this (default 2).
    max_length : int or None
        Frames to pad to (``"max_length"``) or cut to (``truncation``).
    truncation : bool
        Cut inputs longer than ``max_length`` frames (default False).
    do_normalize_per_mel_bins : bool
        Normalise each band over the input's frames (default True).
    padding_value : float
        Value of the padded frames (default 0.0).
    workers : int or None
        Threads (default: one per core).
    max_bytes : int
        Largest file read into memory.

    Returns
    -------
    dict
        ``"input_features"``: np.ndarray [shape=(len(inputs), frames // stride,
        num_mel_bins * stride), dtype=float32]; ``"attention_mask"``: np.ndarray
        [shape=(len(inputs), frames // stride), dtype=int32], 1 where the second frame of a
        stacked group is the input's own (transformers' rule).

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        An input could not be read (the first one, named).
    ParameterError
        A bad parameter or input (an input under one frame, 25 ms, gives no frames).
    """
    check_stride(stride)
    features = [
        f
        for f, _ in _core.fbank_inputs(
            [_audio(x, max_bytes) for x in inputs],
            params=_fbank_args(num_mel_bins=num_mel_bins),
            scale=32768.0,
            normalize=SEAMLESS_NORMALIZE if do_normalize_per_mel_bins else None,
            sr=16000,
            read=read_args(0.0, None, None),
            pad=False,
            errors=False,
            workers=opt_int(workers),
        )
    ]
    import numpy as np

    lengths = [len(f) for f in features]
    target, cut = padded(lengths, padding, pad_to_multiple_of, max_length, truncation)
    features = [f[:cut] for f in features]
    x = np.full((len(features), target, num_mel_bins), padding_value, dtype=np.float32)
    mask = np.zeros((len(features), target), dtype=np.int32)
    for k, f in enumerate(features):
        x[k, : len(f)] = f
        mask[k, : len(f)] = 1
    frames = x.shape[1] - x.shape[1] % stride
    return {
        "input_features": stride_stacked(x, stride),
        # transformers keeps the mask of each group's frame 1 (none for stride 1), as here.
        "attention_mask": mask[:, :frames][:, np.arange(frames) % stride == 1],
    }


def check_stride(stride: int) -> None:
    """SeamlessM4T's ``stride``: at least 1 (``ParameterError``)."""
    if stride < 1:
        raise ParameterError(f"stride must be at least 1, got {stride}")


def stride_stacked(x: np.ndarray, stride: int) -> np.ndarray:
    """SeamlessM4T's stacking: ``stride`` consecutive frames of ``x`` (``(..., frames, bands)``)
    side by side, frames past a multiple of ``stride`` dropped: ``(..., frames // stride,
    bands * stride)``."""
    frames = x.shape[-2] - x.shape[-2] % stride
    return x[..., :frames, :].reshape(*x.shape[:-2], frames // stride, x.shape[-1] * stride)


def ast_seconds(max_length: int) -> float:
    """Seconds of audio ``max_length`` AST frames use (25 ms every 10 ms), and 0.1 s for the
    resampler's filter to reach."""
    return ((max_length - 1) * 160 + 400) / 16000 + 0.1


def ast_features(
    inputs: Sequence[Audio],
    *,
    num_mel_bins: int = 128,
    max_length: int = 1024,
    do_normalize: bool = True,
    mean: float = -4.2677393,
    std: float = 4.5689974,
    workers: Optional[int] = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict:
    """The Audio Spectrogram Transformer's input values, as transformers'
    ``ASTFeatureExtractor()(inputs, sampling_rate=16000, return_tensors="np")``.

    Each input is decoded, mixed to mono and resampled to 16 kHz (a file), and turned into
    ``num_mel_bins`` Kaldi filterbank bands of the samples as given, in [-1, 1] (the extractor
    does not scale them to int16): :func:`fbank` with the Hanning window, 25 ms frames every
    10 ms, a 512-point FFT, pre-emphasis 0.97, DC removed, bands from 20 Hz to 8 kHz
    (``torchaudio.compliance.kaldi.fbank(waveform, sample_frequency=16000,
    window_type="hanning", num_mel_bins=128)``). The frames are cut or padded with zeros to
    ``max_length``, then normalised with AudioSet's statistics, ``(x - mean) / (2 std)``.
    Inputs run in parallel in Rust, the GIL released. Source: transformers'
    ``models/audio_spectrogram_transformer/feature_extraction_audio_spectrogram_transformer.py``.

    Parameters
    ----------
    inputs : sequence of str, os.PathLike, bytes, binary file objects or np.ndarray [shape=(n,)]
        Files (any format spectrust reads) or mono samples at 16 kHz in [-1, 1].
    num_mel_bins : int
        Mel bands (default 128).
    max_length : int
        Frames of every example (default 1024: 10.24 s).
    do_normalize : bool
        Normalise with ``mean`` and ``std`` (default True).
    mean, std : float
        The statistics (default AudioSet's, -4.2677393 and 4.5689974).
    workers : int or None
        Threads (default: one per core).
    max_bytes : int
        Largest file read into memory.

    Returns
    -------
    dict
        ``"input_values"``: np.ndarray [shape=(len(inputs), max_length, num_mel_bins),
        dtype=float32].

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        An input could not be read (the first one, named).
    ParameterError
        A bad parameter or input.
    """

    if max_length < 1:
        raise ParameterError(f"max_length must be at least 1 frame, got {max_length}")
    features = [
        f
        for f, _ in _core.fbank_inputs(
            [_audio(x, max_bytes) for x in inputs],
            params=_fbank_args(num_mel_bins=num_mel_bins, window_type="hanning"),
            scale=1.0,
            normalize=None,
            sr=16000,
            # The samples max_length frames use, and 0.1 s for the resampler's filter to reach.
            read=read_args(0.0, ast_seconds(max_length), None),
            pad=False,
            errors=False,
            workers=opt_int(workers),
        )
    ]
    return {"input_values": ast_values(features, max_length, num_mel_bins, do_normalize, mean, std)}


def ast_values(features: list, max_length: int, num_mel_bins: int, do_normalize: bool, mean, std) -> np.ndarray:
    """AST's last steps on each input's fbank frames: cut or padded with zeros to
    ``max_length`` frames, then ``(x - mean) / (2 std)`` in float32 as the extractor (Python
    floats are weak scalars): ``(len(features), max_length, num_mel_bins)``."""
    import numpy as np

    x = np.zeros((len(features), max_length, num_mel_bins), dtype=np.float32)
    for k, f in enumerate(features):
        x[k, : len(f)] = f[:max_length]
    return (x - mean) / (std * 2) if do_normalize else x
