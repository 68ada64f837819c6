"""Quantiles of the columns of a sample with missing values (NaN), in one sort."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["nan_quantiles"]


def nan_quantiles(sample: np.ndarray, count: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """The quantiles ``qs`` of each column of ``sample`` without its NaN (``count`` values in
    each), shape ``(len(qs), n_columns)``, NaN for a column without values: numpy's
    ``nanquantile(sample, qs, axis=0)`` (linear interpolation), in one sort of every column
    rather than a call per column (20,000 columns: a second)."""
    ordered = np.sort(sample, axis=0)  # NaN last
    top = np.maximum(count - 1, 0)
    result = np.empty((len(qs), sample.shape[1]))
    for i, q in enumerate(qs):
        at = q * top
        lo = np.floor(at).astype(np.intp)
        hi = np.minimum(lo + 1, top)
        t = at - lo
        a = np.take_along_axis(ordered, lo[None, :], axis=0)[0]
        b = np.take_along_axis(ordered, hi[None, :], axis=0)[0]
        with np.errstate(invalid="ignore"):
            diff = b - a
            # numpy's lerp: from the nearer end, so that the result stays between a and b.
            result[i] = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    result[:, count == 0] = np.nan
    return result
