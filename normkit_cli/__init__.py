"""The ``normkit`` command line: a thin click layer over the :mod:`normkit` library."""

import os
import signal
import sys

#: What the command says when a signal stops it (SIGTERM, and any other: "terminated").
STOP_WORDS = {signal.SIGINT: "interrupted", signal.SIGHUP: "hung up"}


def _stopped_early(signum, frame) -> None:
    # Ctrl-C, SIGTERM or SIGHUP while the modules load: the message and exit code of any other
    # moment, not a traceback of whichever import was running, nor a silent end (the command
    # installs its own handling).
    os.write(2, f"normkit: {STOP_WORDS.get(signum, 'terminated')}\n".encode())
    os._exit(128 + signum)


# Only when this process is the command (the console script, or python -m normkit), not
# where a program or a test imports the package.
_started_as = os.path.normpath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
_command = os.path.basename(_started_as) == "normkit" or _started_as.endswith(
    os.path.join("normkit", "__main__.py")
)
if _command:
    for _signum, _default in (
        (signal.SIGINT, signal.default_int_handler),
        (signal.SIGTERM, signal.SIG_DFL),
        (signal.SIGHUP, signal.SIG_DFL),
    ):
        if signal.getsignal(_signum) is _default:  # not where it is ignored (nohup, &)
            signal.signal(_signum, _stopped_early)

# normkit's numerics call no multithreaded BLAS, but numpy's OpenBLAS starts a thread per core
# at import, which spins for a while before it sleeps: a fit of a small file lost a fifth of its
# CPU to it on two cores. A value the user set is kept. (Set before numpy is imported.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
