"""Parakeet's input features (NVIDIA NeMo's ``AudioToMelSpectrogramPreprocessor``), as
transformers' ``ParakeetFeatureExtractor`` computes them, without PyTorch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

from .._inputs import Audio
from .._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION, opt_int
from ._frontend import MODEL_RATE, Features, batch_output, model_rate, per_input, run
from ._padding import padded

__all__ = ["parakeet_features"]

HOP_LENGTH = 160


def parakeet_features(
    raw_speech: Union[Audio, Sequence[Audio]],
    *,
    truncation: bool = False,
    pad_to_multiple_of: Optional[int] = None,
    return_tensors: Optional[str] = None,
    return_attention_mask: Optional[bool] = True,
    padding: Union[bool, str] = "longest",
    max_length: Optional[int] = None,
    sampling_rate: Optional[int] = None,
    do_normalize: Optional[bool] = None,
    device: Optional[str] = "cpu",
    feature_size: int = 80,
    preemphasis: Optional[float] = 0.97,
    sr: Optional[int] = None,
    offset: float = 0.0,
    duration: Optional[float] = None,
    workers: Optional[int] = None,
    on_error: str = "raise",
    max_duration: Optional[float] = DEFAULT_MAX_DURATION,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Features:
    """Parakeet's input features, as transformers'
    ``ParakeetFeatureExtractor(feature_size=...)(raw_speech, sampling_rate=16000,
    return_tensors="np")`` (the same keywords and defaults).

    Each input is decoded, mixed to mono and resampled to 16 kHz (a file); its samples are
    pre-emphasised (``x[t] - 0.97 x[t - 1]``), transformed by a centred STFT (zero padding)
    of 512 points every 160 samples with a symmetric 400-sample Hann window, reduced to power
    spectra and ``feature_size`` Slaney mel bands (Slaney norm, 0 to 8 kHz), ``ln(x + 2**-24)``,
    and each band normalised over the input's own ``samples // 160`` frames,
    ``(x - mean) / (std + 1e-5)`` (``ddof=1``); later frames are 0. Inputs run in parallel in
    Rust, the GIL released. The samples are padded (or cut) as the extractor pads them, so a
    batch has ``1 + padded_samples // 160`` frames. Source: transformers'
    ``models/parakeet/feature_extraction_parakeet.py`` (NeMo's preprocessor's defaults).

    Parameters
    ----------
    raw_speech : str, os.PathLike, bytes, binary file object, np.ndarray [shape=(n,)], or a sequence of them
        One input or many (a batch of one for one, as transformers): files (any format
        spectrust reads), their bytes, file objects, or mono samples at 16 kHz in [-1, 1]
        (float arrays or anything with ``__array__``; a 2-D array is a batch of rows).
    truncation : bool
        Cut inputs longer than ``max_length`` samples (default False).
    pad_to_multiple_of : int or None
        Padded lengths, in samples, rounded up to a multiple of this (default None).
    return_tensors : {None, "np", "pt", "tf"}
        numpy arrays (None or "np", default), torch or TensorFlow tensors.
    return_attention_mask : bool or None
        Also return ``"attention_mask"`` (default True, as the extractor).
    padding : bool or str
        ``"longest"`` or ``True`` (default): samples padded to the longest input;
        ``"max_length"``: to ``max_length`` samples; ``False`` or ``"do_not_pad"``: none (the
        inputs' lengths must then agree).
    max_length : int or None
        Samples to pad to (``"max_length"``) or cut to (``truncation``).
    sampling_rate : int or None
        The rate of samples given (16000; another raises, as transformers).
    do_normalize : bool or None
        Taken for transformers' call and unused, as the extractor does not use it (default
        None).
    device : str or None
        Where ``return_tensors="pt"`` puts the tensors (default "cpu"), as the extractor; the
        features are computed on the CPU.
    feature_size : int
        Mel bands (default 80).
    preemphasis : float or None
        Pre-emphasis coefficient (default 0.97; None: none).
    sr : int or None
        Alias of ``sampling_rate``.
    offset, duration : float
        Read each file (and cut each array) from ``offset`` seconds for at most ``duration``.
    workers : int or None
        Threads (default: one per core).
    on_error : {"raise", "none"}
        ``"raise"`` (default): the first input that failed raises, after all are done;
        ``"none"``: its row is padding, its attention mask 0, and ``"errors"`` (per input None
        or its exception) is added.
    max_duration : float or None
        Refuse files longer than this many seconds (default 4 hours).
    max_bytes : int
        Largest file object read into memory (default 2 GiB).

    Returns
    -------
    Features (a dict whose keys are also attributes)
        ``"input_features"``: np.ndarray [shape=(batch, frames, feature_size),
        dtype=float32]; ``"attention_mask"``: np.ndarray [shape=(batch, frames), dtype=bool],
        True for an input's own ``samples // 160`` frames.

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        An input could not be read (the first one, named; ``on_error="raise"``).
    ParameterError
        A bad parameter or input, or samples at another rate than 16 kHz.
    """
    import numpy as np

    model_rate("parakeet_features", sampling_rate, sr, raw_speech)

    def frames_for(rows: list, samples: list) -> int:
        target, _ = padded(samples, padding, pad_to_multiple_of, max_length, truncation)
        return 1 + target // HOP_LENGTH

    front = parakeet_front(feature_size, preemphasis, max_length if truncation else None)
    read = dict(offset=offset, duration=duration, max_duration=max_duration, max_bytes=max_bytes)
    _, (x, meta) = run(front, raw_speech, sr=MODEL_RATE, **read, layout=(frames_for, 0.0), workers=workers)
    features = {"input_features": x}
    if return_attention_mask:
        samples = per_input(meta, 1)
        features["attention_mask"] = np.arange(x.shape[1]) < (samples.reshape(-1, 1) // HOP_LENGTH)
    out = batch_output(features, meta, on_error, return_tensors, "attention_mask")
    if return_tensors == "pt" and device not in (None, "cpu"):
        out = type(out)({k: v if isinstance(v, list) else v.to(device) for k, v in out.items()})
    return out


def parakeet_front(feature_size: int, preemphasis: Optional[float], max_samples: Optional[int]) -> tuple:
    """The core's Parakeet front end, from :func:`parakeet_features`' keywords."""
    coefficient = None if preemphasis is None else float(preemphasis)
    return ("parakeet", dict(feature_size=int(feature_size), preemphasis=coefficient, max_samples=opt_int(max_samples)))
