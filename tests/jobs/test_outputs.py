"""Outputs: atomic files, permissions, special files, protected inputs, signals, bad values."""

from __future__ import annotations

import csv
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import NORMKIT, read_arrow, run
from sklearn.preprocessing import StandardScaler

import normkit


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "data.csv"
    pd.DataFrame({"id": range(50), "x": np.linspace(0, 1, 50)}).to_csv(path, index=False)
    return path


@pytest.fixture
def stats(tmp_path, data) -> Path:
    path = tmp_path / "stats.json"
    assert run("fit", data, "--exclude", "id", "-o", path).exit_code == 0
    return path


def test_outputs_follow_the_umask_or_keep_the_existing_mode(tmp_path, data, stats):
    old = os.umask(0o022)
    try:
        out = tmp_path / "out.csv"
        assert run("transform", data, "-s", stats, "-o", out).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        out.chmod(0o640)
        assert run("transform", data, "-s", stats, "-o", out).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
        assert stat.S_IMODE(stats.stat().st_mode) == 0o644
    finally:
        os.umask(old)


def test_an_output_written_again_keeps_its_group(tmp_path, data, stats):
    # Its mode was kept, its group not (back to the writer's): a shared group lost access.
    import grp

    mine = [g.gr_gid for g in grp.getgrall()] if os.geteuid() == 0 else os.getgroups()
    other = next((gid for gid in mine if gid != os.getgid()), None)
    if other is None:  # (as root, as here, it runs)
        pytest.skip("no other group this user may give a file")
    out = tmp_path / "out.csv"
    assert run("transform", data, "-s", stats, "-o", out).exit_code == 0
    os.chown(out, -1, other)
    out.chmod(0o664)
    assert run("transform", data, "-s", stats, "-o", out).exit_code == 0
    assert (out.stat().st_gid, stat.S_IMODE(out.stat().st_mode)) == (other, 0o664)


def test_a_named_pipe_is_written_in_place(tmp_path, data, stats):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    result = run("transform", data, "-s", stats, "-o", fifo)
    reader.join(timeout=20)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a pipe, not replaced by a file
    assert received[0].splitlines()[0] == "id,x"
    assert len(received[0].splitlines()) == 51


def test_the_stat_file_read_is_never_overwritten(tmp_path, data, stats):
    before = stats.read_bytes()
    result = run("transform", data, "-s", stats, "-o", stats, "--output-format", "csv")
    assert result.exit_code == 1
    assert f"{stats}: the output would overwrite the stat file {stats}" in result.stderr
    assert stats.read_bytes() == before


def test_the_same_input_twice_is_refused(tmp_path, data):
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    result = run("fit", data, link)
    assert result.exit_code == 2
    assert "given twice" in result.stderr


def test_fit_checks_the_output_before_reading(tmp_path, data):
    result = run("fit", data, "-o", tmp_path / "missing" / "s.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("normkit: error: ")
    assert "does not exist" in result.stderr


def test_compression_suffix_is_for_csv_only(tmp_path, data, stats):
    result = run("transform", data, "-s", stats, "-o", tmp_path / "out.parquet.gz")
    assert result.exit_code == 2
    assert "compression by extension is for CSV" in result.stderr


def test_quoted_empty_fields_are_missing(tmp_path):
    path = tmp_path / "quoted.csv"
    frame = pd.DataFrame({"id": range(6), "x": [1.0, np.nan, 3.0, 4.0, 5.0, 6.0]})
    frame.to_csv(path, index=False, quoting=csv.QUOTE_ALL)
    fitted = normkit.fit_files(path, normkit.Standardizer(exclude=["id"]))
    ref = StandardScaler().fit(frame[["x"]])
    np.testing.assert_allclose(fitted.mean_, ref.mean_, rtol=1e-12)
    assert fitted.n_missing_.tolist() == [1]


def test_a_variance_beyond_float64_is_refused(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("x\n1e308\n-1e308\n1e307\n")
    out = tmp_path / "s.json"
    result = run("fit", path, "-o", out)
    assert result.exit_code == 1
    assert "its variance overflows float64" in result.stderr
    assert "Warning" not in result.stderr
    assert not out.exists()


def test_infinite_values_are_refused_by_transform(tmp_path, data, stats):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,x\n1,0.5\n2,inf\n")
    out = tmp_path / "out.csv"
    result = run("transform", bad, "-s", stats, "-o", out)
    assert result.exit_code == 1
    assert "column 'x' at data row 2: inf is not finite" in result.stderr
    assert not out.exists()
    # In the learning modes too (a batch holding it would otherwise come out as NaN).
    for mode in ("batch", "adaptive"):
        result = run("transform", bad, "-s", stats, "--mode", mode, "--batch-size", "2", "-o", out)
        assert result.exit_code == 1
        assert "column 'x' at data row 2: inf is not finite" in result.stderr
        assert not out.exists()


def test_an_output_beyond_float64s_range_is_refused_with_its_input_row(tmp_path, stats):
    path = tmp_path / "d.csv"
    path.write_text("id,x\n1,0.5\n2,1e300\n")
    out = tmp_path / "out.csv"
    result = run("transform", path, "-s", stats, "--gamma", "1e300", "-o", out)
    assert result.exit_code == 1
    assert "d.csv: column 'x' at data row 2: the output of 1e+300 is inf, beyond float64's" in (
        result.stderr
    )
    assert not out.exists()


@pytest.mark.parametrize("rows", [3_000, 20_000, 150_000])  # one short batch; long ones
@pytest.mark.parametrize("nulls", [False, True])  # columns read in place, or converted
def test_a_parquet_output_beyond_float64s_range_names_its_column_and_row(tmp_path, rows, nulls):
    # Column 'b' overflows at one row only (values of 1e300 against a scale near 1); 'a' and
    # 'c', before and after it, never do. The row is in the last batch of a long file.
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(rows)
    at = rows - 7
    b = rng.normal(0.0, 0.8, size=rows)  # values as the fitted data's
    b[at] = 1e300
    fit_path, path = tmp_path / "fit.csv", tmp_path / "d.parquet"
    pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [-1.0, 0.0, 1.0], "c": [5.0, 6.0, 7.0]}).to_csv(
        fit_path, index=False
    )
    mask = np.zeros(rows, bool)
    mask[1] = nulls
    table = pa.table(
        {
            "a": pa.array(rng.normal(1.0, 0.8, size=rows), mask=mask),
            "b": pa.array(b, mask=mask),
            "c": pa.array(rng.normal(6.0, 0.8, size=rows)),
        }
    )
    pq.write_table(table, path)
    stats = tmp_path / "s.json"
    assert run("fit", fit_path, "-o", stats).exit_code == 0
    out = tmp_path / "out.parquet"
    result = run("transform", path, "-s", stats, "--gamma", "1e10", "-o", out)
    assert result.exit_code == 1, result.output
    assert f"d.parquet: column 'b' at data row {at + 1:,}: the output of " in result.stderr
    assert " is inf, beyond float64's range" in result.stderr
    assert not out.exists()
    # Without the overflow the same file is written, every column mapped.
    result = run("transform", path, "-s", stats, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert pq.read_table(out).num_rows == rows


def test_a_column_empty_in_the_first_block_is_still_normalized(tmp_path):
    path = tmp_path / "late.csv"
    rows = ["id,late"] + [f"{i}," for i in range(200_000)] + [f"{i},{i * 0.5}" for i in range(10)]
    path.write_text("\n".join(rows) + "\n")
    fitted = normkit.fit_files(path, normkit.Standardizer(exclude=["id"]))
    assert list(fitted.columns_) == ["late"]
    assert fitted.n_samples_seen_ == 10


@pytest.mark.parametrize(
    ("provenance", "message"),
    [
        ({"sources": "abc"}, "provenance.'sources' must be a list"),
        ({"sources": [1]}, "provenance.sources[0] must be an object"),
        ({"sources": [{"rows": "many"}]}, "provenance.sources[0].'rows' must be an integer"),
    ],
)
def test_provenance_is_validated(stats, provenance, message):
    doc = json.loads(stats.read_text())
    doc["provenance"] = provenance
    stats.write_text(json.dumps(doc))
    result = run("inspect", stats)
    assert result.exit_code == 1
    assert message in result.stderr


def test_an_integer_beyond_int64_is_refused(stats):
    doc = json.loads(stats.read_text())
    doc["columns"][0]["count"] = 10**30
    stats.write_text(json.dumps(doc))
    result = run("inspect", stats)
    assert result.exit_code == 1
    assert "'count' is too large" in result.stderr


def test_inspect_json_prints_the_file_as_written(stats):
    result = run("inspect", stats, "--json")
    assert result.exit_code == 0
    assert result.stdout == stats.read_text()


@pytest.mark.parametrize("delimiter", ["ab", '"', "\n"])
def test_bad_delimiters_are_usage_errors(data, delimiter):
    result = run("fit", data, "--delimiter", delimiter)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_a_backslash_delimiter_is_just_a_character(data):
    result = run("fit", data, "--delimiter", "\\")
    assert result.exit_code == 1  # the file then has one text column, "id,x"
    assert result.stderr.startswith("normkit: error: ")
    assert "no numeric column" in result.stderr


def test_sigterm_removes_the_temporary_output(tmp_path, stats):
    big = tmp_path / "big.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"id": np.arange(1_500_000), "x": rng.normal(size=1_500_000)}).to_csv(
        big, index=False
    )
    out = tmp_path / "out.csv"
    proc = subprocess.Popen(
        [NORMKIT, "transform", str(big), "-s", str(stats), "-o", str(out), "-q"],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not list(tmp_path.glob("*.normkit-tmp")) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert b"normkit: terminated" in err
    assert not out.exists()
    assert not list(tmp_path.glob("*.normkit-tmp"))


#: The command line with a SIGTERM that comes while Python runs a weak reference's callback,
#: as the import system's locks have (where Python prints a handler's exception, and drops it):
#: ``where`` names the moment, once the output is opened or just before it is moved into place.
LOST_SIGTERM = """
import os, signal, sys, weakref
import normkit.io.files as files

def lost(*args, **kwargs):
    class Box:
        pass

    def callback(ref):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # the handler runs here, in the callback
            pass

    box = Box()
    ref = weakref.ref(box, callback)
    del box

def after():  # a signal whose handler runs as usual, once the output is in place
    os.kill(os.getpid(), signal.SIGTERM)
    for _ in range(1000):
        pass

where = sys.argv.pop(1)
patched_name = "commit" if where == "after" else where
method = getattr(files.AtomicFile, patched_name)
def patched(self, *args, **kwargs):
    if where == "commit":
        lost()
    result = method(self, *args, **kwargs)
    if where == "__init__":
        lost()
    if where == "after":
        after()
    return result
setattr(files.AtomicFile, patched_name, patched)
sys.argv[0] = "normkit"
from normkit_cli.main import main
main()
"""


@pytest.mark.parametrize("where", ["__init__", "commit"])
def test_a_sigterm_whose_exception_python_dropped_still_ends_the_job(tmp_path, data, stats, where):
    # Raised in a weak reference's callback (an import's lock, a destructor), the handler's
    # exception was printed as "Exception ignored" and lost: the job ran on, moved its output
    # into place and exited 0 after a SIGTERM (a scheduler's stop overruled).
    out = tmp_path / "out.parquet"
    command = ["transform", data, "-s", stats, "-o", out]
    proc = subprocess.run(
        [sys.executable, "-c", LOST_SIGTERM, where, *map(str, command)],
        capture_output=True,
        timeout=60,
    )
    # Not the "Exception ignored" report of the exception dropped: the one line of a stop.
    assert (proc.returncode, proc.stderr) == (143, b"normkit: terminated\n")
    assert not out.exists()
    assert not list(tmp_path.glob("*.normkit-tmp*"))


def test_a_sigterm_once_the_output_is_in_place_lets_the_job_end_whole(tmp_path, data, stats):
    # It ended with exit 143 ("terminated") beside the complete output it had moved into
    # place: a script would take the old output to be there still, or nothing written.
    out = tmp_path / "out.parquet"
    command = ["transform", data, "-s", stats, "-o", out]
    proc = subprocess.run(
        [sys.executable, "-c", LOST_SIGTERM, "after", *map(str, command)],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"terminated" not in proc.stderr
    expected = (pd.read_csv(data)["x"] - 0.5) / pd.read_csv(data)["x"].std(ddof=0)
    np.testing.assert_allclose(pd.read_parquet(out)["x"], expected, atol=1e-12)


#: A command of the command line's group that gets Ctrl-C, then SIGTERM as it says it was
#: interrupted (in the main thread alone: no output, no thread, nothing left to chance).
TWO_SIGNALS = """
import os, signal, click
from normkit_cli.app import NormkitGroup, run_to_exit

@click.group(cls=NormkitGroup)
def group():
    pass

@group.command()
def stop():
    echo = click.echo

    def echoed(message=None, *args, **kwargs):
        echo(message, *args, **kwargs)
        if message == "normkit: interrupted":
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):
                pass

    click.echo = echoed
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(10**6):
        pass

# Ctrl-C delivered, as in a terminal: a job started in the background by a shell ignores it.
signal.signal(signal.SIGINT, signal.default_int_handler)
run_to_exit(group, ["stop"])
"""


def test_a_second_signal_while_the_job_stops_changes_nothing():
    # It raised a second exception during the first one's end: a traceback and exit 1, click's
    # "Aborted!", or a second line naming the other signal.
    proc = subprocess.run([sys.executable, "-c", TWO_SIGNALS], capture_output=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (130, b"normkit: interrupted\n")


def test_the_native_engine_sets_up_numpy_when_imported():
    # Set up lazily, on first use mid-job, numpy's C API imported numpy: the command line's
    # SIGTERM handler raising there made the engine panic (exit 1, not 143). The engine's own
    # import now imports numpy, where an exception is the import's, and sets its API up.
    refuse = (
        "import sys\n"
        "class Stop(BaseException): pass\n"
        "class Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'numpy': raise Stop\n"
        "sys.meta_path.insert(0, Refuse())\n"
        "try:\n"
        "    import normkit._native\n"
        "except Stop:\n"
        "    print('stopped')\n"
    )
    result = subprocess.run([sys.executable, "-c", refuse], capture_output=True, check=True)
    assert result.stdout.strip() == b"stopped", result.stderr
    code = (
        "import normkit._native; import numpy._core.multiarray as m; "
        "print(hasattr(m, '_RUST_NUMPY_BORROW_CHECKING_API'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert result.stdout.strip() == b"True"


def test_one_column_with_missing_values_round_trips(tmp_path):
    data = write_text(tmp_path / "one.csv", "x\n1\nNA\n2\n4\n")
    stats, out, back = tmp_path / "s.json", tmp_path / "z.csv", tmp_path / "back.csv"
    assert run("fit", data, "-o", stats).exit_code == 0
    assert run("transform", data, "-s", stats, "-o", out).exit_code == 0
    assert run("inverse", out, "-s", stats, "-o", back).exit_code == 0
    restored = pd.read_csv(back)["x"]
    assert len(restored) == 4  # the missing value did not become a skipped empty line
    np.testing.assert_allclose(restored.to_numpy(), [1.0, np.nan, 2.0, 4.0], rtol=1e-12)


def test_a_file_of_3000_columns_is_fitted(tmp_path):
    frame = pd.DataFrame(np.ones((3, 3000)), columns=[f"c{i}" for i in range(3000)])
    frame.iloc[0] = 2.0
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    stats = normkit.fit_files(path)
    assert len(stats.columns_) == 3000
    np.testing.assert_allclose(stats.mean_, 4 / 3)


def write_text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_pipe_given_by_path_is_read_like_stdin(tmp_path, data, stats):
    """bash's <(command) is a pipe: read once, front to back."""
    done = subprocess.run(
        ["bash", "-c", f"{NORMKIT} transform <(cat {data}) -s {stats} -q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "id,x"
    assert len(done.stdout.splitlines()) == 51


def test_sigterm_while_waiting_for_a_pipe(tmp_path):
    fifo = tmp_path / "wait.csv"
    os.mkfifo(fifo)
    proc = subprocess.Popen([NORMKIT, "fit", str(fifo), "-q"], stderr=subprocess.PIPE)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 143
    assert err.decode().strip() == "normkit: terminated"


@pytest.mark.parametrize("suffix", ["parquet", "arrow"])
@pytest.mark.parametrize("chosen", [("--columns", "x"), ("--exclude", "w")])
def test_a_float_column_passed_through_is_written_as_read(tmp_path, suffix, chosen):
    # The engine reads it as float64 already; it was converted again as text (and refused).
    path = tmp_path / "m.csv"
    frame = pd.DataFrame({"x": [1, 2, 3, 5], "w": [1.5, 2.5, np.nan, 4.0], "t": list("abcd")})
    frame.to_csv(path, index=False)
    assert run("fit", path, *chosen, "-q", "-o", tmp_path / "s.json").exit_code == 0
    out = tmp_path / f"out.{suffix}"
    result = run("transform", path, "-s", tmp_path / "s.json", "-q", "-o", out)
    assert result.exit_code == 0, result.stderr
    import pyarrow.parquet as pq

    table = pq.read_table(out) if suffix == "parquet" else read_arrow(out)
    assert table.column("w").type == "double"
    assert table.column("w").to_pylist() == [1.5, 2.5, None, 4.0]
    x = frame[["x"]].to_numpy(dtype=float)
    assert np.array_equal(table.column("x").to_numpy(), StandardScaler().fit_transform(x)[:, 0])


def test_a_refusal_after_the_reading_began_leaves_no_thread_and_no_output(tmp_path, data, stats):
    # A transform starts reading before it has checked the inputs' records (the reading runs
    # while the fingerprint is made): a refusal then must still stop it and write nothing.
    from normkit.errors import InputError
    from normkit.jobs.transform import transform_file

    once = tmp_path / "once.parquet"
    transform_file(data, stats, once)
    again = tmp_path / "again.parquet"
    with pytest.raises(InputError, match="already normalized with these statistics"):
        transform_file(once, stats, again)
    assert not again.exists()
    alive = [t for t in threading.enumerate() if t.name == "normkit-prefetch" and t.is_alive()]
    assert alive == []
