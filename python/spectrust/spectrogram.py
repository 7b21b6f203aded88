"""The original spectrust API: ``Spectrogram`` and ``Result``."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from typing import Callable, Optional

from . import _core
from ._inputs import AudioInput, input_name, run_batch, source
from ._params import HEIGHT, IMAGE_MEL_OPTIONS, IMAGE_OPTIONS, WIDTH, ImageArgs, SourceArgs, opt_float, opt_int
from .features.mel import MEL_DEFAULTS, mel_args

__all__ = ["Result", "Spectrogram"]

#: Every option of :class:`Spectrogram` but the size, with its default.
_DEFAULTS = {**IMAGE_OPTIONS, **{k: MEL_DEFAULTS[k] for k in IMAGE_MEL_OPTIONS}}


class Result:
    """The outcome of turning one audio file into one image.

    Made by :meth:`Spectrogram.generate` and :class:`Batchop`; its parameters are the
    attributes below of the same names (``exception`` sets ``error`` to its message when
    ``error`` is not given).

    Parameters
    ----------
    input_file, output_file : str
    error : str or None
    exception : Exception or None
    format : str or None
    skipped : bool

    Attributes
    ----------
    input_file : str
        The audio file: its path, a file object's ``name``, or ``"<bytes>"``.
    output_file : str
        The image file (written only when ``error`` is None).
    error : str or None
        None on success, else a one-line message naming the file and the reason.
    exception : Exception or None
        The typed error behind ``error`` (``FileNotFoundError``, ``DecodeError``,
        ``UnsupportedFormatError``, ``TooLongError``, ``ParameterError``, ``OSError``, ...),
        for programs that act on the kind of failure; None on success.
    format : str or None
        The input's format, found from its content (``"wav"``, ``"mp3"``, ``"ogg"``,
        ``"flac"``, ``"aac"``, ``"m4a"``, ``"mp4"``, ``"webm"``, ...); None on failure.
    ok : bool
        ``error is None``.
    skipped : bool
        The image was already there and left alone (``Batchop(..., skip_existing=True)``).
    """

    __slots__ = ("_error", "_exception", "_format", "_input_file", "_output_file", "_skipped")

    def __init__(
        self,
        input_file: str,
        output_file: str,
        error: Optional[str] = None,
        exception: Optional[BaseException] = None,
        format: Optional[str] = None,
        skipped: bool = False,
    ):
        self._skipped = skipped
        self._input_file = input_file
        self._output_file = output_file
        self._error = error if error is not None or exception is None else str(exception)
        self._exception = exception
        self._format = format

    @property
    def skipped(self) -> bool:
        return self._skipped

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
    def exception(self) -> Optional[BaseException]:
        return self._exception

    @property
    def format(self) -> Optional[str]:
        return self._format

    @property
    def ok(self) -> bool:
        return self._error is None

    def __repr__(self) -> str:
        return "<spectrust.Result(\n\tinputfile={},\n\toutputfile={},\n\terror={}\n)>".format(
            self._input_file, self._output_file, self._error
        )


class Spectrogram:
    """Renders audio files as spectrogram images (JPEG or PNG), mel-scaled by default.

    Inputs may be in any format :func:`spectrust.load` reads (WAV, MP3, Ogg Vorbis, FLAC,
    AAC, M4A/MP4), found from the content. Long files are read and transformed in blocks.

    The image is exactly ``width x height`` pixels: time runs left to right, frequency
    bottom (low) to top (high) on a mel, logarithmic or linear axis. Power is shown in dB
    relative to the file's loudest bin (``power_to_db(S, ref=np.max, top_db=top_db)``),
    mapped onto ``colormap``. Files longer than 5 minutes are read in a stream: their frames
    are averaged (in power) in groups so that at most ``max(8192, 4 * width)`` columns are
    kept, which bounds memory whatever the length.

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
    scale : {"mel", "log", "linear"}
        Frequency axis (default ``"mel"``: librosa's Slaney mel filterbank). ``"log"``:
        ``n_mels`` bands evenly spaced in log-frequency from ``fmin`` (20 Hz when ``fmin`` is
        0) to ``fmax``, each a triangle-weighted mean of the FFT bins around it.
        ``"linear"``: the FFT bins from ``fmin`` to ``fmax``.
    noise_percentile : float, 0..100, or None
        The seed script's noise filter: levels below this percentile of the spectrogram's
        levels are drawn in the lowest colour (default ``None``: off; the seed used 75).
    top_db : float > 0
        Dynamic range shown, in dB (default 80).
    sr : int or None
        Resample every input to this rate in Hz first (default ``None``: each file's own).
    quality : int, 1..100
        JPEG quality (default 90).
    max_duration : float or None
        Inputs longer than this many seconds fail (default 4 hours; ``None``: no limit).
    max_bytes : int
        The most bytes read from a file object given as input (default 2 GiB).

    Raises
    ------
    ParameterError
        A parameter is out of range. ``TypeError`` for an unknown keyword.
    """

    def __init__(self, width: int = WIDTH, height: int = HEIGHT, **kwargs):
        unknown = kwargs.keys() - _DEFAULTS.keys()
        if unknown:
            raise TypeError(f"Spectrogram() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        if not isinstance(width, int) or not isinstance(height, int):
            raise TypeError(f"width and height must be integers, got {width!r} and {height!r}")
        self._width = width
        self._height = height
        self._kwargs = kwargs
        o = {**_DEFAULTS, **kwargs}
        self._r, self._g, self._b = float(o["r"]), float(o["g"]), float(o["b"])
        self._max_bytes = int(o["max_bytes"])
        # Every parameter is checked here, by the core, once.
        self._renderer = _core.Renderer(
            mel=mel_args("Spectrogram", **{k: o[k] for k in IMAGE_MEL_OPTIONS}),
            image=ImageArgs(
                width=width,
                height=height,
                colormap=str(o["colormap"]),
                rgb=[self._r, self._g, self._b],
                top_db=float(o["top_db"]),
                quality=int(o["quality"]),
                noise_percentile=opt_float(o["noise_percentile"]),
            ),
            source=SourceArgs(sr=opt_int(o["sr"]), max_duration=opt_float(o["max_duration"]), scale=str(o["scale"])),
        )

    def __reduce__(self):
        # The renderer is built again from the arguments (for pickle, copy, multiprocessing).
        return functools.partial(type(self), self._width, self._height, **self._kwargs), ()

    def __repr__(self) -> str:
        given = {k: self._kwargs[k] for k in _DEFAULTS if k in self._kwargs and k not in ("r", "g", "b")}
        extra = "".join(f"\n\t{k}={v!r}" for k, v in given.items() if v != _DEFAULTS[k])
        return "<spectrust.Spectrogram(\n\twidth={},\n\theight={}\n\tr={}\n\tg={}\n\tb={}{}\n)>".format(
            self._width, self._height, self._r, self._g, self._b, extra
        )

    def generate(self, path: AudioInput, outpath: os.PathLike[str] | str) -> Result:
        """Render the audio file ``path`` to the image ``outpath``.

        ``path`` may also be the bytes of an audio file or a binary file object (read into
        memory and decoded there, see :func:`spectrust.load`); ``Result.input_file`` is then
        ``"<bytes>"`` or the file object's ``name``.

        Parameters
        ----------
        path : str, os.PathLike, bytes, bytearray, memoryview or binary file object
            The audio (any format :func:`spectrust.load` reads, found from the content).
        outpath : str or os.PathLike
            The image to write: ``.jpg``/``.jpeg`` (JPEG) or ``.png``.

        The format follows the suffix of ``outpath``: ``.jpg``/``.jpeg`` JPEG, ``.png`` PNG.
        The image is written to a temporary file beside ``outpath`` and renamed, so a failure
        never leaves a partial image; missing folders are created.

        Returns
        -------
        Result
            ``Result.ok``, or ``Result.error`` saying what went wrong with the input or output
            file (a bad file is never raised).

        Raises
        ------
        TypeError
            ``path`` or ``outpath`` is of none of the types above.
        """
        return self._render([(path, outpath)], workers=1)[0]

    def generate_frames(
        self,
        path: AudioInput,
        outdir: os.PathLike[str] | str,
        *,
        frame_duration: float = 0.1,
        format: str = "png",
        workers: Optional[int] = None,
    ) -> list:
        """Render ``path`` as a sequence of images for video, ``frame_duration`` seconds each.

        The frames ``outdir/frame_0000.png``, ``frame_0001.png``, ... are all
        ``width x height`` and cut from one spectrogram of the whole file with one colour
        scale (0 dB is the file's loudest bin), so they can be played one after another
        (e.g. ``ffmpeg -framerate 10 -i frame_%04d.png``). Frames are rendered in parallel.

        Parameters
        ----------
        path : str, os.PathLike, bytes or binary file object
            The audio file, its bytes, or a file object (see :func:`spectrust.load`).
        outdir : str or os.PathLike
            Folder for the frames (created if missing).
        frame_duration : float
            Seconds of audio per frame (default 0.1: 10 frames per second of audio); at
            least one hop (``hop_length / sr``).
        format : {"png", "jpg"}
            Image format (default ``"png"``).
        workers : int or None
            Threads to use (default: one per core).

        Returns
        -------
        list of (str, float, float)
            Per frame: its path and the start and end of the audio it shows, in seconds.

        Raises
        ------
        FileNotFoundError, DecodeError, UnsupportedFormatError
            The input cannot be read; no frame is left behind.
        ParameterError
            ``frame_duration`` out of range or an unknown ``format``.
        """
        frames = self._renderer.render_frames(
            source(path, self._max_bytes),
            os.fspath(outdir),
            frame_duration=float(frame_duration),
            suffix=str(format),
            workers=opt_int(workers),
        )
        return [(os.fspath(p), start, end) for p, start, end in frames]

    def _render(
        self,
        jobs: Sequence[tuple],
        workers: Optional[int] = None,
        progress: Optional[Callable[[int], None]] = None,
    ) -> list:
        """Render ``(input, output)`` pairs in parallel; ``progress(n)`` after each chunk."""
        jobs = [(i, os.fspath(o)) for i, o in jobs]
        chunks: Iterable[list] = [jobs]
        if progress is not None:
            size = max(16, 4 * (workers or os.cpu_count() or 1))
            chunks = (jobs[i : i + size] for i in range(0, len(jobs), size))
        results = []
        for chunk in chunks:
            outputs = [o for _, o in chunk]
            done = run_batch(
                [i for i, _ in chunk],
                self._max_bytes,
                lambda sources, kept, outputs=outputs: self._renderer.render_files(
                    [(s, outputs[k]) for s, k in zip(sources, kept)], workers=opt_int(workers)
                ),
            )
            for (i, o), r in zip(chunk, done):
                failed = isinstance(r, BaseException)
                results.append(Result(input_name(i), o, exception=r if failed else None, format=None if failed else r))
            if progress is not None:
                progress(len(chunk))
        return results
