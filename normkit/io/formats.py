"""Formats, file names and CSV defaults: what the command line needs before any data is read.

Nothing here imports pyarrow, so that ``normkit --help`` and option parsing start fast.
"""

from __future__ import annotations

import enum
import math
import os
import re
import stat
from collections.abc import Sequence

from ..errors import OptionError, param

__all__ = [
    "COMPRESSION_SUFFIXES",
    "CSV_BLOCK_SIZE",
    "DEFAULT_NULL_VALUES",
    "STDIO",
    "Format",
    "check_output_extension",
    "descriptor_of",
    "format_named",
    "missing_numbers",
    "refuse_other_compression",
    "resolve_format",
    "split_compression",
]

#: The path that means standard input or standard output.
STDIO = "-"

#: Paths that name a descriptor the process already holds: ``/dev/stdout``, ``/dev/fd/3``,
#: ``/proc/self/fd/1``.
_DESCRIPTOR = re.compile(
    r"/dev/(?:(?P<std>stdin|stdout|stderr)|fd/(?P<fd>\d+))"
    r"|/proc/(?P<pid>self|thread-self|\d+)/fd/(?P<proc>\d+)"
)
_STANDARD = {"stdin": 0, "stdout": 1, "stderr": 2}


def descriptor_of(path: str) -> int | None:
    """The descriptor of this process that ``path`` names (``/dev/stdout``: 1), else None.

    Such a path is written through the descriptor, as ``-`` is: opened anew, it would be the
    file the shell redirected to, truncated (``>>`` appends no more) or replaced."""
    if path == STDIO:
        return None
    match = _DESCRIPTOR.fullmatch(os.path.abspath(path))
    if match is None:
        return None
    if match["std"]:
        return _STANDARD[match["std"]]
    if (match["pid"] or "self").isdigit() and int(match["pid"]) != os.getpid():
        return None  # another process's
    return int(match["fd"] or match["proc"])


#: Strings read as a missing value in a column that is normalized.
DEFAULT_NULL_VALUES: tuple[str, ...] = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None")

#: A number as the engine parses a float field (``normkit_native::parse::parse_float``): spaces
#: and tabs around, a sign, digits with a decimal point ``.``, an exponent (no ``_``, no hex).
_FLOAT_TEXT = re.compile(r"[ \t]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[ \t]*", re.ASCII)


def missing_numbers(nulls: Sequence[str], decimal_point: str = ".") -> tuple[float, ...]:
    """The finite numbers among the missing-value strings ``nulls``, read with
    ``decimal_point``, else with ``.`` (as a program writes them), as the engine's
    ``MissingValues.numbers`` reads them: a value of a normalized column equal to one is missing
    however it is written (``-999.0`` where ``-999`` is), and in every input format (Parquet's
    and Arrow's numbers too). NaN and infinities are not among them (NaN is always left out;
    infinities are missing only with ``inf_as_missing``)."""
    found: dict[float, None] = {}
    for text in nulls:
        spellings = [text]
        if decimal_point != ".":  # a '.' is no number's with another decimal point
            spellings = [text.replace(decimal_point, ".")] * ("." not in text) + spellings
        for spelled in spellings:
            if _FLOAT_TEXT.fullmatch(spelled):
                value = float(spelled)
                if math.isfinite(value):  # beyond float64 is refused, not missing
                    found[value + 0.0] = None  # -0.0 as 0.0: equal values match alike
                break
    return tuple(found)


#: Bytes of decompressed CSV parsed per block. Large blocks amortize per-block overhead; memory
#: stays a small multiple of this whatever the file size.
CSV_BLOCK_SIZE = 1 << 20

#: Extensions that compress a CSV file, and their codecs.
COMPRESSION_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}

#: Extensions of compressions normkit does not write, and their names: an output so named would
#: hold plain text under a name that says otherwise.
OTHER_COMPRESSIONS = {
    ".xz": "xz",
    ".lzma": "lzma",
    ".lz4": "LZ4",
    ".zip": "zip",
    ".7z": "7-Zip",
    ".br": "Brotli",
    ".zstd": "zstd",
}


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


#: The first bytes of a compressed stream (none of them text), by the suffix of its compression.
COMPRESSION_MAGIC = {
    ".gz": re.compile(rb"\x1f\x8b"),
    ".bz2": re.compile(rb"BZh[1-9]1AY&SY"),
    ".zst": re.compile(rb"\x28\xb5\x2f\xfd"),
}


def compression_of(head: bytes) -> str | None:
    """The suffix of the compression whose signature ``head`` starts with, if any."""
    return next((s for s, magic in COMPRESSION_MAGIC.items() if magic.match(head)), None)


#: The first bytes of the compressions of :data:`OTHER_COMPRESSIONS` that have a signature.
_OTHER_MAGIC = {
    ".xz": b"\xfd7zXZ\x00",
    ".zip": b"PK\x03\x04",
    ".7z": b"7z\xbc\xaf\x27\x1c",
    ".lz4": b"\x04\x22\x4d\x18",
}


#: The first bytes of Parquet, of an Arrow IPC file and of an Arrow IPC stream's first message.
_FORMAT_MAGIC = {
    b"PAR1": ("Parquet", Format.PARQUET),
    b"ARROW1": ("an Arrow IPC file", Format.ARROW),
    b"\xff\xff\xff\xff": ("an Arrow IPC stream", Format.ARROW),
}


def signed(head: bytes) -> bool:
    """Whether ``head`` starts with the signature of a compression or of another format that
    :func:`binary_hints` names (in a head holding NUL bytes: a CSV may begin ``PAR1,``)."""
    return compression_of(head) is not None or head.startswith(
        (*_OTHER_MAGIC.values(), *_FORMAT_MAGIC)
    )


def binary_hints(head: bytes) -> tuple[str, ...]:
    """What to do with an input read as CSV whose first bytes ``head`` are not text: the
    compression they show, else the other formats and encodings it may be."""
    suffix = compression_of(head)
    if suffix is not None:
        return (
            f"it is {COMPRESSION_SUFFIXES[suffix]}-compressed: name the file with {suffix}, or "
            "decompress it into the command's input",
        )
    other = next((s for s, magic in _OTHER_MAGIC.items() if head.startswith(magic)), None)
    if other is not None:
        return (
            f"it is {OTHER_COMPRESSIONS[other]}-compressed, which normkit does not read: "
            "decompress it into the command's input",
        )
    for magic, (name, fmt) in _FORMAT_MAGIC.items():
        if head.startswith(magic):
            return (f"it is {name}: name its format ({param('format', fmt.value)})",)
    return (
        f"name the format of a Parquet or Arrow file ({param('format', 'parquet')} or "
        f"{Format.ARROW.value})",
        "name the encoding of text in UTF-16 or UTF-32 without a byte-order mark "
        f"({param('csv.encoding', 'utf-16-le')})",
    )


def split_compression(path: str) -> tuple[str, str | None]:
    """``data.csv.gz`` -> (``data.csv``, ``"gzip"``).

    >>> split_compression("data.csv.gz")
    ('data.csv', 'gzip')
    """
    stem, suffix = os.path.splitext(path)
    codec = COMPRESSION_SUFFIXES.get(suffix.lower())
    return (stem, codec) if codec else (path, None)


def resolve_format(
    path: str, explicit: str | Format | None = None, *, param_name: str = "format"
) -> Format:
    """The format of ``path``: ``explicit`` if given, else from the file name's extension.

    ``-`` (stdin or stdout) is CSV unless ``explicit`` says otherwise.

    Parameters
    ----------
    path : str
    explicit : str, Format or None
    param_name : str
        The parameter that names the format (``format`` of inputs, ``output_format``), for
        messages.

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
            raise OptionError(
                f"unknown format {explicit!r}; use one of {known}", param=param_name
            ) from None
    if path == STDIO or descriptor_of(path) is not None:
        return Format.CSV
    if _stream_device(path) and format_named(path) is None:  # /dev/null; a link named x.parquet
        return Format.CSV  # to a device is written as its name says
    stem, codec = split_compression(path)
    suffix = os.path.splitext(stem)[1].lower()
    if codec and not suffix:  # out.gz: of what?
        raise OptionError(
            f"{path}: cannot tell the format from the extension "
            f"{os.path.splitext(path)[1]!r}, a compression",
            hints=(f"name the file for its format, such as {stem}.csv{path[len(stem) :]}",),
        )
    if codec and _SUFFIX_FORMATS.get(suffix, Format.CSV) is not Format.CSV:
        raise OptionError(
            f"{path}: compression by extension is for CSV; Parquet and Arrow compress inside"
        )
    try:
        return _SUFFIX_FORMATS[suffix]
    except KeyError:
        raise OptionError(
            f"{path}: cannot tell the format from the extension {suffix or '(none)'!r}",
            hints=(f"name it with {param(param_name)} (csv, parquet, arrow)",),
        ) from None


def _stream_device(path: str) -> bool:
    """Whether ``path`` is a character device (``/dev/null``): a stream, as standard output
    is, in CSV."""
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def format_named(path: str) -> Format | None:
    """The data format the name of ``path`` says (``data.csv.gz``: CSV), if any."""
    stem, _ = split_compression(path)
    return _SUFFIX_FORMATS.get(os.path.splitext(stem)[1].lower())


def refuse_other_compression(path: str) -> None:
    """Refuse an output named for a compression normkit does not write (``.xz``): it would
    hold plain text under a name that says otherwise."""
    if path == STDIO:
        return
    stem, suffix = os.path.splitext(path)
    other = OTHER_COMPRESSIONS.get(suffix.lower())
    if other is not None:
        written = ", ".join(COMPRESSION_SUFFIXES)
        # The suffix normkit writes that compression under, if it writes it at all (.zst).
        compressed = next((s for s, c in COMPRESSION_SUFFIXES.items() if c == other), ".gz")
        raise OptionError(
            f"{path}: normkit writes no {other}-compressed output named {suffix!r} (it "
            f"compresses CSV named {written}), and would write it uncompressed under that name",
            hints=(f"name the file {stem} or {stem}{compressed}",),
        )


def check_output_extension(path: str, chosen: Format, param_name: str = "output_format") -> None:
    """Refuse an output whose extension names another format than the one written (a
    ``.csv`` file holding Parquet would fool every later reader)."""
    if path == STDIO:
        return
    named = format_named(path)
    if named is not None and named is not chosen:
        raise OptionError(
            f"{path}: the extension says {named}, but {param(param_name, str(chosen))} is written",
            param=param_name,
            hints=(f"name the file for what it holds (.{chosen})",),
        )
