"""The spectrust exception hierarchy.

Every message is one line naming the file (where there is one) and the reason. Missing
input files raise the built-in :class:`FileNotFoundError`; other operating-system failures
(permission denied, ...) the matching :class:`OSError` subclass.
"""

__all__ = ["SpectrustError", "DecodeError", "UnsupportedFormatError", "ParameterError"]


class SpectrustError(Exception):
    """Root of the errors raised by spectrust itself."""


class DecodeError(SpectrustError, ValueError):
    """The file is not valid audio of a format spectrust reads (empty, truncated, not audio)."""


class UnsupportedFormatError(DecodeError):
    """The file is audio, but in a format or codec that spectrust does not decode."""


class ParameterError(SpectrustError, ValueError):
    """A parameter is out of range or inconsistent with another (librosa's ``ParameterError``)."""
