"""CSV to CSV by a frozen transform, without record batches: the native engine writes each
record again (``normkit._native.CsvRewrite``), the normalized fields parsed, mapped and written
in their shortest text, every other field written back as its text.

The bytes are those of the batch path (records parsed into columns, mapped by
:mod:`normkit.core.kernels`, written by :class:`~normkit.io.csv.writer.CsvWriter`), and so are
the errors and the look at the input (:class:`~normkit.jobs.resemblance.Resemblance`), chunk for
chunk; the work is done in blocks on every core, in one pass over each block's bytes while they
are in the core's cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import infinite_output_error
from ..estimator.vacant import value_error
from ..io.formats import Format
from ..io.reader import Reader
from ..io.sinks import Sink
from ..stats.fitted import Affine
from .resemblance import Resemblance, looks_at

__all__ = ["cell", "rewritable", "rewrite_csv"]


def cell(source: Reader, name: str, row: int) -> str:
    """Where a value is, for messages: ``file: column 'x' at data row N`` (``row`` 0-based)."""
    return f"{source.name}: column {name!r} at data row {row + 1:,}"


def rewritable(sources: Sequence[Reader], out_format: Format, order: Sequence[str]) -> bool:
    """Whether a frozen transform of ``sources`` into ``out_format`` (restoring no types) can
    write the records again: CSV to CSV, every input with its columns in the output's ``order``
    (the first input's header), none regrouped into batches of a given size, none with
    columns of its directories' partition keys (not in its records)."""
    return out_format is Format.CSV and all(
        s.format is Format.CSV
        and s.read.chunk_rows is None
        and not s.keys
        and s.schema.names == list(order)
        for s in sources
    )


def rewrite_csv(
    sources: Sequence[Reader],
    names: Sequence[str],
    affine: Affine,
    inverse: bool,
    sink: Sink,
    looks: dict[str, Resemblance],
    hints: Sequence[str],
    progress: Callable[[Reader, int], None] | None = None,
    *,
    vacant: tuple[Sequence[str], str | None] = ((), None),
    first_look: Callable[[str], None] | None = None,
) -> None:
    """Write the records of ``sources`` (see :func:`rewritable`) into ``sink`` transformed by
    ``affine`` (its inverse with ``inverse``); the first :data:`LOOK_ROWS` records of the
    chunks :func:`looks_at` picks are shown to the :class:`Resemblance` of their input in
    ``looks``. An infinite output is refused (``hints``: the ways out of an infinite input), a
    value in a column of ``vacant`` (the columns the fit found no value in, and the stat file
    it is read from: see :mod:`normkit.jobs.vacant`), and text holding a NUL character, as the
    CSV writer refuses it. ``first_look(name)`` is called once an
    input's first chunk has been looked at, before it is written."""
    from .. import _native

    maps = [[float(v) for v in a] for a in (affine.center, affine.scale, affine.gamma, affine.beta)]
    index = {name: j for j, name in enumerate(names)}
    empty, stats_name = set(vacant[0]), vacant[1]
    for source in sources:
        columns = source.schema.names
        plan = _native.CsvRewrite(
            [index.get(name) for name in columns],
            *maps,
            inverse=inverse,
            infinite_missing=source.read.infinities_missing,
            vacant=[i for i, name in enumerate(columns) if name in empty],
            **sink.csv_style,
        )
        look = looks.get(source.name)
        rows_before = sink.rows_written  # the output's rows before this input's

        def wanted(batches: range, look: Resemblance | None = look) -> int:
            if look is None or not any(map(looks_at, batches)):
                return 0
            return look.rows_wanted(batches[0])

        try:
            for part in source.rewritten(names, plan, wanted):
                if look is not None and looks_at(part.batch) and len(part.look):
                    look.update(part.look)
                if look is not None and part.batch == 0 and first_look is not None:
                    first_look(source.name)
                if part.valued is not None:
                    row, column, text = part.valued
                    raise value_error(cell(source, columns[column], row), text, stats_name)
                if part.infinite is not None:
                    bad = part.infinite
                    where = cell(source, names[bad.column], bad.row)
                    raise infinite_output_error(where, bad.value, bad.output, hints, inverse)
                if part.nul is not None:
                    row, column = part.nul
                    raise sink.holding_nul(column, rows_before + row + 1)
                sink.write_records(part.texts, part.rows)
                if progress is not None:
                    progress(source, sink.rows_written)
        except _native.UnquotableError as exc:
            raise sink.unquotable(*exc.args) from None
