"""What running statistics are not, said where they are used: the notes (:class:`~normkit.errors.
NormkitNote`) of a fit, of a transform with them (BatchNorm's eval mode) and of an export of them.

One rule each, so that every command says the same: :func:`far_note` where the running
statistics are far from the exact ones or were never updated in a column (their output is
BatchNorm's, not standardized data), and :func:`not_updated_note` where a fit left some columns'
running statistics at BatchNorm's start; :func:`training_note` where a BatchNorm layer holding
them would, trained further, not go on as normkit's running statistics do.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import NormkitNote, listed, param
from .fitted import FittedStats

__all__ = ["ema_gap", "far_note", "not_updated_note", "training_note", "warn"]


def ema_gap(stats: FittedStats) -> tuple[np.ndarray, np.ndarray]:
    """How far the running statistics are from the exact ones, per column, in units of the
    exact scale (1 for a constant column, as the transform uses): ``(running mean - mean) /
    scale`` and ``running std / scale``."""
    with np.errstate(over="ignore", invalid="ignore"):
        shift = (stats.running.running_mean - stats.mean) / stats.scale
        ratio = np.sqrt(stats.running.running_var) / stats.scale
    return shift, ratio


def _never_updated(stats: FittedStats) -> np.ndarray:
    """The columns no batch updated (none held 2 of their values): BatchNorm's start values."""
    return np.asarray(stats.running.n_updates) == 0


def _batches(n: int) -> str:
    return f"{n:,} batch{'' if n == 1 else 'es'}"


def far_note(stats: FittedStats, adaptive: bool = False) -> NormkitNote | None:
    """The note of normalizing with the running statistics (BatchNorm's eval) where they are far
    from the exact ones: a column whose running mean is more than one standard deviation from
    its mean, whose running standard deviation is more than three times the exact one or less
    than a third
    (after few batches, or data sorted so that the last batches differ), or that no batch
    updated (mean 0 and variance 1, BatchNorm's start): their output is not standardized data.
    None for statistics imported from a layer, whose running statistics are all there is.
    ``adaptive``: of a transform in adaptive mode, whose first batches are normalized with
    them (the later ones with the statistics the data moves them to)."""
    ema = stats.running
    if ema is None or stats.default_use == "ema":
        return None
    # In units of the exact standard deviation, not of the scale: where scikit-learn's rule
    # made a column's scale 1 (a spread float64 cannot tell from its mean's rounding, such as
    # 0.01 about 1e9), running statistics equal to the exact ones were called far, with
    # --use exact as the way out. A constant column (variance 0) has no spread to compare.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        std = np.sqrt(stats.var)
        shift = np.abs(stats.running.running_mean - stats.mean) / std
        ratio = np.sqrt(stats.running.running_var) / std
    spread = (stats.var > 0) & ((ratio > 3) | (ratio < 1 / 3))
    gap = np.isfinite(shift) & np.isfinite(ratio) & ((shift > 1) | spread)
    never = _never_updated(stats)
    far = gap | never
    if not far.any():
        return None
    n_far = int(far.sum())
    said = []
    if (gap & ~never).any():
        with np.errstate(divide="ignore"):
            worst = np.where(gap & ~never, shift + np.abs(np.log(ratio)), -np.inf)
        j = int(np.argmax(worst))
        said.append(
            f"column {stats.names[j]!r}: running mean {shift[j]:.3g} standard deviations from "
            f"the mean, running standard deviation {ratio[j]:.3g} times the exact one"
        )
    if never.any():
        names = [stats.names[j] for j in np.flatnonzero(never)]
        its = "its" if len(names) == 1 else "their"
        said.append(
            f"{listed(names)} never updated: no batch held 2 of {its} values, so mean 0 and "
            "variance 1"
        )
    output = "the output of the first batches" if adaptive else "their output"
    instead = (
        f"normalize each batch with its own statistics ({param('mode', 'batch')})"
        if adaptive
        else f"use the exact statistics ({param('use', 'exact')})"
    )
    return NormkitNote(
        f"the running statistics are far from the exact ones in {n_far:,} "
        f"column{'' if n_far == 1 else 's'} of {len(far):,} after {_batches(ema.n_batches)} "
        f"({'; '.join(said)}), so {output} is not standardized data",
        hints=(f"fit with more batches (a smaller {param('ema.batch_size')})", instead),
    )


def not_updated_note(stats: FittedStats) -> NormkitNote | None:
    """The note of a fit whose running statistics no batch updated in some columns (but not
    all: a fit of fewer rows than a batch says so in its summary), each of its batches holding
    fewer than 2 of their values: they stay at BatchNorm's start, mean 0 and variance 1."""
    ema = stats.running
    if ema is None:
        return None
    never = _never_updated(stats)
    if not never.any() or never.all():
        return None
    names = [stats.names[j] for j in np.flatnonzero(never)]
    # Larger batches help a column of 2 values or more; one of fewer, none.
    helps = (np.asarray(stats.count)[never] >= 2).any()
    return NormkitNote(
        f"no batch of {ema.options.batch_size:,} rows held 2 values of {listed(names)}: "
        f"{'its' if len(names) == 1 else 'their'} running statistics were never updated "
        "(mean 0 and variance 1, BatchNorm's start)",
        hints=(f"give a larger {param('ema.batch_size')}",) if helps else (),
    )


def training_note(stats: FittedStats) -> NormkitNote | None:
    """The note of a BatchNorm layer holding the running statistics whose training in torch
    would not continue them as normkit does (its eval mode is right): a cumulative average of a
    column some batches skipped (the layer has one ``num_batches_tracked``, all the batches, so
    it would weigh the column's next batch otherwise), an average of batch standard deviations
    (``of="std"``) or of biased batch variances (Keras' convention), where torch averages
    unbiased variances."""
    ema = stats.running
    if ema is None:
        return None
    options = ema.options
    why = []
    skipped = np.flatnonzero(np.asarray(ema.n_updates) != ema.n_batches)
    if options.cumulative and skipped.size:
        j = int(skipped[0])
        why.append(
            f"the cumulative average of {listed([stats.names[j] for j in skipped])} counts "
            f"only the batches that updated it ({stats.names[j]!r}: "
            f"{int(ema.n_updates[j]):,} of {ema.n_batches:,}), the layer's one "
            "num_batches_tracked all, so torch would weigh a next batch otherwise"
        )
    if options.of == "std":
        why.append("they average batch standard deviations (of 'std'), torch batch variances")
    if not options.unbiased:
        why.append(
            f"they average biased batch variances (the {options.convention} convention), "
            "torch unbiased ones"
        )
    if not why:
        return None
    return NormkitNote(
        "the layer's eval mode is normkit's, but training it further in torch would not "
        f"continue these running statistics as normkit does: {'; '.join(why)}"
    )


def warn(note: NormkitNote | None, stacklevel: int = 3) -> None:
    """Issue ``note`` (if any) as a warning; ``stacklevel`` as :func:`warnings.warn`'s, from
    the caller of this function."""
    if note is not None:
        warnings.warn(note, stacklevel=stacklevel)
