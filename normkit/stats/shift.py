"""BatchNorm's gamma and beta per column (:func:`per_column`), and the rule that keeps a
transform invertible: beta at most :data:`MAX_BETA_OVER_GAMMA` times gamma, checked where gamma
and beta are given (a fit, a transform) and where a stat file holds them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .. import params
from ..errors import OptionError, SchemaError, StatsFileError, listed, param

__all__ = ["MAX_BETA_OVER_GAMMA", "check_shift", "per_column"]

#: The largest |beta| / |gamma| a transform accepts: beyond it, ``gamma * z + beta`` keeps fewer
#: than 26 bits (8 significant digits) of ``z``.
MAX_BETA_OVER_GAMMA = 2.0**26


def check_shift(names: Sequence[str], gamma: np.ndarray, beta: np.ndarray, *, given: bool) -> None:
    """Refuse a column whose beta is more than :data:`MAX_BETA_OVER_GAMMA` times its gamma: the
    output would keep fewer than 8 significant digits of the normalized value, and an inverse
    could not give the data back.

    Raises
    ------
    OptionError
        With ``given``: gamma or beta was given as an option.
    StatsFileError
        Otherwise: they are a stat file's (fitted, or imported).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        lost = np.flatnonzero(np.abs(beta) > MAX_BETA_OVER_GAMMA * np.abs(gamma))
    if not lost.size:
        return
    j = int(lost[0])
    b, g = float(beta[j]), float(gamma[j])
    whose, its = ("", "") if given else ("the statistics' ", "their ")
    message = (
        f"column {names[j]!r}: {whose}beta ({b:g}) is {abs(b / g):.3g} times {its}gamma "
        f"({g:g}), so the output would keep fewer than 8 significant digits of the normalized "
        "value (an inverse could not give the data back)"
    )
    less = f"a smaller {param('beta')} or a larger {param('gamma')}"
    if given:
        raise OptionError(message, param="beta", hints=(f"give {less}",))
    raise StatsFileError(message, hints=(f"give {less}",))


def per_column(
    value: float | Mapping[str, float], names: Sequence[str], name: str, default: float | np.ndarray
) -> np.ndarray:
    """A per-column array of BatchNorm's ``gamma`` or ``beta`` (``name``): one number for every
    column, or a mapping of column name to number (the others: ``default``, one or per column).

    Raises
    ------
    OptionError
        If the value breaks the parameter's rule (gamma 0, a number not finite).
    SchemaError
        If the mapping names a column that is not fitted.
    """
    params.check(name, value)
    names = list(names)
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in names]
        if unknown:
            from ..errors import alike_names  # a refusal's hints only

            message = f"{param(name)}: no fitted {listed(unknown)}"
            raise SchemaError(message, param=name, hints=alike_names(unknown, names, given=True))
        defaults = np.broadcast_to(np.asarray(default, dtype=np.float64), (len(names),))
        return np.array([float(value.get(n, d)) for n, d in zip(names, defaults, strict=True)])
    return np.full(len(names), float(value))
