"""Comments after values taken out of a stream (:class:`InlineCommentStream`): the same bytes
as cutting the whole text line by line, however the stream is read and cut into reads."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from normkit.io.csv.comments import InlineCommentStream, cut_comment

PIECES = ["a", "1", ",", '"', "#", "\n", "\r", "\r\n", " ", "\t", "é"]


def cut_whole(data: bytes, quote: bytes | None) -> bytes:
    out, quoted = [], False
    for line in data.splitlines(keepends=True):
        line, quoted = cut_comment(line, b"#", quote, quoted)
        out.append(line)
    return b"".join(out)


class Pieces(io.RawIOBase):
    """``data`` returned in reads of the given sizes, in turn (a pipe's short reads)."""

    def __init__(self, data: bytes, sizes: list[int]):
        self._data, self._sizes, self._at, self._turn = data, sizes, 0, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        size = self._sizes[self._turn % len(self._sizes)]
        self._turn += 1
        piece = self._data[self._at : self._at + min(n, size)]
        self._at += len(piece)
        return piece


@settings(max_examples=400, deadline=None)
@given(
    text=st.lists(st.sampled_from(PIECES), max_size=80).map("".join),
    quote=st.sampled_from(['"', None]),
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=5),
    into=st.integers(1, 12),
)
def test_a_stream_cut_as_read_is_the_text_cut_whole(text, quote, sizes, into):
    data = text.encode()
    stream = InlineCommentStream(Pieces(data, sizes), "#", quote)
    got, buffer = bytearray(), bytearray(into)
    while n := stream.readinto(buffer):
        got += buffer[:n]
    assert bytes(got) == cut_whole(data, quote.encode() if quote else None)


def test_reads_without_the_comment_character_keep_track_of_quoted_fields():
    # The first reads hold no '#' (passed as they are), and leave a quoted field open: the
    # '#' inside it is text; the one after it starts a comment.
    data = b'a,"x\n' * 3 + b'y # kept",1 # cut\n2,3\n'
    stream = io.BufferedReader(InlineCommentStream(Pieces(data, [5]), "#", '"'))
    assert stream.read() == b'a,"x\n' * 3 + b'y # kept",1\n2,3\n'
