"""The fitted statistics: one immutable value, whatever made it (a fit, a stat file, a merge).

A :class:`FittedStats` holds, per normalized column, the exact moments of the data it was fitted
on, the derived variance and scale (computed once, when it is built), BatchNorm's affine
parameters, the running (EMA) statistics if any, the distribution sketch if any, and provenance.
Everything that reads statistics (the estimator, transforms, drift, report, the stat file) reads
this value; nothing sets its parts one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .. import params
from ..core.accumulator import Accumulated
from ..core.categories import CategoryCounts
from ..core.kernels import scale_from_var
from ..core.moments import Moments, merge_moments
from ..core.running import RunningState
from ..core.sketch import Sketch
from ..core.values import by_value
from ..errors import DataError, OptionError, SchemaError, StatsFileError, listed, param
from ..io.arrow import common_type
from ..io.options import ReadSettings
from .empty import reordered, with_empty_columns
from .options import StatsOptions
from .passthrough import PassedThrough
from .shift import MAX_BETA_OVER_GAMMA, check_shift, per_column
from .union import union_categories, union_passthrough, union_read, union_sketch

__all__ = [
    "MAX_BETA_OVER_GAMMA",
    "RUNNING_EPS_HINT",
    "Affine",
    "FittedStats",
    "PassedThrough",
    "StatsOptions",
    "is_order_of",
    "per_column",
]


class Affine:
    """A frozen transform per column: ``y = gamma * (x - center) / scale + beta``.

    Attributes
    ----------
    center, scale, gamma, beta : ndarray of float64, shape (n_columns,)
    """

    __slots__ = ("beta", "center", "gamma", "scale")

    def __init__(self, center: np.ndarray, scale: np.ndarray, gamma: np.ndarray, beta: np.ndarray):
        self.center, self.scale, self.gamma, self.beta = center, scale, gamma, beta


#: The way out of a division by a variance of 0 in BatchNorm's modes: the running statistics'
#: eps, which BatchNorm adds (not the exact statistics' ``eps``); the command line's option and
#: the library's parameter are named both, as a transform has neither.
RUNNING_EPS_HINT = (
    "fit the statistics with an eps of the running statistics above 0 (normkit fit --ema-eps, "
    "not --eps; Standardizer(ema_eps=...) in Python)"
)

#: Why statistics have no running ones, and what to do, by what their provenance holds.
_NO_RUNNING = {
    "merged_from": (  # a merge keeps none (see merge)
        "they were merged from shards (running statistics depend on the order of all the rows)",
        "fit the whole data set in one pass, its files in order",
    ),
    "imported": (  # a BatchNorm layer's running statistics are their mean and variance
        "they were imported from a BatchNorm layer, whose running statistics are their mean and "
        "variance: a frozen transform (without {}) normalizes as its eval mode",
        "to adapt statistics to new data, fit them on data (normkit fit)",
    ),
    "": ("they were fitted without", "fit them again with running statistics"),
}


def is_order_of(inputs: Sequence[str], columns: Sequence[str]) -> bool:
    """Whether ``inputs`` names each of ``columns`` (distinct names) once: an order of them, as
    a fit's input columns are of those it fitted and passed through."""
    return len(inputs) == len(columns) and set(inputs) == set(columns)


def _frozen_array(values: Any, dtype: Any) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@by_value(key=lambda stats: (stats.names, stats.n_rows))  # equal values: equal hashes
@dataclass(frozen=True, eq=False)
class FittedStats:
    """Fitted statistics of some columns; build with :meth:`build`.

    Attributes
    ----------
    names : tuple of str
        The normalized columns, in input order.
    dtypes : tuple of str
        The Arrow type of each column in the input that was fitted.
    moments : Moments
        Exact moments (count, missing count, mean, M2, min, max; with sample weights, weighted,
        and each column's sums of the weights of its values and of its missing values,
        ``moments.weight`` and ``moments.missing_weight``).
    n_rows : int
        Rows seen, missing values included.
    options : StatsOptions
    mean, var, scale : ndarray of float64, shape (n_columns,)
        Derived from the moments and options when built (or, read from a stat file, as written).
    gamma, beta : ndarray of float64, shape (n_columns,)
        BatchNorm's affine parameters.
    running : RunningState or None
        The running (EMA) statistics.
    sketch : Sketch or None
        Each column's quantiles, from a uniform sample (the reference of drift).
    provenance : dict
        Where the statistics came from (sources, rows, bytes, time).
    read : ReadSettings or None
        How the fit read its data (None: not from files), so that later jobs read alike.
    passthrough : tuple of PassedThrough or None
        The input's other columns and why they are not normalized (None: not known).
    categories : mapping of str to CategoryCounts, or None
        The category frequencies of the text and boolean columns passed through, in input order
        (drift's reference for them; None: not counted).
    inputs : tuple of str, or None
        The fit's input columns in their order, fitted and passed through (None: not known;
        see :meth:`input_order`), so that an array of them is read by position.
    unnamed : bool
        The fit's input columns had no names of their own (an array, an unnamed frame's), only
        ``x0, x1, ...``: see :func:`~normkit.stats.positional.named_by_position`.
    default_use : str
        The statistics a frozen transform uses unless told: ``"exact"``, or ``"ema"`` for those
        back from a PyTorch layer that normkit exported with its running statistics and that
        still holds them (``import-torch``): its eval mode normalizes with those.
    """

    names: tuple[str, ...]
    dtypes: tuple[str, ...]
    moments: Moments
    n_rows: int
    options: StatsOptions
    mean: np.ndarray
    var: np.ndarray
    scale: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    running: RunningState | None = None
    sketch: Sketch | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    read: ReadSettings | None = None
    passthrough: tuple[PassedThrough, ...] | None = None
    categories: Mapping[str, CategoryCounts] | None = None
    inputs: tuple[str, ...] | None = None
    unnamed: bool = False
    default_use: str = "exact"

    @classmethod
    def build(
        cls,
        names: Sequence[str],
        dtypes: Sequence[str],
        moments: Moments,
        n_rows: int,
        options: StatsOptions | None = None,
        *,
        gamma: np.ndarray | None = None,
        beta: np.ndarray | None = None,
        running: RunningState | None = None,
        sketch: Sketch | None = None,
        provenance: Mapping[str, Any] | None = None,
        mean: np.ndarray | None = None,
        var: np.ndarray | None = None,
        scale: np.ndarray | None = None,
        read: ReadSettings | None = None,
        passthrough: Sequence[PassedThrough] | None = None,
        categories: Mapping[str, CategoryCounts] | None = None,
        inputs: Sequence[str] | None = None,
        unnamed: bool = False,
        default_use: str = "exact",
    ) -> FittedStats:
        """Statistics from moments: the mean, the variance ``M2 / (count - ddof)`` and the scale
        ``sqrt(var + eps)`` (scikit-learn's constant-column rule when eps is 0) are computed here,
        once, unless given (a stat file's or scikit-learn's own)."""
        options = options or StatsOptions()
        n = len(names)
        if var is None:
            var = moments.var(options.ddof)
        if scale is None:  # with weights, scikit-learn's constant rule counts the weights
            scale = scale_from_var(
                var, moments.var(0), moments.mean, moments.total_weight, options.eps
            )
        return cls(
            tuple(str(name) for name in names),
            tuple(str(t) for t in dtypes),
            moments,
            int(n_rows),
            options,
            _frozen_array(moments.mean if mean is None else mean, np.float64),
            _frozen_array(var, np.float64),
            _frozen_array(scale, np.float64),
            _frozen_array(np.ones(n) if gamma is None else gamma, np.float64),
            _frozen_array(np.zeros(n) if beta is None else beta, np.float64),
            running,
            sketch,
            dict(provenance or {}),
            read,
            None if passthrough is None else tuple(passthrough),
            None if categories is None else dict(categories),
            None if inputs is None else tuple(map(str, inputs)),
            bool(unnamed),
            "ema" if default_use == "ema" and running is not None else "exact",
        )

    @classmethod
    def from_pass(
        cls,
        names: Sequence[str],
        dtypes: Sequence[str],
        result: Accumulated,
        options: StatsOptions,
        gamma: np.ndarray,
        beta: np.ndarray,
        provenance: Mapping[str, Any] | None = None,
        read: ReadSettings | None = None,
        passthrough: Sequence[PassedThrough] | None = None,
        categories: Mapping[str, CategoryCounts] | None = None,
        inputs: Sequence[str] | None = None,
        unnamed: bool = False,
    ) -> FittedStats:
        """Statistics from what one pass collected (:class:`~normkit.core.accumulator.
        Accumulated`): its sample becomes the sketch."""
        sketch = result.sample.sketch() if result.sample is not None else None
        fitted = cls.build(
            names,
            dtypes,
            result.moments,
            result.n_rows,
            options,
            gamma=gamma,
            beta=beta,
            running=result.running,
            sketch=sketch,
            provenance=provenance,
            read=read,
            passthrough=passthrough,
            categories=categories,
            inputs=inputs,
            unnamed=unnamed,
        )
        fitted.affine(gamma, beta)  # refused here, where they are given, not by each transform
        return fitted

    # -- views -----------------------------------------------------------------------------

    @property
    def n_columns(self) -> int:
        return len(self.names)

    @property
    def count(self) -> np.ndarray:
        return self.moments.count

    @property
    def n_missing(self) -> np.ndarray:
        return self.moments.n_missing

    @property
    def weighted(self) -> bool:
        """Whether the statistics were fitted with sample weights."""
        return self.moments.weight is not None

    @property
    def weight(self) -> np.ndarray:
        """Each column's sum of weights (``W``), or its count without weights, as float64."""
        return self.moments.total_weight

    @property
    def missing_weight(self) -> np.ndarray:
        """Each column's weight of missing values (their number without weights), as float64;
        NaN where unknown (a weighted stat file written without it)."""
        return self.moments.total_missing_weight

    @property
    def m2(self) -> np.ndarray:
        return self.moments.m2

    @property
    def m3(self) -> np.ndarray:
        """Sum of cubed deviations from the mean (NaN where unknown)."""
        return self.moments.m3

    @property
    def m4(self) -> np.ndarray:
        """Sum of fourth-power deviations from the mean (NaN where unknown)."""
        return self.moments.m4

    @property
    def min(self) -> np.ndarray:
        return self.moments.min

    @property
    def max(self) -> np.ndarray:
        return self.moments.max

    @property
    def std(self) -> np.ndarray:
        """The standard deviation ``sqrt(var)`` (without eps)."""
        return np.sqrt(self.var)

    def index(self, name: str) -> int:
        return self.names.index(name)

    # -- new values from this one ----------------------------------------------------------

    def with_running(self, running: RunningState | None) -> FittedStats:
        """The same statistics with other running statistics (after a learning transform)."""
        return replace(self, running=running)

    def with_provenance(self, provenance: Mapping[str, Any]) -> FittedStats:
        return replace(self, provenance=dict(provenance))

    def select(self, names: Sequence[str]) -> FittedStats:
        """The statistics of some columns only, in this value's order (a ``SchemaError`` if a
        name is not a fitted column)."""
        wanted = set(names)
        unknown = [n for n in names if n not in self.names]
        if unknown:
            raise SchemaError(f"the statistics have no {listed(unknown)}")
        index = [i for i, n in enumerate(self.names) if n in wanted]
        m = self.moments
        moments = Moments(
            m.count[index],
            m.n_missing[index],
            m.shift[index],
            m.mean_offset[index],
            m.m2[index],
            m.min[index],
            m.max[index],
            m.m3[index],
            m.m4[index],
            None if m.weight is None else m.weight[index],
            None if m.missing_weight is None else m.missing_weight[index],
            None if m.zero_weight_count is None else m.zero_weight_count[index],
        )
        sketch = None
        if self.sketch is not None:
            s = self.sketch
            sketch = Sketch(s.edges[index], s.cdf[index], s.counts[index], s.merged)
        return FittedStats(
            tuple(self.names[i] for i in index),
            tuple(self.dtypes[i] for i in index),
            moments,
            self.n_rows,
            self.options,
            _frozen_array(self.mean[index], np.float64),
            _frozen_array(self.var[index], np.float64),
            _frozen_array(self.scale[index], np.float64),
            _frozen_array(self.gamma[index], np.float64),
            _frozen_array(self.beta[index], np.float64),
            None if self.running is None else self.running.select(index),
            sketch,
            dict(self.provenance),
            self.read,
            self.passthrough,
            self.categories,  # of other columns than the numeric ones: kept whole
            self.inputs,  # of other columns then: no order (see input_order)
            self.unnamed,
        )

    def merge(self, other: FittedStats, names: tuple = ("these", "the other")) -> FittedStats:
        """Statistics of the union of the rows both were fitted on (exact; commutative to a bit).
        ``names``: what to call this and ``other`` in a message (their files).

        Weighted statistics merge with unweighted ones exactly (whose rows weigh 1): those
        weighted by a column with those of data without it, which then weigh 1 as its rows
        without a weight do (:func:`~.union.union_passthrough`). The running statistics depend on the order of
        the rows, so a merge keeps none; the sketches (when both have one) are merged
        approximately (their samples are gone); the category counts (when both have them) of
        the columns both counted are merged, exactly while their categories together are at
        most :data:`~.categories.MAX_CATEGORIES`.

        Raises
        ------
        SchemaError
            If the columns differ (in another order, they are matched by name).
        OptionError
            If the options, gamma, beta or the weight column differ."""
        # A column one fit found no value in and the other fitted: fitted on the other's.
        completed = with_empty_columns(self, other), with_empty_columns(other, self)
        if completed != (None, None):
            mine, theirs = (
                s if c is None else self.build(**c)
                for s, c in zip((self, other), completed, strict=True)
            )
            return mine.merge(theirs, names)
        mine, theirs = list(self.names), list(other.names)
        if set(mine) == set(theirs) and mine != theirs:  # columns are matched by name
            return self.merge(self.build(**reordered(other, mine)), names)
        if mine != theirs:
            only_mine = [n for n in mine if n not in theirs]
            only_theirs = [n for n in theirs if n not in mine]
            name = (only_mine or only_theirs)[0]
            has, lacks = names if only_mine else names[::-1]
            detail = f"column {name!r} is in {has} but not in {lacks}"
            lacking = self if only_theirs and name in only_theirs else other
            why = {p.name: p.why for p in lacking.passthrough or ()}.get(name)
            if why is not None:  # passed through there: another type, or left out
                detail = (
                    f"column {name!r} is normalized in {has} but passed through in {lacks} ({why})"
                )
            raise SchemaError(f"cannot merge statistics of different columns: {detail}")
        for name in ("ddof", "eps", "with_mean", "with_std"):
            mine, theirs = getattr(self.options, name), getattr(other.options, name)
            if mine != theirs:
                raise OptionError(
                    f"cannot merge statistics fitted with different {name} "
                    f"({mine!r} and {theirs!r})",
                    param=name,
                )
        for name in ("gamma", "beta"):
            if not np.array_equal(getattr(self, name), getattr(other, name)):
                raise OptionError(
                    f"cannot merge statistics with different {name} (BatchNorm's affine "
                    "parameters)",
                    param=name,
                )
        read = union_read(self, other, names)
        passthrough = union_passthrough(self, other, names)
        return FittedStats.build(
            self.names,
            [common_type(pair) for pair in zip(self.dtypes, other.dtypes, strict=True)],
            merge_moments(self.moments, other.moments),
            self.n_rows + other.n_rows,
            self.options,
            gamma=self.gamma,
            beta=self.beta,
            sketch=union_sketch(self, other),
            read=read,
            passthrough=passthrough,
            categories=union_categories(self, other, passthrough),
            inputs=self.inputs if self.inputs == other.inputs else None,
            unnamed=self.unnamed and other.unnamed,
        )

    def input_order(self) -> tuple[str, ...] | None:
        """The fit's input columns in their order, where known: :attr:`inputs`, if it holds
        exactly the columns fitted and those passed through (a selection of the columns, or a
        merge that passes fewer through, no longer has an order)."""
        if self.inputs is None or self.passthrough is None:
            return None
        columns = [*self.names, *(p.name for p in self.passthrough)]
        return self.inputs if is_order_of(self.inputs, columns) else None

    # -- what the statistics mean ----------------------------------------------------------

    def check_values(self) -> None:
        """Refuse statistics a transform could not use: a column without values, fewer values
        than ``ddof`` needs, or a variance beyond float64.

        Raises
        ------
        DataError
        """
        empty = [i for i in range(self.n_columns) if self.count[i] == 0]
        if empty:
            shown = ", ".join(repr(self.names[i]) for i in empty[:10])
            more = f" and {len(empty) - 10:,} more" if len(empty) > 10 else ""
            if self.weighted:  # rows of weight 0 are as if absent
                why = "of weight above 0"
            elif len(empty) == 1:
                why = f"(all {int(self.n_missing[empty[0]]):,} rows are missing)"
            else:
                why = "(all their rows are missing)"
            has = "column {} has" if len(empty) == 1 else "columns {} have"
            what = f"{has.format(shown + more)} no values {why}"
            names = [self.names[i] for i in empty]
            raise DataError(
                what,
                hints=(
                    f"exclude {'it' if len(empty) == 1 else 'them'} with {param('exclude', names)}",
                ),
            )
        ddof = self.options.ddof
        for name, n, w in zip(self.names, self.count, self.weight, strict=True):
            if w <= ddof:  # M2 / (W - ddof), W the count without weights
                has = "only one sample" if n == 1 else f"{n} values"
                if self.weighted:
                    has = f"a sum of weights of {w:g}"
                need = f"more than {ddof}" if self.weighted else f"at least {ddof + 1}"
                raise DataError(
                    f"column {name!r} has {has}; {param('ddof', ddof)} needs {need}",
                    hints=(f"exclude it ({param('exclude', name)})",),
                )
        overflow = ~(np.isfinite(self.mean) & np.isfinite(self.var) & np.isfinite(self.scale))
        if overflow.any():
            i = int(np.flatnonzero(overflow)[0])
            name, lo, hi = self.names[i], self.min[i], self.max[i]
            told = f"{name!r}: its variance overflows float64 (values from {lo:.3g} to {hi:.3g}"
            hints = ("rescale the column", f"exclude it ({param('exclude', name)})")
            if self.weighted and np.isfinite(np.square(hi - lo)):  # the weights' doing
                told = f"{told}, weighted by a sum of {self.weight[i]:.3g}"
                hints = ("divide the weights by one number (only ddof's term depends on it)",)
            raise DataError(f"column {told})", hints=hints)

    def affine(
        self,
        gamma: float | Mapping[str, float] | None = None,
        beta: float | Mapping[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-column gamma and beta: the given ones (a number, a mapping of column to number,
        or already one number per column), else those fitted.

        Raises
        ------
        OptionError, StatsFileError
            Where beta is more than :data:`MAX_BETA_OVER_GAMMA` times gamma times the spread (see
            :func:`~normkit.stats.shift.check_shift`): given, or this stat file's."""
        g = self._per_column(gamma, "gamma", self.gamma)
        b = self._per_column(beta, "beta", self.beta)
        check_shift(self.names, g, b, given=gamma is not None or beta is not None, stats=self)
        return g, b

    def _per_column(self, value, name: str, fitted: np.ndarray) -> np.ndarray:
        if value is None:
            return fitted
        if isinstance(value, np.ndarray):
            if value.shape != (self.n_columns,):
                raise ValueError(f"{name}: {value.shape} values for {self.n_columns} columns")
            return value
        passed = [p.name for p in self.passthrough or ()]
        return per_column(value, self.names, name, fitted, passed)  # others keep theirs

    def require_running(self, asked_by: str = "use") -> RunningState:
        """The running statistics, or an error saying that these statistics have none (naming
        the parameter ``asked_by`` that asked for them).

        Raises
        ------
        StatsFileError
            If there are none.
        """
        if self.running is None and self.weighted:
            exact = param("use", "exact") if asked_by == "use" else param("mode", "frozen")
            raise StatsFileError(
                "these statistics were fitted with sample weights, so they have no running "
                "(EMA) statistics: BatchNorm's running statistics have no weights",
                param=asked_by,
                hints=(f"use the exact statistics ({exact})",),
            )
        if self.running is None:
            how = next((k for k in _NO_RUNNING if k in self.provenance), "")
            why, again = _NO_RUNNING[how]
            raise StatsFileError(
                "these statistics have no running (EMA) statistics: "
                + why.format(param("use", "ema")),
                param=asked_by,
                hints=(again,),
            )
        return self.running

    def frozen(
        self,
        use: str | None = None,
        gamma: float | Mapping[str, float] | None = None,
        beta: float | Mapping[str, float] | None = None,
    ) -> Affine:
        """The frozen transform (BatchNorm's eval mode) with these statistics.

        Parameters
        ----------
        use : {"exact", "ema"} or None
            The exact statistics (``mean``, ``scale``) or the running ones (``running_mean``,
            ``sqrt(running_var + eps)``); None: :attr:`default_use`.
        gamma, beta : float, mapping of column to float, or None
            None keeps those fitted.
        """
        params.check("use", use)
        if (use or self.default_use) == "exact":
            center, scale = self.mean, self.scale
        else:
            running = self.require_running()
            center, scale = running.running_mean, running.scale
        # with_mean / with_std off: subtracting 0.0 and dividing by 1.0 are exact no-ops.
        center = center if self.options.with_mean else np.zeros_like(center)
        scale = scale if self.options.with_std else np.ones_like(scale)
        zero = np.flatnonzero(scale == 0)
        if zero.size:  # only running statistics can have it: a variance of 0 and eps 0
            raise StatsFileError(
                f"column {self.names[zero[0]]!r}: its running variance is 0 and the eps of the "
                "running statistics is 0, so values would be divided by 0",
                hints=(RUNNING_EPS_HINT, f"use the exact statistics ({param('use', 'exact')})"),
            )
        g, b = self.affine(gamma, beta)
        return Affine(center, scale, g, b)
