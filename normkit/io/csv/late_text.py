"""Columns of numbers by default that a CSV's first block holds no value of: no evidence of
numbers either, so their first value types them, wherever it comes. A number makes them numbers
(the engine parses them as float64 from the start, so that every number is its reading); a word
makes them text: the engine reads the chunk it stands in again, and the rest, with the column
as text (its chunks in flight are held, so that nothing is read twice from the stream, standard
input included). A word after a number in the column is refused as in any column of numbers."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import pyarrow as pa

from ..lazy import pc
from .kinds import ColumnKind
from .native import RecordError

__all__ = ["LateText"]


class LateText:
    """Which columns read as float64 (``kinds``: the engine's, by the columns ``names``) of
    those ``open`` (no value so far) a word turns into text.

    Parameters
    ----------
    names : sequence of str
        Every column of the CSV, in order.
    kinds : sequence of int
        What the engine does with each.
    open : collection of str
        The columns of numbers without a value so far.
    nulls : sequence of str
        The missing-value strings: no value.
    decimal_point : str
    infinite_missing : bool
        Infinities are no value either.
    """

    def __init__(
        self,
        names: Sequence[str],
        kinds: Sequence[int],
        open: Collection[str],
        nulls: Sequence[str],
        decimal_point: str,
        infinite_missing: bool,
    ):
        self._names, self._kinds = list(names), list(kinds)
        self.open = {n for n in open if n in self._names}
        #: The columns a word made text.
        self.turned: set[str] = set()
        self._reading = (list(nulls), decimal_point, infinite_missing)
        self._words: dict[str, RecordError] = {}  # turned by the chunk read again next

    def retype(self, error: RecordError) -> list[int] | None:
        """The kinds to read again with after ``error``: its column as text, if it is a word in
        an open column (a number before it in the same chunk refuses it all the same:
        :meth:`check`); None otherwise."""
        name = self._names[error.column] if error.column is not None else None
        if error.kind != "not_a_number" or name not in self.open or name in self._words:
            return None
        self._words[name] = error
        self._kinds[error.column] = ColumnKind.TEXT
        return list(self._kinds)

    def check(self, batch: pa.RecordBatch, first_row: int) -> None:
        """Follow the open columns through the next ``batch`` (its first row ``first_row``,
        1-based, of the file): a value decides them.

        Raises
        ------
        RecordError
            A word that a number comes before in its column.
        """
        from ... import _native

        for name in sorted(self.open):
            column = batch.column(name)
            error = self._words.pop(name, None)
            if error is not None:
                before = column.slice(0, error.row - first_row).to_pylist()
                if _native.first_value(before, *self._reading) is not None:
                    raise error
                self.open.discard(name)
                self.turned.add(name)
                continue
            present = pc.and_(pc.is_valid(column), pc.invert(pc.is_nan(column)))
            if self._reading[2]:
                present = pc.and_(present, pc.is_finite(column))
            if pc.any(present).as_py():
                self.open.discard(name)
