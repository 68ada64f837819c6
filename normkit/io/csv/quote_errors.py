"""The errors of quoted fields a CSV's reading refuses (never closed, going on after their
closing quote, holding line breaks where their lines read as records), and their hints."""

from __future__ import annotations

from collections.abc import Sequence

from ...errors import InputError, param, quoted
from ..options import CsvOptions
from .columns import larger_blocks, longest_row, printable
from .engine import RecordError

__all__ = ["QUOTE_ERRORS", "escape_hints", "header_quotes", "quote_error"]

#: The kinds of :class:`~.engine.RecordError` that :func:`quote_error` tells.
QUOTE_ERRORS = ("unterminated_quote", "stray_quote", "escaped_quote", "quoted_break")


def escape_hints(value: str, quote: str | None, escape: str | None) -> tuple[str, ...]:
    """For a malformed record or field ``value`` read without an escape character: the escape
    that would read its quotes, where a backslash stands before one (``\\"``), as some exports
    write them; read with one (given or found in the head), the way to read backslashes as
    text (``"C:\\dir\\"``)."""
    if escape and quote and "\\" in value:
        return (f"if backslashes are text in this file, read with {param('csv.escape', '')}",)
    if escape or not quote or "\\" + quote not in value:
        return ()
    return (
        f"if backslashes escape the quotes inside quoted fields, read with "
        f"{param('csv.escape', chr(92))}",
    )


def quote_error(
    name: str,
    error: RecordError,
    column: str | None,
    hints: tuple[str, ...],
    block_size: int,
    quote: str = '"',
) -> InputError:
    """The error of a quoted field in ``name`` never closed (``kind`` ``unterminated_quote``;
    not closed within the most read at a time, where ``error.within`` says so), holding a line
    break and going on after its closing quote (``stray_quote``), going on after a closing
    quote that a backslash stands before (``escaped_quote``), or holding a line break in a file
    whose lines read as records, the quote ``quote`` detected rather than given
    (``quoted_break``: the value is the field, cut to its first 100 characters)."""
    # The record's data row, and the line its quote opens on (lines after the record's start).
    at = f"data row {error.row:,} (line {error.line:,})" if error.row else f"line {error.line:,}"
    kind, where = error.kind, f"{name} at {at}"
    within = longest_row(block_size) if error.within else None
    if within:
        hints = (*hints, f"if it is that long, read with {larger_blocks(block_size)}")
    field = f"column {column!r}: " if column else ""
    unquoted = f"if quotes are text in this file, read without quoting ({param('csv.quote', '')})"
    if kind == "unterminated_quote" and within:
        what = f"a quoted field opened here is not closed within {within} (a quote never "
        what += "closed?); the rows after it would be lost"
    elif kind == "unterminated_quote":
        what = "a quoted field opened here is never closed (unterminated quote); the rows after "
        what += "it would be lost"
    elif kind == "escaped_quote":
        what = "a quoted field goes on after a closing quote that a backslash stands before (an "
        what += "escaped quote, in a file whose first lines escape none)"
        as_written = f"read such fields as written ({param('csv.escape', '')})"
        return InputError(f"{where}: malformed CSV: {field}{what}", hints=(*hints, as_written))
    elif kind == "quoted_break":
        if error.row and column:
            where = f"{name}: column {column!r} at {error.at}"
        return _spanning_rows(
            f"{where}: malformed CSV: a quoted field", error.value, "field", quote, hints
        )
    else:
        what = "a quoted field with a line break goes on after its closing quote (a quote left "
        what += "open, closed by a stray one?); the rows in between would be read into one field"
    return InputError(f"{where}: malformed CSV: {field}{what}", hints=(*hints, unquoted))


def header_quotes(
    name: str, header: Sequence[str], csv: CsvOptions, detected: bool, path: str
) -> None:
    """Refuse a header name holding a line break followed by the separator where the quote was
    detected (``name,size,"price`` above ``chair,1,10.5`` / ``desk,3,12.5"``): a stray quote in
    the header, which would make the rows up to the next quote part of a column's name.
    A name broken over lines without the separator (``Price\n(EUR)``) is read."""
    if not detected:
        return
    delimiter = csv.delimiter_for(path)
    for column in header:
        if delimiter in column.replace("\r", "\n").partition("\n")[2]:
            quote = csv.quote_character or '"'
            raise _spanning_rows(f"{name}: the header's field", column, "name", quote)


def _spanning_rows(
    what: str, value: str, kind: str, quote: str, hints: tuple[str, ...] = ()
) -> InputError:
    """The refusal of ``what`` (a field, a header's field) holding ``value``, which spans lines
    that read as rows of the table: ``hints``, then the two readings to choose from."""
    return InputError(
        f"{what} {quoted(printable(value))} spans lines that read as rows of the table (a stray "
        f"quote, closed by another one rows later?); read as one {kind}, those rows would be lost",
        hints=(
            *hints,
            f"if they are rows, read quotes as text ({param('csv.quote', '')})",
            f"if the {kind} is meant to hold them, say so ({param('csv.quote', quote)})",
        ),
    )
