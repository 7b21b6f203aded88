"""Type stubs of the Rust extension (bindings only; see the Python modules for docs)."""

from collections.abc import Sequence
from os import PathLike
from typing import Any, Callable, List, Optional, Tuple, Union, final

import numpy as np
import numpy.typing as npt

from spectrust._params import ImageArgs, MelArgs, ReadArgs, SourceArgs

_Path = Union[str, PathLike[str]]
# An audio input: a path, the bytes of a file (named `<bytes>`), or bytes and their name.
_Input = Union[str, PathLike[str], bytes, Tuple[bytes, str]]

__all__ = [
    "AUDIO_EXTENSIONS",
    "COLORMAPS",
    "IMAGE_FORMATS",
    "SCALES",
    "WINDOWS",
    "Renderer",
    "StreamingSpectrogram",
    "build_info",
    "dct",
    "default_workers",
    "features",
    "load",
    "load_batch",
    "log_mel_spectrogram",
    "mel_filters",
    "melspectrogram",
    "mfcc",
    "power_to_db",
    "resample",
]
AUDIO_EXTENSIONS: tuple[str, ...]
COLORMAPS: tuple[str, ...]
IMAGE_FORMATS: tuple[str, ...]
SCALES: tuple[str, ...]
WINDOWS: tuple[str, ...]

def load(
    path: _Input,
    *,
    sr: Optional[int],
    mono: bool,
    offset: float,
    duration: Optional[float],
    max_duration: Optional[float],
) -> Tuple[npt.NDArray[np.float32], int]: ...  # (n,) when mono, else (n, channels)

# Per input (samples, sr) as load's, or its exception instance.
def load_batch(
    inputs: Sequence[_Input],
    *,
    sr: Optional[int],
    mono: bool,
    read: ReadArgs,
    workers: Optional[int],
) -> List[Union[Tuple[npt.NDArray[np.float32], int], BaseException]]: ...

# Rows: (rows, n) float32 or float64, any strides; the result float64 when float64.
def resample(
    y: npt.NDArray[np.floating[Any]], *, orig_sr: float, target_sr: float, workers: Optional[int], float64: bool
) -> npt.NDArray[np.floating[Any]]: ...  # (rows, ceil(n * (target_sr / orig_sr))), librosa's length
def melspectrogram(
    y: npt.NDArray[np.floating[Any]], *, sr: float, params: MelArgs, workers: Optional[int], float64: bool
) -> npt.NDArray[np.floating[Any]]: ...  # (rows, n_mels, frames)
def power_to_db(
    s: npt.NDArray[Any], *, ref_value: Optional[float], amin: float, top_db: Optional[float], workers: Optional[int]
) -> npt.NDArray[Any]: ...  # ref_value None: the maximum of s
def mel_filters(
    *, sr: float, n_fft: int, n_mels: int, fmin: float, fmax: Optional[float], htk: bool, norm: Union[str, float, None]
) -> npt.NDArray[np.float32]: ...

# A front end: its kind ("mel", "fbank", "ast", "parakeet", "whisper") and its parameters (the
# dicts of spectrust.features._frontend). A layout: "list", "stack", or (frames_for, fill).
def features(
    inputs: Sequence[Any],
    *,
    front: Tuple[str, dict[str, Any]],
    sr: Optional[int],
    read: ReadArgs,
    fit: bool,
    layout: Union[str, Tuple[Callable[[list[int], list[int]], int], float]],
    workers: Optional[int],
    spans: Optional[Sequence[Tuple[float, Optional[float]]]] = None,
) -> Any: ...  # "list": per input (array, sr, samples, cut); else (array, per input (sr, samples, rows, cut))
def build_info() -> dict[str, Any]: ...
def default_workers() -> int: ...
def dct(
    s: npt.NDArray[np.floating[Any]],
    *,
    n_mels: int,
    dct_type: int,
    n_mfcc: int,
    norm: Optional[str],
    lifter: float,
    workers: Optional[int],
    float64: bool,
) -> npt.NDArray[np.floating[Any]]: ...  # (rows, n_mels * frames) -> (rows, n_mfcc, frames)
def mfcc(
    y: npt.NDArray[np.floating[Any]],
    *,
    sr: float,
    params: MelArgs,
    workers: Optional[int],
    dct_type: int,
    n_mfcc: int,
    norm: Optional[str],
    lifter: float,
    float64: bool,
) -> npt.NDArray[np.floating[Any]]: ...  # (rows, n) -> (rows, n_mfcc, frames)
def log_mel_spectrogram(
    audio: Union[_Input, npt.NDArray[np.float32]], *, n_mels: int, padding: int, max_duration: Optional[float]
) -> npt.NDArray[np.float32]: ...  # (n_mels, frames)

@final
class Renderer:
    def __new__(cls, *, mel: MelArgs, image: ImageArgs, source: SourceArgs) -> Renderer: ...
    def render_files(
        self, jobs: Sequence[Tuple[_Input, _Path]], *, workers: Optional[int]
    ) -> list[Union[str, BaseException]]: ...  # the input's format name, or the error
    def render_frames(
        self, input: _Input, out_dir: _Path, *, frame_duration: float, suffix: str, workers: Optional[int]
    ) -> list[Tuple[str, float, float]]: ...

@final
class StreamingSpectrogram:
    def __new__(
        cls,
        sr: float,
        *,
        n_fft: int = 2048,
        hop_length: Optional[int] = None,
        win_length: Optional[int] = None,
        window: Union[str, Sequence[float]] = ...,
        scale: str = "log",
        n_bins: Optional[int] = None,
        fmin: Optional[float] = None,
        fmax: Optional[float] = None,
    ) -> StreamingSpectrogram: ...
    def push(self, samples: npt.NDArray[Union[np.float32, np.float64]]) -> int: ...
    def pull(self, max_columns: Optional[int] = None) -> npt.NDArray[np.float32]: ...
    def reset(self) -> None: ...
    @property
    def frequencies(self) -> npt.NDArray[np.float32]: ...
    @property
    def n_bins(self) -> int: ...
    @property
    def sr(self) -> float: ...
    @property
    def n_fft(self) -> int: ...
    @property
    def hop_length(self) -> int: ...
    @property
    def scale(self) -> str: ...
    @property
    def available(self) -> int: ...
    @property
    def produced(self) -> int: ...
    @property
    def db_floor(self) -> float: ...
