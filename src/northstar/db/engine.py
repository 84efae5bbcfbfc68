"""Engines and sessions for the operational store (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, NestedTransaction, create_engine, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the web app, the CLI and a scheduler read while one writes; foreign keys are off by default.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB of page cache (the default 2 MB thrashes on big indexes)
    cur.close()


def make_engine(url: str) -> Engine:
    """One engine per URL per process."""
    engine = _engines.get(url)
    if engine is None:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        _engines[url] = engine
    return engine


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any error, so nothing is half-written."""
    factory = _factories.get(url)
    if factory is None:
        factory = _factories[url] = sessionmaker(bind=make_engine(url), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reset_engines() -> None:
    """Close and forget every engine (after the data folder was replaced)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _factories.clear()


def savepoint(session: Session | Connection) -> SessionTransaction | NestedTransaction:
    """``session.begin_nested()``, made safe on SQLite: its driver opens a transaction only before a write,
    so a SAVEPOINT that came first would open one itself and commit it at its RELEASE, and a later rollback
    of the unit of work would leave those rows behind. A transaction is begun first when none is open."""
    conn = session if isinstance(session, Connection) else session.connection()
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite" and raw is not None and not raw.in_transaction:  # type: ignore[attr-defined]
        conn.exec_driver_sql("BEGIN")
    return session.begin_nested()
