"""The rules between the layers (docs/architecture.md), read from the source with ``ast``: no
import cycle, no import from a lower layer to a higher one, no module importing another's private
names, numpy-only numerics, and no click in the library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Each layer's rank: a module may import modules of its own layer or of lower ranks only.
#: ``core`` and ``io`` share a rank but know nothing of each other.
LAYERS = {
    "foundation": 0,  # normkit._version, normkit.errors, normkit.constraints, normkit.params
    "normkit.core": 1,
    "normkit.io": 1,
    "normkit.stats": 2,
    "normkit.estimator": 3,
    "normkit.jobs": 4,
    "normkit": 5,  # the package's own __init__, which imports the others lazily
    "normkit_cli": 6,
    "normkit.__main__": 7,  # `python -m normkit`: the command line's entry point
}
FOUNDATION = {"normkit._version", "normkit.errors", "normkit.constraints", "normkit.params"}
#: Third-party packages the numerics may use.
CORE_THIRD_PARTY = {"numpy"}


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for folder in ("normkit", "normkit_cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found[module_name(path)] = path
    return found


MODULES = modules()


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def resolve(name: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names."""
    if node.level == 0:
        return node.module or ""
    base = name.split(".") if is_package(name) else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports(name: str) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import in a module, wherever it
    stands (imports inside functions count: they are imports all the same)."""
    tree = ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = resolve(name, node)
            taken = [alias.name for alias in node.names]
            # `from . import statfile` imports a module, not a name.
            submodules = [t for t in taken if f"{target}.{t}" in MODULES]
            names = [t for t in taken if t not in submodules]
            found += [(f"{target}.{t}", [], node.lineno) for t in submodules]
            if names or not submodules:
                found.append((target, names, node.lineno))
    return found


def own(target: str) -> str | None:
    """The project module an import names (itself, or the package holding a name), if any."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def layer(name: str) -> str:
    if name in FOUNDATION:
        return "foundation"
    return max(
        (prefix for prefix in LAYERS if name == prefix or name.startswith(prefix + ".")), key=len
    )


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name in MODULES:
        targets = {own(target) for target, _, _ in imports(name)}
        # A package's __init__ runs before any module in it; importing it is no dependency.
        edges[name] = {t for t in targets if t and t != name and not name.startswith(t + ".")}
    return edges


def test_the_modules_are_found():
    assert "normkit.core.moments" in MODULES
    assert "normkit.io.csv.reader" in MODULES
    assert "normkit_cli.main" in MODULES
    assert all(layer(name) in LAYERS for name in MODULES)


def test_no_import_goes_up_a_layer_and_core_and_io_do_not_meet():
    wrong = []
    for name, targets in graph().items():
        for target in targets:
            mine, theirs = layer(name), layer(target)
            if LAYERS[theirs] > LAYERS[mine] or (mine != theirs and LAYERS[mine] == LAYERS[theirs]):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_there_is_no_import_cycle():
    edges = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles, "\n".join(cycles)


#: Private to the package, not to a module: the native engine, which the layers call.
PACKAGE_PRIVATE = {"normkit._native"}


def test_no_module_imports_another_modules_private_names():
    wrong = []
    for name in MODULES:
        for target, names, line in imports(name):
            for taken in names:
                if f"{target}.{taken}" in PACKAGE_PRIVATE:
                    continue
                if taken.startswith("_") and not taken.startswith("__"):
                    wrong.append(f"{MODULES[name]}:{line}: from {target} import {taken}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", [n for n in MODULES if layer(n) == "normkit.core"])
def test_the_numerics_use_numpy_only(name):
    for target, _, line in imports(name):
        top = target.split(".")[0]
        if top in ("normkit", "__future__") or top in CORE_THIRD_PARTY:
            continue
        assert top in _STDLIB, f"{MODULES[name]}:{line}: the core imports {target}"


@pytest.mark.parametrize("name", [n for n in MODULES if n.startswith("normkit.")])
def test_the_library_never_imports_click(name):
    assert not [t for t, _, _ in imports(name) if t.split(".")[0] == "click"]


_STDLIB = {
    "collections",
    "dataclasses",
    "decimal",
    "math",
    "numbers",
    "typing",
    "functools",
    "itertools",
    "enum",
}


def test_no_module_is_longer_than_600_lines_but_those_said_to_be_one_thing():
    # Each of these is one cohesive thing (docs/architecture.md says why).
    allowed = {"normkit.estimator.standardizer", "normkit.stats.fields"}
    long = {
        name: len(path.read_text().splitlines())
        for name, path in MODULES.items()
        if len(path.read_text().splitlines()) > 600 and name not in allowed
    }
    assert not long, long


def test_every_package_is_installed():
    """maturin installs the library, the command line (listed in ``python-packages``) and the
    native engine; every package folder is importable from the installation."""
    import importlib.util

    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["maturin"]
    assert config["module-name"] == "normkit._native"
    folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for folder in ("normkit", *config["python-packages"])
        for path in (ROOT / folder).rglob("__init__.py")
    }
    assert "normkit_cli" in folders
    for package in [*folders, "normkit._native"]:
        assert importlib.util.find_spec(package) is not None, package
