"""The native CSV engine (``normkit._native.CsvEngine``) made from a :class:`Dialect`: how the
CSV is written and which records it refuses, and :class:`RecordError`, a record it cannot read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..threads import csv_workers

__all__ = ["Dialect", "RecordError", "new_engine"]


@dataclass(frozen=True)
class Dialect:
    """How the CSV is written, as the engine needs it."""

    delimiter: str
    decimal_point: str
    nulls: tuple[str, ...]
    quote: str | None = '"'
    header: bool = True  # False: the columns are named column_1, column_2...
    skip_rows: int = 0  # lines before the header (or the first record)
    comment: str | None = None  # lines starting with it are skipped
    # ... but refused where they read as rows of the table (the comment character detected)
    refuse_comment_rows: bool = False
    # A quoted field going on after a quote a backslash stands before ("O\"Brien" read without
    # an escape) refused (no escape detected, none given), not read as text (O\Brien")
    refuse_escaped_quotes: bool = False
    # A quoted field holding a line break refused where its lines read as records (the quote
    # detected, not given): a stray quote, closed by another rows later, joins the rows between
    refuse_quoted_breaks: bool = False
    # ... by the columns of numbers (one per column; None: those read as float64)
    numeric: tuple[bool, ...] | None = None
    escape: str | None = None  # inside quotes, before a quote or itself: that character


class RecordError(Exception):
    """A record the engine cannot read; the attributes say where (see ``normkit._native``)."""

    def __init__(self, native: BaseException):
        super().__init__(str(native))
        self.kind: str = native.kind
        self.row: int = native.row
        self.line: int = native.line
        self.column: int | None = native.column
        self.value: str = native.value
        self.expected: int | None = native.expected
        self.got: int | None = native.got
        #: Bytes read without finding the record's end, where that is how the error was found.
        self.within: int | None = None
        #: The line the first data record starts on, where known.
        self.first_line: int | None = None

    @property
    def at(self) -> str:
        """Where the record is: ``data row N``, and ``(line L)`` where that is not the line its
        row tells (``first_line + row - 1``: blank lines or quoted line breaks came before)."""
        where = f"data row {self.row:,}"
        if self.first_line is None or self.line == self.first_line + self.row - 1:
            return where
        return f"{where} (line {self.line:,})"


def new_engine(dialect: Dialect, kinds: Sequence[int], names: Sequence[str] | None = None):
    """The engine reading columns as ``kinds`` say, its batches' columns named ``names`` (by
    their numbers if None)."""
    from ... import _native

    return _native.CsvEngine(
        delimiter=dialect.delimiter,
        quote=dialect.quote,
        decimal_point=dialect.decimal_point,
        nulls=list(dialect.nulls),
        kinds=[int(k) for k in kinds],
        threads=csv_workers(),
        comment=dialect.comment,
        escape=dialect.escape,
        refuse_comment_rows=dialect.refuse_comment_rows,
        refuse_escaped_quotes=dialect.refuse_escaped_quotes,
        refuse_quoted_breaks=dialect.refuse_quoted_breaks,
        numeric=None if dialect.numeric is None else list(dialect.numeric),
        names=None if names is None else list(names),
    )
