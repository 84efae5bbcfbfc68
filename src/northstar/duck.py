"""The one place that talks to DuckDB's Python API (pinned: 2.0's API differs from 1.x examples).

DuckDB is used in memory only, as an engine over files: a DuckDB database file can be opened by one
process at a time, which the web app, the CLI and a scheduler could not share.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

if TYPE_CHECKING:
    import ibis.expr.types as ir

DEFAULT_MEMORY_LIMIT = os.environ.get("NORTHSTAR_DUCKDB_MEMORY", "1GB")


def connect(temp_dir: Path | None = None, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    """An in-memory connection that spills to ``temp_dir`` rather than grow past ``memory_limit``."""
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET TimeZone = 'UTC'")
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{_quote(str(temp_dir))}'")
    return con


_SHARED: duckdb.DuckDBPyConnection | None = None
_SHARED_LOCK = threading.Lock()


def cursor() -> duckdb.DuckDBPyConnection:
    """A new connection to one in-memory DuckDB shared by the process, for short queries over Arrow tables.

    Starting a DuckDB instance costs tens of milliseconds, a cursor on a running one about one; tables
    registered on a cursor are its own, so concurrent callers do not see each other's. Close it after use."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = connect()
    cur = _SHARED.cursor()
    cur.execute("SET TimeZone = 'UTC'")  # per connection (memory limit and the rest are the instance's)
    return cur


def _quote(text: str) -> str:
    return text.replace("'", "''")


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + _quote(text) + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def run_with_progress(
    con: duckdb.DuckDBPyConnection, sql: str, on_progress: Callable[[float], None] | None = None
) -> list[tuple]:
    """Run one statement; while it runs, report DuckDB's own progress estimate (0-100) every 0.2 s."""
    if on_progress is None:
        return con.execute(sql).fetchall()
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["rows"] = con.execute(sql).fetchall()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.2)
        try:
            pct = con.query_progress()
        except duckdb.Error:
            pct = -1
        if pct is not None and pct >= 0:
            on_progress(float(pct))
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    on_progress(100.0)
    return box["rows"]  # type: ignore[return-value]


_COMPILED: dict[str, str] = {}


def unbound(name: str, schema: pa.Schema) -> ir.Table:
    """An Ibis table known only by name and schema, for an expression ``run_compiled`` runs on ``con``'s
    table of that name."""
    import ibis

    return ibis.table(ibis.Schema.from_pyarrow(schema), name=name)


def run_compiled(con: duckdb.DuckDBPyConnection, key: str, build: Callable[[], object]) -> pa.Table:
    """Run an Ibis expression over tables that ``con`` knows by name, compiled to DuckDB SQL once per process.

    ``build`` returns the expression over unbound tables (``ibis.table(schema, name)``); ``key`` names it, so
    its shape must depend on nothing but those names and schemas. Compiling an Ibis expression costs tens of
    milliseconds, more than running it on a day's batch: the rollups' upkeep runs the same few expressions
    every time, so it compiles each once and keeps the definitions portable (the same expressions run on
    PostgreSQL in the tests)."""
    return con.sql(compile_once(key, build)).to_arrow_table()


def compile_once(key: str, build: Callable[[], object]) -> str:
    """The DuckDB SQL of the expression named ``key`` (see ``run_compiled``), compiled on first use."""
    sql = _COMPILED.get(key)
    if sql is None:
        import ibis

        sql = _COMPILED[key] = str(ibis.to_sql(build(), dialect="duckdb"))  # type: ignore[arg-type]
    return sql
