"""How the columns of a CSV are typed from its first block, and the hints for a file that is
read wrongly: a separator that would split it, numbers written with another decimal separator
or with thousands separators."""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Sequence

import pyarrow as pa

from ...errors import InputError, param, quoted
from .engine import RecordError

__all__ = [
    "NUMBER",
    "OTHER_DELIMITERS",
    "PADDED",
    "PANDAS_MISSING",
    "PLACEHOLDER",
    "ROW_BLOCKS",
    "SPACE",
    "THOUSANDS",
    "WRITTEN_NUMBER",
    "comment_hints",
    "comment_or_row",
    "currency_hints",
    "decimal_column_hints",
    "decimal_comma_signs",
    "exclude_hint",
    "larger_blocks",
    "leave_out_hint",
    "longest_row",
    "malformed_record",
    "missing_marker_hints",
    "null_values_hint",
    "number_hints",
    "printable",
    "quoted_decimal_commas",
    "record_hints",
    "row_too_long",
    "second_header_hints",
    "shown_names",
    "size_text",
    "space_hints",
    "split_hints",
    "splitting_separator",
    "trailing_separator_hints",
    "typed_by_majority",
    "typed_value_error",
    "value_hints",
]

#: The spaces around a value that its typing ignores (pyarrow trims spaces and tabs; these
#: patterns, whole-value matches of Python's ``re``, take the ASCII white space but ``\v``).
SPACE = r"[\t\n\f\r ]"

#: A number as pyarrow's float parser reads one (spaces around it allowed; inf, infinity and nan
#: in any case; ``{point}`` the decimal separator): what decides whether a text value counts as a
#: number when columns are typed.
NUMBER = rf"{SPACE}*[+-]?(?:(?:\d+{{point}}?\d*|{{point}}\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan){SPACE}*"

#: Numbers as people write them (``1,000``, ``1.234,5``, ``1'000``, ``0,5``, and ``1.5`` where
#: the decimal separator is a comma): not numbers to the parser, but they count as numbers when
#: a column is typed, so that the column stops a fit at the first of them with a hint, instead
#: of passing through as text. Thousands are grouped by one separator and a fraction follows
#: another (``14.102.188.68``, an IP address, is no number); a no-break space (U+00A0, U+202F)
#: groups them as French and Swiss spreadsheets write them (``1 234,5``), and so does a space
#: before a fraction (a space alone, ``555 123 456``, is a phone number's).
_GROUPED = (
    r"\d{1,3}(?:(?:,\d{3})+(?:\.\d+)?|(?:\.\d{3})+(?:,\d+)?|(?:'\d{3})+(?:[.,]\d+)?"
    r"|(?:[\u00a0\u202f]\d{3})+(?:[.,]\d+)?|(?: \d{3})+[.,]\d+)"
)
WRITTEN_NUMBER = rf"{SPACE}*[+-]?(?:{_GROUPED}|\d*[.,]\d+(?:[eE][+-]?\d+)?){SPACE}*"

#: A placeholder of a missing value that is not in the missing-value list (``?``, ``-``, ``*``):
#: no letter or digit of any script (``\w`` of Unicode: an ASCII-only class took ``東京`` and
#: ``Москва`` for placeholders and their column for numbers). A column of nothing else in its
#: first block, a few different ones (fewer than :data:`TEXT_VALUES`), is a column whose values
#: are yet to come, typed as numbers like a column with no
#: value there: its first placeholder then stops a fit with a hint, rather than the column
#: passing through as text. The replacement character (U+FFFD) is none: it stands for bytes
#: that were not text in their encoding, not for a missing value.
PLACEHOLDER = rf"{SPACE}*[^\w\t\n\f\r \ufffd]+{SPACE}*"

#: The strings pandas' ``read_csv`` reads as missing by default: a column of numbers and
#: these only, however many (``n/a`` in two rows of three), is numbers to pandas and text to
#: DuckDB. So, like a placeholder, it is a column of numbers whose first such string stops a fit
#: with a hint (add it to the missing-value strings), not a column of text passed through
#: without a word. (``none``, ``missing``: text to both.)
PANDAS_MISSING = frozenset(
    [
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    ]
)

#: Other field separators a file that reads as one column is checked for (``\x01``: Hive's).
OTHER_DELIMITERS = (",", "\t", ";", "|", "\x01")

THOUSANDS = rf"\s*[+-]?{_GROUPED}\s*"


#: Different values, neither numbers nor placeholders, that make a column of mostly numbers
#: text: codes (``A/5 21171``, ``PC 17599`` among ``113803``) or names beside numeric ones. The
#: tokens a column of numbers is refused for are few different ones, however often they recur
#: (``T``, ``n/a``, ``#DIV/0!``, ``\N``).
TEXT_VALUES = 10

#: And the share of its values they must be at least (Titanic's tickets: a quarter): a
#: spreadsheet's error values (``#DIV/0!``, ``#REF!``, ``#N/A``...) scattered in a column of
#: prices are many different words, but rare ones, which stop a fit with their row.
TEXT_SHARE = 0.05


@functools.cache
def _value_patterns(decimal_point: str) -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """The patterns :func:`typed_by_majority` reads a text column's values with (a number, a
    number as people write it, a placeholder), compiled once a text column is met: 2 ms of a
    fit's start-up otherwise."""
    number = re.compile(NUMBER.format(point=re.escape(decimal_point)), re.ASCII | re.IGNORECASE)
    return number, re.compile(WRITTEN_NUMBER, re.ASCII), re.compile(PLACEHOLDER)


def typed_by_majority(
    schema: pa.Schema,
    first: pa.RecordBatch | None,
    decimal_point: str = ".",
    nulls: Sequence[str] = (),
) -> pa.Schema:
    """The first block's types, but a text column whose values there are mostly numbers, or
    only numbers and placeholders (:data:`PLACEHOLDER`, :data:`PANDAS_MISSING`), is a column of numbers (float64): a
    few tokens that are not numbers (``?``, ``#N/A``, ``1,000``) then stop a fit with their row
    and value wherever they stand, rather than turning the column into text when they happen to
    be in the first block. Mostly numbers beside :data:`TEXT_VALUES` different words or more,
    at least :data:`TEXT_SHARE` of the values, are a column of text (ticket numbers, product
    codes): no token stands out there. So are
    :data:`TEXT_VALUES` different placeholders or more (symbols, emoji: ``✅``, ``⚠️``, ``❌``):
    marks of a missing value are few.

    Text columns hold missing values as written: the strings of ``nulls`` are no value there
    (NA beside numbers and one ``-`` is no word that makes the column text). ``first``: the
    first block's batch, or its columns other than float64 (:func:`.native.first_types`).
    """
    if first is None or not first.num_rows:
        return schema
    missing = set(nulls)
    at = {name: i for i, name in enumerate(first.schema.names)}
    for i, field in enumerate(schema):
        if field.name not in at:  # float64 there: its values are not made
            continue
        values = first.column(at[field.name])
        if not pa.types.is_string(values.type):  # typed as pyarrow types, or text kept as text
            continue
        present = [v for v in values.to_pylist() if v is not None and v not in missing]
        if not present:
            continue
        number, written, placeholder = _value_patterns(decimal_point)
        numbers, placeholders, spelled, words, marks = 0, 0, 0, set(), set()
        for v in present:
            if number.fullmatch(v) or written.fullmatch(v):
                numbers += 1
            elif placeholder.fullmatch(v):
                placeholders += 1
                if len(marks) < TEXT_VALUES:
                    marks.add(v.strip())
            else:
                spelled += v.strip() in PANDAS_MISSING  # a word, but of a missing value
                if len(words) < TEXT_VALUES:
                    words.add(v)
        wordy = len(words) >= TEXT_VALUES
        wordy = wordy and len(present) - numbers - placeholders >= TEXT_SHARE * len(present)
        mostly = numbers and 2 * numbers > len(present) and not wordy
        marked = numbers + placeholders + spelled == len(present) and len(marks) < TEXT_VALUES
        marked = marked and (numbers > 0 or not spelled)  # "NULL" in every row: text
        if mostly or marked:
            schema = schema.set(i, field.with_type(pa.float64()))
    return schema


#: An integer written with a leading zero (``007``).
PADDED = re.compile(rf"{SPACE}*[+-]?0[0-9]")


def typed_value_error(
    where: str, value: str, dtype, told: str, plain: bool, column: str = ""
) -> InputError:
    """The error of ``value`` at ``where`` in a CSV column (``column``) passed through as
    ``dtype``, as ``told`` (the values before it are, other inputs have it); ``plain``: an
    integer column that refuses a leading zero (:func:`padded_as_text`)."""
    what = f"not {dtype}, as the {told}"
    if plain and PADDED.match(value) and value.strip(" \t").lstrip("+-").isdigit():
        what = (
            "written with a leading zero, which an int64 would drop, and the values before it "
            "have none (a code rather than a number)"
        )
    return InputError(
        f"{where}: {quoted(value)} is {what}",
        hints=second_header_hints(value, column)
        or (f"keep the columns passed through as text ({param('keep_text', True)})",),
    )


def comment_hints(line: str, comment: str | None) -> tuple[str, ...]:
    """For a line starting with ``#`` that is read as a record (does not split as the table,
    or holds text where a number is due), in a file read without comment lines."""
    if comment or not line.startswith("#"):
        return ()
    if line.strip() in PANDAS_MISSING:  # #N/A alone: a row of missing values, not a comment
        return (
            f"{quoted(line.strip())} alone on its line is a row of missing values to pandas, "
            "not a comment: write a field for every column, or remove the line",
        )
    return (f"if lines starting with '#' are comments, skip them ({param('csv.comment', '#')})",)


def missing_marker_hints(value: str, exclude: str) -> tuple[str, ...]:
    """For a value that is not a number but a string pandas reads as missing
    (:data:`PANDAS_MISSING`: ``#N/A``, Excel's), read it so, or ``exclude`` (the way to leave
    its column out); never as a comment: ``#N/A`` skipped as a comment line drops its row, and
    ``1.#QNAN`` cut after its ``#`` is ``1``. Empty for any other value."""
    if value not in PANDAS_MISSING:
        return ()
    return (f"read it as missing, as pandas does ({param('csv.null_values', value)})", exclude)


def second_header_hints(value: str, column: str) -> tuple[str, ...]:
    """For a value that is not a number and is its own column's name: a second header line,
    as files joined with ``cat`` have, not a missing-value string. Empty for any other value."""
    if value.strip() != column.strip():
        return ()
    return (
        "it looks like a second header line (files joined with cat? drop the later files' "
        "header lines: tail -n +2 FILE)",
    )


#: A number written with a currency sign before or after it (``$1.50``, ``-$3``, ``1,50 €``,
#: ``USD 12``): the sign, and the number as people write it.
#: Matched with ``re.fullmatch``, compiled on an error's first hint (1.5 ms of start-up).
_CURRENCY = (
    rf"\s*[+-]?\s*(?P<before>[$€£¥₹]|[A-Z]{{3}}\s)?\s*[+-]?(?P<number>{_GROUPED}|\d*[.,]?\d+)"
    r"\s*(?P<after>[$€£¥₹]|\s[A-Z]{3})?\s*"
)


def currency_hints(value: str) -> tuple[str, ...]:
    """For a value that is not a number but one with a currency sign (``$1.50``): normkit reads
    plain numbers (and no thousands separators), not a missing-value string. Empty for any other
    value."""
    match = re.fullmatch(_CURRENCY, value)
    if match is None or bool(match["before"]) == bool(match["after"]):
        return ()
    grouped = re.fullmatch(_GROUPED, match["number"]) is not None
    return (
        "it is a number with a currency sign, and normkit reads plain numbers: write the "
        f"numbers without it{' and without thousands separators' if grouped else ''} "
        "(a column of prices as 1.50)",
    )


def value_hints(value: str, column: str, exclude: str) -> tuple[str, ...]:
    """Ways out for ``value``, no number, in column ``column``, that say what it is: a missing
    value's marker, a second header line, a number with a currency sign. Empty for others."""
    return (
        missing_marker_hints(value, exclude)
        or second_header_hints(value, column)
        or currency_hints(value)
    )


def null_values_hint(value: str, undecided: bool) -> str:
    """The last way out for ``value``, no number, in a column of numbers: read it as missing.
    But where the column was empty in the first block (``undecided``), where nothing let its
    first word type it (the Dask engine's parts), a missing-value word it is not, likely."""
    if "\x00" in value:  # no command line holds a NUL
        return "remove the NUL byte from the file"
    if undecided:
        return (
            "fit it with the local engine, which types a column empty in its first rows by its "
            "first value (--engine local)"
        )
    return f"add the string to {param('csv.null_values')}"


def header_row_hints(row: int, header: bool | None, recorded: bool) -> tuple[str, ...]:
    """For text where a number is due in the first data row of a CSV read without a header:
    it may be a header, which the fit's data had not (``recorded``: as its stat file says), or
    which ``--no-header`` given denies."""
    if row != 1 or header is not False:
        return ()
    if not recorded:
        return (
            f"if the first row names the columns, read it as a header ({param('csv.header', True)})",
        )
    return (
        "if the first row names the columns, fit on data with that header (the fit's had none)",
    )


def after_value_comment_hints(value: str, comment: str | None, cut: bool) -> tuple[str, ...]:
    """For a value that is not a number and holds the comment character after its start
    (``2 # note``; ``#`` where none is read with, no comment line having been found), where
    comments after values are not cut (``cut``): saying they are comments cuts them."""
    mark = comment or "#"
    if cut or mark not in value[1:]:
        return ()
    return (
        f"if {mark!r} starts a comment after values, cut them ({param('csv.inline_comments')})",
    )


def malformed_record(name: str, row: int, line: int, expected: int, got: int, value: str) -> str:
    """The message of a record of ``got`` fields where the header has ``expected``: at its data
    row and line (``row`` 0: the header, its line only)."""
    at = f"data row {row:,} (line {line:,})" if row else f"line {line:,}"
    fields = f"field{'' if expected == 1 else 's'}"
    return f"{name} at {at}: malformed CSV: expected {expected} {fields}, got {got}: {printable(value)}"


def trailing_separator_hints(
    error: RecordError, delimiter: str, rows_end_with_it: bool
) -> tuple[str, ...]:
    """For a record of more or fewer fields than the header's (``error``): one more, the last
    empty, where it ends with the separator the header does not end with; one fewer, where it
    does not end with it and the first rows did (``rows_end_with_it``: read as an extra, empty
    column). A trailing separator on some rows only, in either case."""
    expected, got = error.expected, error.got
    ends = error.value.rstrip("\r\n").endswith(delimiter)
    if got == expected + 1 and ends and not rows_end_with_it:
        return (
            f"the record ends with the separator {delimiter!r}, the header does not: a "
            "trailing separator on some rows only; remove it from those rows",
        )
    if got == expected - 1 and not ends and rows_end_with_it:
        return (
            f"the first rows end with the separator {delimiter!r} (an empty last column), this "
            "one does not: a trailing separator on some rows only; end every row with it, or none",
        )
    return ()


def record_hints(
    record: str, comment: str | None, quote: str | None, delimiter: str
) -> tuple[str, ...]:
    """For a record that does not split as the table: where it starts with ``#`` in a file
    read without comment lines, they may be comments (:func:`comment_hints`); where a field of
    it starts with ``"`` and another quote (or none) is read with, ``"`` may quote fields; one of
    white space only (or a DOS end-of-file mark) is to be removed."""
    if found := comment_hints(record, comment):
        return found
    if record and not record.strip(" \t\x1a"):  # empty lines are skipped, these are not
        what = "a DOS end-of-file mark (Ctrl-Z)" if "\x1a" in record else "only white space"
        return (f"the line holds {what}, no record: remove it",)
    if quote != '"' and (record.startswith('"') or f'{delimiter}"' in record):
        return (f"if '\"' quotes fields, read with it ({param('csv.quote', chr(34))})",)
    return ()


#: The longest CSV row read, in blocks (``--csv-block-size``): memory stays a few blocks.
ROW_BLOCKS = 4


def row_too_long(name: str, line: int | None, block_size: int) -> InputError:
    """The refusal of a CSV row (starting on ``line``, where known) longer than the reading of
    ``block_size`` bytes at a time allows."""
    return InputError(
        f"{name}{f' at line {line:,}' if line else ''}: a CSV row is longer than the block size "
        f"allows (rows of up to {ROW_BLOCKS} blocks, {longest_row(block_size)}, are read)",
        hints=(f"read it with {larger_blocks(block_size)}",),
    )


def longest_row(block_size: int) -> str:
    """The longest row read (:data:`ROW_BLOCKS` blocks), as text (``4 MiB``)."""
    return size_text(ROW_BLOCKS * block_size)


def size_text(size: int) -> str:
    """A size in bytes as a message says it: ``4 MiB``, ``1.5 MiB``, ``64 KiB``."""
    if size >= 1 << 20:
        return f"{size / 2**20:.3g} MiB"
    return f"{size / 2**10:.3g} KiB"


def larger_blocks(block_size: int) -> str:
    """The option that reads longer rows, and a value of it."""
    return f"a larger {param('csv.block_size')} (for instance {ROW_BLOCKS * block_size // 2**20 or 4}M)"


def comment_or_row(mark: str, line: int, text: str | None = None) -> InputError:
    """The refusal of a line that starts with the comment character ``mark``, found in the
    file rather than given, and reads as a row of the table (``#tag,12``): skipped, it would
    drop a row; read, the comments would be rows. ``text``: the line, where it is not in the
    file's first lines."""
    shown = f" ({printable(text)})" if text is not None else ""
    return InputError(
        f"lines starting with {mark!r} are comments, but line {line:,}{shown} splits as a row "
        "of the table: comment or data?",
        param="csv.comment",
        hints=(
            f"skip them ({param('csv.comment', mark)})",
            f"read them as rows ({param('csv.comment', '')})",
        ),
    )


def split_hints(
    head: bytes,
    used: str,
    head_bytes: int,
    malformed: bool = False,
    among: tuple[str, str] | None = None,
) -> tuple[str, ...]:
    """For a file that reads as one column, or is ``malformed``, with the separator ``used``:
    the separator that would split its first records into as many fields each, if one does.
    ``head`` is its first bytes (``head_bytes`` of them, unless the file is shorter). ``among``:
    the file is one of a set, read with ``used`` as the others are or as its own head told (its
    name, and where ``used`` comes from); giving the separator would read them all with it."""
    candidate = splitting_separator(head, used, head_bytes)
    if candidate is not None:
        fields = len(_head_records(head, head_bytes, candidate)[0])
        shown = "'\\t'" if candidate == "\t" else repr(candidate)
        seen = f"{used!r} does not split it evenly" if malformed else "it reads as one column"
        way = f"give the separator ({param('csv.delimiter', candidate)})"
        if among is not None:
            seen = f"{among[0]} reads as one column with {used!r} ({among[1]})"
            way = f"read it on its own ({param('csv.delimiter', candidate)}) or write it with {used!r}"
        return (f"{seen}, but {shown} would split it into {fields}: {way}",)
    return space_hints(_head_lines(head, head_bytes)) if used != " " else ()


def splitting_separator(head: bytes, used: str, head_bytes: int) -> str | None:
    """The separator other than ``used`` (of :data:`OTHER_DELIMITERS`) that splits every one
    of the first records of ``head`` into as many fields, two or more (a separator inside
    double quotes, as in ``"Oslo, Norway"``, is text); None if none does."""
    for candidate in OTHER_DELIMITERS:
        if candidate == used:
            continue
        counts = {len(r) for r in _head_records(head, head_bytes, candidate) if r}
        if len(counts) == 1 and counts.pop() > 1:
            return candidate
    return None


def _head_records(head: bytes, head_bytes: int, delimiter: str) -> list[list[str]]:
    """The first 20 records of ``head`` split by ``delimiter`` (the last left out where the
    head may cut it); none if they cannot be split so."""
    lines = _head_lines(head, head_bytes)
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return []


def _head_lines(head: bytes, head_bytes: int) -> list[str]:
    lines = head.decode("utf-8", errors="replace").splitlines()[:20]
    if len(lines) > 1 and not head.endswith((b"\n", b"\r")) and len(head) >= head_bytes:
        lines = lines[:-1]  # the last line may be cut
    return lines


def space_hints(lines: Sequence[str]) -> tuple[str, ...]:
    """For ``lines`` whose fields are separated by spaces (numbers among them below the
    first line, so that words of a text column are not taken for fields): a space as the
    separator where one space separates them, and what to do where runs of spaces align them
    (no separator reads a run as one)."""
    lines = [line for line in lines if line.strip(" ")]
    rows = [line.split() for line in lines]
    if len(rows) < 2 or len({len(r) for r in rows}) != 1 or len(rows[0]) < 2:
        return ()
    number = re.compile(NUMBER.format(point=r"[.,]"), re.ASCII | re.IGNORECASE)
    if not any(number.fullmatch(field) for row in rows[1:] for field in row):
        return ()
    fields = len(rows[0])
    if all(line.count(" ") == fields - 1 and line.strip(" ") == line for line in lines):
        return (
            f"it reads as one column, but ' ' would split it into {fields}: give the "
            f"separator ({param('csv.delimiter', ' ')})",
        )
    return (
        f"its {fields} columns are aligned with runs of spaces, which no separator reads as "
        "one: make each run one separator (such as with tr -s ' ') and give it "
        f"({param('csv.delimiter', ' ')})",
    )


_DECIMAL = r"\s*[+-]?\d*{point}\d+(?:[eE][+-]?\d+)?\s*"


def quoted_decimal_commas(head: bytes | str, quote: str | None) -> bool:
    """Whether a comma-separated head holds a quoted number with a decimal comma (``"1,5"``),
    as files with decimal commas and comma separators write them; not one that groups
    thousands (``"1,250"``), as files with decimal points quote theirs."""
    if not quote:
        return False
    q = re.escape(quote)
    number = _DECIMAL.format(point=",")
    found = rf"(?m)(?:^|,) *{q}({number}){q} *(?=,|\r|\n|$)"
    text = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    return any(not re.fullmatch(THOUSANDS, m.group(1)) for m in re.finditer(found, text))


def decimal_comma_signs(head: bytes, quote: str | None, given: bool) -> tuple[bool, bool]:
    """For a comma given as the decimal separator of a comma-separated file: whether its
    decimal commas are read in quoted fields (the comma ``given`` as the field separator, or
    :func:`quoted_decimal_commas` in the ``head``), and whether the head holds quotes at all."""
    seen = quote is not None and quote.encode() in head
    return given or quoted_decimal_commas(head, quote), seen


def number_hints(text: str, decimal_point: str, delimiter: str) -> tuple[str, ...]:
    """What would read ``text``, a value that is not a number to the parser, if it is a number
    as people write them (``0,5``, ``1,000``, ``1.234,5``); a decimal comma in a comma-separated
    file (quoted there) with the comma given as the separator, which then reads it wherever
    the first quoted one stands."""
    other = "," if decimal_point == "." else "."
    hints = []
    decimal = re.fullmatch(_DECIMAL.format(point=re.escape(other)), text)
    thousands = re.fullmatch(THOUSANDS, text)
    # Quoted in a comma-separated file, "1,250" is thousands far more often than decimals.
    if decimal and (other != delimiter or (other == "," and not thousands)):
        given = f" {param('csv.delimiter', ',')}" if other == delimiter else ""
        hints.append(
            f"read {other!r} as the decimal separator ({param('csv.decimal', other)}{given})"
        )
    if thousands:
        # First where it groups thousands (1,000): read as decimals, it would be 1.
        hints.insert(0, "write the numbers without thousands separators (none are read)")
    if "\ufffd" in text:  # a byte that is no UTF-8, as shown (or the replacement character)
        hints.append(
            f"if the file is not UTF-8, name its encoding ({param('csv.encoding', 'latin-1')})"
        )
    return tuple(hints)


def decimal_column_hints(delimiter: str, rows: list[list[str]]) -> tuple[str, ...]:
    """For rows that a comma splits into two runs of digits each (``1,5``): one column of
    numbers with decimal commas is as likely as two columns of integers."""
    halves = re.compile(_DECIMAL.format(point=","), re.ASCII)
    if delimiter != "," or not all(len(r) == 2 and halves.fullmatch(",".join(r)) for r in rows):
        return ()
    both = f"{param('csv.delimiter', ';')} {param('csv.decimal', ',')}"
    return (f"read it as one column of numbers with decimal commas ({both})",)


def printable(text: str) -> str:
    """``text`` with control characters escaped (a form feed or a line break in a record would
    break the one-line message)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shown_names(names: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def exclude_hint(column: str, inferred: pa.Schema | None) -> str:
    """The way out for a value of ``column`` that is not a number: leave the column out. One
    whose first rows were not numbers (``inferred``: the types read from the first rows) was
    chosen by name, so that is where to leave it out; excluding it would contradict the
    choice."""
    if inferred is not None and column in inferred.names:
        dtype = inferred.field(column).type
        # Columns empty in the first rows (null) are fitted by default, as numbers are.
        numeric = pa.types.is_integer(dtype) or pa.types.is_floating(dtype)
        if not (numeric or pa.types.is_null(dtype)):
            return f"its first rows are text: {leave_out_hint()}"
    return f"exclude the column ({param('exclude', column)})"


def leave_out_hint(why: str = "", them: bool = False) -> str:
    """The way out for a column chosen by name that cannot be read (``them``: columns): leave
    it out of the choice."""
    return f"leave {'them' if them else 'it'} out of the columns chosen ({param('columns')}){why}"
