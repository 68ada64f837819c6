"""A prediction of a CSV file's data rows, counted at memory speed; blank text told."""

from __future__ import annotations

import re

import pyarrow as pa

from ..formats import split_compression

__all__ = ["only_line_ends", "predicted_rows"]

_ANY_BUT_LINE_ENDS = re.compile(rb"[^\r\n]")


def only_line_ends(text: bytes) -> bool:
    """Whether ``text`` holds nothing but line ends (or nothing): found at its first other byte,
    with no copy of a block of many megabytes."""
    return _ANY_BUT_LINE_ENDS.search(text) is None


def predicted_rows(path: str) -> int:
    """The lines of the file at ``path`` (decompressed) after the header, less blank lines at
    the end (a line break in a quoted field or a blank line within makes it too large)."""
    _, codec = split_compression(path)
    lines, end = 0, b""
    with pa.input_stream(path, compression=codec) as stream:
        while chunk := stream.read(1 << 22):
            lines += chunk.count(b"\n")  # one byte: counted at memory speed
            end = (end + chunk)[-64:]
    # Blank lines at the end are common, not rows; others rare: a prediction too large.
    text = end.rstrip(b"\r\n")
    lines -= end[len(text) :].count(b"\n")
    lines += bool(text)  # the last line, whose line break was just taken away
    return max(lines - 1, 0)
