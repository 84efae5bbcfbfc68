"""The metrics catalogue: each metric's one-line meaning and formula, and how to compute it from the stores.

Entry points (CLI, web, reports, notebooks) call ``compute(settings, name, ...)`` and get a DataFrame.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from northstar.config import Settings
from northstar.db.engine import make_engine
from northstar.metrics.feedback import DIMENSIONS, FEEDBACK_SCHEMA, ces, csat, feedback_table, nps
from northstar.metrics.revenue import (
    RENEWAL_SCHEMA,
    SUBSCRIPTION_SCHEMA,
    cohorts,
    movements_summary,
    renewals,
    retention,
    subscriptions_table,
)
from northstar.metrics.scope import Scope
from northstar.metrics.support import TICKET_SCHEMA, support, tickets_table
from northstar.metrics.survival import first_spells, retention_curves
from northstar.revenue.service import month_ends

PERIODS = ("month", "quarter", "ttm")
EVERYTHING = Scope()


def load_table(settings: Settings, sql: str, schema: pa.Schema) -> pa.Table:
    """Rows of ``sql`` on the operational store as an Arrow table of ``schema``.

    Read through ADBC (Arrow-native drivers for SQLite and PostgreSQL: 3-4x faster than row tuples on 600k
    terms), falling back to the SQLAlchemy connection for other databases. Columns are then cast by Arrow
    (SQLite keeps dates and timestamps as text; zoned timestamps become naive UTC)."""
    table = _fetch_arrow(settings.database_url, sql)
    arrays = []
    for name, field in zip(table.column_names, schema, strict=True):
        raw = table.column(name).combine_chunks() if table.num_rows else pa.array([], field.type)
        if pa.types.is_timestamp(raw.type) and raw.type.tz is not None:
            raw = raw.cast(pa.timestamp(raw.type.unit, "UTC")).cast(pa.timestamp(raw.type.unit))
        if pa.types.is_null(raw.type):
            raw = pa.nulls(len(raw), field.type)
        arrays.append(raw.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _fetch_arrow(url: str, sql: str) -> pa.Table:
    if url.startswith("sqlite:///"):
        import adbc_driver_sqlite.dbapi as driver

        connect_to = url.removeprefix("sqlite:///")
    elif url.startswith("postgresql+psycopg://"):
        import adbc_driver_postgresql.dbapi as driver  # type: ignore[no-redef]

        connect_to = "postgresql://" + url.removeprefix("postgresql+psycopg://")
    else:  # pragma: no cover - another SQLAlchemy database
        with make_engine(url).connect() as conn:
            result = conn.exec_driver_sql(sql)
            rows = result.fetchall()
            names = list(result.keys())
        return pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows])
    with driver.connect(connect_to) as conn, conn.cursor() as cur:
        if url.startswith("sqlite"):
            # SQLite values carry no column type: infer each column from all rows in one batch, so an
            # INTEGER followed by a REAL, or NULLs followed by text, give one Arrow type.
            cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(2**30)})
        cur.execute(sql)
        return cur.fetch_arrow_table()


def load_subscriptions(settings: Settings, scope: Scope = EVERYTHING) -> ir.Table:
    """Subscription terms from the operational store, as an in-memory Ibis table."""
    sql = "SELECT account_id, product_line, mrr, start_date, end_date FROM subscriptions"
    return _scoped(subscriptions_table(load_table(settings, sql, SUBSCRIPTION_SCHEMA)), settings, scope, True)


def _scoped(t: ir.Table, settings: Settings, scope: Scope, has_line: bool = False) -> ir.Table:
    ids = scope.account_ids(settings)
    if ids is not None:
        t = t.filter(t.account_id.isin(sorted(ids)) if ids else ibis.literal(False))
    if has_line and scope.product_line:
        t = t.filter(t.product_line == scope.product_line)
    return t


def renewal_table(
    settings: Settings, first: date, last: date, period: str = "quarter", scope: Scope = EVERYTHING
) -> pd.DataFrame:
    sql = "SELECT account_id, product_line, mrr, start_date, end_date, renewal_date FROM subscriptions"
    terms = _scoped(ibis.memtable(load_table(settings, sql, RENEWAL_SCHEMA)), settings, scope, True)
    rows = []
    for start, end in period_bounds(period, first, last):
        rows.append(
            {
                "period_start": start + timedelta(days=1),
                "period_end": end,
                **renewals(terms, start + timedelta(days=1), end),
            }
        )
    return pd.DataFrame(rows)


def retention_curve(
    settings: Settings,
    first: date,
    last: date,
    period: str = "month",
    by: list[str] | None = None,
    scope: Scope = EVERYTHING,
) -> pd.DataFrame:
    """Kaplan-Meier curves of the first paying spell, for accounts that started between ``first`` and
    ``last``, grouped by ``cohort`` (start quarter), ``segment`` or ``persona``."""
    sql = "SELECT account_id, product_line, mrr, start_date, end_date FROM subscriptions"
    terms = load_table(settings, sql, SUBSCRIPTION_SCHEMA).to_pandas()
    ids = scope.account_ids(settings)
    if ids is not None:
        terms = terms[terms["account_id"].isin(ids)]
    spells = first_spells(terms, min(last, datetime.now(UTC).date()))
    spells = spells[(spells["start"] >= first) & (spells["start"] <= last)]
    key = (by or ["cohort"])[0]
    if key not in ("cohort", "segment", "persona", "all"):
        raise ValueError("retention-curve is grouped by cohort, segment, persona or all")
    groups = None
    if key == "cohort":
        groups = pd.Series(
            [f"{s.year}-Q{(s.month - 1) // 3 + 1}" for s in spells["start"]], index=spells["account_id"].to_numpy()
        )
    elif key in ("segment", "persona"):
        attrs = load_table(
            settings, f"SELECT id, {key} FROM accounts", pa.schema([("id", pa.int64()), (key, pa.string())])
        )
        groups = attrs.to_pandas().set_index("id")[key]
    return retention_curves(spells, groups)


def load_feedback(settings: Settings, scope: Scope = EVERYTHING) -> ir.Table:
    """Survey answers with their account's segment and persona, as an in-memory Ibis table."""
    sql = (
        "SELECT f.account_id, f.survey_type, f.score, f.language, f.touchpoint, f.channel, f.submitted_at, "
        "a.segment, a.persona FROM feedback f LEFT JOIN accounts a ON a.id = f.account_id"
    )
    return _scoped(feedback_table(load_table(settings, sql, FEEDBACK_SCHEMA)), settings, scope)


def load_tickets(settings: Settings, scope: Scope = EVERYTHING) -> ir.Table:
    """Tickets with their account's segment and persona, as an in-memory Ibis table."""
    sql = (
        "SELECT t.account_id, t.priority, t.channel, t.opened_at, t.first_response_at, t.resolved_at, "
        "a.segment, a.persona FROM tickets t JOIN accounts a ON a.id = t.account_id"
    )
    return _scoped(tickets_table(load_table(settings, sql, TICKET_SCHEMA)), settings, scope)


def support_table(
    settings: Settings,
    first: date,
    last: date,
    period: str = "month",
    by: list[str] | None = None,
    scope: Scope = EVERYTHING,
) -> pd.DataFrame:
    t = load_tickets(settings, scope)
    start = datetime.combine(first, datetime.min.time())
    end = min(datetime.combine(last + timedelta(days=1), datetime.min.time()), datetime.now(UTC).replace(tzinfo=None))
    unknown = set(by or []) - {"month", "priority", "channel", "segment", "persona", "account_id"}
    if unknown:
        raise ValueError(f"cannot group by {', '.join(sorted(unknown))}")
    return support(t.filter(t.opened_at >= start), end, by)


def period_bounds(period: str, first: date, last: date) -> list[tuple[date, date]]:
    """(start month end, end month end) pairs: each month, each calendar quarter, or trailing 12 months."""
    ends = month_ends(first, last)
    if period == "month":
        return [(_prev_month_end(e), e) for e in ends]
    if period == "quarter":
        return [(_prev_month_end(_prev_month_end(_prev_month_end(e))), e) for e in ends if e.month % 3 == 0]
    if period == "ttm":
        out = []
        for e in ends:
            s = e
            for _ in range(12):
                s = _prev_month_end(s)
            out.append((s, e))
        return out
    raise ValueError(f"unknown period {period!r}: choose {', '.join(PERIODS)}")


def _prev_month_end(d: date) -> date:
    return date(d.year, d.month, 1) - timedelta(days=1)


def mrr_movements(
    settings: Settings, first: date, last: date, period: str = "month", scope: Scope = EVERYTHING
) -> pd.DataFrame:
    return movements_summary(load_subscriptions(settings, scope), first, last)


def cohort_table(
    settings: Settings, first: date, last: date, period: str = "month", scope: Scope = EVERYTHING
) -> pd.DataFrame:
    return cohorts(load_subscriptions(settings, scope), first, last)


def retention_table(
    settings: Settings, first: date, last: date, period: str = "quarter", scope: Scope = EVERYTHING
) -> pd.DataFrame:
    subs = load_subscriptions(settings, scope)
    rows = []
    for start, end in period_bounds(period, first, last):
        rows.append({"period_start": start, "period_end": end, **retention(subs, start, end)})
    return pd.DataFrame(rows)


def _feedback_metric(fn: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    def run(
        settings: Settings,
        first: date,
        last: date,
        period: str,
        by: list[str] | None = None,
        scope: Scope = EVERYTHING,
    ) -> pd.DataFrame:
        t = load_feedback(settings, scope)
        t = t.filter(
            (t.submitted_at >= datetime.combine(first, datetime.min.time()))
            & (t.submitted_at < datetime.combine(last + timedelta(days=1), datetime.min.time()))
        )
        unknown = set(by or []) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"cannot group by {', '.join(sorted(unknown))}: choose from {', '.join(DIMENSIONS)}")
        return fn(t, by if by is not None else [period if period in ("month", "quarter") else "month"])

    return run


@dataclass(frozen=True)
class Metric:
    name: str
    summary: str
    formula: str
    compute: Callable[..., pd.DataFrame]
    default_period: str = "month"


CATALOGUE: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "mrr-movements",
            "MRR at each month end and the movements that explain its change.",
            "end = start + new + expansion + contraction + churn + reactivation (expansion = upsell + cross-sell)",
            mrr_movements,
        ),
        Metric(
            "retention",
            "NRR, GRR, logo churn and revenue churn per period, on the accounts paying at its start.",
            "NRR = (start + expansion - contraction - churn) / start; GRR = (start - contraction - churn) / start",
            retention_table,
            "quarter",
        ),
        Metric(
            "cohorts",
            "Logo and revenue retention of each start-month cohort by age in months (use the scope options "
            "for persona or segment cohorts).",
            "logo = accounts paying / cohort size; revenue = their MRR / the cohort's MRR at age 0",
            cohort_table,
        ),
        Metric(
            "retention-curve",
            "Kaplan-Meier share of customers still paying, by months since they started, with a 95% band.",
            "S(t) = prod(1 - lost_i / at_risk_i); band exp(-exp(log(-log S) -/+ z sqrt(Greenwood var) / log S))",
            retention_curve,
        ),
        Metric(
            "renewals",
            "Renewal rate by count and by ARR of the contract terms that reached their end in each period.",
            "renewal rate = terms renewed (same account and product line, within 30 days) / terms up for renewal; "
            "by ARR with 12 x MRR",
            renewal_table,
            "quarter",
        ),
        Metric(
            "support",
            "Tickets opened and resolved, first response and resolution times, share within SLA.",
            "median / p90 of hours to first response and to resolution; within SLA = answered within the "
            "priority's target / tickets due",
            support_table,
        ),
        Metric(
            "nps",
            "Net Promoter Score with its 95% interval and the counts behind it.",
            "NPS = 100 (promoters 9-10 - detractors 0-6) / answers; se = 100 sqrt((p + d - (p - d)^2) / n)",
            _feedback_metric(nps),
        ),
        Metric(
            "csat",
            "Customer satisfaction: share of 4-5 answers on a 1-5 scale, and the mean.",
            "CSAT = answers of 4 or 5 / answers",
            _feedback_metric(csat),
        ),
        Metric(
            "ces",
            "Customer effort score: mean answer on a 1-7 scale (7 = very easy).",
            "CES = mean(score)",
            _feedback_metric(ces),
        ),
    )
}


def compute(
    settings: Settings,
    name: str,
    first: date | None = None,
    last: date | None = None,
    period: str | None = None,
    by: list[str] | None = None,
    scope: Scope = EVERYTHING,
) -> pd.DataFrame:
    """One metric as a DataFrame; ``first``..``last`` default to the twelve months up to today."""
    metric = CATALOGUE.get(name)
    if metric is None:
        raise ValueError(f"unknown metric {name!r}: see 'northstar metrics --list'")
    last = last or datetime.now(UTC).date()
    first = first or date(last.year - 1, last.month, 1)
    extra: dict[str, object] = {"scope": scope}
    if by is not None:
        if "by" not in inspect.signature(metric.compute).parameters:
            raise ValueError(f"{name} is not grouped by --by; use --period and the scope options")
        extra["by"] = by
    return metric.compute(settings, first, last, period or metric.default_period, **extra)
