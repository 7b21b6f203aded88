"""The original spectrust API: ``Spectrogram`` and ``Result``."""

from __future__ import annotations

import os
from typing import Callable, Iterable, Optional, Sequence

from . import _core
from ._params import DEFAULT_MAX_DURATION, max_duration_arg
from ._params import mel_params as _mel_params

__all__ = ["Spectrogram", "Result"]

_RENDER_DEFAULTS = dict(colormap="spectrust", top_db=80.0, quality=90, sr=None, max_duration=DEFAULT_MAX_DURATION)
_MEL_DEFAULTS = dict(n_fft=2048, hop_length=512, n_mels=128, fmin=0.0, fmax=None)


class Result:
    """The outcome of turning one audio file into one image.

    Attributes
    ----------
    input_file : str
        The audio file.
    output_file : str
        The image file (written only when ``error`` is None).
    error : str or None
        None on success, else a one-line message naming the file and the reason.
    ok : bool
        ``error is None``.
    """

    __slots__ = ("_input_file", "_output_file", "_error")

    def __init__(self, input_file: str, output_file: str, error: Optional[str] = None):
        self._input_file = input_file
        self._output_file = output_file
        self._error = error

    @property
    def input_file(self) -> str:
        return self._input_file

    @property
    def output_file(self) -> str:
        return self._output_file

    @property
    def error(self) -> Optional[str]:
        return self._error

    @property
    def ok(self) -> bool:
        return self._error is None

    def __repr__(self) -> str:
        return "<spectrust.Result(\n\tinputfile={},\n\toutputfile={},\n\terror={}\n)>".format(
            self._input_file, self._output_file, self._error
        )


class Spectrogram:
    """Renders audio files as mel spectrogram images (JPEG or PNG).

    Inputs may be in any format :func:`spectrust.load` reads (WAV, MP3, Ogg Vorbis, FLAC,
    AAC, M4A/MP4), found from the content. Long files are read and transformed in blocks.

    The image is exactly ``width x height`` pixels: time runs left to right, mel frequency
    bottom (low) to top (high). Power is shown in dB relative to the file's loudest bin
    (``power_to_db(S, ref=np.max, top_db=top_db)``), mapped onto ``colormap``.

    Parameters
    ----------
    width, height : int
        Image size in pixels (defaults 600 x 420).
    r, g, b : float, 0..255
        Scale of the red, green and blue channels: a pixel's red value is
        ``int(r * map_red)`` with ``map_red`` in 0..1 (default 255, the map unchanged).
    colormap : str
        ``"spectrust"`` (default: the original black-blue-cyan-yellow-red gradient),
        ``"magma"``, ``"inferno"``, ``"viridis"``, ``"gray"`` or ``"gray_r"``.
    n_fft, hop_length, n_mels, fmin, fmax
        Mel spectrogram parameters, as :func:`spectrust.melspectrogram` (defaults 2048, 512,
        128, 0 Hz, ``sr / 2``).
    top_db : float > 0
        Dynamic range shown, in dB (default 80).
    sr : int or None
        Resample every input to this rate in Hz first (default ``None``: each file's own).
    quality : int, 1..100
        JPEG quality (default 90).
    max_duration : float or None
        Inputs longer than this many seconds fail (default 4 hours; ``None``: no limit).

    Raises
    ------
    ParameterError
        A parameter is out of range. ``TypeError`` for an unknown keyword.
    """

    def __init__(self, width: int = 600, height: int = 420, **kwargs):
        unknown = set(kwargs) - {"r", "g", "b"} - set(_RENDER_DEFAULTS) - set(_MEL_DEFAULTS)
        if unknown:
            raise TypeError(f"Spectrogram() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        if not isinstance(width, int) or not isinstance(height, int):
            raise TypeError(f"width and height must be integers, got {width!r} and {height!r}")
        self._width = width
        self._height = height
        self._r = float(kwargs.get("r", 255.0))
        self._g = float(kwargs.get("g", 255.0))
        self._b = float(kwargs.get("b", 255.0))
        self._options = {k: kwargs.get(k, v) for k, v in {**_RENDER_DEFAULTS, **_MEL_DEFAULTS}.items()}
        self._mel = _mel_params(**{k: self._options[k] for k in _MEL_DEFAULTS})
        self._image = dict(
            width=width,
            height=height,
            colormap=str(self._options["colormap"]),
            rgb=[self._r, self._g, self._b],
            top_db=float(self._options["top_db"]),
            quality=int(self._options["quality"]),
        )
        self._sr = None if self._options["sr"] is None else int(self._options["sr"])
        self._max_duration = max_duration_arg(self._options["max_duration"])
        # An empty job list checks every parameter without touching any file.
        _core.render_files([], self._mel, self._image, self._sr, 1, self._max_duration)

    def __repr__(self) -> str:
        extra = "".join(
            f"\n\t{k}={v!r}" for k, v in self._options.items() if v != {**_RENDER_DEFAULTS, **_MEL_DEFAULTS}[k]
        )
        return "<spectrust.Spectrogram(\n\twidth={},\n\theight={}\n\tr={}\n\tg={}\n\tb={}{}\n)>".format(
            self._width, self._height, self._r, self._g, self._b, extra
        )

    def generate(self, path: "os.PathLike[str] | str", outpath: "os.PathLike[str] | str") -> Result:
        """Render the audio file ``path`` to the image ``outpath``.

        The format follows the suffix of ``outpath``: ``.jpg``/``.jpeg`` JPEG, ``.png`` PNG.
        The image is written to a temporary file beside ``outpath`` and renamed, so a failure
        never leaves a partial image; missing folders are created.

        Returns
        -------
        Result
            Never raises for a bad input or output file: ``Result.error`` says what went wrong.
        """
        return self._render([(path, outpath)], workers=1)[0]

    def _render(
        self,
        jobs: Sequence[tuple],
        workers: Optional[int] = None,
        progress: Optional[Callable[[int], None]] = None,
    ) -> list:
        """Render ``(input, output)`` pairs in parallel; ``progress(n)`` after each chunk."""
        jobs = [(os.fspath(i), os.fspath(o)) for i, o in jobs]
        chunks: Iterable[list] = [jobs]
        if progress is not None:
            size = max(16, 4 * (workers or os.cpu_count() or 1))
            chunks = (jobs[i : i + size] for i in range(0, len(jobs), size))
        results = []
        for chunk in chunks:
            errors = _core.render_files(chunk, self._mel, self._image, self._sr, workers, self._max_duration)
            results += [Result(i, o, e) for (i, o), e in zip(chunk, errors)]
            if progress is not None:
                progress(len(chunk))
        return results
