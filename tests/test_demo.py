"""The demo generator: deterministic, internally consistent, and its designed churn drivers are visible."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest
from sqlalchemy import select

from northstar.config import Settings
from northstar.db.engine import make_engine, reset_engines, session_scope
from northstar.demo.generator import DemoConfig
from northstar.demo.service import DataFolderInUse, build_demo
from northstar.ingest.service import export_table
from northstar.revenue.models import Subscription
from northstar.revenue.service import month_ends, mrr_on
from northstar.usage.store import EventStore

AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    s = Settings(home=tmp_path_factory.mktemp("demo") / "home", secret_key_override="x")
    summary, password = build_demo(s, DemoConfig(accounts=600, seed=11, events_per_account_month=30, as_of=AS_OF))
    yield s, summary, password
    reset_engines()


def frame(settings: Settings, sql: str) -> pd.DataFrame:
    return pd.read_sql(sql, make_engine(settings.database_url))


def test_the_demo_keeps_health_history_risk_and_the_portfolio(demo):
    from northstar.demo.service import HISTORY_DAYS
    from northstar.health.history import SnapshotStore
    from northstar.health.risk import model_path
    from northstar.portfolio.models import AccountSummary

    settings, _, _ = demo
    store = SnapshotStore(settings.home / "health")
    assert store.days() == sorted(AS_OF - timedelta(days=d) for d in HISTORY_DAYS)
    assert model_path(settings).exists() and store.risk(AS_OF) is not None
    with session_scope(settings.database_url) as s:
        rows = s.scalars(select(AccountSummary)).all()
    assert len(rows) == 600 and all(r.health_band for r in rows)
    assert sum(r.risk is not None for r in rows) == len(store.risk(AS_OF))


def test_sizes_and_login(demo):
    settings, summary, password = demo
    assert summary.rows["accounts"] == 600 and summary.rows["events"] > 100_000
    assert all(summary.rows[k] > 0 for k in ("contacts", "subscriptions", "tickets", "touchpoints", "feedback"))
    from northstar.auth.service import authenticate

    with session_scope(settings.database_url) as s:
        assert authenticate(s, "admin@northstar.demo", password) is not None


def test_same_seed_same_company(tmp_path):
    def build(folder):
        s = Settings(home=tmp_path / folder, secret_key_override="x")
        build_demo(s, DemoConfig(accounts=60, seed=5, events_per_account_month=10, as_of=AS_OF), health=False)
        out = {k: export_table(s, k).to_pylist() for k in ("accounts", "subscriptions", "feedback", "events")}
        reset_engines()
        return out

    assert build("one") == build("two")


def test_rerun_reuses_and_protects_other_data(demo, tmp_path):
    settings, _, _ = demo
    again, password = build_demo(settings, DemoConfig(accounts=600, seed=11, events_per_account_month=30, as_of=AS_OF))
    assert again is None and password  # same demo: kept, with a fresh admin password
    other = Settings(home=tmp_path / "other", secret_key_override="x")
    other.ensure_home()
    (other.events_dir / "batch-x.parquet").write_bytes(b"not a demo")
    with pytest.raises(DataFolderInUse):
        build_demo(other, DemoConfig(accounts=10, as_of=AS_OF), health=False)


def test_subscription_terms_are_consistent(demo):
    settings, _, _ = demo
    with session_scope(settings.database_url) as s:
        subs = list(s.scalars(select(Subscription)))
    by_line = defaultdict(list)
    for t in subs:
        assert t.end_date is None or t.end_date >= t.start_date
        assert t.mrr >= 0
        by_line[(t.account_id, t.product_line)].append(t)
    for terms in by_line.values():
        terms.sort(key=lambda t: t.start_date)
        for a, b in zip(terms, terms[1:], strict=False):
            assert a.end_date is not None and a.end_date < b.start_date, "terms of one product line overlap"
    # Month-end MRR only moves in months where a term starts or ends.
    per_account = defaultdict(list)
    for t in subs:
        per_account[t.account_id].append(t)
    ends = month_ends(date(2025, 1, 1), date(2026, 10, 31))
    for terms in per_account.values():
        for prev, cur in zip(ends, ends[1:], strict=False):
            changed = any(prev < t.start_date <= cur or (t.end_date and prev <= t.end_date < cur) for t in terms)
            if not changed:
                assert mrr_on(terms, prev) == mrr_on(terms, cur)


def test_invoices_bill_the_terms(demo):
    settings, _, _ = demo
    inv = frame(
        settings,
        "SELECT i.amount, s.mrr, s.billing_period FROM invoices i JOIN subscriptions s ON s.id = i.subscription_id",
    )
    monthly = inv[inv.billing_period == "monthly"]
    annual = inv[inv.billing_period == "annual"]
    assert (monthly.amount - monthly.mrr).abs().max() < 0.011
    assert (annual.amount - 12 * annual.mrr).abs().max() < 0.011


def test_churned_accounts_have_no_revenue_today(demo):
    settings, _, _ = demo
    acc = frame(settings, "SELECT id, lifecycle_stage FROM accounts")
    with session_scope(settings.database_url) as s:
        subs = list(s.scalars(select(Subscription)))
    mrr = defaultdict(float)
    for t in subs:
        if t.start_date <= AS_OF and (t.end_date is None or t.end_date >= AS_OF):
            mrr[t.account_id] += t.mrr
    churned = acc[acc.lifecycle_stage == "churned"].id
    assert len(churned) > 30
    assert all(mrr[i] == 0 for i in churned)
    assert all(mrr[i] > 0 for i in acc[acc.lifecycle_stage != "churned"].id)


@pytest.fixture(scope="module")
def outcomes(demo):
    """Per-account facts measured from the data alone (not the truth file), plus churn from subscriptions."""
    settings, _, _ = demo
    store = EventStore(settings.events_dir)
    con = duckdb.connect()
    dm = frame(settings, "SELECT id AS contact_id, account_id FROM contacts WHERE role = 'decision_maker'")
    con.register("dm", dm)
    events = con.sql(
        f"""SELECT e.account_id,
               count(*) FILTER (WHERE e.contact_id IN (SELECT contact_id FROM dm)) AS dm_events,
               count(DISTINCT e.event) FILTER (WHERE e.event IN
                   ('build_dashboard', 'schedule_report', 'create_automation', 'connect_source')) AS key_features
            FROM {store.from_sql()} e GROUP BY 1"""
    ).df()
    first_churn = frame(
        settings,
        "SELECT account_id, min(end_date) AS churned_on FROM subscriptions WHERE status = 'canceled' "
        "AND product_line = 'Analytics' GROUP BY account_id",
    )
    nps = frame(settings, "SELECT account_id, avg(score) AS nps FROM feedback WHERE survey_type = 'nps' GROUP BY 1")
    acc = frame(settings, "SELECT id AS account_id FROM accounts")
    df = (
        acc.merge(events, how="left")
        .merge(first_churn, how="left")
        .merge(nps, how="left")
        .fillna({"dm_events": 0, "key_features": 0})
    )
    df["churned"] = df.churned_on.notna()
    truth = pd.read_parquet(settings.home / "demo_truth.parquet")
    return df.merge(truth[["account_id", "archetype"]]), con, store


def test_designed_churn_drivers_are_visible_in_the_data(outcomes):
    df, _, _ = outcomes
    no_dm = df[df.dm_events == 0].churned.mean()
    with_dm = df[df.dm_events > 0].churned.mean()
    assert no_dm > 1.5 * with_dm, (no_dm, with_dm)
    deep = df[df.key_features >= 3].churned.mean()
    shallow = df[df.key_features <= 1].churned.mean()
    assert shallow > 1.5 * deep, (shallow, deep)


def test_usage_declines_before_churn(outcomes):
    df, con, store = outcomes
    churned = df[df.churned & (pd.to_datetime(df.churned_on) > pd.Timestamp("2025-06-01"))]
    assert len(churned) >= 20
    con.register("ch", churned.assign(churned_on=pd.to_datetime(churned.churned_on))[["account_id", "churned_on"]])
    ratio = con.sql(
        f"""SELECT count(*) FILTER (WHERE e.timestamp >= c.churned_on - INTERVAL 90 DAY) /
                   greatest(count(*) FILTER (WHERE e.timestamp < c.churned_on - INTERVAL 90 DAY
                                             AND e.timestamp >= c.churned_on - INTERVAL 180 DAY), 1) AS r
            FROM {store.from_sql()} e JOIN ch c ON c.account_id = e.account_id
            WHERE e.timestamp < c.churned_on GROUP BY e.account_id"""
    ).df()
    assert ratio.r.median() < 0.9, ratio.r.describe()


def test_satisfied_is_not_successful(outcomes):
    df, _, _ = outcomes
    happy = df[df.archetype == "satisfied_unsuccessful"]
    unhappy = df[df.archetype == "successful_unhappy"]
    assert happy.nps.mean() > df.nps.mean() + 1 and unhappy.nps.mean() < df.nps.mean() - 1
    assert happy.churned.mean() > df.churned.mean() > unhappy.churned.mean()


def test_feedback_in_five_languages(demo):
    settings, _, _ = demo
    langs = frame(settings, "SELECT DISTINCT language FROM feedback WHERE comment IS NOT NULL").language
    assert set(langs) == {"en", "it", "ja", "ar", "pl"}


def test_nothing_happens_after_as_of(demo):
    settings, _, _ = demo
    store = EventStore(settings.events_dir)
    latest = duckdb.connect().execute(f"SELECT max(timestamp) FROM {store.from_sql()}").fetchone()[0]
    assert latest.date() < AS_OF
    for table, col in (("tickets", "opened_at"), ("touchpoints", "occurred_at"), ("feedback", "submitted_at")):
        last = frame(settings, f"SELECT max({col}) AS m FROM {table}").m[0]
        assert pd.Timestamp(last).date() <= AS_OF


def test_demo_never_overwrites_a_database_with_records(settings, tmp_path):
    """On SQLite and on PostgreSQL: a store with records is not a demo's to wipe."""
    from northstar.ingest.service import import_file

    (tmp_path / "a.csv").write_text("external_id,name\nREAL-1,A real customer\n")
    import_file(settings, "accounts", tmp_path / "a.csv")
    with pytest.raises(DataFolderInUse):
        build_demo(settings, DemoConfig(accounts=10, as_of=AS_OF), health=False)
    assert export_table(settings, "accounts").num_rows == 1


def test_small_demo_loads_on_both_stores_and_reads_back(settings):
    from northstar.customer360.service import build_profile, find_account
    from northstar.usage.summary import events_table

    summary, _ = build_demo(
        settings, DemoConfig(accounts=30, seed=2, events_per_account_month=10, as_of=AS_OF), health=False
    )
    assert export_table(settings, "contacts").num_rows == summary.rows["contacts"]
    tickets = export_table(settings, "tickets").to_pylist()
    assert len(tickets) == summary.rows["tickets"] and tickets[0]["opened_at"].tzinfo is not None
    with session_scope(settings.database_url) as s:
        profile = build_profile(s, events_table(EventStore(settings.events_dir)), find_account(s, "ACME-000001"))
        assert profile.account.attributes["employees"] > 0
        assert (profile.mrr > 0) == (profile.account.lifecycle_stage.value != "churned")


def test_metrics_agree_with_what_the_generator_was_told(demo):
    """Every churn the generator decided shows as exactly one churn movement of that account, so the
    logo churn the metrics report is the churn the simulation drew; and the usage metrics see the latent
    facts behind the events (unengaged decision makers never use the product; features not adopted never
    show up)."""
    import ibis

    from northstar.demo.catalog import KEY_FEATURES
    from northstar.metrics.revenue import movements
    from northstar.metrics.service import load_subscriptions, load_tiers, retention_table, usage_table
    from northstar.metrics.usage import feature_usage

    settings, summary, _ = demo
    truth = pd.read_parquet(settings.home / "demo_truth.parquet").set_index("account_id")
    first = date(2024, 11, 1)  # the month before the simulated window: a churn on its 1st lands there
    moves = movements(load_subscriptions(settings), first, AS_OF).execute()
    churns = moves[moves.churn < 0].groupby("account_id").size()
    told = truth.churn_months.map(len)
    assert told.sum() > 50
    assert (churns.reindex(truth.index, fill_value=0) == told).all()

    # The trailing-twelve-month logo churn reported = accounts paying on 31 Oct 2025 and not on 31 Oct 2026
    # / accounts paying on 31 Oct 2025, counted here straight from the terms.
    terms = load_subscriptions(settings).execute()

    def paying(day: date) -> set[int]:
        at = pd.Timestamp(day)
        live = terms[(terms.start_date <= at) & (terms.end_date.isna() | (terms.end_date >= at))]
        mrr = live.groupby("account_id").mrr.sum()
        return set(mrr[mrr > 0].index)

    base = paying(date(2025, 10, 31))
    ttm = retention_table(settings, date(2026, 10, 1), date(2026, 10, 31), "ttm").iloc[0]
    assert len(base) > 100 and ttm.logo_churn == pytest.approx(len(base - paying(date(2026, 10, 31))) / len(base))

    # Response rates: as counted from the exported invitations and answers, and near the generator's odds
    # (a third of contacts answer the relationship NPS, half the onboarding CES; 4 standard errors).
    from northstar.ingest.service import export_table
    from northstar.metrics.service import compute

    last = AS_OF - timedelta(days=1)
    rates = compute(settings, "response-rate", date(2024, 1, 1), last, by=["touchpoint"]).set_index("touchpoint")
    sent = export_table(settings, "invitations").to_pandas()
    answered = export_table(settings, "feedback").to_pandas().set_index("external_id").submitted_at
    for touchpoint, odds in (("relationship", 0.35), ("onboarding", 0.5)):
        mine = sent[sent.touchpoint == touchpoint]
        got = rates.loc[touchpoint]
        assert got.invitations == len(mine) > 200 and got.responses == mine.response.notna().sum()
        assert (answered.reindex(mine.response.dropna()).dt.date <= last).all()
        assert abs(got.response_rate - odds) < 4 * (odds * (1 - odds) / got.invitations) ** 0.5

    usage = usage_table(settings, AS_OF, AS_OF - timedelta(days=1)).set_index("account_id")
    unengaged = truth.index[~truth.dm_engaged]
    seen = usage.reindex(unengaged).decision_makers_active_30d.dropna()
    assert len(seen) > 20 and (seen == 0).all()
    engaged_active = usage.reindex(truth.index[truth.dm_engaged])
    engaged_active = engaged_active[engaged_active.users_30d >= 3]
    assert (engaged_active.decision_makers_active_30d > 0).mean() > 0.5

    con = ibis.duckdb.connect()
    f = feature_usage(load_tiers(settings, con, AS_OF), AS_OF).to_pandas()
    key_users = set(f[f.event.isin(KEY_FEATURES) & (f.events_30d > 0)].account_id)
    never = set(truth.index[truth.key_features_adopted == 0])
    assert never and not (key_users & never)
