"""Arrow tables that keep normkit's record of how they were made (a Parquet output of ``normkit
transform`` read back) are inverted by ``Standardizer.inverse_transform`` as the record says, and
refused by ``transform``, as ``normkit inverse`` and ``normkit transform`` treat their files."""

from __future__ import annotations

import itertools
from contextlib import nullcontext

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import normkit_summary

import normkit
from normkit.errors import InputError, OptionError


@pytest.fixture
def raw(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"age": rng.integers(18, 90, 1000), "income": rng.lognormal(10, 0.5, 1000)}
    )
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    normkit_summary("fit", str(path), "-o", str(tmp_path / "s.json"))
    return path, frame


def _normalized(tmp_path, raw_path, *options) -> pa.Table:
    out = tmp_path / "z.parquet"
    normkit_summary(
        "transform", str(raw_path), "-s", str(tmp_path / "s.json"), *options, "-o", str(out)
    )
    return pq.read_table(out)


@pytest.mark.parametrize("options", [("--gamma", "2", "--beta", "1"), ("--use", "ema")])
def test_inverse_transform_undoes_what_the_tables_record_says(tmp_path, raw, options):
    path, frame = raw
    table = _normalized(tmp_path, path, *options)
    stats = normkit.load(tmp_path / "s.json")
    # Statistics of 4 running batches are far from the exact ones: said, as the CLI says it.
    noted = pytest.warns(normkit.NormkitNote) if "ema" in options else nullcontext()
    with noted:
        restored = stats.inverse_transform(table)
    np.testing.assert_allclose(restored.column("age").to_numpy(), frame["age"], rtol=1e-12)
    np.testing.assert_allclose(restored.column("income").to_numpy(), frame["income"], rtol=1e-12)
    # The output is raw data again: no record says otherwise.
    assert b"normkit.transform" not in restored.schema.metadata
    batch = table.to_batches()[0]  # a record batch keeps the record too
    noted = pytest.warns(normkit.NormkitNote) if "ema" in options else nullcontext()
    with noted:
        again = stats.inverse_transform(batch)
    np.testing.assert_allclose(again.column("age").to_numpy(), frame["age"][: batch.num_rows])


def test_inverse_transform_of_transform_file_output_with_gamma_and_beta(tmp_path, raw):
    path, frame = raw
    stats = normkit.load(tmp_path / "s.json")
    out = tmp_path / "z.parquet"
    normkit.transform_file(
        str(path), stats, str(out), normkit.TransformOptions(gamma=2.0, beta=1.0)
    )
    restored = stats.inverse_transform(pq.read_table(out))
    np.testing.assert_allclose(restored.column("age").to_numpy(), frame["age"], rtol=1e-12)


def test_transform_refuses_a_table_recorded_as_normalized(tmp_path, raw):
    path, _ = raw
    table = _normalized(tmp_path, path)
    stats = normkit.load(tmp_path / "s.json")
    with pytest.raises(InputError) as refused:
        stats.transform(table)
    assert str(refused.value) == (
        "the table is already normalized with these statistics (its metadata says so); "
        "normalizing it again would not give what you expect; invert it (if that was meant) "
        "or normalize it again all the same (renormalize=True)"
    )
    twice = stats.transform(table, renormalize=True)
    assert b"normkit.transform" not in twice.schema.metadata


def test_inverse_transform_refuses_what_contradicts_the_record(tmp_path, raw):
    path, frame = raw
    table = _normalized(tmp_path, path, "--gamma", "2")
    stats = normkit.load(tmp_path / "s.json")
    with pytest.raises(OptionError, match="the table was normalized with gamma="):
        stats.inverse_transform(table, gamma=1.0)
    other = normkit.Standardizer().fit(frame.assign(age=frame["age"] * 2))
    with pytest.raises(InputError, match="the table was normalized with other statistics"):
        other.inverse_transform(table)


def test_a_stream_of_a_normalized_files_batches_is_read_by_its_record(tmp_path, raw):
    # The batches of ParquetFile.iter_batches keep the record each, as a reader's schema does:
    # they were inverted as raw (ages of 124 for 79 under gamma 2 and beta 1) and normalized
    # again, silently.
    path, frame = raw
    _normalized(tmp_path, path, "--gamma", "2", "--beta", "1")
    stats = normkit.load(tmp_path / "s.json")
    parquet = pq.ParquetFile(tmp_path / "z.parquet")
    reader = pa.RecordBatchReader.from_batches(parquet.schema_arrow, parquet.iter_batches(300))
    for stream in (parquet.iter_batches(300), reader, list(parquet.iter_batches(300))):
        batches = list(stats.inverse_transform(stream))
        restored = pa.Table.from_batches(batches)
        np.testing.assert_allclose(restored.column("age").to_numpy(), frame["age"], rtol=1e-12)
        assert all(b"normkit.transform" not in (b.schema.metadata or {}) for b in batches)
    with pytest.raises(InputError, match="the table is already normalized"):
        stats.transform(parquet.iter_batches(300))
    with pytest.raises(OptionError, match=r"the table was normalized with gamma=2\.0;"):
        stats.inverse_transform(parquet.iter_batches(300), gamma=1.0)
    assert list(stats.inverse_transform(iter([]))) == []


def test_a_stream_of_batches_made_otherwise_than_its_first_is_refused(tmp_path, raw):
    # The first batch's record decided the whole stream: a normalized file's batches after
    # another's (gamma 2 then none) were inverted with the first's gamma (off by thousands),
    # raw batches after normalized ones inverted again, exit 0.
    path, frame = raw
    stats = normkit.load(tmp_path / "s.json")
    for name, options in (("g.parquet", ["--gamma", "2"]), ("p.parquet", [])):
        normkit_summary(
            "transform", str(path), "-s", str(tmp_path / "s.json"), *options, "-o", tmp_path / name
        )

    def chained(*names):
        return itertools.chain(*(pq.ParquetFile(tmp_path / n).iter_batches(400) for n in names))

    for names, why in [
        (("g.parquet", "p.parquet"), "was normalized otherwise than the first"),
        (("g.parquet", path), "records no normalization, and the first does"),
    ]:
        with pytest.raises(InputError, match=f"the batch of the stream from row 1,001 {why}"):
            list(stats.inverse_transform(chained(*names)))
    with pytest.raises(InputError, match=r"from row 1,001 is normalized .* and the first is not"):
        list(stats.transform(chained(path, "g.parquet")))
    # Batches made alike (two files normalized with one gamma) are one stream.
    normkit_summary(
        "transform",
        str(path),
        "-s",
        str(tmp_path / "s.json"),
        "--gamma",
        "2",
        "-o",
        tmp_path / "g2.parquet",
    )
    both = pa.Table.from_batches(list(stats.inverse_transform(chained("g.parquet", "g2.parquet"))))
    np.testing.assert_allclose(both.column("age").to_numpy()[1000:], frame["age"], rtol=1e-12)


def test_a_frame_pandas_reads_from_an_output_keeps_the_record(tmp_path, raw):
    # pandas' read_parquet keeps no schema metadata but its own: the frame was inverted with
    # gamma 1 and beta 0 (ages off by half their spread under gamma 2 and beta 1) and
    # normalized again, without a word. The record now travels in the attrs pandas keeps.
    path, frame = raw
    _normalized(tmp_path, path, "--gamma", "2", "--beta", "1")
    stats = normkit.load(tmp_path / "s.json")
    read = pd.read_parquet(tmp_path / "z.parquet")
    restored = stats.inverse_transform(read)
    np.testing.assert_allclose(restored["age"], frame["age"], rtol=1e-12)
    assert "normkit.transform" not in restored.attrs  # raw data again
    with pytest.raises(InputError) as refused:
        stats.transform(read)
    assert "the DataFrame is already normalized with these statistics (its attrs say so)" in str(
        refused.value
    )
    with pytest.raises(OptionError, match="the DataFrame was normalized with gamma="):
        stats.inverse_transform(read, gamma=1.0)
    assert "normkit.transform" not in stats.transform(read, renormalize=True).attrs
    # Written again by pandas, the file keeps it for the CLI too.
    read.to_parquet(tmp_path / "again.parquet")
    normkit_summary(
        "inverse", str(tmp_path / "again.parquet"), "-s", str(tmp_path / "s.json"),
        "-o", str(tmp_path / "back.parquet"),
    )  # fmt: skip
    back = pd.read_parquet(tmp_path / "back.parquet")
    np.testing.assert_allclose(back["income"], frame["income"], rtol=1e-12)
    assert back.attrs["normkit.transform"]["inverse"] is True  # as its schema metadata says
