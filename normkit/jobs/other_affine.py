"""An input to invert, without a record of how it was made, whose columns look normalized with
one other gamma and beta than those it would be inverted with (:func:`refuse_other_affine`, for
:class:`~normkit.jobs.resemblance.Resemblance`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError, param
from ..stats.fitted import Affine

__all__ = ["ALIKE", "OTHER_BETA", "OTHER_GAMMA", "SAME_GAMMA", "refuse_other_affine"]

#: How alike every column's gamma and beta must be (:func:`refuse_other_affine`):
#: within a fifth of their median gamma.
ALIKE = 0.2

#: How far from the assumed gamma and beta the columns' must be for an inverse to be refused:
#: gamma 1.4 times larger, or gamma within a factor 1.25 and beta 0.4 standard deviations
#: apart (a margin for the sample's estimate of a gamma of 1.5 or a beta of 0.5).
OTHER_GAMMA = 1.4
SAME_GAMMA = 1.25
OTHER_BETA = 0.4


def refuse_other_affine(
    name: str,
    names: Sequence[str],
    a: Affine,
    raw: tuple[np.ndarray, np.ndarray],
    mean: np.ndarray,
    std: np.ndarray,
    enough: np.ndarray,
) -> None:
    """Refuse input ``name`` to invert with ``a`` whose columns all look like what one other
    gamma and beta make of the fitted data (``raw``: its mean and standard deviation), by the
    ``mean`` and ``std`` of the values looked at (``enough``: the columns with enough of them):
    normalized with ``--gamma`` or ``--beta`` into a file that does not record them, where the
    assumed ones were not said.

    Each column's mean and standard deviation tell the gamma and beta that take the fitted
    data's to them (the sign of gamma is not told: it is taken as the assumed one's). Drifted
    data tells each column's own; the transform's parameters, one number for every column,
    tell the same in every column, but for a few (one sorted, whose first rows are not like
    the rest). So the input is refused only where at least two columns, and two thirds of
    those that tell them, tell them alike (within :data:`ALIKE` of their median), far from
    the assumed ones: a gamma :data:`OTHER_GAMMA` times larger, or the same gamma (within a
    factor :data:`SAME_GAMMA`) and a beta :data:`OTHER_BETA` standard deviations apart. A
    narrower spread alike in every column is what a model's predictions (shrunk towards the
    mean) or rows chosen by a value of correlated columns give: it goes through."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        center = (raw[0] - a.center) / a.scale  # of the fitted data, normalized
        spread = raw[1] / a.scale
        gamma = np.copysign(std / spread, a.gamma)
        beta = mean - gamma * center
        deciding = enough & (std > 0) & (spread > 0) & np.isfinite(gamma) & np.isfinite(beta)
    if deciding.sum() < 2:
        return
    g, b = gamma[deciding], beta[deciding]
    common_gamma, common_beta = float(np.median(g)), float(np.median(b))
    width = abs(common_gamma)
    alike = (np.abs(g / common_gamma - 1) < ALIKE) & (np.abs(b - common_beta) < ALIKE * width)
    if alike.sum() < 2 or alike.sum() * 3 < len(alike) * 2:
        return
    assumed_gamma, assumed_beta = a.gamma[deciding][alike], a.beta[deciding][alike]
    ratio = np.abs(common_gamma / assumed_gamma)
    shifted = np.abs(common_beta - assumed_beta) >= OTHER_BETA * np.abs(assumed_gamma)
    far = (ratio >= OTHER_GAMMA) | ((np.abs(np.log(ratio)) <= np.log(SAME_GAMMA)) & shifted)
    if not far.all():
        return
    j = int(np.flatnonzero(deciding)[alike][0])
    column = names[j]
    others = "another column looks alike" if alike.sum() == 2 else f"{alike.sum() - 1} others do"
    uniform = bool((a.gamma == a.gamma[j]).all() and (a.beta == a.beta[j]).all())
    given = (
        f"{param('gamma', float(a.gamma[j]))} {param('beta', float(a.beta[j]))}"
        if uniform
        else f"{param('gamma')} and {param('beta')} of each column"
    )
    raise InputError(
        f"{name} looks normalized with gamma about {common_gamma:.3g} and beta about "
        f"{common_beta:.3g} (column {column!r} has mean {mean[j]:.4g} and standard "
        f"deviation {std[j]:.4g}, and {others}), not with "
        f"gamma {float(a.gamma[j]):g} and beta {float(a.beta[j]):g} that it would be inverted "
        "with (the stat file's where not given: it keeps no record of how it was "
        "normalized); inverting it with those would not give the data back",
        param="gamma",
        hints=(
            f"give the ones it was normalized with ({param('gamma')} and {param('beta')}, "
            "which transform named as it wrote it)",
            f"invert it with these all the same ({given})",
        ),
    )
