"""Support cases, with the timestamps that first-response and resolution metrics need."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base, ExternalIdMixin, TimestampMixin
from northstar.db.types import str_enum


class TicketPriority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    CLOSED = "closed"


class TicketChannel(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"
    WEB = "web"
    IN_APP = "in_app"
    SOCIAL = "social"


class Ticket(ExternalIdMixin, TimestampMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_1_5"),
        # one day's measures: the quarter's tickets, and the older ones still open, each from an index alone
        Index("ix_tickets_day", "opened_at", "resolved_at", "account_id", "priority"),
        Index("ix_tickets_open", "resolved_at", "opened_at", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(500), default="")
    category: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[TicketPriority] = mapped_column(str_enum(TicketPriority), default=TicketPriority.NORMAL)
    channel: Mapped[TicketChannel] = mapped_column(str_enum(TicketChannel), default=TicketChannel.EMAIL)
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus), default=TicketStatus.OPEN)
    opened_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    #: The customer's rating of the case, 1-5 (CSAT scale), when asked.
    satisfaction: Mapped[int | None]
