"""How often does ``normkit drift`` cry wolf, and how often does it find real drift? On real data.

    python bench/drift_calibration.py [--repeats 200] [--sizes 30,100,300,1000,3000,10000,100000]
        [--alpha 0.01] [--markdown PATH] [--quick]

Data sets: scikit-learn's bundled ones (breast cancer, digits, wine, diabetes, iris), and, if
statsmodels is installed (``pip install statsmodels``), its bundled randhie, fair and star98. A
classification set's target is kept as a text column (``label``), so that its categories are
checked too.

Each repetition splits a data set at random in two halves, fits the reference on one (written as
Parquet and fitted by ``normkit.fit_files``, as a user would) and checks new data drawn from the
same distribution with ``normkit.drift_batches``:

- at a size up to the other half's, a random sample of the other half, without replacement;
- beyond it, a bootstrap sample of the whole data set (the reference half included: the sample
  is then, if anything, closer to the reference than an independent one would be).

False alarms: the share of repetitions in which any column drifted (the target is at most
``alpha``), with the upper end of its 95% Clopper-Pearson interval. Detection: the same samples
with one numeric column (chosen at random among those that vary) shifted by 0.2, 0.5 or 1 of
its reference standard deviation, counted as found when that column is reported drifted; and,
for the sets with a label, the least frequent label's share doubled (rows drawn with its weight
doubled), found when ``label`` drifted.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import beta

import normkit
from normkit import DriftOptions, Standardizer

SHIFTS = (0.2, 0.5, 1.0)


def datasets() -> dict[str, pd.DataFrame]:
    from sklearn import datasets as sk

    out = {}
    for name, load, labelled in (
        ("breast_cancer", sk.load_breast_cancer, True),
        ("digits", sk.load_digits, True),
        ("wine", sk.load_wine, True),
        ("diabetes", sk.load_diabetes, False),
        ("iris", sk.load_iris, True),
    ):
        bunch = load(as_frame=True)
        frame = bunch.data.copy()
        frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
        if labelled:
            frame["label"] = [f"class_{int(v)}" for v in bunch.target]
        out[name] = frame
    try:
        import statsmodels.api as sm
    except ImportError:
        print("statsmodels is not installed: its data sets are left out", file=sys.stderr)
        return out
    for name in ("randhie", "fair", "star98"):
        frame = getattr(sm.datasets, name).load_pandas().data
        out[name] = frame.select_dtypes("number").astype("float64")
    return out


def upper_bound(k: int, n: int) -> float:
    """Upper end of the 95% Clopper-Pearson interval of a rate of k in n."""
    return 1.0 if k == n else float(beta.ppf(0.975, k + 1, n - k))


def fit_reference(frame: pd.DataFrame, folder: Path) -> Standardizer:
    path = folder / "reference.parquet"
    frame.to_parquet(path, index=False)
    return normkit.fit_files(path, Standardizer())


def draw(rng, reference: pd.DataFrame, rest: pd.DataFrame, whole: pd.DataFrame, size: int):
    if size <= len(rest):
        return rest.iloc[rng.choice(len(rest), size, replace=False)].reset_index(drop=True)
    return whole.iloc[rng.integers(0, len(whole), size)].reset_index(drop=True)


def doubled(rng, frame: pd.DataFrame, size: int) -> tuple[pd.DataFrame, str]:
    """``size`` rows of ``frame`` drawn with the rarest label's weight doubled."""
    shares = frame["label"].value_counts(normalize=True)
    rare = str(shares.idxmin())
    weight = np.where(frame["label"] == rare, 2.0, 1.0)
    weight /= weight.sum()
    rows = rng.choice(len(frame), size, replace=True, p=weight)
    return frame.iloc[rows].reset_index(drop=True), rare


def run(args) -> list[dict]:
    rng = np.random.default_rng(args.seed)
    options = DriftOptions(alpha=args.alpha)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, whole in datasets().items():
            started = time.perf_counter()
            numeric = [c for c in whole.columns if c != "label"]
            sizes = [s for s in args.sizes if s <= args.max_factor * len(whole)]
            alarms = {s: 0 for s in sizes}
            found = {(s, d): 0 for s in sizes for d in SHIFTS}
            found_label = {s: 0 for s in sizes}
            tried = {(s, d): 0 for s in sizes for d in SHIFTS}
            wrongly_named = {s: 0 for s in sizes}
            for _ in range(args.repeats):
                order = rng.permutation(len(whole))
                half = len(whole) // 2
                reference = whole.iloc[order[:half]].reset_index(drop=True)
                rest = whole.iloc[order[half:]].reset_index(drop=True)
                scaler = fit_reference(reference, folder)
                std = dict(zip(scaler.columns_, np.sqrt(scaler.var_), strict=True))
                varying = [c for c in numeric if std[c] > 0]
                for size in sizes:
                    sample = draw(rng, reference, rest, whole, size)
                    report = normkit.drift_batches([sample], scaler, options)
                    alarms[size] += bool(report.drifted)
                    for shift in SHIFTS:
                        column = varying[rng.integers(len(varying))]
                        moved = sample.copy()
                        moved[column] = moved[column] + shift * std[column]
                        report = normkit.drift_batches([moved], scaler, options)
                        tried[size, shift] += 1
                        found[size, shift] += column in report.drifted
                        if shift == 0.5:
                            wrongly_named[size] += bool(set(report.drifted) - {column})
                    if "label" in whole.columns:
                        moved, _ = doubled(rng, rest if size <= len(rest) else whole, size)
                        report = normkit.drift_batches([moved], scaler, options)
                        found_label[size] += "label" in report.drifted
            for size in sizes:
                n = args.repeats
                row = {
                    "data": name,
                    "rows": len(whole),
                    "columns": len(whole.columns),
                    "size": size,
                    "false_alarms": alarms[size] / n,
                    "false_alarms_upper": upper_bound(alarms[size], n),
                    "others_named_at_0.5": wrongly_named[size] / n,
                    "label_doubled": found_label[size] / n if "label" in whole else math.nan,
                }
                for shift in SHIFTS:
                    row[f"shift_{shift}"] = found[size, shift] / tried[size, shift]
                rows.append(row)
                print(
                    f"{name:14s} n={size:>7,d}  false alarms {row['false_alarms']:6.1%} "
                    f"(<= {row['false_alarms_upper']:.1%})  found: "
                    + "  ".join(f"{s} sd {row[f'shift_{s}']:6.1%}" for s in SHIFTS)
                    + (
                        f"  label x2 {row['label_doubled']:6.1%}"
                        if "label" in whole.columns
                        else ""
                    ),
                    flush=True,
                )
            print(f"  ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    return rows


def markdown(rows: list[dict], args) -> str:
    lines = [
        f"alpha = {args.alpha}, {args.repeats} random splits per data set and size; "
        "false alarms: share of samples with any column drifted (95% upper bound); found: share "
        "of samples in which the shifted column (or `label`) was reported drifted.",
        "",
        "| data (rows x columns) | new rows | false alarms | 0.2 sd | 0.5 sd | 1 sd | label x2 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        label = "" if math.isnan(r["label_doubled"]) else f"{r['label_doubled']:.0%}"
        lines.append(
            f"| {r['data']} ({r['rows']:,} x {r['columns']}) | {r['size']:,} | "
            f"{r['false_alarms']:.1%} (<= {r['false_alarms_upper']:.1%}) | "
            f"{r['shift_0.2']:.0%} | {r['shift_0.5']:.0%} | {r['shift_1.0']:.0%} | {label} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(v) for v in s.split(",")],
        default=[30, 100, 300, 500, 1000, 3000, 10000, 100000],
    )
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--max-factor",
        type=float,
        default=200.0,
        help="sizes up to this many times the data set's rows (bootstrap beyond its half)",
    )
    parser.add_argument("--markdown", type=Path, help="write the table here too")
    parser.add_argument("--quick", action="store_true", help="20 repeats, three sizes")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.sizes = 20, [30, 500, 10000]
    rows = run(args)
    table = markdown(rows, args)
    print()
    print(table)
    if args.markdown:
        args.markdown.write_text(table)


if __name__ == "__main__":
    main()
