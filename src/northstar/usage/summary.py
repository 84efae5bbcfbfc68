"""Per-account usage summary and notable changes, written once as Ibis expressions.

The same expressions run on the embedded engine (DuckDB over the Parquet store) and, unchanged, on
PostgreSQL, Spark or any Ibis backend holding an ``events`` table of the store's schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import ibis
import ibis.expr.types as ir

from northstar.usage.rollup import TIERS, RollupStore, read_ipc_kept
from northstar.usage.store import EventStore


def events_table(store: EventStore, con: ibis.BaseBackend | None = None) -> ir.Table:
    """The event store as an Ibis table on an in-memory DuckDB (an empty table when nothing is stored)."""
    con = con or ibis.duckdb.connect()
    files = store.files()
    if files:
        return con.read_parquet([str(f) for f in files], table_name="events")
    import pyarrow as pa

    from northstar.usage.store import SCHEMA

    return con.create_table("events", pa.Table.from_pylist([], schema=SCHEMA), temp=True)


@dataclass
class UsageSummary:
    as_of: datetime
    events_30d: int = 0
    events_prev_30d: int = 0
    active_users_30d: int = 0
    active_days_30d: int = 0
    last_activity: datetime | None = None
    top_events: list[tuple[str, int]] = field(default_factory=list)
    weekly: list[tuple[datetime, int]] = field(default_factory=list)
    #: Each known contact's last day in the product within the last 90 days (contact id -> day).
    contacts_last_seen: dict[int, date] = field(default_factory=dict)

    @property
    def trend(self) -> float | None:
        """Relative change of the last 30 days against the 30 before (None when there was nothing before)."""
        if not self.events_prev_30d:
            return None
        return self.events_30d / self.events_prev_30d - 1.0


def account_usage(events: ir.Table, account_id: int, as_of: datetime, weeks: int = 26) -> UsageSummary:
    """Counts over trailing windows ending at ``as_of`` (exclusive), for one account."""
    as_of = as_of.replace(tzinfo=None)
    t = events.filter(events.account_id == account_id)
    start_30, start_60 = as_of - timedelta(days=30), as_of - timedelta(days=60)
    recent = t.filter((t.timestamp >= start_30) & (t.timestamp < as_of))
    agg = t.aggregate(
        events_30d=t.count(where=(t.timestamp >= start_30) & (t.timestamp < as_of)),
        events_prev_30d=t.count(where=(t.timestamp >= start_60) & (t.timestamp < start_30)),
        last_activity=t.timestamp.max(where=t.timestamp < as_of),
    ).execute()
    row = agg.iloc[0]
    people = (
        recent.aggregate(users=recent.user_id.nunique(), days=recent.timestamp.truncate("D").nunique())
        .execute()
        .iloc[0]
    )
    top = recent.group_by("event").aggregate(n=recent.count()).order_by([ibis.desc("n"), "event"]).limit(5).execute()
    since = as_of - timedelta(weeks=weeks)
    wk = t.filter((t.timestamp >= since) & (t.timestamp < as_of))
    weekly = wk.group_by(week=wk.timestamp.truncate("W")).aggregate(n=wk.count()).order_by("week").execute()
    seen = t.filter(t.contact_id.notnull() & (t.timestamp >= as_of - timedelta(days=90)) & (t.timestamp < as_of))
    seen = seen.group_by("contact_id").aggregate(last=seen.timestamp.max()).execute()
    last = row["last_activity"]
    return UsageSummary(
        as_of=as_of,
        events_30d=int(row["events_30d"] or 0),
        events_prev_30d=int(row["events_prev_30d"] or 0),
        active_users_30d=int(people["users"] or 0),
        active_days_30d=int(people["days"] or 0),
        last_activity=None if last is None or str(last) == "NaT" else last.to_pydatetime(),
        top_events=[(str(e), int(n)) for e, n in zip(top["event"], top["n"], strict=True)],
        weekly=[(w.to_pydatetime(), int(n)) for w, n in zip(weekly["week"], weekly["n"], strict=True)],
        contacts_last_seen={int(c): d.date() for c, d in zip(seen["contact_id"], seen["last"], strict=True)},
    )


@dataclass(frozen=True)
class UsageChange:
    week: datetime
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after / self.before - 1.0 if self.before else float("inf")


def notable_changes(weekly: list[tuple[datetime, int]], window: int = 4, threshold: float = 0.4) -> list[UsageChange]:
    """Weeks where the mean of the next ``window`` weeks differs from the previous ``window`` by more than
    ``threshold`` (relative); consecutive detections keep only the strongest, so one shift is one entry.
    Missing weeks count as zero."""
    if not weekly:
        return []
    counts = dict(weekly)
    first, last = weekly[0][0], weekly[-1][0]
    weeks = [first + timedelta(weeks=i) for i in range(int((last - first).days / 7) + 1)]
    series = [counts.get(w, 0) for w in weeks]
    found: list[UsageChange] = []
    for i in range(window, len(series) - window + 1):
        before = sum(series[i - window : i]) / window
        after = sum(series[i : i + window]) / window
        if before == 0 and after == 0:
            continue
        rel = abs(after - before) / max(before, 1e-9)
        if rel > threshold and abs(after - before) >= 5:
            change = UsageChange(weeks[i], before, after)
            if found and (weeks[i] - found[-1].week).days <= 7 * window:
                if abs(change.after - change.before) > abs(found[-1].after - found[-1].before):
                    found[-1] = change
                continue
            found.append(change)
    return found


def account_usage_from_rollups(rollups: RollupStore, account_id: int, as_of: datetime, weeks: int = 26) -> UsageSummary:
    """``account_usage`` from the daily rollups instead of the raw events: the same counts for whole days
    (the rollups hold days; events of ``as_of``'s own day before its time are left out, as is the time of
    the last event: ``last_activity`` is its day). One account's rows are picked out of each day's file
    (memory-mapped), so an account page reads a few hundred small arrays rather than scanning every event."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    end = as_of.date()  # the whole days before as_of (today's, still going, is not in the rollups' windows)
    m = rollups.manifest()

    def rows(tier: str, start: date, stop: date) -> pa.Table:
        parts = []
        for d in m.days(tier, start, stop):
            t = read_ipc_kept(m.path(rollups.root, tier, d))
            hit = np.flatnonzero(t.column("account_id").to_numpy() == account_id)
            if len(hit):
                parts.append(t.take(pa.array(hit)))
        return pa.concat_tables(parts) if parts else TIERS[tier].empty_table()

    start_30, start_60 = end - timedelta(days=30), end - timedelta(days=60)
    since = end - timedelta(weeks=weeks)
    days = rows("account_day", min(since, start_60), end)
    on = days.column("day").to_pylist()
    n = days.column("events").to_pylist()
    events_30 = sum(e for d, e in zip(on, n, strict=True) if d >= start_30)
    events_prev = sum(e for d, e in zip(on, n, strict=True) if start_60 <= d < start_30)
    users = rows("user_day", end - timedelta(days=90), end)
    user_days, user_ids = users.column("day").to_pylist(), users.column("user_id").to_pylist()
    features = rows("feature_day", start_30, end)
    top: dict[str, int] = {}
    for e, k in zip(features.column("event").to_pylist(), features.column("events").to_pylist(), strict=True):
        top[e] = top.get(e, 0) + k
    weekly: dict[date, int] = {}
    for d, e in zip(on, n, strict=True):
        if d >= since:
            monday = d - timedelta(days=d.weekday())
            weekly[monday] = weekly.get(monday, 0) + e
    last = max((d for d, e in zip(on, n, strict=True) if e > 0), default=None)
    if last is None:  # not active in the window: the account's last active day before it
        if m.max_day is not None and end > date.fromisoformat(m.max_day):
            known = rollups.last_active(m)
            mask = pc.equal(known.column("account_id"), account_id)
            found = known.filter(mask).column("last_active").to_pylist()
            last = found[0] if found else None
        else:
            older = rows("account_day", date.min, min(since, start_60))
            last = max(older.column("day").to_pylist(), default=None)
    return UsageSummary(
        as_of=as_of.replace(tzinfo=None),
        events_30d=int(events_30),
        events_prev_30d=int(events_prev),
        active_users_30d=len({u for u, d in zip(user_ids, user_days, strict=True) if d >= start_30}),
        active_days_30d=len({d for d, e in zip(on, n, strict=True) if d >= start_30 and e > 0}),
        last_activity=datetime.combine(last, datetime.min.time()) if last else None,
        top_events=sorted(top.items(), key=lambda kv: (-kv[1], kv[0]))[:5],
        weekly=[(datetime.combine(w, datetime.min.time()), k) for w, k in sorted(weekly.items())],
        contacts_last_seen=_last_seen(users.column("contact_id").to_pylist(), user_days),
    )


def _last_seen(contacts: list[int | None], days: list[date]) -> dict[int, date]:
    out: dict[int, date] = {}
    for c, d in zip(contacts, days, strict=True):
        if c is not None and (c not in out or d > out[c]):
            out[c] = d
    return out
