"""Fitted statistics where models run: an ONNX model of the frozen transform, NumPy arrays, and a
PyTorch BatchNorm layer's state dict (:mod:`normkit.jobs.torch_export`).

The ONNX model computes what normkit's frozen transform computes, in the same operations and
order (:func:`normkit.core.kernels.standardize`): ``Sub`` the center, ``Div`` by the scale (true
division, not a multiply by the reciprocal, so that the output equals normkit's and
scikit-learn's bit for bit), then ``Mul`` by gamma and ``Add`` beta only where they are not 1 and
0. Where the statistics' fit read values as missing (``--null-values -999``, ``--inf-as-missing``),
which normkit's transform leaves missing, the model first makes such inputs NaN (``Equal``,
``IsInf``, ``Where``), so that its output is NaN there; other inputs pass unchanged, and
statistics without such settings make the same graph as before. Its input is float64, one
column per statistic's column: one matrix ``X`` of shape (rows,
columns) by default, or one input per column named after it (``inputs="columns"``). The column
names and what the model was made from are in its metadata. It needs the ``onnx`` package
(``pip install 'normkit[onnx]'``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping

import numpy as np

from .. import __version__
from ..errors import NormkitNote, OptionError, listed, param
from ..estimator.files import as_stats, stats_path
from ..estimator.numbers import missing_inputs
from ..estimator.standardizer import Standardizer
from ..io.files import AtomicFile, refuse_overwrite, standard_output
from ..io.formats import STDIO, format_named
from ..stats import running_notes
from ..stats.fitted import FittedStats
from .sources import about_stat_file

__all__ = ["EXPORT_FORMATS", "export_stats", "to_numpy", "to_onnx"]

#: What :func:`export_stats` writes.
EXPORT_FORMATS = ("onnx", "numpy", "torch")

#: The extension of each export's files.
EXPORT_SUFFIXES = {"onnx": ".onnx", "numpy": ".npz", "torch": ".safetensors"}

#: The model's output.
OUTPUT = "Y"

#: The ONNX operator set the models use (Sub, Div, Mul, Add and Concat are unchanged since 14).
OPSET = 17


def to_onnx(
    reference: Standardizer | FittedStats | str | os.PathLike[str],
    use: str | None = None,
    gamma: float | Mapping[str, float] | None = None,
    beta: float | Mapping[str, float] | None = None,
    inputs: str = "matrix",
):
    """An ONNX model (``onnx.ModelProto``) of the frozen transform.

    Parameters
    ----------
    reference : Standardizer, FittedStats or path of a stat file
    use : {"exact", "ema"} or None
        The exact statistics or the running ones, as ``transform --use``; None: those a
        transform uses (:attr:`FittedStats.default_use`).
    gamma, beta : float, mapping of column to float, or None
        BatchNorm's affine parameters; None keeps those fitted.
    inputs : {"matrix", "columns"}
        One float64 input ``X`` of shape (rows, columns), or one input per column, of shape
        (rows, 1), named after it. The output ``Y`` is (rows, columns) either way.

    Warns
    -----
    NormkitNote
        With the running statistics, where they are far from the exact ones or were never
        updated in a column, as ``normkit transform --use ema`` notes.
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise OptionError(
            "exporting to ONNX needs the onnx package: pip install 'normkit[onnx]'"
        ) from None
    if inputs not in ("matrix", "columns"):
        raise OptionError(f"inputs must be 'matrix' or 'columns', not {inputs!r}", param="inputs")
    stats = as_stats(reference, "reference")
    use = use or stats.default_use  # as a transform uses them
    affine = stats.frozen(use, gamma, beta)
    if use == "ema":
        # BatchNorm's eval mode is a transform with the running statistics: it says what one says.
        running_notes.warn(running_notes.far_note(stats))
    names = list(stats.names)
    n = len(names)
    row = lambda values: np.asarray(values, dtype=np.float64).reshape(1, n)  # noqa: E731
    # The model's own tensors are named under "normkit/", which no input may use.
    own = lambda name: f"normkit/{name}"  # noqa: E731
    initializers = [
        numpy_helper.from_array(row(affine.center), own("center")),
        numpy_helper.from_array(row(affine.scale), own("scale")),
    ]
    nodes = []
    if inputs == "matrix":
        graph_inputs = [helper.make_tensor_value_info("X", TensorProto.DOUBLE, ["rows", n])]
        source = "X"
    else:
        # ONNX reads an empty name as an optional input left out.
        clash = [n for n in names if n in (OUTPUT, "") or n.startswith("normkit/")]
        if clash:
            raise OptionError(
                f"column {clash[0]!r} cannot name an input of the model (the output is "
                f"{OUTPUT!r}, 'normkit/' names its own tensors, and an empty name is no "
                "input); export one matrix input instead",
                param="inputs",
            )
        graph_inputs = [
            helper.make_tensor_value_info(name, TensorProto.DOUBLE, ["rows", 1]) for name in names
        ]
        source = own("X")
        nodes.append(helper.make_node("Concat", names, [source], axis=1))
    numbers, infinite = missing_inputs(stats.read)
    if numbers or infinite:
        source = _missing_as_nan(source, numbers, infinite, nodes, initializers)
    nodes.append(helper.make_node("Sub", [source, own("center")], [own("centered")]))
    last = own("scaled")
    nodes.append(helper.make_node("Div", [own("centered"), own("scale")], [last]))
    if np.any(affine.gamma != 1.0):
        initializers.append(numpy_helper.from_array(row(affine.gamma), own("gamma")))
        nodes.append(helper.make_node("Mul", [last, own("gamma")], [own("gamma_scaled")]))
        last = own("gamma_scaled")
    if np.any(affine.beta != 0.0):
        # -0.0 where beta is 0: x + (-0.0) is x for every x, -0.0 included (+0.0 is not).
        beta_row = np.where(affine.beta == 0.0, -0.0, affine.beta)
        initializers.append(numpy_helper.from_array(row(beta_row), own("beta")))
        nodes.append(helper.make_node("Add", [last, own("beta")], [own("shifted")]))
        last = own("shifted")
    nodes.append(helper.make_node("Identity", [last], [OUTPUT]))
    graph = helper.make_graph(
        nodes,
        "normkit_standardize",
        graph_inputs,
        [helper.make_tensor_value_info(OUTPUT, TensorProto.DOUBLE, ["rows", n])],
        initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="normkit",
        producer_version=__version__,
        doc_string=f"(x - center) / scale per column ({'running' if use == 'ema' else 'exact'} "
        "statistics), then gamma and beta",
    )
    props = {
        "columns": json.dumps(names),
        "statistics": "ema" if use == "ema" else "exact",
        "source": stats_path(reference) or "",
    }
    if numbers or infinite:
        props["missing"] = json.dumps({"values": list(numbers), "infinities": infinite})
    helper.set_model_props(model, props)
    onnx.checker.check_model(model)
    return model


def _missing_as_nan(source: str, numbers, infinite: bool, nodes: list, initializers: list) -> str:
    """Nodes making NaN the inputs in ``source`` equal to one of ``numbers``, or infinite
    (``infinite``), as normkit's transform reads them as missing; the others pass bit for bit.
    The name of their output."""
    from onnx import helper, numpy_helper

    masks = []
    for i, value in enumerate(numbers):
        initializers.append(numpy_helper.from_array(np.array(value), f"normkit/missing_{i}"))
        nodes.append(
            helper.make_node("Equal", [source, f"normkit/missing_{i}"], [f"normkit/is_{i}"])
        )
        masks.append(f"normkit/is_{i}")
    if infinite:
        nodes.append(helper.make_node("IsInf", [source], ["normkit/is_infinite"]))
        masks.append("normkit/is_infinite")
    mask = masks[0]
    for i, other in enumerate(masks[1:]):
        nodes.append(helper.make_node("Or", [mask, other], [f"normkit/or_{i}"]))
        mask = f"normkit/or_{i}"
    initializers.append(numpy_helper.from_array(np.array(np.nan), "normkit/nan"))
    nodes.append(helper.make_node("Where", [mask, "normkit/nan", source], ["normkit/read"]))
    return "normkit/read"


def missing_note(stats: FittedStats, what: str) -> NormkitNote | None:
    """The note of an export (``what``: "the NumPy arrays") that cannot read as missing what
    normkit's transform by ``stats`` reads so; None where nothing is."""
    numbers, infinite = missing_inputs(stats.read)
    if not numbers and not infinite:
        return None
    values = [f"{int(v)}" if v.is_integer() and abs(v) < 1e15 else repr(v) for v in numbers]
    values += ["infinities"] if infinite else []
    told = " and ".join([", ".join(values[:-1]), values[-1]] if len(values) > 1 else values)
    return NormkitNote(
        f"normkit's transform reads {told} as missing in {listed(list(stats.names))} (as the "
        f"fit read them), which {what} cannot: make such inputs NaN before applying them"
    )


def to_numpy(
    reference: Standardizer | FittedStats | str | os.PathLike[str],
) -> dict[str, np.ndarray]:
    """The statistics as NumPy arrays, one per quantity (as ``np.savez`` writes them): ``names``,
    ``count``, ``missing``, ``mean``, ``var``, ``scale``, ``min``, ``max``, ``gamma``, ``beta``;
    what normkit's frozen transform uses, ``center`` and ``divisor`` (``gamma * (x - center) /
    divisor + beta``: 0 and 1 where the statistics were fitted without centering or scaling,
    whose ``mean`` and ``scale`` are still the data's), with the flags ``with_mean``,
    ``with_std``, ``ddof`` and ``eps``; ``weight`` (the sums of the sample weights) for weighted
    statistics; and, if fitted, ``running_mean``, ``running_var`` and ``running_scale``."""
    stats = as_stats(reference, "reference")
    frozen = stats.frozen(None, None, None)
    options = stats.options
    out = {
        "center": np.asarray(frozen.center, dtype=np.float64),
        "divisor": np.asarray(frozen.scale, dtype=np.float64),
        "with_mean": np.asarray(options.with_mean),
        "with_std": np.asarray(options.with_std),
        "ddof": np.asarray(options.ddof),
        "eps": np.asarray(options.eps),
        "names": np.array(stats.names, dtype=str),
        "count": np.asarray(stats.count),
        "missing": np.asarray(stats.n_missing),
        "mean": np.asarray(stats.mean),
        "var": np.asarray(stats.var),
        "scale": np.asarray(stats.scale),
        "min": np.asarray(stats.min),
        "max": np.asarray(stats.max),
        "gamma": np.asarray(stats.gamma),
        "beta": np.asarray(stats.beta),
    }
    if stats.weighted:
        out["weight"] = np.asarray(stats.weight)
    if stats.running is not None:
        out["running_mean"] = np.asarray(stats.running.running_mean)
        out["running_var"] = np.asarray(stats.running.running_var)
        out["running_scale"] = np.asarray(stats.running.scale)
    return out


def _payload(
    reference: Standardizer | FittedStats | str | os.PathLike[str],
    to: str,
    output: str,
    use: str | None,
    gamma: float | Mapping[str, float] | None,
    beta: float | Mapping[str, float] | None,
    inputs: str,
    dtype: str | None,
) -> bytes:
    """The bytes of :func:`export_stats`'s ``output``."""
    if to == "onnx":
        return to_onnx(reference, use, gamma, beta, inputs).SerializeToString()
    if to == "torch":
        from .torch_export import refuse_pickle_output, to_torch_state, torch_state_bytes

        refuse_pickle_output(output)
        return torch_state_bytes(to_torch_state(reference, use, dtype, gamma, beta))
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **to_numpy(reference))
    return buffer.getvalue()


def export_stats(
    reference: Standardizer | FittedStats | str | os.PathLike[str],
    to: str,
    output: str | os.PathLike[str],
    *,
    use: str | None = None,
    gamma: float | Mapping[str, float] | None = None,
    beta: float | Mapping[str, float] | None = None,
    inputs: str = "matrix",
    dtype: str | None = None,
) -> str:
    """Write the statistics as ``to`` (one of :data:`EXPORT_FORMATS`) to ``output``, atomically
    (``"-"``: standard output); returns the path written. See :func:`to_onnx`, :func:`to_numpy`
    and :func:`~normkit.jobs.torch_export.to_torch_state` (``dtype``: torch's tensors only)."""
    if to not in EXPORT_FORMATS:
        raise OptionError(
            f"cannot export to {to!r}: choose one of {', '.join(EXPORT_FORMATS)}", param="to"
        )
    if to == "numpy":
        given = [n for n, v in (("use", use), ("gamma", gamma), ("beta", beta)) if v is not None]
        given += ["inputs"] if inputs != "matrix" else []
        if given:
            # The arrays hold every statistic as fitted: a transform's settings do not apply.
            raise OptionError(
                f"{param(given[0])} sets the transform of an ONNX model or a torch layer; NumPy "
                "export writes the statistics as fitted",
                param=given[0],
            )
    if to == "torch" and inputs != "matrix":
        # A BatchNorm layer takes one (rows, features) tensor: there are no inputs to name.
        raise OptionError(
            f"{param('inputs')} names the ONNX model's inputs; a BatchNorm layer takes one "
            "tensor of rows by columns",
            param="inputs",
        )
    if to != "torch" and dtype is not None:
        raise OptionError(
            f"{param('dtype')} is the type of the torch tensors; the {to} export keeps float64",
            param="dtype",
        )
    output = os.fspath(output)
    source = stats_path(reference)
    if source is not None:
        refuse_overwrite(output, {source: "the stat file"})
    _refuse_misnamed(output, to)
    with about_stat_file(source):
        payload = _payload(reference, to, output, use, gamma, beta, inputs, dtype)
        if to != "onnx":  # the model reads them as missing; arrays and a layer's buffers cannot
            what = "the NumPy arrays" if to == "numpy" else "a BatchNorm layer's state dict"
            running_notes.warn(missing_note(as_stats(reference, "reference"), what))
    if output == STDIO:
        standard_output().buffer.write(payload)
        sys.stdout.buffer.flush()
        return output
    with AtomicFile(output) as out:
        out.stream.write(payload)
    return output


def _refuse_misnamed(output: str, to: str) -> None:
    """Refuse an output named as another kind of file (data, a stat file, another export): it
    would replace such a file, the data fitted on among them, with one that is not."""
    if output == STDIO:
        return
    suffix = os.path.splitext(output)[1].lower()
    other = (set(EXPORT_SUFFIXES.values()) | {".json"}) - {EXPORT_SUFFIXES[to]}
    named = format_named(output)
    if named is not None or suffix in other:
        kind = f"{named} data" if named is not None else f"a {suffix} file"
        raise OptionError(
            f"{output}: the name says {kind}, not the {to} export",
            param="output",
            hints=(f"name it with {EXPORT_SUFFIXES[to]}",),
        )
