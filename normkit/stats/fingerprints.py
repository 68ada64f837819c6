"""Fingerprints of statistics: a short hash of what a transform with them computes. Outputs
record it (:mod:`normkit.stats.recipe`), so that data normalized with these statistics is known
as such wherever it goes: an inverse checks that it is given the statistics that normalized its
input, a transform refuses to normalize it again, a fit refuses to mix it with raw data.

A fingerprint covers exactly what determines a transform's output for the settings it ran with,
per column name, whatever the order of the columns: for a frozen transform, the centre and the
divisor it applies to each column (the mean and scale, or with ``use="ema"`` the running mean
and ``sqrt(running_var + eps)``; 0 and 1 where ``with_mean`` or ``with_std`` is off); in batch
mode, the batch size, eps, ``with_mean`` and ``with_std``; in adaptive mode, the running
statistics, their options, the batch size, ``with_mean`` and ``with_std``. Nothing else counts: not the moments a transform does not read, the categories,
the sketch or the provenance. Equal numbers give equal fingerprints (``-0.0`` is ``0.0``),
different numbers different ones. Gamma and beta, which a transform may override, are recorded
beside the fingerprint, not in it.

Its text names its rule (``v2:`` and 16 hexadecimal digits). A fingerprint of 16 hexadecimal
digits alone follows the first rule, which hashed the whole stat file but its provenance and
input order (:func:`whole_file_fingerprint`): :func:`matches` compares each by its own rule.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict

import numpy as np

from .fitted import FittedStats
from .layout import sorted_text

__all__ = [
    "fingerprint",
    "fingerprint_as",
    "matches",
    "same_rule",
    "whole_file_fingerprint",
]

#: What a fingerprint by the current rule begins with.
_RULE = "v2:"


# Statistics are immutable values (hashed by their names and rows, equal by value): a data set's
# files, each with a record, are compared with the same statistics' fingerprint, made once.
@functools.lru_cache(maxsize=8)
def fingerprint(
    stats: FittedStats, use: str, mode: str = "frozen", batch_size: int | None = None
) -> str:
    """The fingerprint of a transform with ``stats`` (see the module's description).

    Parameters
    ----------
    stats : FittedStats
    use : {"exact", "ema"}
        The statistics a frozen transform applies.
    mode : {"frozen", "batch", "adaptive"}, default "frozen"
    batch_size : int or None
        The batch size the transform was given (None: the running statistics' own).
    """
    names = np.array(stats.names, dtype=object)
    order = np.argsort(names, kind="stable") if len(names) else np.arange(0)
    running = stats.running
    head: dict = {"mode": mode, "columns": [str(n) for n in names[order]]}
    arrays: list[np.ndarray] = []
    if mode == "frozen":
        if use == "exact":
            center, scale = stats.mean, stats.scale
        elif running is not None:
            center, scale = running.running_mean, running.scale
        else:  # nothing to apply: the transform refuses it
            center = scale = np.full(len(names), np.nan)
        center = center if stats.options.with_mean else np.zeros(len(names))
        scale = scale if stats.options.with_std else np.ones(len(names))
        arrays = [center, scale]
    elif running is not None:
        ema = asdict(running.options)
        ema["batch_size"] = batch_size or running.options.batch_size
        head["with"] = [stats.options.with_mean, stats.options.with_std]
        if mode == "batch":
            head["ema"] = {"batch_size": ema["batch_size"], "eps": running.options.eps_value}
        else:
            head["ema"] = ema
            head["n_batches"] = running.n_batches
            arrays = [running.running_mean, running.running_var]
            arrays += [running.n_updates.astype(np.float64), running.n_skipped.astype(np.float64)]
    digest = _sha256(json.dumps(head, sort_keys=True, default=str).encode("utf-8"))
    for values in arrays:
        values = np.asarray(values, dtype=np.float64)[order] + 0.0  # -0.0 + 0.0 is 0.0
        values[np.isnan(values)] = np.nan  # one NaN, whatever its payload
        digest.update(values.astype("<f8").tobytes())
    return _RULE + digest.hexdigest()[:16]


def _sha256(data: bytes):
    """A SHA-256 hash of ``data``, to be updated and read. hashlib is imported here: it loads
    OpenSSL, 3 ms of every command's start-up, and a fit computes no fingerprint."""
    import hashlib

    return hashlib.sha256(data)


@functools.lru_cache(maxsize=8)
def whole_file_fingerprint(stats: FittedStats) -> str:
    """The first rule's fingerprint: a hash of the stat file's text (``json.dumps`` with sorted
    keys) but its provenance and input order."""
    from .statfile import to_document

    doc = to_document(stats)
    doc.pop("provenance", None)
    doc.pop("inputs", None)
    return _sha256(sorted_text(doc).encode("utf-8")).hexdigest()[:16]


def same_rule(a: object, b: object) -> bool:
    """Whether two recorded fingerprints follow the same rule, so that comparing them tells
    whether they are of the same statistics."""
    return (isinstance(a, str) and a.startswith(_RULE)) == (
        isinstance(b, str) and b.startswith(_RULE)
    )


def fingerprint_as(
    recorded: object, stats: FittedStats, use: str, mode: str, batch_size: int | None = None
) -> str:
    """The fingerprint of ``stats`` by the rule of one that an output recorded (with the
    ``use`` and ``mode`` it records)."""
    if isinstance(recorded, str) and recorded.startswith(_RULE):
        return fingerprint(stats, use, mode, batch_size)
    return whole_file_fingerprint(stats)


def matches(
    recorded: object, stats: FittedStats, use: str, mode: str, batch_size: int | None = None
) -> bool:
    """Whether a fingerprint an output recorded (with the ``use`` and ``mode`` it records) is
    that of ``stats``, by the fingerprint's own rule."""
    return recorded == fingerprint_as(recorded, stats, use, mode, batch_size)
