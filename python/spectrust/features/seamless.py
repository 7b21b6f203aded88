"""SeamlessM4T / Wav2Vec2-BERT 2.0's front end (transformers' ``SeamlessM4TFeatureExtractor``):
Kaldi filterbanks of the int16-scaled samples, each band normalised, frames stacked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional, Union

from .. import _core
from .._inputs import Audio, whole_inputs
from .._params import DEFAULT_MAX_BYTES
from ..errors import ParameterError
from ._padding import padded
from .kaldi import fbank_args

if TYPE_CHECKING:
    import numpy as np

__all__ = ["seamless_features"]

#: SeamlessM4T's per-band normalisation: the variance's ddof and the epsilon under its root.
SEAMLESS_NORMALIZE = (1, 1e-7)


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
            **whole_inputs(inputs, max_bytes, workers),
            params=fbank_args(num_mel_bins=num_mel_bins),
            scale=32768.0,
            normalize=SEAMLESS_NORMALIZE if do_normalize_per_mel_bins else None,
            sr=16000,
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
