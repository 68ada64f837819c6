"""The library's jobs that take an ``output`` write it, as the command that runs them does: a
fit's or an import's stat file is written (atomically) where ``output`` names it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from conftest import TMP_MARK
from safetensors.torch import save_file

import normkit


def test_fit_files_writes_the_stat_file_named_by_output(tmp_path):
    pd.DataFrame({"x": [1.0, 2.0, 6.0], "y": [0.5, 0.25, 4.0]}).to_csv(
        tmp_path / "train.csv", index=False
    )
    fitted = normkit.fit_files(tmp_path / "train.csv", output=tmp_path / "stats.json")
    assert (tmp_path / "stats.json").read_text() == normkit.dumps(fitted)
    assert normkit.load(tmp_path / "stats.json").mean_.tolist() == [3.0, 1.5833333333333333]
    assert not [p for p in tmp_path.iterdir() if TMP_MARK in p.name]


def test_fit_files_without_output_writes_nothing(tmp_path):
    pd.DataFrame({"x": [1.0, 2.0, 6.0]}).to_csv(tmp_path / "train.csv", index=False)
    normkit.fit_files(tmp_path / "train.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.csv"]


def test_import_torch_writes_the_stat_file_named_by_output(tmp_path):
    layer = torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        layer.running_mean.copy_(torch.tensor([1.0, -2.0]))
        layer.running_var.copy_(torch.tensor([4.0, 0.25]))
    save_file(layer.state_dict(), str(tmp_path / "state.safetensors"))
    fitted = normkit.import_torch(
        tmp_path / "state.safetensors", ["a", "b"], rows=100, output=tmp_path / "stats.json"
    )
    assert (tmp_path / "stats.json").read_text() == normkit.dumps(fitted)
    np.testing.assert_array_equal(normkit.load(tmp_path / "stats.json").mean_, [1.0, -2.0])
