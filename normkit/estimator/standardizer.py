"""The estimator: fitted statistics in scikit-learn's shape, over the same one-pass core.

:class:`Standardizer` stores its parameters as given, fits through the
:class:`~normkit.core.accumulator.Accumulator`, and holds what it learned as one
:class:`~normkit.stats.fitted.FittedStats` (``stats_``), whose parts it shows under scikit-learn's
names (``mean_``, ``var_``, ``scale_``, ``n_samples_seen_``...). It does no I/O beyond its own
stat file (:meth:`Standardizer.save`, :meth:`Standardizer.load`); files of any size are fitted by
:func:`normkit.fit_files`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .. import params
from ..core.accumulator import Accumulated, Accumulator
from ..core.categories import CategoryCounter, CategoryCounts
from ..core.moments import Moments
from ..core.running import EmaOptions, RunningState
from ..core.sketch import Sketch
from ..errors import DataError, OptionError, SchemaError, listed, param
from ..io.arrow import is_numeric_type, to_float64
from ..io.categories import is_categorical_type, value_counts
from ..stats import statfile
from ..stats.fitted import FittedStats, PassedThrough, StatsOptions, per_column
from .apply import (
    ColumnMap,
    StreamNormalizer,
    affine_map,
    as_arrow,
    infinite_error,
    is_dataframe,
    map_columns,
    output_schema,
    refuse_infinite,
)

if TYPE_CHECKING:
    from sklearn.preprocessing import StandardScaler

__all__ = ["Standardizer"]

_PARAMS = ("columns", "exclude", "ddof", "eps", "with_mean", "with_std", "ema", "gamma", "beta")


class Standardizer:
    """Centering and standardization statistics, fitted exactly in streaming batches.

    ``z = (x - mean_) / scale_`` per column, with ``var_ = M2 / (n - ddof)`` and ``scale_ =
    sqrt(var_ + eps)``; missing values (null or NaN) are ignored when fitting and stay missing
    when transforming. With the defaults the statistics and the transform equal scikit-learn's
    ``StandardScaler``, including its rule that a constant column gets scale 1.

    Parameters
    ----------
    columns : sequence of str or None, default None
        The columns to normalize; None means every numeric column (booleans are not numeric).
    exclude : sequence of str, default ()
        Columns never normalized (they pass through unchanged), such as ids.
    ddof : {0, 1}, default 0
        Delta degrees of freedom: 0 divides M2 by N (scikit-learn), 1 by N - 1.
    eps : float, default 0.0
        Added to the variance before the square root. With ``eps == 0`` a constant column gets
        scale 1 as in scikit-learn; with ``eps > 0`` the scale is always ``sqrt(var + eps)``.
    with_mean, with_std : bool, default True
        Center, and scale to unit variance, as in ``StandardScaler``.
    ema : EmaOptions or None, default EmaOptions()
        Also compute BatchNorm running (EMA) statistics in the same pass; None skips them.
    gamma, beta : float or mapping of column name to float, default 1.0 and 0.0
        BatchNorm's affine parameters, stored with the statistics and applied by transforms:
        ``y = gamma * (x - mean) / scale + beta``.

    Attributes
    ----------
    stats_ : FittedStats
        Everything learned, as one value (the attributes below are views of it).
    feature_names_in_ : ndarray of str, shape (n_features,)
        The normalized columns, in input order.
    n_features_in_ : int
    n_samples_seen_ : ndarray of int64, shape (n_features,)
        Non-missing values per column.
    n_missing_ : ndarray of int64, shape (n_features,)
    mean_, var_, scale_, min_, max_ : ndarray of float64, shape (n_features,)
    m2_ : ndarray of float64, shape (n_features,)
        Sum of squared deviations from the mean, kept so that statistics can be merged exactly.
    n_rows_seen_ : int
        Rows seen, missing values included.
    dtypes_ : list of str
        Arrow type of each normalized column in the input that was fitted.
    provenance_ : dict
        Where the statistics came from (sources, rows, bytes, normkit version, time).
    ema_ : RunningState or None
        The running statistics (``ema_.running_mean``, ``ema_.running_var``, counts), or None.
    sketch_ : Sketch or None
        Each column's 5%, ..., 95% quantiles, from a uniform sample of up to 10,000 of its values
        taken in the same pass (the reference of ``normkit drift``).
    categories_ : dict of str to CategoryCounts, or None
        The category frequencies of the text and boolean columns passed through (fitted from
        files: :func:`normkit.fit_files`; None when fitted in memory, or continued by
        :meth:`partial_fit`).
    gamma_, beta_ : ndarray of float64, shape (n_features,)

    Notes
    -----
    After :meth:`partial_fit`, the attributes are the statistics as if the data ended there
    (a final partial batch of the running statistics included); more :meth:`partial_fit` calls
    continue the same stream.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 2, 3], "x": [1.0, 2.0, 6.0]})
    >>> scaler = Standardizer(exclude=["id"]).fit(df)
    >>> scaler.mean_.tolist(), scaler.var_.tolist()
    ([3.0], [4.666666666666667])
    >>> scaler.transform(df)["id"].tolist()
    [1, 2, 3]
    """

    def __init__(
        self,
        columns: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
        ddof: int = 0,
        eps: float = 0.0,
        with_mean: bool = True,
        with_std: bool = True,
        ema: EmaOptions | None = EmaOptions(),  # noqa: B008 (frozen, so safe to share)
        gamma: float | Mapping[str, float] = 1.0,
        beta: float | Mapping[str, float] = 0.0,
    ):
        self.columns = columns
        self.exclude = exclude
        self.ddof = ddof
        self.eps = eps
        self.with_mean = with_mean
        self.with_std = with_std
        self.ema = ema
        self.gamma = gamma
        self.beta = beta

    # -- parameters ------------------------------------------------------------------------

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, as scikit-learn's estimators report them."""
        return {name: getattr(self, name) for name in _PARAMS}

    def set_params(self, **values: Any) -> Standardizer:
        """Set constructor arguments (scikit-learn's convention)."""
        for name, value in values.items():
            if name not in _PARAMS:
                raise OptionError(f"Standardizer has no parameter {name!r}", param=name)
            setattr(self, name, value)
        return self

    def validate_params(self) -> None:
        """Check every parameter against its rule (:mod:`normkit.params`).

        Raises
        ------
        OptionError
            Naming the parameter.
        """
        for name in ("columns", "exclude", "ddof", "eps", "with_mean", "with_std", "gamma", "beta"):
            params.check(name, getattr(self, name))
        if self.ema is not None and not isinstance(self.ema, EmaOptions):
            raise OptionError(
                f"{param('ema')} must be an EmaOptions or None, not {type(self.ema).__name__}",
                param="ema",
            )

    def stats_options(self) -> StatsOptions:
        """The options that shape the statistics (ddof, eps, with_mean, with_std)."""
        self.validate_params()
        return StatsOptions(self.ddof, self.eps, self.with_mean, self.with_std)

    def select_columns(
        self, schema: pa.Schema, *, typed: bool = True, source: str = ""
    ) -> list[str]:
        """The columns of ``schema`` this estimator normalizes, in schema order.

        Parameters
        ----------
        schema : pyarrow.Schema
        typed : bool, default True
            Whether the schema's types are real (Parquet, Arrow) rather than guessed from the
            first rows of a CSV; explicitly chosen columns of a typed input must be numeric.
        source : str
            Name of the input, for messages.
        """
        where = f"{source}: " if source else ""
        names = schema.names
        columns, exclude = _names_param(self.columns), _names_param(self.exclude) or []
        present = set(names)
        for name_of_param, chosen in (("exclude", exclude), ("columns", columns or ())):
            unknown = [name for name in chosen if name not in present]
            if unknown:
                raise SchemaError(
                    f"{where}no {listed(unknown)} in the input (given in {param(name_of_param)})",
                    param=name_of_param,
                    hints=(f"the input has {listed(names)}",),
                )
        excluded = set(exclude)
        if columns is not None:
            both = [name for name in columns if name in excluded]
            if both:
                raise OptionError(
                    f"{listed(both)} both chosen ({param('columns')}) and excluded "
                    f"({param('exclude')})",
                    param="exclude",
                    hints=("give each column to one of them",),
                )
            wanted = set(columns)
            selected = [n for n in names if n in wanted]
            for name in selected:
                dtype = schema.field(name).type
                # A CSV's text may hold numbers later on; its booleans (True/False) never do.
                refused = (
                    not (is_numeric_type(dtype) or pa.types.is_null(dtype))
                    if typed
                    else pa.types.is_boolean(dtype)
                )
                if refused:
                    raise SchemaError(
                        f"{where}column {name!r} has type {dtype}, which is not numeric"
                    )
        else:
            # In a CSV, a column with no value in its first block has the type null: it may hold
            # numbers later, so it is normalized rather than silently left out (a column of
            # text then stops the fit with the row and a hint to exclude it).
            selected = [
                n
                for n in names
                if n not in excluded
                and (
                    is_numeric_type(schema.field(n).type)
                    or (not typed and pa.types.is_null(schema.field(n).type))
                )
            ]
        if not selected:
            raise SchemaError(
                f"{where}no numeric column to normalize",
                hints=(f"choose some with {param('columns')}",),
            )
        return selected

    def passed_through(self, schema: pa.Schema, selected: Sequence[str]) -> list[PassedThrough]:
        """The columns of ``schema`` not in ``selected``, each with why it is not normalized."""
        chosen = set(selected)
        excluded = set(_names_param(self.exclude) or [])
        columns = _names_param(self.columns)
        out = []
        for field in schema:
            if field.name in chosen:
                continue
            dtype = field.type
            if field.name in excluded:
                why = "excluded"
            elif columns is not None:
                why = "not chosen"
            elif pa.types.is_boolean(dtype):
                why = "boolean"
            elif pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
                why = "text"
            elif pa.types.is_null(dtype):
                why = "no values"
            else:
                why = f"type {dtype}"
            out.append(PassedThrough(field.name, str(dtype), why))
        return out

    # -- fitting ---------------------------------------------------------------------------

    def _reset(self) -> None:
        for name in list(vars(self)):
            if name.endswith("_") and not name.startswith("_"):
                delattr(self, name)
        self._accumulator: Accumulator | None = None
        self._fitted: FittedStats | None = None
        self._snapshot: FittedStats | None = None
        self._categories: CategoryCounter | None = None

    def fit(self, X: Any, y: Any = None) -> Standardizer:
        """Reset, then fit on ``X``: a record batch, table, DataFrame, 2-d array, or an iterable
        of those (a stream, fitted batch by batch in bounded memory). ``y`` is ignored (it is
        there for scikit-learn's pipelines, which pass the target to every step)."""
        self._reset()
        for batch in _as_batches(X):
            self.partial_fit(batch)
        if self.__dict__.get("_accumulator") is None:
            raise DataError("no data to fit")
        self.finish()
        self.stats_.check_values()
        return self

    def partial_fit(self, X: Any) -> Standardizer:
        """Update the statistics with one more batch of rows (Chan et al.'s exact merge; the
        running statistics over logical batches, a partial one carried to the next call)."""
        self.validate_params()
        table = as_arrow(X)
        if self.__dict__.get("_accumulator") is None:
            self._begin(table.schema)
        index = {name: i for i, name in enumerate(table.schema.names)}
        columns = []
        for name in self.feature_names_in_:
            if name not in index:
                raise SchemaError(f"no column {name!r} in this batch")
            columns.append(to_float64(table.column(index[name])))
        self._accumulator.update(columns)
        counter = self.__dict__.get("_categories")
        for name in counter.names if counter is not None else ():
            if name not in index:
                raise SchemaError(f"no column {name!r} in this batch")
            counter.update(name, *value_counts(table.column(index[name]), counter.cap))
        self._snapshot = None
        return self

    def _begin(self, schema: pa.Schema) -> None:
        """Open a pass: a new one, or one continuing the statistics fitted so far."""
        previous = self.__dict__.get("_fitted")
        if previous is None:
            self._reset()
            names = self.select_columns(schema)
            self.feature_names_in_ = np.array(names, dtype=object)
            self.n_features_in_ = len(names)
            self._dtypes = [str(schema.field(n).type) for n in names]
            self._gamma = per_column(self.gamma, names, "gamma", 1.0)
            self._beta = per_column(self.beta, names, "beta", 0.0)
            self._provenance: dict = {}
            self._passthrough = self.passed_through(schema, names)
            # The text and boolean columns passed through keep their category counts (drift's
            # reference for them), as a fit of files does.
            self._categories = CategoryCounter(
                [
                    p.name
                    for p in self._passthrough or ()
                    if p.why != "excluded" and is_categorical_type(schema.field(p.name).type)
                ]
            )
            self._accumulator = Accumulator(names, running=self.ema)
            return
        # Continuing (loaded, merged or finished statistics): their moments and running state
        # go on; their sketch does not (it would no longer describe all the rows).
        self._dtypes = list(previous.dtypes)
        self._gamma, self._beta = previous.gamma, previous.beta
        self._provenance = dict(previous.provenance)
        self._passthrough = previous.passthrough
        self._categories = None  # they would no longer describe all the rows
        running = previous.running.options if previous.running is not None else None
        start = Accumulated(previous.moments, previous.n_rows, previous.running, None, None)
        self._accumulator = Accumulator(previous.names, running=running, start=start)
        self._fitted = None

    def _stats_of(self, result: Accumulated) -> FittedStats:
        return FittedStats.from_pass(
            list(self.feature_names_in_),
            self._dtypes,
            result,
            self.stats_options(),
            self._gamma,
            self._beta,
            self._provenance,
            passthrough=self._passthrough,
            categories=None if self._categories is None else self._categories.result(),
        )

    def finish(self) -> Standardizer:
        """End of the data: a final partial logical batch updates the running statistics (if it
        has at least 2 rows and ``drop_last`` is off). :meth:`fit` calls it; after
        :meth:`partial_fit` the attributes already include it, and calling it is optional."""
        accumulator = self.__dict__.get("_accumulator")
        if accumulator is None:
            self._check_is_fitted()
            return self
        self._fitted = self._stats_of(accumulator.finish())
        self._accumulator = None
        self._snapshot = None
        return self

    @property
    def stats_(self) -> FittedStats:
        """The fitted statistics (after :meth:`partial_fit`: as if the data ended there)."""
        accumulator = self.__dict__.get("_accumulator")
        if accumulator is not None:
            if self._snapshot is None:
                self._snapshot = self._stats_of(accumulator.result())
            return self._snapshot
        fitted = self.__dict__.get("_fitted")
        if fitted is None:
            raise _not_fitted()
        return fitted

    @classmethod
    def from_stats(cls, stats: FittedStats, **kwargs: Any) -> Standardizer:
        """An estimator holding ``stats``, with the given parameters (by default those the
        statistics were fitted with)."""
        options = stats.options
        defaults = {
            "ddof": options.ddof,
            "eps": options.eps,
            "with_mean": options.with_mean,
            "with_std": options.with_std,
            "ema": stats.running.options if stats.running is not None else None,
        }
        self = cls(**{**defaults, **kwargs})
        self._reset()
        self.feature_names_in_ = np.array(stats.names, dtype=object)
        self.n_features_in_ = stats.n_columns
        self._fitted = stats
        return self

    def _check_is_fitted(self) -> None:
        if "feature_names_in_" not in self.__dict__:
            raise _not_fitted()

    def merge(self, other: Standardizer) -> Standardizer:
        """Statistics of the union of the rows both were fitted on (exact; commutative)."""
        return Standardizer.from_stats(self.stats_.merge(other.stats_), **self.get_params())

    # -- what was learned ------------------------------------------------------------------

    @property
    def n_samples_seen_(self) -> np.ndarray:
        return self.stats_.count

    @property
    def n_missing_(self) -> np.ndarray:
        return self.stats_.n_missing

    @property
    def mean_(self) -> np.ndarray:
        return self.stats_.mean

    @property
    def var_(self) -> np.ndarray:
        return self.stats_.var

    @property
    def scale_(self) -> np.ndarray:
        return self.stats_.scale

    @property
    def m2_(self) -> np.ndarray:
        return self.stats_.m2

    @property
    def min_(self) -> np.ndarray:
        return self.stats_.min

    @property
    def max_(self) -> np.ndarray:
        return self.stats_.max

    @property
    def moments_(self) -> Moments:
        return self.stats_.moments

    @property
    def n_rows_seen_(self) -> int:
        return self.stats_.n_rows

    @property
    def dtypes_(self) -> list[str]:
        return list(self.stats_.dtypes)

    @property
    def provenance_(self) -> dict:
        return dict(self.stats_.provenance)

    @property
    def ema_(self) -> RunningState | None:
        return self.stats_.running

    @property
    def sketch_(self) -> Sketch | None:
        return self.stats_.sketch

    @property
    def categories_(self) -> dict[str, CategoryCounts] | None:
        return None if self.stats_.categories is None else dict(self.stats_.categories)

    @property
    def gamma_(self) -> np.ndarray:
        return self.stats_.gamma

    @property
    def beta_(self) -> np.ndarray:
        return self.stats_.beta

    # -- transforming ----------------------------------------------------------------------

    def transform(
        self,
        X: Any,
        *,
        use: str | None = None,
        gamma: float | Mapping[str, float] | None = None,
        beta: float | Mapping[str, float] | None = None,
        inverse: bool = False,
    ) -> Any:
        """Normalize the fitted columns of ``X`` with the saved statistics (BatchNorm's eval mode);
        other columns pass through unchanged.

        ``y = gamma * (x - mean) / scale + beta`` with ``use="exact"``: ``mean_`` and ``scale_``
        (scikit-learn's transform when gamma is 1 and beta 0), or ``use="ema"``: the running
        statistics, ``scale = sqrt(running_var_ + eps)``.

        Parameters
        ----------
        X : pyarrow.RecordBatch, pyarrow.Table, pandas.DataFrame, 2-d ndarray, or an iterable of
            record batches (a stream, returned as a generator).
        use : {"exact", "ema"} or None, default None
            Which statistics; None means exact.
        gamma, beta : float, mapping of column name to float, or None
            BatchNorm's affine parameters; None keeps those fitted (default 1 and 0).
        inverse : bool, default False
            Apply the inverse transform ``x = (y - beta) / gamma * scale + mean`` instead.

        Returns
        -------
        The same kind of object as ``X``; fitted columns become float64.

        Raises
        ------
        DataError
            If a fitted column holds an infinite value (as scikit-learn refuses them), naming
            its row (counted over a whole stream).
        """
        affine = self.stats_.frozen(use, gamma, beta)
        names = list(self.feature_names_in_)
        return map_columns(X, names, _finite_inputs(affine_map(affine, inverse), names))

    def fit_transform(self, X: Any, y: Any = None, **kwargs: Any) -> Any:
        """:meth:`fit`, then :meth:`transform` of the same data (a table or array, not a stream:
        a stream is read once). Keyword arguments go to :meth:`transform`."""
        return self.fit(X, y).transform(X, **kwargs)

    def inverse_transform(self, X: Any, **kwargs: Any) -> Any:
        """Undo :meth:`transform` (same keyword arguments)."""
        return self.transform(X, inverse=True, **kwargs)

    def transform_stream(
        self,
        batches: Iterable[pa.RecordBatch],
        mode: str,
        *,
        gamma: float | Mapping[str, float] | None = None,
        beta: float | Mapping[str, float] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Normalize a stream batch by batch as BatchNorm does while it learns.

        ``mode="batch"`` (BatchNorm's train mode): each logical batch is normalized with its own
        mean and biased variance plus eps. ``mode="adaptive"`` (online normalization): each
        batch with the running statistics as they stood before it. Either way the running
        statistics (``ema_``) follow the stream, so :meth:`save` afterwards keeps the state for
        the next run.

        Yields
        ------
        pyarrow.RecordBatch
            The same rows in the same order (a batch may be cut differently).
        """
        self.finish()
        stats = self.stats_
        g, b = stats.affine(gamma, beta)
        normalizer = StreamNormalizer(stats.names, stats.require_running("mode"), mode, g, b)
        for batch in normalizer(refuse_infinite(batches, stats.names)):
            self._fitted = stats.with_running(normalizer.state)
            yield batch

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        """The schema of transformed data: fitted columns become float64, others unchanged."""
        return output_schema(schema, list(self.feature_names_in_))

    # -- scikit-learn ----------------------------------------------------------------------

    def to_sklearn(self) -> StandardScaler:
        """A fitted ``sklearn.preprocessing.StandardScaler`` with these statistics.

        ``mean_``, ``var_``, ``scale_``, ``n_samples_seen_`` and ``feature_names_in_`` are
        copied (``var_`` is this object's, so with ``ddof=1`` it is the N-1 estimate), and
        attributes that scikit-learn leaves as None for ``with_mean=False`` or
        ``with_std=False`` are None too.
        """
        from sklearn.preprocessing import StandardScaler

        stats = self.stats_
        scaler = StandardScaler(with_mean=self.with_mean, with_std=self.with_std)
        counts = stats.count.astype(np.int64)
        # scikit-learn stores a scalar count when no value was missing, an array otherwise.
        scaler.n_samples_seen_ = int(counts[0]) if (counts == counts[0]).all() else counts.copy()
        both_off = not self.with_mean and not self.with_std
        scaler.mean_ = None if both_off else stats.mean.copy()
        scaler.var_ = stats.var.copy() if self.with_std else None
        scaler.scale_ = stats.scale.copy() if self.with_std else None
        scaler.n_features_in_ = self.n_features_in_
        scaler.feature_names_in_ = np.asarray(self.feature_names_in_, dtype=object)
        return scaler

    @classmethod
    def from_sklearn(
        cls, scaler: StandardScaler, feature_names: Sequence[str] | None = None
    ) -> Standardizer:
        """Statistics equal to a fitted ``StandardScaler``'s.

        Parameters
        ----------
        scaler : sklearn.preprocessing.StandardScaler
            Fitted, on dense data.
        feature_names : sequence of str, optional
            Column names, if the scaler was fitted without them (then ``x0, x1, ...``).
        """
        if not hasattr(scaler, "n_samples_seen_"):
            raise OptionError("the StandardScaler is not fitted")
        n_features = int(scaler.n_features_in_)
        names = feature_names
        if names is None:
            names = getattr(scaler, "feature_names_in_", None)
        if names is None:
            names = [f"x{i}" for i in range(n_features)]
        if len(names) != n_features:
            raise OptionError(f"{len(names)} feature names for {n_features} features")
        if scaler.mean_ is None:
            raise OptionError(
                "a StandardScaler with with_mean=False and with_std=False holds no statistics"
            )
        count = np.broadcast_to(
            np.asarray(scaler.n_samples_seen_, dtype=np.int64), (n_features,)
        ).copy()
        mean = np.asarray(scaler.mean_, dtype=np.float64).copy()
        # Without with_std scikit-learn keeps no variance: record 0 (scale 1 is never used).
        var = (
            np.asarray(scaler.var_, dtype=np.float64)
            if scaler.var_ is not None
            else np.zeros(n_features)
        )
        nan = np.full(n_features, np.nan)
        rows = int(count.max()) if n_features else 0
        # Rows scikit-learn saw as NaN in a column are that column's missing values.
        moments = Moments.from_mean(count, rows - count, mean, var * count, nan, nan)
        options = StatsOptions(with_mean=scaler.with_mean, with_std=scaler.with_std)
        keep = scaler.var_ is not None  # scikit-learn's own var_ and scale_, bit for bit
        stats = FittedStats.build(
            list(names),
            ["double"] * n_features,
            moments,
            rows,
            options,
            provenance={"source": "sklearn.preprocessing.StandardScaler"},
            var=var.copy() if keep else None,
            scale=np.asarray(scaler.scale_, dtype=np.float64).copy() if keep else None,
        )
        return cls.from_stats(stats, with_mean=scaler.with_mean, with_std=scaler.with_std, ema=None)

    # -- stat files ------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the stat file (JSON, version 1) atomically. See :mod:`normkit.stats.statfile`."""
        statfile.write(self.stats_, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Standardizer:
        """Read and validate a stat file."""
        return cls.from_stats(statfile.read(path))

    def __repr__(self) -> str:
        params_shown = ", ".join(
            f"{k}={v!r}" for k, v in self.get_params().items() if v not in (None, ())
        )
        fitted = (
            f", fitted on {self.n_features_in_} columns"
            if "feature_names_in_" in vars(self)
            else ""
        )
        return f"Standardizer({params_shown}){fitted}"


def _not_fitted() -> OptionError:
    """normkit's error, which is also scikit-learn's ``NotFittedError`` (what its tools catch),
    built on first use so that importing normkit does not import scikit-learn."""
    from sklearn.exceptions import NotFittedError

    global _NotFitted
    if _NotFitted is None:
        _NotFitted = type("NotFitted", (OptionError, NotFittedError), {"__module__": __name__})
    return _NotFitted("this Standardizer is not fitted yet; call fit() first")


_NotFitted: type | None = None


def _names_param(names: str | Sequence[str] | None) -> list[str] | None:
    """A column list parameter; a single name may be given as a string."""
    if names is None:
        return None
    return [names] if isinstance(names, str) else list(names)


def _as_batches(X: Any) -> Iterator[Any]:
    if isinstance(X, pa.RecordBatch | pa.Table | np.ndarray) or is_dataframe(X):
        yield X
    elif isinstance(X, Iterable) and not isinstance(X, str | bytes):
        yield from X
    else:
        raise TypeError(
            f"cannot fit an object of type {type(X).__name__}; to fit a file use normkit.fit_files"
        )


def _finite_inputs(fn: ColumnMap, names: Sequence[str]) -> ColumnMap:
    """``fn``, refusing infinite values. Rows are counted across calls: :func:`map_columns`
    maps the columns of each batch in order, so a call for column 0 starts the next batch."""
    done = [0, 0]  # rows before the current batch, rows in it

    def checked(j: int, values: np.ndarray) -> np.ndarray:
        if j == 0:
            done[0] += done[1]
            done[1] = len(values)
        infinite = np.isinf(values)
        if infinite.any():
            k = int(np.argmax(infinite))
            where = f"column {names[j]!r} at row {done[0] + k + 1:,}"
            raise infinite_error(where, float(values[k]))
        return fn(j, values)

    return checked
