"""Drift: does new data still look like the data a stat file was fitted on?

One streaming pass over the new data computes its exact moments (with M3 and M4), per column a
uniform sample of its values (as fit takes its own), and the category counts of its text and
boolean columns. Both sides are samples (the stat file keeps the reference's counts), so every
test counts the sampling error of both (see :mod:`normkit.stats.significance`). Per numeric
column:

- ``mean``: ``mean_shift = (new mean - saved mean) / saved std``, tested by the difference of
  means over its pooled standard error, skewness-corrected, new values beyond the reference's
  range counted at its extremes (from 4 values, where the spread's test weighs them), and
  their number beyond the range on the side the mean moved to tested as the spread's test
  tests it;
- ``std``: ``std_ratio = new std / saved std``, tested by ``ln`` of the variance ratio with the
  standard error the kurtosis gives (a constant side by how often the other leaves the constant);
- ``missing``: the missing rate, tested by Fisher's exact test; its size is Cohen's h,
  ``|2 asin sqrt(p_new) - 2 asin sqrt(p_ref)|`` (0.2 is the "small" effect, as 0.2 sd is for a
  mean: from 0% to 1% missing, or from 10% to 20%);
- ``distribution``: the new values' counts in the 20 bins cut at the stat file's quantiles (its
  sketch; and at its range's ends, beyond which lie none of its values) against the reference's, by a chi-square test of homogeneity (bins merged until each
  holds 10 expected values, so small samples and repeated values are handled); its size is the
  population stability index ``psi``. ``ks`` (the largest CDF difference at the bin edges) is
  shown, not tested.

Statistics that came without their data (a model's BatchNorm buffers, imported by
:func:`normkit.jobs.torch_import.import_torch`, or scikit-learn's scaler) have no sketch and no
range: their distribution is not tested, and a wider spread is tested by the variance alone. A
new column constant at about their mean is not flagged but noted: a mean and a variance bound no
value's share near the mean, and a column constant in training is exported with running_var 1.
Where their provenance says the missing values are unknown (a layer's input has none, whatever
the raw data had), the missing rate is not tested either.

Per text or boolean column (its categories are kept in the stat file): ``frequencies``, the
chi-square test of the categories' counts (those the reference saw fewer than 10 times, or
never, as one cell), with the tests of changes that cell hides (see :func:`~normkit.jobs.
category_drift.categorical_scores`), whose size is the largest ``|ln|`` of a share ratio
over the cells the test compares (0.69 for a doubled share); ``missing`` as above; and the categories new in the data or
absent from it, listed.

One false-alarm level for the whole run: every p-value of every column is adjusted by Holm's
procedure, so that data from the reference's distribution raises any alarm with a chance of at
most ``alpha`` (default 0.01). A column drifts on a test when the adjusted p-value is at most
``alpha`` *and* the size exceeds the column's threshold (default 0.2): significance says the
change is real, the threshold that it is large enough to matter.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pyarrow as pa

from .. import params
from ..core.accumulator import Accumulated, Accumulator
from ..core.categories import CategoryCounts
from ..errors import (
    DataError,
    SchemaError,
    StatsFileError,
    absent_name_hints,
    listed,
    param,
    refuse_two_readings,
)
from ..estimator.apply import as_arrow, check_columns
from ..estimator.files import as_stats, stats_path
from ..estimator.numbers import refuse_non_numbers
from ..estimator.standardizer import Standardizer
from ..estimator.tables import is_eager_frame
from ..io.arrow import to_float64
from ..io.categories import value_counts
from ..io.dataset import open_dataset
from ..io.options import ReadOptions
from ..io.reader import Reader
from ..stats import significance
from ..stats.fitted import FittedStats, StatsOptions
from ..stats.kinds import float_out
from ..stats.passthrough import weight_column_of
from ..stats.scales import data_scale
from .category_drift import (
    booleans_alike,
    categorical_scores,
    exact_counter,
    report_notes,
    sample_notes,
)
from .numeric_drift import numeric_scores, unknown_missing_weight_note, unknown_to_import
from .recipes import COMPARE_SAME_SCALE, recorded_scale, refuse_other_scale
from .resemblance import Resemblance, looks_at
from .sources import (
    Progress,
    check_stat_columns,
    describe_sources,
    feed,
    fitted_raw,
    matched_by_position,
    require_rows,
)
from .vacant import with_vacant_counted
from .weights import reading_weights, require_some_weight

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_THRESHOLD",
    "ColumnDrift",
    "DriftOptions",
    "DriftReport",
    "drift_batches",
    "drift_files",
]

DEFAULT_THRESHOLD = 0.2
DEFAULT_ALPHA = 0.01


@dataclass(frozen=True)
class DriftOptions:
    """How drift is judged.

    Parameters
    ----------
    threshold : float, default 0.2
        The practical size of drift (see the module's notes), for every column not in
        ``column_thresholds``.
    alpha : float, default 0.01
        The chance that data from the reference's distribution raises any alarm, over all
        columns and tests.
    column_thresholds : mapping of column name to float
        Thresholds of particular columns; each must be a column of the statistics.
    """

    threshold: float = DEFAULT_THRESHOLD
    alpha: float = DEFAULT_ALPHA
    column_thresholds: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        params.check("threshold", self.threshold)
        params.check("alpha", self.alpha)
        params.check("column_thresholds", dict(self.column_thresholds))

    def threshold_of(self, name: str) -> float:
        return float(self.column_thresholds.get(name, self.threshold))

    def check_columns(self, names: Sequence[str], others: Sequence[str] = ()) -> None:
        """Refuse a threshold of a column not in ``names``, or of a name that reads two ways
        (:func:`~normkit.errors.refuse_two_readings`), each a column of ``names`` or ``others``
        (the columns passed through)."""
        refuse_two_readings("threshold", self.column_thresholds, {*names, *others})
        unknown = [name for name in self.column_thresholds if name not in set(names)]
        if unknown:
            # A column the statistics do not have, as for --gamma or --columns: exit code 1.
            raise SchemaError(
                f"{param('threshold')} names {unknown[0]!r}, which the statistics do not have",
                param="threshold",
                hints=absent_name_hints(unknown, names, "the statistics have"),
            )


@dataclass(frozen=True)
class ColumnDrift:
    """The drift of one column (see the module's notes); NaN where undefined; ``std_ratio`` is
    inf where the reference's values are constant and the new data's vary.

    ``p_values`` are Holm-adjusted over the whole run (None: the test could not be made, such as
    a spread from fewer than 4 values); ``reasons`` are the tests on which the column drifted.
    Text and boolean columns have ``kind == "categories"``: their moments are NaN, and
    ``new_categories`` and ``vanished_categories`` list what changed, and
    ``largest_share_change`` is the ``ln`` of the share ratio of the change that decided (above
    0 a share rose, below it fell; its absolute value is the size compared with the threshold).
    ``untested`` are the tests the reference could not make (the distribution against merged
    quantiles, interpolated, not a sample's) whose size is above the threshold and which, made
    as if it could, would be significant: nothing says the column did not drift on them.
    """

    name: str
    kind: str
    count: int
    missing: int
    threshold: float
    reference_mean: float
    mean: float
    reference_std: float
    std: float
    mean_shift: float
    std_ratio: float
    reference_missing_rate: float
    missing_rate: float
    missing_change: float
    psi: float
    ks: float
    largest_share_change: float
    new_categories: tuple[str, ...]
    vanished_categories: tuple[str, ...]
    p_values: dict[str, float | None]
    reasons: tuple[str, ...]
    untested: tuple[str, ...] = ()

    @property
    def drifted(self) -> bool:
        return bool(self.reasons)

    @property
    def p_value(self) -> float:
        """The smallest adjusted p-value of the column's tests (NaN if none was made)."""
        made = [p for p in self.p_values.values() if p is not None]
        return min(made) if made else math.nan


@dataclass(frozen=True)
class DriftReport:
    """Drift of every column of a stat file in new data."""

    columns: list[ColumnDrift]
    rows: int
    threshold: float
    alpha: float
    tests: int
    sources: list[str]
    notes: tuple[str, ...] = ()
    #: What says that an input without a record looks normalized by these statistics already
    #: (as ``transform`` judges it), or None.
    normalized: str | None = None

    @property
    def drifted(self) -> list[str]:
        """Names of the columns that drifted."""
        return [c.name for c in self.columns if c.drifted]

    @property
    def untested(self) -> list[str]:
        """Names of the columns that did not drift on the tests made but might have on a test
        the reference could not make (:attr:`ColumnDrift.untested`): no "no drift" of them."""
        return [c.name for c in self.columns if c.untested and not c.drifted]

    def to_dict(self) -> dict:
        """A JSON-ready dict: an undefined number (NaN) as None, an infinite one as the string
        ``"Infinity"`` or ``"-Infinity"``, as stat files write it (a ``std_ratio`` of a column
        constant in the reference that varies in the new data)."""

        def clean(value):
            if isinstance(value, float) and not math.isfinite(value):
                return None if math.isnan(value) else float_out(value)
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, tuple):
                return list(value)
            return value

        columns = []
        for column in self.columns:
            entry = {k: clean(v) for k, v in asdict(column).items()}
            entry["drifted"] = column.drifted
            columns.append(entry)
        return {
            "threshold": self.threshold,
            "alpha": self.alpha,
            "tests": self.tests,
            "rows": self.rows,
            "sources": self.sources,
            "drifted": self.drifted,
            "untested": self.untested,
            "normalized": self.normalized,
            "columns": columns,
            "notes": list(self.notes),
        }


def drift_files(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    reference: Standardizer | FittedStats | str | os.PathLike[str],
    options: DriftOptions | None = None,
    read: ReadOptions | None = None,
    progress: Progress | None = None,
) -> DriftReport:
    """Compare new data with the statistics it should match.

    Parameters
    ----------
    inputs : path or sequence of paths
        Files, ``"-"``, directories or glob patterns.
    reference : Standardizer, FittedStats or path
        Fitted statistics with a distribution sketch (any stat file written by ``normkit fit``),
        or the stat file to read them from.
    options : DriftOptions or None
    read : ReadOptions or None
    progress : callable(reader, rows) or None

    Returns
    -------
    DriftReport
    """
    params.not_data("inputs", inputs, "for data in memory: normkit.drift_batches(X, reference)")
    options = params.or_default("options", options, DriftOptions)
    told = params.or_default("read", read, ReadOptions)
    params.callback("progress", progress)
    path = stats_path(reference)
    reference = _reference(reference, path, options)
    sources = open_dataset(inputs, told.completed_by(reference.read), told=told)
    reference = matched_by_position(reference, sources)
    reference = with_vacant_counted(reference, sources[0].schema.names)
    names = list(reference.names)
    text = list(reference.categories or {})
    check_stat_columns(sources, names + text, reference)
    refuse_other_scale(sources, reference)
    column = weight_column_of(reference.passthrough)
    weighted = column is not None and all(column in s.schema.names for s in sources)
    accumulator = Accumulator(names, weighted=weighted, weight_name=column if weighted else None)
    counter = exact_counter(reference) if text else None
    weights = column if weighted else None
    looks = _looks(reference, sources, names)
    observe = _looking(looks, sources, accumulator) if looks else None
    with reading_weights(weights):  # a word among the weights told as fit tells it
        feed(accumulator, sources, names, progress, observe, counter, weight_column=weights)
    require_rows(accumulator.n_rows, sources)
    result = accumulator.finish()
    where = describe_sources(sources)
    require_some_weight(result.moments, weights, where)
    counts = counter.result(counter.cap) if counter is not None else {}
    seen = (name for source in sources for name in source.schema.names)
    notes = report_notes(reference, column, weighted, seen)
    report = _judge(reference, result, counts, options, [s.name for s in sources], notes, where)
    said = (look.normalized_already(name) for name, look in looks.items())
    normalized = next((text for text in said if text is not None), None)
    if normalized is None:
        return report
    # The verdict stands (the data did move from the statistics'), said with why.
    return replace(report, normalized=f"{normalized}: {COMPARE_SAME_SCALE}")


def _looks(
    reference: FittedStats, sources: Sequence[Reader], names: list[str]
) -> dict[str, Resemblance]:
    """Transform's look (:class:`~normkit.jobs.resemblance.Resemblance`) at each input without
    a record of how it was made, against statistics of raw data: one a pipe's transform
    normalized with them seems to drift in every column."""
    if not names or (data_scale(reference.provenance) or frozenset({None})) != {None}:
        return {}
    unrecorded = {s.name for s in sources if recorded_scale(s) is None}
    unrecorded -= fitted_raw(sources, reference.provenance)
    affine = reference.frozen()
    judged = (affine, False, (None, None), False, False)
    return {name: Resemblance.of(reference, names, *judged) for name in unrecorded}


def _looking(
    looks: dict[str, Resemblance], sources: Sequence[Reader], accumulator: Accumulator
) -> Callable[[list[np.ndarray], int], None]:
    """A :func:`~normkit.jobs.sources.feed` observer showing the batches
    :func:`~normkit.jobs.resemblance.looks_at` picks to the look of their input."""
    batches: dict[str, int] = {}

    def observe(columns: list[np.ndarray], row: int) -> None:
        name = sources[accumulator.part].name
        look = looks.get(name)
        if look is None:
            return
        i = batches[name] = batches.get(name, -1) + 1
        if looks_at(i):
            wanted = look.rows_wanted(i)
            look.update(np.column_stack([column[:wanted] for column in columns]))

    return observe


def drift_batches(
    batches: Iterable,
    reference: Standardizer | FittedStats | str | os.PathLike[str],
    options: DriftOptions | None = None,
) -> DriftReport:
    """:func:`drift_files` on data in memory: an iterable of pandas DataFrames, pyarrow Tables
    or RecordBatches, or mappings of column name to array; one of them alone is one batch."""
    options = params.or_default("options", options, DriftOptions)
    batches = _batches(batches)
    reference = _reference(reference, stats_path(reference), options)
    names = list(reference.names)
    text = list(reference.categories or {})
    column = weight_column_of(reference.passthrough)
    accumulator = Accumulator(names, weight_name=column)
    counter = exact_counter(reference)
    weighted = None
    seen: dict[str, None] = {}
    for batch in batches:
        table = pa.table(dict(batch)) if isinstance(batch, Mapping) else as_arrow(batch)
        check_columns(table.schema.names, names + text)
        seen.update(dict.fromkeys(table.schema.names))
        has = column is not None and column in table.schema.names
        if weighted is not None and has != weighted:
            raise SchemaError(f"the weight column {column!r} is in some batches and not others")
        weighted = has
        refuse_non_numbers(table, names, accumulator.n_rows)
        columns = [to_float64(table.column(name)) for name in names]
        weights = to_float64(table.column(column)) if has else None
        accumulator.update(columns, weights=weights)
        kept = None if weights is None or (weights > 0).all() else pa.array(weights > 0)
        for name, keep in zip(text, counter.keep, strict=True):
            values = table.column(name) if kept is None else table.column(name).filter(kept)
            spelled = name in counter.booleans and not pa.types.is_boolean(values.type)
            counts = value_counts(values, counter.cap, keep=sorted(keep), spelled_booleans=spelled)
            counter.update(name, *counts)
    if not accumulator.n_rows:
        raise DataError("no data to check: the batches hold no rows")
    result = accumulator.finish()
    require_some_weight(result.moments, column if weighted else None, None)
    counts = counter.result(counter.cap)
    notes = report_notes(reference, column, bool(weighted), seen)
    return _judge(reference, result, counts, options, ["<memory>"], notes)


#: What :func:`drift_batches` takes as its batches.
_BATCHES = "a table (a DataFrame, a pyarrow Table or RecordBatch, a mapping) or an iterable of them"


def _is_batch(batch: object) -> bool:
    return isinstance(batch, pa.Table | pa.RecordBatch | Mapping) or is_eager_frame(batch)


def _batches(batches: object) -> Iterator:
    """The batches given to :func:`drift_batches`: one table alone is one batch."""
    if _is_batch(batches):
        yield batches
        return
    if not isinstance(batches, Iterable) or isinstance(batches, str | bytes):
        params.check_type("batches", batches, (), _BATCHES)
    for batch in batches:
        if not _is_batch(batch):
            raise params.wrong_type("batches", batch, _BATCHES, held=True)
        yield batch


def _reference(reference, path: str | None, options: DriftOptions) -> FittedStats:
    stats = as_stats(reference, "reference")
    if stats.sketch is None and not _without_data(stats):
        error = StatsFileError(
            f"the stat file has no distribution sketch ({_no_sketch_reason(stats.provenance)}); "
            "fit it again to check drift"
        )
        raise error.within(path) if path is not None else error
    passed = [p.name for p in stats.passthrough or ()]
    weight = weight_column_of(stats.passthrough)
    if stats.categories and weight in stats.categories:  # counted by an older normkit: no feature
        kept = {n: c for n, c in stats.categories.items() if n != weight}
        stats = replace(stats, categories=kept)
    options.check_columns([*stats.names, *(stats.categories or {})], passed)
    return stats


def _no_sketch_reason(provenance: Mapping) -> str:
    """Why statistics have no sketch, as their provenance tells."""
    if "merged_from" in provenance:
        return "it was merged from files of which some had none"
    if not provenance:  # a merge in memory records no provenance
        return "it was merged in memory from statistics of which some had none"
    if "continued" in provenance:
        return "it holds statistics continued in memory (partial_fit) from some that had none"
    return "it was written by an older normkit"


def _without_data(stats: FittedStats) -> bool:
    """Statistics that came without their data (no range: every fit has one), which no refit
    can give a sketch."""
    return bool(np.isnan(stats.min).all() and np.isnan(stats.max).all())


# -- judging ---------------------------------------------------------------------------------


def _judge(
    reference: FittedStats,
    result: Accumulated,
    categories: Mapping[str, CategoryCounts],
    options: DriftOptions,
    sources: list[str],
    notes: tuple[str, ...] = (),
    where: str | None = None,
) -> DriftReport:
    names = list(reference.names)
    n = len(names)
    new = FittedStats.from_pass(
        names,
        reference.dtypes,
        result,
        StatsOptions(ddof=reference.options.ddof),
        np.ones(n),
        np.zeros(n),
    )
    pending = [numeric_scores(reference, new, result, j) for j in range(n)]
    saved = reference.categories or {}
    pending += [
        categorical_scores(name, *booleans_alike(saved[name], categories[name])) for name in saved
    ]
    # Holm over every test of every column: one false-alarm level for the run.
    keys = [(i, test) for i, column in enumerate(pending) for test in column.raw]
    adjusted = significance.holm([pending[i].raw[test] for i, test in keys])
    p_values: list[dict[str, float | None]] = [{} for _ in pending]
    for (i, test), p in zip(keys, adjusted, strict=True):
        p_values[i][test] = float(p) if math.isfinite(p) else None
    # The tests the reference can make only approximately are not made; each counts as one
    # more of the family (Bonferroni) in saying whether it might have found drift.
    family = int(np.isfinite(adjusted).sum()) + sum(len(c.approximate) for c in pending)
    columns = []
    for i, column in enumerate(pending):
        threshold = options.threshold_of(column.scores["name"])
        reasons = tuple(
            test
            for test, p in p_values[i].items()
            if p is not None and p <= options.alpha and column.sizes[test] > threshold
        )
        untested = tuple(
            test
            for test, p in column.approximate.items()
            if p * family <= options.alpha and column.sizes[test] > threshold
        )
        columns.append(
            ColumnDrift(
                **column.scores,
                threshold=threshold,
                p_values=p_values[i],
                reasons=reasons,
                untested=untested,
            )
        )
    tests = int(np.isfinite(adjusted).sum())
    if not tests:
        raise _nothing_tested(reference, columns, where)
    notes += sample_notes(reference, columns, unknown_to_import(reference, "missing"))
    notes += unknown_missing_weight_note(reference)
    return DriftReport(
        columns, int(new.n_rows), options.threshold, options.alpha, tests, sources, notes
    )


def _nothing_tested(
    reference: FittedStats, columns: list[ColumnDrift], where: str | None
) -> DataError:
    """The refusal of a check that could make no test of any column: "no drift" would say what
    nothing showed."""
    empty = [c.name for c in columns if c.count == 0]
    why = ""
    if len(empty) == len(columns):
        why = f" ({listed(empty)} {'has' if len(empty) == 1 else 'have'} no value in it)"
    if unknown_missing_weight_note(reference):
        hint = "fit the statistics again: their file lacks the weight of the missing values"
    else:
        hint = "check data with more values"
    return DataError(
        f"{where + ': ' if where else ''}no test of drift could be made of any column{why}, so "
        "nothing tells whether the data drifted",
        hints=(hint,),
    )
