"""The benchmark scripts still import what they use from the library as it is: every name a
script imports from ``normkit`` exists, so that a module moved in the library cannot leave a
benchmark broken until someone runs it (the benchmarks' own packages, DuckDB and others, are
the bench extra's, not the tests'). Those scripts whose packages are all here answer ``--help``
too."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted([*BENCH.glob("*.py"), *BENCH.glob("peers/*.py")])


def _imports(script: Path) -> list[tuple[str, tuple[str, ...]]]:
    """``(module, names)`` of each absolute import of the script (``names`` empty for
    ``import module``)."""
    found = []
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, tuple(alias.name for alias in node.names)))
    return found


def test_the_benchmarks_are_found():
    assert {"compare.py", "corpus.py", "wide.py"} <= {p.name for p in SCRIPTS}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(BENCH)))
def test_what_a_benchmark_imports_from_normkit_exists(script):
    for module, names in _imports(script):
        if module.split(".")[0] != "normkit":
            continue
        imported = importlib.import_module(module)
        for name in names:
            assert hasattr(imported, name) or importlib.util.find_spec(f"{module}.{name}"), (
                f"{script.name}: from {module} import {name}"
            )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(BENCH)))
def test_a_benchmark_whose_packages_are_here_answers_help(script):
    local = {p.stem for p in [*BENCH.glob("*.py"), *BENCH.glob("peers/*.py")]} | {"peers"}
    tops = {module.split(".")[0] for module, _ in _imports(script)} - local
    absent = sorted(t for t in tops if importlib.util.find_spec(t) is None)
    if "argparse" not in tops or absent:
        pytest.skip(f"takes no options or needs {absent} (the bench extra)")
    root = str(BENCH.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert proc.stdout.decode().startswith("usage:")
