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
from .api import ReadOptions, TransformResult, fit_files, transform_file
from .ema import EmaOptions, RunningStats
from .errors import (
    DataError,
    InputError,
    NormkitError,
    OptionError,
    OutputError,
    SchemaError,
    StatsFileError,
)
from .io import CsvOptions, Format, Source, open_sink
from .standardizer import Standardizer
from .statfile import load, loads, save

__all__ = [
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
    "fit_files",
    "load",
    "loads",
    "open_sink",
    "save",
    "transform_file",
]
