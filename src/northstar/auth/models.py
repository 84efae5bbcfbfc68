"""Staff users of Northstar (CSMs, CS operations, leaders, admins)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base, TimestampMixin
from northstar.db.types import str_enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    CS_OPS = "cs_ops"
    CSM = "csm"
    VIEWER = "viewer"


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.CSM)
    #: Argon2id hash; NULL for owners imported from a CRM who have not been given a login yet.
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
