"""scipy's sparse matrices (text features: ``TfidfVectorizer``'s, one-hot codes), taken as
``StandardScaler(with_mean=False)`` takes them: fitted in blocks of rows made dense one at a
time (memory bounded by :data:`BLOCK_CELLS`, whatever the matrix's size), and scaled without
centering, so that zeros stay zeros and the output stays sparse (CSR, as scikit-learn's).
Centering, or a beta, would turn every zero into another number: refused, as scikit-learn
refuses centering."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..errors import OptionError, infinite_output_error
from ..stats.fitted import Affine

__all__ = ["BLOCK_CELLS", "dense_blocks", "is_sparse", "refuse_centering", "scaled"]

#: The cells of a block of rows made dense to be fitted: 32 MiB of float64.
BLOCK_CELLS = 1 << 22


def is_sparse(X: Any) -> bool:
    """Whether ``X`` is one of scipy's sparse matrices or arrays."""
    return type(X).__module__.startswith("scipy.sparse")


def refuse_centering() -> None:
    """Raise scikit-learn's refusal of centering a sparse matrix (a ``ValueError``, which its
    tools expect)."""
    raise OptionError(
        "Cannot center sparse matrices: pass `with_mean=False` instead (centering would make "
        "every zero another number, and the matrix dense)",
        param="with_mean",
        hints=("or make it dense (X.toarray()) where it fits in memory",),
    )


def dense_blocks(X: Any, weights: np.ndarray | None) -> Iterator[tuple[np.ndarray, Any]]:
    """The rows of ``X`` as dense float64 blocks of at most :data:`BLOCK_CELLS` cells (one row
    at least), each with its rows' weights (None without)."""
    rows = X.tocsr()
    step = max(1, BLOCK_CELLS // max(1, rows.shape[1]))
    for start in range(0, rows.shape[0], step):
        block = rows[start : start + step].toarray().astype(np.float64, copy=False)
        yield block, None if weights is None else weights[start : start + step]


def scaled(
    X: Any, affine: Affine, place: Sequence[int] | None, names: Sequence[str], inverse: bool
) -> Any:
    """``X`` (CSR, float64) with each fitted column multiplied by the reciprocal of its scale
    and by its gamma (the inverse: divided by gamma, multiplied by the scale), bit for bit as
    ``StandardScaler`` scales a sparse matrix (a dense one it divides); ``place``: the input
    columns of the fitted ones (None: all, in order). Its zeros stay zeros.

    Raises
    ------
    OptionError
        If the statistics center, or a beta is not 0: every zero would move.
    DataError
        If a value is infinite (naming its column and row), as scikit-learn refuses them.
    """
    if np.any(affine.center != 0.0):
        refuse_centering()
    if np.any(affine.beta != 0.0):
        raise OptionError(
            "a beta other than 0 would make every zero of a sparse matrix another number",
            param="beta",
            hints=("transform with beta 0, or make it dense (X.toarray())",),
        )
    # Each stored value scaled where it is, in the input's order (as StandardScaler keeps it: a
    # model sums a row's values in that order, so sorting them moved its output in the last
    # digit).
    out = X.tocsr().astype(np.float64, copy=True)
    n = out.shape[1]
    at = np.arange(n) if place is None else np.asarray(place)
    scale, gamma = np.ones(n), np.ones(n)
    scale[at], gamma[at] = affine.scale, affine.gamma
    columns = out.indices
    with np.errstate(over="ignore", invalid="ignore"):
        if inverse:
            out.data /= gamma[columns]
            out.data *= scale[columns]
        else:  # by the reciprocal, as StandardScaler scales a sparse matrix
            out.data *= (1.0 / scale)[columns]
            out.data *= gamma[columns]
    infinite = np.flatnonzero(np.isinf(out.data))
    if infinite.size:
        given = X.tocsr().astype(np.float64)  # stored as ``out`` is, value for value
        first = infinite[0]
        row = int(np.searchsorted(out.indptr, first, side="right")) - 1
        column = int(columns[first])
        where = f"column {names[column]!r} at row {row + 1:,}"
        hints = ("make it a missing value (NaN), which stays missing",)
        value = float(given.data[first])
        raise infinite_output_error(where, value, out.data[first], hints, inverse)
    return out
