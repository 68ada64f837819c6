"""File-level jobs, what the command line runs: :mod:`.fit`, :mod:`.transform` (and inverse),
:mod:`.drift`, :mod:`.report`, and the Dask engine (:mod:`.dask`, over :mod:`.parts`). Each takes
its inputs, the statistics (or, to fit, an estimator whose parameters say what to fit), one
options object, the read options and a progress callback; it reads its inputs once in bounded
memory and writes its outputs atomically."""
