"""Comments after values (``1;3#note``): the text from the comment character, outside quoted
fields, to the line end is no part of the record. Files that write them are read through
:class:`InlineCommentStream`, which takes them away before the parser sees the bytes (comment
lines are left whole, for the parser to skip; line ends are kept, so line numbers stay)."""

from __future__ import annotations

import io
from typing import AnyStr, BinaryIO

__all__ = ["InlineCommentStream", "cut_comment", "cut_lines", "without_inline_comments"]


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


def cut_lines(
    lines: list[AnyStr], comment: AnyStr, quote: AnyStr | None, quoted: bool = False
) -> tuple[list[AnyStr], bool]:
    """``lines`` (of one text) without their comments after values (:func:`cut_comment`),
    quoted fields followed from line to line, and whether they end inside one; ``quoted``:
    whether they start inside one."""
    cut = []
    for line in lines:
        line, quoted = cut_comment(line, comment, quote, quoted)
        cut.append(line)
    return cut, quoted


_ENDS = (b"\n", b"\r")


class InlineCommentStream(io.RawIOBase):
    """``stream`` (UTF-8 bytes) without its comments after values; see the module's notes."""

    def __init__(self, stream: BinaryIO, comment: str, quote: str | None):
        self._stream = stream
        self._comment = comment.encode()
        self._quote = quote.encode() if quote else None
        self._quoted = False  # whether the text cut so far ends inside a quoted field
        # Read: the lines cut, the ones from ``_pos`` to ``_end`` not yet returned, then the
        # last line read, which waits for its end.
        self._buffer = bytearray()
        self._pos = self._end = 0
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._pos == self._end:
            self._fill(len(buffer))
        n = min(len(buffer), self._end - self._pos)
        with memoryview(self._buffer) as view:
            buffer[:n] = view[self._pos : self._pos + n]
        self._pos += n
        return n

    def _fill(self, size: int) -> None:
        """Reads until there are lines to return (or the end of the stream), and cuts them."""
        buffer = self._buffer
        while not self._eof:
            del buffer[: self._end]  # returned; the waiting line moves to the front
            self._pos = self._end = 0
            data = self._stream.read(max(size, 1 << 16))
            self._eof = not data
            buffer += data
            # The last line waits for its end (a CR last may be the first half of a CRLF).
            stop = len(buffer) - buffer.endswith(b"\r")
            end = len(buffer) if self._eof else max(buffer.rfind(b, 0, stop) for b in _ENDS) + 1
            if not end:
                continue
            if buffer.find(self._comment, 0, end) == -1:
                # Nothing to cut (most of a file whose comment character was given): the
                # lines as they are; a quote opens or closes a quoted field, a doubled one both.
                if self._quote is not None:
                    self._quoted ^= buffer.count(self._quote, 0, end) % 2 == 1
                self._end = end
                return
            lines = bytes(buffer[:end]).splitlines(keepends=True)
            cut, self._quoted = cut_lines(lines, self._comment, self._quote, self._quoted)
            buffer[:end] = text = b"".join(cut)
            self._end = len(text)
            return

    def close(self) -> None:
        self._stream.close()
        super().close()


def without_inline_comments(stream: BinaryIO, comment: str | None, quote: str | None) -> BinaryIO:
    """``stream`` without its comments after values starting with ``comment`` (None or ``""``:
    a file without them, returned as it is)."""
    if not comment:
        return stream
    return io.BufferedReader(InlineCommentStream(stream, comment, quote))
