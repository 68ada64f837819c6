"""Category frequencies of text and boolean columns: exact counts while the categories are few,
the most frequent ones once they are many.

A column's :class:`CategoryCounts` holds the number of rows of each category kept (categories are
strings; booleans are ``"true"`` and ``"false"``), ``other``: the rows of every category not kept,
and ``missing``: the rows without a value. Their sum, ``total``, is every row counted.

Counts are exact (``exact``: ``other == 0``) while a column has at most ``cap`` distinct values:
then merging counts of parts is plain addition, and the result does not depend on how the rows
were split into batches, chunks or parts. Beyond the cap the ``cap`` most frequent categories are
kept (ties broken by name, so the choice is deterministic) and the others are folded into
``other``. ``total``, ``missing`` and ``other`` stay exact, but once categories were folded while
counting, which ones are kept, and their counts, are approximate: a category folded early and
frequent later is counted from its return only (its count is then a lower bound), and the result
depends on the order and grouping of the rows. A stat file keeps at most
:data:`MAX_CATEGORIES` per column; counting keeps up to :func:`working_categories` (10,000 for up
to 100 columns) before folding, so that a category becoming frequent late is rarely lost, and the
categories a stat file keeps are exact whenever a column has at most that many.

Memory and time are bounded by the cap whatever the number of distinct values (identifiers, free
text): a :class:`CategoryCounter` folds a column's categories back to the cap whenever it
exceeds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "MAX_CATEGORIES",
    "MAX_CATEGORY_LENGTH",
    "MAX_WORKING_CATEGORIES",
    "CategoryCounter",
    "CategoryCounts",
    "merge_columns",
    "working_categories",
]

#: Categories a stat file keeps per column, at most (the most frequent ones).
MAX_CATEGORIES = 1_000

#: The longest category kept by name, in characters: a longer value is free text (a comment, a
#: document), counted in ``other``, so that a stat file kept beside a model holds no text of
#: that size (one 200 MB field made a 218 MB stat file).
MAX_CATEGORY_LENGTH = 256

#: Categories kept per column while counting, at most (see :func:`working_categories`).
MAX_WORKING_CATEGORIES = 10_000
_WORKING_CELLS = 1_000_000


def working_categories(n_columns: int) -> int:
    """Categories to keep per column while counting: 10,000, or fewer so that all columns hold
    at most a million (about 100 MB of Python strings), but never fewer than twice
    :data:`MAX_CATEGORIES`."""
    cells = _WORKING_CELLS // max(n_columns, 1)
    return int(min(MAX_WORKING_CATEGORIES, max(2 * MAX_CATEGORIES, cells)))


def _order(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _top_keeping(
    counts: dict[str, int], cap: int, keep: frozenset[str]
) -> tuple[dict[str, int], int]:
    """:func:`_top` of the categories not in ``keep``, with those in ``keep`` kept besides."""
    if not keep or len(counts) <= cap:
        return _top(counts, cap)
    kept = {name: n for name, n in counts.items() if name in keep}
    rest = {n: c for n, c in counts.items() if n not in keep}
    rest, folded = _top(rest, max(cap - len(kept), 0))
    return {**kept, **rest}, folded


def _top(counts: dict[str, int], cap: int) -> tuple[dict[str, int], int]:
    """The ``cap`` largest counts (ties: the first names in code-point order), and the sum of
    the others. Linear in the number of categories, but for the names tied at the threshold."""
    if len(counts) <= cap:
        return counts, 0
    if cap == 0:
        return {}, sum(counts.values())
    values = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    threshold = int(np.partition(values, len(values) - cap)[len(values) - cap])
    kept = {name: n for name, n in counts.items() if n > threshold}
    tied = sorted(name for name, n in counts.items() if n == threshold)
    for name in tied[: cap - len(kept)]:
        kept[name] = threshold
    return kept, int(values.sum()) - sum(kept.values())


class CategoryCounts:
    """The category frequencies of one column (an immutable value).

    Parameters
    ----------
    counts : mapping of str to int
        Rows per category kept (each at least 1).
    other : int, default 0
        Rows in categories not kept.
    missing : int, default 0
        Rows without a value.

    Attributes
    ----------
    counts : dict of str to int
        Most frequent first (ties by name); a copy.
    other, missing, total : int
    exact : bool
        Whether every category is kept (``other == 0``); if not, which categories are kept,
        and their counts, are approximate (see the module's notes).

    Examples
    --------
    >>> a = CategoryCounts({"Paris": 2, "Lyon": 1}, missing=1)
    >>> b = CategoryCounts({"Lyon": 3})
    >>> merged = a.merge(b)
    >>> dict(merged.counts), merged.total, merged.exact
    ({'Lyon': 4, 'Paris': 2}, 7, True)
    >>> top = merged.merge(CategoryCounts(), cap=1)
    >>> dict(top.counts), top.other, top.exact
    ({'Lyon': 4}, 2, False)
    """

    __slots__ = ("_counts", "missing", "other", "total")

    def __init__(self, counts: Mapping[str, int] | None = None, other: int = 0, missing: int = 0):
        items = sorted(((str(k), int(n)) for k, n in (counts or {}).items()), key=_order)
        self._counts = dict(items)
        self.other, self.missing = int(other), int(missing)
        self.total = sum(self._counts.values()) + self.other + self.missing

    @classmethod
    def of(cls, values: Iterable[str | bool | None], cap: int = MAX_CATEGORIES) -> CategoryCounts:
        """The counts of some values (None: missing; booleans as ``"true"`` and ``"false"``;
        one longer than :data:`MAX_CATEGORY_LENGTH` in ``other``)."""
        counts: dict[str, int] = {}
        missing = long = 0
        for value in values:
            if value is None:
                missing += 1
                continue
            key = ("true" if value else "false") if isinstance(value, bool) else str(value)
            if len(key) > MAX_CATEGORY_LENGTH:
                long += 1
                continue
            counts[key] = counts.get(key, 0) + 1
        kept, other = _top(counts, cap)
        return cls(kept, other + long, missing)

    @property
    def counts(self) -> dict[str, int]:
        """Rows per category kept, most frequent first (a copy)."""
        return dict(self._counts)

    @property
    def exact(self) -> bool:
        return self.other == 0

    @property
    def n_values(self) -> int:
        """Rows with a value (in a category kept or not)."""
        return self.total - self.missing

    def most_common(self, n: int | None = None) -> list[tuple[str, int]]:
        """The ``n`` (default: all) most frequent categories kept, with their counts."""
        items = list(self._counts.items())
        return items if n is None else items[:n]

    def truncated(self, cap: int = MAX_CATEGORIES) -> CategoryCounts:
        """The ``cap`` most frequent categories kept, the others folded into ``other``."""
        if len(self._counts) <= cap:
            return self
        kept, folded = _top(self._counts, cap)
        return CategoryCounts(kept, self.other + folded, self.missing)

    def merge(self, other: CategoryCounts, cap: int = MAX_CATEGORIES) -> CategoryCounts:
        """The counts of the rows of both: exact (and commutative, associative) while both are
        exact and their categories together are at most ``cap``; beyond, the ``cap`` most
        frequent are kept."""
        counts = dict(self._counts)
        for name, n in other._counts.items():
            counts[name] = counts.get(name, 0) + n
        kept, folded = _top(counts, cap)
        return CategoryCounts(kept, self.other + other.other + folded, self.missing + other.missing)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CategoryCounts):
            return NotImplemented
        return (self._counts, self.other, self.missing) == (
            other._counts,
            other.other,
            other.missing,
        )

    __hash__ = None  # type: ignore[assignment]  (equal values, mutable-looking contents)

    def __len__(self) -> int:
        return len(self._counts)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k!r}: {n}" for k, n in self.most_common(5))
        more = f", ... {len(self) - 5} more" if len(self) > 5 else ""
        return f"CategoryCounts({{{shown}{more}}}, other={self.other}, missing={self.missing})"

    def __getstate__(self) -> tuple:
        return self._counts, self.other, self.missing

    def __setstate__(self, state: tuple) -> None:
        self._counts, self.other, self.missing = state
        self.total = sum(self._counts.values()) + self.other + self.missing


def merge_columns(
    first: Mapping[str, CategoryCounts],
    second: Mapping[str, CategoryCounts],
    cap: int = MAX_CATEGORIES,
) -> dict[str, CategoryCounts]:
    """The counts of the columns both count, merged (in ``first``'s order). A column only one
    of them counts is left out: its counts would not cover the rows of both."""
    return {
        name: counts.merge(second[name], cap) for name, counts in first.items() if name in second
    }


class CategoryCounter:
    """Category frequencies of several columns, counted batch by batch in bounded memory.

    Fed the distinct values of each batch's column and their counts (as ``pyarrow.compute.
    value_counts`` gives them); a column holding more than ``cap`` categories is cut back to the
    ``cap`` most frequent (see the module's notes). Counters of parts of the rows merge
    (:meth:`merge`), in any grouping, exactly while under the cap.

    Parameters
    ----------
    names : sequence of str
        The columns counted.
    cap : int or None
        Categories kept per column while counting; default :func:`working_categories`.
    keep : mapping of column name to categories, optional
        Categories counted exactly whatever their rank (never folded into ``other``).
    booleans : iterable of str, optional
        Columns of booleans, whatever type the data gives them: their text (``True``, pandas'
        spelling) is counted as the booleans a CSV reads (``true``).

    Examples
    --------
    >>> counter = CategoryCounter(["city"])
    >>> counter.update("city", ["Paris", "Lyon"], [2, 1], missing=1)
    >>> counter.update("city", ["Lyon"], [3])
    >>> counter.result()["city"]
    CategoryCounts({'Lyon': 4, 'Paris': 2}, other=0, missing=1)
    """

    def __init__(
        self,
        names: Sequence[str],
        cap: int | None = None,
        keep: Mapping[str, Iterable[str]] | None = None,
        booleans: Iterable[str] = (),
    ):
        self.names = tuple(str(n) for n in names)
        self.booleans = frozenset(booleans)
        # Per column, categories never folded into "other" (their counts stay exact): drift
        # counts the reference's own this way.
        self.keep = tuple(frozenset((keep or {}).get(name, ())) for name in self.names)
        if len(set(self.names)) != len(self.names):
            raise ValueError("a column is named twice")
        self.cap = int(cap) if cap is not None else working_categories(len(self.names))
        self._index = {name: j for j, name in enumerate(self.names)}
        self._counts: list[dict[str, int]] = [{} for _ in self.names]
        self._other = [0] * len(self.names)
        self._missing = [0] * len(self.names)

    def update(
        self,
        column: str | int,
        values: Sequence[str],
        counts: Sequence[int] | np.ndarray,
        missing: int = 0,
        other: int = 0,
    ) -> None:
        """Add a batch of one column.

        Parameters
        ----------
        column : str or int
            Its name, or its index in ``names``.
        values : sequence of str
            Distinct categories of the batch (a category may appear again: counts add up);
            one longer than :data:`MAX_CATEGORY_LENGTH` counts in ``other``.
        counts : sequence of int, same length
            Rows of each.
        missing : int, default 0
            Rows of the batch without a value.
        other : int, default 0
            Rows of the batch in categories already left out (a batch's own least frequent
            ones, beyond the cap).
        """
        j = column if isinstance(column, int) else self._index[column]
        table = self._counts[j]
        get = table.get
        long = 0
        for value, n in zip(values, np.asarray(counts).tolist(), strict=True):
            if len(value) > MAX_CATEGORY_LENGTH:
                long += n
                continue
            table[value] = get(value, 0) + n
        self._missing[j] += int(missing)
        self._other[j] += int(other) + long
        if len(table) > self.cap:
            self._counts[j], folded = _top_keeping(table, self.cap, self.keep[j])
            self._other[j] += folded

    def merge(self, other: CategoryCounter) -> CategoryCounter:
        """Add the counts of ``other`` (the same columns, other rows) to these; returns self."""
        if other.names != self.names:
            raise ValueError("cannot merge counters of different columns")
        for j in range(len(self.names)):
            values = list(other._counts[j])
            self.update(j, values, [other._counts[j][v] for v in values], other._missing[j])
            self._other[j] += other._other[j]
        return self

    def result(self, cap: int = MAX_CATEGORIES) -> dict[str, CategoryCounts]:
        """Each column's counts, its ``cap`` most frequent categories kept."""
        out = {}
        for j, name in enumerate(self.names):
            kept, folded = _top_keeping(self._counts[j], max(cap, len(self.keep[j])), self.keep[j])
            out[name] = CategoryCounts(kept, self._other[j] + folded, self._missing[j])
        return out
