"""The stat file's JSON text: one line per top-level field, and one per entry of a list of
entries (a column, a column passed through, a column's categories), each as ``json.dumps``
writes it.

The native engine writes each value (``_native.json_text``): a file of 20,000 columns holds a
million floats, which ``json.dumps`` took a second to write. Its text is byte for byte
``json.dumps``'s (``tests/stats/test_text.py``); where it cannot be sure (a subclass of ``float``,
a key that is not a ``str``, a number JSON has no text for...), ``json`` writes the value, and its
text or refusal stands.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator
from typing import Any

__all__ = ["document_text", "json_text", "many_objects", "sorted_text"]

#: One encoder for every value (``json.dumps`` with an option makes a new one per call).
_ENCODER = json.JSONEncoder(allow_nan=False)
_SORTED = json.JSONEncoder(allow_nan=False, sort_keys=True)


def json_text(value: Any, sort_keys: bool = False) -> str:
    """``json.dumps(value, allow_nan=False, sort_keys=sort_keys)``, byte for byte."""
    from .. import _native

    found = _native.json_text(value, sort_keys)
    return found if found is not None else (_SORTED if sort_keys else _ENCODER).encode(value)


def document_text(doc: dict[str, Any]) -> str:
    """The text of a stat file's document (ends with a newline). The top level is laid out by
    hand: ``json.dumps`` with ``indent`` runs in Python, and took 5 s for 20,000 columns."""
    lines = []
    for key, value in doc.items():
        name = json_text(key)
        if isinstance(value, list) and value and all(type(v) is dict for v in value):
            entries = ",\n".join(f"    {json_text(entry)}" for entry in value)
            lines.append(f"  {name}: [\n{entries}\n  ]")
        else:
            lines.append(f"  {name}: {json_text(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def sorted_text(doc: dict[str, Any]) -> str:
    """``json.dumps(doc, sort_keys=True, allow_nan=False)``, byte for byte: the text a
    fingerprint hashes."""
    return json_text(doc, sort_keys=True)


@contextlib.contextmanager
def many_objects() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a document is built or read: a stat file
    of 20,000 columns is a million objects, none of them in a cycle, which the collector went
    through again and again as they were made (a tenth of a transform's time). It runs again
    afterwards if it ran before. The collector is the process's: other threads run without it
    meanwhile, which changes when, not whether, their garbage is collected."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
