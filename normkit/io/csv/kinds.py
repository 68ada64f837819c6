"""What the native engine does with each column of a CSV, and the types it reads a column as
(``normkit_native::parse::ColumnKind`` and ``normkit_native::infer::ColumnType``: the numbers
are the engine's)."""

from __future__ import annotations

import enum

import pyarrow as pa

__all__ = [
    "INT64_PLAIN",
    "TYPED",
    "ColumnKind",
    "inferred_types",
    "kind_type",
    "readable_types",
    "typed_kind",
]


class ColumnKind(enum.IntEnum):
    """What the engine does with a column (the numbers are the engine's)."""

    SKIP = 0  # scanned, not converted
    FLOAT = 1  # parsed as float64; missing-value strings are null
    TEXT = 2  # kept as its text
    BYTES = 3  # kept as its bytes, not checked to be UTF-8


#: The engine's kinds from this number on read a column as a type (``normkit_native::parse::
#: ColumnKind::Typed``): ``TYPED`` plus the type's number in :func:`inferred_types`.
TYPED = 16

#: The engine's number of int64 written without a leading zero (``ColumnType::Int64Plain``),
#: which it never infers: asked for a column whose first rows hold none (see
#: :func:`typed_kind`).
INT64_PLAIN = 12


def typed_kind(dtype: pa.DataType, plain: bool = False) -> int:
    """The engine's kind of a column read as ``dtype`` (one of the types it infers) by the
    rules it infers it with, missing-value strings null; text or binary as UTF-8 text (a
    field that is not is an error, as in a text column). ``plain``: integers written with a
    leading zero (``007``) are errors too, which as int64 would lose it."""
    if pa.types.is_binary(dtype):
        dtype = pa.string()
    if plain and dtype == pa.int64():
        return TYPED + INT64_PLAIN
    return TYPED + inferred_types().index(dtype)


def kind_type(kind: int) -> pa.DataType:
    """The type of the column the engine makes of a column of ``kind`` (not SKIP)."""
    if kind == TYPED + INT64_PLAIN:
        return pa.int64()
    if kind >= TYPED:
        return inferred_types()[kind - TYPED]
    return {ColumnKind.FLOAT: pa.float64(), ColumnKind.TEXT: pa.string()}.get(kind, pa.binary())


def readable_types() -> tuple[pa.DataType, ...]:
    """The types the engine reads a column as (:func:`typed_kind`), of those it infers: not
    null, nor binary (read as UTF-8 text)."""
    return inferred_types()[1:-1]


def inferred_types() -> tuple[pa.DataType, ...]:
    """The engine's inferred types by number (``normkit_native::infer::ColumnType``)."""
    return (
        pa.null(),
        pa.int64(),
        pa.bool_(),
        pa.date32(),
        pa.time32("s"),
        pa.timestamp("s"),
        pa.timestamp("ns"),
        pa.timestamp("s", tz="UTC"),
        pa.timestamp("ns", tz="UTC"),
        pa.float64(),
        pa.string(),
        pa.binary(),
    )
