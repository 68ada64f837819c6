"""Start-up: each command imports only what it needs.

In shell pipelines normkit runs many times on small files, so the heavy libraries are imported
where they are used: nothing of pyarrow or numpy for ``--help``, no pandas, scikit-learn or
Polars for ``fit`` and ``inspect``, Polars only to write CSV. The imports are read from
``python -X importtime`` of real runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def imported_modules(args: list[str], cwd: Path, *, top_level: bool = True) -> set[str]:
    """Top-level packages a real ``normkit`` run imported (every module, with ``top_level``
    False)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "normkit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            modules.add(name.split(".")[0] if top_level else name)
    assert {"normkit", "normkit_cli"} & {m.split(".")[0] for m in modules}
    return modules


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(1000)], "x": rng.normal(size=1000)})
    frame.to_csv(tmp_path / "small.csv", index=False)
    return tmp_path / "small.csv"


def test_help_imports_neither_pyarrow_nor_numpy(tmp_path):
    modules = imported_modules(["--help"], tmp_path)
    assert "click" in modules
    assert not modules & {"pyarrow", "numpy", "pandas", "sklearn", "polars"}


def test_fit_of_a_csv_with_text_columns_imports_no_pandas(tmp_path):
    """Counting a text column's categories, and the missing-value strings, go through Arrow
    buffers: ``pa.array`` of a list and ``to_numpy`` import pandas."""
    path = tmp_path / "t.csv"
    path.write_text("city,x\nOslo,1.5\nNA,2.5\nRome,4\nOslo,\n")
    fit = imported_modules(["fit", str(path), "-q", "-o", "s.json"], tmp_path)
    assert (tmp_path / "s.json").exists()
    assert not fit & {"pandas", "sklearn", "polars"}


def test_fit_and_inspect_import_no_pandas_sklearn_or_polars(tmp_path, small_csv):
    fit = imported_modules(
        ["fit", str(small_csv), "--exclude", "id", "-q", "-o", "s.json"], tmp_path
    )
    assert {"pyarrow", "numpy"} <= fit
    assert not fit & {"pandas", "sklearn", "polars"}
    inspect = imported_modules(["inspect", "s.json"], tmp_path)
    assert not inspect & {"pandas", "sklearn", "polars"}


def test_a_csv_fit_imports_no_csv_module_of_pyarrow(tmp_path, small_csv):
    """The native engine reads the CSV and types its columns: ``pyarrow.csv`` is not
    imported."""
    fit = imported_modules(["fit", str(small_csv), "-q", "-o", "s.json"], tmp_path, top_level=False)
    assert "pyarrow" in fit
    assert not fit & {"pyarrow.csv", "pyarrow._csv"}


def test_a_csv_fit_imports_no_hashing_archive_or_url_modules(tmp_path, small_csv):
    """hashlib (OpenSSL), zipfile, urllib.parse and fractions, 12 ms of start-up together,
    serve fingerprints, ``.npz`` files, partition directories and decimal columns: a fit of a
    CSV of numbers and text needs none of them."""
    fit = imported_modules(["fit", str(small_csv), "-q", "-o", "s.json"], tmp_path, top_level=False)
    assert (tmp_path / "s.json").exists()
    assert not fit & {"hashlib", "zipfile", "urllib.parse", "fractions"}


def test_a_fit_of_numbers_imports_no_compute_module_of_pyarrow(tmp_path):
    """Integer and float columns (leading zeros looked for in the integers' text) need no
    ``pyarrow.compute`` (a third of pyarrow's import time)."""
    path = tmp_path / "n.csv"
    path.write_text("count,x\n1,2.5\n3,NA\n12, 4\n")
    fit = imported_modules(["fit", str(path), "-q", "-o", "s.json"], tmp_path, top_level=False)
    assert (tmp_path / "s.json").exists()
    assert "pyarrow" in fit
    assert "pyarrow.compute" not in fit


def test_transforms_import_no_polars_pandas_or_sklearn(tmp_path, small_csv):
    subprocess.run(
        [sys.executable, "-m", "normkit", "fit", str(small_csv), "-q", "-o", "s.json"],
        cwd=tmp_path,
        check=True,
    )
    to_parquet = imported_modules(
        ["transform", str(small_csv), "-s", "s.json", "-q", "-o", "out.parquet"], tmp_path
    )
    assert not to_parquet & {"polars", "pandas", "sklearn"}
    to_csv = imported_modules(
        ["transform", str(small_csv), "-s", "s.json", "-q", "-o", "out.csv"], tmp_path
    )
    assert not to_csv & {"polars", "pandas", "sklearn"}  # CSV is formatted natively
