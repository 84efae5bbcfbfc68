"""Upsell and cross-sell signals, each with the evidence behind it.

- **Seats near the licence limit**: the people active in the last 30 days against the seats the account's
  active subscriptions license. At :data:`SEAT_SHARE` (90%) or more, the account is close to needing more.
- **Features an add-on extends** (``NORTHSTAR_HOME/expansion.yaml``): heavy use of a feature whose natural
  next step is a product line the account does not have::

      addons:
        - product_line: Automation
          reason: Scheduling many reports by hand is what Flow Automation does for them
          signals: [{event: schedule_report, count: 20, days: 30}]

- **Expansion propensity**: once a model is trained (``northstar risk train --target expansion``,
  ``northstar.health.risk``), the accounts whose probability of expanding within its horizon is at least
  :data:`PROPENSITY_LIFT` times the base rate, with the measures pushing them most towards expanding (TreeSHAP).
  The model is back-tested like the churn model (``northstar risk backtest --target expansion``).

Each signal names its figures ("27 people active in the last 30 days for 30 licensed seats"), so a CSM can
check it before the conversation. Accounts that pay nothing today are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import duck
from northstar.config import Settings
from northstar.configfiles import ConfigError, ConfigFile, Strict, parser
from northstar.revenue.models import Subscription, SubscriptionStatus

SEAT_SHARE = 0.9
WINDOW = 30
#: A propensity signal needs at least this multiple of the base rate of expanding.
PROPENSITY_LIFT = 2.0


class ExpansionError(ConfigError):
    """An expansion file that cannot be used; the message names the file and each problem's place."""


class UsageSignal(Strict):
    event: str
    count: int = Field(ge=1)
    days: int = Field(30, ge=1, le=365)


class Addon(Strict):
    product_line: str
    reason: str = ""
    signals: list[UsageSignal] = Field(min_length=1)


class ExpansionConfig(Strict):
    addons: list[Addon] = Field(min_length=1)


_parse = parser(ExpansionConfig, ExpansionError)


def parse(data: Any, source: str = "expansion.yaml") -> ExpansionConfig:
    return _parse(data, source)


FILE = ConfigFile("expansion", parse, None, ExpansionError)


@dataclass(frozen=True)
class Signal:
    account_id: int
    kind: str  # seats, addon
    product_line: str
    evidence: str
    strength: float  # seats: the share used; add-on: the strongest usage over its threshold


def _active_lines(session: Session) -> tuple[dict[int, set[str]], dict[int, int]]:
    lines: dict[int, set[str]] = {}
    seats: dict[int, int] = {}
    for account_id, line, n in session.execute(
        select(Subscription.account_id, Subscription.product_line, Subscription.seats).where(
            Subscription.status == SubscriptionStatus.ACTIVE
        )
    ):
        lines.setdefault(account_id, set()).add(line)
        seats[account_id] = seats.get(account_id, 0) + (n or 0)
    return lines, seats


def signals(settings: Settings, session: Session, as_of: date, account_id: int | None = None) -> list[Signal]:
    """Every signal (or one account's), strongest first within each kind."""
    from northstar.store import rollup_store

    lines, seats = _active_lines(session)
    if account_id is not None:
        lines = {a: v for a, v in lines.items() if a == account_id}
    out: list[Signal] = []
    store = rollup_store(settings)
    users = store.read("user_day", as_of - timedelta(days=WINDOW), as_of + timedelta(days=1))
    con = duck.cursor()
    try:
        con.register("_users", users.select(["account_id", "user_id"]))
        active = dict(con.sql("SELECT account_id, COUNT(DISTINCT user_id) FROM _users GROUP BY 1").fetchall())
    finally:
        con.close()
    for a in sorted(lines):
        licensed, used = seats.get(a, 0), int(active.get(a, 0))
        if licensed and used / licensed >= SEAT_SHARE:
            line = sorted(lines[a])[0]
            out.append(
                Signal(
                    a,
                    "seats",
                    line,
                    f"{used} people active in the last {WINDOW} days for {licensed} licensed seats",
                    used / licensed,
                )
            )
    config = FILE.load(settings)
    if config is not None:
        rules = [(addon, sig) for addon in config.addons for sig in addon.signals]
        longest = max(sig.days for _, sig in rules)
        features = store.read("feature_day", as_of - timedelta(days=longest), as_of + timedelta(days=1))
        params = pa.table(
            {
                "rule": list(range(len(rules))),
                "event": [sig.event for _, sig in rules],
                "since": [as_of - timedelta(days=sig.days) for _, sig in rules],
            }
        )
        con = duck.cursor()
        try:
            con.register("_features", features)
            con.register("_rules", params)
            counts = con.sql(
                "SELECT r.rule, f.account_id, SUM(f.events) FROM _features f JOIN _rules r "
                "ON f.event = r.event AND f.day > r.since GROUP BY ALL"
            ).fetchall()
        finally:
            con.close()
        best: dict[tuple[int, int], tuple[float, str]] = {}  # (add-on, account) -> its strongest usage
        index = {id(addon): k for k, addon in enumerate(config.addons)}
        for rule, a, n in counts:
            addon, sig = rules[rule]
            if a not in lines or addon.product_line in lines[a] or n < sig.count:
                continue
            key = (index[id(addon)], int(a))
            strength = n / sig.count
            if key not in best or strength > best[key][0]:
                best[key] = (strength, f"{sig.event} {int(n)} times in {sig.days} days (signal at {sig.count})")
        for (k, a), (strength, words) in best.items():
            addon = config.addons[k]
            reason = f"{addon.reason}: " if addon.reason else ""
            out.append(Signal(a, "addon", addon.product_line, reason + words, strength))
    out += _propensity(settings, as_of, set(lines))
    out.sort(key=lambda s: (s.kind, -s.strength, s.account_id))
    return out


def _propensity(settings: Settings, as_of: date, accounts: set[int]) -> list[Signal]:
    """Accounts the expansion model rates at :data:`PROPENSITY_LIFT` x the base rate or more (none without one)."""
    from northstar import i18n
    from northstar.health.measures import CATALOGUE
    from northstar.health.risk import RiskModel, model_path, score

    path = model_path(settings, "expansion")
    if not path.exists() or not accounts:
        return []
    model = RiskModel.load(path)
    base = model.base_rate_
    scored = score(settings, model, as_of, explain_above=PROPENSITY_LIFT * base)
    out = []
    for account_id, row in scored.iterrows():
        p = float(row["risk"])
        if account_id not in accounts or p < PROPENSITY_LIFT * base:
            continue
        drivers = [row[f"driver_{k}"] for k in (1, 2, 3) if isinstance(row.get(f"driver_{k}"), str)]
        words = [i18n.gettext(CATALOGUE[d].description) if d in CATALOGUE else d for d in drivers]
        evidence = f"{p:.0%} chance of expanding within {model.horizon} days ({base:.0%} for all accounts)"
        if words:
            evidence += "; most of all: " + "; ".join(words)
        out.append(Signal(int(account_id), "propensity", "", evidence, p))
    return out
