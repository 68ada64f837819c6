"""Formats, file names and CSV options: what the command line needs before any data is read.

Nothing here imports pyarrow, so that ``normkit --help`` and option parsing start fast.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass

from .errors import OptionError

__all__ = [
    "CSV_BLOCK_SIZE",
    "DEFAULT_NULL_VALUES",
    "STDIO",
    "CsvOptions",
    "Format",
    "resolve_format",
]

#: The path that means standard input or standard output.
STDIO = "-"

#: Strings read as a missing value in a column that is normalized.
DEFAULT_NULL_VALUES: tuple[str, ...] = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None")

# Bytes of decompressed CSV parsed per block. Large blocks amortize per-block overhead; memory
# stays a small multiple of this whatever the file size.
CSV_BLOCK_SIZE = 1 << 20
_COMPRESSION_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}


class Format(enum.Enum):
    """A data format normkit reads and writes."""

    CSV = "csv"
    PARQUET = "parquet"
    ARROW = "arrow"  # Arrow IPC stream (the IPC file format is also read)

    def __str__(self) -> str:
        return self.value


_SUFFIX_FORMATS = {
    ".csv": Format.CSV,
    ".tsv": Format.CSV,
    ".txt": Format.CSV,
    ".parquet": Format.PARQUET,
    ".pq": Format.PARQUET,
    ".arrow": Format.ARROW,
    ".arrows": Format.ARROW,
    ".ipc": Format.ARROW,
    ".feather": Format.ARROW,
}


def _split_compression(path: str) -> tuple[str, str | None]:
    """``data.csv.gz`` -> (``data.csv``, ``"gzip"``)."""
    stem, suffix = os.path.splitext(path)
    codec = _COMPRESSION_SUFFIXES.get(suffix.lower())
    return (stem, codec) if codec else (path, None)


def resolve_format(path: str, explicit: str | Format | None = None) -> Format:
    """The format of ``path``: ``explicit`` if given, else from the file name's extension.

    ``-`` (stdin or stdout) is CSV unless ``explicit`` says otherwise.

    Raises
    ------
    OptionError
        If ``explicit`` names no known format, or the extension is not one normkit knows.
    """
    if explicit is not None:
        if isinstance(explicit, Format):
            return explicit
        try:
            return Format(explicit.lower())
        except ValueError:
            known = ", ".join(f.value for f in Format)
            raise OptionError(f"unknown format {explicit!r}; use one of {known}") from None
    if path == STDIO:
        return Format.CSV
    stem, codec = _split_compression(path)
    suffix = os.path.splitext(stem)[1].lower()
    if codec and _SUFFIX_FORMATS.get(suffix, Format.CSV) is not Format.CSV:
        raise OptionError(
            f"{path}: compression by extension is for CSV; Parquet and Arrow compress inside"
        )
    try:
        return _SUFFIX_FORMATS[suffix]
    except KeyError:
        raise OptionError(
            f"{path}: cannot tell the format from the extension {suffix or '(none)'!r}; "
            "name it with --input-format/--output-format (csv, parquet, arrow)"
        ) from None


@dataclass(frozen=True)
class CsvOptions:
    """How to read and write CSV.

    Parameters
    ----------
    delimiter : str or None, default None
        Field separator; None means a tab for ``.tsv`` files and a comma otherwise.
    null_values : tuple of str, default :data:`DEFAULT_NULL_VALUES`
        Strings that mean a missing value in a normalized column (an empty field always does).
        Other columns keep their text.
    block_size : int, default 1 MiB
        Bytes parsed per block; a row must fit in one. Memory is a small multiple of it.

    """

    delimiter: str | None = None
    null_values: tuple[str, ...] = DEFAULT_NULL_VALUES
    block_size: int = CSV_BLOCK_SIZE

    def __post_init__(self) -> None:
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise OptionError(f"the delimiter must be one character, not {self.delimiter!r}")
        if self.delimiter in ('"', "\n", "\r") or (
            self.delimiter is not None and not self.delimiter.isascii()
        ):
            raise OptionError(f"the delimiter must be one ASCII character, not {self.delimiter!r}")
        if self.block_size < 4096:
            raise OptionError(
                f"the CSV block size must be at least 4096 bytes, not {self.block_size}"
            )
        # An empty field is always missing in a normalized column: it cannot be a number.
        values = tuple(dict.fromkeys(("", *self.null_values)))
        object.__setattr__(self, "null_values", values)

    def delimiter_for(self, path: str) -> str:
        if self.delimiter is not None:
            return self.delimiter
        stem, _ = _split_compression(path)
        return "\t" if stem.lower().endswith(".tsv") else ","
