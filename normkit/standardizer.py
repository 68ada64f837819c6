"""The fitted statistics: an estimator in scikit-learn's shape, fitted in one streaming pass."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from . import apply
from .errors import DataError, OptionError, SchemaError
from .io import is_numeric_type
from .moments import Moments, batch_moments, first_values, merge_moments

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.preprocessing import StandardScaler

__all__ = ["Standardizer"]


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
    ):
        self.columns = columns
        self.exclude = exclude
        self.ddof = ddof
        self.eps = eps
        self.with_mean = with_mean
        self.with_std = with_std

    # -- parameters ------------------------------------------------------------------------

    def _check_params(self) -> None:
        if self.ddof not in (0, 1):
            raise OptionError(f"ddof must be 0 or 1, not {self.ddof!r}")
        if not (np.isfinite(self.eps) and self.eps >= 0):
            raise OptionError(f"eps must be a finite number >= 0, not {self.eps!r}")

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, as scikit-learn's estimators report them."""
        return {
            "columns": self.columns,
            "exclude": self.exclude,
            "ddof": self.ddof,
            "eps": self.eps,
            "with_mean": self.with_mean,
            "with_std": self.with_std,
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
        for option, chosen in (("--exclude", self.exclude), ("--columns", self.columns or ())):
            for name in chosen:
                if name not in names:
                    raise SchemaError(f"{where}{option}: no column {name!r} in the input")
        excluded = set(self.exclude)
        if self.columns is not None:
            selected = [n for n in names if n in set(self.columns) and n not in excluded]
            if typed:
                for name in selected:
                    dtype = schema.field(name).type
                    if not (is_numeric_type(dtype) or pa.types.is_null(dtype)):
                        raise SchemaError(
                            f"{where}column {name!r} has type {dtype}, which is not numeric"
                        )
        else:
            selected = [
                n for n in names if n not in excluded and is_numeric_type(schema.field(n).type)
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
        self.check_fitted_values()
        return self

    def partial_fit(self, X: Any) -> Standardizer:
        """Update the statistics with one more batch of rows (Chan et al.'s exact merge)."""
        self._check_params()
        table = _as_arrow(X)
        if not hasattr(self, "feature_names_in_"):
            names = self.select_columns(table.schema)
            self._start(names, [str(table.schema.field(n).type) for n in names])
        columns = []
        for name in self.feature_names_in_:
            if name not in table.schema.names:
                raise SchemaError(f"no column {name!r} in this batch")
            columns.append(apply.arrow_to_float64(table.column(name)))
        unseen = self.moments_.count == 0
        if unseen.any():
            # Shift each column by its first value; see normkit.moments on large offsets.
            shift = np.where(unseen, first_values(columns), self.moments_.shift)
            self.moments_ = replace(self.moments_, shift=shift)
        batch = batch_moments(columns, self.moments_.shift)
        self._check_finite(batch, columns)
        self.moments_ = merge_moments(self.moments_, batch)
        self.n_rows_seen_ += table.num_rows
        self._set_derived()
        return self

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
        self._row_base = 0  # first row of the current input, so messages count rows per file
        self._set_derived()

    def _check_finite(self, batch: Moments, columns: list[np.ndarray]) -> None:
        # Infinite values show in min/max at no extra cost; only then look for the row.
        bad = np.flatnonzero(np.isinf(batch.min) | np.isinf(batch.max))
        if bad.size:
            i = int(bad[0])
            row = (
                int(np.flatnonzero(np.isinf(columns[i]))[0])
                + self.n_rows_seen_
                - self._row_base
                + 1
            )
            raise DataError(
                f"column {self.feature_names_in_[i]!r} at data row {row:,}: infinite value "
                "(out of float64 range or 'inf'); fix the data or treat it as missing"
            )

    def _set_derived(self) -> None:
        m = self.moments_
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

    def merge(self, other: Standardizer) -> Standardizer:
        """Statistics of the union of the rows both were fitted on (exact; commutative)."""
        self._check_is_fitted()
        other._check_is_fitted()
        if list(self.feature_names_in_) != list(other.feature_names_in_):
            raise SchemaError("cannot merge statistics of different columns")
        merged = Standardizer(**self.get_params())
        merged.feature_names_in_ = self.feature_names_in_.copy()
        merged.n_features_in_ = self.n_features_in_
        merged.dtypes_ = list(self.dtypes_)
        merged.moments_ = merge_moments(self.moments_, other.moments_)
        merged.n_rows_seen_ = self.n_rows_seen_ + other.n_rows_seen_
        merged.provenance_ = {}
        merged._set_derived()
        return merged

    def _check_is_fitted(self) -> None:
        if not hasattr(self, "mean_"):
            raise OptionError("this Standardizer is not fitted yet; call fit() first")

    # -- transforming ----------------------------------------------------------------------

    def transform(self, X: Any, *, inverse: bool = False) -> Any:
        """Standardize the fitted columns of ``X``; other columns pass through unchanged.

        Parameters
        ----------
        X : pyarrow.RecordBatch, pyarrow.Table, pandas.DataFrame, 2-d ndarray, or an iterable of
            record batches (a stream, returned as a generator).
        inverse : bool, default False
            Apply the inverse transform instead.

        Returns
        -------
        The same kind of object as ``X``; fitted columns become float64.
        """
        self._check_is_fitted()
        if isinstance(X, pa.RecordBatch):
            return self.transform_batch(X, inverse=inverse)
        if isinstance(X, pa.Table):
            batches = [self.transform_batch(b, inverse=inverse) for b in X.to_batches()]
            return pa.Table.from_batches(batches, schema=self.output_schema(X.schema))
        if isinstance(X, np.ndarray):
            return self._transform_ndarray(X, inverse)
        if _is_dataframe(X):
            return self._transform_dataframe(X, inverse)
        if isinstance(X, Iterable):
            return (self.transform_batch(b, inverse=inverse) for b in X)
        raise TypeError(f"cannot transform an object of type {type(X).__name__}")

    def inverse_transform(self, X: Any) -> Any:
        """Undo :meth:`transform`: ``x = z * scale_ + mean_``."""
        return self.transform(X, inverse=True)

    def _kernel(self, inverse: bool):
        return apply.inverse_standardize if inverse else apply.standardize

    def _column_params(self) -> Iterator[tuple[str, float, float]]:
        return zip(self.feature_names_in_, self.mean_, self.scale_, strict=True)

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        """The schema of transformed data: fitted columns become float64, others unchanged."""
        for name in self.feature_names_in_:
            i = schema.get_field_index(name)
            if i < 0:
                raise SchemaError(
                    f"the stat file has column {name!r} but the input has no such column"
                )
            schema = schema.set(i, schema.field(i).with_type(pa.float64()))
        return schema

    def transform_batch(self, batch: pa.RecordBatch, *, inverse: bool = False) -> pa.RecordBatch:
        """Transform one record batch (the streaming building block)."""
        schema = self.output_schema(batch.schema)
        kernel = self._kernel(inverse)
        arrays = list(batch.columns)
        for name, mean, scale in self._column_params():
            i = batch.schema.get_field_index(name)
            column = arrays[i]
            values = kernel(
                apply.arrow_to_float64(column), mean, scale, self.with_mean, self.with_std
            )
            arrays[i] = apply.float64_to_arrow(values, column)
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    def _transform_dataframe(self, df: pd.DataFrame, inverse: bool) -> pd.DataFrame:
        kernel = self._kernel(inverse)
        out = df.copy()
        for name, mean, scale in self._column_params():
            if name not in df.columns:
                raise SchemaError(f"the DataFrame has no column {name!r}")
            values = df[name].to_numpy(dtype=np.float64, na_value=np.nan)
            out[name] = kernel(values, mean, scale, self.with_mean, self.with_std)
        return out

    def _transform_ndarray(self, X: np.ndarray, inverse: bool) -> np.ndarray:
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise SchemaError(
                f"expected a 2-d array with {self.n_features_in_} columns, got shape {X.shape}"
            )
        kernel = self._kernel(inverse)
        out = np.empty(X.shape, dtype=np.float64)
        for j, (_, mean, scale) in enumerate(self._column_params()):
            out[:, j] = kernel(X[:, j], mean, scale, self.with_mean, self.with_std)
        return out

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
        self = cls(with_mean=scaler.with_mean, with_std=scaler.with_std)
        count = np.broadcast_to(
            np.asarray(scaler.n_samples_seen_, dtype=np.int64), (n_features,)
        ).copy()
        mean = np.asarray(scaler.mean_, dtype=np.float64).copy()
        var = (
            np.asarray(scaler.var_, dtype=np.float64)
            if scaler.var_ is not None
            else np.full(n_features, np.nan)
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


def _as_batches(X: Any) -> Iterator[Any]:
    if isinstance(X, pa.RecordBatch | pa.Table | np.ndarray) or _is_dataframe(X):
        yield X
    elif isinstance(X, Iterable) and not isinstance(X, str | bytes):
        yield from X
    else:
        raise TypeError(
            f"cannot fit an object of type {type(X).__name__}; to fit a file use normkit.fit_files"
        )
