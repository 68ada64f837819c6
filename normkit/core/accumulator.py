"""One pass over a stream of rows: everything normkit learns from data, in one place.

An :class:`Accumulator` is fed batches of columns (float64 arrays, NaN missing) and keeps, in
bounded memory:

- the exact moments of every column (:mod:`normkit.core.moments`), relative to a per-column shift
  fixed by the first value seen;
- the logical batches of the running (EMA) statistics (:mod:`normkit.core.running`), whose
  records advance the running state (a whole stream) or are composed into a segment (a part of a
  stream, :mod:`normkit.core.segments`), and are handed to any other observers;
- a uniform sample of each column's values (:mod:`normkit.core.sketch`), keyed by each row's
  place (part index, row in part), so that every engine and chunking samples the same rows;
- and it refuses infinite values, naming the column and the row.

The estimator, the file fit, the Dask parts, drift and report all fit through it; the
:class:`Accumulated` result is plain numbers for the layers above to turn into statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DataError, param
from .moments import (
    Moments,
    batch_moments,
    column_extremes,
    first_values,
    merge_moments,
    moments_of,
)
from .running import EmaOptions, LogicalBatches, RunningState, StepObserver, StepRecord
from .sketch import ColumnSamples, row_keys

if TYPE_CHECKING:
    from .segments import EmaSegment, SegmentRecorder

__all__ = ["Accumulated", "Accumulator"]


class Accumulated:
    """What one pass collected.

    Attributes
    ----------
    moments : Moments
        Exact moments of every row fed.
    n_rows : int
        Rows fed (missing values included).
    running : RunningState or None
        The running statistics of a whole stream (None without them, or for a part).
    segment : EmaSegment or None
        A part's contribution to the running statistics (only for a finished part).
    sample : ColumnSamples or None
        The sampled values (None when no sample was taken).
    """

    __slots__ = ("moments", "n_rows", "running", "sample", "segment")

    def __init__(
        self,
        moments: Moments,
        n_rows: int,
        running: RunningState | None,
        segment: EmaSegment | None,
        sample: ColumnSamples | None,
    ):
        self.moments, self.n_rows, self.running = moments, n_rows, running
        self.segment, self.sample = segment, sample


class Accumulator:
    """Fits everything normkit learns from rows in one streaming pass.

    Parameters
    ----------
    names : sequence of str
        The columns, in the order their arrays are fed (for messages).
    running : EmaOptions or None
        Running statistics to compute; None skips them.
    first_row : int or None, default None
        None: the rows are a whole stream, whose running state is kept. An integer: they are a
        part of a stream beginning at that row, summarized as a segment to be combined with the
        other parts' (:class:`~normkit.core.segments.EmaSegment`).
    sample_size : int, None or False, default None
        Values sampled per column: None for :func:`~normkit.core.sketch.sample_size`'s default,
        False for no sample.
    observers : sequence of StepObserver
        Also given every record of logical batches (with the running state's path).
    start : Accumulated or None
        Continue from earlier results (statistics loaded or merged): their moments and running
        state; their sample is not continued (it would no longer be uniform over all rows).

    Examples
    --------
    >>> import numpy as np
    >>> acc = Accumulator(["x"], running=EmaOptions(batch_size=2))
    >>> acc.update([np.array([1.0, 2.0, 6.0])])
    >>> result = acc.finish()
    >>> float(result.moments.mean[0]), result.running.n_batches
    (3.0, 1)
    """

    def __init__(
        self,
        names: Sequence[str],
        *,
        running: EmaOptions | None = None,
        first_row: int | None = None,
        sample_size: int | bool | None = None,
        observers: Sequence[StepObserver] = (),
        start: Accumulated | None = None,
    ):
        n = len(names)
        self.names = [str(name) for name in names]
        self.options = running
        self.moments = start.moments if start is not None else Moments.empty(n)
        # With running statistics, the exact moments come from the logical batches' statistics
        # (one pass for both), which have no M3 and M4: these are kept apart, over every row.
        self._higher = self.moments
        self.n_rows = start.n_rows if start is not None else 0
        self._shift_known = self.moments.count > 0
        self._observers = list(observers)
        # Rows before the current part: row numbers in messages and the sample's keys count
        # from its start (statistics continued count from the first row they saw).
        self._part_start = 0
        self._part_index = 0
        self._closed = False
        self._finished_segment: EmaSegment | None = None
        self._n_batches = 0
        self.state: RunningState | None = None
        self._segment: SegmentRecorder | None = None
        self._batches: LogicalBatches | None = None
        if running is not None:
            self._batches = LogicalBatches(n, running.batch_size, first_row or 0)
            if first_row is None:
                if start is not None and start.running is not None:
                    self.state = start.running.with_options(running)
                else:
                    self.state = RunningState.initial(running, n)
                self._n_batches = self.state.n_batches
            else:
                from .segments import SegmentRecorder  # parts only (the Dask engine)

                self._segment = SegmentRecorder(running, n)
        if start is not None or sample_size is False:
            self.sample: ColumnSamples | None = None
        else:
            self.sample = ColumnSamples(n, None if sample_size is None else int(sample_size))

    @property
    def shift(self) -> np.ndarray:
        return self.moments.shift

    def start_part(self, index: int) -> None:
        """The rows fed from now on are part ``index`` of a data set (a file): row numbers in
        messages, and the sample's row keys, count from its start."""
        self._part_start = self.n_rows
        self._part_index = index

    @property
    def rows_in_part(self) -> int:
        return self.n_rows - self._part_start

    def update(self, columns: Sequence[np.ndarray]) -> None:
        """Feed rows: one float64 array per column, all of the same length, NaN for missing.

        Raises
        ------
        DataError
            If a value is infinite (naming the column and the row within the part).
        """
        if self._closed:
            raise ValueError("the accumulator is finished")
        columns = list(columns)
        if not self._shift_known.all():
            # Shift each column by its first value, once and for all (rows waiting in a partial
            # batch are taken relative to it later); see normkit.core.moments.
            values = first_values(columns)
            found = ~np.isnan(values) & ~self._shift_known
            self.moments = replace(self.moments, shift=np.where(found, values, self.moments.shift))
            self._shift_known = self._shift_known | found
        shift = self.moments.shift
        if self._batches is None:
            batch = batch_moments(columns, shift)
        else:
            # One pass for both: the batches' statistics, taken relative to the shift, merge
            # into the exact moments of the rows placed so far (rows waiting for their batch are
            # added by result() and finish()).
            n_missing, lo, hi = column_extremes(columns)
            steps, (count, mean_offset, m2) = self._batches.feed(
                columns, bool(n_missing.any()), shift
            )
            batch = Moments(count, n_missing, shift, mean_offset, m2, lo, hi)
            self._higher = merge_moments(self._higher, batch_moments(columns, shift))
            if steps is not None:
                self._observe(steps)
        self._check_finite(batch, columns)
        self.moments = merge_moments(self.moments, batch)
        if self.sample is not None and columns:
            n = len(columns[0])
            self.sample.offer(columns, row_keys(self._part_index, self.rows_in_part, n))
        self.n_rows += len(columns[0]) if columns else 0

    def _observe(self, steps) -> None:
        path = None
        if self.state is not None:
            self.state, path = self.state.advance(steps)
        if self._segment is not None:
            self._segment.observe(StepRecord(self._n_batches, steps, None))
        record = StepRecord(self._n_batches, steps, path)
        for observer in self._observers:
            observer.observe(record)
        self._n_batches += steps.n_batches

    def _check_finite(self, batch: Moments, columns: list[np.ndarray]) -> None:
        # Infinite values show in min/max at no extra cost; only then look for the row.
        bad = np.flatnonzero(np.isinf(batch.min) | np.isinf(batch.max))
        if bad.size:
            i = int(bad[0])
            row = int(np.flatnonzero(np.isinf(columns[i]))[0]) + self.rows_in_part + 1
            raise DataError(
                f"column {self.names[i]!r} at data row {row:,}: infinite value "
                "(out of float64 range or 'inf')",
                hints=(
                    "fix the data",
                    f"read infinities as missing ({param('inf_as_missing', True)})",
                ),
            )

    def _final_step(self):
        """The rows waiting, as a final partial batch of a whole stream, if it is used."""
        batches = self._batches
        if (
            self.state is None or batches.pending_rows < 2 or self.options.drop_last  # type: ignore[union-attr]
        ):
            return None
        return batches.pending_steps(self.shift)

    def _with_pending(self) -> Moments:
        """The exact moments with the rows still waiting for their batch."""
        pending = self._batches.pending_moments(self.shift)  # type: ignore[union-attr]
        return merge_moments(self.moments, moments_of(*pending, self.shift))

    def result(self) -> Accumulated:
        """The statistics as if the stream ended here, leaving the pass open for more rows."""
        if self._closed or self._batches is None or self._segment is not None:
            return self._collect(self.moments, self.state, None)
        moments = self._with_pending() if self._batches.pending_rows else self.moments
        state = self.state
        step = self._final_step()
        if step is not None:
            state, _ = state.advance(step)  # type: ignore[union-attr]
        return self._collect(moments, state, None)

    def finish(self) -> Accumulated:
        """End of the rows: the final partial batch is used (if it has at least 2 rows and
        ``drop_last`` is off), or, for a part, kept as the segment's tail."""
        if self._closed:
            return self._collect(self.moments, self.state, self._finished_segment)
        self._closed = True
        segment = None
        if self._batches is not None:
            batches = self._batches
            pending = batches.pending_moments(self.shift)
            if self._segment is not None:
                from .segments import EmaSegment

                segment = EmaSegment(
                    batches.head_rows == batches.head_wanted,
                    batches.head_rows,
                    batches.head,
                    self._segment.steps,
                    batches.pending_rows,
                    moments_of(*pending, self.shift),
                )
            else:
                step = self._final_step()
                if step is not None:
                    self._observe(step)
            self.moments = merge_moments(self.moments, moments_of(*pending, self.shift))
            batches.clear()
        self._finished_segment = segment
        return self._collect(self.moments, self.state, segment)

    def _collect(
        self, moments: Moments, state: RunningState | None, segment: EmaSegment | None
    ) -> Accumulated:
        if self._batches is not None:
            moments = replace(moments, m3=self._higher.m3, m4=self._higher.m4)
        return Accumulated(moments, self.n_rows, state, segment, self.sample)
