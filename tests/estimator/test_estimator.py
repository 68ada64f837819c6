"""The Python API: estimator behaviour on in-memory data, scikit-learn interop, merging."""

from __future__ import annotations

import json
import pickle
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import SchemaError, Standardizer

NUMERIC = ["count", "x", "offset", "tiny", "constant"]


def test_dataframe_transform_keeps_index_order_and_other_columns(mixed_frame):
    df = mixed_frame.set_index(mixed_frame.index * 10)
    stats = Standardizer(exclude=["id"]).fit(df)
    out = stats.transform(df)
    assert list(out.columns) == list(df.columns)
    assert out.index.equals(df.index)
    pd.testing.assert_series_equal(out["label"], df["label"])
    pd.testing.assert_series_equal(out["id"], df["id"])
    assert out["count"].dtype == np.float64
    assert out["x"].isna().equals(df["x"].isna())
    assert df["count"].dtype == np.int64  # the input is not modified
    # The output's columns passed through are its own: writing to them leaves the input be.
    out.loc[out.index[0], "id"] = -1
    assert df["id"].iloc[0] != -1


def test_a_wide_frame_keeps_its_columns_types_and_labels():
    # A frame's columns are replaced at once (one at a time cost minutes at 20,000 columns):
    # columns passed through keep their types, labels their kind, a repeated index its rows.
    rng = np.random.default_rng(0)
    names = [f"c{i}" for i in range(300)]
    frame = pd.DataFrame(
        rng.normal(size=(50, 300)), index=np.repeat(np.arange(25), 2), columns=names
    )
    frame["kind"] = pd.Categorical(rng.choice(["a", "b"], 50))
    frame["n"] = pd.array(rng.integers(0, 9, 50), dtype="Int64")
    frame.attrs["source"] = "s"
    stats = Standardizer(columns=names).fit(frame)
    out = stats.transform(frame)
    assert out.columns.equals(frame.columns)
    assert out.index.equals(frame.index)
    assert out.attrs == {"source": "s"}
    assert out["kind"].dtype == frame["kind"].dtype
    assert out["n"].dtype == pd.Int64Dtype()
    want = StandardScaler().fit_transform(frame[names])
    np.testing.assert_allclose(out[names].to_numpy(), want, rtol=1e-12, atol=1e-14)
    back = stats.inverse_transform(out)
    np.testing.assert_allclose(back[names], frame[names], rtol=1e-12)


def test_bool_and_text_columns_are_not_numeric():
    df = pd.DataFrame({"flag": [True, False, True], "name": ["a", "b", "c"], "v": [1, 2, 4]})
    stats = Standardizer().fit(df)
    assert list(stats.columns_) == ["v"]


def test_columns_and_exclude_select(mixed_frame):
    assert list(Standardizer(columns=["x", "count"]).fit(mixed_frame).columns_) == [
        "count",
        "x",
    ]
    assert "count" not in Standardizer(exclude=["id", "count"]).fit(mixed_frame).columns_
    with pytest.raises(SchemaError, match=r"no column 'nope' in the input \(given in columns\)"):
        Standardizer(columns=["nope"]).fit(mixed_frame)
    with pytest.raises(
        SchemaError, match=r"column 'label' has type (large_)?string, which is not numeric"
    ):
        Standardizer(columns=["label"]).fit(mixed_frame)


def test_arrow_table_batch_and_stream_give_the_same_result(mixed_frame):
    table = pa.Table.from_pandas(mixed_frame, preserve_index=False)
    stats = Standardizer(exclude=["id"]).fit(table.to_batches(max_chunksize=33))
    by_table = stats.transform(table)
    by_stream = pa.Table.from_batches(
        list(stats.transform(iter(table.to_batches(max_chunksize=50))))
    )
    assert by_table.equals(by_stream)
    assert by_table.schema.field("count").type == pa.float64()
    assert by_table.column("label").equals(table.column("label"))
    first = stats.transform(table.to_batches()[0])
    assert isinstance(first, pa.RecordBatch)


@pytest.mark.parametrize("kind", ["iterator", "generator", "reader"])
def test_fit_transform_refuses_a_stream_read_once_before_reading_it(kind):
    # Fitted, the stream was used up, and the transform returned no rows without a word.
    frame = pd.DataFrame({"a": [1.0, 2.0, 4.0, 8.0], "b": [3.0, 1.0, 0.0, 5.0]})
    batches = pa.Table.from_pandas(frame).to_batches(max_chunksize=2)
    stream = {
        "iterator": lambda: iter([frame]),
        "generator": lambda: (batch for batch in batches),
        "reader": lambda: pa.RecordBatchReader.from_batches(batches[0].schema, batches),
    }[kind]()
    scaler = Standardizer()
    with pytest.raises(TypeError, match=r"can be read only once.*give a list of its tables"):
        scaler.fit_transform(stream)
    assert sum(len(batch) for batch in stream) == 4  # not read
    assert not hasattr(scaler, "columns_")
    # A list of tables is read twice: the rows come back transformed.
    out = pa.Table.from_batches(list(Standardizer().fit_transform(batches)))
    np.testing.assert_allclose(out.to_pandas(), StandardScaler().fit_transform(frame))


@pytest.mark.parametrize("kind", ["iterator", "generator", "reader"])
def test_the_stream_fit_read_is_refused_to_a_transform(kind):
    # fit(g) used g up: transform(g) then returned no rows without a word.
    table = pa.table({"a": [1.0, 2.0, 4.0, 8.0], "b": [3.0, 1.0, 0.0, 5.0]})
    batches = table.to_batches(max_chunksize=2)
    stream = {
        "iterator": lambda: iter(batches),
        "generator": lambda: (batch for batch in batches),
        "reader": lambda: pa.RecordBatchReader.from_batches(table.schema, batches),
    }[kind]()
    scaler = Standardizer().fit(stream)
    kind_name = type(stream).__name__
    for method, call in (
        ("transform", lambda: list(scaler.transform(stream))),
        ("inverse_transform", lambda: list(scaler.inverse_transform(stream))),
        ("transform_stream", lambda: list(scaler.transform_stream(stream, "batch"))),
    ):
        with pytest.raises(TypeError) as refused:
            call()
        assert str(refused.value) == (
            f"{method} was given the {kind_name} that fit read, and a {kind_name} can be read "
            "only once: the transform would get no rows; fit(stream), then transform (or "
            "transform_stream) a second pass over the data, or give a list of its tables"
        )
    # A second pass over the data is transformed; a pickled estimator keeps no stream.
    again = pa.Table.from_batches(list(scaler.transform(iter(batches))))
    np.testing.assert_allclose(again.to_pandas(), StandardScaler().fit_transform(table))
    assert pickle.loads(pickle.dumps(scaler)).transform(table).num_rows == 4


def test_to_sklearn_transforms_like_normkit(mixed_frame):
    stats = Standardizer(exclude=["id"]).fit(mixed_frame)
    scaler = stats.to_sklearn()
    assert isinstance(scaler, StandardScaler)
    assert list(scaler.feature_names_in_) == NUMERIC
    np.testing.assert_array_equal(scaler.mean_, stats.mean_)
    np.testing.assert_array_equal(scaler.scale_, stats.scale_)
    np.testing.assert_array_equal(scaler.n_samples_seen_, stats.n_samples_seen_)
    np.testing.assert_array_equal(
        scaler.transform(mixed_frame[NUMERIC]), stats.transform(mixed_frame)[NUMERIC].to_numpy()
    )


def test_to_sklearn_uses_a_scalar_count_without_missing_values():
    scaler = Standardizer().fit(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 5.0]})).to_sklearn()
    assert scaler.n_samples_seen_ == 2


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_n_samples_seen_is_one_number_or_one_per_column_as_scikit_learns(missing, weighted):
    # Standardizer's was always an array, where scikit-learn gives one number when no value
    # is missing (code written for StandardScaler compares it with a number).
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    if missing:
        X[1, 1] = np.nan
    w = np.array([1.0, 2.0, 3.0]) if weighted else None
    ref = StandardScaler().fit(X, sample_weight=w)
    ours = Standardizer().fit(X, sample_weight=w)
    for seen in (ours.n_samples_seen_, ours.to_sklearn().n_samples_seen_):
        assert np.ndim(seen) == np.ndim(ref.n_samples_seen_) == (1 if missing else 0)
        np.testing.assert_array_equal(seen, ref.n_samples_seen_)
    assert ours.stats_.count.shape == (2,)  # one per column, always


@pytest.mark.parametrize("subset", [False, True])
def test_a_frame_of_several_blocks_with_gaps_is_fitted_to_standard_scalers_bits(subset):
    # A nullable integer column made float: a frame of three blocks, which pandas hands to
    # scikit-learn in one memory layout, whose sums end in other bits than a column's alone.
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame.iloc[:, :13]
    frame["magnesium"] = frame["magnesium"].astype("Int64")
    frame.loc[[3, 10], "magnesium"] = pd.NA
    X = frame.astype("float64")
    if subset:
        X["name"] = "wine"  # passed through: scikit-learn is given the other columns
    numeric = X.drop(columns="name") if subset else X
    ref = StandardScaler().fit(numeric)
    ours = Standardizer().fit(X)
    np.testing.assert_array_equal(ours.mean_, ref.mean_)
    np.testing.assert_array_equal(ours.var_, ref.var_)
    np.testing.assert_array_equal(ours.transform(X)[list(numeric.columns)], ref.transform(numeric))


def test_from_sklearn_round_trip_is_bit_exact(mixed_frame):
    data = mixed_frame[NUMERIC]
    ref = StandardScaler().fit(data)
    stats = Standardizer.from_sklearn(ref)
    assert list(stats.columns_) == NUMERIC
    np.testing.assert_array_equal(stats.mean_, ref.mean_)
    np.testing.assert_array_equal(stats.var_, ref.var_)
    np.testing.assert_array_equal(stats.scale_, ref.scale_)
    np.testing.assert_array_equal(stats.transform(data)[NUMERIC].to_numpy(), ref.transform(data))
    # and through the stat file
    again = normkit.loads(normkit.dumps(stats))
    np.testing.assert_array_equal(again.transform(data)[NUMERIC].to_numpy(), ref.transform(data))


def test_from_sklearn_on_an_unnamed_array():
    ref = StandardScaler().fit(np.array([[1.0, 10.0], [3.0, 30.0]]))
    stats = Standardizer.from_sklearn(ref)
    assert list(stats.columns_) == ["x0", "x1"]
    np.testing.assert_array_equal(stats.transform(np.array([[2.0, 20.0]])), [[0.0, 0.0]])


def test_merge_of_shards_equals_fit_on_all(mixed_frame):
    halves = [mixed_frame.iloc[:200], mixed_frame.iloc[200:]]
    a, b = (Standardizer(exclude=["id"]).fit(h) for h in halves)
    whole = Standardizer(exclude=["id"]).fit(mixed_frame)
    for merged in (a.merge(b), b.merge(a)):
        np.testing.assert_allclose(merged.var_, whole.var_, rtol=1e-12)
        np.testing.assert_array_less(
            np.abs(merged.mean_ - whole.mean_),
            1e-12 * (np.abs(whole.mean_) + whole.scale_) + 1e-300,
        )
        np.testing.assert_array_equal(merged.n_samples_seen_, whole.n_samples_seen_)


def test_merge_refuses_the_same_data_twice_as_merge_stats_does(tmp_path, mixed_frame):
    # s.merge(s) doubled the row counts without a word, where merge-stats refuses the same rows.
    fitted = Standardizer(exclude=["id"]).fit(mixed_frame)
    same = r"^the Standardizer given to merge: the same statistics as this Standardizer .*would count twice"
    for again in (
        fitted,  # the same object
        Standardizer(exclude=["id"]).fit(mixed_frame),  # a fit of the same data
        Standardizer(exclude=["id"], batch_size=7).fit(  # in other batches: rounding apart
            pa.Table.from_pandas(mixed_frame).to_batches(max_chunksize=33)
        ),
    ):
        with pytest.raises(normkit.OptionError, match=same):
            fitted.merge(again)
    # Fitted on one file: told as merge-stats tells it.
    mixed_frame.to_csv(tmp_path / "m.csv", index=False)
    of_file = normkit.fit_files(tmp_path / "m.csv", Standardizer(exclude=["id"]))
    with pytest.raises(normkit.OptionError, match=r"both were fitted on .*m\.csv \(500 rows\)"):
        of_file.merge(of_file)
    with pytest.raises(normkit.OptionError, match=same):
        of_file.merge(fitted)  # one names no file: told by its numbers
    # Other rows merge.
    other = Standardizer(exclude=["id"]).fit(mixed_frame.iloc[:100])
    assert fitted.merge(other).n_rows_seen_ == 600
    # Shards where no column varies (a bias feature's) have the same numbers as often as not:
    # they tell nothing, and merge; one such fit given twice is still refused.
    ones = Standardizer().fit(pd.DataFrame({"bias": np.ones(50)}))
    assert ones.merge(Standardizer().fit(pd.DataFrame({"bias": np.ones(50)}))).n_rows_seen_ == 100
    with pytest.raises(normkit.OptionError, match=same):
        ones.merge(ones)
    # Nor do binary ones: balanced folds of other rows (a permutation) have their numbers.
    fold = pd.DataFrame({"x": [1.0, 0, 1, 0], "y": [1.0, 0, 0, 1]})
    other_fold = pd.DataFrame({"x": [1.0, 0, 0, 1], "y": [0.0, 1, 1, 0]})
    assert Standardizer().fit(fold).merge(Standardizer().fit(other_fold)).n_rows_seen_ == 8


def test_fit_is_a_reset_and_partial_fit_accumulates(mixed_frame):
    stats = Standardizer(exclude=["id"])
    stats.partial_fit(mixed_frame.iloc[:100]).partial_fit(mixed_frame.iloc[100:])
    again = Standardizer(exclude=["id"]).fit(mixed_frame.iloc[:10]).fit(mixed_frame)
    np.testing.assert_allclose(stats.var_, again.var_, rtol=1e-12)
    assert stats.n_rows_seen_ == again.n_rows_seen_ == len(mixed_frame)


def test_partial_fit_refuses_a_column_the_first_batches_did_not_have(mixed_frame):
    """A new numeric column was left out of the statistics and passed through raw by
    transform; scikit-learn refuses it, and so does normkit. Another order is the same
    columns."""
    first, later = mixed_frame.iloc[:100], mixed_frame.iloc[100:]
    stats = Standardizer(exclude=["id"]).partial_fit(first)
    with pytest.raises(SchemaError, match=r"column 'extra' was not in the batches fitted so far"):
        stats.partial_fit(later.assign(extra=np.arange(len(later), dtype=float)))
    numbers = ["count", "x", "offset"]
    with pytest.raises(ValueError, match="feature names should match"):
        StandardScaler().partial_fit(first[numbers]).partial_fit(later[numbers].assign(extra=1.0))
    # A column the first batch had, missing from a later one, even excluded: refused.
    for gone in ("id", "x"):
        with pytest.raises(SchemaError, match=f"no column '{gone}' in this batch, which the"):
            stats.partial_fit(later.drop(columns=[gone]))
    # Continuing statistics loaded (fitted on a file of more columns), batches of the fitted
    # columns alone are taken, again and again; a text column of numbers passed through by
    # that fit is not refused.
    loaded = Standardizer.from_stats(
        Standardizer(exclude=["id"]).fit(first.assign(code=["a"] * len(first))).stats_
    )
    for _ in range(2):
        loaded.partial_fit(later.drop(columns=["id", "label"]))
    loaded.partial_fit(later.assign(code=["2"] * len(later)))
    stats.partial_fit(later[list(reversed(later.columns))])
    # After a fit, or statistics loaded: a column they did not have is refused too (it was
    # left out of the statistics without a word).
    for done in (Standardizer(exclude=["id"]).fit(first), loaded):
        with pytest.raises(SchemaError, match=r"column 'extra' was not in the batches fitted"):
            done.partial_fit(later.assign(extra=1.0))
    # Fitted on arrays (no names), a table of another width is refused by its width.
    arrays = Standardizer().partial_fit(np.arange(100.0).reshape(50, 2))
    with pytest.raises(SchemaError, match="X has 3 features, but Standardizer is expecting 2"):
        arrays.partial_fit(pd.DataFrame(np.ones((5, 3)), columns=["x0", "x1", "extra"]))
    whole = Standardizer(exclude=["id"]).fit(mixed_frame)
    np.testing.assert_allclose(stats.var_, whole.var_, rtol=1e-12)
    assert stats.n_rows_seen_ == len(mixed_frame)


def test_partial_fit_mixes_arrays_and_tables_by_position_and_takes_a_lazy_frame():
    """As transform takes them, and scikit-learn's partial_fit (with its warnings): the rows of
    an array after a table (and of a table after arrays) are the columns in their order."""
    import polars as pl

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=100), "b": rng.normal(3.0, 2.0, size=100)})
    whole = Standardizer().fit(df)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        mixed = Standardizer().partial_fit(df.iloc[:50]).partial_fit(df.iloc[50:].to_numpy())
    with pytest.warns(UserWarning, match="X has feature names, but Standardizer was fitted"):
        other = Standardizer().partial_fit(df.iloc[:50].to_numpy()).partial_fit(df.iloc[50:])
    lazy = Standardizer().partial_fit(pl.from_pandas(df).lazy())
    for stats in (mixed, other, lazy):
        np.testing.assert_allclose(stats.var_, whole.var_, rtol=1e-12)
        np.testing.assert_allclose(stats.mean_, whole.mean_, rtol=1e-12)
    assert list(other.columns_) == ["x0", "x1"]
    with pytest.raises(SchemaError, match="X has 3 features, but Standardizer is expecting 2"):
        Standardizer().partial_fit(df).partial_fit(np.ones((3, 3)))
    with pytest.raises(normkit.OptionError, match="sample_weight cannot be given for a lazy"):
        Standardizer().partial_fit(pl.from_pandas(df).lazy(), sample_weight=np.ones(100))


def test_a_table_of_the_estimators_own_column_names_is_no_stranger_to_an_array_fit():
    # Fitted on an array with a pandas output, inverse_transform of its own output warned
    # "X has feature names, but Standardizer was fitted without feature names" (x0, x1 are its
    # own names), and every such warning from inverse_transform pointed inside normkit.
    X = np.array([[1.0, 10.0], [2.0, 30.0], [4.0, 20.0]])
    fitted = Standardizer().set_output(transform="pandas").fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = fitted.transform(X)
        assert list(z.columns) == ["x0", "x1"]
        np.testing.assert_allclose(fitted.inverse_transform(z).to_numpy(), X, rtol=1e-15)
        # Taken by name: in another order too.
        np.testing.assert_allclose(fitted.inverse_transform(z[["x1", "x0"]]).to_numpy(), X)
        fitted.partial_fit(z)  # a later batch of its names
    assert fitted.n_samples_seen_ == 6
    # Other names are warned of, at the caller's line, whichever method was called.
    strangers = pd.DataFrame(X, columns=["p", "q"])
    named = Standardizer().fit(strangers)
    for call in (
        lambda: fitted.transform(strangers),
        lambda: fitted.inverse_transform(strangers),
        lambda: named.inverse_transform(X),
        lambda: Standardizer().fit(X).partial_fit(strangers),
    ):
        with pytest.warns(UserWarning, match="feature names") as warned:
            call()
        assert [w.filename for w in warned] == [__file__]


def test_partial_fit_after_a_fit_or_a_load_takes_an_array_by_position(tmp_path):
    """After a finished fit (or a stat file's load) an array was looked up by the table's
    names ("no column 'mean radius' in this batch"); StandardScaler takes it by position, with
    its warning, and so does a pass under way."""
    from sklearn.datasets import load_breast_cancer

    X = load_breast_cancer(as_frame=True).data
    ref = StandardScaler().fit(X.iloc[:100])
    ours = Standardizer().fit(X.iloc[:100])
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        ref.partial_fit(X.iloc[100:400].to_numpy())
    message = "X does not have valid feature names, but Standardizer was fitted with feature names"
    with pytest.warns(UserWarning, match=message) as warned:
        ours.partial_fit(X.iloc[100:400].to_numpy())
    assert [str(w.message) for w in warned] == [message]
    assert warned[0].filename == __file__
    ref.partial_fit(X.iloc[400:])
    ours.partial_fit(X.iloc[400:])

    def assert_same(stats):
        for name in ("mean_", "var_", "scale_"):
            np.testing.assert_allclose(getattr(stats, name), getattr(ref, name), rtol=1e-12)
        assert np.all(stats.n_samples_seen_ == ref.n_samples_seen_)

    assert_same(ours)
    # A stat file fitted on a table: taken by position too (without a warning, as its
    # transform of an array has none).
    ours.save(tmp_path / "s.json")
    loaded = normkit.load(tmp_path / "s.json")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded.partial_fit(X.to_numpy())
    ref.partial_fit(X)
    assert_same(loaded)
    with pytest.raises(SchemaError, match="X has 5 features, but Standardizer is expecting 30"):
        normkit.load(tmp_path / "s.json").partial_fit(X.to_numpy()[:, :5])
    # Fitted on an array, a table of its width is taken by position, with the other warning.
    arrays = Standardizer().fit(X.iloc[:100].to_numpy())
    with pytest.warns(UserWarning, match="X has feature names, but Standardizer was fitted"):
        arrays.partial_fit(X.iloc[100:])
    np.testing.assert_allclose(arrays.var_, Standardizer().fit(X).var_, rtol=1e-12)
    # and an array of another width is refused (one more column was left out without a word)
    with pytest.raises(SchemaError, match="X has 31 features, but Standardizer is expecting 30"):
        arrays.partial_fit(np.ones((3, 31)))


def test_an_array_of_another_width_is_told_both_widths_it_may_have():
    # Fitted on 3 columns, 2 of them numeric: a 4-column array was told "expecting 2", where
    # n_features_in_ is 3 (an array of every input column is taken too).
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 5.0, 3.0], "c": ["x", "y", "z"]})
    fitted = Standardizer().fit(df)
    assert fitted.n_features_in_ == 3
    for width in (1, 4):
        with (
            pytest.warns(UserWarning, match="X does not have valid feature names"),
            pytest.raises(
                SchemaError,
                match=rf"^X has {width} features, but Standardizer is expecting 3 features as "
                r"input \(or the 2 fitted columns alone\)$",
            ),
        ):
            fitted.transform(np.ones((2, width)))
    # Where they are the same width, scikit-learn's words alone.
    numbers = Standardizer().fit(df[["a", "b"]].to_numpy())
    with pytest.raises(SchemaError, match=r"expecting 2 features as input$"):
        numbers.transform(np.ones((2, 3)))


def test_an_array_of_columns_in_an_order_not_recorded_is_refused_by_partial_fit():
    # Statistics merged from fits of other column orders do not know which column of an array
    # of all of them is which: transform refused it, partial_fit took it in a guessed order.
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"id": np.arange(50), "a": rng.normal(size=50), "b": rng.normal(size=50)})
    other_order = Standardizer(exclude=["id"]).fit(df[25:][["a", "id", "b"]])
    merged = Standardizer(exclude=["id"]).fit(df[:25]).merge(other_order)
    for method in (merged.transform, merged.partial_fit):
        with pytest.raises(SchemaError, match=r"X has 3 features, .* do not record their order"):
            method(df.to_numpy())


def test_unfitted_and_bad_params_are_reported():
    with pytest.raises(normkit.OptionError, match="not fitted"):
        Standardizer().transform(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(normkit.OptionError, match="ddof must be 0 or 1"):
        Standardizer(ddof=2).fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(normkit.DataError, match="column 'a' has no values"):
        Standardizer(columns=["a"]).fit(pd.DataFrame({"a": [np.nan, np.nan]}))


def test_infinite_value_is_refused_with_its_row_and_a_way_out_for_data_in_memory():
    # The hint named inf_as_missing=True, a read option of files the estimator does not have;
    # the row was a file's "data row".
    df = pd.DataFrame({"a": [1.0, 2.0, np.inf, 4.0]})
    for X in (df, df.to_numpy()):
        with pytest.raises(normkit.DataError) as error:
            Standardizer().fit(X)
        message = str(error.value)
        assert message.startswith("column ")
        assert " at row 3: inf is not finite" in message
        assert "inf_as_missing" not in message
        assert "X.replace([np.inf, -np.inf], np.nan)" in message
        with pytest.raises(normkit.DataError, match=r"X\.replace"):
            Standardizer().partial_fit(X)
    fixed = df.replace([np.inf, -np.inf], np.nan)  # the hint's way out works
    np.testing.assert_array_equal(Standardizer().fit(fixed).mean_, [7.0 / 3])


def test_integer_column_labels_are_no_feature_names():
    # pd.DataFrame(array): scikit-learn gives it no feature names (x0, x1, ... out), so
    # ColumnTransformer names its outputs by position; a frame keeps its labels.
    from sklearn.compose import ColumnTransformer

    df = pd.DataFrame(np.random.default_rng(3).normal(size=(30, 3)))
    df[3] = ["a", "b", "c"] * 10  # passed through, as by a table with names
    stats = Standardizer().fit(df)
    assert "feature_names_in_" not in vars(stats)
    assert list(stats.columns_) == ["x0", "x1", "x2"]
    assert list(stats.get_feature_names_out()) == ["x0", "x1", "x2", "x3"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no feature-name warning, as scikit-learn gives none
        out = stats.transform(df)
        array_fitted = Standardizer().fit(df[[0, 1, 2]].to_numpy()).transform(df[[0, 1, 2]])
    assert list(out.columns) == [0, 1, 2, 3]
    expected = StandardScaler().fit_transform(df[[0, 1, 2]])
    np.testing.assert_allclose(out[[0, 1, 2]].to_numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(array_fitted), expected, rtol=1e-12)
    assert list(stats.inverse_transform(out)[3]) == list(df[3])
    for estimator in (StandardScaler(), Standardizer()):
        ct = ColumnTransformer([("n", estimator, [0, 1])], remainder="drop")
        assert list(ct.fit(df).get_feature_names_out()) == ["n__x0", "n__x1"]
        both = ct.set_output(transform="pandas").fit_transform(df)
        assert list(both.columns) == ["n__x0", "n__x1"]
    # Labels of strings and of other types mixed: refused, as scikit-learn refuses them.
    mixed = pd.DataFrame({"a": [1.0, 2.0], 0: [3.0, 4.0]})
    for estimator in (StandardScaler(), Standardizer()):
        with pytest.raises(TypeError, match="only supported if all input features have string"):
            estimator.fit(mixed)


def test_partial_fit_after_load_reports_infinite_rows(tmp_path, mixed_frame):
    path = tmp_path / "s.json"
    normkit.save(Standardizer(exclude=["id"]).fit(mixed_frame), path)
    loaded = normkit.load(path)
    bad = mixed_frame.head(3).copy()
    bad.loc[1, "x"] = np.inf
    # The row is the batch's, after the 500 rows fitted before it (it said "row 502").
    told = "^this batch, after 500 rows fitted: column 'x' at row 2: inf is not finite"
    with pytest.raises(normkit.DataError, match=told):
        loaded.partial_fit(bad)


def test_sklearn_clone_and_params():
    from sklearn.base import clone

    est = Standardizer(columns="x", ddof=1)
    copy = clone(est)
    assert copy.get_params(deep=True) == est.get_params()
    fitted = copy.fit(pd.DataFrame({"x": [1.0, 2.0, 4.0], "y": [1.0, 1.0, 1.0]}))
    assert list(fitted.columns_) == ["x"]  # a single name may be a string


def test_fit_of_nothing_and_mismatched_merge():
    with pytest.raises(normkit.DataError, match="no data to fit"):
        Standardizer().fit([])
    a = Standardizer(ddof=0).fit(pd.DataFrame({"x": [1.0, 2.0]}))
    b = Standardizer(ddof=1).fit(pd.DataFrame({"x": [3.0, 5.0]}))
    with pytest.raises(normkit.OptionError, match="different ddof"):
        a.merge(b)


@pytest.mark.parametrize(
    "options", [{"with_std": False}, {"with_mean": False}, {"with_mean": False, "with_std": False}]
)
def test_attributes_left_unset_by_the_options_are_none_as_in_scikit_learn(options):
    X = np.random.default_rng(0).normal(5, 3, (50, 3))
    ref, ours = StandardScaler(**options).fit(X), Standardizer(**options).fit(X)
    for name in ("mean_", "var_", "scale_"):
        theirs, got = getattr(ref, name), getattr(ours, name)
        assert (got is None) == (theirs is None), name
        if theirs is not None:
            np.testing.assert_array_equal(got, theirs)
    np.testing.assert_array_equal(ours.transform(X), ref.transform(X))
    # The statistics are all kept, in stats_ and in the stat file.
    assert np.isfinite(normkit.loads(normkit.dumps(ours)).stats_.scale).all()


def test_from_sklearn_without_std_can_be_saved(tmp_path):
    scaler = StandardScaler(with_std=False).fit(np.array([[1.0], [3.0]]))
    stats = Standardizer.from_sklearn(scaler)
    path = tmp_path / "s.json"
    normkit.save(stats, path)
    np.testing.assert_array_equal(normkit.load(path).transform(np.array([[2.0]])), [[0.0]])


@pytest.mark.parametrize("eps", [1e-3, 1e-8, 0.0])
def test_statistics_with_eps_come_back_from_scikit_learn_and_can_be_saved(tmp_path, eps):
    # to_sklearn writes scale_ = sqrt(var + eps); from_sklearn took eps as 0, and save refused
    # its own statistics (scale is not sqrt(var)).
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    fitted = Standardizer(eps=eps).fit(frame)
    back = Standardizer.from_sklearn(fitted.to_sklearn())
    assert back.stats_.options.eps == pytest.approx(eps, rel=1e-9)
    normkit.save(back, tmp_path / "s.json")
    loaded = normkit.load(tmp_path / "s.json")
    np.testing.assert_allclose(loaded.transform(frame), fitted.transform(frame), rtol=1e-12)
    plain = Standardizer.from_sklearn(StandardScaler().fit(frame))  # scikit-learn's own: none
    assert plain.stats_.options.eps == 0.0


def test_partial_fit_then_save_keeps_every_row_and_the_last_partial_batch(tmp_path, mixed_frame):
    options = normkit.EmaOptions(batch_size=7)
    whole = Standardizer(exclude=["id"], ema=options).fit(mixed_frame)
    streamed = Standardizer(exclude=["id"], ema=options)
    for start in range(0, len(mixed_frame), 33):  # 500 rows: 71 batches and 3 rows left
        streamed.partial_fit(mixed_frame.iloc[start : start + 33])
    streamed.save(tmp_path / "s.json")  # no finish(): the attributes already hold everything
    loaded = normkit.load(tmp_path / "s.json")
    assert loaded.ema_.n_batches == whole.ema_.n_batches == 72
    np.testing.assert_allclose(loaded.ema_.running_mean, whole.ema_.running_mean, rtol=1e-12)
    np.testing.assert_allclose(loaded.ema_.running_var, whole.ema_.running_var, rtol=1e-12)
    np.testing.assert_array_equal(loaded.n_samples_seen_, whole.n_samples_seen_)
    # ...and the stream goes on from where it was, the partial batch still waiting.
    streamed.partial_fit(mixed_frame.head(4))
    assert streamed.ema_.n_batches == 72
    assert streamed.n_rows_seen_ == len(mixed_frame) + 4


@pytest.mark.parametrize("rows", ["none", "no values of a"])
def test_statistics_of_no_rows_or_a_column_without_values_are_not_applied(tmp_path, rows):
    # partial_fit of such batches gave a NaN mean, and transform turned the column into NaN
    # without a word (save failed on the stat file's own check, blaming the file).
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [10.0, 20, 30, 50]})
    given = frame.iloc[:0] if rows == "none" else frame.assign(a=np.nan)
    message = "no rows fitted" if rows == "none" else "column 'a' has no values"
    fitted = Standardizer().partial_fit(given)
    uses = {
        "transform": lambda: fitted.transform(frame),
        "inverse": lambda: fitted.inverse_transform(frame),
        "save": lambda: fitted.save(tmp_path / "s.json"),
        "to_sklearn": fitted.to_sklearn,
        "transform_stream": lambda: list(fitted.transform_stream([frame], "batch")),
        "dumps": lambda: normkit.dumps(fitted),
        "normkit.save": lambda: normkit.save(fitted, tmp_path / "s.json"),
        "to_numpy": lambda: normkit.to_numpy(fitted),
        "fit": lambda: Standardizer().fit(given),
    }
    for use in uses.values():
        with pytest.raises(normkit.DataError, match=message):
            use()
    assert not (tmp_path / "s.json").exists()
    # Values coming later make them whole: partial_fit goes on.
    fitted = Standardizer(ema=False).partial_fit(given).partial_fit(frame)
    reference = StandardScaler().fit(frame)
    np.testing.assert_allclose(fitted.transform(frame), reference.transform(frame), rtol=1e-12)


@pytest.mark.parametrize("mode", ["batch", "adaptive"])
def test_transform_stream_takes_chunks_of_other_column_orders_and_dtypes(mode):
    # A chunk with a missing value in an integer column is float64, a chunk's columns may be in
    # another order: the stream failed with pyarrow's 'Schema at index 1 was different'.
    frame = pd.DataFrame(
        {
            "x": np.arange(1, 9),
            "y": [1.0, 2, 3, 4, 5, 6, 7, 9],
            "id": np.arange(8),
            "t": list("abcdefgh"),
        }
    )
    whole = pa.Table.from_batches(
        list(Standardizer(batch_size=4, exclude=["id"]).fit(frame).transform_stream([frame], mode))
    )
    second = frame.iloc[4:].astype({"x": float, "id": float})[["t", "id", "y", "x"]]
    chunks = [frame.iloc[:4], second]
    fitted = Standardizer(batch_size=4, exclude=["id"]).fit(frame)
    out = pa.Table.from_batches(list(fitted.transform_stream(chunks, mode)))
    assert out.equals(whole)
    second = second.assign(id=[4.5, 5, 6, 7])  # a fraction the first chunk's int64 cannot hold
    with pytest.raises(
        SchemaError, match="column 'id' is double in a batch of the stream and int64"
    ):
        list(fitted.transform_stream([frame.iloc[:4], second], mode))
    with pytest.raises(SchemaError, match="column 'z' is in this batch of the stream and not"):
        list(fitted.transform_stream([frame.iloc[:4], frame.iloc[4:].assign(z=1)], mode))


def test_transform_stream_learns_as_the_file_transform_does(tmp_path, mixed_frame):
    import pyarrow.parquet as pq

    options = normkit.EmaOptions(batch_size=16)
    stats = Standardizer(exclude=["id"], ema=options).fit(mixed_frame)
    table = pa.Table.from_pandas(mixed_frame, preserve_index=False)
    before = stats.ema_.running_mean.copy()
    streamed = pa.Table.from_batches(
        list(stats.transform_stream(table.to_batches(max_chunksize=37), "adaptive"))
    )
    assert streamed.num_rows == len(mixed_frame)
    assert stats.ema_.n_batches > 0
    assert not np.array_equal(stats.ema_.running_mean, before)  # it learned
    path = tmp_path / "d.parquet"
    pq.write_table(table, path)
    fresh = Standardizer(exclude=["id"], ema=options).fit(mixed_frame)
    out = tmp_path / "z.parquet"
    normkit.transform_file(path, fresh, out, normkit.TransformOptions(mode="adaptive"))
    by_file = pq.read_table(out).replace_schema_metadata(None)
    assert by_file.equals(streamed.replace_schema_metadata(None))
    with pytest.raises(normkit.OptionError, match="frozen transform learns nothing"):
        next(stats.transform_stream(table.to_batches(), "frozen"))


def test_transform_stream_takes_dataframes_and_refuses_arrays_in_one_line(mixed_frame):
    """A stream of pandas or polars frames (or one frame) learns as one of record batches; an
    array raised AttributeError from deep inside."""
    import polars as pl

    options = normkit.EmaOptions(batch_size=16)

    def streamed(stream) -> tuple[pa.Table, np.ndarray]:
        stats = Standardizer(exclude=["id"], ema=options).fit(mixed_frame)
        out = pa.Table.from_batches(list(stats.transform_stream(stream, "batch")))
        return out.replace_schema_metadata(None), stats.ema_.running_mean

    table = pa.Table.from_pandas(mixed_frame, preserve_index=False)
    expected, running = streamed(table.to_batches(max_chunksize=37))
    parts = [mixed_frame.iloc[i : i + 37] for i in range(0, len(mixed_frame), 37)]
    for stream in (parts, (pl.from_pandas(p) for p in parts), mixed_frame, [table]):
        got, learned = streamed(stream)
        assert got.cast(expected.schema).equals(expected)
        np.testing.assert_array_equal(learned, running)
    stats = Standardizer(exclude=["id"], ema=options).fit(mixed_frame)
    numbers = mixed_frame.drop(columns="id").to_numpy()
    with pytest.raises(TypeError, match="not of ndarray; name the columns as the fit's"):
        next(stats.transform_stream([numbers], "batch"))


_NUMBERS_AS_TEXT = ["1.5", "2.5", None, "10", "-3e2"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": _NUMBERS_AS_TEXT}),  # object
        lambda: pd.DataFrame(
            {"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": pd.array(_NUMBERS_AS_TEXT, dtype="string")}
        ),
        lambda: pd.DataFrame(
            {"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": pd.Categorical(_NUMBERS_AS_TEXT)}
        ),
        lambda: pa.table({"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": _NUMBERS_AS_TEXT}),
        lambda: __import__("polars").DataFrame(
            {"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": _NUMBERS_AS_TEXT}
        ),
    ],
    ids=["object", "string", "category", "arrow", "polars"],
)
def test_a_text_column_of_numbers_is_refused_not_left_raw(make):
    # scikit-learn converts and scales such a column; passed through, it would come out raw.
    X = make()
    with pytest.raises(SchemaError, match=r"column 'b' holds numbers as text \(its first is '1.5'"):
        Standardizer().fit(X)
    with pytest.raises(SchemaError, match="exclude=\\['b'\\]"):
        Standardizer().partial_fit(X)
    # Alone, it is told so too, not "no numeric column".
    with pytest.raises(SchemaError, match=r"column 'b' holds numbers as text"):
        Standardizer().fit(pd.DataFrame({"b": ["1.5", "2", "3"]}))
    # Excluded, or the fitted columns chosen by name: passed through as the user said.
    for stats in (Standardizer(exclude=["b"]).fit(X), Standardizer(columns=["a"]).fit(X)):
        assert list(stats.columns_) == ["a"]


def test_text_with_a_word_passes_through_and_numbers_made_numbers_are_scikit_learns():
    # Mostly words (a column of mostly numbers with a word is refused: test_text_columns).
    words = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": ["one", "two", "3"]})
    assert list(Standardizer().fit(words).columns_) == ["a"]
    assert Standardizer().fit_transform(words)["b"].tolist() == ["one", "two", "3"]
    # What a CSV keeps as text (codes padded to one width, integers beyond int64) and columns
    # without a finite number pass through too.
    for text in (
        ["02139", "10001", "00501"],
        [str(12345678901234567890 + i) for i in range(3)],
        ["nan", "inf", "-inf"],
    ):
        X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": text})
        assert Standardizer().fit_transform(X)["b"].tolist() == text
    # The refusal's remedy gives StandardScaler's result.
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0, 8.0], "b": ["1.5", "2.5", "10", "-3e2"]})
    X["b"] = pd.to_numeric(X["b"])
    np.testing.assert_allclose(
        Standardizer().fit_transform(X).to_numpy(),
        StandardScaler().fit_transform(X),
        rtol=1e-12,
    )


def test_an_output_beyond_float64s_range_is_refused_for_every_kind_of_table():
    # A gamma that takes one finite value beyond float64's range: the CLI refused it, the
    # library returned inf without a word.
    X = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0)})
    stats = Standardizer(gamma={"y": 1e300}).fit(X)
    Y = X.copy()
    Y.loc[50, "y"] = 1e300
    table = pa.Table.from_pandas(Y, preserve_index=False)
    message = r"column 'y' at row 51: the output of 1e\+300 is inf, beyond float64's range"
    for kind in (Y, table, table.to_batches()[0], Y.to_numpy()):
        with pytest.raises(normkit.DataError, match=message):
            stats.transform(kind)
    later = r"this batch, after 100 rows transformed: column 'y' at row 51: the output of 1e\+300 is inf"
    with pytest.raises(normkit.DataError, match=later):
        list(stats.transform(iter([table.slice(0, 50)] * 2 + [table])))
    assert np.isfinite(stats.transform(X).to_numpy()).all()  # in range: as before


def test_save_and_load_keep_the_order_of_the_input_columns_for_arrays(tmp_path):
    # A column passed through between fitted ones: an array of every column is read by
    # position, so the loaded estimator must know where each one was.
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {"a": rng.normal(3, 2, 50), "id": np.arange(50.0), "b": rng.normal(100, 5, 50)}
    )
    fitted = Standardizer(exclude=["id"]).fit(frame)
    path = tmp_path / "s.json"
    fitted.save(path)
    loaded = Standardizer.load(path)
    assert list(loaded.feature_names_in_) == ["a", "id", "b"]
    assert list(loaded.get_feature_names_out()) == ["a", "id", "b"]
    expected = StandardScaler().fit_transform(frame[["a", "b"]])
    for estimator in (fitted, loaded):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # an array given to a named fit
            out = np.asarray(estimator.transform(frame.to_numpy()))
        np.testing.assert_allclose(out[:, [0, 2]], expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(out[:, 1], frame["id"])
    # Fitted by the command line on a CSV, the file's order is the one kept.
    csv = tmp_path / "d.csv"
    frame.to_csv(csv, index=False)
    from_files = normkit.fit_files(csv, Standardizer(exclude=["id"]))
    from_files.save(path)
    out = Standardizer.load(path).transform(frame.to_numpy())
    np.testing.assert_allclose(np.asarray(out)[:, [0, 2]], expected, rtol=1e-12, atol=1e-15)


def test_a_stat_file_without_the_order_refuses_an_array_of_every_column(tmp_path):
    frame = pd.DataFrame({"a": [0.0, 1, 2, 3], "id": [10.0, 11, 12, 13], "b": [100.0, 105, 95, 97]})
    path = tmp_path / "s.json"
    Standardizer(exclude=["id"]).fit(frame).save(path)
    doc = json.loads(path.read_text())
    del doc["inputs"]  # as a stat file written before the order was kept
    path.write_text(json.dumps(doc))
    loaded = Standardizer.load(path)
    with pytest.raises(SchemaError, match="do not record their order") as refused:
        loaded.transform(frame.to_numpy())
    assert "give a table with the column names" in str(refused.value)
    # The fitted columns alone, or a table, are still taken.
    alone = loaded.transform(frame[["a", "b"]].to_numpy())
    by_name = loaded.transform(frame)
    np.testing.assert_array_equal(np.asarray(alone), by_name[["a", "b"]].to_numpy())
    # An order that does not name each column once is a damaged file.
    doc["inputs"] = ["a", "b", "b"]
    path.write_text(json.dumps(doc))
    with pytest.raises(normkit.StatsFileError, match="'inputs' does not name each column"):
        Standardizer.load(path)


@pytest.mark.parametrize(
    ("options", "fitted"),
    [({"exclude": ["x1"]}, [0, 2]), ({"columns": ["x0", "x2"]}, [0, 2]), ({"columns": "x1"}, [1])],
)
@pytest.mark.parametrize("how", ["fit", "partial_fit"])
def test_columns_chosen_of_an_array_are_its_x_names(options, fitted, how):
    # An array's columns are x0, x1, ...: those chosen are normalized, the others pass through
    # in their places, as StandardScaler on the chosen ones and the rest untouched.
    X = np.random.default_rng(4).normal(5, 3, size=(40, 3))
    estimator = getattr(Standardizer(**options), how)(X)
    assert list(estimator.columns_) == [f"x{j}" for j in fitted]
    out = np.asarray(estimator.transform(X))
    expected = X.copy()
    expected[:, fitted] = StandardScaler().fit(X[:, fitted]).transform(X[:, fitted])
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.asarray(estimator.inverse_transform(out)), X, rtol=1e-12)
    # The fitted columns alone are taken too, also into a DataFrame (named as they are).
    alone = np.asarray(estimator.transform(X[:, fitted]))
    np.testing.assert_array_equal(alone, out[:, fitted])
    frame = estimator.set_output(transform="pandas").transform(X[:, fitted])
    assert list(frame.columns) == list(estimator.columns_)
    np.testing.assert_array_equal(frame.to_numpy(), alone)


def test_gamma_and_beta_survive_save_and_load_as_parameters(tmp_path):
    from sklearn.base import clone

    X = np.random.default_rng(0).normal(size=(50, 3))
    for gamma, beta in ((2.0, 1.0), ({"x1": 3.0}, {"x2": -0.5})):
        fitted = Standardizer(gamma=gamma, beta=beta).fit(X)
        fitted.save(tmp_path / "s.json")
        loaded = Standardizer.load(tmp_path / "s.json")
        assert (loaded.gamma, loaded.beta) == (gamma, beta)
        # A clone refitted (as in a grid search) keeps the affine.
        refitted = clone(loaded).fit(X)
        np.testing.assert_array_equal(refitted.gamma_, fitted.gamma_)
        np.testing.assert_array_equal(refitted.beta_, fitted.beta_)
        np.testing.assert_array_equal(refitted.transform(X), fitted.transform(X))
        # scikit-learn's scaler cannot hold them: refused, not a scaler that transforms otherwise.
        with pytest.raises(normkit.OptionError, match="a StandardScaler has no gamma and beta"):
            loaded.to_sklearn()


@pytest.mark.parametrize("options", [{"exclude": ["id"]}, {"columns": ["a", "b"]}])
def test_columns_chosen_survive_save_and_load_as_parameters(tmp_path, options):
    # A loaded estimator cloned and refitted (in a Pipeline, a grid search) fits the columns
    # the saved one did: it normalized the excluded identifiers too.
    from sklearn.base import clone

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(100, 3)), columns=["a", "b", "c"])
    frame["id"] = np.arange(100.0)
    fitted = Standardizer(**options).fit(frame)
    fitted.save(tmp_path / "s.json")
    loaded = Standardizer.load(tmp_path / "s.json")
    refitted = clone(loaded).fit(frame)
    assert list(refitted.columns_) == list(fitted.columns_)
    pd.testing.assert_frame_equal(refitted.transform(frame), fitted.transform(frame))


@pytest.mark.parametrize(("ddof", "eps"), [(1, 0.0), (1, 1e-3), (0, 1e-3)])
def test_to_sklearn_exports_the_population_variance_its_partial_fit_merges_on(ddof, eps):
    # var_ was normkit's (N - 1 with ddof=1), which StandardScaler.partial_fit merged as a
    # population variance: the variance of the data twice came out wrong.
    from sklearn.datasets import load_wine

    X = load_wine(as_frame=True).frame.iloc[:, :6]
    fitted = Standardizer(ddof=ddof, eps=eps).fit(X)
    scaler = fitted.to_sklearn()
    np.testing.assert_allclose(scaler.var_, X.var(ddof=0).to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(scaler.transform(X), fitted.transform(X).to_numpy())
    back = Standardizer.from_sklearn(scaler)  # the ddof and eps come back from scale_
    assert back.stats_.options.ddof == ddof
    assert back.stats_.options.eps == pytest.approx(eps, rel=1e-9, abs=1e-300)
    np.testing.assert_allclose(back.var_, fitted.var_, rtol=1e-14)
    np.testing.assert_allclose(back.m2_, fitted.m2_, rtol=1e-14)
    np.testing.assert_array_equal(back.transform(X).to_numpy(), fitted.transform(X).to_numpy())
    normkit.loads(normkit.dumps(back))  # consistent statistics: a stat file takes them
    scaler.partial_fit(X)
    twice = pd.concat([X, X])
    np.testing.assert_allclose(scaler.var_, StandardScaler().fit(twice).var_, rtol=1e-12)


@pytest.mark.parametrize(("ddof", "eps"), [(1, 0.5), (1, 1e-3), (0, 0.25)])
def test_a_constant_column_tells_from_sklearn_the_eps_and_so_the_ddof(ddof, eps):
    # One column that varies beside a constant one: ddof 1 and an eps were read as ddof 0 and
    # a larger eps, whose scale of the constant column (sqrt(eps)) was not the stat file's.
    X = np.column_stack([np.random.default_rng(0).normal(size=20), np.full(20, 3.0)])
    fitted = Standardizer(ddof=ddof, eps=eps).fit(X)
    back = Standardizer.from_sklearn(fitted.to_sklearn())
    assert (back.stats_.options.ddof, back.stats_.options.eps) == (ddof, eps)
    np.testing.assert_array_equal(back.scale_, fitted.scale_)
    np.testing.assert_allclose(back.var_, fitted.var_, rtol=1e-14)
    normkit.loads(normkit.dumps(back))


def test_to_sklearn_of_a_fit_on_an_array_has_no_made_up_feature_names():
    # It set feature_names_in_ = ['x0', 'x1'], so the scaler warned "X does not have valid
    # feature names" at every transform of an array.
    import warnings

    X = np.array([[1.0, 10.0], [3.0, 30.0], [4.0, 20.0]])
    scaler = Standardizer().fit(X).to_sklearn()
    assert not hasattr(scaler, "feature_names_in_")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(scaler.transform(X), StandardScaler().fit_transform(X))
        # and back: fitted without names, as scikit-learn's was
        back = Standardizer.from_sklearn(scaler)
        assert not hasattr(back, "feature_names_in_")
        assert not hasattr(back.to_sklearn(), "feature_names_in_")
        np.testing.assert_array_equal(back.transform(X), scaler.transform(X))
    named = Standardizer().fit(pd.DataFrame(X, columns=["a", "b"])).to_sklearn()
    assert list(named.feature_names_in_) == ["a", "b"]


def test_the_learned_attributes_the_docstrings_name_exist():
    # transform's docstring named running_var_, which does not exist (ema_ holds them).
    import inspect
    import re

    fitted = Standardizer().fit(pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [1.0, 0.0, 2.0]}))
    for name, member in inspect.getmembers(Standardizer):
        doc = inspect.getdoc(member) if callable(member) else None
        for attribute in re.findall(r"\b([a-z][a-z0-9_]*[a-z0-9]_)(?![\w(])", doc or ""):
            assert hasattr(fitted, attribute), f"{name} names {attribute}"


def test_a_parameter_set_after_the_fit_is_refused_not_ignored():
    # set_params after the fit would have the transform apply the fit's values without a word
    # (StandardScaler reads with_mean and with_std again at transform; normkit's statistics are
    # those of its fit): refused, naming the parameter, until set back or fitted again.
    X = np.random.default_rng(5).normal(3, 2, size=(60, 3))
    stats = Standardizer().fit(X)
    expected = StandardScaler().fit_transform(X)
    for name, value in (("gamma", 3.0), ("beta", {"x1": 1.0}), ("with_mean", False), ("ddof", 1)):
        stats.set_params(**{name: value})
        with pytest.raises(
            normkit.OptionError, match=f"^{name}=.*, but the statistics were fitted"
        ):
            stats.transform(X)
        with pytest.raises(normkit.OptionError, match=f"^{name}="):
            stats.inverse_transform(expected)
        stats.set_params(**{name: Standardizer().get_params()[name]})
        np.testing.assert_allclose(stats.transform(X), expected, rtol=1e-12)
    # The others (columns chosen, the running statistics' options) as at the fit.
    for name, value in (("columns", ["x0"]), ("exclude", ["x2"]), ("batch_size", 16)):
        stats.set_params(**{name: value})
        with pytest.raises(
            normkit.OptionError, match=f"^{name}=.*, but the statistics were fitted"
        ):
            stats.transform(X)
        with pytest.raises(normkit.OptionError, match=f"^{name}="):
            list(stats.transform_stream([pa.table({f"x{j}": X[:, j] for j in range(3)})], "batch"))
        stats.set_params(**{name: Standardizer().get_params()[name]})
    # partial_fit would continue them by the fit's: refused too; fit starts anew.
    stats.set_params(batch_size=16)
    with pytest.raises(
        normkit.OptionError, match=r"^batch_size=16, but the statistics partial_fit"
    ):
        stats.partial_fit(X)
    assert Standardizer(**stats.get_params()).fit(X).ema_.options.batch_size == 16
    stats.set_params(batch_size=Standardizer().get_params()["batch_size"])
    stats.set_params(exclude=[])  # the same as the fit's (), as a list
    np.testing.assert_allclose(stats.transform(X), expected, rtol=1e-12)
    # Given to the call, gamma applies; fitted again, the new parameters do.
    np.testing.assert_allclose(stats.transform(X, gamma=3.0), 3 * expected, rtol=1e-12)
    refit = stats.set_params(with_mean=False).fit(X).transform(X)
    np.testing.assert_allclose(refit, StandardScaler(with_mean=False).fit_transform(X), rtol=1e-12)
