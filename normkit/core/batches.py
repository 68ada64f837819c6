"""Cutting a stream, fed in chunks of any size, into BatchNorm's logical batches.

The batches' statistics (count, mean and M2 of each ``batch_size`` rows) are what running
statistics (:mod:`normkit.core.running`) consume.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _native
from .moments import Moments, batch_moments, merge_moments
from .running import BatchSteps, no_moments, per_batch

__all__ = ["LogicalBatches"]


class LogicalBatches:
    """Cuts rows, fed in chunks of any size, into logical batches of ``batch_size`` rows.

    Batch boundaries fall at every ``batch_size``-th row of the whole stream. A part of a stream
    that does not begin at a boundary (``first_row`` not a multiple of the batch size) keeps the
    rows before its first boundary apart, as :attr:`head` moments: the part before it completes
    that batch. Rows after the last complete batch wait in :attr:`pending_rows` for the next
    chunk.

    A stream that goes on from a :class:`~normkit.core.running.PendingBatch` (statistics
    continued) completes that batch with its first rows: they are its head, whose moments merged
    with the pending rows' are the batch's (:meth:`feed` returns it with the batches after it).

    Parameters
    ----------
    n_columns : int
    batch_size : int
    first_row : int, default 0
        Index, in the whole stream, of the first row that will be fed.
    carried : Moments or None, default None
        The moments of the rows of an unfinished batch before the first row fed (of any shift:
        merging rebases them), and ``carried_rows`` their number.
    """

    def __init__(
        self,
        n_columns: int,
        batch_size: int,
        first_row: int = 0,
        carried: Moments | None = None,
        carried_rows: int = 0,
    ):
        self.n_columns = n_columns
        self.batch_size = batch_size
        self._pending = np.empty((n_columns, 0))
        self.head_wanted = -first_row % batch_size
        self.head_rows = 0
        self.head = Moments.empty(n_columns)
        self.carried_rows = 0
        if carried is not None and carried_rows:
            self.head_wanted, self.head, self.carried_rows = (
                batch_size - carried_rows,
                carried,
                carried_rows,
            )

    @property
    def pending_rows(self) -> int:
        """Rows waiting for their batch to fill."""
        return self._pending.shape[1]

    def placed(self, n_rows: int) -> tuple[int, int]:
        """Where the whole batches of the next ``n_rows`` rows fed lie among them: the first
        one's row, and how many there are (after head rows and the rows completing a batch)."""
        take = self._head_take(n_rows)
        start, n_full = self._whole_batches(n_rows - take)
        return take + start, n_full

    def _head_take(self, n_rows: int) -> int:
        """How many of the next ``n_rows`` rows go to the head (before the first boundary)."""
        return max(min(self.head_wanted - self.head_rows, n_rows), 0)

    def _whole_batches(self, n_new: int) -> tuple[int, int]:
        """Where whole batches lie among ``n_new`` rows after the rows waiting."""
        size, waiting = self.batch_size, self.pending_rows
        if waiting + n_new < size:
            return 0, 0
        start = (size - waiting) % size
        return start, (n_new - start) // size

    def feed(
        self,
        columns: Sequence[np.ndarray],
        has_missing: bool | None,
        shift: np.ndarray,
        found: tuple | None = None,
    ) -> BatchSteps | None:
        """Feed rows, one float64 array per column (NaN missing); the batches this chunk
        completed (None if none).

        Batch statistics are computed on ``x - shift`` (see :mod:`normkit.core.moments`): exact
        for data far from zero. ``found``: the statistics of the whole batches :meth:`placed`
        finds, if computed already (by :func:`~normkit.core.moments.moments_and_batches`).
        """
        n_rows = len(columns[0]) if len(columns) else 0
        take = self._head_take(n_rows)
        if not take:
            return self._feed_batches(columns, has_missing, shift, found)
        self.head = merge_moments(self.head, batch_moments([c[:take] for c in columns], shift))
        self.head_rows += take
        completed = None
        if self.carried_rows and self.head_rows == self.head_wanted:
            completed = self._head_steps()
            self.carried_rows = 0
        later = None
        if n_rows > take:
            later = self._feed_batches([c[take:] for c in columns], has_missing, shift, found)
        if completed is None or later is None:
            return later if completed is None else completed
        return BatchSteps(
            *(
                np.concatenate([getattr(completed, k), getattr(later, k)])
                for k in ("count", "mean", "m2")
            )
        )

    def _head_steps(self) -> BatchSteps:
        """The rows carried and the head rows after them, as one batch."""
        head = self.head
        return BatchSteps(head.count[None, :], head.mean[None, :], head.m2[None, :])

    @property
    def waiting_rows(self) -> int:
        """Rows of the batch the stream has not completed: those waiting, or those carried and
        the head rows after them."""
        return self.carried_rows + self.head_rows if self.carried_rows else self.pending_rows

    def waiting_steps(self, shift: np.ndarray) -> BatchSteps:
        """The rows of the batch the stream has not completed, as one (partial) batch."""
        return self._head_steps() if self.carried_rows else self.pending_steps(shift)

    def _feed_batches(
        self,
        columns: Sequence[np.ndarray],
        has_missing: bool | None,
        shift: np.ndarray,
        found: tuple | None,
    ) -> BatchSteps | None:
        size = self.batch_size
        n_new = len(columns[0]) if len(columns) else 0
        waiting = self.pending_rows
        if waiting + n_new < size:
            self._pending = np.hstack([self._pending, np.vstack(columns)])
            return None
        # The batch that completes the waiting rows is assembled apart (one batch); the whole
        # batches after it are reduced where they lie.
        start, n_full = self._whole_batches(n_new)
        stop = start + n_full * size
        stats = []
        # Overflow (values near the float64 limit) shows as non-finite moments, reported later.
        with np.errstate(over="ignore", invalid="ignore"):
            if waiting:
                # A fresh array: shifted and then reduced in place (wide rows: each copy of a
                # batch of 20,000 columns is 40 MB).
                head = np.hstack([self._pending, np.vstack([c[:start] for c in columns])])
                np.subtract(head, shift[:, None], out=head)
                stats.append(per_batch(head[:, None, :], None, overwrite=True))
            if n_full:
                # Natively, each batch where it lies in its column, with numpy's operations in
                # numpy's order; numpy's path, which rescales, where a sum overflowed.
                columns = [np.asarray(c, dtype=np.float64) for c in columns]
                if found is None:
                    found = _native.batch_statistics(columns, shift, start, n_full, size)
                *found, overflow = found
                if found[0].shape[1] != n_full:
                    raise ValueError("the batches found are not those of the rows fed")
                if overflow:
                    body = np.stack([c[start:stop] for c in columns]) - shift[:, None]
                    stats.append(per_batch(body.reshape(len(columns), n_full, size), has_missing))
                else:  # (n_batches, n_columns), laid out as per_batch's
                    stats.append(tuple(x.T for x in found))
        self._pending = np.vstack([c[stop:] for c in columns])
        if len(stats) == 1:
            return BatchSteps.relative(*stats[0], shift)
        count, mean, m2 = (np.concatenate(parts) for parts in zip(*stats, strict=True))
        return BatchSteps.relative(count, mean, m2, shift)

    def pending_moments(self, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Count, mean and M2, relative to ``shift``, of the rows waiting for their batch."""
        if not self.pending_rows:
            return no_moments(self.n_columns)
        with np.errstate(over="ignore", invalid="ignore"):
            pending = self._pending - shift[:, None]
        count, mean, m2 = per_batch(pending[:, None, :], None)  # one batch: its own moments
        return count[0], mean[0], m2[0]

    def pending_steps(self, shift: np.ndarray) -> BatchSteps:
        """The rows waiting, as one (partial) batch."""
        # Relative to the shift, as whole batches are: squared deviations of values near the
        # float64 limit would overflow where those of x - shift do not.
        with np.errstate(over="ignore", invalid="ignore"):
            pending = self._pending - shift[:, None]
        return BatchSteps.relative(*per_batch(pending[:, None, :], None), shift)

    def clear(self) -> None:
        """Forget the rows waiting (the stream has ended)."""
        self._pending = np.empty((self.n_columns, 0))
        self.carried_rows = 0
