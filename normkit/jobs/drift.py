"""Drift: does new data still look like the data a stat file was fitted on?

One streaming pass over the new data computes its exact moments and, per column, a uniform
sample of its values (as fit does), whose counts in the 20 bins cut at the stat file's quantiles
(its sketch, see :mod:`normkit.core.sketch`) give PSI and KS. Per column:

- ``mean_shift``: ``(new mean - saved mean) / saved std``, the shift in units of the saved
  standard deviation (for a constant column, in units of its scale: 1, as in scikit-learn);
- ``std_ratio``: new standard deviation / saved one (1 when both are 0);
- ``missing_change``: new missing rate - saved missing rate (fractions of rows);
- ``psi``: population stability index over the 20 bins (0 for the same distribution; 0.1 is
  commonly read as a moderate shift, 0.25 as a large one). Its sampling noise is about 19 / n
  for n values, so it decides only for columns with at least
  :data:`~normkit.core.drift.MIN_PSI_VALUES` values in the new data and in the saved sample;
- ``ks``: largest difference of the two CDFs at the bin edges (Kolmogorov-Smirnov distance).

A column drifts when ``|mean_shift|``, ``|ln(std_ratio)|``, ``|missing_change|`` or ``psi``
exceeds the threshold (default 0.2: a mean that moved by a fifth of a standard deviation, a
standard deviation 22% larger or 18% smaller, 20 more missing values in 100 rows, a PSI above
0.2), and, for the first three, also exceeds three times its standard error under no drift
(``3 / sqrt(n)`` for the mean shift, ``3 / sqrt(2 (n - 1))`` for the log std ratio,
``3 sqrt(p (1 - p) / rows)`` for the missing rate), so that a small batch of data from the same
distribution is not flagged for what chance explains. A column with no value in the new data is
judged by its missing rate alone. The std ratio of a heavy-tailed column varies much between
samples; its PSI is the steadier judge.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from .. import params
from ..core.accumulator import Accumulator
from ..core.drift import MIN_PSI_VALUES, bin_counts, drift_scores
from ..errors import StatsFileError
from ..estimator.files import as_stats, stats_path
from ..estimator.standardizer import Standardizer
from ..io.dataset import open_dataset
from ..io.options import ReadOptions
from ..stats.fitted import FittedStats, StatsOptions
from .sources import Progress, check_stat_columns, feed, require_rows

__all__ = ["DEFAULT_THRESHOLD", "ColumnDrift", "DriftOptions", "DriftReport", "drift_files"]

DEFAULT_THRESHOLD = 0.2


@dataclass(frozen=True)
class DriftOptions:
    """How drift is judged.

    Parameters
    ----------
    threshold : float, default 0.2
        The practical size of drift (see the module's notes).
    """

    threshold: float = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        params.check("threshold", self.threshold)


@dataclass(frozen=True)
class ColumnDrift:
    """The drift scores of one column (see the module's notes); NaN where undefined."""

    name: str
    count: int
    missing: int
    reference_mean: float
    mean: float
    reference_std: float
    std: float
    mean_shift: float
    std_ratio: float
    reference_missing_rate: float
    missing_rate: float
    missing_change: float
    psi: float
    ks: float
    psi_decides: bool
    reasons: tuple[str, ...]

    @property
    def drifted(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class DriftReport:
    """Drift of every column of a stat file in new data."""

    columns: list[ColumnDrift]
    rows: int
    threshold: float
    sources: list[str]

    @property
    def drifted(self) -> list[str]:
        """Names of the columns that drifted."""
        return [c.name for c in self.columns if c.drifted]

    def to_dict(self) -> dict:
        """A JSON-ready dict (non-finite numbers as None)."""

        def clean(value):
            if isinstance(value, float) and not math.isfinite(value):
                return None
            return value

        columns = []
        for column in self.columns:
            entry = {k: clean(v) for k, v in asdict(column).items()}
            entry["reasons"] = list(column.reasons)
            entry["drifted"] = column.drifted
            columns.append(entry)
        return {
            "threshold": self.threshold,
            "rows": self.rows,
            "sources": self.sources,
            "drifted": self.drifted,
            "columns": columns,
        }


def drift_files(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    reference: Standardizer | FittedStats | str | os.PathLike[str],
    options: DriftOptions | None = None,
    read: ReadOptions | None = None,
    progress: Progress | None = None,
) -> DriftReport:
    """Compare new data with the statistics it should match.

    Parameters
    ----------
    inputs : path or sequence of paths
        Files, ``"-"``, directories or glob patterns.
    reference : Standardizer, FittedStats or path
        Fitted statistics with a distribution sketch (any stat file written by ``normkit fit``),
        or the stat file to read them from.
    options : DriftOptions or None
    read : ReadOptions or None
    progress : callable(reader, rows) or None

    Returns
    -------
    DriftReport
    """
    options = options or DriftOptions()
    path = stats_path(reference)
    reference = as_stats(reference)
    sketch = reference.sketch
    if sketch is None:
        error = StatsFileError(
            "the stat file has no distribution sketch (it was written by an older normkit or "
            "by merging files that lacked one); fit it again to check drift"
        )
        raise error.within(path) if path is not None else error
    read = (read or ReadOptions()).completed_by(reference.read)
    sources = open_dataset(inputs, read)
    names = list(reference.names)
    check_stat_columns(sources, names)
    # PSI and KS are computed on a uniform sample of each column's new values, taken in the same
    # pass as fit takes its own (10,000 values: sampling noise in PSI about 0.002).
    accumulator = Accumulator(names)
    feed(accumulator, sources, names, progress)
    require_rows(accumulator.n_rows, sources)
    result = accumulator.finish()
    n = len(names)
    new = FittedStats.from_pass(
        names,
        reference.dtypes,
        result,
        StatsOptions(ddof=reference.options.ddof),
        np.ones(n),
        np.zeros(n),
    )
    counts = np.zeros((n, sketch.edges.shape[1] + 1), dtype=np.int64)
    for j in range(n):
        if np.isfinite(sketch.edges[j]).all():
            counts[j] = bin_counts(result.sample.values(j), sketch.edges[j])
    threshold = options.threshold
    columns = [_column_drift(reference, new, j, counts[j], threshold) for j in range(n)]
    return DriftReport(columns, int(new.n_rows), threshold, [s.name for s in sources])


def _rate(missing: int, count: int) -> float:
    return missing / (missing + count) if missing + count else math.nan


def _column_drift(
    reference: FittedStats, new: FittedStats, j: int, counts: np.ndarray, threshold: float
) -> ColumnDrift:
    ref_mean, ref_scale = float(reference.mean[j]), float(reference.scale[j])
    ref_std = math.sqrt(max(float(reference.var[j]), 0.0))
    count, missing = int(new.count[j]), int(new.n_missing[j])
    mean = float(new.mean[j]) if count else math.nan
    std = math.sqrt(max(float(new.var[j]), 0.0)) if count > reference.options.ddof else math.nan
    shift = (mean - ref_mean) / (ref_std if ref_std > 0 else ref_scale)
    if ref_std == 0.0:
        ratio = 1.0 if std == 0.0 else (math.inf if std > 0 else math.nan)
    else:
        ratio = std / ref_std
    ref_rate = _rate(int(reference.n_missing[j]), int(reference.count[j]))
    rate = _rate(missing, count)
    sketch = reference.sketch
    psi, ks = drift_scores(counts, sketch.edges[j], sketch.cdf[j])
    psi_decides = min(int(counts.sum()), int(sketch.counts[j])) >= MIN_PSI_VALUES
    # A score decides only beyond its sampling noise (3 standard errors), so that a small batch
    # of data from the same distribution is not flagged for what chance alone explains.
    reasons = []
    if count and abs(shift) > max(threshold, 3 / math.sqrt(count)):
        reasons.append("mean")
    if count >= 2:
        log_ratio = abs(math.log(ratio)) if ratio > 0 else math.inf
        if log_ratio > max(threshold, 3 / math.sqrt(2 * (count - 1))):
            reasons.append("std")
    rows = count + missing
    noise = 3 * math.sqrt(ref_rate * (1 - ref_rate) / rows) if rows else math.inf
    if abs(rate - ref_rate) > max(threshold, noise):
        reasons.append("missing")
    if psi_decides and math.isfinite(psi) and psi > threshold:
        reasons.append("psi")
    return ColumnDrift(
        name=reference.names[j],
        count=count,
        missing=missing,
        reference_mean=ref_mean,
        mean=mean,
        reference_std=ref_std,
        std=std,
        mean_shift=shift,
        std_ratio=ratio,
        reference_missing_rate=ref_rate,
        missing_rate=rate,
        missing_change=rate - ref_rate,
        psi=psi,
        ks=ks,
        psi_decides=psi_decides,
        reasons=tuple(reasons),
    )
