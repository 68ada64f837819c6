"""The ``normkit`` command line: a thin click layer over the :mod:`normkit` library."""
