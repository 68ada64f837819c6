"""The stat file's layout, declared once: every field, its type, when it is there, what it means,
and where its value comes from.

The writer (:func:`normkit.stats.statfile.to_document`) walks this table to lay out a stat file,
the validator (:func:`normkit.stats.validation.check_document`) walks it to check every field's
type and range, naming the key at fault, and :func:`describe` prints it for the documentation.
Checks that relate fields to one another follow (:mod:`normkit.stats.validation`).

A field in a group (``"sketch"``, ``"ema"``) is written when the statistics have that part, and
required exactly when the file has the group's top-level object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._version import __version__
from ..core.categories import MAX_CATEGORIES
from ..core.sketch import QUANTILE_PROBABILITIES
from .fitted import FittedStats
from .kinds import (
    Boolean,
    Counts,
    Integer,
    Kind,
    Momentum,
    Nullable,
    Number,
    Numbers,
    Provenance,
    String,
    Strings,
)
from .passthrough import weight_column_of

__all__ = [
    "CATEGORIES",
    "COLUMN",
    "EMA",
    "FORMAT",
    "OPTIONS",
    "STAT_FILE",
    "VERSION",
    "Columnar",
    "Field",
    "Section",
    "describe",
]

FORMAT = "normkit.stats"
VERSION = 1

# -- the table -----------------------------------------------------------------------------------

#: Reads a field's value from statistics: (stats, column index or None) -> value.
Getter = Callable[[FittedStats, "int | None"], Any]

#: The default of a field that a stat file must have.
REQUIRED = object()


class Field:
    """One key of the stat file.

    Attributes
    ----------
    key : str
    kind : Kind
    doc : str
    get : callable (stats, column) -> value
        The value written.
    rule : str or None
        A parameter rule (:mod:`normkit.params`) the value must satisfy.
    written : callable (stats, column) -> bool, or None
        Whether it is written (None: always).
    default : object
        Its value when a file lacks it; :data:`REQUIRED`: a file must have it.
    group : str or None
        ``"sketch"``, ``"ema"``, ``"weights"``...: there exactly when the statistics have
        that part.
    """

    __slots__ = ("default", "doc", "get", "group", "key", "kind", "rule", "written")

    def __init__(
        self,
        key: str,
        kind: Kind,
        doc: str,
        get: Getter,
        rule: str | None = None,
        written: Callable[[FittedStats, int | None], bool] | None = None,
        default: Any = REQUIRED,
        group: str | None = None,
    ):
        self.key, self.kind, self.doc, self.get = key, kind, doc, get
        self.rule, self.written, self.default, self.group = rule, written, default, group

    @property
    def optional(self) -> bool:
        return self.default is not REQUIRED


class Section:
    """A JSON object of fields, or a list of them: one per fitted column (``each="column"``,
    never empty), per column passed through (``each="passthrough"``), or per column whose
    categories were counted (``each="counted column"``)."""

    __slots__ = ("doc", "each", "fields", "group", "key")

    def __init__(
        self,
        key: str,
        doc: str,
        fields: tuple[Field | Section, ...],
        each: str | None = None,
        group: str | None = None,
    ):
        self.key, self.doc, self.fields = key, doc, fields
        self.each, self.group = each, group

    @property
    def per_column(self) -> bool:
        return self.each == "column"


#: How many objects a list section holds.
EACH: dict[str, Callable[[FittedStats], int]] = {
    "column": lambda s: s.n_columns,
    "passthrough": lambda s: len(s.passthrough),
    "counted column": lambda s: len(s.categories),
}


GROUPS: dict[str, Callable[[FittedStats], bool]] = {
    "sketch": lambda s: s.sketch is not None,
    "ema": lambda s: s.running is not None,
    "ema_pending": lambda s: s.running is not None and s.running.pending is not None,
    "read": lambda s: s.read is not None,
    "passthrough": lambda s: s.passthrough is not None,
    "categories": lambda s: s.categories is not None,
    "inputs": lambda s: s.input_order() is not None,
    "weights": lambda s: s.weighted,
}


class Columnar:
    """A getter (or ``written`` test) of a field of every column that also reads all columns'
    values at once (``all(stats)``): a file of many columns is laid out at C speed."""

    __slots__ = ("all", "one")

    def __init__(self, all: Callable[[FittedStats], Any], one: Getter | None = None):
        self.all, self.one = all, one

    def __call__(self, s: FittedStats, i: int | None) -> Any:
        return self.one(s, i) if self.one is not None else self.all(s)[i]


def _mean_errors(stats: Any) -> Any:
    """The exact mean of the moments minus the mean written (their difference is exact: the
    two are within a few units of rounding of each other), per column; NaN where the mean is
    not finite (which the file's check then names)."""
    with np.errstate(invalid="ignore"):  # inf - inf
        return (stats.moments.mean - stats.mean) + stats.moments.mean_error


def _mean_error(stats: Any, i: int) -> float:
    return float((stats.moments.mean[i] - stats.mean[i]) + stats.moments.mean_error[i])


def _column(attribute: str) -> Columnar:
    return Columnar(lambda s: getattr(s, attribute))


def _running(attribute: str) -> Columnar:
    return Columnar(lambda s: getattr(s.running, attribute))


def _pending(attribute: str, absent: float = np.nan) -> Columnar:
    """A field of the running statistics' pending batch (``absent`` for every column without
    one: not written)."""
    return Columnar(
        lambda s: (
            np.full(s.n_columns, absent, dtype=type(absent))
            if s.running.pending is None
            else getattr(s.running.pending, attribute)
        )
    )


_affine = Columnar(
    lambda s: (s.gamma != 1.0) | (s.beta != 0.0),
    lambda s, i: bool(s.gamma[i] != 1.0 or s.beta[i] != 0.0),
)


OPTIONS = Section(
    "options",
    "How the statistics were fitted (StandardScaler's options, and eps).",
    (
        Field(
            "ddof",
            Integer(),
            "The variance divides M2 by count - ddof.",
            lambda s, _: s.options.ddof,
            rule="ddof",
        ),
        Field(
            "eps",
            Number(),
            "Added to the variance before the square root.",
            lambda s, _: s.options.eps,
            rule="eps",
        ),
        Field(
            "with_mean", Boolean(), "Whether transforms center.", lambda s, _: s.options.with_mean
        ),
        Field("with_std", Boolean(), "Whether transforms scale.", lambda s, _: s.options.with_std),
    ),
)

WEIGHTS = Section(
    "weights",
    "There when the statistics were fitted with sample weights (frequency weights: a row of "
    "weight w counts as w rows, and rows of weight 0 are not counted at all, not even as "
    "missing): every column has its weight, its moments are weighted, and there are no running "
    "statistics (BatchNorm's have no weights).",
    (
        Field(
            "column",
            Nullable(String()),
            "The column of the weights, which transforms pass through (null: not a column).",
            lambda s, _: weight_column_of(s.passthrough),
        ),
    ),
    group="weights",
)

EMA_COLUMN = Section(
    "ema",
    "The column's running statistics.",
    (
        Field("running_mean", Number(), "The running mean.", _running("running_mean")),
        Field("running_var", Number(minimum=0.0), "The running variance.", _running("running_var")),
        Field("updates", Integer(), "Batches that updated it.", _running("n_updates")),
        Field(
            "skipped",
            Integer(),
            "Batches with fewer than 2 of its values, which left it unchanged.",
            _running("n_skipped"),
        ),
        Field(
            "pending_count",
            Integer(),
            "Its values in the rows of the unfinished batch.",
            _pending("count", 0),
            group="ema_pending",
        ),
        Field(
            "pending_mean",
            Number(finite=False),
            "Their mean (NaN where there is none: a pending_count of 0).",
            _pending("mean"),
            group="ema_pending",
        ),
        Field(
            "pending_m2",
            Number(minimum=0.0),
            "Their sum of squared deviations from it.",
            _pending("m2"),
            group="ema_pending",
        ),
        Field(
            "before_pending_mean",
            Number(),
            "The running mean before the unfinished batch (the same where that batch did not "
            "update it: fewer than 2 rows, or drop_last).",
            _pending("running_mean"),
            group="ema_pending",
        ),
        Field(
            "before_pending_var",
            Number(minimum=0.0),
            "The running variance before the unfinished batch.",
            _pending("running_var"),
            group="ema_pending",
        ),
    ),
    group="ema",
)

_N_QUANTILES = len(QUANTILE_PROBABILITIES)

COLUMN = Section(
    "columns",
    "One object per normalized column, in input order.",
    (
        Field("name", String(), "The column's name.", Columnar(lambda s: s.names)),
        Field(
            "dtype",
            String(),
            "Its Arrow type in the input that was fitted.",
            Columnar(lambda s: s.dtypes),
            default="double",
        ),
        Field("count", Integer(minimum=1), "Non-missing values (of weight > 0).", _column("count")),
        Field("missing", Integer(), "Missing values (null, NaN).", _column("n_missing")),
        Field(
            "weight",
            Number(positive=True),
            "The sum of the weights of its values, by which its moments are weighted.",
            Columnar(lambda s: s.moments.weight),
            group="weights",
        ),
        Field(
            "missing_weight",
            Number(minimum=0.0),
            "The sum of the weights of its missing values: drift's missing rate is "
            "missing_weight / (missing_weight + weight) (absent: unknown, a file written before "
            "normkit kept it, whose missing rate drift does not test).",
            Columnar(lambda s: s.moments.missing_weight),
            written=Columnar(lambda s: np.isfinite(s.moments.missing_weight)),
            default=float("nan"),
            group="weights",
        ),
        Field("mean", Number(), "The mean, rounded to float64.", _column("mean")),
        Field(
            "mean_error",
            Number(),
            "What the mean written lacks: mean + mean_error is the exact sum of the fit's shift and offset (the last rounding, or the gap to StandardScaler's mean that an in-memory fit shows); written where not 0.",
            Columnar(_mean_errors, _mean_error),
            written=Columnar(lambda s: _mean_errors(s) != 0, lambda s, i: bool(_mean_error(s, i))),
            default=0.0,
        ),
        Field("m2", Number(minimum=0.0), "Sum of squared deviations from the mean.", _column("m2")),
        Field(
            "m3",
            Number(),
            "Sum of cubed deviations from the mean (drift's tests; absent: unknown).",
            _column("m3"),
            written=Columnar(lambda s: np.isfinite(s.moments.m3)),
            default=float("nan"),
        ),
        Field(
            "m4",
            Number(minimum=0.0),
            "Sum of fourth-power deviations from the mean (the kurtosis of drift's tests).",
            _column("m4"),
            written=Columnar(lambda s: np.isfinite(s.moments.m4)),
            default=float("nan"),
        ),
        Field(
            "var",
            Number(minimum=0.0),
            "The variance, m2 / (count - ddof); with weights m2 / (weight - ddof).",
            _column("var"),
        ),
        Field(
            "scale",
            Number(positive=True),
            "sqrt(var + eps), or 1 for a constant column when eps is 0: the divisor of "
            "transforms, unless with_std is false (they divide by 1; scale is still the data's).",
            _column("scale"),
        ),
        Field("min", Number(finite=False), "The smallest value.", _column("min")),
        Field("max", Number(finite=False), "The largest value.", _column("max")),
        Field(
            "gamma",
            Number(),
            "BatchNorm's scale (written with beta where they are not 1 and 0).",
            _column("gamma"),
            rule="gamma",
            written=_affine,
            default=1.0,
        ),
        Field(
            "beta", Number(), "BatchNorm's shift.", _column("beta"), written=_affine, default=0.0
        ),
        Field(
            "quantile_sample",
            Integer(),
            "Values behind the quantiles (a uniform sample; with weights, a weighted sample's "
            "effective number).",
            Columnar(lambda s: s.sketch.counts),
            group="sketch",
        ),
        Field(
            "quantiles",
            Numbers(_N_QUANTILES),
            "The 5%, 10%, ..., 95% quantiles of the sample.",
            Columnar(lambda s: s.sketch.edges),
            group="sketch",
        ),
        Field(
            "quantile_cdf",
            Numbers(_N_QUANTILES),
            "The sample's fraction at or below each quantile.",
            Columnar(lambda s: s.sketch.cdf),
            group="sketch",
        ),
        EMA_COLUMN,
    ),
    each="column",
)

PASSTHROUGH = Section(
    "passthrough",
    "The input's other columns, which transforms pass through unchanged, and why.",
    (
        Field("name", String(), "The column's name.", lambda s, i: s.passthrough[i].name),
        Field(
            "dtype",
            String(),
            "Its Arrow type in the input that was fitted.",
            lambda s, i: s.passthrough[i].dtype,
        ),
        Field(
            "why",
            String(),
            "excluded, not chosen, text, boolean, weight (the sample weights), or its type.",
            lambda s, i: s.passthrough[i].why,
        ),
    ),
    each="passthrough",
    group="passthrough",
)


def _category(get: Callable) -> Columnar:
    return Columnar(
        lambda s: [get(name, counts) for name, counts in s.categories.items()],
        lambda s, i: get(*list(s.categories.items())[i]),
    )


CATEGORIES = Section(
    "categories",
    "The category frequencies of the text and boolean columns passed through (drift's reference "
    "for them), in input order; columns excluded by name are not counted.",
    (
        Field("name", String(), "The column's name.", _category(lambda name, c: name)),
        Field(
            "counts",
            Counts(),
            f"Rows per category, most frequent first (at most {MAX_CATEGORIES:,}; booleans as "
            '"true" and "false").',
            _category(lambda name, c: c.counts),
        ),
        Field(
            "other",
            Integer(),
            "Rows in categories not kept (0 when exact).",
            _category(lambda name, c: c.other),
        ),
        Field(
            "missing",
            Integer(),
            "Rows without a value (null; in a CSV, the missing-value strings).",
            _category(lambda name, c: c.missing),
        ),
        Field(
            "exact",
            Boolean(),
            "Whether every category is kept (other is 0); if not, the categories kept are the "
            "most frequent ones as counted in one pass, and their counts approximate.",
            _category(lambda name, c: c.exact),
        ),
    ),
    each="counted column",
    group="categories",
)

READ = Section(
    "read",
    "How the fit read its data; transform, inverse, drift and report read the same way unless told otherwise.",
    (
        Field(
            "delimiter",
            Nullable(String()),
            "The CSV separator read with, given or detected (null: by extension).",
            lambda s, _: s.read.delimiter,
            rule="csv.delimiter",
        ),
        Field(
            "null_values",
            Strings(),
            "Every string read as missing in a normalized column.",
            lambda s, _: s.read.null_values,
        ),
        Field(
            "encoding",
            Nullable(String()),
            "The encoding the data was read in: a byte-order mark's (utf-16, utf-32, "
            "utf-8-sig), else given; null: UTF-8. Later jobs read a file without a mark of its own with it "
            "(UTF-8 where it needs a mark), and write CSV made from Parquet or Arrow in it.",
            lambda s, _: s.read.encoding,
            rule="csv.encoding",
        ),
        Field(
            "inf_as_missing",
            Boolean(),
            "Whether infinite values were read as missing.",
            lambda s, _: s.read.inf_as_missing,
        ),
        Field(
            "decimal",
            String(),
            "The decimal separator of numbers.",
            lambda s, _: s.read.decimal,
            rule="csv.decimal",
            default=".",
        ),
        Field(
            "header",
            Nullable(Boolean()),
            "Whether the CSV's first record named the columns, given or detected (null: unknown).",
            lambda s, _: s.read.header,
            rule="csv.header",
            default=None,
        ),
        Field(
            "skip_rows",
            Nullable(Integer()),
            "Lines skipped before the CSV's header, given or detected (null: not recorded).",
            lambda s, _: s.read.skip_rows,
            rule="csv.skip_rows",
            default=None,
        ),
        Field(
            "comment",
            Nullable(String()),
            "The character starting the CSV's comment lines ('': none; null: not recorded).",
            lambda s, _: s.read.comment,
            rule="csv.comment",
            default=None,
        ),
        Field(
            "renamed",
            Strings(),
            "Names given to repeated CSV header names (NAME_k: the k-th repeat of NAME).",
            lambda s, _: list(s.read.renamed),
            default=[],
        ),
        Field(
            "quote",
            Nullable(String()),
            "The CSV's quote character, given or detected ('': none; null: not recorded).",
            lambda s, _: s.read.quote,
            rule="csv.quote",
            default=None,
        ),
        Field(
            "inline_comments",
            Boolean(),
            "Whether the comment character started comments after values too (1;3#note).",
            lambda s, _: s.read.inline_comments,
            default=False,
        ),
        Field(
            "given",
            Strings(),
            "The quote, comment and escape characters, whether comments follow values, and lines to skip given to the fit (quote, comment, inline_comments, skip_rows, escape): later jobs read with them, with or without a header (neither the lines to skip nor the escape character in an inverse); the ones detected are detected in each file.",
            lambda s, _: list(s.read.given),
            default=[],
        ),
        Field(
            "escape",
            Nullable(String()),
            "The character escaping quotes inside the CSV's quoted fields, given or detected ('': none; null: not recorded).",
            lambda s, _: s.read.escape,
            rule="csv.escape",
            default=None,
        ),
        Field(
            "block_size",
            Nullable(Integer()),
            "The bytes of CSV per block given to the fit, larger than the default (for longer rows): later jobs read with it (null: the default).",
            lambda s, _: s.read.block_size,
            rule="csv.block_size",
            # Absent where not given: a file, and its fingerprint, as before the key existed.
            written=lambda s, _: s.read.block_size is not None,
            default=None,
        ),
        Field(
            "text_null_values",
            Strings(),
            "The missing-value strings named to the fit (--null-values), not the defaults: missing in text passed through too, where only they and the empty field are (a region NA is text).",
            lambda s, _: list(s.read.text_null_values),
            # Absent where none was named: a file, and its fingerprint, as before the key existed.
            written=lambda s, _: bool(s.read.text_null_values),
            default=[],
        ),
    ),
    group="read",
)

SKETCH = Section(
    "sketch",
    "The distribution sketch (the reference of drift).",
    (
        Field(
            "probabilities",
            Numbers(_N_QUANTILES),
            "The quantiles' probabilities: 0.05, 0.1, ..., 0.95.",
            lambda s, _: QUANTILE_PROBABILITIES,
        ),
        Field(
            "merged",
            Boolean(),
            "Whether the quantiles were merged from shards' (interpolated: drift shows their PSI "
            "but does not test the distribution against them).",
            lambda s, _: bool(s.sketch.merged),
            default=False,
        ),
    ),
    group="sketch",
)

EMA = Section(
    "ema",
    "How the running (EMA) statistics were computed.",
    (
        Field(
            "convention",
            String(),
            "torch or keras.",
            lambda s, _: s.running.options.convention,
            rule="ema.convention",
        ),
        Field(
            "momentum",
            Momentum(),
            "In the convention's sense, or cumulative.",
            lambda s, _: (
                "cumulative" if s.running.options.cumulative else s.running.options.momentum_value
            ),
            rule="ema.momentum",
        ),
        Field(
            "init",
            String(),
            "standard (mean 0, var 1) or first (the first batch's).",
            lambda s, _: s.running.options.init,
            rule="ema.init",
        ),
        Field(
            "batch_size",
            Integer(),
            "Rows per logical batch.",
            lambda s, _: s.running.options.batch_size,
            rule="ema.batch_size",
        ),
        Field(
            "drop_last",
            Boolean(),
            "Whether a final partial batch was dropped.",
            lambda s, _: s.running.options.drop_last,
        ),
        Field(
            "eps",
            Number(),
            "Added to the running variance when normalizing.",
            lambda s, _: s.running.options.eps_value,
            rule="ema.eps",
        ),
        Field(
            "of",
            String(),
            "var (the running variance averages batch variances, as PyTorch and Keras) or std "
            "(it is the square of an average of batch standard deviations).",
            lambda s, _: s.running.options.of,
            rule="ema.of",
            default="var",
        ),
        Field("batches", Integer(), "Logical batches seen.", lambda s, _: s.running.n_batches),
        Field(
            "applied",
            Boolean(),
            "Whether a frozen transform uses these running statistics unless told otherwise "
            "(written where true: statistics back from a PyTorch layer that normkit exported "
            "with its running statistics and that still holds them, whose eval mode normalizes "
            "with those).",
            lambda s, _: s.default_use == "ema",
            written=lambda s, _: s.default_use == "ema",
            default=False,
        ),
    ),
    group="ema",
)

EMA_PENDING = Section(
    "ema_pending",
    "There when the statistics were saved during a stream (partial_fit) whose rows end inside a "
    "logical batch: the running statistics include its rows as a final partial batch where it "
    "is used, and the file keeps them (each column's ema.pending_* and the running statistics "
    "before them) for a fit that continues the statistics to complete the batch.",
    (
        Field(
            "rows",
            Integer(minimum=1),
            "Rows of the unfinished batch (below ema.batch_size).",
            lambda s, _: s.running.pending.rows,
        ),
    ),
    group="ema_pending",
)

#: The whole stat file.
STAT_FILE = Section(
    "",
    "A normkit stat file.",
    (
        Field("format", String(), 'Always "normkit.stats".', lambda s, _: FORMAT),
        Field("version", Integer(), "The layout's version.", lambda s, _: VERSION),
        OPTIONS,
        WEIGHTS,
        COLUMN,
        Field("rows", Integer(), "Rows seen, missing values included.", lambda s, _: s.n_rows),
        SKETCH,
        EMA,
        EMA_PENDING,
        READ,
        PASSTHROUGH,
        Field(
            "inputs",
            Strings(),
            "The fit's input columns in their order, those fitted and those passed through: "
            "an array of them is read by position.",
            lambda s, _: s.input_order(),
            default=None,
            group="inputs",
        ),
        Field(
            "unnamed",
            Boolean(),
            "true: the fit's input columns had no names (an array, or a frame of unnamed "
            "columns), only the estimator's x0, x1, ...: a CSV without a header (column_1, "
            "column_2, ...) is matched to them by position.",
            lambda s, _: s.unnamed,
            written=lambda s, _: s.unnamed,
            default=False,
        ),
        CATEGORIES,
        Field(
            "provenance",
            Provenance(),
            "Where the statistics came from.",
            lambda s, _: {**s.provenance, "normkit_version": __version__},
            default={},
        ),
    ),
)


def describe(section: Section = STAT_FILE, indent: str = "") -> str:
    """The layout as text: one line per field with its type and meaning."""
    lines = []
    for item in section.fields:
        note = f" (with {item.group})" if item.group else ""
        if isinstance(item, Section):
            shape = f"list of objects, one per {item.each}" if item.each else "object"
            lines.append(f"{indent}{item.key}: {shape}{note}: {item.doc}")
            lines.append(describe(item, indent + "  "))
        else:
            optional = " (optional)" if item.optional else ""
            lines.append(
                f"{indent}{item.key}: {type(item.kind).__name__.lower()}{optional}{note}: {item.doc}"
            )
    return "\n".join(lines)
