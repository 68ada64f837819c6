"""The stat file's JSON text: one line per top-level field, and one per entry of a list of
entries (a column, a column passed through, a column's categories), each as ``json.dumps``
writes it.

The entries of a list are laid out key by key across all of them, and the native engine writes
each key's floats at once, as Python's ``repr`` writes them: a file of 20,000 columns holds a
million floats, which ``json.dumps`` took a second to write one by one. The text is byte for byte
``json.dumps``'s (``tests/stats/test_text.py``).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np

__all__ = ["document_text", "sorted_text"]

#: One encoder for every entry (``json.dumps`` with an option makes a new one per call).
_ENCODER = json.JSONEncoder(allow_nan=False)
_SORTED = json.JSONEncoder(allow_nan=False, sort_keys=True)


def document_text(doc: dict[str, Any]) -> str:
    """The text of a stat file's document (ends with a newline). The top level is laid out by
    hand: ``json.dumps`` with ``indent`` runs in Python, and took 5 s for 20,000 columns."""
    lines = []
    for key, value in doc.items():
        name = json.dumps(key)
        if isinstance(value, list) and value and all(type(v) is dict for v in value):
            entries = ",\n".join(f"    {text}" for text in _objects_text(value))
            lines.append(f"  {name}: [\n{entries}\n  ]")
        else:
            lines.append(f"  {name}: {_ENCODER.encode(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def sorted_text(doc: dict[str, Any]) -> str:
    """``json.dumps(doc, sort_keys=True, allow_nan=False)``, byte for byte, with the floats of
    lists of entries written at once by the native engine (the text a fingerprint hashes:
    ``json.dumps`` took 0.55 s for 20,000 columns)."""
    return _objects_text([doc], sort=True)[0]


def _objects_text(objects: list[dict[str, Any]], sort: bool = False) -> list[str]:
    """Each object as ``json.dumps`` writes it (``allow_nan=False``; ``sort``: with
    ``sort_keys=True``), laid out key by key across all of them: the floats of a key are
    written at once by the native engine, which writes them as Python's ``repr`` does (a file of
    many columns holds a million of them)."""
    if not all(type(key) is str for obj in objects for key in obj):  # json's own rules
        return list(map((_SORTED if sort else _ENCODER).encode, objects))
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, obj in enumerate(objects):
        groups.setdefault(tuple(sorted(obj)) if sort else tuple(obj), []).append(i)
    texts: list[str] = ["{}"] * len(objects)
    for keys, members in groups.items():
        if not keys:
            continue  # empty objects: "{}"
        parts = []
        for key in keys:
            name = json.dumps(key) + ": "
            values = _values_text([objects[i][key] for i in members], sort)
            parts.append([name + text for text in values])
        for i, row in zip(members, zip(*parts, strict=True), strict=True):
            texts[i] = "{" + ", ".join(row) + "}"
    return texts


def _values_text(values: list[Any], sort: bool = False) -> list[str]:
    """The JSON text of each value, as ``json.dumps`` writes it (``allow_nan=False``; ``sort``:
    with ``sort_keys=True``)."""
    from .. import _native

    found = None
    types = set(map(type, values))
    if types == {float}:
        found = _native.json_rows(np.array(values, dtype=np.float64).reshape(-1, 1), False)
    elif types == {list} and all(values):
        inner = set(map(type, itertools.chain.from_iterable(values)))
        if inner == {float} and len(set(map(len, values))) == 1:
            found = _native.json_rows(np.array(values, dtype=np.float64), True)
        elif inner == {dict}:  # lists of entries
            return ["[" + ", ".join(_objects_text(v, sort)) + "]" for v in values]
    elif types == {dict}:
        return _objects_text(values, sort)
    elif types == {int}:
        return list(map(int.__repr__, values))
    # Anything else, and numbers JSON has no text for (refused as json.dumps refuses them).
    encoder = _SORTED if sort else _ENCODER
    return found if found is not None else list(map(encoder.encode, values))
