"""Reading ahead on a thread (normkit.io.threads.Prefetch)."""

import contextlib
import gc
import os
import subprocess
import sys
import threading
import time

import pyarrow as pa
import pytest

from normkit.io.threads import Prefetch


def _prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "normkit-prefetch" and t.is_alive()]


def _counted(n: int, taken: list[int], fail_at: int | None = None):
    for i in range(n):
        if i == fail_at:
            raise ValueError(f"bad item {i}")
        taken.append(i)
        yield i


def _wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_items_come_in_order_and_the_thread_ends():
    taken: list[int] = []
    with contextlib.closing(Prefetch(_counted(50, taken), depth=2)) as items:
        assert list(items) == list(range(50))
    assert _prefetch_threads() == []


def test_nothing_is_read_before_it_is_asked_for_or_started():
    taken: list[int] = []
    items = Prefetch(_counted(10, taken), depth=2)
    time.sleep(0.05)
    assert taken == []
    assert _prefetch_threads() == []
    items.start()
    # Read ahead without a consumer: up to the queue's depth, and the one waiting to go in.
    assert _wait_for(lambda: len(taken) == 3)
    time.sleep(0.05)
    assert len(taken) == 3
    items.start()  # a second start starts nothing more
    assert len(_prefetch_threads()) == 1
    assert list(items) == list(range(10))
    items.close()


def test_an_error_of_the_producer_is_raised_in_the_consumer_after_the_items_before_it():
    taken: list[int] = []
    items = Prefetch(_counted(10, taken, fail_at=4), depth=2)
    got = [next(items) for _ in range(4)]
    with pytest.raises(ValueError, match="bad item 4"):
        next(items)
    assert got == [0, 1, 2, 3]
    assert _prefetch_threads() == []
    assert list(items) == []  # ended


def test_closing_early_stops_a_producer_blocked_on_a_full_queue():
    taken: list[int] = []
    items = Prefetch(_counted(1000, taken), depth=1)
    assert next(items) == 0
    assert _wait_for(lambda: len(taken) >= 2)
    items.close()
    assert _prefetch_threads() == []
    assert len(taken) < 1000
    assert list(items) == []


def test_one_dropped_unclosed_stops_its_thread():
    taken: list[int] = []
    items = Prefetch(_counted(1000, taken), depth=1)
    items.start()
    assert _wait_for(lambda: len(taken) >= 2)
    del items
    gc.collect()
    assert _wait_for(lambda: _prefetch_threads() == [])
    assert len(taken) < 1000


_POOL_THREADS = """
import os, sys, time
import normkit
normkit.fit_files(sys.argv[1])
def pool():
    names = []
    for t in os.listdir("/proc/self/task"):
        try:
            names.append(open(f"/proc/self/task/{t}/comm").read().strip())
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return sum(name.startswith("normkit-") for name in names)
# A thread names itself once it runs: on a loaded machine a new one may not have yet.
for _ in range(100):
    if pool() >= int(sys.argv[2]):
        break
    time.sleep(0.02)
time.sleep(0.1)  # and any more threads have named themselves too
print(pool())
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="threads are listed by /proc")
@pytest.mark.parametrize("omp", [None, "1"])
def test_the_engine_has_the_threads_csv_workers_says(tmp_path, omp):
    """The native engine's pool follows csv_workers (pyarrow's cpu_count, which Dask's
    OMP_NUM_THREADS=1 makes 1), not the machine's cores."""
    csv = tmp_path / "a.csv"
    csv.write_text("x,y\n" + "".join(f"{i},{i % 7}\n" for i in range(5000)))
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if omp is not None:
        env["OMP_NUM_THREADS"] = omp
    expected = 1 if omp == "1" else max(1, min(pa.cpu_count(), 4))
    script = [sys.executable, "-c", _POOL_THREADS, str(csv), str(expected)]
    run = subprocess.run(script, env=env, capture_output=True, text=True, check=True)
    assert int(run.stdout) == expected
