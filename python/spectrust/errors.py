"""The spectrust exception hierarchy.

Every message is one line naming the file (where there is one) and the reason. Missing
input files raise the built-in :class:`FileNotFoundError`; other operating-system failures
(permission denied, ...) the matching :class:`OSError` subclass::

    SpectrustError
    ├── DecodeError (also a ValueError)      not valid audio: empty, truncated, corrupt
    │   ├── UnsupportedFormatError           audio in a format or codec not decoded, or not audio
    │   ├── TooLongError                     longer than max_duration once decoded
    │   └── EmptyAudioError                  valid, but holds no audio samples
    ├── ParameterError (also a ValueError)   a bad parameter (librosa's ParameterError)
    └── InternalError (also a RuntimeError)  a failure of spectrust itself, not of its input
"""

__all__ = [
    "DecodeError",
    "EmptyAudioError",
    "InternalError",
    "ParameterError",
    "SpectrustError",
    "TooLongError",
    "UnsupportedFormatError",
]


class SpectrustError(Exception):
    """Root of the errors raised by spectrust itself."""


class DecodeError(SpectrustError, ValueError):
    """The file is not valid audio of a format spectrust reads (empty, truncated, corrupt)."""


class UnsupportedFormatError(DecodeError):
    """The file is audio in a format or codec that spectrust does not decode, or not audio."""


class TooLongError(DecodeError):
    """The file decodes to more than ``max_duration`` seconds (a guard against decompression
    bombs; decoding stops as soon as the limit is passed)."""


class EmptyAudioError(DecodeError):
    """The file is valid audio but holds no samples (where a spectrogram needs some)."""


class ParameterError(SpectrustError, ValueError):
    """A parameter is out of range or inconsistent with another (librosa's ``ParameterError``)."""


class InternalError(SpectrustError, RuntimeError):
    """A failure of spectrust itself, not of its input: a bug caught in the Rust core (a panic)
    or worker threads the system would not start. Please report it."""
