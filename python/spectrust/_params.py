"""Mel spectrogram parameters shared by the image and array APIs (no numpy at import)."""

from __future__ import annotations

from typing import Optional, Sequence, Union

from .errors import ParameterError

#: Default ``max_duration`` in seconds for functions that read files: a guard against
#: decompression bombs (a few KB of MP3 or FLAC can claim days of audio). Pass ``None`` to
#: read files of any length.
DEFAULT_MAX_DURATION = 4 * 3600.0


def max_duration_arg(value: Optional[float]) -> Optional[float]:
    """Checks a ``max_duration`` argument (seconds, or None for no limit)."""
    if value is None:
        return None
    value = float(value)
    if not value > 0:
        raise ParameterError(f"max_duration must be positive seconds or None, got {value}")
    return value


def mel_params(
    *,
    n_fft: int = 2048,
    hop_length: Optional[int] = 512,
    win_length: Optional[int] = None,
    window: Union[str, Sequence[float]] = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
    htk: bool = False,
    norm: Union[str, float, None] = "slaney",
) -> dict:
    """Checks and collects mel spectrogram parameters (librosa's names and defaults)."""
    win = n_fft if win_length is None else int(win_length)
    if not isinstance(window, str):
        import numpy as np  # only here: `import spectrust` must not pay for numpy

        window = np.asarray(window, dtype=np.float32).ravel().tolist()
    for name, value in (("n_fft", n_fft), ("n_mels", n_mels), ("win_length", win)):
        if int(value) <= 0:
            raise ParameterError(f"{name} must be positive, got {value}")
    hop = win // 4 if hop_length is None else int(hop_length)
    if hop <= 0:
        raise ParameterError(f"hop_length must be positive, got {hop_length}")
    return dict(
        n_fft=int(n_fft),
        hop_length=hop,
        win_length=win,
        window=window,
        center=bool(center),
        pad_mode=str(pad_mode),
        power=float(power),
        n_mels=int(n_mels),
        fmin=float(fmin),
        fmax=None if fmax is None else float(fmax),
        htk=bool(htk),
        norm=None if norm is None else (norm if isinstance(norm, str) else float(norm)),
    )
