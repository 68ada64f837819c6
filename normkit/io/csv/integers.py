"""Integer columns of a CSV passed through to Parquet or Arrow: codes keep their zeros, and
identifiers beyond int64 or float64's integers their digits, as text."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence

import pyarrow as pa

from ..lazy import pc
from .columns import PADDED, SPACE
from .native import Dialect, text_columns

__all__ = [
    "FirstRows",
    "codes_or_identifiers",
    "integers_beyond_int64",
    "integers_float64_rounds",
    "padded_as_text",
    "stray_hexadecimal",
]


class FirstRows:
    """The first block of a CSV (its whole records after the header, as read) and the header's
    names: what their text tells of the integer columns passed through."""

    def __init__(self, sample: bytes, names: list[str], dialect: Dialect, nulls: Sequence[str]):
        self._sample, self._names, self._dialect, self._nulls = sample, names, dialect, nulls
        self._beyond: dict[str, bool] = {}
        self._rounded: dict[str, bool] = {}
        self.stray_hexadecimal: set[str] = set()
        self.stray_zeros: set[str] = set()  # integers of mixed widths, a leading zero in some

    def keep_only(self, sample: bytes) -> None:
        """Keep only ``sample`` (the first records of the sample given: the first block) for
        what is asked later (:meth:`beyond_int64`): the rows read for the types may be many."""
        self._sample = sample

    def _texts(self, wanted: Sequence[str]) -> dict[str, pa.Array] | None:
        """The fields of ``wanted`` as written; None where names repeat (refused when the
        schema is read) or a record is malformed (the reading that follows names it)."""
        if not wanted or len(set(self._names)) < len(self._names):
            return None
        return text_columns(self._sample, self._names, wanted, self._dialect)

    def padded_as_text(self, schema: pa.Schema) -> tuple[pa.Schema, set[str]]:
        """:func:`padded_as_text` of the integer columns of ``schema``; remembers the
        :func:`stray_hexadecimal` ones."""
        texts = self._texts([f.name for f in schema if pa.types.is_integer(f.type)])
        if texts is None:
            return schema, set()
        self.stray_hexadecimal = stray_hexadecimal(texts, self._nulls)
        schema, unpadded = padded_as_text(schema, texts, self._nulls)
        self.stray_zeros = {
            f.name
            for f in schema
            if pa.types.is_integer(f.type) and f.name in texts and f.name not in unpadded
        }
        return schema, unpadded

    def integers_again(self, schema: pa.Schema, inferred: pa.Schema) -> pa.Schema:
        """``schema`` with the :func:`stray_hexadecimal` columns of integers typed as
        ``inferred`` (the first block's types) again: a fit reads them as numbers."""
        for name in self.stray_hexadecimal:
            i = schema.get_field_index(name)
            schema = schema.set(i, schema.field(i).with_type(inferred.field(name).type))
        return schema

    def identifiers_as_text(self, schema: pa.Schema, beyond: Collection[str]) -> pa.Schema:
        """``schema`` (the first block's types) with its float64 columns of integers beyond
        int64 (:func:`integers_beyond_int64`) text: identifiers, which a fit passes through
        rather than normalize rounded to float64 (``...890`` and ``...891`` alike), unless
        chosen by name. ``beyond``: the first block's float64 columns with a value of magnitude
        2**63 or more."""
        big = [f.name for f in schema if f.type == pa.float64() and f.name in beyond]
        for name in self.beyond_int64(big) if big else ():
            schema = schema.set(schema.get_field_index(name), pa.field(name, pa.string()))
        return schema

    def beyond_int64(self, names: Sequence[str]) -> list[str]:
        """Those of ``names`` (float64 columns) that :func:`integers_beyond_int64` finds."""
        unknown = [n for n in names if n not in self._beyond]
        if unknown:
            found = integers_beyond_int64(self._texts(unknown) or {}, self._nulls)
            self._beyond.update((n, n in found) for n in unknown)
        return [n for n in names if self._beyond[n]]

    def as_written(self, schema: pa.Schema, fitted: Collection[str]) -> list[str]:
        """The columns of ``schema`` (the first block's types) that a Parquet or Arrow output
        keeps as text where they are passed through (not in ``fitted``): integers with a stray
        leading zero (``02134`` among ``10001``, which a fit reads as numbers: as int64 it would
        be ``2134``), float64 columns of identifiers beyond int64 (:func:`integers_beyond_int64`)
        and those with an integer float64 would round (:func:`integers_float64_rounds`:
        ``9007199254740993`` among decimals). A fit normalizes them as numbers, as
        scikit-learn would."""
        floats = [f.name for f in schema if f.type == pa.float64() and f.name not in fitted]
        unknown = [n for n in floats if n not in self._rounded]
        if unknown:
            found = integers_float64_rounds(self._texts(unknown) or {}, self._nulls)
            self._rounded.update((n, n in found) for n in unknown)
        rounded = {n for n in floats if self._rounded[n]} | set(self.beyond_int64(floats))
        return [
            f.name for f in schema if f.name not in fitted and f.name in self.stray_zeros | rounded
        ]


def padded_as_text(
    schema: pa.Schema, texts: Mapping[str, pa.Array], nulls: Sequence[str]
) -> tuple[pa.Schema, set[str]]:
    """Integer columns that are codes, zero-padded to one width (ids, postcodes: ``007``,
    ``042``, ``123``), stay text: as integers they would lose their zeros. A column of numbers
    of different widths with a leading zero here and there (``05`` among ``1`` to ``1000``)
    stays numbers: one stray token must not turn a column into text. ``texts`` holds the fields
    as written; a missing-value string is no value.

    Hexadecimal ones (``0x1f``: hashes, addresses, colours; int64 to pyarrow) stay text too,
    written as they are rather than as decimal integers.

    Also the integer columns with no leading zero nor ``0x`` at all there: a later one
    (``01234`` after ``98765``...: postcodes sorted) is then no integer of theirs, which would
    lose its zero, but a code."""
    unpadded = set()
    fields = list(schema)
    index = {f.name: i for i, f in enumerate(fields)}  # names do not repeat (see _texts)
    for name, text in texts.items():
        i = index.get(name, -1)
        if i < 0 or not pa.types.is_integer(fields[i].type):
            continue
        values = _values(text, nulls)
        if _hexadecimal(values):
            fields[i] = fields[i].with_type(pa.string())
        elif not pc.any(pc.match_substring_regex(values, _PADDED)).as_py():
            unpadded.add(name)
        elif pc.count_distinct(pc.utf8_length(values)).as_py() == 1:
            fields[i] = fields[i].with_type(pa.string())
    return pa.schema(fields, schema.metadata), unpadded


#: :data:`~normkit.io.csv.columns.PADDED` at the start of a field, as pyarrow's RE2 takes it.
_PADDED = "^" + PADDED.pattern


def _values(text: pa.Array, nulls: Sequence[str]) -> pa.Array:
    """The fields of ``text`` that hold a value (no missing-value string), spaces and tabs
    around them cut. Columns at a time, not values (a CSV of 20,000 columns: 20 million
    Python strings)."""
    if text.null_count:
        text = text.drop_null()
    if nulls:
        text = text.filter(pc.invert(pc.is_in(text, value_set=pa.array(list(nulls), text.type))))
    return pc.utf8_trim(text, characters=" \t")


def _hexadecimal(values: pa.Array) -> int:
    """How many of ``values`` are written as hexadecimal integers (``0x1f``)."""
    return pc.sum(pc.or_(pc.starts_with(values, "0x"), pc.starts_with(values, "0X"))).as_py() or 0


def stray_hexadecimal(texts: Mapping[str, pa.Array], nulls: Sequence[str]) -> set[str]:
    """The columns of ``texts`` (fields as written of integer columns) whose hexadecimal
    integers (``0x1f``) are fewer than half their values: decimal integers with a stray token,
    which a fit reads as numbers, refusing the token with its row, rather than pass the column
    through as text (:func:`padded_as_text` keeps it as written where it is passed through)."""
    found = set()
    for name, text in texts.items():
        values = _values(text, nulls)
        if 0 < 2 * _hexadecimal(values) < len(values):
            found.add(name)
    return found


#: An integer as written: digits, with a sign and spaces around.
_INTEGER = re.compile(rf"{SPACE}*[+-]?[0-9]+{SPACE}*")


def integers_beyond_int64(texts: Mapping[str, pa.Array], nulls: Sequence[str]) -> set[str]:
    """The columns of ``texts`` (the fields as written of columns whose first rows read as
    float64) that hold integers only, some beyond int64's range: identifiers and hashes of 20
    digits, which float64 would round (``12345678901234567890`` and ``...891`` alike). Passed
    through to Parquet or Arrow, they stay text. A missing-value string is no value, nor is an
    infinity (``inf``), which ``--inf-as-missing`` reads as missing: as ``nan`` among them, it
    left the identifiers normalized, rounded."""
    missing = set(nulls)
    found = set()
    for name, text in texts.items():
        values = [v for v in text.to_pylist() if v is not None and v.strip(" \t") not in missing]
        values = [v for v in values if not _infinite(v)]
        integers = bool(values) and all(_INTEGER.fullmatch(v) for v in values)
        if integers and any(not -(2**63) <= int(v) < 2**63 for v in values):
            found.add(name)
    return found


def _infinite(text: str) -> bool:
    """Whether ``text`` reads as an infinite number (``inf``, ``-Infinity``)."""
    try:
        return math.isinf(float(text))
    except ValueError:
        return False


#: An integer as written with more digits than float64 holds every integer of (2**53 has 16).
_LONG_INTEGER = rf"^{SPACE}*[+-]?[0-9]{{16,}}{SPACE}*$"


def integers_float64_rounds(texts: Mapping[str, pa.Array], nulls: Sequence[str]) -> set[str]:
    """The columns of ``texts`` (the fields as written of columns whose first rows read as
    float64) holding an integer (digits, no point nor exponent) that float64 does not hold:
    ``9007199254740993`` beside ``1.5`` would be ``9007199254740992.0``. Passed through to
    Parquet or Arrow, they stay text. A missing-value string is no value."""
    missing = set(nulls)
    found = set()
    for name, text in texts.items():
        long = text.filter(pc.fill_null(pc.match_substring_regex(text, _LONG_INTEGER), False))
        for v in long.to_pylist():
            if v.strip(" \t") not in missing and float(v) != int(v):  # compared exactly
                found.add(name)
                break
    return found


def codes_or_identifiers(texts: Mapping[str, pa.Array], nulls: Sequence[str] = ()) -> set[str]:
    """The columns of ``texts`` (fields as written) that a CSV keeps as text though they read
    as numbers: codes zero-padded to one width (:func:`padded_as_text`) and integers beyond
    int64 (:func:`integers_beyond_int64`)."""
    schema, _ = padded_as_text(pa.schema([(n, pa.int64()) for n in texts]), texts, nulls)
    codes = {f.name for f in schema if pa.types.is_string(f.type)}
    return codes | integers_beyond_int64(texts, nulls)
