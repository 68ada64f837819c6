"""Line ends a CSV's reader did not expect: a carriage return alone inside a field."""

from __future__ import annotations

from typing import BinaryIO

from .columns import printable

__all__ = ["lone_cr_hints"]


def lone_cr_hints(text: bytes | BinaryIO, record: str, line_end: str) -> tuple[str, ...]:
    """For a record of too few fields (``record``, as the engine shows it) that a carriage
    return alone ended, invisible in the middle of a field (``a\\rb`` in a file whose lines end
    with ``line_end``, LF or CR LF): that. ``text``: the file's text (a stream is read to the
    record, then closed), or the first of it where it cannot be read again."""
    needle, before, found = record.encode() + b"\r", b"", False
    chunks = [text] if isinstance(text, bytes) else iter(lambda: text.read(1 << 22), b"")
    try:
        for chunk in chunks if line_end != "\r" and record else ():
            data = before + chunk
            at = data.find(needle)
            while at != -1 and not found:
                after = data[at + len(needle) : at + len(needle) + 1]
                found = after not in (b"\n", b"")
                at = data.find(needle, at + 1)
            if found:
                break
            before = data[-len(needle) :]
    finally:
        if not isinstance(text, bytes):
            text.close()
    if not found:
        return ()
    return (
        f"a carriage return (CR) alone, invisible, ended the record after {printable(record)!r}: "
        "remove it from the field, or quote the field",
    )
