"""The success programs as a whole: each vehicle's measured effects (``success.effects``), the next best action
for an account that is behind, and the program P&L by product line.

**Next best action.** For an account that is behind or stuck on its map, the vehicles that serve its next
milestone (and that it is not taking part in now), ranked by their measured effect on reaching that milestone
for an account on the step (the ATE: the account is not enrolled yet, so the effect on the enrolled is not the
question). A vehicle not measured yet comes after the measured ones, and says so.

**P&L**, over the last 12 months and by product line: each vehicle's cost (per enrolment, per month) against
the revenue the estimates attribute to it, ``ATT(NRR) x start ARR x enrolments``: the accounts' own net revenue
retention a year after the step began, enrolled against weighted comparison accounts, counts what was kept (churn
avoided) and what grew, valued at the enrolled accounts' mean ARR at the start of their step.
Its interval is the ATT's, times the enrolments; a program whose interval includes zero has not shown a return.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from northstar.config import Settings
from northstar.success import effects as fx
from northstar.success.maps import FILE as MAPS
from northstar.success.models import EnrolmentStatus, SuccessStatus, VehicleEnrolment
from northstar.success.vehicles import FILE as VEHICLES
from northstar.success.vehicles import Vehicle, VehicleConfig

PNL_MONTHS = 12


def vehicles_in_force(settings: Settings) -> VehicleConfig | None:
    """The vehicles file for the pages: None when there is none, or while it cannot be used (its editor page
    and the commands say why)."""
    from northstar.configfiles import ConfigError

    try:
        return VEHICLES.load(settings)
    except ConfigError:
        return None


@dataclass
class VehicleReport:
    vehicle: Vehicle
    enrolments: int
    open_enrolments: int
    effects: dict[str, fx.Effect | None]
    at_risk: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "vehicle": self.vehicle.key,
            "name": self.vehicle.name,
            "enrolments": self.enrolments,
            "open_enrolments": self.open_enrolments,
            "accounts_compared": self.at_risk,
            "effects": {k: (e.as_dict() if e else None) for k, e in self.effects.items()},
        }


def measure(
    settings: Settings, session: Session, as_of: date, only: str | None = None, boot: int = fx.BOOTSTRAP
) -> list[VehicleReport]:
    """Every vehicle's effects on the three outcomes (an empty list without vehicles.yaml or success maps)."""
    vehicles, maps = VEHICLES.load(settings), MAPS.load(settings)
    if vehicles is None or maps is None:
        return []
    counts = dict(
        session.execute(select(VehicleEnrolment.vehicle, func.count()).group_by(VehicleEnrolment.vehicle)).all()
    )
    open_counts = dict(
        session.execute(
            select(VehicleEnrolment.vehicle, func.count())
            .where(VehicleEnrolment.status == EnrolmentStatus.ENROLLED)
            .group_by(VehicleEnrolment.vehicle)
        ).all()
    )
    out = []
    for v in vehicles.vehicles:
        if only and v.key != only:
            continue
        c = fx.cohort(settings, session, v, maps, as_of)
        found = {o: fx.effect(c, o, boot=boot) for o in fx.OUTCOMES}
        out.append(VehicleReport(v, counts.get(v.key, 0), open_counts.get(v.key, 0), found, len(c.treated)))
    return out


def measured(settings: Settings, as_of: date, wait: bool = True) -> list[VehicleReport] | None:
    """:func:`measure`, cached under the data versions and the configuration texts (the web pages and the next
    best action read it; a bootstrap per vehicle is seconds, not a page's work: the worker measures after each
    evaluation of the maps). ``wait`` False: None unless it is cached."""
    from northstar.dashboards.cache import remember
    from northstar.db.engine import session_scope

    key = json.dumps([as_of.isoformat(), VEHICLES.text(settings), MAPS.text(settings)])

    def build() -> list[VehicleReport]:
        with session_scope(settings.database_url) as s:
            return measure(settings, s, as_of)

    return remember(settings, "vehicle-effects", key, build if wait else None)


# ------------------------------------------------------------------------------------------------ next best
@dataclass(frozen=True)
class Suggestion:
    vehicle: Vehicle
    milestone: str
    effect: float | None  # on reaching the milestone within the horizon, for an account on the step (ATE)
    ci: tuple[float, float] | None
    note: str


def next_best(
    session: Session, config: VehicleConfig, account_id: int, reports: list[VehicleReport]
) -> list[Suggestion]:
    """The vehicles to offer an account that is behind or stuck, best measured first (module docstring)."""
    status = session.get(SuccessStatus, account_id)
    if status is None or status.state not in ("behind", "stuck") or not status.next_milestone:
        return []
    taking = set(
        session.scalars(
            select(VehicleEnrolment.vehicle).where(
                VehicleEnrolment.account_id == account_id, VehicleEnrolment.status == EnrolmentStatus.ENROLLED
            )
        )
    )
    by_key = {r.vehicle.key: r for r in reports}
    out = []
    for v in config.for_step(status.persona, status.next_milestone):
        if v.key in taking:
            continue
        report = by_key.get(v.key)
        e = report.effects.get("milestone") if report else None
        if e is None:
            out.append(Suggestion(v, status.next_milestone, None, None, "not measured yet: too few accounts"))
            continue
        lo, hi = e.ate_ci
        if lo > 0:
            note = (
                f"{e.ate * 100:+.0f} points more reach it within {fx.HORIZON_DAYS} days "
                f"(interval {lo * 100:+.0f} to {hi * 100:+.0f})"
            )
        else:
            note = f"no effect shown (interval {lo * 100:+.0f} to {hi * 100:+.0f} points)"
        out.append(Suggestion(v, status.next_milestone, e.ate, e.ate_ci, note))
    measured_first = sorted(out, key=lambda s: (s.effect is None, -(s.ci[0] > 0 if s.ci else 0), -(s.effect or 0.0)))
    return measured_first


# ------------------------------------------------------------------------------------------------ P&L
@dataclass(frozen=True)
class ProgramLine:
    product_line: str
    vehicle: str
    name: str
    enrolments: int
    cost: float
    attributed: float | None  # ARR the estimates attribute, over the period's enrolments
    attributed_ci: tuple[float, float] | None
    retained_share: float | None  # of the attributed ARR: what churn avoided accounts for (the rest grew)

    @property
    def net(self) -> float | None:
        return None if self.attributed is None else self.attributed - self.cost

    @property
    def roi(self) -> float | None:
        return None if self.attributed is None or self.cost <= 0 else self.attributed / self.cost


def pnl(
    session: Session, config: VehicleConfig, reports: list[VehicleReport], as_of: date, months: int = PNL_MONTHS
) -> list[ProgramLine]:
    """Each vehicle's cost and attributed revenue over the last ``months`` months, ordered by product line."""
    since = as_of - timedelta(days=round(months * 30.44))
    enrolled = dict(
        session.execute(
            select(VehicleEnrolment.vehicle, func.count())
            .where(VehicleEnrolment.enrolled_on > since, VehicleEnrolment.enrolled_on <= as_of)
            .group_by(VehicleEnrolment.vehicle)
        ).all()
    )
    by_key = {r.vehicle.key: r for r in reports}
    lines = []
    for v in config.vehicles:
        n = int(enrolled.get(v.key, 0))
        cost = n * v.cost.per_enrolment + months * v.cost.per_month
        report = by_key.get(v.key)
        arr = report.effects.get("nrr") if report else None
        kept = report.effects.get("retained") if report else None
        attributed = ci = share = None
        if arr is not None:
            value = arr.enrolled_start_arr * n
            attributed = arr.att * value
            ci = (arr.att_ci[0] * value, arr.att_ci[1] * value)
            if kept is not None and arr.att > 0:  # churn avoided (retention points) within the NRR points
                share = max(0.0, min(1.0, kept.att / arr.att))
        lines.append(ProgramLine(v.product_line or "-", v.key, v.name, n, cost, attributed, ci, share))
    return sorted(lines, key=lambda p: (p.product_line, p.vehicle))
