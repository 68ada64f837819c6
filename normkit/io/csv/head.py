"""What the first bytes of a CSV input must be before its dialect is read: text, not empty,
not binary, starting with a line that holds something."""

from __future__ import annotations

import csv as stdlib_csv
import io
from collections.abc import Sequence

from ...errors import InputError, param
from ..formats import binary_hints, compression_of, signed
from ..options import CsvOptions
from ..streams import invalid_utf8, misread_error, misread_utf8, not_text
from .sniff import Sniffed, sniffed_options

__all__ = ["check_head", "check_names"]

_BOM = b"\xef\xbb\xbf"


def check_head(
    name: str, head: bytes, complete: bool, encoding: str | None, csv: CsvOptions
) -> None:
    """Refuses the CSV input ``name`` whose ``head`` (its first bytes, UTF-8; ``complete``:
    all of it; ``encoding``: the one it was decoded from) is empty, binary or not UTF-8, or
    starts with empty lines (where no lines to skip are given: the way out it names), or was
    UTF-8 read in a single-byte encoding the stat file recorded.

    Raises
    ------
    InputError
    """
    if not head.strip(_BOM + b" \t\r\n"):
        raise InputError(f"{name}: the file is empty (a CSV needs a header row)")
    if _binary(head, complete):
        raise InputError(f"{name}: not a CSV file (it holds binary data)", hints=binary_hints(head))
    lines = head.removeprefix(_BOM).splitlines()
    empty = next((i for i, line in enumerate(lines) if line.strip(b" \t")), len(lines))
    if empty and csv.skip_rows is None:
        raise InputError(
            f"{name}: the first line is empty; a CSV starts with its header row",
            hints=(f"skip the empty lines above it ({param('csv.skip_rows', empty)})",),
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A head cut from a longer input may end in the middle of a multi-byte character:
        # only earlier bytes count then. A head that is the whole input is checked whole.
        if exc.start < len(head) - 4 or complete:
            if encoding is not None:
                raise not_text(name, encoding, exc.start) from None
            raise _invalid_byte(name, head, exc.start, complete, csv) from None
    if encoding is not None and "encoding" in csv.from_stats:
        _check_recorded_encoding(name, head, complete, encoding)


def _invalid_byte(
    name: str, head: bytes, offset: int, complete: bool, csv: CsvOptions
) -> InputError:
    """The refusal of the UTF-8 ``head`` whose byte at ``offset`` is not UTF-8, naming where it
    is as a byte further down is named: the column and data row (and line), where the head read
    with the byte replaced shows its dialect; else its line."""
    lines = io.StringIO(head[:offset].decode().removeprefix("\ufeff"), newline="").readlines()
    complete_lines = lines if not lines or lines[-1].endswith(("\n", "\r")) else lines[:-1]
    line = len(complete_lines) + 1
    try:
        found = sniffed_options(csv, name, head, complete)[1]
    except InputError:
        found = None
    where = _field_at(lines, line, found) if found is not None else None
    return invalid_utf8(f"{name}: {where or f'line {line:,}'}")


def _field_at(lines: list[str], line: int, found: Sniffed) -> str | None:
    """Where the end of ``lines`` (the text before a byte, on physical ``line``) is in a table
    of the dialect ``found``: ``column 'b' at data row 2 (line 3)``, or the header; None in the
    lines before the table or a comment line."""
    inside = line == len(lines)  # the byte goes on the last line (else it starts one)
    if line <= found.skip_rows or (
        inside and found.comment and lines[-1].startswith(found.comment)
    ):
        return None
    body = [
        text
        for text in lines[found.skip_rows :]
        if not (found.comment and text.startswith(found.comment))
    ]
    options = {"quotechar": found.quote} if found.quote else {"quoting": stdlib_csv.QUOTE_NONE}
    records = [r for r in stdlib_csv.reader(body, delimiter=found.delimiter, **options) if r]
    row = len(records) - found.header + (not inside)  # the record the byte is in
    if row < 1:
        return f"the header (line {line:,})" if found.header else None
    column = len(records[-1]) - 1 if inside else 0
    names = records[0] if found.header else []
    named = names[column] if column < len(names) else f"column_{column + 1}"
    return f"column {named!r} at data row {row:,} (line {line:,})"


def _check_recorded_encoding(name: str, head: bytes, complete: bool, encoding: str) -> None:
    """Refuses the input ``name`` read in the stat file's ``encoding``, a single-byte one, whose
    ``head`` (decoded from it) was UTF-8 with characters beyond ASCII: read in the fit's
    encoding, a later file's UTF-8 would be read as other characters, without an error."""
    text = head.decode("utf-8", errors="ignore")
    utf8 = misread_utf8(text, encoding, complete)
    if utf8 is not None:
        raise misread_error(name, utf8, encoding)


def _binary(head: bytes, complete: bool) -> bool:
    """Whether ``head`` is the start of binary data: compressed, or holding NUL bytes where
    text holds none or a stray one in a field (which is read as part of it): more than one
    byte in ten (UTF-16 or UTF-32 text without a byte-order mark; a file format's padding),
    after the signature of a format (Parquet, Arrow, zip) or beside bytes that are not UTF-8
    (images, databases)."""
    if compression_of(head):
        return True
    nuls = head.count(b"\x00")
    if not nuls:
        return False
    if nuls * 10 > len(head) or signed(head):
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 4 or complete  # (a cut character: see check_head)
    return False


def check_names(name: str, names: Sequence[str]) -> None:
    """Refuses the CSV input ``name`` whose header names a column with a NUL byte, which no
    column name holds (Arrow's are C strings); a NUL in a field is read as part of it."""
    for column in names:
        if "\x00" in column:
            raise InputError(
                f"{name}: the header names a column {column!r}, holding a NUL byte, which a "
                "column name cannot hold",
                hints=(
                    "remove the NUL byte from the file",
                    f"read the first line as a row ({param('csv.header', False)})",
                ),
            )
