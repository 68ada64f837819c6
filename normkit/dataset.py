"""Inputs that are many files: directories (hive-partitioned ones included), globs and lists.

A data set is the files of its inputs, in a stable order: each input in the order given, and the
files of a directory or a glob sorted by their path relative to it, with runs of digits compared
as numbers (``part-2`` before ``part-10``, as Dask orders the files of a data set). Rows are read
in that order by every engine, which is what makes running (EMA) statistics, whose batches follow
the rows, reproducible.

As in ``pyarrow.dataset``, files and directories whose name starts with ``.`` or ``_`` are not
data (``_SUCCESS``, ``_metadata``, ``.crc`` files, ``_temporary`` directories). In a directory,
the files whose extension names a format are read (``.csv``, ``.csv.gz``, ``.parquet``...); with
an explicit input format, every other file is too. Hive-style directories (``year=2024/``) are
walked like any other; their ``key=value`` pairs are kept with each file (:attr:`DataFile.
partition`), so that outputs can be laid out the same way, but they are not columns.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import InputError, OptionError
from .formats import STDIO, Format, resolve_format

__all__ = ["DataFile", "expand_inputs", "natural_key"]

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


def _is_data_file(name: str, format: str | Format | None) -> bool:
    if name.startswith(IGNORED_PREFIXES):
        return False
    if format is not None:
        return True
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
    found = []
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
    return [data for _, data in sorted(found, key=lambda item: natural_key(item[0]))]


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
        path = os.fspath(item)
        if path == STDIO:
            files.append(DataFile(path))
        elif os.path.isdir(path):
            found = _walk(path, format)
            if not found:
                raise InputError(
                    f"{path}: no data files in this directory (CSV, Parquet or Arrow files by "
                    "their extension; name the format with --input-format to read others)"
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
            found = []
            for match in matches:
                if os.path.isdir(match):
                    for d in _walk(match, format):
                        relative = os.path.relpath(d.path, root)
                        partition = _partition(os.path.dirname(relative))
                        found.append((relative, DataFile(d.path, partition)))
                else:
                    relative = os.path.relpath(match, root)
                    found.append((relative, DataFile(match, _partition(os.path.dirname(relative)))))
            files.extend(data for _, data in sorted(found, key=lambda item: natural_key(item[0])))
        else:
            files.append(DataFile(path))
    return files
