"""How inputs are read: CSV dialect options, the read options every job takes, and the settings
a stat file records so that later jobs read data the way it was fitted.

Every option left unset (None) may be filled from a stat file's recorded settings
(:meth:`ReadOptions.completed_by`), then takes its default. Nothing here imports pyarrow (the
command line builds these before any data is read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .. import params
from ..errors import OptionError, param, quoted
from .formats import (
    CSV_BLOCK_SIZE,
    DEFAULT_NULL_VALUES,
    Format,
    missing_numbers,
    resolve_format,
    split_compression,
)

__all__ = ["CSV_BLOCK_SIZE", "DEFAULT_NULL_VALUES", "CsvOptions", "ReadOptions", "ReadSettings"]


def _strings(values: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(params.one_or_many("null_values", values, str, "a string or a list of them"))


@dataclass(frozen=True)
class CsvOptions:
    """How to read and write CSV.

    Parameters
    ----------
    delimiter : str or None, default None
        Field separator; None means a tab for ``.tsv`` files and a comma otherwise.
    null_values : tuple of str or None, default None
        Strings that mean a missing value in a normalized column (an empty field always does),
        replacing the base list; None: the list a stat file recorded, else
        :data:`DEFAULT_NULL_VALUES`. Text passed through keeps the defaults (``NA`` there
        is text: :attr:`text_nulls`), other columns their text. A number among them is
        missing in a normalized column however it is written (``-999`` matches ``-999.0``, as
        pandas reads its ``na_values``).
    add_null_values : tuple of str, default ()
        Strings added to that list (the command line's ``--null-values``).
    block_size : int or None, default None
        Bytes per block: types are inferred from the first, the input is read four at a time,
        and a row must fit in four. Memory is a small multiple of it. None: as a stat file
        recorded, else :data:`CSV_BLOCK_SIZE` (1 MiB; :attr:`block_bytes`).
    encoding : str or None, default None
        The encoding of text without a byte-order mark (a Python codec name: ``latin-1``,
        ``cp1252``...); None: UTF-8. A file's own mark (UTF-16, UTF-32, UTF-8) decides over it,
        given or recorded by a stat file (taken by :meth:`ReadOptions.completed_by`). A CSV
        output is written in it (:meth:`output_encoding`).
    decimal : {".", ","} or None, default None
        The decimal separator of numbers (``1,5`` with ``","``); None: the one a stat file
        recorded, else ``"."``. Numbers normalized into CSV are written with it too.
    header : bool or None, default None
        Whether the first record names the columns (False: they are named ``column_1``,
        ``column_2``..., and CSV outputs are written without a header too). None: as a stat
        file recorded, else detected.
    skip_rows : int or None, default None
        Lines before the header, or before the first record without one (a title, notes);
        None: as a stat file recorded where they were given to its fit, else detected in each
        file.
    comment : str or None, default None
        Lines starting with this character are skipped (``""``: none); None: detected in
        each file (``#``).
    quote : {'"', "'", ""} or None, default None
        The character that quotes fields (``""``: no quoting); None: detected in each file
        (``'`` where the head has no ``"`` and single-quoted fields split it as well; ``""``
        where its quotes are text: :mod:`normkit.io.csv.sniff`).
    inline_comments : bool or None, default None
        Whether the comment character (``#`` unless given) starts a comment after values too,
        outside quoted fields (``1;3 # note``; text fields too, ``Apt #5`` read as ``Apt``):
        True cuts them in every line, as pandas' ``comment`` does; None: as a stat file
        recorded where it was given to its fit, else detected in each file, where comment
        lines are and the table splits evenly only with those comments cut, and no row that
        splits evenly without them would lose text to them (:mod:`normkit.io.csv.sniff`).
    fitted_delimiter : str or None, default None
        The separator a stat file recorded (set by :meth:`ReadOptions.completed_by`): read with
        where neither ``delimiter`` nor the file's extension (``.tsv``) names one, and written
        with where neither names one for the output (:meth:`delimiter_for`,
        :meth:`output_delimiter`).
    fitted_comment : str or None, default None
        The comment character a stat file recorded (set by :meth:`ReadOptions.completed_by`;
        ``""``: its fit read no comment lines). Where ``comment`` is unset and the fit read
        none, a later file's comment lines are skipped only above its table (as lines before
        it): inside it they are read as rows, so that a row such as ``#N/A`` is refused as the
        fit's reading would refuse it, not dropped.
    escape : {"\\", ""} or None, default None
        The character that, inside a quoted field, stands before a quote or itself for that
        character (``"say \\"hi\\""``; ``""``: none); None: detected in each file (``\\``
        where quoted fields hold ``\\"`` and the head splits evenly only with it).

    The separator, header, lines to skip and comment character left unset are detected from the
    file's first 64 KiB, where the evidence is unambiguous (:mod:`normkit.io.csv.sniff`);
    where it is not, reading is refused with the option that decides.
    from_stats : tuple of str, default ()
        The options :meth:`ReadOptions.completed_by` took from a stat file: a CSV's record of
        how it was written overrides them (:meth:`as_written`), not options given.
    fitted_text_nulls : tuple of str, default ()
        Those a stat file recorded as :attr:`text_nulls` (set by :meth:`ReadOptions.completed_by`).
    """

    delimiter: str | None = None
    null_values: tuple[str, ...] | None = None
    add_null_values: tuple[str, ...] = ()
    block_size: int | None = None
    encoding: str | None = None
    decimal: str | None = None
    header: bool | None = None
    skip_rows: int | None = None
    comment: str | None = None
    quote: str | None = None
    inline_comments: bool | None = None
    fitted_delimiter: str | None = None
    escape: str | None = None
    fitted_comment: str | None = None
    from_stats: tuple[str, ...] = ()
    fitted_text_nulls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.null_values is not None:
            params.check("csv.null_values", self.null_values)
            object.__setattr__(self, "null_values", _strings(self.null_values))
        params.check("csv.null_values", self.add_null_values)
        object.__setattr__(self, "add_null_values", _strings(self.add_null_values))
        for name in (
            "delimiter",
            "encoding",
            "decimal",
            "header",
            "skip_rows",
            "comment",
            "quote",
            "inline_comments",
            "escape",
        ):
            object.__setattr__(self, name, params.check(f"csv.{name}", getattr(self, name)))
        params.check("csv.delimiter", self.fitted_delimiter)
        if self.block_size is not None:
            params.check("csv.block_size", self.block_size)
            object.__setattr__(self, "block_size", int(self.block_size))
        if self.delimiter is not None and self.delimiter == self.quote:
            raise OptionError(
                f"{self.delimiter!r} cannot both separate and quote fields",
                param="csv.quote",
                hints=(f"give the quote character ({param('csv.quote', '')} for none)",),
            )
        if self.escape and self.delimiter == self.escape:
            raise OptionError(
                f"{quoted(self.escape)} cannot both separate fields and escape quotes",
                param="csv.escape",
                hints=(f"give the escape character ({param('csv.escape', '')} for none)",),
            )
        if self.escape and self.quote == "":
            raise OptionError(
                "an escape character escapes quotes inside quoted fields, and no quote "
                "character was given",
                param="csv.escape",
                hints=(f"give the quote character ({param('csv.quote', chr(34))})",),
            )
        if self.inline_comments and self.comment == "":
            raise OptionError(
                "comments after values need a comment character, and none was given",
                param="csv.inline_comments",
                hints=(f"give one ({param('csv.comment', '#')})",),
            )

    def as_written(self, dialect: Mapping[str, Any]) -> CsvOptions:
        """These options with ``dialect`` (how normkit wrote a CSV, from its record: fields of
        :data:`WRITTEN`) in place of the ones not given (unset, or taken from a stat file); but
        the decimal separator: the columns passed through are copied as written, so a CSV
        output keeps the separator its input was read with (the fit's, or the one given),
        which reads a number written with another as no number (refused, naming the option).

        Raises
        ------
        OptionError
            If a value is not one these options take.
        """
        unknown = set(dialect) - set(WRITTEN)
        if unknown:
            raise OptionError(f"unknown CSV options {sorted(unknown)}")
        taken = {
            n: tuple(v) if n == "null_values" else v
            for n, v in dialect.items()
            if n != "decimal" and (getattr(self, n) is None or n in self.from_stats)
        }
        recorded = ("null_values",) if "null_values" in taken else ()  # none named: text_nulls
        return replace(self, **taken, from_stats=(*self.from_stats, *recorded))

    def dialect_given(self, writes_csv: bool = False) -> list[tuple[str, object]]:
        """The options given (set, not taken from a stat file) that say how CSV text is read,
        which no other input format has: ``(name, value)`` pairs, names as in
        :mod:`normkit.params` (``csv.header``). ``writes_csv``: for a job writing a CSV, which
        is written with those of :data:`CSV_WRITING` (they are not read-only there)."""
        given = [
            (f"csv.{name}", getattr(self, name))
            for name in CSV_DIALECT
            if getattr(self, name) is not None and name not in self.from_stats
        ]
        writing = CSV_WRITING if writes_csv else ()
        return [(name, value) for name, value in given if name[len("csv.") :] not in writing]

    def role_conflict(
        self,
        delimiter: str | None,
        quote: str | None,
        splits: str | None = None,
        quoted_decimal_commas: bool = False,
        quotes_seen: bool = False,
    ) -> OptionError | None:
        """The refusal of one character in two roles, if one has two: the field separator
        ``delimiter`` and the decimal point, or the comment character and the separator or
        the ``quote`` character (None: not known yet). ``splits``: the separator that splits
        the file's first lines evenly, if one does (named as the one to give).

        A comma-separated file may write decimal commas in quoted fields (``"1,5"``), which
        are then read as numbers: where fields are quoted, no other separator splits the first
        lines, and ``quoted_decimal_commas`` (the first lines hold such a field, or the comma
        was given as the separator). Where they do not, the refusal names the comma given as
        the separator as the way out only if ``quotes_seen`` (the first lines hold quotes)."""
        comment = self.comment or None
        other = "," if self.decimal_point == "." else "."
        separator = splits or ("," if delimiter not in (",", None) else ";")
        decimal: str | None = self.decimal_point
        # Decimal commas a comma-separated file could quote: read where the first lines show
        # one; else the way to read them named, where quotes are seen or quoting is off.
        commas: tuple[str, ...] = ()
        if decimal == "," and splits is None:
            if self.quote != "" and quoted_decimal_commas:
                decimal = None
            elif self.quote != "" and quotes_seen:
                commas = (
                    "name the comma as the field separator too if quoted fields hold the "
                    f'decimal commas, "1,5" ({param("csv.delimiter", ",")})',
                )
            elif self.quote == "":
                commas = (
                    'read the quotes around decimal commas ("1,5") as quotes '
                    f"({param('csv.quote', chr(34))})",
                )
        comment_hint = f"give another comment character ({param('csv.comment', '')} for none)"
        for a, b, what, name, hints in (
            (delimiter, decimal, "cannot separate both fields and decimals "
             f"({param('csv.decimal')} is {self.decimal_point!r})", "csv.decimal",
             (f"give the field separator ({param('csv.delimiter', separator)}) or, if "
              f"{delimiter!r} separates the fields, read {other!r} as the decimal separator "
              f"({param('csv.decimal', other)})", *commas)),
            (comment, delimiter, "cannot both separate fields and start comments",
             "csv.comment", (comment_hint,)),
            (comment, quote, "cannot both quote fields and start comments",
             "csv.comment", (comment_hint,)),
        ):  # fmt: skip
            if a is not None and a == b:
                return OptionError(f"{a!r} {what}", param=name, hints=hints)
        return None

    @property
    def nulls(self) -> tuple[str, ...]:
        """The strings read as missing: the empty field, the base list, the added ones."""
        base = DEFAULT_NULL_VALUES if self.null_values is None else self.null_values
        return tuple(dict.fromkeys(("", *base, *self.add_null_values)))

    @property
    def missing_numbers(self) -> tuple[float, ...]:
        """The numbers among :attr:`nulls`, missing in any format (:func:`missing_numbers`)."""
        return missing_numbers(self.nulls, self.decimal_point)

    @property
    def text_nulls(self) -> tuple[str, ...]:
        """The strings read as missing in text passed through: the empty field and those named
        (added, given, :attr:`fitted_text_nulls`), not the defaults: a region ``NA`` is text."""
        given = self.null_values if "null_values" not in self.from_stats else None
        named = (*self.fitted_text_nulls, *(given or ()), *self.add_null_values)
        return tuple(dict.fromkeys(("", *named)))

    @property
    def missing_written(self) -> str:
        """What a CSV output writes for a missing value: the first missing-value string of the
        base list (the stat file's, which an inverse reads with) that is no default, no number,
        needs no quotes and can start no comment line (``\\N`` of a database dump, ``.`` of
        SAS, ``?``), so that the output reads, and loads, as the input did; else the empty
        field."""
        special = {self.delimiter or ",", self.quote_character or "", "\r", "\n"} - {""}
        comments = {"#", self.comment or "#"}
        for text in self.null_values or ():
            if (
                text
                and text not in DEFAULT_NULL_VALUES
                and not special & set(text)
                and text == text.strip()
                and text[0] not in comments
            ):
                try:
                    float(text.replace(",", "."))
                except ValueError:
                    return text
        return ""

    @property
    def quote_character(self) -> str | None:
        """The quote character read and written with: the one given or detected, ``"`` where
        none is known yet; None for no quoting (``quote=""``)."""
        return '"' if self.quote is None else self.quote or None

    @property
    def block_bytes(self) -> int:
        """The bytes per block read: the size given, else :data:`CSV_BLOCK_SIZE`."""
        return CSV_BLOCK_SIZE if self.block_size is None else self.block_size

    @property
    def decimal_point(self) -> str:
        """The decimal separator: the one given, else ``"."``."""
        return self.decimal or "."

    def delimiter_for(self, path: str) -> str | None:
        """The separator to read ``path`` with: the one given, else a tab for ``.tsv``, else the
        one the fit read with (:attr:`fitted_delimiter`); None: detected from its head."""
        if self.delimiter is not None:
            return self.delimiter
        if _is_tsv(path):
            return "\t"
        return self.fitted_delimiter

    def output_encoding(self, read_in: str | None, text_input: bool) -> str | None:
        """The encoding to write a CSV output in: the one given; else, from a CSV input
        (``text_input``), the one it was read in (``read_in``: given, a stat file's, or its
        byte-order mark's); else a stat file's (the one its fit's data was read in: a Parquet
        file made from UTF-16 text is written back as UTF-16, as the separator comes back);
        None: UTF-8."""
        if self.encoding is not None and "encoding" not in self.from_stats:
            return self.encoding
        return read_in if text_input else self.encoding

    def output_delimiter(self, path: str) -> str:
        """The separator to write the CSV output ``path`` with: a tab for ``.tsv`` (the name
        says it), else the input's (given, else the fit's), else a comma. An output read back
        with the same options (an inverse's input) is read with that same separator
        (:meth:`delimiter_for`)."""
        if _is_tsv(path):
            return "\t"
        return self.delimiter or self.fitted_delimiter or ","


def _is_tsv(path: str) -> bool:
    stem, _ = split_compression(path)
    return stem.lower().endswith(".tsv")


#: The CSV dialect options that a fit given them records for later jobs to read with.
TRAVELLING = ("quote", "comment", "inline_comments", "skip_rows", "escape")
#: The CSV options that say how normkit wrote a CSV (kept in its record: the next job reads it so).
WRITTEN = (
    "delimiter",
    "quote",
    "escape",
    "decimal",
    "header",
    "skip_rows",
    "comment",
    "encoding",
    "null_values",
)
#: The options of how CSV text is read, which mean nothing to Parquet or Arrow inputs.
CSV_DIALECT = (
    "delimiter",
    "header",
    "skip_rows",
    "comment",
    "inline_comments",
    "quote",
    "escape",
    "encoding",
    "decimal",
    "block_size",
)
#: Those that also say how a CSV output is written (from Parquet or Arrow inputs too): its
#: separators, header, quoting, the comment character its fields are quoted for, its encoding.
CSV_WRITING = ("delimiter", "header", "comment", "quote", "encoding", "decimal")


@dataclass(frozen=True)
class ReadSettings:
    """How a fit read its data, as its stat file records it: later jobs read the same way
    unless told otherwise.

    Attributes
    ----------
    delimiter : str or None
        The separator the fit read with, given or detected (None: not known, an older stat
        file): later jobs read with it where neither an option nor a file's extension
        (``.tsv``) names one.
    null_values : tuple of str
        Every string read as missing.
    encoding : str or None
        The encoding the data was read in: a byte-order mark's (``utf-16``, ``utf-32``,
        ``utf-8-sig``), else given; None: UTF-8. Later jobs read with it where no option names
        one and a file has no mark of its own (one that needs a mark reads a file without one
        as UTF-8), and write CSV outputs of inputs that are not CSV in it.
    inf_as_missing : bool
    decimal : {".", ","}
        The decimal separator of numbers.
    header : bool or None
        Whether the first record named the columns (None: not known, an older stat file).
    skip_rows : int or None
        Lines skipped before the header.
    comment : str or None
        The comment character.
    renamed : tuple of str
        The names given to header names that repeat an earlier one (``a_1``: the second ``a``);
        every read renames them alike.
    quote : str or None
        The quote character (``""``: no quoting; None: not recorded).
    inline_comments : bool
        Whether the comment character started comments after values too.
    given : tuple of str
        The dialect options given rather than detected (of :data:`TRAVELLING`): later jobs read
        with them, and detect the others in each file.
    escape : str or None
        The character escaping quotes inside quoted fields (``""``: none; None: not recorded).
    block_size : int or None
        The bytes of CSV per block the fit was given, larger than the default (rows longer
        than the default's): later jobs read with it unless given another. None: the default.
    text_null_values : tuple of str
        The strings named missing to the fit, in text too (:attr:`CsvOptions.text_nulls`).
    """

    delimiter: str | None = None
    null_values: tuple[str, ...] = DEFAULT_NULL_VALUES
    encoding: str | None = None
    inf_as_missing: bool = False
    decimal: str = "."
    header: bool | None = None
    skip_rows: int | None = None
    comment: str | None = None
    renamed: tuple[str, ...] = ()
    quote: str | None = None
    inline_comments: bool = False
    given: tuple[str, ...] = ()
    escape: str | None = None
    block_size: int | None = None
    text_null_values: tuple[str, ...] = ()

    @property
    def missing_numbers(self) -> tuple[float, ...]:
        """The numbers among :attr:`null_values`, missing in any format (:func:`missing_numbers`)."""
        return missing_numbers(self.null_values, self.decimal)


@dataclass(frozen=True)
class ReadOptions:
    """How to read inputs.

    Parameters
    ----------
    format : str, Format or None
        None infers the format from each file's extension (stdin: CSV).
    csv : CsvOptions
        Delimiter, missing-value strings, encoding, decimal separator.
    chunk_rows : int or None
        Rows per I/O batch; None keeps the reader's natural batches.
    inf_as_missing : bool or None, default None
        Read infinite values in normalized columns as missing; None: as a stat file recorded,
        else False (they are refused, as scikit-learn refuses them).
    """

    format: str | Format | None = None
    csv: CsvOptions = field(default_factory=CsvOptions)
    chunk_rows: int | None = None
    inf_as_missing: bool | None = None

    def __post_init__(self) -> None:
        if self.format is not None:
            object.__setattr__(self, "format", resolve_format("", self.format))
        params.check("chunk_rows", self.chunk_rows)
        if self.inf_as_missing is not None:
            object.__setattr__(
                self, "inf_as_missing", params.check("inf_as_missing", self.inf_as_missing)
            )

    @property
    def infinities_missing(self) -> bool:
        """Whether infinite values are read as missing."""
        return bool(self.inf_as_missing)

    def settings(
        self,
        detected: CsvOptions | None = None,
        renamed: tuple[str, ...] = (),
        encoding: str | None = None,
    ) -> ReadSettings:
        """What a stat file records of these options; ``detected``: the CSV dialect found in the
        data (options given or detected), recorded so that later jobs read the same way;
        ``renamed``: the names given to repeated header names; ``encoding``: the one the data
        was read in (given or as a byte-order mark said), else the one given."""
        csv = self.csv
        dialect = detected or csv
        return ReadSettings(
            dialect.delimiter,
            csv.nulls,
            encoding or csv.encoding,
            self.infinities_missing,
            csv.decimal_point,
            dialect.header,
            dialect.skip_rows,
            dialect.comment,
            tuple(renamed),
            dialect.quote,
            dialect.inline_comments,
            tuple(n for n in TRAVELLING if getattr(csv, n) is not None),
            dialect.escape,
            csv.block_size if csv.block_bytes > CSV_BLOCK_SIZE else None,
            tuple(v for v in csv.text_nulls if v),
        )

    def completed_by(
        self, recorded: ReadSettings | None, *, own_output: bool = False
    ) -> ReadOptions:
        """These options, the ones left unset taken from ``recorded`` (a stat file's);
        ``own_output``: the inputs are normkit's outputs (an inverse's), which have no lines
        before the table."""
        if recorded is None:
            return self
        csv = self.csv
        # The quote and comment characters, the escape character and lines to skip given to
        # the fit are read with (normkit's CSV outputs are quoted alike and have no comment
        # lines); detected ones are detected again in each file. Lines to skip travel with or
        # without a header: the file the fit read has them whichever it is (without a header,
        # its skipped lines came back as rows), and a file laid out otherwise is read with
        # --skip-rows 0. Neither they nor the escape character go into an output (an
        # inverse's input), which has no lines before its table and doubles its quotes.
        taken = {
            n: getattr(recorded, n)
            for n in TRAVELLING
            if n in recorded.given
            and getattr(csv, n) is None
            and not (n in ("skip_rows", "escape") and own_output)
        }
        taken.update(
            (n, getattr(recorded, n))
            for n in ("encoding", "decimal", "header")
            if getattr(csv, n) is None and getattr(recorded, n) is not None
        )
        if own_output and taken.get("quote") == "":
            # Quotes that were text in the fit's data are quoted in normkit's CSV outputs.
            taken["quote"] = '"'
        if csv.null_values is None:  # the fit's, unless a CSV's record says how it was written
            taken["null_values"] = recorded.null_values
        if recorded.block_size is not None and csv.block_size is None:
            taken["block_size"] = recorded.block_size  # its rows need it
        csv = replace(
            csv,
            fitted_text_nulls=recorded.text_null_values,
            fitted_delimiter=recorded.delimiter,
            fitted_comment=recorded.comment,
            # Taken by an earlier completion too (a part of a Dask transform is completed twice).
            from_stats=tuple(dict.fromkeys((*csv.from_stats, *taken))),
            **taken,
        )
        inf = recorded.inf_as_missing if self.inf_as_missing is None else self.inf_as_missing
        return replace(self, csv=csv, inf_as_missing=inf)
