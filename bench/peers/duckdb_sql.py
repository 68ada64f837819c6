"""DuckDB, in SQL over ``read_csv`` / ``read_parquet``.

``fit`` runs ``SELECT avg(c), stddev_pop(c), ...`` over every column but ``id``.
``transform`` runs ``COPY (SELECT * REPLACE ((c - mean) / scale AS c, ...) FROM ...) TO ...``
(``id`` passes through) with the mean and scale of a normkit stat file, as CSV with a header or
as Parquet (snappy).
"""

from __future__ import annotations

import duckdb
from statfile import ID_COLUMN, parse_args, read_normkit_stats, write_stats


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def double(value: float) -> str:
    """A DOUBLE literal that is exactly ``value`` (a plain ``1.5`` would be a DECIMAL)."""
    return f"{quote_string(repr(float(value)))}::DOUBLE"


def main() -> None:
    args = parse_args()
    reader = "read_csv" if args.input_format == "csv" else "read_parquet"
    source = f"{reader}({quote_string(args.input)})"
    con = duckdb.connect()
    if args.command == "fit":
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        columns = [row[0] for row in described if row[0] != ID_COLUMN]
        aggregates = ", ".join(
            f"avg({quote_identifier(name)}), stddev_pop({quote_identifier(name)})"
            for name in columns
        )
        row = con.execute(f"SELECT {aggregates} FROM {source}").fetchone()
        assert row is not None
        stats = {name: (row[2 * i], row[2 * i + 1]) for i, name in enumerate(columns)}
        write_stats(args.stats, "DuckDB", stats)
        return
    assert args.output is not None
    stats = read_normkit_stats(args.stats)
    replaced = ", ".join(
        f"({quote_identifier(name)} - {double(mean)}) / {double(scale)} AS {quote_identifier(name)}"
        for name, (mean, scale) in stats.items()
    )
    if args.output_format == "csv":
        options = "FORMAT csv, HEADER"
    else:
        options = "FORMAT parquet, COMPRESSION snappy"
    con.execute(
        f"COPY (SELECT * REPLACE ({replaced}) FROM {source}) "
        f"TO {quote_string(args.output)} ({options})"
    )


if __name__ == "__main__":
    main()
