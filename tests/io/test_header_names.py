"""Repeated header names renamed as DuckDB renames them: ``NAME_k``, the smallest ``k`` from 1
that names no other column."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from normkit.io.csv.names import names_as_written, unique_names


def renamed_one_by_one(names: list[str]) -> list[str]:
    """The rule as it reads: each repeat counts from 1 (quadratic in the repeats)."""
    taken, seen, out = set(names), set(), []
    for name in names:
        if name in seen:
            k = 1
            while f"{name}_{k}" in taken:
                k += 1
            name = f"{name}_{k}"
            taken.add(name)
        seen.add(name)
        out.append(name)
    return out


@given(st.lists(st.sampled_from(["a", "a_1", "a_2", "a_1_1", "b", "", "_1", "_2"]), max_size=30))
def test_names_are_renamed_as_the_rule_reads(names):
    out, given_names = unique_names(names)
    assert out == renamed_one_by_one(names)
    assert len(set(out)) == len(out)
    assert list(given_names) == [n for n, o in zip(out, names, strict=True) if n != o]
    # A CSV output's header: the names as written, which read again as the same names.
    assert names_as_written(out, given_names) == names


def test_names_not_read_back_alike_are_written_as_renamed():
    # Without 'a' before it, a header 'a' would read back as 'a', not 'a_1'.
    assert names_as_written(["a_1", "b"], ["a_1"]) == ["a_1", "b"]
    assert names_as_written(["b", "a", "a_1"], ["a_1"]) == ["b", "a", "a"]


def test_a_header_of_one_name_repeated_is_renamed_in_order():
    out, _ = unique_names(["c"] * 20_000)
    assert out == ["c"] + [f"c_{k}" for k in range(1, 20_000)]
