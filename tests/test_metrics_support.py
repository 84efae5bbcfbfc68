"""Support metrics on five tickets whose every figure is worked out below, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pytest

from northstar.metrics.support import TICKET_SCHEMA, backlog, support, tickets_table

AS_OF = datetime(2025, 2, 1)


def t(day, hour, minute=0):
    return datetime(2025, 1, day, hour, minute)


ROWS = [
    # priority, opened, first response, resolved
    ("urgent", t(5, 10), t(5, 10, 30), t(5, 14)),  # answered in 0.5 h (target 1 h), resolved in 4 h
    ("high", t(6, 10), t(6, 16), t(8, 10)),  # answered in 6 h (target 4 h: missed), resolved in 48 h
    ("normal", t(10, 9), t(10, 12), None),  # answered in 3 h (target 8 h), still open
    ("low", t(31, 20), None, None),  # 4 h old at AS_OF, target 24 h: not due yet
    ("normal", t(20, 9), None, None),  # never answered, target long passed: a miss
]


def table():
    rows = [
        {
            "account_id": 1,
            "priority": p,
            "channel": "email",
            "opened_at": o,
            "first_response_at": f,
            "resolved_at": r,
            "segment": "SMB",
            "persona": "p",
        }
        for p, o, f, r in ROWS
    ]
    return pa.Table.from_pylist(rows, schema=TICKET_SCHEMA)


def check(out):
    row = out.iloc[0]
    assert row.month == date(2025, 1, 1)
    assert (row.opened, row.resolved, row.open_now) == (5, 2, 3)
    assert row.first_response_median_h == pytest.approx(3.0)
    assert row.first_response_p90_h == pytest.approx(5.4)  # 3 + 0.8 x (6 - 3), continuous quantile of 0.5, 3, 6
    assert row.resolution_median_h == pytest.approx(26.0) and row.resolution_p90_h == pytest.approx(43.6)
    assert (row.sla_due, row.sla_met, row.within_sla) == (4, 2, pytest.approx(0.5))
    assert row.resolution_rate == pytest.approx(0.4)


def test_support_by_hand():
    check(support(tickets_table(table()), AS_OF))
    assert backlog(tickets_table(table()), datetime(2025, 1, 7)) == 1
    assert backlog(tickets_table(table()), AS_OF) == 3


def test_support_on_postgresql(pg_ibis):
    pg = pg_ibis
    check(support(pg.create_table("tickets", table(), overwrite=True), AS_OF))


def test_catalogue_support_on_the_store(settings, tmp_path):
    from northstar.ingest.service import import_file
    from northstar.metrics.service import compute

    (tmp_path / "a.csv").write_text("external_id,name,segment\nA1,One,SMB\n")
    import_file(settings, "accounts", tmp_path / "a.csv")
    lines = ["external_id,account,priority,opened_at,first_response_at,resolved_at"]
    for k, (p, o, f, r) in enumerate(ROWS):
        lines.append(
            f"T{k},A1,{p},{o.isoformat()}Z,{f.isoformat() + 'Z' if f else ''},{r.isoformat() + 'Z' if r else ''}"
        )
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    import_file(settings, "tickets", tmp_path / "t.csv")
    (tmp_path / "e.csv").write_text(
        "account,user_id,event,timestamp\n"
        "A1,u1,login,2025-01-03T10:00:00Z\nA1,u1,login,2025-01-04T10:00:00Z\n"
        "A1,u2,search,2025-01-20T10:00:00Z\nA1,u3,login,2024-12-20T10:00:00Z\n"  # u3 in December only
    )
    import_file(settings, "events", tmp_path / "e.csv")
    out = compute(settings, "support", date(2025, 1, 1), date(2025, 1, 31))
    check(out)
    # 5 tickets opened in January by an account with 2 active users that month (u1, u2)
    assert out.iloc[0].active_users == 2 and out.iloc[0].tickets_per_active_user == pytest.approx(2.5)
    by_priority = compute(settings, "support", date(2025, 1, 1), date(2025, 1, 31), by=["priority"])
    assert set(by_priority.priority) == {"urgent", "high", "normal", "low"}
