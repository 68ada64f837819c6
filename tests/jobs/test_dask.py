"""The Dask engine on a real ``distributed.LocalCluster`` with 2 worker processes: statistics
equal the local engine's (exact and EMA), also when a worker is killed mid-fit, and transformed
part files concatenate to the local engine's output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import distributed
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import ERROR, write_dataset
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import EmaOptions, ReadOptions, Standardizer
from normkit.io.sidecar import read_record, record_path
from normkit.jobs.dask import INDEX_NAME, ClusterOptions, fit_dask, transform_dask
from normkit.jobs.parts import count_rows
from normkit_cli.main import cli

# Uneven files, an empty one and a single row among them; natural order puts part-10 last.
PART_ROWS = {
    "k=a/part-1": 700,
    "k=a/part-2": 1,
    "k=a/part-3": 0,
    "k=b/part-4": 1234,
    "k=b/part-10": 389,
}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: never clash with a running cluster
        silence_logs=50,
    ) as local:
        yield local


@pytest.fixture
def on_cluster(cluster) -> ClusterOptions:
    return ClusterOptions(scheduler=cluster.scheduler_address)


def frame(rows: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 2.0, rows)
    x[rng.random(rows) < 0.1] = np.nan
    sparse = np.full(rows, np.nan)
    sparse[rng.random(rows) < 0.02] = rng.normal(size=1)[0]
    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "label": rng.choice(["a", "b, c"], rows),
            "x": x,
            "offset": 1e9 + rng.normal(0.0, 1.0, rows),
            "count": rng.integers(0, 100, rows),
            "sparse": sparse,  # most batches have fewer than 2 values: skipped
        }
    )


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return frame(sum(PART_ROWS.values()))


@pytest.fixture(scope="module", params=["csv", "parquet"])
def dataset(request, tmp_path_factory, data) -> Path:
    root = tmp_path_factory.mktemp(request.param) / "ds"
    write_dataset(root, request.param, data, PART_ROWS)
    return root


def assert_same_fit(local: Standardizer, dask: Standardizer, rtol: float = 1e-12) -> None:
    assert list(local.columns_) == list(dask.columns_)
    assert local.n_rows_seen_ == dask.n_rows_seen_
    np.testing.assert_array_equal(local.n_samples_seen_, dask.n_samples_seen_)
    np.testing.assert_array_equal(local.n_missing_, dask.n_missing_)
    np.testing.assert_array_less(
        np.abs(local.mean_ - dask.mean_), rtol * (np.abs(local.mean_) + local.scale_)
    )
    for name in ("var_", "scale_", "min_", "max_"):
        np.testing.assert_allclose(getattr(dask, name), getattr(local, name), rtol=rtol)
    # The third and fourth central moments merge across parts too (Pebay's formulas).
    for name in ("m3", "m4"):
        a, b = getattr(local.stats_, name), getattr(dask.stats_, name)
        assert np.isfinite(a).all()
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9 * np.abs(a).max())
    assert (local.ema_ is None) == (dask.ema_ is None)
    if local.ema_ is not None:
        a, b = local.ema_, dask.ema_
        assert a.n_batches == b.n_batches
        np.testing.assert_array_equal(a.n_updates, b.n_updates)
        np.testing.assert_array_equal(a.n_skipped, b.n_skipped)
        spread = np.abs(a.running_mean) + np.sqrt(a.running_var)
        np.testing.assert_array_less(np.abs(a.running_mean - b.running_mean), rtol * spread)
        np.testing.assert_allclose(b.running_var, a.running_var, rtol=rtol)
    assert [s["path"] for s in local.provenance_["sources"]] == [
        s["path"] for s in dask.provenance_["sources"]
    ]
    # The same rows sampled (keys depend on file and row only): the same sketch, exactly.
    np.testing.assert_array_equal(local.sketch_.edges, dask.sketch_.edges)
    np.testing.assert_array_equal(local.sketch_.cdf, dask.sketch_.cdf)
    # The text columns' categories, counted in every part and merged: the same, exactly.
    assert local.categories_
    assert local.categories_ == dask.categories_


EMA_CASES = {
    "torch": EmaOptions(batch_size=64),
    "cumulative": EmaOptions(momentum="cumulative", batch_size=50),
    "first": EmaOptions(init="first", momentum=0.3, batch_size=7, drop_last=True),
    "keras": EmaOptions(convention="keras", batch_size=33),
    "std": EmaOptions(of="std", batch_size=40),
    "none": None,
}


@pytest.mark.parametrize("ema", EMA_CASES.values(), ids=EMA_CASES.keys())
def test_dask_fit_equals_local_fit(dataset, on_cluster, ema):
    local = normkit.fit_files(dataset, Standardizer(exclude=["id"], ema=ema))
    dask = fit_dask(dataset, Standardizer(exclude=["id"], ema=ema), cluster=on_cluster)
    assert_same_fit(local, dask)
    assert dask.n_rows_seen_ == sum(PART_ROWS.values())
    if ema is not None:
        assert dask.ema_.n_skipped[-1] > 0  # the sparse column really skipped batches


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_dask_counts_more_categories_than_kept_as_the_local_engine(tmp_path, on_cluster, fmt):
    # About 1,600 categories over the parts: more than a stat file keeps, fewer than counting keeps,
    # so the most frequent 1,000 and the rest in other are the same as one pass's.
    data = frame(sum(PART_ROWS.values()), seed=11)
    rng = np.random.default_rng(11)
    data["label"] = [f"v{v}" for v in rng.integers(0, 3000, len(data))]  # many ties
    write_dataset(tmp_path / "ds", fmt, data, PART_ROWS)
    local = normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["id"]))
    dask = fit_dask(tmp_path / "ds", Standardizer(exclude=["id"]), cluster=on_cluster)
    assert dask.categories_ == local.categories_
    assert not dask.categories_["label"].exact


def test_a_wrong_row_count_prediction_is_corrected(tmp_path, on_cluster):
    # Quoted line breaks make the line count of a CSV larger than its rows: the parts after it
    # are fitted again at their true first row, and the result is still exact.
    data = frame(600)
    data["label"] = np.where(np.arange(600) % 9 == 0, "two\nlines", "one")
    paths = write_dataset(tmp_path / "ds", "csv", data, {"a": 250, "b": 3, "c": 347})
    predicted = count_rows(str(paths[0]), ReadOptions())
    assert predicted > 250
    assert predicted % 16 != 250 % 16  # so part b's batches would fall elsewhere
    ema = EmaOptions(batch_size=16)
    local = normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["id"], ema=ema))
    dask = fit_dask(tmp_path / "ds", Standardizer(exclude=["id"], ema=ema), cluster=on_cluster)
    assert_same_fit(local, dask)


def test_a_bad_value_on_a_worker_is_a_one_line_error(tmp_path, cluster, data):
    paths = write_dataset(tmp_path / "ds", "csv", data.assign(label="a"), PART_ROWS)
    text = paths[3].read_text().splitlines()
    fields = text[4].split(",")
    fields[2] = "oops"
    text[4] = ",".join(fields)
    paths[3].write_text("\n".join(text) + "\n")
    result = CliRunner().invoke(
        cli,
        [
            "fit",
            str(tmp_path / "ds"),
            "--exclude",
            "id",
            "-o",
            str(tmp_path / "s.json"),
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
        ],
    )
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().split("\n")
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{ERROR}{paths[3]}: "), result.stderr
    assert "'oops'" in lines[0]
    assert not (tmp_path / "s.json").exists()


def test_fit_survives_a_worker_killed_mid_fit(tmp_path, cluster):
    # Small I/O batches make each part take a while; a worker is killed (SIGKILL) while it runs
    # a fit task. Dask restarts it (nanny) and runs the lost tasks again.
    sizes = {f"part-{i}": 30_000 + 997 * i for i in range(10)}
    data = frame(sum(sizes.values()), seed=9)
    write_dataset(tmp_path / "ds", "csv", data, sizes)
    read = ReadOptions(chunk_rows=100)
    ema = EmaOptions(batch_size=100)
    local = normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["id"], ema=ema), read)

    killed: dict[str, object] = {}
    finished = threading.Event()

    def kill_a_busy_worker() -> None:
        with distributed.Client(cluster.scheduler_address) as client:
            pids = client.run(os.getpid)
            deadline = time.monotonic() + 60
            while not finished.is_set() and time.monotonic() < deadline:
                for worker, keys in client.processing().items():
                    if any("fit_part" in str(key) for key in keys):
                        os.kill(pids[worker], signal.SIGKILL)
                        killed["worker"] = worker
                        killed["while_running"] = not finished.is_set()
                        return
                time.sleep(0.005)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        dask = fit_dask(
            tmp_path / "ds",
            Standardizer(exclude=["id"], ema=ema),
            read,
            ClusterOptions(scheduler=cluster.scheduler_address),
        )
    finally:
        finished.set()
        killer.join()
    assert killed.get("while_running"), "no worker was killed during the fit"
    assert_same_fit(local, dask)
    with distributed.Client(cluster.scheduler_address) as client:
        client.wait_for_workers(2, timeout=60)  # the nanny brought it back


def test_an_empty_csv_file_of_a_data_set_is_no_part(tmp_path, on_cluster):
    # A file with nothing in it is an empty part of a data set for the local engine; the Dask
    # engine's parts were listed by every file and written by every file read, and it crashed
    # (a traceback: zip() argument 2 is shorter than argument 1).
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "p-1.csv").write_text("a,b\n1,2\n3,5\n4,4\n")
    (ds / "p-2.csv").write_text("")
    scaler = normkit.fit_files(ds, Standardizer())
    local_out = tmp_path / "local.csv"
    normkit.transform_file(ds, scaler, local_out)
    result = transform_dask(ds, scaler, tmp_path / "out", cluster=on_cluster)
    assert (result.rows, result.parts) == (3, 1)
    index = json.loads((tmp_path / "out" / INDEX_NAME).read_text())
    assert [Path(p["source"]).name for p in index["parts"]] == ["p-1.csv"]
    part = tmp_path / "out" / index["parts"][0]["path"]
    assert part.read_text() == local_out.read_text()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_transformed_parts_concatenate_to_the_local_output(tmp_path, on_cluster, data, fmt):
    write_dataset(tmp_path / "ds", fmt, data, PART_ROWS)
    scaler = normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["id"]))
    normkit.save(scaler, tmp_path / "stats.json")
    local_out = tmp_path / f"local.{fmt}"
    normkit.transform_file(tmp_path / "ds", scaler, local_out)
    result = transform_dask(tmp_path / "ds", scaler, tmp_path / "out", cluster=on_cluster)
    assert result.rows == len(data)
    assert result.parts == len(PART_ROWS)
    index = json.loads((tmp_path / "out" / INDEX_NAME).read_text())
    assert [p["rows"] for p in index["parts"]] == list(PART_ROWS.values())
    assert [p["path"].split("/")[0] for p in index["parts"]] == ["k=a"] * 3 + ["k=b"] * 2
    parts = [tmp_path / "out" / p["path"] for p in index["parts"]]
    # The hive key k is a column of the local output, and the parts' directories.
    if fmt == "parquet":
        got = pa.concat_tables([pq.read_table(p) for p in parts])
        assert got.equals(pq.read_table(local_out).drop_columns(["k"]))
    else:
        lines = local_out.read_text().splitlines(keepends=True)
        header, *rows = [line.rsplit(",", 1)[0] + line[len(line.rstrip()) :] for line in lines]
        got_rows = []
        for part in parts:
            first, *rest = part.read_text().splitlines(keepends=True)
            assert first == header
            got_rows += rest
        assert got_rows == rows
        # Each CSV part keeps the record of how it was made beside it, as the local output.
        local_record = read_record(str(local_out), "local")
        assert local_record
        for part in parts:
            assert read_record(str(part), part.name) == local_record
    records = [record_path(str(p)) for p in parts] if fmt == "csv" else []
    # Nothing but the parts, their records and the index, and no staging directory left beside
    # the output.
    out = tmp_path / "out"
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.*"))
    assert written == sorted(
        [
            INDEX_NAME,
            *(p["path"] for p in index["parts"]),
            *(os.path.relpath(r, out) for r in records),
        ]
    )
    beside = [record_path(f"local.{fmt}")] if fmt == "csv" else []
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["ds", f"local.{fmt}", "out", "stats.json", *beside]
    )


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_parts_of_files_in_other_column_orders_have_the_first_files_order(
    tmp_path, on_cluster, data, fmt
):
    # Each part was written in its file's order: CSV parts that a reader matching columns by
    # position (DuckDB's read_csv of a glob) misaligns.
    order = ["sparse", "count", "x", "label", "id", "offset"]
    (tmp_path / "ds").mkdir()
    for i, part in enumerate([data.iloc[:200], data.iloc[200:][order]]):
        table = pa.Table.from_pandas(part, preserve_index=False)
        path = tmp_path / "ds" / f"p{i}.{fmt}"
        pyarrow.csv.write_csv(table, path) if fmt == "csv" else pq.write_table(table, path)
    scaler = normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["id"]))
    local_out = tmp_path / f"local.{fmt}"
    normkit.transform_file(tmp_path / "ds", scaler, local_out)
    transform_dask(tmp_path / "ds", scaler, tmp_path / "out", cluster=on_cluster)
    index = json.loads((tmp_path / "out" / INDEX_NAME).read_text())
    parts = [tmp_path / "out" / p["path"] for p in index["parts"]]
    read = pyarrow.csv.read_csv if fmt == "csv" else pq.read_table
    tables = [read(p) for p in parts]
    assert [t.schema.names for t in tables] == [list(data.columns)] * 2
    assert pa.concat_tables(tables).equals(read(local_out))


def test_the_part_of_a_csv_without_rows_has_the_types_of_the_others(tmp_path, on_cluster, data):
    # A CSV of only a header has no types to tell; its part must still read with the others.
    write_dataset(tmp_path / "ds", "csv", data, PART_ROWS)
    scaler = normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["id"]))
    local_out = tmp_path / "local.parquet"
    normkit.transform_file(tmp_path / "ds", scaler, local_out)
    options = normkit.TransformOptions(output_format="parquet")
    transform_dask(tmp_path / "ds", scaler, tmp_path / "out", options, cluster=on_cluster)
    index = json.loads((tmp_path / "out" / INDEX_NAME).read_text())
    schemas = {str(pq.read_schema(tmp_path / "out" / p["path"])) for p in index["parts"]}
    # The hive key k is the parts' directories, not a column in them.
    assert schemas == {str(pq.read_schema(local_out).remove(6))}
    back = tmp_path / "back.parquet"
    normkit.transform_file(tmp_path / "out", scaler, back, normkit.TransformOptions(inverse=True))
    assert pq.read_table(back).num_rows == len(data)


def test_an_inverse_of_files_without_a_record_needs_to_be_told_how(tmp_path, on_cluster, data):
    # As with the local engine: files that keep no record of how they were normalized (CSVs
    # copied without it) are not inverted with settings assumed, nor mixed with files that keep
    # one; told how, they are inverted as the local engine inverts them.
    (tmp_path / "raw").mkdir()
    data.iloc[:1000].to_csv(tmp_path / "raw" / "a.csv", index=False)
    data.iloc[1000:].to_csv(tmp_path / "raw" / "b.csv", index=False)
    scaler = normkit.fit_files(tmp_path / "raw", Standardizer(exclude=["id"]))
    for folder in ("z", "bare", "mixed"):
        (tmp_path / folder).mkdir()
    for name in ("a.csv", "b.csv"):
        normkit.transform_file(tmp_path / "raw" / name, scaler, tmp_path / "z" / name)
        (tmp_path / "bare" / name).write_bytes((tmp_path / "z" / name).read_bytes())
    normkit.transform_file(tmp_path / "raw" / "a.csv", scaler, tmp_path / "mixed" / "a.csv")
    (tmp_path / "mixed" / "b.csv").write_bytes((tmp_path / "z" / "b.csv").read_bytes())
    out = tmp_path / "out"
    inverse = normkit.TransformOptions(inverse=True)
    with pytest.raises(normkit.errors.InputError, match=r"a\.csv keeps no record of how it was"):
        transform_dask(tmp_path / "bare", scaler, out, inverse, cluster=on_cluster)
    with pytest.raises(normkit.errors.InputError, match=r"b\.csv records no normalization, but"):
        transform_dask(tmp_path / "mixed", scaler, out, inverse, cluster=on_cluster)
    assert not out.exists()
    told = normkit.TransformOptions(inverse=True, use="exact")
    transform_dask(tmp_path / "bare", scaler, out, told, cluster=on_cluster)
    local_out = tmp_path / "local.csv"
    normkit.transform_file(tmp_path / "bare", scaler, local_out, told)
    index = json.loads((out / INDEX_NAME).read_text())
    parts = [pyarrow.csv.read_csv(out / p["path"]) for p in index["parts"]]
    assert pa.concat_tables(parts).equals(pyarrow.csv.read_csv(local_out))


def test_a_failed_transform_leaves_no_output(tmp_path, cluster, data):
    paths = write_dataset(tmp_path / "ds", "csv", data.assign(label="a"), PART_ROWS)
    scaler = normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["id"]))
    normkit.save(scaler, tmp_path / "stats.json")
    text = paths[4].read_text().splitlines()
    fields = text[2].split(",")
    fields[2] = "inf"
    text[2] = ",".join(fields)
    paths[4].write_text("\n".join(text) + "\n")
    result = CliRunner().invoke(
        cli,
        [
            "transform",
            str(tmp_path / "ds"),
            "-s",
            str(tmp_path / "stats.json"),
            "-o",
            str(tmp_path / "out"),
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
        ],
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"{ERROR}{paths[4]}: column 'x' at data row 2:"), result.stderr
    assert sorted(os.listdir(tmp_path)) == ["ds", "stats.json"]


def test_an_existing_output_directory_is_not_overwritten(tmp_path, cluster, data):
    write_dataset(tmp_path / "ds", "csv", data, PART_ROWS)
    normkit.save(
        normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["id"])), tmp_path / "s.json"
    )
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    result = CliRunner().invoke(
        cli,
        [
            "transform",
            str(tmp_path / "ds"),
            "-s",
            str(tmp_path / "s.json"),
            "-o",
            str(tmp_path / "out"),
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
        ],
    )
    assert result.exit_code == 1
    assert "exists and is not empty" in result.stderr
    assert os.listdir(tmp_path / "out") == ["keep.txt"]


def test_usage_errors_of_the_engine_options(tmp_path):
    def usage(*args):
        result = CliRunner().invoke(cli, [str(a) for a in args])
        assert result.exit_code == 2, result.output
        return result.stderr

    assert "--workers needs --engine dask" in usage("fit", tmp_path, "--workers", "2")
    assert "with --scheduler the cluster is already running" in usage(
        "fit", tmp_path, "--engine", "dask", "--workers", "2", "--scheduler", "tcp://x:1"
    )
    assert "frozen transforms only" in usage(
        "transform",
        tmp_path,
        "-s",
        "s.json",
        "-o",
        tmp_path / "o",
        "--engine",
        "dask",
        "--mode",
        "batch",
    )


def test_the_command_line_with_its_own_local_cluster(tmp_path, data):
    """The issue's check: ``normkit fit DIR --engine dask --workers 2`` equals ``normkit fit DIR``,
    run as real processes."""
    write_dataset(tmp_path / "ds", "parquet", data, PART_ROWS)
    normkit_bin = [sys.executable, "-m", "normkit"]
    common = ["fit", str(tmp_path / "ds"), "--exclude", "id", "--batch-size", "10", "-q"]
    subprocess.run([*normkit_bin, *common, "-o", str(tmp_path / "b.json")], check=True)
    done = subprocess.run(
        [
            *normkit_bin,
            *common,
            "-o",
            str(tmp_path / "a.json"),
            "--engine",
            "dask",
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert_same_fit(normkit.load(tmp_path / "b.json"), normkit.load(tmp_path / "a.json"))


def test_bad_options_and_addresses_fail_before_any_work(tmp_path, cluster, data):
    write_dataset(tmp_path / "ds", "csv", data, PART_ROWS)
    stats = tmp_path / "s.json"
    normkit.save(normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["id"], ema=None)), stats)
    for args, code, fragment in (
        (["--use", "ema"], 1, "s.json: these statistics have no running (EMA) statistics"),
        (["--gamma", "nosuch=2"], 1, "no fitted column 'nosuch'"),
    ):
        result = CliRunner().invoke(
            cli,
            [
                "transform",
                str(tmp_path / "ds"),
                "-s",
                str(stats),
                "-o",
                str(tmp_path / "o"),
                "--engine",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                *args,
            ],
        )
        assert result.exit_code == code, result.output
        assert len(result.stderr.strip().split("\n")) == 1, result.stderr
        assert fragment in result.stderr
    result = CliRunner().invoke(
        cli, ["fit", str(tmp_path / "ds"), "--engine", "dask", "--scheduler", "http://x:1"]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"{ERROR}cannot reach the Dask scheduler at http://x:1")


def test_parts_take_the_format_of_the_output_directory_name(tmp_path, on_cluster, data):
    write_dataset(tmp_path / "ds", "csv", data, PART_ROWS)
    scaler = normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["id"]))
    transform_dask(tmp_path / "ds", scaler, tmp_path / "z.parquet", cluster=on_cluster)
    index = json.loads((tmp_path / "z.parquet" / INDEX_NAME).read_text())
    assert index["output_format"] == "parquet"
    assert all(p["path"].endswith(".parquet") for p in index["parts"])


def test_parts_of_different_types_are_refused(tmp_path, on_cluster, data):
    (tmp_path / "ds").mkdir()
    first = pa.Table.from_pandas(data.iloc[:10], preserve_index=False)
    second = pa.Table.from_pandas(data.iloc[10:], preserve_index=False)
    second = second.set_column(0, "id", second.column("id").cast(pa.int32()))
    pq.write_table(first, tmp_path / "ds" / "a.parquet")
    pq.write_table(second, tmp_path / "ds" / "b.parquet")
    scaler = normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["id"]))
    with pytest.raises(normkit.SchemaError, match="column 'id' has type int32"):
        transform_dask(tmp_path / "ds", scaler, tmp_path / "out", cluster=on_cluster)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("suffix", ["", ".csv"])
def test_parts_of_text_of_either_width_or_any_type_to_csv_are_transformed(
    tmp_path, on_cluster, suffix
):
    # pyarrow writes string, pandas large_string: one type, as in the local engine. CSV parts
    # have no types at all.
    (tmp_path / "ds").mkdir()
    first = pa.table({"x": [1.0, 2.0, 3.0], "t": pa.array(["a", "b", "c"], pa.string())})
    second = pa.table({"x": [4.0, 5.0, 6.0], "t": pa.array(["d", "e", "f"], pa.large_string())})
    if suffix:
        second = second.set_column(1, "t", pa.array([1, 2, 3]))
    pq.write_table(first, tmp_path / "ds" / "a.parquet")
    pq.write_table(second, tmp_path / "ds" / "b.parquet")
    scaler = normkit.fit_files(tmp_path / "ds", Standardizer(exclude=["t"]))
    out = tmp_path / f"out{suffix}"
    transform_dask(tmp_path / "ds", scaler, out, cluster=on_cluster)
    parts = sorted(p for p in out.iterdir() if not p.name.startswith(("_", ".")))
    read = (lambda p: pa.csv.read_csv(p)) if suffix else pq.read_table
    x = np.concatenate([read(p).column("x").to_numpy() for p in parts])
    np.testing.assert_allclose(
        x, StandardScaler().fit_transform(np.arange(1.0, 7.0)[:, None])[:, 0]
    )


def test_progress_is_reported_per_file(tmp_path, on_cluster, data):
    write_dataset(tmp_path / "ds", "parquet", data, PART_ROWS)
    seen: list[tuple[int, int]] = []
    scaler = fit_dask(
        tmp_path / "ds",
        Standardizer(exclude=["id"]),
        cluster=on_cluster,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(k, len(PART_ROWS)) for k in range(1, len(PART_ROWS) + 1)]
    written: list[tuple[int, int]] = []
    transform_dask(
        tmp_path / "ds",
        scaler,
        tmp_path / "out",
        cluster=on_cluster,
        progress=lambda done, total: written.append((done, total)),
    )
    assert written[-1] == (len(PART_ROWS), len(PART_ROWS))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_dask_weighted_fit_equals_local_fit(tmp_path, on_cluster, data, fmt):
    rng = np.random.default_rng(3)
    weighted = data.assign(w=rng.exponential(1.0, len(data)) * (rng.random(len(data)) > 0.1))
    write_dataset(tmp_path / "ds", fmt, weighted, PART_ROWS)
    with pytest.raises(normkit.OptionError, match="running"):  # options asked for: refused
        fit_dask(
            tmp_path / "ds",
            Standardizer(exclude=["id"], ema=EmaOptions(batch_size=64)),
            cluster=on_cluster,
            weight_column="w",
        )
    estimator = Standardizer(exclude=["id"])
    local = normkit.fit_files(tmp_path / "ds", estimator, weight_column="w")
    dask = fit_dask(tmp_path / "ds", estimator, cluster=on_cluster, weight_column="w")
    assert_same_fit(local, dask)  # no running statistics on either side
    assert local.ema_ is None
    assert dask.stats_.weighted
    np.testing.assert_allclose(dask.stats_.weight, local.stats_.weight, rtol=1e-12)
    assert dask.stats_.passthrough == local.stats_.passthrough
    X = weighted[list(local.columns_)].to_numpy(dtype=float)
    reference = StandardScaler().fit(X, sample_weight=weighted["w"])
    np.testing.assert_allclose(dask.var_, reference.var_, rtol=1e-12)


def test_weights_whose_sum_overflows_across_files_are_refused_by_column(tmp_path, on_cluster):
    # Each file's sum is finite, theirs is not: refused as an invalid output stat file, with
    # numpy's overflow warning, where the local engine names the row.
    (tmp_path / "ds").mkdir()
    pd.DataFrame({"x": [0.0, 1.0], "w": [1e308, 1.0]}).to_csv(tmp_path / "ds" / "a.csv")
    pd.DataFrame({"x": [5.0, 7.0], "w": [1.0, 1e308]}).to_csv(tmp_path / "ds" / "b.csv")
    with pytest.raises(normkit.DataError, match="the sum of the weights overflows float64 once"):
        fit_dask(tmp_path / "ds", Standardizer(), cluster=on_cluster, weight_column="w")
    with pytest.raises(normkit.DataError, match=r"b\.csv: weight column 'w' at data row 2: "):
        normkit.fit_files(tmp_path / "ds", Standardizer(), weight_column="w")
    for name in ("a", "b"):  # and stat files of each merged
        part = normkit.fit_files(tmp_path / "ds" / f"{name}.csv", Standardizer(), weight_column="w")
        part.save(tmp_path / f"{name}.json")
    with pytest.raises(normkit.StatsFileError, match=r"b\.json: column 'x': the sum of the "):
        normkit.merge_stat_files([tmp_path / "a.json", tmp_path / "b.json"])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_detected_dialect_is_read_and_recorded_as_the_local_engine_does(
    tmp_path, on_cluster, encoding
):
    # Semicolon-separated parts with decimal commas and a comment line: detected once, read the
    # same way by every worker, recorded as the local engine records it (the encoding of a
    # byte-order mark too).
    folder = tmp_path / "eu"
    folder.mkdir()
    rng = np.random.default_rng(4)
    for part in range(3):
        rows = "".join(
            f"{part * 100 + i};{x:.6f};{'ab'[i % 2]}".replace(".", ",") + "\n"
            for i, x in enumerate(rng.normal(5, 2, 100))
        )
        (folder / f"part-{part}.csv").write_bytes(("# export\nid;x;kind\n" + rows).encode(encoding))
    read = ReadOptions(csv=normkit.CsvOptions(decimal=","))
    local = normkit.fit_files(folder, Standardizer(exclude=["id"]), read)
    dask = fit_dask(folder, Standardizer(exclude=["id"]), read, cluster=on_cluster)
    assert_same_fit(local, dask)
    assert dask.stats_.read == local.stats_.read
    assert (local.stats_.read.delimiter, local.stats_.read.comment) == (";", "#")
    assert local.stats_.read.encoding == (None if encoding == "utf-8" else encoding)


def test_parts_without_a_byte_order_mark_are_read_as_utf8_with_statistics_of_utf16(
    tmp_path, on_cluster
):
    # Each part's options were completed by the stat file twice (before and on the worker): the
    # second took the encoding for one given, which a file without a mark cannot be read in.
    frame = pd.DataFrame({"id": range(40), "x": np.linspace(-3.0, 5.0, 40)})
    fitted = tmp_path / "fitted.csv"
    frame.to_csv(fitted, index=False, encoding="utf-16")
    scaler = normkit.fit_files(fitted, Standardizer(exclude=["id"]))
    assert scaler.stats_.read.encoding == "utf-16"
    folder = tmp_path / "ds"
    folder.mkdir()
    for part in range(2):
        frame.iloc[part * 20 : part * 20 + 20].to_csv(folder / f"p{part}.csv", index=False)
    result = transform_dask(folder, scaler, tmp_path / "out.csv", cluster=on_cluster)
    assert result.rows == len(frame)
    local = tmp_path / "local.csv"
    normkit.transform_file(folder, scaler, local)
    parts = sorted((tmp_path / "out.csv").glob("*.csv"))
    got = pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)  # UTF-8, no mark
    assert not any(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in parts)
    pd.testing.assert_frame_equal(got, pd.read_csv(local))


def test_files_on_different_scales_by_their_records_are_refused(tmp_path, on_cluster):
    rng = np.random.default_rng(2)
    data = pd.DataFrame({"f": rng.normal(50, 10, 400)})
    (tmp_path / "set").mkdir()
    data.to_parquet(tmp_path / "set" / "a.parquet", index=False)
    stats = normkit.fit_files(tmp_path / "set" / "a.parquet")
    normkit.transform_file(tmp_path / "set" / "a.parquet", stats, tmp_path / "set" / "b.parquet")
    with pytest.raises(normkit.InputError, match="rows would mix two scales"):
        fit_dask(tmp_path / "set", cluster=on_cluster, output=tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists()


def test_identifiers_beyond_int64_are_refused_on_a_worker_as_in_a_local_fit(tmp_path, on_cluster):
    # The local engine refuses a uint64 id beyond int64 chosen by its type; the Dask engine
    # normalized it, rounded to float64.
    (tmp_path / "ds").mkdir()
    ids = pa.array([5, 2**64 - 2, 2**64 - 1], pa.uint64())
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0], "id": ids}), tmp_path / "ds" / "a.parquet")
    message = "column 'id' at data row 2: 18446744073709551614 is an integer beyond int64"
    with pytest.raises(normkit.DataError, match=message):
        fit_dask(tmp_path / "ds", Standardizer(), cluster=on_cluster)
    with pytest.raises(normkit.DataError, match=message):
        normkit.fit_files([tmp_path / "ds"], Standardizer())
    chosen = fit_dask(tmp_path / "ds", Standardizer(columns=["x", "id"]), cluster=on_cluster)
    assert list(chosen.columns_) == ["x", "id"]


def test_an_empty_arrow_file_part_gets_the_others_types(tmp_path, on_cluster):
    # The parts' schema was read as an Arrow stream from an Arrow file: a raw ArrowInvalid
    # traceback ('Expected to read ... metadata bytes'), no output.
    (tmp_path / "ds").mkdir()
    full = pa.table({"x": [1.0, 2.0, 4.0], "s": ["a", "b", "c"]})
    with pa.ipc.new_file(tmp_path / "ds" / "a.arrow", full.schema) as writer:
        writer.write_table(full)
    empty = pa.schema([("x", pa.float64()), ("s", pa.null())])
    with pa.ipc.new_file(tmp_path / "ds" / "b.arrow", empty):
        pass
    scaler = fit_dask(tmp_path / "ds", Standardizer(), cluster=on_cluster)
    result = transform_dask(tmp_path / "ds", scaler, tmp_path / "out", cluster=on_cluster)
    parts = sorted((tmp_path / "out").glob("part-*.arrow"))
    assert (result.rows, len(parts)) == (3, 2)
    assert pa.ipc.open_file(parts[1]).schema.field("s").type == pa.string()


def test_fit_dask_writes_the_stat_file_named_by_output(tmp_path, on_cluster):
    (tmp_path / "set").mkdir()
    frame(50).to_parquet(tmp_path / "set" / "a.parquet", index=False)
    fitted = fit_dask(tmp_path / "set", cluster=on_cluster, output=tmp_path / "s.json")
    assert (tmp_path / "s.json").read_text() == normkit.dumps(fitted)


def test_a_dialect_every_file_shares_is_recorded_where_no_file_has_comment_lines(
    tmp_path, on_cluster
):
    # The first file read without comment lines, the others were told so: their dialects
    # differed by that alone, and neither engine recorded the separator nor the header.
    folder = tmp_path / "pipes"
    folder.mkdir()
    (folder / "p1.csv").write_text("1.5|2|a\n2.5|3|b\n4|7|a\n")
    (folder / "p2.csv").write_text("3.5|2|b\n1|9|a\n")
    local = normkit.fit_files(folder)
    dask = fit_dask(folder, cluster=on_cluster)
    assert_same_fit(local, dask)
    assert dask.stats_.read == local.stats_.read
    assert (local.stats_.read.delimiter, local.stats_.read.header) == ("|", False)


def test_a_column_of_no_value_passes_through_whatever_the_weights(tmp_path, on_cluster):
    # A row of weight 0 made a column of no value at all look like one whose values all weigh
    # 0: refused. Its parts count the values of weight 0 apart, as one pass does.
    folder = tmp_path / "weighted"
    folder.mkdir()
    (folder / "p1.csv").write_text("a,b,kind,w\n1,,x,1\n2,,y,0\n")
    (folder / "p2.csv").write_text("a,b,kind,w\n4,,x,1\n5,,y,2\n")
    local = normkit.fit_files(folder, weight_column="w")
    dask = fit_dask(folder, cluster=on_cluster, weight_column="w")
    assert_same_fit(local, dask)
    assert dask.stats_.passthrough == local.stats_.passthrough
    assert ("b", "no values") in [(p.name, p.why) for p in dask.stats_.passthrough]
    (folder / "p1.csv").write_text("a,b,kind,w\n1,,x,1\n2,7,y,0\n")
    with pytest.raises(normkit.DataError, match=r"column 'b' has no values of weight above 0"):
        fit_dask(folder, cluster=on_cluster, weight_column="w")


def test_integer_weights_then_fractions_are_recorded_as_a_local_fit_records_them(
    tmp_path, on_cluster
):
    rng = np.random.default_rng(4)
    rows = 60_000
    w = rng.integers(1, 5, rows).astype(float)
    w[-10:] = 0.25  # in the last file only, after its first rows' integers
    frame = pd.DataFrame({"x": rng.normal(size=rows), "w": w})
    for i, part in enumerate(np.array_split(np.arange(rows), 3)):
        frame.iloc[part].to_csv(tmp_path / f"p{i}.csv", index=False, float_format="%.17g")
    files = sorted(tmp_path.glob("p*.csv"))
    local = normkit.fit_files(files, weight_column="w")
    dask = fit_dask(files, weight_column="w", cluster=on_cluster)
    assert local.stats_.passthrough == dask.stats_.passthrough
    weight = [(p.name, p.dtype, p.why) for p in dask.stats_.passthrough]
    assert weight == [("w", "double", "weight")]
    np.testing.assert_allclose(dask.mean_, local.mean_, rtol=1e-12)
    expected = StandardScaler().fit(frame[["x"]], sample_weight=w)
    np.testing.assert_allclose(dask.mean_, expected.mean_, rtol=1e-12)
