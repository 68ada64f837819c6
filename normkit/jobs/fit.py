"""Fit statistics on files: one streaming pass over a data set, in bounded memory."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence

from .. import params
from ..core.accumulator import Accumulator
from ..core.categories import CategoryCounter
from ..errors import DataError, NormkitError, SchemaError, listed, param
from ..estimator.files import saved
from ..estimator.standardizer import Standardizer
from ..io.arrow import numeric_type_named
from ..io.csv.columns import exclude_hint, leave_out_hint
from ..io.dataset import (
    dataset_dtypes,
    describe_sources,
    open_dataset,
    reference_reader,
    reference_schema,
)
from ..io.options import ReadOptions
from ..io.reader import Reader
from ..stats.constant_note import warn_fit_notes
from ..stats.empty import with_empty_passed_through
from ..stats.fitted import FittedStats
from ..stats.passthrough import categorical_columns
from ..stats.shift import check_shift, per_column
from ..stats.statfile import check_stat_path, now
from .categories import booleans_as_found
from .columntypes import passed_through_as_written
from .late_text import TextLater
from .recipes import refuse_mixed_scales
from .sources import (
    IntegerCheck,
    Progress,
    describe_source,
    detected_dialect,
    feed,
    identifier_check,
    note_other_dialects,
    read_encoding,
    renamed_columns,
    require_rows,
    select_dataset_columns,
)
from .weights import (
    chosen_weight_column,
    mark_weight,
    reading_weights,
    require_some_weight,
    weights_as_read,
    without_weight,
)

__all__ = ["chosen_by_name", "conclude_fit", "fit_files"]


def fit_files(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    estimator: Standardizer | None = None,
    read: ReadOptions | None = None,
    progress: Progress | None = None,
    output: str | os.PathLike[str] | None = None,
    *,
    weight_column: str | None = None,
) -> Standardizer:
    """Fit one set of statistics over one or more files in a single streaming pass.

    Parameters
    ----------
    inputs : path or sequence of paths
        CSV, Parquet or Arrow IPC files (``"-"``: stdin), directories or glob patterns (see
        :mod:`normkit.io.dataset` for the order of their files). All files must have the same
        columns. In a data set of several files, a file with no data rows is an empty part.
    estimator : Standardizer or None
        Its parameters choose the columns, ddof, eps, running statistics...; default
        ``Standardizer()``. It is not modified.
    read : ReadOptions or None
    progress : callable(reader, rows) or None
    output : path or None
        The stat file to write (``"-"``: standard output), atomically, once the fit is done;
        refused before any data is read if it is one of the inputs. None: none is written
        (save the result with :meth:`Standardizer.save`).
    weight_column : str or None
        A numeric column holding each row's sample weight (frequency weights: a row of weight
        ``w`` counts as ``w`` rows; negative, infinite and missing weights are refused with
        their row). The statistics are then weighted, as ``StandardScaler().fit(X,
        sample_weight=w)``'s, and have no running statistics (BatchNorm's have no weights,
        whatever the estimator's ``ema``); the column is passed through, its ``why``
        ``"weight"``.

    Returns
    -------
    Standardizer
        Fitted, with the estimator's parameters and ``provenance_`` describing the inputs
        (the statistics of the stat file written to ``output``).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(path, "w").write("id,x\\n1,1.0\\n2,2.0\\n3,6.0\\n")
    >>> fit_files(path, Standardizer(exclude=["id"])).mean_.tolist()
    [3.0]
    """
    params.not_data("inputs", inputs, "for data in memory: normkit.Standardizer().fit(X)")
    estimator = params.or_default("estimator", estimator, Standardizer)
    read = params.or_default("read", read, ReadOptions)
    params.callback("progress", progress)
    output = params.path("output", output, optional=True)
    weight_column = chosen_weight_column(estimator, weight_column)
    options = estimator.stats_options()
    sources = open_dataset(inputs, read, output, "the stat file", told=read)
    note_other_dialects(sources, read)
    if output is not None:
        check_stat_path(output)
    if len(sources) == 1 and sources[0].has_rows is False:
        require_rows(0, sources)  # before choosing columns by types that have no rows to tell
    names = select_dataset_columns(estimator, sources, weight_column)
    if weight_column is not None:
        estimator.refuse_running_with_weights()
        names = without_weight(estimator, sources, names, weight_column)
    refuse_mixed_scales(sources, names)
    present = reference_reader(sources).schema.names
    gamma = per_column(estimator.gamma, names, "gamma", 1.0, present)
    beta = per_column(estimator.beta, names, "beta", 0.0, present)
    check_shift(names, gamma, beta, given=True, options=options)  # before the data is read
    accumulator = Accumulator(
        names,
        running=estimator.ema_options(),  # none with weights: the accumulator drops it
        weighted=weight_column is not None,
        weight_name=weight_column,
    )
    reference = reference_reader(sources)
    dtypes = dataset_dtypes(sources, names)
    if not reference.typed:  # a CSV column typed as text but chosen by name is read as numbers
        dtypes = [d if d == "null" or numeric_type_named(d) else "double" for d in dtypes]
    # A CSV's types are its first rows' guess: integers are checked over the whole data.
    by_type = estimator.columns is None
    integers = None if reference.typed else IntegerCheck(dtypes, names, by_type)
    identifiers = identifier_check(sources, dtypes, names, by_type)
    schema = reference_schema(sources)  # a column empty in the first file: the next one's type
    passthrough = mark_weight(estimator.passed_through(schema, names), weight_column)
    categories = CategoryCounter(categorical_columns(schema, passthrough))
    chosen = names if estimator.columns is not None else ()  # chosen by name, not by type
    late = TextLater(names, dtypes, by_type, categories.cap)
    with reading_weights(weight_column), chosen_by_name(chosen):
        rows = feed(
            accumulator,
            sources,
            names,
            progress,
            integers,
            categories,
            weight_column,
            late,
            identifiers,
        )
    require_rows(accumulator.n_rows, sources)
    if late.turned:  # as if their words had stood in the first rows
        schema = late.as_text(schema)
        kept = [n for n in names if n not in late.turned]
        passthrough = mark_weight(estimator.passed_through(schema, kept), weight_column)
    counted = late.counted(categories.result(), categorical_columns(schema, passthrough))
    stats = FittedStats.from_pass(
        names,
        dtypes if integers is None else integers.dtypes,
        accumulator.finish(),
        options,
        gamma,
        beta,
        read=read.settings(
            detected_dialect(sources), renamed_columns(sources), read_encoding(sources)
        ),
        passthrough=weights_as_read(
            passed_through_as_written(booleans_as_found(passthrough, counted), sources, names),
            sources,
            weight_column,
        ),
        categories=counted,
        inputs=reference.schema.names,
    )
    if late.turned:
        stats = stats.select([n for n in names if n not in late.turned])
    require_some_weight(stats.moments, weight_column, describe_sources(sources))
    described = [describe_source(s, n) for s, n in zip(sources, rows, strict=True)]
    fitted = Standardizer.from_stats(
        conclude_fit(stats, sources, described, by_type=estimator.columns is None),
        **{**estimator.get_params(), "weight_column": weight_column},
    )
    return saved(fitted, output)


def conclude_fit(
    stats: FittedStats, sources: Sequence[Reader], described: list[dict], *, by_type: bool
) -> FittedStats:
    """Check a data set's fitted statistics (every column has values, nothing overflowed; the
    message names the files) and record where they came from. With the columns chosen
    ``by_type`` (not by name), a column with no value at all is passed through instead, its
    ``why`` ``"no values"`` (see :func:`with_empty_passed_through`)."""
    if by_type:
        stats = with_empty_passed_through(stats, reference_reader(sources).schema.names)
        if stats.n_columns and not stats.count.any():  # each empty: excluding them leaves none
            raise SchemaError(
                f"{describe_sources(sources)}: no numeric column to normalize ("
                f"{listed(stats.names)} of no value in any row)",
                hints=(f"choose some with {param('columns')}",),
            )
    try:
        stats.check_values()
    except DataError as exc:
        if not by_type:  # chosen by name: excluding the column would contradict the choice
            them = int((stats.count == 0).sum()) > 1  # columns without values, refused together
            exc = DataError(exc.message, param=exc.param, hints=(leave_out_hint(them=them),))
        raise exc.within(describe_sources(sources)) from None
    warn_fit_notes(stats)
    return stats.with_provenance({"sources": described, "created": now()})


@contextlib.contextmanager
def chosen_by_name(columns: Sequence[str]) -> Iterator[None]:
    """A value refused in a column chosen by name is told to leave the column out of the
    choice: excluding it, the way out for a column chosen by its type, contradicts the choice."""
    try:
        yield
    except NormkitError as exc:
        swap = {exclude_hint(c, None): leave_out_hint() for c in columns}
        if not any(h in swap for h in exc.hints):
            raise
        hints = [swap.get(h, h) for h in exc.hints]
        raise type(exc)(exc.message, param=exc.param, hints=hints) from None
