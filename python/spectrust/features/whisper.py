"""Whisper's front end: openai-whisper's ``log_mel_spectrogram`` and transformers'
``WhisperFeatureExtractor``, computed in Rust (decoding, resampling to 16 kHz, STFT, mel, log)
with the GIL released.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

from .. import _core
from .._inputs import Audio, audio_input
from .._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION, opt_int

if TYPE_CHECKING:
    import numpy as np

__all__ = ["log_mel_spectrogram", "whisper_features"]

#: Whisper's sample rate in Hz: arrays given to the functions here must be at this rate.
SAMPLE_RATE = 16000


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
    inputs: Sequence[Audio], *, n_mels: int = 80, workers: Optional[int] = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> np.ndarray:
    """Whisper's input features of many inputs, as transformers' ``WhisperFeatureExtractor``.

    Each input is decoded, mixed to mono and resampled to 16 kHz (a file), padded with zeros
    or cut to 30 s, and turned into :func:`log_mel_spectrogram`'s features, with the floor set
    by each input's own maximum: ``WhisperFeatureExtractor(feature_size=n_mels)(x,
    sampling_rate=16000).input_features`` for each. Inputs run in parallel in Rust, the GIL
    released; only the first 30 s of a file are decoded.

    Parameters
    ----------
    inputs : sequence of str, os.PathLike, bytes, binary file objects or np.ndarray [shape=(n,)]
        Audio files, their bytes, file objects (read into memory), or samples at 16 kHz.
    n_mels : int
        80 (default) or 128 mel bands.
    workers : int or None
        Threads to use (default: one per core).
    max_bytes : int
        The most bytes read from a file object (default 2 GiB).

    Returns
    -------
    np.ndarray [shape=(len(inputs), n_mels, 3000), dtype=float32]

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        For the first input that could not be read (after all are done).
    ParameterError
        Samples that are not a 1-D floating array of finite values, or bad sizes.
    """
    return _core.whisper_features(
        [audio_input(x, max_bytes) for x in inputs],
        n_mels=int(n_mels),
        max_duration=DEFAULT_MAX_DURATION,
        workers=opt_int(workers),
    )
