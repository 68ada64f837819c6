"""A data set fitted in parts: what each file contributes, and how the parts combine.

A part's contribution (:class:`PartFit`) is its exact moments (count, mean, M2, min, max,
missing count; they merge exactly by Chan et al.'s update, in any order), the category counts
of its text and boolean columns (kept up to the working cap, so that they merge exactly while a
column has at most that many categories, as one pass counts them) and, for the running
statistics, its :class:`normkit.core.segments.EmaSegment`. A segment depends on where the logical batch
boundaries fall among the part's rows, that is on the index of its first row in the whole data
set, so :func:`fit_part` is told that index; :func:`combine_parts` checks that adjacent parts
meet, and combines them in order. Any grouping of adjacent parts gives the same result (up to
rounding), which is what lets a cluster reduce them as a tree.

These functions are plain and picklable: the Dask engine runs them on its workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.accumulator import DIVIDE_WEIGHTS, SUMS_OVERFLOW, Accumulator, overflowing_weight
from ..core.categories import CategoryCounter, CategoryCounts, merge_columns, working_categories
from ..core.moments import Moments, merge_moments
from ..core.running import EmaOptions, RunningState
from ..core.segments import EmaSegment
from ..core.sketch import ColumnSamples
from ..errors import DataError
from ..io.arrow import to_float64
from ..io.inputs import open_input
from ..io.options import ReadOptions
from ..io.partitions import Keys, Partitioned
from ..stats.fitted import FittedStats, StatsOptions
from .categories import add_counts, count_batches
from .sources import IdentifierCheck, describe_source

__all__ = ["PartFit", "combine_parts", "count_rows", "fit_part", "stats_from_parts"]


@dataclass(frozen=True)
class PartFit:
    """The statistics of consecutive rows of a data set (one file, or adjacent files combined).

    Attributes
    ----------
    first_row : int
        Index of the first row in the data set.
    rows : int
    moments : Moments
    segment : EmaSegment or None
        None when no running statistics are computed.
    sample : ColumnSamples
        The rows sampled for the distribution sketch.
    sources : list of dict
        Provenance of each file: path, format, rows, bytes.
    categories : dict of str to CategoryCounts
        The counts of the text and boolean columns (up to the working cap).
    """

    first_row: int
    rows: int
    moments: Moments
    segment: EmaSegment | None
    sample: ColumnSamples
    sources: list[dict]
    categories: dict[str, CategoryCounts]


def fit_part(
    path: str,
    file_index: int,
    first_row: int,
    keys: Keys | None,
    read: ReadOptions,
    names: Sequence[str],
    ema: EmaOptions | None,
    categories: Sequence[str] = (),
    weight_column: str | None = None,
    identifiers: IdentifierCheck | None = None,
) -> PartFit:
    """Fit one file of a data set.

    Parameters
    ----------
    path : str
    file_index : int
        Its place in the data set (the keys of the rows it contributes to the sample).
    first_row : int
        Index of the file's first row in the data set (batch boundaries of the EMA).
    keys : Keys or None
        Its hive directories' partition keys, columns of its rows as in the local engine's
        reading of the data set (:mod:`normkit.io.partitions`); None: none.
    read : ReadOptions
    names : sequence of str
        The columns to fit (chosen once for the whole data set).
    ema : EmaOptions or None
    categories : sequence of str
        The text and boolean columns whose categories are counted.
    weight_column : str or None
        The rows' sample weights (then ``ema`` must be None: weighted fits have no running
        statistics).
    identifiers : IdentifierCheck or None
        Refuses an integer beyond int64 in a typed column chosen by its type, as a local fit.

    Returns
    -------
    PartFit
    """
    source = open_input(path, read)
    if keys is not None:
        source = Partitioned(source, keys)
    # The part's running statistics as a segment; the exact moments come from the same pass.
    accumulator = Accumulator(
        names,
        running=ema,
        first_row=first_row if ema is not None else None,
        weighted=weight_column is not None,
        weight_name=weight_column,
    )
    accumulator.start_part(file_index)
    counter = CategoryCounter(categories)
    floats = [*names, weight_column] if weight_column is not None else list(names)
    try:
        if identifiers is None:
            batches = source.batches(floats, all_columns=False, also=counter.names)
        else:
            batches = identifiers.batches(source, floats, counter.names)
        for batch, counted in count_batches(batches, source, counter, weight_column):
            add_counts(counter, counted)
            if batch is not None:
                weights = None
                if weight_column is not None:
                    weights = to_float64(batch.column(weight_column))
                columns = [to_float64(batch.column(name)) for name in names]
                accumulator.update(columns, weights)
    except DataError as exc:
        raise exc.within(source.name) from None
    result = accumulator.finish()
    described = describe_source(source, result.n_rows)
    return PartFit(
        first_row,
        result.n_rows,
        result.moments,
        result.segment,
        result.sample,
        [described],
        counter.result(cap=counter.cap),
    )


def combine_parts(parts: Sequence[PartFit], ema: EmaOptions | None) -> PartFit:
    """Adjacent parts, in order, as one.

    Raises
    ------
    ValueError
        If a part does not begin where the one before it ends (its running statistics were
        computed for other batch boundaries).
    """
    combined = parts[0]
    for later in parts[1:]:
        if later.first_row != combined.first_row + combined.rows:
            raise ValueError(
                f"part at row {later.first_row:,} does not follow rows "
                f"{combined.first_row:,}..{combined.first_row + combined.rows:,}"
            )
        segment = None
        if combined.segment is not None and later.segment is not None:
            segment = combined.segment.then(later.segment, ema)
        combined = PartFit(
            combined.first_row,
            combined.rows + later.rows,
            merge_moments(combined.moments, later.moments),
            segment,
            combined.sample.merge(later.sample),
            combined.sources + later.sources,
            merge_columns(
                combined.categories,
                later.categories,
                cap=working_categories(len(combined.categories)),
            ),
        )
    return combined


def stats_from_parts(
    names: Sequence[str],
    dtypes: Sequence[str],
    total: PartFit,
    options: StatsOptions,
    ema: EmaOptions | None,
    gamma: np.ndarray,
    beta: np.ndarray,
) -> FittedStats:
    """The statistics of a data set from the combination of all its parts (equal to those of
    one pass over it)."""
    if total.first_row != 0:
        raise ValueError("the parts do not start at the first row of the data set")
    if (j := overflowing_weight(total.moments)) is not None:
        raise DataError(
            f"column {names[j]!r}: {SUMS_OVERFLOW} once the files' sums are added",
            hints=(DIVIDE_WEIGHTS,),
        )
    running = None
    if ema is not None:
        running = total.segment.finish(RunningState.initial(ema, len(names)))
    stats = FittedStats.build(
        names,
        dtypes,
        total.moments,
        total.rows,
        options,
        gamma=gamma,
        beta=beta,
        running=running,
        sketch=total.sample.sketch(),
        categories={name: c.truncated() for name, c in total.categories.items()},
    )
    stats.affine(gamma, beta)  # as FittedStats.from_pass: the spread known, beta is checked
    return stats


def count_rows(path: str, read: ReadOptions) -> int:
    """The number of data rows of a file, cheaply: Parquet from its metadata, Arrow IPC from
    its batches' headers; for CSV a *prediction*, the number of non-empty lines after the
    header (a quoted field holding a line break makes it too large). Callers check it against
    the rows actually read."""
    return open_input(path, read).count_rows()
