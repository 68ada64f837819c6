"""The public functions' arguments: one path or name given alone is one item (not the sequence of
its characters), and an argument of the wrong type is refused with a ``TypeError`` that names
the parameter, what was given and what it accepts (not an ``AttributeError`` from inside)."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pytest
from sklearn.preprocessing import StandardScaler

import normkit


@pytest.fixture
def files(tmp_path):
    pd.DataFrame({"a": [1.0, 2.0, 6.0], "b": [0.5, 0.25, 4.0]}).to_csv(
        tmp_path / "train.csv", index=False
    )
    normkit.fit_files(tmp_path / "train.csv", output=tmp_path / "s.json")
    return tmp_path


def test_one_stat_file_given_alone_is_merged_as_one(files):
    merged = normkit.merge_stat_files(str(files / "s.json"))
    assert merged.mean_.tolist() == normkit.load(files / "s.json").mean_.tolist()
    assert normkit.merge_stat_files(files / "s.json").n_samples_seen_ == 3


def test_one_column_given_alone_is_read_as_one(files):
    with normkit.open_input(str(files / "train.csv")) as reader:
        assert reader.batch_schema("a").field("a").type == pa.float64()
        (batch,) = list(reader.batches("a", all_columns=False))
    assert batch.schema.names == ["a"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda d: normkit.fit_files(d / "train.csv", "notanestimator"),
            "estimator must be a normkit.Standardizer or None, not 'notanestimator' (a str)",
        ),
        (
            lambda d: normkit.fit_files(d / "train.csv", read={"format": "csv"}),
            "read must be a normkit.ReadOptions or None, not a dict",
        ),
        (lambda d: normkit.fit_files(3), "inputs must be a path or a sequence of paths, not 3"),
        (
            lambda d: normkit.transform_file(d / "train.csv", d / "s.json", d / "o.csv", {}),
            "options must be a normkit.TransformOptions or None, not a dict",
        ),
        (
            lambda d: normkit.transform_file(d / "train.csv", 42, d / "o.csv"),
            "stats must be a normkit.Standardizer, a normkit.FittedStats or the path of a stat "
            "file, not 42 (an int)",
        ),
        (
            lambda d: normkit.open_sink(d / "o.csv", "notaschema"),
            "schema must be a pyarrow.Schema, not 'notaschema' (a str)",
        ),
        (
            lambda d: normkit.save({"a": 1}, d / "x.json"),
            "stats must be a fitted normkit.Standardizer or a normkit.FittedStats, not a dict",
        ),
        (
            lambda d: normkit.save(StandardScaler().fit([[1.0], [2.0]]), d / "x.json"),
            "not a StandardScaler",
        ),
        (lambda d: normkit.load(5), "path must be a path (str or os.PathLike), not 5 (an int)"),
        (lambda d: normkit.load(None), "path must be a path (str or os.PathLike), not None"),
        (lambda d: normkit.loads(b"{}"), "text must be the text of a stat file (a str; bytes"),
        (
            lambda d: normkit.drift_batches(["a"], d / "s.json"),
            "batches must be a table (a DataFrame, a pyarrow Table or RecordBatch, a mapping) or "
            "an iterable of them, not a sequence holding 'a' (a str)",
        ),
        (lambda d: normkit.to_numpy(1.5), "reference must be a normkit.Standardizer"),
        (  # was AttributeError: 'int' object has no attribute 'options'
            lambda d: normkit.Standardizer.from_stats(42),
            "stats must be a normkit.FittedStats (a fitted Standardizer's stats_; a stat file is "
            "loaded by normkit.load(path)), not 42 (an int)",
        ),
        (
            lambda d: normkit.fit_files(d / "train.csv", weight_column=3),
            "weight_column must be a column name or None, not 3 (an int)",
        ),
        (
            lambda d: normkit.fit_files(d / "train.csv", progress="x"),
            "progress must be a callable or None, not 'x' (a str)",
        ),
        (
            lambda d: normkit.transform_file(
                d / "train.csv", d / "s.json", d / "o.csv", None, None, progress=1
            ),
            "progress must be a callable or None, not 1 (an int)",
        ),
    ],
)
def test_an_argument_of_the_wrong_type_is_named_with_what_it_accepts(files, call, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        call(files)
    assert not (files / "o.csv").exists()
    assert not (files / "x.json").exists()


def test_drift_of_one_frame_alone_is_its_batch_and_of_none_a_data_error(files):
    frame = pd.read_csv(files / "train.csv")
    alone = normkit.drift_batches(frame, files / "s.json")
    assert alone.to_dict() == normkit.drift_batches([frame], files / "s.json").to_dict()
    with pytest.raises(normkit.DataError, match="no data to check"):
        normkit.drift_batches([], files / "s.json")


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_a_dataframe_given_for_paths_is_refused_pointing_to_the_in_memory_way(files, kind):
    # A DataFrame iterates its column names: fit_files took 'a' for a file ("a: no such file").
    frame = pd.read_csv(files / "train.csv")
    if kind == "polars":
        import polars as pl

        frame = pl.from_pandas(frame)
    given = "must be a path or a sequence of paths, not a DataFrame; for data in memory: "
    for call, told in (
        (lambda: normkit.fit_files(frame), "inputs " + given + "normkit.Standardizer().fit(X)"),
        (
            lambda: normkit.transform_file(frame, files / "s.json", files / "o.csv"),
            "input " + given + "a fitted Standardizer's transform(X)",
        ),
        (
            lambda: normkit.drift_files(frame, files / "s.json"),
            "inputs " + given + "normkit.drift_batches(X, reference)",
        ),
        (
            lambda: normkit.merge_stat_files(frame),
            "paths " + given.replace("data", "statistics") + "a fitted Standardizer's merge(other)",
        ),
    ):
        with pytest.raises(TypeError, match="^" + re.escape(told) + "$"):
            call()
    assert not (files / "o.csv").exists()
    # Its in-memory way works.
    fitted = normkit.Standardizer().fit(frame)
    assert fitted.mean_.tolist() == normkit.load(files / "s.json").mean_.tolist()
