"""The commands ``normkit export --to torch`` and ``normkit import-torch`` as a user runs them:
real files, real processes for the pipelines, and every mistake refused in one line that names
the file, with the exit code of its kind and no output left behind."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import (
    assert_error,
    assert_ok,
    assert_one_line_error,
    assert_usage_error,
    leftovers,
    normkit_error,
    run,
    run_normkit,
)
from safetensors.numpy import load
from safetensors.torch import save_file

import normkit
from normkit import EmaOptions, Standardizer


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model with two BatchNorm layers ('0' and '3'), trained on 20,000 rows in batches of
    64 (312 batches), as a safetensors state dict."""
    tmp = tmp_path_factory.mktemp("model")
    rng = np.random.default_rng(7)
    x = torch.tensor(rng.normal(size=(20_000, 3)) * [2.0, 40.0, 3.0] + [5.0, -300.0, 3.0])
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.BatchNorm1d(3, dtype=torch.float64),
        torch.nn.Linear(3, 4, dtype=torch.float64),
        torch.nn.ReLU(),
        torch.nn.BatchNorm1d(4, dtype=torch.float64),
    )
    model.train()
    with torch.no_grad():
        for start in range(0, 20_000 - 63, 64):
            model(x[start : start + 64])
    state = tmp / "model.safetensors"
    save_file(model.state_dict(), str(state))
    return tmp, state, model


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"x": rng.normal(5.0, 2.0, 2000), "y": rng.exponential(3.0, 2000)})
    return frame, Standardizer(ema=EmaOptions(batch_size=64)).fit(frame)


def test_export_writes_the_state_dict_and_refuses_what_makes_no_sense(fitted, tmp_path):
    frame, estimator = fitted
    stats = tmp_path / "stats.json"
    estimator.save(stats)
    out = tmp_path / "bn.safetensors"
    result = run("export", "-s", stats, "--to", "torch", "--dtype", "float64", "-o", out)
    assert_ok(result)
    assert result.stderr == f"normkit: wrote {out} (torch; columns 'x', 'y' in this order)\n"
    layer = normkit.to_torch(stats, dtype="float64")
    state = load(out.read_bytes())
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(state[key], value.numpy())
    before = out.read_bytes()
    cases = [
        (["--to", "torch", "--inputs", "columns"], 2, "--inputs names the ONNX model's inputs"),
        (["--to", "onnx", "--dtype", "float64"], 2, "--dtype is the type of the torch tensors"),
        (["--to", "numpy", "--dtype", "float32"], 2, "--dtype"),
    ]
    for options, code, fragment in cases:
        assert_error(run("export", "-s", stats, *options, "-o", out), code, fragment)
    result = run("export", "-s", stats, "--to", "torch", "--dtype", "float16", "-o", out)
    assert result.exit_code == 2
    assert "float16" in result.stderr
    assert out.read_bytes() == before  # nothing half-written over it
    # A pickle's name for a safetensors file, the stat file itself, running statistics that are
    # not there.
    assert_error(
        run("export", "-s", stats, "--to", "torch", "-o", tmp_path / "bn.pt"),
        2,
        "name it with .safetensors",
    )
    assert_error(run("export", "-s", stats, "--to", "torch", "-o", stats), 1, "would overwrite")
    plain = tmp_path / "plain.json"
    Standardizer(ema=None).fit(frame).save(plain)
    message = assert_error(
        run(
            "export", "-s", plain, "--to", "torch", "--use", "ema", "-o", tmp_path / "m.safetensors"
        ),
        1,
    )
    assert "running" in message
    far = tmp_path / "far.json"
    Standardizer().fit(pd.DataFrame({"far": 1e9 + np.arange(10.0)})).save(far)
    assert_error(
        run("export", "-s", far, "--to", "torch", "-o", tmp_path / "far.safetensors"),
        2,
        f"{far}: column 'far': float32 rounds its values (up to 1e+09) by up to 32 and its "
        "running mean",
        "export --dtype float64",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bn.safetensors",
        "far.json",
        "plain.json",
        "stats.json",
    ]
    assert leftovers(tmp_path) == []


def test_float32_export_of_values_it_cannot_tell_apart_is_refused_naming_the_stat_file(tmp_path):
    """A user's data: ``big`` ~ N(1e9, 1), whose mean float32 rounds by 0.0012 only; its
    ``--use exact`` export exited 0 with a layer that gave 0.0 for every row of ``big``."""
    rng = np.random.default_rng(2)
    n = 1000
    noise = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "w": rng.uniform(0.5, 2.0, n),
            "big": 1e9 - 0.0012 + noise - noise.mean(),
            "x": rng.normal(5.0, 2.0, n),
            "far": rng.normal(-1e6, 1e3, n),  # float32 keeps it well
        }
    )
    frame.to_csv(tmp_path / "full.csv", index=False)
    stats = tmp_path / "full.json"
    done = run_normkit("fit", tmp_path / "full.csv", "--exclude", "id,w", "-q", "-o", stats)
    assert done.returncode == 0, done.stderr
    for use in ("exact", "ema"):
        out = tmp_path / f"{use}.safetensors"
        args = ("export", "-s", stats, "--to", "torch", "--use", use, "-o", out)
        line = normkit_error(2, *args, no_output=True)
        its = "its running" if use == "ema" else "its"  # the statistics the layer takes
        assert line.startswith(
            f"{stats}: column 'big': float32 rounds its values (up to 1e+09) by up to 32 and "
            f"{its} mean ("
        ), line
        assert f"times {its} scale (" in line, line
        assert line.endswith("beyond the 0.01 allowed; export --dtype float64"), line
        assert not out.exists()
    # As told: in float64, the layer is normkit's transform.
    out = tmp_path / "exact.safetensors"
    done = run_normkit(
        "export", "-s", stats, "--to", "torch", "--use", "exact", "--dtype", "float64", "-o", out
    )
    assert done.returncode == 0, done.stderr
    layer = torch.nn.BatchNorm1d(3, eps=0.0, dtype=torch.float64)
    layer.load_state_dict({k: torch.from_numpy(v) for k, v in load(out.read_bytes()).items()})
    data = frame[["big", "x", "far"]]
    with torch.no_grad():
        y = layer.eval()(torch.tensor(data.to_numpy())).numpy()
    z = normkit.load(stats).transform(data).to_numpy()
    np.testing.assert_allclose(y, z, rtol=0, atol=1e-6)
    assert leftovers(tmp_path) == []


def test_a_keras_momentum_is_exported_as_the_number_it_means(tmp_path):
    # `fit --convention keras; export --to torch` recorded momentum "0.010000000000000009"
    # (1 - 0.99 in float); the running statistics still weigh a batch by that float, as Keras.
    data, stats, out = tmp_path / "t.csv", tmp_path / "k.json", tmp_path / "k.safetensors"
    rng = np.random.default_rng(5)
    pd.DataFrame({"a": rng.normal(3, 2, 2000), "b": rng.normal(size=2000)}).to_csv(data)
    assert run_normkit("fit", data, "--convention", "keras", "-o", stats, "-q").returncode == 0
    proc = run_normkit("export", "-s", stats, "--to", "torch", "--dtype", "float64", "-o", out)
    assert proc.returncode == 0, proc.stderr.decode()
    with open(out, "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    assert header["__metadata__"]["momentum"] == "0.01"
    assert json.loads(stats.read_text())["ema"]["momentum"] == 0.99
    assert EmaOptions(convention="keras").weight == 1.0 - 0.99


def test_export_to_standard_output_in_a_pipeline(fitted, tmp_path):
    frame, stats = fitted
    stats.save(tmp_path / "stats.json")
    done = run_normkit(
        "export",
        "-s",
        tmp_path / "stats.json",
        "--to",
        "torch",
        "--use",
        "exact",
        "--dtype",
        "float64",
        "-o",
        "-",
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    state = load(done.stdout)
    layer = torch.nn.BatchNorm1d(2, eps=0.0, dtype=torch.float64)
    layer.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    layer.eval()
    with torch.no_grad():
        y = layer(torch.tensor(frame.to_numpy())).numpy()
    np.testing.assert_allclose(y, stats.transform(frame).to_numpy(), rtol=1e-12, atol=1e-12)


def test_every_mistake_is_one_line_naming_the_file_and_leaves_no_output(trained, tmp_path):
    _, model_state, model = trained
    out = tmp_path / "stats.json"

    def refused(code: int, *args, fragments=()) -> str:
        message = assert_error(run("import-torch", *args, "-o", out), code, *fragments)
        assert not out.exists()
        return message

    # Several layers: the layers found are listed.
    refused(2, model_state, "--rows", "5", fragments=("2 BatchNorm layers ('0', '3')", "--layer"))
    refused(
        2,
        model_state,
        "--layer",
        "features.1",
        fragments=("no BatchNorm layer 'features.1'", "'0', '3'"),
    )
    # Columns: missing, too few (both numbers), named twice.
    refused(
        2,
        model_state,
        "--layer",
        "0",
        "--rows",
        "5",
        fragments=("does not name the layer's 3 features", "--columns"),
    )
    refused(
        1,
        model_state,
        "--layer",
        "0",
        "--columns",
        "a,b",
        "--rows",
        "5",
        fragments=(f"{model_state}: layer '0': the layer has 3 features but 2 columns are named",),
    )
    refused(
        2,
        model_state,
        "--layer",
        "0",
        "--columns",
        "a,b,a",
        "--rows",
        "5",
        fragments=("--columns names column 'a' twice",),
    )
    # The count: missing, twice, from batches that were never tracked.
    message = refused(2, model_state, "--layer", "0", "--columns", "a,b,c")
    assert "holds no count of the rows" in message
    assert "--rows" in message
    assert "(the layer saw 312 batches)" in message
    refused(
        2,
        model_state,
        "--layer",
        "0",
        "--columns",
        "a,b,c",
        "--rows",
        "5",
        "--batch-size",
        "64",
        fragments=("--rows or --batch-size, not both",),
    )
    fresh = tmp_path / "fresh.safetensors"
    save_file(torch.nn.BatchNorm1d(2).state_dict(), str(fresh))
    refused(
        2,
        fresh,
        "--columns",
        "a,b",
        "--batch-size",
        "64",
        fragments=(f"{fresh}: num_batches_tracked 0",),
    )
    # A pickle, which could run code: refused with the way to convert it.
    pickled = tmp_path / "model.pt"
    torch.save(model.state_dict(), pickled)
    message = refused(
        1,
        pickled,
        "--rows",
        "5",
        fragments=(f"{pickled}: a PyTorch pickle file (torch.save)", "save_file(torch.load("),
    )
    assert "weights_only=True" in message
    # Not a safetensors file; no such file; no BatchNorm layer in it.
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    refused(1, text, "--rows", "5", fragments=(f"{text}: not a safetensors file",))
    refused(1, tmp_path / "none.safetensors", fragments=("none.safetensors: no such file",))
    linear = tmp_path / "linear.safetensors"
    save_file(torch.nn.Linear(2, 2).state_dict(), str(linear))
    refused(
        1, linear, "--rows", "5", fragments=(f"{linear}: holds no BatchNorm running statistics",)
    )
    # Buffers no trained layer holds.
    broken = torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        broken.running_var[1] = float("nan")
    bad = tmp_path / "nan.safetensors"
    save_file(broken.state_dict(), str(bad))
    refused(
        1,
        bad,
        "--columns",
        "a,b",
        "--rows",
        "5",
        fragments=(f"{bad}: column 'b': running_var is nan",),
    )
    # A column without spread and an eps of 0: the layer's eval mode divides by 0, where a
    # constant column's scale of 1 wrote the column raw, exit 0.
    flat = torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        flat.running_var[1] = 0.0
    constant = tmp_path / "flat.safetensors"
    save_file(flat.state_dict(), str(constant))
    # An eps below float32's smallest number is 0 in the float32 layer's sum too; a variance
    # above 0 that scikit-learn's rule would take for a constant's, with eps 0, is refused.
    with torch.no_grad():
        flat.running_var[1], flat.running_mean[1] = 1e-30, 2.0
    tiny = tmp_path / "tiny.safetensors"
    save_file(flat.state_dict(), str(tiny))
    for state, eps, fragments in (
        (constant, "0", (f"{constant}: column 'b': running_var is 0 and eps 0", "(--eps)")),
        (tiny, "0", ("column 'b': running_var is 1e-30 and eps 0: the layer's eval mode divides",)),
        (
            constant,
            "1e-50",
            ("running_var is 0 and eps 1e-50, whose sum is 0 in the layer's float32",),
        ),
    ):
        refused(1, state, "--columns", "a,b", "--rows", "5", "--eps", eps, fragments=fragments)
    zero = torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        zero.weight[0] = 0.0  # a zero-initialized weight: not a gamma
    zeroed = tmp_path / "zero.safetensors"
    save_file(zero.state_dict(), str(zeroed))
    refused(
        1,
        zeroed,
        "--columns",
        "a,b",
        "--rows",
        "5",
        fragments=("column 'a': weight is 0", "--no-affine"),
    )
    assert (
        run(
            "import-torch", zeroed, "--columns", "a,b", "--rows", "5", "--no-affine", "-o", out
        ).exit_code
        == 0
    )
    out.unlink()
    # The output: the state dict itself, or a data file's name.
    assert_error(
        run("import-torch", fresh, "--columns", "a,b", "--rows", "5", "-o", fresh),
        1,
        "would overwrite the state dict",
    )
    assert_error(
        run("import-torch", fresh, "--columns", "a,b", "--rows", "5", "-o", tmp_path / "s.parquet"),
        2,
        "a stat file is JSON",
    )
    assert_usage_error(
        run("import-torch", fresh, "--columns", "a,b", "--rows", "0"), "--rows must be"
    )
    # --momentum only turns --batch-size into rows: alone (or with --rows) it was ignored.
    for count in ([], ["--rows", "5"]):
        refused(
            2,
            fresh,
            "--columns",
            "a,b",
            *count,
            "--momentum",
            "0.5",
            fragments=("--momentum counts the batches", "with --batch-size: give both"),
        )
    assert leftovers(tmp_path) == []


def test_a_real_process_fails_in_one_line(tmp_path):
    pickled = tmp_path / "model.pth"
    torch.save(torch.nn.BatchNorm1d(2).state_dict(), pickled)
    done = run_normkit("import-torch", pickled, "--rows", "5", "-o", tmp_path / "s.json")
    assert_one_line_error(
        done.returncode, done.stderr.decode(), f"normkit: error: {pickled}: a PyTorch pickle"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pth"]


def test_neither_export_nor_import_imports_torch(trained, tmp_path):

    _, state, _ = trained
    stats = tmp_path / "stats.json"
    for args in (
        [
            "import-torch",
            str(state),
            "--layer",
            "0",
            "--columns",
            "a,b,c",
            "--rows",
            "9",
            "-o",
            str(stats),
        ],
        ["export", "-s", str(stats), "--to", "torch", "-o", str(tmp_path / "bn.safetensors")],
    ):
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from normkit_cli.main import cli; "
             "cli.main(sys.argv[1:], standalone_mode=False); print('torch' in sys.modules)", *args],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().endswith("False"), (args, done.stdout)


def test_a_safetensors_header_that_begins_like_a_pickle_is_read(tmp_path):
    # A header of 640 bytes: the file begins with 0x80 0x02, as a protocol-2 pickle does.
    data = (
        np.array([1.5, -2.0], dtype="<f4").tobytes() + np.array([4.0, 0.25], dtype="<f4").tobytes()
    )
    header = {
        "running_mean": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "running_var": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]},
    }
    text = json.dumps(header).encode()
    text += b" " * (640 - len(text))
    path = tmp_path / "odd.safetensors"
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)
    assert path.read_bytes()[:2] == b"\x80\x02"
    fitted = normkit.import_torch(path, ["p", "q"], rows=10)
    np.testing.assert_array_equal(fitted.mean_, [1.5, -2.0])
    np.testing.assert_array_equal(fitted.var_, [4.0, 0.25])
    # A real protocol-2 pickle (torch.save of old) is refused.
    legacy = tmp_path / "legacy.pt"
    torch.save(torch.nn.BatchNorm1d(2).state_dict(), legacy, _use_new_zipfile_serialization=False)
    assert legacy.read_bytes()[:2] == b"\x80\x02"
    with pytest.raises(normkit.InputError, match="a PyTorch pickle file"):
        normkit.import_torch(legacy, ["p", "q"], rows=10)


@pytest.mark.parametrize("command", ["export", "import-torch"])
def test_help_shows_examples(command):
    result = run(command, "--help")
    assert_ok(result)
    assert f"normkit {command} " in result.stdout.split("Example", 1)[1]
    assert "torch" in result.stdout


def test_damaged_metadata_and_a_bias_that_cannot_be_a_beta(tmp_path):
    layer = torch.nn.BatchNorm1d(2)
    path = tmp_path / "bn.safetensors"
    for metadata, fragment in [
        (
            {"format": "normkit.batchnorm", "columns": "[1, 2]"},
            "the metadata's 'columns' is damaged",
        ),
        (
            {"format": "normkit.batchnorm", "columns": '["a", "b"]', "eps": "-1"},
            "the metadata's 'eps' is damaged",
        ),
    ]:
        save_file(layer.state_dict(), str(path), metadata=metadata)
        assert_error(run("import-torch", path, "--rows", "5"), 1, f"{path}: {fragment}")
    with torch.no_grad():
        layer.bias[1] = float("inf")
    save_file(layer.state_dict(), str(path))
    assert_error(
        run("import-torch", path, "--columns", "a,b", "--rows", "5"),
        1,
        f"{path}: column 'b': bias is inf, which a beta cannot be (finite)",
        "--no-affine",
    )


def test_drift_names_the_columns_imported_statistics_cannot_check(tmp_path, trained):
    """An export imported back keeps no category counts: its text column went unchecked, and
    statistics imported from a model's buffers named no column of the data they lack (the
    stat file does not say which the fit passed through), both with exit 0 and no word."""
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {"x": rng.normal(size=800), "city": rng.choice(["Oslo", "Lima"], 800), "extra": 1.5}
    )
    path = tmp_path / "d.csv"
    data.drop(columns="extra").to_csv(path, index=False)
    stats, exported, back = tmp_path / "s.json", tmp_path / "s.safetensors", tmp_path / "b.json"
    assert_ok(run("fit", path, "-o", stats))
    assert_ok(run("export", "-s", stats, "--to", "torch", "--dtype", "float64", "-o", exported))
    assert_ok(run("import-torch", exported, "-o", back))
    result = run("drift", path, "-s", back, "--json")
    assert result.exit_code == 0, result.output
    notes = json.loads(result.stdout)["notes"]
    expected = "the statistics keep no category counts of columns passed through, not checked"
    assert f"{expected}: 'city'" in notes, notes
    _, state, _ = trained
    imported = tmp_path / "m.json"
    layer = ("--layer", "0", "--columns", "a,b,c", "--rows", "20000")
    assert_ok(run("import-torch", state, *layer, "-o", imported))
    new = tmp_path / "n.csv"
    pd.DataFrame(
        {"a": [5.0, 6, 4], "b": [-300.0, -280, -320], "c": [3.0, 1, 5], "label": 1}
    ).to_csv(new, index=False)
    result = run("drift", new, "-s", imported, "--json")
    notes = json.loads(result.stdout)["notes"]
    assert "the data has columns not fitted, not checked: 'label'" in notes, notes


def test_inspect_of_an_imported_layer_names_its_file_without_rows_of_its_own(trained, tmp_path):
    # 'source model.safetensors (safetensors, ? rows)' two lines above 'rows 20,000'.
    _, state, _ = trained
    stats = tmp_path / "s.json"
    args = ("--layer", "0", "--columns", "a,b,c", "--rows", "20000", "-o", stats)
    assert run_normkit("import-torch", state, *args).returncode == 0
    shown = run_normkit("inspect", stats).stdout.decode().splitlines()
    assert f"source     {state} (safetensors)" in shown
    assert "rows       20,000" in shown


def test_columns_naming_an_exports_features_in_another_order_are_refused(tmp_path):
    """`import-torch --columns b,a` of a layer whose export recorded `a, b` took the statistics
    it embedded whole and gave `a`'s to `b` (counts, range, mean), exit 0: every later transform
    normalized each column with the other's statistics."""
    data, stats, layer = tmp_path / "t.csv", tmp_path / "s.json", tmp_path / "bn.safetensors"
    data.write_text("id,a,b\n1,1,100\n2,2,300\n3,3,200\n4,4,400\n")
    run_normkit("fit", data, "--exclude", "id", "-o", stats).check_returncode()
    export = ("export", "-s", stats, "--to", "torch", "--use", "exact", "--dtype", "float64")
    run_normkit(*export, "-o", layer).check_returncode()
    back = tmp_path / "back.json"
    message = normkit_error(1, "import-torch", layer, "--columns", "b,a", "-o", back)
    assert message.startswith(
        f"{layer}: --columns names the layer's features in another order than normkit's "
        "export recorded them (a, b): 'b' is its feature 2, not 1;"
    ), message
    message = normkit_error(1, "import-torch", layer, "--columns", "id,b", "-o", back)
    assert message.startswith(f"{layer}: --columns names column 'id', which the statistics"), (
        message
    )
    assert not back.exists()
    # New names are the user's to give: taken, and said.
    renamed = run_normkit("import-torch", layer, "--columns", "x,b", "-o", back)
    assert renamed.returncode == 0, renamed.stderr
    assert f"{layer}: features renamed: a as x" in renamed.stderr.decode()
    doc = json.loads(back.read_text())
    assert [c["name"] for c in doc["columns"]] == ["x", "b"]
    assert [c["mean"] for c in doc["columns"]] == [2.5, 250.0]


def test_a_numpy_archive_is_not_called_a_pickle(fitted, tmp_path):
    _, model = fitted
    stats, arrays = tmp_path / "s.json", tmp_path / "s.npz"
    model.save(stats)
    run_normkit("export", "-s", stats, "--to", "numpy", "-o", arrays).check_returncode()
    message = normkit_error(1, "import-torch", arrays)
    assert message.startswith(f"{arrays}: a NumPy .npz archive"), message
