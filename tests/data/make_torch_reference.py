"""Make torch_batchnorm_reference.json: what torch.nn.BatchNorm1d (float64) does on fixed data.

    python tests/data/make_torch_reference.py      # needs torch; run by hand, output committed

For each momentum (0.1, 0.01, None = cumulative) and batch size, the layer (with affine weight
and bias) sees the data in consecutive batches in train mode; the file records the running mean
and variance after them, the train-mode outputs of each batch, and the eval-mode output of the
whole data afterwards. A final batch of fewer than 2 rows is not fed (BatchNorm refuses it).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

ROWS = 103
COLUMNS = ["a", "b", "c"]
WEIGHT = [1.5, 0.5, 2.0]
BIAS = [0.1, -1.0, 3.0]
EPS = 1e-5


def make_data() -> np.ndarray:
    rng = np.random.default_rng(20261122)
    x = rng.normal(size=(ROWS, 3)) * np.array([1.0, 30.0, 0.01]) + np.array([0.0, 1000.0, -5.0])
    x[50:] += np.array([2.0, 0.0, 0.0])  # a drift halfway in column a
    return x


def run(x: np.ndarray, momentum: float | None, batch_size: int) -> dict:
    layer = torch.nn.BatchNorm1d(len(COLUMNS), eps=EPS, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(WEIGHT, dtype=torch.float64))
        layer.bias.copy_(torch.tensor(BIAS, dtype=torch.float64))
    layer.train()
    train_rows = []
    with torch.no_grad():
        for start in range(0, ROWS, batch_size):
            batch = x[start : start + batch_size]
            if len(batch) < 2:
                break
            train_rows.extend(layer(torch.from_numpy(batch)).numpy().tolist())
        layer.eval()
        eval_rows = layer(torch.from_numpy(x)).numpy().tolist()
    return {
        "momentum": momentum,
        "batch_size": batch_size,
        "running_mean": layer.running_mean.numpy().tolist(),
        "running_var": layer.running_var.numpy().tolist(),
        "num_batches_tracked": int(layer.num_batches_tracked),
        "train_output": train_rows,
        "eval_output": eval_rows,
    }


def main() -> None:
    x = make_data()
    cases = [run(x, m, b) for m in (0.1, 0.01, None) for b in (2, 7, 32)]
    doc = {
        "torch_version": torch.__version__,
        "columns": COLUMNS,
        "weight": WEIGHT,
        "bias": BIAS,
        "eps": EPS,
        "data": x.tolist(),
        "cases": cases,
    }
    path = Path(__file__).with_name("torch_batchnorm_reference.json")
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {path} ({len(cases)} cases, torch {torch.__version__})")


if __name__ == "__main__":
    main()
