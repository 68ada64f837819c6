"""Kernels that apply fitted statistics to columns, in float64: numpy, one column at a time;
and the native engine's, many columns in one pass each (:func:`standardize_rows`), with the same
operations in the same order, so the same bits.

Also the rule that turns a variance into a scale (:func:`scale_from_var`), scikit-learn's
constant-column rule included.

The operations are those of scikit-learn's ``StandardScaler`` in the same order (subtract, then
true division; multiply, then add for the inverse), so with equal statistics the results are
bit-for-bit equal to scikit-learn's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _native

__all__ = [
    "inverse_standardize",
    "inverse_standardize_rows",
    "is_constant",
    "scale_from_var",
    "standardize",
    "standardize_rows",
]


def standardize(
    x: np.ndarray,
    center: float | np.ndarray,
    scale: float | np.ndarray,
    gamma: float = 1.0,
    beta: float = 0.0,
) -> np.ndarray:
    """``gamma * (x - center) / scale + beta`` as a new float64 array; NaN stays NaN.

    Subtract, then true division, as ``StandardScaler.transform``; the affine step is skipped when
    it is the identity, so the default output is bit for bit scikit-learn's. ``center`` and
    ``scale`` may be arrays of the rows' length (per-batch statistics).
    """
    # An overflow shows as an infinite output, which the caller reports with its row.
    with np.errstate(over="ignore", invalid="ignore"):
        y = np.subtract(x, center, dtype=np.float64)
        y /= scale
        if gamma != 1.0:
            y *= gamma
        if beta != 0.0:
            y += beta
    return y


def inverse_standardize(
    y: np.ndarray,
    center: float | np.ndarray,
    scale: float | np.ndarray,
    gamma: float = 1.0,
    beta: float = 0.0,
) -> np.ndarray:
    """``(y - beta) / gamma * scale + center``: the inverse of :func:`standardize`."""
    x = np.array(y, dtype=np.float64, copy=True)
    with np.errstate(over="ignore", invalid="ignore"):
        if beta != 0.0:
            x -= beta
        if gamma != 1.0:
            x /= gamma
        x *= scale
        x += center
    return x


def standardize_rows(
    columns: Sequence[np.ndarray],
    center: np.ndarray,
    scale: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`standardize` of each of ``columns`` (of one length) with ``center[j]``,
    ``scale[j]``, ``gamma[j]`` and ``beta[j]``, as the rows of one new array: the same
    operations on every element, the affine step skipped where :func:`standardize` skips it, so
    the same bits, each column in one pass of the native engine (numpy's would take one per
    operation). With it, whether each row holds an infinite value (found in the same pass)."""
    return _rows(columns, center, scale, gamma, beta, inverse=False)


def inverse_standardize_rows(
    columns: Sequence[np.ndarray],
    center: np.ndarray,
    scale: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`inverse_standardize` of each of ``columns``, as :func:`standardize_rows` is
    :func:`standardize`'s."""
    return _rows(columns, center, scale, gamma, beta, inverse=True)


def _rows(
    columns: Sequence[np.ndarray],
    center: np.ndarray,
    scale: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    *,
    inverse: bool,
) -> tuple[np.ndarray, np.ndarray]:
    def as_float64(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float64)

    return _native.affine_rows(
        [as_float64(c) for c in columns],
        *(as_float64(np.broadcast_to(s, len(columns))) for s in (center, scale, gamma, beta)),
        inverse,
    )


def is_constant(var: np.ndarray, mean: np.ndarray, count: np.ndarray) -> np.ndarray:
    """scikit-learn's test for a column indistinguishable from a constant.

    A variance below the rounding error bound of the two-pass algorithm (Chan, Golub and
    LeVeque) cannot be told from zero: ``var <= n * eps * var + (n * mean * eps) ** 2``.
    ``var`` is the biased variance, as in ``sklearn.preprocessing._data._is_constant_feature``.
    """
    eps = np.finfo(np.float64).eps
    n = count.astype(np.float64)
    with np.errstate(over="ignore"):  # a bound that overflows is +inf: then it is constant
        return var <= n * eps * var + (n * mean * eps) ** 2


def scale_from_var(
    var: np.ndarray, biased_var: np.ndarray, mean: np.ndarray, count: np.ndarray, eps: float
) -> np.ndarray:
    """The divisor of each column: ``sqrt(var + eps)``.

    With ``eps == 0`` a constant column (by :func:`is_constant`) gets scale 1, exactly as
    ``StandardScaler`` decides, so it maps to 0 rather than to NaN or to amplified rounding noise.
    With ``eps > 0`` (BatchNorm's convention) ``eps`` itself keeps the divisor away from zero.
    """
    if eps > 0:
        return np.sqrt(var + eps)
    scale = np.sqrt(var)
    return np.where(is_constant(biased_var, mean, count), 1.0, scale)
