"""Exports of statistics whose fit read values as missing (``--null-values -999``,
``--inf-as-missing``) give NaN where ``normkit transform`` leaves a value missing: the ONNX model
and the torch layer make such inputs NaN first; the NumPy arrays and a state dict, which cannot,
say so at export. Exports once dropped those settings, exit 0: the model normalized -999 to
-82.2 and passed infinities through."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch
from conftest import run_normkit

import normkit

FRAME = pd.DataFrame(
    {
        "x": [1.0, 2.0, -999.0, 4.0, 5.5, -999.0],
        "y": [10.0, -999.0, 30.0, 40.0, -999.5, 20.0],
    }
)
#: New inputs: -999, infinities, NaN, a value near -999.
NEW = pd.DataFrame(
    {
        "x": [-999.0, 3.0, np.inf, np.nan, -999.5, -np.inf],
        "y": [7.0, -999.0, 12.0, -np.inf, 2.0, np.inf],
    }
)


def ok(*args) -> str:
    proc = run_normkit(*args)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stderr.decode()


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


def fitted(tmp_path, *flags):
    """A stat file of FRAME (``flags``: how its fit read it)."""
    data = tmp_path / "train.csv"
    FRAME.to_csv(data, index=False)
    stats = tmp_path / "s.json"
    ok("fit", data, *flags, "-o", stats, "-q")
    return stats


def transformed(tmp_path, stats, new: pd.DataFrame, *flags) -> np.ndarray:
    """``normkit transform`` of ``new`` (a Parquet file) by ``stats``, as float64: NaN where the
    output is missing (null)."""
    path, out = tmp_path / "new.parquet", tmp_path / "z.parquet"
    new.to_parquet(path)
    ok("transform", path, "-s", stats, *flags, "-o", out, "-q")
    return pq.read_table(out).to_pandas()[["x", "y"]].to_numpy(dtype=np.float64)


def run_onnx(path, feeds: dict) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["Y"], feeds)[0]


def assert_as_transformed(y: np.ndarray, expected: np.ndarray) -> None:
    """NaN where normkit's output is missing; bit for bit elsewhere."""
    np.testing.assert_array_equal(np.isnan(y), np.isnan(expected))
    kept = ~np.isnan(expected)
    assert same_bits(y[kept], expected[kept])


@pytest.mark.parametrize(
    ("flags", "finite"),
    [
        (("--null-values", "-999"), True),
        (("--inf-as-missing",), False),
        (("--null-values", "-999,?", "--inf-as-missing"), False),
    ],
)
@pytest.mark.parametrize("inputs", ["matrix", "columns"])
def test_onnx_gives_nan_where_the_transform_gives_missing(tmp_path, flags, finite, inputs):
    new = NEW.copy()
    if finite:  # without --inf-as-missing a transform refuses infinities
        new = new.replace([np.inf, -np.inf], 0.5)
    stats = fitted(tmp_path, *flags)
    expected = transformed(tmp_path, stats, new)
    assert np.isnan(expected).any()
    model = tmp_path / "m.onnx"
    ok("export", "-s", stats, "--to", "onnx", "--inputs", inputs, "-o", model, "-q")
    x = new.to_numpy(dtype=np.float64)
    feeds = {"X": x} if inputs == "matrix" else {n: x[:, [j]] for j, n in enumerate(new)}
    assert_as_transformed(run_onnx(model, feeds), expected)


def test_onnx_of_statistics_without_such_settings_is_the_same_graph(tmp_path):
    stats = fitted(tmp_path)
    model = tmp_path / "m.onnx"
    ok("export", "-s", stats, "--to", "onnx", "-o", model, "-q")
    graph = onnx.load(str(model)).graph
    assert [n.op_type for n in graph.node] == ["Sub", "Div", "Identity"]
    assert {p.key for p in onnx.load(str(model)).metadata_props} == {
        "columns",
        "statistics",
        "source",
    }


@pytest.mark.parametrize("use", ["exact", "ema"])
def test_the_torch_layer_gives_nan_where_the_transform_gives_missing(tmp_path, use):
    stats = fitted(tmp_path, "--null-values", "-999", "--inf-as-missing")
    expected = transformed(tmp_path, stats, NEW, "--use", use)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", normkit.NormkitNote)  # the running statistics' notes
        layer = normkit.to_torch(stats, use=use, dtype="float64")
    with torch.no_grad():
        y = layer(torch.tensor(NEW.to_numpy(dtype=np.float64))).numpy()
    np.testing.assert_array_equal(np.isnan(y), np.isnan(expected))
    kept = ~np.isnan(expected)
    np.testing.assert_allclose(y[kept], expected[kept], rtol=1e-12, atol=1e-12)
    # The layer still pickles (torch.save of the whole module), its hook with it.
    again = pickle.loads(pickle.dumps(layer))
    with torch.no_grad():
        z = again(torch.tensor(NEW.to_numpy(dtype=np.float64))).numpy()
    np.testing.assert_array_equal(np.isnan(z), np.isnan(expected))


@pytest.mark.parametrize(
    ("to", "name", "what"),
    [("numpy", "s.npz", "the NumPy arrays"), ("torch", "s.safetensors", "state dict")],
)
def test_exports_that_cannot_read_values_as_missing_say_so(tmp_path, to, name, what):
    stats = fitted(tmp_path, "--null-values", "-999,?", "--inf-as-missing")
    use = ("--use", "exact") if to == "torch" else ()
    err = ok("export", "-s", stats, "--to", to, *use, "-o", tmp_path / name)
    notes = [line for line in err.splitlines() if line.startswith("normkit: note:")]
    assert len(notes) == 1, err
    assert "-999 and infinities as missing in columns 'x', 'y'" in notes[0]
    assert what in notes[0]
    (tmp_path / "plain").mkdir()
    plain = fitted(tmp_path / "plain")
    err = ok("export", "-s", plain, "--to", to, *use, "-o", tmp_path / f"plain_{name}")
    assert "note" not in err
