"""The dialect of a CSV file (field separator, quote, header, lines before the table, comment
lines) told from its first bytes, as DuckDB's sniffer tells it where the evidence is plain, and
refused with the option that decides where it is not.

The rules, in the order they are applied:

* **Separator.** Each of ``,`` ``;`` tab ``|`` that occurs outside quoted fields splits the
  records (quote-aware, with :mod:`csv`), and the one whose records of the table's field count (more
  than one) span the most lines wins: lines, not records, as a candidate that misreads quotes
  counts other records. Two separators that span every line evenly are a tie no rule can break
  (``1;2,5;3`` is three numbers or two texts): refused, naming ``csv.delimiter`` (DuckDB
  takes the one with more columns); with a decimal comma given, ``,`` loses such a tie unless
  quoted fields hold decimal commas (:func:`.splits.choose`). When no separator gives a second field the file is one
  column, read with ``,``: the only tie settled by order, harmless as nothing is split. ``:`` and space are never sniffed (times and prose are full
  of them), only taken when given. An Excel ``sep=;`` first line names the separator.
* **Quote.** ``"``; ``'`` when the head has no ``"`` and ``'`` quoting splits as many records
  consistently. ``None`` (quotes are text) where the head read with the quote has a quoted
  field holding a line break that goes on after its closing quote, which the reading refuses,
  and splits evenly without quoting, with several fields opening with a quote that they do not
  close as a quoted field does (page titles such as ``"``, ``""x`` and ``"a"_b``, as DuckDB
  reads them). One such field, or a quote never closed, is refused as it is: a field cut short
  is as likely as a quote that is text. Elsewhere a ``"`` that does not start a field is read
  as text anyway. DuckDB reports no quote when the head holds none; ``"`` is returned then, so that a
  quoted field further down is still read.
* **Escape.** ``\\`` escapes quotes inside quoted fields (``"say \\"hi\\""``) where the head
  holds a ``\\`` before a quote and splits evenly only with it read as an escape (DuckDB's
  ``escape``), or splits evenly both ways, into the same records, but without it has more
  quoted fields going on after their closing quote (``"O\\"Brien"``); else none. Such a
  field, its quote after a ``\\``, in a head the escape does not split evenly is refused
  (``csv.escape``). Both read by the engine's rules (:func:`.escapes.records`; :mod:`csv`
  takes escapes outside quotes).
* **Lines before the table** (``skip_rows``): records before the first run of records with the
  table's field count (a title, a date, blank lines) are skipped. Every physical line before
  the table counts, blank and comment lines too, as DuckDB counts them.
* **Comments.** Lines starting with ``#`` are comments when, read as rows, one of them has
  another field count than the table or stands before it, or stands above the table's header
  (``# units: m, s`` above ``a,b``, text above numbers); ``#`` rows of the table's field count
  inside it are a header (``#id,name``) or data (``#tag,12``); where other ``#`` lines are
  comments, such a line inside the table is refused (``csv.comment``) unless it puts text in a
  column of numbers, counted with the ``#`` lines' values (``# 20;7`` among ``1;3`` rows is
  a comment; ``#1``, ``#2``, ``#3`` above ``4`` and ``5`` a column of text, or rows commented
  out); a ``#`` line inside a quoted field is part of a value. A comment line right above a
  table without a header that names its columns (``#id,x,y`` above ``1,0.5,2``, a VCF's
  ``#CHROM`` line: text above a column of numbers, as many fields as the rows) is refused: the
  header written as a comment (DuckDB's reading) or a comment? (``csv.header``). DuckDB only
  finds comments inside the table. Where comment lines
  show the character, it starts a comment after values too (``1;3#note``, outside quotes) when
  the table splits evenly only with those cut: ``3#x`` in a table that splits evenly stays a
  value (text), as ``C#`` in a file without comment lines always does. A comment line may
  then be indented (`` # note``).
* **Header.** A first row with text above a column of numbers is a header, and so are pandas'
  labels of numbered columns (``0,1,2,...``) beyond the values of the rows below
  (:func:`.header.first_row_names`); else a first row of
  numbers above a column of numbers is data (DuckDB's rule: the first row fits the columns' types)
  when one of them is a number no header names (``1.5``, ``-2``: a fraction or a sign); else text
  above a column with no value below it is a header (``8,test`` above ``0,``: the value does not fit
  a column of nulls, as DuckDB rules), and integers above columns of numbers are data, unless above
  decimals no row holds integers of their size (``2019`` above ``99.25`` and ``5``: refused,
  ``csv.header``; :mod:`.header`); else, every column being text, the first row is a header (normkit
  needs names; text columns pass through), unless it holds nothing but numbers (``1,2`` above
  ``a,b``): refused, naming ``csv.header``. A table of one record is a header when it holds no
  number, and data when it holds nothing else or a number no header names (``1.5``, ``-2``: a
  fraction or a sign); integers beside text (``1,StreetA``: a row, or the header of an empty table
  with a column named ``1``?) are refused, naming ``csv.header``.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from types import EllipsisType

from ...errors import InputError, param
from ..options import CsvOptions
from .columns import PANDAS_MISSING, comment_or_row, printable
from .comments import cut_lines
from .escapes import refuse_unescaped
from .header import TEXT_ABOVE_NUMBERS, first_row_names, value_kind
from .quotes import open_but_not_quoted, quoting_breaks
from .splits import (
    DELIMITERS,
    SEPARATOR_NAMES,
    Split,
    choose,
    fit_table,
    present,
    split_records,
    without,
)
from .table_start import EMPTY_LAST, header_shape, line_fields, title_or_header

__all__ = ["DELIMITERS", "QUOTES", "Sniffed", "sniff", "sniffed_options"]

#: The quote characters sniffed.
QUOTES = ('"', "'")

_SEP_LINE = re.compile(r"sep=(.)\r?\n?")
_QUOTED = re.compile(r"(?m)(?:^|[,;\t|]) *'(?:[^'\r\n]|'')*' *(?=[,;\t|\r\n]|$)")  # '' doubled


@dataclass(frozen=True)
class Sniffed:
    """The dialect :func:`sniff` found.

    Attributes
    ----------
    delimiter : str
        The field separator: one of :data:`DELIMITERS`, or what the user gave.
    quote : str or None
        The quote character, ``None`` for no quoting (given only).
    header : bool
        Whether the first record after ``skip_rows`` is a header row.
    skip_rows : int
        Physical lines before the header (or the first record without one) to skip.
    comment : str or None
        The prefix of comment lines, ``None`` if there are none.
    evidence : str
        One sentence of what decided, for a summary.
    inline_comments : bool
        Whether the comment character starts a comment after values too (``1;3#note``).
    escape : str or None
        The character escaping quotes inside quoted fields, ``None`` for none.
    unnamed_last : bool
        Whether the header names every column but the last, whose fields are empty in the
        head (rows that end with a separator).
    empty_last : bool
        Whether the header ends with an empty name one field past the rows (a separator after
        its last name): a name of no column.
    """

    delimiter: str
    quote: str | None
    header: bool
    skip_rows: int
    comment: str | None
    evidence: str
    inline_comments: bool = False
    unnamed_last: bool = False
    escape: str | None = None
    empty_last: bool = False


def _names_the_table(rows: list[list[str]], nulls: Collection[str]) -> bool | None:
    """Whether the first of the table's ``rows`` is a header (:func:`.header.first_row_names`);
    None where that cannot be told."""
    try:
        return first_row_names(rows, nulls)[0]
    except InputError:
        return None


def sniff(
    head: bytes | str,
    *,
    delimiter: str | None = None,
    quote: str | EllipsisType | None = ...,
    header: bool | None = None,
    skip_rows: int | None = None,
    comment: str | None = None,
    inline: bool | None = None,
    complete: bool = False,
    escape: str | EllipsisType | None = ...,
    decimal: str | None = None,
    nulls: Collection[str] = (),
) -> Sniffed:
    """The dialect of the CSV text ``head``; options given are taken as they are.

    Parameters
    ----------
    head : bytes or str
        The first bytes of the file (up to 64 KiB), UTF-8, a BOM allowed.
    delimiter, quote, header, skip_rows, comment, escape : optional
        What the user gave: ``None`` (``...`` for ``quote`` and ``escape``, where ``None`` means
        none) to sniff it. ``comment=""`` says there are no comment lines.
    inline : bool, optional
        Whether the comment character (``#`` unless given) starts comments after values too
        (``1;3 # note``); None: where comment lines show it and rows split evenly only so.
    complete : bool
        Whether ``head`` is the whole file; if not, its last line may be cut and is ignored.
    decimal : str, optional
        The decimal separator given: a comma is then a field separator only where it splits
        the first line too (one column of ``1,5`` and ``3`` is one column of numbers).
    nulls : collection of str
        The strings the data is read with as missing (``\\N``...): no text, to tell a header.

    Returns
    -------
    Sniffed

    Raises
    ------
    InputError
        When two separators split the head equally well, or the header cannot be told.

    Examples
    --------
    >>> found = sniff(b"a;b\\n1,5;2,5\\n", complete=True)
    >>> found.delimiter, found.quote, found.header, found.skip_rows, found.comment
    (';', '"', True, 0, None)
    """
    text = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    lines = io.StringIO(text.removeprefix("\ufeff"), newline="").readlines()
    if not complete and lines and not lines[-1].endswith(("\n", "\r")):
        lines.pop()  # cut by the end of the head
    given = dict(delimiter=delimiter, quote=quote, header=header, skip_rows=skip_rows)
    given.update(escape=escape, decimal=decimal, nulls=frozenset(nulls))
    mark, quote_char = comment or "#", '"' if quote is ... else quote
    if inline and comment != "":  # cut in every line; a separator found so (to be refused)
        with contextlib.suppress(InputError):
            found = _sniff_lines(lines, comment=mark, complete=complete, **given)[0]
            if found.delimiter == mark:
                return found
        cut, _ = cut_lines(lines, mark, quote_char)
        found = _sniff_lines(cut, comment=mark, complete=complete, **given)[0]
        return replace(found, comment=mark, inline_comments=True)
    marked = inline is None and comment != ""
    marked = marked and any(mark in line[1:] for line in lines if line[:1] != mark)
    if not marked or not any(line.lstrip(" \t").startswith(mark) for line in lines):
        return _sniff_lines(lines, comment=comment, complete=complete, **given)[0]
    # Comment lines, and the comment character after values too (``1;3#note``): comments
    # after values when the table splits evenly only with them cut, as DuckDB reads them.
    try:
        found, consistent = _sniff_lines(lines, comment=comment, complete=complete, **given)
    except InputError as exc:
        found, consistent, refused = None, False, exc
    if not consistent:
        cut, _ = cut_lines(lines, mark, quote_char)
        try:
            found_cut, consistent_cut = _sniff_lines(cut, comment=mark, complete=complete, **given)
        except InputError:
            consistent_cut = False
        if consistent_cut and not _cuts_text_only(lines, cut, found_cut, mark, nulls):
            evidence = found_cut.evidence + f"; {mark!r} comments after values too"
            return replace(found_cut, inline_comments=True, evidence=evidence)
    if found is None:
        raise refused
    return found


def _cuts_text_only(
    lines: list[str], cut: list[str], found: Sniffed, mark: str, nulls: Collection[str]
) -> bool:
    """Whether cutting comments after values (``lines`` to ``cut``, split as ``found``) would
    cut text out of a record that splits as the table without it (``ticket #120 done``), and
    no cut shows a comment: a value that is a number only once cut (``2.5 # warm``), or a
    quoted field closed right before the ``mark`` (``"y#z" # note``). An even split with
    the cuts is no evidence then: an unquoted separator after a ``#`` in text splits so too,
    and the malformed record is refused (naming ``--inline-comments``), not text cut."""
    text_cut = False
    for before, after in zip(lines, cut, strict=True):
        if before == after or before.startswith(mark):
            continue
        body = after.rstrip("\r\n")
        value = line_fields(body, found.delimiter, found.quote)[-1:] or [""]
        if value_kind(value[0].strip(), nulls) == "number":
            return False
        if found.quote and body.endswith(found.quote):
            return False
        whole = line_fields(before.rstrip("\r\n"), found.delimiter, found.quote)
        text_cut = text_cut or len(whole) == len(line_fields(body, found.delimiter, found.quote))
    return text_cut


def _sniff_lines(
    lines: list[str],
    *,
    delimiter: str | None,
    quote: str | EllipsisType | None,
    header: bool | None,
    skip_rows: int | None,
    comment: str | None,
    complete: bool,
    escape: str | EllipsisType | None,
    decimal: str | None,
    nulls: frozenset[str],
) -> tuple[Sniffed, bool]:
    """The dialect of the head's ``lines`` (see :func:`sniff`), and whether every record of
    its table has the table's field count."""
    first = skip_rows or 0
    sep_line = _SEP_LINE.fullmatch(lines[first]) if len(lines) > first else None
    named = "given"
    if sep_line and skip_rows is None and delimiter in (None, sep_line.group(1)):
        # (Also when the separator it names is given: as a stat file records it.)
        if delimiter is None:
            delimiter, named = sep_line.group(1), "named by a 'sep=' line"
        first += 1
    joined = "".join(lines[first:])
    # The first line that holds anything but a comment ('#' unless told), which a comma given as
    # the decimal point must split.
    mark = "#" if comment is None else comment
    comma_line = next(
        (line for line in lines[first:] if line.strip() and not (mark and line.startswith(mark))),
        "",
    )
    comma_line = comma_line if decimal == "," else None
    if quote is not ...:
        quotes: list[str | None] = [quote]
    elif '"' not in joined and _QUOTED.search(joined):
        quotes = ["'", '"']  # fields in single quotes: "'" wins a tie, not a worse split
    else:
        quotes = ['"']

    # An escape is tried beside none where a quote follows a backslash; none wins a tie.
    def escapes(q: str | None) -> list[str | None]:
        if escape is not ... or q is None:
            return [None if escape is ... else escape]
        return [None, "\\"] if "\\" + q in joined else [None]

    # Read by the engine's grammar where an escape is given or tried (:func:`.records`).
    exact = {q: escape not in (..., None) or len(escapes(q)) > 1 for q in quotes}

    # Where the head may be cut inside a quoted field (an odd number of quotes; read by the
    # engine's grammar, the reading tells), its last record is cut.
    def cut(q: str | None) -> bool:
        return not complete and q is not None and (exact[q] or joined.count(q) % 2 == 1)

    numbers = list(range(first, len(lines)))
    parsed = [
        split_records(numbers, lines[first:], d, q, cut(q), e, exact=exact[q])
        for q in quotes
        for e in escapes(q)
        for d in ([delimiter] if delimiter else present(joined, q, comma_line))
    ]

    def best(prefix: str | None) -> Split:
        """The best split with the records starting on a line with ``prefix`` left out."""
        splits = [fit_table(without(split, prefix, lines)) for split in parsed]
        comma = joined if decimal == "," else None
        return choose(splits, delimiter, skip_rows is None, escape is ..., comma)

    # A line of a missing-value marker alone (#N/A, a row of pandas' missing values) is no
    # sign of comments: read as one, its row would be lost.
    hashed = [
        i
        for i in range(first, len(lines))
        if lines[i].startswith("#") and lines[i].strip() not in PANDAS_MISSING
    ]
    chosen = best("#" if hashed and comment is None else comment or None)
    if hashed and comment is None:
        whole = best(None)  # "#" lines are comments only where they do not fit the table
        if (
            whole.delimiter != chosen.delimiter or not _are_comments(hashed, whole, chosen.fields)
        ) and not _above_a_header(hashed, chosen, nulls):
            chosen = whole
        else:
            _refuse_rows_like_comments(hashed, whole, chosen, nulls)
    if chosen.quote and chosen.escape is None and len(escapes(chosen.quote)) > 1:
        refuse_unescaped(
            chosen.starts[chosen.start :], chosen.runs_on[chosen.start :], chosen.quote
        )
    # Quoted line breaks the reading refuses: quotes may be text, unless an escape says otherwise.
    if quote is ... and chosen.quote and not chosen.escape and max(chosen.spans, default=1) > 1:
        chosen = _unquoted(chosen, lines, first, delimiter, skip_rows is None) or chosen
    rows = chosen.rows[chosen.start :]
    has_header, why_header = (
        (header, "as given") if header is not None else first_row_names(rows, nulls)
    )
    if header is None and not has_header:
        _refuse_a_header_in_a_comment(lines, first, chosen, nulls)
    skip = first if skip_rows is not None or not rows else chosen.skip_rows
    # Blank and comment lines before the table are neither a title nor a header.
    before = [
        line
        for line in lines[first:skip]
        if line.strip() and not (chosen.comment and line.startswith(chosen.comment))
    ]
    empty_last = False
    if before and header is not False and rows:
        # Lines taken for a title above a table that does not start with a header (the header
        # given or not): as likely, the title is the header of rows that do not split as it
        # does. Read so where it ends with an empty name one field past the rows (a separator
        # after its last name) and names the rows, as a header (or as given); else refused
        # (two guesses at once). A header given names the table's first row, under a title,
        # only where the head cannot tell whether that row is one.
        named = has_header if header is None else _names_the_table(rows, nulls)
        shape, names = header_shape(before, chosen.delimiter, chosen.quote, len(rows[0]))
        if (
            named is False
            and shape == EMPTY_LAST
            and (header or _names_the_table([names, *rows], nulls))
        ):
            skip, empty_last, has_header = first, True, True
            if header is None:
                why_header = "the first line names the rows, with one empty name more"
        elif not named and (named is False or shape is not None):
            raise title_or_header(lines, before, chosen.delimiter, chosen.quote, rows, skip)
    found = Sniffed(
        delimiter=chosen.delimiter,
        quote=chosen.quote,
        header=has_header,
        skip_rows=skip,
        comment=chosen.comment,
        evidence=_evidence(chosen, named if delimiter else None, why_header, skip),
        unnamed_last=chosen.ragged and has_header and skip == chosen.skip_rows,
        empty_last=empty_last,
        escape=chosen.escape,
    )
    return found, chosen.consistent


def _unquoted(
    chosen: Split,
    lines: list[str],
    first: int,
    given: str | None,
    sniffing_skip: bool,
) -> Split | None:
    """The head read without quoting, where read with ``chosen``'s quote the reading refuses it
    (:func:`.quotes.quoting_breaks`), and without quoting each of its records has the table's
    field count, two or more, and several fields open with a quote they do not close as a
    quoted field does: quotes are text there (page titles ``"``, ``""x``, ``"a"_b``), as
    DuckDB reads them. None where quoting holds, or one field opens so (cut short, or text?),
    or the head does not split evenly without it. A line starting with the comment character
    inside a quoted field is part of its value, no comment line: it stays in the text whose
    quoting is checked."""
    inside = {i for s, n in zip(chosen.starts, chosen.spans, strict=True) for i in range(s, s + n)}
    body = [
        line
        for i, line in enumerate(lines[first:], first)
        if i in inside or not (chosen.comment and line.startswith(chosen.comment))
    ]
    if not quoting_breaks("".join(body), chosen.delimiter, chosen.quote, chosen.escape):
        return None
    numbers = list(range(first, len(lines)))
    splits = [
        fit_table(
            without(split_records(numbers, lines[first:], d, None, False), chosen.comment, lines)
        )
        for d in ([given] if given else present("".join(body), None))
    ]
    unquoted = choose(splits, given, sniffing_skip)
    if not unquoted.consistent or unquoted.fields < 2:
        return None
    return unquoted if open_but_not_quoted(unquoted.rows, chosen.quote) > 1 else None


def _are_comments(hashed: list[int], whole: Split, fields: int) -> bool:
    """Whether the lines ``hashed`` (starting with ``#``) are comments, given how the head
    splits with them and the field count of the table without them: records of that count
    inside the table are rows (a header ``#id,name``, a value ``#tag``); a line inside a quoted
    field is a value's, neither. (The table's count is taken without them: where comment lines
    are most of the head, they would make the table one column.)"""
    counts = dict(zip(whole.starts, map(len, whole.rows), strict=True))
    return any(counts[i] != fields or i < whole.skip_rows for i in hashed if i in counts)


def _above_a_header(hashed: list[int], chosen: Split, nulls: frozenset[str]) -> bool:
    """Whether one of the ``#`` lines ``hashed`` stands above a header, which the table without
    them has (text above a column of numbers): a line there is no header, and no row of the
    table, but a comment (``# units: m, s`` above ``a,b``), whatever its field count; so are
    the others, unless one inside the table could be a row (then refused)."""
    rows = chosen.rows[chosen.start :]
    if len(rows) < 2 or not any(i < chosen.starts[chosen.start] for i in hashed):
        return False
    header, why = first_row_names(rows, nulls)
    return header and why == TEXT_ABOVE_NUMBERS


def _refuse_rows_like_comments(
    hashed: list[int], whole: Split, chosen: Split, nulls: frozenset[str]
) -> None:
    """Refuse a head whose ``#`` lines are comments but one inside the table splits as a row
    of it (``#a,1``): skipping it would drop a row, reading it would read the comments as rows.
    A line with text in a column of numbers (``# 20;7`` above and below ``1;3``) is no row: as
    one, it would stop the fit. A column is one of numbers when most of its values are, the
    ``#`` lines' values counted as they would be read as rows (the fit's rule,
    :func:`.columns.typed_by_majority`): ``#1``, ``#2``, ``#3`` above ``4`` and ``5`` make a
    column of text, ranks or rows commented out, which the reading cannot tell."""
    records = dict(zip(whole.starts, whole.rows, strict=True))
    table = [r for r in chosen.rows[chosen.start + 1 :] if len(r) == chosen.fields]  # no header
    table += [
        records[i]
        for i in hashed
        if i >= chosen.skip_rows and len(records.get(i, ())) == chosen.fields
    ]
    kinds = [[value_kind(row[j], nulls) for row in table] for j in range(chosen.fields)]
    numeric = [2 * k.count("number") > len(k) - k.count("missing") for k in kinds]

    def could_be_a_row(record: list[str]) -> bool:
        return len(record) == chosen.fields and not any(
            n and value_kind(v, nulls) == "text" for n, v in zip(numeric, record, strict=True)
        )

    rows = [i for i in hashed if i >= chosen.skip_rows and could_be_a_row(records.get(i, []))]
    if rows:
        raise comment_or_row("#", rows[0] + 1)


def _refuse_a_header_in_a_comment(
    lines: list[str], first: int, chosen: Split, nulls: frozenset[str]
) -> None:
    """Refuse a head whose table has no header but whose comment line right above it names its
    columns: without the comment character, as many fields as the rows, text above a column of
    numbers (``#id,x,y`` above ``1,0.5,2``; a VCF's ``#CHROM`` line): the header written as a
    comment, as DuckDB reads it, or a comment? A row commented out (``#1,0.5,2``) names none."""
    mark, above = chosen.comment, chosen.skip_rows - 1
    rows = chosen.rows[chosen.start :]
    if not rows or not mark or above < first or not lines[above].startswith(mark):
        return
    names = line_fields(lines[above][len(mark) :], chosen.delimiter, chosen.quote)
    if len(names) != chosen.fields or chosen.fields < 2:  # one field: any line would split so
        return
    try:
        named = first_row_names([names, *rows], nulls)[1] == TEXT_ABOVE_NUMBERS
    except InputError:  # years naming columns, or a row? A header as likely.
        named = True
    if named:
        raise InputError(
            f"line {above + 1:,} ({printable(lines[above].rstrip(chr(10) + chr(13)))}) starts with "
            f"the comment character {mark!r} but names the columns of the rows below it, which "
            "have no header: comment or header?",
            param="csv.header",
            hints=(
                f"read it as the header ({param('csv.skip_rows', above)} "
                f"{param('csv.comment', '')})",
                f"keep it a comment, the columns named column_1, column_2... "
                f"({param('csv.header', False)})",
            ),
        )


def _evidence(split: Split, named: str | None, why_header: str, skip: int) -> str:
    """One sentence of what decided."""
    name = SEPARATOR_NAMES.get(split.delimiter, repr(split.delimiter))
    if named:
        sep = f"{name} {named}"
    elif split.fields == 1:
        sep = "no separator splits a record, so one column"
    else:
        sep = f"{name} splits {split.matched} records into {split.fields} fields"
    extra = f"; {skip} line{'s' if skip > 1 else ''} before the table skipped" if skip else ""
    extra += f"; lines starting with {split.comment!r} are comments" if split.comment else ""
    extra += f"; '{split.escape}' escapes quotes in quoted fields" if split.escape else ""
    return f"{sep}; header: {why_header}{extra}"


def sniffed_options(
    csv: CsvOptions, path: str, head: bytes, complete: bool
) -> tuple[CsvOptions, Sniffed]:
    """``csv`` (the read options of the CSV at ``path``) with the dialect it leaves unset as
    :func:`sniff` finds it in ``head`` (``complete``: the whole input), and what it found.

    Raises
    ------
    InputError
        Where the head does not tell.
    """
    found = sniff(
        head,
        delimiter=csv.delimiter_for(path),
        quote=... if csv.quote is None else csv.quote or None,
        header=csv.header,
        skip_rows=csv.skip_rows,
        comment=csv.comment,
        inline=csv.inline_comments,
        complete=complete,
        escape=... if csv.escape is None else csv.escape or None,
        decimal=csv.decimal,
        nulls=csv.nulls,
    )
    if csv.comment is None and csv.fitted_comment == "" and found.comment:
        # The fit read no comment lines: those above the table are lines before it (counted
        # in skip_rows), and one inside it is read as a row, refused where it is none (#N/A),
        # not dropped with a data row.
        found = replace(found, comment=None, inline_comments=False)
    resolved = replace(
        csv,
        delimiter=found.delimiter,
        header=found.header,
        skip_rows=found.skip_rows,
        comment=found.comment or "",
        quote=found.quote or "",
        inline_comments=found.inline_comments,
        escape=found.escape or "",
    )
    return resolved, found
