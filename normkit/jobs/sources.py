"""What every job does with the readers of a data set: choose the columns, check them against
the statistics, and feed their rows to an accumulator."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import numpy as np
import pyarrow as pa

from ..core.accumulator import Accumulator
from ..core.categories import CategoryCounter
from ..errors import (
    DataError,
    NormkitNote,
    SchemaError,
    StatsFileError,
    listed,
    param,
    refuse_two_readings,
    times,
)
from ..estimator.apply import check_columns
from ..estimator.standardizer import Standardizer, names_param
from ..io.arrow import (
    extension_name,
    float64_to_arrow,
    holds_integers,
    holds_text,
    is_numeric_field,
    missing_to_null,
    numeric_type_named,
    to_float64,
)
from ..io.csv.names import name_as_written, refuse_renamed_apart
from ..io.dataset import describe_sources, reference_reader, reference_schema
from ..io.dialect_words import dialect_words
from ..io.formats import Format
from ..io.options import ReadOptions
from ..io.reader import Reader, not_numeric_error
from ..io.threads import Prefetch
from ..stats.fitted import FittedStats
from ..stats.positional import named_by_position, renamed
from .categories import add_counts, count_batches
from .late_text import TextLater
from .recipes import recorded_scale

__all__ = [
    "IdentifierCheck",
    "IntegerCheck",
    "Progress",
    "about_stat_file",
    "check_stat_columns",
    "describe_source",
    "detected_dialect",
    "feed",
    "fitted_raw",
    "identifier_check",
    "matched_by_position",
    "note_other_dialects",
    "read_encoding",
    "renamed_columns",
    "require_rows",
    "select_dataset_columns",
    "stats_for_dataset",
]

#: Called after each batch with the reader being read and the rows it gave so far.
Progress = Callable[[Reader, int], None]


@contextlib.contextmanager
def about_stat_file(path: str | None) -> Iterator[None]:
    """Statistics found wanting inside (no running statistics asked for, say) are named by
    their stat file ``path``, if they came from one."""
    try:
        yield
    except StatsFileError as exc:
        raise (exc.within(path) if path is not None else exc) from None


def select_dataset_columns(
    estimator: Standardizer, sources: Sequence[Reader], weight_column: str | None = None
) -> list[str]:
    """The columns ``estimator`` normalizes in a data set (see
    :meth:`Standardizer.select_columns`): typed by its first file with data rows. The
    ``weight_column`` is read as numbers whatever a CSV's first rows type it."""
    reference = reference_reader(sources)
    present = reference.schema.names
    refuse_two_readings("columns", names_param(estimator.columns), present)
    refuse_two_readings("exclude", names_param(estimator.exclude, "exclude"), present)
    try:
        names = estimator.select_columns(
            reference_schema(sources), typed=reference.typed, source=reference.name
        )
    except SchemaError as exc:
        raise exc.with_hints(reference.hints) from None
    if estimator.columns is None:
        excluded = set(names_param(estimator.exclude, "exclude") or ()) | {weight_column}
        refuse_text_beside_numbers(
            sources, [n for n in reference.schema.names if n not in excluded]
        )
    return names


def refuse_text_beside_numbers(sources: Sequence[Reader], columns: Sequence[str]) -> None:
    """Refuse a data set where one of ``columns`` is of a type that is not numbers (text,
    booleans, dates, times, durations; by a CSV's first rows, or a Parquet or Arrow file's type)
    in one file and numbers in another: chosen by its type, it was passed through, the other
    files' numbers with it, or refused at the first value, by the order of the files. A column
    of no value in a file (type null) is neither."""
    typed = [s for s in sources if s.has_rows is not False]
    if len(typed) < 2:
        return
    for name in columns:
        other = number = None  # the first file of another kind of values, and of numbers
        for source in typed:
            field = source.schema.field(name)
            if is_numeric_field(field):
                number = number or source
            elif not pa.types.is_null(field.type):
                other = other or source
        if other is not None and number is not None:
            kind = _kind_of_values(other.schema.field(name))
            told = " by their first rows" if not (other.typed and number.typed) else ""
            hints = [f"exclude the column ({param('exclude', name)})"]
            if not other.typed and kind == "text":  # a CSV's words may be its missing values
                hints.append(f"add the strings that are not numbers to {param('csv.null_values')}")
            raise SchemaError(
                f"column {name!r} is {kind} in {other.name} but numbers in {number.name}{told}: "
                "read by its type, the numbers of one file would be normalized and the other's "
                "passed through",
                hints=hints,
            )


def _kind_of_values(field: pa.Field) -> str:
    """What the column ``field`` holds, other than numbers: ``text``, ``boolean``, ``of type
    timestamp[us]``, ``of the extension type pandas.period``."""
    if holds_text(field.type):
        return "text"
    if pa.types.is_boolean(field.type):
        return "boolean"
    extension = extension_name(field)
    return f"of type {field.type}" if extension is None else f"of the extension type {extension}"


def matched_by_position(stats: FittedStats, sources: Sequence[Reader]) -> FittedStats:
    """``stats`` for a data set whose columns are named by position, as a CSV read without a
    header names them (``column_1, column_2, ...``; kept by a Parquet or Arrow file written
    from one), where their fit's input columns had no names either (an array's ``x0, x1,
    ...``): renamed place by place to the data set's columns, so that both are matched by
    position, as the estimator takes an array; else as they are.

    Raises
    ------
    SchemaError
        If the data set has another number of columns than the fit's input.
    """
    reader = sources[0]
    inputs, present = list(stats.input_order() or stats.names), list(reader.schema.names)
    by_position = present == [f"column_{i + 1}" for i in range(len(present))]
    if not by_position or not named_by_position(stats) or inputs == present:
        return stats
    if len(inputs) != len(present):
        raise SchemaError(
            f"{reader.name}: the stat file's fit had {len(inputs):,} columns without names "
            f"({listed(inputs)}), matched by position, but the input has {len(present):,} "
            f"({listed(present)})",
            hints=(*reader.hints, "give data of the fit's columns, in the fit's order"),
        )
    return renamed(stats, dict(zip(inputs, present, strict=True)))


def stats_for_dataset(stats: FittedStats, sources: Sequence[Reader]) -> FittedStats:
    """``stats`` to apply to a data set: matched by position where both name their columns so
    (:func:`matched_by_position`), refusing a data set that lacks one of their columns."""
    stats = matched_by_position(stats, sources)
    check_stat_columns(sources, stats.names, stats)
    return stats


def check_stat_columns(
    sources: Sequence[Reader], names: Sequence[str], stats: FittedStats | None = None
) -> None:
    """Refuse a data set that lacks a column of the statistics (its files all have the same
    columns: :func:`~normkit.io.dataset.open_dataset` checks it); where it has none of them
    and ``stats`` match columns by position (:func:`named_by_position`), told so. Refuse one
    whose header repeats the name of one where the fit's header (as ``stats`` record it) did
    not (:func:`_refuse_repeated`), or writes a name that the fit's gave a repeated one
    (:func:`~normkit.io.csv.names.refuse_renamed_apart`)."""
    present = sources[0].schema.names
    try:
        check_columns(present, names, sources[0].name)
    except SchemaError as exc:
        if stats is not None and named_by_position(stats) and not set(names) & set(present):
            raise _named_input(stats, sources[0]) from None
        raise exc.with_hints(sources[0].column_hints(names)) from None
    fitted_renamed = set(stats.read.renamed) if stats is not None and stats.read else set()
    wanted = set(names)
    for source in sources:
        _refuse_repeated(source, wanted, fitted_renamed)
        if source.format is Format.CSV:  # a Parquet file's names may be a CSV's renamed ones
            fitted = ("the stat file's data", (), fitted_renamed & wanted)
            refuse_renamed_apart([fitted, (source.name, source.schema.names, source.renamed)])


def _refuse_repeated(source: Reader, names: set[str], fitted_renamed: set[str]) -> None:
    """Refuse a CSV whose header names a column of the statistics (``names``) more than once,
    where the fit's header did not (a repeat is renamed ``b_1``, so the first ``b`` would get
    the statistics of ``b`` wherever it stands, and the fitted one pass through as ``b_1``):
    which of them is the fitted column cannot be told."""
    for given in source.renamed:
        written = name_as_written(given)
        if given in fitted_renamed or (written not in names and given not in names):
            continue
        places = [
            i + 1
            for i, name in enumerate(source.schema.names)
            if name == written or (name in source.renamed and name_as_written(name) == written)
        ]
        columns = ", ".join(map(str, places[:-1])) + f" and {places[-1]}"
        raise SchemaError(
            f"{source.name}: the header names the column {written!r} {times(len(places))} (columns "
            f"{columns}), and the statistics have one: which of them it is cannot be told",
            hints=("rename the other columns of that name in the header",),
        )


def _named_input(stats: FittedStats, reader: Reader) -> SchemaError:
    """The refusal of an input whose columns have names (a CSV's header) for statistics that
    match columns by position, fitted on data without names (an array's ``x0, x1``): told
    as such, not as columns missing."""
    inputs = list(stats.input_order() or stats.names)
    header = reader.format is Format.CSV
    hints = (
        *(
            (
                "read it without a header only if its first line is data, not names "
                f"({param('csv.header', False)})",
            )
            if header
            else ()
        ),
        "fit the statistics again on data with named columns",
    )
    named = listed(list(reader.schema.names))
    whose = "its header names" if header else "it names"
    return SchemaError(
        f"{reader.name}: these statistics match columns by position (fitted on data without "
        f"column names, as {listed(inputs)}), but {whose} {named}",
        hints=hints,
    )


def feed(
    accumulator: Accumulator,
    sources: Sequence[Reader],
    names: Sequence[str],
    progress: Progress | None = None,
    observe: Callable[[list[np.ndarray], int], None] | None = None,
    categories: CategoryCounter | None = None,
    weight_column: str | None = None,
    late: TextLater | None = None,
    identifiers: IdentifierCheck | None = None,
) -> list[int]:
    """Feed the columns ``names`` of every batch of every source, in order, to ``accumulator``
    (read ahead on a thread), and to ``observe`` if given; the rows of each source. Row numbers
    in messages, and the sample's row keys, count from each file's start; a message names the
    file.

    Parameters
    ----------
    accumulator : Accumulator
        Of the columns ``names``.
    sources : sequence of Reader
    names : sequence of str
        The numeric columns, read as float64.
    progress : callable(reader, rows) or None
    observe : callable(columns) or None
        Called with each batch's float64 columns.
    categories : CategoryCounter or None
        Also counts the categories of its columns (text or boolean columns, not among
        ``names``) in the same pass: ``counter = CategoryCounter(text_names)``, then
        ``feed(..., categories=counter)`` and ``counter.result()``, a dict of column name to
        :class:`~normkit.core.categories.CategoryCounts` (see
        :mod:`normkit.jobs.categories` for what a category and a missing value are).
    weight_column : str or None
        The column of the rows' sample weights, read as float64 and fed with the rows (see
        :meth:`Accumulator.update`); categories are then counted over the rows of weight above
        0 (see :mod:`normkit.jobs.weights`).
    late : TextLater or None
        Follows the columns of ``names`` that no first block typed, which a word makes text:
        from then on fed as no value, their categories counted by ``late``.
    identifiers : IdentifierCheck or None
        Refuses an integer beyond int64 in a typed column chosen by its type.

    Returns
    -------
    list of int
        The rows of each source.
    """
    also = categories.names if categories is not None else ()
    if set(also) & set(names):
        raise ValueError("a column is both numeric and counted by categories")
    rows = []
    floats = [*names, weight_column] if weight_column is not None else names
    for index, source in enumerate(sources):
        accumulator.start_part(index)
        try:
            if late is not None:
                late.begin(source)
            floats_now = floats if late is None else late.floats(floats)
            also_now = also if late is None else [*also, *late.turned]
            if identifiers is None:
                read = source.batches(floats_now, all_columns=False, also=also_now)
            else:
                read = identifiers.batches(source, floats_now, also_now)
            counted = count_batches(read, source, categories, weight_column) if also else None
            # Closed on any exit, so that the reading thread has stopped (see transform_file).
            with contextlib.closing(Prefetch(read if counted is None else counted)) as batches:
                for item in batches:
                    batch = item if counted is None else item[0]
                    if counted is not None:
                        add_counts(categories, item[1])
                        if batch is None:  # the counts of the last batches
                            continue
                    if late is None:
                        columns = [to_float64(batch.column(name)) for name in names]
                    else:
                        columns = late.columns(batch, names, to_float64)
                    weights = None
                    if weight_column is not None:
                        weights = to_float64(batch.column(weight_column))
                    if late is not None:
                        late.observe(batch, source, weights, weight_column)
                    accumulator.update(columns, weights)
                    if observe is not None:  # with the batch's first row in its source
                        observe(columns, accumulator.rows_in_part - batch.num_rows)
                    if progress is not None:
                        progress(source, accumulator.rows_in_part)
        except DataError as exc:
            raise exc.within(source.name) from None
        rows.append(accumulator.rows_in_part)
    return rows


class IntegerCheck:
    """Which columns whose type is a guess (a CSV's first rows) said integers hold only
    integers: the others are recorded as float64, so that an inverse does not try to restore
    integers that never were."""

    def __init__(self, dtypes: Sequence[str], names: Sequence[str] = (), by_type: bool = False):
        self._dtypes = list(dtypes)
        # Chosen by their type, integer columns refuse an integer beyond it: identifiers, which
        # the first block would have made text (it was normalized, rounded, as a later 2.5 is).
        self._names, self._by_type = list(names), by_type
        self.integral = {j for j, d in enumerate(dtypes) if d.startswith(("int", "uint"))}
        self._types = {j: numeric_type_named(dtypes[j]) for j in self.integral}  # once
        # Columns with nothing in their first rows (null): integers (int64) if every value met
        # is one, else float64; null if none is met.
        self._unknown = {j for j, d in enumerate(dtypes) if d == "null"}
        self._met: set[int] = set()

    @property
    def dtypes(self) -> list[str]:
        return [
            "int64" if j in self._unknown and j in self._met else d
            for j, d in enumerate(self._dtypes)
        ]

    def __call__(self, columns: list[np.ndarray], first_row: int = 0) -> None:
        for j in list(self.integral):
            x = columns[j]
            held = holds_integers(self._types[j], x) | np.isnan(x)
            if np.all(held):
                continue
            beyond = np.flatnonzero(~held & (np.floor(x) == x))
            if self._by_type and beyond.size:
                k = int(beyond[0])
                raise _identifier(self._names[j], first_row + k, x[k], self._dtypes[j], False)
            self.integral.discard(j)  # a fraction: float64
            self._dtypes[j] = "double"
        for j in list(self._unknown):
            x = columns[j]
            x = x[~np.isnan(x)]
            if not x.size:
                continue
            self._met.add(j)
            if not np.all(holds_integers(pa.int64(), x)):
                self._unknown.discard(j)
                self._dtypes[j] = "double"


def _identifier(name: str, row: int, value: object, beyond: str, typed: bool) -> DataError:
    """The refusal of an integer beyond ``beyond`` (``row`` 0-based) in a column chosen by its
    type (``typed``: a Parquet or Arrow type, not a CSV's guess): an identifier, which a CSV's
    first rows make text. ``value`` as read into float64, or exactly (an int, or a Decimal of an
    integer)."""
    whose = "a CSV's first rows would make it" if typed else "its first rows would have made it"
    told = f"{value:.17g}" if isinstance(value, float) else str(int(value))
    return DataError(
        f"column {name!r} at data row {row + 1:,}: {told} is an integer beyond {beyond}, "
        f"which float64 rounds (an identifier, as {whose} text?)",
        hints=(
            f"exclude the column ({param('exclude', name)})",
            f"choose it by name to normalize it ({param('columns', name)})",
        ),
    )


class IdentifierCheck:
    """Columns of a typed input (Parquet, Arrow, a table in memory) chosen by their type, whose
    type holds integers beyond int64 (uint64, a decimal of scale 0 and 19 digits or more): a
    value beyond int64 is refused as an identifier, as one in a CSV is (its first rows make
    such a column text). Normalized, identifiers are rounded to float64: distinct ones alike."""

    def __init__(self, dtypes: Sequence[str], names: Sequence[str]):
        self._names = list(names)
        self._columns = [j for j, d in enumerate(dtypes) if _holds_beyond_int64(d)]
        # Read into float64, int64's largest, 2**63 - 1, is 2**63; so is uint64's 2**63 + 1000:
        # of a column typed int64 (a mix of int64 and uint64 files) only a value beyond 2**63
        # is refused, else 2**63 is too.
        self._int64 = {j for j in self._columns if dtypes[j] == "int64"}

    def batches(
        self, source: Reader, floats: Sequence[str], also: Sequence[str] = ()
    ) -> Iterator[pa.RecordBatch]:
        """``source.batches(floats, all_columns=False, also=also)``, checked: the columns it
        checks are read as the input holds them and refused there, so that the value refused is
        told exactly (uint64's 18446744073709551615, which float64 reads as
        1.8446744073709552e+19), then given as float64 as the others."""
        mine = {self._names[j]: j for j in self._columns if self._names[j] in floats}
        # A CSV's columns beside others (``also``) are its text: read as float64 and checked so.
        checked = mine if source.format is not Format.CSV else {}
        read = source.batches(
            [n for n in floats if n not in checked], all_columns=False, also=[*checked, *also]
        )
        numbers = source.missing_numbers if checked else ()
        first_row = 0
        for batch in read:
            arrays, fields = [], []
            for name in [*floats, *also]:  # in the order the reader gives them
                column, field = batch.column(name), batch.schema.field(name)
                if name in checked:
                    if not is_numeric_field(field):  # as the reader refuses the others
                        raise not_numeric_error(source.name, name, field)
                    x = to_float64(column)
                    self._refuse_beyond(checked[name], x, column, first_row)
                    column, field = float64_to_arrow(x, column), pa.field(name, pa.float64())
                elif name in mine:
                    self._refuse_beyond(mine[name], to_float64(column), column, first_row)
                arrays.append(column)
                fields.append(field)
            first_row += batch.num_rows
            out = pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))
            # Its missing numbers (-999) missing, as the reader makes them in its float columns.
            yield missing_to_null(out, list(checked), False, numbers) if numbers else out

    def _refuse_beyond(self, j: int, x: np.ndarray, column: pa.Array, first_row: int) -> None:
        """Refuse the first value of column ``j`` beyond int64 (``x``: ``column`` as float64)."""
        with np.errstate(invalid="ignore"):
            above = x > 2.0**63 if j in self._int64 else x >= 2.0**63
            beyond = np.flatnonzero(above | (x < -(2.0**63)))
        if beyond.size:
            k = int(beyond[0])
            value = column[k].as_py()
            raise _identifier(self._names[j], first_row + k, value, "int64", True)


def identifier_check(
    sources: Sequence[Reader], dtypes: Sequence[str], names: Sequence[str], by_type: bool
) -> IdentifierCheck | None:
    """The :class:`IdentifierCheck` of a fit of ``sources`` (local or Dask): where the types
    are the files' own (Parquet, Arrow) and the columns were chosen ``by_type``; else None."""
    typed = reference_reader(sources).typed
    return IdentifierCheck(dtypes, names) if typed and by_type else None


def _holds_beyond_int64(dtype: str) -> bool:
    """uint64, a decimal of scale 0 and 19 digits or more, and int64: the type of a column
    whose files are int64 and uint64 (Arrow's promotion of the two)."""
    t = numeric_type_named(dtype)
    if t is None:
        return False
    if pa.types.is_decimal(t):
        return t.scale <= 0 and t.precision - t.scale >= 19
    return t in (pa.uint64(), pa.int64())


def require_rows(rows: int, sources: Sequence[Reader]) -> None:
    """Refuse a data set with no data row (a file of only a header, or empty parts)."""
    if rows:
        return
    if len(sources) == 1:
        held = "only a header" if sources[0].format is Format.CSV else "its columns but no rows"
        raise DataError(f"{sources[0].name}: no data rows (the file has {held})")
    raise DataError(f"{describe_sources(sources)}: no data rows in any file")


def note_other_dialects(sources: Sequence[Reader], read: ReadOptions) -> None:
    """Note the CSV files of a data set read in different ways (each file's dialect is
    detected in its first lines: one with ``#`` comment lines, read with them, beside others
    without), which its stat file cannot record and its summary would not say."""
    ways: dict[str, list[str]] = {}
    for source in sources:
        if source.format is Format.CSV and source.detected is not None:
            words = dialect_words(read.settings(source.detected)) or "plain CSV"
            ways.setdefault(words, []).append(source.name)
    if len(ways) < 2:
        return
    told = "; ".join(
        f"{', '.join(names[:3])}{f' and {len(names) - 3:,} more' if len(names) > 3 else ''}: "
        f"{words}"
        for words, names in ways.items()
    )
    warnings.warn(
        NormkitNote(
            f"the files were read in {len(ways)} ways, each as its own first lines show "
            f"({told}); later jobs detect each file's own",
            hints=("give the options that read them alike",),
        ),
        stacklevel=3,
    )


def detected_dialect(sources: Sequence[Reader]):
    """The CSV options the sources were read with (given or detected), if they share them: what
    a stat file records so that later jobs read the same way. None otherwise. The files after
    the first are told how the first read comment lines (``fitted_comment``:
    :func:`~normkit.io.dataset.open_dataset`), which is how they are read, not a way of their
    own: files read alike share their dialect whatever it says."""
    found = {
        None if s.detected is None else replace(s.detected, fitted_comment=None) for s in sources
    }
    return sources[0].detected if len(found) == 1 else None


def read_encoding(sources: Sequence[Reader]) -> str | None:
    """The encoding the CSV sources were read in (as their byte-order marks said, or given), if
    they share it: what a stat file records, so that a CSV written later from Parquet or Arrow
    is written in it, as their separator is recorded. None otherwise."""
    found = {s.text_encoding for s in sources if s.format is Format.CSV}
    return found.pop() if len(found) == 1 else None


def renamed_columns(sources: Sequence[Reader]) -> tuple[str, ...]:
    """The names the sources gave to repeated header names (the files of a data set have the
    same columns, so the same ones)."""
    return sources[0].renamed if sources else ()


def describe_source(source: Reader, rows: int) -> dict:
    """A source as provenance records it: path, format, rows, bytes, and, for data that
    normkit normalized, its record's scale (:func:`~normkit.jobs.recipes.recorded_scale`)."""
    described = {
        "path": source.path if source.is_stdin else os.path.abspath(source.path),
        "format": str(source.format),
        "rows": rows,
        "bytes": source.size_bytes,
    }
    normalized = recorded_scale(source)
    if normalized is not None:
        described["normalized"] = normalized
    return described


def fitted_raw(sources: Sequence[Reader], provenance: dict) -> set[str]:
    """The names of the ``sources`` that are files the statistics were fitted on as raw data,
    as their ``provenance`` records it (:func:`describe_source`): the same file (its path, or a
    link to it, or one it links to), the same size in bytes, and not data that normkit
    normalized. A stream is none. Its modification time is not asked: provenance does not
    record it, and a copy or a checkout changes it, not the data. (Each path is resolved once:
    a directory of 20,000 parts against as many recorded took 400 million resolutions.)
    """
    raw = {
        (os.path.realpath(fitted["path"]), fitted.get("bytes"))
        for fitted in provenance.get("sources", ())
        if isinstance(fitted, dict)
        and isinstance(fitted.get("path"), str)
        and "normalized" not in fitted
    }
    return {
        source.name
        for source in sources
        if not source.is_stdin
        and source.size_bytes is not None
        and (os.path.realpath(source.path), source.size_bytes) in raw
    }
