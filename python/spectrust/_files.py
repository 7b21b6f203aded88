"""Output files that are whole or absent, and the temporary files a killed run leaves.

Every file spectrust writes goes first to ``.spectrust-<pid>-<random>.part`` beside it (the
Rust core's images, the dataset shards written here), which is renamed into place once
complete. A run killed meanwhile leaves that temporary file; the next run into the same
folder removes those whose process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Callable, Union

_PART = re.compile(r"^\.spectrust-(?:(\d+)-)?.*\.part$")


def part_path(path: Union[str, os.PathLike]) -> Path:
    """A temporary name beside ``path`` for this process."""
    path = Path(path)
    return path.with_name(f".spectrust-{os.getpid()}-{uuid.uuid4().hex[:12]}.part")


@contextlib.contextmanager
def atomic_file(path: Union[str, os.PathLike]) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: a temporary file beside it, flushed to disk
    (fsync) and renamed to ``path`` when the block ends; on an exception the temporary file is
    removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = part_path(path)
    try:
        with open(tmp, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Union[str, os.PathLike], write: Callable[[object], None]) -> None:
    """Calls ``write(file)`` on a temporary file beside ``path``, flushes it to disk (fsync)
    and renames it to ``path`` (:func:`atomic_file`)."""
    with atomic_file(path) as f:
        write(f)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_parts(folder: Union[str, os.PathLike]) -> int:
    """Removes, under ``folder`` (recursively), the temporary files of runs that are no longer
    running (their process id is gone, or not recorded); returns how many."""
    removed = 0
    if not os.path.isdir(folder):
        return 0
    for root, _, files in os.walk(folder):
        for name in files:
            match = _PART.match(name)
            if match and not (match.group(1) and _alive(int(match.group(1)))):
                try:
                    os.remove(os.path.join(root, name))
                    removed += 1
                except FileNotFoundError:
                    pass
    return removed
