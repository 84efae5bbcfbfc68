"""Flow analytics: how accounts move along each persona's success map, milestone by milestone.

For each milestone: how many accounts reached it, the conversion from the milestone before (reached k over
reached k-1; for the first, over the persona's accounts), and the median days to it from the one before and
from the path's start (becoming a customer, or the first day of usage data if later). Medians are
Kaplan-Meier medians: accounts that have not reached the milestone yet are censored at the evaluation day,
not left out, so a slow step does not look fast. None means fewer than half have reached it. Optionally by
cohort: the quarter the path started.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.accounts.models import Account
from northstar.metrics.survival import KaplanMeier
from northstar.success.maps import MapConfig
from northstar.success.models import MilestoneReached, SuccessStatus


@dataclass(frozen=True)
class FlowStep:
    persona: str
    cohort: str | None
    position: int  # 1 for the first milestone
    milestone: str
    name: str
    accounts: int  # the persona's (cohort's) accounts on the map
    reached: int
    conversion: float | None  # reached over reached at the milestone before (or over accounts, for the first)
    median_days_from_previous: float | None
    median_days_from_start: float | None


def _median(durations: list[int], observed: list[bool]) -> float | None:
    if not durations or not any(observed):
        return None
    m = KaplanMeier().fit([max(0, d) for d in durations], observed).median_
    return None if m == float("inf") else m


def _cohort(since: date | None) -> str:
    return f"{since.year}-Q{(since.month - 1) // 3 + 1}" if since else "unknown"


def flow(
    session: Session, config: MapConfig, as_of: date, by_cohort: bool = False, owner_id: int | None = None
) -> list[FlowStep]:
    """The flow of every mapped persona (and cohort), from the last evaluation's stored milestones; only the
    accounts of ``owner_id`` if given."""
    q = select(SuccessStatus.account_id, SuccessStatus.persona, SuccessStatus.map_version, SuccessStatus.path_start)
    if owner_id is not None:
        q = q.join(Account, Account.id == SuccessStatus.account_id).where(Account.owner_id == owner_id)
    status = session.execute(q).all()
    versions = {(a, v) for a, _, v, _ in status}
    reached: dict[int, dict[str, date]] = defaultdict(dict)
    for account_id, version, milestone, day in session.execute(
        select(
            MilestoneReached.account_id,
            MilestoneReached.map_version,
            MilestoneReached.milestone,
            MilestoneReached.reached_on,
        )
    ):
        if (account_id, version) in versions:
            reached[account_id][milestone] = day
    groups: dict[tuple[str, str | None], list[tuple[int, date | None]]] = defaultdict(list)
    for account_id, persona, _, since in status:
        groups[persona, _cohort(since) if by_cohort else None].append((account_id, since))
    out = []
    for (persona, cohort), members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        m = config.for_persona(persona)
        if m is None:
            continue
        previous_count = len(members)
        for k, milestone in enumerate(m.milestones):
            got = [reached[a].get(milestone.key) for a, _ in members]
            count = sum(d is not None for d in got)
            from_prev: tuple[list[int], list[bool]] = ([], [])
            from_start: tuple[list[int], list[bool]] = ([], [])
            for (account_id, since), day in zip(members, got, strict=True):
                before = since if k == 0 else reached[account_id].get(m.milestones[k - 1].key)
                if before is not None:
                    from_prev[0].append(((day or as_of) - before).days)
                    from_prev[1].append(day is not None)
                if since is not None:
                    from_start[0].append(((day or as_of) - since).days)
                    from_start[1].append(day is not None)
            out.append(
                FlowStep(
                    persona,
                    cohort,
                    k + 1,
                    milestone.key,
                    milestone.name,
                    len(members),
                    count,
                    count / previous_count if previous_count else None,
                    _median(*from_prev),
                    _median(*from_start),
                )
            )
            previous_count = count
    return out
