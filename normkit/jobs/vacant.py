"""Columns a fit found no value in, and which must hold none when the statistics are applied.

A fit passes through a column of no value (every row missing: ``why`` ``"no values"``), as it
has nothing to fit; the column has no statistics. Where a later input holds values in it, they
would go out as they came, beside columns that are normalized: the data differs from what was
fitted in a way the output would not show. The transform refuses it, naming the first value,
and says what to do: fit on data where the column has values, or exclude it from the fit to
pass it through on purpose (``why`` ``"excluded"``, which this rule leaves alone).

The rule holds wherever the statistics are applied to files: on record batches here
(:func:`refuse_values`), and in CSV records written again by the native engine
(``normkit._native.CsvRewrite``'s ``vacant`` columns), which stop at the same value; and
``drift`` flags the change (:func:`with_vacant_counted`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace

import numpy as np
import pyarrow as pa

from ..core.categories import CategoryCounts
from ..errors import DataError
from ..io.dataset import Concatenated
from ..io.lazy import pc
from ..io.reader import Reader
from ..stats.fitted import FittedStats

__all__ = [
    "first_value",
    "refuse_values",
    "vacant_columns",
    "value_error",
    "with_vacant_counted",
]


def vacant_columns(stats: FittedStats) -> list[str]:
    """The columns the fit of ``stats`` passed through for having no value."""
    return [p.name for p in stats.passthrough or () if p.why == "no values"]


def with_vacant_counted(stats: FittedStats, present: Sequence[str]) -> FittedStats:
    """``stats`` with its columns of no value that ``present`` (an input's columns) has among
    the columns whose categories drift compares: no category, every row missing. A value in
    one of them is then a change of its missing rate, from all to fewer, which drift flags
    (the transform refuses it)."""
    vacant = [n for n in vacant_columns(stats) if n in set(present)]
    if not vacant:
        return stats
    empty = {n: CategoryCounts({}, 0, stats.n_rows) for n in vacant}
    return replace(stats, categories={**(stats.categories or {}), **empty})


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
    batch: pa.RecordBatch, names: Iterable[str], source: Reader
) -> tuple[int, str, str] | None:
    """The first value of ``batch`` (of ``source``) in its columns ``names`` (those it has):
    ``(row, column, text)``, the first row that holds one, and in it the first such column;
    None where there is none. No value is what the fit counted as none: a null, NaN, an
    infinity read as missing, and in a CSV's text the missing-value strings and the numbers
    they spell (``-999.0`` for ``-999``), as the engine reads a column of numbers."""
    from .. import _native

    wanted, found = set(names), None
    infinite_missing = source.read.infinities_missing
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
        if text and source.missing_text:
            missing = pa.array(list(source.missing_text), column.type)
            present = pc.and_(present, pc.invert(pc.is_in(column, value_set=missing)))
        if not pc.any(present).as_py():
            continue
        # NaN and the numbers the missing strings spell (' -999' read as the integer -999 where
        # '-999' is one) are no value either: the values left, as text, by the engine's rule.
        at = np.flatnonzero(present.to_numpy(zero_copy_only=False))
        texts = [v if text else str(v) for v in column.take(pa.array(at)).to_pylist()]
        point = source.read.csv.decimal_point if text else "."
        k = _native.first_value(texts, list(source.missing_text), point, infinite_missing)
        if k is not None and (found is None or at[k] < found[0]):
            found = (int(at[k]), field.name, texts[k])
    return found


def refuse_values(
    batches: Concatenated,
    names: Sequence[str],
    locate: Callable[[int, str], str],
    stats_name: str | None,
) -> Iterator[pa.RecordBatch]:
    """The batches of ``batches``, refused at the first value in one of the columns ``names``
    (:func:`first_value`); ``locate(row, name)`` names a cell by its row counted over all the
    batches."""
    done = 0
    for batch in batches:
        if names and batch.num_rows:
            found = first_value(batch, names, batches.source_of(done)[0])
            if found is not None:
                row, name, text = found
                raise value_error(locate(done + row, name), text, stats_name)
        done += batch.num_rows
        yield batch
