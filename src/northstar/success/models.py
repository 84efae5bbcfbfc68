"""Assessments: ad hoc evaluations of a customer's progress (maturity reviews, certifications, CSM
judgement), used as evidence by success-map milestones and health measures."""

from __future__ import annotations

from datetime import datetime

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
