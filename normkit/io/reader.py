"""Inputs as streams of ``pyarrow.RecordBatch``: the reader protocol, and what the readers of
every format share.

Each format has its reader (:mod:`normkit.io.csv`, :mod:`normkit.io.parquet`,
:mod:`normkit.io.ipc`); :func:`normkit.io.inputs.open_input` opens the right one. Every reader
yields record batches in which the columns to be normalized are float64 and the other columns
are as the input has them (for CSV, text exactly as written), in bounded memory.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, BinaryIO, Protocol

import numpy as np
import pyarrow as pa

from .. import params
from ..errors import OUT_OF_MEMORY, OUT_OF_MEMORY_HINTS, InputError, SchemaError, param
from .arrow import (
    cast_float64,
    holds_text,
    is_numeric_field,
    missing_to_null,
    narrowed,
    not_numeric,
    rechunk,
)
from .csv.columns import exclude_hint
from .csv.table_start import header_hints
from .formats import STDIO, Format
from .options import CsvOptions, ReadOptions
from .sidecar import Record, read_record
from .streams import PrefixedStream, misread_names_hints, not_text

__all__ = ["Reader", "ReaderBase", "not_numeric_error"]


def not_numeric_error(where: str, name: str, field: pa.Field) -> SchemaError:
    """The refusal of the column ``field`` of a typed input (Parquet, Arrow) that is not
    numbers, read where numbers are (fitted so, or chosen): ``where``, the input's name. Its
    type is the file's own, not a guess as a CSV's is, so the way out is to write it as numbers
    where the file is made, or (a fit) to exclude it."""
    dtype = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
    cast = f"pl.col({name!r}).cast(pl.Float64)"
    if holds_text(dtype):
        how = f"cast it to a number type (float64) where the file is written (polars: {cast})"
    elif pa.types.is_boolean(dtype):
        how = (
            "if its True and False are the 1 and 0 it was fitted on, cast it to a number type "
            f"where the file is written (polars: {cast})"
        )
    elif pa.types.is_duration(dtype):
        how = (
            "write it as numbers where the file is written, as it was fitted on (its seconds: "
            f"polars pl.col({name!r}).dt.total_seconds())"
        )
    elif pa.types.is_temporal(dtype):
        how = (
            "write it as numbers where the file is written, as it was fitted on (seconds or "
            f"days since some day: polars pl.col({name!r}).dt.epoch('s'))"
        )
    else:
        how = "write it as numbers where the file is written, as it was fitted on"
    return SchemaError(
        f"{where}: column {name!r} {not_numeric(field)}", hints=(how, exclude_hint(name, None))
    )


#: How pyarrow refuses a file with an integer column wider than 64 bits (Polars' Int128).
_WIDE_INTEGERS = "Integers with more than 64 bits"


class Reader(Protocol):
    """What every input offers, whatever its format.

    Attributes
    ----------
    path : str
        As given (``"-"`` for standard input).
    name : str
        For messages (``<stdin>`` for standard input).
    format : Format
    is_stdin, is_stream : bool
        Standard input; any input read once, front to back (standard input, pipes, devices).
    has_rows : bool or None
        Whether the input has data rows, where reading the schema told (CSV).
    detected : CsvOptions or None
        The CSV options the input is read with, given or detected, once the schema is read
        (None for other formats).
    hints : tuple of str
        Ways out of a problem with its columns, where the reader sees one (a CSV that reads as
        one column but would split with another separator).
    renamed : tuple of str
        The names given to the columns of a CSV header that repeat an earlier name (``a`` again
        is ``a_1``), once the schema is read.
    encoding : str or None
        The text encoding a CSV is read in, told by its byte-order mark (UTF-16, UTF-32) or
        given, once the schema is read; None: UTF-8, or not text.
    big_endian : bool
        Whether a CSV's byte-order mark says big-endian UTF-16 or UTF-32 (a CSV output of it
        in that encoding is written in the same order), once the schema is read.
    head : bytes
        A CSV's first bytes (64 KiB, decoded to UTF-8) once the schema is read, for hints;
        empty for other formats.
    line_end : str
        How a CSV's header (or first record) ends, once the schema is read: ``"\\r\\n"``,
        ``"\\r"`` or ``"\\n"`` (other formats: ``"\\n"``); a CSV output of it ends its records
        the same way, so that it reads back, and compares, as its input.
    """

    path: str
    name: str
    format: Format
    is_stdin: bool
    is_stream: bool
    has_rows: bool | None
    detected: CsvOptions | None
    hints: tuple[str, ...]
    renamed: tuple[str, ...]
    encoding: str | None
    big_endian: bool
    head: bytes
    line_end: str

    @property
    def schema(self) -> pa.Schema:
        """The columns and their types (read once)."""

    @property
    def typed(self) -> bool:
        """Whether the schema's types are the data's own (Parquet, Arrow) rather than guessed
        from its first rows (CSV): only then must chosen columns be numeric by type."""

    def batch_schema(self, float_columns: Sequence[str], keep_text: bool = True) -> pa.Schema:
        """The schema of ``batches(float_columns, keep_text=...)`` (every column), known before
        reading."""

    def undecided(self) -> frozenset[str]:
        """The columns whose type the input leaves open (a CSV's columns without a value in
        their first block, text unless :meth:`settle` says otherwise)."""

    def settle(self, types: Mapping[str, pa.DataType]) -> None:
        """Read :meth:`undecided` columns, with ``keep_text`` False, as ``types`` has them (the
        type the other inputs of a data set give them, else the one the stat file records): a
        later value of another type is then an error. A column settled once keeps its type. A
        CSV column its first rows typed is read as float64 if ``types`` says so (a weight
        column, numbers whatever its first rows hold), as nothing else."""

    def allow_text(self, names: Sequence[str]) -> None:
        """Let a word make text of those :meth:`undecided` columns of ``names`` read as float64
        that have no value yet, instead of being refused: their first value types them (the
        batches from then on hold them as text; :attr:`turned_text` names them)."""

    #: The columns a word made text (:meth:`allow_text`) so far.
    turned_text: frozenset[str]

    #: The columns its file's hive ``key=value`` directories add (none for a file of its own).
    keys: tuple[str, ...]

    @property
    def text_encoding(self) -> str | None:
        """The encoding a CSV was read in: its byte-order mark's, else given or a stat file's
        (``"utf-8-sig"``: UTF-8 with a mark); None for UTF-8 without one, and other formats.
        A stat file records it, and a CSV output is written in it."""

    @property
    def written_dialect(self) -> Mapping[str, Any]:
        """How normkit wrote a CSV, as its record says (fields of
        :data:`~normkit.io.options.WRITTEN`); empty without a record, and for other formats."""

    @property
    def size_bytes(self) -> int | None:
        """Size of the file on disk, or None for a stream."""

    def bytes_read(self) -> int | None:
        """Bytes of the file consumed so far, where known (progress bars)."""

    @property
    def missing_text(self) -> tuple[str, ...]:
        """Strings that mean a missing value in the columns it gives as text as written (CSV:
        the missing-value strings; formats with types: none, only nulls are missing)."""

    @property
    def missing_numbers(self) -> tuple[float, ...]:
        """The missing values that are numbers (``--null-values -999``), which :meth:`batches`
        makes missing (null) in the float columns of a typed input (Parquet, Arrow), as a CSV's
        reading does (there as it parses them; none here): a CSV and its Parquet copy read
        alike."""

    @property
    def text_nulls(self) -> tuple[str, ...]:
        """Strings that mean a missing value in its text passed through (CSV: the empty field
        and the strings named, :attr:`~normkit.io.options.CsvOptions.text_nulls`; formats with
        types: none)."""

    def batches(
        self,
        float_columns: Sequence[str],
        *,
        all_columns: bool = True,
        keep_text: bool = True,
        also: Sequence[str] = (),
    ) -> Iterator[pa.RecordBatch]:
        """The rows, ``float_columns`` as float64; all columns, or only those (and ``also``,
        as the input has them). ``keep_text``: columns of a text format (CSV) not in
        ``float_columns`` stay text as written; otherwise they have the types of the first
        block."""

    def count_rows(self) -> int:
        """The number of data rows, cheaply (a prediction for CSV; files only)."""

    def column_hints(self, names: Sequence[str]) -> tuple[str, ...]:
        """Ways out for an input whose columns lack some of ``names``."""

    def close(self) -> None:
        """Release what the reader holds open."""

    def __enter__(self) -> Reader: ...

    def __exit__(self, *exc: object) -> None: ...


class ReaderBase:
    """What readers of every format share: paths, pipes and standard input, the schema's
    checks, the options applied to every batch, and errors turned into one-line messages."""

    format: Format

    def __init__(self, path: str, read: ReadOptions, is_stream: bool):
        self.path = path
        self.read = read
        self.is_stream = is_stream
        self.name = "<stdin>" if self.is_stdin else path
        self.has_rows: bool | None = None
        self.hints: tuple[str, ...] = ()
        self.renamed: tuple[str, ...] = ()
        self.detected: CsvOptions | None = None
        self.encoding: str | None = None
        self.utf8_mark = False  # a UTF-8 input that begins with a byte-order mark
        self.big_endian = False  # a UTF-16 or UTF-32 input whose byte-order mark says so
        self.line_end = "\n"  # how a CSV's header (or first record) ends, once read
        self.head = b""
        self._schema: pa.Schema | None = None
        self._record_read = False
        self._record_found: Record | None = None
        self._pipe_file: BinaryIO | None = None
        self._resumed: BinaryIO | None = None
        self._raw: pa.NativeFile | None = None

    # -- facts -----------------------------------------------------------------------------

    @property
    def is_stdin(self) -> bool:
        return self.path == STDIO

    @property
    def _pipe(self) -> BinaryIO:
        """The byte stream of a stream input (stdin, or a pipe opened once)."""
        if self._resumed is not None:
            return self._resumed
        if self.is_stdin:
            return sys.stdin.buffer
        if self._pipe_file is None:
            self._pipe_file = open(self.path, "rb")  # noqa: SIM115 (kept open for the reads)
        return self._pipe_file

    def resume(self, stream: BinaryIO, head: bytes) -> None:
        """Read this stream input from ``stream``, of which ``head`` was read already (to tell
        its format): the reader sees the whole stream."""
        if not self.is_stdin:
            self._pipe_file = stream  # closed with the reader
        self._resumed = PrefixedStream(head, stream)

    @property
    def text_encoding(self) -> str | None:
        return self.encoding or ("utf-8-sig" if self.utf8_mark else None)

    @property
    def written_dialect(self) -> Mapping[str, Any]:
        record = self._record()
        return record.csv if record is not None else {}

    @property
    def size_bytes(self) -> int | None:
        return None if self.is_stream else os.path.getsize(self.path)

    def bytes_read(self) -> int | None:
        if self._raw is None or self._raw.closed:
            return None
        try:
            return self._raw.tell()
        except (OSError, pa.ArrowException):
            return None

    # -- schema and batches ----------------------------------------------------------------

    @property
    def schema(self) -> pa.Schema:
        if self._schema is None:
            schema = self._read_schema()
            seen: set[str] = set()
            for name in schema.names:
                if name in seen:
                    raise SchemaError(f"{self.name}: duplicate column name {name!r}")
                if "\x00" in name:  # the engine's Arrow interface takes names as C strings
                    raise SchemaError(
                        f"{self.name}: column name {name!r} holds a NUL character, which normkit "
                        "cannot read",
                        hints=("rename the column",),
                    )
                seen.add(name)
            recorded = self._record()
            if recorded is not None and recorded.metadata:
                schema = schema.with_metadata({**(schema.metadata or {}), **recorded.metadata})
            self._schema = schema
        return self._schema

    def _read_schema(self) -> pa.Schema:
        raise NotImplementedError

    def _record(self) -> Record | None:
        """A CSV file's record, kept beside it (what Parquet keeps in its metadata), read once;
        None without one, and for other inputs."""
        if not self._record_read:
            self._record_read = True
            if self.format is Format.CSV and not self.is_stream:
                self._record_found = read_record(self.path, self.name)
        return self._record_found

    def _read_as_written(self) -> None:
        """Read a CSV as normkit wrote it, as its record says (not as a stat file or the
        sniffing of its first lines would have it), where options given do not say otherwise."""
        record = self._record()
        if record is not None and record.csv:
            self.read = replace(self.read, csv=self.read.csv.as_written(record.csv))

    @property
    def typed(self) -> bool:
        return True

    @property
    def missing_text(self) -> tuple[str, ...]:
        return ()

    @property
    def missing_numbers(self) -> tuple[float, ...]:
        # A CSV's are read as missing by the engine as it parses them.
        return self.read.csv.missing_numbers if self.typed else ()

    @property
    def text_nulls(self) -> tuple[str, ...]:
        return () if self.typed else self.read.csv.text_nulls

    def column_hints(self, names: Sequence[str]) -> tuple[str, ...]:
        """Ways out for an input whose columns lack some of ``names``: :attr:`hints`, else for
        a CSV the lines to skip above a line of its head that names them, or that it looks like
        UTF-8 read in a single-byte encoding."""
        misread = misread_names_hints(self.schema.names, names, self.encoding)
        if self.hints or self.detected is None or not self.head:
            return (*misread, *self.hints)
        dialect = self.detected
        delimiter = dialect.delimiter_for(self.path) or ","
        quote, skipped = dialect.quote_character, dialect.skip_rows or 0
        return (*misread, *header_hints(self.head, delimiter, quote, names, skipped))

    def undecided(self) -> frozenset[str]:
        return frozenset()  # typed formats have the types of their data

    def settle(self, types: Mapping[str, pa.DataType]) -> None:
        pass

    def allow_text(self, names: Sequence[str]) -> None:
        pass  # typed formats: a column of numbers holds no word

    turned_text: frozenset[str] = frozenset()

    #: Columns whose type in the file pyarrow reads as another (Parquet's INTERVAL as 12
    #: bytes), each as (name, what it is): outputs keep their bytes, not that type.
    unkept_types: tuple[tuple[str, str], ...] = ()

    #: The columns of a file's hive partition keys (:class:`~normkit.io.partitions.Partitioned`).
    keys: tuple[str, ...] = ()

    def batch_schema(self, float_columns: Sequence[str], keep_text: bool = True) -> pa.Schema:
        """The schema of ``batches(float_columns)``: the input's, ``float_columns`` as float64."""
        wanted = set(params.names("float_columns", float_columns))
        return pa.schema(
            [self._float64_field(f) if f.name in wanted else f for f in self.schema],
            metadata=self.schema.metadata,
        )

    def _float64_field(self, field: pa.Field) -> pa.Field:
        """``field`` read as float64: not null where the input declares it so (a value mapped
        stays a value: its output is not null either), unless infinities are read as missing."""
        nullable = field.nullable or self.read.infinities_missing or bool(self.missing_numbers)
        return field.with_type(pa.float64()).with_nullable(nullable)

    def batches(
        self,
        float_columns: Sequence[str],
        *,
        all_columns: bool = True,
        keep_text: bool = True,
        also: Sequence[str] = (),
    ) -> Iterator[pa.RecordBatch]:
        """Stream the input as record batches.

        Parameters
        ----------
        float_columns : sequence of str
            Columns returned as float64 (integers and decimals are converted; text is parsed).
        all_columns : bool, default True
            Return every column (the others unchanged; CSV text as written). If False, only
            ``float_columns``, in that order.
        keep_text : bool, default True
            For CSV: the other columns as their text (True), or converted to the types their
            first block has (False; a later value of another type is an error).
        also : sequence of str, default ()
            With ``all_columns`` False, other columns returned too, after ``float_columns``
            (as the input has them: CSV text as written, see ``keep_text``).

        Yields
        ------
        pyarrow.RecordBatch
        """
        float_columns = params.names("float_columns", float_columns)
        also = params.names("also", also)
        schema = self.schema
        present = set(schema.names)
        missing = [c for c in [*float_columns, *also] if c not in present]
        if missing:
            raise SchemaError(
                f"{self.name}: no column {missing[0]!r}; the input has {_names(schema.names)}"
            )
        floats = set(float_columns)
        columns = None if all_columns else [*float_columns, *(c for c in also if c not in floats)]
        batches = self._batches(float_columns, columns, keep_text)
        numbers = self.missing_numbers
        if self.read.infinities_missing or numbers:
            infinite = self.read.infinities_missing
            # A float16 or float32 column's missing numbers are as its type holds them.
            marks = np.asarray(numbers, dtype=np.float64)
            narrow = {n: narrowed(marks, schema.field(n).type) for n in float_columns}
            batches = (
                missing_to_null(b, float_columns, infinite, numbers, narrow) for b in batches
            )
        if self.read.chunk_rows is not None:
            batches = rechunk(batches, self.read.chunk_rows)
        return batches

    def _batches(
        self, float_columns: Sequence[str], columns: Sequence[str] | None, keep_text: bool
    ) -> Iterator[pa.RecordBatch]:
        """The batches with ``columns`` (None: all) in that order, ``float_columns`` as float64."""
        raise NotImplementedError

    def count_rows(self) -> int:
        raise NotImplementedError

    def _as_float(self, batch: pa.RecordBatch, float_columns: Sequence[str]) -> pa.RecordBatch:
        """Cast ``float_columns`` of a typed (Parquet, Arrow) batch to float64.

        Linear in the number of columns: each name looked up in one map and the schema built
        once (a lookup and a new schema per column took 0.6 s a batch of 2,000 columns)."""
        if not float_columns:
            return batch
        arrays = list(batch.columns)
        schema = batch.schema
        index: dict[str, int] = {}
        for i, name in enumerate(schema.names):  # as get_field_index: -1 for a repeated name
            index[name] = -1 if name in index else i
        fields = list(schema)
        for name in float_columns:
            i = index.get(name, -1)
            field = fields[i]
            if not is_numeric_field(field) and not pa.types.is_null(field.type):
                raise not_numeric_error(self.name, name, field)
            if pa.types.is_float64(field.type):
                continue
            arrays[i] = cast_float64(arrays[i])
            fields[i] = self._float64_field(field)
        return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields, schema.metadata))

    def close(self) -> None:
        for handle in (self._raw, self._pipe_file):
            if handle is not None and not handle.closed:
                with contextlib.suppress(OSError, pa.ArrowException):
                    handle.close()

    def __enter__(self) -> ReaderBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- errors ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _translate_errors(self, rows_done: Callable[[], int] | None = None) -> Iterator[None]:
        """Turn pyarrow's and the OS's exceptions into one-line :class:`InputError`\\ s."""
        try:
            yield
        except (SchemaError, InputError):
            raise
        except UnicodeDecodeError as exc:  # from a transcoded text input
            raise not_text(self.name, self.encoding, exc.start) from None
        except pa.ArrowInvalid as exc:
            raise self._describe_arrow_error(str(exc), rows_done) from None
        except (pa.ArrowException, OSError) as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if isinstance(exc, pa.ArrowMemoryError) or "Cannot allocate memory" in message:
                raise InputError(
                    f"{self.name}: {OUT_OF_MEMORY} ({message})", hints=OUT_OF_MEMORY_HINTS
                ) from None
            if message.startswith(_WIDE_INTEGERS):  # Polars' Int128: no column can be read
                raise InputError(
                    f"{self.name}: a column holds integers of more than 64 bits (such as "
                    f"Polars' Int128), which pyarrow cannot read: no column of the "
                    f"{self.format} file can be read, whichever are chosen",
                    hints=(
                        "write it as Int64 or Decimal, e.g. in Polars "
                        "df.with_columns(pl.col(pl.Int128).cast(pl.Int64))",
                    ),
                ) from None
            raise self._cut_short(message) or InputError(
                f"{self.name}: cannot read as {self.format}: {message}"
            ) from None

    def _describe_arrow_error(
        self, message: str, rows_done: Callable[[], int] | None
    ) -> InputError:
        """One line for pyarrow's ``ArrowInvalid`` message (naming the column, row and value
        where the format lets the reader find them)."""
        first = message.strip().splitlines()[0] if message.strip() else "invalid data"
        return self._cut_short(first) or InputError(
            f"{self.name}: cannot read as {self.format}: {first}"
        )

    def _cut_short(self, message: str) -> InputError | None:
        """The refusal of Arrow data that ends inside a message (pyarrow's ``message``: "Expected
        to be able to read N bytes for message body, got M"), or of a Parquet file without its
        footer ("Parquet magic bytes not found in footer"); None for another error."""
        if self.format is Format.PARQUET and "magic bytes not found in footer" in message:
            return InputError(
                f"{self.name}: not a whole Parquet file: it does not end with a Parquet footer "
                "(it was cut short, as by a copy or a download that stopped, or it is not "
                "Parquet)",
                hints=("write or copy it again", f"name its format with {param('format')}"),
            )
        if self.format is not Format.ARROW or not message.startswith("Expected to be able to"):
            return None
        return InputError(
            f"{self.name}: the Arrow data ends inside a record batch ({message[0].lower()}"
            f"{message[1:]}): it was cut short; write it again"
        )


def _names(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"columns {shown}{more}" if names else "no columns"
