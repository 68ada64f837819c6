"""Opening an input: the reader of its format, for a file, a pipe or standard input."""

from __future__ import annotations

import importlib
import io
import os
import stat
import sys

import pyarrow as pa

from .. import params
from ..errors import InputError, OptionError
from .files import refuse_non_utf8_name
from .formats import (
    COMPRESSION_SUFFIXES,
    STDIO,
    Format,
    compression_of,
    descriptor_of,
    resolve_format,
)
from .options import ReadOptions
from .reader import Reader
from .streams import PrefixedStream, read_up_to

__all__ = ["open_input"]

#: The first bytes of a stream looked at to tell its format and compression (the longest
#: signature, bzip2's, is 10 bytes).
MAGIC_BYTES = 16

#: Each format's reader, imported when first needed (a CSV job loads no Parquet module).
_READERS = {
    Format.CSV: ("csv.reader", "CsvReader"),
    Format.PARQUET: ("parquet", "ParquetReader"),
    Format.ARROW: ("ipc", "IpcReader"),
}


def open_input(path: str | os.PathLike[str], read: ReadOptions | None = None) -> Reader:
    """The reader of one input: a file, a pipe given by path, or ``"-"`` for standard input.

    Its format is ``read.format`` if given, else the extension's, else the one its first bytes
    tell (Parquet and Arrow files start with magic numbers; anything else is tried as CSV):
    standard input's format is told by its first bytes.
    Pipes (such as bash's ``<(command)``) are read like standard input: once, front to back.

    Parameters
    ----------
    path : str or path-like
    read : ReadOptions or None

    Raises
    ------
    InputError
        If the file does not exist, cannot be read, or is a stat file.
    """
    read = params.or_default("read", read, ReadOptions)
    path = os.fspath(params.path("path", path))
    is_stdin = path == STDIO
    if is_stdin and sys.stdin is None:
        raise InputError("<stdin>: standard input is closed")
    if not is_stdin:
        _check_readable(path)
    # Opened by Python, so that a signal can interrupt the wait for data.
    is_stream = is_stdin or not stat.S_ISREG(os.stat(path).st_mode)
    kind = _named_format(path, read.format, is_stdin)
    head, stream = b"", None
    if is_stream and kind in (None, Format.CSV):
        # Told by its first bytes, and decompressed where they show a compression (a pipe has
        # no extension to tell it, or one no reader of pipes heeds): given back to the reader.
        stream = sys.stdin.buffer if is_stdin else open(path, "rb")  # noqa: SIM115 (the reader's)
        name = "<stdin>" if is_stdin else path
        head = read_up_to(stream, MAGIC_BYTES)
        suffix = compression_of(head)
        if suffix is not None:
            stream = _Decompressed(PrefixedStream(head, stream), COMPRESSION_SUFFIXES[suffix], name)
            head = read_up_to(stream, MAGIC_BYTES)
        kind = kind or _format_of(head, name)
        if suffix is not None and kind is not Format.CSV:
            raise InputError(f"{name}: compression is for CSV; Parquet and Arrow compress inside")
    elif kind is None:
        kind = _format_of(_file_head(path), path)
    module, name = _READERS[kind]
    reader = getattr(importlib.import_module(f".{module}", __package__), name)
    opened = reader(path, read, is_stream)
    if stream is not None:
        opened.resume(stream, head)
    return opened


class _Decompressed(io.RawIOBase):
    """The decompressed bytes of a stream; a damaged one (truncated, not what its signature
    says) is refused naming the input, wherever it is read."""

    def __init__(self, stream: io.RawIOBase, codec: str, name: str):
        self._stream = pa.CompressedInputStream(pa.PythonFile(stream, mode="r"), codec)
        self._name, self._codec = name, codec

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            data = self._stream.read(len(buffer))
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"{self._name}: cannot decompress ({self._codec}): {exc}") from None
        buffer[: len(data)] = data
        return len(data)


def _named_format(path: str, explicit: str | Format | None, is_stdin: bool) -> Format | None:
    """The format named, or the one the extension tells; None where the first bytes must tell
    (standard input, or a name without a known extension)."""
    if explicit is None and (is_stdin or descriptor_of(path) is not None):
        return None  # /dev/fd/63 of <(command), /dev/stdin: of no name to tell
    try:
        return resolve_format(path, explicit)
    except OptionError:
        if explicit is not None:
            raise
        return None


def _file_head(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(4096)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _format_of(head: bytes, path: str) -> Format:
    """The format the first bytes tell: Parquet and Arrow by their magic numbers, followed by
    what follows them there and never in text (a CSV whose header begins ``PAR1,`` is CSV),
    else CSV."""
    if head.startswith(b"PAR1") and len(head) > 4 and head[4] < 0x20 and head[4] not in b"\t\n\r":
        return Format.PARQUET  # a page header's first field (0x15, or 0x1c, 0x2c...)
    if head.startswith((b"ARROW1\x00\x00", b"\xff\xff\xff\xff")):
        return Format.ARROW
    if head.startswith(b"FEA1") and len(head) > 4 and head[4] < 0x20:  # Feather V1: refused so
        return Format.ARROW
    if head.lstrip().startswith(b"{") and b'"normkit.stats"' in head:
        raise InputError(f"{path}: this is a normkit stat file, not a data file")
    return Format.CSV


def _check_readable(path: str) -> None:
    refuse_non_utf8_name(path, InputError)
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied")
