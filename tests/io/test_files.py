"""Outputs written whole or not at all (normkit.io.files.AtomicFile)."""

import gc
import os
import signal
import subprocess
import sys
import threading

import pytest

from normkit.io import files
from normkit.io.files import AtomicFile


def _writeback_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "normkit-writeback"]


@pytest.fixture
def eager_writeback(monkeypatch):
    """Writeback advised after every byte, every millisecond: each write meets it."""
    monkeypatch.setattr(files, "WRITEBACK_SECONDS", 0.001)
    monkeypatch.setattr(files, "WRITEBACK_BYTES", 1)


@pytest.mark.skipif(not files._Writeback.supported, reason="no posix_fadvise here")
def test_streaming_output_is_whole_after_its_writeback(tmp_path, eager_writeback):
    path = tmp_path / "out.bin"
    pieces = [os.urandom(1 << 16) for _ in range(64)]
    with AtomicFile(str(path), streaming=True) as out:
        assert len(_writeback_threads()) == 1
        for piece in pieces:
            out.stream.write(piece)
        assert not path.exists()  # nothing in place before the commit
    assert path.read_bytes() == b"".join(pieces)
    assert _writeback_threads() == []
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_discarded_streaming_output_leaves_the_target_and_no_thread(tmp_path, eager_writeback):
    path = tmp_path / "out.bin"
    path.write_bytes(b"before")
    out = AtomicFile(str(path), streaming=True)
    out.stream.write(b"x" * (1 << 20))
    out.discard()
    assert path.read_bytes() == b"before"
    assert _writeback_threads() == []
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.skipif(not files._Writeback.supported, reason="no posix_fadvise here")
def test_writeback_stops_once_however_often_it_is_asked(tmp_path):
    path = tmp_path / "grown.bin"
    path.write_bytes(b"x")
    before = len(os.listdir("/proc/self/fd"))
    writeback = files._Writeback(str(path))
    writeback.stop()
    writeback.stop()  # a second stop (a discard after an interrupted commit) closes nothing
    assert len(os.listdir("/proc/self/fd")) == before
    assert _writeback_threads() == []


@pytest.mark.parametrize("extra", [-1, 0, 1, files.WRITE_PIECE_BYTES + 7])
def test_writes_in_pieces_keep_every_byte_in_order(tmp_path, extra):
    import numpy as np

    size = 2 * files.WRITE_PIECE_BYTES + extra
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8)  # as the engine
    path = tmp_path / "out.bin"
    with AtomicFile(str(path), streaming=True) as out:
        files.write_in_pieces(out.stream, data)
        files.write_in_pieces(out.stream, b"")
        files.write_in_pieces(out.stream, b"end")
    assert path.read_bytes() == data.tobytes() + b"end"


def test_outputs_moved_into_place_together_land_all_or_none_on_ctrl_c(tmp_path):
    # Ctrl-C between two renames (a CSV's record and the file; a transform's output and its
    # updated statistics) left one new and the other old. The signal now waits for both.
    data, stats = tmp_path / "out.csv", tmp_path / "next.json"
    data.write_text("old\n")
    stats.write_text("old\n")
    out = AtomicFile(str(data))
    out.stream.write(b"new\n")
    staged = AtomicFile(str(stats))
    staged.stream.write(b"new\n")

    def between(written: str, mode: int) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # before the output is renamed

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # a worker may ignore it
    try:
        with pytest.raises(KeyboardInterrupt):
            out.commit(before=between, after=staged.commit)
        # The handlers are the ones before.
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (data.read_text(), stats.read_text()) == ("new\n", "new\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next.json", "out.csv"]


def test_a_sink_never_closed_leaves_no_temporary_file_at_exit(tmp_path):
    script = (
        "import pyarrow as pa, normkit\n"
        "s = normkit.open_sink('leak.parquet', pa.schema([('x', 'double')]))\n"
        "s.write(pa.record_batch({'x': [1.0]}))\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True)
    assert os.listdir(tmp_path) == []  # neither the output (never committed) nor its staging


def test_a_sink_forgotten_leaves_no_temporary_file_once_collected(tmp_path):
    import pyarrow as pa

    import normkit

    sink = normkit.open_sink(tmp_path / "leak.csv", pa.schema([("x", "double")]))
    sink.write(pa.record_batch({"x": [1.0]}))
    assert [p for p in os.listdir(tmp_path) if p.endswith(".normkit-tmp")]
    assert len(_writeback_threads()) == 1
    del sink
    gc.collect()
    assert os.listdir(tmp_path) == []
    assert _writeback_threads() == []  # its thread stopped, its descriptor closed
    with AtomicFile(str(tmp_path / "kept.bin")) as out:  # committed: not removed afterwards
        out.stream.write(b"whole")
    del out
    gc.collect()
    assert os.listdir(tmp_path) == ["kept.bin"]
