"""How far the two conventions for BatchNorm's inference spread differ on real data: the running
statistic as an average of batch variances (PyTorch, Keras; ``--ema-of var``) or of batch
standard deviations (``--ema-of std``).

    python bench/ema_of.py

Rows of each data set are shuffled once (seed 0), columns that never vary are left out, the
running statistics start at the first batch (``init="first"``, so that the start does not weigh
in) and are computed with the cumulative average and with PyTorch's momentum 0.1. Printed: how
much smaller the eval-mode scale ``sqrt(running_var)`` is when standard deviations are averaged,
median and largest over the columns (Jensen's inequality makes it never larger).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import normkit
from normkit import EmaOptions, Standardizer


def datasets() -> dict[str, pd.DataFrame]:
    from sklearn import datasets as sk

    out = {
        "breast_cancer": sk.load_breast_cancer(as_frame=True).data,
        "digits": sk.load_digits(as_frame=True).data,
    }
    try:
        import statsmodels.api as sm
    except ImportError:
        print("statsmodels is not installed: its data sets are left out", file=sys.stderr)
        return out
    for name in ("randhie", "fair"):
        out[name] = getattr(sm.datasets, name).load_pandas().data.astype("float64")
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in datasets().items():
            frame = frame.loc[:, frame.std() > 0].sample(frac=1.0, random_state=0)
            frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
            path = Path(tmp) / f"{name}.parquet"
            frame.to_parquet(path)
            for batch in (32, 256):
                if len(frame) < 4 * batch:
                    continue
                cells = []
                for momentum in ("cumulative", "default"):
                    scales = {}
                    for of in ("var", "std"):
                        ema = EmaOptions(batch_size=batch, momentum=momentum, init="first", of=of)
                        fitted = normkit.fit_files(path, Standardizer(ema=ema))
                        scales[of] = np.sqrt(fitted.ema_.running_var)
                    gap = 1 - scales["std"] / scales["var"]
                    cells.append(f"{momentum}: median {np.median(gap):.1%}, max {gap.max():.1%}")
                print(
                    f"{name} ({len(frame):,} rows x {frame.shape[1]}), batches of {batch}: "
                    + "; ".join(cells)
                )


if __name__ == "__main__":
    main()
