"""The stat file: fitted statistics as versioned, human-readable, exact JSON.

Its layout is the table of :mod:`normkit.stats.fields` (``normkit.stats.fields.describe()`` prints
it): the writer and the validator both walk that table. Floats are written in Python's shortest
round-trip form, so they read back bit for bit; NaN and infinities, which JSON cannot hold, are
the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``. ``mean_error``, written where it is not
zero, is what the last rounding of the mean lost: the fit keeps the mean as a shift (a value of
the column) plus an offset, and ``mean + mean_error`` equals their exact sum. Merging stat files
then loses nothing to that rounding, even for data far from zero (the offset itself carries the
usual float64 error of a sum). Loading never executes anything (no pickle) and checks every field, then every field
against the others, raising :class:`~normkit.errors.StatsFileError` with the key at fault.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from typing import Any

import numpy as np

from .._version import __version__
from ..core.categories import MAX_CATEGORIES, CategoryCounts
from ..core.moments import Moments
from ..core.sketch import QUANTILE_PROBABILITIES, Sketch
from ..errors import OptionError, OutputError, StatsFileError
from ..io.files import AtomicFile, os_reason, standard_output
from ..io.formats import STDIO, descriptor_of, format_named
from ..io.options import ReadSettings
from .ema_file import read_running
from .fields import EACH, FORMAT, GROUPS, STAT_FILE, VERSION, Columnar, Section
from .fitted import FittedStats, PassedThrough, StatsOptions, is_order_of
from .kinds import kind_of
from .layout import document_text, many_objects
from .other_files import read_text
from .validation import check_document, first_column_problem

__all__ = [
    "FORMAT",
    "VERSION",
    "check_stat_path",
    "now",
    "parse",
    "read",
    "read_text",
    "stage",
    "to_document",
    "to_text",
    "write",
]


def now() -> str:
    """The current time as provenance records it (UTC, seconds)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# -- writing -------------------------------------------------------------------------------------


def to_document(stats: FittedStats) -> dict[str, Any]:
    """The stat file's content (a JSON-ready dict), laid out by the field table."""
    with many_objects():
        return _write(STAT_FILE, stats, None)


def _write(section: Section, stats: FittedStats, column: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in section.fields:
        if item.group is not None and not GROUPS[item.group](stats):
            continue
        if isinstance(item, Section):
            if item.each is not None:
                out[item.key] = _write_each(item, stats, EACH[item.each](stats))
            else:
                out[item.key] = _write(item, stats, column)
        elif item.written is None or item.written(stats, column):
            out[item.key] = item.kind.encode(item.get(stats, column))
    return out


def _every(get: Any, stats: FittedStats, n: int) -> Any:
    """A getter's values for entries ``0 .. n - 1``, at once where it can."""
    return get.all(stats) if isinstance(get, Columnar) else [get(stats, i) for i in range(n)]


def _write_each(section: Section, stats: FittedStats, n: int) -> list[dict[str, Any]]:
    """The ``n`` objects of a list section, as :func:`_write` lays out each, field by field:
    every column's value of a field is read and encoded at once."""
    fields = []
    for item in section.fields:
        if item.group is not None and not GROUPS[item.group](stats):
            continue
        if isinstance(item, Section):
            if item.each is not None:
                raise ValueError(f"a list section within the list section {section.key!r}")
            fields.append((item.key, _write_each(item, stats, n), None))
            continue
        written = None if item.written is None else _every(item.written, stats, n)
        fields.append((item.key, item.kind.encode_all(_every(item.get, stats, n)), written))
    entries = []
    for i in range(n):
        entry = {}
        for key, values, written in fields:
            if written is None or written[i]:
                entry[key] = values[i]
        entries.append(entry)
    return entries


def to_text(stats: FittedStats) -> str:
    """The stat file as a JSON string (ends with a newline): one line per top-level field, and
    one per entry of a list of entries (a column, a column passed through, a column's
    categories); see :mod:`normkit.stats.layout`."""
    return document_text(to_document(stats))


def check_stat_path(path: str | os.PathLike[str], param_name: str = "output") -> None:
    """Refuse a stat file path whose extension names a data format (``stats.parquet``): the
    file would be JSON whatever its name says."""
    path = os.fspath(path)
    if path == STDIO or path.lower().endswith(".txt"):  # text: JSON is text
        return
    kind = format_named(path)
    if kind is None:
        return  # .json, or any name that is not a data format's
    raise OptionError(
        f"{path}: a stat file is JSON, not {kind}; name it with .json",
        param=param_name,
    )


def write(stats: FittedStats, path: str | os.PathLike[str]) -> None:
    """Write the stat file to ``path`` (``"-"``: stdout), atomically: a temporary file beside the
    target is renamed into place once it is whole, so a reader never sees half a stat file.

    Raises
    ------
    OptionError
        If the path's extension names a data format.
    OutputError
        If the file cannot be written.
    """
    stage(stats, path).commit()


def _cannot_write(path: str, exc: OSError) -> OutputError:
    return OutputError(f"{path}: cannot write the stat file: {os_reason(exc)}")


class Staged:
    """A stat file written whole, not yet in place: :meth:`commit` moves it there (``"-"``:
    writes it to stdout), :meth:`discard` forgets it. See :func:`stage`."""

    def __init__(self, path: str, text: str, file: AtomicFile | None):
        self.path, self._text, self._file = path, text, file

    def commit(self) -> None:
        if self._file is None and self.path != STDIO:  # a descriptor: written through now
            try:
                with AtomicFile(self.path) as out:
                    out.stream.write(self._text.encode("utf-8"))
            except OSError as exc:
                raise _cannot_write(self.path, exc) from None
            return
        if self._file is None:
            standard_output()
            try:
                sys.stdout.write(self._text)
                sys.stdout.flush()
            except BrokenPipeError:
                raise
            except OSError as exc:
                raise OutputError(f"<stdout>: cannot write: {os_reason(exc)}") from None
            return
        try:
            self._file.commit()
        except OSError as exc:
            self.discard()
            raise _cannot_write(self.path, exc) from None

    def discard(self) -> None:
        if self._file is not None:
            self._file.discard()


def stage(stats: FittedStats, path: str | os.PathLike[str]) -> Staged:
    """The stat file of ``stats`` written whole beside ``path``, to be moved into place by the
    result's :meth:`~Staged.commit` (with another output: a transform's and its updated
    statistics land together). Refused as :func:`write` refuses it."""
    check_stat_path(path)
    doc = to_document(stats)
    text = document_text(doc)
    # Write nothing that reading would refuse: the document is checked as a read checks it
    # (its JSON text reads back as the same document).
    _Reader(os.fspath(path)).stats(doc)
    path = os.fspath(path)
    if path == STDIO or descriptor_of(path) is not None:  # written at the commit, not before
        return Staged(path, text, None)
    try:
        out = AtomicFile(path)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        out.stream.write(text.encode("utf-8"))
    except OSError as exc:
        out.discard()
        raise _cannot_write(path, exc) from None
    except BaseException:
        out.discard()
        raise
    return Staged(path, text, out)


# -- reading -------------------------------------------------------------------------------------


def read(path: str | os.PathLike[str]) -> FittedStats:
    """Read and validate a stat file (its text: :func:`read_text`).

    Raises
    ------
    StatsFileError
        If the file cannot be read, is not JSON, is not a normkit stat file, has another version,
        or has a missing, mistyped or inconsistent field.
    OptionError
        If ``path`` is ``"-"`` (standard input).
    """
    return parse(read_text(path), source=os.fspath(path))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (json would keep the last one silently)."""
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return obj


def _reject_constant(token: str) -> float:
    raise ValueError(f"bare {token} is not valid JSON")


def parse(text: str, source: str = "<string>") -> FittedStats:
    """Parse and validate the text of a stat file; see :func:`read`."""
    with many_objects():
        return _parse(text, source)


def _parse(text: str, source: str) -> FittedStats:
    from .. import _native

    # The native parser gives what json gives, three times as fast for a file of many columns;
    # where json must decide (invalid JSON, a key given twice...), it gives None.
    doc = _native.json_load(text)
    if doc is not None:
        return _Reader(source).stats(doc)
    try:
        doc = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise StatsFileError(
            f"{source}: not a normkit stat file (JSON nested too deeply)"
        ) from None
    except (json.JSONDecodeError, ValueError) as exc:
        detail = (
            f"line {exc.lineno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        )
        if not text.strip():
            raise StatsFileError(f"{source}: not a normkit stat file (it is empty)") from None
        if "int_max_str_digits" in detail:  # Python's limit on the digits of an integer
            detail = "a number of more than 4,300 digits"
        raise StatsFileError(
            f"{source}: not a normkit stat file (invalid JSON, {detail})"
        ) from None
    return _Reader(source).stats(doc)


class _Reader:
    """Turns a parsed stat file into statistics: the table's checks, then those relating its
    fields to one another, each failure naming the key or column at fault."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, message: str) -> StatsFileError:
        return StatsFileError(f"{self.source}: {message}")

    def stats(self, doc: Any) -> FittedStats:
        self.header(doc)
        values = check_document(doc, self.fail)
        options = StatsOptions(**values["options"])
        columns = values["columns"]
        names = [c["name"] for c in columns]
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise self.fail(f"invalid stat file: column {name!r} appears twice")
            seen.add(name)
        for i, column in enumerate(columns):
            # The rounding of the mean, or the gap to StandardScaler's (within 1e-12 of the
            # scale) that an in-memory fit writes.
            bound = abs(column["mean"]) * 2.0**-52 + 1e-12 * abs(column["scale"])
            if abs(column["mean_error"]) > bound:
                raise self.fail(
                    f"invalid stat file: columns[{i}].'mean_error' ({column['mean_error']}) is "
                    "larger than the rounding of 'mean'"
                )
        weighted = self.weighted(values)
        found = first_column_problem(columns, values["rows"], options)
        if found is not None:
            i, problem = found
            raise self.fail(f"inconsistent stat file: column {columns[i]['name']!r}: {problem}")

        def field(key: str, dtype: Any = np.float64) -> np.ndarray:
            return np.array([c[key] for c in columns], dtype=dtype)

        moments = Moments.from_mean(
            field("count", np.int64),
            field("missing", np.int64),
            field("mean"),
            field("m2"),
            field("min"),
            field("max"),
            field("mean_error"),
            field("m3"),
            field("m4"),
            field("weight") if weighted else None,
            field("missing_weight") if weighted else None,
        )
        return FittedStats.build(
            names,
            [c["dtype"] for c in columns],
            moments,
            values["rows"],
            options,
            gamma=field("gamma"),
            beta=field("beta"),
            running=read_running(values.get("ema"), values.get("ema_pending"), columns, self.fail),
            sketch=self.sketch(values.get("sketch"), columns),
            provenance=values["provenance"],
            # The file's mean, var and scale are what transforms use, exactly as written.
            mean=field("mean"),
            var=field("var"),
            scale=field("scale"),
            read=self.read_settings(values.get("read")),
            passthrough=self.passthrough(values.get("passthrough"), names, weighted),
            categories=self.categories(
                values.get("categories"), names, values["rows"], values.get("passthrough"), weighted
            ),
            inputs=self.inputs(values.get("inputs"), names, values.get("passthrough")),
            unnamed=values.get("unnamed", False),
            default_use="ema" if (values.get("ema") or {}).get("applied") else "exact",
        )

    def weighted(self, values: dict) -> bool:
        """Whether the statistics were fitted with sample weights (then every column has its
        weight: the table requires it), with no running statistics (BatchNorm's have no
        weights) and the weight column, if any, among those passed through."""
        weights = values.get("weights")
        if weights is None:
            return False
        if values.get("ema") is not None:
            raise self.fail(
                "inconsistent stat file: 'ema' and 'weights' (a fit with sample weights has no "
                "running statistics: BatchNorm's have no weights)"
            )
        passthrough = values.get("passthrough")
        if passthrough is not None:
            marked = [p["name"] for p in passthrough if p["why"] == "weight"]
            if marked != ([] if weights["column"] is None else [weights["column"]]):
                raise self.fail(
                    f"inconsistent stat file: weights.'column' ({weights['column']!r}) is not "
                    "the column passed through as the weight"
                )
        return True

    def read_settings(self, section: dict | None) -> ReadSettings | None:
        if section is None:
            return None
        nulls = tuple(section["null_values"])
        if "" not in nulls:
            raise self.fail("invalid stat file: read.'null_values' must hold the empty field ''")
        return ReadSettings(
            section["delimiter"],
            nulls,
            section["encoding"],
            section["inf_as_missing"],
            section["decimal"],
            section.get("header"),
            section.get("skip_rows"),
            section.get("comment"),
            tuple(section.get("renamed", ())),
            section.get("quote"),
            section.get("inline_comments", False),
            tuple(section.get("given", ())),
            section.get("escape"),
            section.get("block_size"),
            tuple(section.get("text_null_values", ())),
        )

    def passthrough(self, entries: list | None, names: list[str], weighted: bool) -> list | None:
        if entries is None:
            return None
        seen = set(names)
        if not weighted and any(e["why"] == "weight" for e in entries):
            raise self.fail("inconsistent stat file: a weight column passed through, no weights")
        for i, entry in enumerate(entries):
            if entry["name"] in seen:
                raise self.fail(
                    f"invalid stat file: passthrough[{i}] names column {entry['name']!r} twice"
                )
            seen.add(entry["name"])
        return [PassedThrough(e["name"], e["dtype"], e["why"]) for e in entries]

    def inputs(
        self, inputs: list | None, names: list[str], passthrough: list | None
    ) -> list | None:
        if inputs is None:
            return None
        columns = [*names, *(e["name"] for e in passthrough or ())]
        if passthrough is None or not is_order_of(inputs, columns):
            raise self.fail(
                "inconsistent stat file: 'inputs' does not name each column of 'columns' and "
                "'passthrough' once"
            )
        return inputs

    def categories(
        self,
        entries: list | None,
        names: list[str],
        rows: int,
        passthrough: list | None,
        weighted: bool = False,
    ) -> dict[str, CategoryCounts] | None:
        """The category counts; with weights, over the rows of weight above 0 (at most the
        file's rows)."""
        if entries is None:
            return None
        # A column whose categories are counted is one the fit passed through as text or
        # boolean (when the file lists them), and a boolean one has only true and false.
        counted = {e["name"]: e for e in passthrough or () if e["why"] != "excluded"}
        out: dict[str, CategoryCounts] = {}
        for entry in entries:
            name, counts, other, missing = (
                entry[k] for k in ("name", "counts", "other", "missing")
            )
            if name in out or name in names:
                what = "a numeric column" if name in names else "counted twice"
                raise self.fail(f"invalid stat file: categories: column {name!r} is {what}")
            if passthrough is not None and name not in counted:
                raise self.fail(
                    f"invalid stat file: categories: column {name!r} is not a text or boolean "
                    "column the fit passed through"
                )
            problem = None
            boolean = passthrough is not None and counted[name]["dtype"] == "bool"
            odd = [k for k in counts if k not in ("true", "false")] if boolean else []
            if odd:
                problem = f"category {odd[0]!r} of a boolean column (only true and false)"
            negative = [k for k, n in counts.items() if n < 1]
            larger = [k for k, n in counts.items() if n > rows]
            total = sum(counts.values()) + other + missing
            if problem:
                pass
            elif negative:
                problem = f"category {negative[0]!r} has count {counts[negative[0]]} (below 1)"
            elif larger:
                problem = (
                    f"category {larger[0]!r} has count {counts[larger[0]]}, more than the "
                    f"file's rows ({rows})"
                )
            elif len(counts) > MAX_CATEGORIES:
                problem = f"{len(counts):,} categories, more than {MAX_CATEGORIES:,}"
            elif total > rows or (total != rows and not weighted):
                problem = f"counts + other + missing ({total}) is not rows ({rows})"
            elif entry["exact"] != (other == 0):
                problem = f"exact is {str(entry['exact']).lower()} but other is {other}"
            if problem:
                raise self.fail(f"inconsistent stat file: categories of column {name!r}: {problem}")
            out[name] = CategoryCounts(counts, other, missing)
        return out

    def header(self, doc: Any) -> None:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise self.fail('not a normkit stat file (no "format": "normkit.stats")')
        version = doc.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise self.fail(
                f"invalid stat file: 'version' must be an integer, not {kind_of(version)}"
            )
        if version > VERSION:
            raise self.fail(
                f"stat file version {version} was written by a newer normkit; "
                f"this normkit ({__version__}) reads version {VERSION}: upgrade normkit"
            )
        if version < 1:
            raise self.fail(f"invalid stat file: unknown version {version}")

    def sketch(self, sketch: dict | None, columns: list[dict]) -> Sketch | None:
        if sketch is None:
            return None
        if sketch["probabilities"] != [float(p) for p in QUANTILE_PROBABILITIES]:
            raise self.fail(
                "invalid stat file: sketch.'probabilities' must be 0.05, 0.1, ..., 0.95"
            )
        edges = np.array([c["quantiles"] for c in columns], dtype=np.float64)
        cdf = np.array([c["quantile_cdf"] for c in columns], dtype=np.float64)
        # Every column at once; the first at fault is named.
        finite = np.isfinite(edges).all(axis=1)
        falling = finite & (np.diff(edges, axis=1) < 0).any(axis=1)
        bad_cdf = np.zeros(len(columns), dtype=bool)
        whole = np.isfinite(cdf).all(axis=1)
        bad_cdf[whole] = ((cdf[whole] < 0) | (cdf[whole] > 1)).any(axis=1) | (
            np.diff(cdf[whole], axis=1) < 0
        ).any(axis=1)
        for i in np.flatnonzero(~whole):
            fractions = cdf[i][np.isfinite(cdf[i])]
            bad_cdf[i] = ((fractions < 0) | (fractions > 1)).any() or (np.diff(fractions) < 0).any()
        at_fault = np.flatnonzero(falling | bad_cdf)
        if at_fault.size:
            i = int(at_fault[0])
            if falling[i]:
                raise self.fail(f"invalid stat file: columns[{i}].'quantiles' must not decrease")
            raise self.fail(
                f"invalid stat file: columns[{i}].'quantile_cdf' must rise from 0 to 1 at most"
            )
        return Sketch(
            edges,
            cdf,
            np.array([c["quantile_sample"] for c in columns], dtype=np.int64),
            merged=sketch["merged"],
        )
