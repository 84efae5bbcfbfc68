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


def _sqlite_value(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str)):
        return value if not isinstance(value, bool) else int(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    raise TypeError(f"cannot bulk-load {type(value).__name__}")


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
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, [tuple(_sqlite_value(r.get(c)) for c in cols) for r in rows[start : start + CHUNK]])
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
