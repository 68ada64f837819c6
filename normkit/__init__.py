"""normkit: fit, save and apply centering and standardization statistics on tabular data.

Exact statistics equal to scikit-learn's ``StandardScaler``, fitted in one streaming pass over CSV,
Parquet or Arrow IPC data of any size, saved as versioned JSON stat files, and applied in
streaming batches.

The package is laid out in layers (see ``docs/architecture.md``): :mod:`normkit.core` (numerics),
:mod:`normkit.io` (formats and files), :mod:`normkit.stats` (the fitted statistics and their
file), :mod:`normkit.estimator` (the scikit-learn-shaped :class:`Standardizer`) and
:mod:`normkit.jobs` (what the command line runs); :mod:`normkit.params` holds every parameter's
rule and :mod:`normkit.errors` the exceptions.

Examples
--------
>>> import normkit, pandas as pd
>>> df = pd.DataFrame({"x": [1.0, 2.0, 6.0]})
>>> stats = normkit.Standardizer().fit(df)
>>> stats.transform(df)["x"].round(6).tolist()
[-0.92582, -0.46291, 1.38873]
"""

from ._version import __version__
from .errors import (
    DataError,
    InputError,
    NormkitError,
    NormkitNote,
    OptionError,
    OutputError,
    SchemaError,
    StatsFileError,
)
from .io.formats import Format

# The rest is imported on first use: pyarrow and numpy take most of a command's start-up time,
# which ``normkit --help`` and option errors need not pay.
_LAZY = {
    "CsvOptions": "io.options",
    "ReadOptions": "io.options",
    "EmaOptions": "core.running",
    "RunningState": "core.running",
    "CategoryCounts": "core.categories",
    "FittedStats": "stats.fitted",
    "StatsOptions": "stats.fitted",
    "open_input": "io.inputs",
    "open_sink": "io.sinks",
    "Standardizer": "estimator.standardizer",
    "dumps": "estimator.files",
    "load": "estimator.files",
    "loads": "estimator.files",
    "merge_stat_files": "estimator.files",
    "save": "estimator.files",
    "fit_files": "jobs.fit",
    "TransformOptions": "jobs.transform",
    "TransformResult": "jobs.transform",
    "transform_file": "jobs.transform",
    "DriftOptions": "jobs.drift",
    "drift_batches": "jobs.drift",
    "export_stats": "jobs.export",
    "to_numpy": "jobs.export",
    "to_onnx": "jobs.export",
    "to_torch": "jobs.torch_export",
    "to_torch_state": "jobs.torch_export",
    "import_torch": "jobs.torch_import",
    "drift_files": "jobs.drift",
    "ClusterOptions": "jobs.dask",
    "fit_dask": "jobs.dask",
    "transform_dask": "jobs.dask",
}

_SUBPACKAGES = {"core", "estimator", "io", "jobs", "params", "stats"}


def __getattr__(name: str):
    import importlib

    if name in _SUBPACKAGES:  # normkit.io and the like, as after an eager import
        return importlib.import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'normkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "CategoryCounts",
    "ClusterOptions",
    "CsvOptions",
    "DataError",
    "DriftOptions",
    "EmaOptions",
    "FittedStats",
    "Format",
    "InputError",
    "NormkitError",
    "NormkitNote",
    "OptionError",
    "OutputError",
    "ReadOptions",
    "RunningState",
    "SchemaError",
    "Standardizer",
    "StatsFileError",
    "StatsOptions",
    "TransformOptions",
    "TransformResult",
    "__version__",
    "drift_batches",
    "drift_files",
    "dumps",
    "export_stats",
    "fit_dask",
    "fit_files",
    "import_torch",
    "load",
    "loads",
    "merge_stat_files",
    "open_input",
    "open_sink",
    "save",
    "to_numpy",
    "to_onnx",
    "to_torch",
    "to_torch_state",
    "transform_dask",
    "transform_file",
]
