"""The I/O layer: formats and files, not statistics.

Inputs are read as streams of ``pyarrow.RecordBatch`` by one reader per format behind one
protocol (:mod:`.reader`: :mod:`.csv`, :mod:`.parquet`, :mod:`.ipc`); outputs are written by
:mod:`.sinks`, atomically (:mod:`.files`); data sets of many files are :mod:`.dataset`. The
modules :mod:`.formats` and :mod:`.options` import no pyarrow, so that the command line can use
them before any data is read; the others are imported on first use.
"""

from __future__ import annotations

import importlib

__all__ = [
    "CsvOptions",
    "Format",
    "ReadOptions",
    "Reader",
    "Sink",
    "open_input",
    "open_sink",
]

_WHERE = {
    "CsvOptions": "options",
    "ReadOptions": "options",
    "Format": "formats",
    "Reader": "reader",
    "open_input": "inputs",
    "Sink": "sinks",
    "open_sink": "sinks",
}


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'normkit.io' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted(__all__)
