"""Every bad input gets one clear line, the right exit code, and leaves no output behind.

Each case builds its files in a fresh directory, runs one command, and checks: the exit code,
the first words of the single line on stderr, that no traceback or uncaught exception came out,
that an output which existed before is byte for byte unchanged (or that none was created), and
that no temporary file is left.
"""

from __future__ import annotations

import gzip
import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import NORMKIT, assert_error, run, run_normkit

from normkit_cli.main import cli

PREVIOUS = b"the previous output, which a failed run must leave alone\n"


@dataclass
class Case:
    """``args`` builds the command line in a directory; the file after ``-o`` must be left as it
    was (an earlier output is put there first when there is none)."""

    args: Callable[[Path], list[str]]
    code: int
    message: str  # the first words of stderr; {dir} is the case's directory, {out} the output
    via: str = "runner"  # or "subprocess", "unprivileged" (no permission bypass)


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def good_csv(d: Path, name: str = "good.csv") -> Path:
    return write(d / name, "id,x,y\n1,1.5,10\n2,2.5,20\n3,4.0,15\n4,8.0,30\n")


def stats(d: Path) -> Path:
    """A valid stat file for good.csv."""
    path = d / "s.json"
    result = CliRunner().invoke(cli, ["fit", str(good_csv(d)), "--exclude", "id", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def edited_stats(edit: Callable[[dict], None]) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        path = stats(d)
        doc = json.loads(path.read_text())
        edit(doc)
        path.write_text(json.dumps(doc))
        return path

    return make


def transform_with(make_stats: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    return lambda d: [
        "transform",
        str(good_csv(d)),
        "-s",
        str(make_stats(d)),
        "-o",
        str(d / "out.csv"),
    ]


def fit_of(make_input: Callable[[Path], Path], *extra: str) -> Callable[[Path], list[str]]:
    return lambda d: ["fit", str(make_input(d)), *extra, "-o", str(d / "out.json")]


def big_csv_with(bad_row: int, value: str) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        rng = np.random.default_rng(0)
        x = rng.normal(size=200_000).astype(object)
        x[bad_row - 1] = value
        path = d / "big.csv"
        pd.DataFrame({"id": np.arange(200_000), "x": x}).to_csv(path, index=False)
        return path

    return make


def parquet(table: pa.Table) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        path = d / "data.parquet"
        pq.write_table(table, path)
        return path

    return make


def truncated_parquet(d: Path) -> Path:
    full = parquet(pa.table({"x": np.arange(10_000.0)}))(d)
    data = full.read_bytes()
    return write(d / "cut.parquet", data[: len(data) // 2])


def truncated_gzip(d: Path) -> Path:
    values = np.random.default_rng(2).normal(size=50_000)
    data = gzip.compress(("x\n" + "\n".join(map(repr, values)) + "\n").encode())
    return write(d / "g.csv.gz", data[: len(data) // 2])


def truncated_arrow(d: Path) -> Path:
    path = d / "data.arrow"
    table = pa.table({"x": np.arange(10_000.0)})
    with pa.OSFile(str(path), "wb") as f, pa.ipc.new_stream(f, table.schema) as writer:
        writer.write_table(table)
    return write(path, path.read_bytes()[:5_000])


def directory(d: Path) -> Path:
    (d / "dir.csv").mkdir()
    return d / "dir.csv"


def unreadable(d: Path) -> Path:
    path = good_csv(d, "secret.csv")
    path.chmod(0o000)
    return path


def linked(d: Path) -> Path:
    (d / "link.csv").symlink_to(good_csv(d))
    return d / "link.csv"


def full_disk(d: Path) -> Path:
    """A 64 KiB tmpfs (where mounting is allowed), else /dev/full: no space left either way."""
    mount = d / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        return Path("/dev/full")
    return mount / "out.csv"


def full_disk_as(name: str) -> Callable[[Path], Path]:
    """``name``, a link to /dev/full: no space left, whatever the size written."""

    def make(d: Path) -> Path:
        (d / name).symlink_to("/dev/full")
        return d / name

    return make


def test_an_output_on_a_read_only_file_system_is_told_so(tmp_path):
    # It was called "permission denied", which no permission would cure.
    mount = tmp_path / "ro"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("mounting a file system is not allowed here")
    try:
        data = good_csv(tmp_path)
        for args in (["fit", str(data)], ["transform", str(data), "-s", str(stats(tmp_path))]):
            proc = subprocess.run(
                [NORMKIT, *args, "-o", str(mount / "out")], capture_output=True, text=True
            )
            assert proc.returncode == 1
            assert proc.stderr == (
                f"normkit: error: {mount}/out: {mount} is on a read-only file system\n"
            )
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def read_only_dir(d: Path) -> Path:
    ro = d / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    return ro / "out.csv"


def sample_big(d: Path) -> Path:
    rng = np.random.default_rng(1)
    path = d / "big.csv"
    pd.DataFrame({"id": np.arange(300_000), "x": rng.normal(size=300_000)}).to_csv(
        path, index=False
    )
    return path


CASES: dict[str, Case] = {
    # -- inputs that cannot be read ---------------------------------------------------------
    "missing file": Case(
        fit_of(lambda d: d / "absent.csv"), 1, "normkit: error: {dir}/absent.csv: no such file"
    ),
    "directory without data files as input": Case(
        fit_of(directory), 1, "normkit: error: {dir}/dir.csv: no data files in this directory"
    ),
    "unreadable file": Case(
        fit_of(unreadable),
        1,
        "normkit: error: {dir}/secret.csv: permission denied",
        via="unprivileged",
    ),
    "empty file": Case(
        fit_of(lambda d: write(d / "e.csv", "")),
        1,
        "normkit: error: {dir}/e.csv: the file is empty",
    ),
    "blank lines only": Case(
        fit_of(lambda d: write(d / "e.csv", "\n\r\n\n")),
        1,
        "normkit: error: {dir}/e.csv: the file is empty",
    ),
    "header only": Case(
        fit_of(lambda d: write(d / "h.csv", "a,b\n")),
        1,
        "normkit: error: {dir}/h.csv: no data rows (the file has only a header)",
    ),
    "Parquet without rows": Case(
        fit_of(parquet(pa.table({"a": pa.array([], pa.float64())}))),
        1,
        "normkit: error: {dir}/data.parquet: no data rows (the file has its columns but no rows)",
    ),
    "duplicate column names": Case(  # a CSV's repeated header names are renamed instead
        fit_of(parquet(pa.Table.from_arrays([pa.array([1.0]), pa.array([2.0])], ["a", "a"]))),
        1,
        "normkit: error: {dir}/data.parquet: duplicate column name 'a'",
    ),
    "too few fields": Case(
        fit_of(lambda d: write(d / "r.csv", "a,b\n1,2\n3\n4,5\n")),
        1,
        "normkit: error: {dir}/r.csv at data row 2 (line 3): malformed CSV",
    ),
    "too many fields": Case(
        fit_of(lambda d: write(d / "r.csv", "a,b\n1,2\n3,4,5\n")),
        1,
        "normkit: error: {dir}/r.csv at data row 2 (line 3): malformed CSV",
    ),
    "unterminated quote mid-file": Case(
        fit_of(lambda d: write(d / "q.csv", 'a,b\n1,2\n"3,4\n5,6\n')),
        1,
        "normkit: error: {dir}/q.csv at data row 2 (line 3): malformed CSV",
    ),
    "unterminated quote at the end": Case(
        fit_of(lambda d: write(d / "q.csv", 'a,b\n1,"2\n3,4\n5,6\n')),
        1,
        "normkit: error: {dir}/q.csv at data row 1 (line 2): malformed CSV: column 'b': a quoted "
        "field opened "
        "here is never closed",
    ),
    "text deep in a numeric column": Case(
        fit_of(big_csv_with(150_000, "n/a!"), "--exclude", "id"),
        1,
        "normkit: error: {dir}/big.csv: column 'x' at data row 150,000: 'n/a!' is not a number",
    ),
    "inf": Case(
        fit_of(lambda d: write(d / "i.csv", "x\n1\ninf\n3\n")),
        1,
        "normkit: error: {dir}/i.csv: column 'x' at data row 2: inf is not finite",
    ),
    "-inf": Case(
        fit_of(lambda d: write(d / "i.csv", "x\n1\n2\n-inf\n")),
        1,
        "normkit: error: {dir}/i.csv: column 'x' at data row 3: -inf is not finite",
    ),
    "number beyond float64": Case(
        fit_of(lambda d: write(d / "i.csv", "x\n1\n1e400\n")),
        1,
        "normkit: error: {dir}/i.csv: column 'x' at data row 2: inf is not finite",
    ),
    "variance beyond float64": Case(
        fit_of(lambda d: write(d / "v.csv", "x\n1e300\n-1e300\n1e-300\n")),
        1,
        "normkit: error: {dir}/v.csv: column 'x': its variance overflows float64",
    ),
    "column entirely missing": Case(
        fit_of(lambda d: write(d / "m.csv", "a,b\n1,\n2,NA\n3,\n"), "--columns", "a,b"),
        1,
        "normkit: error: {dir}/m.csv: column 'b' has no values",
    ),
    "chosen column absent": Case(
        fit_of(good_csv, "--columns", "x,zz"),
        1,
        "normkit: error: {dir}/good.csv: no column 'zz' in the input",
    ),
    "excluded column absent": Case(
        fit_of(good_csv, "--exclude", "idd"),
        1,
        "normkit: error: {dir}/good.csv: no column 'idd' in the input",
    ),
    "no numeric column": Case(
        fit_of(lambda d: write(d / "t.csv", "a,b\nx,y\nz,w\n")),
        1,
        "normkit: error: {dir}/t.csv: no numeric column to normalize",
    ),
    "one row with ddof 1": Case(
        fit_of(lambda d: write(d / "o.csv", "x\n5\n"), "--ddof", "1"),
        1,
        "normkit: error: {dir}/o.csv: column 'x' has only one sample; --ddof 1 needs at least 2",
    ),
    "invalid UTF-8": Case(
        fit_of(lambda d: write(d / "u.csv", b"name,x\n\xff\xfe\xfa,1\n" * 3)),
        1,
        "normkit: error: {dir}/u.csv: column 'name' at data row 1 (line 2): invalid UTF-8 text",
    ),
    "binary file as CSV": Case(
        fit_of(
            lambda d: write(d / "b.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
        ),
        1,
        "normkit: error: {dir}/b.csv: not a CSV file (it holds binary data)",
    ),
    "gzip that is not gzip": Case(
        fit_of(lambda d: write(d / "g.csv.gz", "x\n1\n2\n")),
        1,
        "normkit: error: {dir}/g.csv.gz: cannot read as csv",
    ),
    "truncated gzip": Case(
        fit_of(truncated_gzip),
        1,
        "normkit: error: {dir}/g.csv.gz: cannot read as csv: Truncated compressed stream",
    ),
    "truncated Parquet": Case(
        fit_of(truncated_parquet),
        1,
        "normkit: error: {dir}/cut.parquet: not a whole Parquet file: it does not end with a Parquet footer",
    ),
    "corrupt Parquet": Case(
        fit_of(lambda d: write(d / "c.parquet", b"PAR1" + bytes(1000) + b"PAR1")),
        1,
        "normkit: error: {dir}/c.parquet: cannot read as parquet",
    ),
    "Parquet string column chosen": Case(
        fit_of(parquet(pa.table({"s": ["a", "b"], "x": [1.0, 2.0]})), "--columns", "s,x"),
        1,
        "normkit: error: {dir}/data.parquet: column 's' has type string, which is not numeric",
    ),
    "Parquet nested column chosen": Case(
        fit_of(parquet(pa.table({"l": [[1.0], [2.0]], "x": [1.0, 2.0]})), "--columns", "l"),
        1,
        "normkit: error: {dir}/data.parquet: column 'l' has type list<element: double>, which is not numeric",
    ),
    "truncated Arrow stream": Case(
        fit_of(truncated_arrow),
        1,
        "normkit: error: {dir}/data.arrow: the Arrow data ends inside a record batch",
    ),
    "stat file as data": Case(
        fit_of(stats),
        1,
        "normkit: error: {dir}/s.json: this is a normkit stat file, not a data file",
    ),
    "inputs with other columns": Case(
        lambda d: [
            "fit",
            str(good_csv(d)),
            str(write(d / "o.csv", "id,x\n1,2\n")),
            "-o",
            str(d / "out.json"),
        ],
        1,
        "normkit: error: {dir}/o.csv: columns differ from {dir}/good.csv",
    ),
    "output into a missing directory": Case(
        lambda d: ["fit", str(good_csv(d)), "-o", str(d / "nope" / "s.json")],
        1,
        "normkit: error: {dir}/nope/s.json: the directory {dir}/nope does not exist",
    ),
    # A name of bytes that are not UTF-8 (Python holds them as lone surrogates): Arrow's files
    # take UTF-8 paths only.
    "input file name not UTF-8": Case(
        fit_of(lambda d: good_csv(d, "we\udcffird.csv")),
        1,
        "normkit: error: {dir}/we\\xffird.csv: the file name is not UTF-8",
        via="subprocess",
    ),
    "output file name not UTF-8": Case(
        lambda d: ["transform", str(good_csv(d)), "-s", str(stats(d)), "-o", str(d / "o\udcff.pq")],
        1,
        "normkit: error: {dir}/o\\xff.pq: the file name is not UTF-8",
        via="subprocess",
    ),
    # -- stat files ------------------------------------------------------------------------------
    "stat file missing": Case(
        transform_with(lambda d: d / "none.json"),
        1,
        "normkit: error: {dir}/none.json: no such stat file",
    ),
    "stat file truncated": Case(
        transform_with(lambda d: write(d / "t.json", stats(d).read_text()[:200])),
        1,
        "normkit: error: {dir}/t.json: not a normkit stat file (invalid JSON",
    ),
    "stat file not JSON": Case(
        transform_with(lambda d: write(d / "t.json", "a,b\n1,2\n")),
        1,
        "normkit: error: {dir}/t.json: not a normkit stat file (not a JSON object: it starts "
        "with 'a,b')",
    ),
    "stat file of another kind": Case(
        transform_with(lambda d: write(d / "t.json", '{"hello": 1}')),
        1,
        "normkit: error: {dir}/t.json: not a normkit stat file",
    ),
    "stat file from the future": Case(
        transform_with(edited_stats(lambda doc: doc.update(version=2))),
        1,
        "normkit: error: {dir}/s.json: stat file version 2 was written by a newer normkit",
    ),
    "stat file wrong type": Case(
        transform_with(edited_stats(lambda doc: doc["columns"][0].update(mean="1.5"))),
        1,
        "normkit: error: {dir}/s.json: invalid stat file: columns[0].'mean' must be a number",
    ),
    "stat file NaN mean": Case(
        transform_with(edited_stats(lambda doc: doc["columns"][0].update(mean="NaN"))),
        1,
        "normkit: error: {dir}/s.json: invalid stat file: columns[0].'mean' must be a finite number",
    ),
    "stat file bare NaN": Case(
        transform_with(
            lambda d: write(
                d / "n.json", stats(d).read_text().replace('"mean": ', '"mean": NaN, "x": ', 1)
            )
        ),
        1,
        "normkit: error: {dir}/n.json: not a normkit stat file (invalid JSON, bare NaN",
    ),
    "stat file missing key": Case(
        transform_with(edited_stats(lambda doc: doc["columns"][1].pop("scale"))),
        1,
        "normkit: error: {dir}/s.json: invalid stat file: missing key columns[1].'scale'",
    ),
    "stat file zero scale": Case(
        transform_with(edited_stats(lambda doc: doc["columns"][0].update(scale=0.0))),
        1,
        "normkit: error: {dir}/s.json: invalid stat file: columns[0].'scale' must be > 0",
    ),
    "stat columns absent from input": Case(
        lambda d: [
            "transform",
            str(write(d / "other.csv", "id,z\n1,2\n")),
            "-s",
            str(stats(d)),
            "-o",
            str(d / "out.csv"),
        ],
        1,
        "normkit: error: {dir}/other.csv: the stat file has columns 'x', 'y' but the input has none of them",
    ),
    "inspect of a data file": Case(
        lambda d: ["inspect", str(good_csv(d))],
        1,
        "normkit: error: {dir}/good.csv: not a normkit stat file",
    ),
    "export of a data file": Case(
        lambda d: ["export", "-s", str(good_csv(d)), "--to", "onnx", "-o", str(d / "m.onnx")],
        1,
        "normkit: error: {dir}/good.csv: not a normkit stat file",  # named once
    ),
    # -- outputs -----------------------------------------------------------------------------
    "output is the input": Case(
        lambda d: ["transform", str(good_csv(d)), "-s", str(stats(d)), "-o", str(d / "good.csv")],
        1,
        "normkit: error: {dir}/good.csv: the output would overwrite the input",
    ),
    "output is the input via a link": Case(
        lambda d: ["transform", str(linked(d)), "-s", str(stats(d)), "-o", str(d / "good.csv")],
        1,
        "normkit: error: {dir}/good.csv: the output would overwrite the input",
    ),
    "output is the stat file": Case(
        lambda d: [
            "transform",
            str(good_csv(d)),
            "-s",
            str(stats(d)),
            "-o",
            str(d / "s.json"),
            "--output-format",
            "csv",
        ],
        1,
        "normkit: error: {dir}/s.json: the output would overwrite the stat file {dir}/s.json",
    ),
    "fit output is its input": Case(
        lambda d: ["fit", str(good_csv(d)), "-o", str(d / "good.csv")],
        1,
        "normkit: error: {dir}/good.csv: the stat file would overwrite the input",
    ),
    "full disk": Case(
        lambda d: [
            "transform",
            str(sample_big(d)),
            "-s",
            str(stats_for_big(d)),
            "-o",
            str(full_disk(d)),
        ],
        1,
        "normkit: error: {out}: cannot write: No space left on device",
    ),
    # A report or an export that could not be written blamed it on <stdout>.
    "export onto a full disk": Case(
        lambda d: [
            "export",
            "-s",
            str(stats(d)),
            "--to",
            "numpy",
            "-o",
            str(full_disk_as("x.npz")(d)),
        ],
        1,
        "normkit: error: {out}: cannot write: No space left on device",
    ),
    # A link named .parquet to a device was written as CSV: refused for its name.
    "transform onto a full disk as Parquet": Case(
        lambda d: [
            "transform",
            str(good_csv(d)),
            "-s",
            str(stats(d)),
            "-o",
            str(full_disk_as("x.parquet")(d)),
        ],
        1,
        "normkit: error: {out}: cannot write: No space left on device",
    ),
    "report onto a full disk": Case(
        lambda d: [
            "report",
            str(good_csv(d)),
            "-s",
            str(stats(d)),
            "-o",
            str(full_disk_as("r.html")(d)),
        ],
        1,
        "normkit: error: {out}: cannot write: No space left on device",
    ),
    "read-only directory": Case(
        lambda d: ["transform", str(good_csv(d)), "-s", str(stats(d)), "-o", str(read_only_dir(d))],
        1,
        "normkit: error: {dir}/ro/out.csv: permission denied",
        via="unprivileged",
    ),
    "text in the data to transform": Case(
        lambda d: [
            "transform",
            str(write(d / "t.csv", "id,x,y\n1,2,3\n2,abc,4\n")),
            "-s",
            str(stats(d)),
            "-o",
            str(d / "out.csv"),
        ],
        1,
        "normkit: error: {dir}/t.csv: column 'x' at data row 2: 'abc' is not a number",
    ),
    "inf in the data to transform": Case(
        lambda d: [
            "transform",
            str(write(d / "t.csv", "id,x,y\n1,2,3\n2,-inf,4\n")),
            "-s",
            str(stats(d)),
            "-o",
            str(d / "out.csv"),
        ],
        1,
        "normkit: error: {dir}/t.csv: column 'x' at data row 2: -inf is not finite",
    ),
    # -- usage errors --------------------------------------------------------------------------
    "negative batch size": Case(
        fit_of(good_csv, "--batch-size", "-1"),
        2,
        "normkit: error: --batch-size must be an integer in [2, 2**20], not '-1'",
    ),
    "batch size of one": Case(
        fit_of(good_csv, "--batch-size", "1"),
        2,
        "normkit: error: --batch-size must be an integer in [2, 2**20], not '1'",
    ),
    "momentum above 1": Case(
        fit_of(good_csv, "--momentum", "1.5"), 2, "normkit: error: --momentum must be a finite"
    ),
    "momentum 0": Case(
        fit_of(good_csv, "--momentum", "0"), 2, "normkit: error: --momentum must be a finite"
    ),
    "unknown input format": Case(
        fit_of(good_csv, "--input-format", "xml"),
        2,
        "normkit: error: --input-format must be one of 'csv', 'parquet', 'arrow', not 'xml'",
    ),
    "unknown output extension": Case(
        lambda d: ["transform", str(good_csv(d)), "-s", str(stats(d)), "-o", str(d / "out.xyz")],
        2,
        "normkit: error: {dir}/out.xyz: cannot tell the format from the extension '.xyz'",
    ),
    "compression without a format": Case(
        lambda d: ["transform", str(good_csv(d)), "-s", str(stats(d)), "-o", str(d / "out.gz")],
        2,
        "normkit: error: {dir}/out.gz: cannot tell the format from the extension '.gz', a "
        "compression; name the file for its format, such as {dir}/out.csv.gz",
    ),
    "compressed Parquet name": Case(
        lambda d: [
            "transform",
            str(good_csv(d)),
            "-s",
            str(stats(d)),
            "-o",
            str(d / "out.parquet.gz"),
        ],
        2,
        "normkit: error: {dir}/out.parquet.gz: compression by extension is for CSV",
    ),
    "negative chunk size": Case(
        fit_of(good_csv, "--chunk-rows", "-5"),
        2,
        "normkit: error: --chunk-rows must be an integer in [1, 2**22], not '-5'",
    ),
    "stdin twice": Case(
        lambda d: ["fit", "-", "-", "-o", str(d / "out.json")],
        2,
        "normkit: error: standard input ('-') can be read only once",
    ),
    "same file twice": Case(
        lambda d: ["fit", str(good_csv(d)), str(linked(d)), "-o", str(d / "out.json")],
        2,
        "normkit: error: {dir}/link.csv: given twice",
    ),
    "inverse of batch output": Case(
        lambda d: [
            "inverse",
            str(good_csv(d)),
            "-s",
            str(stats(d)),
            "--mode",
            "batch",
            "-o",
            str(d / "out.csv"),
        ],
        2,
        "normkit: error: batch output cannot be inverted",
    ),
    "save-stats of a frozen transform": Case(
        lambda d: [
            "transform",
            str(good_csv(d)),
            "-s",
            str(stats(d)),
            "--save-stats",
            str(d / "n.json"),
            "-o",
            str(d / "out.csv"),
        ],
        2,
        "normkit: error: --save-stats needs --mode batch or adaptive",
    ),
}


def arrow_streams(*tables: pa.Table, garbage: bytes = b"") -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        data = b""
        for table in tables:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            data += sink.getvalue().to_pybytes()
        return write(d / "joined.arrow", data + garbage)

    return make


def cut_arrow_stream(d: Path) -> Path:
    """An Arrow stream of two batches, cut after the first (where it read as whole, exit 0)."""
    table = pa.table({"x": [1.0, 2.0, 4.0, 8.0]})
    sink = pa.BufferOutputStream()
    writer = pa.ipc.new_stream(sink, table.schema)
    writer.write_batch(table.to_batches(max_chunksize=2)[0])
    # Not closed: before the second batch and the end-of-stream marker.
    return write(d / "cut.arrows", sink.getvalue().to_pybytes())


LATE_CASES: dict[str, Case] = {
    "export over the data fitted on": Case(
        lambda d: ["export", "-s", str(stats(d)), "--to", "numpy", "-o", str(good_csv(d))],
        2,
        "normkit: error: {dir}/good.csv: the name says csv data, not the numpy export; name it "
        "with .npz",
    ),
    "export named as another export": Case(
        lambda d: ["export", "-s", str(stats(d)), "--to", "onnx", "-o", str(d / "m.npz")],
        2,
        "normkit: error: {dir}/m.npz: the name says a .npz file, not the onnx export",
    ),
    "output named for a compression not written, format given": Case(
        lambda d: [
            "transform",
            str(good_csv(d)),
            "-s",
            str(stats(d)),
            "--output-format",
            "csv",
            "-o",
            str(d / "o.csv.xz"),
        ],
        2,
        "normkit: error: {dir}/o.csv.xz: normkit writes no xz-compressed output named '.xz' (it "
        "compresses CSV named .gz, .bz2, .zst), and would write it uncompressed under that name; "
        "name the file {dir}/o.csv or {dir}/o.csv.gz",
    ),
    "output named for a compression not written": Case(
        lambda d: ["inverse", str(good_csv(d)), "-s", str(stats(d)), "-o", str(d / "o.csv.lz4")],
        2,
        "normkit: error: {dir}/o.csv.lz4: normkit writes no LZ4-compressed output named '.lz4'",
    ),
    "two Arrow streams joined": Case(
        fit_of(arrow_streams(pa.table({"x": [1.0, 2.0]}), pa.table({"x": [4.0, 8.0]}))),
        1,
        "normkit: error: {dir}/joined.arrow: data after the end of the Arrow stream",
    ),
    "garbage after an Arrow stream": Case(
        fit_of(arrow_streams(pa.table({"x": [1.0, 2.0]}), garbage=b"garbage")),
        1,
        "normkit: error: {dir}/joined.arrow: data after the end of the Arrow stream",
    ),
    "an Arrow stream cut between two batches": Case(
        fit_of(cut_arrow_stream),
        1,
        "normkit: error: {dir}/cut.arrows: the Arrow stream ends without its end-of-stream "
        "marker: it was cut short; write it again",
    ),
    "first line empty": Case(
        fit_of(lambda d: write(d / "b.csv", "\n1\n2\n4\n")),
        1,
        "normkit: error: {dir}/b.csv: the first line is empty",
    ),
    "unterminated quote ending in a quote": Case(
        fit_of(lambda d: write(d / "q.csv", 'x,n\n1,"a\n2,b\n4,""\n')),
        1,
        "normkit: error: {dir}/q.csv at data row 1 (line 2): malformed CSV: column 'n': a "
        "quoted field opened here is never closed",
    ),
    "stray quote inside an unclosed field": Case(
        fit_of(lambda d: write(d / "q.csv", 'x,n\n1,"a\n2,b\n4,"d"\n')),
        1,
        "normkit: error: {dir}/q.csv at data row 1 (line 2): malformed CSV: column 'n': a "
        "quoted field with "
        "a line break goes on after its closing quote",
    ),
    "unterminated quote, compressed": Case(
        fit_of(lambda d: write(d / "q.csv.gz", gzip.compress(b'x,n\n1,"a\n2,b\n4,c'))),
        1,
        "normkit: error: {dir}/q.csv.gz at data row 1 (line 2): malformed CSV: column 'n': a "
        "quoted field "
        "opened here is never closed",
    ),
    "save-stats is the output": Case(
        lambda d: [
            "transform",
            str(good_csv(d)),
            "-s",
            str(stats(d)),
            "--mode",
            "batch",
            "--save-stats",
            str(d / "out.csv"),
            "-o",
            str(d / "out.csv"),
        ],
        2,
        "normkit: error: {dir}/out.csv: --save-stats and the output are the same file or stream",
    ),
    "save-stats is the stat file": Case(
        lambda d: [
            "transform",
            str(good_csv(d)),
            "-s",
            str(stats(d)),
            "--mode",
            "adaptive",
            "--save-stats",
            str(stats(d)),
            "-o",
            str(d / "out.csv"),
        ],
        1,
        "normkit: error: {dir}/s.json: --save-stats would overwrite the stat file {dir}/s.json; "
        "write it to another path, then move that over {dir}/s.json if that is what you want\n",
    ),
    "empty output path": Case(
        lambda d: ["fit", str(good_csv(d)), "-o", ""], 2, "normkit: error: the output path is empty"
    ),
    "stat file scale edited": Case(
        transform_with(edited_stats(lambda doc: doc["columns"][0].update(scale=1000.0))),
        1,
        "normkit: error: {dir}/s.json: inconsistent stat file: column 'x': scale (1000.0) is not",
    ),
    "stat file min above max": Case(
        transform_with(edited_stats(lambda doc: doc["columns"][0].update(min=9.0, max=1.0))),
        1,
        "normkit: error: {dir}/s.json: inconsistent stat file: column 'x': min (9.0) exceeds max",
    ),
    "stat file duplicate key": Case(
        transform_with(
            lambda d: write(
                d / "k.json", stats(d).read_text().replace('"mean": ', '"mean": 4.0, "mean": ', 1)
            )
        ),
        1,
        "normkit: error: {dir}/k.json: not a normkit stat file (invalid JSON, the key 'mean' appears twice",
    ),
    "stat file huge integer": Case(
        transform_with(
            lambda d: write(
                d / "h.json", stats(d).read_text().replace('"eps": 0.0', '"eps": 1' + "0" * 400, 1)
            )
        ),
        1,
        "normkit: error: {dir}/h.json: invalid stat file: options.'eps' must be a finite number",
    ),
    "stat file nested deeply": Case(
        transform_with(lambda d: write(d / "n.json", "[" * 100_000)),
        1,
        "normkit: error: {dir}/n.json: not a normkit stat file",
    ),
    "closed standard input": Case(
        lambda d: ["fit", "-", "-o", str(d / "out.json")],
        1,
        "normkit: error: <stdin>: standard input is closed",
        via="closed-stdin",
    ),
}
CASES.update(LATE_CASES)


def stats_for_big(d: Path) -> Path:
    path = d / "big.json"
    result = CliRunner().invoke(
        cli, ["fit", str(d / "big.csv"), "--exclude", "id", "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    return path


def leftovers(d: Path) -> list[Path]:
    return [p for p in d.rglob("*") if ".normkit-tmp" in p.name]


def invoke(case: Case, args: list[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of the command, run the way the case says."""
    if case.via == "runner":
        result = CliRunner().invoke(cli, args, prog_name="normkit")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"uncaught {result.exception!r}") from result.exception
        return result.exit_code, result.stdout, result.stderr
    command = [NORMKIT, *args]
    if case.via == "unprivileged" and os.geteuid() == 0:
        # root reads and writes anything: drop the capabilities that let it.
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    if case.via == "closed-stdin":
        shell = " ".join(shlex.quote(part) for part in command) + " <&-"
        done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True)
    else:
        done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr


def output_of(args: list[str]) -> Path | None:
    return Path(args[args.index("-o") + 1]) if "-o" in args else None


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(tmp_path, name):
    case = CASES[name]
    args = case.args(tmp_path)
    target = output_of(args)
    before = None
    if target is not None and target.is_file():
        before = target.read_bytes()  # an input, or the stat file, named as the output
    elif target is not None and not target.exists() and target.parent.is_dir():
        target.write_bytes(PREVIOUS)  # an earlier output the failed run must not touch
        before = PREVIOUS
    try:
        code, _, stderr = invoke(case, args)
        assert code == case.code, stderr
        lines = stderr.rstrip("\n").split("\n")
        assert "Traceback" not in stderr
        assert "Exception" not in stderr
        if case.message.startswith("normkit: error: "):
            assert len(lines) == 1, stderr
        assert stderr.startswith(case.message.format(dir=tmp_path, out=target)), stderr
        if before is not None:
            assert target.read_bytes() == before
        assert leftovers(tmp_path) == []
    finally:
        small = tmp_path / "small"
        if small.is_dir() and os.path.ismount(small):
            subprocess.run(["umount", str(small)], check=False)
        for path in (tmp_path / "secret.csv", tmp_path / "ro"):
            if path.exists():
                path.chmod(0o755)


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


def test_a_failing_fit_leaves_the_stat_file_untouched(tmp_path):
    """A failing fit over an existing stat file keeps it byte for byte."""
    good = good_csv(tmp_path)
    out = tmp_path / "s.json"
    assert (
        CliRunner().invoke(cli, ["fit", str(good), "--exclude", "id", "-o", str(out)]).exit_code
        == 0
    )
    before = out.read_bytes()
    bad = write(tmp_path / "bad.csv", "id,x,y\n1,2,3\n2,zz,4\n")
    result = CliRunner().invoke(cli, ["fit", str(bad), "--columns", "x,y", "-o", str(out)])

    assert result.exit_code == 1
    assert out.read_bytes() == before
    assert shutil.which("setpriv")  # the unprivileged cases need it where tests run as root


@pytest.mark.parametrize(
    "text",
    ['x,n\n1,"a\nb"\n2,"c"\n', 'x,n\n1,"a\r\nb ""q"" z"\r\n', 'x,n\n1,"a\nb"', 'x,n\n1,a\n2,c"\n'],
)
def test_closed_multiline_and_stray_quotes_are_accepted(tmp_path, text):
    """The unterminated-quote check does not refuse well-formed (or harmlessly lax) CSV."""
    path = write(tmp_path / "ok.csv", text)
    result = CliRunner().invoke(cli, ["fit", str(path), "-q"])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    ("text", "options", "role"),
    [
        ("x,y\n1,2\n3,4\n", ["--comment", ","], "separate"),
        ("x;y\n1;2\n3;4\n", ["--comment", ";"], "separate"),
        ("x y\n1 2\n3 4\n", ["--delimiter", " ", "--comment", " "], "separate"),
        ("x,y\n1,'a'\n3,'b'\n", ["--quote", "'", "--comment", "'"], "quote"),
    ],
)
def test_a_comment_character_that_separates_or_quotes_is_refused(tmp_path, text, options, role):
    path = tmp_path / "c.csv"
    path.write_text(text)
    result = run("fit", path, *options, "-o", tmp_path / "s.json")
    assert_error(result, 2, "c.csv", f"cannot both {role} fields and start comments", "--comment")
    assert not (tmp_path / "s.json").exists()


def test_a_file_read_as_one_column_is_told_its_separator_not_a_decimal_comma(tmp_path):
    # Following a '--decimal ,' hint here fitted one column 'a,b' of 1.2 and 3.4.
    path = tmp_path / "cm.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    line = assert_error(run("fit", path, "--delimiter", ";", "-o", tmp_path / "s.json"), 1)
    assert "--delimiter ," in line
    assert "--decimal" not in line


@pytest.mark.parametrize(("compress", "suffix"), [(gzip.compress, ".gz"), (None, ".bz2")])
def test_compressed_data_without_its_suffix_is_named(tmp_path, compress, suffix):
    import bz2

    data = b"x,y\n1,2\n3,4\n"
    packed = compress(data) if compress else bz2.compress(data)
    path = tmp_path / "packed.csv"
    path.write_bytes(packed)
    name = {".gz": "gzip", ".bz2": "bz2"}[suffix]
    line = assert_error(run("fit", path, "-o", tmp_path / "s.json"), 1)
    assert f"it is {name}-compressed: name the file with {suffix}" in line
    # Piped, it is decompressed (a pipe has no name to tell its compression).
    piped = run("fit", "-", "-q", "-o", tmp_path / "s.json", input=packed)
    assert piped.exit_code == 0, piped.stderr
    assert [c["mean"] for c in json.loads((tmp_path / "s.json").read_text())["columns"]] == [
        2.0,
        3.0,
    ]


def test_a_title_block_taken_for_the_header_is_told_the_lines_to_skip(tmp_path):
    path = tmp_path / "pre.csv"
    path.write_text("Exported by tool, version 2\nDate: 2026-01-01\na,b\n1,2\n3,4\n5,6\n")
    line = assert_error(run("fit", path, "-o", tmp_path / "s.json"), 1, "(line 2)")
    assert "skip them (--skip-rows 2)" in line
    result = run("fit", path, "--skip-rows", "2", "-q", "-o", tmp_path / "s.json")
    assert result.exit_code == 0, result.stderr
    # A row of the wrong length inside a table is no title: no such hint.
    path.write_text("a,b\n1,2\n3,4,5\n6,7\n8,9\n")
    line = assert_error(run("fit", path, "-o", tmp_path / "s.json"), 1, "(line 3)")
    assert "--skip-rows" not in line


@pytest.mark.parametrize(
    ("text", "skip", "value"),
    [
        ("Report,Q3\nid,x\n1,2.5\n2,3.5\n3,4\n", 1, "id"),
        ("Report,2026\nGenerated,by tool\nid,x\n1,2.5\n2,3.5\n3,4\n", 2, "Generated"),
    ],
)
def test_a_title_block_that_splits_like_the_table_is_told_the_lines_to_skip(
    tmp_path, text, skip, value
):
    # Its lines split like the table's, so the title was taken for the header and the real
    # header for data: "not a number", with no word of the lines to skip.
    path = tmp_path / "pre.csv"
    path.write_text(text)
    line = assert_error(run("fit", path, "-o", tmp_path / "s.json"), 1)
    above = "the line above the table is not part of it, skip it"
    if skip > 1:
        above = f"the {skip} lines above the table are not part of it, skip them"
    # Names in every field of the line above: a row of units under a header, or the header under
    # a title? Both said (--skip-rows 1 made the units the names, exit 0).
    units = " or if data row 1 is no data (units, notes under the header), remove it" * (skip == 1)
    assert line == (
        f"normkit: error: {path}: column 'Report' at data row 1: {value!r} is not a number; if "
        f"{above} (--skip-rows {skip}){units} or exclude the column (--exclude Report) or add the "
        "string to --null-values"
    )
    result = run("fit", path, "--skip-rows", str(skip), "-q", "-o", tmp_path / "s.json")
    assert result.exit_code == 0, result.stderr
    # A value that is not a number within a table is no title: no such hint, whether the rows
    # above it hold numbers in its column or in another.
    for table in ("id,x\n1,2\n2,abc\n3,4\n", "a,b\n1,x\n2,y\n3,z\n4,w\n1.2.3,q\n6,r\n"):
        path.write_text(table)
        line = assert_error(run("fit", path, "-o", tmp_path / "s.json"), 1)
        assert "--skip-rows" not in line
    # Fitted without it, a file with the title is told where its header is.
    clean = tmp_path / "clean.csv"
    clean.write_text("id,x\n1,2.5\n2,3.5\n")
    assert run("fit", clean, "-q", "-o", tmp_path / "c.json").exit_code == 0
    path.write_text(text)
    line = assert_error(run("transform", path, "-s", tmp_path / "c.json"), 1)
    above = "the line above it is" if skip == 1 else f"the {skip} lines above it are"
    assert line == (
        f"normkit: error: {path}: the stat file has columns 'id', 'x' but the input has none of "
        f"them; line {skip + 1} names them: if {above} not part of the table, skip "
        f"{'it' if skip == 1 else 'them'} (--skip-rows {skip})"
    )


def test_no_header_after_the_lines_to_skip_says_why(tmp_path):
    # The file is not empty: it has fewer lines than those to skip, or only comments.
    path = tmp_path / "short.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    for skip in ("3", "1000"):
        line = assert_error(run("fit", path, "--skip-rows", skip, "-o", tmp_path / "s.json"), 1)
        assert line.endswith(
            f"no header after the {int(skip):,} lines to skip (--skip-rows, given or recorded "
            "in the stat file): the input has 3 lines"
        )
    # Without a header, no record follows them; one line is one.
    path.write_text("a title\n")
    line = assert_error(
        run("fit", path, "--no-header", "--skip-rows", "1", "-o", tmp_path / "s.json"), 1
    )
    assert "no record after the 1 line to skip (--skip-rows" in line
    path.write_text("# a note\n\n# another\n")
    line = assert_error(run("fit", path, "--comment", "#", "-o", tmp_path / "s.json"), 1)
    assert line.endswith("no header: the input has only blank or comment lines")
    assert not (tmp_path / "s.json").exists()


def test_a_text_column_chosen_by_name_is_told_to_be_left_out_of_the_choice(tmp_path):
    # Excluding it would contradict --columns ("both chosen and excluded").
    path = tmp_path / "plain.csv"
    path.write_text("name,v\nann,1\nbob,2\n")
    line = assert_error(run("fit", path, "--columns", "name", "-o", tmp_path / "s.json"), 1)
    assert line.endswith(
        "column 'name' at data row 1: 'ann' is not a number; its first rows are text: leave it "
        "out of the columns chosen (--columns) or add the string to --null-values"
    )
    # Dates and times are never numbers: refused by their type.
    path.write_text("day,v\n2024-01-01,1\n2024-01-05,2\n")
    line = assert_error(run("fit", path, "--columns", "day", "-o", tmp_path / "s.json"), 1)
    assert line.endswith(
        "column 'day' has type date32[day], which is not numeric; leave it out of the columns "
        "chosen (--columns)"
    ), line
    # A column of numbers with one bad value, chosen by its type, is told to be excluded;
    # chosen by name, to be left out of the choice.
    path.write_text("name,v\nann,1\nbob,2\ncid,x\ndan,4\nemma,5\n")
    line = assert_error(run("fit", path, "--exclude", "name", "-o", tmp_path / "s.json"), 1)
    assert "'x' is not a number; exclude the column (--exclude v)" in line
    line = assert_error(run("fit", path, "--columns", "v", "-o", tmp_path / "s.json"), 1)
    assert "'x' is not a number; leave it out of the columns chosen (--columns) or add" in line


def test_a_quote_never_closed_far_from_the_end_is_named_with_its_line(tmp_path):
    # The rest of the file (over four blocks) is inside the quote: the record's end is never
    # found. That is the quote's error, with its line, not "a row is longer than the block".
    rows = ["a,b,c"] + [f"{i}.5,{i}.25,{i}" for i in range(300_000)]
    rows[30_001] = '"' + rows[30_001]
    data = tmp_path / "uq.csv"
    data.write_text("\n".join(rows) + "\n")
    proc = run_normkit("fit", data, "-o", tmp_path / "s.json")
    message = proc.stderr.decode()
    assert proc.returncode == 1, message
    assert "at data row 30,001 (line 30,002)" in message
    assert "column 'a': a quoted field opened here is not closed within 4 MiB" in message
    assert "--csv-block-size" in message
    assert not (tmp_path / "s.json").exists()
    good = tmp_path / "good.csv"
    good.write_text("\n".join(rows[:30_001]) + "\n")
    assert run_normkit("fit", good, "-o", tmp_path / "s.json").returncode == 0
    proc = run_normkit("transform", data, "-s", tmp_path / "s.json", "-o", tmp_path / "z.csv")
    assert proc.returncode == 1
    assert "at data row 30,001 (line 30,002)" in proc.stderr.decode()
    assert not (tmp_path / "z.csv").exists()


def test_a_column_empty_in_its_first_rows_is_told_to_be_excluded(tmp_path):
    # Fitted by default (no type to tell), it is excluded like any column of numbers; the
    # hint about a choice by --columns (none was made) was wrong.
    # (Its first value types it: here a number, so that the word after it is refused.)
    rows = ["a,code"] + [f"{i % 97}.5," for i in range(200_000)] + ["1.25,7", "2.25,x1"]
    data = tmp_path / "late.csv"
    data.write_text("\n".join(rows) + "\n")
    proc = run_normkit("fit", data, "-o", tmp_path / "s.json")
    message = proc.stderr.decode()
    assert proc.returncode == 1, message
    assert "column 'code' at data row 200,002: 'x1' is not a number" in message
    assert "--exclude code" in message
    assert "--columns" not in message


@pytest.mark.parametrize(
    ("fmt", "told"), [("arrow", "an Arrow IPC stream"), ("parquet", "Parquet")]
)
def test_binary_data_read_as_csv_is_told_its_format_by_its_magic_number(tmp_path, fmt, told):
    data, stats = tmp_path / "i.csv", tmp_path / "s.json"
    data.write_text("a,b\n1,2\n3,5\n")
    assert run_normkit("fit", data, "-o", stats).returncode == 0
    out = run_normkit("transform", data, "-s", stats, "-o", "-", "--output-format", fmt)
    assert out.returncode == 0
    # Piped in, its first bytes tell its format; in a file named .csv, it is told by them.
    proc = run_normkit("inverse", "-", "-s", stats, stdin=out.stdout)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"a,b\n1,2\n3,5\n"
    misnamed = tmp_path / "z.csv"
    misnamed.write_bytes(out.stdout)
    proc = run_normkit("inverse", misnamed, "-s", stats)
    message = proc.stderr.decode()
    assert proc.returncode == 1, message
    assert f"it is {told}: name its format (--input-format {fmt})" in message


def test_a_token_is_shown_as_written_so_that_it_can_be_typed_back(tmp_path):
    # repr would show '\\N', which typed as a missing-value string would not match.
    path = tmp_path / "n.csv"
    path.write_text("a,b\n1,2\n3,4\n5,\\N\n6,7\n")
    proc = run_normkit("fit", path, "-o", tmp_path / "s.json")
    assert proc.returncode == 1
    assert f"{path}: column 'b' at data row 3: '\\N' is not a number;" in proc.stderr.decode()
    token = proc.stderr.decode().split(": ")[-1].split("'")[1]
    proc = run_normkit("fit", path, "-o", tmp_path / "s.json", "--null-values", token)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "s.json").read_text())["columns"][1]["count"] == 3


def test_a_comment_line_past_the_first_lines_of_a_file_without_comments_is_named(tmp_path):
    rows = [f"{i},{2 * i}" for i in range(20_000)]
    rows.insert(15_000, "# sensor restarted")
    path, stats = tmp_path / "c.csv", tmp_path / "s.json"
    path.write_text("a,b\n" + "\n".join(rows) + "\n")
    proc = run_normkit("fit", path, "-o", stats)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"normkit: error: {path} at data row 15,001 (line 15,002): malformed CSV: expected 2 fields, got 1: "
        "# sensor restarted; if lines starting with '#' are comments, skip them (--comment '#')\n"
    )
    assert not stats.exists()
    proc = run_normkit("fit", path, "-o", stats, "--comment", "#")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(stats.read_text())["columns"][0]["mean"] == np.arange(20_000).mean()


@pytest.mark.parametrize("sep", [",", ";"])
def test_a_row_ending_with_a_separator_the_header_lacks_is_told_so(tmp_path, sep):
    # "expected 6 fields, got 7" and no hint: the separator at the row's end was not named.
    rows = [sep.join(["1", "2", "3", "4", "5", str(i)]) for i in range(5_000)]
    rows[3_000] += sep
    path = tmp_path / "t.csv"
    path.write_text(sep.join("abcdef") + "\n" + "\n".join(rows) + "\n")
    proc = run_normkit("fit", path, "-o", tmp_path / "s.json")
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"normkit: error: {path} at data row 3,001 (line 3,002): malformed CSV: expected 6 "
        f"fields, got 7: {rows[3_000]}; the record ends with the separator {sep!r}, the header "
        "does not: a trailing separator on some rows only; remove it from those rows\n"
    )
    assert not (tmp_path / "s.json").exists()
    # The other way round: rows that end with it (an empty last column) but one.
    rows = [f"{i}{sep}2{sep}" for i in range(5_000)]
    rows[3_000] = rows[3_000].removesuffix(sep)
    path.write_text(f"a{sep}b\n" + "\n".join(rows) + "\n")
    proc = run_normkit("fit", path, "-o", tmp_path / "s.json")
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"normkit: error: {path} at data row 3,001 (line 3,002): malformed CSV: expected 3 "
        f"fields, got 2: {rows[3_000]}; the first rows end with the separator {sep!r} (an empty "
        "last column), this one does not: a trailing separator on some rows only; end every "
        "row with it, or none\n"
    )


def test_a_double_quoted_field_past_the_first_lines_of_a_single_quoted_file_gets_the_hint(
    tmp_path,
):
    # The first lines hold single-quoted fields and no double quote: "'" is found to quote.
    names = ["Pat", "Lee", "O'Brien", "D'Angelo", "'Jo'"]
    rows = [f"{names[i % 5]},{i * 0.1:.5f},{i}" for i in range(20_000)]
    rows[15_000] = '"Smith, John",1.0,15000'
    path, stats = tmp_path / "q.csv", tmp_path / "s.json"
    path.write_text("name,v,w\n" + "\n".join(rows) + "\n")
    proc = run_normkit("fit", path, "-o", stats)
    assert proc.returncode == 1
    assert proc.stderr.decode().endswith(
        """got 4: "Smith, John",1.0,15000; if '"' quotes fields, read with it (--quote '"')\n"""
    )
    proc = run_normkit("fit", path, "-o", stats, "--quote", '"')
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(path)
    doc = json.loads(stats.read_text())
    np.testing.assert_allclose(
        [c["mean"] for c in doc["columns"]], frame[["v", "w"]].mean(), rtol=1e-15
    )


def test_a_comment_line_in_a_file_of_one_column_gets_the_hint(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("x\n1\n2\n# mid\n3\n")
    proc = run_normkit("fit", path, "-o", tmp_path / "s.json")
    assert proc.returncode == 1
    assert "'# mid' is not a number; if lines starting with '#' are comments, skip them" in (
        proc.stderr.decode()
    )
    proc = run_normkit("fit", path, "--comment", "#", "-o", tmp_path / "s.json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "s.json").read_text())["columns"][0]["mean"] == 2.0


def test_a_chosen_column_named_in_another_case_is_told_the_name_meant(tmp_path):
    # The name meant and the list of every column ran together as two hints joined by "or".
    data = tmp_path / "w.csv"
    data.write_text("id,alcohol,Proline\n1,2,3\n2,3,4\n3,5,1\n")
    for option, given, meant in (("--exclude", "ID", "id"), ("--columns", "proline", "Proline")):
        proc = run_normkit("fit", data, option, given, "-o", tmp_path / "s.json")
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.decode().strip() == (
            f"normkit: error: {data}: no column {given!r} in the input (given in {option}); "
            f"the input has {meant!r}, which differs from {given!r} in case or spaces"
        )
    proc = run_normkit("fit", data, "--exclude", "idx", "-o", tmp_path / "s.json")
    assert (
        proc.stderr.decode().strip().endswith("; the input has columns 'id', 'alcohol', 'Proline'")
    )
    # So do the weight column, drift's thresholds and the report's columns (they listed every
    # column, or named none).
    told = "'alcohol', which differs from 'Alcohol' in case or spaces"
    proc = run_normkit("fit", data, "--weight-column", "Alcohol", "-o", tmp_path / "s.json")
    assert proc.stderr.decode().strip().endswith(f"; the input has {told}"), proc.stderr
    assert run_normkit("fit", data, "-o", tmp_path / "s.json").returncode == 0
    checks = (
        ("drift", "--threshold", "Alcohol=0.3", "the statistics have"),
        ("report", "--columns", "Alcohol", "the stat file has"),
    )
    # Two names alike: both told, either may be meant.
    both = tmp_path / "both.csv"
    both.write_text("spend,Age,age\n1,3,4\n2,4,5\n3,1,2\n")
    proc = run_normkit("fit", both, "--exclude", "AGE", "-o", tmp_path / "s2.json")
    assert (
        proc.stderr.decode()
        .strip()
        .endswith("; the input has 'Age' and 'age', which differ from 'AGE' in case or spaces")
    ), proc.stderr
    for command, option, value, whose in checks:
        out = ("-o", tmp_path / "r.html") if command == "report" else ()
        proc = run_normkit(command, data, "-s", tmp_path / "s.json", option, value, *out)
        assert proc.returncode == 1
        assert proc.stderr.decode().strip().endswith(f"; {whose} {told}"), proc.stderr


def test_a_column_renamed_only_in_case_or_spaces_is_named(tmp_path):
    fitted, renamed = tmp_path / "f.csv", tmp_path / "r.csv"
    fitted.write_text("price,qty\n1,2\n3,4\n5,7\n")
    renamed.write_text("Price ,qty\n1,2\n")
    stats = tmp_path / "s.json"
    assert run_normkit("fit", fitted, "-o", stats).returncode == 0
    proc = run_normkit("transform", renamed, "-s", stats)
    assert proc.returncode == 1
    assert proc.stderr.decode().strip() == (
        f"normkit: error: {renamed}: the stat file has column 'price' but the input has no such "
        "column; the input has 'Price ', which differs from 'price' in case or spaces"
    )


def test_names_that_look_alike_or_need_quotes_are_named(tmp_path):
    # 'the input has no such column' beside a header showing 'café' (written NFD, fitted NFC);
    # 'no columns 'b', 'c'' for the column 'b,c'; 'no column 'lead'' for ' lead'.
    nfc, nfd = "caf\u00e9", "cafe\u0301"
    fitted, other = tmp_path / "nfc.csv", tmp_path / "nfd.csv"
    fitted.write_text(f"{nfc},x\n1,2\n2,3\n4,5\n")
    other.write_text(f"{nfd},x\n1,2\n")
    stats = tmp_path / "s.json"
    assert run_normkit("fit", fitted, "-o", stats).returncode == 0
    proc = run_normkit("transform", other, "-s", stats)
    assert (
        proc.stderr.decode()
        .strip()
        .endswith(
            "the input has 'cafe\\u0301', which is 'caf\\xe9' in another Unicode form (they look "
            "alike): write the names alike"
        )
    )
    data = tmp_path / "names.csv"
    data.write_text(' lead,a,"b,c"\n1,2,3\n2,3,4\n4,5,7\n')
    for option, given, hint in (
        ("--columns", " lead", "with spaces at its ends (in a list of names on the command line"),
        ("--exclude", "b,c", "holding a comma (in a list of names on the command line, written"),
        ("--gamma", " lead=5", "with spaces at its ends (in a list of names on the command line"),
    ):
        proc = run_normkit("fit", data, option, given, "-o", tmp_path / "t.json")
        assert proc.returncode in (1, 2), proc.stderr
        assert hint in proc.stderr.decode(), proc.stderr
    quoted = run_normkit("fit", data, "--columns", '" lead","b,c"', "-o", tmp_path / "t.json")
    assert quoted.returncode == 0, quoted.stderr


def test_a_quoted_name_that_reads_as_two_columns_is_refused(tmp_path):
    # A column written '"q"' beside 'q': --columns '"q"' selected 'q' (its quotes read as
    # quoting) without a word. Where both readings name a column, each is named and how to
    # write it; where one does, it is taken.
    data, stats = tmp_path / "qq.csv", tmp_path / "s.json"
    data.write_text('q,"""q""",z\n1,10,5\n2,20,6\n3,35,8\n')
    told = (
        "{option} names '\"q\"', which reads as the column 'q' (its quotes as quoting) and as "
        "the column '\"q\"' (as written): which is meant cannot be told; for 'q' give "
        '{option} q or for \'"q"\' give {option} \'"""q"""\''
    )
    for option in ("--columns", "--exclude"):
        proc = run_normkit("fit", data, option, '"q"', "-o", stats)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.decode() == f"normkit: error: {told.format(option=option)}\n"
        assert not stats.exists()
    for given, fitted in (("q", "q"), ('"""q"""', '"q"')):
        assert run_normkit("fit", data, "--columns", given, "-o", stats).returncode == 0
        assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == [fitted]
    # A report's columns are the stat file's, normalized or passed through.
    proc = run_normkit("report", data, "-s", stats, "--columns", '"q"', "-o", tmp_path / "r.html")
    assert proc.stderr.decode() == f"normkit: error: {told.format(option='--columns')}\n"
    assert not (tmp_path / "r.html").exists()
    single = tmp_path / "q.csv"
    single.write_text("q,z\n1,5\n2,6\n3,8\n")
    assert run_normkit("fit", single, "--columns", '"q"', "-o", stats).returncode == 0


def test_a_quoted_name_of_col_value_that_reads_as_two_columns_is_refused(tmp_path):
    # --gamma '"q"=2' beside columns '"q"' and q set q's gamma (its quotes read as quoting),
    # exit 0; every COL=value option now applies --columns' rule, with the value in its ways.
    data, stats = tmp_path / "q.csv", tmp_path / "s.json"
    data.write_text('"""q""",q,r\n1,10,5\n2,20,6\n3,30,8\n4,45,9\n')
    told = (
        "normkit: error: {option} names '\"q\"', which reads as the column 'q' (its quotes as "
        "quoting) and as the column '\"q\"' (as written): which is meant cannot be told; for "
        '\'q\' give {option} q=2.0 or for \'"q"\' give {option} \'"""q"""=2.0\'\n'
    )
    out = tmp_path / "q.json"
    for option in ("--gamma", "--beta"):
        proc = run_normkit("fit", data, option, '"q"=2', "-o", out)
        assert (proc.returncode, proc.stderr.decode()) == (2, told.format(option=option))
        assert not out.exists()
    # The written reading passed through, not fitted, is as much a column of the data (either
    # engine: the Dask one checked the fitted columns only).
    for engine in (("--engine", "local"), ("--engine", "dask", "--workers", "1")):
        chosen = ("--columns", "q,r", *engine)
        proc = run_normkit("fit", data, *chosen, "--gamma", '"q"=2', "-o", out)
        assert (proc.returncode, proc.stderr.decode()) == (2, told.format(option="--gamma"))
    assert run_normkit("fit", data, "-o", stats, "-q").returncode == 0
    for command, option, value in (
        ("transform", "--gamma", '"q"=2'),
        ("inverse", "--beta", 'r=1, "q"=2'),
        ("drift", "--threshold", '"q"=2'),
    ):
        args = ("-o", tmp_path / "out.csv") if command != "drift" else ()
        proc = run_normkit(command, data, "-s", stats, option, value, *args)
        assert (proc.returncode, proc.stderr.decode()) == (2, told.format(option=option))
        assert not (tmp_path / "out.csv").exists()
        assert not proc.stdout
    model = tmp_path / "m.onnx"
    proc = run_normkit("export", "-s", stats, "--to", "onnx", "--gamma", '"q"=2', "-o", model)
    assert (proc.returncode, proc.stderr.decode()) == (2, told.format(option="--gamma"))
    assert not model.exists()
    # Each written as the hint says is taken.
    for given, column in (("q=2", "q"), ('"""q"""=2', '"q"')):
        assert run_normkit("fit", data, "--gamma", given, "-o", out, "-q").returncode == 0
        gammas = {c["name"]: c.get("gamma", 1.0) for c in json.loads(out.read_text())["columns"]}
        assert gammas == {'"q"': 1.0, "q": 1.0, "r": 1.0, column: 2.0}
        out.unlink()


def test_an_arrow_stream_cut_inside_a_batch_is_called_cut_short(tmp_path):
    # pyarrow's words alone ("Expected to be able to read 400000 bytes for message body, got
    # 399944") did not say the stream was truncated.
    stats, data = tmp_path / "s.json", tmp_path / "t.arrows"
    table = pa.table({"x": np.random.default_rng(0).normal(size=200_000)})
    with pa.ipc.new_stream(data, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=50_000):
            writer.write_batch(batch)
    assert run_normkit("fit", data, "-o", stats).returncode == 0
    whole = data.read_bytes()
    data.write_bytes(whole[: len(whole) // 2])
    for args, stdin, name in (
        ((data,), None, str(data)),
        (("-",), whole[: len(whole) // 2], "<stdin>"),
    ):
        proc = run_normkit("transform", *args, "-s", stats, "--input-format", "arrow", stdin=stdin)
        assert (proc.returncode, proc.stdout) == (1, b""), proc.stderr
        line = proc.stderr.decode().strip()
        assert line.startswith(
            f"normkit: error: {name}: the Arrow data ends inside a record batch "
        )
        assert line.endswith("): it was cut short; write it again"), line


def test_a_parquet_file_cut_short_is_told_so(tmp_path):
    # It was "cannot read as parquet: Parquet magic bytes not found in footer. Either the file
    # is corrupted or this is not a parquet file.", which does not say that a copy may have
    # stopped.
    stats, data = tmp_path / "s.json", tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": np.random.default_rng(0).normal(size=50_000)}), data)
    assert run_normkit("fit", data, "-o", stats).returncode == 0
    whole = data.read_bytes()
    data.write_bytes(whole[: len(whole) // 2])
    for args, stdin, name in (((data,), None, str(data)), (("-",), whole[:1000], "<stdin>")):
        proc = run_normkit(
            "transform", *args, "-s", stats, "--input-format", "parquet", stdin=stdin
        )
        assert (proc.returncode, proc.stdout) == (1, b""), proc.stderr
        line = proc.stderr.decode().strip()
        assert line.startswith(f"normkit: error: {name}: not a whole Parquet file: "), line
        assert "it was cut short" in line, line
        assert "--input-format" in line, line
        assert len(proc.stderr.decode().strip().splitlines()) == 1


def test_an_arrow_stream_cut_between_batches_is_refused_from_standard_input(tmp_path):
    stats = tmp_path / "s.json"
    table = pa.table({"x": [1.0, 2.0, 4.0, 8.0]})
    pq.write_table(table, tmp_path / "t.parquet")
    assert run_normkit("fit", tmp_path / "t.parquet", "-o", stats).returncode == 0
    cut = cut_arrow_stream(tmp_path).read_bytes()
    proc = run_normkit("transform", "-", "-s", stats, "--input-format", "arrow", stdin=cut)
    assert (proc.returncode, proc.stdout) == (1, b"")
    assert proc.stderr.decode().startswith(
        "normkit: error: <stdin>: the Arrow stream ends without its end-of-stream marker"
    )
    # A whole stream in the format before Arrow 0.15 (its marker is 4 zero bytes) is read.
    sink = pa.BufferOutputStream()
    legacy = pa.ipc.IpcWriteOptions(use_legacy_format=True)
    with pa.ipc.new_stream(sink, table.schema, options=legacy) as writer:
        writer.write_table(table)
    old = sink.getvalue().to_pybytes()
    assert old[:4] != b"\xff\xff\xff\xff"
    (tmp_path / "old.arrows").write_bytes(old)
    for args, stdin in [
        ((tmp_path / "old.arrows",), None),
        (("-", "--input-format", "arrow"), old),
    ]:
        proc = run_normkit("transform", *args, "-s", stats, stdin=stdin)
        assert proc.returncode == 0, proc.stderr
        assert len(proc.stdout.decode().splitlines()) == 5


@pytest.mark.parametrize("kind", ["xz", "zip"])
def test_a_compression_normkit_does_not_read_is_named(tmp_path, kind):
    # "not a CSV file (it holds binary data); name the format of a Parquet or Arrow file...":
    # no word of the compression, as gzip's has.
    import lzma
    import zipfile

    path = tmp_path / f"data.csv.{kind}"
    if kind == "xz":
        path.write_bytes(lzma.compress(b"x,y\n1,2\n3,4\n"))
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("data.csv", "x,y\n1,2\n3,4\n")
    for given, stdin in ((path, None), ("-", path.read_bytes())):
        line = assert_error(run("fit", given, "-o", tmp_path / "s.json", input=stdin), 1)
        assert line.endswith(
            f"not a CSV file (it holds binary data); it is {kind}-compressed, which normkit does "
            "not read: decompress it into the command's input"
        )


def test_names_alike_but_for_invisible_characters_or_width_are_named(tmp_path):
    # A byte-order mark left in a Parquet field's name ('\ufefftemp'), or full-width letters,
    # got only "the input has no such column": they look like the name fitted.
    plain, bom, wide = (tmp_path / f"{n}.parquet" for n in ("plain", "bom", "wide"))
    for path, name in ((plain, "temp"), (bom, "\ufefftemp"), (wide, "\uff54\uff45\uff4d\uff50")):
        pq.write_table(pa.table({name: [1.0, 2.0, 4.0], "b": [1.0, 5.0, 6.0]}), path)
    stats = tmp_path / "s.json"
    assert run_normkit("fit", plain, "-o", stats).returncode == 0
    for path, told in (
        (bom, "the input has '\\ufefftemp', which is 'temp' with invisible characters (shown "),
        (wide, "the input has '\uff54\uff45\uff4d\uff50', which is 'temp' in letters of another"),
    ):
        proc = run_normkit("transform", path, "-s", stats, "-o", tmp_path / "o.parquet")
        assert proc.returncode == 1
        assert told in proc.stderr.decode(), proc.stderr
