"""File-level jobs, what the command line runs: :mod:`.fit`, :mod:`.transform` (and inverse),
:mod:`.drift`, :mod:`.report`, and the Dask engine (:mod:`.dask`, over :mod:`.parts`). Each takes
its inputs, an options object and a progress callback, reads its inputs once in bounded memory,
and writes its outputs atomically."""
