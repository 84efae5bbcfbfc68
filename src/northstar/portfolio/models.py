"""Per-account figures the portfolio lists, sorts and filters by, kept in the operational store.

They come from several domains (revenue, health snapshots, risk, touchpoints) and are refreshed together
(``portfolio.service.refresh``), so a page of 100,000 accounts sorted by risk is one indexed query."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base


class AccountSummary(Base):
    __tablename__ = "account_summaries"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    as_of: Mapped[date]
    mrr: Mapped[float] = mapped_column(default=0.0, index=True)
    arr: Mapped[float] = mapped_column(default=0.0)
    renewal_date: Mapped[date | None] = mapped_column(index=True)
    health_score: Mapped[float | None] = mapped_column(index=True)
    health_band: Mapped[str | None] = mapped_column(String(40), index=True)
    #: Final score now minus 30 days before (empty across a scorecard change).
    health_change_30d: Mapped[float | None]
    risk: Mapped[float | None] = mapped_column(index=True)
    risk_driver: Mapped[str | None] = mapped_column(String(100))
    last_touch_at: Mapped[datetime | None] = mapped_column(index=True)
