"""Outputs written in place, through a descriptor (standard output, a pipe, a FIFO, a device), so
that Ctrl-C and SIGTERM end a job whose reader stopped reading.

Python runs a signal's handler in the main thread, between two steps of Python code, or when a
system call it made is interrupted. pyarrow's writers (Arrow IPC, Parquet) call a file's
``write`` from C++, where no handler runs: a signal that came while they encoded was noted, and
their next write into a full pipe then waited for the reader for ever. :class:`PipeStream`
writes in Python (``os.write``), so the handler runs before each write and interrupts one that
waits; a thread other than the main one (Parquet's writing thread) waits for room in the pipe
a tenth of a second at a time, until the output is abandoned.
"""

from __future__ import annotations

import errno
import io
import os
import select
import stat
import threading

import pyarrow as pa

__all__ = ["PipeStream", "in_place"]

#: How long a thread other than the main one waits for room in a pipe before it looks again
#: whether the output was abandoned.
WAIT_SECONDS = 0.1


class PipeStream(io.RawIOBase):
    """A binary file writing to the descriptor ``fd`` (closed with the stream if ``owned``).

    In the main thread each write is one ``os.write`` (repeated until all is written), which
    a signal interrupts. In another thread, a descriptor whose writes wait for a reader (a pipe,
    a socket, a terminal, a device: not a regular file) is written in pieces of
    ``select.PIPE_BUF`` bytes once ``select`` says there is room, which never wait, so that
    :meth:`abandon` ends the write within :data:`WAIT_SECONDS`.
    """

    def __init__(self, fd: int, owned: bool):
        super().__init__()
        self._fd = fd
        self._owned = owned
        self._waits = not stat.S_ISREG(os.fstat(fd).st_mode)
        self._abandoned = threading.Event()

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        size = len(view)
        main = threading.current_thread() is threading.main_thread()
        while view:
            if self._abandoned.is_set():
                raise OSError(errno.ECANCELED, "the output was abandoned")
            if main or not self._waits:
                written = os.write(self._fd, view)
            elif select.select([], [self._fd], [], WAIT_SECONDS)[1]:
                written = os.write(self._fd, view[: select.PIPE_BUF])
            else:
                continue
            view = view[written:]
        return size

    def abandon(self) -> None:
        """Have every write, waiting or to come, fail: the output is being discarded."""
        self._abandoned.set()

    def close(self) -> None:
        if not self.closed and self._owned:
            os.close(self._fd)
        super().close()


def in_place(fd: int, owned: bool) -> tuple[pa.NativeFile, PipeStream]:
    """A pyarrow stream writing to ``fd`` through a :class:`PipeStream`, and that stream."""
    pipe = PipeStream(fd, owned)
    return pa.PythonFile(pipe, mode="w"), pipe
