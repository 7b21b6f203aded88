"""The original spectrust ``Batchop``: a folder of audio in, a folder of images out."""

from __future__ import annotations

import inspect
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Callable, Optional

from ._core import AUDIO_EXTENSIONS, IMAGE_FORMATS
from ._files import remove_stale_parts
from ._params import HEIGHT, WIDTH
from .errors import ParameterError
from .spectrogram import Result, Spectrogram

__all__ = ["Batchop"]


class Batchop:
    """Render every audio file under a folder (recursively) to spectrogram images, in parallel.

    Use as a context manager; ``__enter__`` does the work and returns a list of
    :class:`Result`, one per input file, sorted by input path::

        with spectrust.Batchop("audio/", "images/", 800, 600) as results:
            failed = [r for r in results if not r.ok]

    All files are processed in Rust with the GIL released, ``workers`` at a time. A bad file
    gets its ``Result.error`` and the batch goes on. Each image is written to a temporary file
    and renamed, so a killed batch leaves no partial image; the temporary files it leaves
    (``.spectrust-<pid>-*.part``) are removed by the next batch into ``outpath``.

    Parameters
    ----------
    path : str or os.PathLike
        Folder searched recursively for inputs.
    outpath : str or os.PathLike
        Output folder, created if missing.
    width, height : int
        Image size in pixels (defaults 600 x 420).
    keep_names : bool
        Name each image after its input's path relative to ``path`` (``a/b.wav`` becomes
        ``outpath/a/b.jpg``) instead of a random uuid4 (default ``False``, as the original).
    format : {"jpg", "jpeg", "png"}
        Image format of the generated names (default ``"jpg"``).
    skip_existing : bool
        Leave alone the images that already exist (their ``Result.skipped`` is True): a rerun
        after a crash renders only what is missing. Needs ``keep_names=True``.
    extensions : iterable of str
        File name suffixes picked up, compared case-insensitively (default
        ``spectrust.AUDIO_EXTENSIONS``: every format read). ``extensions=(".wav",)`` gives the
        original spectrust's WAV-only behaviour.
    workers : int or None
        Threads to use (default: one per core).
    progress : callable or None
        Called as ``progress(n)`` each time ``n`` more files are done.
    **kwargs
        Passed to :class:`Spectrogram` (``r``, ``g``, ``b``, ``colormap``, ``n_mels``, ...).

    Notes
    -----
    Output names come from :meth:`generate_output_path`; a subclass may override it, either
    with no argument (the original signature) or taking the input file.
    """

    def __init__(
        self,
        path,
        outpath,
        width: int = WIDTH,
        height: int = HEIGHT,
        *,
        keep_names: bool = False,
        format: str = "jpg",
        skip_existing: bool = False,
        extensions: Iterable[str] = AUDIO_EXTENSIONS,
        workers: Optional[int] = None,
        progress: Optional[Callable[[int], None]] = None,
        **kwargs,
    ):
        if format not in IMAGE_FORMATS:
            raise ParameterError(f"format must be one of {', '.join(IMAGE_FORMATS)}, got {format!r}")
        if skip_existing and not keep_names:
            raise ParameterError("skip_existing=True needs keep_names=True: random names never exist yet")
        self._skip_existing = skip_existing
        self._spc = Spectrogram(width, height, **kwargs)
        self._root = Path(path)
        self._outpath = outpath
        self._keep_names = keep_names
        self._format = format
        self._workers = workers
        self._progress = progress
        self._files = Batchop._inputs(path, extensions)

    @property
    def files(self) -> list:
        """The input files found, absolute and sorted."""
        return list(self._files)

    @staticmethod
    def _inputs(path, extensions: Iterable[str] = AUDIO_EXTENSIONS) -> list:
        """Absolute paths of the files under ``path`` whose suffix is one of ``extensions``."""
        wanted = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}
        return sorted(str(p.resolve()) for p in Path(path).rglob("*") if p.suffix.lower() in wanted and p.is_file())

    def generate_output_path(self, input_file: Optional[str] = None) -> str:
        """The image path for ``input_file``.

        By default ``outpath/<uuid4>.jpg`` (unique even when inputs share names); with
        ``keep_names=True``, the input's path relative to the input folder with the image
        suffix. Override to choose other names.

        Parameters
        ----------
        input_file : str or None
            An input file (absolute, as :attr:`files` lists it); ``None`` for a random name.

        Returns
        -------
        str
            The image path.

        Raises
        ------
        ValueError
            ``input_file`` is not under the input folder (with ``keep_names=True``).
        """
        if self._keep_names and input_file is not None:
            rel = Path(input_file).relative_to(self._root.resolve())
            return str(Path(self._outpath) / rel.with_suffix("." + self._format))
        return f"{self._outpath}/{uuid.uuid4()}.{self._format}"

    def _outputs(self) -> list:
        takes_input = len(inspect.signature(self.generate_output_path).parameters) > 0
        outputs = [self.generate_output_path(f) if takes_input else self.generate_output_path() for f in self._files]
        # With keep_names, a.wav and a.WAV (or a.flac) would collide: keep their suffixes.
        seen: dict = {}
        for o in outputs:
            seen[o] = seen.get(o, 0) + 1
        return [
            str(Path(o).with_name(Path(f).name + "." + self._format)) if seen[o] > 1 else o
            for f, o in zip(self._files, outputs)
        ]

    def __enter__(self) -> list:
        """Render every input; returns the list of :class:`Result`, sorted by input path."""
        os.makedirs(self._outpath, exist_ok=True)
        remove_stale_parts(self._outpath)
        jobs = list(zip(self._files, self._outputs()))
        done = {o for _, o in jobs if self._skip_existing and os.path.isfile(o)}
        rendered = iter(self._spc._render([j for j in jobs if j[1] not in done], self._workers, self._progress))
        return [Result(i, o, skipped=True) if o in done else next(rendered) for i, o in jobs]

    def __exit__(self, *args) -> None:
        return None
