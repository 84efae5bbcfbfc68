"""Which accounts a metric covers: by segment, persona, owner, product line, or an account with its whole
hierarchy below it (a parent's figures are the roll-up of its children)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from northstar.accounts.models import Account
from northstar.auth.models import User
from northstar.config import Settings
from northstar.db.engine import session_scope
from northstar.revenue.models import Subscription


@dataclass(frozen=True)
class Scope:
    segment: str | None = None
    persona: str | None = None
    owner: str | None = None  # e-mail
    product_line: str | None = None
    account: str | None = None  # external id; includes every account below it

    @property
    def is_everything(self) -> bool:
        return not any((self.segment, self.persona, self.owner, self.product_line, self.account))

    def account_ids(self, settings: Settings) -> set[int] | None:
        """The internal ids in scope, or None for every account."""
        if self.is_everything:
            return None
        with session_scope(settings.database_url) as s:
            stmt = select(Account.id)
            if self.segment:
                stmt = stmt.where(Account.segment == self.segment)
            if self.persona:
                stmt = stmt.where(Account.persona == self.persona)
            if self.owner:
                stmt = stmt.join(User, User.id == Account.owner_id).where(User.email == self.owner.lower())
            if self.product_line:
                holders = select(Subscription.account_id).where(Subscription.product_line == self.product_line)
                stmt = stmt.where(Account.id.in_(holders))
            ids = set(s.scalars(stmt))
            if self.account:
                ids &= descendants(s, self.account)
        return ids


def descendants(session, external_id: str) -> set[int]:  # type: ignore[no-untyped-def]
    """The account and every account below it in the hierarchy."""
    root = session.scalar(select(Account.id).where(Account.external_id == external_id))
    if root is None:
        raise ValueError(f"unknown account {external_id!r}")
    children: dict[int, list[int]] = {}
    for child, parent in session.execute(select(Account.id, Account.parent_id).where(Account.parent_id.is_not(None))):
        children.setdefault(parent, []).append(child)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found
