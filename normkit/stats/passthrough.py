"""The columns of a fit's input that its statistics do not normalize."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..io.arrow import unified_type

__all__ = ["PassedThrough"]


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
        not passed through the data set as a whole. None where a fit tells none.

        >>> PassedThrough.merged(
        ...     [PassedThrough("n", "string", "text"), PassedThrough("w", "int64", "weight")],
        ...     [PassedThrough("w", "double", "weight"), PassedThrough("n", "large_string", "text"),
        ...      PassedThrough("note", "string", "text")])
        (PassedThrough(name='n', dtype='large_string', why='text'), \
PassedThrough(name='w', dtype='double', why='weight'))
        >>> PassedThrough.merged([PassedThrough("n", "string", "text")],
        ...                      [PassedThrough("n", "bool", "boolean")])
        ()
        """
        if ours is None or theirs is None:
            return None
        other = {p.name: p for p in theirs}
        both = [(a, other[a.name]) for a in ours if a.name in other]
        typed = [(a, unified_type((a.dtype, b.dtype))) for a, b in both if a.why == b.why]
        return tuple(PassedThrough(a.name, t, a.why) for a, t in typed if t is not None)
