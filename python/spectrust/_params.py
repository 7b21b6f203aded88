"""The parameters the Rust core takes, as dicts (no numpy here).

The TypedDicts are what ``spectrust._core`` accepts (``_core.pyi`` uses them); the core
converts and checks the values. Each default is written once: librosa's mel spectrogram
defaults in the signatures of :func:`spectrust.melspectrogram` and
:func:`spectrust.mel_filters`, the image API's here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import List, Optional, TypedDict, Union

#: Default ``max_duration`` in seconds for functions that read files: a guard against
#: decompression bombs (a few KB of MP3 or FLAC can claim days of audio). Pass ``None`` to
#: read files of any length.
DEFAULT_MAX_DURATION = 4 * 3600.0

#: Default ``max_bytes``: the most bytes read from a file object into memory (2 GiB).
DEFAULT_MAX_BYTES = 2 << 30

#: Image size in pixels when none is given (the original spectrust's).
WIDTH, HEIGHT = 600, 420

#: The image API's options but the size and the mel spectrogram's, with their defaults
#: (documented by :class:`spectrust.Spectrogram`).
IMAGE_OPTIONS = dict(
    r=255.0,
    g=255.0,
    b=255.0,
    colormap="spectrust",
    top_db=80.0,
    quality=90,
    sr=None,
    max_duration=DEFAULT_MAX_DURATION,
    max_bytes=DEFAULT_MAX_BYTES,
    scale="mel",
    noise_percentile=None,
)

#: The mel spectrogram parameters the image API takes (with librosa's defaults).
IMAGE_MEL_OPTIONS = ("n_fft", "hop_length", "n_mels", "fmin", "fmax")


class MelArgs(TypedDict):
    """librosa's mel spectrogram parameters (``hop_length`` None: ``win_length // 4``)."""

    n_fft: int
    hop_length: Optional[int]
    win_length: Optional[int]
    window: Union[str, Sequence[float]]
    center: bool
    pad_mode: str
    power: float
    n_mels: int
    fmin: float
    fmax: Optional[float]
    htk: bool
    norm: Union[str, float, None]


class FbankArgs(TypedDict):
    """``torchaudio.compliance.kaldi.fbank``'s parameters, ``sr`` for its ``sample_frequency``."""

    sr: float
    num_mel_bins: int
    frame_length: float
    frame_shift: float
    dither: float
    preemphasis_coefficient: float
    remove_dc_offset: bool
    window_type: str
    blackman_coeff: float
    round_to_power_of_two: bool
    snip_edges: bool
    low_freq: float
    high_freq: float
    use_energy: bool
    raw_energy: bool
    energy_floor: float
    use_log_fbank: bool
    use_power: bool
    htk_compat: bool
    subtract_mean: bool
    min_duration: float


class ImageArgs(TypedDict):
    """How a spectrogram becomes an image."""

    width: int
    height: int
    colormap: str
    rgb: List[float]
    top_db: float
    quality: int
    noise_percentile: Optional[float]


class ReadArgs(TypedDict):
    """Which part of each file a batch reads, in seconds (with ``duration``, every signal is
    padded or cut to it)."""

    offset: float
    duration: Optional[float]
    max_duration: Optional[float]


class SourceArgs(TypedDict):
    """How image inputs are read and analysed."""

    sr: Optional[int]
    max_duration: Optional[float]
    scale: str


def opt_int(value) -> Optional[int]:
    """``int(value)``, or None for None."""
    return None if value is None else int(value)


def opt_float(value) -> Optional[float]:
    """``float(value)``, or None for None."""
    return None if value is None else float(value)


def read_args(offset, duration, max_duration) -> ReadArgs:
    """What part of each file a batch reads, checked types."""
    return ReadArgs(offset=float(offset), duration=opt_float(duration), max_duration=opt_float(max_duration))


#: The types of plain parameter values (see :func:`plain_key`).
_PLAIN = frozenset((str, int, float, bool, type(None)))

#: Parameter sets kept by :func:`keep`, per cache.
KEPT = 64


def plain_key(kwargs: dict) -> Optional[tuple]:
    """A key that tells keyword arguments apart wherever they could give different parameters
    (or errors): their items and each value's type, where every value is a number, a string or
    None, and no float is -0.0 (equal to 0.0, but printed apart); None otherwise (an array, a
    callable, ...: made each time)."""
    values = kwargs.values()
    types = tuple(map(type, values))
    if not _PLAIN.issuperset(types):
        return None
    if 0 in values and any(t is float and v == 0 and math.copysign(1.0, v) < 0 for t, v in zip(types, values)):
        return None
    return tuple(kwargs.items()), types


def keep(cache: dict, key, value) -> None:
    """``cache[key] = value``, the cache emptied first when it holds :data:`KEPT` (a bound: keys
    holding NaN never match)."""
    if len(cache) >= KEPT:
        cache.clear()
    cache[key] = value
