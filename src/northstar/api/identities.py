"""What ``identify``, ``group`` and ``alias`` calls change: accounts, contacts and the tracked users.

IdentityChanges in the order the calls arrived, each an upsert, so applying the same calls again changes nothing:

* ``group`` creates or updates the account whose ``external_id`` is the ``groupId`` (Segment's reserved
  group traits ``name``, ``website``, ``industry``, ``address.country`` and ``segment`` go to their columns,
  the rest into ``attributes``) and links the calling user to it;
* ``identify`` keeps the user's traits and, once the user is linked to an account, creates or updates the
  contact whose ``external_id`` is the ``userId`` (``email``, ``name`` or ``firstName``/``lastName``,
  ``title``, ``role``, ``language`` or the locale of ``context.locale``);
* ``alias`` records that ``previousId`` (often an anonymous visitor) is ``userId``: the visitor's events
  then follow the user's account, and the user inherits the visitor's account when it has none.

Account changes are reported to webhooks (``account.created`` / ``account.updated``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.accounts.models import Account, Contact, ContactRole
from northstar.usage.models import TrackedUser
from northstar.webhooks.service import emit

ACCOUNT_TRAITS = {"name", "website", "domain", "industry", "segment", "address", "id"}
CONTACT_TRAITS = {"email", "name", "firstName", "lastName", "title", "role", "language", "id"}
ROLES = {r.value for r in ContactRole}


@dataclass
class Call:
    type: str  # identify, group or alias
    user_id: str | None
    anonymous_id: str | None
    timestamp: datetime
    group_id: str | None = None
    previous_id: str | None = None
    traits: dict[str, Any] = field(default_factory=dict)
    locale: str | None = None

    @property
    def key(self) -> str:
        return self.user_id or self.anonymous_id or ""


@dataclass
class IdentityChanges:
    accounts_created: int = 0
    accounts_updated: int = 0
    contacts_created: int = 0
    users_linked: int = 0


class Identities:
    """One step's calls, applied in a session. Everything a step touches is loaded in a few queries and
    written in one flush, so a step of thousands of calls holds the database's write lock briefly."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.users: dict[str, TrackedUser] = {}
        self.accounts: dict[str, Account] = {}
        self.contacts: dict[str, Contact] = {}
        self.result = IdentityChanges()
        self._user_contact: dict[str, Contact] = {}  # tracked-user key -> its contact (ids known after flush)
        self._account_events: dict[str, tuple[str, dict[str, Any] | None]] = {}

    def load(self, calls: list[Call]) -> None:
        keys = {c.key for c in calls} | {c.previous_id for c in calls if c.previous_id}
        groups = {c.group_id for c in calls if c.group_id}
        for chunk in _chunks(sorted(keys)):
            for u in self.session.scalars(select(TrackedUser).where(TrackedUser.key.in_(chunk))):
                self.users[u.key] = u
        for chunk in _chunks(sorted(groups)):
            for a in self.session.scalars(select(Account).where(Account.external_id.in_(chunk))):
                self.accounts[a.external_id] = a
        user_ids = {c.user_id for c in calls if c.user_id}
        for chunk in _chunks(sorted(user_ids)):
            for c in self.session.scalars(select(Contact).where(Contact.external_id.in_(chunk))):
                self.contacts[c.external_id] = c
        new = [g for g in sorted(groups) if g not in self.accounts]
        for g in new:  # made first and flushed once: links need their ids
            account = Account(external_id=g, name=g, attributes={})
            self.session.add(account)
            self.accounts[g] = account
            self._account_events[g] = ("account.created", None)
        if new:
            self.session.flush()

    def apply(self, calls: list[Call]) -> IdentityChanges:
        self.load(calls)
        for call in calls:
            user = self._user(call.key, call.timestamp)
            if call.type == "identify":
                user.traits = {**(user.traits or {}), **call.traits}
                if call.locale and "language" not in user.traits:
                    user.traits = {**user.traits, "locale": call.locale}
                self._contact(user, call.user_id)
            elif call.type == "group" and call.group_id:
                account = self._account(call.group_id, call.traits)
                if user.account_id != account.id:
                    user.account_id = account.id
                    self.result.users_linked += 1
                self._contact(user, call.user_id)
            elif call.type == "alias" and call.previous_id:
                previous = self._user(call.previous_id, call.timestamp)
                previous.alias_of = call.key
                if user.account_id is None and previous.account_id is not None:
                    user.account_id = previous.account_id
                    self.result.users_linked += 1
                user.traits = {**(previous.traits or {}), **(user.traits or {})}
                self._contact(user, call.user_id)
        self.session.flush()
        for key, contact in self._user_contact.items():
            self.users[key].contact_id = contact.id
        self._report()
        self.session.flush()
        return self.result

    def _user(self, key: str, seen: datetime) -> TrackedUser:
        user = self.users.get(key)
        if user is None:
            user = TrackedUser(key=key, traits={}, first_seen=seen, last_seen=seen)
            self.session.add(user)
            self.users[key] = user
        elif user.last_seen is None or _naive(user.last_seen) < seen:
            user.last_seen = seen
        return user

    def _account(self, group_id: str, traits: dict[str, Any]) -> Account:
        account = self.accounts[group_id]
        if group_id not in self._account_events:
            self._account_events[group_id] = ("account.updated", _account_view(account))
        if traits.get("name"):
            account.name = str(traits["name"])[:300]
        site = traits.get("website") or traits.get("domain")
        if isinstance(site, str) and site:
            account.domain = (urlparse(site if "//" in site else "//" + site).hostname or site)[:255]
        for col, size in (("industry", 100), ("segment", 50)):
            if traits.get(col) is not None:
                setattr(account, col, str(traits[col])[:size])
        address = traits.get("address")
        if isinstance(address, dict) and isinstance(address.get("country"), str) and len(address["country"]) == 2:
            account.country = address["country"].upper()
        extra = {k: v for k, v in traits.items() if k not in ACCOUNT_TRAITS}
        if extra:
            account.attributes = {**(account.attributes or {}), **extra}
        return account

    def _report(self) -> None:
        """Webhook events for the accounts the step created or changed (one per account per step)."""
        for group_id, (event, before) in self._account_events.items():
            after = _account_view(self.accounts[group_id])
            if event == "account.created":
                self.result.accounts_created += 1
                emit(self.session, event, after)
            elif after != before:
                self.result.accounts_updated += 1
                emit(self.session, event, after)

    def _contact(self, user: TrackedUser, user_id: str | None) -> None:
        """The contact of an identified user (``userId``) linked to an account, made or brought up to date."""
        if not user_id or user.account_id is None:
            return
        traits = user.traits or {}
        contact = self.contacts.get(user_id)
        created = contact is None
        if contact is None:
            contact = Contact(external_id=user_id, account_id=user.account_id, attributes={})
            self.session.add(contact)
            self.contacts[user_id] = contact
        contact.account_id = user.account_id
        name = traits.get("name") or " ".join(str(traits[k]) for k in ("firstName", "lastName") if traits.get(k))
        if name:
            contact.name = str(name)[:200]
        if isinstance(traits.get("email"), str):
            contact.email = traits["email"][:320]
        if traits.get("title") is not None:
            contact.title = str(traits["title"])[:200]
        if isinstance(traits.get("role"), str) and traits["role"].lower() in ROLES:
            contact.role = ContactRole(traits["role"].lower())
        language = traits.get("language") or traits.get("locale")
        if isinstance(language, str) and language:
            contact.language = language.replace("_", "-").split("-")[0].lower()[:10]
        extra = {k: v for k, v in traits.items() if k not in CONTACT_TRAITS and k != "locale"}
        if extra:
            contact.attributes = {**(contact.attributes or {}), **extra}
        self._user_contact[user.key] = contact
        self.result.contacts_created += created


def _account_view(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "external_id": a.external_id,
        "name": a.name,
        "domain": a.domain,
        "industry": a.industry,
        "segment": a.segment,
        "country": a.country,
        "attributes": dict(a.attributes or {}),
    }


def _naive(t: datetime) -> datetime:
    return t.replace(tzinfo=None) if t.tzinfo else t


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
