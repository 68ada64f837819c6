"""BatchNorm running statistics: exponential moving averages of per-batch mean and variance.

Over consecutive logical batches of ``batch_size`` rows, BatchNorm keeps, per column,

    running_mean <- (1 - w) * running_mean + w * batch_mean
    running_var  <- (1 - w) * running_var  + w * batch_var

PyTorch calls ``w`` the momentum (default 0.1) and uses the unbiased batch variance; Keras calls
``1 - w`` the momentum (default 0.99) and uses the biased one; PyTorch's ``momentum=None`` is the
cumulative average, ``w = 1 / k`` for the k-th batch. Both start from mean 0 and variance 1.

The pieces, composed by :class:`~normkit.core.accumulator.Accumulator` and by the streaming
transforms:

- :class:`~normkit.core.batches.LogicalBatches` cuts a stream of rows, fed in chunks of any
  size, into logical batches (rows of a partial batch wait for the next chunk, so nothing depends
  on the I/O chunking) and summarizes each batch as a :class:`BatchSteps` record: its count, mean
  and M2 per column.
- :class:`RunningState` is the state (running mean and variance, counts); ``advance`` consumes a
  record and returns the new state with its :class:`StatePath`, the states after every batch.
  Other consumers of the same records (a part's segment, a report's trajectory) are observers
  of them (:class:`StepObserver`), not variants of the state.

The statistics of every logical batch in a chunk come from one native pass per column, in
numpy's order of operations, and the recurrence runs natively one batch after the other, as the
frameworks update their buffers: in one pass, the running statistics are the same, bit for bit,
however the rows are chunked (segments combined from parts agree to rounding). The recurrence
is first-order linear (``r_k = a_k * r_{k-1} + b_k``), so pairs ``(a, b)`` compose
associatively, ``(a2, b2) o (a1, b1) = (a2 * a1, a2 * b1 + b2)``: that lets segments of a stream
(shards, workers) be combined (:mod:`normkit.core.segments`).

Missing values (NaN) are left out of a batch's statistics column by column; a batch with fewer
than two values in a column leaves that column's running statistics unchanged (PyTorch refuses
a batch of one) and is counted as skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

import numpy as np

from .. import _native, params
from ..errors import OptionError
from .values import by_value

__all__ = [
    "CONVENTIONS",
    "CUMULATIVE",
    "DEFAULT_MOMENTUM",
    "BatchSteps",
    "EmaOptions",
    "PendingBatch",
    "RunningState",
    "StatePath",
    "StepObserver",
    "StepRecord",
    "batch_statistics",
]


class Convention:
    """A framework's BatchNorm defaults: its momentum, whether its batch variance is unbiased
    (N - 1, PyTorch) or not (N, Keras), its eps, and whether the momentum is the weight of the
    new batch (PyTorch) or of the old state (Keras: w = 1 - momentum)."""

    __slots__ = ("eps", "momentum", "unbiased", "weight_is_momentum")

    def __init__(self, momentum: float, unbiased: bool, eps: float, weight_is_momentum: bool):
        self.momentum, self.unbiased = momentum, unbiased
        self.eps, self.weight_is_momentum = eps, weight_is_momentum


CONVENTIONS = {
    "torch": Convention(momentum=0.1, unbiased=True, eps=1e-5, weight_is_momentum=True),
    "keras": Convention(momentum=0.99, unbiased=False, eps=1e-3, weight_is_momentum=False),
}
CUMULATIVE = "cumulative"
#: The momentum that means "the convention's own".
DEFAULT_MOMENTUM = "default"


@dataclass(frozen=True)
class EmaOptions:
    """How running statistics are computed.

    Parameters
    ----------
    convention : {"torch", "keras"}, default "torch"
        PyTorch (momentum 0.1 weighs the new batch, unbiased batch variance, eps 1e-5) or Keras
        (momentum 0.99 weighs the old state, biased batch variance, eps 1e-3).
    momentum : float, "cumulative" or "default", default "default"
        In the convention's own sense; "default" takes the convention's (torch 0.1, keras 0.99).
        "cumulative" is what PyTorch spells ``momentum=None``: the k-th batch has weight 1/k.
        None is refused, since it would mean the cumulative average to a PyTorch user and the
        default to others.
    init : {"standard", "first"}, default "standard"
        Start from mean 0 and variance 1 (both frameworks) or from the first batch's statistics.
    batch_size : int, default 256
        Rows per logical batch (at least 2).
    drop_last : bool, default False
        Drop a final partial batch; otherwise it is used if it has at least 2 rows.
    eps : float or None, default None
        Added to the running variance when normalizing; None takes the convention's.
    of : {"var", "std"}, default "var"
        The batch statistic the running one averages: the variance, as PyTorch and Keras do, or
        the standard deviation sigma_B, as some course notes write BatchNorm's inference
        statistics (``sigma <- (1 - w) sigma + w sigma_B``). Either way ``running_var`` is the
        variance eval mode uses: with ``"std"``, the square of the running standard deviation.
    """

    convention: str = "torch"
    momentum: float | str = "default"
    init: str = "standard"
    batch_size: int = 256
    drop_last: bool = False
    eps: float | None = None
    of: str = "var"

    def __post_init__(self) -> None:
        if self.momentum is None:
            raise OptionError(
                "EmaOptions(momentum=None) is ambiguous: PyTorch's momentum=None is the "
                "cumulative average, which is momentum='cumulative' here; leave momentum out "
                "for the convention's default",
                param="ema.momentum",
            )
        for name in ("convention", "momentum", "init", "batch_size", "drop_last", "eps", "of"):
            object.__setattr__(self, name, params.check(f"ema.{name}", getattr(self, name)))
        # The convention's own range is checked where statistics are computed (Accumulator):
        # a stat file from before it (keras momentum 1, which never moved them) still loads.
        object.__setattr__(self, "batch_size", int(self.batch_size))

    @property
    def cumulative(self) -> bool:
        return self.momentum == CUMULATIVE

    @property
    def momentum_value(self) -> float | None:
        """The momentum in the convention's sense (None when cumulative)."""
        if self.cumulative:
            return None
        if self.momentum == DEFAULT_MOMENTUM:
            return CONVENTIONS[self.convention].momentum
        return float(self.momentum)

    @property
    def weight(self) -> float | None:
        """``w``, the weight of a new batch (None when cumulative).

        Keras' ``1 - momentum`` is computed in float64 as Keras does (``1 - 0.99`` is
        0.010000000000000009), so that its running statistics are reproduced exactly.
        """
        m = self.momentum_value
        if m is None:
            return None
        return m if CONVENTIONS[self.convention].weight_is_momentum else 1.0 - m

    @property
    def torch_momentum(self) -> float | None:
        """The momentum in PyTorch's sense, as the number it means, for a layer or a record (None
        when cumulative): Keras' 0.99 is 0.01, its complement in decimal (the shortest repr's
        digits), where :attr:`weight`, which the running statistics use, is the float
        ``1 - 0.99`` (0.010000000000000009)."""
        m = self.momentum_value
        if m is None or CONVENTIONS[self.convention].weight_is_momentum:
            return m
        return float(1 - Decimal(repr(m)))

    @property
    def unbiased(self) -> bool:
        return CONVENTIONS[self.convention].unbiased

    @property
    def eps_value(self) -> float:
        return CONVENTIONS[self.convention].eps if self.eps is None else float(self.eps)

    def averaged(self, var: np.ndarray) -> np.ndarray:
        """What the running statistic averages, from a variance: itself, or its square root."""
        with np.errstate(invalid="ignore"):
            return np.sqrt(var) if self.of == "std" else var

    def as_var(self, averaged: np.ndarray) -> np.ndarray:
        """The variance of a running statistic (the inverse of :meth:`averaged`; kept as the
        square of the average, whose square root gives the average back exactly)."""
        return averaged * averaged if self.of == "std" else averaged


def batch_statistics(
    x: np.ndarray, has_missing: bool | None = None, *, overwrite: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and M2 of each batch, NaN marking a missing value.

    Two passes, as PyTorch computes them: the mean, then the sum of squared deviations from it.
    A batch's rows are contiguous (the last axis), so the reductions run at memory speed.

    Parameters
    ----------
    x : ndarray of float64, shape (..., batch_rows)
        For instance (n_columns, n_batches, batch_rows).
    has_missing : bool or None
        Whether ``x`` may hold NaN; None checks.
    overwrite : bool, default False
        Whether ``x`` may be used as scratch space (saves allocating a temporary as large).

    Returns
    -------
    count : ndarray of int64, shape (...)
    mean : ndarray of float64, shape (...); NaN where count is 0
    m2 : ndarray of float64, shape (...)
    """
    if has_missing is None:
        has_missing = bool(np.isnan(x).any())
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if not has_missing:
            count = np.full(x.shape[:-1], x.shape[-1], dtype=np.int64)
            mean = x.sum(axis=-1) / x.shape[-1]
            if np.isfinite(mean).all():
                dev = np.subtract(x, mean[..., None], out=x if overwrite else None)
                dev *= dev
                return count, mean, dev.sum(axis=-1)
            dev = x - mean[..., None]
        else:
            valid = ~np.isnan(x)
            count = valid.sum(axis=-1)
            mean = np.where(valid, x, 0.0).sum(axis=-1) / count
            dev = np.where(valid, x - mean[..., None], 0.0)
        overflow = ~np.isfinite(mean)
        if overflow.any() and (overflow := overflow & np.isfinite(x).all(axis=-1)).any():
            # The sum of values near the float64 limit overflows where their mean does not:
            # average the values divided by the count instead (this rare path only).
            scaled = np.where(np.isnan(x), 0.0, x) / count[..., None]
            mean = np.where(overflow, scaled.sum(axis=-1), mean)
            dev = np.where(np.isnan(x), 0.0, x - mean[..., None])
        dev *= dev
        m2 = dev.sum(axis=-1)
    return count, mean, m2


def per_batch(
    batches: np.ndarray | Sequence[np.ndarray], has_missing: bool | None, *, overwrite: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and M2, shape ``(n_batches, n_columns)``, of batches given per column: an
    array of shape ``(n_columns, n_batches, batch_rows)`` or a list of 2-d arrays."""
    if not isinstance(batches, np.ndarray):
        batches = np.stack(batches)
    count, mean, m2 = batch_statistics(batches, has_missing, overwrite=overwrite)
    return count.T, mean.T, m2.T


def no_moments(n_columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and M2 of no rows."""
    return np.zeros(n_columns, dtype=np.int64), np.full(n_columns, np.nan), np.zeros(n_columns)


# -- the step record ---------------------------------------------------------------------------


class BatchSteps:
    """The statistics of consecutive logical batches, in stream order: what running statistics
    (and whatever else follows them) consume.

    Attributes
    ----------
    count : ndarray of int64, shape (n_batches, n_columns)
        Non-missing values of each column in each batch.
    mean : ndarray of float64, shape (n_batches, n_columns)
        Each batch's mean (NaN where its count is 0).
    m2 : ndarray of float64, shape (n_batches, n_columns)
        Each batch's sum of squared deviations from its mean.
    """

    __slots__ = ("count", "m2", "mean")

    def __init__(self, count: np.ndarray, mean: np.ndarray, m2: np.ndarray):
        self.count, self.mean, self.m2 = count, mean, m2

    @classmethod
    def relative(
        cls, count: np.ndarray, mean_offset: np.ndarray, m2: np.ndarray, shift: np.ndarray
    ) -> BatchSteps:
        """From statistics taken of ``x - shift`` (see :mod:`normkit.core.moments`)."""
        return cls(count, mean_offset + shift, m2)

    @classmethod
    def of(cls, batches: Sequence[np.ndarray], has_missing: bool | None = None) -> BatchSteps:
        """The steps of whole batches given per column, each an array of shape
        ``(n_batches, batch_rows)``."""
        return cls(*per_batch(batches, has_missing))

    @property
    def n_batches(self) -> int:
        return len(self.count)

    @property
    def biased_var(self) -> np.ndarray:
        """Each batch's own biased variance, as BatchNorm's training mode normalizes with."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.m2 / self.count, np.nan)


class StatePath:
    """The running statistics after each batch of a :class:`BatchSteps` record (and before the
    first, ``initial_*``): what adaptive normalization and trajectories need."""

    __slots__ = ("initial_mean", "initial_var", "mean", "var")

    def __init__(
        self, initial_mean: np.ndarray, initial_var: np.ndarray, mean: np.ndarray, var: np.ndarray
    ):
        self.initial_mean, self.initial_var = initial_mean, initial_var
        self.mean, self.var = mean, var  # shape (n_batches, n_columns): after each batch

    @property
    def mean_before(self) -> np.ndarray:
        """The running mean as it stood before each batch."""
        return np.vstack([self.initial_mean[None, :], self.mean[:-1]])

    @property
    def var_before(self) -> np.ndarray:
        return np.vstack([self.initial_var[None, :], self.var[:-1]])


class StepRecord:
    """One record of whole batches, as observers of a pass receive it.

    Attributes
    ----------
    first_batch : int
        Batches before these ones (in the stream, or in the part being fitted).
    steps : BatchSteps
    path : StatePath or None
        The running state after each batch, where a state is kept (not for a part of a stream,
        whose state depends on what comes before it).
    """

    __slots__ = ("first_batch", "path", "steps")

    def __init__(self, first_batch: int, steps: BatchSteps, path: StatePath | None):
        self.first_batch, self.steps, self.path = first_batch, steps, path


class StepObserver(Protocol):
    """Something that follows the logical batches of a pass (a part's segment, a trajectory)."""

    def observe(self, record: StepRecord) -> None: ...


@by_value
@dataclass(frozen=True, eq=False)
class PendingBatch:
    """The rows of a logical batch the stream had not completed when its running statistics
    were taken, summarized so that the rows after them complete it (the batch's statistics are
    their moments merged, Chan et al.'s update: the same as of all its rows, to rounding).

    Attributes
    ----------
    rows : int
        Rows of the batch so far (1 to ``batch_size - 1``).
    count : ndarray of int64, shape (n_columns,)
        Their non-missing values per column.
    mean, m2 : ndarray of float64, shape (n_columns,)
        Their mean (NaN where count is 0) and sum of squared deviations from it.
    running_mean, running_var : ndarray of float64, shape (n_columns,)
        The running statistics before the batch (those "as if the data ended there" have it
        applied as a final partial batch, where it is used).
    """

    rows: int
    count: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    running_mean: np.ndarray
    running_var: np.ndarray

    @property
    def steps(self) -> BatchSteps:
        """The rows so far, as one batch."""
        return BatchSteps(self.count[None, :], self.mean[None, :], self.m2[None, :])

    def select(self, index: list[int]) -> PendingBatch:
        return PendingBatch(
            self.rows,
            self.count[index],
            self.mean[index],
            self.m2[index],
            self.running_mean[index],
            self.running_var[index],
        )


@by_value
@dataclass(frozen=True, eq=False)
class RunningState:
    """The running (EMA) statistics after some batches: one value, advanced by records.

    Attributes
    ----------
    options : EmaOptions
    running_mean, running_var : ndarray of float64, shape (n_columns,)
    n_batches : int
        Logical batches completed (a final partial batch included when used).
    n_updates : ndarray of int64, shape (n_columns,)
        Batches that updated each column.
    n_skipped : ndarray of int64, shape (n_columns,)
        Batches with fewer than 2 values in a column, which left it unchanged.
    pending : PendingBatch or None
        The rows of an unfinished batch, for the stream to go on from (its statistics are
        included here as a final partial batch, where it is used); None where the stream ended
        at a batch boundary or was finished.
    """

    options: EmaOptions
    running_mean: np.ndarray
    running_var: np.ndarray
    n_batches: int
    n_updates: np.ndarray
    n_skipped: np.ndarray
    pending: PendingBatch | None = None

    @classmethod
    def initial(cls, options: EmaOptions, n_columns: int) -> RunningState:
        """Before any batch: mean 0 and variance 1, as both frameworks start."""
        counts = np.zeros(n_columns, dtype=np.int64)
        return cls(options, np.zeros(n_columns), np.ones(n_columns), 0, counts, counts.copy())

    @property
    def n_columns(self) -> int:
        return len(self.running_mean)

    @property
    def scale(self) -> np.ndarray:
        """``sqrt(running_var + eps)``: the divisor of BatchNorm's eval mode."""
        return np.sqrt(self.running_var + self.options.eps_value)

    def with_options(self, options: EmaOptions) -> RunningState:
        return replace(self, options=options)

    def used(self, pending: PendingBatch) -> bool:
        """Whether a final partial batch of these rows updates the running statistics: it has
        at least 2 rows and ``drop_last`` is off."""
        return pending.rows >= 2 and not self.options.drop_last

    def before_pending(self) -> RunningState:
        """The state the rows of :attr:`pending` continue from: without them as a final partial
        batch (itself, where there are none)."""
        pending = self.pending
        if pending is None:
            return self
        if not self.used(pending):
            return replace(self, pending=None)
        # A column of fewer than 2 values in the batch was skipped by it, others updated.
        updated = (pending.count >= 2).astype(np.int64)
        return RunningState(
            self.options,
            pending.running_mean,
            pending.running_var,
            self.n_batches - 1,
            self.n_updates - updated,
            self.n_skipped - (1 - updated),
        )

    def select(self, index: Sequence[int]) -> RunningState:
        """The state of some columns only."""
        index = list(index)
        return RunningState(
            self.options,
            self.running_mean[index],
            self.running_var[index],
            self.n_batches,
            self.n_updates[index],
            self.n_skipped[index],
            None if self.pending is None else self.pending.select(index),
        )

    def advance(self, steps: BatchSteps) -> tuple[RunningState, StatePath]:
        """The state after these batches, and the path to it.

        One batch after the other, as PyTorch's kernel updates its buffers
        (``w * batch + (1 - w) * running``, two products and their sum), natively: the bits do not
        depend on how the batches are grouped into records.
        """
        options = self.options
        new_mean, new_var, n_updates = _native.running_advance(
            np.asarray(steps.count, dtype=np.int64),
            np.asarray(steps.mean, dtype=np.float64),
            np.asarray(steps.m2, dtype=np.float64),
            np.asarray(self.running_mean, dtype=np.float64),
            np.asarray(self.running_var, dtype=np.float64),
            np.asarray(self.n_updates, dtype=np.int64),
            weight=options.weight,
            init_first=options.init == "first",
            unbiased=options.unbiased,
            of_std=options.of == "std",
        )
        used = n_updates - self.n_updates
        after = RunningState(
            options,
            new_mean[-1].copy() if len(new_mean) else self.running_mean,
            new_var[-1].copy() if len(new_var) else self.running_var,
            self.n_batches + steps.n_batches,
            n_updates,
            self.n_skipped + (steps.n_batches - used),
        )
        return after, StatePath(self.running_mean, self.running_var, new_mean, new_var)
