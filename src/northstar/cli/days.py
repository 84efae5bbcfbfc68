"""The day a command works as of: ``--as-of YYYY-MM-DD``, else today (UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def as_of_day(as_of: str | None) -> date:
    return date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
