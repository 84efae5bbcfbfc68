"""Where each account stands on its persona's success map: the milestones it reached and when, its current
stage, and whether it moves at the persona's usual pace.

**Reached.** Each criterion gets, per account, the first day it held (:func:`criterion_days`): the day a
product event's running count reached ``count`` (daily rollups, ``feature_day``), the day the N-th distinct
person was first active (``user_day``), the first touchpoint of a kind, the first assessment of a kind scoring
at least ``min_score``. A milestone's raw day is the latest of its criteria's days; on the ordered path,
milestone k is reached on ``max(raw_k, reached_{k-1})``, and not at all while k-1 is not.

**Pace.** For each persona and each step (from becoming a customer to milestone 1, from milestone k to k+1),
the time the step takes is estimated by Kaplan-Meier over the persona's accounts that started the step:
those that completed it are events, the others are censored at the evaluation day (Kaplan & Meier 1958;
censoring matters: accounts still on a step would otherwise make the pace look faster than it is). The
median is the usual pace and the 90th percentile the slow one. An account's state on its current step:

- ``achieved``: it reached its target milestone (its active success plan's, else the map's last);
- ``on_track``: its days in the stage are within the usual pace;
- ``behind``: beyond the usual pace but within the slow one;
- ``stuck``: beyond the slow pace. When fewer than half the accounts that start a step complete it, there is
  no usual pace: an account on it is ``behind``, or ``stuck`` when fewer than 10% complete it;
- ``unknown``: no account of the persona has completed the step yet, so there is no pace;
- ``inactive``: the account pays nothing today.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from northstar import duck
from northstar.accounts.models import Account
from northstar.config import Settings
from northstar.db.versions import bump
from northstar.metrics.survival import KaplanMeier
from northstar.portfolio.models import AccountSummary
from northstar.success.maps import Criterion, MapConfig, SuccessMap, map_version
from northstar.success.models import Assessment, MilestoneReached, SuccessStatus
from northstar.touchpoints.models import Touchpoint

STATES = ("achieved", "on_track", "behind", "stuck", "unknown", "inactive")
#: Steps completed by fewer than this share of the accounts that start them have no slow pace.
MIN_COMPLETION = 0.1


def _day(value: object) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value  # type: ignore[return-value]


def _event_days(settings: Settings, wanted: list[Criterion], as_of: date) -> dict[Criterion, dict[int, date]]:
    from northstar.store import rollup_store

    out: dict[Criterion, dict[int, date]] = {c: {} for c in wanted}
    if not wanted:
        return out
    rows = rollup_store(settings).read("feature_day", None, as_of + timedelta(days=1))
    rows = rows.filter(pc.is_in(rows.column("event"), value_set=pa.array(sorted({c.event for c in wanted}))))
    if rows.num_rows == 0:
        return out
    params = pa.table({"event": [c.event for c in wanted], "need": [c.count for c in wanted]})
    con = duck.cursor()
    try:
        con.register("_rows", rows)
        con.register("_params", params)
        found = con.sql(
            """
            WITH running AS (
                SELECT account_id, event, day,
                       SUM(events) OVER (PARTITION BY account_id, event ORDER BY day) AS total
                FROM _rows)
            SELECT p.event, p.need, r.account_id, MIN(r.day) AS day
            FROM running r JOIN _params p ON p.event = r.event AND r.total >= p.need
            GROUP BY ALL
            """
        ).fetchall()
    finally:
        con.close()
    by_key = {(c.event, c.count): c for c in wanted}
    for event, need, account_id, day in found:
        out[by_key[event, need]][int(account_id)] = day
    return out


def _user_days(settings: Settings, wanted: list[Criterion], as_of: date) -> dict[Criterion, dict[int, date]]:
    from northstar.store import rollup_store

    out: dict[Criterion, dict[int, date]] = {c: {} for c in wanted}
    if not wanted:
        return out
    rows = rollup_store(settings).read("user_day", None, as_of + timedelta(days=1))
    if rows.num_rows == 0:
        return out
    con = duck.cursor()
    try:
        con.register("_rows", rows.select(["account_id", "user_id", "day"]))
        ranked = con.sql(
            """
            WITH firsts AS (SELECT account_id, user_id, MIN(day) AS day FROM _rows GROUP BY ALL)
            SELECT account_id, day, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY day, user_id) AS n
            FROM firsts
            """
        ).fetchall()
    finally:
        con.close()
    needs = {c.active_users: c for c in wanted}
    for account_id, day, n in ranked:
        c = needs.get(int(n))
        if c is not None:
            out[c][int(account_id)] = day
    return out


def data_start(settings: Settings) -> date | None:
    """The first day of usage data: a path cannot be measured before it, so it starts there at the earliest
    (accounts that were customers long before Northstar saw their usage)."""
    from northstar.store import rollup_store

    days = rollup_store(settings).manifest().days("user_day")
    return date.fromisoformat(days[0]) if days else None


def criterion_days(
    settings: Settings, session: Session, criteria: Iterable[Criterion], as_of: date
) -> dict[Criterion, dict[int, date]]:
    """For each criterion, the first day (up to ``as_of``) it held, per account id."""
    criteria = list(dict.fromkeys(criteria))
    out: dict[Criterion, dict[int, date]] = {}
    out |= _event_days(settings, [c for c in criteria if c.kind == "event"], as_of)
    out |= _user_days(settings, [c for c in criteria if c.kind == "active_users"], as_of)
    end = datetime.combine(as_of + timedelta(days=1), time(), UTC)
    for c in criteria:
        if c.kind == "touchpoint":
            rows = session.execute(
                select(Touchpoint.account_id, func.min(Touchpoint.occurred_at))
                .where(Touchpoint.kind == c.touchpoint, Touchpoint.occurred_at < end)
                .group_by(Touchpoint.account_id)
            )
            out[c] = {a: _day(t) for a, t in rows}
        elif c.kind == "assessment":
            rows = session.execute(
                select(Assessment.account_id, func.min(Assessment.assessed_at))
                .where(Assessment.kind == c.assessment, Assessment.score >= c.min_score, Assessment.assessed_at < end)
                .group_by(Assessment.account_id)
            )
            out[c] = {a: _day(t) for a, t in rows}
    return out


@dataclass
class AccountPath:
    """One account's path on its map: the day each milestone was reached (None: not yet), in map order."""

    account_id: int
    start: date | None  # the day it became a customer
    reached: list[date | None] = field(default_factory=list)

    @property
    def position(self) -> int:
        return sum(d is not None for d in self.reached)


def paths(m: SuccessMap, accounts: dict[int, date | None], days: dict[Criterion, dict[int, date]]) -> list[AccountPath]:
    """Each account's ordered path on map ``m`` (``accounts``: id -> customer since)."""
    out = []
    for account_id, start in accounts.items():
        path = AccountPath(account_id, start)
        for k, milestone in enumerate(m.milestones):
            raw = [days.get(c, {}).get(account_id) for c in milestone.criteria]
            if any(d is None for d in raw) or (k > 0 and path.reached[k - 1] is None):
                path.reached.extend([None] * (len(m.milestones) - k))
                break
            day = max(d for d in raw if d is not None)
            if k > 0 and path.reached[k - 1] is not None:
                day = max(day, path.reached[k - 1])  # type: ignore[type-var]
            path.reached.append(day)
        out.append(path)
    return out


@dataclass(frozen=True)
class Pace:
    """How long a step usually takes for a persona (days): Kaplan-Meier median and 90th percentile, with the
    number of accounts that started the step and the share that completed it."""

    started: int
    completed: int
    usual: float | None
    slow: float | None


def step_start(path: AccountPath, k: int) -> date | None:
    """When the account started step k (towards milestone k+1, 0-based): the day it reached milestone k, or
    became a customer for the first step."""
    return path.start if k == 0 else path.reached[k - 1]


def paces(m: SuccessMap, persona_paths: list[AccountPath], as_of: date) -> list[Pace]:
    out = []
    for k in range(len(m.milestones)):
        durations, observed = [], []
        for p in persona_paths:
            begin = step_start(p, k)
            if begin is None or begin > as_of:
                continue
            done = p.reached[k]
            durations.append(((done if done is not None else as_of) - begin).days)
            observed.append(done is not None)
        completed = sum(observed)
        if not durations or completed == 0:
            out.append(Pace(len(durations), completed, None, None))
            continue
        km = KaplanMeier().fit([max(0, d) for d in durations], observed)
        usual, slow = km.quantile(0.5), km.quantile(0.9)
        out.append(
            Pace(
                len(durations),
                completed,
                usual if usual != float("inf") else None,
                slow if slow != float("inf") else None,
            )
        )
    return out


def state_of(days_in_stage: int | None, pace: Pace | None, achieved: bool, paying: bool) -> str:
    if not paying:
        return "inactive"
    if achieved:
        return "achieved"
    if pace is None or days_in_stage is None or pace.completed == 0:
        return "unknown"
    if pace.usual is None:  # fewer than half ever complete it: past the longest completion is stuck
        return "stuck" if pace.completed / pace.started < MIN_COMPLETION else "behind"
    if days_in_stage <= pace.usual:
        return "on_track"
    if pace.slow is not None and days_in_stage <= pace.slow:
        return "behind"
    return "stuck"


@dataclass(frozen=True)
class Evaluation:
    as_of: date
    accounts: int
    by_state: dict[str, int]
    paces: dict[str, list[Pace]]  # persona -> per step


def evaluate(settings: Settings, session: Session, config: MapConfig, as_of: date) -> Evaluation:
    """Measure every account with a mapped persona and store its milestones and status (one transaction)."""
    accounts = session.execute(select(Account.id, Account.persona, Account.customer_since)).all()
    first = data_start(settings)
    paying = {a for a, mrr in session.execute(select(AccountSummary.account_id, AccountSummary.mrr)) if mrr > 0}
    by_persona: dict[str, dict[int, date | None]] = defaultdict(dict)
    for account_id, persona, since in accounts:
        if config.for_persona(persona) is not None:
            by_persona[persona][account_id] = max(since, first) if since and first else (since or first)
    from northstar.success.plans import targets

    planned = targets(session)  # an active success plan's target milestone, where it has one
    criteria = [c for m in config.maps for ms in m.milestones for c in ms.criteria]
    days = criterion_days(settings, session, criteria, as_of)
    counts: dict[str, int] = dict.fromkeys(STATES, 0)
    all_paces: dict[str, list[Pace]] = {}
    reached_rows: list[dict[str, Any]] = []
    status_rows: list[dict[str, Any]] = []
    stale: list[tuple[str, list[int]]] = []
    for persona, members in by_persona.items():
        m = config.for_persona(persona)
        assert m is not None
        version = map_version(m)
        persona_paths = paths(m, members, days)
        step_paces = paces(m, persona_paths, as_of)
        all_paces[persona] = step_paces
        stale.append((version, list(members)))
        for p in persona_paths:
            pos = p.position
            for k, day in enumerate(p.reached[:pos]):
                reached_rows.append(
                    {
                        "account_id": p.account_id,
                        "map_version": version,
                        "milestone": m.milestones[k].key,
                        "position": k + 1,
                        "reached_on": day,
                    }
                )
            keys = [ms.key for ms in m.milestones]
            goal = planned.get(p.account_id)
            target = keys.index(goal) + 1 if goal in keys else len(m.milestones)
            since = step_start(p, pos) if pos < len(m.milestones) else p.reached[-1]
            if pos >= target:  # the target is reached: the stage is "achieved" since that day
                since = p.reached[target - 1]
            in_stage = (as_of - since).days if since is not None else None
            pace = step_paces[pos] if pos < len(step_paces) else None
            state = state_of(in_stage, pace, pos >= target, p.account_id in paying)
            counts[state] += 1
            status_rows.append(
                {
                    "account_id": p.account_id,
                    "persona": persona,
                    "map_version": version,
                    "evaluated_on": as_of,
                    "path_start": p.start,
                    "current_milestone": m.milestones[pos - 1].key if pos else None,
                    "current_position": pos,
                    "next_milestone": m.milestones[pos].key if pos < len(m.milestones) else None,
                    "target_milestone": m.milestones[target - 1].key,
                    "target_position": target,
                    "stage_since": since,
                    "days_in_stage": in_stage,
                    "usual_days": pace.usual if pace and pos < target else None,
                    "slow_days": pace.slow if pace and pos < target else None,
                    "state": state,
                }
            )
    # everything computed first: the writes below hold the write lock for as short a time as they can
    session.execute(delete(SuccessStatus))
    for version, ids in stale:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            session.execute(
                delete(MilestoneReached).where(
                    MilestoneReached.map_version == version, MilestoneReached.account_id.in_(chunk)
                )
            )
    for start in range(0, len(reached_rows), 5000):
        session.execute(MilestoneReached.__table__.insert(), reached_rows[start : start + 5000])
    for start in range(0, len(status_rows), 5000):
        session.execute(SuccessStatus.__table__.insert(), status_rows[start : start + 5000])
    bump(session, "records")
    return Evaluation(as_of, sum(counts.values()), counts, all_paces)


def apply_success_maps(settings: Settings, as_of: date) -> Evaluation | None:
    """Evaluate every account on the installation's ``success_maps.yaml``; None when it has none."""
    from northstar.db.engine import session_scope
    from northstar.success.maps import FILE

    config = FILE.load(settings)
    if config is None:
        return None
    with session_scope(settings.database_url) as session:
        return evaluate(settings, session, config, as_of)
