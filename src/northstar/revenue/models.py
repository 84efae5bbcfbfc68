"""Subscriptions (contract terms) and invoices.

A subscription row is one term of one product at one price: an upgrade, downgrade or renewal closes the
row (``end_date``) and opens the next one. ``end_date`` is the last day of service, inclusive; NULL means
open-ended. An account's MRR on a day is the sum of ``mrr`` over its rows active that day, in the
currency each row states (conversion to a reporting currency belongs to the metrics layer's rate table).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base, ExternalIdMixin, TimestampMixin
from northstar.db.types import Money, str_enum


class SubscriptionStatus(enum.StrEnum):
    TRIAL = "trial"
    ACTIVE = "active"
    CANCELED = "canceled"
    EXPIRED = "expired"


class InvoiceStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class Subscription(ExternalIdMixin, TimestampMixin, Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("mrr >= 0", name="mrr_not_negative"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    product: Mapped[str] = mapped_column(String(100))
    product_line: Mapped[str] = mapped_column(String(100), index=True)
    plan: Mapped[str | None] = mapped_column(String(100))
    seats: Mapped[int | None]
    mrr: Mapped[float] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    renewal_date: Mapped[date | None]
    status: Mapped[SubscriptionStatus] = mapped_column(str_enum(SubscriptionStatus))
    billing_period: Mapped[str] = mapped_column(String(10), default="monthly")


class Invoice(ExternalIdMixin, TimestampMixin, Base):
    __tablename__ = "invoices"
    #: one day's measures: the quarter's invoices, and the older ones still unpaid, each from an index alone
    __table_args__ = (
        Index("ix_invoices_day", "issued_on", "account_id", "failed_attempts", "paid_at", "due_on"),
        Index("ix_invoices_unpaid", "paid_at", "issued_on", "due_on", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id", ondelete="SET NULL"))
    amount: Mapped[float] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    issued_on: Mapped[date]
    due_on: Mapped[date | None]
    paid_at: Mapped[datetime | None]
    failed_attempts: Mapped[int] = mapped_column(default=0)
    status: Mapped[InvoiceStatus] = mapped_column(str_enum(InvoiceStatus), default=InvoiceStatus.OPEN)


class ExchangeRate(TimestampMixin, Base):
    """Units of the reporting currency (``NORTHSTAR_CURRENCY``, default USD) that one unit of ``currency``
    is worth from ``valid_from`` until the next rate of that currency. ``key`` ("EUR 2025-01-01") is the
    natural key imports upsert on."""

    __tablename__ = "exchange_rates"
    __table_args__ = (CheckConstraint("rate > 0", name="rate_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(30), unique=True)
    currency: Mapped[str] = mapped_column(String(3), index=True)
    valid_from: Mapped[date]
    rate: Mapped[float] = mapped_column(Numeric(24, 12, asdecimal=False))  # JPY->USD needs the digits
