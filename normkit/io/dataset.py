"""Inputs that are many files: directories (hive-partitioned ones included), globs and lists.

A data set is the files of its inputs, in a stable order: each input in the order given, and the
files of a directory or a glob sorted by their path relative to it, with runs of digits compared
as numbers (``part-2`` before ``part-10``, as Dask orders the files of a data set). Rows are read
in that order by every engine, which is what makes running (EMA) statistics, whose batches follow
the rows, reproducible.

As in ``pyarrow.dataset``, files and directories whose name starts with ``.`` or ``_`` are not
data (``_SUCCESS``, ``_metadata``, ``.crc`` files, ``_temporary`` directories). In a directory,
the files whose extension names a format are read (``.csv``, ``.csv.gz``, ``.parquet``...; not
``.txt``, read only when named, as notes sit beside data); with an explicit input format, every
other file is too. Hive-style directories (``year=2024/``) are
walked like any other; their ``key=value`` pairs are kept with each file (:attr:`DataFile.
partition`), so that outputs can be laid out the same way, and are columns of its rows
(:mod:`normkit.io.partitions`).
"""

from __future__ import annotations

import bisect
import glob
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import pyarrow as pa

from .. import params
from ..errors import InputError, NormkitNote, OptionError, SchemaError, alike_names, param
from .arrow import cast_batch, common_type
from .copies import refuse_copies
from .csv.columns import header_row_hints, split_hints
from .csv.names import refuse_renamed_apart
from .csv.reader import HEAD_BYTES
from .csv.writer import text_as_written
from .files import check_output_path, file_key, refuse_overwrite
from .formats import STDIO, Format, descriptor_of, resolve_format, split_compression
from .inputs import open_input
from .options import CsvOptions, ReadOptions
from .partitions import Partitioned, typed_keys
from .reader import Reader
from .threads import Prefetch

__all__ = [
    "Concatenated",
    "DataFile",
    "describe_sources",
    "expand_inputs",
    "natural_key",
    "open_dataset",
    "refuse_csv_options",
    "refuse_duplicates",
]

IGNORED_PREFIXES = (".", "_")
_GLOB_CHARS = re.compile(r"[*?[]")
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class DataFile:
    """One file of a data set.

    Attributes
    ----------
    path : str
        As found (relative paths stay relative); ``"-"`` for standard input.
    partition : tuple of (key, value)
        The hive ``key=value`` directories between the input it came from and the file.
    """

    path: str
    partition: tuple[tuple[str, str], ...] = ()


def natural_key(path: str) -> tuple:
    """A sort key comparing runs of digits as numbers, component by component.

    >>> sorted(["p-10.csv", "p-2.csv", "p-1.csv"], key=natural_key)
    ['p-1.csv', 'p-2.csv', 'p-10.csv']
    """
    return tuple(
        tuple((0, int(part), part) if part.isdigit() else (1, 0, part) for part in _DIGITS.split(c))
        for c in path.replace(os.sep, "/").split("/")
    )


#: Extensions read as data when a file is named, but not when a directory is walked: notes
#: (``README.txt``) sit beside data files.
_NAMED_ONLY = (".txt", ".txt.gz", ".txt.bz2", ".txt.zst")


def _named_by(pattern: str, path: str) -> bool:
    """Whether ``pattern`` names the extension of ``path``, one read only where named
    (``data/*.txt``)."""
    suffix = next((s for s in _NAMED_ONLY if path.lower().endswith(s)), None)
    return suffix is not None and os.path.basename(pattern).lower().endswith(suffix)


def _is_data_file(name: str, format: str | Format | None) -> bool:
    if name.startswith(IGNORED_PREFIXES):
        return False
    if format is not None:
        return True
    if name.lower().endswith(_NAMED_ONLY):
        return False
    try:
        resolve_format(name)
    except OptionError:
        return False
    return True


def _partition(relative_dir: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for part in relative_dir.replace(os.sep, "/").split("/"):
        key, sep, value = part.partition("=")
        if sep and key:
            pairs.append((key, value))
    return tuple(pairs)


def _walk(root: str, format: str | Format | None) -> list[DataFile]:
    """The data files under ``root``, in the order rows are read; files without an extension
    (Hive's ``000000_0``), which the walk leaves, are noted (:func:`_note_unread`)."""
    found, unread = _walked(root, format)
    refuse_copies(root, [data.path for data in found])
    if found and unread:
        _note_unread(root, unread)
    return found


def _walked(root: str, format: str | Format | None) -> tuple[list[DataFile], list[str]]:
    """The data files under ``root``, in the order rows are read, and the files without an
    extension left (their paths from ``root``, sorted)."""
    found = []
    unread = []
    seen: set[tuple[int, int]] = set()  # directories already walked (links may loop)
    for directory, subdirs, files in os.walk(root, followlinks=True):
        info = os.stat(directory)
        if (info.st_dev, info.st_ino) in seen:
            subdirs[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        subdirs[:] = [d for d in subdirs if not d.startswith(IGNORED_PREFIXES)]
        relative_dir = os.path.relpath(directory, root)
        partition = _partition(relative_dir) if relative_dir != "." else ()
        for name in files:
            if _is_data_file(name, format):
                found.append(
                    (
                        os.path.join(relative_dir, name),
                        DataFile(os.path.join(directory, name), partition),
                    )
                )
            elif "." not in name and not name.startswith(IGNORED_PREFIXES):
                unread.append(os.path.join(relative_dir, name))
    ordered = [data for _, data in sorted(found, key=lambda item: natural_key(item[0]))]
    return ordered, sorted(unread, key=natural_key)


def _note_unread(root: str, names: list[str]) -> None:
    """Note the files without an extension a directory's walk left: data written so (Hive's
    ``000000_0``) would be left out of the rows without a word."""
    shown = ", ".join(os.path.normpath(n) for n in names[:3]) + (", ..." if len(names) > 3 else "")
    warnings.warn(
        NormkitNote(
            f"{root}: {len(names):,} file{'s' if len(names) > 1 else ''} without an extension "
            f"not read ({shown}); the data files are told by their extension",
            hints=(f"to read them too, name their format ({param('format', 'csv')})",),
        ),
        stacklevel=4,
    )


def _glob_root(pattern: str) -> str:
    """The directory part of a pattern before its first wildcard."""
    head = _GLOB_CHARS.split(pattern, maxsplit=1)[0]
    return os.path.dirname(head) or "."


def expand_inputs(
    inputs: Sequence[str | os.PathLike[str]], format: str | Format | None = None
) -> list[DataFile]:
    """The files of the inputs: each a file, ``"-"``, a directory (walked) or a glob pattern.

    Parameters
    ----------
    inputs : sequence of paths
        A :class:`DataFile` is taken as it is (a file of a data set expanded before).
    format : str, Format or None
        The input format if given explicitly; then a directory's files are taken whatever their
        extension.

    Returns
    -------
    list of DataFile
        In the order that rows are read (see the module's notes).

    Raises
    ------
    InputError
        If a directory holds no data file or a pattern matches none.
    """
    files: list[DataFile] = []
    for item in inputs:
        if isinstance(item, DataFile):
            files.append(item)
            continue
        path = os.fspath(item)
        if path == STDIO:
            files.append(DataFile(path))
        elif os.path.isdir(path):
            found = _walk(path, format)
            if not found:
                raise InputError(
                    f"{path}: no data files in this directory (CSV, Parquet or Arrow files by "
                    "their extension)",
                    hints=(f"name the format with {param('format')} to read others",),
                )
            files.extend(found)
        elif _GLOB_CHARS.search(path) and not os.path.exists(path):
            root = _glob_root(path)
            matches = [
                m
                for m in glob.glob(path, recursive=True)
                if not any(
                    part.startswith(IGNORED_PREFIXES)
                    for part in os.path.relpath(m, root).split(os.sep)
                    if part not in (".", "..")
                )
            ]
            if not matches:
                raise InputError(f"{path}: the pattern matches no file")
            found, unread = [], []
            for match in matches:
                if os.path.isdir(match):
                    walked, missed = _walked(match, format)
                    for d in walked:
                        relative = os.path.relpath(d.path, root)
                        partition = _partition(os.path.dirname(relative))
                        found.append((relative, DataFile(d.path, partition)))
                    unread += [os.path.relpath(os.path.join(match, m), root) for m in missed]
                elif _is_data_file(os.path.basename(match), format) or _named_by(path, match):
                    # The files a directory's walk reads, and those the pattern names by their
                    # extension (*.txt): not a README.md or notes.txt that 'data/*' matches.
                    relative = os.path.relpath(match, root)
                    found.append((relative, DataFile(match, _partition(os.path.dirname(relative)))))
                elif "." not in os.path.basename(match):  # Hive's 000000_0, as a walk notes it
                    unread.append(os.path.relpath(match, root))
            if found and unread:
                _note_unread(path, sorted(set(unread), key=natural_key))
            if not found:
                raise InputError(
                    f"{path}: the pattern matches no data file (CSV, Parquet or Arrow files by "
                    "their extension)",
                    hints=(f"name the format with {param('format')} to read others",),
                )
            # 'data/**' matches a directory and the files in it: each read once.
            unique = {data.path: (relative, data) for relative, data in found}.values()
            files.extend(data for _, data in sorted(unique, key=lambda item: natural_key(item[0])))
        else:
            files.append(DataFile(path))
    return files


def open_dataset(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    read: ReadOptions,
    output: str | os.PathLike[str] | None = None,
    output_name: str = "the output",
    told: ReadOptions | None = None,
) -> list[Reader]:
    """The sources of a data set, checked before any row is read: the files exist, none is
    given twice or is the output, and all have the same columns, none of them a repeated
    header name renamed in one CSV and written so in another.

    Parameters
    ----------
    inputs : path or sequence of paths
        Files, ``"-"``, directories or glob patterns (:func:`expand_inputs`); the files found
        below ``key=value`` directories have their keys as columns too
        (:mod:`normkit.io.partitions`).
    read : ReadOptions
    output : path or None
        A file the job will write, refused if it is one of the inputs.
    output_name : str
        What ``output`` is, for that message.
    told : ReadOptions or None
        The read options the caller was given, for a job that writes no CSV: its CSV dialect
        options are refused when no input is CSV (:func:`refuse_csv_options`). None: not
        checked here (a transform checks them once it knows whether it writes CSV).
    """
    params.not_data("inputs", inputs)
    # (A DataFile: a file of a data set expanded before, with its partition keys.)
    inputs = params.one_or_many("inputs", inputs, (str, os.PathLike, DataFile))
    if not inputs:
        raise OptionError("no input to read")
    if output is not None:
        check_output_path(os.fspath(output))  # now, not after the pass
    files = expand_inputs(inputs, read.format)
    if len(files) > 1:
        # In a data set, an empty CSV file (not even a header) is an empty part, compressed
        # or not.
        files = [f for f in files if not _empty_csv(f.path, read)] or files[:1]
    paths = [f.path for f in files]
    if sum(path == STDIO or descriptor_of(path) == 0 for path in paths) > 1:
        raise OptionError("standard input ('-') can be read only once")
    opened = [open_input(path, read) for path in paths]
    if output is not None:
        refuse_overwrite(output, dict.fromkeys(paths, "the input"), output_name)
    refuse_duplicates(paths)
    sources = opened
    if len(paths) > 1:  # the others read as the first says (their options are read lazily)
        later = _read_as_first(sources[0], read)
        for reader in sources[1:]:
            reader.read = later
    keys = typed_keys(paths, [f.partition for f in files])
    if any(k.fields for k in keys):  # the hive directories' keys are columns
        sources = [Partitioned(s, k) for s, k in zip(sources, keys, strict=True)]
    for source in sources:
        source.schema  # noqa: B018 (reading the schema learns whether a CSV has data rows)
    first = sources[0]
    for other in sources[1:]:
        _check_same_columns(first, other, read.csv)
    refuse_renamed_apart(
        (s.name, s.schema.names, s.renamed) for s in sources if s.format is Format.CSV
    )
    if told is not None:
        refuse_csv_options(sources, told)
    return sources


def _read_as_first(first: Reader, read: ReadOptions) -> ReadOptions:
    """How the other files of a data set are read, given its ``first``: where that is a CSV
    read without comment lines (none given or recorded), theirs are as a later job reads after
    such a fit: ``#`` lines above the table are lines before it, and one inside it is a row
    (``#N/A`` alone on its line is refused, not skipped with a row lost)."""
    csv = read.csv
    if first.format is not Format.CSV or csv.comment is not None or csv.fitted_comment is not None:
        return read
    first.schema  # noqa: B018 (reading the schema detects its dialect)
    if first.detected is None or first.detected.comment:
        return read
    return replace(read, csv=replace(csv, fitted_comment=""))


def refuse_csv_options(
    sources: Sequence[Reader], told: ReadOptions, writes_csv: bool = False
) -> None:
    """Refuse the CSV options given in ``told`` (:meth:`CsvOptions.dialect_given`) where no
    input of ``sources`` is CSV: they would say nothing (and a fit would record them for later
    CSV reads). ``writes_csv``: the job writes a CSV, which the options that shape it
    (:data:`~normkit.io.options.CSV_WRITING`) are for.

    Raises
    ------
    OptionError
        Naming the first such option.
    """
    if any(s.format is Format.CSV for s in sources):
        return
    given = told.csv.dialect_given(writes_csv)
    if given:
        name, value = given[0]
        first = sources[0]
        raise OptionError(
            f"{param(name, value)} says how CSV is read, and no input is CSV ({first.name} is "
            f"{first.format}); leave it out",
            param=name,
        )


def _empty_csv(path: str, read: ReadOptions) -> bool:
    """Whether ``path`` is a CSV file with nothing in it: of 0 bytes, or compressed (a codec of
    :data:`~normkit.io.formats.COMPRESSION_SUFFIXES`) into bytes that decompress to nothing.
    A file that cannot be read is not: its reader tells why."""
    try:
        if resolve_format(path, read.format) is not Format.CSV:
            return False
        if not os.path.isfile(path):  # a pipe (of size 0) is read once, by its reader
            return False
        if os.path.getsize(path) == 0:
            return True
        _, codec = split_compression(path)
        if codec is None:
            return False
        with pa.input_stream(path, compression=codec) as stream:
            return not stream.read(1)
    except (OSError, OptionError, pa.ArrowException):
        return False


def dataset_dtypes(sources: Sequence[Reader], names: Sequence[str]) -> list[str]:
    """The Arrow types of ``names`` in a data set: the type every file with rows has, or the
    one that holds them all where files differ (:func:`~normkit.io.arrow.common_type`)."""
    typed = [s for s in sources if s.has_rows is not False] or [reference_reader(sources)]
    return [common_type([str(s.schema.field(n).type) for s in typed]) for n in names]


def reference_schema(sources: Sequence[Reader]) -> pa.Schema:
    """The schema whose types choose a data set's columns: :func:`reference_reader`'s, a column
    with no value there (null) typed as the first other file with rows that has a type for it
    (empty in one file, text in the next: text, as a fit of the other file alone finds it)."""
    reference = reference_reader(sources)
    schema = reference.schema
    for i, field in enumerate(schema):
        if not pa.types.is_null(field.type):
            continue
        for other in sources:
            if (
                other is reference
                or other.has_rows is False
                or field.name not in other.schema.names
            ):
                continue
            dtype = other.schema.field(field.name).type
            if not pa.types.is_null(dtype):
                schema = schema.set(i, field.with_type(dtype))
                break
    return schema


def reference_reader(sources: Sequence[Reader]) -> Reader:
    """The source whose types choose the columns: the first with data rows (a CSV with only a
    header has no types to tell)."""
    return next((s for s in sources if s.has_rows is not False), sources[0])


def in_order(schema: pa.Schema, names: Sequence[str]) -> pa.Schema:
    """``schema`` with its fields in the order of ``names`` (the same names, perhaps in another
    order: a data set's files are matched by name), its metadata kept."""
    if schema.names == list(names):
        return schema
    if sorted(schema.names) != sorted(names):
        raise ValueError(f"not the same columns: {schema.names} and {list(names)}")
    return pa.schema([schema.field(n) for n in names], metadata=schema.metadata)


def describe_sources(sources: Sequence[Reader], limit: int = 3) -> str:
    """The names of a data set's first files, for messages."""
    names = [s.name for s in sources[:limit]]
    more = len(sources) - limit
    return ", ".join(names) + (f" and {more:,} more" if more > 0 else "")


def _check_same_columns(first: Reader, other: Reader, csv: CsvOptions) -> None:
    """Refuses ``other`` if its columns are not ``first``'s (in any order), naming a column
    one lacks and, where how a CSV of them was read may be why, that (:func:`_reading_hints`);
    ``csv``: the options the set is read with."""
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
        return  # the same columns in another order: matched by name
    raise SchemaError(
        f"{other.name}: columns differ from {first.name}: {detail}",
        hints=(
            *_reading_hints(other, first, csv),
            *_reading_hints(first, other, csv),
            *alike_names(only_a, only_b),
        ),
    )


def _reading_hints(source: Reader, other: Reader, csv: CsvOptions) -> tuple[str, ...]:
    """Where ``source``, a CSV of a set read with ``csv``, has other columns than ``other``
    because of how it was read: it reads as one column while another separator splits it
    (:func:`~normkit.io.csv.columns.split_hints`; every file is read with a separator given
    or recorded, else each with its own), or it was read without a header, none detected in
    it, beside a file with one (:func:`~normkit.io.csv.columns.header_row_hints`)."""
    read = source.detected
    if read is None or not source.head:
        return ()
    if len(source.schema) == 1 < len(other.schema):
        used = read.delimiter_for(source.path) or ","
        shared = csv.delimiter_for(source.path)  # None: each file's own, detected
        if csv.delimiter is not None and "delimiter" not in csv.from_stats:
            why = "given for every file"
            why += "" if csv.fitted_delimiter else "; left out, each file's own is detected"
        elif shared is None:
            why = "detected in it"
        elif shared == (csv.delimiter or csv.fitted_delimiter):
            why = "the stat file's, for every file"
        else:
            why = "a .tsv file's"
        # A head shorter than the least read is the whole input; a longer one may be cut.
        size = HEAD_BYTES if len(source.head) < HEAD_BYTES else len(source.head)
        return split_hints(source.head, used, size, among=(source.name, why))
    other_named = other.detected is None or other.detected.header
    if read.header is False and other_named and csv.header is None:
        return (
            f"{source.name} was read without a header (detected in each file: none in it; "
            f"its columns are column_1, column_2...), {other.name} with one: "
            + header_row_hints(1, False, False)[0],
        )
    return ()


class Concatenated:
    """The batches of several sources, one source after the other, read ahead on a thread (see
    :class:`~normkit.io.threads.Prefetch`), their columns in one order (``schema``'s, else the
    first source's: a file with the same columns in another order is matched by name); remembers
    at which row each source began, for messages."""

    def __init__(
        self,
        sources: Sequence[Reader],
        names: Sequence[str],
        keep_text: bool = True,
        schema: pa.Schema | None = None,
    ):
        self._sources = sources
        self._names = names
        self._keep_text = keep_text
        # Batches whose types differ from ``schema``'s (text of another offset width: see
        # :func:`~normkit.jobs.columntypes.check_dataset_types`), or whose columns another file
        # leaves nullable, are cast to them.
        self._schema = None if schema is None else schema.remove_metadata()
        self._order = sources[0].schema.names if schema is None else schema.names
        self._fetched = Prefetch(self._tagged())
        self._starts: list[int] = []
        self._started: list[Reader] = []

    def _tagged(self) -> Iterator[tuple[Reader, pa.RecordBatch]]:
        for source in self._sources:
            rows = 0
            for batch in source.batches(self._names, all_columns=True, keep_text=self._keep_text):
                if batch.schema.names != self._order:
                    batch = batch.select(self._order)
                if self._schema is not None and not batch.schema.equals(self._schema):
                    # Numbers beside a CSV's text (one CSV output): as a CSV output writes them.
                    batch = text_as_written(batch, self._schema, source.read.csv.decimal_point)
                    batch = cast_batch(batch, self._schema, source.name, rows)
                rows += batch.num_rows
                yield source, batch

    def start(self) -> None:
        """Begin reading now, ahead of the first batch asked for."""
        self._fetched.start()

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        rows = 0
        for source, batch in self._fetched:
            if not self._started or self._started[-1] is not source:
                self._starts.append(rows)
                self._started.append(source)
            rows += batch.num_rows
            yield batch.replace_schema_metadata(None) if batch.schema.metadata else batch

    def source_of(self, row: int) -> tuple[Reader, int]:
        """The source of a row of the concatenation (0-based), and the row's index in it."""
        if not self._started:
            return self._sources[0], row
        i = max(bisect.bisect_right(self._starts, max(row, 0)) - 1, 0)
        return self._started[i], row - self._starts[i]

    def close(self) -> None:
        self._fetched.close()


def refuse_duplicates(paths: Sequence[str | os.PathLike[str]]) -> None:
    """Refuse a file given twice (also under another name, or through a link): its rows would
    count twice. Paths that do not exist are left to whoever opens them.

    Raises
    ------
    OptionError
    """
    seen: dict[tuple[int, int], str] = {}
    for path in map(os.fspath, paths):
        key = file_key(path)  # for '-', the file redirected to standard input (< a.csv)
        if key is None:
            continue
        if key in seen:
            raise OptionError(f"{path}: given twice (as {seen[key]}); its rows would count twice")
        seen[key] = path
