"""The Audio Spectrogram Transformer's front end (transformers' ``ASTFeatureExtractor``): 128
Kaldi filterbank bands with a Hanning window, cut or padded to 1024 frames, normalised with
AudioSet's statistics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

from .._inputs import Audio
from .._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION
from ._frontend import MODEL_RATE, Features, batch_output, model_rate, run

__all__ = ["ast_features"]


def ast_features(
    raw_speech: Union[Audio, Sequence[Audio]],
    *,
    sampling_rate: Optional[int] = None,
    return_tensors: Optional[str] = None,
    num_mel_bins: int = 128,
    max_length: int = 1024,
    do_normalize: bool = True,
    mean: float = -4.2677393,
    std: float = 4.5689974,
    sr: Optional[int] = None,
    offset: float = 0.0,
    duration: Optional[float] = None,
    workers: Optional[int] = None,
    on_error: str = "raise",
    max_duration: Optional[float] = DEFAULT_MAX_DURATION,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Features:
    """The Audio Spectrogram Transformer's input values, as transformers'
    ``ASTFeatureExtractor(num_mel_bins=..., max_length=...)(raw_speech, sampling_rate=16000,
    return_tensors="np")`` (the same keywords and defaults).

    Each input is decoded, mixed to mono and resampled to 16 kHz (a file), and turned into
    ``num_mel_bins`` Kaldi filterbank bands of the samples as given, in [-1, 1] (the extractor
    does not scale them to int16): :func:`fbank` with the Hanning window, 25 ms frames every
    10 ms, a 512-point FFT, pre-emphasis 0.97, DC removed, bands from 20 Hz to 8 kHz
    (``torchaudio.compliance.kaldi.fbank(waveform, sample_frequency=16000,
    window_type="hanning", num_mel_bins=128)``). The frames are cut or padded with zeros to
    ``max_length``, then normalised with AudioSet's statistics, ``(x - mean) / (2 std)``, in
    float32. A file is decoded only as far as its ``max_length`` frames reach. Inputs run in
    parallel in Rust (``rust/dsp/features/ast.rs``), each into its row of the result, the GIL
    released. Source: transformers'
    ``models/audio_spectrogram_transformer/feature_extraction_audio_spectrogram_transformer.py``.

    Parameters
    ----------
    raw_speech : str, os.PathLike, bytes, binary file object, np.ndarray [shape=(n,)], or a sequence of them
        One input or many (a batch of one for one, as transformers): files (any format
        spectrust reads), their bytes, file objects, or mono samples at 16 kHz in [-1, 1]
        (float arrays or anything with ``__array__``; a 2-D array is a batch of rows).
    sampling_rate : int or None
        The rate of samples given (16000; another raises, as transformers).
    return_tensors : {None, "np", "pt", "tf"}
        numpy arrays (None or "np", default), torch or TensorFlow tensors.
    num_mel_bins : int
        Mel bands (default 128).
    max_length : int
        Frames of every example (default 1024: 10.24 s).
    do_normalize : bool
        Normalise with ``mean`` and ``std`` (default True).
    mean, std : float
        The statistics (default AudioSet's, -4.2677393 and 4.5689974).
    sr : int or None
        Alias of ``sampling_rate``.
    offset, duration : float
        Read each file (and cut each array) from ``offset`` seconds for at most ``duration``.
    workers : int or None
        Threads (default: one per core).
    on_error : {"raise", "none"}
        ``"raise"`` (default): the first input that failed raises, after all are done;
        ``"none"``: its row is padding and ``"errors"`` (per input None or its exception) is
        added.
    max_duration : float or None
        Refuse files longer than this many seconds (default 4 hours).
    max_bytes : int
        Largest file object read into memory (default 2 GiB).

    Returns
    -------
    Features (a dict whose keys are also attributes)
        ``"input_values"``: np.ndarray [shape=(batch, max_length, num_mel_bins),
        dtype=float32].

    Raises
    ------
    FileNotFoundError, DecodeError, UnsupportedFormatError, TooLongError
        An input could not be read (the first one, named; ``on_error="raise"``).
    ParameterError
        A bad parameter or input, or samples at another rate than 16 kHz.
    """
    model_rate("ast_features", sampling_rate, sr, raw_speech)
    front = ast_front(num_mel_bins, max_length, do_normalize, mean, std)
    read = dict(offset=offset, duration=duration, max_duration=max_duration, max_bytes=max_bytes)
    _, (x, meta) = run(front, raw_speech, sr=MODEL_RATE, **read, layout="stack", workers=workers)
    return batch_output({"input_values": x}, meta, on_error, return_tensors)


def ast_front(num_mel_bins: int, max_length: int, do_normalize: bool, mean: float, std: float) -> tuple:
    """The core's AST front end, from :func:`ast_features`' keywords."""
    normalize = (float(mean), float(std)) if do_normalize else None
    return ("ast", dict(num_mel_bins=int(num_mel_bins), max_length=int(max_length), normalize=normalize))
