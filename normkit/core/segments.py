"""Running statistics computed in parts of a stream and combined: what lets shards and workers
fit the running (EMA) statistics of a data set exactly as one pass over it would.

A part's contribution is an :class:`EmaSegment`: the whole batches it holds, summarized as
:class:`EmaSteps` (the effect of those batches on any state before them), and the rows before its
first batch boundary and after its last, kept as moments so that adjacent parts complete the
batches they share. :class:`SegmentRecorder` builds the steps from the records of a pass
(:class:`~normkit.core.running.StepRecord`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .moments import Moments, merge_moments
from .running import EmaOptions, RunningState, StepRecord

__all__ = ["EmaSegment", "EmaSteps", "SegmentRecorder"]


@dataclass(frozen=True)
class EmaSteps:
    """The effect of consecutive whole batches on the running statistics, as a function of the
    state before them; composes associatively, so batches can be summarized in parts (shards,
    workers) and the parts combined in order.

    With a fixed weight ``w`` each batch is the affine map ``r -> (1 - w) * r + w * s`` (``s``
    the batch statistic; a batch with fewer than 2 values in a column is the identity there),
    and a run of batches is their composition ``r -> a * r + b``. Two cases need more than that:
    with ``init="first"`` the first batch a column ever sees replaces the state (weight 1), so
    the map taken when no batch came before (``a_first``, ``b_first``) is kept as well; with the
    cumulative average (weights ``1/k``, ``k`` counting batches from the start of the stream)
    the run is summarized by its count and the sum of its statistics, and applied as
    ``r -> (k0 * r + total) / (k0 + n_updates)``.

    Attributes
    ----------
    n_batches : int
    n_updates, n_skipped : ndarray of int64, shape (n_columns,)
    a, b, a_first, b_first, total : ndarray of float64, shape (2 * n_columns,)
        Means first, then variances.
    """

    n_batches: int
    n_updates: np.ndarray
    n_skipped: np.ndarray
    a: np.ndarray
    b: np.ndarray
    a_first: np.ndarray
    b_first: np.ndarray
    total: np.ndarray

    @classmethod
    def identity(cls, n_columns: int) -> EmaSteps:
        """No batch: the identity of :meth:`then`."""
        ones, zeros = np.ones(2 * n_columns), np.zeros(2 * n_columns)
        counts = np.zeros(n_columns, dtype=np.int64)
        return cls(0, counts, counts.copy(), ones, zeros, ones.copy(), zeros.copy(), zeros.copy())

    @classmethod
    def of_batches(
        cls, options: EmaOptions, count: np.ndarray, mean: np.ndarray, m2: np.ndarray
    ) -> EmaSteps:
        """The steps of batches with these statistics (shape ``(n_batches, n_columns)``)."""
        n_columns = count.shape[1]
        if not len(count):
            return cls.identity(n_columns)
        used = count >= 2
        with np.errstate(invalid="ignore", divide="ignore"):
            var = m2 / (count - 1 if options.unbiased else count)
        used2 = np.hstack([used, used])  # means first, then the averaged spreads
        stats = np.where(used2, np.hstack([mean, options.averaged(var)]), 0.0)
        counts = (len(count), used.sum(axis=0), (~used).sum(axis=0))
        total = stats.sum(axis=0)
        if options.cumulative:
            a, b = np.ones(2 * n_columns), np.zeros(2 * n_columns)
            return cls(*counts, a, b, a, b, total)
        w = options.weight
        decay, step = np.where(used2, 1.0 - w, 1.0), np.where(used2, w * stats, 0.0)
        a, b = _compose(decay, step)
        if options.init == "first":
            first = used2 & (np.cumsum(used2, axis=0) == 1)
            a_first, b_first = _compose(np.where(first, 0.0, decay), np.where(first, stats, step))
        else:
            a_first, b_first = a, b
        return cls(*counts, a, b, a_first, b_first, total)

    def then(self, later: EmaSteps) -> EmaSteps:
        """These steps followed by ``later``'s."""
        seen = np.tile(self.n_updates > 0, 2)
        return EmaSteps(
            self.n_batches + later.n_batches,
            self.n_updates + later.n_updates,
            self.n_skipped + later.n_skipped,
            later.a * self.a,
            later.a * self.b + later.b,
            np.where(seen, later.a * self.a_first, later.a_first * self.a),
            np.where(
                seen, later.a * self.b_first + later.b, later.a_first * self.b + later.b_first
            ),
            self.total + later.total,
        )

    def apply(self, stats: RunningState) -> RunningState:
        """The state ``stats`` would reach over these steps."""
        options = stats.options
        state = np.hstack([stats.running_mean, options.averaged(stats.running_var)])
        k0 = np.tile(stats.n_updates, 2)
        if stats.options.cumulative:
            k = k0 + np.tile(self.n_updates, 2)
            with np.errstate(invalid="ignore", divide="ignore"):
                new = np.where(k > k0, (k0 * state + self.total) / np.maximum(k, 1), state)
        else:
            new = np.where(k0 > 0, self.a * state + self.b, self.a_first * state + self.b_first)
        running_mean, spread = (part.copy() for part in np.hsplit(new, 2))
        running_var = options.as_var(spread)
        return RunningState(
            stats.options,
            running_mean,
            running_var,
            stats.n_batches + self.n_batches,
            stats.n_updates + self.n_updates,
            stats.n_skipped + self.n_skipped,
        )


def _compose(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The single map ``r -> A * r + B`` equal to the maps ``r -> a_k * r + b_k`` applied in
    order (rows of ``a`` and ``b``)."""
    # B = sum_k b_k * prod_{j > k} a_j: the products of the later factors, from the end.
    later = np.vstack([np.cumprod(a[:0:-1], axis=0)[::-1], np.ones((1, a.shape[1]))])
    return np.prod(a, axis=0), (b * later).sum(axis=0)


@dataclass(frozen=True)
class EmaSegment:
    """What consecutive rows of a stream contribute to its running statistics, whatever came
    before them, given where the logical batch boundaries fall among them (every
    ``batch_size``-th row of the whole stream, so a part must know its first row's index modulo
    the batch size).

    The rows before the first boundary (``head``) and after the last (``tail``) belong to
    batches shared with the neighbouring parts; they are kept as moments (count, mean, M2), so
    that two parts combine into the batch that straddles them. The whole batches between are
    kept as :class:`EmaSteps`.

    Attributes
    ----------
    closed : bool
        Whether a batch boundary falls within the rows (their start and end included).
    head_rows, tail_rows : int
    head, tail : Moments
    steps : EmaSteps
    """

    closed: bool
    head_rows: int
    head: Moments
    steps: EmaSteps
    tail_rows: int
    tail: Moments

    @classmethod
    def empty(cls, n_columns: int, first_row: int, batch_size: int) -> EmaSegment:
        """No rows, starting at row ``first_row`` of the stream."""
        none = Moments.empty(n_columns)
        closed = first_row % batch_size == 0
        return cls(closed, 0, none, EmaSteps.identity(n_columns), 0, none)

    def then(self, later: EmaSegment, options: EmaOptions) -> EmaSegment:
        """This segment followed by the adjacent ``later`` one."""
        if not self.closed:
            head = merge_moments(self.head, later.head)
            head_rows = self.head_rows + later.head_rows
            if not later.closed:
                return EmaSegment(False, head_rows, head, self.steps, 0, self.tail)
            return EmaSegment(True, head_rows, head, later.steps, later.tail_rows, later.tail)
        if not later.closed:
            tail = merge_moments(self.tail, later.head)
            rows = self.tail_rows + later.head_rows
            return EmaSegment(True, self.head_rows, self.head, self.steps, rows, tail)
        steps = self.steps
        if self.tail_rows + later.head_rows:
            if self.tail_rows + later.head_rows != options.batch_size:
                raise ValueError("segments do not meet at a batch boundary")
            joined = merge_moments(self.tail, later.head)
            steps = steps.then(
                EmaSteps.of_batches(
                    options, joined.count[None, :], joined.mean[None, :], joined.m2[None, :]
                )
            )
        return EmaSegment(
            True, self.head_rows, self.head, steps.then(later.steps), later.tail_rows, later.tail
        )

    def finish(self, stats: RunningState) -> RunningState:
        """The state reached from ``stats`` (fresh running statistics) by a segment that covers a
        whole stream (from row 0), its final partial batch used as a whole stream uses it."""
        if not self.closed or self.head_rows:
            raise ValueError("the segment does not start the stream")
        stats = self.steps.apply(stats)
        if self.tail_rows >= 2 and not stats.options.drop_last:
            last = self.tail
            stats = EmaSteps.of_batches(
                stats.options, last.count[None, :], last.mean[None, :], last.m2[None, :]
            ).apply(stats)
        return stats


class SegmentRecorder:
    """Observes the batches of a part of a stream and composes their :class:`EmaSteps`.

    Parameters
    ----------
    options : EmaOptions
    n_columns : int
    """

    def __init__(self, options: EmaOptions, n_columns: int):
        self.options = options
        self.steps = EmaSteps.identity(n_columns)

    def observe(self, record: StepRecord) -> None:
        steps = record.steps
        self.steps = self.steps.then(
            EmaSteps.of_batches(self.options, steps.count, steps.mean, steps.m2)
        )
