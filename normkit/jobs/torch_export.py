"""Statistics as a PyTorch BatchNorm layer.

:func:`to_torch_state` makes the ``state_dict`` of a ``torch.nn.BatchNorm1d`` over the
statistics' columns: ``weight`` (gamma), ``bias`` (beta), ``running_mean``, ``running_var`` and
``num_batches_tracked`` (int64, 0-d, as torch keeps it), whose eval mode computes
``gamma * (x - running_mean) / sqrt(running_var + eps) + beta``:

- with the running statistics (``use="ema"``, the default when there are some),
  ``running_mean`` and ``running_var`` as fitted
  and the layer's ``eps`` the running statistics' own (the convention's, or ``EmaOptions.eps``),
  ``num_batches_tracked`` the logical batches seen: the layer is the one the fit followed;
- with the exact statistics (``use="exact"``), the layer's ``eps`` is 0 and ``running_var`` is
  ``scale**2``, so that it divides by normkit's own scale, scikit-learn's constant-column rule
  (scale 1), ``eps`` and ``with_std`` included (``sqrt(scale**2)`` is ``scale`` exactly in
  float64); ``num_batches_tracked`` is 0: no batch made these statistics. torch multiplies by
  ``1 / sqrt(var + eps)`` where normkit divides, so the two agree to rounding, not bit for bit.

The layer's ``momentum`` is in PyTorch's sense, the weight of a new batch: the running
statistics' (Keras' 0.99 is 0.01: ``EmaOptions.torch_momentum``; the cumulative average is
``None``), else PyTorch's 0.1.
The file's metadata (strings) says how to build the layer and what it holds: ``format``,
``columns`` (a JSON list), ``eps`` and ``momentum`` (JSON numbers; ``null``: cumulative),
``use``, ``dtype``, ``convention`` and ``batch_size`` (with running statistics), ``source``,
``normkit_version``, and ``stats``: the stat file itself (without the category counts of other
columns), which :func:`normkit.jobs.torch_import.import_torch` gives back whole while the
layer's running statistics are still those exported.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from .. import __version__, params
from ..errors import OptionError, param
from ..estimator.files import as_stats, stats_path
from ..estimator.numbers import missing_inputs
from ..estimator.standardizer import Standardizer
from ..io.tensors import PICKLE_SUFFIXES, tensors_to_bytes
from ..stats import running_notes, statfile
from ..stats.fitted import FittedStats

__all__ = [
    "FORMAT",
    "TORCH_EPS",
    "TORCH_MOMENTUM",
    "TorchState",
    "refuse_pickle_output",
    "to_torch",
    "to_torch_state",
    "torch_state_bytes",
]

#: What the metadata's ``format`` says of a file normkit wrote.
FORMAT = "normkit.batchnorm"
#: ``torch.nn.BatchNorm1d``'s defaults.
TORCH_EPS = 1e-5
TORCH_MOMENTUM = 0.1

_DTYPES = {"float32": np.float32, "float64": np.float64}
#: The most, relative to the scale, that the tensors' type may move a normalized value by:
#: 1% of a standard deviation. A layer's inputs are rounded to its type as its buffers are, so
#: what counts is the rounding of the values themselves (as far from zero as the fitted ones
#: reach) plus that of the mean; beyond it, the type is too narrow for the column.
ROUNDING_LIMIT = 0.01
_NEEDS = "pip install 'normkit[torch]'"


@dataclass(frozen=True)
class TorchState:
    """A ``BatchNorm1d`` state dict of fitted statistics, and how to build its layer.

    Attributes
    ----------
    state_dict : dict of str to ndarray
        ``weight``, ``bias``, ``running_mean``, ``running_var`` (shape (n_columns,), of the
        dtype asked for) and ``num_batches_tracked`` (int64, shape ()).
    eps : float
    momentum : float or None
        In PyTorch's sense (None: the cumulative average).
    columns : tuple of str
        The layer's features, in order.
    metadata : dict of str to str
        What the safetensors file records (see the module's notes).
    """

    state_dict: dict[str, np.ndarray]
    eps: float
    momentum: float | None
    columns: tuple[str, ...]
    metadata: dict[str, str]


def to_torch_state(
    reference: Standardizer | FittedStats | str | os.PathLike[str],
    use: str | None = None,
    dtype: str | None = None,
    gamma: float | Mapping[str, float] | None = None,
    beta: float | Mapping[str, float] | None = None,
) -> TorchState:
    """The state dict of a ``torch.nn.BatchNorm1d`` whose eval mode is the frozen transform.

    Parameters
    ----------
    reference : Standardizer, FittedStats or path of a stat file
    use : {"exact", "ema"} or None
        The running statistics (``"ema"``) or the exact ones; None: the running ones when the
        statistics have them, else the exact ones.
    dtype : {"float32", "float64"} or None
        The tensors' type; None: float32, torch's default.
    gamma, beta : float, mapping of column to float, or None
        The layer's weight and bias; None keeps those fitted.

    Warns
    -----
    NormkitNote
        With the running statistics, where they are far from the exact ones or were never
        updated in a column, as ``normkit transform --use ema`` notes; and where training the
        layer further would not continue them as normkit does (a cumulative average of a
        column some batches skipped, ``of="std"``, Keras' biased batch variances).

    Raises
    ------
    OptionError
        If a statistic does not fit the dtype, or the dtype would move normalized values by
        more than :data:`ROUNDING_LIMIT` of the scale (float32 for values far from zero for
        their spread, say), or the running statistics are asked for and there are none.

    Examples
    --------
    >>> import pandas as pd
    >>> stats = Standardizer().fit(pd.DataFrame({"x": [1.0, 2.0, 6.0]}))
    >>> state = to_torch_state(stats, use="exact", dtype="float64")
    >>> state.state_dict["running_mean"].tolist(), state.eps
    ([3.0], 0.0)
    """
    params.check("use", use)
    params.check("dtype", dtype)
    dtype = dtype or "float32"
    stats = as_stats(reference, "reference")
    running = stats.running
    use = use or ("ema" if running is not None else "exact")
    affine = stats.frozen(use, gamma, beta)
    if use == "ema":
        # The layer's eval mode is a transform with the running statistics: it says what one says.
        running_notes.warn(running_notes.far_note(stats))
        running_notes.warn(running_notes.training_note(stats))
    if use == "ema" and stats.options.with_std:
        eps = running.options.eps_value
        var = np.asarray(running.running_var, dtype=np.float64)
    else:
        # eps 0 and the scale squared: the layer divides by the very scale normkit divides by.
        eps = 0.0
        with np.errstate(over="ignore"):
            var = affine.scale * affine.scale
    names = tuple(stats.names)
    # Without scaling, the output is in the data's units: its rounding counts against the
    # data's spread, not against the divisor 1.
    spread = affine.scale if stats.options.with_std else stats.scale
    reach = _reach(stats, affine.center)
    # A constant column comes out 0 whatever the type where the layer's center is its value:
    # the two round alike. Not by the running statistics (their mean only nears the value) nor
    # without centering: there its output is not 0, and float32 rounds it as any column's.
    with np.errstate(invalid="ignore"):
        constant = (stats.min == stats.max) & (affine.center == stats.min)
    try:
        _check_dtype(names, affine, var, eps, reach, spread, dtype, constant, use == "ema")
    except OptionError as exc:
        source = stats_path(reference)
        raise (exc.within(source) if source is not None else exc) from None
    kind = _DTYPES[dtype]
    batches = running.n_batches if use == "ema" else 0
    state = {
        "weight": affine.gamma.astype(kind),
        "bias": affine.beta.astype(kind),
        "running_mean": np.asarray(affine.center, dtype=kind),
        "running_var": var.astype(kind),
        "num_batches_tracked": np.array(batches, dtype=np.int64),
    }
    # The running statistics' momentum, else the one a layer imported was told to have.
    imported = stats.provenance.get("imported") or {}
    if running is not None:
        momentum = running.options.torch_momentum
    else:
        momentum = imported.get("momentum", TORCH_MOMENTUM)
    metadata = {
        "format": FORMAT,
        "columns": json.dumps(list(names)),
        "use": use,
        "eps": json.dumps(eps),
        "momentum": json.dumps(momentum),
        "dtype": dtype,
        # The statistics themselves (but the counts of other columns' categories, which are no
        # business of the layer's): an import of the untouched file gives them back whole.
        "stats": statfile.to_text(replace(stats, categories=None)),
        "source": stats_path(reference) or "",
        "normkit_version": __version__,
    }
    if running is not None:
        metadata["convention"] = running.options.convention
        metadata["batch_size"] = json.dumps(running.options.batch_size)
    return TorchState(state, eps, momentum, names, metadata)


def _reach(stats: FittedStats, center: np.ndarray) -> np.ndarray:
    """How far from zero the values a layer is given reach, per column: the fitted extremes
    (or, where the statistics do not know them, as for a layer imported from torch, the mean
    and four standard deviations), and the layer's center."""
    with np.errstate(invalid="ignore"):
        extremes = np.fmax(np.abs(stats.min), np.abs(stats.max))
        guess = np.abs(stats.mean) + 4.0 * stats.scale
        return np.fmax(np.where(np.isnan(extremes), guess, extremes), np.abs(center))


def _check_dtype(
    names, affine, var, eps, reach, spread, dtype: str, constant, running: bool
) -> None:
    """Refuse statistics that the tensors' type would change: a variance beyond its range (the
    square of a scale above 1.8e19 in float32), a scale it rounds by more than a few units in
    the last place, a gamma or beta it cannot hold, or a column whose normalized values it
    would move by more than :data:`ROUNDING_LIMIT` of ``spread``: the rounding of inputs as
    far from zero as ``reach`` plus that of the mean (float32 keeps a value of 1e9 to 64 only,
    so data of std 1 there become one value, whatever its mean's own rounding); not where
    ``constant`` (a constant column centered on its value: it and its center round alike, 0
    out). float64 rounds the
    inputs no more than normkit's own transform does: only the statistics are checked. The
    statistics are named running ones where ``running``."""
    kind = _DTYPES[dtype]
    center, scale, gamma, beta = affine.center, affine.scale, affine.gamma, affine.beta
    its = "its running" if running else "its"
    hints = (f"export {param('dtype', 'float64')}",) if kind is np.float32 else ()
    tolerance = 1e-6 if kind is np.float32 else 1e-12
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        var_t = var.astype(kind).astype(np.float64)
        scale_t = np.sqrt(var_t + float(kind(eps)))
        moved = np.abs(center.astype(kind).astype(np.float64) - center)
        if kind is np.float32:
            # Round to nearest: half the type's spacing at the largest value (beyond its
            # range, no spacing at all).
            reach_t = reach.astype(kind)
            inputs = np.where(np.isfinite(reach_t), np.spacing(reach_t) / 2.0, np.inf)
        else:
            inputs = np.zeros_like(reach)
        shift = np.where(constant, 0.0, inputs.astype(np.float64) + moved)
        problems = [
            (f"{its} variance", var, ~np.isfinite(var_t)),
            (f"{its} scale", scale, ~(np.abs(scale_t - scale) <= tolerance * scale)),
            ("gamma", gamma, ~np.isfinite(gamma.astype(kind)) | (gamma.astype(kind) == 0)),
            ("beta", beta, ~np.isfinite(beta.astype(kind))),
        ]
        rounded = ~(shift <= ROUNDING_LIMIT * spread)
    for what, values, bad in problems:
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise OptionError(
                f"column {names[j]!r}: {what} ({values[j]:.6g}) does not fit a BatchNorm layer's "
                f"{dtype} tensors",
                param="dtype",
                hints=hints,
            )
    if rounded.any():
        j = int(np.flatnonzero(rounded)[0])
        raise OptionError(
            f"column {names[j]!r}: {dtype} rounds its values (up to {reach[j]:.3g}) by up to "
            f"{inputs[j]:.3g} and {its} mean ({center[j]:.12g}) by {moved[j]:.3g}: normalized "
            f"values would move by up to {shift[j] / spread[j]:.3g} times {its} scale "
            f"({spread[j]:.3g}), beyond the {ROUNDING_LIMIT:g} allowed",
            param="dtype",
            hints=hints,
        )


def torch_state_bytes(state: TorchState) -> bytes:
    """The safetensors file of a state (what ``safetensors.numpy.save_file`` writes)."""
    return tensors_to_bytes(state.state_dict, state.metadata)


def to_torch(
    reference: Standardizer | FittedStats | str | os.PathLike[str],
    use: str | None = None,
    dtype: str | None = None,
    gamma: float | Mapping[str, float] | None = None,
    beta: float | Mapping[str, float] | None = None,
):
    """A ``torch.nn.BatchNorm1d`` in eval mode holding the statistics (see
    :func:`to_torch_state`): ``layer(x)`` of a (rows, columns) tensor of ``dtype`` is the frozen
    transform. Needs torch (``pip install 'normkit[torch]'``). The exact statistics come with
    eps 0, which PyTorch refuses in train mode: set ``layer.eps`` (1e-5, say) before training.
    Where the statistics' fit read values as missing (``--null-values -999``,
    ``--inf-as-missing``), a forward pre-hook makes such inputs NaN first, so that the layer's
    output is NaN where normkit's transform leaves a value missing (a state dict cannot say so:
    :func:`~normkit.jobs.export.export_stats` notes it).

    Raises
    ------
    OptionError
        If torch is not installed, or as :func:`to_torch_state`.
    """
    try:
        import torch
    except ImportError:
        raise OptionError(f"to_torch needs PyTorch: {_NEEDS}") from None
    state = to_torch_state(reference, use, dtype, gamma, beta)
    kind = getattr(torch, state.metadata["dtype"])
    layer = torch.nn.BatchNorm1d(
        len(state.columns), eps=state.eps, momentum=state.momentum, dtype=kind
    )
    layer.load_state_dict(
        {name: torch.from_numpy(array.copy()) for name, array in state.state_dict.items()},
        strict=True,
    )
    numbers, infinite = missing_inputs(as_stats(reference, "reference").read)
    if numbers or infinite:  # a module-level function's partial: the layer still pickles
        layer.register_forward_pre_hook(functools.partial(_missing_as_nan, numbers, infinite))
    return layer.eval()


def _missing_as_nan(numbers: tuple[float, ...], infinite: bool, layer, args: tuple) -> tuple:
    """A layer's input with the values normkit's transform reads as missing made NaN (those
    equal to one of ``numbers``, and infinite ones with ``infinite``), so that its output is NaN
    there, as normkit's is missing (a forward pre-hook of :func:`to_torch`'s layer)."""
    import torch

    (x, *rest) = args
    missing = torch.isinf(x) if infinite else torch.zeros_like(x, dtype=torch.bool)
    if numbers:
        missing |= torch.isin(x, torch.tensor(numbers, dtype=x.dtype, device=x.device))
    return (
        torch.where(missing, torch.tensor(float("nan"), dtype=x.dtype, device=x.device), x),
        *rest,
    )


def refuse_pickle_output(output: str) -> None:
    """Refuse to write safetensors under a pickle's name (``model.pt``): ``torch.load`` of it
    would fail, and the name would promise a format it is not."""
    if output.lower().endswith(PICKLE_SUFFIXES):
        raise OptionError(
            f"{output}: a safetensors file would be named like a PyTorch pickle; name it with "
            ".safetensors",
            param="output",
        )
