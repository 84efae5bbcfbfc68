"""The playbooks' records: the audit log of every firing, the event log they react to, and the state that
segment triggers and the event reader keep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base


class PlaybookRun(Base):
    """One playbook firing for one account (or what would fire, in a dry run), with what each action did."""

    __tablename__ = "playbook_runs"
    __table_args__ = (Index("ix_playbook_runs_cooldown", "playbook", "account_id", "fired_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook: Mapped[str] = mapped_column(String(60))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    fired_at: Mapped[datetime] = mapped_column(index=True)
    dry_run: Mapped[bool] = mapped_column(default=False)
    #: Why it fired, in words ("stuck on the way to First dashboard for 120 days").
    reason: Mapped[str] = mapped_column(String(500), default="")
    #: The event it answered, if any (``domain_events.id``): an event fires a playbook once.
    event_id: Mapped[int | None]
    #: [{"action": "task", "result": "created", "detail": "..."}, ...]
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ok: Mapped[bool] = mapped_column(default=True)


class DomainEvent(Base):
    """Something that happened, written in the same transaction as the change: what event-triggered
    playbooks react to (the worker reads them in order, by id)."""

    __tablename__ = "domain_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(60))
    account_id: Mapped[int | None] = mapped_column(index=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PlaybookMember(Base):
    """Accounts that matched a segment trigger's rules at the last run: entering and leaving are changes."""

    __tablename__ = "playbook_members"

    playbook: Mapped[str] = mapped_column(String(60), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)


class Cursor(Base):
    """How far a reader got in an ordered log (the playbooks' reader of ``domain_events``)."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
