"""Success records: assessments (ad hoc evaluations of a customer's progress: maturity reviews,
certifications, CSM judgement, used as evidence by milestones and health measures), the milestones each
account reached on its success map, and where it stands."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base, ExternalIdMixin, TimestampMixin
from northstar.db.types import Money, str_enum


class Assessment(ExternalIdMixin, TimestampMixin, Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(100))
    score: Mapped[float | None] = mapped_column(Money)
    max_score: Mapped[float | None] = mapped_column(Money)
    assessed_at: Mapped[datetime] = mapped_column(index=True)
    notes: Mapped[str] = mapped_column(Text, default="")


class MilestoneReached(Base):
    """The day an account reached a milestone of its persona's success map, under one version of the map.

    Rows of earlier map versions stay: they are what the account looked like on the map as it was."""

    __tablename__ = "milestones_reached"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    map_version: Mapped[str] = mapped_column(String(12), primary_key=True)
    milestone: Mapped[str] = mapped_column(String(60), primary_key=True)
    position: Mapped[int]
    reached_on: Mapped[date]


class SuccessStatus(Base):
    """Where an account stands on its success map, as of the last evaluation (``success.progress``)."""

    __tablename__ = "success_status"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    persona: Mapped[str] = mapped_column(String(100), index=True)
    map_version: Mapped[str] = mapped_column(String(12))
    evaluated_on: Mapped[date]
    #: Where the path starts: the day it became a customer, or the first day of usage data if that is later
    #: (history from before the data cannot be measured).
    path_start: Mapped[date | None]
    #: The last milestone reached on the ordered path (None: not started) and its place (0 = none).
    current_milestone: Mapped[str | None] = mapped_column(String(60))
    current_position: Mapped[int] = mapped_column(default=0)
    next_milestone: Mapped[str | None] = mapped_column(String(60))
    target_milestone: Mapped[str | None] = mapped_column(String(60))
    target_position: Mapped[int] = mapped_column(default=0)
    #: Since when the account has been at its current place (the day it reached it, or became a customer).
    stage_since: Mapped[date | None]
    days_in_stage: Mapped[int | None]
    #: The persona's usual pace from here to the next milestone (Kaplan-Meier median and 90th percentile, days).
    usual_days: Mapped[float | None]
    slow_days: Mapped[float | None]
    #: achieved, on_track, behind, stuck, or unknown (no pace measured yet) and inactive (not paying).
    state: Mapped[str] = mapped_column(String(20), index=True)


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ACHIEVED = "achieved"
    ABANDONED = "abandoned"


class SuccessPlan(ExternalIdMixin, TimestampMixin, Base):
    """An account's own plan: the outcomes it wants (its goals), the milestone it aims for on its success map,
    and the figures its ROI model needs (``inputs``: e.g. the hours a report took by hand)."""

    __tablename__ = "success_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus), default=PlanStatus.ACTIVE)
    #: The milestone of the account's success map the plan aims for (else the map's last).
    target_milestone: Mapped[str | None] = mapped_column(String(60))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    starts_on: Mapped[date]
    due_on: Mapped[date | None]
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")


class SuccessGoal(ExternalIdMixin, TimestampMixin, Base):
    """A desired outcome of a plan, with a metric's start, current and target values and a date."""

    __tablename__ = "success_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("success_plans.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(300))
    metric: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(30), default="")
    start_value: Mapped[float | None] = mapped_column(Money)
    current_value: Mapped[float | None] = mapped_column(Money)
    target_value: Mapped[float | None] = mapped_column(Money)
    due_on: Mapped[date | None]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class EnrolmentStatus(enum.StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    DROPPED = "dropped"


class VehicleEnrolment(ExternalIdMixin, TimestampMixin, Base):
    """An account (and, where known, the person) taking part in a success vehicle (``success.vehicles``)."""

    __tablename__ = "vehicle_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    #: The vehicle's key in ``vehicles.yaml``.
    vehicle: Mapped[str] = mapped_column(String(60), index=True)
    enrolled_on: Mapped[date]
    completed_on: Mapped[date | None]
    status: Mapped[EnrolmentStatus] = mapped_column(str_enum(EnrolmentStatus), default=EnrolmentStatus.ENROLLED)
    #: Where the enrolment came from: an import, the API, ``playbook:<key>``.
    source: Mapped[str] = mapped_column(String(100), default="")
