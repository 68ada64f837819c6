"""CSV to CSV, frozen: records written again by the native engine (normkit.jobs.splice) give
the bytes, the errors and the look at the input of the batch path (records parsed into
columns, mapped by numpy, written by the CSV writer).

The batch path is selected by making ``rewritable`` say no: the same inputs, options and
statistics go through both, and their outputs are compared byte for byte."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import normkit.jobs.transform as transform_module
from normkit.errors import NormkitError
from normkit.io.options import CsvOptions, ReadOptions
from normkit.jobs.fit import fit_files
from normkit.jobs.transform import TransformOptions, transform_file


def both(monkeypatch, inputs, stats, out_dir, options=None, read=None, name="out.csv"):
    """The output (bytes, or the error's message) of the rewrite path, then the batch path."""
    results = []
    real = transform_module.rewritable
    called = []

    def spy(*args):
        called.append(real(*args))
        return called[-1]

    for path, rewritable in (("rewrite", spy), ("batches", lambda *a: False)):
        monkeypatch.setattr(transform_module, "rewritable", rewritable)
        out = out_dir / f"{path}-{name}"
        try:
            transform_file(inputs, stats, out, options, read)
            results.append(out.read_bytes())
        except NormkitError as exc:
            assert not out.exists()
            results.append(f"{type(exc).__name__}: {exc}")
    monkeypatch.setattr(transform_module, "rewritable", real)
    assert called == [True], "the rewrite path was not taken"
    return results


texts = st.text(alphabet=st.sampled_from(list('ab ,"\n\r\té€x;')), min_size=0, max_size=6)
numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(["", "NA", "nan", "-0", "1e300", " 2.5 ", '"3"', "0.1", "-1.5E-7"]),
)


def csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


@st.composite
def csv_files(draw):
    n_floats = draw(st.integers(1, 4))
    rows = draw(
        st.lists(
            st.tuples(texts, st.lists(numbers, min_size=n_floats, max_size=n_floats)),
            min_size=1,
            max_size=40,
        )
    )
    crlf = draw(st.booleans())
    end = "\r\n" if crlf else "\n"
    header = ",".join(["id", *(f"x{j}" for j in range(n_floats))])
    lines = [header]
    for text, values in rows:
        lines.append(",".join([csv_field(text), *values]))
        if draw(st.integers(0, 9)) == 0:
            lines.append("")  # a blank line: no record
    tail = end if draw(st.booleans()) else ""
    return end.join(lines) + tail, n_floats


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(csv_files(), st.sampled_from([4096, 1 << 20]), st.sampled_from([None, 0.5]))
def test_same_bytes_as_the_batch_path(monkeypatch, tmp_path_factory, case, block_size, gamma):
    text, _ = case
    tmp = tmp_path_factory.mktemp("rw")
    data = tmp / "data.csv"
    data.write_text(text, encoding="utf-8", newline="")
    read = ReadOptions(csv=CsvOptions(block_size=block_size))
    try:
        stats = fit_files([data], read=read)
    except NormkitError:
        return  # nothing to fit (every value missing, say): the fit's own tests
    options = TransformOptions(gamma=gamma, renormalize=True)
    new, old = both(monkeypatch, data, stats, tmp, options, read)
    assert new == old


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_large_file_many_chunks_and_the_inverse(monkeypatch, tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "name": [f"r{i}" if i % 7 else f'q "{i}", x' for i in range(30_000)],
            "a": rng.normal(5, 2, 30_000),
            "b": rng.standard_t(3, 30_000) * 1e-5,
        }
    )
    frame.loc[frame.index % 11 == 0, "b"] = np.nan
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    read = ReadOptions(csv=CsvOptions(block_size=256 << 10))
    stats = fit_files([data], read=read)
    new, old = both(monkeypatch, data, stats, tmp_path, TransformOptions(beta=1.5), read)
    assert new == old
    # The output is numpy's (x - mean) / scale + beta, bit for bit.
    back = pd.read_csv(tmp_path / "rewrite-out.csv")
    expected = (frame[["a", "b"]].to_numpy() - stats.mean_) / stats.scale_ + 1.5
    np.testing.assert_array_equal(back[["a", "b"]].to_numpy(), expected)
    assert back["name"].tolist() == frame["name"].tolist()
    inverse = TransformOptions(inverse=True, beta=1.5)  # as its record says
    new, old = both(
        monkeypatch, tmp_path / "rewrite-out.csv", stats, tmp_path, inverse, read, "inv.csv"
    )
    assert new == old


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("a,1\nb,x\n", "is not a number"),
        ("a,1\nb,2,3\n", "expected 2 fields"),
        ("a,1\n\xff,2\n", "invalid"),
        ("a,1\nb,inf\n", "inf"),
        ("a,1\nb,1e308\n", "beyond float64's range"),
        ('a,1\n"b,2\n', "quote"),
        ("a,1\nb\0c,2\n", "holds a NUL character"),
    ],
)
def test_same_errors_as_the_batch_path(monkeypatch, tmp_path, body, words):
    # Far enough into the file that the first block (its types) and the head (its encoding)
    # do not see it.
    good = "".join(f"r{i},{i % 10}\n" for i in range(12_000))
    fitted = write(tmp_path / "fit.csv", "id,x\n" + good)
    stats = fit_files([fitted])
    data = tmp_path / "data.csv"
    data.write_bytes(("id,x\n" + good + body).encode("latin-1"))
    options = TransformOptions(gamma=1e10) if "1e308" in body else None
    read = ReadOptions(csv=CsvOptions(block_size=4096))
    new, old = both(monkeypatch, data, stats, tmp_path, options, read)
    assert isinstance(new, str)
    assert new == old.replace("batches-out.csv", "rewrite-out.csv")  # output errors name it
    assert words in new, new
    assert "data.csv" in new or "rewrite-out.csv" in new


def test_infinities_read_as_missing_keep_nan(monkeypatch, tmp_path):
    fitted = write(tmp_path / "fit.csv", "x,y\n1,a\n2,b\n4,c\n")
    stats = fit_files([fitted])
    data = write(tmp_path / "data.csv", "x,y\ninf,a\nnan,b\n-inf,c\n3,d\n")
    # (NaN is a missing-value string by default: here it is read as a number.)
    read = ReadOptions(inf_as_missing=True, csv=CsvOptions(null_values=("",)))
    new, old = both(monkeypatch, data, stats, tmp_path, read=read)
    assert new == old
    lines = new.decode().splitlines()
    # NaN read as such stays NaN beside the infinities made missing.
    assert [line.split(",")[0] for line in lines[1:4]] == ["", "NaN", ""]


def test_encodings_and_several_inputs(monkeypatch, tmp_path):
    fitted = write(tmp_path / "fit.csv", "t;x\né;1,5\nb;2,5\nc;4\n", "latin-1")
    read = ReadOptions(csv=CsvOptions(delimiter=";", decimal=",", encoding="latin-1"))
    stats = fit_files([fitted], read=read)
    one = write(tmp_path / "one.csv", "t;x\né;1,5\nü;NA\n", "latin-1")
    two = write(tmp_path / "two.csv", 't;x\n"a;b";7\n', "latin-1")
    new, old = both(monkeypatch, [one, two], stats, tmp_path)
    assert new == old
    assert new.decode("latin-1").splitlines()[1].startswith("é;")
    assert '"a;b";' in new.decode("latin-1")
    mark = write(tmp_path / "mark.csv", "\ufefft;x\na;1\n")
    new, old = both(monkeypatch, mark, stats, tmp_path, name="mark.csv")
    assert new == old
    assert new.startswith(b"\xef\xbb\xbf")


def test_a_column_of_one_writes_missing_values_quoted(monkeypatch, tmp_path):
    fitted = write(tmp_path / "fit.csv", "x\n1\n2\n4\n")
    stats = fit_files([fitted])
    data = write(tmp_path / "data.csv", "x\n1\n\nNA\n2\n")
    new, old = both(monkeypatch, data, stats, tmp_path)
    assert new == old
    assert new.decode().splitlines()[2:4] == ['""', '""']


def test_looks_already_normalized_as_the_batch_path_does(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    raw = pd.DataFrame({"x": rng.normal(50, 10, 5000), "y": rng.normal(-3, 0.1, 5000)})
    raw.to_csv(tmp_path / "raw.csv", index=False)
    stats = fit_files([tmp_path / "raw.csv"])
    transform_file(tmp_path / "raw.csv", stats, tmp_path / "z.csv")
    new, old = both(monkeypatch, tmp_path / "z.csv", stats, tmp_path)
    assert new == old
    assert "already" in new
    assert "normalized" in new
    assert not math.isnan(float(pd.read_csv(tmp_path / "z.csv")["x"].iloc[0]))


def test_files_of_numbers_only_are_read_in_the_chunks_of_the_batch_path(monkeypatch, tmp_path):
    # No text column: chunks of several blocks, as the batch path reads them, so that of an
    # infinity early in the file and a bad value late in the same chunk, the bad value is told.
    fitted = write(tmp_path / "fit.csv", "a\n1\n2\n1\n2\n")
    stats = fit_files([fitted])
    data = write(tmp_path / "data.csv", "a\ninf\n" + "1\n" * 20_000 + "x\n")
    read = ReadOptions(csv=CsvOptions(block_size=16 << 10))
    new, old = both(monkeypatch, data, stats, tmp_path, read=read)
    assert new == old
    assert "'x' is not a number" in new


def test_chunks_of_blank_lines_do_not_shift_the_look(monkeypatch, tmp_path):
    # The look takes the first 16 batches, then every 16th; a chunk of blank lines is no batch.
    rng = np.random.default_rng(5)
    fitted = tmp_path / "fit.csv"
    fitted.write_text("a,t\n" + "".join(f"{v:+.6f},ab\n" for v in rng.normal(100, 10, 500)))
    stats = fit_files([fitted])
    rows = [f"{v:+.9f}"[:12] + ",ab\n" for v in rng.normal(0, 1, 5120)]
    rows[4096:4352] = ["+1000000.000,ab\n"] * 256
    data = tmp_path / "data.csv"
    data.write_text("a,t\n" + "".join(rows[:256]) + "\n" * 4096 + "".join(rows[256:]))
    read = ReadOptions(csv=CsvOptions(block_size=4096))
    new, old = both(monkeypatch, data, stats, tmp_path, read=read)
    assert new == old


def test_the_infinite_output_told_is_the_batch_paths(monkeypatch, tmp_path):
    # Column by column (stat-file order), each at its first row, as the batch path looks.
    fitted = write(tmp_path / "fit.csv", "a,b\n1,1\n2,3\n3,5\n")
    stats = fit_files([fitted])
    data = write(tmp_path / "data.csv", "a,b\n1,inf\ninf,1\n")
    new, old = both(monkeypatch, data, stats, tmp_path)
    assert new == old
    assert "column 'a' at data row 2" in new
