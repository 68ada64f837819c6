"""BatchNorm's learning modes applied to a stream of record batches (:class:`StreamNormalizer`):
``batch`` (train mode) and ``adaptive`` (online normalization). The frozen mode is
:mod:`.apply`'s."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from .. import params
from ..core import kernels
from ..core.running import BatchSteps, RunningState
from ..errors import DataError, OptionError, param
from ..io.arrow import rechunk, to_float64
from ..stats.fitted import RUNNING_EPS_HINT, StatsOptions
from .apply import map_columns

__all__ = ["STREAM_CHUNK_ROWS", "StreamNormalizer"]

#: Rows per chunk of a batch/adaptive stream (rounded to whole logical batches).
STREAM_CHUNK_ROWS = 65_536


class StreamNormalizer:
    """Normalizes a stream of record batches as BatchNorm does while it learns.

    The stream is cut into logical batches of the running statistics' ``batch_size`` rows.
    ``mode="batch"`` (BatchNorm's train mode): each batch is normalized with its own mean and
    biased variance plus eps, and the running statistics are updated. ``mode="adaptive"``
    (online normalization): each batch is normalized with the running statistics as they stood
    before it, then they are updated with it. :attr:`state` follows the stream. Without
    ``with_mean`` no mode centers, and without ``with_std`` none divides, as the frozen
    transform of the same statistics (the running statistics are updated all the same).

    Parameters
    ----------
    names : sequence of str
        The fitted columns.
    state : RunningState
        The running statistics before the stream.
    mode : {"batch", "adaptive"}
    gamma, beta : ndarray, shape (n_columns,)
    locate : callable (row, name) -> str, or None
        Where a row of the stream (counted from 0) is, for messages; by default ``column 'a'
        at row 5``.
    options : StatsOptions
        The statistics' options: whether to subtract the batch's (or the running) mean
        (``with_mean``), and to divide by the square root of its variance plus eps
        (``with_std``).

    Raises
    ------
    DataError
        Where a value would be divided by a scale of 0 (a batch without spread, or running
        variance 0, with eps 0): BatchNorm would write NaN.
    """

    def __init__(
        self,
        names: Sequence[str],
        state: RunningState,
        mode: str,
        gamma: np.ndarray,
        beta: np.ndarray,
        locate: Callable[[int, str], str] | None = None,
        *,
        options: StatsOptions,
    ):
        params.check("mode", mode)
        if mode == "frozen":
            raise OptionError(
                "a frozen transform learns nothing: transform the stream with transform()",
                param="mode",
            )
        self.names = list(names)
        self.state = state
        self.mode = mode
        self.gamma = gamma
        self.beta = beta
        self.with_mean, self.with_std = options.with_mean, options.with_std
        self.locate = locate or (lambda row, name: f"column {name!r} at row {row + 1:,}")
        #: Why the running statistics learned are infinite, if they are (adaptive mode: an
        #: overflowing last batch, whose rows came out right, :meth:`_refuse_overflow`).
        self.overflow: DataError | None = None

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """The same rows in the same order (a batch may be cut differently)."""
        size = self.state.options.batch_size
        eps = self.state.options.eps_value
        g, b = self.gamma, self.beta
        aligned = rechunk(iter(batches), size * max(1, STREAM_CHUNK_ROWS // size))
        done = 0
        for batch, last in _flag_last(aligned):
            columns = [to_float64(batch.column(n)) for n in self.names]
            center, var = self._normalizers(columns, last, done)
            # Off, subtracting 0.0 and dividing by 1.0 are exact no-ops, as in the frozen mode.
            center = center if self.with_mean else np.zeros_like(center)
            scale = np.sqrt(var + eps) if self.with_std else np.ones_like(var)
            self._refuse_zero_scale(columns, scale, done)
            done += batch.num_rows
            yield map_columns(
                batch,
                self.names,
                lambda j, x, c=center, s=scale: kernels.standardize(
                    x, c[:, j], s[:, j], g[j], b[j]
                ),
            )

    def _made_of_one_value(self, centered: str) -> str | None:
        """What a batch's own statistics make of a value alone in its column in batch mode, its
        variance being 0: ``centered`` where the mode centers, else a division by the square root
        of eps alone; None where the mode reads no statistic of the batch (adaptive mode, or
        neither centering nor dividing)."""
        if self.mode != "batch" or not (self.with_mean or self.with_std):
            return None
        if self.with_mean:
            return centered
        eps = self.state.options.eps_value
        return f"divided by the square root of eps ({eps:g}) alone, its variance being 0"

    def _refuse_one_row_batch(self, row: int, size: int) -> None:
        """A last batch of one row in batch mode: its own statistics would make it 0 in every
        column (or divide it by the square root of eps alone, uncentered), and BatchNorm in
        training refuses it (more than one value per channel expected)."""
        what = self._made_of_one_value("0 in every column")
        if what is None:
            return
        raise DataError(
            f"{self.locate(row, self.names[0])}: the last batch holds this row alone (batches of "
            f"{size:,} rows); normalized by its own statistics it would be {what}, "
            "and BatchNorm refuses a batch of one row in training",
            hints=(
                f"choose a batch size that leaves more than one row in the last batch "
                f"({param('batch_size')})",
                f"normalize with the running statistics ({param('mode', 'adaptive')})",
            ),
        )

    def _refuse_lone_value(
        self, steps: BatchSteps, columns: list[np.ndarray], start: int, rows: int, done: int
    ) -> None:
        """In batch mode, a value alone in its column in its batch (the others missing): its
        batch's own statistics would normalize it to beta, whatever it is (or divide it by the
        square root of eps alone, uncentered), and BatchNorm in training refuses a channel of one
        value. ``steps``: the batches of ``rows`` rows from row ``start`` of ``columns`` (the
        stream's rows from ``done``)."""
        what = self._made_of_one_value("beta whatever its value")
        if what is None or not (steps.count == 1).any():
            return
        i, j = (int(k) for k in np.argwhere(steps.count == 1)[0])
        first = start + i * rows
        k = first + int(np.flatnonzero(~np.isnan(columns[j][first : first + rows]))[0])
        raise DataError(
            f"{self.locate(done + k, self.names[j])}: the only value of the column in its batch "
            f"(the other {rows - 1:,} rows are missing); normalized by its batch's own statistics "
            f"it would be {what}, and BatchNorm refuses a channel of one value in training",
            hints=(
                f"choose a larger batch size ({param('batch_size')})",
                f"normalize with the running statistics ({param('mode', 'adaptive')})",
            ),
        )

    def _refuse_overflow(
        self,
        steps: BatchSteps,
        columns: list[np.ndarray],
        start: int,
        rows: int,
        done: int,
        *,
        learned: bool,
        later: bool,
    ) -> None:
        """A batch whose mean or variance overflows float64 by its largest value (the input's
        infinities were refused before): refused at that value, as a fit refuses such a column,
        where that makes rows come out 0. In batch mode, its own rows; in adaptive mode, the
        rows after it, if it updates the running statistics (``learned``) and rows follow it
        (the batches after it here, or ``later`` ones). Where none follow, it is kept in
        :attr:`overflow`: the running statistics learned are infinite. Other arguments as
        :meth:`_refuse_lone_value`'s."""
        if self.mode == "adaptive" and not learned:
            return
        # (The variance m2 / count is finite where m2 is: count is at least 1.)
        bad = (steps.count > 0) & ~(np.isfinite(steps.mean) & np.isfinite(steps.m2))
        if not bad.any():
            return
        i, j = (int(k) for k in np.argwhere(bad)[0])
        first = start + i * rows
        batch = columns[j][first : first + rows]
        k = first + int(np.nanargmax(np.abs(batch)))
        rows_after = later or i < len(steps.count) - 1
        what = {"batch": "the batch would", "adaptive": "the rows after it would"}[self.mode]
        if self.mode == "adaptive" and not rows_after:
            what = "the running variance learned would be infinite, and rows after it"
        consequence = f"{what} come out 0"
        if not self.with_std:  # nothing divides by it: what it spoils is the running variance
            consequence = "the running variance learned would be infinite"
        error = DataError(
            f"{self.locate(done + k, self.names[j])}: {columns[j][k]:.6g} makes its batch's "
            f"variance overflow float64, so {consequence}",
            hints=(
                "rescale the column",
                f"normalize with the fitted statistics ({param('mode', 'frozen')})",
            ),
        )
        if self.mode == "batch" or rows_after:
            raise error
        self.overflow = error

    def _refuse_zero_scale(self, columns: list[np.ndarray], scale: np.ndarray, done: int) -> None:
        for j, x in enumerate(columns):
            zero = (scale[:, j] == 0) & ~np.isnan(x)
            if zero.any():
                k = int(np.argmax(zero))
                what = (
                    "its batch has no spread"
                    if self.mode == "batch"
                    else "the running variance is 0"
                )
                raise DataError(
                    f"{self.locate(done + k, self.names[j])}: {what} and the eps of the running "
                    "statistics is 0, so the value would be divided by 0 (BatchNorm writes NaN)",
                    hints=(RUNNING_EPS_HINT,),
                )

    def _normalizers(
        self, columns: list[np.ndarray], last: bool, done: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row-wise mean and variance (shape ``(n_rows, n_columns)``) to normalize the rows of
        ``columns`` (the stream's rows from ``done``) with, advancing the state."""
        options = self.state.options
        size = options.batch_size
        n_rows = len(columns[0])
        n_full = n_rows // size
        rows_per_batch, centers, spreads = [], [], []
        if n_full:
            cut = n_full * size
            steps = BatchSteps.of([c[:cut].reshape(n_full, size) for c in columns])
            self._refuse_lone_value(steps, columns, 0, size, done)
            later = bool(n_rows - n_full * size) or not last
            self._refuse_overflow(steps, columns, 0, size, done, learned=True, later=later)
            self.state, path = self.state.advance(steps)
            rows_per_batch.append(size)
            centers.append(steps.mean if self.mode == "batch" else path.mean_before)
            spreads.append(steps.biased_var if self.mode == "batch" else path.var_before)
        tail = n_rows - n_full * size
        if tail:
            if not last:
                raise AssertionError("only the last chunk of an aligned stream has a partial batch")
            if tail == 1:
                self._refuse_one_row_batch(done + n_rows - 1, size)
            steps = BatchSteps.of([c[n_rows - tail :][None, :] for c in columns])
            self._refuse_lone_value(steps, columns, n_rows - tail, tail, done)
            learned = tail >= 2 and not options.drop_last
            self._refuse_overflow(
                steps, columns, n_rows - tail, tail, done, learned=learned, later=False
            )
            before_mean, before_var = (
                self.state.running_mean[None, :],
                self.state.running_var[None, :],
            )
            if tail >= 2 and not options.drop_last:
                self.state, path = self.state.advance(steps)
                before_mean, before_var = path.mean_before, path.var_before
            # else too short to update the running statistics: normalize without learning
            rows_per_batch.append(tail)
            centers.append(steps.mean if self.mode == "batch" else before_mean)
            spreads.append(steps.biased_var if self.mode == "batch" else before_var)
        center = np.vstack(
            [np.repeat(c, k, axis=0) for c, k in zip(centers, rows_per_batch, strict=True)]
        )
        spread = np.vstack(
            [np.repeat(v, k, axis=0) for v, k in zip(spreads, rows_per_batch, strict=True)]
        )
        return center, spread


def _flag_last(items: Iterator[Any]) -> Iterator[tuple[Any, bool]]:
    """``(item, is_last)`` pairs, looking one item ahead."""
    previous = sentinel = object()
    for item in items:
        if previous is not sentinel:
            yield previous, False
        previous = item
    if previous is not sentinel:
        yield previous, True
