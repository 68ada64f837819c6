"""The ``normkit`` command as a real process: pipes, closed pipes, stdin, signals.

Both the console script (beside the running interpreter) and ``python -m normkit`` are run.
References are computed here with scikit-learn and numpy from the data.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from conftest import ROW_TAG, SAMPLE_CSV, TMP_MARK, leftovers, run_normkit, write_big_csv
from sklearn.preprocessing import StandardScaler

SCRIPT = os.path.join(os.path.dirname(sys.executable), "normkit")
MODULE = f"{shlex.quote(sys.executable)} -m normkit"
COMMANDS = {"script": shlex.quote(SCRIPT), "module": MODULE}
ROWS = 300_000


# -- helpers ---------------------------------------------------------------------------------


def bash(script: str, cwd, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def normkit_argv(kind: str) -> list[str]:
    return [SCRIPT] if kind == "script" else [sys.executable, "-m", "normkit"]


def default_sigint():
    # The test runner may itself ignore SIGINT (a background job) or SIGHUP (run under nohup);
    # give the child Python's ordinary handling of both, as an interactive shell would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def clean_stderr(text: str) -> None:
    assert "Traceback" not in text, text
    assert "Exception ignored" not in text, text


def load_xy(path_or_bytes) -> np.ndarray:
    source = (
        pa.BufferReader(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
    )
    table = pacsv.read_csv(source)
    return np.column_stack([table.column(n).to_numpy() for n in ("x", "y")]).astype(np.float64)


def sklearn_with_stats(doc: dict) -> StandardScaler:
    names = [c["name"] for c in doc["columns"]]
    sk = StandardScaler().fit(np.zeros((2, len(names))))
    sk.mean_ = np.array([c["mean"] for c in doc["columns"]], dtype=np.float64)
    sk.scale_ = np.array([c["scale"] for c in doc["columns"]], dtype=np.float64)
    return sk


def assert_close_by_column(actual, desired, rtol=1e-12):
    """Relative agreement, each column's absolute floor being ``rtol`` times its largest
    magnitude (values that cancel to about zero cannot agree relatively)."""
    floor = rtol * np.nanmax(np.abs(desired), axis=0)
    for j in range(desired.shape[1]):
        np.testing.assert_allclose(actual[:, j], desired[:, j], rtol=rtol, atol=floor[j])


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A 300k-row CSV (about 25 MB) and its stat file (fitted excluding ``id``)."""
    directory = tmp_path_factory.mktemp("pipes")
    path = directory / "data.csv"
    write_big_csv(path, ROWS)
    stats = directory / "stats.json"
    proc = subprocess.run(
        [SCRIPT, "fit", str(path), "--exclude", "id", "-o", str(stats), "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return path, stats


@pytest.fixture(scope="module")
def huge(tmp_path_factory, data):
    """A CSV of about 120 MB (the 300k rows five times over), for interrupting mid-way."""
    path = tmp_path_factory.mktemp("huge") / "huge.csv"
    write_big_csv(path, ROWS, repeat=5)
    return path, data[1]


def test_console_script_exists():
    assert os.access(SCRIPT, os.X_OK), SCRIPT


# -- closed pipes -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["script", "module"])
def test_transform_into_head_is_quiet(tmp_path, data, kind):
    path, stats = data
    nk = COMMANDS[kind]
    script = (
        f"cat {shlex.quote(str(path))} | {nk} transform -s {shlex.quote(str(stats))} - "
        f'2>err.txt | head -3; echo "status: ${{PIPESTATUS[*]}}"'
    )
    proc = bash(script, tmp_path)
    lines = proc.stdout.splitlines()
    assert len(lines) == 4, proc.stdout[:2000]
    statuses = lines[3].split()[1:]
    assert statuses[1:] == ["0", "0"], lines[3]  # normkit and head; cat may die of SIGPIPE
    err = (tmp_path / "err.txt").read_text()
    clean_stderr(err)
    assert err == ""

    original = path.read_text(encoding="utf-8").split("\n", 3)
    assert lines[0] == original[0]
    doc = json.loads(stats.read_text())
    expected = sklearn_with_stats(doc).transform(load_xy("\n".join(original[:3]).encode()))
    got = load_xy("\n".join(lines[:3]).encode())
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    for line, source in zip(lines[1:3], original[1:3], strict=True):
        assert line.split(",")[0] == source.split(",")[0]  # id passes through as written
        assert line.split(",")[3] == ROW_TAG


@pytest.mark.parametrize("kind", ["script", "module"])
def test_reader_closing_early_ends_normkit_with_status_0(data, kind):
    path, stats = data
    assert path.stat().st_size > 100 * 65536  # far more output than a pipe buffer holds
    proc = subprocess.Popen(
        [*normkit_argv(kind), "transform", str(path), "-s", str(stats)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        head = [proc.stdout.readline() for _ in range(3)]
        assert head[0].startswith(b"id,x,y,tag")
        assert all(line.endswith(b"\n") for line in head)
        proc.stdout.close()  # the reader goes away mid-stream
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    clean_stderr(err)
    assert err == ""


@pytest.mark.parametrize("existing", [False, True])
def test_save_stats_of_a_stream_its_reader_closed_early_is_not_written_and_fails(
    tmp_path, data, existing
):
    # Statistics that have not seen the whole stream are not saved, and the run says so with
    # exit 1: a nightly continuation would otherwise go on from the old state without a word.
    path, stats = data
    state = tmp_path / "state.json"
    if existing:
        state.write_text(stats.read_text())
    before = state.read_bytes() if existing else None
    script = (
        f"{COMMANDS['script']} transform {shlex.quote(str(path))} -s {shlex.quote(str(stats))} "
        f"--mode adaptive --save-stats state.json 2>err.txt | head -2; "
        f'echo "status: ${{PIPESTATUS[*]}}"'
    )
    proc = bash(script, tmp_path)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("id,x,y,tag")
    assert lines[2].split()[1:] == ["1", "0"], lines[2]
    err = (tmp_path / "err.txt").read_text()
    clean_stderr(err)
    assert err == (
        "normkit: error: state.json: --save-stats was not written: the output closed before the "
        "end of the input (its reader stopped reading), so the running statistics were not "
        "updated with all of it; let the reader take the whole output or write it to a file "
        "(--output) and read that\n"
    )
    assert (state.read_bytes() if existing else state.exists()) == (before if existing else False)
    assert leftovers(tmp_path) == []


def test_save_stats_is_written_when_the_reader_takes_the_whole_output(tmp_path, data):
    path, stats = data
    script = (
        f"set -o pipefail; {COMMANDS['script']} transform {shlex.quote(str(path))} "
        f"-s {shlex.quote(str(stats))} --mode adaptive --save-stats state.json -q | wc -l"
    )
    proc = bash(script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(ROWS + 1)]
    assert json.loads((tmp_path / "state.json").read_text())["format"] == "normkit.stats"


@pytest.mark.parametrize("as_json", [[], ["--json"]])
@pytest.mark.parametrize(("shift", "verdict"), [(0.0, 0), (1.0, 3)])
def test_drift_verdict_survives_a_reader_that_closes_early(tmp_path, as_json, shift, verdict):
    # A check's exit code is its result: `| true` (gone before the report is written) loses
    # the report, not the verdict.
    rng = np.random.default_rng(1)
    for name, offset in (("ref.csv", 0.0), ("new.csv", shift)):
        values = rng.normal(offset, 1.0, 5000)
        (tmp_path / name).write_text("x\n" + "".join(f"{v:.17g}\n" for v in values))
    proc = bash(f"{COMMANDS['script']} fit ref.csv -o st.json -q", tmp_path)
    assert proc.returncode == 0, proc.stderr
    args = " ".join(as_json)
    proc = bash(
        f"set -o pipefail; {COMMANDS['script']} drift new.csv -s st.json {args} -q | true",
        tmp_path,
    )
    assert proc.returncode == verdict, proc.stderr
    clean_stderr(proc.stderr)
    assert proc.stderr == ""


@pytest.mark.parametrize(("first", "second"), [("script", "module"), ("module", "script")])
def test_arrow_between_two_normkits_into_head(tmp_path, data, first, second):
    path, stats = data
    s = shlex.quote(str(stats))
    script = (
        f"{COMMANDS[first]} transform {shlex.quote(str(path))} -s {s} --output-format arrow "
        f"2>err1.txt | {COMMANDS[second]} inverse --input-format arrow -s {s} - 2>err2.txt "
        f'| head -3; echo "status: ${{PIPESTATUS[*]}}"'
    )
    proc = bash(script, tmp_path)
    lines = proc.stdout.splitlines()
    assert len(lines) == 4, proc.stdout[:2000]
    assert lines[3].split()[1:] == ["0", "0", "0"], lines[3]
    for name in ("err1.txt", "err2.txt"):
        err = (tmp_path / name).read_text()
        clean_stderr(err)
        assert err == ""
    original = path.read_text(encoding="utf-8").split("\n", 3)
    assert lines[0] == original[0]
    np.testing.assert_allclose(
        load_xy("\n".join(lines[:3]).encode()),
        load_xy("\n".join(original[:3]).encode()),
        rtol=1e-12,
    )


def test_arrow_round_trip_through_a_pipe_reproduces_the_data(tmp_path, data):
    path, stats = data
    s = shlex.quote(str(stats))
    out = tmp_path / "restored.csv"
    script = (
        f"set -o pipefail; {COMMANDS['script']} transform {shlex.quote(str(path))} -s {s} "
        f"--output-format arrow | {COMMANDS['module']} inverse --input-format arrow -s {s} - "
        f"-o {shlex.quote(str(out))} -q"
    )
    proc = bash(script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    clean_stderr(proc.stderr)
    assert proc.stderr == ""
    original = load_xy(path)
    restored = load_xy(out)
    assert restored.shape == original.shape == (ROWS, 2)
    assert_close_by_column(restored, original, rtol=1e-12)
    # the text columns come back as written
    original_lines = path.read_text().splitlines()
    restored_lines = out.read_text().splitlines()
    assert restored_lines[0] == original_lines[0]
    for i in (1, 2, ROWS // 2, ROWS):
        a, b = original_lines[i].split(","), restored_lines[i].split(",")
        assert (b[0], b[3]) == (a[0], a[3])
    assert leftovers(tmp_path) == []


# -- stdin ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["script", "module"])
def test_fit_from_stdin_equals_fit_of_the_file(tmp_path, data, kind):
    path, stats = data
    proc = bash(
        f"set -o pipefail; cat {shlex.quote(str(path))} | {COMMANDS[kind]} fit - --exclude id -q",
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    from_stdin = json.loads(proc.stdout)
    from_file = json.loads(stats.read_text())
    assert from_stdin["columns"] == from_file["columns"]
    assert from_stdin["options"] == from_file["options"]
    assert from_stdin["rows"] == from_file["rows"] == ROWS
    assert from_stdin["provenance"]["sources"][0]["path"] == "-"
    # and both are scikit-learn's statistics
    sk = StandardScaler().fit(load_xy(path))
    np.testing.assert_allclose([c["mean"] for c in from_stdin["columns"]], sk.mean_, rtol=1e-12)
    np.testing.assert_allclose([c["var"] for c in from_stdin["columns"]], sk.var_, rtol=1e-12)


# -- errors as a process ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["script", "module"])
def test_error_is_one_line_and_traceback_on_request(tmp_path, kind):
    missing = tmp_path / "missing.csv"
    argv = normkit_argv(kind)
    proc = subprocess.run([*argv, "fit", str(missing)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr == f"normkit: error: {missing}: no such file\n"
    assert proc.stdout == ""

    for extra, env in ((["--traceback"], {}), ([], {"NORMKIT_TRACEBACK": "1"})):
        proc = subprocess.run(
            [*argv, *extra, "fit", str(missing)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **env},
        )
        assert proc.returncode == 1
        assert proc.stderr.startswith("Traceback (most recent call last):")
        assert f"normkit.errors.InputError: {missing}: no such file" in proc.stderr


def test_infinite_value_error_is_one_line(tmp_path):
    data = tmp_path / "inf.csv"
    data.write_text("a,b\n1,2.5\n3,inf\n4,5\n")
    proc = subprocess.run([SCRIPT, "fit", str(data)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    # nothing else on stderr (no numpy RuntimeWarning from the moments of an infinite value)
    assert proc.stderr.startswith(
        f"normkit: error: {data}: column 'b' at data row 2: inf is not finite"
    )
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stdout == ""


# -- signals ----------------------------------------------------------------------------------


def wait_for_temp_file(directory, proc, min_bytes: int, timeout: float = 8.0) -> Path:
    """The output's temporary file once it holds ``min_bytes``; the process must still run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "normkit finished before the signal: use a bigger file"
        for name in os.listdir(directory):
            if TMP_MARK in name:
                path = Path(directory) / name
                try:
                    if path.stat().st_size >= min_bytes:
                        return path
                except FileNotFoundError:
                    pass
        time.sleep(0.005)
    raise AssertionError("no temporary output appeared")


@pytest.mark.parametrize(
    ("ending", "code", "said"),
    [
        (signal.SIGINT, 130, "interrupted"),
        (signal.SIGTERM, 143, "terminated"),
        # A closed terminal or ssh session: it left the whole temporary output behind.
        (signal.SIGHUP, 129, "hung up"),
    ],
)
def test_ctrl_c_interrupts_a_transform_cleanly(tmp_path, huge, ending, code, said):
    path, stats = huge
    out = tmp_path / "out.csv"
    started = time.monotonic()
    proc = subprocess.Popen(
        [SCRIPT, "transform", str(path), "-s", str(stats), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
    )
    try:
        # wait until the first batches are written (about 0.5-1 s in), then press Ctrl-C
        wait_for_temp_file(tmp_path, proc, min_bytes=2 << 20)
        assert proc.poll() is None, "normkit finished before the signal: use a bigger file"
        proc.send_signal(ending)
        stdout, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert time.monotonic() - started < 10
    err = stderr.decode()
    assert proc.returncode == code, err
    assert err == f"normkit: {said}\n"
    assert stdout == b""
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_ctrl_c_early_in_a_transform_is_not_lost(tmp_path, huge):
    path, stats = huge  # long enough to be interrupted 0.1 s after its output is opened
    out = tmp_path / "out.csv"
    for _ in range(3):
        proc = subprocess.Popen(
            [SCRIPT, "transform", str(path), "-s", str(stats), "-o", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=default_sigint,
        )
        try:
            wait_for_temp_file(tmp_path, proc, min_bytes=1)  # the output is open: work started
            time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert (proc.returncode, stderr.decode()) == (130, "normkit: interrupted\n")
        assert not out.exists()
        assert leftovers(tmp_path) == []


@pytest.mark.parametrize("started_as", ["normkit", "normkit/__main__.py"])
def test_ctrl_c_while_the_command_loads_is_not_a_traceback(started_as):
    # Ctrl-C in the first tenth of a second, while modules were imported, printed a
    # KeyboardInterrupt traceback. Here the command's package has loaded and the rest has not.
    code = (
        f"import os, signal, sys, time; sys.argv[0] = {started_as!r}; import normkit_cli; "
        "os.kill(os.getpid(), signal.SIGINT); time.sleep(5)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        timeout=30,
        preexec_fn=default_sigint,
        check=False,
    )
    assert (proc.returncode, proc.stderr.decode()) == (130, "normkit: interrupted\n")
    # Imported by a program (or the tests), the package leaves Ctrl-C alone.
    code = code.replace(repr(started_as), "'program.py'")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, preexec_fn=default_sigint, check=False
    )
    assert proc.returncode == -signal.SIGINT  # Python's own end on Ctrl-C
    assert proc.stderr.decode().splitlines()[-1] == "KeyboardInterrupt"


def test_sigkill_mid_transform_leaves_the_existing_output_intact(tmp_path, huge):
    path, stats = huge
    out = tmp_path / "out.parquet"
    previous = b"the previous output\n" * 1000
    out.write_bytes(previous)
    proc = subprocess.Popen(
        [SCRIPT, "transform", str(path), "-s", str(stats), "-o", str(out), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        temp = wait_for_temp_file(tmp_path, proc, min_bytes=1 << 20)
        assert proc.poll() is None, "normkit finished before the signal: use a bigger file"
        proc.kill()
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert out.read_bytes() == previous
    assert temp.parent == tmp_path  # the partial output went to a temporary file beside it


@pytest.mark.parametrize("output", ["-", "out.csv"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_transform_refused_at_its_first_value_writes_nothing(tmp_path, output, bom):
    # The header (and byte-order mark) went out first, so a pipe got a header and no rows
    # from a job that failed: they are now written with the first records.
    fitted, other = tmp_path / "a.csv", tmp_path / "b.csv"
    fitted.write_bytes(bom + b"id,x\na,1.5\nb,2.5\n")
    other.write_bytes(bom + b'id,x\na,"1,5"\n')
    stats = tmp_path / "s.json"
    assert run_normkit("fit", fitted, "-o", stats).returncode == 0
    proc = run_normkit("transform", other, "-s", stats, "-o", output)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == b""
    assert not (tmp_path / "out.csv").exists()
    # Without records, the output is the header alone, as before.
    empty = tmp_path / "e.csv"
    empty.write_bytes(bom + b"id,x\n")
    proc = run_normkit("transform", empty, "-s", stats, "-o", "-")
    assert (proc.returncode, proc.stdout) == (0, bom + b"id,x\n")
    proc = run_normkit("transform", fitted, "-s", stats, "-o", "-")
    assert proc.stdout == bom + b"id,x\na,-1.0\nb,1.0\n"


@pytest.mark.parametrize("stderr", ["2>&-", "2>/dev/full"])
def test_a_closed_or_full_stderr_loses_the_messages_not_the_job(tmp_path, stderr):
    # A daemon's closed stderr failed every command, nothing written (exit 1); a full one
    # failed it after the output was written (its summary line could not be).
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\n3,5\n4,7.5\n")
    stats, z = tmp_path / "s.json", tmp_path / "z.csv"
    normkit = COMMANDS["script"]
    script = f"{normkit} fit {data} -o {stats} {stderr} && {normkit} transform {data} -s {stats} {stderr}"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == 0
    z.write_bytes(proc.stdout)
    x = np.array([[1, 2], [3, 5], [4, 7.5]])
    out = pacsv.read_csv(z).to_pandas().to_numpy()
    np.testing.assert_allclose(out, StandardScaler().fit_transform(x), rtol=1e-12, atol=1e-15)
    # An error still ends with its exit code, its message lost.
    proc = subprocess.run(
        ["bash", "-c", f"{normkit} fit {tmp_path / 'none.csv'} -o {stats} {stderr}"], timeout=60
    )
    assert proc.returncode == 1


@pytest.mark.parametrize(
    "command", [["inspect", "{stats}"], ["export", "-s", "{stats}", "--to", "numpy", "-o", "-"]]
)
def test_a_full_stdout_is_named_in_the_error(tmp_path, command):
    # "cannot write: No space left on device" named no output, where transform names <stdout>.
    stats = tmp_path / "s.json"
    assert run_normkit("fit", SAMPLE_CSV, "-q", "-o", stats).returncode == 0
    args = " ".join(shlex.quote(a.format(stats=stats)) for a in command)
    proc = subprocess.run(
        ["bash", "-c", f"{COMMANDS['script']} {args} > /dev/full"], capture_output=True, timeout=60
    )
    assert proc.returncode == 1
    assert (
        proc.stderr.decode() == "normkit: error: <stdout>: cannot write: No space left on device\n"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["export", "-s", "{stats}", "--to", "numpy", "-o", "-"],
        ["fit", "{data}", "-o", "-"],
        ["transform", "{data}", "-s", "{stats}"],
        ["inspect", "{stats}"],
        ["inspect", "{stats}", "--json"],
        ["drift", "{data}", "-s", "{stats}"],
        ["drift", "{data}", "-s", "{stats}", "--json"],
    ],
)
def test_a_closed_stdout_is_named_in_one_line(tmp_path, command):
    # export -o - raised AttributeError ('NoneType' object has no attribute 'buffer'); inspect
    # and drift (no drift found) exited 0, their result lost.
    stats = tmp_path / "s.json"
    assert run_normkit("fit", SAMPLE_CSV, "-q", "-o", stats).returncode == 0
    args = " ".join(shlex.quote(a.format(stats=stats, data=SAMPLE_CSV)) for a in command)
    proc = subprocess.run(
        ["bash", "-c", f"{COMMANDS['script']} {args} >&-"], capture_output=True, timeout=60
    )
    assert proc.returncode == 1
    assert proc.stderr.decode() == "normkit: error: <stdout>: standard output is closed\n"


@pytest.mark.parametrize(("path", "descriptor"), [("/dev/stdout", 1), ("/dev/fd/5", 5)])
def test_a_path_naming_a_descriptor_writes_through_it(tmp_path, path, descriptor):
    # -o /dev/stdout >> log.csv replaced log.csv (its path, resolved, was renamed over): the
    # lines above were lost, exit 0, and a record of the file was left beside it. Now as '-'.
    stats = tmp_path / "s.json"
    assert run_normkit("fit", SAMPLE_CSV, "-q", "-o", stats).returncode == 0
    log = tmp_path / "log.csv"
    log.write_text("kept\n")
    command = [SCRIPT, "transform", SAMPLE_CSV, "-s", stats, "-o", path, "-q"]
    shell = f"{shlex.join(map(str, command))} {descriptor}>> {shlex.quote(str(log))}"
    proc = subprocess.run(["bash", "-c", shell], capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    expected = run_normkit("transform", SAMPLE_CSV, "-s", stats, "-o", "-", "-q").stdout
    assert log.read_bytes() == b"kept\n" + expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv", "s.json"]
    # A stat file too, and standard output's format is CSV's whatever the name.
    shell = f"{SCRIPT} fit {SAMPLE_CSV} -q -o {path} {descriptor}>> {shlex.quote(str(log))}"
    assert subprocess.run(["bash", "-c", shell], check=False).returncode == 0
    assert log.read_text().count('"format": "normkit.stats"') == 1


@pytest.mark.parametrize(("output", "save"), [("-", "/dev/stdout"), ("/dev/stdout", "-")])
def test_statistics_saved_to_the_output_s_stream_are_refused(tmp_path, output, save):
    # Both to standard output: the stat file's JSON went out before or among the rows, exit 0.
    stats = tmp_path / "s.json"
    assert run_normkit("fit", SAMPLE_CSV, "-q", "-o", stats).returncode == 0
    args = ("--mode", "batch", "--save-stats", save, "-o", output)
    proc = run_normkit("transform", SAMPLE_CSV, "-s", stats, *args)
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert proc.stderr.decode() == (
        f"normkit: error: {save}: --save-stats and the output are the same file or stream\n"
    )
    # To another descriptor, the statistics land whole once the output has.
    shell = (
        f"{SCRIPT} transform {SAMPLE_CSV} -s {stats} --mode batch -q -o - --save-stats /dev/fd/5"
    )
    proc = subprocess.run(
        ["bash", "-c", f"{shell} 5>{tmp_path / 'next.json'}"], capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "next.json").read_text())["format"] == "normkit.stats"


def test_standard_input_redirected_from_the_output_is_refused(tmp_path):
    # '- -o in.csv < in.csv' replaced the input with its normalized rows (exit 0), and
    # '- -o - < in.csv >> in.csv' appended them to it; '/dev/stdin' was refused, '-' not.
    stats, data = tmp_path / "s.json", tmp_path / "in.csv"
    data.write_bytes(Path(SAMPLE_CSV).read_bytes())
    assert run_normkit("fit", data, "-q", "-o", stats).returncode == 0
    before = data.read_bytes()
    for output, redirect, shown in [
        (data, "", data),
        ("-", f">> {data}", "<stdout>"),
        ("/dev/stdout", f">> {data}", "/dev/stdout"),
    ]:
        command = f"{SCRIPT} transform - -s {stats} -o {output} < {data} {redirect}"
        proc = subprocess.run(["bash", "-c", command], capture_output=True, check=False)
        assert proc.returncode == 1
        assert proc.stderr.decode() == (
            f"normkit: error: {shown}: the output would overwrite the input, read from standard "
            "input\n"
        )
        assert data.read_bytes() == before
    command = f"{SCRIPT} fit - -o {data} < {data}"
    proc = subprocess.run(["bash", "-c", command], capture_output=True, check=False)
    assert proc.returncode == 1
    assert (
        "the stat file would overwrite the input, read from standard input" in proc.stderr.decode()
    )
    assert data.read_bytes() == before
    # Another file, or a pipe, is written as before.
    command = f"{SCRIPT} transform - -s {stats} -q -o - < {data} > {tmp_path / 'z.csv'}"
    assert subprocess.run(["bash", "-c", command], check=False).returncode == 0
    assert len((tmp_path / "z.csv").read_bytes()) > 0


def test_a_drift_report_redirected_onto_its_input_is_refused(tmp_path):
    # 'drift data.csv -s s.json >> data.csv' appended the report to the data checked, exit 0.
    stats, data = tmp_path / "s.json", tmp_path / "in.csv"
    data.write_bytes(Path(SAMPLE_CSV).read_bytes())
    assert run_normkit("fit", data, "-q", "-o", stats).returncode == 0
    before = data.read_bytes()
    for source, shown in (
        (data, f"the input {data}"),
        (f"- < {data}", "the input, read from standard input"),
    ):
        command = f"{SCRIPT} drift {source} -s {stats} --json >> {data}"
        proc = subprocess.run(["bash", "-c", command], capture_output=True, check=False)
        assert proc.returncode == 1
        assert (
            proc.stderr.decode()
            == f"normkit: error: <stdout>: the report would overwrite {shown}\n"
        )
        assert data.read_bytes() == before
    command = f"{SCRIPT} drift {data} -s {stats} --json > {tmp_path / 'r.json'}"
    assert subprocess.run(["bash", "-c", command], check=False).returncode == 0
    assert json.loads((tmp_path / "r.json").read_text())["drifted"] == []


def test_standard_output_redirected_onto_an_input_or_the_saved_statistics_is_refused(tmp_path):
    # '-o - >> input.csv' appended normalized rows to the input (exit 0), and
    # '-o - --save-stats new.json > new.json' left the statistics alone in new.json, every row
    # lost: '-o /dev/stdout' was refused in both, '-' not.
    stats, data = tmp_path / "s.json", tmp_path / "in.csv"
    data.write_bytes(Path(SAMPLE_CSV).read_bytes())
    assert run_normkit("fit", data, "-q", "-o", stats).returncode == 0
    before = data.read_bytes()
    command = f"{SCRIPT} transform {shlex.quote(str(data))} -s {stats} -o - >> {data}"
    proc = subprocess.run(["bash", "-c", command], capture_output=True, check=False)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"normkit: error: <stdout>: the output would overwrite the input {data}\n"
    )
    assert data.read_bytes() == before
    saved = tmp_path / "new.json"
    command = (
        f"{SCRIPT} transform {data} -s {stats} --mode adaptive -o - --save-stats {saved} > {saved}"
    )
    proc = subprocess.run(["bash", "-c", command], capture_output=True, check=False)
    assert proc.returncode == 2
    assert "--save-stats and the output are the same file or stream" in proc.stderr.decode()


@pytest.mark.parametrize("output_format", ["arrow", "parquet", "csv"])
@pytest.mark.parametrize(
    ("ending", "code", "said"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_signal_ends_a_transform_blocked_on_a_reader_that_stopped_reading(
    huge, output_format, ending, code, said
):
    # pyarrow's writers wrote into the full pipe from C++, where Python runs no signal handler:
    # Arrow and Parquet outputs ran on until the reader closed the pipe.
    path, stats = huge
    proc = subprocess.Popen(
        [SCRIPT, "transform", str(path), "-s", str(stats), "--output-format", output_format, "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
    )
    try:
        assert len(proc.stdout.read(100)) == 100
        time.sleep(1.0)  # the pipe fills, and the writer waits on the reader
        assert proc.poll() is None
        proc.send_signal(ending)
        assert proc.wait(timeout=8) == code
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert proc.stderr.read().decode() == f"normkit: {said}\n"
    proc.stderr.close()


def test_a_late_error_into_a_pipe_needs_pipefail_as_the_readme_says(tmp_path):
    # Standard output cannot be taken back: rows before a late bad record are out, and a
    # pipeline without pipefail ends with its last command's status. The README says so.
    rows = np.random.default_rng(3).normal(100, 10, size=(200_000, 2)).tolist()
    with open(tmp_path / "big.csv", "w") as f:
        f.write("a,b\n")
        f.writelines(f"{a!r},{b!r}\n" for a, b in rows)
        f.write("oops,1\n")
    with open(tmp_path / "fit.csv", "w") as f:
        f.write("a,b\n")
        f.writelines(f"{a!r},{b!r}\n" for a, b in rows[:1000])
    assert run_normkit("fit", tmp_path / "fit.csv", "-o", tmp_path / "s.json").returncode == 0
    normkit = f"{COMMANDS['script']} transform big.csv -s s.json"
    proc = bash(f"{normkit} | gzip > part.csv.gz", tmp_path)
    assert proc.returncode == 0  # the pipeline's status is gzip's
    assert "'oops' is not a number" in proc.stderr
    assert (tmp_path / "part.csv.gz").stat().st_size > 1000  # rows written before the error
    assert bash(f"set -o pipefail; {normkit} | gzip > part.csv.gz", tmp_path).returncode == 1
    assert bash(f"{normkit} -o whole.csv", tmp_path).returncode == 1
    assert not (tmp_path / "whole.csv").exists()  # -o: all or nothing
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Exit codes and errors")[1].split("\n## ")[0]
    assert "set -o pipefail" in section
    assert "all or nothing" in section
