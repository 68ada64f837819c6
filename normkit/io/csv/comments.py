"""Comments after values (``1;3#note``): the text from the comment character, outside quoted
fields, to the line end is no part of the record. Files that write them are read through
:class:`InlineCommentStream`, which takes them away before the parser sees the bytes (comment
lines are left whole, for the parser to skip; line ends are kept, so line numbers stay)."""

from __future__ import annotations

import io
from typing import AnyStr, BinaryIO

__all__ = ["InlineCommentStream", "cut_comment", "without_inline_comments"]


def cut_comment(
    line: AnyStr, comment: AnyStr, quote: AnyStr | None, quoted: bool
) -> tuple[AnyStr, bool]:
    """``line`` without its comment after values and the blanks before it, and whether it
    ends inside a quoted field; ``quoted``: whether it starts inside one. A comment line
    (``comment`` first) is left whole. A doubled quote opens and closes, so it changes nothing."""
    if not quoted and line.startswith(comment):
        return line, False
    text = isinstance(line, str)
    body = line.rstrip("\r\n" if text else b"\r\n")
    i = 0
    while True:
        q = body.find(quote, i) if quote else -1
        if quoted:
            if q == -1:
                return line, True
            quoted, i = False, q + 1
            continue
        c = body.find(comment, i)
        if c != -1 and (q == -1 or c < q):
            return body[:c].rstrip(" \t" if text else b" \t") + line[len(body) :], False
        if q == -1:
            return line, False
        quoted, i = True, q + 1


class InlineCommentStream(io.RawIOBase):
    """``stream`` (UTF-8 bytes) without its comments after values; see the module's notes."""

    def __init__(self, stream: BinaryIO, comment: str, quote: str | None):
        self._stream = stream
        self._comment = comment.encode()
        self._quote = quote.encode() if quote else None
        self._quoted = False
        self._pending = b""  # read, not yet cut: a line without its end
        self._ready = b""  # cut, not yet returned
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while not self._ready and not (self._eof and not self._pending):
            data = self._stream.read(max(len(buffer), 1 << 16))
            self._eof = not data
            lines = (self._pending + bytes(data)).splitlines(keepends=True)
            # The last line waits for its end (a CR may be the first half of a CRLF).
            keep = not self._eof and lines and not lines[-1].endswith(b"\n")
            self._pending = lines.pop() if keep else b""
            out = []
            for line in lines:
                line, self._quoted = cut_comment(line, self._comment, self._quote, self._quoted)
                out.append(line)
            self._ready = b"".join(out)
        n = min(len(buffer), len(self._ready))
        buffer[:n] = self._ready[:n]
        self._ready = self._ready[n:]
        return n

    def close(self) -> None:
        self._stream.close()
        super().close()


def without_inline_comments(stream: BinaryIO, comment: str | None, quote: str | None) -> BinaryIO:
    """``stream`` without its comments after values starting with ``comment`` (None or ``""``:
    a file without them, returned as it is)."""
    if not comment:
        return stream
    return io.BufferedReader(InlineCommentStream(stream, comment, quote))
