"""BatchNorm's gamma and beta per column (:func:`per_column`), and the rule that keeps a
transform invertible: beta at most :data:`MAX_BETA_OVER_GAMMA` times the spread of the output's
values (gamma times the normalized values' spread, :func:`normalized_spread`), checked where
gamma and beta are given (a fit, a transform) and where a stat file holds them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .. import params
from ..errors import OptionError, SchemaError, StatsFileError, listed, param, refuse_two_readings

if TYPE_CHECKING:
    from .options import StatsOptions


class Spread(Protocol):
    """What :func:`normalized_spread` reads of :class:`~normkit.stats.fitted.FittedStats`."""

    options: StatsOptions

    @property
    def mean(self) -> np.ndarray: ...
    @property
    def var(self) -> np.ndarray: ...
    @property
    def scale(self) -> np.ndarray: ...
    @property
    def min(self) -> np.ndarray: ...
    @property
    def max(self) -> np.ndarray: ...


__all__ = ["MAX_BETA_OVER_GAMMA", "check_shift", "normalized_spread", "per_column"]

#: The largest |beta| / (|gamma| * spread) a transform accepts, the spread that of the
#: normalized values (1 for a column divided by its standard deviation): beyond it, ``gamma * z
#: + beta`` keeps fewer than 26 bits (8 significant digits) of ``z``.
MAX_BETA_OVER_GAMMA = 2.0**26

#: The way out for a column not divided by its standard deviation; the command line's option
#: and the library's parameter are named both, as a transform has neither.
_SCALE_HINT = (
    "fit the statistics again dividing by the standard deviation (normkit fit without --no-std; "
    "Standardizer(with_std=True) in Python)"
)


def normalized_spread(stats: Spread) -> np.ndarray:
    """The spread of each column's normalized values ``(x - center) / scale`` by the exact
    statistics: their root mean square, ``hypot(std, mean - center) / scale`` (the center 0
    without ``with_mean``, the scale 1 without ``with_std``): 1 for a column divided by its
    standard deviation, its standard deviation in its own units without ``with_std``, 0 for a
    constant column centered (every output value is beta, exactly). A variance that underflows
    float64 (values of 1e-200: scale 1) is no measure of values that vary: half their range is.
    NaN for a column of no value."""
    options = stats.options
    with np.errstate(invalid="ignore"):
        var = np.asarray(stats.var, dtype=np.float64)
        std = np.where(var < np.finfo(np.float64).tiny, (stats.max - stats.min) / 2, np.sqrt(var))
        offset = 0.0 if options.with_mean else stats.mean
        scale = stats.scale if options.with_std else 1.0
        return np.hypot(std, offset) / scale


def check_shift(
    names: Sequence[str],
    gamma: np.ndarray,
    beta: np.ndarray,
    *,
    given: bool,
    stats: Spread | None = None,
    options: StatsOptions | None = None,
) -> None:
    """Refuse a column whose beta is more than :data:`MAX_BETA_OVER_GAMMA` times the spread of
    the output's values, ``|gamma|`` times the normalized values' (``stats``'
    :func:`normalized_spread`): the output would keep fewer than 8 significant digits of them,
    and an inverse could not give the data back. A column whose normalized values do not vary
    (spread 0) loses nothing. Before the data is read (no ``stats``), the spread is taken as 1,
    the most a column centered and divided by its standard deviation has; where ``options``
    say otherwise (no centering, or no scaling) it is not known yet, and nothing is refused.

    Raises
    ------
    OptionError
        With ``given``: gamma or beta was given as an option.
    StatsFileError
        Otherwise: they are a stat file's (fitted, or imported).
    """
    if stats is None and options is not None and not (options.with_mean and options.with_std):
        return
    spread = np.ones(len(names)) if stats is None else normalized_spread(stats)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lost = np.flatnonzero(
            (spread > 0) & (np.abs(beta) > MAX_BETA_OVER_GAMMA * np.abs(gamma) * spread)
        )
    if not lost.size:
        return
    j = int(lost[0])
    b, g, s = float(beta[j]), float(gamma[j]), float(spread[j])
    whose, its = ("", "") if given else ("the statistics' ", "their ")
    hints = [f"give a smaller {param('beta')} or a larger {param('gamma')}"]
    if s == 1.0:
        told = f"{abs(b / g):.3g} times {its}gamma ({g:g})"
        what = "the normalized value"
    else:
        told = (
            f"{abs(b / (g * s)):.3g} times the spread of the output's values ({abs(g * s):.3g}, "
            f"{its}gamma {g:g} times the normalized values' spread {s:.3g})"
        )
        what = "them"
        if stats is not None and not stats.options.with_std:
            hints.append(_SCALE_HINT)
        elif stats is not None and stats.var[j] < np.finfo(np.float64).tiny:
            hints.append(
                "rescale the column (multiply it by a power of ten; its variance underflows "
                "float64) and fit again"
            )
    message = (
        f"column {names[j]!r}: {whose}beta ({b:g}) is {told}, so the output would keep fewer "
        f"than 8 significant digits of {what} (an inverse could not give the data back)"
    )
    if given:
        raise OptionError(message, param="beta", hints=hints)
    raise StatsFileError(message, hints=hints)


def per_column(
    value: float | Mapping[str, float],
    names: Sequence[str],
    name: str,
    default: float | np.ndarray,
    others: Collection[str] = (),
) -> np.ndarray:
    """A per-column array of BatchNorm's ``gamma`` or ``beta`` (``name``): one number for every
    column, or a mapping of column name to number (the others: ``default``, one or per column).
    ``others``: the data's columns not in ``names`` (passed through), which a name that reads
    two ways (:func:`~normkit.errors.refuse_two_readings`) may mean too.

    Raises
    ------
    OptionError
        If the value breaks the parameter's rule (gamma 0, a number not finite), or names a
        column that reads two ways, each a column.
    SchemaError
        If the mapping names a column that is not fitted.
    """
    params.check(name, value)
    names = list(names)
    if isinstance(value, Mapping):
        refuse_two_readings(name, value, {*names, *others})
        unknown = [k for k in value if k not in names]
        if unknown:
            from ..errors import alike_names  # a refusal's hints only

            message = f"{param(name)}: no fitted {listed(unknown)}"
            raise SchemaError(message, param=name, hints=alike_names(unknown, names, given=True))
        defaults = np.broadcast_to(np.asarray(default, dtype=np.float64), (len(names),))
        return np.array([float(value.get(n, d)) for n, d in zip(names, defaults, strict=True)])
    return np.full(len(names), float(value))
