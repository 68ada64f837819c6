"""The ``normkit`` command line: a thin click layer over the :mod:`normkit` library."""

import os
import signal
import sys


def _interrupted_early(signum, frame) -> None:
    # Ctrl-C while the modules load: the message and exit code of any other moment, not a
    # traceback of whichever import was running (the command installs its own handling).
    os.write(2, b"normkit: interrupted\n")
    os._exit(130)


# Only when this process is the command (the console script, or python -m normkit), not
# where a program or a test imports the package; and not where Ctrl-C is ignored (nohup, &).
_started_as = os.path.normpath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
_command = os.path.basename(_started_as) == "normkit" or _started_as.endswith(
    os.path.join("normkit", "__main__.py")
)
if _command and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _interrupted_early)

# normkit's numerics call no multithreaded BLAS, but numpy's OpenBLAS starts a thread per core
# at import, which spins for a while before it sleeps: a fit of a small file lost a fifth of its
# CPU to it on two cores. A value the user set is kept. (Set before numpy is imported.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
