"""Success vehicles: the programs and tools that move customers along their success maps (onboarding,
contextual training, community, an enablement curriculum, automated messages), with what they cost and the
milestones they serve, and each account's enrolments in them.

A file (``NORTHSTAR_HOME/vehicles.yaml``; the demo writes its own) holds::

    vehicles:
      - key: dashboard_academy
        name: Dashboard Academy
        kind: training               # onboarding, training, community, enablement, messages, other
        product_line: Analytics      # whose P&L its cost and the revenue it keeps are counted in
        cost: {per_enrolment: 400, per_month: 0}
        duration_days: 90            # how long an enrolment usually runs
        serves: [first_dashboard]    # the milestones it helps reach (the step into each)
        personas: []                 # only these personas' maps (empty: every map with those milestones)

Enrolments are records (``vehicle_enrolments``): imported (``northstar import enrolments``), written through the
REST API, or made by a playbook's ``enrol`` action. Whether a vehicle works is measured, not assumed:
``northstar.success.effects``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.configfiles import ConfigError, ConfigFile, Strict, parser
from northstar.db.versions import bump
from northstar.success.models import EnrolmentStatus, VehicleEnrolment

KINDS = ("onboarding", "training", "community", "enablement", "messages", "other")


class VehicleError(ConfigError):
    """A vehicles file that cannot be used; the message names the file and each problem's place."""


class Cost(Strict):
    per_enrolment: float = Field(0.0, ge=0)
    per_month: float = Field(0.0, ge=0)


class Vehicle(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,59}$")
    name: str = Field(min_length=1)
    kind: Literal[KINDS] = "other"  # type: ignore[valid-type]
    product_line: str = ""
    description: str = ""
    cost: Cost = Cost()
    duration_days: int = Field(90, ge=1, le=3650)
    serves: list[str] = Field(min_length=1)
    personas: list[str] = Field(default_factory=list)

    def serves_step(self, persona: str, milestone: str) -> bool:
        return milestone in self.serves and (not self.personas or persona in self.personas)


class VehicleConfig(Strict):
    vehicles: list[Vehicle] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> VehicleConfig:
        keys = [v.key for v in self.vehicles]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"vehicle keys must be unique: {', '.join(twice)}")
        return self

    def get(self, key: str) -> Vehicle | None:
        return next((v for v in self.vehicles if v.key == key), None)

    def for_step(self, persona: str, milestone: str) -> list[Vehicle]:
        """The vehicles that serve the step into ``milestone`` on ``persona``'s map."""
        return [v for v in self.vehicles if v.serves_step(persona, milestone)]


_parse = parser(VehicleConfig, VehicleError)


def parse(data: Any, source: str = "vehicles.yaml") -> VehicleConfig:
    return _parse(data, source)


FILE = ConfigFile("vehicles", parse, None, VehicleError)


def check_milestones(config: VehicleConfig, known: set[str]) -> list[str]:
    """Milestones the vehicles serve that no success map has (a typo would leave a vehicle serving nothing)."""
    return [
        f"{v.key}: serves {m}, which no success map has" for v in config.vehicles for m in v.serves if m not in known
    ]


def open_enrolment(session: Session, account_id: int, vehicle: str) -> VehicleEnrolment | None:
    return session.scalar(
        select(VehicleEnrolment).where(
            VehicleEnrolment.account_id == account_id,
            VehicleEnrolment.vehicle == vehicle,
            VehicleEnrolment.status == EnrolmentStatus.ENROLLED,
        )
    )


def enrol(
    session: Session, account_id: int, vehicle: Vehicle, on: date, source: str, contact_id: int | None = None
) -> tuple[VehicleEnrolment, bool]:
    """Enrol an account (``created`` False when it is already enrolled and has not finished: a playbook that
    fires again, or a retried request, does not enrol it twice)."""
    found = open_enrolment(session, account_id, vehicle.key)
    if found is not None:
        return found, False
    row = VehicleEnrolment(
        external_id=f"{source}:{vehicle.key}:{account_id}:{on.isoformat()}"[:200],
        account_id=account_id,
        contact_id=contact_id,
        vehicle=vehicle.key,
        enrolled_on=on,
        status=EnrolmentStatus.ENROLLED,
        source=source[:100],
    )
    session.add(row)
    session.flush()
    bump(session, "records")  # what is cached from the records (the measured effects) is built again
    return row, True
