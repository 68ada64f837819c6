"""Hive partition keys: the ``key=value`` directories of a data set's files, read as columns.

A file of a data set found below ``year=2024/country=PT/`` (under the directory or pattern
given) has the columns ``year`` and ``country`` too, of the same value in each of its rows, as
``pyarrow.dataset``, DuckDB (``hive_partitioning``) and Polars read them: after the file's own
columns, in the order the directories name them. A value is decoded as a URI component
(``b%20c`` is ``b c``), ``__HIVE_DEFAULT_PARTITION__`` is missing, and a key whose every value
is an integer (of int64) is int64 (``month=01`` is 1, as those readers have it), else text; a
key that one file's directories do not name is missing in its rows. A key is no feature: columns
chosen by their type pass it through (:func:`partition_columns`). A file that holds a column of
a key's name is refused: which of the two is meant cannot be told.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa

from ..errors import InputError, SchemaError
from .arrow import not_numeric
from .reader import Reader

__all__ = ["HIVE_NULL", "Keys", "Partitioned", "partition_columns", "typed_keys"]

#: The directory value Hive (and pyarrow) write for a missing value.
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"

#: The schema metadata that names a reader's partition keys.
_METADATA = b"normkit.partition"

_INTEGER = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class Keys:
    """The partition keys of one file: each key's field (its type the whole data set's) and
    its value in the file's rows (None: missing), and the directories that name them."""

    fields: tuple[pa.Field, ...]
    values: tuple[object, ...]
    directories: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


def typed_keys(paths: Sequence[str], partitions: Sequence[Sequence[tuple[str, str]]]) -> list[Keys]:
    """The :class:`Keys` of each file of a data set (``paths``), from the ``key=value`` pairs of
    its directories (``partitions``): the keys every file's directories name, in the order met,
    each typed by all its values (see the module's notes). Empty :class:`Keys` for every file
    where no directory names one.

    Raises
    ------
    InputError
        If a file's directories name a key twice (``a=1/a=2``), or a value whose escapes are
        not UTF-8 (``k=%FF``).
    """
    names: dict[str, list[str | None]] = {}
    decoded: list[dict[str, str | None]] = []
    for path, pairs in zip(paths, partitions, strict=True):
        keys = [key for key, _ in pairs]
        twice = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
        if twice is not None:
            raise InputError(
                f"{path}: its directories name the partition key {twice!r} twice "
                f"({', '.join(f'{k}={v}' for k, v in pairs if k == twice)}); rename one"
            )
        given = {key: _decoded(key, value, path) for key, value in pairs}
        decoded.append(given)
        for key, value in given.items():
            names.setdefault(key, []).append(value)
    fields = tuple(pa.field(key, _type_of(values)) for key, values in names.items())
    keys = []
    for pairs, given in zip(partitions, decoded, strict=True):
        values = tuple(_typed(given.get(f.name), f.type) for f in fields)
        keys.append(Keys(fields, values, tuple(f"{k}={v}" for k, v in pairs)))
    return keys


def _decoded(key: str, value: str, path: str) -> str | None:
    """A directory's value: missing, or decoded as a URI component, whose bytes must be UTF-8
    (``%FE`` and ``%FF`` decoded leniently would both be U+FFFD: two partitions made one)."""
    if value == HIVE_NULL:
        return None
    import urllib.parse  # 2 ms of start-up, for partitioned data sets only

    try:
        return urllib.parse.unquote(value, errors="strict")
    except UnicodeDecodeError:
        raise InputError(
            f"{path}: the partition directory {key}={value} decodes to bytes that are not "
            "UTF-8 text (as %XX escapes are read)",
            hints=("rename the directory",),
        ) from None


def _type_of(values: Sequence[str | None]) -> pa.DataType:
    """int64 where every value (but the missing) is an integer int64 holds, else text."""
    present = [v for v in values if v is not None]
    if present and all(_INTEGER.fullmatch(v) and -(2**63) <= int(v) < 2**63 for v in present):
        return pa.int64()
    return pa.string()


def _typed(value: str | None, dtype: pa.DataType) -> object:
    return int(value) if value is not None and pa.types.is_integer(dtype) else value


def partition_columns(schema: pa.Schema) -> frozenset[str]:
    """The columns of ``schema`` (a reader's) that hold a file's partition keys: no feature,
    passed through where columns are chosen by their type."""
    raw = (schema.metadata or {}).get(_METADATA)
    return frozenset(json.loads(raw)) if raw is not None else frozenset()


class Partitioned:
    """A reader whose rows have its file's partition keys as columns too, after its own
    (see the module's notes); everything else is the wrapped reader's."""

    def __init__(self, reader: Reader, keys: Keys):
        self._reader = reader
        self.partition = keys
        self._schema: pa.Schema | None = None

    def __getattr__(self, name: str):
        return getattr(self._reader, name)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.partition.names)

    @property
    def schema(self) -> pa.Schema:
        if self._schema is None:
            self._schema = self._with_keys(self._reader.schema)
        return self._schema

    def _with_keys(self, schema: pa.Schema) -> pa.Schema:
        for field in self.partition.fields:
            if field.name in schema.names:
                where = next(d for d in self.partition.directories if d.split("=")[0] == field.name)
                raise SchemaError(
                    f"{self.name}: the file has a column {field.name!r} and its directory "
                    f"{where!r} names the partition key {field.name!r}: which one holds the "
                    "values cannot be told; rename the column or the directory"
                )
        metadata = {**(schema.metadata or {}), _METADATA: json.dumps(self.keys).encode()}
        return pa.schema([*schema, *self.partition.fields], metadata=metadata)

    def batch_schema(self, float_columns: Sequence[str], keep_text: bool = True) -> pa.Schema:
        own = [n for n in float_columns if n not in self.keys]
        schema = self._with_keys(self._reader.batch_schema(own, keep_text))
        for name in float_columns:
            if name in self.keys:
                i = schema.get_field_index(name)
                schema = schema.set(i, self._as_float(schema.field(i)))
        return schema

    def _as_float(self, field: pa.Field) -> pa.Field:
        if not pa.types.is_integer(field.type):
            raise SchemaError(f"{self.name}: column {field.name!r} {not_numeric(field)}")
        return field.with_type(pa.float64())

    def batches(
        self,
        float_columns: Sequence[str],
        *,
        all_columns: bool = True,
        keep_text: bool = True,
        also: Sequence[str] = (),
    ) -> Iterator[pa.RecordBatch]:
        """The wrapped reader's batches, with the key columns asked for (all with
        ``all_columns``, after the file's), ``float_columns`` among them as float64."""
        keys = set(self.keys)
        fields = {f.name: f for f in self.partition.fields}
        values = dict(zip(self.keys, self.partition.values, strict=True))
        floats = set(float_columns)
        for name in float_columns:
            if name in keys:
                fields[name] = self._as_float(fields[name])
        own_floats = [n for n in float_columns if n not in keys]
        if all_columns:
            order = None
            read = self._reader.batches(own_floats, all_columns=True, keep_text=keep_text)
        else:
            order = [*float_columns, *(c for c in also if c not in floats)]
            own_also = [n for n in also if n not in keys]
            read = self._reader.batches(
                own_floats, all_columns=False, keep_text=keep_text, also=own_also
            )
        # Each key's value, made once: each batch repeats it (no list of a value per row).
        scalars = {
            name: pa.scalar(values[name], fields[name].type)
            for name in (self.keys if order is None else [n for n in order if n in keys])
        }
        for batch in read:
            added = {name: pa.repeat(value, batch.num_rows) for name, value in scalars.items()}
            columns: Mapping[str, pa.Array] = {
                **dict(zip(batch.schema.names, batch.columns, strict=True)),
                **added,
            }
            names = [*batch.schema.names, *added] if order is None else order
            schema = pa.schema(
                [batch.schema.field(n) if n not in added else fields[n] for n in names],
                metadata=batch.schema.metadata,
            )
            yield pa.RecordBatch.from_arrays([columns[n] for n in names], schema=schema)

    def __enter__(self) -> Partitioned:
        return self

    def __exit__(self, *exc: object) -> None:
        self._reader.close()
