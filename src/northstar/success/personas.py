"""Personas: kinds of customer that share a definition of success, assigned by rules on their data.

A file (``NORTHSTAR_HOME/personas.yaml``; the demo writes its own) holds::

    personas:
      - key: growth_marketer            # stored on each account (accounts.persona)
        name: Growth marketer
        outcome: More pipeline from campaigns they can measure   # what success means to this persona
        match: all                      # all rules must hold (default), or any
        rules:
          - {field: attributes.primary_team, in: [Marketing, Demand generation, Growth]}
          - {field: segment, not_in: [Enterprise]}

Personas are tried in file order; an account takes the first whose rules hold, else none ("unassigned").
Without a file nothing is assigned and the personas imported with the accounts stay as they are.

A rule is a field and one operator. Fields: the account's columns (``segment``, ``industry``, ``region``,
``country``, ``lifecycle_stage``, ``name``, ``domain``), ``attributes.<key>``, and figures Northstar keeps:
``mrr`` and ``arr`` (reporting currency), ``seats`` and ``product_lines`` (active subscriptions),
``contact_roles`` and ``contact_titles`` (the account's active contacts), and ``persona`` (for playbooks'
filters). Operators: ``equals``,
``not_equals``, ``in``, ``not_in`` (text compared without case), ``contains`` (a list holds the value, or a
text contains it), ``matches`` (a regular expression), ``gte``, ``gt``, ``lte``, ``lt`` and ``exists``.

The coverage report answers the question DESIGN.md asks of personas: do five or fewer carry about 80% of
revenue here?
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from northstar.accounts.models import Account, Contact
from northstar.config import Settings
from northstar.configfiles import ConfigError, ConfigFile, Strict, parser
from northstar.db.engine import session_scope
from northstar.db.versions import bump
from northstar.portfolio.models import AccountSummary
from northstar.revenue.models import Subscription, SubscriptionStatus

UNASSIGNED = "unassigned"
OPERATORS = ("equals", "not_equals", "in", "not_in", "contains", "matches", "gte", "gt", "lte", "lt", "exists")
COLUMNS = ("segment", "industry", "region", "country", "lifecycle_stage", "name", "domain")
FIGURES = ("mrr", "arr", "seats", "product_lines", "contact_roles", "contact_titles")
LISTS = ("product_lines", "contact_roles", "contact_titles")


class PersonaError(ConfigError):
    """A persona file that cannot be used; the message names the file and each problem's place."""


class Rule(Strict):
    field: str
    op: Literal[OPERATORS]  # type: ignore[valid-type]
    value: Any = None

    @model_validator(mode="before")
    @classmethod
    def _one_operator(cls, data: Any) -> Any:
        """``{field: segment, in: [SMB]}`` -> ``{field: segment, op: in, value: [SMB]}``."""
        if not isinstance(data, dict) or "op" in data:
            return data
        ops = [k for k in data if k != "field"]
        if len(ops) != 1:
            raise ValueError(f"a rule is a field and one operator ({', '.join(OPERATORS)}); got {ops or 'none'}")
        return {"field": data.get("field"), "op": ops[0], "value": data[ops[0]]}

    @field_validator("field")
    @classmethod
    def _known(cls, v: str) -> str:
        if v in COLUMNS or v in FIGURES or v == "persona" or (v.startswith("attributes.") and len(v) > 11):
            return v
        known = ", ".join((*COLUMNS, *FIGURES, "persona", "attributes.<key>"))
        raise ValueError(f"unknown field {v!r}; fields: {known}")

    @model_validator(mode="after")
    def _value_fits(self) -> Rule:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"{self.op} needs a list of values")
        if self.op in ("gte", "gt", "lte", "lt") and not isinstance(self.value, int | float):
            raise ValueError(f"{self.op} needs a number")
        if self.op == "exists" and not isinstance(self.value, bool):
            raise ValueError("exists needs true or false")
        if self.op == "matches":
            try:
                re.compile(str(self.value))
            except re.error as exc:
                raise ValueError(f"matches: not a regular expression: {exc}") from None
        if self.op not in ("exists",) and self.value is None:
            raise ValueError(f"{self.op} needs a value")
        return self


class Persona(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    name: str
    description: str = ""
    outcome: str = ""
    match: Literal["all", "any"] = "all"
    rules: list[Rule] = Field(min_length=1)

    @field_validator("key")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v == UNASSIGNED:
            raise ValueError(f"{UNASSIGNED!r} is the name of accounts no persona takes")
        return v


class PersonaConfig(Strict):
    personas: list[Persona] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PersonaConfig:
        keys = [p.key for p in self.personas]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"persona keys must be unique: {', '.join(twice)}")
        return self

    def get(self, key: str) -> Persona | None:
        return next((p for p in self.personas if p.key == key), None)


_parse = parser(PersonaConfig, PersonaError)


def parse(data: Any, source: str = "personas.yaml") -> PersonaConfig:
    return _parse(data, source)


FILE = ConfigFile("personas", parse, None, PersonaError)


def account_frame(session: Session) -> pd.DataFrame:
    """One row per account with every field a rule may name (attributes flattened as ``attributes.<key>``)."""
    accounts = session.execute(
        select(Account.id, *(getattr(Account, c) for c in COLUMNS), Account.attributes, Account.persona)
    ).all()
    frame = pd.DataFrame(
        [
            {
                "id": a.id,
                **{c: getattr(getattr(a, c), "value", getattr(a, c)) for c in COLUMNS},
                "persona": a.persona,
                **{f"attributes.{k}": v for k, v in (a.attributes or {}).items()},
            }
            for a in accounts
        ]
    )
    if frame.empty:
        return pd.DataFrame(columns=["id", *COLUMNS, "persona", *FIGURES])
    money = dict(session.execute(select(AccountSummary.account_id, AccountSummary.mrr)).all())
    frame["mrr"] = frame["id"].map(money).fillna(0.0)
    frame["arr"] = frame["mrr"] * 12
    subs = session.execute(
        select(Subscription.account_id, Subscription.product_line, Subscription.seats).where(
            Subscription.status == SubscriptionStatus.ACTIVE
        )
    ).all()
    lines: dict[int, set[str]] = {}
    seats: dict[int, int] = {}
    for account_id, line, n in subs:
        lines.setdefault(account_id, set()).add(line)
        seats[account_id] = seats.get(account_id, 0) + (n or 0)
    frame["product_lines"] = frame["id"].map(lambda i: sorted(lines.get(i, ())))
    frame["seats"] = frame["id"].map(seats).fillna(0).astype(int)
    roles: dict[int, list[str]] = {}
    titles: dict[int, list[str]] = {}
    for account_id, role, title in session.execute(
        select(Contact.account_id, Contact.role, Contact.title).where(Contact.is_active.is_(True))
    ):
        roles.setdefault(account_id, []).append(getattr(role, "value", role))
        if title:
            titles.setdefault(account_id, []).append(title)
    frame["contact_roles"] = frame["id"].map(lambda i: roles.get(i, []))
    frame["contact_titles"] = frame["id"].map(lambda i: titles.get(i, []))
    return frame


def _fold(v: Any) -> Any:
    return v.casefold() if isinstance(v, str) else v


def _holds(rule: Rule, frame: pd.DataFrame) -> pd.Series:
    """Which rows satisfy ``rule`` (a field the data lacks satisfies only ``exists: false`` and negations)."""
    col = frame[rule.field] if rule.field in frame else pd.Series([None] * len(frame), index=frame.index)
    present = col.map(lambda v: v is not None and v == v and v != [] and v != "")
    op, value = rule.op, rule.value
    if op == "exists":
        return present if value else ~present
    if rule.field in LISTS:
        items = col.map(lambda v: {_fold(x) for x in (v or [])})
        wanted = {_fold(x) for x in value} if isinstance(value, list) else {_fold(value)}
        if op in ("equals", "contains", "in"):
            return items.map(lambda s: bool(s & wanted))
        if op in ("not_equals", "not_in"):
            return items.map(lambda s: not (s & wanted))
        if op == "matches":
            pattern = re.compile(str(value), re.I)
            return col.map(lambda v: any(pattern.search(str(x)) for x in (v or [])))
        return pd.Series(False, index=frame.index)
    if op in ("gte", "gt", "lte", "lt"):
        numbers = pd.to_numeric(col, errors="coerce")
        return {"gte": numbers >= value, "gt": numbers > value, "lte": numbers <= value, "lt": numbers < value}[op]
    folded = col.map(_fold)
    if op == "equals":
        return folded == _fold(value)
    if op == "not_equals":
        return folded != _fold(value)
    if op == "in":
        return folded.isin([_fold(v) for v in value])
    if op == "not_in":
        return ~folded.isin([_fold(v) for v in value])
    if op == "contains":
        return folded.map(lambda v: isinstance(v, str) and str(_fold(value)) in v)
    pattern = re.compile(str(value), re.I)
    return col.map(lambda v: isinstance(v, str) and pattern.search(v) is not None)


def assign(config: PersonaConfig, frame: pd.DataFrame) -> pd.Series:
    """Each account's persona key (index: account id), or None where no persona's rules hold."""
    out = pd.Series([None] * len(frame), index=frame["id"].to_numpy(), dtype=object)
    free = pd.Series(True, index=frame.index)
    for persona in config.personas:
        masks = [_holds(rule, frame).fillna(False).astype(bool) for rule in persona.rules]
        hit = pd.concat(masks, axis=1).all(axis=1) if persona.match == "all" else pd.concat(masks, axis=1).any(axis=1)
        take = hit & free
        out[frame.loc[take, "id"].to_numpy()] = persona.key
        free &= ~take
    return out


def assign_personas(session: Session, config: PersonaConfig) -> int:
    """Store each account's persona by the rules; returns how many changed (and raises the data version)."""
    frame = account_frame(session)
    if frame.empty:
        return 0
    wanted = assign(config, frame)
    current = dict(zip(frame["id"], frame["persona"], strict=True))
    changes = [{"id": int(i), "persona": p} for i, p in wanted.items() if current.get(i) != p]
    if changes:
        session.execute(update(Account), changes)
        bump(session, "records")
    return len(changes)


@dataclass(frozen=True)
class CoverageRow:
    persona: str  # a key, or UNASSIGNED
    name: str
    accounts: int
    account_share: float
    mrr: float
    revenue_share: float
    cumulative_revenue_share: float  # this persona and those above it (by revenue)


@dataclass(frozen=True)
class Coverage:
    as_of: date
    rows: tuple[CoverageRow, ...]  # named personas by revenue, largest first; unassigned last
    total_accounts: int
    total_mrr: float

    def personas_for(self, share: float = 0.8) -> int | None:
        """How many personas (largest first) it takes to carry ``share`` of revenue; None if all cannot."""
        for k, row in enumerate((r for r in self.rows if r.persona != UNASSIGNED), 1):
            if row.cumulative_revenue_share >= share - 1e-12:
                return k
        return None

    def top_share(self, k: int = 5) -> float:
        """The revenue share of the ``k`` largest personas."""
        named = [r for r in self.rows if r.persona != UNASSIGNED][:k]
        return named[-1].cumulative_revenue_share if named else 0.0


def coverage(session: Session, as_of: date, config: PersonaConfig | None = None) -> Coverage:
    """Each persona's share of accounts and of revenue (MRR of paying accounts, reporting currency), from the
    personas stored on the accounts. Only accounts with revenue count toward the revenue shares; every
    account counts toward the account shares."""
    frame = account_frame(session)
    names = {p.key: p.name for p in config.personas} if config else {}
    if frame.empty:
        return Coverage(as_of, (), 0, 0.0)
    frame["persona"] = frame["persona"].fillna(UNASSIGNED).replace("", UNASSIGNED)
    by = frame.groupby("persona").agg(accounts=("id", "size"), mrr=("mrr", "sum")).reset_index()
    total_accounts, total_mrr = int(by["accounts"].sum()), float(by["mrr"].sum())
    named = by[by["persona"] != UNASSIGNED].sort_values(["mrr", "persona"], ascending=[False, True])
    rows, running = [], 0.0
    for r in [*named.itertuples(), *by[by["persona"] == UNASSIGNED].itertuples()]:
        share = float(r.mrr) / total_mrr if total_mrr else 0.0
        running += share
        rows.append(
            CoverageRow(
                r.persona,
                names.get(r.persona, r.persona),
                int(r.accounts),
                int(r.accounts) / total_accounts,
                float(r.mrr),
                share,
                running,
            )
        )
    return Coverage(as_of, tuple(rows), total_accounts, total_mrr)


def apply_personas(settings: Settings) -> int | None:
    """Assign personas by the installation's ``personas.yaml``; None (nothing done) when it has none."""
    config = FILE.load(settings)
    if config is None:
        return None
    with session_scope(settings.database_url) as session:
        return assign_personas(session, config)
