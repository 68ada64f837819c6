"""Transform (and inverse) files with saved statistics: streamed, written atomically."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from .. import params
from ..errors import DataError, OptionError, SchemaError, param
from ..estimator.apply import StreamNormalizer, affine_map, map_columns, output_schema
from ..estimator.files import as_stats, stats_path
from ..estimator.standardizer import Standardizer
from ..io.dataset import Concatenated, open_dataset, reference_reader
from ..io.files import check_output_path, refuse_overwrite, same_path
from ..io.formats import STDIO, Format, resolve_format
from ..io.lazy import pc
from ..io.options import ReadOptions
from ..io.reader import Reader
from ..io.sinks import open_sink
from ..stats import statfile
from ..stats.fitted import FittedStats
from .recipes import Recipe, inverse_settings, refuse_renormalizing
from .sources import Progress, check_stat_columns

__all__ = [
    "TransformOptions",
    "TransformResult",
    "check_dataset_types",
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
        before it. The last two update the running statistics.
    use : {"exact", "ema"} or None
        The statistics of a frozen transform; default exact.
    gamma, beta : float, mapping of column to float, or None
        Affine parameters; None keeps those in the statistics (default 1 and 0).
    batch_size : int or None
        Logical batch size of ``batch`` and ``adaptive`` modes; default the stat file's.
    inverse : bool, default False
        Apply the inverse of a frozen transform. Parquet and Arrow inputs record how they were
        normalized; the inverse undoes that (``use``, ``gamma``, ``beta`` may be left out, and
        are refused if they contradict the record). CSV records nothing: the inverse undoes
        the transform these options (and the statistics' gamma and beta) describe.
    save_stats : path or None
        After a ``batch`` or ``adaptive`` transform, write the statistics with the updated
        running statistics here (atomically).
    output_format : str, Format or None
        None infers it from the output's extension (stdout: CSV).
    renormalize : bool, default False
        Normalize data whose metadata says these very statistics already normalized it
        (refused by default).
    restore_types : bool, default True
        An inverse writes the integer types the statistics record for their columns
        (refusing values that are not integers within rounding); False keeps float64.
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


@dataclass(frozen=True)
class TransformResult:
    """What a file transform did."""

    rows: int
    output: str
    format: Format
    columns: int = 0  # normalized (or restored) columns


def transform_file(
    input: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    stats: Standardizer | FittedStats | str | os.PathLike[str],
    output: str | os.PathLike[str] = STDIO,
    options: TransformOptions | None = None,
    read: ReadOptions | None = None,
    *,
    protected: Sequence[str | os.PathLike[str]] = (),
    progress: Progress | None = None,
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

    Returns
    -------
    TransformResult
    """
    options = options or TransformOptions()
    read = read or ReadOptions()
    stats_file = stats_path(stats)
    stats = as_stats(stats)
    read = read.completed_by(stats.read)  # read as the fit read, unless told otherwise
    output = os.fspath(output)
    save_stats = options.save_stats
    sources = open_dataset(input, read)
    if save_stats is not None and output != STDIO and same_path(output, save_stats):
        raise OptionError(
            f"{save_stats}: {param('save_stats')} and the output are the same file",
            param="save_stats",
        )
    if save_stats is not None:
        statfile.check_stat_path(save_stats, "save_stats")
    kept = {
        **dict.fromkeys(map(os.fspath, protected), "the file"),
        **dict.fromkeys((s.path for s in sources), "the input"),
    }
    if stats_file is not None:
        kept[stats_file] = "the stat file"
    for written in (output, save_stats):
        if written is None or written == STDIO:
            continue
        check_output_path(os.fspath(written))
        refuse_overwrite(written, kept)
    out_format = resolve_format(output, options.output_format, param_name="output_format")
    names = list(stats.names)
    check_stat_columns(sources, names)
    # CSV to CSV keeps every other field as written; to Parquet or Arrow, typed.
    keep_text = options.keep_text or out_format is Format.CSV
    check_dataset_types(sources, names, keep_text)
    fingerprint = statfile.fingerprint(stats)
    gamma, beta = stats.affine(options.gamma, options.beta)
    use = options.use
    if options.inverse:
        asked = (options.use is not None, options.gamma is not None, options.beta is not None)
        use, gamma, beta = inverse_settings(sources, names, fingerprint, use, gamma, beta, asked)
    else:
        refuse_renormalizing(sources, fingerprint, options.renormalize)
    recipe = Recipe(
        options.mode,
        use or "exact",
        options.inverse,
        fingerprint,
        dict(zip(names, map(float, gamma), strict=True)),
        dict(zip(names, map(float, beta), strict=True)),
    )
    restored = _restored_types(stats) if options.inverse and options.restore_types else {}
    reference = reference_reader(sources)
    schema = output_schema(reference.batch_schema(names, keep_text).remove_metadata(), names)
    for name, dtype in restored.items():
        schema = schema.set(schema.get_field_index(name), schema.field(name).with_type(dtype))
    schema = schema.with_metadata(recipe.to_metadata())
    normalizer = None
    if options.mode == "frozen":
        affine = stats.frozen(use, gamma, beta)
        fn = affine_map(affine, options.inverse)
    else:
        running = stats.require_running("mode")
        if options.batch_size is not None:
            running = running.with_options(replace(running.options, batch_size=options.batch_size))
        normalizer = StreamNormalizer(names, running, options.mode, gamma, beta)
    # Closed explicitly (below) so that its reading thread has stopped before we return, even
    # on an error: a thread left inside pyarrow at interpreter exit can hang or abort it.
    batches = Concatenated(sources, names, keep_text)
    out = map_columns(batches, names, fn) if normalizer is None else normalizer(batches)
    with contextlib.closing(batches), open_sink(output, schema, out_format, read.csv) as sink:
        for batch in out:
            _check_finite_output(batch, names, batches, sink.rows_written)
            if restored:
                batch = _restore(batch, restored, schema, batches, sink.rows_written)
            sink.write(batch)
            if progress is not None:
                progress(batches.source_of(sink.rows_written - 1)[0], sink.rows_written)
        if save_stats is not None:
            learned = stats.with_running(normalizer.state)  # type: ignore[union-attr]
            learned = learned.with_provenance({**learned.provenance, "updated": statfile.now()})
            # The updated statistics must be savable before the output lands.
            statfile.parse(statfile.to_text(learned))
    if save_stats is not None:
        statfile.write(learned, save_stats)
    return TransformResult(sink.rows_written, output, out_format, len(names))


def _check_same_types(first: Reader, schema: pa.Schema, other: Reader, types: pa.Schema) -> None:
    """One output needs one type per column."""
    for column in schema:
        other_type = types.field(column.name).type
        if other_type != column.type:
            raise SchemaError(
                f"{other.name}: column {column.name!r} has type {other_type}, but {column.type} in "
                f"{first.name}; one output cannot hold both (transform them separately)"
            )


def check_dataset_types(
    sources: Sequence[Reader], names: Sequence[str], keep_text: bool = True
) -> None:
    """Refuse a data set whose files give a column different types (one output, or one set of
    part files, holds one type per column)."""
    # A file with no rows has no types to tell (a CSV of only a header): it fits any.
    typed = [s for s in sources if s.has_rows is not False] or list(sources[:1])
    schema = typed[0].batch_schema(names, keep_text)
    for other in typed[1:]:
        try:
            _check_same_types(typed[0], schema, other, other.batch_schema(names, keep_text))
        except SchemaError as exc:
            if keep_text:
                raise
            hint = f"keep the columns passed through as text ({param('keep_text', True)})"
            raise exc.with_hints((hint,)) from None


def _restored_types(stats: FittedStats) -> dict[str, pa.DataType]:
    """The integer types the statistics record for their columns: what an inverse restores."""
    out = {}
    for name, text in zip(stats.names, stats.dtypes, strict=True):
        try:
            dtype = pa.type_for_alias(text)
        except ValueError:
            # A dictionary of integers is restored as its integers.
            if text.startswith("dictionary<values=") and "," in text:
                try:
                    dtype = pa.type_for_alias(text[len("dictionary<values=") : text.index(",")])
                except ValueError:
                    continue
            else:
                continue
        if pa.types.is_integer(dtype):
            out[name] = dtype
    return out


def _restore(
    batch: pa.RecordBatch,
    types: dict[str, pa.DataType],
    schema: pa.Schema,
    read: Concatenated,
    rows: int,
) -> pa.RecordBatch:
    """The restored columns as the integers they were: each value within rounding of an
    integer (and in the type's range), or the row is named."""
    arrays = list(batch.columns)
    for name, dtype in types.items():
        i = batch.schema.get_field_index(name)
        column = arrays[i]
        values = np.frombuffer(column.buffers()[1], np.float64, len(column), column.offset * 8)
        valid = ~np.asarray(column.is_null()) if column.null_count else np.ones(len(values), bool)
        rounded = np.round(values)
        with np.errstate(invalid="ignore"):
            off = np.abs(values - rounded) > np.maximum(1e-6, 1e-9 * np.abs(values))
        bad = np.flatnonzero(off & valid)
        if bad.size == 0:
            try:
                arrays[i] = pc.cast(
                    pa.Array.from_buffers(
                        pa.float64(),
                        len(rounded),
                        [column.buffers()[0], pa.py_buffer(rounded)],
                        column.null_count,
                        column.offset,
                    ),
                    dtype,
                )
                continue
            except pa.ArrowInvalid:  # out of the type's range
                bad = np.flatnonzero(valid & ((rounded < _low(dtype)) | (rounded > _high(dtype))))
        k = int(bad[0]) if bad.size else 0
        source, row = read.source_of(rows + k)
        raise DataError(
            f"{source.name}: column {name!r} at data row {row + 1:,}: the restored value "
            f"{float(values[k])!r} is not an integer, but the stat file records the column as "
            f"{dtype}",
            hints=(f"keep float64 ({param('restore_types', False)})",),
        )
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _low(dtype: pa.DataType) -> float:
    return float(np.iinfo(dtype.to_pandas_dtype()).min)


def _high(dtype: pa.DataType) -> float:
    return float(np.iinfo(dtype.to_pandas_dtype()).max)


def _check_finite_output(
    batch: pa.RecordBatch, names: list[str], read: Concatenated, rows: int
) -> None:
    """Refuse infinite values, as scikit-learn's transform does: an infinite output can only come
    from an infinite input, since scales are finite and positive."""
    for name in names:
        column = batch.column(name)
        values = np.frombuffer(column.buffers()[1], np.float64, len(column), column.offset * 8)
        # Nulls hold arbitrary values: a hit is confirmed on the Arrow array itself.
        if np.isinf(values).any() and pc.any(pc.is_inf(column)).as_py():
            index = pc.index(pc.is_inf(column), True).as_py()
            source, row = read.source_of(rows + index)
            raise DataError(
                f"{source.name}: column {name!r} at data row {row + 1:,}: the normalized "
                "value is infinite (an infinite input, or one too large for this scale)",
                hints=(
                    "fix the data",
                    f"read infinities as missing ({param('inf_as_missing', True)})",
                ),
            )
