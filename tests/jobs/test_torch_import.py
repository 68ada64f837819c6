"""``normkit import-torch``: a trained model's BatchNorm buffers (safetensors) as a stat file that
drift and report check new data against; the round trip with ``export --to torch``; and every
refusal, in one line, without a partial output."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import (
    assert_error,
    run,
    run_normkit,
)
from safetensors.torch import save_file

import normkit
from normkit.stats import statfile

COLUMNS = ["a", "b", "c"]
BATCH = 64


def make_frame(rng: np.random.Generator, rows: int, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": rng.normal(5.0, 2.0, rows) + shift * 2.0,  # shifted by `shift` sds
            "b": rng.normal(-300.0, 40.0, rows),
            "c": rng.exponential(3.0, rows),
        }
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model whose first layer, a BatchNorm1d, was trained on 20,000 rows in batches of 64,
    saved as a safetensors state dict; with data like the training data and data shifted."""
    tmp = tmp_path_factory.mktemp("torch")
    rng = np.random.default_rng(2026)
    train = make_frame(rng, 20_000)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.BatchNorm1d(4)
    )
    model.train()
    x = torch.tensor(train.to_numpy(dtype=np.float32))
    with torch.no_grad():
        for start in range(0, len(x) - BATCH + 1, BATCH):  # whole batches only
            model(x[start : start + BATCH])
    state = tmp / "model.safetensors"
    save_file(model.state_dict(), str(state))
    make_frame(rng, 5_000).to_csv(tmp / "same.csv", index=False)
    make_frame(rng, 5_000, shift=0.5).to_csv(tmp / "shifted.csv", index=False)
    return tmp, state, model


def test_a_trained_layer_becomes_a_stat_file_that_drift_and_report_use(trained):
    tmp, state, model = trained
    stats = tmp / "stats.json"
    done = run_normkit(
        "import-torch", state, "--layer", "0", "--columns", "a,b,c", "--batch-size", BATCH,
        "-o", stats,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    layer = model[0]
    batches = int(layer.num_batches_tracked)
    assert batches == 20_000 // BATCH
    # At PyTorch's momentum 0.1 the running statistics weigh like a mean of the last
    # (2 - 0.1) / 0.1 = 19 batches: that many count, not every batch seen.
    assert done.stderr.decode() == (
        f"normkit: imported 3 columns of BatchNorm layer 0 ({BATCH * 19:,} rows: batch size "
        f"{BATCH} x 19 batches (the running statistics' window; {batches} seen); eps 1e-05: "
        f"PyTorch's default) -> {stats}\n"
    )
    fitted = normkit.load(stats)
    assert list(fitted.feature_names_in_) == COLUMNS
    np.testing.assert_array_equal(fitted.mean_, layer.running_mean.double().numpy())
    np.testing.assert_array_equal(fitted.var_, layer.running_var.double().numpy())
    np.testing.assert_array_equal(fitted.n_samples_seen_, np.full(3, BATCH * 19))
    assert fitted.ddof == 0
    assert fitted.eps == 1e-5
    np.testing.assert_array_equal(fitted.gamma_, layer.weight.double().detach().numpy())
    assert np.isnan(fitted.min_).all()
    assert np.isnan(fitted.max_).all()
    assert fitted.sketch_ is None
    imported = fitted.provenance_["imported"]
    assert imported["layer"] == "0"
    assert imported["num_batches_tracked"] == batches
    assert "missing" in imported["unknown"]
    # normkit's exact transform with these statistics is the layer's eval mode.
    layer.eval()
    new = pd.read_csv(tmp / "same.csv")
    with torch.no_grad():
        y = layer(torch.from_numpy(new.to_numpy(dtype=np.float32))).double().numpy()
    np.testing.assert_allclose(fitted.transform(new).to_numpy(), y, rtol=1e-5, atol=1e-5)
    # Drift: nothing in data like the training data, the shifted column in shifted data.
    same = run_normkit("drift", tmp / "same.csv", "-s", stats)
    assert same.returncode == 0, same.stdout.decode() + same.stderr.decode()
    out = same.stdout.decode()
    assert "no drift in 3 columns" in out
    assert "the distribution is not tested, nor missing values" in out
    shifted = run_normkit("drift", tmp / "shifted.csv", "-s", stats, "--json")
    assert shifted.returncode == 3, shifted.stderr
    report = json.loads(shifted.stdout)
    assert report["drifted"] == ["a"]
    column = report["columns"][0]
    assert column["reasons"] == ["mean"]
    assert 0.4 < column["mean_shift"] < 0.6
    assert column["p_values"]["distribution"] is None
    assert column["p_values"]["missing"] is None
    assert column["reference_missing_rate"] is None
    # A column with no value at all is tested against the layer's input, which had one in
    # every row: nothing of it could be tested, and it passed as "ok".
    pd.read_csv(tmp / "same.csv").assign(c=np.nan).to_csv(tmp / "gone.csv", index=False)
    gone = run_normkit("drift", tmp / "gone.csv", "-s", stats, "--json")
    assert gone.returncode == 3, gone.stderr
    report = json.loads(gone.stdout)
    assert report["drifted"] == ["c"]
    assert report["columns"][2]["reasons"] == ["missing"]
    assert report["columns"][2]["reference_missing_rate"] is None
    # The report draws it: the stat file's statistics beside this data's.
    page = tmp / "report.html"
    done = run_normkit("report", tmp / "shifted.csv", "-s", stats, "-o", page, "--columns", "a")
    assert done.returncode == 0, done.stderr
    assert page.read_text().count("<img") == 1
    # inspect says where the numbers came from.
    shown = run("inspect", stats)
    assert "imported   a PyTorch BatchNorm layer's state dict, layer 0" in shown.stdout


def test_rows_given_and_a_layer_at_the_top_level(trained, tmp_path):
    _, _, model = trained
    state = tmp_path / "bn.safetensors"
    save_file(model[0].state_dict(), str(state))
    stats = tmp_path / "stats.json"
    result = run("import-torch", state, "--columns", "x, y ,z", "--rows", "12345", "-o", stats)
    assert "layer (top level) (12,345 rows: rows given" in result.stderr
    fitted = normkit.load(stats)
    assert list(fitted.feature_names_in_) == ["x", "y", "z"]
    assert fitted.n_rows_seen_ == 12345
    # --no-affine leaves the weight and bias out; --eps is the layer's.
    result = run(
        "import-torch", state, "--columns", "x,y,z", "--rows", "9", "--no-affine", "--eps",
        "0.001", "-o", stats,
    )  # fmt: skip
    assert_ok_result(result)
    fitted = normkit.load(stats)
    np.testing.assert_array_equal(fitted.gamma_, np.ones(3))
    assert fitted.eps == 1e-3
    np.testing.assert_array_equal(fitted.scale_, np.sqrt(fitted.var_ + 1e-3))


def assert_ok_result(result) -> None:
    assert result.exit_code == 0, (result.stderr, result.exception)


def test_bfloat16_buffers_are_read_exactly(tmp_path):
    layer = torch.nn.BatchNorm1d(2, dtype=torch.bfloat16)
    with torch.no_grad():
        layer.running_mean.copy_(torch.tensor([1.5, -3.25]))
        layer.running_var.copy_(torch.tensor([0.75, 8.0]))
    state = tmp_path / "bf16.safetensors"
    save_file(layer.state_dict(), str(state))
    fitted = normkit.import_torch(state, ["p", "q"], rows=10)
    np.testing.assert_array_equal(fitted.mean_, [1.5, -3.25])
    np.testing.assert_array_equal(fitted.var_, [0.75, 8.0])


def test_one_column_is_told_as_one(tmp_path):
    state = tmp_path / "one.safetensors"
    save_file(torch.nn.BatchNorm1d(1).state_dict(), str(state))
    result = run("import-torch", state, "--columns", "x", "--rows", "5", "-o", tmp_path / "s.json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("normkit: imported 1 column of BatchNorm layer (top level)")


# -- the round trip -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted_file(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roundtrip")
    rng = np.random.default_rng(5)
    frame = make_frame(rng, 4_000)
    frame.loc[::50, "b"] = np.nan
    frame["constant"] = 4.2
    frame["city"] = rng.choice(["Oslo", "Lima"], len(frame))
    frame.to_csv(tmp / "train.csv", index=False)
    stats = tmp / "stats.json"
    assert run_normkit("fit", tmp / "train.csv", "-q", "-o", stats).returncode == 0
    return tmp, stats


@pytest.mark.parametrize(("use", "dtype"), [("exact", "float32"), ("ema", "float64")])
def test_an_untouched_export_imports_back_as_the_statistics_it_was_made_from(
    fitted_file, use, dtype
):
    tmp, stats = fitted_file
    state = tmp / f"{use}.safetensors"
    back = tmp / f"{use}.json"
    done = run_normkit(
        "export", "-s", stats, "--to", "torch", "--use", use, "--dtype", dtype, "-o", state
    )
    assert done.returncode == 0, done.stderr
    done = run_normkit("import-torch", state, "-o", back)
    assert done.returncode == 0, done.stderr
    # The eps the layer normalizes with: the running statistics' (1e-5) where it holds them.
    eps = "1e-05" if use == "ema" else "0"
    assert f"eps {eps}: recorded by normkit".encode() in done.stderr
    # The same eps given (the layer's, as the user knows it) gives the same statistics back;
    # another is refused for what it is, not blamed on training.
    again = tmp / f"{use}_eps.json"
    done = run_normkit("import-torch", state, "--eps", eps, "-o", again)
    assert done.returncode == 0, done.stderr
    docs = [statfile.to_document(statfile.read(p)) for p in (again, back)]
    assert [d["columns"] for d in docs[:1]] == [d["columns"] for d in docs[1:]]
    other = assert_error(run("import-torch", state, "--eps", "0.5", "-o", tmp / "x.json"), 2)
    assert f"the eps given (0.5) is not the one normkit's export recorded ({float(eps):g})" in other
    assert "trained since" not in other
    original = statfile.read(stats)
    restored = statfile.read(back)
    a, b = statfile.to_document(original), statfile.to_document(restored)
    # Everything but the categories of the text column (no business of the layer's) and the
    # provenance, bit for bit: constant column, counts, range, moments, sketch, running ones.
    for doc in (a, b):
        doc.pop("provenance")
    a.pop("categories")
    # And the transform's default: the layer's eval mode, which the file says, not its
    # provenance (without which the running statistics were taken for exact ones, exit 0).
    assert b["ema"].pop("applied", False) == (use == "ema")
    assert a == b
    assert restored.default_use == use
    bare = json.loads(back.read_text())
    del bare["provenance"]  # anonymized, say: the same transform
    assert statfile.parse(json.dumps(bare)).default_use == use
    assert restored.provenance["imported"]["exported"]["use"] == use
    assert restored.provenance["sources"] == original.provenance["sources"]
    # So drift tests every fitted column, the distribution included, and finds nothing in the
    # fitted data; the text column, whose counts the layer does not keep, it names as unchecked.
    report = json.loads(run_normkit("drift", tmp / "train.csv", "-s", back, "--json").stdout)
    assert report["drifted"] == []
    assert report["columns"][0]["p_values"]["distribution"] is not None
    assert report["notes"] == [
        "the statistics keep no category counts of columns passed through, not checked: 'city'"
    ]
    # And a transform with it normalizes as the layer's eval mode, by the statistics it holds
    # (the exact ones were the default, whatever the layer held).
    columns = json.loads(safe_metadata(state)["columns"])
    frame = pd.read_csv(tmp / "train.csv")[columns].dropna()
    frame.to_csv(tmp / "plain.csv", index=False)
    z = tmp / f"{use}_z.csv"
    assert run_normkit("transform", tmp / "plain.csv", "-s", back, "-o", z).returncode == 0
    layer = normkit.to_torch(stats, use=use, dtype=dtype).eval()
    with torch.no_grad():
        x = torch.from_numpy(frame.to_numpy(dtype=np.dtype(dtype)))
        expected = layer(x).numpy().astype(np.float64)
    got = pd.read_csv(z)[columns].to_numpy()
    tolerance = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
    assert normkit.Standardizer.load(back).stats_.default_use == use
    shown = run_normkit("inspect", back).stdout.decode()
    assert ("transform uses them unless --use says" in shown) == (use == "ema")
    # An ONNX export of them says which, as a transform uses them.
    import onnx

    model_path = tmp / f"{use}.onnx"
    assert run_normkit("export", "-s", back, "--to", "onnx", "-o", model_path).returncode == 0
    model = onnx.load(str(model_path))
    assert {p.key: p.value for p in model.metadata_props}["statistics"] == use


def safe_metadata(path) -> dict:
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as f:
        return f.metadata()


def test_a_layer_trained_after_export_is_read_from_its_own_buffers(fitted_file, tmp_path):
    tmp, stats = fitted_file
    state = tmp_path / "bn.safetensors"
    assert run("export", "-s", stats, "--to", "torch", "-o", state).exit_code == 0
    from safetensors import safe_open

    with safe_open(str(state), framework="np") as f:
        metadata = f.metadata()
    layer = normkit.to_torch(stats)
    layer.train()
    frame = pd.read_csv(tmp / "train.csv")[json.loads(metadata["columns"])].fillna(0.0)
    with torch.no_grad():
        for start in range(0, 640, BATCH):
            layer(torch.from_numpy(frame.to_numpy(dtype=np.float32)[start : start + BATCH]))
    save_file(layer.state_dict(), str(state), metadata=metadata)  # metadata kept, buffers moved
    message = assert_error(run("import-torch", state, "-o", tmp_path / "s.json"), 2)
    assert "no longer those normkit exported" in message
    assert "--rows" in message
    assert "--batch-size" in message
    result = run("import-torch", state, "--batch-size", BATCH, "-o", tmp_path / "s.json")
    assert_ok_result(result)
    fitted = normkit.load(tmp_path / "s.json")
    np.testing.assert_array_equal(fitted.mean_, layer.running_mean.double().numpy())
    assert list(fitted.feature_names_in_) == json.loads(metadata["columns"])
    assert fitted.eps == json.loads(metadata["eps"])  # the layer's, from the metadata
    # The export recorded PyTorch's momentum 0.1: a window of 19 batches at most.
    assert fitted.n_rows_seen_ == BATCH * min(19, int(layer.num_batches_tracked))


def test_the_cumulative_average_counts_every_batch(trained):
    tmp, state, model = trained
    stats = tmp / "cumulative.json"
    done = run_normkit(
        "import-torch", state, "--layer", "0", "--columns", "a,b,c", "--batch-size", BATCH,
        "--momentum", "cumulative", "-o", stats,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert normkit.load(stats).n_rows_seen_ == BATCH * int(model[0].num_batches_tracked)


def test_a_float32_export_that_the_export_now_refuses_still_imports_back(tmp_path):
    # An older normkit exported N(1e9, 1) in float32 (its check looked at the mean only); the
    # file still holds the statistics it was made from, and gives them back.
    rng = np.random.default_rng(4)
    noise = rng.normal(size=500)
    frame = pd.DataFrame({"big": 1e9 - 0.0012 + noise - noise.mean()})
    fitted = normkit.Standardizer().fit(frame)
    with pytest.raises(normkit.OptionError, match="column 'big': float32 rounds its values"):
        normkit.to_torch_state(fitted, use="exact")
    wide = normkit.to_torch_state(fitted, use="exact", dtype="float64")
    buffers = {k: torch.from_numpy(v if v.dtype.kind == "i" else v.astype(np.float32))
               for k, v in wide.state_dict.items()}  # fmt: skip
    state = tmp_path / "old.safetensors"
    save_file(buffers, str(state), metadata={**wide.metadata, "dtype": "float32"})
    done = run_normkit("import-torch", state, "-o", tmp_path / "back.json")
    assert done.returncode == 0, done.stderr
    assert b"recorded by normkit" in done.stderr
    back = normkit.load(tmp_path / "back.json")
    np.testing.assert_array_equal(back.mean_, fitted.mean_)
    np.testing.assert_array_equal(back.var_, fitted.var_)


def test_statistics_of_a_layer_say_why_they_have_no_running_ones(trained, tmp_path):
    # A layer's running statistics became the imported mean and variance: asking for running
    # statistics is told so, and that the plain transform is the layer's eval mode (not "fit
    # them again": there is no data to fit).
    tmp, state, _ = trained
    stats = tmp_path / "s.json"
    assert (
        run_normkit(
            "import-torch",
            state,
            "--layer",
            "0",
            "--rows",
            "20000",
            "--columns",
            "a,b,c",
            "-o",
            stats,
        ).returncode
        == 0
    )
    for how in (["--use", "ema"], ["--mode", "adaptive"]):
        message = assert_error(
            run("transform", tmp / "same.csv", "-s", stats, *how, "-o", tmp_path / "z.csv"), 1
        )
        assert "imported from a BatchNorm layer" in message
        assert "a frozen transform (without --use ema) normalizes as its eval mode" in message
        assert "fit them again" not in message


@pytest.mark.parametrize(("given", "recorded"), [("0.03", 0.03), ("cumulative", None)])
def test_the_momentum_told_to_import_travels_to_an_export(trained, tmp_path, given, recorded):
    # The layer's momentum, given to count its rows, is recorded with the statistics: an
    # export of them (and the layer to_torch makes) has it, not PyTorch's default 0.1.
    _, state, _ = trained
    stats = tmp_path / "s.json"
    told = ["--batch-size", str(BATCH), "--momentum", given, "--columns", "a,b,c"]
    assert run_normkit("import-torch", state, "--layer", "0", *told, "-o", stats).returncode == 0
    out = tmp_path / "again.safetensors"
    assert run_normkit("export", "-s", stats, "--to", "torch", "-o", out).returncode == 0
    assert json.loads(safe_metadata(out)["momentum"]) == recorded
    assert normkit.to_torch(stats).momentum == recorded
    # Not told (rows given): PyTorch's default, as before.
    plain = tmp_path / "plain.json"
    told = ["--rows", "20000", "--columns", "a,b,c"]
    assert run_normkit("import-torch", state, "--layer", "0", *told, "-o", plain).returncode == 0
    assert normkit.to_torch(plain).momentum == 0.1
