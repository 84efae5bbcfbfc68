"""Who a tracked user is: the link from a Segment ``userId`` or ``anonymousId`` to an account and contact.

Product events name a user, not an account. The tracking API learns the account from a ``group`` call (or
``context.groupId`` on the event itself), the person from ``identify``, and that two ids are one person
from ``alias``. This table keeps what it learned, so every later event of the user finds its account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base, utcnow


class TrackedUser(Base):
    __tablename__ = "tracked_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The Segment ``userId`` (or ``anonymousId`` for a visitor not yet identified).
    key: Mapped[str] = mapped_column(String(200), unique=True)
    #: The key this one was aliased to (``alias`` with ``previousId`` = this key); its events follow that user.
    alias_of: Mapped[str | None] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    #: The traits of the user's ``identify`` calls, merged (newest wins per trait).
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
