"""Kernels that apply fitted statistics to columns: pure numpy, float64, one column at a time.

The operations are those of scikit-learn's ``StandardScaler`` in the same order (subtract, then
true division; multiply, then add for the inverse), so with equal statistics the results are
bit-for-bit equal to scikit-learn's.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ._lazy import pc

__all__ = [
    "arrow_to_float64",
    "float64_to_arrow",
    "inverse_standardize",
    "scale_from_var",
    "standardize",
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


def arrow_to_float64(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A float64 numpy view (or copy, where nulls or a cast need one) of an Arrow column, with
    nulls as NaN."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = cast_float64(array)
    # Read the buffers directly: to_numpy and pa.scalar import pandas on first use, half a
    # second in which a Ctrl-C can be lost inside pyarrow.
    n, start = len(array), array.offset
    values = np.frombuffer(array.buffers()[1], dtype=np.float64, count=n, offset=start * 8)
    if array.null_count:
        bitmap = np.frombuffer(array.buffers()[0], dtype=np.uint8)
        valid = np.unpackbits(bitmap, count=start + n, bitorder="little")[start:].view(bool)
        values = np.where(valid, values, np.nan)
    return values


def cast_float64(array: pa.Array) -> pa.Array:
    """``array`` as float64. Unsafe on purpose: an int64 beyond 2**53 rounds to the nearest
    float64, as numpy and scikit-learn round it, rather than failing."""
    if pa.types.is_float64(array.type):
        return array
    return pc.cast(array, pa.float64(), safe=False)


def float64_to_arrow(values: np.ndarray, like: pa.Array) -> pa.Array:
    """A float64 Arrow array of ``values`` carrying ``like``'s nulls, so missing stays missing.

    Built from buffers (zero-copy for ``values``), for the reason given in
    :func:`arrow_to_float64`.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    validity = None
    if like.null_count:
        valid = pc.is_valid(like)  # a new array: its bitmap starts at bit 0
        assert valid.offset == 0
        validity = valid.buffers()[1]
    return pa.Array.from_buffers(
        pa.float64(), len(values), [validity, pa.py_buffer(values)], like.null_count
    )
