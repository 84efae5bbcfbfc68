"""Bulk loading rows into the operational store at the speed of the database, not of the ORM.

SQLAlchemy's per-value type processing costs tens of microseconds a row; a demo company or a big intake
batch has millions. SQLite gets a plain ``executemany`` of tuples in the exact text forms SQLAlchemy itself
stores (so the ORM reads them back unchanged); PostgreSQL gets binary-free ``COPY ... FROM STDIN``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

CHUNK = 50_000


def _sqlite_datetime(value: datetime | None) -> str | None:
    """The text SQLAlchemy stores for a DateTime on SQLite (always six fraction digits, so text order is
    time order), from a naive-UTC or aware datetime."""
    if value is None:
        return None
    if value.tzinfo is not None:
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.isoformat(sep=" ", timespec="microseconds")[:26]
    return value.isoformat(sep=" ", timespec="microseconds")


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _sqlite_enum(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _sqlite_bool(value: Any) -> Any:
    return None if value is None else int(value)


def _sqlite_converter(column: Any) -> Any:
    """The function that turns one column's Python values into SQLite's stored form (None: as they are)."""
    kind = type(column.type).__name__
    python_type = getattr(column.type, "impl", column.type).__class__.__name__
    if kind == "UTCDateTime" or python_type == "DateTime":
        return _sqlite_datetime
    if python_type == "Date":
        return _sqlite_date
    if kind == "JSON":
        return _sqlite_json
    if kind == "Enum":
        return _sqlite_enum
    if kind == "Boolean":
        return _sqlite_bool
    return None


def bulk_insert(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], columns: Iterable[str] | None = None
) -> int:
    """Insert ``rows`` (dicts keyed by column name; missing keys are NULL) into ``table`` in the caller's
    transaction; returns the number of rows."""
    if not rows:
        return 0
    cols = list(columns) if columns is not None else [c.name for c in table.columns if c.name in rows[0]]
    if conn.dialect.name == "postgresql":
        return _copy_postgres(conn, table, cols, rows)
    sql = f'INSERT INTO "{table.name}" ({", ".join(cols)}) VALUES ({", ".join("?" for _ in cols)})'
    convert = [_sqlite_converter(table.c[c]) for c in cols]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MB while loading: index pages stay in memory
    try:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            columns = []
            for c, f in zip(cols, convert, strict=True):
                values = [r.get(c) for r in chunk]
                columns.append(values if f is None else list(map(f, values)))
            cursor.executemany(sql, list(zip(*columns, strict=True)))
    finally:
        cursor.close()
    return len(rows)


def _copy_postgres(conn: Connection, table: Table, cols: list[str], rows: Sequence[dict[str, Any]]) -> int:
    from psycopg.types.json import Json

    json_cols = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({", ".join(cols)}) FROM STDIN') as copy:  # type: ignore[union-attr]
        for r in rows:
            copy.write_row(
                [
                    Json(r.get(c))
                    if c in json_cols and r.get(c) is not None
                    else (r.get(c).value if isinstance(r.get(c), enum.Enum) else r.get(c))
                    for c in cols
                ]
            )
    return len(rows)
