"""Bulk reads of the operational store in a process that also writes to it through SQLAlchemy.

With SQLite, a second copy of the library in the process (ADBC's driver bundles one) once read a table
without the rows just committed, and the next write failed with a disk I/O error: each copy took itself for
the only connection and removed the other's write-ahead log."""

from __future__ import annotations

import pyarrow as pa

from northstar.accounts.models import Account
from northstar.db.engine import session_scope
from northstar.metrics.service import load_table

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])


def test_reads_see_every_commit_and_writes_go_on(settings):
    for round_ in range(3):
        with session_scope(settings.database_url) as db:  # the pool keeps this connection open after
            db.add(Account(external_id=f"R{round_}", name=f"Read {round_}"))
        got = load_table(settings, "SELECT id, name FROM accounts ORDER BY id", SCHEMA)
        assert got.column("name").to_pylist() == [f"Read {i}" for i in range(round_ + 1)]
    with session_scope(settings.database_url) as db:
        db.add(Account(external_id="after", name="After"))  # no disk I/O error
    assert load_table(settings, "SELECT id, name FROM accounts", SCHEMA).num_rows == 4
