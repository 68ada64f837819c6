"""Categories of Arrow columns: which types hold categories (text, booleans), and each
category's count in a column, as :class:`~normkit.core.categories.CategoryCounter` takes them.
Used by the file jobs (:mod:`normkit.jobs.categories`) and by the estimator's fit in memory."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa

from .arrow import int32_codes, is_text_type, text_array, without_views
from .lazy import pc

__all__ = ["BOOLEAN_WORDS", "TextCounts", "is_categorical_type", "value_counts"]

#: The words of booleans in a CSV, each with the category it counts as.
BOOLEAN_WORDS = dict.fromkeys(("True", "TRUE", "true"), "true") | dict.fromkeys(
    ("False", "FALSE", "false"), "false"
)
# The spellings of booleans in a CSV (pyarrow's, which typed the column boolean).
_BOOLEAN_TEXT = {"1": "true", "0": "false"} | BOOLEAN_WORDS


def is_categorical_type(dtype: pa.DataType) -> bool:
    """Text (:func:`.arrow.is_text_type`: string, large_string, string_view, or a dictionary of
    them) and booleans (or a dictionary of them)."""
    value_type = dtype.value_type if pa.types.is_dictionary(dtype) else dtype
    return is_text_type(str(dtype)) or pa.types.is_boolean(value_type)


def value_counts(
    array: pa.Array | pa.ChunkedArray,
    cap: int,
    *,
    missing_text: Sequence[str] | pa.Array = (),
    spelled_booleans: bool = False,
    keep: Sequence[str] = (),
) -> tuple[list[str], np.ndarray, int, int]:
    """The categories of an Arrow column and their counts, in the form
    :meth:`CategoryCounter.update <normkit.core.categories.CategoryCounter.update>` takes.

    Parameters
    ----------
    array : pyarrow.Array or pyarrow.ChunkedArray
        Text, booleans (``"true"``, ``"false"``), a dictionary of them, or any other type
        (categories as ``str`` of the values).
    cap : int
        Categories returned at most: the most frequent ones (others are counted in ``other``
        before they become Python strings, so a column of identifiers costs ``cap`` strings,
        not one per row).
    missing_text : sequence of str
        Text values that mean missing (a CSV's missing-value strings).
    spelled_booleans : bool
        The text is a CSV's booleans (``True``, ``TRUE``, ``1``...): spelled ``"true"`` or
        ``"false"``.
    keep : sequence of str
        Categories returned whatever their count (beyond ``cap`` if need be), so that counts of
        them stay exact.

    Returns
    -------
    values : list of str
    counts : ndarray of int64, same length
    missing : int
        Nulls, and values in ``missing_text``.
    other : int
        Rows of the categories beyond ``cap``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> value_counts(pa.array(["a", None, "b", "a"]), cap=10)
    (['a', 'b'], array([2, 1]), 1, 0)
    """
    if not isinstance(missing_text, pa.Array):
        missing_text = text_array(missing_text)
    missing = array.null_count
    if not len(array) or missing == len(array):
        return [], np.zeros(0, np.int64), missing, 0
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    if all(pa.types.is_string(c.type) and not c.null_count for c in chunks):
        # Text as a CSV gives it: counted by the native engine, in the same order.
        return _text_counts(chunks, cap, missing_text, spelled_booleans, keep)
    if len(chunks) > 1 and pa.types.is_dictionary(array.type):
        # Arrow unites the chunks' dictionaries in their codes' type, which may not hold them
        # all (two of 100 categories in int8 codes: index -100 out of bounds): in int32.
        wide = int32_codes(array.type)
        array = pa.chunked_array([c.cast(wide) for c in chunks], wide)
    # Counted as large_string: Arrow's value_counts of views counts a null as "" (and take,
    # filter and is_in have no kernel for them).
    result = pc.value_counts(without_views(array))
    values, counts = result.field(0), result.field(1)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    valid = pc.is_valid(values)  # the nulls' own entry: counted above
    if len(missing_text) and (
        pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
    ):
        absent = pc.is_in(values, value_set=missing_text.cast(values.type))
        missing += int(pc.sum(pc.filter(counts, absent)).as_py() or 0)
        valid = pc.and_(valid, pc.invert(absent))
    values, counts = values.filter(valid), counts.filter(valid)
    # Read from the buffer (counts have no nulls): to_numpy imports pandas, half a second.
    numbers = np.frombuffer(counts.buffers()[1], dtype=np.int64)[
        counts.offset : counts.offset + len(counts)
    ]
    other = 0
    if len(numbers) > cap:
        pinned = np.zeros(len(numbers), dtype=bool)
        if len(keep) and (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            wanted = pa.array(list(keep), values.type)
            pinned = pc.is_in(values, value_set=wanted).to_numpy(zero_copy_only=False)
        top, other = _kept(numbers, pinned, cap)
        values, numbers = values.take(pa.array(top)), numbers[top]
    names = values.to_pylist()
    if pa.types.is_boolean(values.type):
        names = ["true" if v else "false" for v in names]
    elif spelled_booleans:
        names = [_BOOLEAN_TEXT.get(v, v) for v in names]
    elif not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        names = [str(v) for v in names]  # a column of another type in new data (drift)
    return names, numbers, missing, other


def _pieces(chunks: Sequence[pa.Array]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Arrow string arrays as the native engine takes them: offsets (relative to their data)
    and data, without copies."""
    pieces = []
    for chunk in chunks:
        _, offsets, data = chunk.buffers()
        start = chunk.offset
        pieces.append(
            (
                np.frombuffer(offsets, dtype=np.int32)[start : start + len(chunk) + 1],
                np.frombuffer(data if data is not None else b"", dtype=np.uint8),
            )
        )
    return pieces


def _names(offsets: np.ndarray, data: bytes, chosen: Sequence[int], spelled_booleans: bool):
    bounds = offsets.tolist()
    # Text that is not UTF-8 (a Parquet string column may hold any bytes) is named by escapes.
    names = [data[bounds[i] : bounds[i + 1]].decode(errors="backslashreplace") for i in chosen]
    return [_BOOLEAN_TEXT.get(v, v) for v in names] if spelled_booleans else names


def _text_counts(
    chunks: list[pa.Array],
    cap: int,
    missing_text: pa.Array,
    spelled_booleans: bool,
    keep: Sequence[str],
) -> tuple[list[str], np.ndarray, int, int]:
    """:func:`value_counts` of string arrays without nulls, counted by the native engine: the
    same values in the same order, kept by the same rule (:func:`_kept`)."""
    from .. import _native

    offsets, data, numbers, pinned, missing, _ = _native.value_counts(
        _pieces(chunks),
        [v.encode() for v in missing_text.to_pylist() if v is not None],
        [v.encode() for v in keep],
    )
    top, other = _kept(numbers, pinned, cap)
    if top is not None:
        numbers = numbers[top]
    chosen = range(len(numbers)) if top is None else top.tolist()
    return _names(offsets, data, chosen, spelled_booleans), numbers, int(missing), other


class TextCounts:
    """The categories of one text column counted batch by batch by the native engine, in
    bounded memory and without a Python string per value: what :func:`value_counts` gives of
    all the batches, but for which categories are kept beyond the cap.

    The engine holds at most twice ``cap`` categories: beyond, it keeps ``cap`` of them by the
    rule of :class:`~normkit.core.categories.CategoryCounter` (those in ``keep``, then the most
    frequent, ties by name) and counts the rows of the others in ``other``.

    Parameters
    ----------
    cap : int
    missing_text : sequence of str
        Text values that mean missing.
    keep : iterable of str
        Categories never folded into ``other``.
    spelled_booleans : bool
        The text is a CSV's booleans: categories spelled ``"true"`` or ``"false"``.
    """

    def __init__(
        self,
        cap: int,
        missing_text: Sequence[str],
        keep: Iterable[str] = (),
        spelled_booleans: bool = False,
    ):
        from .. import _native

        self.cap = cap
        self._spelled = spelled_booleans
        self._table = _native.CategoryTable(
            cap, [v.encode() for v in missing_text], [v.encode() for v in keep]
        )

    @staticmethod
    def takes(array: pa.Array) -> bool:
        """Whether the engine counts ``array`` (strings without nulls, as a CSV gives them)."""
        return pa.types.is_string(array.type) and not array.null_count

    def add(self, array: pa.Array) -> None:
        """Count the values of ``array`` (one that :meth:`takes`)."""
        self._table.add(_pieces([array]))

    def result(self) -> tuple[list[str], np.ndarray, int, int]:
        """The categories (at most ``cap``, more if more are kept whatever their count), their
        counts, the missing values and the rows of the others, as :func:`value_counts` gives
        them."""
        offsets, data, counts, _, missing, other = self._table.counted(self.cap)
        names = _names(offsets, data, range(len(counts)), self._spelled)
        return names, counts, int(missing), int(other)


def _kept(numbers: np.ndarray, pinned: np.ndarray, cap: int) -> tuple[np.ndarray | None, int]:
    """The categories kept of those counted ``numbers`` (None: all) and the rows of the others:
    those ``pinned``, then the most frequent, ``cap`` in all (more if more are pinned)."""
    if len(numbers) <= cap:
        return None, 0
    free = np.flatnonzero(~pinned)
    room = max(cap - int(pinned.sum()), 0)
    if len(free) > room:
        cut = len(free) - room
        free = free[np.argpartition(numbers[free], cut)[cut:]] if room else free[:0]
    top = np.concatenate([np.flatnonzero(pinned), free])
    return top, int(numbers.sum() - numbers[top].sum())
