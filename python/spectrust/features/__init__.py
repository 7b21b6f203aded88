"""The front ends: what models and classic pipelines are fed, one family.

Every front end is the shared path of the core (frames, window, FFT, power, filter bank;
``rust/dsp/features/``) with its own parameters and final steps:

=====================  =========================================================================
module                 front end
=====================  =========================================================================
:mod:`.mel`            librosa's mel spectrogram, its dB and filter bank; files in batches
:mod:`.mfcc`           librosa's MFCC (the mel path, dB, a DCT)
:mod:`.whisper`        openai-whisper's and transformers' Whisper log-mel features
:mod:`.kaldi`          Kaldi's filterbank (torchaudio.compliance.kaldi.fbank)
:mod:`.ast`            the Audio Spectrogram Transformer's (Kaldi fbank, AudioSet statistics)
:mod:`.seamless`       SeamlessM4T / Wav2Vec2-BERT 2.0's (Kaldi fbank, normalised, stacked)
:mod:`.parakeet`       Parakeet / NeMo's (the mel path with pre-emphasis, normalised)
:mod:`._frontend`      what they share: one input model, the core's one call, transformers' ways
:mod:`.by_name`        each of them by name, for datasets, TensorFlow and the command line
=====================  =========================================================================

Every front end takes one input or many (paths, bytes, file objects, samples; ragged lists),
through one call of the core (``_core.features``), and speaks its reference's language:
librosa's, transformers' or torchaudio's. The public names are ``spectrust.X``
(``spectrust.melspectrogram``, ``spectrust.fbank``, ...).
"""

from .ast import ast_features
from .kaldi import fbank
from .mel import mel_filters, melspectrogram, melspectrogram_batch, power_to_db
from .mfcc import mfcc, mfcc_batch
from .parakeet import parakeet_features
from .seamless import seamless_features
from .whisper import log_mel_spectrogram, whisper_features

__all__ = [
    "ast_features",
    "fbank",
    "log_mel_spectrogram",
    "mel_filters",
    "melspectrogram",
    "melspectrogram_batch",
    "mfcc",
    "mfcc_batch",
    "parakeet_features",
    "power_to_db",
    "seamless_features",
    "whisper_features",
]
