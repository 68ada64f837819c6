"""A trained BatchNorm layer's buffers as statistics (the reverse of :mod:`.torch_export`).

:func:`import_torch` reads one BatchNorm layer's buffers from a safetensors state dict
(a whole model's, choosing the layer by its prefix) into statistics that ``drift``, ``report``
and ``transform`` use: per column the running mean as ``mean``, the running variance as ``var``
(ddof 0) and the layer's ``eps`` as the statistics' ``eps``, so that the exact transform of the
result is the layer's eval mode. What the buffers do not hold is not made up: ``min``, ``max``,
``m3`` and ``m4`` are unknown (NaN; drift then uses normal theory), there is no distribution
sketch (drift does not test the distribution), and no missing values (a NaN in training would
have made the buffers NaN). The count, which sets how sure drift's tests are of the reference,
must be given (``rows``, or ``batch_size`` times ``num_batches_tracked``).

A file that normkit's export wrote names its columns and eps in its metadata, and embeds the
statistics it was made from: while the layer's running statistics are still the exported ones
(``num_batches_tracked`` included: training moves it), those statistics come back whole (counts,
range, higher moments and sketch: drift tests everything), with the weight and bias as the
layer holds them. The provenance says where the numbers came from.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .. import params
from ..core.moments import Moments
from ..errors import (
    DataError,
    InputError,
    NormkitError,
    NormkitNote,
    OptionError,
    SchemaError,
    listed,
    param,
)
from ..estimator.files import saved
from ..estimator.standardizer import Standardizer
from ..io.files import refuse_overwrite
from ..io.tensors import open_tensors
from ..stats import statfile
from ..stats.fitted import FittedStats, StatsOptions
from ..stats.statfile import check_stat_path, now
from .torch_export import FORMAT, TORCH_EPS, to_torch_state

__all__ = ["import_torch"]

_BUFFERS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def import_torch(
    state: str | os.PathLike[str],
    columns: Sequence[str] | None = None,
    *,
    layer: str | None = None,
    rows: int | None = None,
    batch_size: int | None = None,
    momentum: float | str | None = None,
    eps: float | None = None,
    affine: bool = True,
    output: str | os.PathLike[str] | None = None,
) -> Standardizer:
    """Statistics from a BatchNorm layer's buffers in a safetensors state dict (see the module's
    notes for what they hold and what is unknown).

    Parameters
    ----------
    state : path
        A safetensors file (``safetensors.torch.save_file(model.state_dict(), path)``). Pickles
        (``torch.save``'s ``.pt``, ``.pth``) are refused: they can run code when loaded.
    columns : sequence of str or None
        The layer's features, in order; None: those normkit's export recorded.
    layer : str or None
        The prefix of the layer's keys (``features.1`` for ``features.1.running_mean``);
        needed when the state dict has more than one BatchNorm layer.
    rows : int or None
        The rows the layer saw in training, for every column.
    batch_size : int or None
        Instead of ``rows``: the training batch size. The running statistics are a moving
        average: at momentum ``m`` the last ``(2 - m) / m`` batches weigh as much as a plain
        mean of that many (its variance is ``m / (2 - m)`` of one batch's), so rows = batch
        size times that, or times ``num_batches_tracked`` if fewer (every batch, for the
        cumulative average). Counting every batch of every epoch instead would make drift
        far too sure of the reference, and alarm on unchanged data.
    momentum : float, "cumulative" or None
        With ``batch_size``: the layer's momentum in PyTorch's sense (the weight of a new
        batch); None: the one normkit's export recorded, else PyTorch's 0.1. Refused
        without ``batch_size``, where it would change nothing.
    eps : float or None
        The layer's eps; None: the one normkit's export recorded, else PyTorch's 1e-5.
    affine : bool, default True
        Keep the layer's weight and bias as gamma and beta (they are not statistics: drift and
        report do not use them; transform does).
    output : path or None
        The stat file to write (``"-"``: standard output), atomically; refused before anything
        is read if it is the state dict. None: none is written.

    Returns
    -------
    Standardizer
        Fitted, its ``provenance_["imported"]`` saying what came from where.

    Raises
    ------
    InputError
        The file is not a safetensors file, or holds no BatchNorm layer.
    OptionError
        The layer, the columns or the count is missing or ambiguous (the layers found listed).
    SchemaError
        The columns given do not match the layer's features.
    DataError
        A buffer holds a value no trained layer has (NaN, a negative variance).
    """
    path = os.fspath(params.path("state", state))
    output = params.path("output", output, optional=True)
    params.check("columns", columns)
    params.check("rows", rows)
    params.check("batch_size", batch_size)
    if momentum is not None:
        params.check_momentum(momentum, "torch")  # the layer's: PyTorch's sense
    if eps is not None:
        params.check("eps", eps)
    if rows is not None and batch_size is not None:
        raise OptionError(
            f"give {param('rows')} or {param('batch_size')}, not both", param="batch_size"
        )
    if momentum not in (None, "default") and batch_size is None:
        # It only turns the batch size into rows; alone it would be ignored.
        raise OptionError(
            f"{param('ema.momentum')} counts the batches behind the running statistics, with "
            f"{param('batch_size')}: give both, or leave it out",
            param="ema.momentum",
        )
    if output is not None:
        check_stat_path(output)
        refuse_overwrite(output, {path: "the state dict"})
    with open_tensors(path) as tensors:
        prefix = _choose_layer(path, tensors.names, layer)
        where = f"{path}: layer {prefix[:-1]!r}" if prefix else path
        buffers = _read_buffers(where, tensors, prefix)
        # The type the layer adds eps to its running_var in: float32 for float16 and bfloat16
        # layers too (torch computes their batch norm in float32).
        layer_type = np.float64 if tensors.dtype(prefix + "running_var") == "F64" else np.float32
        metadata = tensors.metadata if tensors.metadata.get("format") == FORMAT else {}
    n = len(buffers["running_mean"])
    names = _columns(path, where, columns, metadata, n)
    layer_name = prefix[:-1]
    recorded_eps = _recorded(path, metadata, "eps") if "eps" in metadata else None
    other_eps = eps is not None and eps != recorded_eps  # the layer's, said to differ
    if "stats" in metadata and rows is None and batch_size is None and not other_eps:
        exported = _as_exported(where, metadata, buffers, names, affine, layer_name)
        if exported is not None:
            imported = saved(Standardizer.from_stats(exported), output)
            _told_renamed(path, where, metadata, names)
            return imported
    mean, var = buffers["running_mean"], buffers["running_var"]
    tracked = buffers.get("num_batches_tracked")
    told_momentum = momentum not in (None, "default") or "momentum" in metadata
    if momentum is None or momentum == "default":
        momentum = _recorded(path, metadata, "momentum") if "momentum" in metadata else 0.1
    window = _window(momentum)
    # Why the statistics an export embedded are not taken: its buffers changed, or the eps
    # given is not the one it recorded (None: nothing embedded).
    why_not = None
    if "stats" in metadata:
        why_not = (
            f"the eps given ({eps:g}) is not the one normkit's export recorded ({recorded_eps:g})"
            if other_eps and recorded_eps is not None
            else "its running statistics are no longer those normkit exported (trained since?)"
        )
    count, n_rows, told = _count(where, rows, batch_size, tracked, why_not, n, window)
    given_eps = eps
    if eps is None:
        eps = recorded_eps if recorded_eps is not None else TORCH_EPS
    gamma = buffers.get("weight") if affine else None
    beta = buffers.get("bias") if affine else None
    _check_buffers(where, names, mean, var, gamma, beta, count, (eps, layer_type))
    nan = np.full(n, np.nan)
    moments = Moments.from_mean(count, n_rows - count, mean, var * count, nan, nan)
    imported = {
        "from": "a PyTorch BatchNorm layer's state dict",
        "layer": layer_name,
        "num_batches_tracked": None if tracked is None else int(tracked),
        "statistics": "mean and var are the layer's running_mean and running_var (moving "
        "averages over training batches); missing is 0, as the layer's input had no missing "
        "values (the raw data's are not known)",
        "unknown": ["min", "max", "m3", "m4", "sketch", "missing"],
        "count": told,
        "eps": "given"
        if given_eps is not None
        else ("recorded by normkit" if "eps" in metadata else "PyTorch's default"),
    }
    if told_momentum:  # the layer's, given or recorded: an export of these gives it again
        imported["momentum"] = None if momentum in (None, "cumulative") else float(momentum)
    if metadata:
        imported["exported"] = {
            k: metadata[k] for k in ("use", "source", "normkit_version") if k in metadata
        }
    stats = FittedStats.build(
        names,
        ["double"] * n,
        moments,
        n_rows,
        StatsOptions(ddof=0, eps=eps),
        gamma=None if gamma is None else gamma.copy(),
        beta=None if beta is None else beta.copy(),
        var=var.copy(),
        provenance={
            "sources": [{"path": os.path.abspath(path), "format": "safetensors"}],
            "created": now(),
            "imported": imported,
        },
    )
    try:
        stats.check_values()
    except DataError as exc:
        raise exc.within(where) from None
    # With eps 0, scikit-learn's rule gives a scale of 1 to a variance it cannot tell from a
    # constant's; the layer's eval mode divides by its square root all the same.
    ruled = (var > 0) & (stats.scale != np.sqrt(var + eps))
    if ruled.any():
        j = int(np.flatnonzero(ruled)[0])
        raise DataError(
            f"{where}: column {names[j]!r}: running_var is {var[j]:.6g} and eps {eps:g}: the "
            "layer's eval mode divides by its square root, where statistics take so small a "
            f"variance about a mean of {mean[j]:.6g} for a constant's (scale 1)",
            hints=(f"give the eps the layer was built with ({param('eps')})",),
        )
    fitted = saved(Standardizer.from_stats(stats), output)
    _told_renamed(path, where, metadata, names)
    return fitted


def _as_exported(where, metadata, buffers, names, affine: bool, layer: str) -> FittedStats | None:
    """The statistics a normkit export embedded, if the layer's buffers are still those it
    wrote (None if the layer has been trained or changed since: its buffers are then its own).
    The weight and bias may differ (an export's gamma and beta, or training): they are taken
    from the buffers."""
    try:
        stats = statfile.parse(metadata["stats"], source=f"{where}: the metadata's statistics")
        dtype = metadata.get("dtype") or "float32"
        params.check("dtype", dtype)
        # The export narrows float64 statistics to its dtype: so does this, without the
        # export's check of whether the dtype suits the data, which is the export's business
        # (a file an older normkit wrote under a looser check still gives its statistics back).
        with warnings.catch_warnings():
            # Its notes were the export's to give, not an import's.
            warnings.simplefilter("ignore", NormkitNote)
            wide = to_torch_state(stats, metadata.get("use"), "float64").state_dict
    except NormkitError as exc:
        raise InputError(exc.render()) from None
    state = {key: a if a.dtype.kind == "i" else a.astype(dtype) for key, a in wide.items()}
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        if key not in buffers or not np.array_equal(buffers[key], state[key]):
            return None
    gamma = beta = None
    if affine:
        gamma, beta = stats.gamma, stats.beta
        if "weight" in buffers and not np.array_equal(buffers["weight"], state["weight"]):
            gamma = buffers["weight"]
        if "bias" in buffers and not np.array_equal(buffers["bias"], state["bias"]):
            beta = buffers["bias"]
        _check_buffers(where, names, stats.mean, stats.var, gamma, beta, stats.count)
    passed = {p.name for p in stats.passthrough or ()}.intersection(names)
    if passed:
        raise SchemaError(
            f"{where}: {param('columns')} names {listed(sorted(passed))}, which the statistics "
            "that normkit's export embedded pass through (not normalized by the layer)",
            param="columns",
            hints=(f"name the layer's features, or leave {param('columns')} out",),
        )
    n = stats.n_columns
    imported = {
        "from": "a PyTorch BatchNorm layer's state dict",
        "layer": layer,
        "num_batches_tracked": buffers["num_batches_tracked"],
        "statistics": "as normkit fitted them: the statistics its export embedded in the file's "
        "metadata, whose running_mean and running_var the layer still holds",
        "count": "recorded by normkit",
        "eps": "recorded by normkit",
        "exported": {k: metadata[k] for k in ("use", "source", "normkit_version") if k in metadata},
    }
    frozen = []
    for values, default in ((gamma, 1.0), (beta, 0.0)):
        array = np.full(n, default) if values is None else np.array(values, dtype=np.float64)
        array.setflags(write=False)
        frozen.append(array)
    return replace(
        stats,
        names=tuple(names),
        gamma=frozen[0],
        beta=frozen[1],
        provenance={**stats.provenance, "imported": imported},
        # Its eval mode normalizes with the running statistics it was exported with.
        default_use="ema" if metadata.get("use") == "ema" and stats.running else "exact",
    )


def _layers(keys: Sequence[str]) -> list[str]:
    """The prefixes (``""``, ``"features.1."``) of the BatchNorm layers among a state dict's
    keys: those with both running statistics."""
    present = set(keys)
    return [
        key[: -len("running_mean")]
        for key in keys
        if key.endswith("running_mean")
        and (key == "running_mean" or key.endswith(".running_mean"))
        and key[: -len("running_mean")] + "running_var" in present
    ]


def _shown(prefix: str) -> str:
    return repr(prefix[:-1]) if prefix else "'' (top level)"


def _choose_layer(path: str, keys: Sequence[str], layer: str | None) -> str:
    found = _layers(keys)
    if not found:
        raise InputError(
            f"{path}: holds no BatchNorm running statistics (no running_mean and running_var "
            f"keys among its {len(keys):,} tensors)"
        )
    if layer is None:
        if len(found) == 1:
            return found[0]
        raise OptionError(
            f"{path}: {len(found)} BatchNorm layers ({', '.join(map(_shown, found[:12]))}"
            f"{', ...' if len(found) > 12 else ''}); choose one with {param('layer')}",
            param="layer",
        )
    prefix = layer if layer in ("", ".") or layer.endswith(".") else layer + "."
    prefix = "" if prefix == "." else prefix
    if prefix not in found:
        raise OptionError(
            f"{path}: no BatchNorm layer {layer!r}; the file has "
            f"{', '.join(map(_shown, found[:12]))}{', ...' if len(found) > 12 else ''}",
            param="layer",
        )
    return prefix


def _read_buffers(where: str, tensors, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    length = None
    for name in _BUFFERS:
        key = prefix + name
        if key not in tensors.names:
            continue
        shape = tensors.shape(key)
        if name == "num_batches_tracked":
            if shape not in ((), (1,)) or not tensors.dtype(key).startswith(("I", "U")):
                raise InputError(f"{where}: num_batches_tracked is not one integer")
            out[name] = int(tensors.get(key).reshape(-1)[0])
            if out[name] < 0:
                raise InputError(f"{where}: num_batches_tracked is {out[name]}, below 0")
            continue
        if len(shape) != 1 or not tensors.dtype(key).startswith(("F", "BF")):
            raise InputError(
                f"{where}: {name} is not a vector of floats ({tensors.dtype(key)}, shape "
                f"{list(shape)})"
            )
        if length is not None and shape[0] != length:
            raise InputError(f"{where}: {name} has {shape[0]:,} values, running_mean {length:,}")
        length = shape[0] if length is None else length
        out[name] = np.asarray(tensors.get(key), dtype=np.float64)
    if length == 0:
        raise InputError(f"{where}: the layer has no features")
    return out


def _columns(path, where, columns, metadata, n: int) -> list[str]:
    if columns is None:
        if "columns" not in metadata:
            raise OptionError(
                f"{path}: the state dict does not name the layer's {n:,} features (only one that "
                f"normkit export wrote does); name them with {param('columns')}",
                param="columns",
            )
        columns = _recorded(path, metadata, "columns")
    columns = params.names("columns", columns)
    if len(columns) != n:
        raise SchemaError(
            f"{where}: the layer has {n:,} features but {len(columns):,} columns are named",
            param="columns",
        )
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise OptionError(f"{param('columns')} names {listed(twice)} twice", param="columns")
    if "columns" in metadata:
        # A name the export recorded at another place would take another feature's statistics.
        recorded = _recorded(path, metadata, "columns")
        moved = [c for i, c in enumerate(columns) if c in recorded and recorded.index(c) != i]
        if moved:
            raise SchemaError(
                f"{where}: {param('columns')} names the layer's features in another order than "
                f"normkit's export recorded them ({', '.join(recorded)}): {moved[0]!r} is its "
                f"feature {recorded.index(moved[0]) + 1}, not {columns.index(moved[0]) + 1}; "
                "each would take another column's statistics",
                param="columns",
                hints=(f"give them in the recorded order, or leave {param('columns')} out",),
            )
    return columns


def _told_renamed(path: str, where: str, metadata: dict[str, str], names: Sequence[str]) -> None:
    """A note of the features given names other than those normkit's export recorded."""
    if "columns" in metadata:
        recorded = _recorded(path, metadata, "columns")
        renamed = [f"{r} as {c}" for r, c in zip(recorded, names, strict=False) if r != c]
        if renamed:
            warnings.warn(
                NormkitNote(f"{where}: features renamed: {', '.join(renamed)}"), stacklevel=3
            )


def _recorded(path: str, metadata: dict[str, str], key: str) -> Any:
    """A value normkit's export recorded in the metadata (``columns``: a list of names;
    ``eps``: a number >= 0), refused if damaged."""
    try:
        value = json.loads(metadata[key])
    except ValueError:
        value = None
    if key == "columns":
        good = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif key == "momentum":  # PyTorch's sense; null: the cumulative average
        good = value is None or (isinstance(value, int | float) and 0 < value <= 1)
        return (
            "cumulative"
            if value is None and good
            else value
            if good
            else _damaged(path, metadata, key)
        )
    else:
        good = params.RULES["eps"].accepts(value)
    if not good:
        _damaged(path, metadata, key)
    return float(value) if key == "eps" else value


def _damaged(path: str, metadata: dict[str, str], key: str) -> Any:
    raise InputError(f"{path}: the metadata's {key!r} is damaged: {metadata[key][:60]!r}")


def _window(momentum: float | str | None) -> int | None:
    """The batches a moving average at ``momentum`` weighs as much as a plain mean of (None:
    the cumulative average, every batch)."""
    if momentum is None or momentum == "cumulative":
        return None
    m = float(momentum)
    return max(1, round((2.0 - m) / m))


def _count(where, rows, batch_size, tracked, why_not, n: int, window: int | None = None):
    """Values per column, the rows, and how they were told; ``why_not``: why the counts an
    export recorded do not apply (None: it recorded none)."""
    if rows is not None:
        return np.full(n, rows, dtype=np.int64), rows, "rows given"
    if batch_size is not None:
        if not tracked:
            what = "no num_batches_tracked" if tracked is None else "num_batches_tracked 0"
            raise OptionError(
                f"{where}: {what}, so {param('batch_size')} cannot count the rows; give "
                f"{param('rows')}",
                param="batch_size",
            )
        batches = tracked if window is None else min(tracked, window)
        total = batch_size * batches
        told = f"batch size {batch_size} x {batches:,} batches"
        if batches < tracked:
            told += f" (the running statistics' window; {tracked:,} seen)"
        return np.full(n, total, dtype=np.int64), total, told
    if why_not is not None:
        why = f"{why_not}, so the counts normkit recorded do not apply"
    else:
        seen = "" if not tracked else f" (the layer saw {tracked:,} batches)"
        why = f"a state dict holds no count of the rows behind its statistics{seen}"
    raise OptionError(
        f"{where}: {why}; drift's tests need one",
        param="rows",
        hints=(
            f"give the rows it was trained on ({param('rows')})",
            f"the training batch size ({param('batch_size')})",
        ),
    )


def _check_buffers(where, names, mean, var, gamma, beta, count, eps=None) -> None:
    """Refuse what no trained layer holds: a running statistic that is NaN or infinite (training
    diverged, or saw a NaN), a negative variance; a variance that with eps makes 0 in the
    layer's type (``eps``: eps and that numpy type; an eps of 0, or below the type's smallest
    number), which the layer's eval mode divides by (its output infinite or NaN, where a
    constant column's scale would be 1; None: the statistics normkit's export embedded, whose
    layer holds their scale); and a weight or bias that cannot be a gamma or beta."""
    if eps is not None and (zero := var.astype(eps[1]) + eps[1](eps[0]) == 0).any():
        j = int(np.flatnonzero(zero)[0])
        raise DataError(
            f"{where}: column {names[j]!r}: running_var is 0 and eps {eps[0]:g}, whose sum is 0 "
            f"in the layer's {np.dtype(eps[1]).name}: its eval mode divides by 0 there",
            hints=(f"give the eps the layer was built with ({param('eps')})",),
        )
    with np.errstate(over="ignore", invalid="ignore"):
        m2 = var * count
    checks = [
        ("running_mean", mean, ~np.isfinite(mean)),
        ("running_var", var, ~np.isfinite(var) | (var < 0) | ~np.isfinite(m2)),
    ]
    if gamma is not None:
        checks.append(
            ("weight", gamma, ~np.isfinite(gamma) | (np.abs(gamma) < np.finfo(float).tiny))
        )
    if beta is not None:
        checks.append(("bias", beta, ~np.isfinite(beta)))
    for what, values, bad in checks:
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            affine = what in ("weight", "bias")
            hints = (f"leave the weight and bias out ({param('affine', False)})",) if affine else ()
            why = (
                f"which a {'gamma' if what == 'weight' else 'beta'} cannot be (finite"
                f"{', not 0' if what == 'weight' else ''})"
                if affine
                else "which no trained layer holds"
            )
            raise DataError(
                f"{where}: column {names[j]!r}: {what} is {values[j]:.6g}, {why}", hints=hints
            )
