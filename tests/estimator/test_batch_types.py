"""A column that the first batch of ``partial_fit`` passed through for its type (boolean, text,
dates) and that a later batch gives as numbers is refused: it would be left out of the
statistics and passed through raw, as a column the first batch did not have would be."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import normkit
from normkit.errors import SchemaError


@pytest.fixture
def first() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"x": rng.normal(0, 1, 100), "flag": rng.random(100) < 0.3})


def test_numbers_after_booleans_are_refused_naming_column_and_batch(first):
    scaler = normkit.Standardizer().partial_fit(first)
    with pytest.raises(SchemaError) as refused:
        scaler.partial_fit(first.assign(flag=first.flag.astype(int)))
    assert str(refused.value) == (
        "this batch, after 100 rows fitted: column 'flag' is int64, but bool in the batches "
        "fitted so far, which pass it through: its numbers would be left out of the statistics; give it "
        "as numbers from the first batch on (fit a new estimator) or pass it through as it is "
        "(exclude=['flag'])"
    )


@pytest.mark.parametrize(
    "before", [pd.Series(["a", "b"] * 50), pd.Series(pd.Timestamp("2020-01-01"), index=range(100))]
)
def test_numbers_after_text_or_dates_are_refused(first, before):
    scaler = normkit.Standardizer().partial_fit(first.assign(flag=before))
    with pytest.raises(
        SchemaError, match=r"^this batch, after 100 rows fitted: column 'flag' is int64, but"
    ):
        scaler.partial_fit(first.assign(flag=first.flag.astype(int)))


def test_statistics_continued_refuse_them_too(first, tmp_path):
    normkit.Standardizer().fit(first).save(tmp_path / "s.json")
    scaler = normkit.load(tmp_path / "s.json")
    with pytest.raises(
        SchemaError, match=r"^this batch, after 100 rows fitted: column 'flag' is int64, but"
    ):
        scaler.partial_fit(first.assign(flag=first.flag.astype(int)))


def test_a_third_batch_is_told_after_the_rows_of_the_first_two(first):
    # Its row was counted from the batch's first ('in the batch from row 1'), in a fit of a
    # stream and in a third partial_fit alike.
    flags = pa.RecordBatch.from_pandas(first.iloc[:50], preserve_index=False)
    numbers = pa.RecordBatch.from_pandas(
        first.iloc[:50].assign(flag=np.arange(50.0)), preserve_index=False
    )
    told = (
        "^this batch, after 100 rows fitted: column 'flag' is double, but bool in the batches "
        "fitted so far"
    )
    with pytest.raises(SchemaError, match=told):
        normkit.Standardizer().fit(iter([flags, flags, numbers]))
    scaler = normkit.Standardizer().partial_fit(flags).partial_fit(flags)
    with pytest.raises(SchemaError, match=told):
        scaler.partial_fit(numbers)


def test_a_column_excluded_is_not(first):
    ints = first.assign(flag=first.flag.astype(int))
    excluded = normkit.Standardizer(exclude=["flag"]).partial_fit(first).partial_fit(ints)
    assert list(excluded.columns_) == ["x"]


def test_booleans_after_numbers_are_refused_as_transform_refuses_them(first):
    # They were fitted as 1 and 0, where booleans first pass through and transform refuses them.
    ints = first.assign(flag=first.flag.astype(int))
    numbers_first = normkit.Standardizer().partial_fit(ints)
    with pytest.raises(
        SchemaError,
        match=r"^column 'flag' has type bool, which is not numeric; cast it to numbers .* or to "
        r"pass it through as it is, fit again from the first batch with exclude=\['flag'\]$",
    ):
        numbers_first.partial_fit(first)
