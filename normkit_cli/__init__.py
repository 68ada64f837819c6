"""The ``normkit`` command line: a thin click layer over the :mod:`normkit` library."""

import os

# normkit's numerics call no multithreaded BLAS, but numpy's OpenBLAS starts a thread per core
# at import, which spins for a while before it sleeps: a fit of a small file lost a fifth of its
# CPU to it on two cores. A value the user set is kept. (Set before numpy is imported.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
