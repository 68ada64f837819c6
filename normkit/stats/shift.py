"""The rule that keeps a transform invertible: beta at most :data:`MAX_BETA_OVER_GAMMA` times
gamma, checked where gamma and beta are given (a fit, a transform) and where a stat file holds
them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import OptionError, StatsFileError, param

__all__ = ["MAX_BETA_OVER_GAMMA", "check_shift"]

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
