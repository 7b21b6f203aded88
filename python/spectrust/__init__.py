"""spectrust: audio to mel spectrograms, fast.

Images (the original spectrust API)::

    spectrust.Spectrogram(800, 600).generate("song.wav", "song.jpg")
    with spectrust.Batchop("audio/", "images/", 800, 600) as results: ...

Arrays (librosa-compatible)::

    y, sr = spectrust.load("song.wav")
    S = spectrust.melspectrogram(y=y, sr=sr)
    S_db = spectrust.power_to_db(S, ref=np.max)

Live audio (push samples as they arrive, pull dB columns)::

    s = spectrust.StreamingSpectrogram(48000, n_fft=4096)
    s.push(block)
    columns = s.pull()
"""

from importlib.metadata import PackageNotFoundError, version

from .api import Result, Spectrogram
from .batch import Batchop
from .errors import DecodeError, ParameterError, SpectrustError, UnsupportedFormatError
from ._core import AUDIO_EXTENSIONS, COLORMAPS, StreamingSpectrogram

# The array API needs numpy; it is imported on first use, so that the image API and the
# command line start fast.
_FEATURES = ("load", "melspectrogram", "power_to_db", "melspectrogram_batch", "mel_filters")


def __getattr__(name):
    if name in _FEATURES:
        from . import features

        return getattr(features, name)
    raise AttributeError(f"module 'spectrust' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_FEATURES))

try:
    __version__ = version("spectrust")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "Spectrogram",
    "Result",
    "Batchop",
    "load",
    "melspectrogram",
    "power_to_db",
    "melspectrogram_batch",
    "mel_filters",
    "StreamingSpectrogram",
    "COLORMAPS",
    "AUDIO_EXTENSIONS",
    "SpectrustError",
    "DecodeError",
    "UnsupportedFormatError",
    "ParameterError",
]
