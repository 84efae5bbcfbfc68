"""The usage-event store: immutable Parquet files in ``NORTHSTAR_HOME/events``.

Events reach hundreds of millions of rows, so they live in columnar files that any number of processes
can read (DuckDB in-process, or Spark/Trino pointed at the folder), not in the operational database. Each
import or intake batch writes one file under ``.staging/`` and renames it into place: a reader sees a
batch whole or not at all, and a crash leaves only staging debris, which the next write clears.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from northstar.duck import literal, run_with_progress
from northstar.files import fsync_dir

SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("account_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("user_id", pa.string()),
        ("event", pa.string()),
        ("timestamp", pa.timestamp("us")),
        ("properties", pa.string()),
    ]
)
COLUMNS = tuple(SCHEMA.names)
SQL_TYPES = {
    "event_id": "VARCHAR",
    "account_id": "BIGINT",
    "contact_id": "BIGINT",
    "user_id": "VARCHAR",
    "event": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "properties": "VARCHAR",
}


class EventStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def staging(self) -> Path:
        return self.root / ".staging"

    def files(self) -> list[Path]:
        return sorted(self.root.glob("batch-*.parquet")) if self.root.exists() else []

    def from_sql(self) -> str:
        """A FROM-able SQL expression over all stored events (an empty, typed relation when there are none)."""
        files = self.files()
        if not files:
            cols = ", ".join(f"NULL::{t} AS {c}" for c, t in SQL_TYPES.items())
            return f"(SELECT {cols} WHERE false)"
        listed = ", ".join(literal(str(f)) for f in files)
        return f"read_parquet([{listed}])"

    def _new_path(self, tag: str | None = None) -> tuple[Path, Path]:
        name = f"batch-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{tag or uuid.uuid4().hex[:8]}.parquet"
        self.staging.mkdir(parents=True, exist_ok=True)
        return self.staging / name, self.root / name

    def stage_query(
        self,
        con: duckdb.DuckDBPyConnection,
        select_sql: str,
        on_progress: Callable[[float], None] | None = None,
    ) -> tuple[Path, int]:
        """Write the rows of ``select_sql`` (columns as ``SCHEMA``) to a staging file no reader sees yet."""
        tmp, _ = self._new_path()
        ordered = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in SQL_TYPES.items())
        try:
            rows = run_with_progress(
                con,
                f"COPY (SELECT {ordered} FROM ({select_sql})) TO {literal(str(tmp))} "
                "(FORMAT parquet, COMPRESSION snappy)",  # twice as fast to write as zstd, for intake
                on_progress,
            )
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, int(rows[0][0]) if rows else 0

    def publish(self, staged: Path, rows: int) -> tuple[Path | None, int]:
        """Make a staged file part of the store, atomically (an empty one is dropped)."""
        return self._publish(staged, self.root / staged.name, rows)

    def write_arrow(self, table: pa.Table, tag: str | None = None) -> tuple[Path | None, int]:
        """Write an Arrow table of events (any column order; missing nullable columns are filled).

        ``tag`` ends the file's name (the intake names its files by the last log record they hold)."""
        import pyarrow.parquet as pq

        cols = [
            table.column(c).cast(SCHEMA.field(c).type)
            if c in table.column_names
            else pa.nulls(table.num_rows, SCHEMA.field(c).type)
            for c in COLUMNS
        ]
        tmp, final = self._new_path(tag)
        pq.write_table(pa.Table.from_arrays(cols, schema=SCHEMA), tmp, compression="zstd")
        return self._publish(tmp, final, table.num_rows)

    def _publish(self, tmp: Path, final: Path, count: int) -> tuple[Path | None, int]:
        if count == 0:
            tmp.unlink(missing_ok=True)
            return None, 0
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        fsync_dir(self.root)
        return final, count

    def clear_staging(self) -> None:
        if self.staging.exists():
            for leftover in self.staging.iterdir():
                leftover.unlink(missing_ok=True)
