"""Accuracy on numerically hard columns: normkit and scikit-learn against exact arithmetic.

    python bench/hard_numbers.py

For each column the exact mean and standard deviation of the float64 values are computed with
integers and fractions (no rounding), then the relative errors of normkit (streamed in chunks
of 1,000 rows and in one chunk) and of StandardScaler are printed.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pyarrow as pa
from sklearn.preprocessing import StandardScaler

import normkit


def exact_mean_std(x: np.ndarray) -> tuple[Fraction, float]:
    """Exact mean (a fraction) and the correctly rounded population std of float64 values."""
    # Every float64 is an integer times a power of two: put them on a common exponent.
    mantissas, exponents = np.frexp(x)
    ints = (mantissas * 2.0**53).astype(np.int64)  # exact: 53-bit significands
    shift = int(exponents.min()) - 53
    scale = [1 << int(e - 53 - shift) for e in exponents]
    values = [int(i) * s for i, s in zip(ints.tolist(), scale, strict=True)]  # x = v * 2**shift
    n = len(values)
    total = sum(values)
    mean = Fraction(total, n) * Fraction(2) ** shift
    m2 = Fraction(sum(v * v for v in values) * n - total * total, n * n) * Fraction(4) ** shift
    return mean, math.sqrt(m2) if m2 < 2**1000 else math.inf


def relative(a: float, exact: float | Fraction) -> float:
    exact = float(exact)
    if exact == 0:
        return abs(a)
    return abs(a - exact) / abs(exact)


def report(name: str, x: np.ndarray) -> None:
    mean, std = exact_mean_std(x.astype(np.float64))
    table = pa.table({"x": x})
    rows = []
    for label, chunks in (
        ("normkit (1 chunk)", [table]),
        ("normkit (1,000-row chunks)", table.to_batches(1000)),
    ):
        try:
            stats = normkit.Standardizer().fit(chunks)
            rows.append(
                (
                    label,
                    relative(stats.mean_[0], mean),
                    relative(math.sqrt(stats.var_[0]), std),
                    stats.scale_[0],
                )
            )
        except normkit.NormkitError as exc:
            rows.append((label, math.nan, math.nan, str(exc)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = StandardScaler().fit(x.reshape(-1, 1))
    rows.append(
        (
            "scikit-learn",
            relative(ref.mean_[0], mean),
            relative(math.sqrt(ref.var_[0]), std),
            ref.scale_[0],
        )
    )
    print(f"\n{name}: n={len(x):,}, exact mean {float(mean):.17g}, exact std {std:.6g}")
    for label, err_mean, err_std, scale in rows:
        print(
            f"  {label:28s} mean rel. error {err_mean:9.2e}   std rel. error {err_std:9.2e}   scale {scale}"
        )


def main() -> None:
    rng = np.random.default_rng(0)
    report("mean 1e12, std 1e-3", 1e12 + rng.normal(0, 1e-3, 1_000_000))
    report("mean 1e9, std 1", 1e9 + rng.normal(0, 1, 1_000_000))
    report("10 million identical values (0.1)", np.full(10_000_000, 0.1))
    report("float32, mean 1000, std 1", (1000 + rng.normal(size=1_000_000)).astype(np.float32))
    report("1e-300 and 1e300 mixed", np.array([1e-300, 1e300] * 500))


if __name__ == "__main__":
    main()
