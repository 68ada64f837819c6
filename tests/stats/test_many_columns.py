"""A stat file of many columns is written and checked field by field across all columns at once;
the result, and the fault named in a damaged file, are those of the check of each column alone."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from normkit import Standardizer, StatsFileError, dumps, loads
from normkit.stats.fields import COLUMN, GROUPS, STAT_FILE
from normkit.stats.statfile import _write, to_document
from normkit.stats.validation import _check_each, _check_section

N_COLUMNS = 60
AT = 37  # the column damaged


@pytest.fixture(scope="module")
def fitted() -> Standardizer:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({f"c{j}": rng.normal(j, 1 + j % 5, 500) for j in range(N_COLUMNS)}).astype(
        float
    )
    frame["c5"] = 3.0  # a constant column: scale 1
    frame.loc[::7, "c9"] = np.nan  # missing values
    frame.loc[0, "c11"] = 1e100  # its fourth moment overflows float64: not written
    return Standardizer(ema=True).fit(frame)


def _fail(message: str) -> Exception:
    return StatsFileError(message)


def test_columns_are_laid_out_as_one_by_one(fitted):
    stats = fitted.stats_
    doc = to_document(stats)
    assert doc["columns"] == [_write(COLUMN, stats, i) for i in range(N_COLUMNS)]
    assert "m4" not in doc["columns"][11]
    assert "m4" in doc["columns"][10]


def test_columns_are_checked_as_one_by_one(fitted):
    doc = json.loads(dumps(fitted))
    groups = {g: g in doc for g in GROUPS}
    at_once = _check_each(COLUMN, doc["columns"], groups)
    one_by_one = [
        _check_section(COLUMN, c, f"columns[{i}].", groups, _fail)
        for i, c in enumerate(doc["columns"])
    ]
    assert at_once is not None
    assert at_once == one_by_one
    assert [list(c) for c in at_once] == [list(c) for c in one_by_one]  # the same key order
    assert STAT_FILE.fields  # the table is walked, not a copy of it


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("count", 0, f"columns[{AT}].'count' must be >= 1"),
        ("count", 2.5, f"columns[{AT}].'count' must be an integer"),
        ("mean", "x", f"columns[{AT}].'mean' must be a number"),
        ("mean", KeyError, f"missing key columns[{AT}].'mean'"),
        ("var", -1.0, f"columns[{AT}].'var' must be >= 0"),
        ("scale", 0.0, f"columns[{AT}].'scale' must be > 0"),
        ("name", 5, f"columns[{AT}].'name' must be a string"),
        ("nonsense", 1, f"unknown key columns[{AT}].'nonsense'"),
        ("quantiles", [1.0] * 3, f"columns[{AT}].'quantiles' must be a list of 19 numbers"),
        ("gamma", 0.0, f"columns[{AT}].'gamma' must be"),
        ("ema", {"running_mean": 1.0}, f"missing key columns[{AT}].ema.'running_var'"),
    ],
)
def test_a_damaged_column_is_named(fitted, key, value, message):
    doc = json.loads(dumps(fitted))
    if value is KeyError:
        del doc["columns"][AT][key]
    else:
        doc["columns"][AT][key] = value
    with pytest.raises(StatsFileError) as info:
        loads(json.dumps(doc), source="s.json")
    assert str(info.value).startswith(f"s.json: invalid stat file: {message}")


def test_the_first_column_at_fault_is_named(fitted):
    doc = json.loads(dumps(fitted))
    doc["columns"][40]["quantiles"] = doc["columns"][40]["quantiles"][::-1]
    doc["columns"][20]["quantile_cdf"][3] = 1.5
    with pytest.raises(StatsFileError, match=r"columns\[20\]\.'quantile_cdf' must rise"):
        loads(json.dumps(doc))
    doc["columns"][20]["quantile_cdf"][3] = "NaN"  # an unknown fraction is allowed
    with pytest.raises(StatsFileError, match=r"columns\[40\]\.'quantiles' must not decrease"):
        loads(json.dumps(doc))


def test_constant_columns_are_told_among_many(fitted):
    doc = json.loads(dumps(fitted))
    assert doc["columns"][5]["scale"] == 1.0
    loads(json.dumps(doc))
    doc["columns"][5]["scale"] = 2.0
    with pytest.raises(StatsFileError, match=r"column 'c5': scale \(2\.0\) is not 1, as for a"):
        loads(json.dumps(doc))
    doc = json.loads(dumps(fitted))
    doc["columns"][6]["scale"] = 1.0
    with pytest.raises(StatsFileError, match=r"column 'c6': scale \(1\.0\) is not sqrt\(var\)"):
        loads(json.dumps(doc))
