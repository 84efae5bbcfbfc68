"""Importing usage events: validated and written in bulk by DuckDB, never row by row in Python.

The file is read once, validated inside the write to a staging file (the first bad row fails it, and only
then does a second, slower pass number the rows to name them), and the staged file is published as a new
Parquet batch. Events whose id is already stored (or that repeat within the file) are stored once: an
event file is a stream that may be re-sent, so a repeat is a retry, not a conflict. Events without an id
are identified by their content (account, user, event, timestamp, properties).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy.orm import Session

from northstar.accounts.models import Account, Contact
from northstar.duck import ident, literal
from northstar.ingest.errors import ImportFailed, Problem
from northstar.ingest.records import ImportResult
from northstar.ingest.source import ColumnMap
from northstar.usage.store import EventStore

MAX_REPORTED = ImportFailed.MAX_PROBLEMS


def _types(con: duckdb.DuckDBPyConnection, from_sql: str) -> dict[str, str]:
    return {r[0]: str(r[1]).upper() for r in con.execute(f"DESCRIBE SELECT * FROM {from_sql}").fetchall()}


def _text(col: str, dtype: str) -> str:
    c = ident(col)
    if dtype == "VARCHAR":
        return f"NULLIF({c}, '')"  # no trim: it would cost a third of the import (values are ids and names)
    if dtype.startswith(("STRUCT", "MAP")) or dtype.endswith("]") or dtype == "JSON":
        return f"CAST(to_json({c}) AS VARCHAR)"
    return f"CAST({c} AS VARCHAR)"


def _timestamp(col: str, dtype: str) -> tuple[str, str]:
    """(parsed UTC timestamp, raw text) expressions for the timestamp column."""
    c = ident(col)
    present = f"CASE WHEN {c} IS NULL THEN NULL ELSE 'typed' END"  # typed values cannot be unparsable
    if dtype == "TIMESTAMP WITH TIME ZONE":
        return f"timezone('UTC', {c})", present
    if dtype.startswith("TIMESTAMP") or dtype == "DATE":
        return f"CAST({c} AS TIMESTAMP)", present
    raw = _text(col, dtype)
    return f"timezone('UTC', TRY_CAST({raw} AS TIMESTAMPTZ))", raw


def staged_select(con: duckdb.DuckDBPyConnection, from_sql: str, cmap: ColumnMap) -> str:
    """SELECT giving text/typed columns: _account, _user, event, timestamp, _ts_raw, properties, event_id."""
    types = _types(con, from_sql)
    f = cmap.fields
    ts, ts_raw = _timestamp(f["timestamp"], types[f["timestamp"]])
    props = _text(f["properties"], types[f["properties"]]) if "properties" in f else "NULL::VARCHAR"
    user = _text(f["user_id"], types[f["user_id"]]) if "user_id" in f else "NULL::VARCHAR"
    account = _text(f["account"], types[f["account"]])
    event = _text(f["event"], types[f["event"]])
    explicit = _text(f["event_id"], types[f["event_id"]]) if "event_id" in f else "NULL::VARCHAR"
    return (
        f"SELECT {account} AS _account, {user} AS _user, {event} AS event, {ts} AS timestamp, "
        f"{ts_raw} AS _ts_raw, {props} AS properties, {explicit} AS _explicit_id FROM {from_sql}"
    )


def _register_refs(con: duckdb.DuckDBPyConnection, session: Session) -> None:
    """External-id maps of accounts and contacts as DuckDB tables ``_accounts`` and ``_contacts``."""
    for name, model in (("_accounts", Account), ("_contacts", Contact)):
        table = model.__table__  # type: ignore[attr-defined]
        cursor = session.connection().exec_driver_sql(f"SELECT external_id, id FROM {table.name}")
        keys, ids = [], []
        for key, ident_ in cursor:
            keys.append(key)
            ids.append(ident_)
        arrow = pa.table({"external_id": pa.array(keys, pa.string()), "id": pa.array(ids, pa.int64())})
        con.execute(f"DROP TABLE IF EXISTS {name}")
        con.from_arrow(arrow).create(name)


CHECKS = {
    # name: (condition on the joined row, column field, message)
    "account_missing": ("s._account IS NULL", "account", "required value is empty"),
    "account_unknown": ("s._account IS NOT NULL AND a.id IS NULL", "account", "unknown account"),
    "event_missing": ("s.event IS NULL", "event", "required value is empty"),
    "ts_missing": ("s._ts_raw IS NULL", "timestamp", "required value is empty"),
    "ts_bad": ("s._ts_raw IS NOT NULL AND s.timestamp IS NULL", "timestamp", "unparsable timestamp"),
    "props_bad": (
        "s.properties IS NOT NULL AND NOT coalesce(json_valid(s.properties), false)",
        "properties",
        "invalid JSON",
    ),
}


INVALID = "northstar: invalid event row"


def import_events(
    con: duckdb.DuckDBPyConnection,
    session: Session,
    store: EventStore,
    file: str,
    from_sql: str,
    cmap: ColumnMap,
    on_progress: Callable[[float], None] | None = None,
) -> ImportResult:
    """Validate and write in one pass: the write itself raises on the first bad row (then a slower pass
    names the bad rows) and goes to a staging file; repeated ids are found on the staged ids alone."""
    _register_refs(con, session)
    staged = staged_select(con, from_sql, cmap)
    joined = f"({staged}) s LEFT JOIN _accounts a ON a.external_id = s._account"
    event_id = (
        "coalesce(s._explicit_id, md5(concat_ws('|', s._account, coalesce(s._user, ''), s.event, "
        "strftime(s.timestamp, '%Y-%m-%dT%H:%M:%S.%f'), coalesce(s.properties, ''))))"
    )
    bad = " OR ".join(f"({cond})" for cond, _, _ in CHECKS.values())
    rows = (
        f"SELECT {event_id} AS event_id, CASE WHEN {bad} THEN error('{INVALID}') ELSE a.id END AS account_id, "
        f"c.id AS contact_id, s._user AS user_id, s.event, s.timestamp, s.properties "
        f"FROM {joined} LEFT JOIN _contacts c ON c.external_id = s._user"
    )
    store.clear_staging()
    con.execute("SET preserve_insertion_order = false")  # the store keeps no row order; writing is faster
    try:
        path, total = store.stage_query(con, rows, on_progress)
    except duckdb.Error as exc:
        if INVALID not in str(exc):
            raise
        problems = _name_bad_rows(con, joined, cmap)
        raise ImportFailed(file, problems, total=_count_bad(con, joined)) from None
    finally:
        con.execute("SET preserve_insertion_order = true")
    try:
        path, written = _drop_repeats(con, store, path, total)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    store.publish(path, written)
    return ImportResult("events", file, rows=total, inserted=written, unchanged=total - written)


def _drop_repeats(con: duckdb.DuckDBPyConnection, store: EventStore, path: Path, total: int) -> tuple[Path, int]:
    """A repeat within the file, or of an event already stored, is a retry: keep one. Only the staged
    file's ids are read; the rare file with repeats is rewritten without them."""
    if total == 0:
        return path, 0
    src = f"read_parquet({literal(str(path))})"
    hashes = np.empty(total, dtype=np.uint64)
    filled = 0
    for batch in con.sql(f"SELECT hash(event_id) AS h FROM {src}").to_arrow_reader(1 << 20):
        part = batch.column(0).to_numpy()
        hashes[filled : filled + len(part)] = part
        filled += len(part)
    repeats = _has_repeats(hashes[:filled])
    overlap = False
    if store.files():
        lo, hi = con.execute(f"SELECT min(timestamp), max(timestamp) FROM {src}").fetchone()  # type: ignore[misc]
        stored = f"(SELECT event_id FROM {store.from_sql()} WHERE timestamp BETWEEN '{lo}' AND '{hi}')"
        overlap = bool(con.execute(f"SELECT count(*) FROM {src} n SEMI JOIN {stored} o USING (event_id)").fetchone()[0])  # type: ignore[index]
    if not repeats and not overlap:
        return path, total
    query = f"SELECT * FROM {src}"
    if repeats:
        query = f"SELECT * FROM ({query}) QUALIFY row_number() OVER (PARTITION BY event_id) = 1"
    if overlap:
        query = f"SELECT n.* FROM ({query}) n ANTI JOIN {stored} o ON o.event_id = n.event_id"
    fresh, written = store.stage_query(con, query)
    path.unlink(missing_ok=True)
    return fresh, written


def _has_repeats(hashes: np.ndarray) -> bool:
    """Whether any 64-bit hash occurs twice (a collision only costs a needless deduplicating rewrite)."""
    hashes.sort()
    return bool(np.any(hashes[1:] == hashes[:-1]))


def _count_bad(con: duckdb.DuckDBPyConnection, joined: str) -> int:
    counts = " + ".join(f"count(*) FILTER (WHERE {cond})" for cond, _, _ in CHECKS.values())
    return int(con.execute(f"SELECT {counts} FROM {joined}").fetchone()[0])  # type: ignore[index]


def _name_bad_rows(con: duckdb.DuckDBPyConnection, joined: str, cmap: ColumnMap) -> list[Problem]:
    """Number the rows (single-threaded, so in file order) and describe the first bad ones."""
    con.execute("SET threads = 1")
    try:
        flags = ", ".join(f"({cond}) AS {name}" for name, (cond, _, _) in CHECKS.items())
        numbered = f"SELECT row_number() OVER () AS _row, s._account, s._ts_raw, {flags} FROM {joined}"
        where = " OR ".join(CHECKS)
        bad = con.execute(f"SELECT * FROM ({numbered}) WHERE {where} ORDER BY _row LIMIT {MAX_REPORTED}")
        names = [d[0] for d in bad.description]
        problems: list[Problem] = []
        for row in bad.fetchall():
            rec = dict(zip(names, row, strict=True))
            for name, (_, field, message) in CHECKS.items():
                if rec[name]:
                    detail = message
                    if name == "account_unknown":
                        detail = f"unknown account {rec['_account']!r}"
                    elif name == "ts_bad":
                        detail = f"unparsable timestamp {rec['_ts_raw']!r} (expected ISO 8601)"
                    problems.append(Problem(int(rec["_row"]), cmap.fields.get(field, field), detail))
        return problems
    finally:
        con.execute("RESET threads")
