"""Outputs: record batches written to a file or standard output, committed atomically.

:func:`open_sink` opens the writer of the output's format (:mod:`normkit.io.csv`,
:mod:`normkit.io.parquet`, :mod:`normkit.io.ipc`) behind one :class:`Sink`: every batch must have
the schema given at opening, and a file appears only when the whole output was written.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import sys
from collections.abc import Callable, Sequence

import pyarrow as pa

from .. import params
from ..errors import DataError, OutputError, SchemaError
from .csv.names import names_as_written
from .csv.writer import CsvWriter, check_csv_types
from .dictionaries import index_capacity, united_categories
from .files import AtomicFile, os_reason, standard_output_stream
from .formats import STDIO, Format, resolve_format, split_compression
from .options import CsvOptions
from .pipes import PipeStream
from .sidecar import write_record

__all__ = ["Sink", "open_sink"]


class Sink:
    """A writer of record batches to one output, committed atomically.

    Use :func:`open_sink`. Every batch must have the schema given at opening. For a path, the
    output goes to an :class:`AtomicFile`, moved into place by :meth:`commit`; if the sink is
    closed without a commit (an exception, Ctrl-C), the target is left as it was.

    A CSV file gets the schema's ``normkit.`` metadata in a record beside it
    (:mod:`normkit.io.sidecar`), where a reader of the file finds it again; an older record of
    the file it replaces is replaced too (:attr:`recorded` says whether it has one).

    A CSV is written with the input's separators, header, quote character, encoding (the
    ``csv`` options it was read with) and line ends, but a ``.tsv`` with tabs
    (:meth:`CsvOptions.output_delimiter`): :attr:`delimiter` and :attr:`encoding` say how it
    was written (None for other formats, and the encoding None for UTF-8).
    """

    def __init__(
        self,
        path: str,
        format: Format,
        schema: pa.Schema,
        csv: CsvOptions,
        line_end: str = "\n",
        nulls: Sequence[str] | None = None,
        big_endian: bool = False,
        renamed: Sequence[str] = (),
    ):
        self.path = path
        self._big_endian = big_endian
        self._renamed = renamed
        self._nulls = nulls
        self._line_end = line_end
        self.format = format
        self.schema = schema
        self.name = "<stdout>" if path == STDIO else path
        self.rows_written = 0
        self._committed = False
        #: Whether a CSV file got a record of its metadata beside it (:meth:`commit`).
        self.recorded = False
        self.delimiter: str | None = None
        self.encoding: str | None = None
        self._file: AtomicFile | None = None
        self._dialect: dict | None = None  # a CSV's, once its writer is open
        self._recorded_metadata = schema.metadata  # what a CSV's record keeps
        self._dictionaries: dict[int, pa.Array] = {}  # of the first batch written
        self._united: dict[int, pa.Array] = {}  # a Parquet output's categories so far
        if format is Format.CSV:
            check_csv_types(schema, self.name)
        self._pipe: PipeStream | None = None  # an output written in place goes through it
        if path == STDIO:
            self._stream, self._pipe = standard_output_stream()
        else:
            self._file = AtomicFile(path, streaming=True)
            self._stream, self._pipe = self._file.stream, self._file.pipe
        try:
            _, codec = split_compression(path)
            if codec and self._file is not None:
                self._stream = compressing(self._stream, codec)
            self._writer = self._open_writer(csv)
        except (pa.ArrowException, OSError) as exc:
            self._discard()
            self._raise_write_error(exc)
        except BaseException:
            self._discard()
            raise

    def _open_writer(self, csv: CsvOptions):
        # Each format's writer is imported when used: a CSV job loads no Parquet module.
        if self.format is Format.CSV:
            writer = CsvWriter(
                self._stream,
                self.schema,
                csv.output_delimiter(self.path),
                csv.encoding,
                csv.decimal_point,
                header=csv.header is not False,
                quote=csv.quote_character,
                name=self.name,
                line_end=self._line_end,
                missing=csv.missing_written,
                comment=csv.comment,
                big_endian=self._big_endian,
                header_names=names_as_written(self.schema.names, self._renamed),
            )
            self.delimiter, self.encoding = writer.delimiter, writer.encoding
            # How it is written, for its record: a later job reads it so (no lines above the
            # header, quotes doubled rather than escaped, fields holding the comment character
            # quoted: none reads as a comment line).
            self._dialect = {
                "delimiter": writer.delimiter,
                "quote": csv.quote_character or "",
                "escape": "",
                "decimal": csv.decimal_point,
                "header": csv.header is not False,
                "skip_rows": 0,
                "comment": csv.comment or "",
                "encoding": csv.encoding,
                # The strings that stand for a missing value in it: those of its CSV input,
                # whose fields are copied as written, else (from Parquet or Arrow) the one it
                # writes, so that text equal to another ("NA" of North America) stays text.
                "null_values": list(self._nulls if self._nulls is not None else csv.nulls),
            }
            return writer
        if self.format is Format.PARQUET:
            from .parquet import ParquetWriter

            return ParquetWriter(self._stream, self.schema)
        from .ipc import open_ipc_writer

        return open_ipc_writer(self._stream, self.schema, self.path)

    def write(self, batch: pa.RecordBatch) -> None:
        """Append one batch (its schema must equal the sink's)."""
        if not batch.schema.equals(self.schema):
            raise self._misfit(batch.schema)
        if self.format is Format.PARQUET:
            self._tally_categories(batch)
        try:
            self._writer.write_batch(batch)
        except pa.ArrowInvalid as exc:
            if "Dictionary replacement" in str(exc):
                self._refuse_other_dictionary(batch)
            self._raise_write_error(exc)
        except (pa.ArrowException, OSError) as exc:
            self._raise_write_error(exc)
        if not self.rows_written:  # the dictionaries an IPC file is held to
            self._dictionaries = {
                j: batch.column(j).dictionary
                for j, field in enumerate(self.schema)
                if pa.types.is_dictionary(field.type)
            }
        self.rows_written += batch.num_rows

    def _misfit(self, schema: pa.Schema) -> SchemaError:
        """The error of a batch whose ``schema`` is not the output's: its columns, or the first
        column typed otherwise (a column declared not null is told so)."""
        if schema.names != self.schema.names:
            return SchemaError(
                f"{self.name}: a batch with columns {schema.names} does not fit an output of "
                f"{self.schema.names}"
            )
        given, wanted = next(
            (a, b) for a, b in zip(schema, self.schema, strict=True) if not a.equals(b)
        )
        return SchemaError(
            f"{self.name}: column {given.name!r} is {_typed(given)} in a batch, but "
            f"{_typed(wanted)} in the output"
        )

    def _tally_categories(self, batch: pa.RecordBatch) -> None:
        """Refuse a Parquet output's dictionary column whose batches' categories together are
        more than its codes' type holds: a reader unites the row groups' dictionaries, and then
        reads no row (140 categories in int8 codes: 'Integer value 128 not in range'). The
        categories of a data set's files are united, and their codes widened, before it is
        written (:func:`~normkit.io.dictionaries.widened`); those of a pipe cannot be."""
        for j, field in enumerate(self.schema):
            if not pa.types.is_dictionary(field.type):
                continue
            known, dictionary = self._united.get(j), batch.column(j).dictionary
            if known is not None and dictionary.equals(known):
                continue
            try:
                united = united_categories(known, dictionary, field.type.ordered, field.name)
            except DataError as exc:
                raise exc.within(self.name) from None
            self._united[j] = united
            if len(united) > index_capacity(field.type):
                raise OutputError(
                    f"{self.name}: column {field.name!r}: its batches' categories (its "
                    f"dictionaries) number {len(united):,} together, more than its codes' type "
                    f"({field.type.index_type}) holds in a Parquet file, whose readers unite them",
                    hints=(
                        "read the input from files, whose categories are united before writing",
                        "write an Arrow stream (.arrows), which holds one dictionary a batch",
                    ),
                )

    def _refuse_other_dictionary(self, batch: pa.RecordBatch) -> None:
        """An Arrow IPC file holds one dictionary a column (Polars reads no deltas of one):
        ``batch`` has another than the first's (Parquet row groups each their own)."""
        for j, field in enumerate(self.schema):
            if j in self._dictionaries and not batch.column(j).dictionary.equals(
                self._dictionaries[j]
            ):
                raise OutputError(
                    f"{self.name}: column {field.name!r} has other categories (its dictionary) "
                    "in a later batch, and an Arrow IPC file holds one dictionary a column",
                    hints=("write an Arrow stream (.arrows) or Parquet, which hold one a batch",),
                )

    @property
    def retractable(self) -> bool:
        """Whether what is written can still be taken back (a temporary file, renamed into place
        by :meth:`commit`), rather than gone to a reader (standard output, a pipe, a device)."""
        return self._file is not None and self._file.retractable

    @property
    def _csv(self) -> CsvWriter:
        if not isinstance(self._writer, CsvWriter):
            raise TypeError(f"{self.name} is not a CSV output")
        return self._writer

    @property
    def csv_style(self) -> dict:
        """How a CSV output writes its records (:attr:`CsvWriter.style`)."""
        return self._csv.style

    def write_records(self, texts: Sequence, rows: int) -> None:
        """Append ``rows`` CSV records formatted in :attr:`csv_style` (UTF-8 pieces, in order):
        records written again from a CSV input, without record batches."""
        writer = self._csv
        try:
            writer.write_text(texts)
        except (pa.ArrowException, OSError) as exc:
            self._raise_write_error(exc)
        self.rows_written += rows

    def unquotable(self, column: int, value: str) -> OutputError:
        """A CSV output's error for a value that cannot be written without quotes
        (``normkit._native.UnquotableError``'s arguments)."""
        return self._csv.unquotable(column, value)

    def holding_nul(self, column: int, row: int) -> OutputError:
        """A CSV output's error for text holding a NUL character (``column``: its index;
        ``row``: the output's, from 1)."""
        return self._csv.holding_nul(column, row)

    def _raise_write_error(self, exc: BaseException) -> None:
        if isinstance(exc, BrokenPipeError) or "Broken pipe" in str(exc):
            raise BrokenPipeError(str(exc)) from None
        raise OutputError(f"{self.name}: cannot write: {os_reason(exc)}") from None

    def commit(self, after: Callable[[], None] | None = None) -> None:
        """Finish the output and move it into place; ``after()``, if given, moves another
        output into place with it (see :meth:`AtomicFile.commit`)."""
        self._committed = True
        try:
            self._writer.close()
            if self._file is None:
                sys.stdout.buffer.flush()
                if after is not None:
                    after()
            else:
                self._stream.close()  # a compressing stream closes the file under it too
                self._file.commit(self._record if self.format is Format.CSV else None, after)
        except (pa.ArrowException, OSError) as exc:
            self._discard()
            self._raise_write_error(exc)
        except BaseException:  # Ctrl-C while the last pieces are formatted and written
            self._discard()
            raise

    def keep_in_record(self, metadata: dict[bytes, bytes]) -> None:
        """Have a CSV's record keep the ``normkit.`` keys of ``metadata`` rather than those of
        the schema given at opening: what was learned while writing (the categories
        written)."""
        self._recorded_metadata = {**(self.schema.metadata or {}), **metadata}

    def _record(self, written: str, mode: int) -> None:
        """Record the CSV's metadata beside it, before it is moved into place."""
        assert self._file is not None
        self.recorded = write_record(
            self._file.target, written, self._recorded_metadata, mode, self._dialect
        )

    def _discard(self) -> None:
        if self._pipe is not None:  # a thread waiting for the reader stops waiting
            self._pipe.abandon()
        writer = getattr(self, "_writer", None)
        threaded = hasattr(writer, "abandon")  # the CSV and Parquet writers run threads
        if threaded:
            writer.abandon()  # stops their threads, for stdout too
        if self._file is None:
            return
        if writer is not None and not threaded:
            with contextlib.suppress(pa.ArrowException, OSError):
                writer.close()
        with contextlib.suppress(pa.ArrowException, OSError):
            self._stream.close()
        self._file.discard()

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            if not self._committed:
                self.commit()
        else:
            self._discard()


def _typed(field: pa.Field) -> str:
    """A column's type as a message names it: ``int32``, ``int32 not null``."""
    return f"{field.type}{'' if field.nullable else ' not null'}"


def open_sink(
    path: str | os.PathLike[str],
    schema: pa.Schema,
    format: str | Format | None = None,
    csv: CsvOptions | None = None,
    line_end: str = "\n",
    nulls: Sequence[str] | None = None,
    big_endian: bool = False,
    renamed: Sequence[str] = (),
) -> Sink:
    """Open an output for record batches of ``schema``; use as a context manager.

    Parameters
    ----------
    path : str or path-like
        The output file, or ``"-"`` for stdout. ``.gz``, ``.bz2`` and ``.zst`` compress CSV.
    schema : pyarrow.Schema
    format : str, Format or None
        None infers it from the extension (stdout: CSV).
    csv : CsvOptions or None
    line_end : {"\\n", "\\r\\n", "\\r"}, default "\\n"
        How a CSV output's records end (its input's way: :attr:`Reader.line_end`).
    nulls : sequence of str or None
        The strings that stand for a missing value in a CSV output, for its record (None:
        those ``csv`` reads as missing, as in the fields of a CSV input copied as written).
    big_endian : bool, default False
        Whether a CSV output in UTF-16 or UTF-32 is written big-endian (its input's order:
        :attr:`Reader.big_endian`) rather than little-endian; either way with a byte-order mark.
    renamed : sequence of str
        The names a CSV input's reader gave to repeated header names (:attr:`Reader.renamed`):
        a CSV output's header has them as the input's had them (``,,x`` stays ``,,x``, not
        ``,_1,x``), and reads back as the same names.

    Examples
    --------
    >>> import pyarrow as pa, tempfile, os
    >>> batch = pa.record_batch({"x": [1.0, 2.0]})
    >>> path = os.path.join(tempfile.mkdtemp(), "out.csv")
    >>> with open_sink(path, batch.schema) as sink:
    ...     sink.write(batch)
    >>> open(path).read().splitlines()
    ['x', '1.0', '2.0']
    """
    path = os.fspath(params.path("path", path))
    params.check_type("schema", schema, pa.Schema, "a pyarrow.Schema")
    csv = params.or_default("csv", csv, CsvOptions)
    nulls = (
        None
        if nulls is None
        else params.one_or_many("nulls", nulls, str, "a string or a list of them")
    )
    kind = resolve_format(path, format, param_name="output_format")
    return Sink(path, kind, schema, csv, line_end, nulls, big_endian, renamed)


#: The gzip level of a ``.gz`` output: zlib's and the gzip command's default. pyarrow's stream
#: compresses at 9, which takes about twice as long for an output 0.2% smaller (text of floats).
GZIP_LEVEL = 6


class _GzipStream(gzip.GzipFile):
    """A gzip stream at :data:`GZIP_LEVEL` that closes the file under it when closed, as
    pyarrow's compressing streams do."""

    def close(self) -> None:
        under = self.fileobj
        try:
            super().close()
        finally:
            if under is not None:
                under.close()


def compressing(stream: pa.NativeFile, codec: str) -> pa.NativeFile:
    """``stream`` compressed by ``codec`` (``gzip``, ``bz2``, ``zstd``); closing it closes
    ``stream``."""
    if codec == "gzip":  # mtime 0: the same data gives the same bytes, as pyarrow's does
        gz = _GzipStream(fileobj=stream, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)
        return pa.PythonFile(gz, mode="w")
    return pa.CompressedOutputStream(stream, codec)
