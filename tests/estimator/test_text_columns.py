"""Text and object columns in a fit in memory: a column of numbers with a few words is refused at
the first word (as the command line refuses the CSV it was read from), a text column that holds
a few numbers passes through, numbers of several Python types are numbers (StandardScaler's
bits), a column left out of the fit is never read as numbers, and a polars column of a type
Arrow has none for is refused in one line."""

from __future__ import annotations

import decimal
import re

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from conftest import normkit_error
from sklearn.preprocessing import StandardScaler

from normkit import Standardizer
from normkit.errors import DataError, SchemaError


@pytest.fixture
def listings(tmp_path):
    """A CSV of house listings whose prices hold a placeholder word ("call") in rows 18 and
    901, and the same file as pandas reads it (prices as text)."""
    rng = np.random.default_rng(42)
    n = 2000
    frame = pd.DataFrame(
        {
            "sqft": rng.lognormal(7.3, 0.4, n).round(1),
            "price": rng.lognormal(12.5, 0.6, n).round(0).astype(object),
            "lat": 37 + rng.normal(0, 0.3, n),
        }
    )
    frame.loc[[17, 900], "price"] = "call"
    path = tmp_path / "train.csv"
    frame.to_csv(path, index=False)
    return path, pd.read_csv(path)


@pytest.mark.parametrize(
    "convert",
    [
        lambda f: f,
        lambda f: f.astype({"price": "string"}),
        pl.from_pandas,
        lambda f: pl.from_pandas(f).lazy(),
        lambda f: pa.Table.from_pandas(f, preserve_index=False),
    ],
    ids=["object", "string", "polars", "lazy", "arrow"],
)
def test_a_word_among_numbers_is_refused_with_its_row_as_the_command_line_refuses_it(
    listings, convert
):
    path, frame = listings
    told = normkit_error(1, "fit", path, "-o", path.with_suffix(".json"))
    assert "column 'price' at data row 18: 'call' is not a number" in told
    with pytest.raises(DataError, match=r"column 'price' at row 18: 'call' is not a number"):
        Standardizer().fit(convert(frame))
    # Chosen by name, the same.
    with pytest.raises(DataError, match=r"at row 18: 'call' .*leave it out of columns"):
        Standardizer(columns=["sqft", "price"]).fit(convert(frame))


def test_the_refusal_names_the_index_label_and_the_ways_out(listings):
    _, frame = listings
    frame.index = frame.index * 10
    with pytest.raises(DataError) as refused:
        Standardizer().fit(frame)
    assert str(refused.value) == (
        "column 'price' at row 18 (index 170): 'call' is not a number; make the column "
        "numbers, each word missing (pandas: pd.to_numeric(df['price'], errors='coerce'); "
        "polars: pl.col('price').cast(pl.Float64, strict=False)) or pass it through as it is "
        "with exclude=['price']"
    )
    # Each way out fits.
    assert list(Standardizer(exclude=["price"]).fit(frame).columns_) == ["sqft", "lat"]
    numbers = frame.assign(price=pd.to_numeric(frame["price"], errors="coerce"))
    assert list(Standardizer().fit(numbers).columns_) == ["sqft", "price", "lat"]


@pytest.mark.parametrize("word", ["N/A", "", "NULL", "?"])
def test_a_missing_value_word_among_numbers_is_refused_too(word):
    # pandas' read_csv reads most of these as missing; written in a frame, scikit-learn refuses
    # them ("could not convert string to float"), and so does normkit, naming the row.
    values = [f"{v:.3f}" for v in np.linspace(0, 10, 40)]
    values[5] = word
    X = pd.DataFrame({"a": values, "b": np.arange(40.0)})
    with pytest.raises(
        DataError, match=re.escape(f"column 'a' at row 6: {word!r} is not a number")
    ):
        Standardizer().fit(X)


@pytest.mark.parametrize(
    "text",
    [
        ["A1", "B2", "7", "C3", "D4"] * 10,  # codes, a few of them numbers
        [f"PC {i}" if i % 3 == 0 else str(1000 + i) for i in range(60)],  # tickets
        ["-", "?"] * 20,  # placeholders alone: no number
    ],
    ids=["codes", "tickets", "placeholders"],
)
def test_a_text_column_holding_a_few_numbers_passes_through(text):
    X = pd.DataFrame({"code": text, "x": np.arange(float(len(text)))})
    fitted = Standardizer().fit(X)
    assert list(fitted.columns_) == ["x"]
    out = fitted.transform(X)
    assert out["code"].tolist() == text


def _amounts():
    rng = np.random.default_rng(7)
    amounts = [
        decimal.Decimal(f"{v:.2f}") if i % 50 else None
        for i, v in enumerate(rng.lognormal(4, 1, 1000))
    ]
    X = pd.DataFrame({"amount": amounts, "qty": rng.integers(1, 9, 1000)})
    X["amount"] = X["amount"].fillna(0.0)  # Decimal and float in one object column
    return X


@pytest.mark.parametrize(
    "make",
    [
        _amounts,
        lambda: pd.DataFrame(
            {"x": pd.Series([1.5, 2.0, 2**70, 3.0, None], dtype=object), "y": np.arange(5.0)}
        ),
        # Python ints alone, one beyond int64: pyarrow's OverflowError was a traceback.
        lambda: pd.DataFrame(
            {"uid": pd.Series([10**20, 1, 2, 3], dtype=object), "y": np.arange(4.0)}
        ),
    ],
    ids=["decimal-and-float", "int-beyond-int64", "ints-beyond-int64"],
)
def test_numbers_of_several_python_types_are_fitted_as_standard_scaler_fits_them(make):
    X = make()
    fitted, reference = Standardizer().fit(X), StandardScaler().fit(X)
    np.testing.assert_array_equal(fitted.mean_, reference.mean_)
    np.testing.assert_array_equal(fitted.var_, reference.var_)
    np.testing.assert_array_equal(fitted.scale_, reference.scale_)
    np.testing.assert_array_equal(fitted.transform(X), reference.transform(X))


@pytest.mark.parametrize(
    ("values", "told"),
    [
        ([decimal.Decimal("1.5"), 2.0, "call", 3.0], "at row 3: 'call' is not a number"),
        ([2.0, "1.5", 3.0, 4.0], "at row 2: '1.5' is a number written as text, among numbers"),
        (["A", "B", 3.0, "C"], "at row 3: 3.0 is a number among text; make it text"),
    ],
    ids=["decimal-and-word", "number-as-text", "number-among-text"],
)
def test_text_beside_python_numbers_is_refused_with_its_row_and_value(values, told):
    X = pd.DataFrame({"a": values, "b": np.arange(4.0)})
    with pytest.raises(DataError, match=rf"column 'a' {told}") as refused:
        Standardizer().fit(X)
    assert "Could not convert" not in str(refused.value)  # not pyarrow's words


@pytest.mark.parametrize("leave_out", [{"exclude": ["code", "uid"]}, {"columns": ["a", "b"]}])
def test_a_column_left_out_of_the_fit_is_not_read_as_numbers(leave_out):
    # Excluded or not chosen, a column of ints and words was refused by fit ("'A7' is not a
    # number"), and one of ints beyond int64 raised pyarrow's OverflowError; transform passed
    # both through.
    X = pd.DataFrame(
        {
            "a": [1.0, 2.0, 4.0, 8.0],
            "code": np.array([101, "A7", 102, None], dtype=object),
            "b": [3.0, 1.0, 0.0, 5.0],
            "uid": np.array([10**20, 1, 2, 3], dtype=object),
        }
    )
    fitted = Standardizer(**leave_out).fit(X)
    assert list(fitted.columns_) == ["a", "b"]
    np.testing.assert_array_equal(fitted.mean_, StandardScaler().fit(X[["a", "b"]]).mean_)
    out = fitted.transform(X)
    assert out["code"].tolist() == [101, "A7", 102, None]  # as given, not made text
    assert out["uid"].tolist() == [10**20, 1, 2, 3]
    assert X["code"].tolist() == [101, "A7", 102, None]  # the frame given is not changed
    fitted.partial_fit(X)  # a later batch alike
    assert fitted.n_samples_seen_ == 8
    # A stream of record batches holds such a column as the text of its values.
    (batch,) = fitted.transform_stream([X], "batch")
    assert batch.column("code").to_pylist() == ["101", "A7", "102", None]
    # Fitted (not left out), the words are still refused, and the way out given works.
    with pytest.raises(DataError, match=r"column 'code' at row 2: 'A7' is not a number.*exclude="):
        Standardizer(exclude=["uid"]).fit(X)


@pytest.mark.parametrize(
    "dtype", [pl.Int128, pl.UInt128] if hasattr(pl, "UInt128") else [pl.Int128]
)
def test_a_polars_column_arrow_has_no_type_for_is_refused_in_one_line(dtype):
    X = pl.DataFrame({"x": np.arange(20.0), "i": pl.Series(range(20), dtype=dtype)})
    told = rf"column 'i' has the type {dtype}, which Arrow has none for.*pl.col\('i'\)\.cast"
    for fit in (
        lambda: Standardizer(exclude=["i"]).fit(X),
        lambda: Standardizer().fit(X),
        lambda: Standardizer(exclude=["i"]).fit(X.lazy()),
        lambda: Standardizer().fit(X.select("x")).transform(X),
    ):
        with pytest.raises(SchemaError, match=told):
            fit()
    # The way out given fits, as scikit-learn does the cast column.
    cast = X.with_columns(pl.col("i").cast(pl.Int64))
    np.testing.assert_array_equal(
        Standardizer().fit(cast).mean_, StandardScaler().fit(cast.to_numpy()).mean_
    )
