"""The exceptions normkit raises for problems in a user's data, files or options.

Every class derives from :class:`NormkitError`; the command line turns any of them into one line on
stderr (``normkit: error: ...``) and exit code 1. Anything else that escapes is a bug in normkit.
"""

from __future__ import annotations


class NormkitError(Exception):
    """Base class of every error normkit reports to its user."""


class InputError(NormkitError):
    """An input file cannot be opened, decoded or parsed."""


class SchemaError(NormkitError):
    """The columns of an input do not fit what was asked or what a stat file holds."""


class DataError(NormkitError):
    """A value in the data cannot be used (not a number, infinite, too few values)."""


class StatsFileError(NormkitError):
    """A stat file is missing, malformed, of another version or inconsistent."""


class OutputError(NormkitError):
    """An output cannot be written (bad path, output is an input, disk full)."""


class OptionError(NormkitError):
    """An option given to the library has a value it cannot use."""
