"""How one candidate dialect (separator, quote, escape, comment lines) splits a CSV's head into
records, where its table starts, and which candidate wins: the separator rules of
:mod:`normkit.io.csv.sniff`."""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from ...errors import InputError, param
from .columns import quoted_decimal_commas
from .escapes import escape_decided, records
from .quotes import outside_quotes

__all__ = [
    "DELIMITERS",
    "SEPARATOR_NAMES",
    "Split",
    "choose",
    "fit_table",
    "present",
    "split_records",
    "without",
]

#: The field separators sniffed, in the order a harmless tie is settled by.
DELIMITERS = (",", ";", "\t", "|")
#: How a summary and a message name each separator.
SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


@dataclass
class Split:
    """How one (delimiter, quote, comment) candidate splits the head."""

    delimiter: str
    quote: str | None
    comment: str | None
    starts: list[int]  # the physical line each record starts on
    rows: list[list[str]]  # the records' fields
    fields: int = 1  # the table's field count
    start: int = 0  # index in rows of the table's first record
    spans: list[int] = field(default_factory=list)  # the physical lines each record spans
    ragged: bool = False  # a header of one field fewer above rows ending with a separator
    matched: int = 0  # records of the table with that field count
    covered: int = 0  # physical lines those records span: the score, fair to candidates that
    # read line breaks inside quotes differently and so count other records
    escape: str | None = None  # the character escaping quotes inside quoted fields
    runs_on: list[list[str]] = field(default_factory=list)  # fields going on after the quote

    @property
    def consistent(self) -> bool:
        return self.matched == len(self.rows) - self.start

    @property
    def skip_rows(self) -> int:
        return self.starts[self.start] if self.rows else 0


def present(text: str, quote: str | None, decimal_comma: str | None = None) -> list[str]:
    """The separators that occur outside quoted fields: one found only inside them (``"a;b"``
    in a comma file) would split quoted text. With ``decimal_comma`` (the first line), a comma
    given as the decimal separator is one only where it splits that line too, or where quoted
    fields hold decimal commas (``"1,5"``: the commas outside them separate, a title above);
    where it splits that line, another separator may still win (:func:`_cutting_numbers`)."""
    found = list(filter(outside_quotes(text, quote).__contains__, DELIMITERS))  # once
    if (
        decimal_comma is not None
        and "," not in outside_quotes(decimal_comma, quote)
        and not quoted_decimal_commas(text, quote)
    ):
        found = [d for d in found if d != ","] or [";"]
    return found or [DELIMITERS[0]]


def _cutting_numbers(split: Split, splits: list[Split], head: str) -> bool:
    """Whether ``split``, by ',' in a ``head`` whose decimal separator is a comma, cuts its
    numbers: another of ``splits`` splits every record evenly into two fields or more, over as
    many lines (``53,46;58,22`` is two numbers, not ``53``, ``46;58`` and ``22``). Not where
    quoted fields hold decimal commas (``"1,5"``), as comma-separated files write them (the
    first line's rule: :func:`present`)."""
    if split.delimiter != "," or quoted_decimal_commas(head, split.quote):
        return False
    even = [s.covered for s in splits if s.delimiter != "," and s.fields > 1 and s.consistent]
    return max(even, default=0) >= split.covered


def without(split: Split, prefix: str | None, lines: list[str]) -> Split:
    """A copy of ``split`` without the records starting on a line that starts with ``prefix``:
    comments are dropped line by line, as readers drop them."""
    if not prefix:
        return replace(split)
    keep = [k for k, i in enumerate(split.starts) if not lines[i].startswith(prefix)]
    return replace(
        split,
        comment=prefix,
        starts=[split.starts[k] for k in keep],
        rows=[split.rows[k] for k in keep],
        spans=[split.spans[k] for k in keep],
        runs_on=[split.runs_on[k] for k in keep],
    )


def split_records(
    numbers: list[int],
    lines: list[str],
    delimiter: str,
    quote: str | None,
    cut: bool,
    escape: str | None = None,
    exact: bool = False,
) -> Split:
    """The records of ``lines`` (physical lines ``numbers``) split by one candidate: by
    :mod:`csv`, or ``exact`` (with an escape given or tried) as the engine splits them
    (:func:`.records`: :mod:`csv` takes an escape outside quotes too, and counts no field going
    on after its closing quote)."""
    rows, starts, runs_on = [], [], []
    if quote and exact:
        for record in records(lines, delimiter, quote, escape):
            rows.append(record.fields)
            starts.append(numbers[record.line])
            runs_on.append(record.runs_on)
        cut = cut and bool(rows) and record.open
    else:
        options = {"quotechar": quote} if quote else {"quoting": csv.QUOTE_NONE}
        # Spaces before a quote are no text (`1, "Hi, Mom!"`), as the engine reads them.
        options["skipinitialspace"] = bool(quote) and delimiter != " "
        reader = csv.reader(lines, delimiter=delimiter, strict=False, **options)
        before = 0
        for row in reader:  # a record may span lines: note the one it starts on
            rows.append(row)
            starts.append(numbers[before])
            runs_on.append([])
            before = reader.line_num
    # Blank lines are skipped, by readers as by DuckDB; where the head ends inside a quoted
    # field, its last record is cut.
    last = len(rows) - 1 if cut else len(rows)
    kept = [i for i, row in enumerate(rows) if (len(row) > 1 or (row and row[0])) and i != last]
    ends = [*starts[1:], numbers[-1] + 1] if numbers else []
    split = Split(delimiter, quote, None, [starts[i] for i in kept], [rows[i] for i in kept])
    split.escape = escape
    split.spans = [ends[i] - starts[i] for i in kept]
    split.runs_on = [runs_on[i] for i in kept]
    return split


def fit_table(split: Split) -> Split:
    """``split`` with its table found: its field count, and where it starts."""
    if not split.rows:
        return split
    counts = [len(row) for row in split.rows]
    # The table's field count is the commonest one (the larger on a tie); it starts at its first
    # record with that count: what comes before, of other field counts, is a title or a
    # preamble. A record of another count after that is no preamble but a malformed record,
    # which the reading names (skipping to a later run of records would drop the header).
    # A table needs two records of its count to tell it from a malformed one.
    tally = Counter(counts)
    for k in list(tally):
        # A header above rows that end with a separator counts with them, so that a title block
        # of as many lines does not outnumber the table.
        first = counts.index(k)
        rows = [row for row in split.rows[first:] if len(row) == k]
        if first and counts[first - 1] == k - 1 and tally[k] > 1 and not any(r[-1] for r in rows):
            tally[k] += 1
            tally[k - 1] -= 1
    n = split.fields = max(tally, key=lambda k: (tally[k], k))
    split.start = counts.index(n) if tally[n] > 1 else 0
    # A header above rows that end with a separator ("a,b" over "1,2,"): not a preamble.
    table = [row for row in split.rows[split.start :] if len(row) == n]
    if split.start and counts[split.start - 1] == n - 1 and not any(row[-1] for row in table):
        split.start -= 1  # a ragged header: no tie with a clean split
        split.ragged = True
    return _measure(split)


def _measure(split: Split) -> Split:
    """Count the records of the table with its field count, and the lines they span."""
    table = range(split.start, len(split.rows))
    matched = [k for k in table if len(split.rows[k]) == split.fields]
    split.matched, split.covered = len(matched), sum(split.spans[k] for k in matched)
    return split


def choose(
    splits: list[Split],
    given: str | None,
    sniffing_skip: bool,
    sniffing_escape: bool = False,
    decimal_comma: str | None = None,
) -> Split:
    """The candidate whose records of more than one field span the most lines; with
    ``decimal_comma`` (the head, where a comma is the decimal separator given), one by ','
    only where no other splits every record evenly (:func:`_cutting_numbers`)."""
    if not sniffing_skip:
        for split in splits:  # the user's skip_rows: no preamble to look for
            split.start = 0
            _measure(split)
    if sniffing_escape:  # with an escape or without, for each separator and quote
        splits = escape_decided(splits)
    if decimal_comma is not None:
        splits = [s for s in splits if not _cutting_numbers(s, splits, decimal_comma)]
    many = [s for s in splits if s.fields > 1] or splits[:1]
    many.sort(key=lambda s: (s.covered, s.consistent, -s.start), reverse=True)
    top = many[0]
    rivals = [
        s
        for s in many[1:]
        if s.delimiter != top.delimiter and s.fields > 1 and top.consistent and s.consistent
        if s.covered == top.covered and given is None
    ]
    if rivals:
        rival = rivals[0]
        other = next((s for s in (top, rival) if s.delimiter != ","), None)
        decimal = ()
        commas = decimal_comma is None and {top.delimiter, rival.delimiter} >= {","}
        if commas and other is not None and _decimal_commas(other):  # 53,46;58,22: 2 numbers
            decimal = (f"read ',' as the decimal separator ({param('csv.decimal', ',')})",)
        raise InputError(
            f"the field separator cannot be told: both {SEPARATOR_NAMES[top.delimiter]} "
            f"({top.fields} fields) and {SEPARATOR_NAMES[rival.delimiter]} "
            f"({rival.fields} fields) split every record of the head evenly",
            param="csv.delimiter",
            hints=(
                f"give the field separator ({param('csv.delimiter', top.delimiter)} or "
                f"{param('csv.delimiter', rival.delimiter)})",
                *decimal,
            ),
        )
    return top


def _decimal_commas(split: Split) -> bool:
    """Whether the fields of ``split`` that hold a comma are all numbers written with a decimal
    comma (``53,46``, ``-0,5``), and some do."""
    found = [f.strip() for row in split.rows for f in row if "," in f]
    return bool(found) and all(_DECIMAL_COMMA.fullmatch(f) for f in found)


#: A number written with a decimal comma.
_DECIMAL_COMMA = re.compile(r"[-+]?\d*,\d+")
