"""Limits and places of ``spectrust serve`` (no web framework imported here)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Tuple

MIB = 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    """Everything the server limits or stores; the defaults suit one machine.

    Parameters
    ----------
    max_upload_bytes : int
        Largest audio upload, counted while the body is read (default 15 MiB): 413 past it.
    max_duration : float
        Longest decoded audio in seconds (default 600): guards against compressed bombs.
    max_width, max_height : int
        Largest spectrogram image asked for (default 4096 x 4096 pixels).
    cache_dir : Path or None
        Folder of the stored spectrograms (default
        ``<tempdir>/spectrust-serve``).
    cache_max_files, cache_max_bytes, cache_max_age : int, int, float
        Bounds of the stored spectrograms: oldest removed first past 500 files or 256 MiB;
        removed after 3600 s in any case.
    render_workers : int
        Uploads decoded and rendered at once (default: one per core); others wait.
    allowed_origins : tuple of str
        Origins, besides the page's own, allowed to open ``/ws/live`` (``"*"``: any).
    ws_max_message_bytes : int
        Largest WebSocket message accepted from a client (default 1 MiB); close 1009 past it.
    ws_queue_columns : int
        Columns waiting for a slow client; the oldest are dropped past it (default 256).
    ws_config_timeout : float
        Seconds a client has to send its first (configuration) message (default 10).
    """

    max_upload_bytes: int = 15 * MIB
    max_duration: float = 600.0
    max_width: int = 4096
    max_height: int = 4096
    cache_dir: Optional[Path] = None
    cache_max_files: int = 500
    cache_max_bytes: int = 256 * MIB
    cache_max_age: float = 3600.0
    render_workers: int = field(default_factory=lambda: os.cpu_count() or 2)
    allowed_origins: Tuple[str, ...] = ()
    ws_max_message_bytes: int = 1 * MIB
    ws_queue_columns: int = 256
    ws_config_timeout: float = 10.0

    @property
    def cache_path(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir is not None else Path(tempfile.gettempdir()) / "spectrust-serve"
