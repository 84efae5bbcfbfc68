"""Listing accounts for the portfolio: search, filter, sort and page, with current MRR and next renewal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from northstar.accounts.models import Account
from northstar.auth.models import User
from northstar.revenue.models import Subscription

SORTS = {"name": Account.name, "segment": Account.segment, "external_id": Account.external_id}


@dataclass(frozen=True)
class AccountRow:
    id: int
    external_id: str
    name: str
    segment: str | None
    persona: str | None
    stage: str | None
    owner: str | None
    mrr: float
    renewal: date | None


@dataclass(frozen=True)
class AccountPage:
    rows: list[AccountRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_accounts(
    session: Session,
    today: date,
    q: str = "",
    segment: str = "",
    owner_id: int | None = None,
    sort: str = "name",
    desc: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> AccountPage:
    active = and_(
        Subscription.start_date <= today, or_(Subscription.end_date.is_(None), Subscription.end_date >= today)
    )
    revenue = (
        select(
            Subscription.account_id.label("account_id"),
            func.sum(Subscription.mrr).label("mrr"),
            func.min(Subscription.renewal_date).label("renewal"),
        )
        .where(active)
        .group_by(Subscription.account_id)
        .subquery()
    )
    stmt = (
        select(Account, User.name, func.coalesce(revenue.c.mrr, 0.0), revenue.c.renewal)
        .outerjoin(User, User.id == Account.owner_id)
        .outerjoin(revenue, revenue.c.account_id == Account.id)
    )
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Account.name.ilike(like), Account.external_id.ilike(like), Account.domain.ilike(like)))
    if segment:
        stmt = stmt.where(Account.segment == segment)
    if owner_id is not None:
        stmt = stmt.where(Account.owner_id == owner_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    key = revenue.c.mrr if sort == "mrr" else revenue.c.renewal if sort == "renewal" else SORTS.get(sort, Account.name)
    order = key.desc().nulls_last() if desc else key.asc().nulls_last()
    page = max(1, page)
    stmt = stmt.order_by(order, Account.id).offset((page - 1) * per_page).limit(per_page)
    rows = [
        AccountRow(
            a.id,
            a.external_id,
            a.name,
            a.segment,
            a.persona,
            a.lifecycle_stage.value if a.lifecycle_stage else None,
            owner,
            float(mrr or 0),
            renewal,
        )
        for a, owner, mrr, renewal in session.execute(stmt).all()
    ]
    return AccountPage(rows, total, page, per_page)


def segments(session: Session) -> list[str]:
    return [s for s in session.scalars(select(Account.segment).distinct().order_by(Account.segment)) if s]
