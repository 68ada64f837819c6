"""Threads of the I/O layer: reading ahead, work done one task behind, and how many threads
parse or format CSV."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from queue import Empty, Full, Queue
from typing import TypeVar

__all__ = ["OneBehind", "csv_workers", "prefetch"]

T = TypeVar("T")


def csv_workers() -> int:
    """Threads for parsing or formatting CSV, or encoding Parquet: the cores, at most 4 (each
    holds a piece in memory, and past 4 the writing of the output is the limit)."""
    import pyarrow as pa

    return max(1, min(pa.cpu_count(), 4))


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Iterate ``items`` in a background thread, up to ``depth`` items ahead.

    Parsing (pyarrow, which releases the GIL) then overlaps with the caller's numerics on the
    other core; memory grows by at most ``depth`` batches. An exception in the producer is
    raised in the consumer; closing the consumer stops the producer.
    """
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put((item, None), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            queue.put((done, exc))
            return
        queue.put((done, None))

    thread = threading.Thread(target=produce, name="normkit-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = queue.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:  # unblock a producer waiting on a full queue
                queue.get_nowait()
            except Empty:
                thread.join(timeout=0.1)


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
