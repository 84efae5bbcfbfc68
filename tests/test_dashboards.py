"""The dashboards: every figure equals the metrics catalogue's (or a count made here from the raw terms), the
accounts behind each mark are the right ones, filters scope every chart, the cache is used until the data
changes, and the pages respect roles and the owner limit."""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import date, timedelta

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from northstar.accounts.models import Account
from northstar.config import Settings
from northstar.dashboards import cache
from northstar.dashboards.service import DashboardFilters, accounts_behind, build, last_month_end
from northstar.db.engine import reset_engines, session_scope
from northstar.ingest.crud import save_record
from northstar.ingest.spec import KINDS
from northstar.metrics.service import compute
from northstar.portfolio.models import AccountSummary
from northstar.revenue.models import Subscription
from northstar.web.app import create_app

AS_OF = date(2026, 11, 1)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def site(demo_site):
    yield demo_site("dash", 11)
    reset_engines()


@pytest.fixture(scope="module")
def board(site):
    return build(site[0], AS_OF)


def _mrr_at(terms: list[tuple[int, float, date, date | None]], day: date) -> dict[int, float]:
    out: dict[int, float] = {}
    for account, mrr, start, end in terms:
        if start <= day and (end is None or end >= day):
            out[account] = out.get(account, 0.0) + mrr
    return out


def test_figures_equal_the_metrics_catalogue(site, board):
    settings = site[0]
    last = last_month_end(AS_OF)
    assert last == date(2026, 10, 31)
    moves = compute(settings, "mrr-movements", date(2025, 11, 1), last)
    pd.testing.assert_frame_equal(board.movements.reset_index(drop=True), moves, check_dtype=False)
    assert len(board.movements) == 12
    quarters = compute(settings, "retention", date(2024, 10, 1), last, "quarter")
    assert len(board.retention) == 8 and list(board.retention["period_end"]) == list(quarters["period_end"])
    for col in ("nrr", "grr", "logo_churn", "accounts"):
        assert board.retention[col].tolist() == pytest.approx(quarters[col].tolist())
    nps = compute(settings, "nps", date(2025, 11, 1), last)
    assert board.feedback["nps"].dropna().tolist() == pytest.approx(nps["nps"].tolist())


def test_the_accounts_behind_each_mark(site, board):
    """Counted here from the raw terms: who paid at each quarter's start and not at its end."""
    settings = site[0]
    with session_scope(settings.database_url) as db:
        terms = [
            (a, float(m), s, e)
            for a, m, s, e in db.execute(
                select(Subscription.account_id, Subscription.mrr, Subscription.start_date, Subscription.end_date)
            )
        ]
        rates = {r.account_id: r for r in db.scalars(select(AccountSummary))}
    for row in board.retention.itertuples():
        before, after = _mrr_at(terms, row.period_start), _mrr_at(terms, row.period_end)
        gone = {a for a, m in before.items() if m > 0 and after.get(a, 0.0) <= 0}
        key = row.period_end.strftime("%Y-%m")
        assert accounts_behind(board, "churn", key) == gone
        assert len(gone) == round(row.logo_churn * row.accounts)
    # movements: the kind over the year is the union of its months
    churned = accounts_behind(board, "movement", "churn")
    by_month = set().union(*(accounts_behind(board, "movement", f"churn:{m:%Y-%m}") for m in board.movements["month"]))
    assert churned == by_month and churned
    # health bands and renewals from the portfolio rows
    for band in board.bands["health_band"]:
        want = {a for a, r in rates.items() if r.health_band == band and r.arr > 0}
        assert accounts_behind(board, "band", band) == want
    soon = {
        a
        for a, r in rates.items()
        if r.renewal_date and AS_OF <= r.renewal_date <= AS_OF + timedelta(days=90) and r.arr > 0
    }
    assert accounts_behind(board, "renewal", "90d") == soon
    assert len(board.renewals) == len(soon)
    assert (board.renewals["at_risk_arr"] == board.renewals["arr"] * board.renewals["risk"].fillna(0)).all()
    with pytest.raises(KeyError):
        accounts_behind(board, "nonsense", "x")


def test_filters_scope_every_chart(site, board):
    settings = site[0]
    with session_scope(settings.database_url) as db:
        segment = db.scalar(select(Account.segment).where(Account.segment.is_not(None)).limit(1))
        inside = set(db.scalars(select(Account.id).where(Account.segment == segment)))
    part = build(settings, AS_OF, DashboardFilters(segment=segment))
    assert set(part.members["account_id"]) <= inside
    assert len(part.members) < len(board.members)
    moves = compute(settings, "mrr-movements", date(2025, 11, 1), date(2026, 10, 31), scope=part.filters.scope())
    pd.testing.assert_frame_equal(part.movements.reset_index(drop=True), moves, check_dtype=False)
    assert part.bands["accounts"].sum() < board.bands["accounts"].sum()


def test_the_cache_serves_until_the_data_changes(site, monkeypatch):
    settings = site[0]
    built = []
    real = cache.build

    def counting(*args, **kwargs):
        built.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(cache, "build", counting)
    cache._memory.clear()
    shutil.rmtree(settings.cache_dir, ignore_errors=True)
    first = cache.dashboard(settings, AS_OF)
    assert len(built) == 1
    assert cache.dashboard(settings, AS_OF) is first  # from memory
    cache._memory.clear()
    again = cache.dashboard(settings, AS_OF)  # from disk, as another worker process reads it
    assert len(built) == 1 and again.computed_at == first.computed_at
    other = cache.dashboard(settings, AS_OF - timedelta(days=1))  # another day is another entry
    assert len(built) == 2 and other.as_of != first.as_of
    with session_scope(settings.database_url) as db:  # new data arrives
        save_record(db, KINDS["accounts"], "NEW-1", {"name": "Newcomer"})
    fresh = cache.dashboard(settings, AS_OF)
    assert len(built) == 3 and fresh.computed_at > first.computed_at


def signed_in(settings: Settings, email: str) -> TestClient:
    client = TestClient(create_app(dataclasses.replace(settings, intake_worker=False)))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token})
    return client


def test_pages_links_and_roles(site, board):
    settings, csm, owner = site
    assert TestClient(create_app(settings)).get("/dashboards", follow_redirects=False).status_code == 303
    viewer = signed_in(settings, "viewer@example.com")
    page = viewer.get("/dashboards")
    assert page.status_code == 200
    for title in ("Net and gross revenue retention", "MRR movements", "Renewals in the next 90 days", "Cohort"):
        assert title in page.text
    links = set(re.findall(r'href="(/accounts\?[^"]+)"', page.text))
    assert any("chart=movement" in u for u in links) and any("chart=band" in u for u in links)
    red = [u for u in links if u.replace("&amp;", "&") == "/accounts?chart=band&key=red"]
    assert red
    listed = viewer.get(red[0].replace("&amp;", "&"))
    n = int(re.search(r"Accounts <small>([\d,]+)</small>", listed.text).group(1).replace(",", ""))
    assert n == len(accounts_behind(board, "band", "red")) and "Behind the dashboard" in listed.text
    assert "Accounts <small>0</small>" in viewer.get("/accounts?chart=nonsense&key=x").text


def test_a_csm_limited_to_its_accounts_sees_only_them(site, monkeypatch):
    settings, csm, owner = site
    limited = dataclasses.replace(settings, csm_own_accounts_only=True)
    client = signed_in(limited, csm)
    page = client.get("/dashboards?owner=someone-else@example.com")
    assert page.status_code == 200 and 'id="f-owner" name="owner" disabled' in page.text
    with session_scope(settings.database_url) as db:
        mine = set(db.scalars(select(Account.id).where(Account.owner_id == owner)))
    board = cache.dashboard(settings, date.today(), DashboardFilters(owner=csm))
    assert set(board.members["account_id"]) <= mine
    ids = {int(i) for i in re.findall(r'href="/accounts/(\d+)"', client.get("/accounts?chart=band&key=green").text)}
    assert ids <= mine
