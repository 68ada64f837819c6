"""File-level jobs: fit statistics on files, transform a file with saved statistics.

These are what the ``normkit`` command runs; they are as usable from Python. Each reads its
inputs once, in bounded memory, and writes its output atomically.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as _dt
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa

from ._lazy import pc
from .dataset import expand_inputs
from .errors import DataError, OptionError, OutputError, SchemaError
from .io import (
    STDIO,
    CsvOptions,
    Format,
    Source,
    check_output_path,
    open_sink,
    prefetch,
    resolve_format,
    same_file,
)
from .standardizer import Standardizer
from .statfile import dumps, loads, save

__all__ = ["ReadOptions", "TransformResult", "fit_files", "transform_file"]

#: Called after each batch with the source being read and the rows it gave so far.
Progress = Callable[[Source, int], None]


@dataclass(frozen=True)
class ReadOptions:
    """How to read inputs.

    Parameters
    ----------
    format : str, Format or None
        None infers the format from each file's extension (stdin: CSV).
    csv : CsvOptions
        Delimiter and missing-value strings.
    chunk_rows : int or None
        Rows per I/O batch; None keeps the reader's natural batches.
    inf_as_missing : bool, default False
        Read infinite values in normalized columns as missing; by default they are refused,
        as scikit-learn refuses them.
    """

    format: str | Format | None = None
    csv: CsvOptions = field(default_factory=CsvOptions)
    chunk_rows: int | None = None
    inf_as_missing: bool = False

    def open(self, path: str | os.PathLike[str]) -> Source:
        return Source(path, self.format, self.csv, self.chunk_rows, self.inf_as_missing)


def fit_files(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    scaler: Standardizer | None = None,
    read: ReadOptions | None = None,
    progress: Progress | None = None,
    output: str | os.PathLike[str] | None = None,
) -> Standardizer:
    """Fit one set of statistics over one or more files in a single streaming pass.

    Parameters
    ----------
    inputs : path or sequence of paths
        CSV, Parquet or Arrow IPC files (``"-"``: stdin), directories or glob patterns (see
        :mod:`normkit.dataset` for the order of their files). All files must have the same
        columns. In a data set of several files, a file with no data rows is an empty part.
    scaler : Standardizer or None
        The estimator to fit (its parameters choose the columns, ddof, eps...); default
        ``Standardizer()``.
    read : ReadOptions or None
    progress : callable(source, rows) or None
    output : path or None
        Where the caller will save the statistics; refused if it is one of the inputs.

    Returns
    -------
    Standardizer
        Fitted, with ``provenance_`` describing the inputs.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(path, "w").write("id,x\\n1,1.0\\n2,2.0\\n3,6.0\\n")
    >>> fit_files(path, Standardizer(exclude=["id"])).mean_.tolist()
    [3.0]
    """
    scaler = scaler if scaler is not None else Standardizer()
    read = read or ReadOptions()
    sources = open_dataset(inputs, read, output, "the stat file")
    if len(sources) == 1 and sources[0].has_rows is False:
        raise DataError(f"{sources[0].name}: no data rows (the file has only a header)")
    names = select_dataset_columns(scaler, sources)
    scaler._start(names, dataset_dtypes(sources, names))
    rows_per_source = fit_sources(scaler, sources, names, progress)
    if len(sources) == 1 and rows_per_source[0] == 0:
        raise DataError(f"{sources[0].name}: no data rows (the file has only a header)")
    described = [
        {
            "path": source.path if source.is_stdin else os.path.abspath(source.path),
            "format": str(source.format),
            "rows": rows,
            "bytes": source.size_bytes,
        }
        for source, rows in zip(sources, rows_per_source, strict=True)
    ]
    if scaler.n_rows_seen_ == 0:
        raise DataError(f"{_names(sources)}: no data rows in any file")
    scaler.finish()
    return conclude_fit(scaler, sources, described)


def conclude_fit(
    scaler: Standardizer, sources: Sequence[Source], described: list[dict]
) -> Standardizer:
    """Check a data set's fitted statistics (every column has values, nothing overflowed; the
    message names the files) and record where they came from."""
    try:
        scaler.check_fitted_values()
    except DataError as exc:
        raise DataError(f"{_names(sources)}: {exc}") from None
    scaler.provenance_ = {"sources": described, "created": _now()}
    return scaler


def open_dataset(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    read: ReadOptions,
    output: str | os.PathLike[str] | None = None,
    output_name: str = "the output",
) -> list[Source]:
    """The sources of a data set, checked before any row is read: the files exist, none is
    given twice or is the output, and all have the same columns.

    Parameters
    ----------
    inputs : path or sequence of paths
        Files, ``"-"``, directories or glob patterns (:func:`normkit.dataset.expand_inputs`).
    read : ReadOptions
    output : path or None
        A file the job will write, refused if it is one of the inputs.
    output_name : str
        What ``output`` is, for that message.
    """
    if isinstance(inputs, str | os.PathLike):
        inputs = [inputs]
    if not inputs:
        raise OptionError("no input to read")
    if output is not None:
        check_output_path(os.fspath(output))  # now, not after the pass
    paths = [f.path for f in expand_inputs(inputs, read.format)]
    if len(paths) > 1:
        # In a data set, an empty CSV file (not even a header) is an empty part.
        paths = [p for p in paths if not _empty_csv(p, read)] or paths[:1]
    sources = [read.open(path) for path in paths]
    if sum(s.is_stdin for s in sources) > 1:
        raise OptionError("standard input ('-') can be read only once")
    seen: dict[tuple[int, int], str] = {}
    for path in paths:
        if output is not None and same_file(path, output):
            raise OutputError(f"{output}: {output_name} would overwrite the input {path}")
        if path == STDIO:
            continue
        info = os.stat(path)
        key = (info.st_dev, info.st_ino)
        if key in seen:
            raise OptionError(f"{path}: given twice (as {seen[key]}); its rows would count twice")
        seen[key] = path
    for source in sources:
        source.schema  # noqa: B018 (reading the schema learns whether a CSV has data rows)
    first = sources[0]
    for other in sources[1:]:
        _check_same_columns(first, other)
    return sources


def fit_sources(
    scaler: Standardizer,
    sources: Sequence[Source],
    names: Sequence[str],
    progress: Progress | None = None,
) -> list[int]:
    """Feed every batch of every source, in order, to ``scaler.partial_fit`` (read ahead on a
    thread); the rows of each source. Row numbers in messages, and the sample's row keys, count
    from each file's start; a message names the file."""
    rows = []
    for index, source in enumerate(sources):
        before = scaler.n_rows_seen_
        scaler._row_base, scaler._file_index = before, index
        try:
            # Closed on any exit, so that the reading thread has stopped (see transform_file).
            with contextlib.closing(prefetch(source.batches(names, all_columns=False))) as batches:
                for batch in batches:
                    scaler.partial_fit(batch)
                    if progress is not None:
                        progress(source, scaler.n_rows_seen_ - before)
        except DataError as exc:
            raise DataError(f"{source.name}: {exc}") from None
        rows.append(scaler.n_rows_seen_ - before)
    return rows


def check_stat_columns(sources: Sequence[Source], names: Sequence[str]) -> None:
    """Refuse a data set that lacks a column of the statistics (its files all have the same
    columns: :func:`open_dataset` checks it)."""
    present = set(sources[0].schema.names)
    absent = [n for n in names if n not in present]
    if absent:
        raise SchemaError(
            f"{sources[0].name}: the stat file has column {absent[0]!r} but the input has no "
            "such column"
        )


def _empty_csv(path: str, read: ReadOptions) -> bool:
    try:
        return os.path.getsize(path) == 0 and resolve_format(path, read.format) is Format.CSV
    except (OSError, OptionError):
        return False


def dataset_dtypes(sources: Sequence[Source], names: Sequence[str]) -> list[str]:
    """The Arrow types of ``names`` in a data set (as its reference file has them)."""
    reference = _reference(sources)
    return [str(reference.schema.field(n).type) for n in names]


def _reference(sources: Sequence[Source]) -> Source:
    """The source whose types choose the columns: the first with data rows (a CSV with only a
    header has no types to tell)."""
    return next((s for s in sources if s.has_rows is not False), sources[0])


def select_dataset_columns(scaler: Standardizer, sources: Sequence[Source]) -> list[str]:
    """The columns ``scaler`` normalizes in a data set (see :meth:`Standardizer.select_columns`)."""
    reference = _reference(sources)
    return scaler.select_columns(
        reference.schema, typed=reference.format is not Format.CSV, source=reference.name
    )


def _names(sources: Sequence[Source], limit: int = 3) -> str:
    names = [s.name for s in sources[:limit]]
    more = len(sources) - limit
    return ", ".join(names) + (f" and {more:,} more" if more > 0 else "")


def _check_same_columns(first: Source, other: Source) -> None:
    a, b = first.schema.names, other.schema.names
    if a == b:
        return
    only_a = [n for n in a if n not in b]
    only_b = [n for n in b if n not in a]
    if only_a:
        detail = f"it lacks column {only_a[0]!r}"
    elif only_b:
        detail = f"it has an extra column {only_b[0]!r}"
    else:
        detail = "its columns are in another order"
    raise SchemaError(f"{other.name}: columns differ from {first.name}: {detail}")


@dataclass(frozen=True)
class TransformResult:
    """What a file transform did."""

    rows: int
    output: str
    format: Format


#: Schema metadata key under which Parquet and Arrow outputs record how they were made.
METADATA_KEY = b"normkit.transform"
MODES = ("frozen", "batch", "adaptive")


def transform_file(
    input: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    scaler: Standardizer,
    output: str | os.PathLike[str] = STDIO,
    *,
    mode: str = "frozen",
    use: str | None = None,
    gamma: float | Mapping[str, float] | None = None,
    beta: float | Mapping[str, float] | None = None,
    batch_size: int | None = None,
    inverse: bool = False,
    save_stats: str | os.PathLike[str] | None = None,
    protected: Sequence[str | os.PathLike[str]] = (),
    output_format: str | Format | None = None,
    read: ReadOptions | None = None,
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
        :mod:`normkit.dataset`, into the one output (their columns must have the same types).
    scaler : Standardizer
        Fitted statistics, for instance from :func:`normkit.load`.
    output : path, default ``"-"``
        Written to a temporary file and renamed into place on success (``"-"``: stdout).
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
        Apply the inverse of a frozen transform.
    save_stats : path or None
        After a ``batch`` or ``adaptive`` transform, write the statistics with the updated
        running statistics here (atomically).
    protected : sequence of paths
        Other files the outputs must not overwrite (such as the stat file that was read).
    output_format : str, Format or None
        None infers it from ``output``'s extension (stdout: CSV).
    read : ReadOptions or None
    progress : callable(source, rows) or None

    Returns
    -------
    TransformResult
    """
    read = read or ReadOptions()
    output = os.fspath(output)
    if mode not in MODES:
        raise OptionError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    if inverse and mode != "frozen":
        raise OptionError(
            f"{mode} output cannot be inverted: each batch was normalized with statistics "
            "of its own, which the stat file does not hold"
        )
    if mode != "frozen" and use is not None:
        raise OptionError(f"--use applies to frozen transforms only, not to mode {mode}")
    if save_stats is not None and mode == "frozen":
        raise OptionError(
            "--save-stats needs --mode batch or adaptive (a frozen transform learns nothing)"
        )
    sources = open_dataset(input, read)
    source = sources[0]
    if save_stats is not None and output != STDIO and same_path(output, save_stats):
        raise OptionError(f"{save_stats}: --save-stats and the output are the same file")
    for written in (output, save_stats):
        if written is None or written == STDIO:
            continue
        check_output_path(os.fspath(written))
        for kept in (*(s.path for s in sources), *protected):
            if same_path(kept, written):
                raise OutputError(f"{written}: the output would overwrite the input {kept}")
    out_format = resolve_format(output, output_format)
    names = list(scaler.feature_names_in_)
    check_stat_columns(sources, names)
    fitted = set(names)
    if inverse:
        for each in sources:
            _refuse_learned_output(each)
    if mode != "frozen":
        ema = scaler._check_ema()
        if batch_size is not None:
            ema.options = replace(ema.options, batch_size=batch_size)
    elif batch_size is not None:
        raise OptionError("--batch-size applies to --mode batch or adaptive")
    schema = _read_schema(source, fitted)
    for other in sources[1:]:
        _check_same_types(source, schema, other, _read_schema(other, fitted))

    recipe = {"mode": mode, "use": use or "exact", "inverse": inverse}
    schema = scaler.output_schema(schema.remove_metadata()).with_metadata(
        {METADATA_KEY: json.dumps(recipe)}
    )
    # Closed explicitly (below) so that its reading thread has stopped before we return, even
    # on an error: a thread left inside pyarrow at interpreter exit can hang or abort it.
    batches = _Concatenated(sources, names)
    if mode == "frozen":
        out = scaler.transform(batches, use=use, gamma=gamma, beta=beta, inverse=inverse)
    else:
        out = scaler.transform_stream(batches, mode, gamma=gamma, beta=beta)
    with contextlib.closing(batches), open_sink(output, schema, out_format, read.csv) as sink:
        for batch in out:
            _check_finite_output(batch, names, batches, sink.rows_written)
            sink.write(batch)
            if progress is not None:
                progress(batches.source_of(sink.rows_written - 1)[0], sink.rows_written)
        if save_stats is not None:
            loads(dumps(scaler))  # the updated statistics must be savable before the output lands

    if save_stats is not None:
        scaler.provenance_ = {**scaler.provenance_, "updated": _now()}
        save(scaler, save_stats)
    return TransformResult(sink.rows_written, output, out_format)


def same_path(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """The same file, through links, or the same path (a file that does not exist yet)."""
    return same_file(os.fspath(a), os.fspath(b)) or os.path.abspath(a) == os.path.abspath(b)


class _Concatenated:
    """The batches of several sources, one source after the other, read ahead on a thread (see
    :func:`normkit.io.prefetch`); remembers at which row each source began, for messages."""

    def __init__(self, sources: Sequence[Source], names: Sequence[str]):
        self._sources = sources
        self._names = names
        self._fetched = prefetch(self._tagged())
        self._starts: list[int] = []
        self._started: list[Source] = []

    def _tagged(self) -> Iterator[tuple[Source, pa.RecordBatch]]:
        for source in self._sources:
            for batch in source.batches(self._names, all_columns=True):
                yield source, batch

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        rows = 0
        for source, batch in self._fetched:
            if not self._started or self._started[-1] is not source:
                self._starts.append(rows)
                self._started.append(source)
            rows += batch.num_rows
            yield batch.replace_schema_metadata(None) if batch.schema.metadata else batch

    def source_of(self, row: int) -> tuple[Source, int]:
        """The source of a row of the concatenation (0-based), and the row's index in it."""
        if not self._started:
            return self._sources[0], row
        i = max(bisect.bisect_right(self._starts, max(row, 0)) - 1, 0)
        return self._started[i], row - self._starts[i]

    def close(self) -> None:
        self._fetched.close()


def _read_schema(source: Source, fitted: set[str]) -> pa.Schema:
    """The schema of ``source``'s batches: CSV columns are read as float64 (normalized) or as
    their text (all others)."""
    schema = source.schema
    if source.format is Format.CSV:
        schema = pa.schema(
            [pa.field(n, pa.float64() if n in fitted else pa.string()) for n in schema.names]
        )
    return schema


def _check_same_types(first: Source, schema: pa.Schema, other: Source, types: pa.Schema) -> None:
    """One output needs one type per column."""
    for column in schema:
        other_type = types.field(column.name).type
        if other_type != column.type:
            raise SchemaError(
                f"{other.name}: column {column.name!r} has type {other_type}, but {column.type} in "
                f"{first.name}; one output cannot hold both (transform them separately)"
            )


def _check_finite_output(
    batch: pa.RecordBatch, names: list[str], read: _Concatenated, rows: int
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
                "value is infinite (an infinite input, or one too large for this scale); "
                "fix the data or read infinities as missing (--inf-as-missing)"
            )


def _refuse_learned_output(source: Source) -> None:
    """Refuse to invert a file that a batch or adaptive transform wrote (Parquet and Arrow keep
    how they were made in their schema metadata)."""
    metadata = source.schema.metadata or {}
    if METADATA_KEY not in metadata:
        return
    try:
        recipe = json.loads(metadata[METADATA_KEY])
    except ValueError:
        return
    if isinstance(recipe, dict) and recipe.get("mode") in ("batch", "adaptive"):
        raise OptionError(
            f"{source.name} was written by a {recipe['mode']} transform, which cannot be "
            "inverted: each batch was normalized with statistics of its own"
        )


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
