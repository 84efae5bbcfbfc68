"""What the health domain keeps in the operational store: a CSM's overrides of an account's health, and each
account's daily final score (the history the account page draws)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base, utcnow


class HealthOverride(Base):
    """A CSM's judgement that replaces an account's band (or score) until ``expires_on``, with the reason.

    The computed score stays visible beside it; an expired override is kept as history."""

    __tablename__ = "health_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    band: Mapped[str | None] = mapped_column(String(40))
    score: Mapped[float | None]
    reason: Mapped[str] = mapped_column(Text)
    expires_on: Mapped[date]
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The web form's one-time key: a resubmitted form does not record the override twice.
    form_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class HealthDaily(Base):
    """Each account's final health score and band per snapshot day: the account page's health history, one
    indexed read (the snapshot files hold the same, by day, with every measure's part)."""

    __tablename__ = "health_daily"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    score: Mapped[float | None]
    band: Mapped[str | None] = mapped_column(String(40))
