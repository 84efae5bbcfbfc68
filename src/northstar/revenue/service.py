"""Revenue facts for one account: current MRR and month-end MRR history from subscription terms."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Protocol


class Term(Protocol):
    start_date: date
    end_date: date | None
    mrr: float


def month_ends(first: date, last: date) -> list[date]:
    """Last day of every month from ``first``'s month to ``last``'s month."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        out.append(nxt - timedelta(days=1))
        y, m = nxt.year, nxt.month
    return out


def mrr_on(terms: Iterable[Term], day: date) -> float:
    """MRR on ``day``: the sum over terms active that day (``end_date`` inclusive, NULL open-ended)."""
    return sum(t.mrr for t in terms if t.start_date <= day and (t.end_date is None or t.end_date >= day))


def mrr_history(terms: list[Term], until: date, months: int = 24) -> list[tuple[date, float]]:
    """Month-end MRR for the last ``months`` months up to ``until``'s month."""
    index = until.year * 12 + until.month - 1 - (months - 1)
    start = date(index // 12, index % 12 + 1, 1)
    return [(d, round(mrr_on(terms, d), 2)) for d in month_ends(start, until)]
