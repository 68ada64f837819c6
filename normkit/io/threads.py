"""Threads of the I/O layer: reading ahead, work done one task behind, and how many threads
parse or format CSV."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from queue import Empty, Full, Queue
from typing import TypeVar

from .stops import check_stop

__all__ = ["OneBehind", "Prefetch", "csv_workers"]

T = TypeVar("T")


def csv_workers() -> int:
    """Threads for parsing or formatting CSV, or encoding Parquet: the cores, at most 4 (each
    holds a piece in memory, and past 4 the writing of the output is the limit). pyarrow's
    ``cpu_count`` says how many cores: ``OMP_NUM_THREADS`` (which Dask sets to 1 in its
    workers) or ``pyarrow.set_cpu_count`` decide. The native engine's pool of threads is
    given the same number."""
    import pyarrow as pa

    from .. import _native

    workers = max(1, min(pa.cpu_count(), 4))
    _native.set_threads(workers)
    return workers


class Prefetch(Iterator[T]):
    """``items`` iterated in a background thread, up to ``depth`` items ahead.

    Parsing (which releases the GIL) then overlaps with the caller's numerics on the other
    core; memory grows by at most ``depth`` items. The thread starts with the first item asked
    for, or earlier with :meth:`start` (reading begins while the caller prepares). An exception
    in the producer is raised in the consumer; :meth:`close` stops the producer, and must be
    called once iteration may have started (a ``contextlib.closing`` block).
    """

    def __init__(self, items: Iterator[T], depth: int = 2):
        self._items = items
        self._queue: Queue = Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin reading ahead now (nothing, once started or closed)."""
        if self._thread is None and not self._stop.is_set():
            # The thread holds the queue, not this object: one dropped unclosed is collected,
            # and stops the thread (:meth:`__del__`).
            args = (self._items, self._queue, self._stop)
            self._thread = threading.Thread(
                target=_produce, args=args, name="normkit-prefetch", daemon=True
            )
            self._thread.start()

    def __iter__(self) -> Prefetch[T]:
        return self

    def __next__(self) -> T:
        if self._stop.is_set():
            raise StopIteration
        check_stop()  # an ending signal whose exception was lost: acted on between items
        self.start()
        item, error = self._queue.get()
        if error is not None or item is _DONE:
            self.close()
            if error is not None:
                raise error
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop the producer and wait for its thread to end."""
        self._stop.set()
        thread = self._thread
        while thread is not None and thread.is_alive():
            try:  # unblock a producer waiting on a full queue
                self._queue.get_nowait()
            except Empty:
                thread.join(timeout=0.1)

    def __del__(self) -> None:
        self._stop.set()


_DONE = object()


def _produce(items: Iterator[T], queue: Queue, stop: threading.Event) -> None:
    """Put ``items`` in ``queue``, then the end (or the error that ended them), until ``stop``."""
    try:
        for item in items:
            if not _put(queue, stop, (item, None)):
                return
    except BaseException as exc:  # handed to the consumer, which re-raises it
        _put(queue, stop, (_DONE, exc))
        return
    _put(queue, stop, (_DONE, None))


def _put(queue: Queue, stop: threading.Event, entry: tuple) -> bool:
    """Put ``entry`` in ``queue`` once there is room; False if stopped first."""
    while not stop.is_set():
        try:
            queue.put(entry, timeout=0.1)
            return True
        except Full:
            continue
    return False


class OneBehind:
    """Tasks run one at a time on a thread of their own, at most one waiting to finish: a task
    is submitted once the previous one is done (its error, if any, raised then), so that the
    caller prepares the next while the last runs."""

    def __init__(self, name: str):
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=name)
        self._task: Future | None = None

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        self.wait()
        self._task = self._thread.submit(fn, *args)

    def wait(self) -> None:
        """Let the task running finish; raise its error, if any."""
        if self._task is not None:
            task, self._task = self._task, None
            task.result()

    def stop(self) -> None:
        """Let a task running finish, without its result; no task can be submitted after."""
        self._thread.shutdown(wait=True)
        self._task = None
