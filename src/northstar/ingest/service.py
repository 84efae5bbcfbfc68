"""Import and export entry point used by the CLI, the web app and the Python API."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import northstar.db.registry  # noqa: F401  (every model known to SQLAlchemy)
from northstar import duck
from northstar.config import Settings
from northstar.db.base import utcnow
from northstar.db.engine import session_scope
from northstar.ingest.errors import ImportFailed, Problem
from northstar.ingest.events import import_events
from northstar.ingest.models import ImportRun
from northstar.ingest.records import ImportResult, upsert
from northstar.ingest.source import (
    detect_format,
    from_clause,
    load_mapping,
    match_columns,
    read_rows,
    text_columns,
)
from northstar.ingest.spec import kind as get_kind
from northstar.store import rollup_store
from northstar.usage.store import EventStore

Progress = Callable[[float, float], None]  # (done, total)


def import_file(
    settings: Settings,
    kind_name: str,
    path: Path,
    mapping: Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import one file all-or-nothing; raises ``ImportFailed`` naming file, row and column of each problem."""
    kind = get_kind(kind_name)
    file = str(path)
    if not path.exists():
        raise ImportFailed(file, [Problem(None, None, "file not found")])
    settings.ensure_home()
    fmt = detect_format(path)
    con = duck.connect(temp_dir=settings.home / "tmp")
    try:
        src = from_clause(path, fmt)
        try:
            columns = text_columns(con, src)
        except Exception as exc:  # duckdb's parse errors
            raise ImportFailed(file, [Problem(None, None, f"cannot read as {fmt}: {exc}")]) from None
        cmap = match_columns(kind, file, [c for c, _ in columns], load_mapping(mapping))
        started = utcnow()
        with session_scope(settings.database_url) as session:
            if kind.model is None:
                result = import_events(
                    con,
                    session,
                    EventStore(settings.events_dir),
                    file,
                    src,
                    cmap,
                    (lambda pct: progress(pct, 100.0)) if progress else None,
                )
            else:
                rows = read_rows(con, src, columns)
                done = 0

                def step(n: int) -> None:
                    nonlocal done
                    done += n
                    if progress:
                        progress(done, 2 * len(rows))

                result = upsert(session, kind, file, rows, cmap, step)
                if kind.name == "feedback" and (result.inserted or result.updated):
                    from northstar.feedback.analysis import Analyzer
                    from northstar.feedback.stored import analyse_pending

                    analyse_pending(session, Analyzer.for_settings(settings))
            session.add(
                ImportRun(
                    kind=kind.name,
                    source=str(path.resolve()),
                    rows=result.rows,
                    inserted=result.inserted,
                    updated=result.updated,
                    unchanged=result.unchanged,
                    started_at=started,
                    finished_at=utcnow(),
                )
            )
        if kind.model is None:
            rollup_store(settings).refresh()  # usage metrics see the new batch now
        return result
    finally:
        con.close()


def export_table(settings: Settings, kind_name: str) -> pa.Table:
    """Every record of a kind with references as external ids, in the column names import accepts."""
    kind = get_kind(kind_name)
    if kind.model is None:
        con = duck.connect()
        try:
            store = EventStore(settings.events_dir)
            with session_scope(settings.database_url) as session:
                from northstar.ingest.events import _register_refs

                _register_refs(con, session)
            return con.sql(
                f"SELECT e.event_id, a.external_id AS account, e.user_id, e.event, e.timestamp, e.properties "
                f"FROM {store.from_sql()} e LEFT JOIN _accounts a ON a.id = e.account_id "
                "ORDER BY e.timestamp, e.event_id"
            ).to_arrow_table()
        finally:
            con.close()
    from northstar.ingest.crud import record_select

    stmt, _ = record_select(kind, ids=False)
    stmt = stmt.order_by(kind.model.id)  # type: ignore[union-attr]
    with session_scope(settings.database_url) as session:
        result = session.execute(stmt)
        names = list(result.keys())
        rows = [dict(zip(names, r, strict=True)) for r in result.all()]
    for r in rows:
        for k, v in r.items():
            if hasattr(v, "value"):
                r[k] = v.value
            elif isinstance(v, dict):
                r[k] = json.dumps(v, ensure_ascii=False, sort_keys=True) if v else None
    if not rows:
        return pa.table({n: pa.array([], pa.string()) for n in names})
    return pa.Table.from_pylist(rows)


def write_table(table: pa.Table, path: Path) -> None:
    """Write CSV, Parquet or JSON Lines by the file's extension."""
    fmt = detect_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(table, path)
    elif fmt == "csv":
        pacsv.write_csv(table, path)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            for row in table.to_pylist():
                fh.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
