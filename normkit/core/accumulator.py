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

With sample weights (``update(columns, weights)``, or ``weighted=True``) the moments and the
sample are weighted (frequency weights: a row of weight ``w`` counts as ``w`` rows; see
:mod:`normkit.core.moments`), weights that are negative, infinite or missing are refused with
their row, and no running statistics are computed: BatchNorm's running statistics have no sample
weights, so whatever ``running`` asks, a weighted pass has none (from the first weighted batch
on: rows fed before without weights weigh 1).

The estimator, the file fit, the Dask parts, drift and report all fit through it; the
:class:`Accumulated` result is plain numbers for the layers above to turn into statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .. import params
from ..errors import DataError, OptionError, infinite_error, infinity_hints
from .batches import LogicalBatches
from .moments import (
    Moments,
    batch_moments,
    first_values,
    merge_moments,
    moments_and_batches,
    moments_of,
    weighted_batch_moments,
)
from .running import EmaOptions, PendingBatch, RunningState, StepObserver, StepRecord
from .sketch import ColumnSamples, row_keys

if TYPE_CHECKING:
    from .segments import EmaSegment, SegmentRecorder

__all__ = ["WEIGHTS_RULE", "Accumulated", "Accumulator", "zero_weights_error"]

#: What every refusal of a sample weight says weights must be.
WEIGHTS_RULE = "weights must be finite numbers >= 0 (a row of weight w counts as w rows)"

#: The refusal of weights whose sum is beyond float64 (a fit's, a merge's), and its way out.
SUMS_OVERFLOW = "the sum of the weights overflows float64"
DIVIDE_WEIGHTS = (
    "divide every weight by one constant (with ddof 0 the mean and variance stay the same)"
)


def overflowing_weight(moments: Moments) -> int | None:
    """The first column whose sum of weights is beyond float64, if any (statistics of parts
    summed: each part's sum was checked as it was fitted)."""
    weight = moments.weight
    if weight is None or np.isfinite(weight).all():
        return None
    return int(np.argmin(np.isfinite(weight)))


def zero_weights_error(column: str, where: str | None = None) -> DataError:
    """The refusal of weights from the column ``column`` that are 0 in every row (of ``where``:
    the data's files, if any), where nothing would be counted."""
    return DataError(
        f"{where + ': ' if where else ''}every row has weight 0 in the weight column {column!r}; "
        "sample weights must contain at least one non-zero number",
        param="weight_column",
    )


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
        state, the rows of its unfinished batch completed by the first rows fed; their sample
        is not continued (it would no longer be uniform over all rows). Weighted moments
        continue weighted.
    weighted : bool, default False
        Rows have sample weights (given to :meth:`update`; rows given without weigh 1): the
        moments and sample are weighted, and there are no running statistics. Weights given to
        :meth:`update` make a pass weighted from then on anyway.
    weight_name : str or None
        The weights' column, named in messages (default: ``sample_weight``).
    in_memory : bool, default False
        The rows are arrays or tables in memory, not read from files: messages count them as
        ``row`` (not a file's ``data row``) and hint at making infinities NaN rather than at a
        read option.

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
        weighted: bool = False,
        weight_name: str | None = None,
        in_memory: bool = False,
    ):
        n = len(names)
        self.in_memory = in_memory
        self._row_word = "row" if in_memory else "data row"
        self.names = [str(name) for name in names]
        self.weighted = weighted or (start is not None and start.moments.weight is not None)
        self.weight_name = weight_name
        if self.weighted:
            running = None  # BatchNorm's running statistics have no sample weights
        self.options = running
        self.moments = start.moments if start is not None else Moments.empty(n, self.weighted)
        self.n_rows = start.n_rows if start is not None else 0
        self._shift_known = self.moments.count > 0
        self._observers = list(observers)
        # Rows before the current part: row numbers in messages and the sample's keys count
        # from its start (statistics continued count from the first row they saw).
        self._part_start = 0
        self._part_index = 0
        self._counted_from = 0  # the row messages count from (a part's, or a batch's, first)
        self._closed = False
        self._finished_segment: EmaSegment | None = None
        self._n_batches = 0
        self.state: RunningState | None = None
        self._segment: SegmentRecorder | None = None
        self._batches: LogicalBatches | None = None
        if running is not None:
            params.check_momentum(running.momentum, running.convention)
            pending = None if start is None or start.running is None else start.running.pending
            self._batches = LogicalBatches(
                n,
                running.batch_size,
                first_row or 0,
                *(() if pending is None else (_pending_moments(pending), pending.rows)),
            )
            if first_row is None:
                if start is not None and start.running is not None:
                    self.state = start.running.before_pending().with_options(running)
                else:
                    self.state = RunningState.initial(running, n)
                self._n_batches = self.state.n_batches
            else:
                from .segments import SegmentRecorder  # parts only (the Dask engine)

                self._segment = SegmentRecorder(running, n)
        if start is not None or sample_size is False:
            self.sample: ColumnSamples | None = None
        else:
            size = None if sample_size is None else int(sample_size)
            self.sample = ColumnSamples(n, size, weighted=self.weighted)

    @property
    def shift(self) -> np.ndarray:
        return self.moments.shift

    def start_part(self, index: int) -> None:
        """The rows fed from now on are part ``index`` of a data set (a file): row numbers in
        messages, and the sample's row keys, count from its start."""
        self._part_start = self._counted_from = self.n_rows
        self._part_index = index

    @property
    def part(self) -> int:
        """The index of the part (file) being fed (:meth:`start_part`)."""
        return self._part_index

    def count_rows_from(self, row: int) -> None:
        """Messages count the rows from ``row`` (a batch given in memory, whose rows its user
        knows), the sample's row keys as before."""
        self._counted_from = row

    @property
    def rows_in_part(self) -> int:
        return self.n_rows - self._part_start

    @property
    def _rows_counted(self) -> int:
        """The rows fed before the next one, as messages count them."""
        return self.n_rows - self._counted_from

    def update(
        self,
        columns: Sequence[np.ndarray],
        weights: np.ndarray | None = None,
        locate: Callable[[int, str], str] | None = None,
    ) -> None:
        """Feed rows: one float64 array per column, all of the same length, NaN for missing.

        Parameters
        ----------
        columns : sequence of 1-d arrays of float64
        weights : 1-d array of float64, shape (n_rows,), or None
        locate : callable(k, name) or None
            Where the value at place ``k`` (from 0) of the column ``name`` of these rows is,
            as a refusal of an infinite one names it (``column 'a' at row 124 (index 251)``);
            None: ``column 'a' at row 124``, counted as :meth:`count_rows_from` says.
            The rows' sample weights (frequency weights, finite and at least 0; a row of weight
            0 is as if absent). Given once, the pass is weighted from then on: later rows
            without weights weigh 1, and there are no running statistics.

        Raises
        ------
        DataError
            If a value is infinite, or a weight negative, infinite or missing (NaN), naming the
            column and the row within the part.
        OptionError
            If there are not as many weights as rows (``sample_weight``).
        """
        if self._closed:
            raise ValueError("the accumulator is finished")
        columns = list(columns)
        n_rows = len(columns[0]) if columns else 0
        if weights is not None:
            weights = self._checked_weights(weights, n_rows)
            if not self.weighted:
                self._become_weighted()
        elif self.weighted:
            weights = np.ones(n_rows)
        if not self._shift_known.all():
            # Shift each column by its first value, once and for all (rows waiting in a partial
            # batch are taken relative to it later); see normkit.core.moments. A row of
            # weight 0 is as if absent: its value, perhaps far from the others, is no shift.
            positive = None if weights is None or weights.all() else weights > 0
            values = first_values(columns if positive is None else [x[positive] for x in columns])
            found = ~np.isnan(values) & ~self._shift_known
            self.moments = replace(self.moments, shift=np.where(found, values, self.moments.shift))
            self._shift_known = self._shift_known | found
        shift = self.moments.shift
        if weights is not None:
            batch = weighted_batch_moments(columns, weights, shift)
        elif self._batches is None:
            batch = batch_moments(columns, shift)
        else:
            # The chunk's moments, the same as without running statistics (so the exact
            # statistics do not depend on them, bit for bit), and in the same native pass the
            # statistics of its whole logical batches, relative to the shift (the batch that
            # completes rows waiting from earlier chunks is reduced apart, by feed).
            start, n_full = self._batches.placed(n_rows)
            batch, found = moments_and_batches(
                columns, shift, start, n_full, self._batches.batch_size
            )
            steps = self._batches.feed(columns, bool(batch.n_missing.any()), shift, found)
            if steps is not None:
                self._observe(steps)
        self._check_finite(batch, columns, weights, locate)
        before = self.moments.weight
        self.moments = merge_moments(self.moments, batch)
        if self.weighted and (j := overflowing_weight(self.moments)) is not None:
            label = f"weight column {self.weight_name!r}" if self.weight_name else "sample_weight"
            # The row where the column's sum of weights, added up row after row, overflows.
            held = np.where(np.isnan(columns[j]), 0.0, weights)
            with np.errstate(over="ignore"):
                over = ~np.isfinite(np.cumsum(np.append(before[j], held))[1:])
            k = int(np.argmax(over)) if over.any() else n_rows - 1  # else the batch's last
            raise DataError(
                f"{label} at {self._row_word} {self._rows_counted + k + 1:,}: {SUMS_OVERFLOW} "
                f"there (the weight is {float(weights[k])!r})",
                hints=(DIVIDE_WEIGHTS,),
            )
        if self.sample is not None and columns:
            keys = row_keys(self._part_index, self.rows_in_part, n_rows)
            self.sample.offer(columns, keys, weights, batch.n_missing)
        self.n_rows += n_rows

    def _checked_weights(self, weights: np.ndarray, n_rows: int) -> np.ndarray:
        """The weights as float64, refusing a negative, infinite or missing one with its row."""
        try:
            weights = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError):
            raise OptionError("sample_weight must be numbers", param="sample_weight") from None
        if weights.shape != (n_rows,):
            raise OptionError(
                f"sample_weight: {weights.size:,} weights for {n_rows:,} rows",
                param="sample_weight",
            )
        # NaN fails >= 0; a subnormal weight (below 2.2e-308) has lost digits already.
        tiny = (weights > 0) & (weights < np.finfo(np.float64).tiny)
        bad = ~(weights >= 0) | np.isinf(weights) | tiny
        if bad.any():
            k = int(np.argmax(bad))
            value = float(weights[k])
            label = f"weight column {self.weight_name!r}" if self.weight_name else "sample_weight"
            if np.isnan(value):
                problem = "is missing (null or NaN)"
            elif tiny[k]:
                problem = f"is {value!r}, too small for float64 to keep its digits (subnormal)"
            else:
                problem = f"is {value!r} ({'infinite' if np.isinf(value) else 'negative'})"
            raise DataError(
                f"{label} at {self._row_word} {self._rows_counted + k + 1:,}: the weight {problem}; "
                f"{WEIGHTS_RULE}",
                hints=("fix the data",),
            )
        return weights

    def _become_weighted(self) -> None:
        """Rows with weights from now on: the rows before weigh 1 (their moments get ``weight
        = count`` and ``missing_weight = n_missing``), and running statistics stop (BatchNorm's
        have no sample weights)."""
        self._batches = self._segment = self.state = None
        moments = self.moments
        self.moments = replace(
            moments,
            weight=moments.total_weight,
            missing_weight=moments.total_missing_weight,
            zero_weight_count=moments.weightless_values,
        )
        self.weighted, self.options = True, None

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

    def _check_finite(
        self,
        batch: Moments,
        columns: list[np.ndarray],
        weights: np.ndarray | None,
        locate: Callable[[int, str], str] | None,
    ) -> None:
        # Infinite values show in min/max at no extra cost; only then look for the row. Rows of
        # weight 0 are left out of min/max, but their values are refused alike.
        infinite = np.isinf(batch.min) | np.isinf(batch.max)
        if weights is not None and not weights.all():
            zero = weights == 0
            infinite |= np.array([bool(np.isinf(x[zero]).any()) for x in columns], dtype=bool)
        bad = np.flatnonzero(infinite)
        if bad.size:
            i = int(bad[0])
            k = int(np.flatnonzero(np.isinf(columns[i]))[0])
            name = self.names[i]
            where = (
                locate(k, name)
                if locate is not None
                else f"column {name!r} at {self._row_word} {self._rows_counted + k + 1:,}"
            )
            raise infinite_error(
                where,
                float(columns[i][k]),
                hints=infinity_hints(self.in_memory),
            )

    def _final_step(self):
        """The rows waiting, as a final partial batch of a whole stream, if it is used."""
        batches = self._batches
        if (
            self.state is None or batches.waiting_rows < 2 or self.options.drop_last  # type: ignore[union-attr]
        ):
            return None
        return batches.waiting_steps(self.shift)

    def result(self) -> Accumulated:
        """The statistics as if the stream ended here, leaving the pass open for more rows: the
        running state includes the rows waiting as a final partial batch (where it is used) and
        keeps them as its :attr:`~normkit.core.running.RunningState.pending` batch, for a pass
        continuing these statistics to complete."""
        batches = self._batches
        if self._closed or batches is None or self._segment is not None or self.state is None:
            return self._collect(self.moments, self.state, None)
        state = self.state
        if not batches.waiting_rows:
            return self._collect(self.moments, state, None)
        steps = batches.waiting_steps(self.shift)
        pending = PendingBatch(
            batches.waiting_rows,
            steps.count[0],
            steps.mean[0],
            steps.m2[0],
            state.running_mean,
            state.running_var,
        )
        if state.used(pending):
            state, _ = state.advance(steps)
        return self._collect(self.moments, replace(state, pending=pending), None)

    def finish(self) -> Accumulated:
        """End of the rows: the final partial batch is used (if it has at least 2 rows and
        ``drop_last`` is off), or, for a part, kept as the segment's tail."""
        if self._closed:
            return self._collect(self.moments, self.state, self._finished_segment)
        self._closed = True
        segment = None
        if self._batches is not None:
            batches = self._batches
            if self._segment is not None:
                from .segments import EmaSegment

                pending = batches.pending_moments(self.shift)
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
            batches.clear()
        self._finished_segment = segment
        return self._collect(self.moments, self.state, segment)

    def _collect(
        self, moments: Moments, state: RunningState | None, segment: EmaSegment | None
    ) -> Accumulated:
        return Accumulated(moments, self.n_rows, state, segment, self.sample)


def _pending_moments(pending: PendingBatch) -> Moments:
    """The moments of a pending batch's rows, for the rows after them to complete the batch
    (shifted by their mean, so that it is exact)."""
    known = pending.count > 0
    nan = np.full(len(pending.count), np.nan)
    return Moments(
        pending.count,
        np.zeros(len(pending.count), dtype=np.int64),
        np.where(known, pending.mean, 0.0),
        np.where(known, 0.0, np.nan),
        pending.m2,
        nan,
        nan.copy(),
    )
