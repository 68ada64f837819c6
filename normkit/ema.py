"""BatchNorm running statistics: exponential moving averages of per-batch mean and variance.

Over consecutive logical batches of ``batch_size`` rows, BatchNorm keeps, per column,

    running_mean <- (1 - w) * running_mean + w * batch_mean
    running_var  <- (1 - w) * running_var  + w * batch_var

PyTorch calls ``w`` the momentum (default 0.1) and uses the unbiased batch variance; Keras calls
``1 - w`` the momentum (default 0.99) and uses the biased one; PyTorch's ``momentum=None`` is the
cumulative average, ``w = 1 / k`` for the k-th batch. Both start from mean 0 and variance 1.

Computation is vectorized: the statistics of every logical batch in an I/O chunk come from one
set of numpy reductions per column over a ``(n_batches, batch_size)`` view, and the recurrence,
a first-order linear one (``r_k = a_k * r_{k-1} + b_k``), is solved for all batches at once by a
parallel prefix scan: pairs ``(a, b)`` compose associatively, ``(a2, b2) o (a1, b1) = (a2 * a1,
a2 * b1 + b2)``, so ``log2(n_batches)`` vector steps give every intermediate state. The same
associativity lets segments of a stream (shards, workers) be combined. Rows of a partial batch
are carried into the next chunk, so the result never depends on the I/O chunking.

Missing values (NaN) are left out of a batch's statistics column by column; a batch with fewer
than two values in a column leaves that column's running statistics unchanged (PyTorch refuses
a batch of one) and is counted as skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import OptionError
from .moments import Moments, batch_moments, merge_moments

__all__ = [
    "CONVENTIONS",
    "EmaOptions",
    "EmaSegment",
    "EmaSteps",
    "RunningStats",
    "SegmentBuilder",
    "batch_statistics",
    "linear_scan",
]


@dataclass(frozen=True)
class Convention:
    """A framework's BatchNorm defaults."""

    momentum: float
    unbiased: bool  # batch variance with N - 1 (PyTorch) or N (Keras)
    eps: float
    weight_is_momentum: bool  # PyTorch: w = momentum; Keras: w = 1 - momentum


CONVENTIONS = {
    "torch": Convention(momentum=0.1, unbiased=True, eps=1e-5, weight_is_momentum=True),
    "keras": Convention(momentum=0.99, unbiased=False, eps=1e-3, weight_is_momentum=False),
}
CUMULATIVE = "cumulative"


@dataclass(frozen=True)
class EmaOptions:
    """How running statistics are computed.

    Parameters
    ----------
    convention : {"torch", "keras"}, default "torch"
        PyTorch (momentum 0.1 weighs the new batch, unbiased batch variance, eps 1e-5) or Keras
        (momentum 0.99 weighs the old state, biased batch variance, eps 1e-3).
    momentum : float, "cumulative" or None, default None
        In the convention's own sense; None takes the convention's default. "cumulative" is
        PyTorch's ``momentum=None``: the k-th batch has weight 1/k.
    init : {"standard", "first"}, default "standard"
        Start from mean 0 and variance 1 (both frameworks) or from the first batch's statistics.
    batch_size : int, default 256
        Rows per logical batch (at least 2).
    drop_last : bool, default False
        Drop a final partial batch; otherwise it is used if it has at least 2 rows.
    eps : float or None, default None
        Added to the running variance when normalizing; None takes the convention's.
    """

    convention: str = "torch"
    momentum: float | str | None = None
    init: str = "standard"
    batch_size: int = 256
    drop_last: bool = False
    eps: float | None = None

    def __post_init__(self) -> None:
        if self.convention not in CONVENTIONS:
            raise OptionError(f"unknown convention {self.convention!r}; use torch or keras")
        if self.init not in ("standard", "first"):
            raise OptionError(f"unknown EMA init {self.init!r}; use standard or first")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int | np.integer):
            raise OptionError(f"the batch size must be an integer, not {self.batch_size!r}")
        if self.batch_size < 2:
            raise OptionError(f"the batch size must be at least 2, not {self.batch_size}")
        if self.momentum is not None and self.momentum != CUMULATIVE:
            m = self.momentum
            if isinstance(m, bool) or not isinstance(m, int | float) or not 0 < m <= 1:
                raise OptionError(f"momentum must be in (0, 1] or 'cumulative', not {m!r}")
        if self.eps is not None and not (np.isfinite(self.eps) and self.eps >= 0):
            raise OptionError(f"eps must be a finite number >= 0, not {self.eps!r}")

    @property
    def cumulative(self) -> bool:
        return self.momentum == CUMULATIVE

    @property
    def momentum_value(self) -> float | None:
        """The momentum in the convention's sense (None when cumulative)."""
        if self.cumulative:
            return None
        if self.momentum is None:
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
    def unbiased(self) -> bool:
        return CONVENTIONS[self.convention].unbiased

    @property
    def eps_value(self) -> float:
        return CONVENTIONS[self.convention].eps if self.eps is None else float(self.eps)


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


def linear_scan(a: np.ndarray, b: np.ndarray, r0: np.ndarray) -> np.ndarray:
    """Every state of ``r_k = a_k * r_{k-1} + b_k`` (k = 1..n), by a parallel prefix scan.

    Parameters
    ----------
    a, b : ndarray, shape (n, n_columns)
    r0 : ndarray, shape (n_columns,)
        The state before the first step.

    Returns
    -------
    ndarray, shape (n, n_columns)
        ``r_1 .. r_n``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.full((3, 1), 0.5); b = np.array([[1.0], [2.0], [3.0]])
    >>> linear_scan(a, b, np.array([0.0])).ravel().tolist()
    [1.0, 2.5, 4.25]
    """
    a = np.array(a, dtype=np.float64, copy=True)
    b = np.array(b, dtype=np.float64, copy=True)
    shift = 1
    # Hillis-Steele: after the step with shift s, (a_k, b_k) composes steps k-2s+1 .. k.
    while shift < len(a):
        b[shift:] = a[shift:] * b[:-shift] + b[shift:]
        a[shift:] = a[shift:] * a[:-shift]
        shift *= 2
    return a * r0 + b


def _no_moments(n_columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(n_columns, dtype=np.int64), np.full(n_columns, np.nan), np.zeros(n_columns)


def _merge_batches(
    count: np.ndarray, mean: np.ndarray, m2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and M2 of the union of batches (arrays of shape (n_batches, n_columns)):
    Chan et al.'s pairwise formula applied to all batches at once,
    ``M2 = sum(M2_b) + sum(n_b * (mean_b - mean)**2)``."""
    n = count.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        weighted = np.where(count > 0, count * mean, 0.0)
        total_mean = weighted.sum(axis=0) / n
        spread = np.where(count > 0, count * (mean - total_mean) ** 2, 0.0)
        total_m2 = np.where(count > 0, m2, 0.0).sum(axis=0) + spread.sum(axis=0)
    return n, np.where(n > 0, total_mean, np.nan), total_m2


class RunningStats:
    """The running (EMA) statistics of a stream, fed with chunks of rows of any size.

    Parameters
    ----------
    options : EmaOptions
    n_columns : int

    Attributes
    ----------
    running_mean, running_var : ndarray of float64, shape (n_columns,)
    n_batches : int
        Logical batches completed (a final partial batch included when used).
    n_updates : ndarray of int64, shape (n_columns,)
        Batches that updated each column.
    n_skipped : ndarray of int64, shape (n_columns,)
        Batches with fewer than 2 values in a column, which left it unchanged.
    """

    def __init__(self, options: EmaOptions, n_columns: int):
        self.options = options
        self.running_mean = np.zeros(n_columns)
        self.running_var = np.ones(n_columns)
        self.n_batches = 0
        self.n_updates = np.zeros(n_columns, dtype=np.int64)
        self.n_skipped = np.zeros(n_columns, dtype=np.int64)
        self._pending = np.empty((n_columns, 0))
        self._buffer = np.empty(0)

    @property
    def n_columns(self) -> int:
        return len(self.running_mean)

    @property
    def pending_rows(self) -> int:
        """Rows waiting for their batch to fill."""
        return self._pending.shape[1]

    def update(
        self,
        columns: Sequence[np.ndarray] | np.ndarray,
        has_missing: bool | None = None,
        shift: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feed rows: one float64 array per column (or a 2-d array, rows by columns). Complete
        batches update the state; the rest waits for the next call.

        Parameters
        ----------
        columns : sequence of ndarray, or ndarray of shape (n_rows, n_columns)
        has_missing : bool or None
            ``False`` promises there is no NaN (the caller knows it), saving a pass.
        shift : ndarray of shape (n_columns,), optional
            Batch statistics are computed on ``x - shift`` (see :mod:`normkit.moments`): exact
            for data far from zero, and the same pass then also yields exact moments.

        Returns
        -------
        count, mean_offset, m2 : ndarray, shape (n_columns,)
            Moments, relative to ``shift``, of the rows of the batches completed by this call
            (Chan et al.'s merge of their batch statistics), for :mod:`normkit.moments`.
        """
        if isinstance(columns, np.ndarray) and columns.ndim == 2:
            columns = list(columns.T)
        shift = np.zeros(self.n_columns) if shift is None else shift
        size = self.options.batch_size
        n_new = len(columns[0]) if len(columns) else 0
        waiting = self.pending_rows
        if waiting + n_new < size:
            self._pending = np.hstack([self._pending, np.vstack(columns)])
            return _no_moments(self.n_columns)
        # The batch that completes the waiting rows is assembled apart (one batch); the whole
        # batches after it are copied, shifted, into a buffer kept between calls, so that one
        # set of in-place reductions covers every column with no fresh allocation (a large new
        # array costs page faults on every chunk).
        start = (size - waiting) % size
        n_full = (n_new - start) // size
        stop = start + n_full * size
        stats = []
        # Overflow (values near the float64 limit) shows as non-finite moments, reported later.
        with np.errstate(over="ignore", invalid="ignore"):
            if waiting:
                head = np.hstack([self._pending, np.vstack([c[:start] for c in columns])])
                stats.append(self._statistics((head - shift[:, None])[:, None, :], None))
            if n_full:
                n_values = len(columns) * (stop - start)
                if self._buffer.size < n_values:
                    self._buffer = np.empty(n_values)
                body = self._buffer[:n_values].reshape(len(columns), -1)
                for j, column in enumerate(columns):
                    np.subtract(column[start:stop], shift[j], out=body[j])
                body = body.reshape(len(columns), n_full, size)
                stats.append(self._statistics(body, has_missing, overwrite=True))
        count, mean, m2 = (np.concatenate(parts) for parts in zip(*stats, strict=True))
        self._advance(count, mean, m2, shift)
        self._pending = np.vstack([c[stop:] for c in columns])
        return _merge_batches(count, mean, m2)

    def pending_moments(self, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Moments, relative to ``shift``, of the rows waiting for their batch."""
        if not self.pending_rows:
            return _no_moments(self.n_columns)
        with np.errstate(over="ignore", invalid="ignore"):
            pending = self._pending - shift[:, None]
        count, mean, m2 = self._statistics(pending[:, None, :], None)
        return _merge_batches(count, mean, m2)

    def finish(self, shift: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """End of the stream: a final partial batch updates the state if it has at least 2 rows
        and ``drop_last`` is off. Returns the moments of the rows that were waiting (all of
        them count in exact statistics, whatever happens to the batch)."""
        shift = np.zeros(self.n_columns) if shift is None else shift
        moments = self.pending_moments(shift)
        if self.pending_rows >= 2 and not self.options.drop_last:
            # Relative to the shift, as whole batches are: squared deviations of values near
            # the float64 limit would overflow where those of x - shift do not.
            with np.errstate(over="ignore", invalid="ignore"):
                pending = self._pending - shift[:, None]
            self._advance(*self._statistics(pending[:, None, :], None), shift)
        self._pending = np.empty((self.n_columns, 0))
        return moments

    @staticmethod
    def _statistics(
        batches: np.ndarray | Sequence[np.ndarray],
        has_missing: bool | None,
        *,
        overwrite: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Count, mean and M2, shape ``(n_batches, n_columns)``, of batches given per column:
        an array of shape ``(n_columns, n_batches, batch_rows)`` or a list of 2-d arrays."""
        if not isinstance(batches, np.ndarray):
            batches = np.stack(batches)
        return tuple(part.T for part in batch_statistics(batches, has_missing, overwrite=overwrite))

    def step(
        self, batches: Sequence[np.ndarray], has_missing: bool | None = None, *, path: bool = False
    ) -> tuple[np.ndarray, ...]:
        """Update the state with whole batches: per column, an array of shape
        ``(n_batches, batch_rows)``.

        Returns
        -------
        batch_mean, batch_var : ndarray, shape (n_batches, n_columns)
            Each batch's own mean and biased variance (BatchNorm's training-mode normalization).
        mean_before, var_before : ndarray, shape (n_batches, n_columns), only if ``path``
            The running statistics as they stood before each batch (adaptive normalization).
        """
        return self._advance(*self._statistics(batches, has_missing), path=path)

    def _advance(
        self,
        count: np.ndarray,
        mean: np.ndarray,
        m2: np.ndarray,
        shift: np.ndarray | None = None,
        *,
        path: bool = False,
    ) -> tuple[np.ndarray, ...]:
        """Run the recurrence over batches with these statistics, shape (n_batches, n_columns);
        ``mean`` relative to ``shift``."""
        if shift is not None:
            mean = mean + shift
        used = count >= 2
        with np.errstate(invalid="ignore", divide="ignore"):
            var = m2 / (count - 1 if self.options.unbiased else count)
            biased_var = np.where(count > 0, m2 / count, np.nan)
        # Batches counted per column, this one included, for 1/k weights and "first" init.
        k = self.n_updates + np.cumsum(used, axis=0)
        if self.options.cumulative:
            with np.errstate(divide="ignore"):
                weight = np.where(used, 1.0 / np.maximum(k, 1), 0.0)
        else:
            weight = np.where(used, self.options.weight, 0.0)
            if self.options.init == "first":
                weight = np.where(used & (k == 1), 1.0, weight)
        # One scan for both statistics: columns [mean..., var...] share the weights.
        a = 1.0 - weight
        b = np.where(np.hstack([used, used]), np.hstack([weight * mean, weight * var]), 0.0)
        state = np.hstack([self.running_mean, self.running_var])
        new_mean, new_var = np.hsplit(linear_scan(np.hstack([a, a]), b, state), 2)
        result: tuple[np.ndarray, ...] = (mean, biased_var)
        if path:
            mean_before = np.vstack([self.running_mean[None, :], new_mean[:-1]])
            var_before = np.vstack([self.running_var[None, :], new_var[:-1]])
            result += (mean_before, var_before)
        self.running_mean = new_mean[-1].copy()
        self.running_var = new_var[-1].copy()
        self.n_batches += len(count)
        self.n_updates = self.n_updates + used.sum(axis=0)
        self.n_skipped = self.n_skipped + (~used).sum(axis=0)
        return result


# -- segments: running statistics computed in parts and combined ----------------------------


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
        used2 = np.hstack([used, used])  # means first, then variances
        stats = np.where(used2, np.hstack([mean, var]), 0.0)
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

    def apply(self, stats: RunningStats) -> None:
        """Advance ``stats`` (which must have no rows waiting) over these steps, in place."""
        if stats.pending_rows:
            raise ValueError("the running statistics have rows waiting for their batch")
        state = np.hstack([stats.running_mean, stats.running_var])
        k0 = np.tile(stats.n_updates, 2)
        if stats.options.cumulative:
            k = k0 + np.tile(self.n_updates, 2)
            with np.errstate(invalid="ignore", divide="ignore"):
                new = np.where(k > k0, (k0 * state + self.total) / np.maximum(k, 1), state)
        else:
            new = np.where(k0 > 0, self.a * state + self.b, self.a_first * state + self.b_first)
        stats.running_mean, stats.running_var = (part.copy() for part in np.hsplit(new, 2))
        stats.n_batches += self.n_batches
        stats.n_updates = stats.n_updates + self.n_updates
        stats.n_skipped = stats.n_skipped + self.n_skipped


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

    def finish(self, stats: RunningStats) -> None:
        """Apply a segment that covers a whole stream (from row 0) to fresh running statistics,
        the final partial batch as :meth:`RunningStats.finish` uses it."""
        if not self.closed or self.head_rows:
            raise ValueError("the segment does not start the stream")
        self.steps.apply(stats)
        if self.tail_rows >= 2 and not stats.options.drop_last:
            last = self.tail
            EmaSteps.of_batches(
                stats.options, last.count[None, :], last.mean[None, :], last.m2[None, :]
            ).apply(stats)


class SegmentBuilder(RunningStats):
    """Builds the :class:`EmaSegment` of a part of a stream, fed chunk by chunk.

    A :class:`RunningStats` whose batches start at the part's first batch boundary and are
    recorded as :class:`EmaSteps` instead of being applied to a state; the rows before that
    boundary and those left after the last one are kept as moments. It can stand in for the
    running statistics of a :class:`~normkit.standardizer.Standardizer` (``ema_``), which then
    fits the part's exact moments in the same pass, as it does for a whole stream.

    Parameters
    ----------
    options : EmaOptions
    n_columns : int
    first_row : int
        Index, in the whole stream, of the part's first row (only its remainder modulo the batch
        size matters).

    Attributes
    ----------
    segment : EmaSegment or None
        Set by :meth:`finish`.
    """

    def __init__(self, options: EmaOptions, n_columns: int, first_row: int):
        super().__init__(options, n_columns)
        self.steps = EmaSteps.identity(n_columns)
        self.segment: EmaSegment | None = None
        self._head_wanted = -first_row % options.batch_size
        self._head_rows = 0
        self._head = Moments.empty(n_columns)

    def update(
        self,
        columns: Sequence[np.ndarray] | np.ndarray,
        has_missing: bool | None = None,
        shift: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As :meth:`RunningStats.update`; rows before the part's first batch boundary count in
        the returned moments as soon as they are fed."""
        if isinstance(columns, np.ndarray) and columns.ndim == 2:
            columns = list(columns.T)
        shift = np.zeros(self.n_columns) if shift is None else shift
        n_rows = len(columns[0]) if len(columns) else 0
        take = min(self._head_wanted - self._head_rows, n_rows)
        if take <= 0:
            return super().update(columns, has_missing, shift)
        piece = batch_moments([c[:take] for c in columns], shift)
        self._head = merge_moments(self._head, piece)
        self._head_rows += take
        batches = Moments.empty(self.n_columns)
        if n_rows > take:
            count, mean_offset, m2 = super().update([c[take:] for c in columns], has_missing, shift)
            batches = _relative(count, mean_offset, m2, shift)
        fed = merge_moments(piece, batches).rebased(shift)
        return fed.count, fed.mean_offset, fed.m2

    def finish(self, shift: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """End of the part: sets :attr:`segment`; returns the moments of the rows left after the
        last batch boundary (they are not used as a batch: the next part completes it)."""
        shift = np.zeros(self.n_columns) if shift is None else shift
        count, mean_offset, m2 = self.pending_moments(shift)
        self.segment = EmaSegment(
            self._head_rows == self._head_wanted,
            self._head_rows,
            self._head,
            self.steps,
            self.pending_rows,
            _relative(count, mean_offset, m2, shift),
        )
        self._pending = np.empty((self.n_columns, 0))
        return count, mean_offset, m2

    def _advance(self, count, mean, m2, shift=None, *, path=False):
        if path:
            raise NotImplementedError("a part's segment has no state to report")
        if shift is not None:
            mean = mean + shift
        self.steps = self.steps.then(EmaSteps.of_batches(self.options, count, mean, m2))
        self.n_batches += len(count)
        return ()


def _relative(
    count: np.ndarray, mean_offset: np.ndarray, m2: np.ndarray, shift: np.ndarray
) -> Moments:
    """Moments from a count, mean and M2 relative to ``shift`` (no missing count or extremes)."""
    nan = np.full(len(count), np.nan)
    missing = np.zeros(len(count), dtype=np.int64)
    return Moments(count, missing, np.asarray(shift, dtype=np.float64), mean_offset, m2, nan, nan)
