"""How transformed data was made, recorded where the data goes: Parquet and Arrow outputs keep
in their schema metadata the statistics' fingerprint, which statistics were used (exact or
running), gamma, beta, the mode, and whether it was an inverse; a CSV file keeps the same in a
record beside it (:mod:`normkit.io.sidecar`), which its reader puts in its schema, with the types
of its columns passed through (:mod:`normkit.jobs.texttypes`). Whatever reads it back (a job
reading files, the estimator given an Arrow table that keeps it) follows the rules here: an
inverse undoes exactly what was done, and a second transform is refused, with the same
statistics or others. An input without a record (a CSV on standard output, or copied without its
record) is inverted only as its options say (at least one of use, gamma and beta given; the
others by default the exact statistics and the stat file's gamma and beta), and is checked by
what its columns look like instead (:class:`~normkit.jobs.resemblance.Resemblance`): data that
looks already normalized is not normalized again, data that looks raw is not inverted, unless
the user says so.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from ..errors import InputError, OptionError, param
from ..io.formats import Format
from ..io.lazy import ipc
from ..io.sidecar import delete_hint, record_path
from .fingerprints import fingerprint_as, matches
from .fitted import FittedStats

__all__ = [
    "ATTRS_KEY",
    "METADATA_KEY",
    "InMemory",
    "Recipe",
    "Source",
    "inverse_settings",
    "record_text",
    "recorded_in",
    "refuse_renormalizing",
    "says",
    "where_recorded",
]


class Source(Protocol):
    """What the rules here read of an input: a file's reader (:class:`~normkit.io.reader.Reader`)
    or a table in memory (:class:`InMemory`)."""

    name: str
    format: Format
    path: str
    is_stream: bool

    @property
    def schema(self) -> pa.Schema: ...


@dataclass(frozen=True)
class InMemory:
    """A table in memory (an Arrow table or record batch, or a pandas frame) as the rules here
    read it: its schema, whose metadata keeps the record as an Arrow file's does (a frame's
    attrs put there), its name in messages, and where it keeps the record, as they say it."""

    schema: pa.Schema
    name: str = "the table"
    format: Format = Format.ARROW
    path: str = ""
    is_stream: bool = False
    kept_in: str = "the schema metadata"
    says_so: str = "its metadata says so"


#: Schema metadata key under which outputs record how they were made (a CSV file in its record
#: beside it, :mod:`normkit.io.sidecar`).
METADATA_KEY = b"normkit.transform"

#: pandas keeps a DataFrame's ``attrs`` in this schema metadata key of a Parquet file
#: (``to_parquet``) and gives them back to the frame ``read_parquet`` reads; an output keeps its
#: record there too, under :data:`ATTRS_KEY`, so that the record travels with the data through
#: pandas (``inverse_transform`` of the frame, ``to_parquet`` of it and ``normkit inverse``).
PANDAS_ATTRS = b"PANDAS_ATTRS"
ATTRS_KEY = METADATA_KEY.decode()


def _pandas_attrs(metadata: Mapping[bytes, bytes]) -> dict | None:
    """The attrs pandas keeps in ``metadata`` ({} where there are none), None if unreadable."""
    raw = metadata.get(PANDAS_ATTRS)
    if raw is None:
        return {}
    try:
        attrs = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return attrs if isinstance(attrs, dict) else None


def recorded_in(
    metadata: Mapping[bytes, bytes] | None, recipe: Recipe | None
) -> dict[bytes, bytes]:
    """``metadata`` (a schema's) with ``recipe`` as its record (None: with none), in normkit's
    key and in the attrs pandas keeps (:data:`PANDAS_ATTRS`), their other entries kept."""
    out = {k: v for k, v in (metadata or {}).items() if k != METADATA_KEY}
    attrs = _pandas_attrs(out)
    if recipe is not None:
        out.update(recipe.to_metadata())
    if attrs is None:  # another writer's, unreadable: left as it is
        return out
    attrs.pop(ATTRS_KEY, None)
    if recipe is not None:
        attrs[ATTRS_KEY] = recipe.document()
    if attrs:
        out[PANDAS_ATTRS] = json.dumps(attrs).encode("utf-8")
    else:
        out.pop(PANDAS_ATTRS, None)
    return out


def record_text(metadata: Mapping[bytes, bytes]) -> bytes | None:
    """The record in ``metadata``: normkit's key, else the attrs pandas keeps (a frame read
    from an output by ``read_parquet`` and written again by ``to_parquet``)."""
    if METADATA_KEY in metadata:
        return metadata[METADATA_KEY]
    attrs = _pandas_attrs(metadata)
    if not attrs or ATTRS_KEY not in attrs:
        return None
    return json.dumps(attrs[ATTRS_KEY]).encode("utf-8")


@dataclass(frozen=True)
class Recipe:
    """How one output was made.

    Attributes
    ----------
    mode : {"frozen", "batch", "adaptive"}
    use : {"exact", "ema"}
    inverse : bool
    stats : str or None
        The fingerprint of the statistics (:func:`normkit.stats.fingerprints.fingerprint`); None in
        outputs of older versions.
    gamma, beta : dict of column to float, or None
        The affine parameters per column (None in outputs of older versions).
    previous : Recipe or None
        The record of the input this output was made from, when it had one: a file normalized
        twice (``renormalize``) keeps both steps, and its inverse gets the first one back.
    pandas : dict of column to dict, or None
        pandas' record (schema metadata) of the normalized columns in the input, as it was
        before they became float64: an inverse that restores their types gives it back.
    types : dict of column to pyarrow.DataType, or None
        In a CSV's record, the types of the columns passed through, as the data written had
        them (a Parquet file's): a CSV read into Parquet or Arrow gets them back
        (:mod:`normkit.jobs.texttypes`). Kept as a serialized Arrow schema.
    types_pandas : str or None
        With ``types``, pandas' record (schema metadata) of the data written, as JSON text: it
        comes back with the types (a nullable Int64 column, an index).
    categories : dict of column to pyarrow.Array, or None
        With ``types``, the categories of its dictionary columns (a pandas ``category``), in
        their order, unused ones too: the values of the dictionary they come back with
        (:func:`normkit.jobs.texttypes.as_recorded`). Kept as serialized Arrow data.
    dictionaries : dict of column to pyarrow.Array, or None
        The categories of the normalized columns that were dictionaries of numbers (a pandas
        ``category`` of floats), in their order: an inverse gives each value back as the one of
        them it was (:mod:`normkit.jobs.restore`). Kept as serialized Arrow data.
    dtypes : dict of column to str, or None
        The types of the normalized columns in the data transformed, as a stat file records
        its fit's (``str(type)``): an inverse gives them back rather than the stat file's
        (:func:`normkit.jobs.restore.restored_types`). A column whose type is not known for
        certain is left out (see :func:`normkit.jobs.restore.transformed_dtypes`); None in
        outputs of older versions and of an inverse.
    fields : dict of column to pyarrow.Field, or None
        In a CSV's record, the fields of the data written that are not nullable or have
        metadata (a DuckDB ``NOT NULL`` column, a Polars ``Enum``'s categories), plain ones
        left out: a CSV read into Parquet or Arrow gets them back
        (:func:`normkit.jobs.texttypes.fields_to_record`). Kept as a serialized Arrow schema.
    """

    mode: str
    use: str
    inverse: bool
    stats: str | None = None
    gamma: Mapping[str, float] | None = None
    beta: Mapping[str, float] | None = None
    previous: Recipe | None = None
    pandas: Mapping[str, dict] | None = None
    # Not part of what the data is (two records that differ only in the types their CSVs
    # came from describe data normalized alike).
    types: Mapping[str, pa.DataType] | None = field(default=None, compare=False)
    types_pandas: str | None = field(default=None, compare=False)
    categories: Mapping[str, pa.Array] | None = field(default=None, compare=False)
    dictionaries: Mapping[str, pa.Array] | None = field(default=None, compare=False)
    dtypes: Mapping[str, str] | None = field(default=None, compare=False)
    fields: Mapping[str, pa.Field] | None = field(default=None, compare=False)

    def to_metadata(self) -> dict[bytes, bytes]:
        return {METADATA_KEY: json.dumps(self.document()).encode("utf-8")}

    def document(self) -> dict:
        """The record as JSON values."""
        return {
            "mode": self.mode,
            "use": self.use,
            "inverse": self.inverse,
            "stats": self.stats,
            "gamma": dict(self.gamma) if self.gamma is not None else None,
            "beta": dict(self.beta) if self.beta is not None else None,
            "previous": self.previous.document() if self.previous is not None else None,
            "pandas": dict(self.pandas) if self.pandas else None,
            **({"types": _types_text(self.types)} if self.types is not None else {}),
            **({"types_pandas": self.types_pandas} if self.types_pandas is not None else {}),
            **({"categories": _arrays_text(self.categories)} if self.categories else {}),
            **({"dictionaries": _arrays_text(self.dictionaries)} if self.dictionaries else {}),
            **({"dtypes": dict(self.dtypes)} if self.dtypes is not None else {}),
            **({"fields": _fields_text(self.fields.values())} if self.fields else {}),
        }

    @classmethod
    def _from_document(cls, doc: dict, within: str = "") -> Recipe:
        # The keys every record holds are required, as normkit writes them (null only where
        # it writes null): a record missing one, or holding null (edited by hand), would be
        # taken to say a gamma of 1, any statistics, or nothing of the previous step; the
        # others are there only where they say something.
        def held(key: str, valid: Callable[[object], bool]) -> Any:
            if key not in doc:
                raise _Damaged(f"it lacks {within + key!r}")
            if not valid(doc[key]):
                raise _Damaged(f"its {within + key!r} is {json.dumps(doc[key])[:40]}")
            return doc[key]

        def per_column(value: object, least: float = 0.0) -> bool:
            return (
                isinstance(value, dict)
                and bool(value)
                and all(
                    isinstance(v, int | float)
                    and not isinstance(v, bool)
                    and least <= abs(v) <= _LARGEST
                    for v in value.values()
                )
            )

        previous = held("previous", lambda v: v is None or isinstance(v, dict))
        return cls(
            mode=held("mode", lambda v: v in ("frozen", "batch", "adaptive")),
            use=held("use", lambda v: v in ("exact", "ema")),
            inverse=held("inverse", lambda v: isinstance(v, bool)),
            stats=held("stats", lambda v: isinstance(v, str)),
            gamma=_floats(held("gamma", lambda v: per_column(v, _SMALLEST))),  # not 0
            beta=_floats(held("beta", per_column)),
            previous=(
                None if previous is None else cls._from_document(previous, f"{within}previous.")
            ),
            pandas=_pandas_entries(held("pandas", lambda v: True)),
            types=_types_of(doc.get("types")),
            fields=_fields_of(doc.get("fields")),
            types_pandas=_text(doc.get("types_pandas")),
            categories=_arrays_of(doc.get("categories")),
            dictionaries=_arrays_of(doc.get("dictionaries")),
            dtypes=_texts(doc.get("dtypes")),
        )

    @classmethod
    def of(cls, source: Source) -> Recipe | None:
        """The recipe in an input's schema metadata, if it has one.

        Raises
        ------
        InputError
            If the metadata is there but damaged (it cannot be trusted, nor ignored).
        """
        text = record_text(source.schema.metadata or {})
        if text is None:
            return None
        try:
            recipe = cls._from_document(json.loads(text))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            where = where_recorded(source)
            lacks = f" ({exc})" if isinstance(exc, _Damaged) else ""
            raise InputError(
                f"{source.name}: its record of how it was made ({METADATA_KEY.decode()} in "
                f"{where}) is damaged{lacks}",
                hints=(delete_hint(where, source.name),) if source.format is Format.CSV else (),
            ) from None
        return recipe


def where_recorded(source: Source) -> str:
    """Where an input keeps its record: a CSV beside it (:mod:`normkit.io.sidecar`)."""
    if source.format is Format.CSV:
        return record_path(source.path)
    return getattr(source, "kept_in", "the schema metadata")


def says(source: Source) -> str:
    """What tells how an input was made, as a message says it."""
    if source.format is Format.CSV:
        return f"{where_recorded(source)} says so"
    return getattr(source, "says_so", "its metadata says so")


def _types_text(types: Mapping[str, pa.DataType]) -> str:
    """Column types as the base64 text of an Arrow schema (every type, exactly)."""
    return _fields_text(pa.field(name, dtype) for name, dtype in types.items())


def _fields_text(fields: Iterable[pa.Field]) -> str:
    """Fields as the base64 text of an Arrow schema (types, nullability and metadata)."""
    return base64.b64encode(pa.schema(fields).serialize().to_pybytes()).decode("ascii")


def _fields_of(text: object) -> dict[str, pa.Field] | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError("not a serialized schema")
    try:
        schema = ipc.read_schema(pa.py_buffer(base64.b64decode(text, validate=True)))
    except (pa.ArrowException, binascii.Error) as exc:
        raise ValueError("not a serialized schema") from exc
    return {field.name: field for field in schema}


def _types_of(text: object) -> dict[str, pa.DataType] | None:
    fields = _fields_of(text)
    return None if fields is None else {name: f.type for name, f in fields.items()}


def _arrays_text(arrays: Mapping[str, pa.Array]) -> dict[str, str]:
    """Arrays by column as the base64 text of an Arrow IPC stream each (every type, exactly)."""
    texts = {}
    for name, array in arrays.items():
        batch = pa.record_batch([array], names=[name])
        sink = pa.BufferOutputStream()
        with ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        texts[name] = base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")
    return texts


def _arrays_of(texts: object) -> dict[str, pa.Array] | None:
    if texts is None:
        return None
    if not isinstance(texts, dict) or not all(isinstance(t, str) for t in texts.values()):
        raise TypeError("not a mapping of serialized arrays")
    arrays = {}
    for name, text in texts.items():
        try:
            data = pa.py_buffer(base64.b64decode(text, validate=True))
            table = ipc.open_stream(data).read_all()
        except (pa.ArrowException, binascii.Error) as exc:
            raise ValueError("not a serialized array") from exc
        if table.num_columns != 1:
            raise ValueError("not a serialized array")
        arrays[str(name)] = table.column(0).combine_chunks()
    return arrays


def _text(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError("not a text")
    return value


def _texts(values: object) -> dict[str, str] | None:
    if values is None:
        return None
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise TypeError("not a mapping of column to text")
    return {str(k): v for k, v in values.items()}


def _pandas_entries(values: object) -> dict[str, dict] | None:
    if values is None:
        return None
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise TypeError("not a mapping of column entries")
    return {str(k): v for k, v in values.items()}


#: The largest float64: a number of a record beyond it (an integer of 400 digits) is damage.
_LARGEST = float(np.finfo(np.float64).max)
#: The smallest gamma a record holds: no gamma is 0, nor subnormal (as the option's rule says).
_SMALLEST = float(np.finfo(np.float64).tiny)


class _Damaged(ValueError):
    """A key of a record missing, or holding what normkit does not write there."""


def _floats(values: dict) -> dict[str, float]:
    """A record's numbers per column (checked), as floats."""
    return {str(k): float(v) for k, v in values.items()}


def refuse_renormalizing(sources: Sequence[Source], stats: FittedStats, allowed: bool) -> None:
    """Refuse data that normkit already normalized, with these statistics or others (its
    record says so), unless ``allowed``: other statistics of the same data (another fit's
    options) would normalize it twice, with nothing in its columns' look to stop it."""
    if allowed:
        return
    for source in sources:
        recipe = Recipe.of(source)
        if recipe is None or recipe.inverse:
            continue
        same = matches(recipe.stats, stats, recipe.use, recipe.mode)
        with_what = "these statistics" if same else "other statistics than these"
        raise InputError(
            f"{source.name} is already normalized with {with_what} ({says(source)}); "
            "normalizing it again would not give what you expect",
            param="renormalize",
            hints=(
                f"invert it{'' if same else ' with the statistics that normalized it'} (if "
                "that was meant)",
                f"normalize it again all the same ({param('renormalize', True)})",
            ),
        )


def inverse_settings(
    sources: Sequence[Source],
    stats: FittedStats,
    use: str | None,
    gamma: np.ndarray,
    beta: np.ndarray,
    asked: tuple[bool, bool, bool],
) -> tuple[str | None, np.ndarray, np.ndarray]:
    """What an inverse must undo: the statistics, gamma and beta its inputs record (Parquet,
    Arrow), checked against the statistics given and the options asked (``asked``: whether use,
    gamma and beta were given); without a record, the options as given.

    Raises
    ------
    InputError
        If an input was not made by a frozen transform with these statistics, or keeps no record
        of how it was made and none of use, gamma and beta was given.
    OptionError
        If the options contradict how it was made.
    """
    found: list[tuple[Source, Recipe]] = []
    for source in sources:
        recipe = Recipe.of(source)
        if recipe is None:
            continue
        if recipe.inverse:
            raise InputError(
                f"{source.name} holds data an inverse restored, not normalized data; there is "
                "nothing to undo"
            )
        if recipe.mode != "frozen":
            raise InputError(
                f"{source.name} was written by a transform in {recipe.mode} mode, which cannot "
                "be inverted: each batch was normalized with statistics of its own"
            )
        theirs = fingerprint_as(recipe.stats, stats, recipe.use, recipe.mode)
        differ = recipe.stats is not None and recipe.stats != theirs
        if differ and recipe.use == "ema" and stats.running is None:  # what their prints say
            raise InputError(
                f"{source.name} was normalized with the running (EMA) statistics "
                f"({param('use', 'ema')}), and these statistics have none: they are not the "
                "ones that normalized it",
                hints=("give the stat file it was normalized with",),
            )
        if differ:
            raise InputError(
                f"{source.name} was normalized with other statistics than these (their "
                f"fingerprints differ: {recipe.stats} and {theirs})",
                hints=("give the stat file it was normalized with",),
            )
        found.append((source, recipe))
    if not found:
        if not any(asked):
            raise _unrecorded_error(sources[0])
        return use, gamma, beta
    first, recipe = found[0]
    unrecorded = [s for s in sources if all(s is not f for f, _ in found)]
    if unrecorded:
        raise InputError(
            f"{unrecorded[0].name} records no normalization, but {first.name} does: they were "
            "not made alike; invert them separately"
        )
    for source, other in found[1:]:
        if (other.use, other.gamma, other.beta) != (recipe.use, recipe.gamma, recipe.beta):
            raise InputError(
                f"{source.name} was normalized otherwise than {first.name}; invert them separately"
            )
    use_asked, gamma_asked, beta_asked = asked
    if use_asked and use != recipe.use:
        raise _contradiction(first, "use", recipe.use)
    recorded = [
        (gamma_asked, gamma, recipe.gamma, "gamma"),
        (beta_asked, beta, recipe.beta, "beta"),
    ]
    out = []
    for was_asked, given, kept, name in recorded:
        if kept is None:  # an older output: no record of it
            out.append(given)
            continue
        values = np.array([kept.get(n, np.nan) for n in stats.names])
        if np.isnan(values).any():
            missing = stats.names[int(np.argmax(np.isnan(values)))]
            raise InputError(
                f"{first.name} records no {name} of column {missing!r}, which the statistics "
                f"normalize ({says(first)}): its record is damaged"
            )
        if was_asked and not np.array_equal(values, given):
            raise _contradiction(first, name, _shown(kept))
        out.append(values)
    return recipe.use, out[0], out[1]


def _unrecorded_error(source: Source) -> InputError:
    """The refusal to invert an input that keeps no record of how it was normalized where no
    option says how: the statistics, gamma and beta would be guessed."""
    lost = "a CSV's record is lost when it is renamed, decompressed, copied alone or piped"
    if source.format is not Format.CSV:
        why = f"no {METADATA_KEY.decode()} in its schema metadata"
    elif source.is_stream:
        why = f"a pipe carries none: {lost}"
    elif os.path.lexists(kept := record_path(source.path)):
        why = f"{os.path.basename(kept)} beside it records none"
    else:
        why = f"no {os.path.basename(kept)} beside it: {lost}"
    return InputError(
        f"{source.name} keeps no record of how it was normalized ({why}); inverting it would "
        "guess the statistics, gamma and beta",
        param="use",
        hints=(
            f"give the statistics it was normalized with ({param('use', 'exact')} or "
            f"{param('use', 'ema')}), and {param('gamma')} and {param('beta')} if the transform "
            "was given them",
        ),
    )


def _shown(values: Mapping[str, float]) -> float | str:
    """Recorded values as given to an option: one number for all, else ``name=value,...``."""
    distinct = set(values.values())
    if len(distinct) == 1:
        return float(distinct.pop())
    return ",".join(f"{k}={v:g}" for k, v in values.items())


def _contradiction(source: Source, name: str, recorded: float | str) -> OptionError:
    return OptionError(
        f"{source.name} was normalized with {param(name, recorded)}; an inverse with other "
        f"values would not restore it",
        param=name,
        hints=(f"leave {param(name)} out",),
    )
