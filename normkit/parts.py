"""A data set fitted in parts: what each file contributes, and how the parts combine.

A part's contribution (:class:`PartFit`) is its exact moments (count, mean, M2, min, max,
missing count; they merge exactly by Chan et al.'s update, in any order) and, for the running
statistics, its :class:`normkit.ema.EmaSegment`. A segment depends on where the logical batch
boundaries fall among the part's rows, that is on the index of its first row in the whole data
set, so :func:`fit_part` is told that index; :func:`combine_parts` checks that adjacent parts
meet, and combines them in order. Any grouping of adjacent parts gives the same result (up to
rounding), which is what lets a cluster reduce them as a tree.

These functions are plain and picklable: the Dask engine runs them on its workers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from .ema import EmaOptions, EmaSegment, SegmentBuilder
from .errors import DataError
from .moments import Moments, merge_moments
from .sketch import ColumnSamples
from .standardizer import Standardizer

__all__ = ["PartFit", "combine_parts", "count_rows", "fit_part", "standardizer_from_parts"]


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
    """

    first_row: int
    rows: int
    moments: Moments
    segment: EmaSegment | None
    sample: ColumnSamples
    sources: list[dict]


def fit_part(
    path: str,
    file_index: int,
    first_row: int,
    read,
    names: Sequence[str],
    dtypes: Sequence[str],
    ema: EmaOptions | None,
) -> PartFit:
    """Fit one file of a data set.

    Parameters
    ----------
    path : str
    file_index : int
        Its place in the data set (the keys of the rows it contributes to the sample).
    first_row : int
        Index of the file's first row in the data set (batch boundaries of the EMA).
    read : ReadOptions
    names, dtypes : sequence of str
        The columns to fit and their types (chosen once for the whole data set).
    ema : EmaOptions or None

    Returns
    -------
    PartFit
    """
    source = read.open(path)
    scaler = Standardizer(columns=list(names), ema=ema)
    scaler._start(names, dtypes)
    scaler._file_index = file_index
    if ema is not None:
        # The part's running statistics as a segment; the exact moments come from the same pass.
        scaler.ema_ = SegmentBuilder(ema, len(names), first_row)
    try:
        for batch in source.batches(names, all_columns=False):
            scaler.partial_fit(batch)
    except DataError as exc:
        raise DataError(f"{source.name}: {exc}") from None
    scaler.finish()
    rows = scaler.n_rows_seen_
    segment = scaler.ema_.segment if ema is not None else None
    described = {
        "path": os.path.abspath(source.path),
        "format": str(source.format),
        "rows": rows,
        "bytes": source.size_bytes,
    }
    return PartFit(first_row, rows, scaler.moments_, segment, scaler._sample, [described])


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
        )
    return combined


def standardizer_from_parts(
    scaler: Standardizer, names: Sequence[str], dtypes: Sequence[str], total: PartFit
) -> Standardizer:
    """Set ``scaler``'s fitted state from the combination of every part of a data set (as
    :func:`normkit.fit_files` leaves it after :meth:`Standardizer.finish`)."""
    if total.first_row != 0:
        raise ValueError("the parts do not start at the first row of the data set")
    scaler._start(names, dtypes)
    scaler.moments_ = total.moments
    scaler.n_rows_seen_ = total.rows
    scaler._shift_known = total.moments.count > 0
    if scaler.ema_ is not None:
        total.segment.finish(scaler.ema_)
    scaler._sample = total.sample
    scaler.sketch_ = total.sample.sketch()
    scaler._set_derived()
    return scaler


def count_rows(path: str, read) -> int:
    """The number of data rows of a file, cheaply: Parquet from its metadata, Arrow IPC from
    its batches' headers; for CSV a *prediction*, the number of non-empty lines after the
    header (a quoted field holding a line break makes it too large). Callers check it against
    the rows actually read."""
    return read.open(path).count_rows()
