"""Parakeet's input features (NVIDIA NeMo's ``AudioToMelSpectrogramPreprocessor``), as
transformers' ``ParakeetFeatureExtractor`` computes them, without PyTorch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

from .. import _core
from .._inputs import Audio, whole_inputs
from .._params import DEFAULT_MAX_BYTES, opt_int
from ._padding import padded

__all__ = ["parakeet_features"]

HOP_LENGTH = 160


def parakeet_features(
    inputs: Sequence[Audio],
    *,
    feature_size: int = 80,
    preemphasis: Optional[float] = 0.97,
    padding: Union[bool, str] = "longest",
    max_length: Optional[int] = None,
    truncation: bool = False,
    pad_to_multiple_of: Optional[int] = None,
    workers: Optional[int] = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict:
    """Parakeet's input features, as transformers'
    ``ParakeetFeatureExtractor()(inputs, sampling_rate=16000, return_tensors="np")``.

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
    inputs : sequence of str, os.PathLike, bytes, binary file objects or np.ndarray [shape=(n,)]
        Files (any format spectrust reads) or mono samples at 16 kHz in [-1, 1].
    feature_size : int
        Mel bands (default 80).
    preemphasis : float or None
        Pre-emphasis coefficient (default 0.97; None: none).
    padding : bool or str
        ``"longest"`` or ``True`` (default): samples padded to the longest input;
        ``"max_length"``: to ``max_length`` samples; ``False`` or ``"do_not_pad"``: none (the
        inputs' lengths must then agree).
    max_length : int or None
        Samples to pad to (``"max_length"``) or cut to (``truncation``).
    truncation : bool
        Cut inputs longer than ``max_length`` samples (default False).
    pad_to_multiple_of : int or None
        Padded lengths, in samples, rounded up to a multiple of this (default None).
    workers : int or None
        Threads (default: one per core).
    max_bytes : int
        Largest file read into memory.

    Returns
    -------
    dict
        ``"input_features"``: np.ndarray [shape=(len(inputs), frames, feature_size),
        dtype=float32]; ``"attention_mask"``: np.ndarray [shape=(len(inputs), frames),
        dtype=bool], True for an input's own ``samples // 160`` frames.

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        An input could not be read (the first one, named).
    ParameterError
        A bad parameter or input.
    """
    import numpy as np

    def frames_for(lengths: list) -> int:
        target, _ = padded(lengths, padding, pad_to_multiple_of, max_length, truncation)
        return 1 + target // HOP_LENGTH

    args = whole_inputs(inputs, max_bytes, workers)
    del args["errors"]  # one array: the first failure is raised
    x, samples = _core.parakeet_batch(
        **args,
        n_mels=int(feature_size),
        preemphasis=None if preemphasis is None else float(preemphasis),
        max_samples=opt_int(max_length) if truncation else None,
        frames_for=frames_for,
    )
    mask = np.arange(x.shape[1]) < (np.asarray(samples, dtype=np.int64).reshape(-1, 1) // HOP_LENGTH)
    return {"input_features": x, "attention_mask": mask}
