"""Why normalize: the same model, trained the same way, on raw and on normkit-normalized inputs.

    python bench/convergence.py [--epochs 30] [--plot docs/convergence.png]

The features are the numeric columns of ``sample_data/sample.csv`` (age, income, temperature,
score, altitude, visits), whose scales run from 1e-4 (score) to 1e6 (altitude). The label is
made from them by a fixed linear rule plus noise (the sample's own ``active`` column is random,
so nothing could learn it). The model is a logistic regression trained by mini-batch gradient
descent (numpy, batches of 64 rows, 30 epochs, the same shuffles for both), once on the raw
features and once on the features normalized by ``normkit fit`` + ``Standardizer.transform``.
Missing values are replaced by the column mean (0 after normalizing).

For each input, the learning rate is the best of a grid from 1e-14 to 10 (the final training
loss decides), so raw inputs are not handicapped by a rate chosen for normalized ones: gradient
descent is only stable below about 2 / (largest curvature), which the largest feature (altitude,
1e6) sets, and at such a rate the small features barely move.

Prints the loss and accuracy per epoch for both and writes the plot.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import normkit

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "sample.csv"
FEATURES = ["age", "income", "temperature_c", "score", "altitude_m", "visits"]
RULE = np.array([0.8, -1.2, 0.6, 1.0, 0.5, -0.7])  # on standardized features
BATCH = 64
RATES = [10.0**k for k in range(-14, 2)]


def make_label(frame: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """1 where a fixed linear rule of the standardized features, plus noise, is positive."""
    x = frame[FEATURES].to_numpy(dtype=np.float64)
    z = (x - np.nanmean(x, axis=0)) / np.nanstd(x, axis=0)
    z = np.nan_to_num(z)
    noise = np.random.default_rng(seed).logistic(size=len(z)) * 0.5
    return (z @ RULE + noise > 0).astype(np.float64)


def fill_missing(x: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x), np.nanmean(x, axis=0), x)


def loss_and_accuracy(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[float, float]:
    logits = x @ w + b
    # log(1 + exp(-t)) computed stably for either sign of the label.
    loss = np.mean(np.logaddexp(0.0, logits) - y * logits)
    return float(loss), float(np.mean((logits > 0) == (y == 1)))


def train(x: np.ndarray, y: np.ndarray, rate: float, epochs: int, seed: int = 1):
    """Mini-batch gradient descent on the logistic loss; loss and accuracy after each epoch
    (epoch 0: before training)."""
    rng = np.random.default_rng(seed)
    w, b = np.zeros(x.shape[1]), 0.0
    history = [loss_and_accuracy(x, y, w, b)]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            order = rng.permutation(len(x))
            for start in range(0, len(x), BATCH):
                rows = order[start : start + BATCH]
                p = 1.0 / (1.0 + np.exp(-(x[rows] @ w + b)))
                error = p - y[rows]
                w = w - rate * (x[rows].T @ error) / len(rows)
                b = b - rate * float(error.mean())
            history.append(loss_and_accuracy(x, y, w, b))
    return history


def best_run(x: np.ndarray, y: np.ndarray, epochs: int):
    """The learning rate of the grid with the lowest final loss, and its history."""
    runs = []
    for rate in RATES:
        history = train(x, y, rate, epochs)
        final = history[-1][0]
        runs.append((final if np.isfinite(final) else np.inf, rate, history))
    _, rate, history = min(runs, key=lambda run: run[0])
    return rate, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "convergence.png")
    args = parser.parse_args()

    frame = pd.read_csv(SAMPLE)
    y = make_label(frame)
    raw = fill_missing(frame[FEATURES].to_numpy(dtype=np.float64))
    stats = normkit.fit_files(SAMPLE, normkit.Standardizer(columns=FEATURES))
    normalized = stats.transform(frame[FEATURES])
    normalized = np.nan_to_num(normalized.to_numpy(dtype=np.float64))  # missing -> the mean

    raw_rate, raw_history = best_run(raw, y, args.epochs)
    norm_rate, norm_history = best_run(normalized, y, args.epochs)
    print(f"{len(y):,} rows, {len(FEATURES)} features, label rate {y.mean():.3f}")
    print(f"best learning rate: raw {raw_rate:g}, normalized {norm_rate:g}\n")
    print(f"{'epoch':>5}  {'loss raw':>9}  {'loss norm':>9}  {'acc raw':>7}  {'acc norm':>8}")
    for epoch, (r, n) in enumerate(zip(raw_history, norm_history, strict=True)):
        if epoch <= 5 or epoch % 5 == 0:
            print(f"{epoch:>5}  {r[0]:>9.4f}  {n[0]:>9.4f}  {r[1]:>7.3f}  {n[1]:>8.3f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(args.epochs + 1)
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=90)
    for history, label, color in (
        (raw_history, f"raw inputs (best rate {raw_rate:g})", "#c44e52"),
        (norm_history, f"normkit-normalized (best rate {norm_rate:g})", "#4c72b0"),
    ):
        loss_ax.plot(epochs, [h[0] for h in history], color=color, marker="o", ms=3, label=label)
        acc_ax.plot(epochs, [h[1] for h in history], color=color, marker="o", ms=3, label=label)
    loss_ax.set(title="training loss (logistic)", xlabel="epoch", ylabel="loss")
    acc_ax.set(title="training accuracy", xlabel="epoch", ylabel="accuracy")
    loss_ax.legend(fontsize=8)
    acc_ax.legend(fontsize=8)
    fig.suptitle("Logistic regression, mini-batch gradient descent, sample_data features")
    fig.tight_layout()
    args.plot.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.plot)
    print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
