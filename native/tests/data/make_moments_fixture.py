"""Writes moments_fixture.txt: normkit's own moments of seeded data, for native/tests/moments_fixture.rs.

Run from the repository's root with its virtual environment:

    .venv/bin/python native/tests/data/make_moments_fixture.py

The data are not stored: both sides generate them from a counter-based generator (SplitMix64)
and only exact IEEE operations (+, -, *, /, floor), so Python and Rust get the same bits; a hash
of every input (FNV-1a over the float64 bits) checks that they do. What is stored is each case's
recipe, the operations (batch moments of rows [lo, hi), weighted or not, merges, streams fed
batch by batch as an Accumulator without running statistics) and every field of the results as
hexadecimal float64 bits.

Format, one item per line (tokens separated by spaces):

    case NAME
    rows N
    col normal SEED MEAN STD | col heavy SEED SCALE | col ints SEED K | col const C | col missing
        [nan SEED P] [set ROW HEXBITS]...
    weights wints SEED K | weights wfrac SEED PZERO SCALE
    hash HEX                 FNV-1a of the columns' bits, then the weights'
    op batch LO HI           batch_moments(rows LO..HI), default shift (pushes the result)
    op batch0 LO HI          the same with an explicit shift of 0
    op wbatch LO HI          weighted_batch_moments(rows LO..HI, their weights)
    op wbatch0 LO HI         the same with an explicit shift of 0
    op empty 0|1             Moments.empty (weighted if 1)
    op merge                 pops b, then a; pushes merge_moments(a, b)
    op swap                  swaps the two moments on top
    op stream PUSH...        an Accumulator fed PUSH = LO:HI:u (no weights) or LO:HI:w (weights)
    expect FIELD VALUES...   the top's field: count, n_missing (integers), shift, mean_offset,
                             m2, min, max, m3, m4, weight (hex bits, or "none")
    error infinite COL ROW   the last stream op refused an infinite value (column, data row)
    end

and, outside any case, ``square X Y``: Python's ``X ** 2`` is ``Y`` (hex bits), not ``X * X``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "core"))

# The batch moments of the numpy reference (normkit's own are native, and checked against it
# bit for bit by tests/core/test_native_moments.py).
from numpy_moments import SLICE_ROWS, batch_moments, weighted_batch_moments  # noqa: E402

from normkit.core.accumulator import Accumulator  # noqa: E402
from normkit.core.moments import Moments, merge_moments  # noqa: E402
from normkit.errors import DataError  # noqa: E402

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
SQRT3 = 1.7320508075688772


def uniform(stream: int, n: int) -> np.ndarray:
    """SplitMix64 of counter i + 1 from ``stream``, as uniforms in [0, 1) (53 bits)."""
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(stream & MASK) + i * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def normal01(seed: int, n: int) -> np.ndarray:
    """Irwin-Hall of 4 uniforms, centred and scaled to variance 1."""
    u = [uniform(seed * 16 + k, n) for k in range(4)]
    return (((u[0] + u[1]) + (u[2] + u[3])) - 2.0) * SQRT3


def column(spec: list[str], n: int) -> np.ndarray:
    kind, rest = spec[0], spec[1:]
    if kind == "normal":
        seed, mean, std = int(rest[0]), float(rest[1]), float(rest[2])
        x, rest = mean + std * normal01(seed, n), rest[3:]
    elif kind == "heavy":
        seed, scale = int(rest[0]), float(rest[1])
        x = normal01(seed, n) / (uniform(seed * 16 + 4, n) + 0.001) * scale
        rest = rest[2:]
    elif kind == "ints":
        seed, k = int(rest[0]), float(rest[1])
        x, rest = np.floor(uniform(seed * 16, n) * k), rest[2:]
    elif kind == "const":
        x, rest = np.full(n, float(rest[0])), rest[1:]
    elif kind == "missing":
        x = np.full(n, np.nan)
    else:
        raise ValueError(kind)
    while rest:
        if rest[0] == "nan":
            seed, p = int(rest[1]), float(rest[2])
            x = np.where(uniform(seed * 16 + 5, n) < p, np.nan, x)
            rest = rest[3:]
        elif rest[0] == "set":
            row, value = int(rest[1]), np.uint64(int(rest[2], 16)).view(np.float64)
            x = x.copy()
            x[row] = value
            rest = rest[3:]
        else:
            raise ValueError(rest)
    return np.ascontiguousarray(x, dtype=np.float64)


def weights_of(spec: list[str], n: int) -> np.ndarray:
    if spec[0] == "wints":
        return np.floor(uniform(int(spec[1]) * 16 + 6, n) * float(spec[2]))
    if spec[0] == "wfrac":
        seed, pzero, scale = int(spec[1]), float(spec[2]), float(spec[3])
        w = (uniform(seed * 16 + 6, n) + 0.01) * scale
        return np.where(uniform(seed * 16 + 7, n) < pzero, 0.0, w)
    raise ValueError(spec)


def fnv(arrays: list[np.ndarray]) -> int:
    h = 0xCBF29CE484222325
    for a in arrays:
        for b in a.view(np.uint64).tolist():
            h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def hexes(values: np.ndarray) -> str:
    return " ".join(f"{int(b):016x}" for b in np.asarray(values, dtype=np.float64).view(np.uint64))


def expects(m: Moments) -> list[str]:
    lines = [
        "expect count " + " ".join(str(int(c)) for c in m.count),
        "expect n_missing " + " ".join(str(int(c)) for c in m.n_missing),
    ]
    for name in ("shift", "mean_offset", "m2", "min", "max", "m3", "m4"):
        lines.append(f"expect {name} {hexes(getattr(m, name))}")
    lines.append("expect weight " + ("none" if m.weight is None else hexes(m.weight)))
    return lines


class Case:
    def __init__(self, name: str, rows: int, cols: list[str], weights: str | None = None):
        self.lines = [f"case {name}", f"rows {rows}"]
        self.columns = [column(c.split(), rows) for c in cols]
        self.lines += [f"col {c}" for c in cols]
        self.weights = None
        hashed = list(self.columns)
        if weights is not None:
            self.weights = weights_of(weights.split(), rows)
            self.lines.append(f"weights {weights}")
            hashed.append(self.weights)
        self.lines.append(f"hash {fnv(hashed):016x}")
        self.stack: list[Moments] = []

    def rows(self, lo: int, hi: int) -> list[np.ndarray]:
        return [x[lo:hi] for x in self.columns]

    def op(self, text: str) -> Case:
        self.lines.append(f"op {text}")
        kind, *args = text.split()
        if kind in ("batch", "batch0", "wbatch", "wbatch0"):
            lo, hi = int(args[0]), int(args[1])
            shift = np.zeros(len(self.columns)) if kind.endswith("0") else None
            if kind.startswith("w"):
                m = weighted_batch_moments(self.rows(lo, hi), self.weights[lo:hi], shift)
            else:
                m = batch_moments(self.rows(lo, hi), shift)
            self.stack.append(m)
        elif kind == "empty":
            self.stack.append(Moments.empty(len(self.columns), weighted=args[0] == "1"))
        elif kind == "merge":
            b, a = self.stack.pop(), self.stack.pop()
            self.stack.append(merge_moments(a, b))
        elif kind == "swap":
            self.stack[-1], self.stack[-2] = self.stack[-2], self.stack[-1]
        elif kind == "stream":
            names = [f"c{j}" for j in range(len(self.columns))]
            acc = Accumulator(names, running=None, sample_size=False)
            try:
                for push in args:
                    lo, hi, w = push.split(":")
                    lo, hi = int(lo), int(hi)
                    acc.update(self.rows(lo, hi), self.weights[lo:hi] if w == "w" else None)
            except DataError as error:
                found = re.search(r"column 'c(\d+)' at data row ([\d,]+)", str(error))
                self.lines.append(f"error infinite {found[1]} {found[2].replace(',', '')}")
                self.stack.append(acc.moments)
                return self
            self.stack.append(acc.finish().moments)
        else:
            raise ValueError(kind)
        return self

    def expect(self) -> Case:
        self.lines += expects(self.stack[-1])
        return self

    def text(self) -> str:
        return "\n".join([*self.lines, "end"]) + "\n"


def cases() -> list[Case]:
    S = SLICE_ROWS
    n = 2 * S + 7_000
    mixed = [
        "normal 1 1e9 1",
        "const 3.5",
        "missing",
        "normal 2 -3.25 0.01 nan 3 0.1",
        "heavy 4 1.0",
        "ints 5 10 nan 6 0.5",
        "normal 7 0 1e-30",
        "heavy 8 1e150",
    ]
    out = []
    c = Case("mixed", n, mixed)
    for lo, hi in [
        (0, 1),
        (0, 7),
        (0, 8),
        (0, 100),
        (0, 129),
        (3, 1000),
        (0, S),
        (0, S + 1),
        (5, 8200),
        (0, n),
        (1, n),
    ]:
        c.op(f"batch {lo} {hi}").expect().op(f"batch0 {lo} {hi}").expect()
    # Merges of two batches with their own shifts (rebasing), in both orders, and with empties.
    for k in (1, 5_000, S, 25_000):
        c.op(f"batch 0 {k}").op(f"batch {k} {n}").op("merge").expect()
        c.op(f"batch {k} {n}").op(f"batch 0 {k}").op("merge").expect()
    c.op("empty 0").op("batch 10 5000").op("merge").expect().op("empty 0").op("merge").expect()
    c.op("empty 0").op("empty 0").op("merge").expect()
    c.op(f"stream 0:1:u 1:8:u 8:200:u 200:{S + 300}:u {S + 300}:{n}:u").expect()
    c.op(f"stream 0:{S}:u {S}:{2 * S}:u {2 * S}:{n}:u").expect()
    c.op(f"stream 0:{n}:u").expect()
    out.append(c)

    # Shifts learned late: leading missing values, a column missing in the first batches.
    late = [
        "normal 11 1e6 3 nan 12 0.3 set 0 7ff8000000000000 set 1 7ff8000000000000",
        "missing set 5000 4024000000000000 set 9000 c024000000000000",
        "heavy 13 1e-5 nan 14 0.95",
    ]
    c = Case("late", 20_000, late)
    c.op("batch 0 20000").expect()
    c.op("stream 0:2:u 2:4000:u 4000:20000:u").expect()
    c.op("stream 0:5001:u 5001:20000:u").expect()
    out.append(c)

    # Weighted: integer weights with zeros, fractional, huge and tiny.
    for name, weights in [
        ("wints", "wints 21 4"),
        ("wfrac", "wfrac 22 0.3 3.0"),
        ("whuge", "wfrac 23 0.1 1e200"),
        ("wtiny", "wfrac 24 0.1 1e-200"),
    ]:
        c = Case(name, n, mixed[:6], weights)
        for lo, hi in [(0, 1), (0, 9), (0, 300), (0, S + 1), (0, n)]:
            c.op(f"wbatch {lo} {hi}").expect().op(f"wbatch0 {lo} {hi}").expect()
        c.op("wbatch 0 20000").op(f"wbatch 20000 {n}").op("merge").expect()
        c.op(f"wbatch 20000 {n}").op("wbatch 0 20000").op("merge").expect()
        # Weighted with unweighted, both orders.
        c.op("batch 0 20000").op(f"wbatch 20000 {n}").op("merge").expect()
        c.op(f"wbatch 20000 {n}").op("batch 0 20000").op("merge").expect()
        c.op("empty 1").op("batch 0 300").op("merge").expect()
        c.op(f"stream 0:100:w 100:{S + 50}:w {S + 50}:{n}:w").expect()
        c.op(f"stream 0:3000:u 3000:{n}:w").expect()
        c.op(f"stream 0:3000:w 3000:5000:u 5000:{n}:w").expect()
        out.append(c)

    # Infinite values are refused, with column and row (the moments stay as they were).
    bad = ["normal 31 0 1", "normal 32 5 2 set 700 fff0000000000000"]
    c = Case("infinite", 1000, bad)
    c.op("batch 0 1000").expect()
    c.op("stream 0:500:u 500:1000:u").expect()
    out.append(c)
    c = Case("infinite_weight0", 1000, ["normal 33 0 1 set 900 7ff0000000000000"], "wints 34 2")
    c.op("wbatch 0 1000").expect()
    c.op("stream 0:1000:w").expect()
    out.append(c)
    return out


def squares() -> str:
    """Python's ``x ** 2`` (the C library's ``pow``) where it is not the rounded ``x * x``:
    ``M2 = sum(dev**2) - sum(dev) ** 2 / n`` takes it, so the native side calls ``pow`` too."""
    x = np.random.default_rng(7).standard_normal(100_000) * 10.0 ** np.arange(-50, 50, 1e-3)
    lines = []
    for v in x.tolist():
        if v**2 != v * v:
            lines.append(f"square {hexes(np.array([v]))} {hexes(np.array([v**2]))}\n")
        if len(lines) == 40:
            break
    assert len(lines) == 40, "pow(x, 2) is x * x here: nothing to check"
    return "".join(lines)


def main() -> None:
    target = Path(__file__).with_name("moments_fixture.txt")
    header = f"# Generated by make_moments_fixture.py with numpy {np.__version__}; do not edit.\n"
    target.write_text(header + "".join(c.text() for c in cases()) + squares())
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
