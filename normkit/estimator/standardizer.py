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
import re
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .. import params
from ..constraints import is_numpy_bool
from ..core.accumulator import WEIGHTS_RULE, Accumulated, Accumulator, zero_weights_error
from ..core.categories import CategoryCounter, CategoryCounts
from ..core.moments import Moments
from ..core.running import CONVENTIONS, DEFAULT_MOMENTUM, EmaOptions, RunningState
from ..core.sketch import Sketch
from ..errors import (
    DataError,
    NormkitError,
    OptionError,
    SchemaError,
    absent_name_hints,
    alike_names,
    caller_level,
    infinite_error,
    infinite_output_error,
    listed,
    param,
)
from ..io.arrow import (
    cast_float64,
    extension_name,
    is_numeric_field,
    is_text_type,
    not_numeric,
    to_float64,
)
from ..io.categories import value_counts
from ..io.csv.columns import leave_out_hint
from ..io.partitions import partition_columns
from ..stats import running_notes, statfile
from ..stats.constant_note import warn_fit_notes
from ..stats.empty import with_empty_passed_through
from ..stats.fitted import FittedStats, PassedThrough, StatsOptions
from ..stats.merging import merged_provenance, refuse_running_import
from ..stats.passthrough import categorical_columns, mark_weight, weight_column_of
from ..stats.scales import check_new_data, check_same_scale
from ..stats.shift import per_column
from ..stats.union import continued_stats
from .apply import (
    ColumnMap,
    affine_map,
    array_names,
    as_arrow,
    feature_count_message,
    map_columns,
    output_schema,
    pandas_index_columns,
    refuse_infinite,
)
from .batch_types import refuse_numbers_passed_through
from .learning import StreamNormalizer
from .numbers import (
    index_label,
    located,
    missing_markers,
    not_a_number,
    refuse_missing_marker,
    refuse_non_numbers,
    row_locator,
)
from .read_once import ReadByFit, read_once_error
from .recorded import (
    alike_records,
    recorded_settings,
    stream_head,
    without_record,
    without_records,
)
from .routing import MetadataConsumer
from .scaler import (
    check_scaler_stats,
    check_scaler_values,
    population_var,
    samples_seen,
    scale_options,
)
from .sparse import dense_blocks, is_sparse, refuse_centering, scaled
from .tables import (
    OUTPUTS,
    as_output,
    column_name,
    is_eager_frame,
    is_lazy_frame,
    is_pandas,
    lazy_batches,
    unnamed_frame,
)
from .text import refuse_numbers_as_text
from .vacant import (
    first_value,
    refuse_in_memory,
    text_of_no_value_as_null,
    vacant_columns,
    value_error,
)

if TYPE_CHECKING:
    from sklearn.preprocessing import StandardScaler

__all__ = ["Standardizer", "names_param"]

#: The running statistics' options as flat constructor parameters (scikit-learn's tools tune and
#: clone simple values): parameter name -> EmaOptions field.
_EMA_PARAMS = {
    "convention": "convention",
    "momentum": "momentum",
    "ema_init": "init",
    "batch_size": "batch_size",
    "drop_last": "drop_last",
    "ema_eps": "eps",
    "ema_of": "of",
}
_EMA_DEFAULTS = {name: getattr(EmaOptions(), field) for name, field in _EMA_PARAMS.items()}

_PARAMS = (
    "columns",
    "exclude",
    "ddof",
    "eps",
    "with_mean",
    "with_std",
    "ema",
    *_EMA_PARAMS,
    "gamma",
    "beta",
    "weight_column",
)
#: The parameters checked by their rules (:mod:`normkit.params`) before a fit.
_CHECKED = (
    *("columns", "exclude", "ddof", "eps", "with_mean", "with_std"),
    *("gamma", "beta", "weight_column"),
)


class Standardizer(MetadataConsumer):
    """Centering and standardization statistics, fitted exactly in streaming batches.

    ``z = (x - mean_) / scale_`` per column, with ``var_ = M2 / (n - ddof)`` and ``scale_ =
    sqrt(var_ + eps)``; missing values (null or NaN) are ignored when fitting and stay missing
    when transforming. With the defaults the statistics and the transform equal scikit-learn's
    ``StandardScaler``, including its rule that a constant column gets scale 1.

    Parameters
    ----------
    columns : sequence of str or None, default None
        The columns to normalize (a list, a pandas ``Index`` or a NumPy array of names); None
        means every numeric column (booleans are not numeric).
    exclude : sequence of str, default ()
        Columns never normalized (they pass through unchanged), such as ids.
    ddof : {0, 1}, default 0
        Delta degrees of freedom: 0 divides M2 by N (scikit-learn), 1 by N - 1.
    eps : float, default 0.0
        Added to the variance before the square root. With ``eps == 0`` a constant column gets
        scale 1 as in scikit-learn; with ``eps > 0`` the scale is always ``sqrt(var + eps)``.
    with_mean, with_std : bool, default True
        Center, and scale to unit variance, as in ``StandardScaler`` (NumPy's booleans too).
    ema : bool, EmaOptions or None, default True
        Also compute BatchNorm running (EMA) statistics in the same pass, with the options
        below (True) or those of an :class:`~normkit.core.running.EmaOptions`; False or None
        skips them. A fit with sample weights has none (BatchNorm has no sample weights).
    convention, momentum, ema_init, batch_size, drop_last, ema_eps, ema_of
        The running statistics' options (:class:`~normkit.core.running.EmaOptions`' fields
        ``convention``, ``momentum``, ``init``, ``batch_size``, ``drop_last``, ``eps``, ``of``),
        with its defaults: PyTorch's convention, momentum 0.1, batches of 256 rows.
    gamma, beta : float or mapping of column name to float, default 1.0 and 0.0
        BatchNorm's affine parameters, stored with the statistics and applied by transforms:
        ``y = gamma * (x - mean) / scale + beta``.
    weight_column : str or None, default None
        A column of the rows' sample weights (``sample_weight`` read from the table; ``x2``
        of an array): not normalized, passed through by transforms, and recorded, so that a
        loaded estimator refits weighted as ``normkit fit --weight-column`` fitted it.
        Weighted statistics have no running (EMA) statistics.

    Attributes
    ----------
    stats_ : FittedStats
        Everything learned, as one value (the attributes below are views of it).
    columns_ : ndarray of str, shape (n_columns,)
        The normalized columns, in input order (``x0, x1, ...`` for an array); the arrays below
        have one value per normalized column.
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        Every column of the input fitted, normalized or passed through, as scikit-learn names
        them; not set when the input had no column names (an array).
    n_features_in_ : int
        Columns of the input fitted (normalized or passed through).
    n_samples_seen_ : int64 or ndarray of int64 (float64 with sample weights), shape (n_columns,)
        Non-missing values per column; with sample weights, the sum of their weights; one
        number where every column has the same (no value missing), as scikit-learn's
        (``stats_.count`` always has one per column).
    n_missing_ : ndarray of int64, shape (n_features,)
    mean_, var_, scale_, min_, max_ : ndarray of float64, shape (n_features,)
        As scikit-learn's: ``var_`` and ``scale_`` are None with ``with_std=False``, and
        ``mean_`` too with ``with_mean=False`` besides (``stats_`` holds them all).
    m2_ : ndarray of float64, shape (n_features,)
        Sum of squared deviations from the mean, kept so that statistics can be merged exactly.
    n_rows_seen_ : int
        Rows seen, missing values included.
    dtypes_ : list of str
        Arrow type of each normalized column in the input that was fitted.
    provenance_ : dict
        Where the statistics came from (sources, rows, bytes; ``created``: when fitted).
    ema_ : RunningState or None
        The running statistics (``ema_.running_mean``, ``ema_.running_var``, counts), or None.
    sketch_ : Sketch or None
        Each column's 5%, ..., 95% quantiles, from a uniform sample of up to 10,000 of its values
        taken in the same pass (the reference of ``normkit drift``).
    categories_ : dict of str to CategoryCounts, or None
        The category frequencies of the text and boolean columns passed through, counted per
        row over the rows of weight above 0 (None for statistics continued by
        :meth:`partial_fit` after a load or a finished fit).
    gamma_, beta_ : ndarray of float64, shape (n_features,)

    Notes
    -----
    After :meth:`partial_fit`, the attributes are the statistics as if the data ended there
    (a final partial batch of the running statistics included); more :meth:`partial_fit` calls
    continue the same stream, also after :meth:`save` and :meth:`load` (the stat file keeps the
    rows of an unfinished batch as its moments, :class:`~normkit.core.running.PendingBatch`).

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
        ema: bool | EmaOptions | None = True,
        convention: str = _EMA_DEFAULTS["convention"],
        momentum: float | str = _EMA_DEFAULTS["momentum"],
        ema_init: str = _EMA_DEFAULTS["ema_init"],
        batch_size: int = _EMA_DEFAULTS["batch_size"],
        drop_last: bool = _EMA_DEFAULTS["drop_last"],
        ema_eps: float | None = _EMA_DEFAULTS["ema_eps"],
        ema_of: str = _EMA_DEFAULTS["ema_of"],
        gamma: float | Mapping[str, float] = 1.0,
        beta: float | Mapping[str, float] = 0.0,
        weight_column: str | None = None,
    ):
        self.columns = columns
        self.exclude = exclude
        self.ddof = ddof
        self.eps = eps
        self.with_mean = with_mean
        self.with_std = with_std
        self.ema = ema
        self.convention = convention
        self.momentum = momentum
        self.ema_init = ema_init
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.ema_eps = ema_eps
        self.ema_of = ema_of
        self.gamma = gamma
        self.beta = beta
        self.weight_column = weight_column

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
        for name in _CHECKED:
            params.check(name, getattr(self, name))
        self.ema_options()

    def _ema(self) -> Any:
        """``ema`` as given, NumPy's booleans as ``bool`` (a grid's ``np.True_``)."""
        return bool(self.ema) if is_numpy_bool(self.ema) else self.ema

    def ema_options(self) -> EmaOptions | None:
        """The running statistics' options (None without them), from ``ema`` and the flat
        parameters; each is checked by its rule (:mod:`normkit.params`).

        Raises
        ------
        OptionError
            If ``ema`` is an EmaOptions and flat options are set too (which would win is not
            clear), or ``ema`` is of another type.
        """
        ema = self._ema()
        if ema is None or ema is False:
            return None
        if isinstance(ema, EmaOptions):
            given = [n for n, d in _EMA_DEFAULTS.items() if getattr(self, n) != d]
            if given:
                raise OptionError(
                    f"{', '.join(given)} given beside {param('ema')}=EmaOptions(...)",
                    param="ema",
                    hints=("give the running statistics' options one way: ema=True with them",),
                )
            return ema
        if ema is not True:
            kind = type(ema)
            kind = (
                kind.__name__
                if kind.__module__ == "builtins"
                else f"{kind.__module__}.{kind.__name__}"
            )
            raise OptionError(
                f"{param('ema')} must be True, False, None or an EmaOptions, not {kind}",
                param="ema",
            )
        return EmaOptions(**{field: getattr(self, n) for n, field in _EMA_PARAMS.items()})

    def stats_options(self) -> StatsOptions:
        """The options that shape the statistics (ddof, eps, with_mean, with_std)."""
        self.validate_params()
        return StatsOptions(self.ddof, self.eps, self.with_mean, self.with_std)

    def select_columns(
        self, schema: pa.Schema, *, typed: bool = True, source: str = "", open_empty: bool = False
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
        open_empty : bool, default False
            Choose by type the columns of type null too (no value yet, as a CSV's column empty
            in its first block): the first of a stream of batches, whose later ones may hold
            their numbers.
        """
        where = f"{source}: " if source else ""
        names = schema.names
        columns, exclude = names_param(self.columns), names_param(self.exclude, "exclude") or []
        present = set(names)
        for name_of_param, chosen in (("exclude", exclude), ("columns", columns or ())):
            unknown = [name for name in chosen if name not in present]
            if unknown:
                message = (
                    f"{where}no {listed(unknown)} in the input (given in {param(name_of_param)})"
                )
                hints = absent_name_hints(unknown, names, given=True)
                ways: tuple[str, ...] = ()
                if name_of_param == "exclude" and not source:  # in memory (files have a name)
                    ways = _absent_excluded_hints(unknown, exclude, names)
                if ways:  # each hint a way out: the columns X has are told by the message
                    message += f": X has {listed(names)}" if names else ": X has no column"
                    hints = ways
                raise SchemaError(message, param=name_of_param, hints=hints)
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
                field = schema.field(name)
                # A CSV's text may hold numbers later on; its booleans (True/False), dates and
                # times never do.
                refused = not (
                    is_numeric_field(field)
                    or pa.types.is_null(field.type)
                    or (not typed and is_text_type(str(field.type)))
                )
                if refused:
                    raise SchemaError(
                        f"{where}column {name!r} {not_numeric(field)}",
                        hints=(leave_out_hint(),),
                    )
        else:
            # In a CSV, a column with no value in its first block has the type null: it may hold
            # numbers later, so it is normalized rather than silently left out (a column of
            # text then stops the fit with the row and a hint to exclude it).
            index = _index_columns(schema) if not typed else pandas_index_columns(schema)
            index |= partition_columns(schema)  # a file's hive keys: no feature either
            selected = [
                n
                for n in names
                if n not in excluded
                and n not in index
                and (
                    is_numeric_field(schema.field(n))
                    or ((open_empty or not typed) and pa.types.is_null(schema.field(n).type))
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
        excluded = set(names_param(self.exclude, "exclude") or [])
        columns = names_param(self.columns)
        index = pandas_index_columns(schema)
        rows = _index_columns(schema) - index  # once: it reads every name
        keys = partition_columns(schema)
        out = []
        for field in schema:
            if field.name in chosen:
                continue
            dtype = field.type
            if field.name in excluded:
                why = "excluded"
            elif columns is not None:
                why = "not chosen"
            elif field.name in keys:
                why = "partition key"
            elif field.name in index:
                why = "pandas index"
            elif field.name in rows:
                why = "row index"
            elif extension_name(field) is not None:
                why = f"extension {extension_name(field)}"
            elif pa.types.is_boolean(dtype):
                why = "boolean"
            elif is_text_type(str(dtype)):  # also a dictionary of strings (pandas' category)
                why = "text"
            elif pa.types.is_null(dtype):
                why = "no values"
            else:
                why = f"type {dtype}"
            out.append(PassedThrough(field.name, str(dtype), why))
        return out

    def _may_fit(self, name: str) -> bool:
        """Whether the column ``name`` of a batch may be fitted, and so is read as numbers:
        one of the columns accumulated (or of the statistics continued), else one that the
        parameters do not leave out (``exclude``, ``columns``); the weight column too. A column
        left out is never read as numbers (:func:`~.tables.table_to_arrow`)."""
        if name == self.weight_column:
            return True
        started = self.__dict__.get("_accumulator") is not None
        fitted = self.__dict__.get("_fitted")
        if started or fitted is not None:
            return name in (self._names if started else fitted.names)
        columns = names_param(self.columns)
        excluded = names_param(self.exclude, "exclude") or ()
        return name not in excluded and (columns is None or name in columns)

    # -- fitting ---------------------------------------------------------------------------

    def _reset(self) -> None:
        for name in list(vars(self)):
            if name.endswith("_") and not name.startswith("_"):
                delattr(self, name)
        self._accumulator: Accumulator | None = None
        self._fitted: FittedStats | None = None
        self._snapshot: FittedStats | None = None
        self._categories: CategoryCounter | None = None
        self._continued: FittedStats | None = None  # the statistics a pass continues
        self._added: Accumulator | None = None  # the rows added to them, apart
        self._uncounted: set[str] = set()  # columns counted, absent from a batch continuing
        self._named_fit = False  # fitted in memory on a table with column names
        self._unordered = False  # loaded without the order of the fit's input columns
        self._batch_columns: frozenset[str] | None = None  # those of the first table fitted
        self._names: list[str] = []  # the columns accumulated (columns_ and the open ones)
        self._open: set[str] = set()  # chosen by type as null, no value fitted yet
        self._read_by_fit = ReadByFit()  # the one-shot stream fit read, refused to transform

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> Standardizer:
        """Reset, then fit on ``X``, which ends the data: a final partial batch of the running
        statistics is closed as a batch of its own, so that a :meth:`partial_fit` after it
        starts a new one (after :meth:`partial_fit`, the next goes on with the unfinished one).

        Parameters
        ----------
        X : table, 2-d array, lazy frame, or an iterable of tables
            A pyarrow record batch or Table; a pandas, polars (or other narwhals-supported)
            DataFrame; a 2-d array-like (validated as scikit-learn does; columns named ``x0,
            x1, ...``); a lazy frame (a polars LazyFrame is collected in streaming batches); or
            a stream of batches, fitted batch by batch in bounded memory.
        y : ignored
            There for scikit-learn's pipelines, which pass the target to every step.
        sample_weight : array-like of shape (n_rows,) or None
            Frequency weights of the rows (a row of weight 2 counts as two), as
            ``StandardScaler.fit``'s; not with a stream (give each batch's to
            :meth:`partial_fit`). Weighted statistics have no running (EMA) statistics.
        """
        self._reset()
        if sample_weight is not None and (_is_stream(X) or is_lazy_frame(X)):
            raise OptionError(
                "sample_weight cannot be given for a stream of batches or a lazy frame",
                param="sample_weight",
                hints=("give each batch's weights to partial_fit(batch, sample_weight=w)",),
            )
        if sample_weight is not None and not np.any(np.asarray(sample_weight) != 0):
            if _is_table(X) or _is_array(X):  # their shape first, as scikit-learn checks it
                _weights(sample_weight, len(X))
            raise _zero_sample_weights()
        for batch in _as_batches(X):
            self._fit_batch(batch, sample_weight)
        self._refuse_no_row_weighted(sample_weight)  # every batch's weights 0
        if _read_once(X):  # used up: a transform would get no rows
            self._read_by_fit = ReadByFit(X)
        if self.__dict__.get("_accumulator") is None:
            raise DataError("no data to fit")
        in_memory = (_is_table(X) or _is_array(X)) and not is_sparse(X)
        if in_memory and self.weight_column is not None:  # as scikit-learn would be given them
            X, _ = _by_position(X)
            table = as_arrow(_checked_array(X, self) if _is_array(X) else X, 0, self._may_fit)
            sample_weight = to_float64(table.column(self.weight_column))
            if not np.any(sample_weight != 0):
                raise zero_weights_error(self.weight_column)
        self.finish()
        if in_memory:
            self._fitted = _standard_scalers_bits(self._fitted, self._values(X), sample_weight)
        elif is_sparse(X) and self.weight_column is None:  # as StandardScaler sums them
            place = self._places(X)
            values = X if place is None else X.tocsc()[:, place]
            self._fitted = _standard_scalers_bits(self._fitted, values, sample_weight)
        return self

    def _values(self, X: Any) -> np.ndarray:
        """The fitted columns of an in-memory table or array, as a 2-d float64 array (an
        array of float64 as it is, not copied)."""
        X, _ = _by_position(X)
        if _is_array(X):
            values = np.asarray(_checked_array(X, self), dtype=np.float64)
            place = self._places(values)
            return values if place is None else values[:, place]
        if is_pandas(X):
            # As scikit-learn converts the frame of these columns: its memory layout (which
            # pandas decides) sets the order of the sums, and so their last bits.
            names = [column_name(c) for c in X.columns]
            first: dict[str, int] = {}  # each name's first place, as list.index finds it
            for i, name in enumerate(names):
                first.setdefault(name, i)
            try:
                at = [first[name] for name in self.columns_]
                picked = X if at == list(range(len(names))) else X.iloc[:, at]
                return np.asarray(_checked_array(picked, self), dtype=np.float64)
            except (KeyError, TypeError, ValueError):  # a type scikit-learn does not convert
                pass
        if type(X).__module__.split(".")[0] == "polars":  # converted column by column, too
            try:
                return np.asarray(_checked_array(X.select(self.columns_), self), np.float64)
            except (TypeError, ValueError):
                pass
        table = as_arrow(X, 0, self._may_fit)
        return np.column_stack([to_float64(table.column(name)) for name in self.columns_])

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> Standardizer:
        """Update the statistics with one more batch of rows (Chan et al.'s exact merge; the
        running statistics over logical batches, a partial one carried to the next call).
        ``y`` is ignored; ``sample_weight`` as in :meth:`fit`. The batches have the columns of
        the first (in any order; a new or a missing one is refused; one of no value in the first,
        of type null, is fitted on the values of the later ones); an array after tables, or
        a table after arrays, is taken by position, as :meth:`transform` takes it; a lazy frame
        is collected in streaming batches.

        A value refused is named by its row in ``X``; after rows fitted before it (earlier
        batches, or the statistics loaded), the message starts with their number: ``this
        batch, after 100 rows fitted: column 'a' at row 6: ...``."""
        fresh = (self.__dict__.get("_accumulator") or self.__dict__.get("_fitted")) is None
        self._fit_batch(X, sample_weight)
        if fresh:
            # Nothing to describe (every mean NaN), as scikit-learn refuses; a later batch of
            # weights 0 adds nothing, and a stream may hold one: it is taken.
            self._refuse_no_row_weighted(sample_weight)
        return self

    def _fit_batch(self, X: Any, sample_weight: Any) -> None:
        """:meth:`partial_fit`'s batch, fitted (:meth:`fit`'s, one after the other)."""
        self.validate_params()
        earlier = self.__dict__.get("_accumulator") or self.__dict__.get("_fitted")
        before = earlier.n_rows if earlier is not None else 0
        try:
            self._partial_fit(X, sample_weight, before)
        except DataError as exc:
            raise _after_rows_fitted(exc, before) from None

    def _refuse_no_row_weighted(self, sample_weight: Any) -> None:
        """Refuse (and forget) rows fitted, weighted, that all have weight 0 (none counted)."""
        accumulator = self.__dict__.get("_accumulator")
        if accumulator is None or not accumulator.weighted or not accumulator.n_rows:
            return  # (no rows: nothing weighed)
        moments = accumulator.moments
        if moments.n_columns == 0 or np.any(moments.count + moments.n_missing):
            return
        self._reset()
        if sample_weight is not None:
            raise _zero_sample_weights()
        raise zero_weights_error(str(self.weight_column))

    def _partial_fit(self, X: Any, sample_weight: Any, before: int) -> None:
        """Fit ``X``, one batch or a part of one (a block of a sparse matrix, a batch of a lazy
        frame) that follows the batch's rows fitted since ``before`` rows: messages count the
        rows of the batch."""
        if is_lazy_frame(X):  # collected in streaming batches, as fit collects it
            if sample_weight is not None:
                raise OptionError(
                    "sample_weight cannot be given for a lazy frame",
                    param="sample_weight",
                    hints=("give each batch's weights to partial_fit(batch, sample_weight=w)",),
                )
            for batch in _as_batches(X):
                self._partial_fit(batch, None, before)
            return
        if is_sparse(X):  # in blocks of rows made dense, as StandardScaler(with_mean=False)
            if self.with_mean:
                refuse_centering()
            weights = None if sample_weight is None else _weights(sample_weight, X.shape[0])
            for block, block_weights in dense_blocks(X, weights):
                self._partial_fit(block, block_weights, before)
            return
        X, named = _by_position(X)
        # The rows of earlier batches (of this pass, or of the statistics it continues).
        earlier = self.__dict__.get("_accumulator") or self.__dict__.get("_fitted")
        if earlier is not None:
            _refuse_changed_params(self)  # continuing: by the parameters of the statistics
        done = (earlier.n_rows if earlier is not None else 0) - before  # of this batch
        if _is_array(X):
            X = _checked_array(X, self)
        # An array of numbers holds no text, dates nor booleans: its columns, of one numeric
        # type, need no look each (50,000 of them took 0.4 s).
        numbers = isinstance(X, np.ndarray) and X.dtype.kind in "fiu"
        try:
            table = as_arrow(X, done, self._may_fit)
        except DataError as exc:  # a word in the weight column: told as a weight
            if self.weight_column is None:
                raise
            raise _weight_word(self.weight_column, exc) from None
        rows = X.index if is_pandas(X) else None  # a value refused is named by its label too
        fitted = getattr(self, "feature_names_in_", None)
        started = self.__dict__.get("_accumulator") is not None  # a pass under way
        # Not continuing statistics fitted so far (loaded, merged, or a fit finished).
        fresh = not started and self.__dict__.get("_fitted") is None
        if fresh and self.columns is None and not numbers:
            table = text_of_no_value_as_null(table)
        if not started:
            try:
                self._begin(table.schema, named)
            except SchemaError:
                if fresh:  # no numeric column, or one chosen is text: because of a word?
                    present = set(table.schema.names)
                    chosen = [n for n in names_param(self.columns) or () if n in present]
                    text = _text_columns(self.passed_through(table.schema, []))
                    refuse_numbers_as_text(table, text, chosen, rows, done)
                raise
            # The batches' columns, to check later ones by (not those a loaded fit had).
            self._batch_columns = frozenset(table.schema.names) if fresh and named else None
        if fresh:
            refuse_numbers_as_text(table, _text_columns(self._passthrough), (), rows, done)
        elif (not named or fitted is None) and table.num_columns != self.n_features_in_:
            raise SchemaError(feature_count_message(table.num_columns, self.n_features_in_))
        elif named != (fitted is not None):
            # Batches of arrays and of tables mixed: taken by position, as transform takes
            # them, with scikit-learn's warnings (an array after a table fitted in memory, not
            # after a stat file, as transform warns).
            own = self._own_order(table.schema.names) if named else None
            if own is not None:  # the names of this estimator's outputs: taken by name
                table = table.select(own)
            elif named or self.__dict__.get("_named_fit"):
                _warn_feature_names(named)
            table = table.rename_columns(self._names_by_position())
        elif named:
            # A column the first batch did not have (or the statistics continued: fitted,
            # loaded) would be left out of the statistics, and passed through raw by
            # transform: refused, as scikit-learn refuses it.
            known = set(fitted)
            new = [name for name in table.schema.names if name not in known]
            given = set(table.schema.names)
            first = self.__dict__.get("_batch_columns") or ()
            gone = [name for name in fitted if name in first and name not in given]
            if gone and not new:
                # Passed through or not, its column of the statistics (the categories a drift
                # check compares with) would describe only some of the rows: refused too.
                raise SchemaError(
                    f"no column {gone[0]!r} in this batch, which the batches fitted so far had: "
                    "partial_fit takes batches of the same columns"
                )
            if new:
                shown = ", ".join(map(str, fitted[:5])) + (
                    f", ... ({len(fitted):,} in all)" if len(fitted) > 5 else ""
                )
                raise SchemaError(
                    f"column {new[0]!r} was not in the batches fitted so far ({shown}): "
                    "partial_fit takes batches of the same columns; fit a new estimator on data "
                    "with every column from the first batch"
                )
            try:
                refuse_numbers_passed_through(table.schema, self._passthrough)
            except SchemaError as exc:  # of this batch's rows, told as a value refused is
                raise _after_rows_fitted(exc, before) from None
        index = {name: i for i, name in enumerate(table.schema.names)}
        for name in self._names:
            if name not in index:
                raise SchemaError(f"no column {name!r} in this batch")
        if not numbers:  # a text value in a later batch (a pandas chunk of object dtype)
            refuse_non_numbers(table, self._names, done, rows, fitting=True)
        if self._continued is not None:
            # Statistics continued have no place for the values of a column they passed through
            # for having none (loaded, or a fit finished): left out, they would be lost.
            found = first_value(table, vacant_columns(self._continued))
            if found is not None:
                row, name, text = found
                where = f"column {name!r} at row {done + row + 1:,}"
                raise value_error(where, text, None)
        columns = [to_float64(table.column(index[name])) for name in self._names]
        markers = missing_markers(self._read)
        for name, values in zip(self._names, columns, strict=True):
            refuse_missing_marker(values, name, markers, done)
        weights = self._row_weights(table, sample_weight, done)
        if weights is not None:
            self._refuse_running_with_weights()
        self._accumulator.count_rows_from(before)
        locate = row_locator(rows, done) if rows is not None else None
        self._accumulator.update(columns, weights=weights, locate=locate)
        if self._added is not None:
            self._added.update(columns, weights=weights)
        if self._open:
            self._settle_open(table.schema)
        counter = self.__dict__.get("_categories")
        # Categories are counted per row, over the rows of weight above 0 (as a fit of files).
        kept = None if weights is None or (weights > 0).all() else pa.array(weights > 0)
        # The words the fit's files' text was read with as missing count as missing, as there.
        missing = ("", *self._read.text_null_values) if self._read is not None else ()
        for name in counter.names if counter is not None else ():
            if name in self._uncounted:
                continue
            if name not in index and self._continued is not None:
                # Statistics continued take batches of their fitted columns alone: the counts
                # of a column passed through would no longer describe all the rows.
                self._uncounted.add(name)
                continue
            if name not in index:
                raise SchemaError(f"no column {name!r} in this batch")
            column = table.column(index[name])
            values = column if kept is None else column.filter(kept)
            counter.update(name, *value_counts(values, counter.cap, missing_text=missing))
        self._snapshot = None

    def _without_weights(self, schema: pa.Schema, names: list[str]) -> list[str]:
        """The columns to normalize, ``names``, without :attr:`weight_column`, which the
        batches must have, as numbers, and ``columns`` must not name."""
        weights = self.weight_column
        if weights is None:
            return names
        if weights not in schema.names:
            raise SchemaError(
                f"no column {weights!r} (weight_column) in the data",
                param="weight_column",
                hints=alike_names([weights], schema.names, given=True),
            )
        if self.columns is not None and weights in names:
            raise OptionError(
                f"column {weights!r} both chosen (columns) and the weight column (weight_column):"
                " the weights are not normalized",
                param="weight_column",
                hints=("give it to one of them",),
            )
        return [name for name in names if name != weights]

    def _row_weights(self, table: pa.Table | pa.RecordBatch, sample_weight: Any, done: int) -> Any:
        """The rows' weights: ``sample_weight``, or the values of :attr:`weight_column` (float64;
        the accumulator checks them, naming the row); None: unweighted. ``done``: the rows of
        the batch before ``table``."""
        if self.weight_column is None:
            return None if sample_weight is None else _weights(sample_weight, table.num_rows)
        if sample_weight is not None:
            raise OptionError(
                f"sample_weight given, and a weight column ({self.weight_column!r}): the weights "
                "would be given twice",
                param="sample_weight",
                hints=("give one of them",),
            )
        if self.weight_column not in table.schema.names:
            raise SchemaError(
                f"no column {self.weight_column!r} (weight_column) in this batch",
                param="weight_column",
            )
        try:
            refuse_non_numbers(table, [self.weight_column], done)
        except DataError as exc:  # a word among the weights: no missing value, no exclusion
            raise _weight_word(self.weight_column, exc) from None
        column = table.column(self.weight_column)
        if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            texts = [b"nan" if v is None else v for v in column.to_pylist()]  # missing: later
            word = _first_word([v.decode("utf-8", "replace") for v in texts])
            if word is not None:  # bytes: told as a word of text is
                row = done + word[0] + 1
                raise DataError(
                    f"weight column {self.weight_column!r} at row {row:,}: {word[1]!r} is not "
                    f"a number; {WEIGHTS_RULE}"
                )
        return to_float64(column)

    def _names_by_position(self) -> list[str]:
        """The names of the input columns fitted, in their order, for a batch of them taken by
        position (an array after tables, a table after arrays)."""
        fitted = self.__dict__.get("feature_names_in_")
        if fitted is None:
            return array_names(self.n_features_in_)
        if self.__dict__.get("_unordered"):
            raise _order_unknown(self.n_features_in_)
        return list(fitted)

    def refuse_running_with_weights(self, started: bool = False) -> None:
        """Refuse sample weights where running (EMA) statistics were asked for: BatchNorm has no
        sample weights, so a weighted fit has none. Only ``ema=True`` with every running option
        at its default (or an ``EmaOptions()`` of defaults) lets them go without a word, since
        scikit-learn's tools pass weights to a default estimator. ``started``: running
        statistics already computed over earlier batches without weights.

        Raises
        ------
        OptionError
            Naming the options given.
        """
        ema = self._ema()
        if ema is None or ema is False:
            return
        given = [n for n, d in _EMA_DEFAULTS.items() if getattr(self, n) != d]
        if isinstance(self.ema, EmaOptions) and self.ema != EmaOptions():
            given.append(f"ema={self.ema!r}")
        if started:
            given = ["earlier batches without sample_weight", *given]
        if given:
            raise OptionError(
                f"sample weights with running (EMA) statistics ({', '.join(given)}): "
                "BatchNorm's running statistics have no sample weights, so a weighted fit has "
                "none",
                param="sample_weight",
                hints=("fit without sample weights for running statistics, or with ema=False",),
            )

    def _refuse_running_with_weights(self) -> None:
        accumulator = self._accumulator
        started = not accumulator.weighted and accumulator.options is not None
        self.refuse_running_with_weights(started and accumulator.n_rows > 0)

    def _begin(self, schema: pa.Schema, named: bool = True) -> None:
        """Open a pass: a new one, or one continuing the statistics fitted so far."""
        previous = self.__dict__.get("_fitted")
        if previous is None:
            self._reset()
            self._fit_params = self.get_params()
            names = self._without_weights(schema, self.select_columns(schema, open_empty=True))
            self._names = names
            # A column of no value in the first batch (pandas' None, polars' Null) may have its
            # numbers in later ones: fitted on those, or passed through if none comes.
            self._open = (
                {n for n in names if pa.types.is_null(schema.field(n).type)}
                if self.columns is None
                else set()
            )
            self.columns_ = np.array([n for n in names if n not in self._open], dtype=object)
            if named:
                self.feature_names_in_ = np.array(schema.names, dtype=object)
                self._named_fit = True
            self._unnamed = not named  # x0, x1, ...: recorded, to match by position
            self.n_features_in_ = len(schema.names)
            self._dtypes = [str(schema.field(n).type) for n in names]
            self._gamma = per_column(self.gamma, names, "gamma", 1.0)
            self._beta = per_column(self.beta, names, "beta", 0.0)
            self._provenance: dict = {}
            self._read = None
            self._inputs = list(schema.names)
            self._passthrough = mark_weight(self.passed_through(schema, names), self.weight_column)
            # The text and boolean columns passed through keep their category counts (drift's
            # reference for them), as a fit of files does.
            self._categories = CategoryCounter(categorical_columns(schema, self._passthrough))
            self._accumulator = Accumulator(
                names, running=self.ema_options(), in_memory=True, weight_name=self.weight_column
            )
            return
        # Continuing (loaded, merged or finished statistics): their moments and running state
        # go on, and how their files were read still holds. The rows added are also
        # accumulated apart: their sketch and category counts join the statistics' as those of
        # a shard would (see continued_stats).
        self._dtypes = list(previous.dtypes)
        self._names = list(previous.names)
        self._open = set()  # a column they passed through for having no value stays so
        self._gamma, self._beta = previous.gamma, previous.beta
        self._provenance = dict(previous.provenance)
        self._read = previous.read
        self._inputs = previous.inputs
        self._unnamed = previous.unnamed
        self._passthrough = previous.passthrough
        counted = previous.categories
        self._categories = None if counted is None else CategoryCounter(list(counted))
        running = previous.running.options if previous.running is not None else None
        start = Accumulated(previous.moments, previous.n_rows, previous.running, None, None)
        self._accumulator = Accumulator(
            previous.names,
            running=running,
            start=start,
            in_memory=True,
            weight_name=self.weight_column,
        )
        self._continued = previous
        self._added = Accumulator(previous.names, weighted=previous.weighted, in_memory=True)
        self._fitted = None

    def _stats_of(self, result: Accumulated) -> FittedStats:
        def of(result: Accumulated) -> FittedStats:
            stats = FittedStats.from_pass(
                self._names,
                self._dtypes,
                result,
                self.stats_options(),
                self._gamma,
                self._beta,
                self._provenance,
                read=self._read,
                passthrough=self._passthrough,
                categories=self._counted(),
                inputs=self._inputs,
                unnamed=self._unnamed,
            )
            return with_empty_passed_through(stats, self._inputs, self._open)

        if self._continued is None:  # when, as a fit of files records it
            stats = of(result)
            return stats.with_provenance({**stats.provenance, "created": statfile.now()})
        added = of(self._added.result())
        return continued_stats(self._continued, of(result), added, statfile.now())

    def _settle_open(self, schema: pa.Schema) -> None:
        """The columns open for values (of type null in the first batch) that this batch gave
        values to: fitted from now on, with this batch's type."""
        count = dict(zip(self._names, self._accumulator.moments.count, strict=True))
        settled = {name for name in self._open if count[name] > 0}
        if not settled:
            return
        for i, name in enumerate(self._names):
            if name in settled:
                self._dtypes[i] = str(schema.field(name).type)
        self._open -= settled
        self.columns_ = np.array([n for n in self._names if n not in self._open], dtype=object)

    def _counted(self) -> dict[str, CategoryCounts] | None:
        if self._categories is None:
            return None
        counted = self._categories.result()
        return {n: c for n, c in counted.items() if n not in self._uncounted}

    def finish(self) -> Standardizer:
        """End of the data: a final partial logical batch updates the running statistics (if it
        has at least 2 rows and ``drop_last`` is off). :meth:`fit` calls it; after
        :meth:`partial_fit` the attributes already include it, and calling it is optional."""
        accumulator = self.__dict__.get("_accumulator")
        if accumulator is None:
            self._check_is_fitted()
            return self
        stats = self._stats_of(accumulator.finish())
        _check_applicable(stats)
        warn_fit_notes(stats)
        self._fitted = stats
        self._accumulator = None
        self._continued = self._added = None
        self._snapshot = None
        return self

    def _applied_stats(self) -> FittedStats:
        """The statistics, checked as :meth:`fit` checks them: after :meth:`partial_fit` of no
        rows, or of a column without values, they cannot be applied (its values would come out
        NaN) nor saved."""
        stats = self.stats_
        if self.__dict__.get("_accumulator") is not None:  # else checked by finish
            _check_applicable(stats)
        _refuse_params_set_since(self, stats)
        return stats

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
        statistics were fitted with).

        Raises
        ------
        TypeError
            If ``stats`` is not a :class:`~normkit.stats.fitted.FittedStats`.
        """
        params.check_type(
            "stats",
            stats,
            FittedStats,
            "a normkit.FittedStats (a fitted Standardizer's stats_; a stat file is loaded by "
            "normkit.load(path))",
        )
        options = stats.options
        defaults = {
            "ddof": options.ddof,
            "eps": options.eps,
            "with_mean": options.with_mean,
            "with_std": options.with_std,
            "gamma": _affine_param(stats.names, stats.gamma, 1.0),
            "beta": _affine_param(stats.names, stats.beta, 0.0),
            "weight_column": weight_column_of(stats.passthrough),
            **_chosen_params(stats),
        }
        if "ema" not in kwargs:  # else the caller's options, given one way
            defaults.update(_running_params(stats.running, stats.weighted))
        self = cls(**{**defaults, **kwargs})
        self._reset()
        self.columns_ = np.array(stats.names, dtype=object)
        # The order of the fit's input, where the statistics know it; else the normalized
        # columns, then those passed through (tables are matched by name; an array of all the
        # columns is refused: its order is not known).
        inputs = stats.input_order()
        self._unordered = inputs is None and bool(stats.passthrough)
        if inputs is None:
            inputs = (*stats.names, *(p.name for p in stats.passthrough or ()))
        self.feature_names_in_ = np.array(inputs, dtype=object)
        self.n_features_in_ = len(inputs)
        if stats.unnamed:  # as fitted: on an array, its columns taken by position
            del self.feature_names_in_
        self._fitted = stats
        self._fit_params = self.get_params()
        return self

    def _check_is_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise _not_fitted()

    def __sklearn_is_fitted__(self) -> bool:
        return "columns_" in self.__dict__

    def merge(self, other: Standardizer) -> Standardizer:
        """Statistics of the union of the rows both were fitted on (exact in exact arithmetic;
        commutative to the last bit).

        Raises
        ------
        OptionError
            If both are of the same data, as ``normkit merge-stats`` tells it (fitted on one
            file, or of the same statistics to rounding), or the same estimator is given
            twice: its rows would count twice.
        """
        if not isinstance(other, Standardizer):
            raise TypeError(
                f"merge takes another Standardizer, not {type(other).__name__} (statistics of a "
                "stat file: normkit.load(path))"
            )
        mine, theirs = self.stats_, other.stats_
        refuse_running_import("this Standardizer", mine)
        refuse_running_import("the Standardizer given to merge", theirs)
        check_same_scale(mine.provenance, theirs.provenance)
        check_new_data({"this Standardizer": mine}, "the Standardizer given to merge", theirs, mine)
        # Their sources kept: a later merge with a fit of one of those files is refused too.
        merged = mine.merge(theirs).with_provenance(
            merged_provenance([mine.provenance, theirs.provenance])
        )
        warn_fit_notes(merged)
        return Standardizer.from_stats(merged, **self.get_params())

    # -- what was learned ------------------------------------------------------------------

    @property
    def n_samples_seen_(self) -> np.ndarray | np.number:
        stats = self.stats_
        return samples_seen(stats.weight if stats.weighted else stats.count)

    @property
    def n_missing_(self) -> np.ndarray:
        return self.stats_.n_missing

    @property
    def mean_(self) -> np.ndarray | None:
        options = self.stats_.options
        return self.stats_.mean if options.with_mean or options.with_std else None

    @property
    def var_(self) -> np.ndarray | None:
        return self.stats_.var if self.stats_.options.with_std else None

    @property
    def scale_(self) -> np.ndarray | None:
        return self.stats_.scale if self.stats_.options.with_std else None

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
        copy: bool | None = None,
        renormalize: bool = False,
    ) -> Any:
        """Normalize the fitted columns of ``X`` with the saved statistics (BatchNorm's eval mode);
        other columns pass through unchanged.

        ``y = gamma * (x - mean) / scale + beta`` with ``use="exact"``: ``mean_`` and ``scale_``
        (scikit-learn's transform when gamma is 1 and beta 0), or ``use="ema"``: the running
        statistics in :attr:`ema_`, ``mean = ema_.running_mean`` and ``scale =
        sqrt(ema_.running_var + eps)``, with the running statistics' eps (``ema_eps``, by
        default the convention's: 1e-5 for PyTorch's, 1e-3 for Keras').

        Parameters
        ----------
        X : pyarrow.RecordBatch or Table, a pandas, polars (or other narwhals-supported)
            DataFrame, a 2-d array-like, or an iterable of record batches (a stream, returned
            as a generator). A lazy frame is refused: collect it first.
        use : {"exact", "ema"} or None, default None
            Which statistics; None means exact.
        gamma, beta : float, mapping of column name to float, or None
            BatchNorm's affine parameters; None keeps those fitted (default 1 and 0).
        inverse : bool, default False
            Apply the inverse transform ``x = (y - beta) / gamma * scale + mean`` instead.
        copy : bool or None
            Taken as scikit-learn's ``transform(X, copy=...)`` takes it; ``X`` is never changed
            in place (a new object is always returned), whatever it says.
        renormalize : bool, default False
            Normalize an Arrow table (or record batch) whose record says that normkit already
            normalized it (``normkit.transform`` in its schema metadata: a Parquet or Arrow
            output of ``normkit transform`` read back), which is otherwise refused, as
            :func:`normkit.transform_file` refuses its file. Such a table's inverse undoes what
            its record says (the statistics used, gamma and beta, as ``normkit inverse`` does),
            and refuses statistics, ``use``, ``gamma`` or ``beta`` that contradict it; the
            output keeps no record of it.

        Returns
        -------
        The same kind of object as ``X``; fitted columns become float64.

        Raises
        ------
        DataError
            If a fitted column holds an infinite value (as scikit-learn refuses them), or a
            value that gamma, beta or a tiny scale take beyond float64's range, naming its row
            (and pandas index label); in a later batch of a stream, its row in that batch after
            the rows before it, as :meth:`fit` names it (``this batch, after 100 rows
            transformed: column 'a' at row 6 (index 105)``).
        InputError, OptionError
            If an Arrow table's record of how it was made says that it is already normalized
            (and ``renormalize`` is not given), or contradicts an inverse (see ``renormalize``).
        TypeError
            If ``X`` is the stream that can be read only once (an iterator, a generator, a
            ``pyarrow.RecordBatchReader``) which :meth:`fit` read: it has no rows left.
        """
        if "_read_by_fit" in self.__dict__:
            self._read_by_fit.refuse(X, "inverse_transform" if inverse else "transform")
        if is_sparse(X):
            return self._transform_sparse(X, use, gamma, beta, inverse)
        stats = self._applied_stats()
        given = X
        if _is_stream(X):  # its first table tells whether the stream keeps a record
            given, X = stream_head(X)
            X = alike_records(X, given)
        use, gamma, beta = recorded_settings(given, stats, use, gamma, beta, inverse, renormalize)
        affine = stats.frozen(use, gamma, beta)
        if use == "ema":  # as the CLI's transform --use ema and the exports note it
            running_notes.warn(running_notes.far_note(self.stats_))
        names = list(self.columns_)
        index = X.index if is_pandas(X) else None  # kept by a pandas output
        labels = X.columns if unnamed_frame(X) else None  # given back to a frame returned
        X = self._transform_input(X)
        # A value where the fit found none would pass through raw: refused.
        X = refuse_in_memory(X, vacant_columns(self.stats_))
        whole, place = None, None
        out_names = list(self.get_feature_names_out())
        if isinstance(X, np.ndarray):
            whole, place = X, self._places(X)
            X = X if place is None else X[:, place]
            if place is None and X.ndim == 2 and X.shape[1] != len(out_names):
                out_names = names  # the fitted columns alone
        markers = missing_markers(None if inverse else self.stats_.read)
        mapped = affine_map(affine, inverse)
        if _is_stream(X):
            out = _mapped_stream(
                X, names, mapped, markers, "inverted" if inverse else "transformed"
            )
        else:
            checked = _finite_inputs(mapped, names, markers, index, inverse)
            out = map_columns(X, names, checked)
        if place is not None:  # the columns passed through stay, in their places
            whole = np.array(whole, dtype=np.float64)
            whole[:, place] = out
            out = whole
        if _is_stream(X):
            return without_records(out, given, inverse)
        out = without_record(out, given, inverse)
        how = self._output_config()
        if labels is not None and how == "default" and is_pandas(out):
            out = out.set_axis(labels, axis=1)
        return as_output(out, how, out_names, index)

    def _transform_sparse(
        self, X: Any, use: str | None, gamma: Any, beta: Any, inverse: bool
    ) -> Any:
        """:meth:`transform` of a scipy sparse matrix: scaled, not centered, a CSR matrix out
        (see :mod:`.sparse`)."""
        self._check_is_fitted()
        if self._output_config() != "default":
            raise OptionError(
                f"{self._output_config()} output does not support sparse data",
                param="transform",
                hints=('set_output(transform="default")',),
            )
        if self.__dict__.get("_named_fit"):
            _warn_feature_names(named=False)
        affine = self._applied_stats().frozen(use, gamma, beta)
        width = X.shape[1]
        self._check_width(width)
        every = width == self.n_features_in_
        names = self.get_feature_names_out() if every else self.columns_
        return scaled(X, affine, self._places(X), list(names), inverse)

    def _transform_input(self, X: Any) -> Any:
        """``X`` as :func:`map_columns` takes it: tables and streams as they are, array-likes
        validated; a table given to statistics fitted on an array is taken by position, and an
        array given to statistics fitted on a table, with scikit-learn's warnings."""
        self._check_is_fitted()
        if is_lazy_frame(X):
            raise TypeError(
                "cannot transform a lazy frame: collect it, or write it to Parquet and use "
                "normkit.transform_file"
            )
        if _is_stream(X):
            return X
        if not (_is_table(X) or _is_array(X)):
            raise TypeError(f"cannot transform an object of type {type(X).__name__}")
        named_fit = self.__dict__.get("feature_names_in_") is not None
        X, named = _by_position(X)
        if not (named or _is_array(X)):
            if named_fit:  # scikit-learn's warning, and the columns taken by position
                _warn_feature_names(named=False)
                return _checked_array(X, self)
            return X
        if not _is_array(X):
            if named_fit:
                return X
            table = as_arrow(X)
            own = self._own_order(table.schema.names)
            if own is None:
                _warn_feature_names(named=True)
            else:  # the names of this estimator's outputs (x0, x1, ...): taken by name
                table = table.select(own)
            # Its named columns are refused as fitted ones are (booleans: not as 1 and 0).
            refuse_non_numbers(table, table.schema.names)
            X = table.to_pandas().to_numpy()
        elif named_fit and self.__dict__.get("_named_fit"):
            _warn_feature_names(named=False)
        X = _checked_array(X, self)
        self._check_width(X.shape[1])
        return X

    def _own_order(self, names: Sequence[str]) -> list[str] | None:
        """For statistics fitted on an array: the names its outputs give their columns (``x0,
        x1, ...`` of every input column, or of the fitted ones alone), in their order, where a
        table's ``names`` are those, in any order; else None (other names: scikit-learn's
        warning)."""
        for own in (list(self.get_feature_names_out()), list(self.columns_)):
            if len(names) == len(own) and set(names) == set(own):
                return own
        return None

    def _check_width(self, width: int) -> None:
        """Refuse an array that holds neither every input column nor the fitted ones alone."""
        if width not in (self.n_features_in_, len(self.columns_)):
            message = feature_count_message(width, self.n_features_in_, len(self.columns_))
            raise SchemaError(message)

    def _places(self, X: np.ndarray) -> list[int] | None:
        """An array holds every input column (then the places of the normalized ones, where the
        fit chose some), or the normalized columns alone (None)."""
        if X.ndim == 2 and X.shape[1] == self.n_features_in_ != len(self.columns_):
            if self.__dict__.get("_unordered"):
                raise _order_unknown(
                    X.shape[1],
                    f"give an array of the {len(self.columns_)} fitted columns alone, in the "
                    "order of columns_",
                )
            # Named by the table fitted, else (an array fitted) by position: x0, x1, ...
            names = self.__dict__.get("feature_names_in_")
            if names is None:
                names = self.stats_.input_order() or [f"x{i}" for i in range(X.shape[1])]
            place = {n: i for i, n in enumerate(names)}
            return [place[n] for n in self.columns_]
        return None

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None, **kwargs: Any) -> Any:
        """:meth:`fit`, then :meth:`transform` of the same data (a table, an array, or a list of
        tables). Other keyword arguments go to :meth:`transform`.

        Raises
        ------
        TypeError
            For a stream that can be read only once (an iterator, a generator, a
            ``pyarrow.RecordBatchReader``), before reading it: the fit would use up its rows
            and the transform get none.
        """
        if _read_once(X):
            raise read_once_error("fit_transform reads X twice (fit, then transform), but", X)
        return self.fit(X, y, sample_weight=sample_weight).transform(X, **kwargs)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The columns of the output: those of the input, in their order (normalized columns
        keep their names).

        Parameters
        ----------
        input_features : array-like of str or None
            As scikit-learn's: equal to ``feature_names_in_`` if that is set; otherwise
            ``n_features_in_`` names, by default ``x0, x1, ...``.
        """
        self._check_is_fitted()
        fitted = self.__dict__.get("feature_names_in_")
        if input_features is None:
            names = fitted if fitted is not None else array_names(self.n_features_in_)
            return np.asarray(names, dtype=object)
        names = np.asarray(input_features, dtype=object)
        if fitted is not None and list(names) != list(fitted):
            raise SchemaError("input_features is not equal to feature_names_in_")
        if len(names) != self.n_features_in_:
            raise SchemaError(
                f"input_features should have length equal to number of features "
                f"({self.n_features_in_}), got {len(names)}"
            )
        return names

    def set_output(self, *, transform: str | None = None) -> Standardizer:
        """What :meth:`transform` returns: ``"default"``, the input's own kind (an array, an
        Arrow table or batch, a pandas or polars DataFrame...); ``"pandas"`` or ``"polars"``, a
        DataFrame of that library whatever the input (scikit-learn's ``set_output``; a stream
        stays a stream of record batches). None leaves it unchanged."""
        if transform is None:
            return self
        if transform not in OUTPUTS:
            raise OptionError(
                f"set_output(transform={transform!r}): must be one of "
                f"{', '.join(repr(o) for o in OUTPUTS)}",
                param="transform",
            )
        self._sklearn_output_config = {"transform": transform}
        return self

    def _output_config(self) -> str:
        """set_output's choice, else scikit-learn's global ``transform_output`` (only read if
        scikit-learn is imported: otherwise nobody set it)."""
        how = getattr(self, "_sklearn_output_config", {}).get("transform")
        if how is None:
            sklearn = sys.modules.get("sklearn")
            how = sklearn.get_config()["transform_output"] if sklearn is not None else "default"
        return how if how in OUTPUTS else "default"

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: a transformer, no target, NaN allowed (missing values),
        float64 output."""
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(
            estimator_type="transformer",
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags(preserves_dtype=["float64"]),
            input_tags=InputTags(allow_nan=True, sparse=not self.with_mean),
        )

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
        batch with the running statistics as they stood before it. As in :meth:`transform`, no
        mode centers with ``with_mean=False`` nor divides with ``with_std=False``. Either way
        the running statistics (``ema_``) follow the stream, so :meth:`save` afterwards keeps the state for
        the next run.

        The stream is cut into chunks of whole logical batches of about 65,536 rows, whatever
        its own batches (a logical batch is normalized whole, and the per-chunk work is
        amortized over many): a live feed's first output waits for that many rows, or for its
        end. The results do not depend on how the stream was cut.

        Parameters
        ----------
        batches : iterable of tables
            pyarrow record batches or tables, pandas or polars (or other narwhals-supported)
            DataFrames, their columns named as the fit's; one table is a stream of one.
        mode : {"batch", "adaptive"}
        gamma, beta : float, mapping of column name to float, or None
            BatchNorm's affine parameters; None keeps those fitted (default 1 and 0).

        Yields
        ------
        pyarrow.RecordBatch
            The same rows in the same order (a batch may be cut differently).

        Raises
        ------
        TypeError
            If the stream holds something other than a table (an array has no column names:
            make it a DataFrame with the fit's), or is the one-shot stream :meth:`fit` read.
        """
        if "_read_by_fit" in self.__dict__:
            self._read_by_fit.refuse(batches, "transform_stream")
        self.finish()
        stats = self.stats_
        _refuse_params_set_since(self, stats)
        g, b = stats.affine(gamma, beta)
        running = stats.require_running("mode")
        if mode == "adaptive":  # its first batches are normalized with them
            running_notes.warn(running_notes.far_note(stats, adaptive=True))
        normalizer = StreamNormalizer(stats.names, running, mode, g, b, options=stats.options)
        stream = _without_missing_markers(
            _record_batches(batches, stats.names), stats.names, missing_markers(stats.read)
        )
        for batch in normalizer(refuse_infinite(stream, stats.names)):
            self._fitted = stats.with_running(normalizer.state)
            yield batch

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        """The schema of transformed data: fitted columns become float64, others unchanged."""
        return output_schema(schema, list(self.columns_))

    # -- scikit-learn ----------------------------------------------------------------------

    def to_sklearn(self) -> StandardScaler:
        """A fitted ``sklearn.preprocessing.StandardScaler`` with these statistics.

        ``mean_``, ``scale_``, ``n_samples_seen_`` and ``feature_names_in_`` (the fitted
        columns, where the data had names: not for an array) are copied, so that its transform
        is this one's bit for bit; ``var_`` has scikit-learn's meaning, the
        population variance ``M2 / n`` whatever ``ddof`` (with ``ddof=1`` it is not
        :attr:`var_`), since its ``partial_fit`` merges new rows on it. Attributes that
        scikit-learn leaves as None for ``with_mean=False`` or ``with_std=False`` are None too.
        :meth:`from_sklearn` reads ``ddof`` and ``eps`` back from ``scale_``.

        After the scaler's own ``partial_fit``, its ``scale_`` is ``sqrt(var_)`` again (1 for
        a constant column): this ``ddof`` and ``eps`` no longer apply to it.
        """
        from sklearn.preprocessing import StandardScaler

        stats = self._applied_stats()
        if (stats.gamma != 1.0).any() or (stats.beta != 0.0).any():
            j = int(np.flatnonzero((stats.gamma != 1.0) | (stats.beta != 0.0))[0])
            raise OptionError(
                "a StandardScaler has no gamma and beta (BatchNorm's affine parameters), and "
                f"these statistics have them (column {stats.names[j]!r}: gamma "
                f"{stats.gamma[j]:g}, beta {stats.beta[j]:g}): its transform would not be this "
                "one's",
                param="gamma",
                hints=(
                    "fit with gamma=1.0 and beta=0.0 for statistics scikit-learn can hold",
                    "export them (normkit.to_torch, normkit.to_onnx) to keep the affine",
                ),
            )
        scaler = StandardScaler(with_mean=self.with_mean, with_std=self.with_std)
        scaler.n_samples_seen_ = self.n_samples_seen_
        both_off = not self.with_mean and not self.with_std
        scaler.mean_ = None if both_off else stats.mean.copy()
        # scikit-learn's var_ is the population variance, on which its partial_fit merges more
        # rows; the scale stays this one's, so that its transform is this one's bit for bit.
        count = stats.weight if stats.weighted else stats.count
        var = population_var(stats.var, stats.options.ddof, count)
        scaler.var_ = var if self.with_std else None
        scaler.scale_ = stats.scale.copy() if self.with_std else None
        scaler.n_features_in_ = len(self.columns_)
        if self.__dict__.get("feature_names_in_") is not None:
            # Only names the data had: an array's made-up x0, x1... would make scikit-learn
            # warn at every transform of an array.
            scaler.feature_names_in_ = np.asarray(self.columns_, dtype=object)
        return scaler

    @classmethod
    def from_sklearn(
        cls, scaler: StandardScaler, feature_names: Sequence[str] | None = None
    ) -> Standardizer:
        """Statistics equal to a fitted ``StandardScaler``'s (with the ddof and eps of
        statistics that :meth:`to_sklearn` wrote into its ``scale_``, ``sqrt(var_ * n / (n -
        ddof) + eps)``, where its columns that vary show them).

        Parameters
        ----------
        scaler : sklearn.preprocessing.StandardScaler
            Fitted, on dense data.
        feature_names : sequence of str, optional
            Column names, if the scaler was fitted without them (then ``x0, x1, ...``).

        Raises
        ------
        TypeError
            If ``scaler`` is not a StandardScaler.
        sklearn.exceptions.NotFittedError
            If it is not fitted (normkit's error, also an :class:`~normkit.OptionError`).
        """
        from sklearn.preprocessing import StandardScaler

        if not isinstance(scaler, StandardScaler):
            raise TypeError(
                f"from_sklearn takes a fitted sklearn.preprocessing.StandardScaler, not "
                f"{type(scaler).__name__}"
            )
        if not hasattr(scaler, "n_samples_seen_"):
            raise _not_fitted("the StandardScaler is not fitted yet; fit it first")
        n_features = int(scaler.n_features_in_)
        names = feature_names
        if names is None:
            names = getattr(scaler, "feature_names_in_", None)
        named = names is not None
        if names is None:
            names = [f"x{i}" for i in range(n_features)]
        if len(names) != n_features:
            raise OptionError(f"{len(names)} feature names for {n_features} features")
        if scaler.mean_ is None:
            raise OptionError(
                "a StandardScaler with with_mean=False and with_std=False holds no statistics"
            )
        seen = np.broadcast_to(np.asarray(scaler.n_samples_seen_, dtype=np.float64), (n_features,))
        if not np.array_equal(seen, np.round(seen)):
            raise OptionError(
                f"the StandardScaler was fitted with sample weights (n_samples_seen_ "
                f"{float(seen[0])!r} is not a count of rows), and normkit cannot know its rows",
                hints=("fit normkit's Standardizer with the same sample_weight",),
            )
        count = seen.astype(np.int64)
        check_scaler_values(
            {
                "n_samples_seen_": count,
                "mean_": scaler.mean_,
                "var_": scaler.var_,
                "scale_": scaler.scale_,
            },
            list(names) if named else None,
        )
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
        keep = scaler.var_ is not None  # scikit-learn's own var_ and scale_, bit for bit
        scale = np.asarray(scaler.scale_, dtype=np.float64) if keep else None
        # The ddof and eps of statistics that to_sklearn wrote into scale_ (var_ is ddof 0's).
        ddof, eps = scale_options(var, scale, seen) if keep else (0, 0.0)
        options = StatsOptions(ddof, eps, scaler.with_mean, scaler.with_std)
        if ddof:
            var = moments.var(ddof)
        stats = FittedStats.build(
            list(names),
            ["double"] * n_features,
            moments,
            rows,
            options,
            provenance={"source": "sklearn.preprocessing.StandardScaler"},
            var=var.copy() if keep else None,
            scale=scale.copy() if keep else None,
            unnamed=not named,  # as fitted on an array: columns taken by position
        )
        check_scaler_stats(stats)
        return cls.from_stats(stats, with_mean=scaler.with_mean, with_std=scaler.with_std, ema=None)

    # -- stat files ------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the stat file (JSON, version 1) atomically. See :mod:`normkit.stats.statfile`."""
        statfile.write(self._applied_stats(), path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Standardizer:
        """Read and validate a stat file."""
        return cls.from_stats(statfile.read(path))

    def __repr__(self) -> str:
        defaults = type(self)().get_params()
        params_shown = ", ".join(
            f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults[k])
        )
        fitted = f", fitted on {len(self.columns_)} columns" if "columns_" in vars(self) else ""
        return f"Standardizer({params_shown}){fitted}"


def _mapped_stream(
    batches: Iterable, names: list[str], fn: ColumnMap, markers: np.ndarray, done_as: str
) -> Iterator:
    """The batches of a stream, each mapped by ``fn`` (:func:`_finite_inputs`); a value refused
    in one is named at its row in that batch (with its pandas index label), after the rows
    mapped before it (``done_as``: ``"transformed"``, ``"inverted"``), as
    :meth:`Standardizer.fit` names one in a stream: ``this batch, after 100 rows transformed:
    column 'a' at row 6 (index 105)``."""
    done = 0
    for batch in batches:
        index = batch.index if is_pandas(batch) else None
        try:
            checked = _finite_inputs(fn, names, markers, index, done_as == "inverted")
            mapped = map_columns(batch, names, checked)
        except NormkitError as exc:
            raise _after_rows_fitted(exc, done, done_as) from None
        yield mapped
        done += len(batch)


def _after_rows_fitted(exc: NormkitError, before: int, done: str = "fitted") -> NormkitError:
    """``exc``, a refusal of a batch's rows given to :meth:`Standardizer.partial_fit`, told
    after the ``before`` rows fitted by earlier batches (or the statistics continued): ``this
    batch, after 100 rows fitted: ...``, its rows counted from the batch's first; as it is after
    none (``done``: what was done with them, ``"transformed"`` in a stream's transform)."""
    return exc.within(f"this batch, after {before:,} rows {done}") if before else exc


def _order_unknown(n_features: int, *hints: str) -> SchemaError:
    """An array of every input column, given to statistics that do not know their order."""
    return SchemaError(
        f"X has {n_features} features, the columns fitted and passed through, but the "
        "statistics do not record their order (a stat file written before normkit kept it, or "
        "merged from fits of another order): which is which cannot be told",
        hints=("give a table with the column names (a DataFrame)", *hints),
    )


def _absent_excluded_hints(
    absent: Sequence[str], exclude: Sequence[str], present: Sequence[str]
) -> tuple[str, ...]:
    """The ways out of excluded columns ``absent`` from a table given in memory, unless one is
    a name present in another case or with spaces (a slip, told by :func:`alike_names`): a
    column left out of X on purpose (the target ``y``, which the fit of a stat file excluded:
    an estimator loaded from it, and its clones, exclude it too) is left out of ``exclude``.
    Not ignored without a word: a misspelled name would normalize the column meant."""
    if alike_names(absent, present, given=True):
        return ()
    rest = [name for name in exclude if name not in set(absent)]
    return (
        f"exclude only columns X has (set_params({param('exclude', rest)}); an estimator "
        "loaded from a stat file, and its clones, exclude the columns its fit excluded)",
        f"give X with {listed(absent)}",
    )


def _chosen_params(stats: FittedStats) -> dict[str, Any]:
    """The ``columns`` and ``exclude`` parameters the statistics were fitted with, as their
    columns passed through tell them (``not chosen``: the fitted ones were named; ``excluded``:
    those were), so that a clone refits the same columns."""
    whys = {p.name: p.why for p in stats.passthrough or ()}
    chosen: dict[str, Any] = {}
    if "not chosen" in whys.values():
        chosen["columns"] = list(stats.names)
    excluded = [name for name, why in whys.items() if why == "excluded"]
    if excluded:
        chosen["exclude"] = excluded
    return chosen


def _running_params(running: RunningState | None, weighted: bool) -> dict[str, Any]:
    """The ``ema`` parameter and the flat running options of statistics fitted with ``running``
    (None: without running statistics), as :meth:`Standardizer.get_params` of the fitted
    estimator reports them, so that a loaded estimator clones and tunes as the fitted one. A
    weighted fit has none whatever it was asked: the default's ``ema=True`` stands for it."""
    if running is None:
        return {"ema": True if weighted else None}
    options = running.options
    flat = {name: getattr(options, field) for name, field in _EMA_PARAMS.items()}
    # A stat file holds the momentum and eps in figures: the convention's own are its defaults.
    convention = CONVENTIONS[options.convention]
    if flat["momentum"] == convention.momentum:
        flat["momentum"] = DEFAULT_MOMENTUM
    if flat["ema_eps"] == convention.eps:
        flat["ema_eps"] = None
    return {"ema": True, **flat}


def _affine_param(names: Sequence[str], values: np.ndarray, default: float) -> Any:
    """A gamma or beta parameter as the statistics hold it: one number where every column has
    the same, else a mapping of the columns that differ from ``default`` (see
    :func:`~normkit.stats.fitted.per_column`)."""
    if len(values) == 0 or (values == values[0]).all():
        return float(values[0]) if len(values) else default
    return {n: float(v) for n, v in zip(names, values, strict=True) if v != default}


def _changed_since_fit(
    estimator: Standardizer, skip: Sequence[str] = ()
) -> list[tuple[str, Any, Any]]:
    """The parameters (but ``skip``) set by ``set_params`` since the statistics were begun or
    loaded: name, value now, value then."""
    at_fit = estimator.__dict__.get("_fit_params") or {}
    return [
        (name, getattr(estimator, name), then)
        for name, then in at_fit.items()
        if name not in skip and not _equal(getattr(estimator, name), then)
    ]


def _refuse_changed_params(estimator: Standardizer) -> None:
    """Refuse a parameter set by ``set_params`` since the statistics a ``partial_fit``
    continues were begun (or loaded): the batch would be fitted by the others."""
    for name, now, then in _changed_since_fit(estimator)[:1]:
        raise OptionError(
            f"{name}={now!r}, but the statistics partial_fit continues were fitted with "
            f"{name}={then!r}",
            param=name,
            hints=("fit a new estimator with the new parameters (fit resets)",),
        )


def _refuse_params_set_since(estimator: Standardizer, stats: FittedStats) -> None:
    """Refuse a parameter set by ``set_params`` after the fit to a value the statistics were
    not fitted with: those that shape a transform (ddof, eps, with_mean, with_std, gamma, beta)
    are compared with the statistics, the others (the columns chosen, the running statistics'
    options, the weight column) with their values at the fit. The transform would apply the
    fit's without a word."""
    fitted = stats.options
    changed = [
        (name, getattr(estimator, name), getattr(fitted, name))
        for name in _SHAPING[:4]
        if getattr(estimator.stats_options(), name) != getattr(fitted, name)
    ]
    for name, values, default in (("gamma", stats.gamma, 1.0), ("beta", stats.beta, 0.0)):
        given = per_column(getattr(estimator, name), stats.names, name, default)
        if not np.array_equal(given, values):
            changed.append(
                (name, getattr(estimator, name), _affine_param(stats.names, values, default))
            )
    # The others (the columns chosen, the running statistics' options...): as at the fit.
    changed += _changed_since_fit(estimator, skip=_SHAPING)
    if changed:
        name, now, then = changed[0]
        again = "fit it again with the new parameters"
        raise OptionError(
            f"{name}={now!r}, but the statistics were fitted with {name}={then!r}: a fitted "
            "Standardizer applies the parameters of its fit",
            param=name,
            hints=(again, f"give it to this call: transform(X, {name}=...)")
            if name in ("gamma", "beta")
            else (again,),
        )


#: The parameters checked against the statistics themselves (the others against the fit's).
_SHAPING = ("ddof", "eps", "with_mean", "with_std", "gamma", "beta")


def _equal(a: Any, b: Any) -> bool:
    """Whether two values of a parameter are the same (a list and a tuple of the same names
    are)."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        a, b = list(a), list(b)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _same(a: Any, b: Any) -> bool:
    """Whether a parameter's value is its default (shown by repr only if not)."""
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


def _check_applicable(stats: FittedStats) -> None:
    """Refuse statistics of no rows, or of a column without values (see
    :meth:`~normkit.stats.fitted.FittedStats.check_values`): applied, its values would come out
    NaN."""
    if not stats.n_rows:
        raise DataError(
            "no rows fitted: the data given has none",
            hints=("fit on data with rows before transforming or saving",),
        )
    stats.check_values()


def _not_fitted(
    message: str = "this Standardizer is not fitted yet; call fit() first",
) -> OptionError:
    """normkit's error, which is also scikit-learn's ``NotFittedError`` (what its tools catch),
    built on first use so that importing normkit does not import scikit-learn."""
    from sklearn.exceptions import NotFittedError

    global _NotFitted
    if _NotFitted is None:
        _NotFitted = type("NotFitted", (OptionError, NotFittedError), {"__module__": __name__})
    return _NotFitted(message)


_NotFitted: type | None = None


def names_param(names: str | Sequence[str] | None, name: str = "columns") -> list[str] | None:
    """A column list parameter (``name``); a single name may be given as a string."""
    return None if names is None else params.names(name, names)


def _is_table(X: Any) -> bool:
    return isinstance(X, pa.RecordBatch | pa.Table) or is_eager_frame(X)


def _record_batches(stream: Any, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
    """The record batches of a stream of tables (:meth:`Standardizer.transform_stream`), each
    with the first one's columns, in its order and of its types, the fitted ones (``names``)
    float64: the stream is cut into chunks of batches of one schema, and pandas chunks differ
    (an integer column with a missing value is float64 in that chunk only)."""
    first, done = None, 0
    for item in [stream] if _is_table(stream) else stream:
        if not _is_table(item):
            raise TypeError(
                "transform_stream takes a stream of tables (pyarrow record batches or tables, "
                f"pandas or polars DataFrames), not of {type(item).__name__}"
                + ("; name the columns as the fit's (a DataFrame)" if _is_array(item) else "")
            )
        table = as_arrow(item, 0, set(names).__contains__)  # the others are not read as numbers
        for batch in [table] if isinstance(table, pa.RecordBatch) else table.to_batches():
            if batch.schema == first:  # the common case: as it is (its fitted columns float64)
                done += batch.num_rows
                yield batch
                continue
            given = set(batch.schema.names)
            gone = [n for n in names if n not in given]
            if gone:
                raise SchemaError(
                    f"no column {gone[0]!r} in a batch of the stream, which the statistics "
                    "normalize: transform_stream takes batches with the fitted columns"
                )
            refuse_non_numbers(batch, names, done)
            done += batch.num_rows
            batch = _fitted_float64(batch, names)
            first = first or batch.schema
            yield _conformed(batch, first)


def _fitted_float64(batch: pa.RecordBatch, names: Sequence[str]) -> pa.RecordBatch:
    fitted = set(names)
    if all(batch.schema.field(n).type == pa.float64() for n in fitted):
        return batch
    arrays = [
        cast_float64(c) if n in fitted else c
        for n, c in zip(batch.schema.names, batch.columns, strict=True)
    ]
    fields = [pa.field(f.name, pa.float64()) if f.name in fitted else f for f in batch.schema]
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def _conformed(batch: pa.RecordBatch, first: pa.Schema) -> pa.RecordBatch:
    """``batch`` (its fitted columns float64) with the columns of the stream's ``first``
    batch, in its order and types."""
    if batch.schema == first:
        return batch
    given = set(batch.schema.names)
    if given != set(first.names):
        other = sorted(given ^ set(first.names))[0]
        raise SchemaError(
            f"column {other!r} is in {'this' if other in given else 'the first'} batch of the "
            "stream and not in the other: transform_stream takes batches of the same columns"
        )
    arrays = []
    for field in first:
        column = batch.column(field.name)
        if column.type != field.type:
            try:
                column = column.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise SchemaError(
                    f"column {field.name!r} is {column.type} in a batch of the stream and "
                    f"{field.type} in the first: give every batch the same types"
                ) from None
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=first)


def _read_once(X: Any) -> bool:
    """Whether ``X`` is a stream that can be read only once (an iterator, a generator, a
    ``pyarrow.RecordBatchReader``), not a list of tables."""
    return _is_stream(X) and isinstance(X, Iterator)


def _is_stream(X: Any) -> bool:
    """Whether ``X`` is a stream of tables (an iterator, or a list of tables), not one table
    or array-like."""
    if _is_table(X) or _is_array(X) or isinstance(X, str | bytes | Mapping | set | frozenset):
        return False
    if isinstance(X, list | tuple):
        return all(_is_table(item) for item in X)  # an empty list is a stream of no batch
    return isinstance(X, Iterable)


def _is_array(X: Any) -> bool:
    """Whether ``X`` is an array-like without column names (an ndarray, a list of rows, a
    sparse matrix or anything with ``__array__``), validated as scikit-learn validates."""
    if _is_table(X) or is_lazy_frame(X):
        return False
    if isinstance(X, np.ndarray) or hasattr(X, "__array__") or is_sparse(X):
        return True
    return isinstance(X, list | tuple) and not all(_is_table(item) for item in X)


def _by_position(X: Any) -> tuple[Any, bool]:
    """``X`` and whether its columns have names: a pandas DataFrame named by no string
    (:func:`unnamed_frame`) with its columns renamed ``x0, x1, ...``, an array's names, and
    False; a table (True) or an array-like (False) as it is."""
    if unnamed_frame(X):
        return X.set_axis(array_names(len(X.columns)), axis=1), False
    return X, not _is_array(X)


def _as_batches(X: Any) -> Iterator[Any]:
    if _is_table(X) or _is_array(X):
        yield X
    elif is_lazy_frame(X):
        yield from lazy_batches(X)
    elif _is_stream(X):
        yield from X
    else:
        hint = " (a DataFrame of it: pd.DataFrame(X))" if isinstance(X, Mapping) else ""
        raise TypeError(
            f"cannot fit an object of type {type(X).__name__}{hint}; to fit a file use "
            "normkit.fit_files"
        )


def _text_columns(passthrough: Sequence[PassedThrough] | None) -> list[str]:
    return [column.name for column in passthrough or () if column.why == "text"]


def _index_columns(schema: pa.Schema) -> frozenset[str]:
    """The columns of ``schema`` that hold a row index, no feature: those pandas' metadata
    names so, and the first columns without a name before named ones (where pandas' ``to_csv``
    writes the index, each level of an unnamed MultiIndex, ``,,a``, and R's ``write.csv`` the
    row names; an empty name again is renamed ``_1``, ``_2``). A header of no name (``,,``)
    names no index, nor one with such a name among the named (renamed, or written so?);
    ``columns`` can still choose them."""
    names = schema.names
    unnamed = next((k for k, n in enumerate(names) if n != (f"_{k}" if k else "")), len(names))
    told = unnamed < len(names) and not any(re.fullmatch(r"_\d+", n) for n in names[unnamed:])
    return pandas_index_columns(schema) | frozenset(names[:unnamed] if told else ())


def _warn_feature_names(named: bool) -> None:
    """scikit-learn's warning for a table given to an estimator fitted on arrays (``named``) or
    an array given to one fitted on a table, told at the caller's line (:func:`caller_level`)."""
    if named:
        message = "X has feature names, but Standardizer was fitted without feature names"
    else:
        message = (
            "X does not have valid feature names, but Standardizer was fitted with feature names"
        )
    warnings.warn(message, UserWarning, stacklevel=caller_level())


def _checked_array(X: Any, estimator: Standardizer) -> np.ndarray:
    """An array-like as scikit-learn's ``StandardScaler`` validates it: 2-d, dense, at least
    one row and one column, converted to float64 (float32 and float16 kept); infinite values
    are left to normkit's refusal, which names the row."""
    from sklearn.utils import check_array

    try:
        return check_array(
            X,
            dtype=[np.float64, np.float32, np.float16],
            ensure_all_finite=False,
            estimator=estimator,
            input_name="X",
        )
    except ValueError:
        _refuse_text_cell(X)
        raise


def _refuse_text_cell(X: Any) -> None:
    """Refuse the first cell of a 2-d array of text or objects that is no number, naming its
    column as normkit names an array's (``x0``, ``x1``) and its row; numpy's own error names
    neither ("could not convert string to float: 'a'")."""
    values = np.asarray(X, dtype=object) if not isinstance(X, np.ndarray) else X
    if values.ndim != 2 or values.dtype.kind not in "OUS":
        return
    for row, cells in enumerate(values):
        for column, value in enumerate(cells):
            try:
                float(value)
            except (TypeError, ValueError):
                raise not_a_number(f"x{column}", row + 1, value) from None


def _standard_scalers_bits(stats: FittedStats, X: Any, weights: Any) -> FittedStats:
    """Fitted in memory, the mean, variance and scale are ``StandardScaler``'s own bits wherever
    they are within 1e-12 of the column's spread (the variance: 1e-12 of itself) of normkit's
    exact ones, so that a pipeline scores exactly as with StandardScaler. Where scikit-learn's
    summation loses more (a mean far from zero for its spread, a constant column), normkit's
    are kept.

    The moments (what merges and stat files continue from) stay normkit's, exact; a variance is
    taken only with ddof 0, scikit-learn's.
    """
    options = stats.options
    if not (options.with_mean or options.with_std):
        return stats
    from sklearn.preprocessing import StandardScaler

    ref = StandardScaler(with_mean=options.with_mean, with_std=options.with_std, copy=False)
    # Its overflow warnings (huge weights) are its own: where its numbers are off, ours stay.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        ref.fit(X, sample_weight=None if weights is None else _weights(weights, X.shape[0]))
    spread = np.sqrt(stats.moments.var(0) if not stats.weighted else stats.var)
    theirs = np.asarray(ref.mean_, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        same = np.abs(theirs - stats.mean) <= 1e-12 * spread
    var, scale = stats.var, stats.scale
    if options.with_std and options.ddof == 0:
        their_var = np.asarray(ref.var_, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            same &= np.abs(their_var - var) <= 1e-12 * var
        var = np.where(same, their_var, var)
        if options.eps == 0:
            scale = np.where(same, np.asarray(ref.scale_, dtype=np.float64), scale)
        else:
            scale = np.where(same, np.sqrt(var + options.eps), scale)
    return replace(stats, mean=np.where(same, theirs, stats.mean), var=var, scale=scale)


def _first_word(values: Any) -> tuple[int, object] | None:
    """The first of ``values`` that is no number (0-based row, value); None where all are."""
    for row, value in enumerate(np.asarray(values, dtype=object).ravel()):
        try:
            float(value)
        except (TypeError, ValueError):
            return row, value
    return None


def _weight_word(column: str, error: DataError) -> DataError:
    """``error``, a word in the weight ``column`` told as a data column's (its ways out, a
    missing value or the column left out, are none for weights), told as a weight."""
    said = error.message.split(" is not a number", 1)[0]
    if not said.startswith(f"column {column!r} at ") or said == error.message:
        return error
    return DataError(f"weight {said} is not a number; {WEIGHTS_RULE}")


def _zero_sample_weights() -> DataError:
    """scikit-learn's refusal of ``sample_weight`` that is 0 for every row."""
    return DataError(
        "Sample weights must contain at least one non-zero number: every row of X has weight 0",
        param="sample_weight",
    )


def _weights(sample_weight: Any, n_rows: int) -> np.ndarray:
    """``sample_weight`` as float64, one per row (their values are checked by the
    accumulator, which names the row)."""
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        word = _first_word(sample_weight)  # the first one that is no number, named
        if word is not None:
            at = "" if np.ndim(sample_weight) == 0 else f" at row {word[0] + 1:,}"  # every row's
            raise OptionError(
                f"sample_weight{at}: {word[1]!r} is not a number; {WEIGHTS_RULE}",
                param="sample_weight",
            ) from None
        raise OptionError(
            f"sample_weight must be numbers, not {np.asarray(sample_weight).dtype}",
            param="sample_weight",
        ) from None
    if weights.ndim == 0:
        weights = np.full(n_rows, float(weights))
    if weights.shape != (n_rows,):
        raise SchemaError(
            f"sample_weight has shape {weights.shape}, but X has {n_rows} rows: expected "
            f"({n_rows},)",
            param="sample_weight",
        )
    return weights


def _without_missing_markers(
    batches: Iterator[pa.RecordBatch], names: Sequence[str], markers: np.ndarray
) -> Iterator[pa.RecordBatch]:
    """The batches, refusing a number of the columns ``names`` that the statistics' fit read
    as missing (:func:`refuse_missing_marker`), rows counted over the stream."""
    done = 0
    for batch in batches:
        for name in names if markers.size else ():
            refuse_missing_marker(to_float64(batch.column(name)), name, markers, done)
        done += batch.num_rows
        yield batch


def _finite_inputs(
    fn: ColumnMap,
    names: Sequence[str],
    markers: np.ndarray,
    index: Any = None,
    inverse: bool = False,
) -> ColumnMap:
    """``fn``, refusing infinite values, and finite ones that it takes beyond float64's range
    (a gamma, a beta or a tiny scale; ``inverse``: undoing what did not make them), as a
    transform of files refuses both; and the numbers
    the statistics' fit read as missing (``markers``, :func:`refuse_missing_marker`). Rows are
    counted across calls: :func:`map_columns` maps the columns of each batch in order, so a call
    for column 0 starts the next batch; a pandas frame's ``index`` names them too."""
    done = [0, 0]  # rows before the current batch, rows in it

    def where(j: int, k: int) -> str:
        row = done[0] + k
        label = None if index is None else index_label(index, row)
        return located(names[j], row + 1, label)

    def checked(j: int, values: np.ndarray) -> np.ndarray:
        if j == 0:
            done[0] += done[1]
            done[1] = len(values)
        refuse_missing_marker(values, names[j], markers, done[0])
        infinite = np.isinf(values)
        if infinite.any():
            k = int(np.argmax(infinite))
            raise infinite_error(where(j, k), float(values[k]))
        out = fn(j, values)
        infinite = np.isinf(out)
        if infinite.any():
            k = int(np.argmax(infinite))
            raise infinite_output_error(where(j, k), float(values[k]), float(out[k]), (), inverse)
        return out

    return checked
