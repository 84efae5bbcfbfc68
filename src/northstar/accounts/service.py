"""Account lookups shared by the pages: the segments in use (the portfolio's list is in ``portfolio``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.accounts.models import Account


def segments(session: Session) -> list[str]:
    return [s for s in session.scalars(select(Account.segment).distinct().order_by(Account.segment)) if s]
