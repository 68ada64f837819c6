"""Polars' Int128 columns, which pyarrow cannot read: refused saying what they are and how to
write them."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import normkit_error, run_normkit

REFUSAL = (
    "a column holds integers of more than 64 bits (such as Polars' Int128), which pyarrow "
    "cannot read: no column of the {kind} file can be read, whichever are chosen; write it as "
    "Int64 or Decimal, e.g. in Polars df.with_columns(pl.col(pl.Int128).cast(pl.Int64))"
)


def _frame() -> pl.DataFrame:
    return pl.DataFrame({"x": [1.0, 2.0, 3.0], "big": pl.Series([1, 2, 3], dtype=pl.Int128)})


@pytest.mark.parametrize("suffix", ["parquet", "arrow", "arrows"])
def test_a_file_with_an_int128_column_is_refused_with_a_way_out(tmp_path, suffix):
    # It said "cannot read as parquet: Integers with more than 64 bits not implemented", and
    # no way out (--columns does not get past it).
    path = tmp_path / f"i.{suffix}"
    frame = _frame()
    {"parquet": frame.write_parquet, "arrow": frame.write_ipc, "arrows": frame.write_ipc_stream}[
        suffix
    ](path)
    kind = "parquet" if suffix == "parquet" else "arrow"
    message = normkit_error(1, "fit", path, "--columns", "x", "-o", tmp_path / "s.json")
    assert message == f"{path}: {REFUSAL.format(kind=kind)}"
    assert not (tmp_path / "s.json").exists()


def test_from_standard_input_too(tmp_path):
    path = tmp_path / "i.arrows"
    _frame().write_ipc_stream(path)
    proc = run_normkit("fit", "-", "--input-format", "arrow", stdin=path.read_bytes())
    assert proc.returncode == 1
    assert proc.stderr.decode() == f"normkit: error: <stdin>: {REFUSAL.format(kind='arrow')}\n"
