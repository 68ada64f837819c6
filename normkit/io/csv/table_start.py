"""Where a CSV's table starts: a line above it that is the rows' header (one empty name too
many) or is refused (a title, or a header that does not fit the rows?), and the hints of the
lines to skip above it (a title block taken for its header, a header that names the columns
further down)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from ...errors import InputError, param
from .columns import (
    NUMBER,
    OTHER_DELIMITERS,
    THOUSANDS,
    decimal_column_hints,
    printable,
    split_hints,
)

__all__ = [
    "EMPTY_LAST",
    "ROW_NAMES",
    "header_hints",
    "header_shape",
    "line_fields",
    "skip_hints",
    "title_or_header",
]


#: A line above the table one field longer than its rows, the last empty (``id,temp,rain,``:
#: a separator after the last name): the rows' header, read without that empty name.
EMPTY_LAST = "empty last name"
#: A line above the table one field short of its rows of three or more (R's ``write.table``:
#: a header that leaves out the rows' names).
ROW_NAMES = "row names"


def line_fields(line: str, delimiter: str, quote: str | None) -> list[str]:
    """The fields of one ``line`` split by ``delimiter`` and ``quote`` (None: no quoting)."""
    options = {"quotechar": quote} if quote else {"quoting": csv.QUOTE_NONE}
    return next(csv.reader([line], delimiter=delimiter, **options), [])


def header_shape(
    before: Sequence[str], delimiter: str, quote: str | None, width: int
) -> tuple[str | None, list[str]]:
    """How the lines ``before`` the table (taken for a title) fit as the header of its rows of
    ``width`` fields: :data:`EMPTY_LAST`, :data:`ROW_NAMES` or None (not one line, or another
    field count); and that line's names (the empty last one left out)."""
    if len(before) != 1:
        return None, []
    names = line_fields(before[0].rstrip("\r\n"), delimiter, quote)
    if len(names) == width + 1 and not names[-1].strip():
        return EMPTY_LAST, names[:-1]
    # One name above two fields: as likely a line of another separator.
    return (ROW_NAMES if width >= 3 and len(names) == width - 1 else None), names


def title_or_header(
    lines: Sequence[str],
    before: Sequence[str],
    delimiter: str,
    quote: str | None,
    rows: list[list[str]],
    skip: int,
) -> InputError:
    """The refusal of the ``skip`` lines (``before``: those holding something) above a table
    (``rows``) that does not start with a header, in the head's ``lines``: a title above it, or
    a header that does not fit its rows? Each hint leads to a reading: the separator that splits
    every line evenly, the header edited to fit, or the lines skipped and the table read without
    a header."""
    width = len(rows[0])
    shape, _ = header_shape(before, delimiter, quote, width)
    it, them, are = ("it", "it", "is") if skip == 1 else ("they", "them", "are")
    fit = (
        "if the rows start with names the header leaves out (as R's write.table writes row "
        "names), add a name for them at the start of the header"
        if shape == ROW_NAMES
        else f"if it is the header, make it name each of the rows' {width} fields"
    )
    # Every line split evenly by another separator (one given otherwise): that one alone.
    text = "".join(lines).encode()
    separator = split_hints(text, delimiter, len(text) + 1, malformed=True)
    return InputError(
        f"the first {'line does' if skip == 1 else f'{skip} lines do'} not split as the "
        "rest: a title above a table without a header, or a header above rows that do not "
        "fit it",
        param="csv.skip_rows",
        hints=separator
        or (
            *([fit] if len(before) == 1 else []),
            f"if {it} {are} a title above a table without a header, skip {them} "
            f"({param('csv.skip_rows', skip)} {param('csv.header', False)})",
            *decimal_column_hints(delimiter, rows),
        ),
    )


def _holds_numbers(lines: list[str], delimiter: str, options: dict, number: re.Pattern) -> bool:
    """Whether any field of these lines is a number."""
    try:
        rows = csv.reader(io.StringIO("".join(lines), newline=""), delimiter=delimiter, **options)
        return any(number.fullmatch(field) for row in rows for field in row)
    except csv.Error:
        return True  # nothing a hint could rest on


def skip_hints(
    head: bytes, delimiter: str, quote: str | None, line: int, numbers: str | None = None
) -> tuple[str, ...]:
    """For a record of the wrong field count at ``line`` (1-based), near the top of a file
    whose first bytes are ``head``: the lines to skip after which every line of the head splits
    into as many fields (two or more), if there are such lines before it (a title block whose
    first line split like the table was taken for the header). With ``numbers``, the value at
    ``line`` that is not a number (the real header, or a title line, read as data; not a number
    as people write them, ``2,5``, which is no name), the first record below that header must
    hold a number too, and no line read as data above ``line`` any (a title block holds none;
    rows of data do)."""
    lines = head.decode("utf-8", errors="replace").removeprefix("\ufeff").splitlines(True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines.pop()  # the head may cut the last line
    options = {"quotechar": quote} if quote else {"quoting": csv.QUOTE_NONE}
    number = re.compile(NUMBER.format(point=r"[.,]"), re.ASCII | re.IGNORECASE)
    if numbers is not None and (number.fullmatch(numbers) or re.fullmatch(THOUSANDS, numbers)):
        return ()
    for skip in range(1, 12 if line <= 12 else 1):
        text = io.StringIO("".join(lines[skip:]), newline="")
        try:
            rows = [r for r in csv.reader(text, delimiter=delimiter, **options) if r]
        except csv.Error:  # nothing a hint could rest on
            return ()
        counts = {len(r) for r in rows}
        # The bad line among those skipped, and a header (no number in it) below them.
        header = rows[0] if rows else []
        if skip < line - 1 or any(number.fullmatch(field) for field in header):
            continue
        below = rows[1] if len(rows) > 1 else []
        if numbers is not None and not any(number.fullmatch(f) for f in below):
            continue
        if numbers is not None and _holds_numbers(lines[1 : line - 1], delimiter, options, number):
            return ()  # rows of data read above it: the table starts at the top
        # Names in every field of the line above (no title's ``Sales,,``): a header, and this
        # a row of units under it, which skipping the header would make the names? Both said.
        units = (
            numbers is not None and line == 2 and _full_names(lines[0], delimiter, options, number)
        )
        if len(rows) > 1 and len(counts) == 1 and counts.pop() > 1:
            above, them = (
                (f"the {skip} lines above", "them") if skip > 1 else ("the line above", "it")
            )
            are = "are" if skip > 1 else "is"
            return (
                f"if {above} the table {are} not part of it, skip {them} "
                f"({param('csv.skip_rows', skip)})",
                *(["if data row 1 is no data (units, notes under the header), remove it"] * units),
            )
    return ()


def _full_names(line: str, delimiter: str, options: dict, number: re.Pattern) -> bool:
    """Whether ``line`` splits into fields none empty nor a number (names, not a title)."""
    fields = next(csv.reader([line], delimiter=delimiter, **options), [])
    return len(fields) > 1 and all(f.strip() and not number.fullmatch(f) for f in fields)


def header_hints(
    head: bytes, delimiter: str, quote: str | None, names: Sequence[str], skipped: int = 0
) -> tuple[str, ...]:
    """For a CSV whose header lacks the columns ``names``, read from its first bytes ``head``
    after ``skipped`` lines: the lines to skip above another line of the head (among the first
    12) that names them all, if one does (a title block above the table, which was taken for the
    header; or lines skipped, as a stat file recorded, from a file without them)."""
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    options = {"quotechar": quote} if quote else {"quoting": csv.QUOTE_NONE}
    wanted = set(names)
    try:
        for skip, fields in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, **options)
        ):
            if skip >= 12:
                break
            if skip == skipped or not wanted <= set(fields):
                continue
            if skip < skipped:
                lines = f"{skipped} lines" if skipped > 1 else "1 line"
                return (
                    f"line {skip + 1} names them, above the {lines} skipped "
                    f"({param('csv.skip_rows', skipped)}, given or recorded in the stat file): "
                    f"read the table from there ({param('csv.skip_rows', skip)})",
                )
            above, them = (
                (f"the {skip} lines above", "them") if skip > 1 else ("the line above", "it")
            )
            return (
                f"line {skip + 1} names them: if {above} it {'are' if skip > 1 else 'is'} "
                f"not part of the table, skip {them} ({param('csv.skip_rows', skip)})",
            )
    except csv.Error:  # nothing a hint could rest on
        return ()
    others = _other_separator_hints(text, delimiter, options, wanted)
    return others or _data_header_hints(text, delimiter, options, skipped)


def _data_header_hints(text: str, delimiter: str, options: dict, skipped: int) -> tuple[str, ...]:
    """For a CSV whose header (line ``skipped`` of ``text``) names no column the statistics
    have and is all numbers: data, its header line cut off (``tail -n +2`` of a file, a file
    of a later part)."""
    number = re.compile(NUMBER.format(point=r"[.,]"), re.ASCII | re.IGNORECASE)
    try:
        lines = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, **options)
        first = next((f for i, f in enumerate(lines) if i == skipped), None)
    except csv.Error:
        return ()
    if not first or not all(number.fullmatch(field) for field in first):
        return ()
    shown = delimiter.join(first) if len(first) <= 6 else delimiter.join(first[:6]) + "..."
    return (
        f"its first line ({printable(shown)}) reads as data, not names: was its header cut off "
        "(tail -n +2)? give the input the header line the fit's data had",
    )


def _other_separator_hints(
    text: str, delimiter: str, options: dict, wanted: set[str]
) -> tuple[str, ...]:
    """The separator other than ``delimiter`` with which a line of ``text`` (among the first
    12) names all the columns ``wanted`` (a later file written with ';', read with the ','
    its stat file's fit read with), as a hint; none if no separator does."""
    for candidate in OTHER_DELIMITERS:
        if candidate == delimiter:
            continue
        try:
            lines = csv.reader(io.StringIO(text, newline=""), delimiter=candidate, **options)
            found = next(
                (i for i, fields in enumerate(lines) if i < 12 and wanted <= set(fields)), None
            )
        except csv.Error:
            continue
        if found is not None:
            shown = "'\\t'" if candidate == "\t" else repr(candidate)
            skip = f" after {param('csv.skip_rows', found)}" if found else ""
            return (
                f"line {found + 1} names them if split by {shown}, not {delimiter!r} (the "
                f"separator given or recorded in the stat file): give the separator "
                f"({param('csv.delimiter', candidate)}){skip}",
            )
    return ()


#: A number with a fraction after ``{point}`` and no thousands separator (``0,5``, ``-1.25e3``).
