"""The running (EMA) statistics of a stat file, read from its ``ema`` section and each column's
``ema`` object (the field table, :mod:`normkit.stats.fields`, lays them out and checks each
field): the options, the state, and the rows of a batch the data had not completed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.running import EmaOptions, PendingBatch, RunningState
from ..errors import OptionError, StatsFileError

__all__ = ["read_running"]


def read_running(
    section: dict | None,
    pending: dict | None,
    columns: list[dict],
    fail: Callable[[str], StatsFileError],
) -> RunningState | None:
    """The running statistics of a stat file's ``ema`` section, its ``ema_pending`` one and its
    columns' (None without them); ``fail`` makes the error of a message."""
    if section is None:
        return None
    try:
        options = EmaOptions(
            convention=section["convention"],
            momentum=section["momentum"],
            init=section["init"],
            batch_size=section["batch_size"],
            drop_last=section["drop_last"],
            eps=section["eps"],
            of=section["of"],
        )
    except OptionError as exc:
        raise fail(f"invalid stat file: ema: {exc}") from None
    states = [c["ema"] for c in columns]
    for column, state in zip(columns, states, strict=True):
        if state["updates"] + state["skipped"] != section["batches"]:
            raise fail(
                f"inconsistent stat file: column {column['name']!r}: ema updates + skipped "
                f"({state['updates']} + {state['skipped']}) is not ema.batches "
                f"({section['batches']})"
            )
    return RunningState(
        options,
        np.array([s["running_mean"] for s in states], dtype=np.float64),
        np.array([s["running_var"] for s in states], dtype=np.float64),
        section["batches"],
        np.array([s["updates"] for s in states], dtype=np.int64),
        np.array([s["skipped"] for s in states], dtype=np.int64),
        _pending(section, pending, columns, fail),
    )


def _pending(
    section: dict,
    pending: dict | None,
    columns: list[dict],
    fail: Callable[[str], StatsFileError],
) -> PendingBatch | None:
    """The rows of the unfinished batch (the ``ema_pending`` section), or None."""
    if pending is None:
        return None
    rows = pending["rows"]
    if rows >= section["batch_size"]:
        raise fail(
            f"inconsistent stat file: ema_pending.rows ({rows}) is not below ema.batch_size "
            f"({section['batch_size']})"
        )

    def field(key: str, dtype: Any = np.float64) -> np.ndarray:
        return np.array([c["ema"][key] for c in columns], dtype=dtype)

    count = field("pending_count", np.int64)
    if (count > rows).any():
        i = int(np.argmax(count > rows))
        raise fail(
            f"inconsistent stat file: column {columns[i]['name']!r}: ema.pending_count "
            f"({count[i]}) is above ema_pending.rows ({rows})"
        )
    mean, m2 = field("pending_mean"), field("pending_m2")
    # A mean (finite) of values there are, NaN of none; no spread of fewer than 2.
    for key, values, wrong in (
        ("pending_mean", mean, np.where(count > 0, ~np.isfinite(mean), ~np.isnan(mean))),
        ("pending_m2", m2, (count < 2) & (m2 != 0)),
    ):
        if wrong.any():
            i = int(np.argmax(wrong))
            raise fail(
                f"inconsistent stat file: column {columns[i]['name']!r}: ema.{key} "
                f"({values[i]}) cannot be that of its ema.pending_count ({count[i]}) values"
            )
    return PendingBatch(
        rows,
        count,
        mean,
        m2,
        field("before_pending_mean"),
        field("before_pending_var"),
    )
