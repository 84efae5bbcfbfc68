"""Interactions on any channel, logged by people or systems."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base, ExternalIdMixin, TimestampMixin
from northstar.db.types import str_enum


class Channel(enum.StrEnum):
    EMAIL = "email"
    CALL = "call"
    MEETING = "meeting"
    WEB = "web"
    IN_APP = "in_app"
    SOCIAL = "social"
    IN_PERSON = "in_person"
    NOTE = "note"


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class Touchpoint(ExternalIdMixin, TimestampMixin, Base):
    __tablename__ = "touchpoints"
    #: Each account's last touch (portfolio, health) is read from this index alone.
    __table_args__ = (Index("ix_touchpoints_account_occurred", "account_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction), default=Direction.OUTBOUND)
    #: What kind of moment it was: kickoff, onboarding, qbr, renewal, check_in, escalation, ...
    kind: Mapped[str | None] = mapped_column(String(50))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
