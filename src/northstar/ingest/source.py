"""Reading CSV, Parquet and JSON Lines files, and matching their columns to a kind's fields."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from northstar.duck import ident, literal
from northstar.ingest.errors import ImportFailed, Problem
from northstar.ingest.spec import Kind, normalise

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    fmt = FORMATS.get(suffixes[-1] if suffixes else "")
    if fmt is None:
        raise ImportFailed(str(path), [Problem(None, None, "unknown file type: use .csv, .parquet or .jsonl")])
    return fmt


def from_clause(path: Path, fmt: str) -> str:
    """A DuckDB table function over the file, every CSV column read as text so we do the parsing."""
    p = literal(str(path))
    if fmt == "csv":
        return f"read_csv({p}, all_varchar = true, header = true, auto_detect = true)"
    if fmt == "parquet":
        return f"read_parquet({p})"
    return f"read_json({p}, format = 'newline_delimited', sample_size = -1)"


def text_columns(con: duckdb.DuckDBPyConnection, from_sql: str) -> list[tuple[str, str]]:
    """(column, SQL expression yielding its text) for every column: nested values become JSON text."""
    described = con.execute(f"DESCRIBE SELECT * FROM {from_sql}").fetchall()
    out = []
    for name, dtype, *_ in described:
        col = ident(name)
        t = str(dtype).upper()
        if t == "VARCHAR":
            expr = col
        elif t.startswith(("STRUCT", "MAP")) or t.endswith("]") or t == "JSON":
            expr = f"CAST(to_json({col}) AS VARCHAR)"
        elif t.startswith("TIMESTAMP"):
            expr = f"strftime({col}, '%Y-%m-%dT%H:%M:%S.%f')" + (" || 'Z'" if "TIME ZONE" not in t else "")
        else:
            expr = f"CAST({col} AS VARCHAR)"
        out.append((name, expr))
    return out


@dataclass(frozen=True)
class ColumnMap:
    """Which file column feeds each field, and the file columns left over."""

    fields: dict[str, str]
    extra: list[str]


def load_mapping(path: Path | None) -> dict[str, str]:
    """A mapping file: ``columns: {field: "File column"}`` (YAML or JSON)."""
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ImportFailed(str(path), [Problem(None, None, f"cannot read mapping file: {exc}")]) from None
    columns = data.get("columns", data) if isinstance(data, dict) else None
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise ImportFailed(
            str(path), [Problem(None, None, "mapping must be 'columns:' with 'field: File column' lines")]
        )
    return {str(k): v for k, v in columns.items()}


def match_columns(kind: Kind, file: str, columns: list[str], mapping: dict[str, str]) -> ColumnMap:
    """Match file columns to fields: the mapping file first, then field names, then known aliases."""
    problems: list[Problem] = []
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(normalise(c), c)
    fields: dict[str, str] = {}
    known = {f.name for f in kind.fields}
    for name, col in mapping.items():
        if name not in known:
            problems.append(Problem(None, None, f"mapping names unknown field {name!r} for {kind.name}"))
        elif col not in columns:
            problems.append(Problem(None, col, f"mapping for {name!r} names a column the file does not have"))
        else:
            fields[name] = col
    used = set(fields.values())
    for f in kind.fields:
        if f.name in fields:
            continue
        for candidate in (f.name, *f.aliases):
            col = by_norm.get(normalise(candidate))
            if col is not None and col not in used:
                fields[f.name] = col
                used.add(col)
                break
    for f in kind.fields:
        if (
            f.required
            and f.name not in fields
            and not (f.name in kind.composites and any(p in fields for p in kind.composites[f.name]))
        ):
            names = ", ".join(repr(a) for a in (f.name, *f.aliases[:3]))
            problems.append(Problem(None, f.name, f"missing required column (looked for {names})"))
    if problems:
        raise ImportFailed(file, problems)
    return ColumnMap(fields, [c for c in columns if c not in used])


def read_rows(con: duckdb.DuckDBPyConnection, from_sql: str, cols: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """All rows as dicts of text (None for empty), in file order."""
    select = ", ".join(f"{expr} AS {ident(name)}" for name, expr in cols)
    table = con.sql(f"SELECT {select} FROM {from_sql}").to_arrow_table()
    return table.to_pylist()
