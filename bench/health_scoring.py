"""Scoring every account with the default scorecard (12 measures) against one hand-written SQL query that
computes the same measures from the raw data on the same engine (DuckDB), in the same run.

The contender reads the events' Parquet files (every event, for the days since the last activity) and the
operational tables (loaded into DuckDB as Arrow, as Northstar loads them), and computes the 12 measures and
MRR in one statement. Northstar's side is ``score_accounts``: the same measures from the usage rollups and
the operational tables, then the points, weights, bands and contributions. Each side runs once untimed, then
the best of ``--repeat``. The measures both compute are compared account by account.

    python bench/health_scoring.py --home bench/out/demo-home   (the 100,000-account demo: make bench)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from _common import best, revision, scratch
from northstar import duck


def hand_sql(settings, as_of: date):  # type: ignore[no-untyped-def]
    from northstar.metrics.service import load_table

    def table(sql: str, **fields: pa.DataType) -> pa.Table:
        return load_table(settings, sql, pa.schema(list(fields.items())))

    con = duck.cursor()
    try:
        con.register(
            "feedback",
            table(
                "SELECT account_id, survey_type, score, submitted_at FROM feedback",
                account_id=pa.int64(),
                survey_type=pa.string(),
                score=pa.float64(),
                submitted_at=pa.timestamp("us"),
            ),
        )
        con.register(
            "tickets",
            table(
                "SELECT account_id, priority, opened_at FROM tickets",
                account_id=pa.int64(),
                priority=pa.string(),
                opened_at=pa.timestamp("us"),
            ),
        )
        con.register(
            "invoices",
            table(
                "SELECT account_id, issued_on, due_on, paid_at, failed_attempts FROM invoices",
                account_id=pa.int64(),
                issued_on=pa.date32(),
                due_on=pa.date32(),
                paid_at=pa.timestamp("us"),
                failed_attempts=pa.int64(),
            ),
        )
        con.register(
            "touchpoints",
            table(
                "SELECT account_id, occurred_at FROM touchpoints", account_id=pa.int64(), occurred_at=pa.timestamp("us")
            ),
        )
        con.register(
            "contacts",
            table("SELECT id, account_id, role FROM contacts", id=pa.int64(), account_id=pa.int64(), role=pa.string()),
        )
        con.register(
            "subscriptions",
            table(
                "SELECT account_id, mrr, start_date, end_date FROM subscriptions",
                account_id=pa.int64(),
                mrr=pa.float64(),
                start_date=pa.date32(),
                end_date=pa.date32(),
            ),
        )
        con.register("accounts", table("SELECT id FROM accounts", id=pa.int64()))
        files = ", ".join(duck.literal(str(f)) for f in sorted((settings.events_dir).glob("batch-*.parquet")))
        t = f"TIMESTAMP '{as_of}'"
        d = lambda n: f"TIMESTAMP '{as_of - timedelta(days=n)}'"  # noqa: E731
        sql = f"""
        WITH ev AS (SELECT account_id, contact_id, user_id, event, timestamp FROM read_parquet([{files}])
                    WHERE timestamp < {t}),
        recent AS (SELECT * FROM ev WHERE timestamp >= {d(60)}),
        usage AS (
          SELECT account_id,
                 count(*) FILTER (WHERE timestamp >= {d(30)}) AS events_30d,
                 count(*) FILTER (WHERE timestamp < {d(30)}) AS events_prev_30d,
                 count(DISTINCT user_id) FILTER (WHERE timestamp >= {d(30)}) AS users_30d,
                 count(DISTINCT CAST(timestamp AS DATE)) FILTER (WHERE timestamp >= {d(30)}) AS active_days_30d,
                 count(DISTINCT event) FILTER (WHERE timestamp >= {d(30)}) AS features_30d
          FROM recent GROUP BY account_id),
        catalogue AS (SELECT count(DISTINCT event) AS n FROM recent WHERE timestamp >= {d(30)}),
        last_active AS (SELECT account_id, max(timestamp) AS last FROM ev GROUP BY account_id),
        dm AS (
          SELECT c.account_id, count(*) AS dms,
                 count(*) FILTER (WHERE c.id IN (SELECT contact_id FROM recent
                                                  WHERE timestamp >= {d(30)} AND contact_id IS NOT NULL)) AS active
          FROM contacts c WHERE c.role = 'decision_maker' GROUP BY c.account_id),
        nps AS (
          SELECT account_id, arg_max(score, submitted_at) AS nps_last FROM feedback
          WHERE survey_type = 'nps' AND submitted_at < {t} AND submitted_at >= {d(365)} AND score IS NOT NULL
          GROUP BY account_id),
        csat AS (
          SELECT account_id, avg(score) AS csat_180d FROM feedback
          WHERE survey_type = 'csat' AND submitted_at < {t} AND submitted_at >= {d(180)} GROUP BY account_id),
        tick AS (
          SELECT account_id, count(*) FILTER (WHERE priority IN ('high', 'urgent')) AS urgent_90d FROM tickets
          WHERE opened_at < {t} AND opened_at >= {d(90)} GROUP BY account_id),
        bill AS (
          SELECT account_id,
                 count(*) FILTER (WHERE (paid_at IS NULL OR paid_at >= {t}) AND due_on < DATE '{as_of}') AS overdue,
                 sum(failed_attempts) FILTER (WHERE issued_on >= DATE '{as_of - timedelta(days=90)}') AS failed_90d
          FROM invoices WHERE issued_on < DATE '{as_of}' GROUP BY account_id),
        touch AS (
          SELECT account_id, max(occurred_at) AS last FROM touchpoints WHERE occurred_at < {t} GROUP BY account_id),
        rev AS (
          SELECT account_id, sum(mrr) AS mrr FROM subscriptions
          WHERE start_date <= DATE '{as_of - timedelta(days=1)}'
            AND (end_date IS NULL OR end_date >= DATE '{as_of - timedelta(days=1)}') GROUP BY account_id)
        SELECT a.id AS account_id,
               coalesce(u.active_days_30d, 0) AS active_days_30d,
               CASE WHEN u.events_prev_30d > 0 THEN u.events_30d / u.events_prev_30d - 1 END AS events_trend,
               date_diff('day', CAST(l.last AS DATE), DATE '{as_of}') AS days_since_active,
               coalesce(u.features_30d, 0) / nullif((SELECT n FROM catalogue), 0) AS breadth_30d,
               coalesce(u.events_30d, 0) / greatest(coalesce(u.users_30d, 0), 1) AS events_per_user,
               nps.nps_last, csat.csat_180d,
               coalesce(tick.urgent_90d, 0) AS urgent_90d,
               coalesce(bill.overdue, 0) AS overdue_invoices,
               coalesce(bill.failed_90d, 0) AS failed_payments_90d,
               dm.active / dm.dms AS dm_active_30d,
               epoch({t} - touch.last) / 86400 AS days_since_touch,
               coalesce(rev.mrr, 0) AS mrr
        FROM accounts a
        LEFT JOIN usage u ON u.account_id = a.id LEFT JOIN last_active l ON l.account_id = a.id
        LEFT JOIN dm ON dm.account_id = a.id LEFT JOIN nps ON nps.account_id = a.id
        LEFT JOIN csat ON csat.account_id = a.id LEFT JOIN tick ON tick.account_id = a.id
        LEFT JOIN bill ON bill.account_id = a.id LEFT JOIN touch ON touch.account_id = a.id
        LEFT JOIN rev ON rev.account_id = a.id
        ORDER BY a.id
        """
        return con.sql(sql).to_arrow_table().to_pandas().set_index("account_id")
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, default=Path("bench/out/demo-home"))
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 1))
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    home = scratch(args.home.resolve(), Path(tempfile.mkdtemp(prefix="ns-health-bench-")), copy=("northstar.db",))
    try:
        from northstar.health.service import score_accounts
        from northstar.store import open_settings

        settings = open_settings(str(home))
        t_ns, ours = best(lambda: score_accounts(settings, args.as_of), args.repeat)
        t_sql, theirs = best(lambda: hand_sql(settings, args.as_of), args.repeat)
        print(f"revision {revision()}; {len(ours.scores):,} accounts scored as of {args.as_of}")
        print(f"  Northstar score_accounts (12 measures, points, bands, contributions): {t_ns:.2f} s")
        print(f"  one hand-written DuckDB query over the raw events and tables (the measures only): {t_sql:.2f} s")
        print(f"  ratio: {t_ns / t_sql:.2f}× (target: at most 1.5×)")
        parts = ours.parts.pivot(index="account_id", columns="measure", values="value")
        pairs = {
            "Active days (30 d)": "active_days_30d",
            "Usage trend": "events_trend",
            "Days since last activity": "days_since_active",
            "Events per active user": "events_per_user",
            "Latest NPS answer": "nps_last",
            "CSAT (180 d)": "csat_180d",
            "Urgent tickets (90 d)": "urgent_90d",
            "Overdue invoices": "overdue_invoices",
            "Failed payments (90 d)": "failed_payments_90d",
            "Decision makers active (30 d)": "dm_active_30d",
            "Feature breadth": "breadth_30d",
        }
        for ours_name, col in pairs.items():
            a, b = parts[ours_name].reindex(theirs.index).to_numpy(float), theirs[col].to_numpy(float)
            same = np.isclose(a, b, equal_nan=True, rtol=1e-6, atol=1e-6)
            print(f"    {ours_name:<32} equal for {same.mean():.2%} of accounts")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
