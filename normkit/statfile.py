"""The stat file: fitted statistics as versioned, human-readable, exact JSON.

Layout (version 1)::

    {
      "format": "normkit.stats",
      "version": 1,
      "options": {"ddof": 0, "eps": 0.0, "with_mean": true, "with_std": true},
      "columns": [
        {"name": "x", "dtype": "double", "count": 10, "missing": 0, "mean": 1.5, "m2": 20.25,
         "var": 2.025, "scale": 1.4230249470757708, "min": 0.0, "max": 4.5,
         "mean_error": 1.2e-17,                                       (optional)
         "quantile_sample": 10, "quantiles": [0.3, ..., 4.2],        (with "sketch")
         "quantile_cdf": [0.05, ..., 0.95],
         "gamma": 1.0, "beta": 0.0,                                   (optional)
         "ema": {"running_mean": 0.3, "running_var": 1.2, "updates": 2, "skipped": 0}}
      ],
      "rows": 10,
      "sketch": {"probabilities": [0.05, 0.1, ..., 0.95]},              (optional)
      "ema": {"convention": "torch", "momentum": 0.1, "init": "standard", "batch_size": 4,
              "drop_last": false, "eps": 1e-05, "batches": 2},       (optional, with column "ema")
      "provenance": {"sources": [{"path": "x.csv", "format": "csv", "rows": 10, "bytes": 61}],
                     "normkit_version": "0.1.0", "created": "2026-01-01T00:00:00Z"}
    }

Floats are written with Python's shortest round-trip representation, so they read back bit for
bit. ``mean_error``, written where it is not zero, is what rounding the mean to a float64 lost
(``mean + mean_error`` is the mean to twice float64's precision): merging stat files
(``normkit merge-stats``) then loses nothing to that rounding, even for data far from zero. NaN and infinities, which JSON cannot hold, are written as the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"``. Loading never executes anything (no pickle) and validates
every field, raising :class:`~normkit.errors.StatsFileError` with the key at fault.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._version import __version__
from .ema import EmaOptions, RunningStats
from .errors import OptionError, OutputError, SchemaError, StatsFileError
from .io import STDIO, AtomicFile, _os_reason
from .moments import Moments
from .sketch import QUANTILE_PROBABILITIES, Sketch
from .standardizer import Standardizer

__all__ = ["FORMAT", "VERSION", "dumps", "load", "loads", "merge_stat_files", "save"]

FORMAT = "normkit.stats"
VERSION = 1

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_INT64_MAX = 2**63 - 1


def _float_out(value: float) -> float | str:
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _complete(scaler: Standardizer) -> bool:
    """Whether ``moments_`` holds every row (no rows wait in a partial EMA batch)."""
    return scaler.ema_ is None or not scaler.ema_.pending_rows


def to_dict(scaler: Standardizer) -> dict[str, Any]:
    """The stat file's content for a fitted :class:`Standardizer`."""
    scaler._check_is_fitted()
    columns = []
    mean_error = scaler.moments_.mean_error if _complete(scaler) else np.zeros(len(scaler.mean_))
    for i, name in enumerate(scaler.feature_names_in_):
        columns.append(
            {
                "name": str(name),
                "dtype": scaler.dtypes_[i],
                "count": int(scaler.n_samples_seen_[i]),
                "missing": int(scaler.n_missing_[i]),
                "mean": _float_out(scaler.mean_[i]),
                **({"mean_error": float(mean_error[i])} if mean_error[i] else {}),
                "m2": _float_out(scaler.m2_[i]),
                "var": _float_out(scaler.var_[i]),
                "scale": _float_out(scaler.scale_[i]),
                "min": _float_out(scaler.min_[i]),
                "max": _float_out(scaler.max_[i]),
            }
        )
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "options": {
            "ddof": int(scaler.ddof),
            "eps": _float_out(scaler.eps),
            "with_mean": bool(scaler.with_mean),
            "with_std": bool(scaler.with_std),
        },
        "columns": columns,
        "rows": int(scaler.n_rows_seen_),
    }
    for i, column in enumerate(columns):
        if scaler.gamma_[i] != 1.0 or scaler.beta_[i] != 0.0:
            column["gamma"] = _float_out(scaler.gamma_[i])
            column["beta"] = _float_out(scaler.beta_[i])
    sketch = getattr(scaler, "sketch_", None)
    if sketch is not None:
        doc["sketch"] = {"probabilities": [float(p) for p in QUANTILE_PROBABILITIES]}
        for i, column in enumerate(columns):
            column["quantile_sample"] = int(sketch.counts[i])
            column["quantiles"] = [_float_out(v) for v in sketch.edges[i]]
            column["quantile_cdf"] = [_float_out(v) for v in sketch.cdf[i]]
    ema = scaler.ema_
    if ema is not None:
        options = ema.options
        doc["ema"] = {
            "convention": options.convention,
            "momentum": "cumulative" if options.cumulative else _float_out(options.momentum_value),
            "init": options.init,
            "batch_size": int(options.batch_size),
            "drop_last": bool(options.drop_last),
            "eps": _float_out(options.eps_value),
            "batches": int(ema.n_batches),
        }
        for i, column in enumerate(columns):
            column["ema"] = {
                "running_mean": _float_out(ema.running_mean[i]),
                "running_var": _float_out(ema.running_var[i]),
                "updates": int(ema.n_updates[i]),
                "skipped": int(ema.n_skipped[i]),
            }
    doc["provenance"] = {**scaler.provenance_, "normkit_version": __version__}
    return doc


def dumps(scaler: Standardizer) -> str:
    """The stat file as a JSON string (ends with a newline)."""
    return json.dumps(to_dict(scaler), indent=2, allow_nan=False) + "\n"


def save(scaler: Standardizer, path: str | os.PathLike[str]) -> None:
    """Write the stat file to ``path`` (``"-"``: stdout), atomically: a temporary file beside the
    target is renamed into place once it is whole, so a reader never sees half a stat file."""
    text = dumps(scaler)
    loads(text, source=os.fspath(path))  # write nothing that load would refuse
    path = os.fspath(path)

    if path == STDIO:
        if sys.stdout is None:
            raise OutputError("<stdout>: standard output is closed")
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"<stdout>: cannot write: {_os_reason(exc)}") from None
        return

    try:
        with AtomicFile(path) as out:
            out.stream.write(text.encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the stat file: {_os_reason(exc)}") from None


def load(path: str | os.PathLike[str]) -> Standardizer:
    """Read and validate a stat file.

    Raises
    ------
    StatsFileError
        If the file cannot be read, is not JSON, is not a normkit stat file, has another version,
        or has a missing, mistyped or inconsistent field.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8-sig") as f:  # a BOM from a Windows editor is harmless
            text = f.read()
    except FileNotFoundError:
        raise StatsFileError(f"{path}: no such stat file") from None
    except IsADirectoryError:
        raise StatsFileError(f"{path}: is a directory, not a stat file") from None
    except UnicodeDecodeError:
        raise StatsFileError(f"{path}: not a normkit stat file (not UTF-8 text)") from None
    except OSError as exc:
        raise StatsFileError(f"{path}: cannot read the stat file: {exc.strerror or exc}") from None
    return loads(text, source=path)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (json would keep the last one silently)."""
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f"the key {key!r} appears twice in one object")
    return dict(pairs)


def _reject_constant(token: str) -> float:
    raise ValueError(f"bare {token} is not valid JSON")


def loads(text: str, source: str = "<string>") -> Standardizer:
    """Parse and validate the text of a stat file; see :func:`load`."""
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
        raise StatsFileError(
            f"{source}: not a normkit stat file (invalid JSON, {detail})"
        ) from None
    return _Validator(source).scaler(doc)


class _Validator:
    """Checks a parsed stat file field by field, naming the key at fault."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, message: str) -> StatsFileError:
        return StatsFileError(f"{self.source}: {message}")

    def get(self, obj: dict, key: str, where: str) -> Any:
        if key not in obj:
            raise self.fail(f"invalid stat file: missing key {where}{key!r}")
        return obj[key]

    def integer(self, obj: dict, key: str, where: str, minimum: int = 0) -> int:
        value = self.get(obj, key, where)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(
                f"invalid stat file: {where}{key!r} must be an integer, not {_kind(value)}"
            )
        if value < minimum:
            raise self.fail(f"invalid stat file: {where}{key!r} must be >= {minimum}, not {value}")
        if value > _INT64_MAX:
            raise self.fail(f"invalid stat file: {where}{key!r} is too large ({value})")
        return value

    def number(self, obj: dict, key: str, where: str, finite: bool = True) -> float:
        value = self.get(obj, key, where)
        if isinstance(value, str) and value in _NONFINITE:
            value = _NONFINITE[value]
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(
                f"invalid stat file: {where}{key!r} must be a number, not {_kind(value)}"
            )
        try:
            value = float(value)
        except OverflowError:
            value = math.inf if value > 0 else -math.inf
        if finite and not math.isfinite(value):
            raise self.fail(
                f"invalid stat file: {where}{key!r} must be a finite number, not {value}"
            )
        return value

    def consistent(self, names: list[str], fields: dict[str, list], rows: int, scaler) -> None:
        """The numbers of each column must agree with one another, so that a damaged or
        hand-edited file is refused rather than used (a scale that is not sqrt(var + eps))."""
        for i, name in enumerate(names):
            count, missing = fields["count"][i], fields["missing"][i]
            mean, m2, var, scale = (fields[k][i] for k in ("mean", "m2", "var", "scale"))
            lo, hi = fields["min"][i], fields["max"][i]
            problem = None
            if count + missing > rows:
                problem = f"count + missing ({count + missing}) exceeds rows ({rows})"
            elif math.isfinite(lo) and math.isfinite(hi):
                slack = 1e-9 * (abs(lo) + abs(hi))
                if lo > hi:
                    problem = f"min ({lo}) exceeds max ({hi})"
                elif not lo - slack <= mean <= hi + slack:
                    problem = f"mean ({mean}) lies outside [min, max] = [{lo}, {hi}]"
            if problem is None and count > scaler.ddof:
                expected = m2 / (count - scaler.ddof)
                if abs(var - expected) > 1e-9 * max(var, expected) + 1e-300:
                    problem = f"var ({var}) is not m2 / (count - ddof) ({expected})"
            if problem is None and scaler.with_std:
                expected = math.sqrt(var + scaler.eps)
                constant = scaler.eps == 0 and scale == 1.0
                if not constant and abs(scale - expected) > 1e-9 * expected:
                    problem = f"scale ({scale}) is not sqrt(var + eps) ({expected})"
            if problem:
                raise self.fail(f"inconsistent stat file: column {name!r}: {problem}")

    def sketch(self, sketch: Any, columns: list) -> Sketch | None:
        """The optional distribution sketch: ``sketch`` at the top, ``quantiles`` and
        ``quantile_cdf`` in every column."""
        if sketch is None:
            return None
        if not isinstance(sketch, dict):
            raise self.fail(f"invalid stat file: 'sketch' must be an object, not {_kind(sketch)}")
        probabilities = self.get(sketch, "probabilities", "sketch.")
        if probabilities != [float(p) for p in QUANTILE_PROBABILITIES]:
            raise self.fail(
                "invalid stat file: sketch.'probabilities' must be 0.05, 0.1, ..., 0.95"
            )
        edges, cdf, counts = [], [], []
        for i, column in enumerate(columns):
            where = f"columns[{i}]."
            counts.append(self.integer(column, "quantile_sample", where))
            for key, out in (("quantiles", edges), ("quantile_cdf", cdf)):
                values = self.get(column, key, where)
                if not isinstance(values, list) or len(values) != len(QUANTILE_PROBABILITIES):
                    raise self.fail(
                        f"invalid stat file: {where}{key!r} must be a list of "
                        f"{len(QUANTILE_PROBABILITIES)} numbers"
                    )
                out.append([self.number({key: v}, key, where, finite=False) for v in values])
            row, fractions = np.array(edges[-1]), np.array(cdf[-1])
            if np.isfinite(row).all() and (np.diff(row) < 0).any():
                raise self.fail(f"invalid stat file: {where}'quantiles' must not decrease")
            finite = fractions[np.isfinite(fractions)]
            if ((finite < 0) | (finite > 1)).any() or (np.diff(finite) < 0).any():
                raise self.fail(
                    f"invalid stat file: {where}'quantile_cdf' must rise from 0 to 1 at most"
                )
        return Sketch(
            np.array(edges, dtype=np.float64),
            np.array(cdf, dtype=np.float64),
            np.array(counts, dtype=np.int64),
        )

    def provenance(self, provenance: Any) -> dict:
        """Provenance is informative, but what is there must have the documented types."""
        if not isinstance(provenance, dict):
            raise self.fail(
                f"invalid stat file: 'provenance' must be an object, not {_kind(provenance)}"
            )
        for key in ("created", "normkit_version"):
            if key in provenance and not isinstance(provenance[key], str):
                raise self.fail(f"invalid stat file: provenance.{key!r} must be a string")
        sources = provenance.get("sources", [])
        if not isinstance(sources, list):
            raise self.fail("invalid stat file: provenance.'sources' must be a list")
        for i, source in enumerate(sources):
            where = f"provenance.sources[{i}]."
            if not isinstance(source, dict):
                raise self.fail(f"invalid stat file: provenance.sources[{i}] must be an object")
            for key in ("path", "format"):
                if key in source and not isinstance(source[key], str):
                    raise self.fail(f"invalid stat file: {where}{key!r} must be a string")
            for key in ("rows", "bytes"):
                if source.get(key) is not None:
                    self.integer(source, key, where)
        return provenance

    def boolean(self, obj: dict, key: str, where: str) -> bool:
        value = self.get(obj, key, where)
        if not isinstance(value, bool):
            raise self.fail(
                f"invalid stat file: {where}{key!r} must be true or false, not {_kind(value)}"
            )
        return value

    def scaler(self, doc: Any) -> Standardizer:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise self.fail('not a normkit stat file (no "format": "normkit.stats")')
        version = doc.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise self.fail(
                f"invalid stat file: 'version' must be an integer, not {_kind(version)}"
            )
        if version > VERSION:
            raise self.fail(
                f"stat file version {version} was written by a newer normkit; "
                f"this normkit ({__version__}) reads version {VERSION}: upgrade normkit"
            )
        if version < 1:
            raise self.fail(f"invalid stat file: unknown version {version}")
        options = self.get(doc, "options", "")
        if not isinstance(options, dict):
            raise self.fail(f"invalid stat file: 'options' must be an object, not {_kind(options)}")
        ddof = self.integer(options, "ddof", "options.")
        if ddof not in (0, 1):
            raise self.fail(f"invalid stat file: options.'ddof' must be 0 or 1, not {ddof}")
        eps = self.number(options, "eps", "options.")
        if eps < 0:
            raise self.fail(f"invalid stat file: options.'eps' must be >= 0, not {eps}")
        scaler = Standardizer(
            ddof=ddof,
            eps=eps,
            with_mean=self.boolean(options, "with_mean", "options."),
            with_std=self.boolean(options, "with_std", "options."),
        )
        columns = self.get(doc, "columns", "")
        if not isinstance(columns, list) or not columns:
            raise self.fail("invalid stat file: 'columns' must be a non-empty list")
        fields: dict[str, list] = {
            k: []
            for k in ("count", "missing", "mean", "mean_error", "m2", "var", "scale", "min", "max")
        }
        names: list[str] = []
        dtypes: list[str] = []
        for i, column in enumerate(columns):
            where = f"columns[{i}]."
            if not isinstance(column, dict):
                raise self.fail(
                    f"invalid stat file: columns[{i}] must be an object, not {_kind(column)}"
                )
            name = self.get(column, "name", where)
            if not isinstance(name, str):
                raise self.fail(
                    f"invalid stat file: {where}'name' must be a string, not {_kind(name)}"
                )
            if name in names:
                raise self.fail(f"invalid stat file: column {name!r} appears twice")
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                raise self.fail(f"invalid stat file: {where}'name' is not valid Unicode") from None

            names.append(name)
            dtype = column.get("dtype", "double")
            dtypes.append(dtype if isinstance(dtype, str) else "double")
            count = self.integer(column, "count", where, minimum=1)
            fields["count"].append(count)
            fields["missing"].append(self.integer(column, "missing", where))
            fields["mean"].append(self.number(column, "mean", where))
            error = self.number(column, "mean_error", where) if "mean_error" in column else 0.0
            if abs(error) > abs(fields["mean"][-1]) * 2.0**-52:
                raise self.fail(
                    f"invalid stat file: {where}'mean_error' ({error}) is larger than the "
                    "rounding of 'mean'"
                )
            fields["mean_error"].append(error)
            fields["m2"].append(self.number(column, "m2", where))
            fields["var"].append(self.number(column, "var", where))
            scale = self.number(column, "scale", where)
            if scale <= 0:
                raise self.fail(f"invalid stat file: {where}'scale' must be > 0, not {scale}")
            fields["scale"].append(scale)
            fields["min"].append(self.number(column, "min", where, finite=False))
            fields["max"].append(self.number(column, "max", where, finite=False))
            for key in ("m2", "var"):
                if fields[key][-1] < 0:
                    raise self.fail(f"invalid stat file: {where}{key!r} must be >= 0")
        rows = self.integer(doc, "rows", "")
        provenance = self.provenance(doc.get("provenance", {}))
        self.consistent(names, fields, rows, scaler)

        n = len(names)
        scaler.feature_names_in_ = np.array(names, dtype=object)
        scaler.n_features_in_ = n
        scaler.dtypes_ = dtypes
        scaler.moments_ = Moments.from_mean(
            np.array(fields["count"], dtype=np.int64),
            np.array(fields["missing"], dtype=np.int64),
            np.array(fields["mean"], dtype=np.float64),
            np.array(fields["m2"], dtype=np.float64),
            np.array(fields["min"], dtype=np.float64),
            np.array(fields["max"], dtype=np.float64),
            np.array(fields["mean_error"], dtype=np.float64),
        )
        scaler.n_rows_seen_ = rows
        scaler.provenance_ = dict(provenance)
        scaler.ema = None
        scaler.ema_ = self.ema(doc["ema"], columns) if doc.get("ema") is not None else None
        if scaler.ema_ is not None:
            scaler.ema = scaler.ema_.options
        scaler.gamma_, scaler.beta_ = self.affine(columns)
        scaler.sketch_ = self.sketch(doc.get("sketch"), columns)
        scaler._set_derived()
        # The file's var and scale are what transforms use, exactly as written.
        scaler.var_ = np.array(fields["var"], dtype=np.float64)
        scaler.scale_ = np.array(fields["scale"], dtype=np.float64)
        return scaler

    def ema(self, section: Any, columns: list[dict]) -> RunningStats:
        where = "ema."
        if not isinstance(section, dict):
            raise self.fail(f"invalid stat file: 'ema' must be an object, not {_kind(section)}")
        momentum = self.get(section, "momentum", where)
        if momentum != "cumulative":
            momentum = self.number(section, "momentum", where)
        try:
            for key in ("convention", "init"):
                if not isinstance(self.get(section, key, where), str):
                    raise self.fail(f"invalid stat file: {where}{key!r} must be a string")
            options = EmaOptions(
                convention=self.get(section, "convention", where),
                momentum=momentum,
                init=self.get(section, "init", where),
                batch_size=self.integer(section, "batch_size", where),
                drop_last=self.boolean(section, "drop_last", where),
                eps=self.number(section, "eps", where),
            )
        except OptionError as exc:
            raise self.fail(f"invalid stat file: ema: {exc}") from None
        ema = RunningStats(options, len(columns))
        ema.n_batches = self.integer(section, "batches", where)
        for i, column in enumerate(columns):
            state = self.get(column, "ema", f"columns[{i}].")
            at = f"columns[{i}].ema."
            if not isinstance(state, dict):
                raise self.fail(f"invalid stat file: columns[{i}].'ema' must be an object")
            ema.running_mean[i] = self.number(state, "running_mean", at)
            ema.running_var[i] = self.number(state, "running_var", at)
            if ema.running_var[i] < 0:
                raise self.fail(f"invalid stat file: {at}'running_var' must be >= 0")
            ema.n_updates[i] = self.integer(state, "updates", at)
            ema.n_skipped[i] = self.integer(state, "skipped", at)
        return ema

    def affine(self, columns: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        gamma, beta = np.ones(len(columns)), np.zeros(len(columns))
        for i, column in enumerate(columns):
            where = f"columns[{i}]."
            if "gamma" in column:
                gamma[i] = self.number(column, "gamma", where)
                if gamma[i] == 0:
                    raise self.fail(f"invalid stat file: {where}'gamma' must not be 0")
            if "beta" in column:
                beta[i] = self.number(column, "beta", where)
        return gamma, beta


def _kind(value: Any) -> str:
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


def merge_stat_files(paths: Sequence[str | os.PathLike[str]]) -> Standardizer:
    """The statistics of the union of the data that several stat files were fitted on.

    Exact statistics merge exactly (Chan et al.'s update) whatever the order of the files. The
    running (EMA) statistics are not kept: they depend on the order of the rows and on where
    each file's logical batches began, which a stat file does not record; fit the files together
    (``normkit fit DIR``, ``--engine dask``) to have them.

    Parameters
    ----------
    paths : sequence of paths
        Stat files fitted with the same columns and options (ddof, eps, centering, scaling,
        gamma and beta).

    Returns
    -------
    Standardizer
        With ``provenance_["sources"]`` the sources of every file, in order.

    Raises
    ------
    StatsFileError
        If a file cannot be read or is invalid.
    SchemaError, OptionError
        If a file's columns or options differ from the first file's (naming the file).
    """
    if not paths:
        raise OptionError("no stat file to merge")
    first = os.fspath(paths[0])
    merged = load(first)
    sources = list(merged.provenance_.get("sources", []))
    for path in paths[1:]:
        path = os.fspath(path)
        other = load(path)
        try:
            merged = merged.merge(other)
        except (SchemaError, OptionError) as exc:
            raise type(exc)(f"{path}: {exc} (merging into those of {first})") from None
        sources += other.provenance_.get("sources", [])
    merged.provenance_ = {
        "sources": sources,
        "merged_from": [os.path.abspath(os.fspath(p)) for p in paths],
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return merged
