"""Accounts and contacts: who the customer is and who speaks for it."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.auth.models import User
from northstar.db.base import Base, ExternalIdMixin, TimestampMixin
from northstar.db.types import Money, str_enum


class LifecycleStage(enum.StrEnum):
    ONBOARDING = "onboarding"
    ADOPTION = "adoption"
    EXPANSION = "expansion"
    RENEWAL = "renewal"
    AT_RISK = "at_risk"
    CHURNED = "churned"


class ContactRole(enum.StrEnum):
    DECISION_MAKER = "decision_maker"
    CHAMPION = "champion"
    ADMIN = "admin"
    USER = "user"


class Account(ExternalIdMixin, TimestampMixin, Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), index=True)  # the account list's default order
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    segment: Mapped[str | None] = mapped_column(String(50), index=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(50))
    country: Mapped[str | None] = mapped_column(String(2))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: Persona key; the persona rules of the success-map domain assign it.
    persona: Mapped[str | None] = mapped_column(String(100), index=True)
    lifecycle_stage: Mapped[LifecycleStage | None] = mapped_column(str_enum(LifecycleStage))
    customer_since: Mapped[date | None]
    #: Estimated yearly spend in the category, for share of wallet.
    wallet_estimate: Mapped[float | None] = mapped_column(Money)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)

    parent: Mapped[Account | None] = relationship(remote_side="Account.id", back_populates="children")
    children: Mapped[list[Account]] = relationship(back_populates="parent")
    owner: Mapped[User | None] = relationship()
    contacts: Mapped[list[Contact]] = relationship(back_populates="account", cascade="all, delete-orphan")


class Contact(ExternalIdMixin, TimestampMixin, Base):
    __tablename__ = "contacts"
    #: the decision makers (health measures, playbooks) read from this index alone
    __table_args__ = (Index("ix_contacts_role", "role", "id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[ContactRole] = mapped_column(str_enum(ContactRole), default=ContactRole.USER)
    #: BCP 47 primary language subtag (en, it, ja, ar, pl, ...): surveys and messages use it.
    language: Mapped[str] = mapped_column(String(10), default="en")
    is_active: Mapped[bool] = mapped_column(default=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)

    account: Mapped[Account] = relationship(back_populates="contacts")
