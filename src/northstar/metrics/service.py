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
import pyarrow.compute as pc

from northstar.config import Settings
from northstar.db.engine import make_engine
from northstar.metrics.currency import to_reporting
from northstar.metrics.feedback import (
    DIMENSIONS,
    FEEDBACK_SCHEMA,
    INVITATION_DIMENSIONS,
    INVITATION_SCHEMA,
    ces,
    csat,
    feedback_table,
    invitations_table,
    nps,
    response_rates,
)
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
from northstar.metrics.usage import (
    decision_maker_activity,
    monthly_active_users,
    sessions,
    usage_features,
)
from northstar.revenue.service import month_ends
from northstar.usage.rollup import Tiers

PERIODS = ("month", "quarter", "ttm")
EVERYTHING = Scope()


def load_table(settings: Settings, sql: str, schema: pa.Schema) -> pa.Table:
    """Rows of ``sql`` on the operational store as an Arrow table of ``schema``.

    PostgreSQL is read through ADBC (Arrow-native: 3-4x faster than row tuples on 600k terms), SQLite through
    Python's ``sqlite3`` (see ``_sqlite_arrow`` for why not ADBC there), other databases through the
    SQLAlchemy connection. Columns are then cast by Arrow (SQLite keeps dates and timestamps as text; zoned
    timestamps become naive UTC)."""
    table = _fetch_arrow(settings.database_url, sql)
    arrays = []
    for name, field in zip(table.column_names, schema, strict=True):
        raw = table.column(name).combine_chunks() if table.num_rows else pa.array([], field.type)
        if pa.types.is_timestamp(raw.type) and raw.type.tz is not None:
            raw = raw.cast(pa.timestamp(raw.type.unit, "UTC")).cast(pa.timestamp(raw.type.unit))
        if pa.types.is_null(raw.type) or raw.null_count == len(raw):  # SQLite: an all-NULL column has no type
            raw = pa.nulls(len(raw), field.type)
        arrays.append(raw.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _fetch_arrow(url: str, sql: str) -> pa.Table:
    if url.startswith("sqlite:///"):
        return _sqlite_arrow(url.removeprefix("sqlite:///"), sql)
    if url.startswith("postgresql+psycopg://"):
        import adbc_driver_postgresql.dbapi as driver  # type: ignore[no-redef]

        connect_to = "postgresql://" + url.removeprefix("postgresql+psycopg://")
    else:  # pragma: no cover - another SQLAlchemy database
        with make_engine(url).connect() as conn:
            result = conn.exec_driver_sql(sql)
            rows = result.fetchall()
            names = list(result.keys())
        return pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows])
    with driver.connect(connect_to) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")  # a date in the SQL ('2026-11-26') is that day's UTC midnight
        cur.execute(sql)
        return cur.fetch_arrow_table()


def _sqlite_arrow(path: str, sql: str) -> pa.Table:
    """SQLite rows through Python's own ``sqlite3``: the same SQLite library as the app's SQLAlchemy
    connections. A second copy of SQLite in the process (the ADBC driver bundles one) does not see this
    copy's POSIX locks, takes itself for the only connection and checkpoints and removes the write-ahead
    log under it: reads then miss committed rows and later writes fail with disk I/O errors.

    SQLite values carry no column type: each column's Arrow type is inferred from all its values (an INTEGER
    followed by a REAL gives a double); a column mixing text and numbers is read as text."""
    import gc
    import sqlite3

    # millions of short-lived tuples and no cycles: the collector's passes over them would take half the time
    collecting = gc.isenabled()
    gc.disable()
    try:
        con = sqlite3.connect(path)
        try:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        finally:
            con.close()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        del rows
        arrays = []
        for values in columns:
            try:
                arrays.append(pa.array(values))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
        return pa.Table.from_arrays(arrays, names=names)
    finally:
        if collecting:
            gc.enable()


def load_terms(settings: Settings, schema: pa.Schema, on: date | None = None) -> pa.Table:
    """Subscription terms with the columns of ``schema``, MRR in the reporting currency at the rates in
    effect on ``on`` (default today: constant currency, see ``northstar.metrics.currency``)."""
    sql = f"SELECT {', '.join(schema.names)}, currency FROM subscriptions"
    return terms_in_reporting(settings, load_table(settings, sql, schema.append(pa.field("currency", pa.string()))), on)


def terms_in_reporting(settings: Settings, table: pa.Table, on: date | None = None) -> pa.Table:
    """Terms with a ``currency`` column, their ``mrr`` converted at the rates on ``on`` and ``currency``
    dropped (``load_terms``; for callers that load the rows once and convert them for several days)."""
    mrr = to_reporting(
        settings,
        table.column("mrr").combine_chunks(),
        table.column("currency").combine_chunks(),
        on or datetime.now(UTC).date(),
        "subscriptions",
    )
    return table.set_column(table.schema.get_field_index("mrr"), "mrr", mrr).drop(["currency"])


def load_subscriptions(settings: Settings, scope: Scope = EVERYTHING, on: date | None = None) -> ir.Table:
    """Subscription terms from the operational store, as an in-memory Ibis table."""
    return _scoped(subscriptions_table(load_terms(settings, SUBSCRIPTION_SCHEMA, on)), settings, scope, True)


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
    terms = _scoped(ibis.memtable(load_terms(settings, RENEWAL_SCHEMA, last)), settings, scope, True)
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
    terms = load_terms(settings, SUBSCRIPTION_SCHEMA, last).to_pandas()
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


def load_feedback(settings: Settings, scope: Scope = EVERYTHING, since: date | None = None) -> ir.Table:
    """Survey answers with their account's segment and persona, as an in-memory Ibis table (those submitted
    from ``since`` on, when given: the rest stay in the database)."""
    sql = (
        "SELECT f.account_id, f.survey_type, f.score, f.language, f.touchpoint, f.channel, f.submitted_at, "
        "a.segment, a.persona FROM feedback f LEFT JOIN accounts a ON a.id = f.account_id"
    )
    if since is not None:
        sql += f" WHERE f.submitted_at >= '{since.isoformat()}'"  # a date from code, not from a user
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
    out = support(t.filter(t.opened_at >= start), end, by)
    if (by or ["month"]) == ["month"] and len(out):
        con = _usage_con()
        try:
            until = end.date() + timedelta(days=1)
            since = first.replace(day=1)
            tiers = load_tiers(settings, con, until, scope, days=(until - since).days)
            users = monthly_active_users(tiers, since, until).to_pandas()
        finally:
            con.disconnect()
        users["month"] = pd.to_datetime(users["month"]).dt.date
        out = out.merge(users, on="month", how="left").fillna({"active_users": 0})
        out["tickets_per_active_user"] = out.opened / out.active_users.where(out.active_users > 0)
    return out


def load_tiers(
    settings: Settings, con: ibis.BaseBackend, as_of: date, scope: Scope = EVERYTHING, days: int = 90
) -> Tiers:
    """The daily usage tiers for windows of up to ``days`` days before ``as_of``, scoped to the accounts in
    ``scope``; brought up to date first (a batch stored by another process since is rolled up now)."""
    from northstar.store import rollup_store

    rollups = rollup_store(settings)
    rollups.refresh()
    t = rollups.tiers(con, as_of, days)
    return Tiers(*(_scoped(x, settings, scope) for x in (t.user_day, t.account_day, t.feature_day, t.last_active)))


def _usage_con() -> ibis.BaseBackend:
    from northstar import duck

    return ibis.duckdb.from_connection(duck.connect())


def _accounts_frame(settings: Settings) -> pd.DataFrame:
    sql = "SELECT id, external_id, name, segment, persona FROM accounts"
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("external_id", pa.string()),
            ("name", pa.string()),
            ("segment", pa.string()),
            ("persona", pa.string()),
        ]
    )
    return load_table(settings, sql, schema).to_pandas().rename(columns={"id": "account_id", "external_id": "account"})


def with_names(settings: Settings, df: pd.DataFrame, sort: bool = True) -> pd.DataFrame:
    """Per-account rows (an ``account_id`` column) with the account's external id (``account``) and name in
    front; sorted by external id, or in ``df``'s order."""
    names = _accounts_frame(settings)[["account_id", "account", "name"]]
    out = df.merge(names, on="account_id", how="inner")
    out = out[["account_id", "account", "name", *[c for c in df.columns if c != "account_id"]]]
    return out.sort_values("account").reset_index(drop=True) if sort else out.reset_index(drop=True)


def usage_figures(settings: Settings, as_of: date, scope: Scope = EVERYTHING) -> tuple[pa.Table, pa.Table]:
    """``usage_features`` and ``feature_usage`` as of ``as_of`` for the accounts in ``scope``, from the sliding
    windows kept with the rollups (brought up to date first). Breadth counts against the features any
    account used, whatever the scope."""
    from northstar.metrics.usage_window import WindowStore, figures
    from northstar.store import rollup_store

    rollups = rollup_store(settings)
    rollups.refresh()
    usage, per_feature = figures(WindowStore(rollups).window(as_of))
    ids = scope.account_ids(settings)
    if ids is not None:
        keep = pa.array(sorted(ids), pa.int64())
        usage = usage.filter(pc.is_in(usage.column("account_id"), keep))
        per_feature = per_feature.filter(pc.is_in(per_feature.column("account_id"), keep))
    return usage.sort_by("account_id"), per_feature


def usage_table(
    settings: Settings, first: date, last: date, period: str = "month", scope: Scope = EVERYTHING
) -> pd.DataFrame:
    """Per-account usage features as of the day after ``last``, with decision-maker activity."""
    as_of = last + timedelta(days=1)
    features = usage_figures(settings, as_of, scope)[0].to_pandas()
    con = _usage_con()
    try:
        tiers = load_tiers(settings, con, as_of, scope)
        contacts = load_table(
            settings,
            "SELECT id, account_id, role FROM contacts",
            pa.schema([("contact_id", pa.int64()), ("account_id", pa.int64()), ("role", pa.string())]),
        )
        dms = decision_maker_activity(
            tiers.user_day, con.create_table("contacts", contacts, temp=True), as_of
        ).to_pandas()
    finally:
        con.disconnect()
    return with_names(settings, features.merge(dms, on="account_id", how="left"))


def feature_adoption_table(
    settings: Settings, first: date, last: date, period: str = "month", scope: Scope = EVERYTHING
) -> pd.DataFrame:
    """Per feature: accounts that used it in the 30 days to ``last``, their share of active accounts,
    events, the active users of those accounts, depth (events per such user) and the 30-day trend."""
    f = ibis.memtable(usage_figures(settings, last + timedelta(days=1), scope)[1])
    used = f.filter(f.events_30d > 0)
    active = used.account_id.nunique().as_scalar()
    out = (
        f.group_by("event")
        .aggregate(
            accounts_30d=f.count(where=f.events_30d > 0),
            events_30d=f.events_30d.sum(),
            events_prev_30d=f.events_prev_30d.sum(),
            users_30d=f.account_users_30d.sum(where=f.events_30d > 0),
        )
        .mutate(active_accounts=active)
        .order_by([ibis.desc("accounts_30d"), "event"])
        .to_pandas()
    )
    out["adoption"] = out.accounts_30d / out.active_accounts.where(out.active_accounts > 0)
    out["depth_per_user"] = out.events_30d / out.users_30d.where(out.users_30d > 0)
    out["trend"] = out.events_30d / out.events_prev_30d.where(out.events_prev_30d > 0) - 1
    return out


def active_users_table(
    settings: Settings, first: date, last: date, period: str = "month", scope: Scope = EVERYTHING
) -> pd.DataFrame:
    """DAU, WAU, MAU and stickiness over all accounts in scope at each month end (or ``last``)."""
    con = _usage_con()
    rows = []
    try:
        ends = [e for e in month_ends(first, last) if e <= last] or [last]
        if ends[-1] != last:
            ends.append(last)
        for end in ends:
            as_of = end + timedelta(days=1)
            f = usage_features(load_tiers(settings, con, as_of, scope, days=30), as_of)
            agg = f.aggregate(
                active_accounts=f.count(where=f.users_30d > 0),
                dau=f.dau_30d.sum(),
                wau=f.users_7d.sum(),
                mau=f.users_30d.sum(),
                events_30d=f.events_30d.sum(),
            ).to_pandas()
            rows.append({"as_of": end, **{k: v for k, v in agg.iloc[0].items()}})
    finally:
        con.disconnect()
    out = pd.DataFrame(rows).fillna({"active_accounts": 0, "dau": 0.0, "wau": 0, "mau": 0, "events_30d": 0})
    out["stickiness"] = out.dau / out.mau.where(out.mau > 0)
    return out


def sessions_table(
    settings: Settings, first: date, last: date, period: str = "month", scope: Scope = EVERYTHING
) -> pd.DataFrame:
    """Per account: sessions per user per day over the 30 days to ``last``, from the raw events."""
    from northstar.store import event_store
    from northstar.usage.summary import events_table

    con = _usage_con()
    try:
        events = _scoped(events_table(event_store(settings), con), settings, scope)
        out = sessions(events, last - timedelta(days=29), last + timedelta(days=1)).to_pandas()
    finally:
        con.disconnect()
    return with_names(settings, out)


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
    return movements_summary(load_subscriptions(settings, scope, last), first, last)


def cohort_table(
    settings: Settings, first: date, last: date, period: str = "month", scope: Scope = EVERYTHING
) -> pd.DataFrame:
    return cohorts(load_subscriptions(settings, scope, last), first, last)


def retention_table(
    settings: Settings, first: date, last: date, period: str = "quarter", scope: Scope = EVERYTHING
) -> pd.DataFrame:
    subs = load_subscriptions(settings, scope, last)
    rows = []
    for start, end in period_bounds(period, first, last):
        rows.append({"period_start": start, "period_end": end, **retention(subs, start, end)})
    return pd.DataFrame(rows)


def share_of_wallet_table(
    settings: Settings, first: date, last: date, period: str = "month", scope: Scope = EVERYTHING
) -> pd.DataFrame:
    """Per account with a wallet estimate: ARR on ``last`` (reporting currency) over the estimate of what
    it spends a year in the category."""
    subs = load_subscriptions(settings, scope, last)
    live = subs.filter((subs.start_date <= last) & (subs.end_date.isnull() | (subs.end_date >= last)))
    arr = live.group_by("account_id").aggregate(arr=(live.mrr.sum() * 12).round(2)).to_pandas()
    wallets = load_table(
        settings,
        "SELECT id, wallet_estimate FROM accounts WHERE wallet_estimate IS NOT NULL",
        pa.schema([("account_id", pa.int64()), ("wallet_estimate", pa.float64())]),
    ).to_pandas()
    out = with_names(settings, wallets.merge(arr, on="account_id", how="left").fillna({"arr": 0.0}))
    out["share_of_wallet"] = out.arr / out.wallet_estimate.where(out.wallet_estimate > 0)
    out["headroom"] = (out.wallet_estimate - out.arr).clip(lower=0)
    return out.drop(columns=["account_id"])


def _feedback_metric(fn: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    def run(
        settings: Settings,
        first: date,
        last: date,
        period: str,
        by: list[str] | None = None,
        scope: Scope = EVERYTHING,
    ) -> pd.DataFrame:
        t = load_feedback(settings, scope, since=first)
        t = t.filter(
            (t.submitted_at >= datetime.combine(first, datetime.min.time()))
            & (t.submitted_at < datetime.combine(last + timedelta(days=1), datetime.min.time()))
        )
        unknown = set(by or []) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"cannot group by {', '.join(sorted(unknown))}: choose from {', '.join(DIMENSIONS)}")
        return fn(t, by if by is not None else [period if period in ("month", "quarter") else "month"])

    return run


def response_rate_table(
    settings: Settings,
    first: date,
    last: date,
    period: str = "month",
    by: list[str] | None = None,
    scope: Scope = EVERYTHING,
) -> pd.DataFrame:
    """Survey invitations sent between ``first`` and ``last``, how many were answered by the end of ``last``,
    and the rate, per ``by`` (default: the month or quarter sent)."""
    unknown = set(by or []) - set(INVITATION_DIMENSIONS)
    if unknown:
        raise ValueError(
            f"cannot group by {', '.join(sorted(unknown))}: choose from {', '.join(INVITATION_DIMENSIONS)}"
        )
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    sql = (
        "SELECT i.account_id, i.survey_type, i.touchpoint, i.channel, i.language, i.campaign, i.sent_at, "
        "f.submitted_at AS answered_at, a.segment, a.persona FROM survey_invitations i "
        "JOIN accounts a ON a.id = i.account_id LEFT JOIN feedback f ON f.id = i.feedback_id"
    )
    t = _scoped(invitations_table(load_table(settings, sql, INVITATION_SCHEMA)), settings, scope)
    t = t.filter((t.sent_at >= start) & (t.sent_at < end))
    t = t.mutate(answered_at=ibis.ifelse(t.answered_at < end, t.answered_at, ibis.null("timestamp")))
    return response_rates(t, by if by is not None else [period if period in ("month", "quarter") else "month"])


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
            "Tickets opened and resolved, first response and resolution times, share within SLA, tickets per "
            "active user.",
            "median / p90 of hours to first response and to resolution; within SLA = answered within the "
            "priority's target / tickets due; tickets per active user = opened / distinct users with events",
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
        Metric(
            "response-rate",
            "Survey invitations sent, answered and the response rate, by month sent (or --by touchpoint, "
            "channel, language, campaign, survey_type, segment, persona, account_id).",
            "response rate = invitations answered by the end of the period / invitations sent in it",
            response_rate_table,
        ),
        Metric(
            "share-of-wallet",
            "Per account with a wallet estimate: ARR on --to against its yearly spend in the category.",
            "share of wallet = ARR / wallet estimate; headroom = wallet estimate - ARR",
            share_of_wallet_table,
        ),
        Metric(
            "usage",
            "Per account: events, active users (DAU/WAU/MAU), active days, stickiness, adoption breadth, days "
            "since last activity, 30-day trends and decision-maker activity, as of the day after --to.",
            "MAU = distinct users in 30 days; DAU = user-days / 30; stickiness = DAU / MAU; breadth = features "
            "used / features in use; trend = last 30 days / previous 30 - 1",
            usage_table,
        ),
        Metric(
            "feature-adoption",
            "Per feature: the accounts and users that used it in the last 30 days, depth and trend.",
            "adoption = accounts using it / accounts with any use; depth = events / users; trend as in usage",
            feature_adoption_table,
        ),
        Metric(
            "active-users",
            "DAU, WAU, MAU and stickiness summed over the accounts in scope at each month end.",
            "sums over accounts of each account's DAU / WAU / MAU; stickiness = DAU / MAU",
            active_users_table,
        ),
        Metric(
            "sessions",
            "Per account: sessions per active user per day over the 30 days to --to.",
            "session = a user's run of events without a 30-minute gap (cut at midnight UTC); sessions / user-days",
            sessions_table,
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
