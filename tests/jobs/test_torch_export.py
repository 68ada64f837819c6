"""Export to PyTorch: the state dict of a ``torch.nn.BatchNorm1d`` (safetensors), loaded into a
real layer with ``load_state_dict(strict=True)``, whose eval mode equals normkit's frozen
transform (exact and running statistics) to rounding."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors import safe_open
from safetensors.numpy import load_file

import normkit
from normkit import EmaOptions, Standardizer

#: Agreement asked of the layer's output, relative to each column's conditioning
#: (max |x| / scale + 1): torch multiplies by 1 / sqrt(var + eps) where normkit divides.
TOLERANCE = {"float64": 1e-12, "float32": 1e-6}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 3000
    x = rng.normal(5.0, 2.0, n)
    x[::13] = np.nan  # missing values count in the statistics as in any fit
    return pd.DataFrame(
        {
            "x": x,
            "offset": 100.0 + rng.normal(0.0, 0.5, n),
            "tiny": rng.normal(0.0, 1e-4, n),
            "skewed": rng.exponential(3.0, n),
            "constant": np.full(n, 4.2),  # scale 1 by scikit-learn's rule (exact), var 0
        }
    )


@pytest.fixture(scope="module")
def fitted(frame) -> Standardizer:
    return Standardizer(ema=EmaOptions(batch_size=64, eps=1e-3)).fit(frame)


def layer_output(layer: torch.nn.Module, frame: pd.DataFrame, dtype: str) -> np.ndarray:
    x = torch.from_numpy(np.nan_to_num(frame.to_numpy(dtype=np.float64))).to(getattr(torch, dtype))
    with torch.no_grad():
        return layer(x).numpy().astype(np.float64)


def assert_same_transform(layer, stats: Standardizer, frame, use: str, dtype: str) -> None:
    y = layer_output(layer, frame, dtype)
    z = stats.transform(frame.fillna(0.0), use=use).to_numpy(dtype=np.float64)
    scale = stats.scale_ if use == "exact" else np.sqrt(stats.ema_.running_var + 1e-3)
    conditioning = np.nanmax(np.abs(frame.to_numpy()), axis=0) / scale + 1.0
    assert np.all(np.abs(y - z) <= TOLERANCE[dtype] * conditioning), (use, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("use", ["exact", "ema"])
def test_the_state_dict_loads_strictly_and_equals_normkits_transform(
    fitted, frame, tmp_path, use, dtype
):
    path = tmp_path / "bn.safetensors"
    normkit.export_stats(fitted, "torch", path, use=use, dtype=dtype)
    state = load_file(str(path))
    assert sorted(state) == sorted(
        ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    )
    assert state["num_batches_tracked"].shape == ()
    assert state["num_batches_tracked"].dtype == np.int64
    assert state["running_mean"].dtype == np.dtype(dtype)
    with safe_open(str(path), framework="np") as f:
        metadata = f.metadata()
    columns = json.loads(metadata["columns"])
    assert columns == list(frame.columns)
    eps, momentum = json.loads(metadata["eps"]), json.loads(metadata["momentum"])
    # Built as the metadata says, the layer takes the state dict whole (strict).
    layer = torch.nn.BatchNorm1d(
        len(columns), eps=eps, momentum=momentum, dtype=getattr(torch, dtype)
    )
    layer.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    layer.eval()
    assert_same_transform(layer, fitted, frame, use, dtype)
    if use == "exact":
        # eps 0 and running_var = scale**2: the layer divides by normkit's scale, 1 for the
        # constant column; no batch made these statistics.
        assert eps == 0.0
        assert int(state["num_batches_tracked"]) == 0
        if dtype == "float64":
            np.testing.assert_array_equal(np.sqrt(state["running_var"]), fitted.scale_)
            np.testing.assert_array_equal(state["running_mean"], fitted.mean_)
    else:
        assert eps == 1e-3
        assert momentum == 0.1
        assert int(state["num_batches_tracked"]) == fitted.ema_.n_batches
        if dtype == "float64":
            np.testing.assert_array_equal(state["running_var"], fitted.ema_.running_var)
    # to_torch builds the same layer, in eval mode.
    ready = normkit.to_torch(fitted, use=use, dtype=dtype)
    assert not ready.training
    assert ready.eps == eps
    np.testing.assert_array_equal(
        layer_output(ready, frame, dtype), layer_output(layer, frame, dtype)
    )


def test_the_running_statistics_are_the_default_and_gamma_and_beta_are_the_affine_ones(frame):
    stats = Standardizer(gamma={"x": 2.0}, beta=0.5).fit(frame)
    state = normkit.to_torch_state(stats)
    assert state.metadata["use"] == "ema"
    np.testing.assert_array_equal(state.state_dict["weight"], np.float32([2.0, 1, 1, 1, 1]))
    np.testing.assert_array_equal(state.state_dict["bias"], np.full(5, 0.5, dtype=np.float32))
    # Given ones replace them, as for ONNX.
    other = normkit.to_torch_state(stats, use="exact", dtype="float64", gamma=3.0, beta={"x": -1.0})
    np.testing.assert_array_equal(other.state_dict["weight"], np.full(5, 3.0))
    # (the columns a mapping does not name keep those stored, as for transforms)
    np.testing.assert_array_equal(other.state_dict["bias"], [-1.0, 0.5, 0.5, 0.5, 0.5])
    layer = normkit.to_torch(stats, use="exact", dtype="float64", gamma=3.0, beta={"x": -1.0})
    y = layer_output(layer, frame, "float64")
    z = stats.transform(frame.fillna(0.0), gamma=3.0, beta={"x": -1.0}).to_numpy()
    np.testing.assert_allclose(y, z, rtol=1e-12, atol=1e-12)
    # Without running statistics, the exact ones, and PyTorch's momentum.
    plain = Standardizer(ema=None).fit(frame)
    state = normkit.to_torch_state(plain)
    assert (state.metadata["use"], state.momentum, state.eps) == ("exact", 0.1, 0.0)
    assert "convention" not in state.metadata


@pytest.mark.parametrize(
    ("ema", "momentum"),
    [
        # Keras' momentum weighs the old state: 0.99 is 0.01 (not 1 - 0.99 in float,
        # 0.010000000000000009, which the running statistics use as Keras does).
        (EmaOptions(convention="keras"), 0.01),
        (EmaOptions(convention="keras", momentum=0.9), 0.1),
        (EmaOptions(momentum=0.01), 0.01),
        (EmaOptions(momentum="cumulative"), None),  # PyTorch's momentum=None
    ],
)
def test_the_momentum_is_pytorchs(frame, ema, momentum):
    stats = Standardizer(ema=ema).fit(frame)
    state = normkit.to_torch_state(stats, dtype="float64")
    assert state.momentum == momentum
    assert json.loads(state.metadata["momentum"]) == momentum
    assert state.metadata["convention"] == ema.convention
    assert state.eps == ema.eps_value
    layer = normkit.to_torch(stats, dtype="float64")
    assert layer.momentum == momentum
    assert_same_transform_ema(layer, stats, frame, ema.eps_value)


def assert_same_transform_ema(layer, stats, frame, eps) -> None:
    y = layer_output(layer, frame, "float64")
    z = stats.transform(frame.fillna(0.0), use="ema").to_numpy()
    scale = np.sqrt(stats.ema_.running_var + eps)
    conditioning = np.nanmax(np.abs(frame.to_numpy()), axis=0) / scale + 1.0
    assert np.all(np.abs(y - z) <= 1e-12 * conditioning)


def test_without_centering_or_scaling(frame):
    stats = Standardizer(with_mean=False, with_std=False).fit(frame)
    for use in ("exact", "ema"):
        layer = normkit.to_torch(stats, use=use, dtype="float64")
        x = frame.fillna(0.0)
        np.testing.assert_array_equal(layer_output(layer, x, "float64"), x.to_numpy())


def test_float32_refuses_a_column_whose_values_and_mean_it_would_round_by_a_share_of_the_scale():
    rng = np.random.default_rng(3)
    far = pd.DataFrame({"ok": rng.normal(size=500), "far": 1e9 + rng.normal(size=500)})
    stats = Standardizer().fit(far)
    with pytest.raises(
        normkit.OptionError,
        match=r"column 'far': float32 rounds its values \(up to 1e\+09\) by up to 32 and its mean",
    ) as info:
        normkit.to_torch_state(stats, use="exact")
    assert info.value.param == "dtype"
    assert "dtype='float64'" in str(info.value)
    state = normkit.to_torch_state(stats, use="exact", dtype="float64")
    assert state.state_dict["running_mean"][1] == stats.mean_[1]
    # A variance float32 cannot hold.
    wide = Standardizer().fit(pd.DataFrame({"w": [0.0, 1e20, -1e20, 5e19]}))
    with pytest.raises(normkit.OptionError, match="its variance"):
        normkit.to_torch_state(wide, use="exact")


def test_float32_refuses_values_it_cannot_tell_apart_however_well_it_keeps_the_mean():
    # A user's column: N(1e9, 1), whose mean float32 rounds by 0.0012 only (1e9 is a float32),
    # but whose values it keeps to multiples of 64: the layer output 0.0 for every row.
    rng = np.random.default_rng(4)
    noise = rng.normal(size=1000)
    big = pd.DataFrame(
        {"ok": rng.normal(5.0, 2.0, 1000), "big": 1e9 - 0.0012 + noise - noise.mean()}
    )
    stats = Standardizer(ema=EmaOptions(batch_size=64)).fit(big)
    assert abs(float(np.float32(stats.mean_[1])) - stats.mean_[1]) < 0.01 * stats.scale_[1]
    for use in ("exact", "ema"):
        with pytest.raises(
            normkit.OptionError,
            match=r"column 'big': float32 rounds its values \(up to 1e\+09\) by up to 32 ",
        ) as info:
            normkit.to_torch(stats, use=use)
        assert info.value.param == "dtype"
        assert str(info.value).endswith("beyond the 0.01 allowed; export dtype='float64'")
        # float64, as told, keeps every row apart.
        layer = normkit.to_torch(stats, use=use, dtype="float64")
        assert np.unique(layer_output(layer, big, "float64")[:, 1]).size == len(big)


def test_float32_keeps_a_constant_column_whatever_its_value_but_not_an_uncentered_blur():
    # A constant column comes out 0 in float32 too (its values and its center round alike),
    # whether float32 holds its value or not; a column not centered whose values float32
    # cannot tell apart (1e9 with std 1: multiples of 64) is refused as a centered one is.
    rng = np.random.default_rng(6)
    data = pd.DataFrame(
        {
            "x": rng.normal(size=500),
            "stamp": np.full(500, 1.7e9),
            "ms": np.full(500, 1733400000123.0),  # not a float32
            "t": rng.normal(1e9, 1.0, 500),
        }
    )
    constant = Standardizer(columns=["x", "stamp", "ms"], ema=False).fit(data)
    layer = normkit.to_torch(constant, use="exact")
    out = layer_output(layer, data[["x", "stamp", "ms"]], "float32")
    assert (out[:, 1:] == 0.0).all()
    uncentered = Standardizer(columns=["t"], with_mean=False, ema=False).fit(data)
    with pytest.raises(normkit.OptionError, match="column 't': float32 rounds its values"):
        normkit.to_torch(uncentered, use="exact")


def test_float32_refuses_a_constant_column_its_running_statistics_do_not_map_to_0():
    # A user's trial: k constant at 1234567.891, batches of 16. The running mean only nears k
    # (k * (1 - 0.9**n)) and the running variance falls to 0.9**n, so the float32 layer's k
    # was 44512.996 where normkit's --use ema gives 44514.626, and the export said nothing.
    rng = np.random.default_rng(12)
    n = 1000
    data = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(5.0, 2.0, n),
            "c": rng.normal(size=n),
            "k": np.full(n, 1234567.891),
        }
    )
    stats = Standardizer(ema=EmaOptions(batch_size=16)).fit(data)
    with pytest.raises(normkit.OptionError, match=r"column 'k': float32 rounds its values") as info:
        normkit.to_torch(stats)
    assert str(info.value).endswith("export dtype='float64'")
    layer = normkit.to_torch(stats, dtype="float64")
    z = stats.transform(data, use="ema").to_numpy()
    np.testing.assert_allclose(layer_output(layer, data, "float64"), z, rtol=1e-12)
    # With the exact statistics the constant column is centered on its value: 0 out, kept.
    out = layer_output(normkit.to_torch(stats, use="exact"), data, "float32")
    assert (out[:, 3] == 0.0).all()


def test_an_accepted_float32_layer_keeps_normalized_values_to_the_documented_precision():
    rng = np.random.default_rng(9)
    n = 3000
    frame = pd.DataFrame(
        {
            "ordinary": rng.normal(-1e6, 1e3, n),  # the README's: kept to about 1e-4 of a scale
            "near_limit": rng.normal(1e5, 1.0, n),  # 1e5 scales from 0: float32 keeps it to 0.4%
            "narrow": rng.normal(3.0, 0.01, n),
            "tiny": rng.normal(0.0, 1e-4, n),
        }
    )
    ema = EmaOptions(batch_size=64)
    stats = Standardizer(ema=ema).fit(frame)
    x = torch.tensor(frame.to_numpy(), dtype=torch.float32)  # as a user feeds the layer
    for use in ("exact", "ema"):
        layer = normkit.to_torch(stats, use=use)  # float32, torch's default
        with torch.no_grad():
            y = layer(x).numpy().astype(np.float64)
        z = stats.transform(frame, use=use).to_numpy()
        scale = stats.scale_ if use == "exact" else np.sqrt(stats.ema_.running_var + ema.eps_value)
        conditioning = np.max(np.abs(frame.to_numpy()), axis=0) / scale + 1.0
        assert np.all(np.abs(y - z) <= TOLERANCE["float32"] * conditioning), use
        # Within 1% of a scale, as the refusal's limit promises.
        assert np.all(np.abs(y - z) <= 0.01), (use, np.abs(y - z).max(axis=0))


def test_to_torch_without_torch_names_the_extra(fitted, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch fails
    with pytest.raises(normkit.OptionError, match=r"normkit\[torch\]"):
        normkit.to_torch(fitted)


def test_writing_needs_safetensors_only_and_names_the_extra(fitted, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    with pytest.raises(normkit.OptionError, match=r"pip install 'normkit\[torch\]'"):
        normkit.export_stats(fitted, "torch", tmp_path / "bn.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_export_notes_running_statistics_torch_training_would_not_continue(tmp_path):
    """A cumulative average of a column some batches skipped: normkit counts the column's own
    updates, the layer's one num_batches_tracked all batches, so a next training batch in torch
    is weighed otherwise (eval outputs are right). Likewise an average of batch standard
    deviations, or of Keras' biased variances. Export now says so; it said nothing."""
    from conftest import normkit_summary as ok

    rng = np.random.default_rng(21)
    n = 256
    sparse = rng.normal(3.0, 1.0, n)
    sparse[: 3 * 32] = np.nan  # the first 3 of 8 batches skip it
    data = pd.DataFrame({"a": rng.normal(size=n), "s": sparse})
    stats = Standardizer(ema=EmaOptions(batch_size=32, momentum="cumulative")).fit(data)
    assert stats.ema_.n_updates.tolist() == [8, 5]
    # The real layer, trained on one more batch, weighs it 1/9 where normkit weighs it 1/6.
    layer = normkit.to_torch(stats, dtype="float64").train()
    batch = rng.normal(10.0, 1.0, (32, 2))
    layer(torch.from_numpy(batch))
    before = stats.ema_.running_mean[1]
    weight = (layer.running_mean[1].item() - before) / (batch[:, 1].mean() - before)
    assert weight == pytest.approx(1 / 9)
    path = tmp_path / "d.csv"
    data.to_csv(path, index=False)
    cases = {
        ("--momentum", "cumulative"): "cumulative average of column 's' counts only the batches "
        "that updated it ('s': 5 of 8)",
        ("--ema-of", "std"): "they average batch standard deviations",
        ("--convention", "keras"): "they average biased batch variances (the keras convention)",
    }
    for option, told in cases.items():
        fitted = tmp_path / f"{option[1]}.json"
        ok("fit", path, "--batch-size", "32", *option, "-o", fitted)
        out = tmp_path / f"{option[1]}.safetensors"
        summary = ok("export", "-s", fitted, "--to", "torch", "--dtype", "float64", "-o", out)
        note = [line for line in summary.splitlines() if "training it further" in line]
        assert len(note) == 1, summary
        assert note[0].startswith("normkit: note: the layer's eval mode is normkit's, but ")
        assert told in note[0]
        # Not for the exact statistics: no running statistics to continue.
        out = tmp_path / f"{option[1]}_exact.safetensors"
        summary = ok("export", "-s", fitted, "--to", "torch", "--use", "exact", "-o", out)
        assert "training" not in summary
    ok("fit", path, "--batch-size", "32", "-o", tmp_path / "plain.json")
    out = tmp_path / "plain.safetensors"
    summary = ok("export", "-s", tmp_path / "plain.json", "--to", "torch", "-o", out)
    assert "training" not in summary


def test_the_same_statistics_give_the_same_bytes(fitted, tmp_path):
    # safetensors writes its metadata in a hash map's order, which changed from one file to the
    # next: the same statistics exported twice differed (a file kept beside a model, checked
    # by its hash, changed at each export).
    path = tmp_path / "stats.json"
    fitted.save(path)
    files = []
    for i in range(6):
        out = tmp_path / f"layer{i}.safetensors"
        normkit.export_stats(str(path), "torch", str(out))
        files.append(out.read_bytes())
    assert all(f == files[0] for f in files)
    # Still a safetensors file that safetensors reads, its metadata whole.
    with safe_open(str(tmp_path / "layer0.safetensors"), "np") as f:
        assert json.loads(f.metadata()["columns"]) == list(fitted.feature_names_in_)
    assert set(load_file(str(tmp_path / "layer0.safetensors"))) == {
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    }
