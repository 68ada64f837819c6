"""How inputs are read: CSV dialect options and the read options every job takes.

Nothing here imports pyarrow (the command line builds these before any data is read).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import params
from .formats import CSV_BLOCK_SIZE, DEFAULT_NULL_VALUES, Format, resolve_format, split_compression

__all__ = ["CSV_BLOCK_SIZE", "DEFAULT_NULL_VALUES", "CsvOptions", "ReadOptions"]


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
    encoding : str or None, default None
        The text's encoding (a Python codec name: ``latin-1``, ``cp1252``...); None: UTF-8, or
        UTF-16 or UTF-32 where a byte-order mark says so.
    """

    delimiter: str | None = None
    null_values: tuple[str, ...] = DEFAULT_NULL_VALUES
    block_size: int = CSV_BLOCK_SIZE
    encoding: str | None = None

    def __post_init__(self) -> None:
        for name in ("delimiter", "null_values", "block_size", "encoding"):
            params.check(f"csv.{name}", getattr(self, name))
        # An empty field is always missing in a normalized column: it cannot be a number.
        values = (self.null_values,) if isinstance(self.null_values, str) else self.null_values
        object.__setattr__(self, "null_values", tuple(dict.fromkeys(("", *values))))
        object.__setattr__(self, "block_size", int(self.block_size))

    def delimiter_for(self, path: str) -> str:
        """The delimiter of ``path``: the one given, else a tab for ``.tsv``, else a comma."""
        if self.delimiter is not None:
            return self.delimiter
        stem, _ = split_compression(path)
        return "\t" if stem.lower().endswith(".tsv") else ","


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

    def __post_init__(self) -> None:
        if self.format is not None:
            object.__setattr__(self, "format", resolve_format("", self.format))
        params.check("chunk_rows", self.chunk_rows)
        params.check("inf_as_missing", self.inf_as_missing)
