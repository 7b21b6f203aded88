"""Whisper's front end: openai-whisper's ``log_mel_spectrogram`` and transformers'
``WhisperFeatureExtractor``, computed in Rust (decoding, resampling to 16 kHz, STFT, mel, log)
with the GIL released.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional, Union

from .. import _core
from .._inputs import Audio, as_batch, audio_input, is_input
from .._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION
from ..errors import ParameterError
from ._frontend import Features, batch_output, model_rate, per_input, run
from ._padding import padded

if TYPE_CHECKING:
    import numpy as np

__all__ = ["log_mel_spectrogram", "whisper_features"]

#: Whisper's sample rate in Hz: arrays given to the functions here must be at this rate.
SAMPLE_RATE = 16000

#: Samples of Whisper's 30 s window, and between its frames.
N_SAMPLES, HOP_LENGTH = 30 * SAMPLE_RATE, 160


def log_mel_spectrogram(
    audio: Audio, n_mels: int = 80, padding: int = 0, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> np.ndarray:
    """Whisper's log-mel spectrogram, as ``whisper.audio.log_mel_spectrogram`` (openai-whisper).

    The samples (decoded, mixed to mono and resampled to 16 kHz if a file is given), followed
    by ``padding`` zeros, are framed by 400 samples every 160, centred with reflect padding,
    windowed by a periodic Hann window, and reduced to power spectra and ``n_mels`` Slaney mel
    bands up to 8 kHz (librosa's ``filters.mel(sr=16000, n_fft=400, n_mels=n_mels)``); the last
    frame is dropped, then ``log10(max(x, 1e-10))``, floored at its maximum less 8, and mapped
    by ``(x + 4) / 4`` (openai-whisper's whisper/audio.py).

    Parameters
    ----------
    audio : str, os.PathLike, bytes, binary file object or np.ndarray [shape=(n,)]
        An audio file (any format :func:`spectrust.load` reads), its bytes, a file object
        (read into memory), or samples at 16 kHz (float).
    n_mels : int
        80 (default) or 128 (large-v3) mel bands.
    padding : int >= 0
        Zeros appended to the samples (default 0; whisper's ``transcribe`` pads 30 s).
    max_bytes : int
        The most bytes read from a file object (default 2 GiB).

    Returns
    -------
    np.ndarray [shape=(n_mels, (n + padding) // 160), dtype=float32]

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        The file cannot be read (files longer than 4 hours are refused).
    ParameterError
        Samples that are not a 1-D floating array of finite values, or bad sizes.
    """
    return _core.log_mel_spectrogram(
        audio_input(audio, max_bytes), n_mels=int(n_mels), padding=int(padding), max_duration=DEFAULT_MAX_DURATION
    )


def whisper_features(
    raw_speech: Union[Audio, Sequence[Audio]],
    *,
    truncation: bool = True,
    pad_to_multiple_of: Optional[int] = None,
    return_tensors: Optional[str] = None,
    return_attention_mask: Optional[bool] = None,
    padding: Union[bool, str] = "max_length",
    max_length: Optional[int] = None,
    sampling_rate: Optional[int] = None,
    do_normalize: Optional[bool] = None,
    device: Optional[str] = "cpu",
    feature_size: int = 80,
    sr: Optional[int] = None,
    offset: float = 0.0,
    duration: Optional[float] = None,
    workers: Optional[int] = None,
    on_error: str = "raise",
    max_duration: Optional[float] = DEFAULT_MAX_DURATION,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Features:
    """Whisper's input features, as transformers' ``WhisperFeatureExtractor(feature_size=...)(
    raw_speech, sampling_rate=16000, return_tensors="np")`` (the same keywords and defaults).

    Each input is decoded, mixed to mono and resampled to 16 kHz (a file: only its first 30 s
    are decoded), padded with zeros or cut to 30 s (``max_length`` samples), and turned into
    :func:`log_mel_spectrogram`'s features with the floor set by each input's own maximum.
    Inputs run in parallel in Rust, each into its row of the result, the GIL released.
    Source: transformers' ``models/whisper/feature_extraction_whisper.py``, openai-whisper's
    ``whisper/audio.py``.

    Parameters
    ----------
    raw_speech : str, os.PathLike, bytes, binary file object, np.ndarray [shape=(n,)], or a sequence of them
        One input or many: audio files (any format :func:`spectrust.load` reads), their bytes,
        file objects (read into memory), or mono samples at 16 kHz (float arrays, or anything
        with ``__array__`` such as a torch tensor; a 2-D array is a batch of rows). One input
        gives a batch of one, as transformers.
    truncation : bool
        Cut inputs longer than ``max_length`` (default True).
    pad_to_multiple_of : int or None
        Round the padded length up to a multiple of this many samples (default None).
    return_tensors : {None, "np", "pt", "tf"}
        numpy arrays (None or "np", default), torch or TensorFlow tensors.
    return_attention_mask : bool or None
        Also return ``"attention_mask"`` (default None: no, as the extractor).
    padding : {"max_length", "longest", True, False, "do_not_pad"}
        Pad to ``max_length`` (default) or to the longest input (samples only: files are read
        to ``max_length``).
    max_length : int or None
        Samples of the window (default None: 480000, 30 s).
    sampling_rate : int or None
        The rate of samples given (16000; another raises, as transformers; files are read at
        16 kHz whatever their rate).
    do_normalize : bool or None
        Normalise each input's own samples to zero mean and unit variance first,
        ``(x - mean) / sqrt(var + 1e-7)``, as the extractor (default None: no).
    device : str or None
        Taken for transformers' call and unused: the features are computed on the CPU, and
        transformers returns them there too (default "cpu").
    feature_size : int
        Mel bands: 80 (default) or 128 (large-v3).
    sr : int or None
        Alias of ``sampling_rate``.
    offset, duration : float
        Read each file from ``offset`` seconds for at most ``duration`` seconds (default: from
        the start); samples are cut the same way.
    workers : int or None
        Threads (default: one per core).
    on_error : {"raise", "none"}
        ``"raise"`` (default): the first input that failed raises, after all are done;
        ``"none"``: its row is padding, its attention mask 0, and ``"errors"`` (per input None
        or its exception) is added.
    max_duration : float or None
        Refuse files longer than this many seconds (default 4 hours).
    max_bytes : int
        The most bytes read from a file object (default 2 GiB).

    Returns
    -------
    Features (a dict whose keys are also attributes)
        ``"input_features"``: np.ndarray [shape=(batch, feature_size, max_length // 160),
        dtype=float32] (3000 frames by default); with ``return_attention_mask``,
        ``"attention_mask"``: np.ndarray [shape=(batch, frames), dtype=int32], 1 for the frames
        that start within the input's own samples.

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        For the first input that could not be read (``on_error="raise"``).
    ParameterError
        Samples at another rate than 16 kHz, samples that are not 1-D floating point, or bad
        sizes or padding.
    """
    import numpy as np

    model_rate("whisper_features", sampling_rate, sr, raw_speech)
    batch, _ = as_batch(raw_speech)
    window = N_SAMPLES if max_length is None else int(max_length)
    if all(not is_input(x) for x in batch):
        lengths = [len(np.asarray(x)) - min(len(np.asarray(x)), int(offset * SAMPLE_RATE)) for x in batch]
        if duration is not None:
            lengths = [min(n, int(duration * SAMPLE_RATE)) for n in lengths]
    elif padding != "max_length" or not truncation:
        raise ParameterError(
            "whisper_features reads files to a window of max_length samples: padding='max_length' and "
            f"truncation=True (transformers' defaults), got padding={padding!r}, truncation={truncation}; "
            "or pass samples"
        )
    else:
        lengths = []
    target, _ = padded(lengths, padding, pad_to_multiple_of, window, truncation)
    front = ("whisper", dict(feature_size=int(feature_size), samples=int(target), normalize=bool(do_normalize)))
    read = dict(offset=offset, duration=duration, max_duration=max_duration, max_bytes=max_bytes)
    _, (x, meta) = run(front, batch, sr=SAMPLE_RATE, **read, layout="stack", workers=workers)
    features = {"input_features": x}
    if return_attention_mask:
        used = per_input(meta, 1)
        hop = np.arange(x.shape[-1]) * HOP_LENGTH
        features["attention_mask"] = (hop < used.reshape(-1, 1)).astype(np.int32)
    return batch_output(features, meta, on_error, return_tensors, "attention_mask")
