"""Customer 360 assembly on a small hand-made account whose every figure can be checked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from northstar.customer360.service import AccountNotFound, build_profile, find_account
from northstar.db.engine import session_scope
from northstar.ingest.service import import_file
from northstar.revenue.service import mrr_history, mrr_on
from northstar.store import event_store
from northstar.usage.summary import events_table

AS_OF = datetime(2026, 2, 15, tzinfo=UTC)

FILES = {
    "accounts": "external_id,name,parent,segment\nP,Parent Co,,Enterprise\nK,Kid Co,P,Enterprise\n",
    "contacts": "external_id,account,name,role,language\nu1,K,Dana Decider,decision_maker,it\nu2,K,Uma User,user,en\n",
    "subscriptions": (
        "external_id,account,product,product_line,mrr,start_date,end_date,renewal_date,status\n"
        "S1,K,Core,Analytics,100,2025-01-01,2025-06-30,,expired\n"
        "S2,K,Core,Analytics,150,2025-07-01,,2026-07-01,active\n"
        "S3,K,Flow,Automation,50,2025-10-15,2025-12-31,,canceled\n"
    ),
    "tickets": (
        "external_id,account,subject,opened_at,resolved_at,status,priority\n"
        "T1,K,Export fails,2026-01-10T09:00:00Z,2026-01-12T09:00:00Z,closed,high\n"
        "T2,K,SSO broken,2026-02-01T09:00:00Z,,open,urgent\n"
    ),
    "feedback": (
        "external_id,account,contact,survey_type,score,comment,submitted_at\n"
        "F1,K,u1,nps,9,Ottimo prodotto,2026-01-20T12:00:00Z\n"
        "F2,K,u2,csat,4,,2026-01-12T10:00:00Z\n"
    ),
    "touchpoints": (
        "external_id,account,channel,kind,occurred_at,subject\nTP1,K,call,check_in,2026-02-03T15:00:00Z,Check-in\n"
    ),
    "events": (
        "event_id,account,user_id,event,timestamp\n"
        "e1,K,u1,login,2026-01-20T08:00:00Z\ne2,K,u2,login,2026-01-20T09:00:00Z\n"
        "e3,K,u2,build_dashboard,2026-01-20T10:00:00Z\ne4,K,u1,login,2026-02-10T08:00:00Z\n"
        "e5,K,u1,run_report,2026-02-10T08:30:00Z\ne6,K,u1,login,2025-12-20T08:00:00Z\n"
        "e7,K,u1,login,2026-02-16T08:00:00Z\n"
    ),
}


@pytest.fixture
def kid(settings, tmp_path: Path):
    for kind, text in FILES.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        import_file(settings, kind, path)
    with session_scope(settings.database_url) as s:
        account = find_account(s, "K")
        yield build_profile(s, events_table(event_store(settings)), account, as_of=AS_OF)


def test_header_revenue_and_hierarchy(kid):
    assert kid.mrr == 150.0 and kid.arr == 1800.0  # S2 only on 15 Feb 2026
    assert kid.renewal_date == date(2026, 7, 1)
    assert kid.product_lines == ["Analytics"]
    assert kid.parent.external_id == "P"
    assert [c.name for c in kid.contacts] == ["Dana Decider", "Uma User"]  # decision maker first
    assert [c.name for c in kid.decision_makers] == ["Dana Decider"]
    history = dict(kid.mrr_history)
    assert history[date(2025, 6, 30)] == 100.0
    assert history[date(2025, 7, 31)] == 150.0
    assert history[date(2025, 10, 31)] == 200.0  # S3 started 15 Oct
    assert history[date(2025, 12, 31)] == 200.0  # end date is inclusive
    assert history[date(2026, 1, 31)] == 150.0
    assert len(kid.mrr_history) == 24 and kid.mrr_history[0][0] == date(2024, 3, 31)


def test_usage_windows(kid):
    u = kid.usage
    assert u.events_30d == 5  # 16 Jan - 14 Feb: e1-e5 (e7 is after as_of)
    assert u.events_prev_30d == 1  # e6
    assert u.trend == pytest.approx(4.0)
    assert (u.active_users_30d, u.active_days_30d) == (2, 2)
    assert u.last_activity == datetime(2026, 2, 10, 8, 30)
    assert u.top_events == [("login", 3), ("build_dashboard", 1), ("run_report", 1)]


def test_support_feedback_and_timeline(kid):
    assert [t.external_id for t in kid.open_tickets] == ["T2"]
    assert kid.tickets_90d == 2 and kid.nps_last == 9
    titles = [(i.at.date().isoformat(), i.kind) for i in kid.timeline]
    assert titles[:6] == [
        ("2026-02-03", "touchpoint"),
        ("2026-02-01", "ticket_opened"),
        ("2026-01-20", "feedback"),
        ("2026-01-12", "feedback"),
        ("2026-01-12", "ticket_resolved"),
        ("2026-01-10", "ticket_opened"),
    ]
    assert next(i for i in kid.timeline if i.kind == "feedback").detail == "Ottimo prodotto"


def test_find_account_by_any_reference(settings, kid):
    with session_scope(settings.database_url) as s:
        assert find_account(s, "kid co").external_id == "K"
        assert find_account(s, str(kid.account.id)).external_id == "K"
        with pytest.raises(AccountNotFound):
            find_account(s, "nobody")


def test_mrr_on_matches_a_day_by_day_count():
    class T:
        def __init__(self, s, e, m):
            self.start_date, self.end_date, self.mrr = s, e, m

    terms = [T(date(2025, 1, 31), date(2025, 2, 28), 10.0), T(date(2025, 2, 28), None, 5.0)]
    assert mrr_on(terms, date(2025, 1, 30)) == 0
    assert mrr_on(terms, date(2025, 2, 28)) == 15.0
    assert mrr_on(terms, date(2025, 3, 1)) == 5.0
    assert [d for d, _ in mrr_history(terms, date(2025, 3, 10), months=3)] == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
    ]


def test_the_page_reads_usage_from_the_rollups_with_the_same_figures(settings, kid):
    """The web page reads usage from the daily rollups: for a day boundary the counts equal the raw events'
    (checked by hand above), and the last activity is the day of the last event."""
    from northstar.store import rollup_store
    from northstar.usage.summary import account_usage_from_rollups

    rollups = rollup_store(settings)
    rollups.refresh()
    got = account_usage_from_rollups(rollups, kid.account.id, AS_OF)
    want = kid.usage
    for field in ("events_30d", "events_prev_30d", "active_users_30d", "active_days_30d", "top_events", "weekly"):
        assert getattr(got, field) == getattr(want, field), field
    assert got.last_activity == datetime(2026, 2, 10)
    with session_scope(settings.database_url) as s:  # the page itself, from the rollups
        page = build_profile(s, rollups, find_account(s, "K"), as_of=AS_OF)
    assert page.usage.events_30d == 5 and [c.kind for c in page.timeline] == [c.kind for c in kid.timeline]
    # each contact's last day in the product, the same from the raw events and from the rollups
    by_name = {c.name: c for c in page.contacts}
    for profile in (kid, page):
        assert profile.last_activity(by_name["Dana Decider"]) == date(2026, 2, 10)  # e7 (16 Feb) is after as_of
        assert profile.last_activity(by_name["Uma User"]) == date(2026, 1, 20)
