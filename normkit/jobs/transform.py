"""Transform (and inverse) files with saved statistics: streamed, written atomically."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from .. import params
from ..errors import (
    DataError,
    InputError,
    OptionError,
    infinity_hints,
    param,
)
from ..estimator.apply import (
    affine_map,
    map_batch,
    output_schema,
    pandas_columns,
    refuse_infinite,
)
from ..estimator.files import as_stats, stats_path
from ..estimator.learning import StreamNormalizer
from ..estimator.standardizer import Standardizer
from ..estimator.vacant import vacant_columns
from ..io.arrow import kept_metadata
from ..io.dataset import (
    Concatenated,
    in_order,
    open_dataset,
    reference_reader,
    refuse_csv_options,
)
from ..io.dictionaries import capacity_in, encoded_as, united_dictionaries, widened
from ..io.formats import (
    STDIO,
    Format,
    check_output_extension,
    refuse_other_compression,
    resolve_format,
)
from ..io.options import ReadOptions
from ..io.reader import Reader
from ..io.sinks import open_sink
from ..stats import fingerprints, running_notes, statfile
from ..stats.fitted import FittedStats
from ..stats.passthrough import weight_column_of
from ..stats.recipe import Recipe, inverse_settings, recorded_in, refuse_renormalizing
from .columntypes import (
    check_dataset_types,
    settle_as_recorded,
    text_where_types_differ,
    typed_where_null,
)
from .outputs import before_writing, check_outputs, csv_written, saved_only_whole
from .overflow import refuse_infinite_output
from .recipes import restored_pandas, shared_record
from .resemblance import Resemblance, looked_at
from .restore import restored_batch, restored_types, transformed_dtypes
from .sources import Progress, about_stat_file, fitted_raw, stats_for_dataset
from .splice import cell, rewritable, rewrite_csv
from .texttypes import (
    MAX_CATEGORIES,
    WrittenCategories,
    cast_as_recorded,
    fields_to_record,
    in_recorded_fields,
    recorded_categories,
    recorded_pandas,
    recorded_types,
    types_to_record,
    with_recorded_fields,
)
from .vacant import refuse_values
from .weights import reading_weights

__all__ = [
    "TransformOptions",
    "TransformResult",
    "transform_file",
]


@dataclass(frozen=True)
class TransformOptions:
    """How a transform normalizes.

    Parameters
    ----------
    mode : {"frozen", "batch", "adaptive"}, default "frozen"
        ``frozen`` (BatchNorm's eval mode): ``gamma * (x - mean) / scale + beta`` with the saved
        statistics. ``batch`` (train mode): each logical batch with its own mean and biased
        variance plus eps. ``adaptive``: each batch with the running statistics as they stood
        before it. The last two update the running statistics. Statistics fitted without
        ``with_mean`` are not centered, and without ``with_std`` not divided, in every mode.
    use : {"exact", "ema"} or None
        The statistics of a frozen transform; default exact.
    gamma, beta : float, mapping of column to float, or None
        Affine parameters; None keeps those in the statistics (default 1 and 0).
    batch_size : int or None
        Logical batch size of ``batch`` and ``adaptive`` modes; default the stat file's.
    inverse : bool, default False
        Apply the inverse of a frozen transform. Inputs record how they were normalized
        (Parquet and Arrow in their metadata, a CSV file beside it:
        :mod:`normkit.io.sidecar`); the inverse undoes that (``use``, ``gamma``, ``beta`` may
        be left out, and are refused if they contradict the record). An input without a
        record (a CSV from standard input) is refused unless one of ``use``, ``gamma`` and
        ``beta`` at least is given: the inverse undoes the transform these options describe
        (the others by default the exact statistics, the statistics' gamma and beta); with
        ``use`` None, one that looks normalized with the running statistics is refused.
    save_stats : path or None
        After a ``batch`` or ``adaptive`` transform, write the statistics with the updated
        running statistics here (atomically), and the batch size, gamma and beta used.
    output_format : str, Format or None
        None infers it from the output's extension (stdout: CSV).
    renormalize : bool, default False
        Normalize data whose record says normkit already normalized it, or, in an input
        without a record (a CSV from a pipe), whose columns look normalized already (both
        refused by default; see :class:`~normkit.jobs.resemblance.Resemblance`).
    assume_normalized : bool, default False
        Invert an input without a record (a CSV from a pipe) even though its columns look
        like raw data rather than data these statistics normalized (refused by default).
    restore_types : bool, default True
        An inverse writes the types the data transformed had (as the inputs' records keep
        them, else as the statistics record them: integers, narrower floats, decimals),
        refusing values that are not of them within rounding; False keeps float64.
    keep_text : bool, default False
        From CSV to Parquet or Arrow, keep the columns passed through as text; by default they
        get the types their first block has (a later value of another type is refused).
    """

    mode: str = "frozen"
    use: str | None = None
    gamma: float | Mapping[str, float] | None = None
    beta: float | Mapping[str, float] | None = None
    batch_size: int | None = None
    inverse: bool = False
    save_stats: str | os.PathLike[str] | None = None
    output_format: str | Format | None = None
    renormalize: bool = False
    assume_normalized: bool = False
    restore_types: bool = True
    keep_text: bool = False

    def __post_init__(self) -> None:
        for name in ("mode", "use", "batch_size"):
            params.check(name, getattr(self, name))
        if self.gamma is not None:
            params.check("gamma", self.gamma)
        if self.beta is not None:
            params.check("beta", self.beta)
        if self.output_format is not None:
            resolve_format("", self.output_format, param_name="output_format")
        mode = self.mode
        if self.inverse and mode != "frozen":
            raise OptionError(
                f"{mode} output cannot be inverted: each batch was normalized with statistics "
                "of its own, which the stat file does not hold",
                param="mode",
            )
        if mode != "frozen" and self.use is not None:
            raise OptionError(
                f"{param('use')} applies to frozen transforms only, not to mode {mode}",
                param="use",
            )
        if self.save_stats is not None and mode == "frozen":
            raise OptionError(
                f"{param('save_stats')} needs {param('mode', 'batch')} or adaptive (a frozen "
                "transform learns nothing)",
                param="save_stats",
            )
        if self.batch_size is not None and mode == "frozen":
            raise OptionError(
                f"{param('batch_size')} applies to {param('mode', 'batch')} or adaptive",
                param="batch_size",
            )

    @property
    def asked(self) -> tuple[bool, bool, bool]:
        """Whether ``use``, ``gamma`` and ``beta`` were given: an inverse takes the others
        from its inputs' record, and of an input without one, needs one of them at least."""
        return (self.use is not None, self.gamma is not None, self.beta is not None)


@dataclass(frozen=True)
class TransformResult:
    """What a file transform did."""

    rows: int
    output: str
    format: Format
    columns: int = 0  # normalized (or restored) columns
    delimiter: str | None = None  # a CSV output's separator
    encoding: str | None = None  # a CSV output's encoding, where not UTF-8
    recorded: bool = True  # the output records how it was made (not a CSV on a pipe)
    inputs_recorded: bool = True  # the inputs recorded how they were made (or were raw)
    #: A CSV output's dictionary columns whose categories its record cannot keep (more than
    #: :data:`~normkit.jobs.texttypes.MAX_CATEGORIES`): read back, they are their values.
    categories_unkept: tuple[str, ...] = ()
    #: The statistics applied (read from the stat file once: what a report of the run needs).
    statistics: FittedStats | None = None
    #: The columns of the inputs' hive partition keys (their ``key=value`` directories).
    keys: tuple[str, ...] = ()


def warn_far(stats: FittedStats, options: TransformOptions) -> None:
    """Issue the note of a transform with running statistics far from the exact ones
    (:func:`~normkit.stats.running_notes.far_note`), as :meth:`Standardizer.transform` does:
    frozen with them, or adaptive (its first batches are normalized with them)."""
    if options.inverse:
        return
    if options.mode == "adaptive":
        running_notes.warn(running_notes.far_note(stats, adaptive=True), stacklevel=4)
    elif options.use == "ema" and options.mode == "frozen":
        running_notes.warn(running_notes.far_note(stats), stacklevel=4)


def transform_file(
    input: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    stats: Standardizer | FittedStats | str | os.PathLike[str],
    output: str | os.PathLike[str] = STDIO,
    options: TransformOptions | None = None,
    read: ReadOptions | None = None,
    *,
    protected: Sequence[str | os.PathLike[str]] = (),
    progress: Progress | None = None,
    column_order: Sequence[str] | None = None,
    recorded_dtypes: Mapping[str, str] | None = None,
) -> TransformResult:
    """Stream ``input`` through the statistics into ``output``.

    Columns in the statistics become float64; all other columns pass through unchanged and in
    their original order (CSV text exactly as written). Missing values stay missing.

    Parameters
    ----------
    input : path or sequence of paths
        CSV, Parquet or Arrow IPC (``"-"``: stdin); or several files, directories or glob
        patterns, whose rows are written one after the other, in the order of
        :mod:`normkit.io.dataset`, into the one output (their columns must have the same types).
    stats : Standardizer, FittedStats or path
        Fitted statistics, or the stat file to read them from (which the outputs must then not
        overwrite).
    output : path, default ``"-"``
        Written to a temporary file and renamed into place on success (``"-"``: stdout).
    options : TransformOptions or None
        The mode, statistics, affine parameters...; default a frozen transform.
    read : ReadOptions or None
        Options left unset take the values the statistics' fit recorded (delimiter, missing
        values, encoding, infinities).
    protected : sequence of paths
        Other files the outputs must not overwrite (such as the stat file that was read).
    progress : callable(reader, rows) or None
    column_order : sequence of str or None
        The order of the output's columns, the inputs' columns (a data set's files may hold
        them in other orders: they are matched by name). None: the first input's order.
    recorded_dtypes : mapping of column to type name, or None
        The types of the normalized columns the output's record keeps (a data set's part: the
        whole set's, as one transform of it records). None: the inputs'.

    Returns
    -------
    TransformResult
    """
    params.not_data("input", input, "for data in memory: a fitted Standardizer's transform(X)")
    options = params.or_default("options", options, TransformOptions)
    read = params.or_default("read", read, ReadOptions)
    params.callback("progress", progress)
    output = params.path("output", output)
    protected = params.one_or_many("protected", protected)
    if column_order is not None:
        column_order = params.names("column_order", column_order)
    stats_file = stats_path(stats)
    stats = as_stats(stats)
    # Read as the fit read, unless told otherwise (an inverse reads normkit's own output).
    read = read.completed_by(stats.read, own_output=options.inverse)
    output = os.fspath(output)
    save_stats = options.save_stats
    sources = open_dataset(input, read)
    check_outputs(output, save_stats, sources, stats_file, protected)
    refuse_other_compression(output)
    out_format = resolve_format(output, options.output_format, param_name="output_format")
    check_output_extension(output, out_format)
    refuse_csv_options(sources, read, writes_csv=out_format is Format.CSV)
    stats = stats_for_dataset(stats, sources)
    names = list(stats.names)
    # The inputs' own record, where they share one: kept under a second transform, and given
    # back by an inverse (the data is then as it was before the step undone).
    records = [Recipe.of(source) for source in sources]
    recorded = [r is not None for r in records]
    before_writing(sources, out_format, options, recorded, names)
    # CSVs that record the types of their columns passed through get them back in Parquet or
    # Arrow (read as text, then cast), unless text is asked for: a dictionary with its recorded
    # categories (the same in every batch, as an Arrow file needs), or as its values.
    # With the nullability and field metadata their records keep (a Polars Enum, NOT NULL).
    typed_as, categories, fields = {}, {}, {}
    if out_format is not Format.CSV and not options.keep_text:
        typed_as = recorded_types(sources, records, names) or {}
        categories = recorded_categories(records, typed_as)
        if not sources[0].typed:  # CSVs (typed inputs have their fields)
            fields = fields_to_record(sources, records, names, [*names, *typed_as])
    # CSV to CSV keeps every other field as written; to Parquet or Arrow, typed.
    keep_text = options.keep_text or out_format is Format.CSV or bool(typed_as)
    if not keep_text:  # first: a CSV's weight column is read as float64 (so checked)
        settle_as_recorded(sources, stats)
    if out_format is not Format.CSV:  # a CSV holds text, whatever types the inputs give
        check_dataset_types(sources, names, keep_text, settle=True, cast=True, nulls=True)
    # An inverse of data normalized twice gives data normalized once: floats, whatever the
    # types the stat file records for the raw data.
    once_more = any(r is not None and r.previous is not None for r in records)
    restore = options.inverse and options.restore_types and not once_more
    restored, as_transformed, kept = restored_types(stats, records) if restore else ({}, (), {})
    reference = reference_reader(sources)
    # The input's schema metadata is kept, but for other writers' records of the types, which
    # would no longer be true; pandas' is kept with the fitted columns made float64, so that
    # pandas reads the columns passed through and the index as they were.
    read_schema = typed_where_null(
        sources, names, reference.batch_schema(names, keep_text), keep_text
    )
    order = list(column_order or sources[0].schema.names)
    try:
        read_schema = in_order(read_schema, order)
    except ValueError:
        raise OptionError(
            f"column_order={order!r} are not the columns of {sources[0].name}"
        ) from None
    if out_format is Format.CSV:
        read_schema = text_where_types_differ(sources, names, read_schema)
    retyped = out_format is Format.CSV or not options.keep_text  # a CSV output passes it on
    if retyped and (doc := recorded_pandas(sources, records, names)):  # as the types come back
        read_schema = read_schema.with_metadata({**(read_schema.metadata or {}), b"pandas": doc})
    schema = output_schema(read_schema.with_metadata(kept_metadata(read_schema.metadata)), names)
    changed = restored | typed_as  # in one pass: a schema's set is linear (20,000 columns)
    schema = pa.schema(
        [f.with_type(changed.get(f.name, f.type)) for f in schema], metadata=schema.metadata
    )
    schema = with_recorded_fields(schema, fields)
    schema = restored_pandas(schema, records, names if restore else ())
    # Read before the transform's pass begins: the categories of the dictionaries normalized,
    # which the record keeps, and those of the columns passed through, one a column in an
    # Arrow IPC or Parquet file (each batch's, united; Parquet's of several dictionaries
    # would read back in the order their values first come, the unused lost).
    keeps_record = out_format is not Format.CSV or output != STDIO  # not a CSV on stdout
    normalized = {}
    if keeps_record and not options.inverse:
        normalized = united_dictionaries(sources, names, lambda _: MAX_CATEGORIES)
    normalized_names = set(names)
    passed = [name for name in order if name not in normalized_names]
    united = united_dictionaries(sources, passed, capacity_in(out_format, output))
    schema = widened(schema, united)
    frozen = options.mode == "frozen"
    # CSV to CSV, frozen: the records are written again by the native engine, the same bytes
    # without the record batches.
    spliced = frozen and not restored and rewritable(sources, out_format, order)
    # Closed on any exit, so that its reading thread has stopped before we return, even on an
    # error: a thread left inside pyarrow at interpreter exit can hang or abort it.
    batches = Concatenated(sources, names, keep_text, read_schema)
    with contextlib.closing(batches), reading_weights(weight_column_of(stats.passthrough), True):
        if not spliced:
            # The reading begins, on the other cores, while the fingerprint and the settings
            # below are made.
            batches.start()
        with about_stat_file(stats_file):
            use, gamma, beta, recorded, recipe = _settings(
                stats, sources, records, options, keeps_record, read_schema, normalized
            )
        if recorded_dtypes is not None and not options.inverse:
            recipe = replace(recipe, dtypes=dict(recorded_dtypes))
        written_categories = None
        if out_format is Format.CSV:  # its text has no types: the record keeps them
            types = types_to_record(sources, schema, names, records)
            doc = (schema.metadata or {}).get(b"pandas") if types is not None else None
            fields_kept = fields_to_record(sources, records, names, schema.names) or None
            recipe = replace(recipe, types=types, types_pandas=doc and doc.decode("utf-8"))
            recipe = replace(recipe, fields=fields_kept)  # NOT NULL, Enum
            if types is not None and keeps_record:  # and its dictionaries' categories
                given_categories = recorded_categories(records, types)
                written_categories = WrittenCategories(types, given_categories)
        schema = schema.with_metadata(recorded_in(schema.metadata, recipe))
        normalizer = None
        with about_stat_file(stats_file):
            running = None if frozen else stats.require_running("mode")
            affine = stats.frozen(use, gamma, beta) if running is None else None
        if affine is not None:
            fn = affine_map(affine, options.inverse)
        else:
            if options.batch_size is not None:
                running = running.with_options(
                    replace(running.options, batch_size=options.batch_size)
                )
            # Located below, once ``locate`` is defined.
            normalizer = StreamNormalizer(
                names, running, options.mode, gamma, beta, options=stats.options
            )

        def locate(row: int, name: str) -> str:
            source, within = batches.source_of(row)
            return cell(source, name, within)

        # Values where the fit found none would pass through unnormalized: refused.
        vacant = vacant_columns(stats)
        checked = refuse_values(batches, vacant, locate, stats_file)

        file_hints = infinity_hints(in_memory=False)
        looks: dict[str, Resemblance] = {}  # per input without a record of how it was made
        allowed = options.assume_normalized if options.inverse else options.renormalize

        def first_look(name: str) -> None:
            # Written to a reader that has it at once (standard output, a pipe), an output
            # cannot be taken back: an input is judged by its first rows, before they go.
            # (``sink``: the output the batches are written to, open by then.)
            if sink.retractable:
                return
            try:
                looks[name].refuse(name, allowed)
            except InputError as exc:
                if looks[name].batches is not None:  # judged by its first rows in a file too
                    raise
                raise type(exc)(
                    f"{exc.message} (judged by its first rows: an output to a pipe cannot wait "
                    "for the rest)",
                    param=exc.param,
                    hints=(
                        *exc.hints,
                        "write the output to a file, judged on rows from all over the input",
                    ),
                ) from None

        if normalizer is None:
            # One output batch per input batch: an infinite output is told from an overflow by its
            # input, which is checked only then (the check costs as much as the transform).
            inputs: Iterator[pa.RecordBatch] = checked
            unrecorded = {s.name for s in sources if Recipe.of(s) is None}
            if not options.inverse:  # the very data they were fitted on is raw, whatever its look
                unrecorded -= fitted_raw(sources, stats.provenance)
            if unrecorded:
                # Nothing records how these were made: what their columns look like must do.
                # An inverse with the exact statistics nobody asked for: of data the running
                # ones normalized?
                unasked = options.inverse and options.use is None
                unasked = unasked and (use or stats.default_use) == "exact"
                assumed = None in (options.gamma, options.beta)
                judged = (affine, options.inverse, (gamma, beta), unasked, assumed)
                looks = {n: Resemblance.of(stats, names, *judged) for n in unrecorded}
                inputs = looked_at(checked, batches, names, looks, first_look)
            # Each output with its input, and which columns the mapping found infinite values in.
            mapped = ((given, *map_batch(given, names, fn)) for given in inputs)
        else:  # a batch holding an infinite value would come out as NaN: refused first
            normalizer.locate = locate
            finite = refuse_infinite(checked, names, locate, file_hints)
            mapped = ((None, batch, None) for batch in normalizer(finite))
        written, nulls = csv_written(read.csv, reference, sources)
        with (
            saved_only_whole(save_stats),
            open_sink(
                output,
                schema,
                out_format,
                written,
                reference.line_end,
                nulls,
                reference.big_endian,
                reference.renamed,
            ) as sink,
        ):
            if spliced:
                args = (sources, names, affine, options.inverse, sink, looks, file_hints)
                rewrite_csv(*args, progress, vacant=(vacant, stats_file), first_look=first_look)
                mapped = iter(())
            for given, batch, infinite in mapped:
                at = (sink.rows_written, file_hints, infinite, options.inverse)
                refuse_infinite_output(batch, given, names, locate, *at)
                if typed_as:
                    batch = cast_as_recorded(
                        batch,
                        typed_as,
                        reference.missing_text,
                        read.csv.decimal_point,
                        lambda row, name: locate(sink.rows_written + row, name),
                        categories,
                        fields,
                        reference.text_nulls,
                    )
                if restored:
                    try:
                        at = (batches, sink.rows_written)
                        # How the inputs were normalized is known: recorded, or all said.
                        said = all(options.asked)
                        batch = restored_batch(
                            batch,
                            given,
                            restored,
                            schema,
                            at,
                            recorded or said,
                            affine,
                            names,
                            kept,
                            as_transformed,
                        )
                    except DataError:
                        for name, look in looks.items():  # raw data, rather than a bad value?
                            look.refuse(name, allowed)
                        raise
                batch = in_recorded_fields(batch, schema, fields, locate, sink.rows_written)
                sink.write(encoded_as(batch, united) if united else batch)
                if written_categories is not None:
                    written_categories.add(batch, batches.source_of(sink.rows_written - 1)[0].name)
                if progress is not None:
                    progress(batches.source_of(sink.rows_written - 1)[0], sink.rows_written)
            for name, look in looks.items():  # before the output lands
                look.refuse(name, allowed)
            unkept: list[str] = []
            if written_categories is not None:
                recipe, unkept = written_categories.recorded(recipe)
                sink.keep_in_record(recipe.to_metadata())
            if save_stats is not None:
                if normalizer.overflow is not None:  # type: ignore[union-attr]
                    raise normalizer.overflow  # type: ignore[union-attr]
                # With the gamma and beta used (given to this transform or the stat file's), as
                # the batch size is in the running options: the next run goes on alike.
                learned = replace(
                    stats.with_running(normalizer.state),  # type: ignore[union-attr]
                    gamma=np.array(gamma, dtype=np.float64),
                    beta=np.array(beta, dtype=np.float64),
                )
                learned = learned.with_provenance({**learned.provenance, "updated": statfile.now()})
                # Written whole before the output lands, and moved into place with it.
                staged = statfile.stage(learned, save_stats)
                try:
                    sink.commit(after=staged.commit)
                finally:
                    staged.discard()  # nothing left once committed
        warn_far(stats, options)
        return TransformResult(
            sink.rows_written,
            output,
            out_format,
            len(names),
            sink.delimiter,
            sink.encoding,
            recorded=out_format is not Format.CSV or sink.recorded,
            inputs_recorded=recorded or not options.inverse,
            categories_unkept=tuple(unkept),
            statistics=stats,
            keys=sources[0].keys,
        )


def _settings(
    stats: FittedStats,
    sources: Sequence[Reader],
    records: Sequence[Recipe | None],
    options: TransformOptions,
    keeps_record: bool,
    read_schema: pa.Schema,
    dictionaries: Mapping[str, pa.Array],
) -> tuple[str | None, np.ndarray, np.ndarray, bool, Recipe]:
    """The statistic used, gamma and beta, whether the inputs record how they were made, and
    the record of this transform (with pandas' record of the normalized columns in
    ``read_schema``, the categories of those that were ``dictionaries``, and the types they had);
    an inverse takes the first four from the inputs' records."""
    names = list(stats.names)
    gamma, beta = stats.affine(options.gamma, options.beta)
    use = options.use
    recorded = False
    if options.inverse:
        use, gamma, beta = inverse_settings(sources, stats, use, gamma, beta, options.asked)
        recorded = any(r is not None for r in records)
    else:
        refuse_renormalizing(sources, stats, options.renormalize)
    # The statistics' fingerprint is recorded in outputs that keep a record (not a CSV on
    # standard output): computed only then.
    fingerprint = None
    if keeps_record:
        fingerprint = fingerprints.fingerprint(
            stats, use or stats.default_use, options.mode, options.batch_size
        )
    shared = shared_record(records)
    recipe = Recipe(
        options.mode,
        use or stats.default_use,
        options.inverse,
        fingerprint,
        dict(zip(names, map(float, gamma), strict=True)),
        dict(zip(names, map(float, beta), strict=True)),
        previous=None if options.inverse or shared is None or shared.inverse else shared,
        pandas=None if options.inverse else pandas_columns(read_schema, names),
        dictionaries=dict(dictionaries) or None,
        dtypes=None if options.inverse else transformed_dtypes(sources, names),
    )
    if options.inverse and shared is not None and shared.previous is not None:
        recipe = shared.previous
    return use, gamma, beta, recorded, recipe
