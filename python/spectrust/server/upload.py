"""The upload API's work, framework-free: field checks, the bounded cache of stored
spectrograms, and the render job (run in a worker thread; the Rust core releases the GIL
while it decodes and renders, and finds the format from the content)."""

from __future__ import annotations

import math
import os
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

from .. import _core
from .._params import HEIGHT, IMAGE_OPTIONS, WIDTH
from ..errors import TooLongError, UnsupportedFormatError
from ..spectrogram import Spectrogram
from .settings import ServerSettings


class ApiError(Exception):
    """An error answered as ``{"success": false, "message": ..., "error": code}``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def display_name(name: Optional[str]) -> str:
    """The client's file name reduced to a harmless base name, for display only (never a path)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = base.strip().lstrip(".")
    return base[:200] or "audio"


def _int_field(form: Mapping[str, object], name: str, default: int, low: int, high: int) -> int:
    raw = form.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(str(raw))
    except ValueError:
        raise ApiError(422, "invalid_field", f"{name} must be an integer, got {str(raw)[:40]!r}") from None
    if not low <= value <= high:
        raise ApiError(422, "invalid_field", f"{name} must be between {low} and {high}, got {value}")
    return value


def _choice_field(form: Mapping[str, object], name: str, default: str, choices) -> str:
    raw = form.get(name)
    if raw is None or raw == "":
        return default
    if not isinstance(raw, str) or raw not in choices:
        raise ApiError(422, "invalid_field", f"{name} must be one of {', '.join(choices)}, got {str(raw)[:40]!r}")
    return raw


def render_options(form: Mapping[str, object], settings: ServerSettings) -> dict:
    """Checks the optional form fields; the keywords of :class:`spectrust.Spectrogram`."""
    options = dict(
        width=_int_field(form, "width", WIDTH, 16, settings.max_width),
        height=_int_field(form, "height", HEIGHT, 16, settings.max_height),
        colormap=_choice_field(form, "colormap", IMAGE_OPTIONS["colormap"], _core.COLORMAPS),
        scale=_choice_field(form, "scale", IMAGE_OPTIONS["scale"], _core.SCALES),
        fmax=None,
    )
    raw = form.get("fmax")
    if raw is not None and raw != "":
        try:
            fmax = float(str(raw))
        except ValueError:
            fmax = math.nan
        if not (math.isfinite(fmax) and fmax > 0):
            raise ApiError(422, "invalid_field", f"fmax must be a positive number of Hz, got {str(raw)[:40]!r}")
        options["fmax"] = fmax
    return options


class SpectrogramCache:
    """The folder of stored spectrograms, ``<id>.png`` with server-made ids, bounded in
    count, bytes and age (oldest removed first)."""

    _NAME = re.compile(r"^[0-9a-f]{32}\.png$")

    def __init__(self, settings: ServerSettings):
        self.folder = settings.cache_path
        self.max_files = settings.cache_max_files
        self.max_bytes = settings.cache_max_bytes
        self.max_age = settings.cache_max_age
        self._lock = threading.Lock()

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    def new_image(self) -> Path:
        return self.folder / f"{uuid.uuid4().hex}.png"

    def find(self, name: str) -> Optional[Path]:
        """The stored image called ``name``, or None (bad name, missing or expired)."""
        if not self._NAME.match(name):
            return None
        path = self.folder / name
        try:
            if time.time() - path.stat().st_mtime > self.max_age:
                return None
        except OSError:
            return None
        return path

    def prune(self) -> None:
        """Removes expired images, then the oldest until within the count and byte limits."""
        with self._lock:
            now = time.time()
            entries = []
            for entry in os.scandir(self.folder):
                if not self._NAME.match(entry.name):
                    continue
                try:
                    st = entry.stat()
                except OSError:
                    continue
                entries.append((st.st_mtime, st.st_size, entry.path))
            entries.sort(reverse=True)  # newest first
            kept_files = kept_bytes = 0
            for mtime, size, path in entries:
                if now - mtime <= self.max_age and kept_files < self.max_files and kept_bytes + size <= self.max_bytes:
                    kept_files += 1
                    kept_bytes += size
                else:
                    _remove(path)


def _remove(path) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def render(audio: bytes, image: Path, options: dict, settings: ServerSettings) -> str:
    """Renders the uploaded ``audio`` (decoded from memory) to the PNG ``image`` and returns
    its format ("mp3", ...); raises :class:`ApiError` for bad audio. Blocking: run it in a
    worker thread."""
    spect = Spectrogram(max_duration=settings.max_duration, **options)
    result = spect.generate(audio, image)
    if result.format is not None:
        return result.format
    # The core's one-line message names the input `<bytes>`; the client knows it as its
    # upload, so the name is taken out.
    reason = (result.error or "").replace(f"{result.input_file}: ", "", 1)
    if isinstance(result.exception, UnsupportedFormatError):
        raise ApiError(415, "unsupported_format", reason)
    if isinstance(result.exception, TooLongError):
        raise ApiError(422, "too_long", f"the audio is longer than this server's limit of {settings.max_duration:g} s")
    raise ApiError(422, "undecodable", reason)
