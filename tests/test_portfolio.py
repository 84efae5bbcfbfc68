"""The portfolio: refreshed figures (MRR, renewal, health, risk, last touch) checked against the sources, and
the list's filters, sorting, CSV export and owner limit through the web."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from northstar.accounts.models import Account
from northstar.db.engine import reset_engines, session_scope
from northstar.health.history import SnapshotStore
from northstar.health.models import HealthDaily, HealthOverride
from northstar.portfolio.models import AccountSummary
from northstar.revenue.models import Subscription
from northstar.savedviews.models import SavedView
from northstar.touchpoints.models import Touchpoint
from northstar.web.app import create_app

AS_OF = date(2026, 11, 1)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def site(demo_site):
    yield demo_site("portfolio", 8)
    reset_engines()


def sign_in(settings, email):
    client = TestClient(create_app(settings))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token})
    return client


def test_refreshed_figures_match_their_sources(site):
    settings, _, _ = site
    store = SnapshotStore(settings.home / "health")
    health, risk = store.trends(AS_OF), store.risk(AS_OF)
    with session_scope(settings.database_url) as db:
        rows = {s.account_id: s for s in db.scalars(select(AccountSummary))}
        assert len(rows) == 300 and {s.as_of for s in rows.values()} == {AS_OF}
        day = AS_OF - timedelta(days=1)
        live = db.execute(
            select(Subscription.account_id, func.sum(Subscription.mrr))
            .where(Subscription.start_date <= day)
            .where((Subscription.end_date.is_(None)) | (Subscription.end_date >= day))
            .group_by(Subscription.account_id)
        ).all()
        mrr = {a: float(m) for a, m in live}
        last = dict(
            db.execute(
                select(Touchpoint.account_id, func.max(Touchpoint.occurred_at)).group_by(Touchpoint.account_id)
            ).all()
        )
        renew = dict(
            db.execute(
                select(Subscription.account_id, func.min(Subscription.renewal_date))
                .where(Subscription.renewal_date >= AS_OF)
                .group_by(Subscription.account_id)
            ).all()
        )
    for account_id, s in rows.items():
        assert s.mrr == pytest.approx(mrr.get(account_id, 0.0)) and s.arr == pytest.approx(12 * s.mrr)
        assert s.renewal_date == renew.get(account_id)
        assert s.last_touch_at == last.get(account_id)  # both read back as UTC
        assert s.health_score == pytest.approx(health.at[account_id, "final_score"])
        assert s.health_band == health.at[account_id, "final_band"]
        if account_id in risk.index:
            assert s.risk == pytest.approx(risk.at[account_id, "risk"])
        else:
            assert s.risk is None
    changes = [s.health_change_30d for s in rows.values() if s.health_change_30d is not None]
    assert len(changes) > 250  # the demo keeps a snapshot 30 days before


def test_filter_sort_and_export(site):
    settings, _, _ = site
    client = sign_in(settings, "viewer@example.com")
    riskiest = client.get("/accounts", params={"sort": "risk", "desc": "true"}).text
    shown = [float(x) for x in re.findall(r'<td class="num"><span title="[^"]*">(\d+)%</span>', riskiest)]
    assert len(shown) == 50 and shown == sorted(shown, reverse=True)
    red = client.get("/accounts", params={"band": "red"}).text
    n_red = int(re.search(r"Accounts <small>([\d,]+)</small>", red).group(1).replace(",", ""))
    with session_scope(settings.database_url) as db:
        assert n_red == db.scalar(
            select(func.count()).select_from(AccountSummary).where(AccountSummary.health_band == "red")
        )
        high = db.scalar(select(func.count()).select_from(AccountSummary).where(AccountSummary.risk >= 0.2))
        soon = db.scalar(
            select(func.count())
            .select_from(AccountSummary)
            .where(
                AccountSummary.renewal_date >= date.today(),
                AccountSummary.renewal_date <= date.today() + timedelta(days=90),
            )
        )
    assert f"Accounts <small>{high}</small>" in client.get("/accounts", params={"min_risk": "0.2"}).text
    assert f"Accounts <small>{soon}</small>" in client.get("/accounts", params={"renewal": "90"}).text
    assert client.get("/accounts.csv").status_code == 403  # a viewer does not export


def test_csv_export_follows_filters_and_the_owner_limit(site):
    settings, email, owner = site
    client = sign_in(settings, email)
    r = client.get("/accounts.csv", params={"band": "red", "sort": "risk", "desc": "true"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {row["band"] for row in rows} == {"red"}
    risks = [float(row["risk"]) for row in rows if row["risk"]]
    assert risks == sorted(risks, reverse=True)
    limited = sign_in(dataclasses.replace(settings, csm_own_accounts_only=True), email)
    mine = list(csv.DictReader(io.StringIO(limited.get("/accounts.csv").text)))
    with session_scope(settings.database_url) as db:
        owned = set(db.scalars(select(Account.external_id).where(Account.owner_id == owner)))
    assert {row["external_id"] for row in mine} == owned


def test_the_account_page_shows_health_risk_and_drivers(site):
    settings, _, _ = site
    client = sign_in(settings, "viewer@example.com")
    with session_scope(settings.database_url) as db:
        s = db.scalar(
            select(AccountSummary).where(AccountSummary.risk.is_not(None)).order_by(AccountSummary.risk.desc())
        )
        ref = db.get(Account, s.account_id).external_id
        expected_band, expected_risk = s.health_band, f"{s.risk * 100:.0f}%"
    page = client.get(f"/accounts/{ref}").text
    health = re.search(r'data-testid="health">(.*?)</dd>', page, re.S).group(1)
    assert expected_band in health
    assert re.search(r'data-testid="risk">([^<]*)</dd>', page).group(1) == expected_risk
    drivers = re.findall(r'data-feature="([^"]+)">([^<]+)</span>', page)
    want = SnapshotStore(settings.home / "health").risk(AS_OF).loc[s.account_id]
    assert [f for f, _ in drivers] == [want[f"driver_{i}"] for i in (1, 2, 3) if isinstance(want[f"driver_{i}"], str)]
    assert all(
        label.split(": ")[0] in ("Usage", "Feedback", "Support", "Billing", "Revenue", "Relationship", "Segment")
        for _, label in drivers
    )


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def _form_key(page: str, action: str) -> str:
    form = page[page.index(f'action="{action}"') :]
    return re.search(r'name="form_key" value="([^"]+)"', form).group(1)


def test_health_override_from_the_account_page(site):
    settings, email, owner = site
    with session_scope(settings.database_url) as db:
        account = db.scalar(select(Account).where(Account.owner_id == owner).order_by(Account.id))
        ref, account_id = account.external_id, account.id
        before = db.get(AccountSummary, account_id).health_band
    band = "red" if before != "red" else "green"
    viewer = sign_in(settings, "viewer@example.com")
    page = viewer.get(f"/accounts/{ref}").text
    assert "Override the health" not in page  # a viewer may not
    form = {"band": band, "reason": "sponsor left", "expires_on": (date.today() + timedelta(days=30)).isoformat()}
    r = viewer.post(f"/accounts/{ref}/health-override", data={**form, "csrf": _csrf(page)}, follow_redirects=False)
    assert r.status_code == 403
    csm = sign_in(settings, email)
    page = csm.get(f"/accounts/{ref}").text
    assert "Override the health" in page
    assert csm.post(f"/accounts/{ref}/health-override", data=form, follow_redirects=False).status_code == 403  # no CSRF
    sent = {**form, "csrf": _csrf(page), "form_key": _form_key(page, f"/accounts/{ref}/health-override")}
    for _ in range(2):  # the same form twice (a double click, a retried request): one override
        r = csm.post(f"/accounts/{ref}/health-override", data=sent, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/accounts/{ref}#health"
    past = {**sent, "form_key": "another", "expires_on": (date.today() - timedelta(days=1)).isoformat()}
    assert csm.post(f"/accounts/{ref}/health-override", data=past).status_code == 422
    with session_scope(settings.database_url) as db:
        overrides = db.scalars(select(HealthOverride).where(HealthOverride.account_id == account_id)).all()
        assert len(overrides) == 1 and overrides[0].reason == "sponsor left" and overrides[0].band == band
        assert db.get(AccountSummary, account_id).health_band == band  # the list shows it at once
    shown = csm.get(f"/accounts/{ref}").text
    assert re.search(r'data-testid="override">Overridden to <span class="band band-\w+">' + band, shown)


def test_health_history_and_timeline_filters(site):
    settings, _, _ = site
    store = SnapshotStore(settings.home / "health")
    with session_scope(settings.database_url) as db:
        rows = db.execute(select(HealthDaily.account_id, HealthDaily.day, HealthDaily.score)).all()
        ref = db.scalar(select(Account.external_id).order_by(Account.id).limit(1))
    assert {d for _, d, _ in rows} == set(store.days()) and len(rows) == 300 * len(store.days())
    for account_id, day, score in rows[:50]:
        assert score == pytest.approx(store.scores(day).at[account_id, "final_score"])
    client = sign_in(settings, "viewer@example.com")
    page = client.get(f"/accounts/{ref}").text
    assert 'aria-label="Health score by snapshot day"' in page
    everything = re.findall(r'<li class="tl-(\w+)">', page)
    assert len(set(everything)) >= 3
    only = re.findall(r'<li class="tl-(\w+)">', client.get(f"/accounts/{ref}?show=touchpoint").text)
    assert only and set(only) == {"touchpoint"}
    two = set(re.findall(r'<li class="tl-(\w+)">', client.get(f"/accounts/{ref}?show=touchpoint,ticket").text))
    assert two <= {"touchpoint", "ticket_opened", "ticket_resolved"} and len(two) >= 2


def test_saved_views(site):
    settings, email, _ = site
    client = sign_in(settings, email)
    page = client.get("/accounts?band=red&sort=risk&desc=true").text
    data = {"page": "accounts", "name": "Red, riskiest", "query": "band=red&sort=risk&desc=true&evil=1&page=3"}
    r = client.post("/views", data={**data, "csrf": _csrf(page)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/accounts?band=red&sort=risk&desc=true"
    again = {**data, "query": "band=red", "csrf": _csrf(page)}
    client.post("/views", data=again, follow_redirects=False)  # the same name again replaces it
    with session_scope(settings.database_url) as db:
        views = db.scalars(select(SavedView)).all()
        assert len(views) == 1 and views[0].query == "band=red"
        view_id = views[0].id
    listed = client.get("/accounts").text
    assert '<a href="/accounts?band=red">Red, riskiest</a>' in listed
    other = sign_in(settings, "viewer@example.com")  # another user neither sees nor removes it
    assert "Red, riskiest" not in other.get("/accounts").text
    other.post(f"/views/{view_id}/delete", data={"csrf": _csrf(other.get("/accounts").text), "page": "accounts"})
    with session_scope(settings.database_url) as db:
        assert db.get(SavedView, view_id) is not None
    client.post(f"/views/{view_id}/delete", data={"csrf": _csrf(listed), "page": "accounts"})
    with session_scope(settings.database_url) as db:
        assert db.get(SavedView, view_id) is None
    dash = client.get("/dashboards").text
    r = client.post(
        "/views",
        data={"page": "dashboards", "name": "Mine", "query": "owner=x@example.com&chart=1", "csrf": _csrf(dash)},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/dashboards?owner=x%40example.com"
    assert client.post("/views", data={"page": "nope", "name": "x", "csrf": _csrf(dash)}).status_code == 422


def test_new_accounts_are_listed_at_once_and_search_is_literal(site):
    settings, _, _ = site
    with session_scope(settings.database_url) as db:
        db.add(Account(external_id="FRESH-1", name="Fresh 100% Co"))
    client = sign_in(settings, "viewer@example.com")
    found = client.get("/accounts", params={"q": "100%"}).text
    assert "FRESH-1" in found and "Accounts <small>1</small>" in found
    assert "Accounts <small>1</small>" in client.get("/accounts", params={"q": "fresh 100"}).text  # any case
    assert "No account matches" in client.get("/accounts", params={"q": "Fresh_100"}).text  # _ is not a wildcard
    with session_scope(settings.database_url) as db:
        assert db.scalar(select(func.count()).select_from(AccountSummary)) == db.scalar(
            select(func.count()).select_from(Account)
        )
