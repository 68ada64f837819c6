"""The stat file: exact round trip, no bare NaN, and validation with clear messages."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from conftest import run_normkit
from hypothesis import given
from hypothesis import strategies as st
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import Standardizer, StatsFileError, dumps, loads
from normkit.stats.fields import FORMAT, VERSION
from normkit.stats.statfile import to_document


@pytest.fixture
def fitted(mixed_frame) -> Standardizer:
    return Standardizer(exclude=["id"]).fit(mixed_frame)


def test_round_trip_is_bit_exact(tmp_path, fitted):
    path = tmp_path / "stats.json"
    normkit.save(fitted, path)
    loaded = normkit.load(path)
    for attr in ("mean_", "var_", "scale_", "min_", "max_", "m2_", "n_samples_seen_", "n_missing_"):
        np.testing.assert_array_equal(getattr(loaded, attr), getattr(fitted, attr), err_msg=attr)
    assert list(loaded.columns_) == list(fitted.columns_)
    same = {"exclude": (), "ema": None}
    assert loaded.get_params() | same == fitted.get_params() | same
    assert loaded.ema_.options.weight == fitted.ema_.options.weight
    assert loaded.ema_.options.eps_value == fitted.ema_.options.eps_value
    np.testing.assert_array_equal(loaded.ema_.running_mean, fitted.ema_.running_mean)
    np.testing.assert_array_equal(loaded.ema_.running_var, fitted.ema_.running_var)
    assert dumps(loaded).replace(loaded.provenance_.get("created", ""), "") == dumps(
        fitted
    ).replace(fitted.provenance_.get("created", ""), "")


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_any_float_reads_back_bit_for_bit(value):
    scaler = Standardizer().fit(pd.DataFrame({"x": [value, value]}))
    loaded = loads(dumps(scaler))
    assert loaded.mean_[0] == scaler.mean_[0] or (
        math.isnan(loaded.mean_[0]) and math.isnan(scaler.mean_[0])
    )
    assert loaded.min_[0] == value
    assert loaded.max_[0] == value


def test_nan_and_infinity_are_never_bare_tokens():
    # A scaler built from scikit-learn has no min/max: they are NaN and must be written as strings.
    scaler = Standardizer.from_sklearn(StandardScaler().fit(np.arange(6.0).reshape(3, 2)))
    text = dumps(scaler)
    json.loads(text, parse_constant=lambda token: pytest.fail(f"bare {token}"))
    assert '"NaN"' in text
    assert np.isnan(loads(text).min_).all()


def test_file_has_the_documented_layout(fitted):
    doc = to_document(fitted.stats_)
    assert doc["format"] == FORMAT
    assert doc["version"] == VERSION == 1
    assert set(doc["options"]) == {"ddof", "eps", "with_mean", "with_std"}
    column = doc["columns"][0]
    assert set(column) >= {
        "name",
        "dtype",
        "count",
        "missing",
        "mean",
        "m2",
        "var",
        "scale",
        "min",
        "max",
    }
    assert doc["provenance"]["normkit_version"] == normkit.__version__


def _doc(fitted) -> dict:
    return json.loads(dumps(fitted))


def _corrupt(doc: dict, path: list, value) -> str:
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["version"], 2, "stat file version 2 was written by a newer normkit"),
        (["version"], "1", "invalid stat file: 'version' must be an integer"),
        (["format"], "something.else", "not a normkit stat file"),
        (["columns"], KeyError, "invalid stat file: missing key 'columns'"),
        (["columns"], [], "invalid stat file: 'columns' must be a non-empty list"),
        (["columns", 0, "mean"], KeyError, "invalid stat file: missing key columns[0].'mean'"),
        (["columns", 0, "mean"], "abc", "invalid stat file: columns[0].'mean' must be a number"),
        (
            ["columns", 0, "mean"],
            "NaN",
            "invalid stat file: columns[0].'mean' must be a finite number",
        ),
        (["columns", 0, "count"], 1.5, "invalid stat file: columns[0].'count' must be an integer"),
        (["columns", 0, "count"], 0, "invalid stat file: columns[0].'count' must be >= 1"),
        (["columns", 0, "scale"], 0.0, "invalid stat file: columns[0].'scale' must be > 0"),
        (["columns", 0, "var"], -1.0, "invalid stat file: columns[0].'var' must be >= 0"),
        (["columns", 1, "name"], "count", "invalid stat file: column 'count' appears twice"),
        (["options", "ddof"], 2, "invalid stat file: options.'ddof' must be 0 or 1"),
        (
            ["options", "with_mean"],
            "yes",
            "invalid stat file: options.'with_mean' must be true or false",
        ),
        (["options"], KeyError, "invalid stat file: missing key 'options'"),
    ],
)
def test_invalid_files_are_refused_with_the_key_named(fitted, path, value, message):
    text = _corrupt(_doc(fitted), path, value)
    with pytest.raises(StatsFileError) as info:
        loads(text, source="s.json")
    assert str(info.value).startswith(f"s.json: {message}")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a normkit stat file (it is empty"),
        (" \r\n", "not a normkit stat file (it is empty"),
        (
            '{"rows": ' + "9" * 5000 + "}",
            "not a normkit stat file (invalid JSON, a number of more ",
        ),
        ('{"format": "normkit.stats", "vers', "not a normkit stat file (invalid JSON"),
        ("[1, 2, 3]", "not a normkit stat file"),
        ("a,b\n1,2\n", "not a normkit stat file (invalid JSON"),
    ],
)
def test_text_that_is_not_a_stat_file(text, message):
    with pytest.raises(StatsFileError, match=r"^s\.json: " + message.replace("(", r"\(")):
        loads(text, source="s.json")


def test_bare_nan_token_is_refused(fitted):
    text = dumps(fitted).replace('"mean": ', '"mean": NaN, "was": ', 1)
    with pytest.raises(StatsFileError, match="invalid JSON, bare NaN"):
        loads(text, source="s.json")


def test_a_key_given_twice_is_refused(fitted):
    text = dumps(fitted).replace('"mean": ', '"mean": 0.5, "mean": ', 1)
    with pytest.raises(StatsFileError, match="invalid JSON, the key 'mean' appears twice in one"):
        loads(text, source="s.json")


def test_load_reports_missing_file_and_directory(tmp_path):
    with pytest.raises(StatsFileError, match="no such stat file"):
        normkit.load(tmp_path / "absent.json")
    with pytest.raises(StatsFileError, match="is a directory"):
        normkit.load(tmp_path)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_a_stat_file_saved_by_an_editor_in_another_unicode_form_loads(tmp_path, fitted, encoding):
    # Windows' Notepad saves "Unicode" as UTF-16 with a byte-order mark (and CRLF): refused as
    # "not UTF-8 text", with no way out.
    text = dumps(fitted).replace("\n", "\r\n")
    bom = b"\xfe\xff" if encoding == "utf-16-be" else b""
    path = tmp_path / "s.json"
    path.write_bytes(bom + text.encode(encoding))
    assert dumps(normkit.load(path)) == dumps(fitted)
    # Without a byte-order mark (PowerShell's and Python's "utf-16-le"): told as json tells it;
    # it was refused as invalid JSON.
    for form in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        path.write_bytes(text.encode(form))
        assert dumps(normkit.load(path)) == dumps(fitted), form
    path.write_bytes(b"\xff\xfe" + "a,b\n1,2\n".encode("utf-16-le"))  # not JSON: refused
    with pytest.raises(StatsFileError, match="not a normkit stat file"):
        normkit.load(path)
    # A mark alone (an empty file saved as "Unicode") raised IndexError; a byte of text cut.
    for data, why in ((b"\xff\xfe", "it is empty"), (b"\xc3", "not UTF-8 text")):
        path.write_bytes(data)
        with pytest.raises(StatsFileError, match=f"not a normkit stat file \\({why}\\)"):
            normkit.load(path)
    path.write_bytes(b'{"format": "normkit.stats", "columns": [{"name": "caf\xe9"}]}')  # Latin-1
    with pytest.raises(StatsFileError, match=r"\(not UTF-8 text\); save it as UTF-8"):
        normkit.load(path)


def test_save_is_atomic_and_refuses_missing_directory(tmp_path, fitted):
    with pytest.raises(normkit.OutputError, match="does not exist"):
        normkit.save(fitted, tmp_path / "nope" / "stats.json")
    path = tmp_path / "stats.json"
    normkit.save(fitted, path)
    normkit.save(fitted, path)  # overwriting needs no --force
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats.json"]


def test_a_stat_file_saved_by_the_estimator_records_when_it_was_fitted(tmp_path):
    # It had no time: inspect showed "written ? by normkit ...", where a CLI fit's has one.
    path = tmp_path / "s.json"
    normkit.Standardizer().fit(np.arange(12.0).reshape(6, 2)).save(path)
    created = json.loads(path.read_text())["provenance"]["created"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", created)
    shown = run_normkit("inspect", path).stdout.decode()
    assert f"fitted     {created} by normkit {normkit.__version__}" in shown
