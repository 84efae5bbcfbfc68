"""Tasks and their comments, in the operational store."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base, TimestampMixin
from northstar.db.types import str_enum


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELED = "canceled"


class TaskPriority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Task(TimestampMixin, Base):
    """Something a CSM should do, usually about an account.

    ``source`` says what made it (``manual``, ``playbook:<name>``, ``survey``, ``alert``...). ``dedupe_key``
    lets automation ask for a task without duplicating one still open: at most one open task has a given key
    (a partial unique index, so a done task's key can be used again)."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index(
            "uq_tasks_open_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("status = 'open' AND dedupe_key IS NOT NULL"),
            postgresql_where=text("status = 'open' AND dedupe_key IS NOT NULL"),
        ),
        Index("ix_tasks_assignee_status_due", "assignee_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus), default=TaskStatus.OPEN)
    priority: Mapped[TaskPriority] = mapped_column(str_enum(TaskPriority), default=TaskPriority.NORMAL)
    due_on: Mapped[date | None]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(100), default="manual")
    dedupe_key: Mapped[str | None] = mapped_column(String(300))
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What came of it (e.g. the follow-up call with a detractor), written when it is completed.
    outcome: Mapped[str] = mapped_column(Text, default="")


class TaskComment(TimestampMixin, Base):
    __tablename__ = "task_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
