"""Any table in, the same kind out: numpy, pandas, polars (eager, and lazy frames fitted in
streaming batches), pyarrow Tables and RecordBatches, with StandardScaler's numbers; and
``set_output`` choosing pandas or polars whatever the input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.datasets import load_diabetes, load_wine
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import Standardizer
from normkit.estimator.tables import lazy_batches

RTOL = 1e-12


@pytest.fixture(scope="module")
def wine():
    frame = load_wine(as_frame=True).data
    return frame, StandardScaler().fit(frame)


def close(got, expected):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected, rtol=RTOL, atol=RTOL)


@pytest.mark.parametrize(
    ("convert", "kind"),
    [
        (lambda f: f, pd.DataFrame),
        (pl.from_pandas, pl.DataFrame),
        (lambda f: pa.Table.from_pandas(f, preserve_index=False), pa.Table),
        (
            lambda f: pa.RecordBatch.from_pandas(f, preserve_index=False),
            pa.RecordBatch,
        ),
    ],
    ids=["pandas", "polars", "arrow-table", "arrow-batch"],
)
def test_each_table_kind_comes_back_as_itself_with_standard_scalers_numbers(wine, convert, kind):
    frame, ref = wine
    table = convert(frame)
    fitted = Standardizer().fit(table)
    close(fitted.mean_, ref.mean_)
    close(fitted.var_, ref.var_)
    assert list(fitted.feature_names_in_) == list(frame.columns)
    out = fitted.transform(table)
    assert type(out) is kind
    values = out.to_pandas() if isinstance(out, pa.Table | pa.RecordBatch) else out
    close(np.asarray(values), ref.transform(frame))
    back = fitted.inverse_transform(out)
    assert type(back) is kind
    close(np.asarray(back.to_pandas() if kind in (pa.Table, pa.RecordBatch) else back), frame)


def test_polars_keeps_nulls_text_and_column_order():
    frame = pl.DataFrame(
        {"name": ["a", "b", None, "d"], "x": [1.0, None, 3.0, 4.0], "n": [1, 2, None, 8]}
    )
    fitted = Standardizer().fit(frame)
    assert list(fitted.columns_) == ["x", "n"]
    assert set(fitted.categories_) == {"name"}
    out = fitted.transform(frame)
    assert out.columns == ["name", "x", "n"]
    assert out.schema["x"] == pl.Float64
    assert out.schema["n"] == pl.Float64
    assert out["name"].to_list() == frame["name"].to_list()
    assert out["x"].is_null().to_list() == [False, True, False, False]  # null, not NaN
    x = np.array([1.0, 3.0, 4.0])
    close(out["x"].drop_nulls().to_numpy(), (x - x.mean()) / x.std())


def test_a_lazy_frame_is_fitted_in_streaming_batches_as_the_eager_one():
    X, _ = load_diabetes(return_X_y=True)
    rows = np.tile(X, (300, 1))  # 132,600 rows: more than one batch
    frame = pl.DataFrame(rows, schema=[f"f{j}" for j in range(rows.shape[1])], orient="row")
    batches = list(lazy_batches(frame.lazy().filter(pl.col("f0") > -1)))
    assert len(batches) > 1
    assert sum(b.num_rows for b in batches) == len(rows)
    lazy = Standardizer().fit(frame.lazy())
    ref = StandardScaler().fit(rows)
    close(lazy.mean_, ref.mean_)
    close(lazy.var_, ref.var_)
    eager = Standardizer().fit(frame)
    close(lazy.mean_, eager.mean_)
    out = lazy.transform(frame)
    assert isinstance(out, pl.DataFrame)
    with pytest.raises(TypeError, match="cannot transform a lazy frame") as refused:
        lazy.transform(frame.lazy())
    named = str(refused.value).rsplit(" ", 1)[-1]  # the function it names exists
    assert named == "normkit.transform_file"
    assert callable(getattr(normkit, named.split(".")[1]))


@pytest.mark.parametrize("output", ["pandas", "polars"])
@pytest.mark.parametrize("source", ["numpy", "pandas", "polars", "arrow"])
def test_set_output_gives_the_library_asked_for(wine, output, source):
    frame, ref = wine
    frame = frame.set_axis(range(100, 100 + len(frame)))  # an index a pandas output keeps
    table = {
        "numpy": frame.to_numpy(),
        "pandas": frame,
        "polars": pl.from_pandas(frame),
        "arrow": pa.Table.from_pandas(frame, preserve_index=False),
    }[source]
    fitted = Standardizer().set_output(transform=output).fit(table)
    out = fitted.transform(table)
    expected_type = pd.DataFrame if output == "pandas" else pl.DataFrame
    assert type(out) is expected_type
    names = list(frame.columns) if source != "numpy" else [f"x{j}" for j in range(13)]
    assert list(out.columns) == names == list(fitted.get_feature_names_out())
    close(out.to_numpy(), ref.transform(frame))
    if output == "pandas" and source == "pandas":
        assert list(out.index) == list(frame.index)


def test_a_polars_output_of_pandas_keeps_nan_as_scikit_learn_does():
    # pandas' NaN became polars' null, where StandardScaler's polars output (and normkit's of an
    # array) has NaN: is_nan() and is_null() told them apart.
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "b": [1, 2, 3, 5]})
    ref = StandardScaler().set_output(transform="polars").fit_transform(frame)
    for X in (frame, frame.to_numpy()):
        out = Standardizer().set_output(transform="polars").fit(X).transform(X)
        a = out.to_series(0)
        assert a.null_count() == ref["a"].null_count() == 0
        assert a.is_nan().to_list() == ref["a"].is_nan().to_list() == [False, True, False, False]
        close(out.to_numpy(), ref.to_numpy())


def test_set_output_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="must be one of"):
        Standardizer().set_output(transform="arrow")


def test_flat_running_options_equal_ema_options():
    from normkit.core.running import EmaOptions

    X = np.random.default_rng(0).normal(size=(1000, 3))
    flat = Standardizer(momentum=0.2, batch_size=64, ema_of="std").fit(X)
    nested = Standardizer(ema=EmaOptions(momentum=0.2, batch_size=64, of="std")).fit(X)
    np.testing.assert_array_equal(flat.ema_.running_var, nested.ema_.running_var)
    with pytest.raises(ValueError, match="given beside"):
        Standardizer(ema=EmaOptions(), batch_size=8).fit(X)
    assert Standardizer(ema=False).fit(X).ema_ is None


def test_a_pandas_column_of_mixed_objects_is_refused_by_name():
    frame = pd.DataFrame({"a": [1, "a", 2], "b": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"column 'a' at row 2: 'a' is not a number"):
        Standardizer().fit(frame)
    frame = pd.DataFrame({"a": [1, [2], 3], "b": [1.0, 2.0, 3.0]})  # no number, no text
    with pytest.raises(ValueError, match=r"column 'a' \(dtype object\) holds values of several"):
        Standardizer().fit(frame)


def test_an_array_of_every_input_column_keeps_those_passed_through():
    frame = pd.DataFrame({"id": [1.0, 2, 3, 4], "a": [1.0, 2, 3, 5], "b": [2.0, 4, 6, 9]})
    fitted = Standardizer(exclude=["id"]).fit(frame)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        out = fitted.transform(frame.to_numpy())
    np.testing.assert_array_equal(out[:, 0], frame["id"].to_numpy())
    np.testing.assert_array_equal(out[:, 1:], fitted.transform(frame)[["a", "b"]].to_numpy())
    with pytest.warns(UserWarning, match="valid feature names"):
        as_frame = fitted.set_output(transform="pandas").transform(frame.to_numpy())
    assert list(as_frame.columns) == ["id", "a", "b"]


def test_objects_that_are_no_table_are_refused():
    with pytest.raises(TypeError, match=r"pd.DataFrame\(X\)"):
        Standardizer().fit({"a": [1.0, 2.0]})
    fitted = Standardizer().fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(TypeError, match="cannot transform an object of type dict"):
        fitted.transform({"a": [1.0, 2.0]})


@pytest.mark.parametrize(
    ("column", "fragment"),
    [
        (np.arange(4) + 1j, "column 'c' (dtype complex128) has no Arrow type"),
        (pd.arrays.SparseArray([0.0, 1.0, 0.0, 2.0]), "column 'c' (dtype Sparse[float64, nan])"),
    ],
    ids=["complex", "sparse"],
)
def test_a_frame_column_arrow_cannot_hold_is_refused_by_name(column, fragment):
    frame = pd.DataFrame({"a": [1.0, 2.0, 4.0, 8.0], "c": column})
    with pytest.raises(normkit.SchemaError, match=re.escape(fragment)):
        Standardizer().fit(frame)
    # Passed through by a transform, it stays as it is.
    out = Standardizer().fit(frame[["a"]]).transform(frame)
    pd.testing.assert_series_equal(out["c"], frame["c"])


@pytest.mark.parametrize("kind", ["pandas", "arrow table", "record batch"])
def test_a_table_with_two_columns_of_one_name_is_refused(kind):
    # An Arrow table or batch raised pyarrow's KeyError ("Column a does not exist in schema",
    # 'Field "a" exists 2 times in schema') where a DataFrame was told.
    frame = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["a", "a", "b"])
    table = pa.table(list(frame.to_numpy().T), names=list(frame.columns))
    given = {"pandas": frame, "arrow table": table, "record batch": table.to_batches()[0]}[kind]
    fitted = Standardizer().fit(frame.iloc[:, 1:])
    told = r"^the (DataFrame|Arrow table|record batch) has two columns named 'a': which is which"
    for call in (
        lambda: Standardizer().fit(given),
        lambda: Standardizer().partial_fit(given),
        lambda: fitted.transform(given),
        lambda: fitted.inverse_transform(given),
        lambda: list(fitted.transform([given])),
        lambda: list(fitted.transform_stream([given], "batch")),
    ):
        with pytest.raises(normkit.SchemaError, match=told):
            call()


def test_transform_takes_scikit_learns_copy_argument():
    frame = pd.DataFrame({"a": [1.0, 2.0, 4.0]})
    fitted = Standardizer().fit(frame)
    for copy in (None, True, False):
        out = fitted.transform(frame, copy=copy)
        assert out is not frame
        assert frame["a"].tolist() == [1.0, 2.0, 4.0]


def test_multiindex_columns_with_levels_other_than_text_are_transformed_as_fitted():
    # fit named the columns as pyarrow does, ('a', '1'), transform looked them up as ('a', 1):
    # the frame just fitted was refused ('the DataFrame has no column').
    frame = pd.DataFrame(
        np.arange(12.0).reshape(4, 3) ** 2,
        columns=pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)]),
    )
    fitted = Standardizer().fit(frame)
    out = fitted.transform(frame)
    assert list(out.columns) == list(frame.columns)
    np.testing.assert_allclose(out, StandardScaler().fit_transform(frame), rtol=1e-12)
    np.testing.assert_allclose(fitted.inverse_transform(out), frame, rtol=1e-12)


@pytest.mark.parametrize("kind", ["pandas", "arrow", "polars", "stream", "pandas stream"])
def test_a_value_that_is_no_number_in_a_fitted_column_is_refused_by_column_and_row(kind):
    # A raw ValueError ('could not convert string to float') or ArrowInvalid, naming neither.
    fitted = Standardizer().fit(pd.DataFrame({"a": [1.0, 2, 3], "b": [1.0, 5, 6]}))
    values = {"a": ["1", None, "2.5", "x"], "b": [1.0, 2, 3, 4]}
    given = {
        "pandas": lambda: pd.DataFrame(values),
        "arrow": lambda: pa.table(values),
        "polars": lambda: pl.DataFrame(values),
        "stream": lambda: iter(pa.table(values).to_batches(max_chunksize=2)),
        # Its row in the batch after the rows before it, as fit names it (it said row 2).
        "pandas stream": lambda: iter([pd.DataFrame(values)[:2], pd.DataFrame(values)[2:]]),
    }[kind]

    def transformed():
        out = fitted.transform(given())
        return list(out) if "stream" in kind else out

    where = {
        "stream": "this batch, after 2 rows transformed: column 'a' at row 2",
        "pandas stream": "this batch, after 2 rows transformed: column 'a' at row 2 (index 3)",
    }.get(kind, "column 'a' at row 4")
    with pytest.raises(normkit.DataError, match=re.escape(f"{where}: 'x' is not a number")):
        transformed()
    with pytest.raises(normkit.DataError, match=r"column 'a' at row 4: 'x' is not a number"):
        list(fitted.transform_stream(given(), "adaptive"))
    # Numbers as text are converted, as scikit-learn converts them.
    values["a"][3] = "4"
    out = pa.table(fitted.transform(pa.table(values)))
    expected = (np.array([1.0, np.nan, 2.5, 4.0]) - 2.0) / np.sqrt(2 / 3)
    np.testing.assert_allclose(out.column("a").to_numpy(zero_copy_only=False), expected)


def test_merge_takes_only_another_standardizer():
    fitted = Standardizer().fit(pd.DataFrame({"a": [1.0, 2, 3]}))
    with pytest.raises(TypeError, match="merge takes another Standardizer, not int"):
        fitted.merge(3)


def test_a_later_batch_of_text_or_without_a_fitted_column_is_refused_by_name():
    # A raw ArrowInvalid ('Failed to parse string'), or KeyError ('Field "y" does not exist').
    first = pd.DataFrame({"x": [1.0, 2, 3], "y": [1.0, 2, 3]})
    later = first.assign(y=["1", "zz", "3"])
    fitted = Standardizer().fit(first)
    in_batch = r"^this batch, after 3 rows fitted: column 'y' at row 2: 'zz' is not a number"
    with pytest.raises(normkit.DataError, match=in_batch):
        Standardizer().fit([first, later])
    with pytest.raises(normkit.DataError, match=in_batch):
        Standardizer().partial_fit(first).partial_fit(later)
    with pytest.raises(normkit.DataError, match=r"column 'y' at row 5: 'zz' is not a number"):
        normkit.drift_batches([first, later], fitted)
    with pytest.raises(normkit.SchemaError, match="no column 'y' in a batch of the stream"):
        list(fitted.transform_stream([first, first[["x"]]], "batch"))


@pytest.mark.parametrize(
    "X",
    [
        np.array([[1.0, 2.0], [3.0, "zz"]], dtype=object),
        np.array([["1", "2"], ["3", "zz"]]),
        [[1, 2], [3, "zz"]],
    ],
    ids=["object", "str", "list"],
)
def test_a_word_in_an_array_is_refused_naming_its_column_and_row(X):
    # numpy's "could not convert string to float: 'zz'" named neither.
    message = r"^column 'x1' at row 2: 'zz' is not a number; make the column numbers"
    with pytest.raises(normkit.DataError, match=message):
        Standardizer().fit(X)
    fitted = Standardizer().fit([[1.0, 2.0], [3.0, 4.0]])
    for method in (fitted.transform, fitted.inverse_transform):
        with pytest.raises(normkit.DataError, match=message):
            method(X)
    with pytest.raises(normkit.DataError, match="^this batch, after 2 rows fitted: " + message[1:]):
        fitted.partial_fit(X)
    # Numbers as text are numbers, as scikit-learn converts them.
    assert Standardizer().fit(np.array([["1", "2"], ["3", "6"]])).mean_.tolist() == [2.0, 4.0]


def _dates_in_a(kind: str):
    import datetime as dt

    days = [dt.date(2020, 1, d) for d in (1, 2, 3)]
    b = [1.0, 2.0, 3.0]
    return {
        "pandas datetime": lambda: pd.DataFrame({"a": pd.to_datetime(days), "b": b}),
        "pandas datetime tz": lambda: pd.DataFrame(
            {"a": pd.to_datetime(days).tz_localize("UTC"), "b": b}
        ),
        "pandas timedelta": lambda: pd.DataFrame({"a": pd.to_timedelta(b, unit="s"), "b": b}),
        "pandas arrow date": lambda: pd.DataFrame(
            {"a": pd.array(days, dtype=pd.ArrowDtype(pa.date32())), "b": b}
        ),
        "polars date": lambda: pl.DataFrame({"a": days, "b": b}),
        "polars duration": lambda: pl.DataFrame(
            {"a": [dt.timedelta(seconds=s) for s in b], "b": b}
        ),
        "pyarrow date": lambda: pa.table({"a": pa.array(days), "b": b}),
        "pyarrow timestamp": lambda: pa.table(
            {"a": pa.array(days).cast(pa.timestamp("s")), "b": b}
        ),
    }[kind]()


@pytest.mark.parametrize("method", ["transform", "inverse_transform", "partial_fit"])
@pytest.mark.parametrize(
    "kind",
    [
        "pandas datetime",
        "pandas datetime tz",
        "pandas timedelta",
        "pandas arrow date",
        "polars date",
        "polars duration",
        "pyarrow date",
        "pyarrow timestamp",
    ],
)
def test_dates_times_and_durations_in_a_fitted_column_are_refused_by_name(kind, method):
    # pandas' datetimes came out scaled as epoch microseconds (1.9e15) without a word; Arrow's
    # dates raised pyarrow's "Unsupported cast from date32[day] to double", naming no column.
    fitted = Standardizer().fit(pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [1.0, 5.0, 2.0]}))
    with pytest.raises(normkit.SchemaError, match=r"column 'a' holds \S+.* values \(dates"):
        getattr(fitted, method)(_dates_in_a(kind))


def _booleans_in_b(kind: str):
    flags = [True, False, True]
    a = [1.0, 2.0, 3.0]
    return {
        "pandas bool": lambda: pd.DataFrame({"a": a, "b": flags}),
        "pandas boolean": lambda: pd.DataFrame({"a": a, "b": pd.array(flags, dtype="boolean")}),
        "pandas arrow bool": lambda: pd.DataFrame(
            {"a": a, "b": pd.array(flags, dtype=pd.ArrowDtype(pa.bool_()))}
        ),
        "polars Boolean": lambda: pl.DataFrame({"a": a, "b": flags}),
        "pyarrow bool": lambda: pa.table({"a": a, "b": flags}),
    }[kind]()


@pytest.mark.parametrize("method", ["transform", "inverse_transform", "partial_fit"])
@pytest.mark.parametrize(
    "kind", ["pandas bool", "pandas boolean", "pandas arrow bool", "polars Boolean", "pyarrow bool"]
)
def test_booleans_in_a_fitted_column_of_a_frame_are_refused_by_name_and_type(kind, method):
    # They came out as 1 and 0 normalized (-2.1466...), exit 0, where the command line and a
    # fit choosing the column refuse them.
    fitted = Standardizer().fit(pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [10.0, 20.0, 30.0]}))
    # A later batch of a fit is read as Arrow, whose type it names; transform names pandas'.
    pandas_types = {"pandas boolean": "boolean", "pandas arrow bool": r"bool\[pyarrow\]"}
    dtype = "bool" if method == "partial_fit" else pandas_types.get(kind, "bool")
    with pytest.raises(
        normkit.SchemaError,
        match=rf"column 'b' has type {dtype}, which is not numeric; cast it to numbers if its "
        r"True and False are the 1 and 0 it was fitted on \(pandas: df\['b'\]\.astype\(float\)",
    ):
        getattr(fitted, method)(_booleans_in_b(kind))


def test_booleans_are_refused_in_drift_batches_and_in_a_frame_given_by_position():
    fitted = Standardizer().fit(pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [10.0, 20.0, 30.0]}))
    flags = _booleans_in_b("pandas bool")
    with pytest.raises(normkit.SchemaError, match=r"^column 'b' has type bool, which is not"):
        normkit.drift_batches([flags], fitted)
    on_array = Standardizer().fit(np.array([[1.0, 10.0], [2.0, 20.0], [4.0, 30.0]]))
    with (
        pytest.warns(UserWarning, match="feature names"),
        pytest.raises(normkit.SchemaError, match=r"^column 'b' has type bool, which is not"),
    ):
        on_array.transform(flags)


def test_a_whole_numpy_array_of_booleans_is_scaled_as_0_and_1_as_scikit_learn_does():
    X = np.array([[1.0, 0.0], [0.0, 5.0], [1.0, 2.0]])
    ref, ours = StandardScaler().fit(X), Standardizer().fit(X)
    flags = np.array([[True, False], [False, True], [True, True]])
    np.testing.assert_array_equal(ours.transform(flags), ref.transform(flags))


def test_python_booleans_among_objects_in_a_fitted_column_are_refused_at_their_row():
    fitted = Standardizer().fit(pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [10.0, 20.0, 30.0]}))
    objects = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": pd.Series([1.0, True, 3.0], dtype=object)})
    with pytest.raises(normkit.DataError, match=r"^column 'b' at row 2: True is a boolean, not a"):
        fitted.transform(objects)


def test_complex_numbers_in_a_fitted_pandas_column_are_refused_by_name():
    # pandas' ComplexWarning alone, and the imaginary parts dropped: a -> -1.34, -0.45.
    fitted = Standardizer().fit(pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [10.0, 20.0, 30.0]}))
    given = pd.DataFrame({"a": [1 + 5j, 2 + 0j, 3 + 0j], "b": [10.0, 20.0, 30.0]})
    for method in (fitted.transform, fitted.inverse_transform):
        with pytest.raises(
            normkit.SchemaError,
            match=r"^column 'a' holds complex numbers \(dtype complex128\): complex data not "
            r"supported; give its real part",
        ):
            method(given)
    with pytest.raises(ValueError, match="Complex data not supported"):  # as scikit-learn's
        fitted.transform(given.to_numpy())


def test_a_text_value_in_a_pandas_column_of_numbers_at_fit_names_its_row_as_transform_does():
    # fit said "holds values of several types: Could not convert 'oops'", naming no row.
    frame = pd.DataFrame({"a": [1.0, 2.0, "oops", 4.0], "b": [1.0, 2.0, 3.0, 4.0]})
    message = r"column 'a' at row 3: 'oops' is not a number"
    with pytest.raises(normkit.DataError, match=message):
        Standardizer().fit(frame)
    fitted = Standardizer().fit(frame.assign(a=[1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(normkit.DataError, match=message):
        fitted.transform(frame)
    # A later batch's row is its own, after the rows fitted before it; an index of the
    # frame's own is named too.
    told = r"^this batch, after 4 rows fitted: column 'a' at row 3: 'oops' is not a number"
    with pytest.raises(normkit.DataError, match=told):
        fitted.partial_fit(frame)
    indexed = frame.set_index(pd.Index([10, 20, 30, 40]))
    at_30 = r"column 'a' at row 3 \(index 30\): 'oops' is not a number"
    with pytest.raises(normkit.DataError, match=at_30):
        Standardizer().fit(indexed)
    with pytest.raises(normkit.DataError, match=at_30):
        fitted.transform(indexed)
    # A word in a later batch's text column is named by its index label too, as in the first.
    fresh = Standardizer().partial_fit(indexed.assign(a=[1.0, 2.0, 3.0, 4.0]))
    later = pd.DataFrame({"a": ["1.5", "2", "oops", "4"]}, index=[10, 20, 30, 40])
    with pytest.raises(normkit.DataError, match="^this batch, after 4 rows fitted: " + at_30):
        fresh.partial_fit(later.assign(**{c: indexed[c] for c in indexed if c != "a"}))
    # An index given as a list holds numpy integers: 30, not np.int64(30).
    with pytest.raises(normkit.DataError, match=at_30):
        Standardizer().fit(pd.DataFrame(frame.to_dict("list"), index=[10, 20, 30, 40]))


def test_an_infinite_value_is_named_by_its_index_label_as_a_word_is():
    # A word got "at row 3 (index 30)", an infinity in the same place "at row 3" alone.
    frame = pd.DataFrame({"a": [1.0, 2.0, np.inf, 4.0], "b": [1.0, 2.0, 3.0, 4.0]})
    indexed = frame.set_index(pd.Index([10, 20, 30, 40]))
    at_30 = r"column 'a' at row 3 \(index 30\): inf is not finite"
    with pytest.raises(normkit.DataError, match="^" + at_30):
        Standardizer().fit(indexed)
    fitted = Standardizer().fit(frame.assign(a=[1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(normkit.DataError, match="^" + at_30):
        fitted.transform(indexed)
    with pytest.raises(normkit.DataError, match="^" + at_30):
        fitted.inverse_transform(indexed)
    with pytest.raises(normkit.DataError, match="^this batch, after 4 rows fitted: " + at_30):
        Standardizer().partial_fit(frame.assign(a=[1.0, 2.0, 3.0, 4.0])).partial_fit(indexed)
    # The default index says no more than the row: not repeated.
    with pytest.raises(normkit.DataError, match=r"^column 'a' at row 3: inf is not finite"):
        Standardizer().fit(frame)


@pytest.mark.parametrize("frames", ["pandas", "polars", "pandas-string", "polars-string"])
def test_a_column_of_no_value_in_the_first_batch_is_fitted_on_the_later_ones(frames):
    # A SQL chunk whose column is all NULL: pandas makes it None (object), polars Null; typed as
    # text (polars' String, pandas' string), it was passed through as text, and the later
    # batches' numbers went out raw.
    rng = np.random.default_rng(0)
    x1, x2, y = rng.normal(size=500), rng.normal(size=500), rng.normal(50, 5, 500)
    if frames.startswith("pandas"):
        first = pd.DataFrame({"x": x1, "y": [None] * 500})
        if frames.endswith("string"):
            first["y"] = first["y"].astype("string")
        later = pd.DataFrame({"x": x2, "y": y})
    else:
        first = pl.DataFrame({"x": x1}).with_columns(y=pl.lit(None))
        if frames.endswith("string"):
            first = first.with_columns(pl.col("y").cast(pl.String))
        later = pl.DataFrame({"x": x2, "y": y})
    stream = normkit.Standardizer().fit(iter([first, later]))
    batches = normkit.Standardizer().partial_fit(first).partial_fit(later)
    # The same as a first batch whose column is float64 NaN: BatchNorm's running statistics
    # skip a batch without the column's values.
    numeric = pd.DataFrame({"x": x1, "y": np.full(500, np.nan)})
    expected = normkit.Standardizer().fit(iter([numeric, pd.DataFrame({"x": x2, "y": y})]))
    reference = StandardScaler().fit(
        np.column_stack([np.r_[x1, x2], np.r_[np.full(500, np.nan), y]])
    )
    for fitted in (stream, batches):
        assert fitted.columns_.tolist() == ["x", "y"]
        np.testing.assert_allclose(fitted.mean_, reference.mean_, rtol=1e-12)
        np.testing.assert_allclose(fitted.var_, reference.var_, rtol=1e-12)
        assert fitted.ema_.running_mean.tolist() == expected.ema_.running_mean.tolist()
        assert fitted.ema_.n_skipped.tolist() == expected.ema_.n_skipped.tolist()
        fitted.transform(later)  # its values are the fitted column's
    # No value in any batch: passed through, as a fit of files passes it.
    empty = normkit.Standardizer().fit(iter([first, first]))
    assert empty.columns_.tolist() == ["x"]
    assert [(p.name, p.why) for p in empty.stats_.passthrough] == [("y", "no values")]


def test_text_after_a_first_batch_of_no_value_names_the_way_to_pass_it_through():
    # The first batch says nothing of the column's type; text in a later one is refused, and
    # the refusal says how to keep the column as text: excluded from the first batch on.
    first = pd.DataFrame({"x": [1.0, 2.0], "name": [None, None]})
    later = pd.DataFrame({"x": [3.0, 4.0], "name": ["ana", "bo"]})
    fitted = normkit.Standardizer().partial_fit(first)
    with pytest.raises(normkit.DataError, match=r"exclude=\['name'\]") as refused:
        fitted.partial_fit(later)
    assert str(refused.value).startswith(
        "this batch, after 2 rows fitted: column 'name' at row 1: 'ana' is not a number"
    )
    kept = normkit.Standardizer(exclude=["name"]).partial_fit(first).partial_fit(later)
    assert kept.transform(later)["name"].tolist() == ["ana", "bo"]


def test_a_value_refused_in_a_later_batch_of_a_stream_is_named_as_fit_names_it():
    # transform said 'column 'b' at row 106', where fit says the batch, its row and index label.
    frame = pd.DataFrame({"a": np.arange(150.0), "b": np.linspace(0, 1, 150)})
    frame.loc[105, "b"] = np.inf
    fitted = Standardizer().fit(frame.iloc[:100])
    where = "this batch, after 100 rows {}: column 'b' at row 6 (index 105): inf is not finite"
    with pytest.raises(normkit.DataError, match=re.escape(where.format("fitted"))):
        Standardizer().fit([frame.iloc[:100], frame.iloc[100:]])
    for method, done in ((fitted.transform, "transformed"), (fitted.inverse_transform, "inverted")):
        with pytest.raises(normkit.DataError, match=re.escape(where.format(done))):
            list(method([frame.iloc[:100], frame.iloc[100:]]))


def test_a_refused_value_of_a_multiindexed_frame_names_its_label_as_pandas_shows_it():
    # It said '(index (np.int64(25), np.int64(0)))'.
    index = pd.MultiIndex.from_arrays([[1, 2, 25], [0, 0, 0]])
    frame = pd.DataFrame({"a": [1.0, 2.0, np.inf]}, index=index)
    with pytest.raises(normkit.DataError, match=re.escape("column 'a' at row 3 (index (25, 0)):")):
        Standardizer().fit(frame)
