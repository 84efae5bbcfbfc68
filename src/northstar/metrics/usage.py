"""Usage metrics per account over trailing windows, from the daily usage tiers (``northstar.usage.rollup``).

All windows end at ``as_of`` (exclusive) and count whole UTC days: the last 30 days are
``as_of - 30 <= day < as_of``; "previous 30" the 30 days before those.

* **Active users** in a window: distinct users with at least one event in it. MAU = active users over 30
  days, WAU over 7; **DAU** = the mean over the 30 days of each day's distinct users (user-days / 30).
  **Stickiness** = DAU / MAU (1.0 when every monthly user comes every day).
* **Active days**: distinct days with any event.
* **Adoption breadth**: distinct features (event names) used in the last 30 days, and that number over
  the features anyone used in the window (the product's catalogue as it shows in the data). **Depth**
  per feature: its events per active user of the account in the last 30 days (``feature_usage``).
* **Days since last activity**: ``as_of`` minus the last day with an event.
* **Trend**: ``x_30d / x_prev_30d - 1`` (null when the previous window had none).
* **Decision-maker activity**: of the account's contacts with the decision-maker role, the share active
  in the last 30 days.

Formulation: every figure is a filtered count or sum grouped by account alone. Distinct users in a window
``[a, b)`` are the user-day rows in it whose ``prev_day`` (the user's previous active day) is before ``a``:
one row per active user, so no per-user grouping and no ``COUNT(DISTINCT ...)``. Portable Ibis: the tests
run it on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from northstar.usage.rollup import Tiers

USAGE_COLUMNS = (
    "account_id",
    "events_30d",
    "events_prev_30d",
    "events_90d",
    "users_1d",
    "users_7d",
    "users_30d",
    "users_prev_30d",
    "users_90d",
    "dau_30d",
    "stickiness",
    "active_days_30d",
    "active_days_prev_30d",
    "active_days_90d",
    "features_30d",
    "features_60d",
    "breadth_30d",
    "last_active",
    "days_since_active",
    "events_trend",
    "users_trend",
    "active_days_trend",
)


def _bounds(as_of: date) -> dict[str, date]:
    return {k: as_of - timedelta(days=n) for k, n in (("d1", 1), ("d7", 7), ("d30", 30), ("d60", 60), ("d90", 90))}


def _within(t: ir.Table, start: date, end: date) -> ir.BooleanValue:
    return (t.day >= start) & (t.day < end)


def first_in_window(ud: ir.Table, start: date, end: date) -> ir.BooleanValue:
    """True on each known user's first active day in ``[start, end)``: counting these counts distinct users."""
    return _within(ud, start, end) & ud.user_id.notnull() & (ud.prev_day.isnull() | (ud.prev_day < start))


def _trend(now: ir.NumericValue, before: ir.NumericValue) -> ir.FloatingValue:
    return ibis.ifelse(before > 0, now.cast("float64") / before.cast("float64") - 1.0, ibis.null("float64"))


def feature_counts(tiers: Tiers, as_of: date) -> ir.Table:
    """Per (account, feature) used in the 60 days before ``as_of``: events in the last 30 and the 30 before.
    Both ``usage_features`` (breadth) and ``feature_usage`` start from it; pass it materialized to share it."""
    b = _bounds(as_of)
    fd = tiers.feature_day.filter(_within(tiers.feature_day, b["d60"], as_of))
    recent = fd.day >= b["d30"]
    return fd.group_by(["account_id", "event"]).aggregate(
        events_30d=fd.events.sum(where=recent).fill_null(0), events_prev_30d=fd.events.sum(where=~recent).fill_null(0)
    )


def account_sums(tiers: Tiers, as_of: date) -> ir.Table:
    """Per account active in the 90 days before ``as_of``: events and active days over the last 30, the 30
    before and the last 90 days, and user-days (a user active on a day) over the last 30."""
    b = _bounds(as_of)
    ad = tiers.account_day.filter(_within(tiers.account_day, b["d90"], as_of))
    recent, before = _within(ad, b["d30"], as_of), _within(ad, b["d60"], b["d30"])
    return ad.group_by("account_id").aggregate(
        events_30d=ad.events.sum(where=recent),
        events_prev_30d=ad.events.sum(where=before),
        events_90d=ad.events.sum(),
        active_days_30d=ad.count(where=recent),
        active_days_prev_30d=ad.count(where=before),
        active_days_90d=ad.count(),
        user_days_30d=ad.users.sum(where=recent),
    )


def usage_features(tiers: Tiers, as_of: date, features: ir.Table | None = None) -> ir.Table:
    """One row per account with any activity before ``as_of`` in ``tiers``: the columns of ``USAGE_COLUMNS``.
    ``features``: ``feature_counts(tiers, as_of)`` if already computed."""
    b = _bounds(as_of)
    ud = tiers.user_day.filter(_within(tiers.user_day, b["d90"], as_of))
    users = ud.group_by("account_id").aggregate(
        users_1d=ud.count(where=first_in_window(ud, b["d1"], as_of)),
        users_7d=ud.count(where=first_in_window(ud, b["d7"], as_of)),
        users_30d=ud.count(where=first_in_window(ud, b["d30"], as_of)),
        users_prev_30d=ud.count(where=first_in_window(ud, b["d60"], b["d30"])),
        users_90d=ud.count(where=first_in_window(ud, b["d90"], as_of)),
    )
    days = account_sums(tiers, as_of)
    f = features if features is not None else feature_counts(tiers, as_of)
    used = f.filter(f.events_30d > 0)
    breadth = f.group_by("account_id").aggregate(features_30d=f.count(where=f.events_30d > 0), features_60d=f.count())
    t = tiers.last_active.left_join(days, "account_id").left_join(users, "account_id").left_join(breadth, "account_id")
    return finish_usage(t, used.event.nunique().as_scalar(), ibis.literal(as_of))


#: The per-account counts ``finish_usage`` turns into ``USAGE_COLUMNS``.
COUNTS = (
    "events_30d",
    "events_prev_30d",
    "events_90d",
    "users_1d",
    "users_7d",
    "users_30d",
    "users_prev_30d",
    "users_90d",
    "user_days_30d",
    "active_days_30d",
    "active_days_prev_30d",
    "active_days_90d",
    "features_30d",
    "features_60d",
)


def finish_usage(t: ir.Table, catalogue: ir.IntegerValue, as_of: ir.DateValue) -> ir.Table:
    """``USAGE_COLUMNS`` from one row per account with ``last_active`` and the ``COUNTS`` (null: none), and
    the number of features in use (``catalogue``): the ratios, days since activity and trends. Shared by
    the computation from the tiers and the sliding windows (``northstar.metrics.usage_window``)."""
    t = t.select("account_id", "last_active", *[t[c].fill_null(0).cast("int64").name(c) for c in COUNTS])
    dau = t.user_days_30d.cast("float64") / 30.0
    return t.select(
        "account_id",
        *COUNTS[:8],
        dau_30d=dau,
        stickiness=ibis.ifelse(t.users_30d > 0, dau / t.users_30d.cast("float64"), ibis.null("float64")),
        active_days_30d=t.active_days_30d,
        active_days_prev_30d=t.active_days_prev_30d,
        active_days_90d=t.active_days_90d,
        features_30d=t.features_30d,
        features_60d=t.features_60d,
        breadth_30d=ibis.ifelse(
            catalogue > 0, t.features_30d.cast("float64") / catalogue.cast("float64"), ibis.null("float64")
        ),
        last_active=t.last_active,
        days_since_active=(as_of - t.last_active.cast("date")).cast("int64"),
        events_trend=_trend(t.events_30d, t.events_prev_30d),
        users_trend=_trend(t.users_30d, t.users_prev_30d),
        active_days_trend=_trend(t.active_days_30d, t.active_days_prev_30d),
    )


def feature_usage(tiers: Tiers, as_of: date, features: ir.Table | None = None) -> ir.Table:
    """Per (account, feature) used in the last 60 days: events in the last 30 days and the 30 before,
    depth (its events per active user of the account in the last 30 days) and trend."""
    b = _bounds(as_of)
    f = features if features is not None else feature_counts(tiers, as_of)
    ud = tiers.user_day.filter(_within(tiers.user_day, b["d30"], as_of))
    active = ud.group_by("account_id").aggregate(account_users=ud.count(where=first_in_window(ud, b["d30"], as_of)))
    return finish_feature_usage(f.left_join(active, "account_id"))


def finish_feature_usage(j: ir.Table) -> ir.Table:
    """``feature_usage`` from per (account, feature) counts with the account's active users in the last 30
    days (``account_users``, null: none). Shared with the sliding windows."""
    return j.select(
        "account_id",
        "event",
        "events_30d",
        "events_prev_30d",
        account_users_30d=j.account_users.fill_null(0),
        depth_30d=ibis.ifelse(
            j.account_users > 0, j.events_30d.cast("float64") / j.account_users.cast("float64"), ibis.null("float64")
        ),
        events_trend=_trend(j.events_30d, j.events_prev_30d),
    )  # unordered: sorting 700k rows costs more than the rest for 100k accounts; order where shown


def decision_maker_activity(user_day: ir.Table, contacts: ir.Table, as_of: date) -> ir.Table:
    """Per account with decision makers: how many there are, how many were active in the last 30 and 90
    days, the shares, and their active days in the last 30. ``contacts`` has ``contact_id``, ``account_id``
    and ``role``; ``user_day`` (the tier) must reach 90 days back. The 90-day share is the steadier signal
    for a sponsor who uses the product a few times a month."""
    dms = contacts.filter(contacts.role == "decision_maker")
    ud = user_day
    # decision makers only, before the distinct: most user-days are other users'
    w = ud.filter(_within(ud, as_of - timedelta(days=90), as_of) & ud.contact_id.isin(dms.contact_id))
    seen = w.select("contact_id", "day").distinct()
    recent = seen.day >= as_of - timedelta(days=30)
    per_contact = seen.group_by("contact_id").aggregate(days=seen.count(where=recent), days_90=seen.count())
    j = dms.left_join(per_contact, dms.contact_id == per_contact.contact_id)
    out = j.group_by(j.account_id).aggregate(
        decision_makers=j.count(),
        decision_makers_active_30d=j.count(where=j.days > 0),
        decision_makers_active_90d=j.count(where=j.days_90.notnull()),
        decision_maker_days_30d=j.days.sum().fill_null(0),
    )
    n = out.decision_makers.cast("float64")
    return out.mutate(
        decision_maker_share_30d=out.decision_makers_active_30d.cast("float64") / n,
        decision_maker_share_90d=out.decision_makers_active_90d.cast("float64") / n,
    ).order_by("account_id")


def sessions(events: ir.Table, start: date, end: date, gap_minutes: int = 30) -> ir.Table:
    """Per account: sessions, user-days and sessions per user per day between ``start`` and ``end``
    (exclusive), from raw events. A session is a user's run of events with no gap over ``gap_minutes``
    (the usual web-analytics rule); runs are cut at midnight UTC so each session belongs to one day."""
    e = events.filter(
        events.timestamp >= start, events.timestamp < end, events.account_id.notnull(), events.user_id.notnull()
    )
    e = e.mutate(day=e.timestamp.date())
    prev = e.timestamp.lag().over(ibis.window(group_by=[e.account_id, e.user_id, e.day], order_by=e.timestamp))
    e = e.mutate(starts=ibis.ifelse(prev.isnull() | (prev + ibis.interval(minutes=gap_minutes) < e.timestamp), 1, 0))
    per_user_day = e.group_by(["account_id", "user_id", "day"]).aggregate(sessions=e.starts.sum())
    out = per_user_day.group_by("account_id").aggregate(
        sessions=per_user_day.sessions.sum(), user_days=per_user_day.count()
    )
    return out.mutate(sessions_per_user_day=out.sessions.cast("float64") / out.user_days.cast("float64")).order_by(
        "account_id"
    )


def monthly_active_users(tiers: Tiers, start: date, end: date) -> ir.Table:
    """Distinct users with an event in each calendar month between ``start`` and ``end`` (exclusive), over
    all accounts in ``tiers``: the denominator of tickets per active user."""
    ud = tiers.user_day.filter(_within(tiers.user_day, start, end))
    month = ud.day.truncate("M").cast("date")
    since = ibis.greatest(month, ibis.literal(start))  # a first month cut by ``start`` counts from ``start``
    first = ud.user_id.notnull() & (ud.prev_day.isnull() | (ud.prev_day < since))
    return ud.group_by(month=month).aggregate(active_users=ud.count(where=first)).order_by("month")
