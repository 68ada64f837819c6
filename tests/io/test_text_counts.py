"""Text columns as a CSV gives them (strings, no nulls) are counted by the native engine: the same
categories, counts, missing values and others as pyarrow's ``value_counts`` gives, kept by the same
rule, across chunks, sliced arrays, missing-value strings, pinned values and caps."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from normkit.core.categories import CategoryCounts, _top_keeping
from normkit.io.arrow import text_array
from normkit.io.categories import TextCounts, _kept, value_counts

WORDS = st.sampled_from(["a", "b", "", "NA", "é", "ab", "a,b", "True", "0", "x" * 40, "東京"])


def pyarrow_counts(array, cap, missing, keep):
    """The categories by pyarrow's compute functions, kept by the shared rule."""
    result = pc.value_counts(array)
    values, counts = result.field(0), result.field(1).to_numpy()
    absent = pc.is_in(values, value_set=pa.array(missing, pa.string())).to_numpy(
        zero_copy_only=False
    )
    n_missing = int(counts[absent].sum())
    values, counts = values.filter(pa.array(~absent)), counts[~absent]
    pinned = pc.is_in(values, value_set=pa.array(keep, pa.string())).to_numpy(zero_copy_only=False)
    top, other = _kept(counts, pinned, cap)
    if top is not None:
        values, counts = values.take(pa.array(top)), counts[top]
    return values.to_pylist(), counts.tolist(), n_missing, other


@settings(max_examples=200, deadline=None)
@given(
    chunks=st.lists(st.lists(WORDS, max_size=30), min_size=1, max_size=4),
    cap=st.integers(1, 8),
    missing=st.lists(WORDS, max_size=3, unique=True),
    keep=st.lists(WORDS, max_size=3, unique=True),
    cut=st.integers(0, 3),
)
def test_text_is_counted_as_pyarrow_counts_it(chunks, cap, missing, keep, cut):
    arrays = [pa.array(c, pa.string()) for c in chunks]
    arrays[0] = arrays[0].slice(min(cut, len(arrays[0])))  # an array with an offset
    array = pa.chunked_array(arrays, pa.string())
    if not len(array):
        return
    names, counts, n_missing, other = value_counts(
        array, cap, missing_text=text_array(missing), keep=keep
    )
    assert (names, np.asarray(counts).tolist(), n_missing, other) == pyarrow_counts(
        array, cap, missing, keep
    )


def test_many_distinct_values_become_strings_only_for_those_kept():
    ids = pa.array([f"row{i}" for i in range(200_000)] + ["row7"] * 3)
    names, counts, missing, other = value_counts(ids, 10, keep=["row5"])
    assert len(names) == 10
    assert "row7" in names
    assert "row5" in names  # pinned, though counted once as 199,998 others
    assert counts[names.index("row7")] == 4
    assert other == 200_003 - int(np.sum(counts))
    assert missing == 0


@settings(max_examples=200, deadline=None)
@given(
    batches=st.lists(st.lists(WORDS, max_size=30), min_size=1, max_size=6),
    cap=st.integers(1, 8),
    missing=st.lists(WORDS, max_size=3, unique=True),
    keep=st.lists(WORDS, max_size=3, unique=True),
)
def test_counted_batch_by_batch_as_the_category_counter_keeps_them(batches, cap, missing, keep):
    """Batch by batch, the native table keeps what the category counter keeps of the same
    values: every count exact while at most twice the cap are met, then the rule's choice."""
    table = TextCounts(cap, missing, keep)
    for values in batches:
        table.add(pa.array(values, pa.string()))
    names, counts, n_missing, other = table.result()
    values = [v for b in batches for v in b]
    expected = CategoryCounts.of(v for v in values if v not in missing)
    kept, folded = _top_keeping(expected.counts, cap, frozenset(keep))
    assert n_missing == sum(v in missing for v in values)
    assert sum(counts) + other == len(values) - n_missing
    if len(expected.counts) <= 2 * cap:  # never cut before the end: exactly the rule's choice
        assert dict(zip(names, counts.tolist(), strict=True)) == kept
        assert other == folded
        first = {v: values.index(v) for v in names}
        assert names == sorted(names, key=first.get)  # in the order of their first appearance
    assert set(keep) & set(values) - set(missing) <= set(names)
