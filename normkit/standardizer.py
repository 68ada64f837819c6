"""The fitted statistics: an estimator in scikit-learn's shape, fitted in one streaming pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from . import apply
from .ema import EmaOptions, RunningStats
from .errors import DataError, OptionError, SchemaError
from .io import is_numeric_type, rechunk
from .moments import Moments, batch_moments, column_extremes, first_values, merge_moments
from .sketch import ColumnSamples, row_keys

if TYPE_CHECKING:
    from sklearn.preprocessing import StandardScaler

__all__ = ["Standardizer"]

# Attributes computed from moments_ (and rows waiting in ema_) by _set_derived.
_DERIVED = ("n_samples_seen_", "n_missing_", "mean_", "m2_", "var_", "min_", "max_", "scale_")

# Rows per chunk of a batch/adaptive stream (rounded to whole logical batches).
STREAM_CHUNK_ROWS = 65_536


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
    ema_ : RunningStats or None
        The running statistics (``ema_.running_mean``, ``ema_.running_var``, counts), or None.
    sketch_ : normkit.sketch.Sketch or None
        Each column's 5%, ..., 95% quantiles, from a uniform sample of up to 10,000 of its values
        taken in the same pass (the reference of ``normkit drift``).
    gamma_, beta_ : ndarray of float64, shape (n_features,)

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

    def _check_params(self) -> None:
        if self.ddof not in (0, 1):
            raise OptionError(f"ddof must be 0 or 1, not {self.ddof!r}")
        if not (np.isfinite(self.eps) and self.eps >= 0):
            raise OptionError(f"eps must be a finite number >= 0, not {self.eps!r}")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, as scikit-learn's estimators report them."""
        return {
            "columns": self.columns,
            "exclude": self.exclude,
            "ddof": self.ddof,
            "eps": self.eps,
            "with_mean": self.with_mean,
            "with_std": self.with_std,
            "ema": self.ema,
            "gamma": self.gamma,
            "beta": self.beta,
        }

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
        for param, chosen in (("exclude", exclude), ("columns", columns or ())):
            for name in chosen:
                if name not in names:
                    raise SchemaError(f"{where}no column {name!r} in the input (given in {param})")
        excluded = set(exclude)
        if columns is not None:
            wanted = set(columns)
            selected = [n for n in names if n in wanted and n not in excluded]
            if typed:
                for name in selected:
                    dtype = schema.field(name).type
                    if not (is_numeric_type(dtype) or pa.types.is_null(dtype)):
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
            raise SchemaError(f"{where}no numeric column to normalize; choose some with --columns")
        return selected

    # -- fitting ---------------------------------------------------------------------------

    def _reset(self) -> None:
        for name in list(vars(self)):
            if name.endswith("_") and not name.startswith("_"):
                delattr(self, name)

    def fit(self, X: Any) -> Standardizer:
        """Reset, then fit on ``X``: a record batch, table, DataFrame, 2-d array, or an iterable
        of those (a stream, fitted batch by batch in bounded memory)."""
        self._reset()
        for batch in _as_batches(X):
            self.partial_fit(batch)
        if "moments_" not in self.__dict__:
            raise DataError("no data to fit")
        self.finish()

        self.check_fitted_values()
        return self

    def finish(self) -> Standardizer:
        """End of the data: a final partial logical batch updates the running statistics (if it
        has at least 2 rows and ``drop_last`` is off). :meth:`fit` calls it; call it after the
        last :meth:`partial_fit`."""
        self._check_is_fitted()
        if self.ema_ is not None:
            count, mean_offset, m2 = self.ema_.finish(self.moments_.shift)
            self.moments_ = merge_moments(self.moments_, self._unplaced(count, mean_offset, m2))
            self._set_derived()
        if self.__dict__.get("_sample") is not None:
            self.sketch_ = self._sample.sketch()
        return self

    def _unplaced(self, count: np.ndarray, mean_offset: np.ndarray, m2: np.ndarray) -> Moments:
        """Moments of rows whose missing count and extremes were already counted."""
        nan = np.full(len(count), np.nan)
        zero = np.zeros(len(count), dtype=np.int64)
        return Moments(count, zero, self.moments_.shift, mean_offset, m2, nan, nan)

    def partial_fit(self, X: Any) -> Standardizer:
        """Update the statistics with one more batch of rows (Chan et al.'s exact merge; the
        running statistics over logical batches, a partial one carried to the next call)."""
        self._check_params()
        table = _as_arrow(X)
        if not hasattr(self, "feature_names_in_"):
            names = self.select_columns(table.schema)
            self._start(names, [str(table.schema.field(n).type) for n in names])
        index = {name: i for i, name in enumerate(table.schema.names)}
        columns = []
        for name in self.feature_names_in_:
            if name not in index:
                raise SchemaError(f"no column {name!r} in this batch")
            columns.append(apply.arrow_to_float64(table.column(index[name])))

        if "_shift_known" not in self.__dict__:  # loaded, merged or from scikit-learn
            self._shift_known = self.moments_.count > 0
        if not self._shift_known.all():
            # Shift each column by its first value, once and for all (rows waiting in the EMA's
            # partial batch are taken relative to it later); see normkit.moments.
            values = first_values(columns)
            found = ~np.isnan(values) & ~self._shift_known
            shift = np.where(found, values, self.moments_.shift)
            self.moments_ = replace(self.moments_, shift=shift)
            self._shift_known |= found
        shift = self.moments_.shift
        if self.ema_ is None:
            batch = batch_moments(columns, shift)
        else:
            # One pass for both: the EMA's per-batch statistics, taken relative to the shift,
            # merge into the exact moments of the rows of the batches completed so far (the
            # rows still waiting for their batch are added by _set_derived and finish).
            n_missing, lo, hi = column_extremes(columns)
            count, mean_offset, m2 = self.ema_.update(
                columns, has_missing=bool(n_missing.any()), shift=shift
            )
            batch = Moments(count, n_missing, shift, mean_offset, m2, lo, hi)
        self._check_finite(batch, columns)
        self.moments_ = merge_moments(self.moments_, batch)
        self._sample_rows(columns)
        self.n_rows_seen_ += table.num_rows
        # Derived statistics are computed when next read (see __getattr__), not per batch.
        for name in _DERIVED:
            self.__dict__.pop(name, None)
        return self

    def _sample_rows(self, columns: list[np.ndarray]) -> None:
        """Offer this batch's rows to the sample behind ``sketch_`` (see :mod:`normkit.sketch`);
        a row's key depends on its file and its index in that file."""
        sample = self.__dict__.get("_sample")
        if sample is None:
            # Loaded or merged statistics keep no sample: their sketch would no longer describe
            # the data once more rows are added, so it is dropped.
            self.sketch_ = None
            return
        if not len(columns):
            return
        first = self.n_rows_seen_ - getattr(self, "_row_base", 0)
        sample.offer(columns, row_keys(getattr(self, "_file_index", 0), first, len(columns[0])))

    def __getattr__(self, name: str) -> Any:
        # Only called for missing attributes: the derived statistics after a partial_fit.
        if name in _DERIVED and "moments_" in self.__dict__:
            self._set_derived()
            return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _start(self, names: Sequence[str], dtypes: Sequence[str]) -> None:
        """Reset and begin fitting the given columns."""
        self._check_params()
        self._reset()
        self.feature_names_in_ = np.array(list(names), dtype=object)
        self.n_features_in_ = len(names)
        self.dtypes_ = list(dtypes)
        self.moments_ = Moments.empty(len(names))
        self.n_rows_seen_ = 0
        self.provenance_ = {}
        self.ema_ = RunningStats(self.ema, len(names)) if self.ema is not None else None
        self._shift_known = np.zeros(len(names), dtype=bool)

        self.gamma_ = self._per_column(self.gamma, "gamma", 1.0)
        self.beta_ = self._per_column(self.beta, "beta", 0.0)
        self._row_base = 0  # first row of the current input, so messages count rows per file
        self._file_index = 0  # which input of a data set, for the sample's row keys
        self._sample = ColumnSamples(len(names))
        self.sketch_ = None
        self._set_derived()

    def _check_finite(self, batch: Moments, columns: list[np.ndarray]) -> None:
        # Infinite values show in min/max at no extra cost; only then look for the row.
        bad = np.flatnonzero(np.isinf(batch.min) | np.isinf(batch.max))
        if bad.size:
            i = int(bad[0])
            row = (
                int(np.flatnonzero(np.isinf(columns[i]))[0])
                + self.n_rows_seen_
                - getattr(self, "_row_base", 0)
                + 1
            )
            raise DataError(
                f"column {self.feature_names_in_[i]!r} at data row {row:,}: infinite value "
                "(out of float64 range or 'inf'); fix the data or read infinities as missing "
                "(--inf-as-missing)"
            )

    def _set_derived(self) -> None:
        m = self.moments_
        if getattr(self, "ema_", None) is not None and self.ema_.pending_rows:
            m = merge_moments(m, self._unplaced(*self.ema_.pending_moments(m.shift)))
        self.n_samples_seen_ = m.count
        self.n_missing_ = m.n_missing
        self.mean_ = m.mean
        self.m2_ = m.m2
        self.var_ = m.var(self.ddof)
        self.min_ = m.min
        self.max_ = m.max
        self.scale_ = apply.scale_from_var(self.var_, m.var(0), m.mean, m.count, self.eps)

    def check_fitted_values(self) -> None:
        """Raise :class:`DataError` if a column has too few values for its statistics."""
        self._check_is_fitted()
        for name, n, missing in zip(
            self.feature_names_in_, self.n_samples_seen_, self.n_missing_, strict=True
        ):
            if n == 0:
                raise DataError(
                    f"column {name!r} has no values (all {missing:,} rows are missing); "
                    "exclude it with --exclude"
                )
            if n <= self.ddof:
                raise DataError(
                    f"column {name!r} has {n} value; ddof={self.ddof} needs at least {self.ddof + 1}"
                )
        overflow = ~(np.isfinite(self.mean_) & np.isfinite(self.var_) & np.isfinite(self.scale_))
        if overflow.any():
            i = int(np.flatnonzero(overflow)[0])
            raise DataError(
                f"column {self.feature_names_in_[i]!r}: its variance overflows float64 (values "
                f"from {self.min_[i]:.3g} to {self.max_[i]:.3g}); rescale the column or exclude it"
            )

    def merge(self, other: Standardizer) -> Standardizer:
        """Statistics of the union of the rows both were fitted on (exact; commutative)."""
        self._check_is_fitted()
        other._check_is_fitted()
        mine, theirs = list(self.feature_names_in_), list(other.feature_names_in_)
        if mine != theirs:
            only_mine = [n for n in mine if n not in theirs]
            only_theirs = [n for n in theirs if n not in mine]
            if only_mine or only_theirs:
                name = (only_mine or only_theirs)[0]
                detail = f"column {name!r} is only in {'these' if only_mine else 'the other'}"
            else:
                detail = "the columns are in another order"
            raise SchemaError(f"cannot merge statistics of different columns: {detail}")
        for param in ("ddof", "eps", "with_mean", "with_std"):
            if getattr(self, param) != getattr(other, param):
                raise OptionError(
                    f"cannot merge statistics fitted with different {param} "
                    f"({getattr(self, param)!r} and {getattr(other, param)!r})"
                )
        for param in ("gamma_", "beta_"):
            if not np.array_equal(getattr(self, param), getattr(other, param)):
                raise OptionError(
                    f"cannot merge statistics with different {param.rstrip('_')} (BatchNorm's "
                    "affine parameters)"
                )
        merged = Standardizer(**self.get_params())
        merged.feature_names_in_ = self.feature_names_in_.copy()
        merged.n_features_in_ = self.n_features_in_
        merged.dtypes_ = list(self.dtypes_)
        merged.moments_ = merge_moments(self.moments_, other.moments_)
        merged.n_rows_seen_ = self.n_rows_seen_ + other.n_rows_seen_
        merged.provenance_ = {}
        # Running statistics depend on the order of the rows; a merge keeps none.
        merged.ema_ = None
        merged.gamma_, merged.beta_ = self.gamma_.copy(), self.beta_.copy()
        merged.sketch_ = None
        if self.sketch_ is not None and other.sketch_ is not None:
            merged.sketch_ = self.sketch_.merge(
                other.sketch_,
                (self.moments_.count, other.moments_.count),
                (self.moments_.min, other.moments_.min),
                (self.moments_.max, other.moments_.max),
            )
        merged._set_derived()
        return merged

    def _check_is_fitted(self) -> None:
        if not hasattr(self, "feature_names_in_"):
            raise OptionError("this Standardizer is not fitted yet; call fit() first")

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
        """
        center, scale, g, b = self._frozen_params(use, gamma, beta)
        kernel = apply.inverse_standardize if inverse else apply.standardize
        return self._map_columns(X, lambda j, x: kernel(x, center[j], scale[j], g[j], b[j]))

    def inverse_transform(self, X: Any, **kwargs: Any) -> Any:
        """Undo :meth:`transform` (same keyword arguments)."""
        return self.transform(X, inverse=True, **kwargs)

    def _frozen_params(self, use, gamma, beta):
        """Per-column center, scale, gamma and beta of a frozen transform."""
        self._check_is_fitted()
        use = use or "exact"
        if use == "exact":
            center, scale = self.mean_, self.scale_
        elif use == "ema":
            ema = self._check_ema()
            center = ema.running_mean
            scale = np.sqrt(ema.running_var + ema.options.eps_value)
        else:
            raise OptionError(f"unknown statistics {use!r}; use exact or ema")
        # with_mean / with_std off: subtracting 0.0 and dividing by 1.0 are exact no-ops.
        center = center if self.with_mean else np.zeros_like(center)
        scale = scale if self.with_std else np.ones_like(scale)
        g, b = self.affine(gamma, beta)
        if not np.all(g != 0):
            raise OptionError("gamma must not be 0 (the transform would not be invertible)")
        return center, scale, g, b

    def affine(
        self,
        gamma: float | Mapping[str, float] | None = None,
        beta: float | Mapping[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-column gamma and beta: the given ones, else those fitted, else 1 and 0."""
        self._check_is_fitted()
        g = self.gamma_ if gamma is None else self._per_column(gamma, "gamma", 1.0)
        b = self.beta_ if beta is None else self._per_column(beta, "beta", 0.0)
        return g, b

    def _per_column(
        self, value: float | Mapping[str, float], what: str, default: float
    ) -> np.ndarray:
        names = list(self.feature_names_in_)
        if isinstance(value, Mapping):
            unknown = [k for k in value if k not in names]
            if unknown:
                raise SchemaError(f"{what}: no fitted column {unknown[0]!r}")
            out = np.array([float(value.get(n, default)) for n in names])
        else:
            out = np.full(len(names), float(value))
        if not np.all(np.isfinite(out)):
            raise OptionError(f"{what} must be finite")
        return out

    def _check_ema(self) -> RunningStats:
        self._check_is_fitted()
        if getattr(self, "ema_", None) is None:
            raise OptionError("these statistics have no running (EMA) statistics; fit with EMA")
        return self.ema_

    def transform_stream(
        self,
        batches: Iterable[pa.RecordBatch],
        mode: str,
        *,
        gamma: float | Mapping[str, float] | None = None,
        beta: float | Mapping[str, float] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Normalize a stream batch by batch as BatchNorm does while it learns.

        The stream is cut into logical batches of the running statistics' ``batch_size`` rows.
        ``mode="batch"`` (BatchNorm's train mode): each batch is normalized with its own mean and
        biased variance plus eps, and the running statistics are updated. ``mode="adaptive"``
        (online normalization): each batch is normalized with the running statistics as they
        stood before it, then they are updated with it. Either way ``ema_`` is updated in place,
        so :meth:`save` afterwards keeps the state for the next run.

        Yields
        ------
        pyarrow.RecordBatch
            The same rows in the same order (a batch may be cut differently).
        """
        ema = self._check_ema()
        if mode not in ("batch", "adaptive"):
            raise OptionError(f"unknown mode {mode!r} for a stream; use batch or adaptive")
        g, b = self.affine(gamma, beta)
        size = ema.options.batch_size
        eps = ema.options.eps_value
        aligned = rechunk(iter(batches), size * max(1, STREAM_CHUNK_ROWS // size))
        for batch, last in _flag_last(aligned):
            columns = [apply.arrow_to_float64(batch.column(n)) for n in self.feature_names_in_]
            center, var = self._batch_normalizers(ema, columns, mode, last)
            scale = np.sqrt(var + eps)
            yield self._map_columns(
                batch,
                lambda j, x, c=center, s=scale: apply.standardize(x, c[:, j], s[:, j], g[j], b[j]),
            )

    def _batch_normalizers(
        self, ema: RunningStats, columns: list[np.ndarray], mode: str, last: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row-wise mean and variance (shape ``(n_rows, n_columns)``) to normalize the rows of
        ``columns`` with, updating ``ema``."""
        size = ema.options.batch_size
        n_rows = len(columns[0])
        n_full = n_rows // size
        rows_per_batch, centers, spreads = [], [], []
        if n_full:
            cut = n_full * size
            mean, var, before_mean, before_var = ema.step(
                [c[:cut].reshape(n_full, size) for c in columns], path=True
            )
            rows_per_batch.append(size)
            centers.append(mean if mode == "batch" else before_mean)
            spreads.append(var if mode == "batch" else before_var)
        tail = n_rows - n_full * size
        if tail:
            if not last:
                raise AssertionError("only the last chunk of an aligned stream has a partial batch")
            tails = [c[n_rows - tail :][None, :] for c in columns]
            if tail >= 2 and not ema.options.drop_last:
                mean, var, before_mean, before_var = ema.step(tails, path=True)
            else:  # too short to update the running statistics: normalize without learning
                count, mean, m2 = RunningStats._statistics(tails, None)
                with np.errstate(invalid="ignore", divide="ignore"):
                    var = np.where(count > 0, m2 / count, np.nan)
                before_mean, before_var = ema.running_mean[None, :], ema.running_var[None, :]
            rows_per_batch.append(tail)
            centers.append(mean if mode == "batch" else before_mean)
            spreads.append(var if mode == "batch" else before_var)
        center = np.vstack(
            [np.repeat(c, k, axis=0) for c, k in zip(centers, rows_per_batch, strict=True)]
        )
        spread = np.vstack(
            [np.repeat(v, k, axis=0) for v, k in zip(spreads, rows_per_batch, strict=True)]
        )
        return center, spread

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        """The schema of transformed data: fitted columns become float64, others unchanged."""
        present = set(schema.names)
        for name in self.feature_names_in_:
            if name not in present:
                raise SchemaError(
                    f"the stat file has column {name!r} but the input has no such column"
                )
        fitted = set(self.feature_names_in_)
        fields = [f.with_type(pa.float64()) if f.name in fitted else f for f in schema]
        return pa.schema(fields, metadata=schema.metadata)

    def _map_columns(self, X: Any, fn: Callable[[int, np.ndarray], np.ndarray]) -> Any:
        """Replace each fitted column ``j`` of ``X`` by ``fn(j, values)``; keep the rest."""
        self._check_is_fitted()
        names = list(self.feature_names_in_)
        if isinstance(X, pa.RecordBatch):
            schema = self.output_schema(X.schema)
            arrays = list(X.columns)
            index = {name: i for i, name in enumerate(X.schema.names)}
            for j, name in enumerate(names):
                i = index[name]

                values = fn(j, apply.arrow_to_float64(arrays[i]))
                arrays[i] = apply.float64_to_arrow(values, arrays[i])
            return pa.RecordBatch.from_arrays(arrays, schema=schema)
        if isinstance(X, pa.Table):
            schema = self.output_schema(X.schema)
            return pa.Table.from_batches(
                [self._map_columns(b, fn) for b in X.to_batches()], schema=schema
            )
        if isinstance(X, np.ndarray):
            if X.ndim != 2 or X.shape[1] != len(names):
                raise SchemaError(
                    f"expected a 2-d array with {len(names)} columns, got shape {X.shape}"
                )
            out = np.empty(X.shape, dtype=np.float64)
            for j in range(len(names)):
                out[:, j] = fn(j, np.asarray(X[:, j], dtype=np.float64))
            return out
        if _is_dataframe(X):
            out = X.copy()
            labels = {str(label): label for label in X.columns}  # 0 was fitted as "0"
            for j, name in enumerate(names):
                if name not in labels:
                    raise SchemaError(f"the DataFrame has no column {name!r}")
                label = labels[name]
                out[label] = fn(j, X[label].to_numpy(dtype=np.float64, na_value=np.nan))
            return out
        if isinstance(X, Iterable) and not isinstance(X, str | bytes):
            return (self._map_columns(b, fn) for b in X)
        raise TypeError(f"cannot transform an object of type {type(X).__name__}")

    # -- scikit-learn ----------------------------------------------------------------------

    def to_sklearn(self) -> StandardScaler:
        """A fitted ``sklearn.preprocessing.StandardScaler`` with these statistics.

        ``mean_``, ``var_``, ``scale_``, ``n_samples_seen_`` and ``feature_names_in_`` are
        copied (``var_`` is this object's, so with ``ddof=1`` it is the N-1 estimate), and
        attributes that scikit-learn leaves as None for ``with_mean=False`` or
        ``with_std=False`` are None too.
        """
        from sklearn.preprocessing import StandardScaler

        self._check_is_fitted()
        scaler = StandardScaler(with_mean=self.with_mean, with_std=self.with_std)
        counts = self.n_samples_seen_.astype(np.int64)
        # scikit-learn stores a scalar count when no value was missing, an array otherwise.
        scaler.n_samples_seen_ = int(counts[0]) if (counts == counts[0]).all() else counts.copy()
        both_off = not self.with_mean and not self.with_std
        scaler.mean_ = None if both_off else self.mean_.copy()
        scaler.var_ = self.var_.copy() if self.with_std else None
        scaler.scale_ = self.scale_.copy() if self.with_std else None
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
        self = cls(with_mean=scaler.with_mean, with_std=scaler.with_std, ema=None)
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

        m2 = var * count
        nan = np.full(n_features, np.nan)
        self.feature_names_in_ = np.array(list(names), dtype=object)
        self.n_features_in_ = n_features
        self.dtypes_ = ["double"] * n_features
        self.moments_ = Moments.from_mean(
            count, np.zeros(n_features, dtype=np.int64), mean, m2, nan, nan
        )
        self.n_rows_seen_ = int(count.max()) if n_features else 0
        self.provenance_ = {"source": "sklearn.preprocessing.StandardScaler"}
        self.ema_ = None
        self.gamma_, self.beta_ = np.ones(n_features), np.zeros(n_features)
        self._set_derived()
        # Keep scikit-learn's own var_ and scale_ bit for bit (M2 / n may round differently).
        if scaler.var_ is not None:
            self.var_ = var.copy()
            self.scale_ = np.asarray(scaler.scale_, dtype=np.float64).copy()
        return self

    # -- stat files ------------------------------------------------------------------------

    def save(self, path: str) -> None:
        """Write the stat file (JSON, version 1) atomically. See :mod:`normkit.statfile`."""
        from .statfile import save

        save(self, path)

    @classmethod
    def load(cls, path: str) -> Standardizer:
        """Read and validate a stat file."""
        from .statfile import load

        return load(path)

    def __repr__(self) -> str:
        params = ", ".join(
            f"{k}={v!r}" for k, v in self.get_params().items() if v not in (None, ())
        )
        fitted = f", fitted on {self.n_features_in_} columns" if hasattr(self, "mean_") else ""
        return f"Standardizer({params}){fitted}"


def _flag_last(items: Iterator[Any]) -> Iterator[tuple[Any, bool]]:
    """``(item, is_last)`` pairs, looking one item ahead."""
    previous = sentinel = object()
    for item in items:
        if previous is not sentinel:
            yield previous, False
        previous = item
    if previous is not sentinel:
        yield previous, True


def _is_dataframe(X: Any) -> bool:
    module = type(X).__module__
    return module.startswith("pandas") and type(X).__name__ == "DataFrame"


def _as_arrow(X: Any) -> pa.Table | pa.RecordBatch:
    if isinstance(X, pa.RecordBatch | pa.Table):
        return X
    if _is_dataframe(X):
        return pa.Table.from_pandas(X, preserve_index=False)
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise SchemaError(f"expected a 2-d array, got shape {X.shape}")
        return pa.table({f"x{i}": X[:, i] for i in range(X.shape[1])})
    raise TypeError(f"cannot fit an object of type {type(X).__name__}")


def _names_param(names: str | Sequence[str] | None) -> list[str] | None:
    """A column list parameter; a single name may be given as a string."""
    if names is None:
        return None
    return [names] if isinstance(names, str) else list(names)


def _as_batches(X: Any) -> Iterator[Any]:

    if isinstance(X, pa.RecordBatch | pa.Table | np.ndarray) or _is_dataframe(X):
        yield X
    elif isinstance(X, Iterable) and not isinstance(X, str | bytes):
        yield from X
    else:
        raise TypeError(
            f"cannot fit an object of type {type(X).__name__}; to fit a file use normkit.fit_files"
        )
