"""Touchpoints logged by hand (a call, a meeting, a note) from the web app."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.accounts.models import Account
from northstar.db.base import utcnow
from northstar.db.versions import bump
from northstar.touchpoints.models import Channel, Direction, Touchpoint

#: What a CSM logs by hand; the rest arrive by import or integration.
LOGGABLE = (Channel.CALL, Channel.MEETING, Channel.NOTE, Channel.EMAIL)
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class TouchpointError(ValueError):
    """A touchpoint that cannot be logged as asked; the message names the field."""


def log_touchpoint(
    session: Session,
    account: Account,
    user_id: int,
    channel: Channel | str,
    summary: str,
    key: str,
    subject: str = "",
    occurred_at: datetime | None = None,
) -> tuple[Touchpoint, bool]:
    """Log it once: ``key`` is the form's one-time token, so a resubmitted form returns the touchpoint it
    made (False) instead of logging it twice."""
    try:
        channel = Channel(channel)
    except ValueError:
        raise TouchpointError(f"channel: {channel!r} is not one of {', '.join(c.value for c in LOGGABLE)}") from None
    if channel not in LOGGABLE:
        raise TouchpointError(f"channel: {channel.value} is not logged by hand")
    if not _KEY.match(key or ""):
        raise TouchpointError("key: the form's token is missing or malformed; reload the page")
    summary, subject = summary.strip(), subject.strip()
    if not summary and not subject:
        raise TouchpointError("summary: write what happened")
    external_id = f"web-{key}"
    existing = session.scalar(select(Touchpoint).where(Touchpoint.external_id == external_id))
    if existing is not None:
        return existing, False
    tp = Touchpoint(
        external_id=external_id,
        account_id=account.id,
        owner_id=user_id,
        channel=channel,
        direction=Direction.INTERNAL if channel == Channel.NOTE else Direction.OUTBOUND,
        occurred_at=occurred_at or utcnow(),
        subject=subject[:500] or summary.splitlines()[0][:120],
        summary=summary,
    )
    session.add(tp)
    session.flush()
    bump(session, "records")
    return tp, True
