"""Whether the first row of a CSV's table names its columns, as the head shows it: the rule
of ``normkit.io.csv.sniff`` (the native engine's ``is_text`` follows its kinds of value)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection

from ...errors import InputError, param

__all__ = ["TEXT_ABOVE_NUMBERS", "first_row_names", "value_kind"]

#: Why a first row is a header where it holds text above a column of numbers.
TEXT_ABOVE_NUMBERS = "the first row has text above a column of numbers"

# A number as people write it: decimal point or comma, exponent, thousands separators, inf/nan.
_NUMBER = re.compile(
    r"\s*[+-]?(?:(?:\d+[.,]?\d*|[.,]\d+)(?:[eE][+-]?\d+)?|\d{1,3}(?:[,.' ]\d{3})+(?:[.,]\d+)?"
    r"|inf(?:inity)?|nan)\s*",
    re.IGNORECASE,
)
# Missing values: spelled as such, or no letter nor digit (``?``, ``-``, empty).
_MISSING = re.compile(r"\s*(?:na|n/a|#n/a|null|none|nil|[^\w]*)\s*", re.IGNORECASE)
# A number no column is named: with a fraction or an exponent, or a sign.
# A decimal point or comma (400.5, 400,5 under --decimal ','), an exponent or a sign.
_NO_NAME = re.compile(r"\s*(?:[+-]?\d*[.,]\d+(?:[eE][+-]?\d+)?|[+-]?\d+[eE][+-]?\d+|[+-]\d+)\s*")
_DIGITS = re.compile(r"\s*\d+\s*")  # an integer as a header may name a column (a year)
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def value_kind(value: str, nulls: Collection[str] = ()) -> str:
    """``"number"``, ``"missing"`` or ``"text"``; ``nulls``: the strings the data is read with as
    missing (``\\N``, ``-999``...), missing here too."""
    if value in nulls:
        return "missing"
    if _NUMBER.fullmatch(value):
        return "number"
    return "missing" if _MISSING.fullmatch(value) else "text"


def _header_hints() -> tuple[str, ...]:
    return (f"say whether it is ({param('csv.header', True)} or {param('csv.header', False)})",)


def first_row_names(rows: list[list[str]], nulls: Collection[str] = ()) -> tuple[bool, str]:
    """Whether the first of the table's ``rows`` is a header, and why; ``nulls``: the strings
    read as missing."""
    if not rows:
        return True, "no records"
    first = [value_kind(v, nulls) for v in rows[0]]
    if len(rows) == 1:
        if "number" not in first:
            return True, "one record, without a number"
        if "text" not in first:
            return False, "one record, of numbers"
        if any(_NO_NAME.fullmatch(v) for v in rows[0]):
            return False, "one record, with a number no header names"
        raise InputError(
            "whether the only record is a header or a row cannot be told: it holds integers "
            f"beside text ({', '.join(_shortened(v) for v in rows[0][:5])})",
            param="csv.header",
            hints=_header_hints(),
        )
    body = rows[1:501]  # the rows the head shows below the first
    numeric, empty = [], []
    for j in range(len(rows[0])):
        kinds = {value_kind(row[j], nulls) for row in body if j < len(row)} - {"missing"}
        numeric.append(kinds == {"number"})
        empty.append(not kinds)
    if any(n and k == "text" for n, k in zip(numeric, first, strict=True)):
        return True, TEXT_ABOVE_NUMBERS
    # A row of numbers no header names (a fraction: 400.5) is data, unless it lies far beyond
    # the rows below (integers are told by the rules below).
    # Names are distinct: a row repeating a value (a sensor's 0.00, 0.00, 0.00) is data.
    distinct = len({v.strip() for v in rows[0]}) == len(rows[0])
    decimal_row = set(first) == {"number"} and any(_NO_NAME.fullmatch(v) for v in rows[0])
    far = _far_beyond(rows[0], body, nulls) if all(numeric) and decimal_row and distinct else 0
    if far:
        shown = ("; " if any("," in v for v in rows[0]) else ", ").join(rows[0][:5])
        raise InputError(
            f"whether the first row is a header cannot be told: its numbers "
            f"({shown}{', ...' if len(rows[0]) > 5 else ''}) lie far beyond "
            f"the {far:,} rows below them in every column, as names (wavelengths, sizes) may",
            param="csv.header",
            hints=_header_hints(),
        )
    if any(n and _NO_NAME.fullmatch(v) for n, v in zip(numeric, rows[0], strict=True)):
        return False, "the first row has a number no header names above a column of numbers"
    # The same under the empty names of a row index (``DataFrame(array).to_csv()``: ,0,1,2).
    lead = next((j for j, v in enumerate(rows[0]) if v.strip()), len(rows[0]))
    if all(numeric[lead:]) and _numbered_beyond(rows[0][lead:], [r[lead:] for r in body], nulls):
        return True, "the first row numbers the columns (0, 1, 2...) beyond the values below"
    if _pandas_default(rows[0], body, nulls):
        return True, "the first row is pandas' header of an index counting from 0 and decimals"
    # Text above a column with no value below it names that column (DuckDB's rule: the first
    # row's value does not fit the column's type, here null); an integer above numbers may be
    # a name too (``8``, ``2024``), so it does not outweigh that.
    if any(e and k == "text" for e, k in zip(empty, first, strict=True)):
        return True, "the first row has text above a column without values"
    # 2019,2020 above 101.5,99.25 (beside text or not: country,2019 above Chad,6.5; a pandas
    # index's ,0,1 above 0.53): years naming columns, or a row written otherwise? Columns of
    # numbers under an empty first field are no evidence either way. Decimals may be written
    # whole at times (%g, Excel and R write 5.0 as 5): the first row is of their kind where a
    # row below holds integers of its size (as many digits, give or take one) in its place, at
    # a column of decimals one at least (1,2 above 1.25,2.5 and 3,4); where none does
    # (geo,2019,2020 above AT,2,-0.2 and BE,5.1,4), it is a header or not whole. One column of
    # decimals is enough (country,2019,2020 above PT,1.5,2; pandas' 0,1 above a column of
    # floats and one of counts). Unless, in a row of numbers alone, a column reads it as data:
    # its value again below, or an index counting on from it (a series from a whole value,
    # 2000,1,100 above 2000,2,99.94).
    named = [j for j, n in enumerate(numeric) if n and first[j] != "missing"]
    decimals = [j for j in named if any(_decimal(row, j, nulls) for row in body)]
    beside = "text" in first or first[0] == "missing"
    if (
        decimals
        and all(_DIGITS.fullmatch(rows[0][j]) for j in named)
        and not any(_like(row, rows[0], named, decimals, nulls) for row in body)
        and (beside or not any(_as_data(body, j, rows[0][j]) for j in named))
    ):
        integers = ", ".join(rows[0][j] for j in named[:5])
        above = (
            f"{'columns' if len(named) > 1 else 'a column'} of decimals"
            if decimals == named
            else f"decimals (below {', '.join(rows[0][j] for j in decimals[:3])})"
        )
        raise InputError(
            f"whether the first row is a header cannot be told: its numbers are integers "
            f"({integers}) above {above}, and no row below holds integers of their size there",
            param="csv.header",
            hints=_header_hints(),
        )
    # ,0,1,2 above rows whose first field is never empty: the header pandas writes of a frame
    # whose columns are numbered (its index unnamed), or a row of a missing value and 0, 1, 2?
    numbered = rows[0][1:]
    below = [row[0].strip() if row else "" for row in body]
    if (
        not rows[0][0].strip()
        and numbered == [str(i) for i in range(len(numbered))]
        and all(below)
        # One column numbered 0 (a Series' header, or a missing value and a 0?): under an
        # index that counts from 0 only.
        and (len(numbered) > 1 or _index_from(body, 0, -1))
    ):
        raise InputError(
            f"whether the first row is a header cannot be told: it is an empty name and the "
            f"numbers {', '.join(numbered[:3])}{', ...' if len(numbered) > 3 else ''} (as pandas "
            f"writes a frame's unnamed index and numbered columns) above rows whose first field "
            f"is never empty",
            param="csv.header",
            hints=_header_hints(),
        )
    # 0,1,2 (pandas' names of a frame's numbered columns) or 2019,2020 (years) above columns of
    # integers: names, or a row that happens to count up? A name is written once, a row of data
    # as often as its like: under 5% of the rows below alike, and no index below counting on
    # from it (0,1,2 above 1,5,3 and 2,0,4: to_csv(header=False) with its index). Few columns
    # count up by chance (0,1 an index and a count, 2,3,4 answers on a scale of 5, 2019,2020
    # two years): from 0 in three columns or more, in four or more, or years beside text or an
    # empty name (country,2019,2020; a pivot's ,2019,2020), or above integers none of whose
    # rows is of their size (2010,2011 above 64,16: a row of years 2010,2011 above more such
    # rows is data).
    start = int(rows[0][named[0]]) if named and _DIGITS.fullmatch(rows[0][named[0]]) else -1
    if (
        len(named) > 1
        and _counting_up(rows[0], named)
        and (
            (start == 0 and len(named) > 2)
            or len(named) > 3
            or (1000 <= start < 10_000 and beside)
            or (
                1000 <= start < 10_000
                and not any(_sized(row, rows[0], named, nulls) for row in body)
            )
        )
        and all(
            _INTEGER.fullmatch(row[j]) or value_kind(row[j], nulls) == "missing"
            for row in body
            for j in named
            if j < len(row)
        )
        and sum(_alike(row, rows[0], named) for row in body) < 0.05 * len(body)
        and not _index_from(body, named[0], start)
    ):
        integers = ", ".join(rows[0][j] for j in named[:5]) + (", ..." if len(named) > 5 else "")
        raise InputError(
            f"whether the first row is a header cannot be told: its integers ({integers}) count "
            f"up, as column names do (pandas numbers a frame's columns so), above columns of "
            f"integers",
            param="csv.header",
            hints=_header_hints(),
        )
    # 2010,2015,2020 (years, in steps or in any order) above columns of counts, none of whose
    # rows holds integers of their size, no text beside: names, or a row of three large values?
    if (
        len(named) > 1
        and all(_YEAR.fullmatch(rows[0][j].strip()) for j in named)
        and len({int(rows[0][j]) for j in named}) == len(named)
        and all(
            _INTEGER.fullmatch(row[j]) or value_kind(row[j], nulls) == "missing"
            for row in body
            for j in named
            if j < len(row)
        )
        and not any(_sized(row, rows[0], named, nulls) for row in body)
        and not any(_as_data(body, j, rows[0][j]) for j in named)
    ):
        years = ", ".join(rows[0][j].strip() for j in named[:5])
        raise InputError(
            f"whether the first row is a header cannot be told: its integers ({years}) read as "
            f"years, as column names often are, above columns of smaller integers",
            param="csv.header",
            hints=_header_hints(),
        )
    if any(n and k == "number" for n, k in zip(numeric, first, strict=True)):
        return False, "the first row has numbers above columns of numbers"
    if "text" in first or "number" not in first:
        return True, "no column of numbers tells, and the first row is not all numbers"
    raise InputError(
        f"whether the first row is a header cannot be told: it holds only numbers "
        f"({', '.join(rows[0][:5])}) above columns of text",
        param="csv.header",
        hints=_header_hints(),
    )


def _numbered_beyond(first: list[str], body: list[list[str]], nulls: Collection[str]) -> bool:
    """Whether ``first`` is 0, 1, ..., n-1 (pandas' labels of a frame's numbered columns, as
    ``DataFrame(array).to_csv()`` writes them) or 1, ..., n, three or more, above ten rows of
    numbers or more that it cannot be one of: its values beyond those below (under the least
    or over the greatest) in half its columns or more (63 above pixels of 0 to 16, 0 above
    lengths of 4.3 to 7.9), no row below counting up as it does (``np.arange(30).reshape(10,
    3)``: a first row of the columns' least values), and no index counting on from it (0,1,2
    above 1,5,3 and 2,0,4: ``to_csv(header=False)`` with its index)."""
    n = len(first)
    start = int(first[0]) if n and _DIGITS.fullmatch(first[0]) else -1
    # Beyond the values of a few rows by chance (2, 3, 1 and 5, 5, 5 below 1, 2, 3): ten or more.
    if n < 3 or start not in (0, 1) or not _counting_up(first, list(range(n))) or len(body) < 10:
        return False
    if any(_counting_up(row, list(range(n))) for row in body) or _index_from(body, 0, start):
        return False
    beyond = 0
    for j in range(n):
        values = [_number(row[j], nulls) for row in body if j < len(row)]
        values = [v for v in values if v is not None]
        beyond += bool(values) and not min(values) <= start + j <= max(values)
    return 2 * beyond >= n


def _far_beyond(first: list[str], body: list[list[str]], nulls: Collection[str]) -> int:
    """The rows of ``body`` (five or more; ten under two columns) where, in each of two
    columns or more, the number of ``first`` lies beyond the values below it by more than their
    range (400.5 above spectra of 0.2 to 0.4): names written as numbers (wavelengths, masses,
    sizes) or a row of data far from the others? Else 0. A row of data drawn as the others are
    is beyond the range of five in one column once in a few; beyond it by the range again in
    every column, about once in a thousand files of two columns of ten lognormal rows, and
    less for more rows or columns. A column of one value below, or of numbers not written
    with a decimal point, tells nothing."""
    if len(first) < 2 or len(body) < (10 if len(first) == 2 else 5):
        return 0
    for j, text in enumerate(first):
        value = _number(text, nulls)
        below = [_number(row[j], nulls) for row in body if j < len(row)]
        below = [v for v in below if v is not None]
        if value is None or len(below) < 5:
            return 0
        low, high = min(below), max(below)
        spread = high - low
        if not spread or low - spread <= value <= high + spread:
            return 0
    return len(body)


def _pandas_default(first: list[str], body: list[list[str]], nulls: Collection[str]) -> bool:
    """Whether ``first`` is the header of pandas' default ``to_csv()`` of a frame of decimals:
    an empty name above an index counting from 0, then ``0, 1, ..., n-1`` above columns one of
    which holds decimals. Read as a row, it would be the one row whose index is missing, its
    values, in order, the integers the columns are numbered by."""
    labels = first[1:]
    return (
        len(labels) > 1
        and not first[0].strip()
        and labels == [str(i) for i in range(len(labels))]
        and len(body) > 1
        and _index_from(body, 0, -1)
        and any(_decimal(row, j, nulls) for row in body for j in range(1, len(first)))
    )


def _number(value: str, nulls: Collection[str]) -> float | None:
    """``value`` as a float where it is a number written with a decimal point; else None."""
    if value_kind(value, nulls) != "number":
        return None
    text = value.replace(",", ".") if "." not in value and value.count(",") == 1 else value
    try:
        return float(text)  # a decimal comma as a point
    except ValueError:  # thousands separators: not compared
        return None


#: A year as a column name: 1800 to 2099.
_YEAR = re.compile(r"(?:18|19|20)[0-9]{2}")


def _decimal(row: list[str], j: int, nulls: Collection[str]) -> bool:
    """Whether field ``j`` of ``row`` is a number not written as an integer (``1.5``, ``2,5``,
    ``1e3``)."""
    return j < len(row) and value_kind(row[j], nulls) == "number" and not _INTEGER.fullmatch(row[j])


def _like(
    row: list[str], first: list[str], at: list[int], decimals: list[int], nulls: Collection[str]
) -> bool:
    """Whether ``row`` holds, at ``at``, integers of the ``first`` row's size (as many digits,
    give or take one) or missing values, and an integer at one of ``decimals`` at least."""
    values = {j: row[j] if j < len(row) else "" for j in at}
    present = [j for j in at if value_kind(values[j], nulls) != "missing"]
    return any(j in decimals for j in present) and all(
        _INTEGER.fullmatch(values[j]) and abs(_digits(values[j]) - _digits(first[j])) <= 1
        for j in present
    )


def _sized(row: list[str], first: list[str], at: list[int], nulls: Collection[str]) -> bool:
    """Whether ``row`` holds, at ``at``, integers of the ``first`` row's size (as many digits,
    give or take one) or missing values, one at least."""
    values = [row[j] if j < len(row) else "" for j in at]
    present = [
        (v, first[j]) for v, j in zip(values, at, strict=True) if value_kind(v, nulls) != "missing"
    ]
    return bool(present) and all(
        _INTEGER.fullmatch(v) and abs(_digits(v) - _digits(f)) <= 1 for v, f in present
    )


def _digits(integer: str) -> int:
    return len(integer.strip().lstrip("+-"))


def _as_data(rows: list[list[str]], j: int, value: str) -> bool:
    """Whether column ``j`` of ``rows`` holds ``value`` (an integer) again, or counts on from
    it as an index does: the value reads as data there."""
    value = value.strip()
    return _index_from(rows, j, int(value)) or any(
        j < len(row) and row[j].strip() == value for row in rows
    )


def _alike(row: list[str], first: list[str], at: list[int]) -> bool:
    """Whether ``row`` holds the values of the ``first`` row at ``at``."""
    return all(j < len(row) and row[j].strip() == first[j].strip() for j in at)


def _index_from(rows: list[list[str]], j: int, start: int) -> bool:
    """Whether column ``j`` of ``rows`` counts on from ``start``: ``start + 1``, ``+ 2``..."""
    return bool(rows) and all(
        j < len(row) and row[j].strip() == str(start + k) for k, row in enumerate(rows, 1)
    )


def _counting_up(row: list[str], at: list[int]) -> bool:
    """Whether the fields of ``row`` at ``at`` are integers each one more than the last."""
    if at[-1] >= len(row) or not all(_DIGITS.fullmatch(row[j]) for j in at):
        return False
    values = [int(row[j]) for j in at]
    return all(b == a + 1 for a, b in itertools.pairwise(values))


def _shortened(value: str, limit: int = 24) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."
