"""Success records: assessments (ad hoc evaluations of a customer's progress: maturity reviews,
certifications, CSM judgement, used as evidence by milestones and health measures), the milestones each
account reached on its success map, and where it stands."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base, ExternalIdMixin, TimestampMixin
from northstar.db.types import Money


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
