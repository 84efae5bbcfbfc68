"""Health measures as of a day, checked by hand on a small company, and free of the future: rows dated on
or after the day change nothing (the risk model's training examples rely on it)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest

from northstar.accounts.models import Account, Contact, ContactRole
from northstar.db.engine import session_scope
from northstar.feedback.models import Feedback, SurveyType
from northstar.health.measures import (
    CATALOGUE,
    MeasureError,
    Rows,
    check_expression,
    evaluate_expressions,
    measure_values,
)
from northstar.health.service import score_accounts
from northstar.revenue.models import Invoice, Subscription, SubscriptionStatus
from northstar.store import rollup_store
from northstar.support.models import Ticket, TicketPriority
from northstar.touchpoints.models import Channel, Touchpoint
from northstar.usage.store import EventStore

AS_OF = date(2026, 6, 1)
T0 = datetime(2026, 6, 1)
_n = iter(range(1, 10_000))


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_n)}"


def build(settings, future: bool = False) -> None:
    """Two accounts; with ``future``, also rows dated on or after AS_OF that must not count."""
    with session_scope(settings.database_url) as s:
        if not future:
            s.add_all([Account(id=1, external_id="A", name="A"), Account(id=2, external_id="B", name="B")])
            s.add(Contact(id=10, account_id=1, external_id="c10", role=ContactRole.DECISION_MAKER))
            s.add(Contact(id=11, account_id=1, external_id="c11", role=ContactRole.DECISION_MAKER))
            s.flush()
        shift = timedelta(days=0) if not future else None
        rows = []
        if not future:
            rows += [
                Ticket(
                    external_id=_id("t"),
                    account_id=1,
                    opened_at=T0 - timedelta(days=10),
                    priority=TicketPriority.URGENT,
                ),
                Ticket(
                    external_id=_id("t"),
                    account_id=1,
                    opened_at=T0 - timedelta(days=20),
                    resolved_at=T0 - timedelta(days=19),  # 24 h
                ),
                Ticket(
                    external_id=_id("t"),
                    account_id=1,
                    opened_at=T0 - timedelta(days=200),
                    resolved_at=T0 + timedelta(days=1),  # still open at the start of the day
                ),
                Feedback(
                    external_id=_id("f"),
                    account_id=1,
                    survey_type=SurveyType.NPS,
                    score=4,
                    submitted_at=T0 - timedelta(days=300),
                ),
                Feedback(
                    external_id=_id("f"),
                    account_id=1,
                    survey_type=SurveyType.NPS,
                    score=9,
                    submitted_at=T0 - timedelta(days=30),
                ),
                Feedback(
                    external_id=_id("f"),
                    account_id=1,
                    survey_type=SurveyType.CSAT,
                    score=3,
                    submitted_at=T0 - timedelta(days=10),
                ),
                Feedback(
                    external_id=_id("f"),
                    account_id=1,
                    survey_type=SurveyType.CSAT,
                    score=5,
                    submitted_at=T0 - timedelta(days=100),
                ),
                Invoice(
                    external_id=_id("i"),
                    account_id=1,
                    amount=100,
                    issued_on=date(2026, 4, 1),
                    due_on=date(2026, 5, 1),
                    failed_attempts=2,
                ),
                Invoice(
                    external_id=_id("i"),
                    account_id=1,
                    amount=100,
                    issued_on=date(2026, 5, 1),
                    due_on=date(2026, 5, 31),
                    paid_at=T0 + timedelta(hours=5),  # paid later that day: overdue at its start
                ),
                Invoice(
                    external_id=_id("i"), account_id=2, amount=50, issued_on=date(2026, 5, 20), due_on=date(2026, 6, 20)
                ),
                Subscription(
                    external_id=_id("s"),
                    account_id=1,
                    product="P",
                    product_line="core",
                    mrr=100,
                    start_date=date(2025, 1, 1),
                    end_date=None,
                    renewal_date=date(2026, 7, 1),
                    status=SubscriptionStatus.ACTIVE,
                ),
                Subscription(
                    external_id=_id("s"),
                    account_id=1,
                    product="Q",
                    product_line="core",
                    mrr=60,
                    start_date=date(2026, 4, 1),
                    end_date=None,
                    status=SubscriptionStatus.ACTIVE,
                ),
                Touchpoint(
                    external_id=_id("p"), account_id=1, channel=Channel.CALL, occurred_at=T0 - timedelta(days=3)
                ),
                Touchpoint(
                    external_id=_id("p"), account_id=1, channel=Channel.EMAIL, occurred_at=T0 - timedelta(days=120)
                ),
                Touchpoint(
                    external_id=_id("p"), account_id=2, channel=Channel.EMAIL, occurred_at=T0 - timedelta(days=200)
                ),
            ]
        else:
            rows += [
                Ticket(external_id=_id("t"), account_id=1, opened_at=T0, priority=TicketPriority.URGENT),
                Ticket(external_id=_id("t"), account_id=2, opened_at=T0 + timedelta(days=3)),
                Feedback(external_id=_id("f"), account_id=1, survey_type=SurveyType.NPS, score=0, submitted_at=T0),
                Feedback(
                    external_id=_id("f"),
                    account_id=2,
                    survey_type=SurveyType.CSAT,
                    score=1,
                    submitted_at=T0 + timedelta(days=1),
                ),
                Invoice(external_id=_id("i"), account_id=2, amount=5, issued_on=AS_OF, due_on=AS_OF, failed_attempts=7),
                Subscription(
                    external_id=_id("s"),
                    account_id=2,
                    product="P",
                    product_line="core",
                    mrr=999,
                    start_date=AS_OF,
                    status=SubscriptionStatus.ACTIVE,
                ),
                Touchpoint(external_id=_id("p"), account_id=2, channel=Channel.MEETING, occurred_at=T0),
            ]
        del shift
        s.add_all(rows)
    days = [T0 - timedelta(days=d) for d in (1, 2, 2, 40)] if not future else [T0, T0 + timedelta(days=2)]
    users = ["c10", "u2", "u2", "u3"] if not future else ["c11", "u9"]
    events = pa.table(
        {
            "event_id": [_id("e") for _ in days],
            "account_id": pa.array([1] * len(days), pa.int64()),
            "contact_id": pa.array([10 if u == "c10" else 11 if u == "c11" else None for u in users], pa.int64()),
            "user_id": users,
            "event": ["login"] * len(days),
            "timestamp": pa.array(days, pa.timestamp("us")),
            "properties": pa.nulls(len(days), pa.string()),
        }
    )
    EventStore(settings.events_dir).write_arrow(events)
    rollup_store(settings).refresh()


def test_each_measure_by_hand(settings):
    build(settings)
    v = measure_values(settings, AS_OF, list(CATALOGUE))
    a = v.loc[1]
    assert a["support.open_tickets"] == 2  # the urgent one, and the one resolved only later that day
    assert (a["support.tickets_90d"], a["support.urgent_90d"], a["support.resolution_hours_90d"]) == (2, 1, 24)
    assert a["feedback.nps_last"] == 9 and a["feedback.csat_180d"] == 4 and a["feedback.detractors_365d"] == 1
    assert a["billing.overdue_invoices"] == 2 and a["billing.failed_payments_90d"] == 2
    assert a["revenue.mrr"] == 160 and a["revenue.mrr_change_90d"] == pytest.approx(160 / 100 - 1)
    assert a["revenue.days_to_renewal"] == 30
    assert a["relationship.days_since_touch"] == 3 and a["relationship.touches_90d"] == 1
    assert a["relationship.decision_makers"] == 2 and a["relationship.dm_active_30d"] == 0.5
    assert a["relationship.dm_active_90d"] == 0.5 and a["usage.features_60d"] == 1  # only logins
    assert (a["usage.events_30d"], a["usage.users_30d"], a["usage.active_days_30d"], a["usage.days_since_active"]) == (
        3,
        2,
        2,
        1,
    )
    b = v.loc[2]
    assert b["billing.overdue_invoices"] == 0 and b["revenue.mrr"] == 0
    assert b["relationship.days_since_touch"] == 200 and b["relationship.touches_90d"] == 0


def test_rows_on_or_after_the_day_change_nothing(settings):
    """The leakage test, for usage from the stored windows (scoring) and straight from the tiers (training)."""
    build(settings)
    before = measure_values(settings, AS_OF, list(CATALOGUE))
    assert measure_values(settings, AS_OF, list(CATALOGUE), Rows(settings, windows=False)).equals(before)
    # rows bounded to what can count from a day on give the same values, for that day and later ones
    for first in (AS_OF, AS_OF - timedelta(days=200)):
        bounded = measure_values(settings, AS_OF, list(CATALOGUE), Rows(settings, first_day=first))
        assert bounded.equals(before), bounded.compare(before)
    # one day's measures aggregated in the database (scoring) equal those computed from the rows in memory
    for day in (AS_OF, AS_OF - timedelta(days=1), AS_OF - timedelta(days=40), AS_OF + timedelta(days=3)):
        in_memory = measure_values(settings, day, list(CATALOGUE), Rows(settings, windows=False))
        in_database = measure_values(settings, day, list(CATALOGUE), Rows(settings, windows=False, day=day))
        pd.testing.assert_frame_equal(in_database, in_memory)
    assert measure_values(settings, AS_OF, list(CATALOGUE), Rows(settings, day=AS_OF)).equals(before)
    build(settings, future=True)
    for windows in (True, False):
        after = measure_values(settings, AS_OF, list(CATALOGUE), Rows(settings, windows=windows))
        assert after.equals(before), after.compare(before)
    later = measure_values(settings, AS_OF + timedelta(days=5), list(CATALOGUE))
    assert not later.equals(before)  # the same rows do count once their day has passed


def test_expressions_are_checked_and_evaluated(lite):
    sql = check_expression("usage.events_30d / greatest(usage.users_30d, 1)")
    assert '"usage.events_30d"' in sql
    with pytest.raises(MeasureError, match="unknown measure usage.nope"):
        check_expression("usage.nope + 1")
    with pytest.raises(MeasureError, match="not allowed"):
        check_expression("read_csv('/etc/passwd')")
    with pytest.raises(MeasureError, match="not allowed"):
        check_expression("(SELECT 1)")
    import pandas as pd

    values = pd.DataFrame({"usage.events_30d": [10.0, 0.0], "usage.users_30d": [4.0, 0.0]}, index=[7, 8])
    out = evaluate_expressions({"epu": "usage.events_30d / greatest(usage.users_30d, 1)"}, values)
    assert list(out["epu"]) == [2.5, 0.0]


def test_accounts_are_scored_with_the_default_scorecard(lite):
    build(lite)
    result = score_accounts(lite, AS_OF)
    assert set(result.scores.index) == {1, 2}
    assert result.scores["final_band"].notna().all()
    parts = result.parts.groupby("account_id")["contribution"].sum()
    assert parts.to_numpy() == pytest.approx(result.scores["score"].to_numpy())
