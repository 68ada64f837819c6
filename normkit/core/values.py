"""Equality of the fitted values (moments, running statistics, sketches, fitted statistics) as
values: two fits of the same data, or two reads of one stat file, are equal.

numpy arrays inside a dataclass defeat its generated ``__eq__`` (``==`` of two arrays is an
array, whose truth is ambiguous) and ``eq=False`` leaves identity; these values compare with
:func:`same` instead: arrays element by element, NaN equal to NaN (a column without values has a
NaN mean in both), dataclasses field by field, mappings and sequences item by item.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["by_value", "same"]


def same(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` hold the same values (see the module's notes).

    >>> same({"x": np.array([1.0, np.nan])}, {"x": np.array([1.0, np.nan])})
    True
    >>> same(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    False
    """
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape:
            return False
        floats = a.dtype.kind in "fc" and b.dtype.kind in "fc"
        return bool(np.array_equal(a, b, equal_nan=floats))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            same(getattr(a, f.name), getattr(b, f.name))
            for f in dataclasses.fields(a)
            if f.compare  # a field declared no part of the value (compare=False)
        )
    if isinstance(a, Mapping):
        return isinstance(b, Mapping) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return (
            isinstance(b, list | tuple)
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def by_value(cls: type | None = None, *, key: Callable[[Any], Any] | None = None) -> Any:
    """A class decorator: instances equal where :func:`same` finds their values equal; hashed
    by ``key(instance)`` (a part of the value that equal values share), else unhashable."""
    if cls is None:
        return lambda c: by_value(c, key=key)

    def __eq__(self: Any, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return same(self, other)

    cls.__eq__ = __eq__  # type: ignore[method-assign]
    cls.__hash__ = None if key is None else lambda self: hash(key(self))  # type: ignore
    return cls
