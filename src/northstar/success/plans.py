"""Success plans: an account's own goals with metric targets, their progress, and the value delivered to date.

**Goal progress** is ``(current − start) / (target − start)``, clipped to [0, 1] (it works for targets below the
start too: a support backlog brought down from 40 to 10). A goal is:

- ``achieved`` when progress reaches 1;
- ``missed`` when its due date has passed first;
- ``on_track`` when its progress is at least the share of its time elapsed, less 10 points of slack;
- ``at_risk`` otherwise; ``no_target`` without start and target values.

**ROI** (``NORTHSTAR_HOME/roi.yaml``): per product line, value drivers. Each driver counts a product event
since the plan started and multiplies the count by the customer's inputs (its own figures from the plan's
``inputs``, else the model's defaults)::

    models:
      - product_line: Analytics
        drivers:
          - key: reports
            name: Reports sent automatically
            event: schedule_report
            per: [hours_per_report, hourly_cost]     # value = count × hours_per_report × hourly_cost
            defaults: {hours_per_report: 2, hourly_cost: 60}

The value to date, against what the account paid for that product line over the same time, is the ROI the
QBR shows. Values are in the reporting currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.config import Settings
from northstar.configfiles import ConfigError, ConfigFile, Strict, parser
from northstar.success.models import PlanStatus, SuccessGoal, SuccessPlan

SLACK = 0.10


class RoiError(ConfigError):
    """An ROI file that cannot be used; the message names the file and each problem's place."""


class Driver(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    name: str
    event: str
    per: list[str] = Field(default_factory=list)
    defaults: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _defaults_named(self) -> Driver:
        unknown = sorted(set(self.defaults) - set(self.per))
        if unknown:
            raise ValueError(f"defaults for inputs the driver does not use: {', '.join(unknown)}")
        return self


class RoiModel(Strict):
    product_line: str
    drivers: list[Driver] = Field(min_length=1)


class RoiConfig(Strict):
    models: list[RoiModel] = Field(min_length=1)

    def for_lines(self, lines: set[str]) -> list[RoiModel]:
        return [m for m in self.models if m.product_line in lines]


_parse = parser(RoiConfig, RoiError)


def parse(data: Any, source: str = "roi.yaml") -> RoiConfig:
    return _parse(data, source)


ROI = ConfigFile("roi", parse, None, RoiError)


def goal_progress(goal: SuccessGoal) -> float | None:
    start, target = goal.start_value, goal.target_value
    if start is None or target is None or target == start:
        return None
    current = goal.current_value if goal.current_value is not None else start
    return min(1.0, max(0.0, (current - start) / (target - start)))


def goal_status(goal: SuccessGoal, plan_start: date, today: date) -> str:
    progress = goal_progress(goal)
    if progress is None:
        return "no_target"
    if progress >= 1.0:
        return "achieved"
    due = goal.due_on
    if due is not None and today > due:
        return "missed"
    if due is None or due <= plan_start:
        return "on_track"
    elapsed = min(1.0, max(0.0, (today - plan_start).days / (due - plan_start).days))
    return "on_track" if progress >= elapsed - SLACK else "at_risk"


@dataclass(frozen=True)
class GoalView:
    id: int
    outcome: str
    metric: str
    unit: str
    start: float | None
    current: float | None
    target: float | None
    due_on: date | None
    progress: float | None
    status: str


@dataclass(frozen=True)
class DriverValue:
    product_line: str
    key: str
    name: str
    count: int
    inputs: dict[str, float]
    value: float


@dataclass(frozen=True)
class PlanView:
    id: int
    external_id: str
    title: str
    status: str
    target_milestone: str | None
    starts_on: date
    due_on: date | None
    goals: tuple[GoalView, ...]
    value: tuple[DriverValue, ...]
    value_total: float
    paid: float  # what the account paid (MRR summed over the plan's months so far) for the valued product lines

    @property
    def roi(self) -> float | None:
        """Value delivered over what was paid for it (None when nothing was paid yet)."""
        return self.value_total / self.paid if self.paid > 0 else None


def active_plan(session: Session, account_id: int) -> SuccessPlan | None:
    """The account's current plan: the newest active one (else the newest draft)."""
    plans = session.scalars(
        select(SuccessPlan)
        .where(SuccessPlan.account_id == account_id, SuccessPlan.status.in_([PlanStatus.ACTIVE, PlanStatus.DRAFT]))
        .order_by((SuccessPlan.status == PlanStatus.ACTIVE).desc(), SuccessPlan.starts_on.desc(), SuccessPlan.id.desc())
    ).all()
    return plans[0] if plans else None


def targets(session: Session) -> dict[int, str]:
    """Each account's target milestone from its active plan (accounts without one are absent)."""
    rows = session.execute(
        select(SuccessPlan.account_id, SuccessPlan.target_milestone, SuccessPlan.starts_on)
        .where(SuccessPlan.status == PlanStatus.ACTIVE, SuccessPlan.target_milestone.is_not(None))
        .order_by(SuccessPlan.starts_on)
    ).all()
    return {a: t for a, t, _ in rows}  # the newest plan wins


def _event_counts(settings: Settings, account_id: int, events: set[str], since: date, until: date) -> dict[str, int]:
    from northstar.store import rollup_store

    if not events or until < since:
        return {}
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = rollup_store(settings).read("feature_day", since, until + timedelta(days=1))
    mask = pc.and_(
        pc.equal(rows.column("account_id"), account_id), pc.is_in(rows.column("event"), pa.array(sorted(events)))
    )
    rows = rows.filter(mask)
    out: dict[str, int] = {}
    for event, n in zip(rows.column("event").to_pylist(), rows.column("events").to_pylist(), strict=True):
        out[event] = out.get(event, 0) + int(n)
    return out


def _paid(settings: Settings, account_id: int, lines: set[str], since: date, until: date) -> float:
    """MRR of the account's subscriptions in ``lines`` summed over the months from ``since`` to ``until``."""
    from northstar.health.labels import mrr_on
    from northstar.health.measures import Rows

    if not lines:
        return 0.0
    terms = Rows(settings, first_day=since).terms(until).to_pandas()
    if "product_line" in terms:
        terms = terms[terms["product_line"].isin(lines)]
    total, day = 0.0, date(since.year, since.month, 1)
    while day <= until:
        total += float(mrr_on(terms, day).get(account_id, 0.0))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return total


def plan_view(settings: Settings, session: Session, plan: SuccessPlan, today: date) -> PlanView:
    goals = session.scalars(select(SuccessGoal).where(SuccessGoal.plan_id == plan.id).order_by(SuccessGoal.id)).all()
    views = tuple(
        GoalView(
            g.id,
            g.outcome,
            g.metric,
            g.unit,
            g.start_value,
            g.current_value,
            g.target_value,
            g.due_on,
            goal_progress(g),
            goal_status(g, plan.starts_on, today),
        )
        for g in goals
    )
    values: list[DriverValue] = []
    paid = 0.0
    try:
        roi = ROI.load(settings)
    except RoiError:
        roi = None
    if roi is not None:
        from northstar.revenue.models import Subscription

        lines = set(
            session.scalars(select(Subscription.product_line).where(Subscription.account_id == plan.account_id))
        )
        models = roi.for_lines(lines)
        counts = _event_counts(
            settings, plan.account_id, {d.event for m in models for d in m.drivers}, plan.starts_on, today
        )
        own = {k: float(v) for k, v in (plan.inputs or {}).items() if isinstance(v, int | float)}
        for m in models:
            for d in m.drivers:
                inputs = {k: own.get(k, d.defaults.get(k, 0.0)) for k in d.per}
                value = float(counts.get(d.event, 0))
                for v in inputs.values():
                    value *= v
                values.append(DriverValue(m.product_line, d.key, d.name, counts.get(d.event, 0), inputs, value))
        paid = _paid(settings, plan.account_id, {m.product_line for m in models}, plan.starts_on, today)
    return PlanView(
        plan.id,
        plan.external_id,
        plan.title,
        plan.status.value,
        plan.target_milestone,
        plan.starts_on,
        plan.due_on,
        views,
        tuple(values),
        sum(v.value for v in values),
        paid,
    )
