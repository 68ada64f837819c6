"""Validating a stat file, after its JSON is parsed: every field against the field table
(:mod:`normkit.stats.fields`: its type, range and parameter rule, naming the key at fault), then
each column's numbers against one another (:func:`column_problem`); the reader
(:mod:`normkit.stats.statfile`) adds the checks that span sections. A damaged or hand-edited file
is refused rather than used.

With sample weights (the column has a ``weight``, the sum ``W`` of the weights of its values),
``W`` stands for the count where the moments are concerned: ``var = m2 / (W - ddof)``, the
constant-column rule counts ``W`` (as scikit-learn does with ``sample_weight``), and the
kurtosis is ``W * m4 / m2**2``. Rows of weight 0 are counted neither as values nor as missing,
so ``count + missing`` is at most the rows, and the weight of the missing values
(``missing_weight``, where known) is above 0 exactly when some are missing.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from .. import params
from ..core.kernels import is_constant
from ..io.arrow import holds_decimals, holds_integers, numeric_type_named
from .fields import COLUMN, GROUPS, STAT_FILE, Section
from .fitted import StatsOptions
from .kinds import Invalid, Nullable, kind_of

__all__ = [
    "check_document",
    "column_problem",
    "constant_columns",
    "field_problem",
    "first_column_problem",
]


def check_document(doc: dict, fail: Callable[[str], Exception]) -> dict:
    """Every field of a parsed stat file, type- and range-checked by the table (defaults filled
    in); ``fail(message)`` makes the exception raised, the message naming the key at fault."""
    return _check_section(STAT_FILE, doc, "", {g: g in doc for g in GROUPS}, fail)


def _check_section(
    section: Section, obj: Any, where: str, groups: dict[str, bool], fail: Callable
) -> dict:
    out: dict = {}
    for item in section.fields:
        if item.group is not None and not groups[item.group]:
            if item.key in obj:  # a part's field without the part (a column's weight, say)
                raise fail(
                    f"invalid stat file: {where}{item.key!r} without the top-level {item.group!r}"
                )
            continue
        if isinstance(item, Section):
            if item.key not in obj:
                raise fail(f"invalid stat file: missing key {where}{item.key!r}")
            value = obj[item.key]
            if item.each is not None:
                if not isinstance(value, list) or (item.per_column and not value):
                    wanted = "a non-empty list" if item.per_column else "a list"
                    raise fail(f"invalid stat file: {where}{item.key!r} must be {wanted}")
                rows = _check_each(item, value, groups)
                if rows is None:  # a fault: checked one by one, to name it
                    rows = []
                    for i, entry in enumerate(value):
                        if not isinstance(entry, dict):
                            raise fail(
                                f"invalid stat file: {where}{item.key}[{i}] must be an object, "
                                f"not {kind_of(entry)}"
                            )
                        rows.append(
                            _check_section(item, entry, f"{where}{item.key}[{i}].", groups, fail)
                        )
                out[item.key] = rows
            else:
                if not isinstance(value, dict):
                    raise fail(
                        f"invalid stat file: {where}{item.key!r} must be an object, not "
                        f"{kind_of(value)}"
                    )
                out[item.key] = _check_section(item, value, f"{where}{item.key}.", groups, fail)
            continue
        if item.key not in obj:
            if item.optional:
                out[item.key] = (
                    dict(item.default) if isinstance(item.default, dict) else item.default
                )
                continue
            raise fail(f"invalid stat file: missing key {where}{item.key!r}")
        try:
            value = item.kind.decode(obj[item.key])
        except Invalid as exc:
            at = f"{item.key}.{exc.at}" if exc.at else repr(item.key)
            raise fail(f"invalid stat file: {where}{at} {exc.problem}") from None
        nulled = value is None and isinstance(item.kind, Nullable)  # null is its own
        if item.rule is not None and not nulled and not params.RULES[item.rule].accepts(value):
            raise fail(
                f"invalid stat file: {where}{item.key!r} must be "
                f"{params.describe(item.rule)}, not {value!r}"
            )
        out[item.key] = value
    known = {item.key for item in section.fields}
    unknown = [key for key in obj if key not in known]
    if unknown:  # a misspelt or invented key would otherwise be ignored without a word
        raise fail(f"invalid stat file: unknown key {where}{unknown[0]!r}")
    return out


def field_problem(key: str, values: Any) -> tuple[int, str] | None:
    """The first of a column field's values (one per column) that a stat file may not hold,
    with what is wrong with it in the words of a load's refusal (``"must be > 0, not -0.5"``),
    or None. The field table's own check of the key, so that statistics taken from elsewhere (a
    ``StandardScaler``'s ``mean_``, ``var_``, ``scale_``) are held to the rule a stat file is
    read by."""
    (item,) = (f for f in COLUMN.fields if f.key == key)
    values = np.asarray(values).tolist()
    try:
        item.kind.decode_all(values)  # at C speed, where every value passes
        if item.rule is None:
            return None
    except Invalid:
        pass
    for i, value in enumerate(values):  # one by one, to name the first at fault
        try:
            value = item.kind.decode(value)
        except Invalid as exc:
            return i, exc.problem
        if item.rule is not None and not params.RULES[item.rule].accepts(value):
            return i, f"must be {params.describe(item.rule)}, not {value!r}"
    return None


_ABSENT = object()

#: Below this, a float64 has fewer than 53 significant bits (subnormal): an M4 of about
#: ``m2**2 / count`` there has lost its digits to underflow, and cannot be judged.
UNDERFLOW = np.finfo(np.float64).tiny / np.finfo(np.float64).eps


def constant_columns(columns: list[dict]) -> np.ndarray:
    """Whether each column (a stat file's column object) cannot be told from a constant, by
    scikit-learn's rule on its biased variance (``m2`` over its count, or its weight)."""
    n = np.array([c["count"] if c.get("weight") is None else c["weight"] for c in columns], float)
    m2 = np.array([c["m2"] for c in columns], dtype=np.float64)
    mean = np.array([c["mean"] for c in columns], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return is_constant(m2 / n, mean, n)


def _check_each(section: Section, entries: list, groups: dict[str, bool]) -> list[dict] | None:
    """The objects of a list section checked as :func:`_check_section` checks each, field by
    field across all of them (a file of many columns is read at C speed); None if any is at
    fault, for the check of each to name it."""
    if not all(type(e) is dict for e in entries):
        return None
    known = {item.key for item in section.fields}
    if not all(known.issuperset(e) for e in entries):
        return None
    out: list[dict] = [{} for _ in entries]
    for item in section.fields:
        key = item.key
        if item.group is not None and not groups[item.group]:
            if any(key in e for e in entries):
                return None
            continue
        if isinstance(item, Section):
            values = [e.get(key) for e in entries]
            if item.each is not None or not all(type(v) is dict for v in values):
                return None
            checked = _check_each(item, values, groups)
            if checked is None:
                return None
        else:
            values = [e.get(key, _ABSENT) for e in entries]
            present = [v for v in values if v is not _ABSENT]
            if len(present) < len(values) and (not item.optional or isinstance(item.default, dict)):
                return None
            try:
                decoded = item.kind.decode_all(present)
            except Invalid:
                return None
            if item.rule is not None and not all(map(params.RULES[item.rule].accepts, decoded)):
                return None
            if len(present) < len(values):
                given = iter(decoded)
                decoded = [item.default if v is _ABSENT else next(given) for v in values]
            checked = decoded
        for entry, value in zip(out, checked, strict=True):
            entry[key] = value
    return out


def first_column_problem(
    columns: list[dict], rows: int, options: StatsOptions
) -> tuple[int, str] | None:
    """The first column whose numbers disagree (its index and :func:`column_problem`'s
    words), or None. Every column is screened at once (a file of many columns is checked at C
    speed); only the columns the screen cannot clear are checked one by one, so the result is
    the check of each column in turn."""
    constant = constant_columns(columns)
    for i in np.flatnonzero(_suspects(columns, rows, options, constant)).tolist():
        problem = column_problem(columns[i], rows, options, bool(constant[i]))
        if problem:
            return i, problem
    return None


def _suspects(
    columns: list[dict], rows: int, options: StatsOptions, constant: np.ndarray
) -> np.ndarray:
    """Which columns :func:`column_problem` might find at fault: every test it makes, on all
    columns at once with the same float64 operations; a column the screen cannot judge (a
    number that is not finite, a type other than float64 or an integer, quantile lists of
    differing lengths) is a suspect too."""

    def field(key: str, default: float = np.nan) -> np.ndarray:
        return np.array([c.get(key, default) for c in columns], dtype=np.float64)

    count, missing, mean, m2, var, scale = (
        field(k) for k in ("count", "missing", "mean", "m2", "var", "scale")
    )
    lo, hi, m3, m4 = field("min"), field("max"), field("m3"), field("m4")
    weight = np.array(
        [np.nan if c.get("weight") is None else c["weight"] for c in columns], dtype=np.float64
    )
    weighted = ~np.isnan(weight)
    missing_weight = field("missing_weight")
    suspect = ~np.isfinite(np.stack([mean, m2, var, scale, lo, hi, m3, m4])).all(axis=0)
    suspect |= np.where(weighted, count + missing > rows, count + missing != rows)
    suspect |= ~np.isnan(missing_weight) & ((missing_weight > 0) != (missing > 0))
    suspect |= weighted & (weight <= options.ddof)
    for dtype_name in {c["dtype"] for c in columns}:
        of_type = np.array([c["dtype"] == dtype_name for c in columns])
        suspect |= of_type & ~_screened_type(dtype_name, lo, hi)
    with np.errstate(all="ignore"):
        slack = 1e-9 * (np.abs(lo) + np.abs(hi))
        suspect |= lo > hi
        suspect |= ~((lo - slack <= mean) & (mean <= hi + slack))
        suspect |= (lo == hi) & (m2 != 0)
        suspect |= (count == 1) & (m2 != 0)
        # _higher_moments_problem, for columns whose moments are all finite.
        n = np.where(weighted, weight, count)
        zero = m2 == 0
        suspect |= zero & ((m4 != 0) | (m3 != 0))
        kurtosis = n * (m4 / m2) / m2
        with_count = count > 1
        high = np.where(weighted, np.inf, np.where(with_count, count - 2 + 1 / (count - 1), 0.0))
        judged = ~zero & np.isfinite(kurtosis) & (m2 * (m2 / n) >= UNDERFLOW)
        suspect |= judged & (kurtosis < 1 - 1e-9)
        suspect |= judged & (kurtosis > high * (1 + 1e-9) + 1e-9)
        skew2 = n * (m3 / m2) * (m3 / m2) / m2
        suspect |= judged & np.isfinite(skew2) & (skew2 > (kurtosis - 1) * (1 + 1e-9) + 1e-9)
        above = n > options.ddof
        expected = m2 / (n - options.ddof)
        suspect |= above & (np.abs(var - expected) > 1e-9 * np.maximum(var, expected) + 1e-300)
        if options.with_std:
            if options.eps > 0:
                wanted = np.sqrt(var + options.eps)
            else:
                wanted = np.where(constant, 1.0, np.sqrt(var))
            suspect |= np.abs(scale - wanted) > 1e-9 * wanted
    quantiles = [c.get("quantiles") for c in columns]
    given = np.array([q is not None for q in quantiles])
    if given.any():
        lengths = {len(q) for q in quantiles if q is not None}
        if len(lengths) > 1:
            return suspect | given
        q = np.array([q if q is not None else [np.nan] * lengths.pop() for q in quantiles])
        q = np.where(np.isfinite(q), q, np.nan)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a column of no finite quantile
            below, over = np.nanmin(q, axis=1), np.nanmax(q, axis=1)
            suspect |= given & ((below < lo - slack) | (over > hi + slack))
        sample = field("quantile_sample", 0.0)
        suspect |= given & (sample > count)
    return suspect


def _screened_type(dtype_name: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether a column of the type named can hold its min and max, for every column (False
    where the screen cannot tell: a type that is not numeric, float32, decimals)."""
    if dtype_name in ("double", "null"):
        return np.ones(len(lo), dtype=bool)
    dtype = numeric_type_named(dtype_name)
    if dtype is None or not pa.types.is_integer(dtype):
        return np.zeros(len(lo), dtype=bool)
    return holds_integers(dtype, lo) & holds_integers(dtype, hi)


def column_problem(
    column: dict, rows: int, options: StatsOptions, constant: bool | None = None
) -> str | None:
    """What makes a column's numbers (a stat file's column object, checked by the field table)
    disagree with one another, if anything. ``constant``: whether :func:`constant_columns`
    finds it constant, if known (the caller tests all columns at once)."""
    count, missing, weight = column["count"], column["missing"], column.get("weight")
    mean, m2, var, scale = (column[k] for k in ("mean", "m2", "var", "scale"))
    lo, hi = column["min"], column["max"]
    dtype = numeric_type_named(column["dtype"])
    if dtype is None and column["dtype"] != "null":
        return f"dtype {column['dtype']!r} is not a numeric Arrow type"
    if weight is None and count + missing != rows:
        return f"count + missing ({count} + {missing}) is not rows ({rows})"
    if weight is not None and count + missing > rows:
        return f"count + missing ({count} + {missing}) is more than rows ({rows})"
    missing_weight = column.get("missing_weight", math.nan)
    if not math.isnan(missing_weight) and (missing_weight > 0) != (missing > 0):
        if missing:
            return f"missing_weight is 0, though {missing:,} values are missing"
        return f"missing_weight ({missing_weight}) is not 0, though no value is missing"
    if count and (math.isinf(lo) or math.isinf(hi)):
        return f"min and max ({lo}, {hi}) must be finite (or NaN: unknown)"
    if count and dtype is not None:
        for key, value in (("min", lo), ("max", hi)):
            if math.isfinite(value) and not _holds(dtype, value):
                return f"{key} ({value}) is not a value of the column's type {dtype}"
    if math.isfinite(lo) and math.isfinite(hi):
        slack = 1e-9 * (abs(lo) + abs(hi))
        if lo > hi:
            return f"min ({lo}) exceeds max ({hi})"
        if not lo - slack <= mean <= hi + slack:
            return f"mean ({mean}) lies outside [min, max] = [{lo}, {hi}]"
        if lo == hi and m2 != 0:
            return f"m2 ({m2}) is not 0, though every value is {lo}"
    if count == 1 and m2 != 0:
        return f"m2 ({m2}) is not 0, though there is one value"
    if weight is not None and weight <= options.ddof:
        return f"weight ({weight}) is not above ddof ({options.ddof})"
    problem = _higher_moments_problem(count, m2, column["m3"], column["m4"], weight)
    if problem:
        return problem
    n, what = (count, "count") if weight is None else (weight, "weight")
    if n > options.ddof:
        expected = m2 / (n - options.ddof)
        if abs(var - expected) > 1e-9 * max(var, expected) + 1e-300:
            return f"var ({var}) is not m2 / ({what} - ddof) ({expected})"
    if options.with_std:
        # The scale a fit gives (kernels.scale_from_var): with eps 0, scikit-learn's rule
        # makes it 1 for a column that cannot be told from a constant, and only then.
        if options.eps > 0:
            expected, rule = math.sqrt(var + options.eps), "sqrt(var + eps)"
        elif constant if constant is not None else constant_columns([column])[0]:
            expected, rule = 1.0, "1, as for a constant column"
        else:
            expected, rule = math.sqrt(var), "sqrt(var)"
        if abs(scale - expected) > 1e-9 * expected:
            return f"scale ({scale}) is not {rule} ({expected})"
    quantiles = column.get("quantiles")
    if quantiles is not None and math.isfinite(lo) and math.isfinite(hi):
        slack = 1e-9 * (abs(lo) + abs(hi))
        inside = [q for q in quantiles if math.isfinite(q)]
        if inside and (min(inside) < lo - slack or max(inside) > hi + slack):
            return f"quantiles lie outside [min, max] = [{lo}, {hi}]"
        if column["quantile_sample"] > count:
            return f"quantile_sample ({column['quantile_sample']}) exceeds count ({count})"
    return None


def _holds(dtype: pa.DataType, value: float) -> bool:
    """Whether a column of ``dtype`` can hold ``value`` (as read into float64): an integer in
    the type's range, a float32 or float16 value, a decimal of the type's scale and precision."""
    if pa.types.is_integer(dtype):
        return bool(holds_integers(dtype, value))
    if pa.types.is_float32(dtype) or pa.types.is_float16(dtype):
        narrow = np.float32 if pa.types.is_float32(dtype) else np.float16
        with np.errstate(over="ignore"):
            return float(narrow(value)) == value
    if pa.types.is_decimal(dtype):
        return bool(holds_decimals(dtype, value))
    return True


def _higher_moments_problem(
    count: int, m2: float, m3: float, m4: float, weight: float | None = None
) -> str | None:
    """What no data of ``count`` values with that M2 has, of M3 and M4 (NaN: unknown): the
    kurtosis ``count * m4 / m2**2`` lies between 1 + skewness**2 and count - 2 + 1 / (count - 1),
    and a constant column has neither. Computed as ratios, which stay finite for any finite
    moments (their squares overflow above about 1e154). With weights the kurtosis is ``weight *
    m4 / m2**2``, and only its lower bound holds (a light enough value can be as far as any)."""
    if not math.isfinite(m4) or count < 1:
        return None
    if m2 == 0:
        if m4 != 0 or (math.isfinite(m3) and m3 != 0):
            return f"m3 ({m3}) and m4 ({m4}) are not 0, though m2 is 0"
        return None
    n = count if weight is None else weight
    if m2 * (m2 / n) < UNDERFLOW:
        return None  # the least m4 of that m2 is out of float64's range: m4 and m3 underflowed
    ratio = m4 / m2
    kurtosis = n * ratio / m2
    if not math.isfinite(kurtosis):
        return None
    high = math.inf if weight is not None else (count - 2 + 1 / (count - 1) if count > 1 else 0.0)
    if kurtosis < 1 - 1e-9:
        return f"m4 ({m4}) is below m2**2 / count: no data has that"
    if kurtosis > high * (1 + 1e-9) + 1e-9:
        return f"m4 ({m4}) is above what {count:,} values with that m2 can have"
    if math.isfinite(m3):
        skew2 = n * (m3 / m2) * (m3 / m2) / m2
        if math.isfinite(skew2) and skew2 > (kurtosis - 1) * (1 + 1e-9) + 1e-9:
            return f"m3 ({m3}) is beyond what that m2 and m4 allow"
    return None
