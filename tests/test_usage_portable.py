"""The usage expressions give identical answers on the embedded engine and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from northstar.usage.store import SCHEMA, EventStore
from northstar.usage.summary import account_usage, events_table, notable_changes


def random_events(n: int = 3000, seed: int = 3) -> pa.Table:
    rng = np.random.default_rng(seed)
    start = datetime(2025, 6, 1)
    return pa.Table.from_pylist(
        [
            {
                "event_id": f"e{i}",
                "account_id": int(rng.integers(1, 6)),
                "contact_id": None,
                "user_id": f"u{int(rng.integers(0, 12))}",
                "event": ("login", "view", "export")[int(rng.integers(0, 3))],
                "timestamp": start + timedelta(seconds=int(rng.integers(0, 200 * 86400))),
                "properties": None,
            }
            for i in range(n)
        ],
        schema=SCHEMA,
    )


def test_same_summary_on_duckdb_and_postgresql(tmp_path, pg_ibis):
    table = random_events()
    store = EventStore(tmp_path / "events")
    store.root.mkdir()
    store.write_arrow(table)
    duck = events_table(store)
    pg = pg_ibis
    pg_events = pg.create_table("events", table, overwrite=True)
    as_of = datetime(2025, 11, 1)
    for account_id in range(1, 6):
        a = account_usage(duck, account_id, as_of)
        b = account_usage(pg_events, account_id, as_of)
        assert a == b
        assert a.events_30d > 0
        # and against a plain-Python count of the same rows
        rows = [r for r in table.to_pylist() if r["account_id"] == account_id]
        in30 = [r for r in rows if as_of - timedelta(days=30) <= r["timestamp"] < as_of]
        assert a.events_30d == len(in30)
        assert a.active_users_30d == len({r["user_id"] for r in in30})


def test_notable_changes_finds_one_drop():
    weeks = [(datetime(2025, 1, 6) + timedelta(weeks=i), 100 if i < 10 else 30) for i in range(20)]
    changes = notable_changes(weeks)
    assert len(changes) == 1
    assert changes[0].before > changes[0].after
    assert notable_changes([(w, 50) for w, _ in weeks]) == []
