"""Streams that can be read only once (an iterator, a generator, a ``pyarrow.RecordBatchReader``):
fitted, they are used up, and a transform of the same object gets no rows. The refusal of
``fit_transform`` of one, and of a transform given the one a fit read (:class:`ReadByFit`)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["ReadByFit", "read_once_error"]


def read_once_error(opening: str, stream: Any) -> TypeError:
    """The refusal of ``stream``, read once already or about to be, to a transform: ``opening``
    says which call read it (``{kind}``: the stream's type)."""
    kind = type(stream).__name__
    return TypeError(
        f"{opening.format(kind=kind)} a {kind} can be read only once: the transform would get no "
        "rows; fit(stream), then transform (or transform_stream) a second pass over the data, "
        "or give a list of its tables"
    )


class ReadByFit:
    """The one-shot stream a fit read to its end, held weakly where it can be (a generator, a
    reader), else as the used-up iterator it is (a list's lets its list go), so that a
    transform given the same object is refused instead of returning no rows. A pickled
    estimator keeps none: no object of its run exists in another."""

    __slots__ = ("_stream",)

    def __init__(self, stream: Any = None):
        self._stream: Callable[[], Any] = lambda: None
        if stream is not None:
            try:
                self._stream = weakref.ref(stream)
            except TypeError:  # (a list_iterator, a map): not weakly referable
                self._stream = lambda: stream

    def __reduce__(self) -> tuple:
        return (ReadByFit, ())

    def refuse(self, X: Any, method: str) -> None:
        """Refuse ``X`` given to ``method`` if it is the stream the fit read.

        Raises
        ------
        TypeError
        """
        if X is not None and X is self._stream():
            raise read_once_error(f"{method} was given the {{kind}} that fit read, and", X)
