"""How a CSV was read, in words, where that is not the plain default: what ``fit``'s summary
says of its data, and its note of files read in different ways."""

from __future__ import annotations

from ..errors import quoted
from .csv.names import name_as_written
from .options import ReadSettings

__all__ = ["dialect_words"]


def dialect_words(read: ReadSettings | None) -> str:
    """How a CSV fit's data was read, where that is not the plain default: ``';'-separated,
    2 lines skipped, '#' comments, no header``."""
    if read is None:
        return ""
    parts = []
    if read.delimiter not in (None, ","):
        shown = "tab" if read.delimiter == "\t" else quoted(read.delimiter)
        parts.append(f"{shown}-separated")
    if read.skip_rows:
        parts.append(f"{read.skip_rows} line{'s' if read.skip_rows > 1 else ''} skipped")
    if read.comment:
        after = " (after values too)" if read.inline_comments else ""
        parts.append(f"{quoted(read.comment)} comments{after}")
    if read.quote == "":
        parts.append("no quote character")
    elif read.quote not in (None, '"'):
        parts.append(f"{quoted(read.quote)} quotes")
    if read.escape:
        parts.append(f"'{read.escape}' escapes quotes")
    if read.header is False:
        parts.append("no header (columns column_1...)")
    if read.decimal != ".":
        parts.append(f"{quoted(read.decimal)} decimals")
    if read.renamed:
        shown = ", ".join(
            f"{quoted(name_as_written(name))} again as {quoted(name)}" for name in read.renamed[:8]
        )
        more = f" and {len(read.renamed) - 8:,} more" if len(read.renamed) > 8 else ""
        parts.append(f"repeated header names renamed ({shown}{more})")
    return ", ".join(parts)
