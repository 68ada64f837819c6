"""The kinds of JSON values a stat file holds: how each is written, checked and described."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

__all__ = [
    "Boolean",
    "Counts",
    "Integer",
    "Invalid",
    "Kind",
    "Momentum",
    "Nullable",
    "Number",
    "Numbers",
    "Provenance",
    "String",
    "Strings",
    "float_out",
    "kind_of",
]

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_INT64_MAX = 2**63 - 1


class Invalid(Exception):
    """A value that breaks the layout: what is wrong with it (``problem``), and where inside it
    (``at``, for a value that is itself an object: ``sources[0].'rows'``)."""

    def __init__(self, problem: str, at: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.at = at


def kind_of(value: Any) -> str:
    """What a JSON value is, in words, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) < 40 else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def float_out(value: float) -> float | str:
    """A float as JSON holds it: NaN and infinities as strings (never bare tokens)."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


class Kind:
    """A JSON type: how a value is written, checked and described. (Plain classes: a command's
    start-up pays about a third of a millisecond for each dataclass it creates.)"""

    __slots__ = ()

    def encode(self, value: Any) -> Any:
        return value

    def decode(self, value: Any) -> Any:
        """The value read, checked; raises :class:`Invalid` with what is wrong."""
        return value

    def encode_all(self, values: Any) -> list:
        """:meth:`encode` of each value (a field of every column at once)."""
        return [self.encode(v) for v in values]

    def decode_all(self, values: list) -> list:
        """:meth:`decode` of each value, raising :class:`Invalid` for the first bad one."""
        return [self.decode(v) for v in values]

    def schema(self) -> dict:
        return {}


class Integer(Kind):
    __slots__ = ("minimum",)

    def __init__(self, minimum: int = 0):
        self.minimum = minimum

    def encode(self, value: Any) -> int:
        return int(value)

    def decode(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"must be an integer, not {kind_of(value)}")
        if value < self.minimum:
            raise Invalid(f"must be >= {self.minimum}, not {value}")
        if value > _INT64_MAX:
            raise Invalid(f"is too large ({value})")
        return value

    def encode_all(self, values: Any) -> list:
        if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
            return values.tolist()
        return super().encode_all(values)

    def decode_all(self, values: list) -> list:
        # As JSON gives them, checked at C speed; else one by one, to name the bad one.
        if all(type(v) is int for v in values) and (
            not values or (min(values) >= self.minimum and max(values) <= _INT64_MAX)
        ):
            return values
        return super().decode_all(values)

    def schema(self) -> dict:
        return {"type": "integer", "minimum": self.minimum, "maximum": _INT64_MAX}


class Number(Kind):
    """A float; ``finite`` refuses NaN and infinities (written as ``"NaN"``, ``"Infinity"``)."""

    __slots__ = ("finite", "minimum", "positive")

    def __init__(self, finite: bool = True, minimum: float | None = None, positive: bool = False):
        self.finite, self.minimum, self.positive = finite, minimum, positive

    def encode(self, value: Any) -> float | str:
        return float_out(value)

    def decode(self, value: Any) -> float:
        if isinstance(value, str) and value in _NONFINITE:
            value = _NONFINITE[value]
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(f"must be a number, not {kind_of(value)}")
        try:
            value = float(value)
        except OverflowError:
            value = math.inf if value > 0 else -math.inf
        if self.finite and not math.isfinite(value):
            raise Invalid(f"must be a finite number, not {value}")
        if self.positive and not value > 0:
            raise Invalid(f"must be > 0, not {value}")
        if self.minimum is not None and value < self.minimum:
            raise Invalid(f"must be >= {self.minimum:g}, not {value}")
        return value

    def encode_all(self, values: Any) -> list:
        values = np.asarray(values, dtype=np.float64)
        if np.isfinite(values).all():
            return values.tolist()
        return [float_out(v) for v in values.tolist()]

    def decode_all(self, values: list) -> list:
        # JSON's own floats, checked at C speed; else one by one, to name the bad one.
        if all(type(v) is float for v in values):
            x = np.array(values, dtype=np.float64)
            ok = not self.finite or bool(np.isfinite(x).all())
            if self.positive:
                ok = ok and bool((x > 0).all())
            if self.minimum is not None:
                ok = ok and bool((x >= self.minimum).all())
            if ok:
                return values
        return super().decode_all(values)

    def schema(self) -> dict:
        number: dict = {"type": "number"}
        if self.positive:
            number["exclusiveMinimum"] = 0
        elif self.minimum is not None:
            number["minimum"] = self.minimum
        if self.finite:
            return number
        return {"anyOf": [number, {"enum": list(_NONFINITE)}]}


class Numbers(Kind):
    """A list of ``length`` numbers (NaN and infinities allowed, as strings)."""

    __slots__ = ("length",)

    def __init__(self, length: int):
        self.length = length

    def encode(self, value: Any) -> list:
        values = np.asarray(value, dtype=np.float64)
        if np.isfinite(values).all():  # the usual case, at C speed (a sketch of many columns)
            return values.tolist()
        return [float_out(v) for v in values]

    def encode_all(self, values: Any) -> list:
        # Every column's list at once (a sketch of 20,000 columns), where all are finite.
        try:
            rows = np.asarray(values, dtype=np.float64)
        except ValueError:  # lists of other lengths: each is told apart
            rows = None
        if rows is not None and rows.ndim == 2 and np.isfinite(rows).all():
            return rows.tolist()
        return [self.encode(v) for v in values]

    def decode(self, value: Any) -> list[float]:
        if not isinstance(value, list) or len(value) != self.length:
            raise Invalid(f"must be a list of {self.length} numbers")
        if all(type(v) is float for v in value):  # as JSON gives them: nothing to convert
            return value
        return [_ANY_NUMBER.decode(v) for v in value]

    def decode_all(self, values: list) -> list:
        # Lists of JSON's own floats, checked at C speed; else one by one.
        if all(type(v) is list and len(v) == self.length for v in values) and set(
            map(type, itertools.chain.from_iterable(values))
        ) <= {float}:
            return values
        return super().decode_all(values)

    def schema(self) -> dict:
        item = Number(finite=False).schema()
        return {"type": "array", "items": item, "minItems": self.length, "maxItems": self.length}


_ANY_NUMBER = Number(finite=False)


class Boolean(Kind):
    __slots__ = ()

    def encode(self, value: Any) -> bool:
        return bool(value)

    def decode(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise Invalid(f"must be true or false, not {kind_of(value)}")
        return value

    def schema(self) -> dict:
        return {"type": "boolean"}


class String(Kind):
    __slots__ = ()

    def encode(self, value: Any) -> str:
        return str(value)

    def decode(self, value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(f"must be a string, not {kind_of(value)}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Invalid("is not valid Unicode") from None
        return value

    def decode_all(self, values: list) -> list:
        if all(type(v) is str for v in values):
            try:
                "".join(values).encode("utf-8")
                return values
            except UnicodeEncodeError:
                pass
        return super().decode_all(values)

    def schema(self) -> dict:
        return {"type": "string"}


class Nullable(Kind):
    """A value of ``kind``, or null (JSON's None)."""

    __slots__ = ("kind",)

    def __init__(self, kind: Kind):
        self.kind = kind

    def encode(self, value: Any) -> Any:
        return None if value is None else self.kind.encode(value)

    def decode(self, value: Any) -> Any:
        return None if value is None else self.kind.decode(value)

    def schema(self) -> dict:
        return {"anyOf": [self.kind.schema(), {"type": "null"}]}


class Strings(Kind):
    """A list of strings."""

    __slots__ = ()

    def encode(self, value: Any) -> list:
        return [str(v) for v in value]

    def decode(self, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Invalid("must be a list of strings")
        return value

    def schema(self) -> dict:
        return {"type": "array", "items": {"type": "string"}}


class Counts(Kind):
    """An object of names to integer counts, in the order written (their range, naming the
    column, is checked with the other fields: :mod:`normkit.stats.statfile`)."""

    __slots__ = ()

    def encode(self, value: Any) -> dict:
        return {str(k): int(n) for k, n in value.items()}

    def decode(self, value: Any) -> dict[str, int]:
        if not isinstance(value, dict):
            raise Invalid(f"must be an object of names to counts, not {kind_of(value)}")
        for key, n in value.items():
            try:
                String().decode(key)
                Integer(minimum=-_INT64_MAX).decode(n)
            except Invalid as exc:
                raise Invalid(exc.problem, at=repr(key)) from None
        return value

    def schema(self) -> dict:
        return {"type": "object", "additionalProperties": Integer(1).schema()}


class Momentum(Kind):
    """The running statistics' momentum: a number, or ``"cumulative"``."""

    __slots__ = ()

    def encode(self, value: Any) -> Any:
        return value if value == "cumulative" else float_out(value)

    def decode(self, value: Any) -> Any:
        if value == "cumulative":
            return value
        return Number().decode(value)

    def schema(self) -> dict:
        return {"anyOf": [{"type": "number"}, {"const": "cumulative"}]}


class Provenance(Kind):
    """Where the statistics came from: informative, but what is there has the documented
    types (``sources``: path, format, rows, bytes; ``created``, ``normkit_version``)."""

    __slots__ = ()

    def decode(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise Invalid(f"must be an object, not {kind_of(value)}")
        for key in ("created", "normkit_version", "updated", "source"):
            if key in value and not isinstance(value[key], str):
                raise Invalid("must be a string", at=repr(key))
        merged = value.get("merged_from", [])
        if not isinstance(merged, list) or not all(isinstance(p, str) for p in merged):
            raise Invalid("must be a list of paths (strings)", at="'merged_from'")
        for key in ("continued", "imported"):
            if key in value and not isinstance(value[key], dict):
                raise Invalid("must be an object", at=repr(key))
        continued = value.get("continued", {})
        if "rows" in continued:
            try:
                Integer().decode(continued["rows"])
            except Invalid as exc:
                raise Invalid(exc.problem, at="continued.'rows'") from None
        sources = value.get("sources", [])
        if not isinstance(sources, list):
            raise Invalid("must be a list", at="'sources'")
        for i, source in enumerate(sources):
            if not isinstance(source, dict):
                raise Invalid("must be an object", at=f"sources[{i}]")
            for key in ("path", "format"):
                if key in source and not isinstance(source[key], str):
                    raise Invalid("must be a string", at=f"sources[{i}].{key!r}")
            for key in ("rows", "bytes"):
                if source.get(key) is not None:
                    try:
                        Integer().decode(source[key])
                    except Invalid as exc:
                        raise Invalid(exc.problem, at=f"sources[{i}].{key!r}") from None
        return value

    def schema(self) -> dict:
        count = {"type": ["integer", "null"], "minimum": 0}
        return {
            "type": "object",
            "properties": {
                "sources": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "path": {"type": "string"},
                            "format": {"type": "string"},
                            "rows": count,
                            "bytes": count,
                            "normalized": {
                                "description": "For a source that normkit normalized: its "
                                "record of how (the statistics and settings it was made with)."
                            },
                        },
                    },
                },
                "created": {"type": "string", "description": "When the statistics were fitted."},
                "normkit_version": {"type": "string"},
                "source": {
                    "type": "string",
                    "description": "Statistics read from another library's estimator "
                    "(Standardizer.from_sklearn): which one.",
                },
                "merged_from": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "merge-stats: the stat files merged, by absolute path.",
                },
                "updated": {
                    "type": "string",
                    "description": "transform --save-stats: when running statistics were "
                    "updated with the data transformed.",
                },
                "continued": {
                    "type": "object",
                    "properties": {"rows": count, "updated": {"type": "string"}},
                    "description": "partial_fit after a load: the rows added since the sources "
                    "were fitted, and when.",
                },
                "imported": {
                    "type": "object",
                    "description": "import-torch: what came from a BatchNorm layer's state dict "
                    "(from, layer, num_batches_tracked, statistics, unknown, count, eps, "
                    "momentum, exported: how normkit exported it, where it did).",
                },
            },
        }
