"""Theme trends: how often each theme comes up in comments, month by month, and how negatively.

The measure is a **share**, not a count: a theme's comments in a month over the month's analysed comments, so
a month with more survey answers does not look like a month with more complaints. Each theme also gets the
share of its comments that are negative, and its trend: the share in the last three months against the nine
before (percentage points).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.accounts.models import Account
from northstar.feedback.models import Feedback
from northstar.feedback.themes import THEME_KEYS


@dataclass(frozen=True)
class ThemeRow:
    theme: str
    comments: int  # in the whole period
    share: float  # of the period's analysed comments
    negative: float  # share of the theme's comments that are negative
    positive: float
    trend: float | None  # share in the last 3 months minus share in the months before, None without both
    by_month: tuple[tuple[int, float], ...]  # (comments, share of the month's comments) per month


@dataclass(frozen=True)
class ThemeTrends:
    months: tuple[date, ...]
    analysed: tuple[int, ...]  # analysed comments per month
    rows: tuple[ThemeRow, ...]  # most mentioned first

    @property
    def total(self) -> int:
        return sum(self.analysed)

    @property
    def top_share(self) -> float:
        """The largest monthly share of any theme: the darkest cell of the heat map."""
        return max((share for r in self.rows for _, share in r.by_month), default=0.0)


def _next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def _months(first: date, last: date) -> list[date]:
    out, m = [], date(first.year, first.month, 1)
    while m <= last:
        out.append(m)
        m = _next_month(m)
    return out


def theme_trends(session: Session, first: date, last: date, owner_id: int | None = None) -> ThemeTrends:
    """Theme shares per month from ``first``'s month to ``last`` (inclusive), for the owner's accounts if
    given."""
    months = _months(first, last)
    index = {m: i for i, m in enumerate(months)}
    stmt = select(Feedback.submitted_at, Feedback.themes, Feedback.sentiment).where(
        Feedback.sentiment.is_not(None),
        Feedback.submitted_at >= datetime.combine(months[0], time()),
        Feedback.submitted_at < datetime.combine(_next_month(months[-1]), time()),
    )
    if owner_id is not None:
        stmt = stmt.join(Account, Account.id == Feedback.account_id).where(Account.owner_id == owner_id)
    analysed = [0] * len(months)
    counts: dict[str, list[int]] = {}
    sentiment: dict[str, Counter[str]] = {}
    for at, themes, label in session.execute(stmt):
        i = index.get(date(at.year, at.month, 1))
        if i is None:
            continue
        analysed[i] += 1
        for theme in themes or ():
            counts.setdefault(theme, [0] * len(months))[i] += 1
            sentiment.setdefault(theme, Counter())[label] += 1
    total = sum(analysed)
    recent, before = slice(max(0, len(months) - 3), None), slice(0, max(0, len(months) - 3))

    def share(n: list[int], part: slice) -> float | None:
        base = sum(analysed[part])
        return sum(n[part]) / base if base else None

    rows = []
    for theme, n in counts.items():
        mentions = sum(n)
        now, earlier = share(n, recent), share(n, before)
        rows.append(
            ThemeRow(
                theme,
                mentions,
                mentions / total if total else 0.0,
                sentiment[theme]["negative"] / mentions,
                sentiment[theme]["positive"] / mentions,
                now - earlier if now is not None and earlier is not None else None,
                tuple((c, c / a if a else 0.0) for c, a in zip(n, analysed, strict=True)),
            )
        )
    order = {k: i for i, k in enumerate(THEME_KEYS)}
    rows.sort(key=lambda r: (-r.comments, order.get(r.theme, len(order)), r.theme))
    return ThemeTrends(tuple(months), tuple(analysed), tuple(rows))
