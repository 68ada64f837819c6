"""The stat file's text: laid out key by key across its entries, with the native engine writing
the floats, it is byte for byte what Python's ``json`` encoder writes entry by entry."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normkit import Standardizer, _native
from normkit.stats import statfile
from normkit.stats.fingerprints import whole_file_fingerprint
from normkit.stats.layout import document_text, json_text, sorted_text


def test_floats_of_every_bit_pattern_are_written_as_repr():
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2**64, size=300_000, dtype=np.uint64)
    values = bits.view(np.float64)
    values = values[np.isfinite(values)]
    # Round numbers, powers of ten at both edges of the plain layout, subnormals and extremes.
    special = [0.0, -0.0, 1.0, 0.1, 1e-4, 1e-5, 9.999e-5, 1e15, 1e16, 9999999999999998.0]
    special += [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 2.0**53 + 2, 123.0]
    special += [float(f"1e{k}") for k in range(-320, 309)]
    values = np.concatenate([values, special, -np.array(special)]).tolist()
    assert _native.json_text(values, False) == "[" + ", ".join(map(repr, values)) + "]"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_numbers_json_has_no_text_for_are_refused_as_json_refuses_them(bad):
    assert _native.json_text({"a": [1.0, bad]}, False) is None
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        json_text({"a": [1.0, bad]})


# Text of every kind: quotes, backslashes, control characters, DEL, accents, characters beyond
# the first plane (written as surrogate pairs).
_text = st.text(
    st.characters(codec="utf-8") | st.sampled_from(['"', "\\", "\x7f", "\x00", "\n", "😀"]),
    max_size=6,
)
_leaves = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**63), 2**64 - 1),
    st.booleans(),
    st.none(),
    _text,
)
_natives = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(_text, inner, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(_natives, st.booleans())
def test_values_are_written_natively_as_json_writes_them(doc, sort_keys):
    native = _native.json_text(doc, sort_keys)
    assert native is not None  # plain types within 64 bits: never left to json
    assert native == json.dumps(doc, sort_keys=sort_keys, allow_nan=False)


class _Text(str):
    pass


_DEEP = 1
for _ in range(250):  # deeper than the native writer goes
    _DEEP = [_DEEP]


@pytest.mark.parametrize(
    "doc",
    [
        [np.float64(0.1)],  # a float subclass: its repr is numpy's
        {"n": 2**64},
        [-(2**63) - 1],
        ["\ud800"],  # a lone surrogate: json writes its escape
        {_Text("k"): 1},
        [_Text("v")],
        {1: 2.5},
        {"a": {None: 1.0}, "b": 2},
        _DEEP,
    ],
)
def test_what_json_must_decide_is_left_to_it_when_writing(doc):
    assert _native.json_text(doc, False) is None
    for sort_keys in (False, True):
        assert json_text(doc, sort_keys) == json.dumps(doc, sort_keys=sort_keys, allow_nan=False)


def test_a_stat_file_is_laid_out_one_entry_a_line():
    doc = {"format": "x", "columns": [{"name": "é", "mean": 0.1}, {"name": "b", "q": [1.0, 2.5]}]}
    assert document_text(doc) == (
        '{\n  "format": "x",\n  "columns": [\n'
        '    {"name": "\\u00e9", "mean": 0.1},\n    {"name": "b", "q": [1.0, 2.5]}\n  ]\n}\n'
    )
    assert json.loads(document_text(doc)) == doc


@pytest.mark.parametrize(
    "doc", [{1: 2.5}, {"a": {2: 1.0}}, {"c": [{1: 0.5, 2: 1.5}, {3: 2.0}]}, {"d": [{}, {None: 1}]}]
)
def test_keys_other_than_text_are_written_as_json_writes_them(doc):
    assert sorted_text(doc) == json.dumps(doc, sort_keys=True, allow_nan=False)


def test_fingerprints_hash_json_dumps_sorted_text_of_real_stat_files(tmp_path):
    """The whole-file fingerprint (that of records without a rule) is the hash of
    ``json.dumps(sort_keys=True)``'s text: outputs that record one must keep matching their
    stat files, whoever writes the text."""
    import hashlib

    rng = np.random.default_rng(3)
    table = pa.table(
        {
            "x": rng.normal(size=500) * 1e-300,
            "y": rng.integers(0, 5, 500).astype(float),
            "city": pa.array(rng.choice(["Oslo", "Lima", 'say "hi"', "é"], 500)),
        }
    )
    for options in ({}, {"momentum": 0.1, "batch_size": 64}, {"ema_of": "std"}):
        stats = Standardizer(**options).fit(table).stats_
        doc = statfile.to_document(stats)
        doc.pop("provenance", None)
        assert doc.pop("inputs") == ["x", "y", "city"]  # not of the statistics: not hashed
        text = json.dumps(doc, sort_keys=True, allow_nan=False)
        assert sorted_text(doc) == text
        assert whole_file_fingerprint(stats) == hashlib.sha256(text.encode()).hexdigest()[:16]


# Reading: the native parser gives what json.loads gives, or None where json must decide.


def _same(a, b) -> bool:
    """Equal as parsed JSON: the same types, floats bit for bit, keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a.hex() == b.hex()
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _beyond_64_bits(doc) -> bool:
    if isinstance(doc, dict):
        return any(_beyond_64_bits(v) for v in doc.values())
    if isinstance(doc, list):
        return any(_beyond_64_bits(v) for v in doc)
    return type(doc) is int and not -(2**63) <= doc < 2**64


# No digits or '-' in strings, so the only integers the native parser leaves to json are
# those beyond 64 bits (its scan for them does not tell strings from numbers).
_words = st.text(st.characters(blacklist_characters="-0123456789", codec="utf-8"), max_size=6)
_json_leaves = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**66), 2**66),
    st.booleans(),
    st.none(),
    _words,
)
_json = st.recursive(
    _json_leaves,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_words, inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(_json, st.booleans())
def test_json_is_read_natively_as_json_reads_it(doc, indent):
    text = json.dumps(doc, indent=2 if indent else None, ensure_ascii=not indent)
    native = _native.json_load(text)
    if _beyond_64_bits(doc):
        assert native is None
    else:
        assert _same(native, json.loads(text))


_number_tokens = st.builds(
    lambda sign, whole, frac, exp: sign + whole + frac + exp,
    st.sampled_from(["", "-"]),
    st.one_of(st.just("0"), st.from_regex(r"\A[1-9][0-9]{0,24}\Z")),
    st.one_of(st.just(""), st.from_regex(r"\A\.[0-9]{1,30}\Z")),
    st.one_of(st.just(""), st.from_regex(r"\A[eE][+-]?[0-9]{1,3}\Z")),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_number_tokens, min_size=1, max_size=4))
def test_numbers_are_read_natively_as_json_reads_them(tokens):
    text = "[" + ", ".join(tokens) + "]"
    expected = json.loads(text)
    native = _native.json_load(text)
    finite = all(type(x) is int or np.isfinite(x) for x in expected)
    if native is not None:
        assert _same(native, expected)
    # Left to json only where a number is beyond float64's range or 64 bits, or is "-0".
    elif finite:
        assert _beyond_64_bits(expected) or any(t.lstrip("-") == "0" for t in tokens if "-" in t)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"x": [{"b": 1, "c": 2, "b": 3}]}',
        "[NaN]",
        '{"a": Infinity}',
        "[-Infinity]",
        "[1e400]",
        "[-0]",
        "[123456789012345678901234567890]",
        '["\\ud800"]',
        "[" * 200 + "]" * 200,
        "\ufeff{}",
        "",
        "{} x",
        '["a\tb"]',
        "[1,]",
        "{'a': 1}",
    ],
)
def test_what_json_must_decide_is_left_to_it(text):
    assert _native.json_load(text) is None


def test_long_numbers_are_rounded_correctly():
    tokens = [
        "0.1000000000000000055511151231257827021181583404541015625",
        "2.2250738585072011e-308",
        "4.9406564584124654e-324",
        "2.47032822920623272e-324",
        "1.7976931348623158e308",
        "9007199254740993",
        "9007199254740993.0",
        "0." + "0" * 400 + "1e400",
        "1" + "0" * 300 + "e-300",
    ]
    text = "[" + ", ".join(tokens) + "]"
    assert _same(_native.json_load(text), json.loads(text))


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(enabled):
    """Reading and writing a stat file pause Python's collector, then leave it as it was, also
    when the file is refused."""
    import gc

    stats = Standardizer().fit(np.arange(12.0).reshape(4, 3)).stats_
    seen = []
    load = _native.json_load

    def watched(text):
        seen.append(gc.isenabled())
        return load(text)

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        _native.json_load = watched
        text = statfile.to_text(stats)
        assert statfile.parse(text).names == stats.names
        with pytest.raises(Exception, match="not a normkit stat file"):
            statfile.parse("{")
        assert whole_file_fingerprint(stats) == whole_file_fingerprint(statfile.parse(text))
        assert gc.isenabled() is enabled
        assert seen == [False, False, False]  # paused while each file was parsed
    finally:
        _native.json_load = load
        (gc.enable if was else gc.disable)()
