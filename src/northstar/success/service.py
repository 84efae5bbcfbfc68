"""What the pages and the API show of success maps: one account's path, and the overview by persona."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from northstar.accounts.models import Account
from northstar.config import Settings
from northstar.success import maps, personas, plans
from northstar.success.flow import FlowStep, flow
from northstar.success.models import MilestoneReached, SuccessStatus

#: The states that want a CSM's attention, most urgent first.
ATTENTION = ("stuck", "behind")


@dataclass(frozen=True)
class MilestoneView:
    key: str
    name: str
    description: str
    criteria: tuple[str, ...]
    reached_on: date | None


@dataclass(frozen=True)
class AccountSuccess:
    persona: str
    persona_name: str
    outcome: str
    milestones: tuple[MilestoneView, ...]
    status: SuccessStatus


def _persona_names(settings: Settings) -> dict[str, personas.Persona]:
    try:
        config = personas.FILE.load(settings)
    except personas.PersonaError:
        return {}
    return {p.key: p for p in config.personas} if config else {}


def account_success(settings: Settings, session: Session, account_id: int) -> AccountSuccess | None:
    """The account's path on its persona's map, as last evaluated; None without a map or an evaluation."""
    status = session.get(SuccessStatus, account_id)
    if status is None:
        return None
    try:
        config = maps.FILE.load(settings)
    except maps.SuccessMapError:
        return None
    m = config.for_persona(status.persona) if config else None
    if m is None or maps.map_version(m) != status.map_version:
        return None  # the map changed since: the next evaluation shows the new one
    reached = dict(
        session.execute(
            select(MilestoneReached.milestone, MilestoneReached.reached_on).where(
                MilestoneReached.account_id == account_id, MilestoneReached.map_version == status.map_version
            )
        ).all()
    )
    persona = _persona_names(settings).get(status.persona)
    return AccountSuccess(
        status.persona,
        persona.name if persona else status.persona,
        persona.outcome if persona else "",
        tuple(
            MilestoneView(
                ms.key, ms.name, ms.description, tuple(c.describe() for c in ms.criteria), reached.get(ms.key)
            )
            for ms in m.milestones
        ),
        status,
    )


def account_plan(settings: Settings, session: Session, account_id: int, today: date) -> plans.PlanView | None:
    """The account's active success plan with its goals' progress and value to date; None without one (or
    with an ROI file that cannot be read, which the CLI reports)."""
    plan = plans.active_plan(session, account_id)
    if plan is None:
        return None
    try:
        return plans.plan_view(settings, session, plan, today)
    except plans.RoiError:
        return None


@dataclass(frozen=True)
class PersonaProgress:
    persona: str
    name: str
    outcome: str
    by_state: dict[str, int]
    steps: tuple[FlowStep, ...]


@dataclass(frozen=True)
class AttentionRow:
    account_id: int
    name: str
    persona: str
    current: str | None
    next: str | None
    days_in_stage: int | None
    usual_days: float | None
    state: str


@dataclass(frozen=True)
class SuccessOverview:
    evaluated_on: date | None
    personas: tuple[PersonaProgress, ...]
    attention: tuple[AttentionRow, ...]  # stuck first, then behind; longest over the usual pace first
    attention_total: int


def overview(
    settings: Settings, session: Session, owner_id: int | None = None, persona: str = "", state: str = ""
) -> SuccessOverview:
    """The flow and states of every mapped persona, and the accounts that need attention (a CSM limited to
    its own accounts sees only those)."""
    try:
        config = maps.FILE.load(settings)
    except maps.SuccessMapError:
        config = None
    if config is None:
        return SuccessOverview(None, (), (), 0)
    names = _persona_names(settings)
    evaluated = session.scalar(select(func.max(SuccessStatus.evaluated_on)))
    counts_q = select(SuccessStatus.persona, SuccessStatus.state, func.count()).group_by(
        SuccessStatus.persona, SuccessStatus.state
    )
    if owner_id is not None:
        counts_q = counts_q.join(Account, Account.id == SuccessStatus.account_id).where(Account.owner_id == owner_id)
    counts: dict[str, dict[str, int]] = {}
    for p, s, n in session.execute(counts_q):
        counts.setdefault(p, {})[s] = n
    steps = flow(session, config, evaluated or datetime.now(UTC).date(), owner_id=owner_id)
    progress = tuple(
        PersonaProgress(
            m.persona,
            names[m.persona].name if m.persona in names else m.persona,
            names[m.persona].outcome if m.persona in names else "",
            counts.get(m.persona, {}),
            tuple(f for f in steps if f.persona == m.persona),
        )
        for m in config.maps
        if not persona or m.persona == persona
    )
    wanted = (state,) if state else ATTENTION
    q = (
        select(SuccessStatus, Account.name)
        .join(Account, Account.id == SuccessStatus.account_id)
        .where(SuccessStatus.state.in_(wanted))
    )
    if owner_id is not None:
        q = q.where(Account.owner_id == owner_id)
    if persona:
        q = q.where(SuccessStatus.persona == persona)
    rows = session.execute(q).all()
    order = {s: i for i, s in enumerate(wanted)}

    def overdue(st: SuccessStatus) -> float:
        return (st.days_in_stage or 0) / st.usual_days if st.usual_days else float(st.days_in_stage or 0)

    rows.sort(key=lambda r: (order.get(r[0].state, 9), -overdue(r[0]), r[1]))
    attention = tuple(
        AttentionRow(
            st.account_id,
            name,
            st.persona,
            st.current_milestone,
            st.next_milestone,
            st.days_in_stage,
            st.usual_days,
            st.state,
        )
        for st, name in rows[:100]
    )
    return SuccessOverview(evaluated, progress, attention, len(rows))


def next_actions(settings: Settings, session: Session, account_id: int, today: date) -> list[Any] | None:
    """The next best action for the account page (``success.programs.next_best``) from the measured effects the
    worker keeps; None while they are not measured, [] when there is nothing to suggest."""
    from northstar.success.programs import measured, next_best, vehicles_in_force

    config = vehicles_in_force(settings)
    if config is None:
        return []
    status = session.get(SuccessStatus, account_id)
    if status is None or status.state not in ("behind", "stuck"):
        return []
    reports = measured(settings, today, wait=False)
    return None if reports is None else next_best(session, config, account_id, reports)
