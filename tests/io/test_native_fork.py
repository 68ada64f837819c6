"""The native engine in a process forked after it has run (``multiprocessing``'s "fork", the
default on Linux before Python 3.14): its threads are the process's own and made again in the
child, which would otherwise wait for ever for threads it does not have."""

import multiprocessing

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import normkit

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform"
)


def _write_csv(path, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(60_000, 4)), columns=["a", "b", "c", "d"])
    frame.to_csv(path, index=False)
    return frame


def _engine_work(folder: str, seed: int) -> list[float]:
    """A CSV fitted and transformed to Parquet (chunks parsed, a row group encoded on the
    engine's threads) and an array fitted (its columns summed in groups on them): the means."""
    csv = f"{folder}/in{seed}.csv"
    frame = _write_csv(csv, seed)
    fitted = normkit.fit_files(csv)
    out = f"{folder}/out{seed}.parquet"
    normkit.transform_file(csv, fitted, out)
    back = pq.read_table(out).to_pandas()
    expected = (frame - frame.mean()) / frame.std(ddof=0)
    np.testing.assert_allclose(back.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-12)
    wide = normkit.Standardizer().fit(np.random.default_rng(seed).normal(size=(200_000, 8)))
    return [*fitted.mean_.tolist(), float(wide.mean_[0])]


def test_a_forked_child_runs_the_engine(tmp_path):
    folder = str(tmp_path)
    in_parent = _engine_work(folder, 0)  # the engine's threads exist in this process now
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        waiting = pool.starmap_async(_engine_work, [(folder, 0), (folder, 1), (folder, 2)])
        try:
            in_children = waiting.get(timeout=60)
        except multiprocessing.TimeoutError:
            pool.terminate()
            pytest.fail("a forked child waited for the engine's threads of its parent")
    assert in_children[0] == in_parent
    assert in_children[1] != in_parent


def _read_on(reader, told) -> None:
    """In a child forked while the parent's reader had chunks in flight: what reading on does."""
    try:
        for _ in reader:
            pass
        told.put("read")
    except RuntimeError as exc:
        told.put(str(exc))


def test_a_child_forked_while_chunks_are_read_is_told_not_left_waiting(tmp_path):
    from normkit import ReadOptions
    from normkit.io.inputs import open_input
    from normkit.io.options import CsvOptions

    csv = tmp_path / "in.csv"
    _write_csv(csv, 3)
    # Small blocks: many chunks, several in flight when the first batch is taken.
    source = open_input(str(csv), ReadOptions(csv=CsvOptions(block_size=1 << 16)))
    reader = iter(source.batches(["a", "b", "c", "d"]))
    next(reader)
    context = multiprocessing.get_context("fork")
    told = context.Queue()
    child = context.Process(target=_read_on, args=(reader, told))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("a child forked while chunks were read waited for ever")
    message = told.get(timeout=5)
    assert "forked" in message
    assert "read the input again" in message
