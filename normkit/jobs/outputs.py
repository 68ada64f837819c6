"""What a transform writes beside its data: the paths of its output and of its updated
statistics, checked before any work, and the updated statistics withheld from a stream its
output's reader did not take whole; and the options that would do nothing to the output asked
for, refused."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Protocol

from ..errors import NormkitNote, OptionError, OutputError, param
from ..io.files import check_output_path, refuse_overwrite, same_path
from ..io.formats import Format, split_compression
from ..io.options import CsvOptions
from ..io.reader import Reader
from ..stats import statfile

__all__ = [
    "before_writing",
    "check_outputs",
    "csv_written",
    "note_unkept_types",
    "refuse_unused_options",
    "saved_only_whole",
]


def check_outputs(
    output: str,
    save_stats: str | os.PathLike[str] | None,
    sources: Sequence[Reader],
    stats_file: str | None,
    protected: Sequence[str | os.PathLike[str]] = (),
) -> None:
    """Refuse, before any work, an output or a ``save_stats`` path that cannot be written, or
    that would overwrite the inputs, the stat file read, a file of ``protected``, or a CSV's
    record (the inputs', and the output's for ``save_stats``).

    Raises
    ------
    OptionError
        If ``save_stats`` is the output.
    OutputError
        If a path cannot be written or would overwrite a file kept.
    """
    if save_stats is not None and same_path(output, save_stats):
        raise OptionError(
            f"{save_stats}: {param('save_stats')} and the output are the same file or stream",
            param="save_stats",
        )
    if save_stats is not None:
        statfile.check_stat_path(save_stats, "save_stats")
    kept = {
        **dict.fromkeys(map(os.fspath, protected), "the file"),
        **dict.fromkeys((s.path for s in sources), "the input"),
    }
    if stats_file is not None:
        kept[stats_file] = "the stat file"
    for written, what, replaces in (
        (output, "the output", ()),
        (save_stats, param("save_stats"), ("the stat file",)),  # the statistics updated
    ):
        if written is None:
            continue
        check_output_path(os.fspath(written))  # '-': nothing to check
        refuse_overwrite(written, kept, what, replaces)
        kept[os.fspath(written)] = what  # and its record, which the output writes beside it


@contextlib.contextmanager
def saved_only_whole(save_stats: str | os.PathLike[str] | None) -> Iterator[None]:
    """Around the writing of a transform's output: where its reader closes it early (``|
    head``), the running statistics have not seen the whole input, so none are saved; with
    ``save_stats`` given, that is an :class:`OutputError` naming it, not the quiet end of a
    closed pipe (a stream continued from the stale statistics would go unnoticed).

    Raises
    ------
    OutputError
        With ``save_stats``, on a closed output (else ``BrokenPipeError`` goes on).
    """
    try:
        yield
    except BrokenPipeError:
        if save_stats is None:
            raise
        raise OutputError(
            f"{os.fspath(save_stats)}: {param('save_stats')} was not written: the output "
            "closed before the end of the input (its reader stopped reading), so the running "
            "statistics were not updated with all of it",
            hints=(
                "let the reader take the whole output",
                f"write it to a file ({param('output')}) and read that",
            ),
        ) from None


def csv_written(
    csv: CsvOptions, reference: Reader, sources: Sequence[Reader]
) -> tuple[CsvOptions, tuple[str, ...]]:
    """How a CSV output of ``sources`` (read with ``csv``; ``reference``: the one whose
    dialect it takes) is written, and the strings that stand for a missing value in it."""
    # A CSV output is written in the input's encoding, its byte-order mark's too (UTF-16 from
    # a spreadsheet stays UTF-16), or, from Parquet or Arrow, in the one the fit's data was
    # read in, so that it reads back as the input did; quoted with '"' where the input was
    # read without quoting (its quotes text), as RFC 4180 has it: a field holding a quote is
    # quoted, its quotes doubled, so that every reader (pandas, Polars, DuckDB, normkit by the
    # output's record) reads each field back as written, where a bare quote opening a field
    # would run on over the rows after it;
    # fields holding the comment character are quoted, so that none is read as a comment;
    # with a header where a CSV input was read with one (given, recorded or detected).
    # An input normkit wrote (an inverse's) is written back with the separator its record
    # says it has (not the fit's), as its header is; one given decides, and a .tsv input's tab
    # is its name's, not its data's (a .csv output of it takes the fit's).
    recorded = reference.written_dialect.get("delimiter")
    if split_compression(reference.path)[0].lower().endswith(".tsv"):
        recorded = None
    detected = reference.detected
    text_quotes = csv.quote == "" or (
        csv.quote is None and detected is not None and detected.quote == ""
    )
    written = replace(
        csv,
        delimiter=csv.delimiter or recorded,
        header=csv.header if detected is None else detected.header,
        encoding=csv.output_encoding(reference.text_encoding, reference.format is Format.CSV),
        quote='"' if text_quotes else csv.quote,
        comment=csv.comment or (detected.comment if detected is not None else None),
    )
    # A CSV input's fields may be copied as written (its missing-value strings with them);
    # from Parquet or Arrow, a missing value is written one way only, and text equal to
    # another missing-value string ("NA") is text.
    typed = any(s.format is not Format.CSV for s in sources)
    nulls = (
        ("", written.missing_written)
        if typed
        else (n for s in sources for n in s.read.csv.nulls)  # as each was read
    )
    nulls = tuple(dict.fromkeys(nulls))
    return written, nulls


class _Settings(Protocol):
    """What :func:`before_writing` reads of a transform's options (``TransformOptions``)."""

    @property
    def keep_text(self) -> bool: ...
    @property
    def inverse(self) -> bool: ...
    @property
    def assume_normalized(self) -> bool: ...


def before_writing(
    sources: Sequence[Reader],
    out_format: Format,
    options: _Settings,
    recorded: Sequence[bool],
    names: Sequence[str],
) -> None:
    """Before any work: :func:`refuse_unused_options` of a transform's ``options`` (``recorded``:
    whether each input records how it was made), and, for a Parquet or Arrow output,
    :func:`note_unkept_types` of the columns passed through (not of ``names``)."""
    assumed = options.inverse and options.assume_normalized
    refuse_unused_options(sources, out_format, options.keep_text, assumed, recorded)
    if out_format is not Format.CSV:
        note_unkept_types(sources, names)


def refuse_unused_options(
    sources: Sequence[Reader],
    out_format: Format,
    keep_text: bool,
    assume_normalized: bool,
    recorded: Sequence[bool],
) -> None:
    """Refuse, before any work, a transform's options that would do nothing here: ``keep_text``
    for a CSV output (text already) or inputs none of which is CSV (their columns have their
    types), and an inverse's ``assume_normalized`` for inputs that all record how they were
    made (``recorded``: whether each does), which are inverted as recorded, never judged by
    their look."""
    first = sources[0]
    if keep_text and out_format is Format.CSV:
        raise OptionError(
            f"{param('keep_text')} keeps the columns a CSV passes through as text in a Parquet "
            "or Arrow output, and the output is CSV, which holds them as text; leave it out",
            param="keep_text",
        )
    if keep_text and all(s.format is not Format.CSV for s in sources):
        raise OptionError(
            f"{param('keep_text')} keeps the columns a CSV passes through as text, and no input "
            f"is CSV ({first.name} is {first.format}, whose columns have their types); leave "
            "it out",
            param="keep_text",
        )
    if assume_normalized and recorded and all(recorded):
        raise OptionError(
            f"{param('assume_normalized')} inverts an input that keeps no record of how it was "
            f"made, whatever it looks like, and {first.name} keeps one (it is inverted as it "
            "records); leave it out",
            param="assume_normalized",
        )


def note_unkept_types(sources: Sequence[Reader], names: Sequence[str]) -> None:
    """Note the columns passed through (of ``names``, those not normalized) whose type in their
    file pyarrow reads as another (:attr:`Reader.unkept_types`): a Parquet or Arrow output keeps
    their bytes or values, not their type, which a reader of it would otherwise not know."""
    for source in sources:
        unkept = [f"{n!r} ({what})" for n, what in source.unkept_types if n not in names]
        if unkept:  # the first file's (the parts of a data set share their types)
            warnings.warn(
                NormkitNote(
                    f"{source.name}: {', '.join(unkept)} pass through with their values, not "
                    "their types, which pyarrow reads as others and does not write; cast them "
                    "in the output if they matter"
                ),
                stacklevel=4,
            )
            return
