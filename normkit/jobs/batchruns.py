"""The runs a transform in batch mode leaves in its output (:func:`batch_runs`): what tells an
input to invert that was normalized batch by batch, which cannot be inverted, from a frozen
transform's output, where the input keeps no record of how it was made (a CSV from a pipe)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MIN_RUNS", "RUN_COLUMNS", "RUN_ROWS", "BatchRuns", "batch_runs"]

#: Columns of the first rows that :func:`batch_runs` looks at.
RUN_COLUMNS = 64

#: Rows of an input's first batch that :func:`batch_runs` looks at, at most: runs of up to a
#: quarter of them show (at least :data:`MIN_RUNS` runs are asked for).
RUN_ROWS = 4096

#: How equal a run's mean must be to beta, relative to gamma: as computed from the same values
#: rounded to 17 digits, far from anything data that was not normalized run by run comes near.
RUN_TOLERANCE = 1e-9

#: Runs a length must make within the rows looked at to be told.
MIN_RUNS = 4

#: How much smaller than the fitted data's a batch's variance may be for the bound on a run's
#: spread (eps shrinks a batch of a smaller variance more): where the rows looked at make
#: :data:`MANY_RUNS` runs or more (small batches, whose variances scatter widely), their
#: median spread is bound, by a sixteenth; where they make fewer (large batches, whose
#: variances are near the data's), each run's is, by a quarter. A frozen transform's runs of
#: mean beta (of groups whose values add up to a whole) scatter their spreads about |gamma|, or
#: sit well below it in a sorted file's first rows; a batch mode's sit at |gamma|, a little
#: under it.
SMALLER_BATCH_VARIANCE = (16.0, 4.0)

#: Runs from which the median of their spreads is bound, not each.
MANY_RUNS = 16


@dataclass(frozen=True)
class BatchRuns:
    """Runs of ``length`` rows, each with mean beta (``column``'s: ``mean``) and the spread of a
    batch normalized on its own (``column``'s first run: ``std``) in every column."""

    length: int
    column: int
    mean: float
    std: float


def batch_runs(
    rows: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float, spread: np.ndarray
) -> BatchRuns | None:
    """The runs a transform in batch mode leaves in its output's first ``rows`` (a row per
    record, NaN missing; ``gamma`` and ``beta`` of each column, ``eps`` the batch mode's, and
    ``spread`` the fitted data's standard deviation), if they show.

    Each batch normalized with its own statistics, ``gamma * (x - mean) / sqrt(var + eps) +
    beta``, has mean beta exactly and a standard deviation of ``|gamma| * sqrt(var / (var +
    eps))``: |gamma| at most, and near it where the batch's variance is not far below the fitted
    data's (:data:`SMALLER_BATCH_VARIANCE`); with eps 0, |gamma| exactly. So: a length of
    at least two rows, making :data:`MIN_RUNS` runs or more, such that in each column (of the
    first :data:`RUN_COLUMNS`) with two values or more in every run, every run has mean beta
    (:data:`RUN_TOLERANCE`) and a standard deviation of at most |gamma|, near it in the median
    of many runs or in each of few; one such column at least. A frozen transform's runs of mean beta (shares adding up to a whole in each group,
    data demeaned by entity) scatter their spreads about |gamma|, by a part in 2 * sqrt(rows) or
    so: few runs stay within a part in a thousand of it, none by chance all of four. Runs that
    hold the same values (data repeated, or balanced as a designed experiment is) tell
    nothing: one column at least must differ between the first two runs, as each batch
    normalized on its own does. Data standardized group by group already (mean 0 and
    standard deviation 1 in each group) looks so exactly, and is refused alike."""
    x = rows[:, :RUN_COLUMNS]
    k = x.shape[1]
    width = np.abs(np.asarray(gamma, np.float64)[:k])
    beta = np.asarray(beta, np.float64)[:k]
    lows = []
    for smaller in SMALLER_BATCH_VARIANCE:
        smallest = np.asarray(spread, np.float64)[:k] ** 2 / smaller
        with np.errstate(invalid="ignore", divide="ignore"):
            low = width * np.sqrt(smallest / (smallest + eps)) if eps > 0 else width
        lows.append(low * (1 - RUN_TOLERANCE))
    high = width * (1 + RUN_TOLERANCE)
    n = len(x)
    valid = ~np.isnan(x)
    x = np.where(valid, x - beta, 0.0)  # a run's mean is then 0
    zero = np.zeros((1, k))
    counts = np.concatenate([zero, np.cumsum(valid, axis=0)])
    sums = np.concatenate([zero, np.cumsum(x, axis=0)])
    squares = np.concatenate([zero, np.cumsum(x * x, axis=0)])
    tolerance = RUN_TOLERANCE * width
    told = (width > 0) & np.isfinite(lows[0]) & (lows[0] > 0)
    for length in range(2, n // MIN_RUNS + 1):
        at = np.arange(n // length + 1) * length
        low = lows[0] if len(at) - 1 >= MANY_RUNS else lows[1]
        count = np.diff(counts[at], axis=0)
        usable = (count >= 2).all(axis=0) & told
        if not usable.any():
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.diff(sums[at], axis=0)[:, usable] / count[:, usable]
            if (np.abs(mean) > tolerance[usable]).any():
                continue
            var = np.diff(squares[at], axis=0)[:, usable] / count[:, usable]
        std = np.sqrt(np.maximum(var, 0.0))
        if (std > high[usable]).any():
            continue
        least = np.median(std, axis=0) if len(at) - 1 >= MANY_RUNS else std
        if (least < low[usable]).any():
            continue
        first, second = (np.sort(x[r * length : (r + 1) * length], axis=0) for r in (0, 1))
        differ = (np.abs(first - second) > tolerance).any(axis=0) & usable
        if not differ.any():
            continue
        j = int(np.argmax(differ))
        return BatchRuns(length, j, float(beta[j]), float(std[0, usable[:j].sum()]))
    return None
