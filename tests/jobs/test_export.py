"""``normkit export``: an ONNX model of the frozen transform, run by onnxruntime, equals
normkit's transform and scikit-learn's StandardScaler bit for bit; NumPy arrays hold the
statistics as fitted."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import assert_error, assert_ok, run
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import TransformOptions


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.ascontiguousarray(a, dtype=np.float64), np.ascontiguousarray(b, dtype=np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


def run_onnx(path, feeds: dict) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["Y"], feeds)[0]


@pytest.fixture(scope="module")
def cancer(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    data = load_breast_cancer(as_frame=True).data
    data.columns = [c.replace(" ", "_") for c in data.columns]
    data = data.copy()
    data.iloc[::17, 3] = np.nan  # missing values stay missing
    path = tmp / "cancer.parquet"
    data.to_parquet(path)
    stats = tmp / "stats.json"
    assert_ok(run("fit", path, "-o", stats, "-q"))
    return tmp, path, stats, data


def test_onnx_equals_normkit_and_standard_scaler_bit_for_bit(cancer):
    tmp, path, stats, data = cancer
    model = tmp / "scaler.onnx"
    assert_ok(run("export", "-s", stats, "--to", "onnx", "-o", model))
    onnx.checker.check_model(onnx.load(str(model)))
    x = data.to_numpy(dtype=np.float64)
    y = run_onnx(model, {"X": x})
    out = tmp / "z.parquet"
    normkit.transform_file(path, stats, out)
    z = pq.read_table(out).to_pandas()[list(data.columns)].to_numpy()
    assert same_bits(y, z)
    # scikit-learn's transform with these statistics (to_sklearn) is the same Sub then Div;
    # its own fit agrees with them to 1e-12, not bit for bit (normkit's mean is the exact one).
    assert same_bits(y, normkit.load(stats).to_sklearn().transform(data))
    sk = StandardScaler().fit(x)
    np.testing.assert_allclose(y, sk.transform(x), rtol=1e-12, atol=1e-12)
    props = {p.key: p.value for p in onnx.load(str(model)).metadata_props}
    assert json.loads(props["columns"]) == list(data.columns)


@pytest.mark.parametrize("load", [load_breast_cancer, load_diabetes, load_wine])
def test_onnx_of_an_in_memory_fit_equals_standard_scalers_own_fit_bit_for_bit(tmp_path, load):
    """Fitted in memory the statistics are StandardScaler's own bits (see Standardizer.fit), so
    the ONNX model run by onnxruntime equals StandardScaler().fit(X).transform(X) exactly."""
    x = load(return_X_y=True)[0].astype(np.float64)
    model = tmp_path / "m.onnx"
    model.write_bytes(normkit.to_onnx(normkit.Standardizer().fit(x)).SerializeToString())
    assert same_bits(run_onnx(model, {"X": x}), StandardScaler().fit(x).transform(x))


def test_onnx_of_the_running_statistics_with_gamma_and_beta_per_column(cancer):
    tmp, path, stats, data = cancer
    model = tmp / "bn.onnx"
    affine = ["--gamma", "mean_radius=2.5", "--beta", "0.5"]
    assert_ok(run("export", "-s", stats, "--to", "onnx", "--use", "ema", *affine, "-o", model))
    names = list(data.columns)
    feeds = {n: data[[n]].to_numpy(dtype=np.float64) for n in names}
    columns = tmp / "bn_columns.onnx"
    assert_ok(
        run(
            "export",
            "-s",
            stats,
            "--to",
            "onnx",
            "--use",
            "ema",
            *affine,
            "--inputs",
            "columns",
            "-o",
            columns,
        )
    )
    out = tmp / "bn.parquet"
    options = TransformOptions(use="ema", gamma={"mean_radius": 2.5}, beta=0.5)
    normkit.transform_file(path, stats, out, options)
    z = pq.read_table(out).to_pandas()[names].to_numpy()
    assert same_bits(run_onnx(model, {"X": data.to_numpy(dtype=np.float64)}), z)
    assert same_bits(run_onnx(columns, feeds), z)


def test_numpy_export_holds_the_statistics(cancer):
    tmp, _, stats, data = cancer
    path = tmp / "stats.npz"
    result = run("export", "-s", stats, "--to", "numpy", "-o", path)
    assert_ok(result)
    names = ", ".join(repr(n) for n in normkit.load(stats).stats_.names[:10])
    assert result.stderr.startswith(f"normkit: wrote {path} (numpy; columns {names} and ")
    assert result.stderr.endswith(" more in this order)\n")
    quiet = run("export", "-s", stats, "--to", "numpy", "-o", tmp / "quiet.npz", "-q")
    assert_ok(quiet)
    assert quiet.stderr == ""  # --quiet, as for every command that prints a summary
    fitted = normkit.load(stats)
    with np.load(path) as arrays:
        assert list(arrays["names"]) == list(data.columns)
        for key, expected in [
            ("mean", fitted.mean_),
            ("scale", fitted.scale_),
            ("var", fitted.var_),
            ("count", fitted.stats_.count),
            ("running_mean", fitted.ema_.running_mean),
            ("running_var", fitted.ema_.running_var),
        ]:
            assert same_bits(arrays[key], np.asarray(expected, dtype=np.float64)), key


@pytest.mark.parametrize(
    "flags", [("--no-std",), ("--no-mean",), ("--no-mean", "--no-std"), ("--weight-column", "w")]
)
def test_numpy_export_says_what_the_transform_divides_by(tmp_path, flags):
    """Without scaling (or centering) the transform divides by 1 (subtracts 0), while the
    statistics' scale (mean) is still the data's: the arrays say both, and the flags."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"x": rng.normal(5, 3, 300), "w": rng.uniform(0.5, 2, 300)})
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    stats = tmp_path / "s.json"
    exclude = () if "--weight-column" in flags else ("--exclude", "w")
    assert_ok(run("fit", data, *exclude, *flags, "-o", stats))
    assert_ok(run("export", "-s", stats, "--to", "numpy", "-o", tmp_path / "s.npz"))
    fitted = normkit.load(stats)
    with np.load(tmp_path / "s.npz") as arrays:
        x = frame[["x"]].to_numpy()
        z = (x - arrays["center"]) / arrays["divisor"] * arrays["gamma"] + arrays["beta"]
        assert same_bits(z, fitted.transform(frame)[["x"]].to_numpy())
        assert bool(arrays["with_std"]) == ("--no-std" not in flags)
        assert bool(arrays["with_mean"]) == ("--no-mean" not in flags)
        assert ("weight" in arrays) == ("--weight-column" in flags)


def test_export_refuses_what_it_cannot_do(cancer, tmp_path):
    _, _, stats, _ = cancer
    assert_error(run("export", "-s", stats, "--to", "onnx", "-o", stats), 1, "would overwrite")
    assert_error(run("export", "-s", tmp_path / "no.json", "--to", "onnx", "-o", tmp_path / "m"), 1)
    result = run("export", "-s", stats, "--to", "tflite", "-o", tmp_path / "m")
    assert result.exit_code == 2
    # A transform's settings with NumPy arrays (which hold the statistics as fitted) are refused,
    # not ignored.
    for option in (["--use", "ema"], ["--gamma", "2"], ["--inputs", "columns"]):
        result = run("export", "-s", stats, "--to", "numpy", *option, "-o", tmp_path / "n.npz")
        assert result.exit_code == 2, (option, result.output)
        assert option[0] in result.stderr
    assert not (tmp_path / "n.npz").exists()
    plain = tmp_path / "plain.json"
    frame = pd.DataFrame({"x": [1.0, 2.0, 4.0]})
    frame.to_csv(tmp_path / "p.csv", index=False)
    assert_ok(run("fit", tmp_path / "p.csv", "--no-ema", "-o", plain, "-q"))
    message = assert_error(
        run("export", "-s", plain, "--to", "onnx", "--use", "ema", "-o", tmp_path / "m"), 1
    )
    assert "running" in message
    assert not (tmp_path / "m").exists()


def test_columns_named_like_the_models_own_tensors(tmp_path):
    # As one input per column, "center" or "X" are just names; "Y" (the output) is refused.
    frame = pd.DataFrame({"center": np.arange(10.0), "X": np.arange(10.0) ** 2})
    stats = normkit.Standardizer().fit(frame)
    model = normkit.to_onnx(stats, inputs="columns")
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {name: frame[[name]].to_numpy() for name in frame.columns}
    assert same_bits(session.run(["Y"], feeds)[0], stats.transform(frame).to_numpy())
    with pytest.raises(normkit.OptionError, match="'Y' cannot name an input"):
        normkit.to_onnx(
            normkit.Standardizer().fit(frame.rename(columns={"X": "Y"})), inputs="columns"
        )


def test_an_empty_column_name_cannot_name_an_input_of_the_model(tmp_path):
    # An empty name (a pandas frame's '' column) stopped in onnx's ValidationError traceback.
    path, stats = tmp_path / "e.parquet", tmp_path / "e.json"
    pd.DataFrame({"": [1.0, 2, 3, 4], "b": [5.0, 6, 8, 9]}).to_parquet(path, index=False)
    assert_ok(run("fit", path, "-o", stats, "-q"))
    message = assert_error(
        run("export", "-s", stats, "--to", "onnx", "--inputs", "columns", "-o", tmp_path / "m"), 2
    )
    assert message == (
        "normkit: error: column '' cannot name an input of the model (the output is 'Y', "
        "'normkit/' names its own tensors, and an empty name is no input); export one matrix "
        "input instead"
    )
    assert not (tmp_path / "m").exists()
    with pytest.raises(normkit.OptionError, match=r"column '' cannot name an input"):
        normkit.to_onnx(str(stats), inputs="columns")
    model = normkit.to_onnx(str(stats))  # one matrix input: the columns need no names
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    X = np.array([[1.0, 5.0], [4.0, 9.0]])
    want = normkit.load(stats).transform(X)
    assert same_bits(session.run(["Y"], {"X": X})[0], want)
