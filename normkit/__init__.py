"""normkit: fit, save and apply centering and standardization statistics on tabular data.

Exact statistics equal to scikit-learn's ``StandardScaler``, fitted in one streaming pass over CSV,
Parquet or Arrow IPC data of any size, saved as versioned JSON stat files, and applied in
streaming batches.

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
    OptionError,
    OutputError,
    SchemaError,
    StatsFileError,
)
from .formats import CsvOptions, Format

# The rest is imported on first use: pyarrow and numpy take most of a command's start-up time,
# which ``normkit --help`` and option errors need not pay.
_LAZY = {
    "ReadOptions": "api",
    "TransformResult": "api",
    "fit_files": "api",
    "transform_file": "api",
    "EmaOptions": "ema",
    "RunningStats": "ema",
    "Source": "io",
    "open_sink": "io",
    "Standardizer": "standardizer",
    "load": "statfile",
    "loads": "statfile",
    "merge_stat_files": "statfile",
    "save": "statfile",
    "ClusterOptions": "cluster",
    "fit_dask": "cluster",
    "transform_dask": "cluster",
    "drift_files": "drift",
}


_SUBMODULES = {
    "api",
    "apply",
    "cluster",
    "dataset",
    "drift",
    "ema",
    "io",
    "moments",
    "parts",
    "report",
    "sketch",
    "standardizer",
    "statfile",
}


def __getattr__(name: str):
    import importlib

    if name in _SUBMODULES:  # normkit.io and the like, as after an eager import
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
    "ClusterOptions",
    "CsvOptions",
    "DataError",
    "EmaOptions",
    "Format",
    "InputError",
    "NormkitError",
    "OptionError",
    "OutputError",
    "ReadOptions",
    "RunningStats",
    "SchemaError",
    "Source",
    "Standardizer",
    "StatsFileError",
    "TransformResult",
    "__version__",
    "drift_files",
    "fit_dask",
    "fit_files",
    "load",
    "loads",
    "merge_stat_files",
    "open_sink",
    "save",
    "transform_dask",
    "transform_file",
]
