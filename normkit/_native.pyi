"""Type stubs of the native engine (the Rust crate in ``native/``, built by maturin)."""

import os
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__version__: str

class CsvError(ValueError):
    """A CSV record the engine cannot read."""

    kind: str  # not_a_number, field_count, unterminated_quote, stray_quote, invalid_utf8, no_header
    row: int  # 1-based data row (0: the header)
    line: int  # 1-based physical line the record starts on
    column: int | None  # 0-based
    value: str
    expected: int | None
    got: int | None

#: What parsing gives: bytes consumed, rows, lines, and the columns read as a record batch
#: (built by the engine, handed over through the Arrow C data interface).
_Parsed = tuple[int, int, int, pa.RecordBatch]

class ParseJob:
    def result(self, first_row: int, first_line: int) -> _Parsed: ...

class CsvRewrite:
    def __init__(
        self,
        columns: list[int | None],
        center: list[float],
        scale: list[float],
        gamma: list[float],
        beta: list[float],
        *,
        inverse: bool,
        infinite_missing: bool,
        delimiter: str,
        quote: str | None,
        decimal_point: str,
        missing: str,
        empty: str = "",
        line_end: str = "\n",
        comment: str | None = None,
        vacant: list[int] = ...,
    ) -> None: ...

class RewriteJob:
    #: Bytes consumed, rows, lines, UTF-8 texts, the first records' values (rows x normalized
    #: columns), an infinite output's (row, column, value, output) or None, a value in a
    #: vacant column (row, column of the header, text) or None, and a NUL character in a
    #: field passed through (row, column of the header) or None.
    def result(
        self, first_row: int, first_line: int
    ) -> tuple[
        int,
        int,
        int,
        list[npt.NDArray[np.uint8]],
        npt.NDArray[np.float64],
        tuple[int, int, float, float] | None,
        tuple[int, int, str] | None,
        tuple[int, int] | None,
    ]: ...

class CsvEngine:
    def __init__(
        self,
        *,
        delimiter: str,
        quote: str | None,
        decimal_point: str,
        nulls: list[str],
        kinds: list[int],
        threads: int,
        comment: str | None = None,
        escape: str | None = None,
        refuse_comment_rows: bool = False,
        refuse_escaped_quotes: bool = False,
        numeric: list[bool] | None = None,
        names: list[str] | None = None,
    ) -> None: ...
    def header(self, buf: bytes, at_eof: bool) -> tuple[list[str], int, int] | None: ...
    def parse(self, buf: bytes, at_eof: bool, first_row: int, first_line: int) -> _Parsed: ...
    def cut(self, buf: bytes, at_eof: bool, lines: bool) -> tuple[int, int]: ...
    def submit(self, buf: bytes, end: int) -> ParseJob: ...
    def rewrite(self, buf: bytes, end: int, plan: CsvRewrite, look: int) -> RewriteJob: ...
    def infer(
        self, buf: bytes, block_size: int, first_line: int, float_values: bool
    ) -> tuple[int, pa.RecordBatch, list[int]]: ...

#: Moments of columns, in the order of ``normkit.core.moments.Moments``' fields.
_Moments = tuple[
    npt.NDArray[np.int64],  # count
    npt.NDArray[np.int64],  # n_missing
    npt.NDArray[np.float64],  # shift
    npt.NDArray[np.float64],  # mean_offset
    npt.NDArray[np.float64],  # m2
    npt.NDArray[np.float64],  # min
    npt.NDArray[np.float64],  # max
    npt.NDArray[np.float64],  # m3
    npt.NDArray[np.float64],  # m4
    npt.NDArray[np.float64] | None,  # weight
]

#: Logical batches' statistics, arrays of shape (n_columns, n_batches).
_Batches = tuple[
    npt.NDArray[np.int64],  # count
    npt.NDArray[np.float64],  # mean
    npt.NDArray[np.float64],  # m2
    bool,  # a batch's sum overflowed
]

def batch_moments(
    columns: list[npt.NDArray[np.float64]],
    shift: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64] | None = None,
    threads: int = 1,  # 0: the cores, at most 4
) -> _Moments: ...
def batch_statistics(
    columns: list[npt.NDArray[np.float64]],
    shift: npt.NDArray[np.float64],
    start: int,
    n_batches: int,
    size: int,
    threads: int = 0,  # 0: the cores, at most 4
) -> _Batches: ...
def moments_and_batches(
    columns: list[npt.NDArray[np.float64]],
    shift: npt.NDArray[np.float64],
    start: int,
    n_batches: int,
    size: int,
    threads: int = 0,  # 0: the cores, at most 4
) -> tuple[_Moments, _Batches]: ...
def running_advance(
    count: npt.NDArray[np.int64],
    mean: npt.NDArray[np.float64],
    m2: npt.NDArray[np.float64],
    running_mean: npt.NDArray[np.float64],
    running_var: npt.NDArray[np.float64],
    n_updates: npt.NDArray[np.int64],
    *,
    weight: float | None,  # None: the cumulative average
    init_first: bool,
    unbiased: bool,
    of_std: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def row_keys(file_index: int, first_row: int, n_rows: int) -> npt.NDArray[np.uint64]: ...
def affine_rows(
    columns: list[npt.NDArray[np.float64]],
    center: npt.NDArray[np.float64],
    scale: npt.NDArray[np.float64],
    gamma: npt.NDArray[np.float64],
    beta: npt.NDArray[np.float64],
    inverse: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]: ...

class UnquotableError(ValueError):
    """A value holding the delimiter, in a CSV output written without quoting; ``args`` is
    ``(column_index, text)``."""

def first_value(
    texts: list[str | None], missing: list[str], decimal_point: str, infinite_missing: bool
) -> int | None: ...
def csv_records(
    batches: list[
        tuple[
            int,
            list[tuple[int, npt.NDArray[np.uint8] | None, list[npt.NDArray[np.uint8]], int]],
        ]
    ],
    *,
    delimiter: str,
    quote: str | None,
    decimal_point: str,
    missing: str,
    empty: str = "",
    threads: int = 1,
    line_end: str = "\n",
) -> list[npt.NDArray[np.uint8]]: ...
def json_load(text: str) -> Any | None: ...
def json_text(obj: Any, sort_keys: bool) -> str | None: ...
def value_counts(
    chunks: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]],
    missing: list[bytes],
    keep: list[bytes],
) -> tuple[
    npt.NDArray[np.int64], bytes, npt.NDArray[np.int64], npt.NDArray[np.bool_], int, int
]: ...

class CategoryTable:
    def __init__(self, cap: int, missing: list[bytes], keep: list[bytes]) -> None: ...
    def add(self, chunks: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]]) -> None: ...
    def counted(
        self, cap: int
    ) -> tuple[
        npt.NDArray[np.int64], bytes, npt.NDArray[np.int64], npt.NDArray[np.bool_], int, int
    ]: ...
    def __len__(self) -> int: ...

class ParquetFile:
    @staticmethod
    def open(path: str | os.PathLike[str]) -> ParquetFile | None: ...
    @property
    def schema(self) -> pa.Schema: ...
    def batches(self, columns: list[int], batch_size: int) -> ParquetBatches: ...

class ParquetBatches:
    def __iter__(self) -> ParquetBatches: ...
    def __next__(self) -> pa.RecordBatch: ...

class ParquetWriter:
    def __init__(
        self,
        schema: pa.Schema,
        *,
        uncompressed: list[str],
        dictionary: list[str] | None,
        threads: int = 0,
    ) -> None: ...
    def row_group(self, batches: list[pa.RecordBatch]) -> npt.NDArray[np.uint8]: ...
    def finish(self) -> npt.NDArray[np.uint8]: ...
