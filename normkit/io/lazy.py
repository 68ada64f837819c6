"""Modules imported on first use, to keep start-up short.

pyarrow's compute, Parquet and IPC modules add about a third to the time ``import pyarrow``
takes, and a fit of a numeric CSV needs none of them.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    """Stands for the module ``name``, imported when an attribute is first read."""

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


#: pyarrow.compute, pyarrow.parquet and pyarrow.ipc, imported where first used.
pc = LazyModule("pyarrow.compute")
pq = LazyModule("pyarrow.parquet")
ipc = LazyModule("pyarrow.ipc")
