"""Between normkit's statistics and scikit-learn's ``StandardScaler``: its ``var_`` is always
the population (ddof 0) variance, which its ``partial_fit`` merges on, and its ``scale_`` is
``sqrt(var_)`` (1 for a constant column); normkit's scale may also hold a ddof of 1 and an eps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import OptionError, StatsFileError
from ..stats.validation import field_problem

if TYPE_CHECKING:
    from ..stats.fitted import FittedStats

__all__ = [
    "check_scaler_stats",
    "check_scaler_values",
    "population_var",
    "samples_seen",
    "scale_options",
]

#: A StandardScaler's attributes, and the stat file's fields that hold them.
_FIELDS = {"n_samples_seen_": "count", "mean_": "mean", "var_": "var", "scale_": "scale"}


def check_scaler_values(values: dict[str, np.ndarray | None], names: Sequence[str] | None) -> None:
    """Refuse a StandardScaler's statistics that a stat file may not hold (a mean that is not
    finite, a scale not above 0...), by the rule a stat file is read by: damaged by hand, they
    would transform to wrong numbers without a word. ``values``: the scaler's attributes by
    name, one value per column (None: not kept); ``names``: its feature names, if it has them.

    Raises
    ------
    OptionError
        Naming the attribute, the column and the value.
    """
    for attribute, key in _FIELDS.items():
        found = None if values.get(attribute) is None else field_problem(key, values[attribute])
        if found is None:
            continue
        j, problem = found
        column = f" (column {names[j]!r})" if names is not None else ""
        raise OptionError(
            f"the StandardScaler's {attribute}[{j}]{column} {problem}, as a stat file's "
            f"{key!r} must be: normkit cannot hold these statistics",
            hints=("fit the StandardScaler again on the data",),
        )


def check_scaler_stats(stats: FittedStats) -> None:
    """Refuse statistics taken from a StandardScaler that a stat file may not hold together (a
    ``scale_`` that is not ``sqrt(var_ + eps)`` for one eps in every column: one of them
    changed by hand), by the check a stat file is read by, so that they fail here rather than
    transform wrongly and fail when saved."""
    from ..stats import statfile

    try:
        statfile.parse(statfile.to_text(stats))
    except StatsFileError as exc:
        problem = exc.message.split("stat file: ", 1)[-1]  # without "inconsistent stat file"
        raise OptionError(
            f"the StandardScaler's statistics do not hold together: {problem}",
            hints=("fit the StandardScaler again on the data",),
        ) from None


def population_var(var: np.ndarray, ddof: int, count: np.ndarray) -> np.ndarray:
    """``var`` (``M2 / (count - ddof)``) as the ddof-0 variance ``M2 / count`` that a
    StandardScaler's ``var_`` is (``count``: non-missing values, or their weights)."""
    if ddof == 0:
        return var.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, var * (count - ddof) / np.where(count > 0, count, 1), np.nan)


def samples_seen(counts: np.ndarray) -> np.ndarray | np.number:
    """``n_samples_seen_`` as scikit-learn's: one number where every column has the same count
    of values (or sum of weights; no value missing), else one per column (a copy)."""
    same = len(counts) > 0 and bool((counts == counts[0]).all())
    return counts[0] if same else counts.copy()


def scale_options(var: np.ndarray, scale: np.ndarray, count: np.ndarray) -> tuple[int, float]:
    """The ddof and eps of the scale of a StandardScaler made by
    :meth:`~normkit.Standardizer.to_sklearn` (``scale_ = sqrt(var_ * n / (n - ddof) + eps)``
    beside the population ``var_``), where its columns that vary tell them beyond rounding;
    else ``(0, 0.0)`` (scikit-learn's own: ``sqrt(var_)``, or 1 for a constant column).

    A constant column tells the eps (its scale is ``sqrt(eps)``); else the simplest reading
    wins: no eps before an eps, ddof 0 before 1 (with one column that varies and none constant,
    ddof 1 and an eps read as ddof 0 and a larger eps: the same scale, and the same M2).
    """
    # A constant column's scale is sqrt(eps) (1 without one, as scikit-learn's): it tells the
    # eps, and the columns that vary the ddof beside it.
    constant = (var == 0) & (count > 1) & (scale != 1.0)
    told = float(np.median(scale[constant] ** 2)) if constant.any() else None
    if told is not None and np.sqrt(float(f"{told:.15g}")) == np.sqrt(told):
        told = float(f"{told:.15g}")  # 0.5, not 0.5000000000000001 (scale squared)
    varied = (var > 0) & (scale != 1.0) & (count > 1)
    var, scale, count = var[varied], scale[varied], count[varied]
    if told is not None:
        for ddof in (0, 1):
            if np.allclose(scale, np.sqrt(var * count / (count - ddof) + told), rtol=1e-12, atol=0):
                return ddof, told
    if not varied.any():
        return 0, 0.0
    for ddof in (0, 1):
        if np.allclose(scale, np.sqrt(var * count / (count - ddof)), rtol=1e-12, atol=0.0):
            return ddof, 0.0
    for ddof in (0, 1):
        eps = _eps_of(var * count / (count - ddof), scale)
        if eps > 0:
            return ddof, eps
    return 0, 0.0


def _eps_of(var: np.ndarray, scale: np.ndarray) -> float:
    """``scale**2 - var`` where it is the same for every column, beyond rounding; else 0.
    Without it, such statistics could not be saved (their scale is not ``sqrt(var)``)."""
    excess = scale * scale - var
    told = excess > 1e-12 * var  # beyond rounding (an eps far below a variance is not seen)
    if not told.any():
        return 0.0
    eps = float(np.median(excess[told]))
    same = (np.abs(excess[told] - eps) <= 1e-6 * eps + 1e-15 * var[told]).all()  # rounding
    return eps if same and np.allclose(scale, np.sqrt(var + eps), rtol=1e-10, atol=0.0) else 0.0
