"""The numerics: pure functions and values over numpy arrays, accumulated in float64.

No files, no Arrow, no statistics files: :mod:`.moments` (exact moments and their merges),
:mod:`.running` (BatchNorm's running statistics over logical batches), :mod:`.segments` (running
statistics of parts of a stream, combined), :mod:`.sketch` (a uniform sample and its quantiles),
:mod:`.drift` (scores of new data against a sketch), :mod:`.kernels` (the transforms and the
scale rule) and :mod:`.accumulator` (the one pass that feeds them all).
"""
