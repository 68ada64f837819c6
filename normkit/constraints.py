"""The kinds of value a parameter's rule is made of (:mod:`normkit.params` declares the rules):
a number in a range, one of a few values, a boolean, column names, a text encoding...

Pure Python, as :mod:`normkit.params` is: the command line imports it before any data is read.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import quoted

__all__ = [
    "Boolean",
    "Character",
    "Codec",
    "Constraint",
    "Interval",
    "Name",
    "NonZero",
    "NoneValue",
    "OneOf",
    "PerColumn",
    "Strings",
    "is_numpy_bool",
]


class Constraint:
    """One kind of value a parameter accepts. (Plain classes rather than dataclasses: the
    command line imports this module at start-up, and each dataclass costs a third of a
    millisecond to create.)"""

    __slots__ = ()

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Interval(Constraint):
    """A number (``kind`` int or float) between ``low`` and ``high`` (None: unbounded); floats
    must be finite unless ``finite`` is False."""

    __slots__ = ("finite", "high", "high_open", "kind", "low", "low_open")

    def __init__(
        self,
        kind: type,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        high_open: bool = False,
        finite: bool = True,
    ):
        self.kind, self.low, self.high = kind, low, high
        self.low_open, self.high_open, self.finite = low_open, high_open, finite

    def accepts(self, value: Any) -> bool:
        if self.kind is int:
            if not _is_int(value):
                return False
        elif not _is_real(value):
            return False
        else:
            value = float(value)
            if self.finite and not math.isfinite(value):
                return False
            if math.isnan(value):
                return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (
            self.high is not None and (value >= self.high if self.high_open else value > self.high)
        )

    def describe(self) -> str:
        what = (
            "an integer" if self.kind is int else ("a finite number" if self.finite else "a number")
        )
        low = None if self.low is None else _number(self.low)
        high = None if self.high is None else _number(self.high)
        if low is not None and high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"{what} in {left}{low}, {high}{right}"
        if low is not None:
            return f"{what} {'>' if self.low_open else '>='} {low}"
        if high is not None:
            return f"{what} {'<' if self.high_open else '<='} {high}"
        return what


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) >= 2**20 and int(value) & (int(value) - 1) == 0:
        return f"2**{int(value).bit_length() - 1}"  # 2**30 rather than 1073741824
    return f"{value:g}" if isinstance(value, float) else str(value)


class OneOf(Constraint):
    """One of a few values (compared with ``==``; a boolean is never taken for 0 or 1)."""

    __slots__ = ("values",)

    def __init__(self, *values: Any):
        self.values = tuple(values)

    def accepts(self, value: Any) -> bool:
        return any(
            isinstance(value, bool) == isinstance(v, bool) and value == v
            for v in self.values
            if not (isinstance(value, str) ^ isinstance(v, str))
        )

    def describe(self) -> str:
        shown = [quoted(v) if isinstance(v, str) else str(v) for v in self.values]
        if len(shown) == 1:
            return shown[0]
        if len(shown) == 2:
            return f"{shown[0]} or {shown[1]}"
        return "one of " + ", ".join(shown)


def is_numpy_bool(value: Any) -> bool:
    """NumPy's boolean scalar (``np.True_``, an element of a boolean array), told without
    importing numpy."""
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_")


class Boolean(Constraint):
    """True or False, NumPy's too (a grid search's ``np.array([True, False])`` gives them), as
    scikit-learn's rule of booleans takes them; :func:`check` returns them as ``bool``."""

    __slots__ = ()

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool) or is_numpy_bool(value)

    def describe(self) -> str:
        return "True or False"


class NoneValue(Constraint):
    __slots__ = ()

    def accepts(self, value: Any) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"


class Name(Constraint):
    """One column name."""

    __slots__ = ()

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)

    def describe(self) -> str:
        return "a column name"


class Character(Constraint):
    """One ASCII character that can separate CSV fields (not a quote or a line break)."""

    __slots__ = ()

    def accepts(self, value: Any) -> bool:
        return (
            isinstance(value, str)
            and len(value) == 1
            and value.isascii()
            and value not in ('"', "\n", "\r")
        )

    def describe(self) -> str:
        return "one ASCII character other than a quote or a line break"


def _one_dimensional(value: Any) -> bool:
    """A NumPy array of one dimension, or a pandas ``Index`` or ``Series`` (``df.columns[:3]``),
    told without importing either."""
    return getattr(value, "ndim", None) == 1 and hasattr(value, "__len__")


class Strings(Constraint):
    """A sequence of strings (a single string is one name; a one-dimensional array or pandas
    ``Index`` of them too, as scikit-learn takes lists of columns); ``non_empty`` refuses a
    single '' (a list may name the empty column, ``[""]``, as a CSV with an empty header has)."""

    __slots__ = ("non_empty",)

    def __init__(self, non_empty: bool = True):
        self.non_empty = non_empty

    def accepts(self, value: Any) -> bool:
        if isinstance(value, str):
            return bool(value) or not self.non_empty
        if not (isinstance(value, Sequence) or _one_dimensional(value)) or isinstance(value, bytes):
            return False
        return all(isinstance(v, str) for v in value)

    def describe(self) -> str:
        return "a list of column names" if self.non_empty else "a list of strings"


class Codec(Constraint):
    """A text encoding Python knows (``latin-1``, ``utf-16``) whose text, written piece by piece,
    reads back: not ``rot13``, nor one that respells text (``punycode``: :data:`SPELLINGS`)."""

    __slots__ = ()
    SPELLINGS = frozenset({"unicode-escape", "raw-unicode-escape", "punycode", "idna"})

    def accepts(self, value: Any) -> bool:
        import codecs

        try:
            info = codecs.lookup(value)
            if not getattr(info, "_is_text_encoding", True) or info.name in self.SPELLINGS:
                return False
            pieces = ('id,x;\t"y"\r\n', "1.5,z\n")  # written as a CSV is, piece by piece
            encoder = codecs.getincrementalencoder(value)()
            data = b"".join(encoder.encode(p) for p in pieces) + encoder.encode("", final=True)
            decoder = codecs.getincrementaldecoder(value)(errors="replace")
            return decoder.decode(data, final=True) == "".join(pieces)
        except (UnicodeError, TypeError, ValueError, LookupError):  # not a str, not a codec
            return False

    def describe(self) -> str:
        return "the name of a text encoding (latin-1, cp1252, utf-16...)"


class PerColumn(Constraint):
    """A mapping of column name to a value ``each`` accepts."""

    __slots__ = ("each",)

    def __init__(self, each: Constraint):
        self.each = each

    def accepts(self, value: Any) -> bool:
        return isinstance(value, Mapping) and all(
            isinstance(k, str) and self.each.accepts(v) for k, v in value.items()
        )

    def describe(self) -> str:
        return f"a mapping of column name to {self.each.describe()}"


class NonZero(Constraint):
    """A finite number other than 0, and not so close to it that dividing by it overflows or
    that it loses digits (a subnormal float: below 2.2e-308 in size)."""

    __slots__ = ()

    def accepts(self, value: Any) -> bool:
        return _is_real(value) and math.isfinite(float(value)) and abs(float(value)) >= _NORMAL

    def describe(self) -> str:
        return "a finite number other than 0 (at least 2.2e-308 in size)"


_NORMAL = sys.float_info.min
