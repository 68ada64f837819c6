"""Real ``normkit`` processes without paying the interpreter's start each time.

Most of the suite's CLI runs are short, and most of each one's time went to starting Python and
importing the modules every ``normkit`` imports before it reads its arguments (pyarrow, numpy,
click, normkit). A server (``python forked_cli.py SOCKET``, one per pytest worker) imports them
once, as the console script does, and forks a process per run from that state:

* the test runs a small client as a real process (``subprocess.run``, with the pipes, timeout
  and exit code of any run); the client hands its standard input, output and error, its
  arguments, working directory and environment to the server, and waits;
* the server forks a watcher, which forks the command: its standard streams are the client's
  (the same pipes), its ``sys.argv`` what the client was given; it runs the console script's
  ``main()``, which ends the process itself (``os._exit``) with the command's code;
* the watcher reports how it ended to the client, which ends the same way (an exit code, or the
  same signal); a client killed (a timeout) gets its command killed.

A forked command finds the modules it would import later already imported (:data:`PRELOADED`):
what that does not exercise, a fresh process's start and its imports as a command reaches them,
is what the tests that start the installed console script check: ``tests/cli/test_startup.py``,
the tests that send signals, measure memory, or run ``normkit`` under a shell, as users do.
``NORMKIT_TEST_EXEC=1`` starts the installed command for every run (:func:`conftest.run_normkit`).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys

#: The client: a bare interpreter (``-S``: no site packages to import) that hands its streams,
#: arguments, directory and environment to the server and ends as the command ended.
CLIENT = """
import json, os, signal, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
request = json.dumps({"args": sys.argv[2:], "cwd": os.getcwd(), "env": dict(os.environ)})
data = request.encode()
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
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
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


def _command(fds: list[int], request: dict) -> None:
    """In the forked command: the client's streams, directory, environment and arguments, then
    the console script's ``main()`` (which ends the process)."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [sys.argv[0], *request["args"]]
    try:
        from normkit_cli.main import main

        main()
    except KeyboardInterrupt:  # as the interpreter ends on one: killed by the signal
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        sys.excepthook(*sys.exc_info())
    sys.stderr.flush()
    os._exit(1)


def _watch(conn: socket.socket, fds: list[int], request: dict) -> None:
    """In the forked watcher: fork the command, wait for it (or for the client to go, which
    kills it), and tell the client how it ended."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pid = os.fork()
    if pid == 0:
        conn.close()
        _command(fds, request)
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


def serve(path: str) -> None:
    """Import what the console script imports, then fork a watcher per client, for ever."""
    sys.argv = [os.path.join(os.path.dirname(sys.executable), "normkit")]  # as the command
    import normkit_cli.main  # noqa: F401  (the console script's imports)

    _preload()

    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # watchers are not waited for
    print("ready", flush=True)
    while True:
        # Standard input is a pipe from the test process: at its end (the test process ended,
        # however), the server ends too, and removes its socket's directory.
        ready, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in ready:
            os.unlink(path)
            os.rmdir(os.path.dirname(path))
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
            _watch(conn, fds, request)
        for fd in fds:
            os.close(fd)
        conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
