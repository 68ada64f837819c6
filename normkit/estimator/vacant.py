"""Columns a fit found no value in, and which must hold none when the statistics are applied.

A fit passes through a column of no value (every row missing: ``why`` ``"no values"``), as it
has nothing to fit; the column has no statistics. Where a later input holds values in it, they
would go out as they came, beside columns that are normalized: the data differs from what was
fitted in a way the output would not show. Applying the statistics refuses it, naming the first
value, and says what to do: fit on data where the column has values, or exclude it from the fit
to pass it through on purpose (``why`` ``"excluded"``, which this rule leaves alone).

The rule holds wherever the statistics are applied: to tables in memory
(:func:`refuse_in_memory`, by ``Standardizer.transform``), to files' record batches
(:mod:`normkit.jobs.vacant`), and in CSV records written again by the native engine
(``normkit._native.CsvRewrite``'s ``vacant`` columns), which stop at the same value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import DataError
from ..io.arrow import holds_text
from ..io.lazy import pc
from ..stats.fitted import FittedStats
from .tables import is_eager_frame, is_pandas, table_to_arrow

__all__ = [
    "first_value",
    "refuse_in_memory",
    "text_of_no_value_as_null",
    "vacant_columns",
    "value_error",
]


def text_of_no_value_as_null(table: pa.Table | pa.RecordBatch) -> pa.Table | pa.RecordBatch:
    """The first batch of a fit in memory with its text columns of no value at all (polars'
    ``String`` of nulls, pandas' ``string`` of NA) of type null, as pandas' column of None is:
    open for the numbers of later batches, not passed through as text (whose later numbers would
    go out raw)."""
    if not table.num_rows:
        return table
    for i, field in enumerate(table.schema):
        column = table.column(i)
        if holds_text(field.type) and column.null_count == len(column):
            nulls = pa.nulls(len(column))
            if isinstance(table, pa.Table):
                nulls = pa.chunked_array([nulls])
            table = table.set_column(i, pa.field(field.name, pa.null()), nulls)
    return table


def vacant_columns(stats: FittedStats) -> list[str]:
    """The columns the fit of ``stats`` passed through for having no value."""
    return [p.name for p in stats.passthrough or () if p.why == "no values"]


def value_error(where: str, text: str, stats_name: str | None) -> DataError:
    """The error of a value ``text`` at ``where`` (a cell: file, column, row), in a column
    which the fit of the statistics (read from ``stats_name``, if a file) found no value in."""
    fitted = f"the data {stats_name} was fitted on" if stats_name else "the data fitted"
    return DataError(
        f"{where}: holds {text!r}, but the column had no value in {fitted}, so it has no "
        "statistics and its values would pass through as they are; fit on data where it has "
        "values, or exclude it from the fit to pass it through on purpose"
    )


def first_value(
    batch: pa.RecordBatch,
    names: Iterable[str],
    missing_text: Sequence[str] = (),
    decimal_point: str = ".",
    infinite_missing: bool = False,
) -> tuple[int, str, str] | None:
    """The first value of ``batch`` in its columns ``names`` (those it has): ``(row, column,
    text)``, the first row that holds one, and in it the first such column; None where there is
    none. No value is what the fit counted as none: a null, NaN, an infinity read as missing
    (``infinite_missing``), and in a CSV's text the missing-value strings ``missing_text`` and
    the numbers they spell (``-999.0`` for ``-999``; with ``decimal_point``), as the engine
    reads a column of numbers."""
    from .. import _native

    wanted, found = set(names), None
    for i, field in enumerate(batch.schema):
        if field.name not in wanted or pa.types.is_null(field.type):
            continue
        column = batch.column(i)
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        present = pc.is_valid(column)
        if pa.types.is_floating(column.type):
            present = pc.and_(present, pc.invert(pc.is_nan(column)))
            if infinite_missing:
                present = pc.and_(present, pc.is_finite(column))
        text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        if text and missing_text:
            missing = pa.array(list(missing_text), column.type)
            present = pc.and_(present, pc.invert(pc.is_in(column, value_set=missing)))
        if not pc.any(present).as_py():
            continue
        # NaN and the numbers the missing strings spell (' -999' read as the integer -999 where
        # '-999' is one) are no value either: the values left, as text, by the engine's rule.
        at = np.flatnonzero(present.to_numpy(zero_copy_only=False))
        texts = [v if text else str(v) for v in column.take(pa.array(at)).to_pylist()]
        point = decimal_point if text else "."
        k = _native.first_value(texts, list(missing_text), point, infinite_missing)
        if k is not None and (found is None or at[k] < found[0]):
            found = (int(at[k]), field.name, texts[k])
    return found


def refuse_in_memory(X: Any, names: Sequence[str]) -> Any:
    """``X`` (a table, a frame, or a stream of record batches, returned as a generator),
    refused at the first value in one of its columns ``names`` (:func:`first_value`; rows
    counted from 1 over a whole stream). An array has no names, and no such column."""
    if not names:
        return X
    if isinstance(X, pa.RecordBatch | pa.Table) or is_pandas(X) or is_eager_frame(X):
        if is_pandas(X):  # only the columns checked are converted
            wanted = set(names)
            labels = [c for c in X.columns if str(c) in wanted]
            table = pa.Table.from_pandas(X[labels], preserve_index=False)
        else:
            table = table_to_arrow(X) if is_eager_frame(X) else X
        batches = table.to_batches() if isinstance(table, pa.Table) else [table]
        for _ in _checked(batches, names):
            pass
        return X
    if isinstance(X, Iterable) and not isinstance(X, str | bytes | np.ndarray):
        return _checked(X, names)
    return X


def _checked(batches: Iterable[pa.RecordBatch], names: Sequence[str]) -> Iterator[pa.RecordBatch]:
    done = 0
    for batch in batches:
        found = first_value(batch, names) if isinstance(batch, pa.RecordBatch) else None
        if found is not None:
            row, name, text = found
            raise value_error(f"column {name!r} at row {done + row + 1:,}", text, None)
        done += getattr(batch, "num_rows", 0)
        yield batch
