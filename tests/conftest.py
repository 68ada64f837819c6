"""Shared fixtures and helpers: data made by the tests, the sample data, and ways to run the
``normkit`` command (in-process with click's CliRunner, or as a real process).

The tests are laid out as the package is: ``core/``, ``io/``, ``stats/``, ``estimator/``,
``jobs/`` and ``normkit_cli/``, with the rules between the layers checked in ``test_architecture.py``.
Test modules import the helpers below with ``from conftest import ...``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import forked_cli
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from hypothesis import settings
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.preprocessing import StandardScaler

from normkit.io.options import CSV_BLOCK_SIZE
from normkit_cli.main import cli

ROOT = Path(__file__).resolve().parent.parent

# tests/data holds data and the scripts that made it (which may need torch): not tests.
collect_ignore_glob = ["data/*"]

SAMPLE_CSV = ROOT / "sample_data" / "sample.csv"
SAMPLE_PARQUET = ROOT / "sample_data" / "sample.parquet"

#: How every one-line error of the command begins.
ERROR = "normkit: error: "
#: What temporary output files are named with; none may be left behind.
TMP_MARK = ".normkit-tmp"
#: Relative agreement asked of every statistic, relative to each column's conditioning.
RTOL = 1e-12
#: The installed command, as a shell runs it.
NORMKIT = str(Path(sys.executable).with_name("normkit"))

# CI runs every property with at least 200 examples; `HYPOTHESIS_PROFILE=dev` runs fewer.
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# -- running the command -------------------------------------------------------------------------


def run(*args, input=None, env=None) -> Result:
    """Invoke ``normkit ARGS`` in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(
        cli, [str(a) for a in args], input=input, env=env, prog_name="normkit"
    )


#: The server that forks ``normkit`` processes for this test process (:mod:`forked_cli`): the
#: process, the name of its socket, and the environment it started with.
_SERVER: tuple[subprocess.Popen, str, dict[str, str | None]] | None = None
_SERVER_LOCK = threading.Lock()


def _start_variables() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in forked_cli.START_VARIABLES}


def _server() -> tuple[subprocess.Popen, str, dict[str, str | None]]:
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None or _SERVER[0].poll() is not None:
            name = f"normkit-tests-{os.getpid()}-{os.urandom(6).hex()}"
            errors = tempfile.TemporaryFile()  # noqa: SIM115 (the server's, as long as it runs)
            server = subprocess.Popen(
                [sys.executable, str(ROOT / "tests" / "forked_cli.py"), name],
                stdin=subprocess.PIPE,  # its end ends the server, however this process ends
                stdout=subprocess.PIPE,
                stderr=errors,
            )
            if server.stdout.readline() != b"ready\n":
                server.wait()
                errors.seek(0)
                raise RuntimeError(f"normkit's test server did not start: {errors.read()!r}")
            _SERVER = (server, name, _start_variables())
        return _SERVER


def run_normkit(
    *args, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run ``normkit ARGS`` as a real process (bytes in, bytes out): forked from a server that
    has imported what the command imports (:mod:`forked_cli`); the installed command started
    afresh with ``NORMKIT_TEST_EXEC=1``, where the interpreter's start would differ from the
    server's (:data:`forked_cli.START_VARIABLES`), or without ``os.pidfd_open``."""
    command = [NORMKIT]
    if os.environ.get("NORMKIT_TEST_EXEC") != "1" and hasattr(os, "pidfd_open"):
        _, name, started = _server()
        if started == _start_variables():
            command = [sys.executable, "-I", "-S", "-c", forked_cli.CLIENT, name]
    return subprocess.run(
        [*command, *map(str, args)], input=stdin, capture_output=True, timeout=timeout, check=False
    )


def normkit_summary(*args) -> str:
    """Run ``normkit ARGS`` as a real process that must succeed without a traceback; its
    standard error (the summary line)."""
    proc = run_normkit(*args)
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    return proc.stderr.decode()


def normkit_error(code: int, *args, no_output: bool = False) -> str:
    """Run ``normkit ARGS`` as a real process that must fail with exit ``code`` in one line
    ``normkit: error: ...``, no traceback (and, with ``no_output``, nothing on stdout); that
    line without its prefix."""
    proc = run_normkit(*args)
    stderr = proc.stderr.decode()
    assert proc.returncode == code, stderr
    if no_output:
        assert proc.stdout == b""
    assert "Traceback" not in stderr
    lines = stderr.rstrip("\n").split("\n")
    assert len(lines) == 1, stderr
    assert lines[0].startswith(ERROR), stderr
    return lines[0].removeprefix(ERROR)


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.output


def assert_error(result: Result, code: int, *fragments) -> str:
    """Exit ``code``, exactly one stderr line ``normkit: error: ...`` holding every fragment,
    no traceback, and no unexpected exception escaping the command; the line is returned."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stderr.startswith(ERROR), result.stderr
    lines = result.stderr.rstrip("\n").split("\n")
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])
    return lines[0]


def assert_usage_error(result: Result, *fragments) -> str:
    """Exit 2 with one stderr line ``normkit: error: ...`` holding every fragment (no usage
    block); that line is returned."""
    return assert_error(result, 2, *fragments)


def assert_one_line_error(code: int, stderr: str, start: str) -> str:
    """A failure (exit ``code``) of a real process told in one line starting with ``start``;
    that line is returned."""
    assert code == 1, stderr
    assert "Traceback" not in stderr
    assert "Exception" not in stderr
    lines = stderr.rstrip("\n").split("\n")
    assert len(lines) == 1, stderr
    assert lines[0].startswith(start), stderr
    return lines[0]


def leftovers(directory) -> list[str]:
    """Temporary output files left in ``directory`` (there must be none)."""
    return sorted(name for name in os.listdir(directory) if TMP_MARK in name)


# -- data ----------------------------------------------------------------------------------------

#: The last field of every row of :func:`write_big_csv`.
ROW_TAG = "abcdefghijklmnopqrstuvwxyz0123"


def write_big_csv(
    path, rows: int, bad: dict[int, str] | None = None, seed: int = 0, repeat: int = 1
) -> None:
    """A CSV ``id,x,y,tag`` larger than normkit's first CSV block if ``rows`` is large.

    Rows have a fixed width and the header is padded so that the CSV_BLOCK_SIZE boundary falls in
    the last field of a row. ``bad`` replaces the ``y`` field of the given 1-based data rows;
    ``repeat`` writes the rows that many times.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 2.0, rows)
    y = rng.uniform(-1e6, 1e6, rows)
    lines = [
        f"{i:07d},{a:+.15e},{b:+.15e},{ROW_TAG}\n"
        for i, (a, b) in enumerate(zip(x, y, strict=True))
    ]
    width = len(lines[0])
    header = ""
    for pad in range(width):
        header = "id,x,y,tag" + "_" * pad + "\n"
        cut = (CSV_BLOCK_SIZE - len(header)) % width
        if cut == 0 or cut > width - 1 - len(ROW_TAG):
            break
    for row, text in (bad or {}).items():
        lines[row - 1] = f"{row - 1:07d},{x[row - 1]:+.15e},{text},{ROW_TAG}\n"
    block = "".join(lines).encode()
    with open(path, "wb") as f:
        f.write(header.encode())
        for _ in range(repeat):
            f.write(block)


def write_dataset(root: Path, fmt: str, data: pd.DataFrame, sizes: dict[str, int]) -> list[Path]:
    """The rows of ``data`` split over files named by ``sizes`` (relative path -> rows, in
    order, such as ``year=2024/part-0``), as CSV or Parquet; the paths in that order."""
    paths, start = [], 0
    for name, rows in sizes.items():
        path = root / f"{name}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(data.iloc[start : start + rows], preserve_index=False)
        if fmt == "csv":
            pacsv.write_csv(table, path)
        else:
            pq.write_table(table, path)
        paths.append(path)
        start += rows
    assert start == len(data)
    return paths


# -- checks --------------------------------------------------------------------------------------


def assert_means_close(mean: np.ndarray, ref: np.ndarray, scale: np.ndarray) -> None:
    """Means equal to RTOL relative to their size plus the spread: a mean near zero among large
    values is only ever known to the rounding of those values."""
    error = np.abs(np.asarray(mean) - ref)
    bound = RTOL * (np.abs(ref) + scale)
    assert (error <= bound).all(), f"means {mean} differ from {ref} by {error} > {bound}"


def assert_matches_sklearn(scaler, X: np.ndarray, names) -> None:
    """The fitted statistics equal StandardScaler's on ``X`` (NaN = missing)."""
    ref = StandardScaler().fit(X)
    assert list(scaler.columns_) == list(names)
    counts = np.broadcast_to(np.asarray(ref.n_samples_seen_), (len(names),))
    assert_array_equal(scaler.n_samples_seen_, counts)
    assert_array_equal(scaler.n_missing_, np.isnan(X).sum(axis=0))
    assert_means_close(scaler.mean_, ref.mean_, ref.scale_)
    assert_allclose(scaler.var_, ref.var_, rtol=RTOL)
    assert_allclose(scaler.scale_, ref.scale_, rtol=RTOL)


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    """A small mixed table: id, text, ints, floats with offsets and NaNs, a constant column."""
    rng = np.random.default_rng(7)
    n = 500
    x = rng.normal(5.0, 2.0, n)
    x[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "label": rng.choice(["a", "b, c", 'say "hi"'], n),
            "count": rng.integers(0, 100, n),
            "x": x,
            "offset": 1e9 + rng.normal(0.0, 1.0, n),
            "tiny": rng.normal(0.0, 1e-6, n),
            "constant": np.full(n, 4.2),
        }
    )


@pytest.fixture
def mixed_csv(tmp_path: Path, mixed_frame: pd.DataFrame) -> Path:
    path = tmp_path / "mixed.csv"
    mixed_frame.to_csv(path, index=False)
    return path


def read_arrow(source) -> pa.Table:
    """An Arrow IPC file or stream (a path, or its bytes) as a table."""
    data = source if isinstance(source, bytes | pa.Buffer) else Path(source).read_bytes()
    buffer = pa.py_buffer(data) if isinstance(data, bytes) else data
    if buffer[:6].to_pybytes() == b"ARROW1":
        return pa.ipc.open_file(buffer).read_all()
    return pa.ipc.open_stream(buffer).read_all()
