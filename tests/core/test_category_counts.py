"""Category counts: exact while under the cap, whatever the batches or parts; the most frequent
ones (ties by name) with exact totals beyond it; bounded memory while counting."""

from __future__ import annotations

import itertools
import pickle
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from normkit.core.categories import (
    MAX_CATEGORIES,
    MAX_WORKING_CATEGORIES,
    CategoryCounter,
    CategoryCounts,
    merge_columns,
    working_categories,
)

values = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "", "é", "a b"])))


def counted(items: list, cuts: list[int], cap: int | None = None) -> CategoryCounts:
    """``items`` fed to a counter in batches cut at ``cuts``."""
    counter = CategoryCounter(["x"], cap=cap)
    bounds = [0, *sorted(c % (len(items) + 1) for c in cuts), len(items)]
    for start, end in itertools.pairwise(bounds):
        batch = Counter(v for v in items[start:end] if v is not None)
        missing = sum(v is None for v in items[start:end])
        counter.update("x", list(batch), list(batch.values()), missing=missing)
    return counter.result()["x"]


@given(values, st.lists(st.integers(0, 1000), max_size=5))
def test_batches_do_not_change_exact_counts(items, cuts):
    whole = CategoryCounts.of(items)
    assert counted(items, cuts) == whole
    assert whole.exact
    assert whole.other == 0
    assert dict(whole.counts) == dict(Counter(v for v in items if v is not None))
    assert whole.missing == items.count(None)
    assert whole.total == len(items)


@given(values, values, values)
def test_merge_is_exact_commutative_and_associative_under_the_cap(a, b, c):
    x, y, z = (CategoryCounts.of(v) for v in (a, b, c))
    assert x.merge(y) == y.merge(x) == CategoryCounts.of(a + b)
    assert x.merge(y).merge(z) == x.merge(y.merge(z)) == CategoryCounts.of(a + b + c)


def test_beyond_the_cap_the_most_frequent_are_kept_ties_by_name():
    counts = CategoryCounts({"z": 5, "b": 2, "a": 2, "c": 2, "y": 1}, missing=3)
    top = counts.truncated(3)
    assert list(top.counts.items()) == [("z", 5), ("a", 2), ("b", 2)]
    assert (top.other, top.missing, top.total, top.exact) == (3, 3, counts.total, False)
    # Merging folds too, and what was folded stays folded.
    merged = top.merge(CategoryCounts({"q": 9}), cap=3)
    assert list(merged.counts) == ["q", "z", "a"]
    assert merged.other == 3 + 2
    assert merged.total == counts.total + 9


def test_the_kept_categories_are_ordered_most_frequent_first():
    counts = CategoryCounts({"b": 1, "a": 1, "c": 7})
    assert list(counts.counts) == ["c", "a", "b"]
    assert counts.most_common(2) == [("c", 7), ("a", 1)]
    assert CategoryCounts.of([True, False, True, None]).counts == {"true": 2, "false": 1}


def test_a_counter_stays_within_its_cap_and_keeps_totals_exact():
    counter = CategoryCounter(["id"], cap=500)
    frequent = [f"f{i}" for i in range(20)]
    rows = 0
    for batch in range(40):
        ids = [f"id{batch}-{i}" for i in range(300)]  # every one new
        counter.update("id", ids + frequent, [1] * 300 + [5] * 20, missing=2)
        rows += 300 + 100 + 2
        assert len(counter._counts[0]) <= 500
    result = counter.result()["id"]
    assert result.total == rows
    assert result.missing == 80
    assert not result.exact
    assert len(result) == min(500, MAX_CATEGORIES)
    assert result.other == rows - 80 - sum(result.counts.values())
    # The categories frequent in every batch are never folded: their counts are exact.
    assert all(result.counts[f] == 5 * 40 for f in frequent)


def test_counters_of_parts_merge_to_the_counter_of_the_whole():
    rng = np.random.default_rng(1)
    items = [str(v) for v in rng.choice([f"c{i}" for i in range(50)], 2001)]
    whole, first, second = (CategoryCounter(["x", "y"]) for _ in range(3))
    for counter, part in ((whole, items), (first, items[:700]), (second, items[700:])):
        # missing: 6 in the whole, 0 + 6 in the parts
        for name in ("x", "y"):
            batch = Counter(part)
            counter.update(name, list(batch), list(batch.values()), missing=len(part) % 7)
    assert first.merge(second).result() == whole.result()
    with pytest.raises(ValueError, match="different columns"):
        first.merge(CategoryCounter(["x"]))


def test_merge_columns_keeps_the_columns_both_count():
    a = {"x": CategoryCounts({"p": 1}), "y": CategoryCounts({"q": 2})}
    b = {"y": CategoryCounts({"q": 1})}
    assert merge_columns(a, b) == {"y": CategoryCounts({"q": 3})}


def test_the_working_cap_shrinks_for_wide_data_but_not_below_twice_the_kept():
    assert working_categories(1) == MAX_WORKING_CATEGORIES
    assert working_categories(100_000) == 2 * MAX_CATEGORIES


def test_values_pickle_for_the_dask_workers():
    counts = CategoryCounts({"a": 2}, other=1, missing=3)
    again = pickle.loads(pickle.dumps(counts))
    assert again == counts
    assert again.total == 6
    counter = CategoryCounter(["x"])
    counter.update("x", ["a"], [1])
    assert pickle.loads(pickle.dumps(counter)).result() == counter.result()
