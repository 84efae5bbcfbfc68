"""Renewal rate by count and ARR on four hand-made contracts, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date

import ibis
import pyarrow as pa
import pytest

from northstar.metrics.revenue import RENEWAL_SCHEMA, renewals

TERMS = [
    # account, line, mrr, start, end, renewal date
    (1, "Analytics", 100.0, date(2024, 1, 1), date(2024, 12, 31), date(2025, 1, 1)),  # up, renewed next day
    (1, "Analytics", 110.0, date(2025, 1, 1), date(2025, 12, 31), date(2026, 1, 1)),
    (2, "Analytics", 50.0, date(2024, 3, 1), date(2025, 2, 28), date(2025, 3, 1)),  # up, not renewed
    (3, "Analytics", 200.0, date(2024, 2, 1), date(2024, 7, 14), date(2025, 2, 1)),  # amended early: not up
    (3, "Analytics", 300.0, date(2024, 7, 15), date(2025, 1, 31), date(2025, 2, 1)),  # up, renewed 9 days late
    (3, "Analytics", 300.0, date(2025, 2, 10), None, date(2026, 2, 10)),
    (4, "Automation", 10.0, date(2024, 7, 1), date(2025, 6, 30), date(2025, 7, 1)),  # ends after the window
]


def table():
    names = RENEWAL_SCHEMA.names
    return pa.Table.from_pylist([dict(zip(names, t, strict=True)) for t in TERMS], schema=RENEWAL_SCHEMA)


def check(r):
    assert (r["up_for_renewal"], r["renewed"]) == (3, 2)
    assert r["renewal_rate"] == pytest.approx(2 / 3)
    assert (r["up_for_renewal_arr"], r["renewed_arr"]) == (pytest.approx(5400.0), pytest.approx(4800.0))
    assert r["renewal_rate_arr"] == pytest.approx(4800 / 5400)


def test_renewals_by_hand():
    check(renewals(ibis.memtable(table()), date(2024, 12, 1), date(2025, 3, 31)))
    late = renewals(ibis.memtable(table()), date(2024, 12, 1), date(2025, 3, 31), grace_days=5)
    assert late["renewed"] == 1  # the renewal 9 days late no longer counts


def test_renewals_on_postgresql(pg_ibis):
    pg = pg_ibis
    check(renewals(pg.create_table("terms", table(), overwrite=True), date(2024, 12, 1), date(2025, 3, 31)))
