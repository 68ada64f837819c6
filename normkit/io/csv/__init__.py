"""CSV: the reader (pyarrow's parser, blocks parsed in parallel) and the writer."""

from .reader import CsvReader
from .writer import CsvWriter

__all__ = ["CsvReader", "CsvWriter"]
