"""spectrust: audio to mel spectrograms, fast.

Images (the original spectrust API)::

    spectrust.Spectrogram(800, 600).generate("song.wav", "song.jpg")
    with spectrust.Batchop("audio/", "images/", 800, 600) as results: ...

Arrays (librosa-compatible)::

    y, sr = spectrust.load("song.wav")
    S = spectrust.melspectrogram(y=y, sr=sr)
    S_db = spectrust.power_to_db(S, ref=np.max)

TensorFlow (the ``tensorflow`` extra, i.e. tensorflow-cpu; imported only when called)::

    ds = spectrust.tf_dataset(paths, labels, feature="log_mel", duration=5.0, sr=16000)
    model.fit(ds, epochs=10)

Live audio (push samples as they arrive, pull dB columns)::

    s = spectrust.StreamingSpectrogram(48000, n_fft=4096)
    s.push(block)
    columns = s.pull()
"""

from importlib.metadata import PackageNotFoundError, version

from ._core import AUDIO_EXTENSIONS, COLORMAPS, StreamingSpectrogram, build_info, default_workers
from .audio import load, load_batch, resample
from .batchop import Batchop
from .dataset import extract_features
from .errors import (
    DecodeError,
    EmptyAudioError,
    InternalError,
    ParameterError,
    SpectrustError,
    TooLongError,
    UnsupportedFormatError,
)
from .features import (
    ast_features,
    fbank,
    log_mel_spectrogram,
    mel_filters,
    melspectrogram,
    melspectrogram_batch,
    mfcc,
    mfcc_batch,
    parakeet_features,
    power_to_db,
    seamless_features,
    whisper_features,
)
from .spectrogram import Result, Spectrogram
from .tfdata import tf_dataset


def __getattr__(name: str):
    # spectrust.server (FastAPI) is imported when first used, not by `import spectrust`.
    if name == "server":
        import importlib

        return importlib.import_module(".server", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


try:
    __version__ = version("spectrust")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "AUDIO_EXTENSIONS",
    "COLORMAPS",
    "Batchop",
    "DecodeError",
    "EmptyAudioError",
    "InternalError",
    "ParameterError",
    "Result",
    "Spectrogram",
    "SpectrustError",
    "StreamingSpectrogram",
    "TooLongError",
    "UnsupportedFormatError",
    "ast_features",
    "build_info",
    "default_workers",
    "extract_features",
    "fbank",
    "load",
    "load_batch",
    "log_mel_spectrogram",
    "mel_filters",
    "melspectrogram",
    "melspectrogram_batch",
    "mfcc",
    "mfcc_batch",
    "parakeet_features",
    "power_to_db",
    "resample",
    "seamless_features",
    "tf_dataset",
    "whisper_features",
]
