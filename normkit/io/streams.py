"""Byte streams: a stream read again from its start, and reads of an exact size from pipes."""

from __future__ import annotations

import io
from typing import BinaryIO

import pyarrow as pa

__all__ = ["TAIL_BYTES", "PrefixedStream", "read_up_to"]

#: Bytes kept from the end of a stream, to check how it ends (a CSV's last quoted field).
TAIL_BYTES = 64 << 10


class PrefixedStream(io.RawIOBase):
    """A readable stream that first returns ``prefix``, then the rest of ``stream``.

    Lets normkit look at the start of a pipe (to learn the CSV header and column types) without
    losing those bytes for the reader that follows.
    """

    def __init__(self, prefix: bytes, stream: BinaryIO | pa.NativeFile):
        self._prefix = memoryview(prefix)
        self._stream = stream
        self.tail = b""  # the last bytes returned, to check how the input ends

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._prefix.nbytes:
            n = min(len(buffer), self._prefix.nbytes)
            data = self._prefix[:n].tobytes()
            self._prefix = self._prefix[n:]
        else:
            data = self._stream.read(len(buffer))
            n = len(data)
        buffer[:n] = data
        if n:
            self.tail = (self.tail + bytes(data))[-TAIL_BYTES:]
        return n


def read_up_to(stream, size: int) -> bytes:
    """Read ``size`` bytes, or fewer at the end of the stream (a pipe may return short reads)."""
    parts = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(bytes(chunk))
        remaining -= len(chunk)
    return b"".join(parts)
