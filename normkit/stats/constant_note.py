"""The note of a column whose scale is 1 by scikit-learn's constant-column rule though it varies:
its spread is within float64's rounding of its mean over its rows (0.29 about 1e9 over 4 million
rows), so ``StandardScaler`` divides by 1, and so does normkit. Which columns the rule takes
depends on the number of rows: shards fitted apart keep their spread, and their merge may not.
Said by ``fit`` and ``merge-stats``, whose output would otherwise change a column's spread
without a word, and by the library's fits and merges, as warnings (:func:`warn_fit_notes`).

So is a column of values that vary far beyond rounding but so small (near 1e-160 or below)
that their variance underflows float64's normal numbers: 0, and scale 1 (scikit-learn's too),
or a scale that kept a few bits."""

from __future__ import annotations

import warnings

import numpy as np

from ..core.kernels import is_constant
from ..errors import NormkitNote, caller_level, listed, param
from .fitted import FittedStats
from .running_notes import not_updated_note

__all__ = ["ruled_constant_note", "warn_fit_notes"]


def warn_fit_notes(stats: FittedStats) -> None:
    """Issue the notes of statistics just fitted or merged as warnings (:class:`NormkitNote`):
    columns of scale 1 by the constant-column rule though they vary (:func:`ruled_constant_note`)
    and columns whose running statistics no batch updated (:func:`.not_updated_note`). A fit in
    Python is told what ``normkit fit`` prints."""
    for note in (ruled_constant_note(stats), not_updated_note(stats)):
        if note is not None:  # told at the line that called normkit
            warnings.warn(note, stacklevel=caller_level())


def ruled_constant_note(stats: FittedStats) -> NormkitNote | None:
    """The note of the columns that vary but have scale 1 by the constant-column rule (eps 0,
    dividing by the spread); None where there are none."""
    options = stats.options
    if not options.with_std or options.eps > 0:
        return None  # with an eps, a column is divided by its spread plus eps, whatever it is
    underflow = _underflow_note(stats)
    if underflow is not None:
        return underflow
    m = stats.moments
    biased = m.var(0)
    with np.errstate(invalid="ignore"):
        ruled = (biased > 0) & is_constant(biased, m.mean, m.total_weight) & (stats.scale == 1.0)
    if not ruled.any():
        return _weights_note(stats, biased)
    j = int(np.argmax(ruled))
    names = [stats.names[k] for k in np.flatnonzero(ruled)]
    which = _deviation_of(names, stats.names[j])
    return NormkitNote(
        f"{listed(names)} {'has' if len(names) == 1 else 'have'} scale 1, scikit-learn's for a "
        f"column it cannot tell from a constant: {which} "
        f"{np.sqrt(biased[j]):.4g} is within float64's rounding of its mean {m.mean[j]:.4g} over "
        f"{_over(stats, j)}, so the output keeps that spread",
        hints=(f"divide by the column's own spread ({param('eps', 1e-12)}, for instance)",),
    )


def _over(stats: FittedStats, j: int) -> str:
    """What the rule counted of column ``j``: its rows, or, with weights, their sum (which
    scikit-learn counts as rows)."""
    m = stats.moments
    if m.weight is None:
        return f"{stats.n_rows:,} rows"
    return f"a sum of weights of {m.weight[j]:.4g} (scikit-learn counts weights as rows)"


def _deviation_of(names: list[str], name: str) -> str:
    """The standard deviation told of ``name``, one of the columns ``names`` a note is of."""
    return "its standard deviation" if len(names) == 1 else f"the standard deviation of {name!r}"


def _weights_note(stats: FittedStats, biased: np.ndarray) -> NormkitNote | None:
    """With weights, the note of the columns the rule would take for constants over their rows
    but not over the sum of their weights (weights of 1e-10): divided by a spread that is
    rounding, their output is that rounding scaled up. None where there are none."""
    m = stats.moments
    if m.weight is None:
        return None
    with np.errstate(invalid="ignore"):
        kept = (
            (biased > 0)
            & is_constant(biased, m.mean, m.count.astype(np.float64))
            & ~is_constant(biased, m.mean, m.total_weight)
            & (stats.scale != 1.0)
        )
    if not kept.any():
        return None
    j = int(np.argmax(kept))
    names = [stats.names[k] for k in np.flatnonzero(kept)]
    which = _deviation_of(names, stats.names[j])
    return NormkitNote(
        f"{listed(names)} {'keeps its' if len(names) == 1 else 'keep their'} scale although "
        f"{which} {np.sqrt(biased[j]):.4g} is within float64's rounding of "
        f"its mean {m.mean[j]:.4g} over its {int(m.count[j]):,} rows: scikit-learn's "
        f"constant-column rule counts weights as rows, and they sum to {m.weight[j]:.4g}, so "
        "the output is that rounding scaled up",
        hints=(
            "divide the weights by their mean, so that they sum to the number of rows (with "
            "ddof 0 the mean and variance stay the same)",
        ),
    )


def _underflow_note(stats: FittedStats) -> NormkitNote | None:
    """The note of the columns whose values vary far beyond rounding and whose variance is below
    float64's normal numbers; None where there are none."""
    spread = stats.max - stats.min
    with np.errstate(invalid="ignore"):
        lost = (stats.var < np.finfo(np.float64).tiny) & (
            spread > 2.0**-26 * np.maximum(np.abs(stats.min), np.abs(stats.max))
        )
    if not lost.any():
        return None
    j = int(np.argmax(lost))
    names = [stats.names[k] for k in np.flatnonzero(lost)]
    scaled = "scale 1" if stats.scale[j] == 1.0 else "a scale that kept a few bits"
    span = f"from {stats.min[j]:.3g} to {stats.max[j]:.3g}"
    if len(names) == 1:
        what = f"its values ({span}) vary, but their variance ({stats.var[j]:.3g}) underflows "
        what += f"float64: it has {scaled}"
    else:
        what = f"their values vary, but their variances underflow float64 ({stats.names[j]!r}: "
        what += f"values {span}, variance {stats.var[j]:.3g}, {scaled})"
    return NormkitNote(
        f"{listed(names)}: {what}, as scikit-learn's StandardScaler gives it",
        hints=(
            f"rescale {'the column' if len(names) == 1 else 'each'} (multiply it by a power of "
            "ten) and fit again",
        ),
    )
