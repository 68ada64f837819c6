"""Real-world CSV corpus: does ``normkit fit`` read what DuckDB and pandas read?

Usage
-----
    python bench/corpus.py FOLDER [--limit N] [--timeout 60] [--jobs 2] [--json out.json]

FOLDER holds CSV files nobody here wrote, such as DuckDB's ``data/csv`` test folder; every
``.csv``, ``.tsv``, ``.txt`` and ``.csv.gz`` file under it is measured:

* DuckDB's reading (``read_csv`` with its default sniffing; ``sniff_csv``'s dialect): whether it
  finds a numeric column with a value, and each numeric column's count and mean;
* ``normkit fit FILE`` as a subprocess: fitted (exit 0), refused (exit 1 or 2 ending in one
  ``normkit: error:`` line) or crash (a traceback, another exit code, or the timeout: a hang);
* for fitted files, each fitted column's count and mean against DuckDB's ``count``/``avg`` and
  pandas' ``read_csv`` (default, else ``sep=None``; DuckDB's header, pandas tells none), flagged
  beyond 1e-9 relative, and a separator or header other than DuckDB's.

Prints files, DuckDB-numeric files, fitted among them, refusals grouped by the message's first
words, every crash, hang and disagreement, and the refusals where DuckDB and pandas agree on the
table (shape, numeric counts and means) with DuckDB's dialect. ``--json`` keeps every record.
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import itertools
import json
import math
import re
import subprocess
import sys
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd

from normkit.io.csv.comments import cut_comment
from normkit.io.csv.escapes import records
from normkit.io.csv.names import unique_names

NORMKIT = str(Path(sys.executable).with_name("normkit"))
SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz")
NUMERIC = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|DECIMAL)")


def close(a: float, b: float) -> bool:
    """Equal within 1e-9 relative (NaN equals NaN)."""
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def read_duckdb(path: Path, timeout: float) -> dict:
    """DuckDB's dialect, columns, and each numeric column's count and mean."""
    con = duckdb.connect()
    timer = threading.Timer(timeout, con.interrupt)
    timer.start()
    try:
        s = con.execute("select * from sniff_csv(?)", [str(path)]).fetchone()
        keys = ("delimiter", "quote", "header", "skip_rows", "comment")
        dialect = dict(zip(keys, (s[0], s[1], s[6], s[5], s[4]), strict=True))
        sql = "create temp table t as select * from read_csv(?, hive_partitioning = false)"
        con.execute(sql, [str(path)])
        cols = con.execute("describe t").fetchall()
        rows = con.execute("select count(*) from t").fetchone()[0]
        stats = {}
        for i, (name, kind, *_) in enumerate(cols):
            if NUMERIC.match(kind):
                q = '"' + name.replace('"', '""') + '"'
                n, mean = con.execute(f"select count({q}), avg({q}) from t").fetchone()
                stats[name] = {"index": i, "count": n, "mean": _f(mean)}
        names, types = [c[0] for c in cols], [c[1] for c in cols]
        return dict(ok=True, dialect=dialect, names=names, types=types, rows=rows, numeric=stats)
    except Exception as exc:
        return {"ok": False, "error": str(exc).splitlines()[0][:200], "numeric": {}}
    finally:
        timer.cancel()
        con.close()


def peer_agrees(s: pd.Series, ref: dict) -> bool:
    """pandas' column has DuckDB's count and mean."""
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return False
    s = s.astype("float64")
    return int(s.count()) == ref["count"] and close(float(s.mean()), _f(ref["mean"]))


def read_pandas(path: Path, ncols: int | None, header: bool) -> pd.DataFrame | None:
    """pandas' default reading (with DuckDB's header: pandas does not tell one), or its separator
    sniffing where that gives DuckDB's column count."""
    frame = None
    for kwargs in ({}, {"sep": None, "engine": "python"}):
        try:
            frame = pd.read_csv(path, header=0 if header else None, **kwargs)
        except Exception:
            continue
        if ncols is None or frame.shape[1] == ncols:
            return frame
    return frame


def run_normkit(path: Path, timeout: float, out: Path) -> dict:
    """``normkit fit PATH`` classified as fitted, refused or crash."""
    cmd = [NORMKIT, "fit", str(path), "-o", str(out), "-q"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "crash", "message": f"hang: no exit within {timeout:g} s"}
    lines = [line for line in p.stderr.split("\n") if line.strip()]
    last = lines[-1] if lines else ""
    if p.returncode == 0:
        return {"status": "fitted", "stats": json.loads(out.read_text())}
    traceback = "Traceback (most recent call last)" in p.stderr
    if traceback or p.returncode not in (1, 2) or not last.startswith("normkit: error:"):
        return {"status": "crash", "message": f"exit {p.returncode}: {last[:300]}"}
    return {"status": "refused", "message": last[len("normkit: error:") :].strip()}


def reason(message: str, path: Path) -> str:
    """A refusal's first words, with its file name, numbers and quoted text blanked."""
    text = message.replace(str(path), "FILE").replace("FILE: ", "")
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    text = re.sub(r"\d+", "N", text)
    return " ".join(text.split()[:6])


def header_of(path: Path, read: dict) -> list[str] | None:
    """The column names normkit read, in file order (its recorded dialect, Python's csv module)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    encoding = read.get("encoding") or "utf-8-sig"
    comment, skip = read.get("comment") or None, read.get("skip_rows", 0)
    try:
        with opener(path, "rt", encoding=encoding, errors="replace", newline="") as f:
            lines = (
                x for i, x in enumerate(f) if i >= skip and not (comment and x.startswith(comment))
            )
            if read.get("inline_comments"):  # comments after values cut, as normkit cut them
                lines = (
                    cut_comment(x, comment, read.get("quote") or None, False)[0] for x in lines
                )
            delimiter, quote = read.get("delimiter") or ",", read.get("quote")
            if quote == "":  # quotes are text
                first = next(csv.reader(lines, delimiter=delimiter, quoting=csv.QUOTE_NONE))
            else:  # the engine's grammar (spaces around quoted fields, escapes)
                head = list(itertools.islice(lines, 200))
                first = records(head, delimiter, quote or '"', read.get("escape") or None)[0].fields
    except (OSError, StopIteration, IndexError, csv.Error):
        return None
    if not read.get("header", True):
        return [f"column_{i + 1}" for i in range(len(first))]
    return unique_names(first)[0]  # repeated names renamed, as the stat file's read.renamed says


def compare(path: Path, duck: dict, stats: dict, frame: pd.DataFrame | None) -> list[str]:
    """Fitted columns (by position) against DuckDB and pandas; separator and header too."""
    read = stats.get("read", {})
    notes = [
        f"dialect {key}: normkit {read[key]!r}, DuckDB {duck['dialect'][key]!r}"
        for key in ("delimiter", "header")
        if key in read and str(read[key]) != str(duck["dialect"][key])
    ]
    header = header_of(path, read) or []
    by_index = {v["index"]: v for v in duck["numeric"].values()}
    for col in stats["columns"]:
        name = col["name"]
        if name not in header:
            notes.append(f"{name!r}: not found in the file's header")
            continue
        index = header.index(name)
        if index not in by_index:
            kind = duck["types"][index] if index < len(duck["types"]) else "absent"
            notes.append(f"{name!r}: fitted (n={col['count']}), DuckDB reads it as {kind}")
            continue
        ref, theirs = by_index[index], "-"
        bad = col["count"] != ref["count"] or not close(col["mean"], _f(ref["mean"]))
        if frame is not None and pd.api.types.is_numeric_dtype(frame.iloc[:, index]):
            s = frame.iloc[:, index].astype("float64")
            n, mean = int(s.count()), float(s.mean())
            bad |= col["count"] != n or not close(col["mean"], mean)
            theirs = f"n={n} mean={mean!r}"
        if bad:
            notes.append(
                f"{name!r}: normkit n={col['count']} mean={col['mean']!r}; "
                f"DuckDB n={ref['count']} mean={ref['mean']!r}; pandas {theirs}"
            )
    fitted = {c["name"] for c in stats["columns"]}
    why = {p["name"]: p.get("why") for p in stats.get("passthrough", [])}
    for name, ref in duck["numeric"].items():
        mine = header[ref["index"]] if ref["index"] < len(header) else None
        if ref["count"] and mine not in fitted:
            notes.append(
                f"{name!r}: DuckDB numeric (n={ref['count']}), normkit did not fit "
                f"{mine!r} ({why.get(mine, 'not read')})"
            )
    return notes


def _f(x: float | None) -> float:
    return math.nan if x is None else float(x)


def measure(path: Path, timeout: float, tmp: Path) -> dict:
    duck = read_duckdb(path, timeout)
    rec = {"file": str(path), "duckdb": {k: v for k, v in duck.items() if k != "names"}}
    rec["duckdb_numeric"] = any(v["count"] for v in duck["numeric"].values())
    ok = duck["ok"]
    frame = read_pandas(
        path, len(duck["names"]) if ok else None, not ok or duck["dialect"]["header"]
    )
    rec["pandas_shape"] = None if frame is None else list(frame.shape)
    rec["peers_agree"] = bool(
        duck["ok"] and frame is not None and list(frame.shape) == [duck["rows"], len(duck["names"])]
    ) and all(peer_agrees(frame.iloc[:, v["index"]], v) for v in duck["numeric"].values())
    out = tmp / (re.sub(r"\W", "_", str(path)) + ".json")
    result = run_normkit(path, timeout, out)
    stats = result.pop("stats", None)
    rec.update(result)
    if stats is not None:
        rec["fitted_columns"] = len(stats["columns"])
        rec["read"] = stats.get("read")
        if duck["ok"] and rec["duckdb_numeric"]:
            rec["disagreements"] = compare(path, duck, stats, frame if rec["peers_agree"] else None)
    return rec


def summary(records: list[dict]) -> None:
    numeric = [r for r in records if r["duckdb_numeric"]]
    pct = lambda k, of: f"{k} ({100 * k / max(len(of), 1):.1f}%)"  # noqa: E731
    print(
        f"files: {len(records)}; DuckDB unreadable: {sum(not r['duckdb']['ok'] for r in records)}"
    )
    print(f"DuckDB-numeric files: {len(numeric)}")
    for status in ("fitted", "refused", "crash"):
        n_all = sum(r["status"] == status for r in records)
        n_num = sum(r["status"] == status for r in numeric)
        print(f"  {status:8} all {pct(n_all, records):14} DuckDB-numeric {pct(n_num, numeric)}")
    groups = collections.Counter(
        reason(r["message"], Path(r["file"])) for r in numeric if r["status"] == "refused"
    )
    print("\nrefused (DuckDB-numeric files), by reason:")
    for text, n in groups.most_common():
        print(f"  {n:4}  {text}")
    print("\ncrashes and hangs (all files):")
    for r in records:
        if r["status"] == "crash":
            print(f"  {r['file']}: {r['message']}")
    print("\ndisagreements (fitted, DuckDB-numeric files):")
    for r in records:
        for note in r.get("disagreements") or []:
            print(f"  {r['file']}: {note}")
    print("\nrefused where DuckDB and pandas agree on the shape:")
    for r in records:
        if r["status"] == "refused" and r["peers_agree"] and r["duckdb_numeric"]:
            d = r["duckdb"]["dialect"]
            print(f"  {r['file']}: {r['message'].replace(r['file'] + ': ', '')[:200]}")
            print(f"      DuckDB: {d} rows={r['duckdb']['rows']}; pandas {r['pandas_shape']}")


def main() -> None:
    warnings.simplefilter("ignore")  # pandas' and numpy's on odd files
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    files = sorted(p for p in args.folder.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
    files = files[: args.limit]
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        records = list(pool.map(lambda p: measure(p, args.timeout, Path(tmp)), files))
    summary(records)
    if args.json:
        args.json.write_text(json.dumps(records, indent=1, default=str))


if __name__ == "__main__":
    main()
