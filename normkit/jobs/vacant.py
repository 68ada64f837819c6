"""Columns a fit found no value in (:mod:`normkit.estimator.vacant`) in the file jobs: the
batches of a transform's inputs, each read by its own rules, are refused at the first value
in one (:func:`refuse_values`), and ``drift`` flags values there (:func:`with_vacant_counted`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import pyarrow as pa

from ..core.categories import CategoryCounts
from ..estimator.vacant import first_value, vacant_columns, value_error
from ..io.dataset import Concatenated
from ..stats.fitted import FittedStats

__all__ = ["refuse_values", "with_vacant_counted"]


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
            source = batches.source_of(done)[0]
            csv = source.read.csv
            reading = source.missing_text, csv.decimal_point, source.read.infinities_missing
            found = first_value(batch, names, *reading)
            if found is not None:
                row, name, text = found
                raise value_error(locate(done + row, name), text, stats_name)
        done += batch.num_rows
        yield batch
