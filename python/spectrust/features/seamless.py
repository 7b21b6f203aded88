"""SeamlessM4T / Wav2Vec2-BERT 2.0's front end (transformers' ``SeamlessM4TFeatureExtractor``):
Kaldi filterbanks of the int16-scaled samples, each band normalised, frames stacked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional, Union

from .._inputs import Audio
from .._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION
from ..errors import ParameterError
from ._frontend import MODEL_RATE, Features, batch_output, model_rate, per_input, run
from ._padding import padded
from .kaldi import fbank_args, fbank_front

if TYPE_CHECKING:
    import numpy as np

__all__ = ["seamless_features"]

#: SeamlessM4T's per-band normalisation: the variance's ddof and the epsilon under its root.
SEAMLESS_NORMALIZE = (1, 1e-7)


def seamless_features(
    raw_speech: Union[Audio, Sequence[Audio]],
    *,
    padding: Union[bool, str] = True,
    pad_to_multiple_of: Optional[int] = 2,
    max_length: Optional[int] = None,
    truncation: bool = False,
    return_tensors: Optional[str] = None,
    sampling_rate: Optional[int] = None,
    return_attention_mask: Optional[bool] = True,
    do_normalize_per_mel_bins: bool = True,
    num_mel_bins: int = 80,
    stride: int = 2,
    padding_value: float = 0.0,
    sr: Optional[int] = None,
    offset: float = 0.0,
    duration: Optional[float] = None,
    workers: Optional[int] = None,
    on_error: str = "raise",
    max_duration: Optional[float] = DEFAULT_MAX_DURATION,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Features:
    """SeamlessM4T / Wav2Vec2-BERT 2.0's input features, as transformers'
    ``SeamlessM4TFeatureExtractor(num_mel_bins=..., stride=...)(raw_speech,
    sampling_rate=16000, return_tensors="np")`` (the same keywords and defaults).

    Each input is decoded, mixed to mono and resampled to 16 kHz (a file), scaled by 32768
    (Kaldi's int16 range), and turned into 80 Kaldi filterbank bands (:func:`fbank` with the
    Povey window, 25 ms frames every 10 ms, 512-point FFT, pre-emphasis 0.97, DC removed,
    bands from 20 Hz to 8 kHz); each band is normalised over the input's frames (its mean
    removed, divided by ``sqrt(var + 1e-7)``, the variance with ``ddof=1`` as torch's). Inputs
    run in parallel in Rust, the GIL released, each padded into its row of one array. Then, as
    the extractor: padded to the longest (a multiple of ``pad_to_multiple_of`` frames) with
    ``padding_value``, and ``stride`` frames stacked into one (frames past a multiple of
    ``stride`` dropped). Source: transformers'
    ``models/seamless_m4t/feature_extraction_seamless_m4t.py``.

    Parameters
    ----------
    raw_speech : str, os.PathLike, bytes, binary file object, np.ndarray [shape=(n,)], or a sequence of them
        One input or many (a batch of one for one, as transformers): files (any format
        spectrust reads), their bytes, file objects, or mono samples at 16 kHz in [-1, 1]
        (float arrays or anything with ``__array__``; a 2-D array is a batch of rows).
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
    return_tensors : {None, "np", "pt", "tf"}
        numpy arrays (None or "np", default), torch or TensorFlow tensors.
    sampling_rate : int or None
        The rate of samples given (16000; another raises, as transformers).
    return_attention_mask : bool or None
        Also return ``"attention_mask"`` (default True, as the extractor).
    do_normalize_per_mel_bins : bool
        Normalise each band over the input's frames (default True).
    num_mel_bins : int
        Mel bands (default 80).
    stride : int
        Frames stacked into one (default 2).
    padding_value : float
        Value of the padded frames (default 0.0).
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
        ``"input_features"``: np.ndarray [shape=(batch, frames // stride, num_mel_bins *
        stride), dtype=float32]; ``"attention_mask"``: np.ndarray [shape=(batch, frames //
        stride), dtype=int32], 1 where the second frame of a stacked group is the input's own
        (transformers' rule).

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        An input could not be read (the first one, named; ``on_error="raise"``).
    ParameterError
        A bad parameter or input (an input under one frame, 25 ms, gives no frames), or
        samples at another rate than 16 kHz.
    """
    import numpy as np

    model_rate("seamless_features", sampling_rate, sr, raw_speech)
    check_stride(stride)

    def frames_for(rows: list, samples: list) -> int:
        return padded(rows, padding, pad_to_multiple_of, max_length, truncation)[0]

    front = seamless_front(num_mel_bins, do_normalize_per_mel_bins)
    read = dict(offset=offset, duration=duration, max_duration=max_duration, max_bytes=max_bytes)
    layout = (frames_for, float(padding_value))
    _, (x, meta) = run(front, raw_speech, sr=MODEL_RATE, **read, layout=layout, workers=workers)
    own = per_input(meta, 2)
    frames = x.shape[1] - x.shape[1] % stride
    features = {"input_features": stride_stacked(x, stride)}
    if return_attention_mask:
        mask = (np.arange(x.shape[1]) < own.reshape(-1, 1)).astype(np.int32)
        # transformers keeps the mask of each group's frame 1 (none for stride 1), as here.
        features["attention_mask"] = mask[:, :frames][:, np.arange(frames) % stride == 1]
    return batch_output(features, meta, on_error, return_tensors, "attention_mask")


def seamless_front(num_mel_bins: int, do_normalize_per_mel_bins: bool) -> tuple:
    """The core's SeamlessM4T front end: Kaldi's fbank of the int16-scaled samples, each band
    normalised."""
    normalize = SEAMLESS_NORMALIZE if do_normalize_per_mel_bins else None
    return fbank_front(fbank_args(num_mel_bins=num_mel_bins), scale=32768.0, normalize=normalize)


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
