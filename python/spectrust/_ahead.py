"""Work one step ahead: the next item of an iterator made on a background thread while the
one before is used (the next batch decoded while TensorFlow trains on this one; the next
shard's inputs read from a tar or Parquet file while the core computes this one's)."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()


def one_ahead(items: Iterable[T], name: str = "spectrust-next") -> Iterator[T]:
    """The items of ``items`` in order, each made on a background thread while the one before
    is used (the thread then waits with one item ready), the first from this call on; an
    exception raised making an item is raised in its place. Closing the iterator stops the
    thread after its current item."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def run() -> None:
        iterator = iter(items)
        while not stop.is_set():
            try:
                item = (next(iterator), None)
            except StopIteration:
                ready.put((_END, None))
                return
            except BaseException as e:  # raised to the consumer, in order
                ready.put((None, e))
                return
            ready.put(item)

    threading.Thread(target=run, name=name, daemon=True).start()
    return _taken(ready, stop)


def _taken(ready: queue.Queue, stop: threading.Event) -> Iterator:
    """The items :func:`one_ahead`'s thread puts in ``ready``, until its end."""
    try:
        while True:
            value, error = ready.get()
            if error is not None:
                raise error
            if value is _END:
                return
            yield value
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):  # a put waiting on the full queue returns
            ready.get_nowait()
