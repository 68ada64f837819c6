"""Real ``normkit`` processes without paying the interpreter's start each time.

Most of the suite's CLI runs are short, and most of each one's time went to starting Python and
importing the modules every ``normkit`` imports before it reads its arguments (pyarrow, numpy,
click, normkit). A server (``python forked_cli.py NAME``, one per pytest worker) imports them
once, as the console script does, and forks a process per run from that state:

* the test runs a small client as a real process (``subprocess.run``, with the pipes, timeout
  and exit code of any run); the client hands its standard input, output and error, its
  arguments, working directory, environment and umask to the server (an abstract Unix socket:
  no file), and waits;
* the server forks a watcher, which forks the command: its standard streams are the client's
  (the same pipes, as new stream objects, made as the interpreter makes them at its start), its
  ``sys.argv`` what the client was given, its time zone and numpy's global random state set
  afresh; it runs the console script's ``main()``, which ends the process itself
  (``os._exit``) with the command's code (an exception that escapes it ends the process as the
  interpreter would: its traceback, the exit handlers, exit 1 or SIGINT);
* the watcher reports how it ended to the client, which ends the same way (an exit code, or the
  same signal); a client killed (a timeout) gets its command killed.

A forked command finds the modules it would import later already imported (:data:`PRELOADED`):
what that does not exercise, a fresh process's start and its imports as a command reaches them,
is what the tests that start the installed console script check: ``tests/cli/test_startup.py``,
the tests that send signals, measure memory, or run ``normkit`` under a shell, as users do.
What the interpreter decides at its start from the environment (``PYTHON*`` variables, the
locale) is the server's: :data:`START_VARIABLES` whose values differ from the server's start the
installed command instead, as does ``NORMKIT_TEST_EXEC=1`` for every run, and any system without
``os.pidfd_open`` (:func:`conftest.run_normkit`). The hash seed is the server's for all its
runs: a check that two runs give the same bytes is one the installed command would make too.
The server ends when its test process does (the end of its standard input, a pipe from it).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import select
import signal
import socket
import sys
import time

#: Environment variables the interpreter reads at its start: a run whose values differ from
#: the server's starts the installed command (the server's would be wrong for it).
START_VARIABLES = (
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "PYTHONIOENCODING",
    "PYTHONUTF8",
    "PYTHONHASHSEED",
    "PYTHONWARNINGS",
    "PYTHONDEVMODE",
    "PYTHONPATH",
)

#: The client: an isolated bare interpreter (``-I -S``: no site packages, nothing of the working
#: directory imported) that hands its streams, arguments, directory, environment and umask to
#: the server and ends as the command ended.
CLIENT = """
import json, os, signal, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect("\\0" + sys.argv[1])
mask = os.umask(0)
request = {"args": sys.argv[2:], "cwd": os.getcwd(), "env": dict(os.environ), "umask": mask}
data = json.dumps(request).encode()
socket.send_fds(s, [len(data).to_bytes(8, "big")], [0, 1, 2])
s.sendall(data)
os.close(0)  # the command's now: it alone holds them, as a process started for the run would
os.close(1)
reply = b""
while chunk := s.recv(64):
    reply += chunk
if not reply:
    print("normkit's test server went away", file=sys.stderr)
    os._exit(255)
code = int(reply)
if code < 0:  # ended by a signal: so is the client (SIGKILL and SIGSTOP have no handler to reset)
    if -code not in (signal.SIGKILL, signal.SIGSTOP):
        signal.signal(-code, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [-code])
    os.kill(os.getpid(), -code)
    os._exit(128 - code)
os._exit(code)
"""


def _read_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _standard_streams() -> None:
    """New ``sys.stdin``, ``stdout`` and ``stderr`` over descriptors 0, 1 and 2, made as the
    interpreter makes them at its start (what the server's knew of its own descriptors, such
    as whether they are seekable or a terminal, is not the client's)."""
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        old = getattr(sys, name)
        raw = io.FileIO(fd, "rb" if fd == 0 else "wb", closefd=False)
        tty = raw.isatty()
        buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        stream = io.TextIOWrapper(
            buffered,
            encoding=old.encoding,
            errors=old.errors,
            line_buffering=tty or fd == 2,  # stderr is line-buffered (Python 3.9 and later)
        )
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _command(fds: list[int], request: dict, defaults: dict[str, str]) -> None:
    """In the forked command: the client's streams, directory, environment, umask and arguments,
    then the console script's ``main()`` (which ends the process)."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    _standard_streams()
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["env"])
    for key, value in defaults.items():  # what the command's start sets where it is not set
        os.environ.setdefault(key, value)
    time.tzset()
    import numpy as np

    np.random.seed()  # noqa: NPY002 (the legacy global state, from the system's entropy, as at a start)
    sys.argv = [sys.argv[0], *request["args"]]
    try:
        from normkit_cli.main import main

        main()
    except BaseException as exc:  # as the interpreter ends on an exception
        sys.excepthook(type(exc), exc, exc.__traceback__)
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        if isinstance(exc, KeyboardInterrupt):  # killed by the signal
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
    os._exit(1)


def _watch(conn: socket.socket, fds: list[int], request: dict, defaults: dict[str, str]) -> None:
    """In the forked watcher: fork the command, wait for it (or for the client to go, which
    kills it), and tell the client how it ended."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pid = os.fork()
    if pid == 0:
        conn.close()
        _command(fds, request, defaults)
    for fd in fds:
        os.close(fd)
    ended = os.pidfd_open(pid)
    ready, _, _ = select.select([conn, ended], [], [])
    if ended not in ready:  # the client was killed (a timeout): so is the command
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        conn.sendall(str(os.waitstatus_to_exitcode(status)).encode())
    os._exit(0)


#: What commands import after reading their arguments, imported by the server too (most of a
#: short run's time): every normkit module (none imports an optional extra when imported) and
#: the pyarrow, pandas and scipy modules commands use. The optional extras (torch, onnx, Dask,
#: matplotlib) and scikit-learn and polars are left to the commands that use them.
PRELOADED = (
    "pyarrow.csv",
    "pyarrow.parquet",
    "pyarrow.compute",
    "pyarrow.fs",
    "pandas",
    "scipy.stats",
)


def _preload() -> None:
    import importlib
    import pkgutil

    import normkit

    for module in pkgutil.walk_packages(normkit.__path__, "normkit."):
        importlib.import_module(module.name)
    for name in PRELOADED:
        importlib.import_module(name)


def serve(name: str) -> None:
    """Import what the console script imports, then fork a watcher per client until the test
    process ends (the end of standard input)."""
    sys.argv = [os.path.join(os.path.dirname(sys.executable), "normkit")]  # as the command
    before = dict(os.environ)
    import normkit_cli.main  # noqa: F401  (the console script's imports)

    # What the command's start adds to the environment (OPENBLAS_NUM_THREADS): each run's too.
    defaults = {k: v for k, v in os.environ.items() if k not in before}
    _preload()

    listener = socket.socket(socket.AF_UNIX)
    listener.bind("\0" + name)  # abstract: no file to remove, no length of a directory
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # watchers are not waited for
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in ready:  # the test process ended, however
            return
        conn, _ = listener.accept()
        try:
            head, fds, _, _ = socket.recv_fds(conn, 8, 3)
            request = json.loads(_read_exactly(conn, int.from_bytes(head, "big")))
        except (EOFError, OSError, ValueError):
            conn.close()
            continue
        if os.fork() == 0:
            listener.close()
            _watch(conn, fds, request, defaults)
        for fd in fds:
            os.close(fd)
        conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
