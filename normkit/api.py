"""File-level jobs: fit statistics on files, transform a file with saved statistics.

These are what the ``normkit`` command runs; they are as usable from Python. Each reads its
inputs once, in bounded memory, and writes its output atomically.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from .errors import DataError, OutputError, SchemaError
from .io import STDIO, CsvOptions, Format, Source, open_sink, resolve_format, same_file
from .standardizer import Standardizer

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
    """

    format: str | Format | None = None
    csv: CsvOptions = field(default_factory=CsvOptions)
    chunk_rows: int | None = None

    def open(self, path: str | os.PathLike[str]) -> Source:
        return Source(path, self.format, self.csv, self.chunk_rows)


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
        CSV, Parquet or Arrow IPC files (``"-"``: stdin). All must have the same columns.
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
    if isinstance(inputs, str | os.PathLike):
        inputs = [inputs]
    if not inputs:
        raise SchemaError("no input to fit")
    scaler = scaler if scaler is not None else Standardizer()
    read = read or ReadOptions()
    sources = [read.open(path) for path in inputs]
    if sum(s.is_stdin for s in sources) > 1:
        raise SchemaError("standard input ('-') can be read only once")
    first = sources[0]
    for path in inputs:
        if output is not None and same_file(path, output):
            raise OutputError(f"{output}: the stat file would overwrite the input {path}")
    for source in sources:
        if source.schema is not None and source.has_rows is False:
            raise DataError(f"{source.name}: no data rows (the file has only a header)")
    names = scaler.select_columns(
        first.schema, typed=first.format is not Format.CSV, source=first.name
    )
    for other in sources[1:]:
        _check_same_columns(first, other)
    scaler._start(names, [str(first.schema.field(n).type) for n in names])
    described = []
    for source in sources:
        rows_before = scaler.n_rows_seen_
        scaler._row_base = rows_before
        try:
            for batch in source.batches(names, all_columns=False):
                scaler.partial_fit(batch)
                if progress is not None:
                    progress(source, scaler.n_rows_seen_ - rows_before)
        except DataError as exc:
            raise DataError(f"{source.name}: {exc}") from None
        rows = scaler.n_rows_seen_ - rows_before
        if rows == 0:
            raise DataError(f"{source.name}: no data rows (the file has only a header)")
        described.append(
            {
                "path": source.path if source.is_stdin else os.path.abspath(source.path),
                "format": str(source.format),
                "rows": rows,
                "bytes": source.size_bytes,
            }
        )
    try:
        scaler.check_fitted_values()
    except DataError as exc:
        raise DataError(f"{', '.join(s.name for s in sources)}: {exc}") from None
    scaler.provenance_ = {
        "sources": described,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return scaler


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


def transform_file(
    input: str | os.PathLike[str],
    scaler: Standardizer,
    output: str | os.PathLike[str] = STDIO,
    *,
    inverse: bool = False,
    output_format: str | Format | None = None,
    read: ReadOptions | None = None,
    progress: Progress | None = None,
) -> TransformResult:
    """Stream ``input`` through the fitted statistics into ``output``.

    Columns in the statistics become float64 ``(x - mean) / scale`` (or the inverse); all other
    columns pass through unchanged and in their original order (CSV text exactly as written).
    Missing values stay missing.

    Parameters
    ----------
    input : path
        CSV, Parquet or Arrow IPC (``"-"``: stdin).
    scaler : Standardizer
        Fitted statistics, for instance from :func:`normkit.load`.
    output : path, default ``"-"``
        Written to a temporary file and renamed into place on success (``"-"``: stdout).
    inverse : bool, default False
        Apply the inverse transform ``x = z * scale + mean``.
    output_format : str, Format or None
        None infers it from ``output``'s extension (stdout: CSV).
    read : ReadOptions or None
    progress : callable(source, rows) or None

    Returns
    -------
    TransformResult
    """
    read = read or ReadOptions()
    input, output = os.fspath(input), os.fspath(output)
    source = read.open(input)
    if same_file(input, output) or (
        output != STDIO and os.path.abspath(input) == os.path.abspath(output)
    ):
        raise OutputError(f"{output}: the output is also the input; write to another file")
    out_format = resolve_format(output, output_format)
    names = list(scaler.feature_names_in_)
    schema = source.schema
    absent = [n for n in names if n not in schema.names]
    if absent:
        raise SchemaError(
            f"{source.name}: the stat file has column {absent[0]!r} but the input has no such column"
        )
    if source.format is Format.CSV:
        # CSV columns are read as float64 (normalized) or as their text (all others).
        schema = pa.schema(
            [pa.field(n, pa.float64() if n in names else pa.string()) for n in schema.names]
        )
    schema = scaler.output_schema(schema.remove_metadata())
    rows = 0
    with open_sink(output, schema, out_format, read.csv) as sink:
        for batch in source.batches(names, all_columns=True):
            sink.write(scaler.transform_batch(batch.replace_schema_metadata(None), inverse=inverse))
            rows += batch.num_rows
            if progress is not None:
                progress(source, rows)
    return TransformResult(rows, output, out_format)
