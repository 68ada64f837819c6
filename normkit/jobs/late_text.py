"""A fit's columns of numbers by default that no CSV's first block holds a value of: the first
value wherever it comes types them (see :mod:`normkit.io.csv.late_text`). A word makes such a
column text, as if it had stood in the first block: passed through (``why`` ``"text"``), its
categories counted from the rows it has values in, the rows before it counted as missing; its
float64 reading until then held no value, so the numbers fitted do not change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from ..core.categories import CategoryCounter, CategoryCounts
from ..io.reader import Reader
from .categories import add_counts, count_batches

__all__ = ["TextLater"]


class TextLater:
    """Follows the columns ``names`` of ``dtypes`` ``"null"`` (no value in any first block),
    when chosen ``by_type``, through a fit's batches.

    Parameters
    ----------
    names : sequence of str
        The columns fitted.
    dtypes : sequence of str
        Their types, as the data set's first rows give them.
    by_type : bool
        Whether the columns were chosen by type (chosen by name, a word is refused).
    cap : int
        Categories kept per column while counting (the fit's category counter's).
    """

    def __init__(self, names: Sequence[str], dtypes: Sequence[str], by_type: bool, cap: int):
        self.open = [n for n, d in zip(names, dtypes, strict=True) if d == "null" and by_type]
        self._counters: dict[str, CategoryCounter] = {}  # of the columns a word made text
        self._cap = cap
        self._rows = 0  # rows fed (of weight above 0) while the open columns had no value

    @property
    def turned(self) -> list[str]:
        """The columns a word made text, in the order of the columns fitted."""
        return list(self._counters)

    def floats(self, floats: Sequence[str]) -> list[str]:
        """Of the columns read as float64, those still read so."""
        return [n for n in floats if n not in self._counters]

    def begin(self, source: Reader) -> None:
        """Before ``source`` is read: a word may make text of the columns open so far."""
        source.allow_text([n for n in self.open if n not in self._counters])

    def columns(self, batch: pa.RecordBatch, names: Sequence[str], to_float64) -> list:
        """The float64 columns ``names`` of ``batch`` (``to_float64``: of one of them); those
        a word made text, of no value."""
        return [
            np.full(batch.num_rows, np.nan)
            if n in self._counters or not pa.types.is_floating(batch.schema.field(n).type)
            else to_float64(batch.column(n))
            for n in names
        ]

    def observe(
        self,
        batch: pa.RecordBatch,
        source: Reader,
        weights: np.ndarray | None,
        weight_column: str | None,
    ) -> None:
        """Follow the open columns through ``batch`` of ``source``: a value of numbers decides
        them (numbers); one read as text made them text, and its categories are counted."""
        if not (self.open or self._counters):
            return
        for name in list(self.open):
            column = batch.column(name)
            if pa.types.is_floating(column.type):
                if (
                    column.null_count < len(column)
                    and not np.isnan(column.to_numpy(zero_copy_only=False)).all()
                ):
                    self.open.remove(name)
                continue
            counter = CategoryCounter([name], cap=self._cap)
            counter.update(name, [], [], missing=self._rows)
            self._counters[name] = counter
            self.open.remove(name)
        for name, counter in self._counters.items():
            if name in batch.schema.names:
                for _, counted in count_batches(iter([batch]), source, counter, weight_column):
                    add_counts(counter, counted)
        self._rows += batch.num_rows if weights is None else int(np.count_nonzero(weights > 0))

    def as_text(self, schema: pa.Schema) -> pa.Schema:
        """``schema`` with the columns a word made text as text."""
        for name in self._counters:
            i = schema.get_field_index(name)
            schema = schema.set(i, schema.field(i).with_type(pa.string()))
        return schema

    def counted(
        self, counted: Mapping[str, CategoryCounts], order: Sequence[str]
    ) -> dict[str, CategoryCounts]:
        """``counted`` (the fit's category counts) with those of the columns a word made text,
        in the order of ``order``."""
        every = {**counted, **{n: c.result()[n] for n, c in self._counters.items()}}
        return {n: every[n] for n in order if n in every}
