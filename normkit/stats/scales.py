"""What the provenance of statistics says of the data they were fitted on, for merging: the
files (the same rows are not merged twice; told by their numbers too, where no file tells
them) and their scale (a fit records, for each source
that normkit normalized, its record of how: ``normalized`` in the source's entry; statistics
of data on different scales are not merged)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import OptionError, SchemaError
from ..io.files import file_key

if TYPE_CHECKING:
    from .fitted import FittedStats

__all__ = [
    "check_apart",
    "check_new_data",
    "check_same_scale",
    "data_scale",
    "frozen",
    "rewritten_sources",
    "same_scale",
    "same_scales",
    "scale_words",
]


def check_apart(
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    names: tuple[str, str],
    rewritten: frozenset[tuple] = frozenset(),
) -> None:
    """Refuse to merge statistics whose provenances (``mine``, ``theirs``; their files
    ``names``) name the same file (the same path, rows and size; not standard input): its rows
    would count twice. The same kind of problem as a file given twice
    (:func:`~normkit.io.dataset.refuse_duplicates`): a choice of inputs, not a fault of either.
    ``rewritten``: the files (:func:`_identity`) known to have held other data at each
    fit (:func:`rewritten_sources`), merged."""
    seen = {_identity(s): s["path"] for s in mine.get("sources", []) if _identity(s) is not None}
    for source in theirs.get("sources", []):
        if _identity(source) in seen and _identity(source) not in rewritten:
            other = seen[_identity(source)]
            rows = f"{source['rows']:,} rows"
            where = (
                f"{source['path']} ({rows})"
                if other == source["path"]
                else f"one file ({other} and {source['path']} reach it; {rows})"
            )
            raise OptionError(
                f"{names[1]}: both were fitted on {where}: "
                f"merged, its rows would count twice (merging into those of {names[0]})",
                hints=("leave out one of the stat files",),
            )


def check_new_data(
    earlier: Mapping[str, FittedStats], name: str, other: FittedStats, merged: FittedStats
) -> None:
    """Refuse to merge ``other`` (called ``name``) into ``merged``, the union of ``earlier``
    (each by its name, the first the one merged into), where it is of the same data as one of
    them, whose rows would count twice: fitted on one file (:func:`check_apart`; not a file that
    held other data at each fit, :func:`rewritten_sources`), or of the same numbers to rounding
    (:func:`_other_data`) where a column varies (:func:`_varies`): the same rows fitted twice
    (in memory, from standard input, or from a copy of a file under another name); or one fit
    given twice.

    Raises
    ------
    OptionError
        A choice of statistics, as a file given twice is (not a fault of either).
    """
    first = next(iter(earlier))
    rewritten = rewritten_sources(list(earlier.values()), other)
    check_apart(merged.provenance, other.provenance, (first, name), rewritten)
    for seen, stats in earlier.items():
        # One fit given twice is refused whatever it holds; others where both vary (either
        # way round: a fit of binary columns tells nothing beside an import that may vary).
        varies = _varies(other) and _varies(stats)
        if stats is not other and (not varies or _other_data(stats, other)):
            continue
        into = f" (merging into those of {first})" if seen != first else ""
        if _names_files(stats) and _names_files(other):
            apart = "fitted on other files (a copy of the same rows)"
        else:
            apart = "and no file to tell their data apart"
        raise OptionError(
            f"{name}: the same statistics as {seen} ({_compared(stats, other)}), "
            f"{apart}: the same rows fitted twice, merged, would count twice{into}",
            hints=("leave out one of them (distinct rows of the same values: fit them together)",),
        )


def _compared(a: FittedStats, b: FittedStats) -> str:
    """What :func:`_other_data` found the same in ``a`` and ``b``: not what either does not
    know (statistics imported from scikit-learn know no extremes, and may know no variance)."""
    known = [a.moments.min, a.moments.max, b.moments.min, b.moments.max]
    if not any(np.isnan(m).any() for m in known):
        return "counts, missing values, extremes, means and variances, to rounding"
    imported = "of statistics imported from scikit-learn are unknown"
    if np.any(_variance_unknown(a) | _variance_unknown(b)):
        return (
            f"counts, missing values and means, to rounding; the variance and extremes {imported}"
        )
    return f"counts, missing values, means and variances, to rounding; the extremes {imported}"


def _varies(stats: FittedStats) -> bool:
    """Whether a column of ``stats`` holds a value strictly inside its range: its variance (over
    N) lies below ``(max - mean) * (mean - min)``, which it equals where every value is one of
    the two extremes (Bhatia and Davis). Where no column does (constant, binary or one-hot
    columns), shards of other rows have the same statistics as often as not (balanced folds),
    which then tell nothing of whether the rows are the same."""
    m = stats.moments
    var = m.var()
    with np.errstate(invalid="ignore", over="ignore"):
        bound = (m.max - m.mean) * (m.mean - m.min)
        inside = (m.max > m.min) & (var < bound * (1 - _ROUNDING))
        # Extremes unknown (statistics imported from scikit-learn): a column that varies at all,
        # or whose variance is unknown too, is taken to vary: its values cannot be told.
        unknown = (m.count > 0) & (np.isnan(m.min) | np.isnan(m.max))
        unknown &= (var != 0) | _variance_unknown(stats)
    return bool(np.any(inside | unknown))


def _variance_unknown(stats: FittedStats) -> np.ndarray:
    """Per column, whether ``stats`` know no variance: imported from a scikit-learn scaler
    without one (``with_std=False``), whose extremes are unknown too (a fit knows both)."""
    m = stats.moments
    return ~np.bool_(stats.options.with_std) & (np.isnan(m.min) | np.isnan(m.max))


def _names_files(stats: FittedStats) -> bool:
    """Whether the provenance of ``stats`` names a file they were fitted on (:func:`_identity`)."""
    return any(_identity(source) is not None for source in stats.provenance.get("sources", []))


def rewritten_sources(earlier: Sequence[FittedStats], other: FittedStats) -> frozenset[tuple]:
    """The file ``other`` was fitted on, where the statistics show that it held other data at
    each earlier fit that names it (a daily export written again at one path, of the same size):
    each of them fitted on that one file alone, as ``other`` is, with other data
    (:func:`_other_data`). Else none: statistics of several files cannot tell which file's rows
    differed."""
    sources = other.provenance.get("sources", [])
    if len(sources) != 1 or _identity(sources[0]) is None or not _file_alone(other):
        return frozenset()
    key = _identity(sources[0])
    for stats in earlier:
        theirs = [_identity(s) for s in stats.provenance.get("sources", [])]
        if key not in theirs:
            continue
        if len(theirs) != 1 or not _file_alone(stats) or not _other_data(stats, other):
            return frozenset()
    return frozenset({key})


def _file_alone(stats: FittedStats) -> bool:
    """Whether ``stats`` hold no rows beyond those of the files their provenance names: none
    added by ``partial_fit`` or merged from statistics fitted in memory (a file's rows
    continued so hold that file's rows whatever else they hold)."""
    named = sum(s.get("rows", 0) for s in stats.provenance.get("sources", []))
    return "continued" not in stats.provenance and stats.n_rows <= named


#: How far apart (relative) the means (to their columns' spread) and the variances of two fits
#: of the same rows may lie: rounding, from rows cut into other chunks (``--chunk-rows``, a CSV's
#: blocks), is a few units in the last place (about 1e-16 to 1e-13).
_ROUNDING = 1e-9


def _other_data(a: FittedStats, b: FittedStats) -> bool:
    """Whether the statistics ``a`` and ``b`` are of other data: other columns, counts, missing
    values, extremes, sums of weights, or means or variances further apart than rounding
    (:data:`_ROUNDING`). The same rows fitted twice give the same numbers to rounding, however
    they were cut into chunks; the same bits only if cut alike."""
    if a.names != b.names:
        return True
    x, y = a.moments, b.moments
    exact = [(x.count, y.count), (x.n_missing, y.n_missing)]
    # Extremes unknown on either side (imported from scikit-learn) tell nothing.
    for p, q in ((x.min, y.min), (x.max, y.max)):
        known = ~(np.isnan(p) | np.isnan(q))
        exact.append((p[known], q[known]))
    if any(not np.array_equal(p, q) for p, q in exact):
        return True
    if (x.weight is None) != (y.weight is None):
        return True
    # A variance unknown on either side (scikit-learn's without one) tells nothing.
    unknown = _variance_unknown(a) | _variance_unknown(b)
    var_x, var_y = (np.where(unknown, np.nan, v) for v in (x.var(), y.var()))
    # Each pair, and what beside their size it is measured against: a mean, its spread.
    spread = np.nan_to_num(np.sqrt(np.fmax(var_x, var_y)), nan=0.0)
    pairs = [(x.mean, y.mean, spread), (var_x, var_y, 0.0)]
    if x.weight is not None:
        pairs.append((x.weight, y.weight, 0.0))
    for p, q, beside in pairs:
        apart = np.abs(p - q) > _ROUNDING * (np.fmax(np.abs(p), np.abs(q)) + beside)
        if np.any(apart & ~(np.isnan(p) & np.isnan(q))):
            return True
    return False


def _identity(source: Any) -> tuple | None:
    """A source's file as provenance names it (None for standard input, or unknown): the file
    its path reaches (:func:`_file`), its rows and size."""
    if not isinstance(source, dict) or not isinstance(source.get("path"), str):
        return None
    if source["path"] == "-" or not isinstance(source.get("rows"), int):
        return None
    return (_file(source["path"]), source["rows"], source.get("bytes"))


def _file(path: str) -> object:
    """The file at ``path`` (:func:`~normkit.io.files.file_key`) where it exists now, so that a
    link to it (symbolic or hard) is the same file, as a fit of both refuses them; else the
    path."""
    return file_key(path) or path


def check_same_scale(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> None:
    """Refuse to merge statistics whose provenances (``mine``, ``theirs``) say that their data
    are on different scales: normalized and raw, or normalized otherwise. Statistics without
    sources to tell (fitted in memory) are not judged."""
    a, b = data_scale(mine), data_scale(theirs)
    if a is not None and b is not None and not same_scales(a, b):
        raise SchemaError(
            "cannot merge statistics of data on different scales, as their sources' records "
            f"say: these were fitted on {scale_words(a)}, the other on {scale_words(b)}",
            hints=("merge statistics of data on one scale: all raw, or all normalized alike",),
        )


def data_scale(provenance: Mapping[str, Any]) -> frozenset | None:
    """The scales of the data statistics were fitted on, as the provenance of their sources
    records them (each source's ``normalized`` record, None for raw data); None where there are
    no sources to tell (statistics fitted in memory)."""
    sources = provenance.get("sources")
    if not isinstance(sources, list) or not sources:
        return None
    return frozenset(
        frozen(source.get("normalized") if isinstance(source, dict) else None) for source in sources
    )


def same_scales(a: frozenset, b: frozenset) -> bool:
    """Whether the scales ``a`` and ``b`` (:func:`data_scale`) are one: each of either is one
    of the other's (:func:`same_scale`)."""
    return all(any(same_scale(x, y) for y in b) for x in a) and all(
        any(same_scale(x, y) for y in a) for x in b
    )


def same_scale(x: Any, y: Any) -> bool:
    """Whether two sources' scales (their frozen ``normalized`` records; None: raw) are one: as
    recorded, or, where either was recorded before provenance kept each step's gamma and beta
    (a stat file of an older normkit), by their statistics, mode and use alone."""
    if x == y:
        return True
    return not (_told(x) and _told(y)) and _plain(x) == _plain(y)


#: The keys of a step of a scale that provenance written before them lacks.
_AFFINE = frozenset({"gamma", "beta"})


def _told(steps: Any) -> bool:
    """Whether a scale's steps record their gamma and beta (raw data, or an edited record that
    is not steps, have nothing to tell)."""
    try:
        return steps is None or all({k for k, _ in step} >= _AFFINE for step in steps)
    except (TypeError, ValueError):
        return True


def _plain(steps: Any) -> Any:
    """A scale's steps without their gamma and beta."""
    if steps is None:
        return None
    return tuple(tuple(pair for pair in step if pair[0] not in _AFFINE) for step in steps)


def frozen(value: Any) -> Any:
    """A JSON value as something hashable (lists as tuples, objects as sorted pairs)."""
    if isinstance(value, list):
        return tuple(frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    return value


def scale_words(scale: frozenset) -> str:
    """``scale`` (:func:`data_scale`) in words."""
    if len(scale) > 1:
        return "data of several scales"
    (steps,) = scale
    if steps is None:
        return "raw data"
    try:
        first = dict(steps[0])
        affine = "".join(  # one number, or per column (sorted pairs, as frozen)
            f", {key} {'per column' if isinstance(first[key], tuple) else format(first[key], 'g')}"
            for key, default in (("gamma", 1.0), ("beta", 0.0))
            if first.get(key, default) != default
        )
        fingerprint = f" (statistics {first['stats']}{affine})"
        times = "" if len(steps) == 1 else f" {len(steps)} times"
    except (TypeError, ValueError, KeyError, IndexError):  # a record edited by hand
        fingerprint = times = ""
    return f"data normkit normalized{times}{fingerprint}"
