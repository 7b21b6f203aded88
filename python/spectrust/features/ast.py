"""The Audio Spectrogram Transformer's front end (transformers' ``ASTFeatureExtractor``): 128
Kaldi filterbank bands with a Hanning window, cut or padded to 1024 frames, normalised with
AudioSet's statistics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from .. import _core
from .._inputs import Audio, whole_inputs
from .._params import DEFAULT_MAX_BYTES

__all__ = ["ast_features"]


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
    ``max_length``, then normalised with AudioSet's statistics, ``(x - mean) / (2 std)``, in
    float32. A file is decoded only as far as its ``max_length`` frames reach. Inputs run in
    parallel in Rust (``spectrust.features.ast``'s core: ``rust/dsp/features/ast.rs``), each
    into its row of the result, the GIL released. Source: transformers'
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
    x, _ = _core.ast_inputs(
        **ast_args(num_mel_bins, max_length, do_normalize, mean, std),
        **whole_inputs(inputs, max_bytes, workers),
    )
    return {"input_values": x}


def ast_args(num_mel_bins: int, max_length: int, do_normalize: bool, mean: float, std: float) -> dict:
    """The core's AST parameters (``_core.ast_inputs``), from :func:`ast_features`' keywords."""
    normalize = (float(mean), float(std)) if do_normalize else None
    return dict(num_mel_bins=int(num_mel_bins), max_length=int(max_length), normalize=normalize)
