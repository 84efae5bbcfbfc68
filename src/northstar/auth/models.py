"""Staff users of Northstar (CSMs, CS operations, leaders, admins)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
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


class KeyScope(enum.StrEnum):
    """What an API key may do: ``write`` sends data (tracking and REST writes) and cannot read it back;
    ``read`` reads; ``admin`` does both and manages the account's integrations."""

    WRITE = "write"
    READ = "read"
    ADMIN = "admin"


class ApiKey(TimestampMixin, Base):
    """A key for the tracking and REST APIs. Only a SHA-256 hash of its secret is kept: the secret is 256
    random bits, so a fast hash is enough (a password KDF would cost every request milliseconds), and the
    token is shown once, when made. ``prefix`` is the public part that finds the key and names it in lists."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    scope: Mapped[KeyScope] = mapped_column(str_enum(KeyScope))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
