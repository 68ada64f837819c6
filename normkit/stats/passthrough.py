"""The columns of a fit's input that its statistics do not normalize."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from ..io.arrow import is_text_type, numeric_type_named, unified_type
from ..io.categories import is_categorical_type

__all__ = ["PassedThrough", "categorical_columns", "mark_weight", "weight_column_of"]


@dataclass(frozen=True, slots=True)
class PassedThrough:
    """A column of the input that the statistics do not normalize: its name, its type, and why
    (``"excluded"``, ``"not chosen"``, ``"text"``, ``"boolean"``, ``"weight"``: the sample
    weights of a weighted fit, or its type)."""

    name: str
    dtype: str
    why: str

    @staticmethod
    def merged(
        ours: Sequence[PassedThrough] | None, theirs: Sequence[PassedThrough] | None
    ) -> tuple[PassedThrough, ...] | None:
        """The columns both fits passed through, by name, for the same reason and of types of one
        kind, in ``ours``' order, each of the type that holds both (``string`` and
        ``large_string``: a CSV's and a Parquet file's text); a column only one passed through is
        not passed through the data set as a whole. Booleans beside text are text, as a fit of
        both files finds them (``true`` and ``false`` among other words). A column one fit
        excluded and the other passed through for another reason is excluded (its values, such
        as its categories, are kept out of the merged statistics). None where a fit tells none.

        >>> PassedThrough.merged(
        ...     [PassedThrough("n", "string", "text"), PassedThrough("w", "int64", "weight")],
        ...     [PassedThrough("w", "double", "weight"), PassedThrough("n", "large_string", "text"),
        ...      PassedThrough("note", "string", "text")])
        (PassedThrough(name='n', dtype='large_string', why='text'), \
PassedThrough(name='w', dtype='double', why='weight'))
        >>> PassedThrough.merged([PassedThrough("n", "string", "text")],
        ...                      [PassedThrough("n", "bool", "boolean")])
        (PassedThrough(name='n', dtype='string', why='text'),)
        >>> PassedThrough.merged([PassedThrough("n", "string", "text")],
        ...                      [PassedThrough("n", "string", "excluded")])
        (PassedThrough(name='n', dtype='string', why='excluded'),)
        >>> PassedThrough.merged([PassedThrough("n", "int64", "not chosen")],
        ...                      [PassedThrough("n", "string", "not chosen")])
        ()
        """
        if ours is None or theirs is None:
            return None
        other = {p.name: p for p in theirs}
        merged = (_merged(a, other[a.name]) for a in ours if a.name in other)
        return tuple(p for p in merged if p is not None)


def _merged(a: PassedThrough, b: PassedThrough) -> PassedThrough | None:
    """One column as two fits passed it through, as the data set passes it (see
    :meth:`PassedThrough.merged`), or None where they do not agree."""
    # A column one shard has no value in takes the other's type and reason, as a fit of both
    # finds it (text with values in one file, empty in the other, is text).
    if (a.dtype, a.why) == ("null", "no values"):
        return PassedThrough(a.name, b.dtype, b.why)
    if (b.dtype, b.why) == ("null", "no values"):
        return a
    dtypes = {a.dtype, b.dtype}
    whys = {a.why, b.why}
    if "excluded" in whys:  # kept out of the statistics by one fit: out of both
        whys = {"excluded"}
    if "bool" in dtypes and len(dtypes) == 2:
        (text,) = dtypes - {"bool"}
        if not is_text_type(text):
            return None
        # A fit of both reads the booleans as text: passed through as text, or for its own
        # reason (excluded, not chosen) where both tell it.
        whys = {"text" if why == "boolean" else why for why in whys}
        return PassedThrough(a.name, text, *whys) if len(whys) == 1 else None
    dtype = unified_type((a.dtype, b.dtype))
    if whys == {"weight"}:  # numbers, whatever two fits typed them (read as float64)
        return PassedThrough(a.name, dtype or "double", "weight")
    return PassedThrough(a.name, dtype, *whys) if dtype is not None and len(whys) == 1 else None


def weight_column_of(passthrough: Sequence[PassedThrough] | None) -> str | None:
    """The weight column among the columns statistics passed through (None: unweighted, or
    weights given in memory)."""
    return next((p.name for p in passthrough or () if p.why == "weight"), None)


def mark_weight(
    passthrough: Sequence[PassedThrough], weight_column: str | None
) -> list[PassedThrough]:
    """The columns passed through, the weight column's ``why`` being ``"weight"``, and its type
    ``double`` where it is no number type (text read as numbers: the weights fitted)."""
    return [
        PassedThrough(p.name, p.dtype if numeric_type_named(p.dtype) else "double", "weight")
        if p.name == weight_column
        else p
        for p in passthrough
    ]


def categorical_columns(schema: pa.Schema, passthrough: Sequence[PassedThrough]) -> list[str]:
    """The passed-through columns whose categories a fit counts: those of text or boolean type
    (in a CSV, as its first rows type them), except the ones excluded by name (identifiers,
    as a rule, whose counting would only cost time) and the weight column (numbers, whatever a
    CSV's first rows make of it: no feature)."""
    return [
        p.name
        for p in passthrough
        if p.why not in ("excluded", "weight") and is_categorical_type(schema.field(p.name).type)
    ]
