"""The demo company generator. Its causal story is documented in docs/demo-data.md; in short:

* Each account has a latent **fit** (how well the product serves it) and a latent **sentiment** (how
  warmly it rates things), correlated 0.3. Two archetypes break the link on purpose: *satisfied but not
  successful* (high sentiment, low fit) and *successful but unhappy* (low sentiment, high fit).
* Fit drives adoption of the four key features, whether the decision maker is engaged, and the chance
  that usage starts to decline. Support trouble (15% of accounts) doubles tickets and leaves many
  unresolved.
* The monthly churn hazard is ``sigmoid(-4.6 + 3.0 lost + 0.8 unresolved>=2 + 1.0 no_dm
  - 0.45 key_features + 0.3 smb)``, where ``lost`` is the share of usage the decline has taken so far;
  sentiment has no direct effect. Annual contracts can churn only at renewal, with the hazard compounded
  over the year. Contraction follows the same story:
  ``sigmoid(-5.4 + 3.5 lost + 1.0 no_dm + 0.6 unresolved>=2 - 0.3 key_features)``.
* NPS follows sentiment first (``8.1 + 1.3 sentiment + 0.35 fit - 1.0 unresolved``), so NPS and success
  disagree for the two archetypes, as they do in real customer bases.

Everything is drawn from one ``numpy`` generator seeded by ``seed``: the same seed, size and ``as_of``
give the same company.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from sqlalchemy.engine import Connection

from northstar.accounts.models import Account, Contact
from northstar.auth.models import User
from northstar.config import Settings
from northstar.db.bulk import bulk_insert
from northstar.db.engine import make_engine
from northstar.demo import catalog as C
from northstar.demo.phrases import pick
from northstar.feedback.models import Feedback, SurveyInvitation
from northstar.revenue.models import Invoice, Subscription
from northstar.success.models import Assessment, SuccessGoal, SuccessPlan, VehicleEnrolment
from northstar.support.models import Ticket
from northstar.touchpoints.models import Touchpoint
from northstar.usage.store import EventStore

Progress = Callable[[str, float], None]  # (stage, fraction of the whole build done)


def sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-x))


def adoption_hazard(fit: np.ndarray, feature: int) -> np.ndarray:
    """The monthly chance that an account adopts key feature ``feature`` (from the month after it arrives)."""
    return sigmoid(-2.6 + 1.3 * fit - 0.3 * feature)  # type: ignore[return-value]


def add_months(d: date, n: int) -> date:
    idx = d.year * 12 + d.month - 1 + n
    return date(idx // 12, idx % 12 + 1, 1)


@dataclass
class DemoConfig:
    accounts: int = 2000
    seed: int = 42
    months: int = 24
    events_per_account_month: float = 40.0
    as_of: date = field(default_factory=lambda: datetime.now(UTC).date())

    @property
    def first_month(self) -> date:
        return add_months(date(self.as_of.year, self.as_of.month, 1), -(self.months - 1))


@dataclass
class DemoSummary:
    config: dict[str, Any]
    rows: dict[str, int]
    admin_email: str
    admin_password: str


@dataclass
class Truth:
    """The latent state behind the data, kept beside it so analyses can be checked."""

    archetype: np.ndarray
    fit: np.ndarray
    sentiment: np.ndarray
    dm_engaged: np.ndarray
    support_trouble: np.ndarray
    decline_start: np.ndarray
    adopt_month: np.ndarray  # (accounts, key features); months+1 = never
    churn_months: list[list[int]] = field(default_factory=list)


class DemoBuilder:
    def __init__(self, cfg: DemoConfig, settings: Settings, progress: Progress | None = None) -> None:
        self.cfg = cfg
        self.settings = settings
        self.rng = np.random.default_rng(cfg.seed)
        self.progress = progress or (lambda stage, frac: None)
        self.rows: dict[str, list[dict[str, Any]]] = {
            k: []
            for k in (
                "users",
                "accounts",
                "contacts",
                "subscriptions",
                "invoices",
                "tickets",
                "touchpoints",
                "feedback",
                "invitations",
                "assessments",
                "success_plans",
                "goals",
                "enrolments",
            )
        }
        #: Per enrolment of the demo's vehicles: what happened and what would have without it (the truth file).
        self.vehicle_truth: list[dict[str, Any]] = []
        #: Per account buying services: its purchase rate, dropout chance and spend scale, and whether it is
        #: still buying at the end (the truth file the lifetime-value models are checked against).
        self.services_truth: list[dict[str, Any]] = []
        #: (account index, month) -> the day the account's tracked feature was first drawn that month, shown or
        #: not (a feature not adopted yet shows as a dashboard view): the counterfactual first-use day comes
        #: from these draws.
        self._draws: dict[tuple[int, int], date] = {}
        self._tracked = np.zeros(0, np.int64)
        self.event_rows = 0
        self._ids: dict[str, int] = {}

    def next_id(self, kind: str) -> int:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    # ------------------------------------------------------------------ the build
    def build(self, admin_password: str) -> DemoSummary:
        self.progress("staff and accounts", 0.0)
        self._staff(admin_password)
        self._accounts()
        self._contacts()
        self._vehicles()
        self.progress("simulating 24 months", 0.1)
        self._simulate()
        self._plans()
        self._services()
        self.progress("writing the operational store", 0.85)
        self._vehicle_outcomes()
        self._write_sql()
        self._write_truth()
        self.progress("done", 1.0)
        counts = {k: len(v) for k, v in self.rows.items()}
        counts["events"] = self.event_rows
        cfg = asdict(self.cfg)
        cfg["as_of"] = self.cfg.as_of.isoformat()
        return DemoSummary(cfg, counts, self.admin_email, admin_password)

    def _staff(self, admin_password: str) -> None:
        from northstar.auth.passwords import hash_password

        self.admin_email = "admin@northstar.demo"
        staff = [
            ("admin@northstar.demo", "Ada Admin", "admin", hash_password(admin_password)),
            ("ops@northstar.demo", "Oscar Ops", "cs_ops", None),
            ("leader@northstar.demo", "Lena Leader", "viewer", None),
        ]
        n_csm = int(np.clip(self.cfg.accounts // 100, 4, 250))
        for k in range(n_csm):
            first, last = C.FIRST_NAMES[k % len(C.FIRST_NAMES)], C.LAST_NAMES[(k * 7) % len(C.LAST_NAMES)]
            staff.append((f"csm{k + 1}@northstar.demo", f"{first} {last}", "csm", None))
        for email, name, role, pw in staff:
            self.rows["users"].append(
                {
                    "id": self.next_id("users"),
                    "email": email,
                    "name": name,
                    "role": role,
                    "password_hash": pw,
                    "is_active": True,
                    "locale": "en",
                }
            )
        self.csm_ids = np.array([u["id"] for u in self.rows["users"] if u["role"] == "csm"])

    def _accounts(self) -> None:
        n, rng, cfg = self.cfg.accounts, self.rng, self.cfg
        self.seg = rng.choice(3, n, p=C.SEGMENT_SHARE)
        self.persona = rng.choice(len(C.PERSONAS), n, p=C.PERSONA_SHARE)
        weights = np.array([c[3] for c in C.COUNTRIES])
        self.country = rng.choice(len(C.COUNTRIES), n, p=weights / weights.sum())
        arche = rng.choice(3, n, p=(0.82, 0.10, 0.08))  # typical, satisfied_unsuccessful, successful_unhappy
        z1, z2 = rng.standard_normal(n), rng.standard_normal(n)
        fit = z1.copy()
        sentiment = 0.3 * z1 + np.sqrt(1 - 0.09) * z2
        fit[arche == 1], sentiment[arche == 1] = (
            -1.5 + 0.4 * z1[arche == 1],
            1.8 + 0.3 * np.abs(z2[arche == 1]),
        )
        fit[arche == 2], sentiment[arche == 2] = (
            1.5 + 0.4 * np.abs(z1[arche == 2]),
            -1.8 - 0.3 * np.abs(z2[arche == 2]),
        )
        lo = np.array([C.SEATS[C.SEGMENTS[s]][0] for s in self.seg])
        hi = np.array([C.SEATS[C.SEGMENTS[s]][1] for s in self.seg])
        self.seats0 = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi)))).astype(int)
        # 60% were customers before the window opened; the rest arrive during it.
        self.arrival = np.where(rng.random(n) < 0.6, -rng.integers(1, 37, n), rng.integers(0, cfg.months, n))
        self.annual = np.where(self.seg == 0, rng.random(n) < 0.3, rng.random(n) < 0.9)
        decline = rng.random(n) < sigmoid(-1.2 - 1.0 * fit)
        start = np.maximum(self.arrival, 0) + rng.integers(3, cfg.months + 6, n)
        self.truth = Truth(
            archetype=np.array(["typical", "satisfied_unsuccessful", "successful_unhappy"])[arche],
            fit=fit,
            sentiment=sentiment,
            dm_engaged=rng.random(n) < sigmoid(0.9 * fit + 0.4),
            support_trouble=rng.random(n) < 0.15,
            decline_start=np.where(decline, start, 10_000),
            adopt_month=np.full((n, len(C.KEY_FEATURES)), 10_000),
        )
        # Key-feature adoption: a monthly hazard from arrival on, by fit; some adopted before the window.
        for f in range(len(C.KEY_FEATURES)):
            hazard = adoption_hazard(fit, f)
            wait = rng.geometric(np.clip(hazard, 1e-4, 1)) - 1
            self.truth.adopt_month[:, f] = np.minimum(self.arrival + 1 + wait, 10_000)
        first = cfg.first_month
        for i in range(n):
            country, region, _lang, _w = C.COUNTRIES[self.country[i]]
            name = f"{C.NAME_PARTS[i % 20]} {C.NAME_PARTS[(i // 20) % 20]} {C.NAME_SUFFIX[(i // 400) % 16]}"
            if i >= 6400:
                name += f" {i // 6400 + 1}"
            since = add_months(first, int(self.arrival[i]))
            self.rows["accounts"].append(
                {
                    "id": i + 1,
                    "external_id": f"ACME-{i + 1:06d}",
                    "name": name,
                    "domain": name.lower().replace(" ", "") + ".example",
                    "segment": C.SEGMENTS[self.seg[i]],
                    "industry": C.INDUSTRIES[int(rng.integers(len(C.INDUSTRIES)))],
                    "region": region,
                    "country": country,
                    "owner_id": int(self.csm_ids[i % len(self.csm_ids)]),
                    "persona": C.PERSONAS[self.persona[i]][0],
                    "lifecycle_stage": None,
                    "customer_since": since,
                    "wallet_estimate": None,
                    "attributes": {"employees": int(self.seats0[i] * rng.uniform(2, 6))},
                    "parent_id": None,
                }
            )
        # Hierarchies: a few enterprise groups own subsidiaries.
        ent = np.flatnonzero(self.seg == 2)
        for k, parent in enumerate(ent[: max(1, len(ent) // 20)]):
            for child in ent[len(ent) // 20 + 3 * k : len(ent) // 20 + 3 * k + 2]:
                self.rows["accounts"][child]["parent_id"] = int(parent) + 1
        for i, acc in enumerate(self.rows["accounts"]):
            acc["wallet_estimate"] = round(float(self.seats0[i] * 12 * 90 * rng.uniform(1.2, 3.0)), 2)
        # The team that bought the product, as a CRM would spell it: the demo's persona rules read it
        # (demo/personas.yaml). Its own random stream, so the rest of the demo draws as it did before.
        teams = np.random.default_rng([cfg.seed, 8])
        for i, acc in enumerate(self.rows["accounts"]):
            spellings = C.PERSONA_TEAMS[C.PERSONAS[self.persona[i]][0]]
            acc["attributes"]["primary_team"] = spellings[int(teams.integers(len(spellings)))]

    def _contacts(self) -> None:
        rng, n = self.rng, self.cfg.accounts
        self.n_contacts = np.clip(2 + np.sqrt(self.seats0).astype(int), 3, 40)
        self.contact_offset = np.concatenate([[0], np.cumsum(self.n_contacts)[:-1]])
        roles = ("decision_maker", "champion", "admin")
        titles = ("VP Operations", "Head of Analytics", "IT Administrator")
        for i in range(n):
            lang = C.COUNTRIES[self.country[i]][2]
            domain = self.rows["accounts"][i]["domain"]
            for k in range(int(self.n_contacts[i])):
                first, first_ascii = C.PEOPLE[lang][int(rng.integers(len(C.PEOPLE[lang])))]
                last, last_ascii = C.SURNAMES[lang][int(rng.integers(len(C.SURNAMES[lang])))]
                full = f"{last} {first}" if lang == "ja" else f"{first} {last}"
                cid = self.next_id("contacts")
                self.rows["contacts"].append(
                    {
                        "id": cid,
                        "external_id": f"C-{cid:08d}",
                        "account_id": i + 1,
                        "name": full,
                        "email": f"{first_ascii}.{last_ascii}{k}@{domain}",
                        "title": titles[k] if k < 3 else "Analyst",
                        "role": roles[k] if k < 3 else "user",
                        "language": lang if rng.random() < 0.9 else "en",
                        "is_active": True,
                        "attributes": {},
                    }
                )

    # ------------------------------------------------------------------ the monthly simulation
    def _simulate(self) -> None:
        cfg, rng, n, t = self.cfg, self.rng, self.cfg.accounts, self.truth
        M = cfg.months
        first = cfg.first_month
        active = np.zeros(n, bool)
        seats = self.seats0.astype(float).copy()
        lines = np.zeros((n, 3), bool)
        open_rows: dict[tuple[int, int], dict[str, Any]] = {}
        gone_since = np.full(n, -1)
        unresolved_recent = np.zeros(n)
        discount = np.array([1.0, 0.9, 0.8])[self.seg]
        plan_idx = np.where(self.seg == 0, 0, np.where(self.seg == 1, 1, 2))
        t.churn_months = [[] for _ in range(n)]
        store = EventStore(self.settings.events_dir)

        def price(i: int, line: int) -> tuple[str, str, float]:
            options = C.PLANS[C.PRODUCT_LINES[line]]
            return options[min(int(plan_idx[i]), len(options) - 1)]

        def open_term(i: int, line: int, day: date) -> None:
            product, plan, per_seat = price(i, line)
            s = max(1, int(round(seats[i] * (1.0 if line == 0 else 0.5))))
            sid = self.next_id("subscriptions")
            annual = bool(self.annual[i])
            end = (add_months(day, 12) - timedelta(days=1)) if annual else None
            open_rows[(i, line)] = {
                "id": sid,
                "external_id": f"SUB-{sid:07d}",
                "account_id": i + 1,
                "product": product,
                "product_line": C.PRODUCT_LINES[line],
                "plan": plan,
                "seats": s,
                "mrr": round(s * per_seat * float(discount[i]), 2),
                "currency": "USD",
                "start_date": day,
                "end_date": end,
                "renewal_date": (end + timedelta(days=1)) if end else add_months(day, 1),
                "status": "active",
                "billing_period": "annual" if annual else "monthly",
            }
            self.rows["subscriptions"].append(open_rows[(i, line)])

        def close_term(i: int, line: int, day: date, status: str) -> None:
            row = open_rows.pop((i, line))
            row["end_date"] = day - timedelta(days=1)
            row["status"] = status
            if row["end_date"] < row["start_date"]:
                row["end_date"] = row["start_date"]

        for m in range(M):
            month = add_months(first, m)
            month_end = add_months(first, m + 1) - timedelta(days=1)
            # Arrivals (and the base that was already there when the window opened).
            arriving = np.flatnonzero((self.arrival == m) | ((m == 0) & (self.arrival < 0)))
            for i in arriving:
                start = month if self.arrival[i] >= 0 else add_months(first, int(self.arrival[i]))
                if self.annual[i] and self.arrival[i] < 0:
                    # Align the current annual term so that it started within the last year.
                    start = add_months(first, -int((-self.arrival[i]) % 12))
                active[i], lines[i, 0] = True, True
                open_term(int(i), 0, start)
                if self.persona[i] == 1 and rng.random() < 0.4:
                    lines[i, 1] = True
                    open_term(int(i), 1, start)
            adopted = (t.adopt_month <= m).sum(axis=1)
            declining = m >= t.decline_start + 1
            # the share of usage lost to the decline so far (the events' level falls by 0.72 a month)
            lost = np.where(declining, 1 - 0.72 ** np.clip(m - t.decline_start, 0, 12), 0.0)
            tenure = m - self.arrival
            # Tickets this month (and how many are left unresolved).
            lam = 0.22 * np.sqrt(seats / 10.0) * np.where(t.support_trouble, 2.0, 1.0)
            n_tickets = np.where(active, rng.poisson(lam), 0)
            unresolved_now = self._tickets(month, month_end, n_tickets, self.rng)
            unresolved_recent = 0.5 * unresolved_recent + unresolved_now
            # Churn: monthly hazard; annual contracts decide at renewal.
            logit = (
                -4.6
                + 3.0 * lost
                + 0.8 * (unresolved_recent >= 2)
                + 1.0 * ~t.dm_engaged
                - 0.45 * adopted
                + 0.3 * (self.seg == 0)
            )  # sentiment has no term: satisfaction does not keep a customer that is not succeeding
            hazard = sigmoid(logit)
            renewal_month = np.zeros(n, bool)
            for (i, line), row in open_rows.items():
                if line == 0 and row["end_date"] is not None and row["end_date"] <= month_end:
                    renewal_month[i] = True
            p = np.where(self.annual, np.where(renewal_month, 1 - (1 - hazard) ** 12, 0.0), hazard)
            churn = active & (tenure >= 2) & (rng.random(n) < p)
            for i in np.flatnonzero(churn):
                day = (
                    month_end + timedelta(days=1)
                    if self.annual[i]
                    else month + timedelta(days=int(rng.integers(0, 28)))
                )
                if day > cfg.as_of:
                    continue  # not happened yet
                for line in range(3):
                    if (i, line) in open_rows:
                        close_term(int(i), line, day, "canceled")
                active[i], lines[i] = False, False
                gone_since[i] = m
                t.churn_months[i].append(m)
            # Renewals of annual terms that did not churn.
            for i in np.flatnonzero(active & renewal_month):
                for line in range(3):
                    row = open_rows.get((int(i), line))
                    if row is not None and row["end_date"] is not None and row["end_date"] <= month_end:
                        day = row["end_date"] + timedelta(days=1)
                        if day > cfg.as_of:
                            continue
                        close_term(int(i), line, day, "expired")
                        open_term(int(i), line, day)
            # Expansion and contraction.
            grow = active & ~declining & (tenure >= 3) & (rng.random(n) < sigmoid(-5.0 + 0.4 * adopted + 0.4 * t.fit))
            # Contraction follows the churn story, milder: a declining account, a sponsor not engaged and
            # unresolved tickets shrink; adopted key features hold the seats.
            shrink_logit = -5.4 + 3.5 * lost + 1.0 * ~t.dm_engaged + 0.6 * (unresolved_recent >= 2) - 0.3 * adopted
            shrink = active & (tenure >= 3) & (rng.random(n) < sigmoid(shrink_logit))
            for i in np.flatnonzero(grow | shrink):
                day = month + timedelta(days=int(rng.integers(0, 28)))
                if day > cfg.as_of:
                    continue
                if grow[i] and not lines[i, 1:].all() and rng.random() < 0.45:
                    line = 2 if (self.persona[i] == 4 and not lines[i, 2]) else (1 if not lines[i, 1] else 2)
                    lines[i, line] = True
                    open_term(int(i), line, day)
                    continue
                seats[i] = max(1.0, seats[i] * (rng.uniform(1.1, 1.35) if grow[i] else rng.uniform(0.6, 0.85)))
                for line in range(3):
                    if (i, line) in open_rows:
                        row = open_rows[(int(i), line)]
                        if day <= row["start_date"]:
                            day = row["start_date"] + timedelta(days=1)
                        close_term(int(i), line, day, "expired")
                        open_term(int(i), line, day)
            # Reactivation of some lost customers.
            back = ~active & (gone_since >= 0) & (m - gone_since >= 2) & (rng.random(n) < 0.015)
            for i in np.flatnonzero(back):
                day = month + timedelta(days=int(rng.integers(0, 28)))
                if day > cfg.as_of:
                    continue
                seats[i] = max(1.0, seats[i] * 0.6)
                active[i], lines[i, 0], gone_since[i] = True, True, -1
                open_term(int(i), 0, day)
            self._invoices(month, open_rows)
            self._touchpoints(m, month, active)
            self._feedback(m, month, active, adopted, unresolved_recent)
            self._events(m, month, month_end, active, seats, adopted, declining, cfg.events_per_account_month, store)
            self.progress(f"month {m + 1} of {M}", 0.1 + 0.75 * (m + 1) / M)
        self._finish(active)

    # ------------------------------------------------------------------ per-month record makers
    def _tickets(self, month: date, month_end: date, n_tickets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """This month's tickets, drawn for all accounts at once; returns unresolved counts per account."""
        unresolved = np.zeros(len(n_tickets))
        total = int(n_tickets.sum())
        if total == 0:
            return unresolved
        subjects = (
            "Cannot export report",
            "Dashboard loads slowly",
            "SSO login fails",
            "Billing question",
            "Connector sync error",
            "How to schedule a report",
            "API rate limit",
            "Permissions issue",
        )
        acc = np.repeat(np.arange(len(n_tickets)), n_tickets)
        trouble = self.truth.support_trouble[acc]
        start = np.datetime64(month.isoformat(), "s")
        now = np.datetime64(self.cfg.as_of.isoformat(), "s")
        opened = start + (rng.integers(0, 28, total) * 86400 + rng.integers(8 * 3600, 19 * 3600, total)).astype(
            "timedelta64[s]"
        )
        prio = rng.choice(4, total, p=(0.25, 0.5, 0.2, 0.05))
        first_h = rng.exponential(np.array([6, 4, 2, 0.5])[prio] * np.where(trouble, 2, 1))
        first = opened + (first_h * 3600).astype("timedelta64[s]")
        resolve_h = rng.exponential(np.where(trouble, 60, 20))
        resolved = opened + (resolve_h * 3600).astype("timedelta64[s]")
        is_resolved = (rng.random(total) < np.where(trouble, 0.55, 0.97)) & (resolved < now)
        asked = is_resolved & (rng.random(total) < 0.4)
        sat = np.clip(
            np.round(4.6 - resolve_h / 48 + 0.4 * self.truth.sentiment[acc] + rng.normal(0, 0.6, total)), 1, 5
        )
        contact = self.contact_offset[acc] + (rng.random(total) * self.n_contacts[acc]).astype(np.int64) + 1
        subject = rng.integers(0, len(subjects), total)
        channel = rng.integers(0, 4, total)
        pending = rng.random(total) < 0.3
        csat_answer = rng.random(total) < 0.75
        keep = opened < now
        np.add.at(unresolved, acc[keep & ~is_resolved], 1)
        as_dt = _to_datetimes
        opened_dt, first_dt, resolved_dt = as_dt(opened), as_dt(first), as_dt(resolved)
        for k in np.flatnonzero(keep):
            tid = self.next_id("tickets")
            done = bool(is_resolved[k])
            score = int(sat[k]) if asked[k] else None
            self.rows["tickets"].append(
                {
                    "id": tid,
                    "external_id": f"T-{tid:08d}",
                    "account_id": int(acc[k]) + 1,
                    "contact_id": int(contact[k]),
                    "subject": subjects[subject[k]],
                    "category": None,
                    "priority": ("low", "normal", "high", "urgent")[prio[k]],
                    "channel": ("email", "chat", "web", "phone")[channel[k]],
                    "status": "closed" if done else ("pending" if pending[k] else "open"),
                    "opened_at": opened_dt[k],
                    "first_response_at": first_dt[k] if first[k] < now else None,
                    "resolved_at": resolved_dt[k] if done else None,
                    "satisfaction": score,
                }
            )
            if score is not None and csat_answer[k]:
                self._answer(int(acc[k]), int(contact[k]), "csat", score, "support", "email", resolved_dt[k], "support")
        return unresolved

    def _answer(
        self,
        i: int,
        contact: int,
        kind: str,
        score: int,
        touchpoint: str,
        channel: str,
        at: datetime,
        theme_hint: str | None,
    ) -> int:
        """An answer; returns its id."""
        rng = self.rng
        lang = self.rows["contacts"][contact - 1]["language"]
        top = {"nps": (9, 7), "csat": (5, 4), "ces": (6, 4)}[kind]
        sentiment = "positive" if score >= top[0] else ("neutral" if score >= top[1] else "negative")
        comment = None
        if rng.random() < 0.6:
            theme = (
                theme_hint
                or (
                    "usability",
                    "features",
                    "pricing",
                    "reliability",
                    "integrations",
                    "training",
                    "onboarding",
                )[int(rng.integers(7))]
            )
            comment = pick(rng, lang, sentiment, theme)
        fid = self.next_id("feedback")
        self.rows["feedback"].append(
            {
                "id": fid,
                "external_id": f"F-{fid:08d}",
                "account_id": i + 1,
                "contact_id": contact,
                "survey_type": kind,
                "score": int(score),
                "comment": comment,
                "language": lang,
                "touchpoint": touchpoint,
                "channel": channel,
                "submitted_at": at,
            }
        )
        return fid

    def _invite(
        self, i: int, contact: int, kind: str, touchpoint: str, channel: str, campaign: str, at: datetime
    ) -> dict[str, Any] | None:
        """A survey sent (before ``as_of``); the caller links its answer, if one comes."""
        if at.date() >= self.cfg.as_of:
            return None
        iid = self.next_id("invitations")
        row = {
            "id": iid,
            "external_id": f"I-{iid:08d}",
            "account_id": i + 1,
            "contact_id": contact,
            "survey_type": kind,
            "touchpoint": touchpoint,
            "channel": channel,
            "language": self.rows["contacts"][contact - 1]["language"],
            "campaign": campaign,
            "sent_at": at,
            "feedback_id": None,
        }
        self.rows["invitations"].append(row)
        return row

    def _feedback(self, m: int, month: date, active: np.ndarray, adopted: np.ndarray, unresolved: np.ndarray) -> None:
        rng, t = self.rng, self.truth
        due = active & (((m - self.arrival) % 6) == 3)
        sent = datetime.combine(month, datetime.min.time(), UTC) + timedelta(hours=9)  # answers come later
        campaign = f"relationship NPS {month:%Y-%m}"
        for i in np.flatnonzero(due):
            for k in (0, 1, 3):
                if k >= self.n_contacts[i]:
                    continue
                invitation = self._invite(
                    int(i), int(self.contact_offset[i]) + k + 1, "nps", "relationship", "email", campaign, sent
                )
                if rng.random() > 0.35:  # about a third answer
                    continue
                latent = 8.1 + 1.3 * t.sentiment[i] + 0.35 * t.fit[i] - 1.0 * min(unresolved[i], 2) + rng.normal(0, 1.2)
                score = int(np.clip(round(latent), 0, 10))
                hint = None
                if score <= 6:
                    hint = "support" if t.support_trouble[i] else ("usability" if adopted[i] < 2 else None)
                at = datetime.combine(month, datetime.min.time(), UTC) + timedelta(
                    days=int(rng.integers(0, 28)), hours=10
                )
                if at.date() < self.cfg.as_of and invitation is not None:
                    invitation["feedback_id"] = self._answer(
                        int(i),
                        int(self.contact_offset[i]) + k + 1,
                        "nps",
                        score,
                        "relationship",
                        "email",
                        at,
                        hint,
                    )
        onboarded = active & ((m - self.arrival) == 1)
        for i in np.flatnonzero(onboarded):
            invitation = self._invite(
                int(i), int(self.contact_offset[i]) + 2, "ces", "onboarding", "in_app", "onboarding CES", sent
            )
            if rng.random() < 0.5:  # half answer
                score = int(np.clip(round(5.2 + 0.8 * t.fit[i] + 0.4 * t.sentiment[i] + rng.normal(0, 0.8)), 1, 7))
                at = datetime.combine(month, datetime.min.time(), UTC) + timedelta(
                    days=int(rng.integers(0, 28)), hours=15
                )
                if at.date() < self.cfg.as_of and invitation is not None:
                    invitation["feedback_id"] = self._answer(
                        int(i),
                        int(self.contact_offset[i]) + 2,
                        "ces",
                        score,
                        "onboarding",
                        "in_app",
                        at,
                        "onboarding",
                    )

    def _touchpoints(self, m: int, month: date, active: np.ndarray) -> None:
        rng, t = self.rng, self.truth
        lam = np.array([0.35, 0.8, 1.4])[self.seg]
        n_tp = np.where(active, rng.poisson(lam), 0)
        kinds = (
            ("call", "check_in", "Check-in call"),
            ("email", "check_in", "Follow-up e-mail"),
            ("meeting", "qbr", "Quarterly business review"),
            ("meeting", "training", "Training session"),
            ("email", "renewal", "Renewal conversation"),
            ("call", "escalation", "Escalation call"),
        )
        total = int(n_tp.sum())
        acc = np.repeat(np.arange(len(n_tp)), n_tp)
        kind_idx = rng.choice(6, total, p=(0.35, 0.3, 0.12, 0.1, 0.08, 0.05))
        days, hours = rng.integers(0, 28, total), rng.integers(9, 18, total)
        engaged = t.dm_engaged[acc]
        with_dm = engaged & (np.isin(kind_idx, (2, 4)) | (rng.random(total) < 0.2))
        inbound = rng.random(total) >= 0.8
        note = rng.integers(0, 2, total)
        base = datetime.combine(month, datetime.min.time(), UTC)
        for k in range(total):
            at = base + timedelta(days=int(days[k]), hours=int(hours[k]))
            if at.date() >= self.cfg.as_of:
                continue
            i = int(acc[k])
            ch, kind, subject = kinds[kind_idx[k]]
            contact = int(self.contact_offset[i]) + (0 if with_dm[k] else 1) + 1
            who = self.rows["contacts"][contact - 1]["name"]
            tid = self.next_id("touchpoints")
            self.rows["touchpoints"].append(
                {
                    "id": tid,
                    "external_id": f"TP-{tid:08d}",
                    "account_id": i + 1,
                    "contact_id": contact,
                    "owner_id": self.rows["accounts"][i]["owner_id"],
                    "channel": ch,
                    "direction": "inbound" if inbound[k] else "outbound",
                    "kind": kind,
                    "occurred_at": at,
                    "subject": f"{subject} with {who}",
                    "summary": f"{_summary(kind, int(note[k]))} Contact: {who}.",
                }
            )
        if m % 6 == 2:
            for i in np.flatnonzero(active & (self.seg > 0)):
                if rng.random() < 0.5:
                    at = datetime.combine(month, datetime.min.time(), UTC) + timedelta(days=int(rng.integers(0, 28)))
                    if at.date() >= self.cfg.as_of:
                        continue
                    aid = self.next_id("assessments")
                    score = float(np.clip(round(3 + 0.8 * t.fit[i] + rng.normal(0, 0.5), 1), 1, 5))
                    self.rows["assessments"].append(
                        {
                            "id": aid,
                            "external_id": f"AS-{aid:07d}",
                            "account_id": int(i) + 1,
                            "assessor_id": self.rows["accounts"][i]["owner_id"],
                            "kind": "maturity_review",
                            "score": score,
                            "max_score": 5.0,
                            "assessed_at": at,
                            "notes": "Maturity review with the customer's team.",
                        }
                    )

    def _invoices(self, month: date, open_rows: dict[tuple[int, int], dict[str, Any]]) -> None:
        rng, now = self.rng, self.cfg.as_of
        for (i, _line), row in open_rows.items():
            annual = row["billing_period"] == "annual"
            if annual and row["start_date"] < month:
                continue
            issued = max(row["start_date"], month)
            if issued >= now:
                continue
            fails = int(rng.poisson(0.6 if self.truth.fit[i] < -1 else 0.08))
            due = issued + timedelta(days=30)
            paid = None
            if fails < 3 and due + timedelta(days=10) < now:
                paid = datetime.combine(issued, datetime.min.time(), UTC) + timedelta(
                    days=int(rng.integers(1, 35)) + 7 * fails
                )
            iid = self.next_id("invoices")
            self.rows["invoices"].append(
                {
                    "id": iid,
                    "external_id": f"INV-{iid:08d}",
                    "account_id": i + 1,
                    "subscription_id": row["id"],
                    "amount": round(row["mrr"] * (12 if annual else 1), 2),
                    "currency": "USD",
                    "issued_on": issued,
                    "due_on": due,
                    "paid_at": paid,
                    "failed_attempts": fails,
                    "status": "paid" if paid else "open",
                }
            )

    def _events(
        self,
        m: int,
        month: date,
        month_end: date,
        active: np.ndarray,
        seats: np.ndarray,
        adopted: np.ndarray,
        declining: np.ndarray,
        scale: float,
        store: EventStore,
    ) -> None:
        rng, t = self.rng, self.truth
        level = np.exp(0.35 * t.fit) * np.where(declining, 0.72 ** np.clip(m - t.decline_start, 0, 12), 1.0)
        level *= np.sqrt(seats / np.median(self.seats0)) * rng.lognormal(0, 0.15, len(level))
        level *= 0.5 + 0.5 * np.clip(m - self.arrival, 0, 1)  # a half month in the arrival month
        counts = np.where(active, rng.poisson(scale * level / level.mean()), 0)
        days_in_window = (min(month_end, self.cfg.as_of - timedelta(days=1)) - month).days + 1
        if days_in_window <= 0:
            return
        counts = (counts * days_in_window / ((month_end - month).days + 1)).astype(np.int64)
        total = int(counts.sum())
        if total == 0:
            return
        acc = np.repeat(np.arange(len(counts)), counts)
        # Users: the decision maker (contact 0) takes part only where engaged.
        lo = np.where(t.dm_engaged[acc], 0, 1)
        user = self.contact_offset[acc] + lo + (rng.random(total) * (self.n_contacts[acc] - lo)).astype(np.int64)
        names = C.BASE_EVENTS + C.KEY_FEATURES
        w = np.array(C.BASE_WEIGHTS + C.KEY_WEIGHTS)
        ev = rng.choice(len(names), total, p=w / w.sum())
        key = ev >= len(C.BASE_EVENTS)
        feature = np.clip(ev - len(C.BASE_EVENTS), 0, len(C.KEY_FEATURES) - 1)
        not_adopted = key & (t.adopt_month[acc, feature] > m)
        ev = np.where(not_adopted, 1, ev)  # a feature not adopted yet shows up as a dashboard view
        seconds = rng.integers(0, days_in_window * 86400, total)
        if len(self._tracked):
            self._note_draws(m, month, acc, key, feature, seconds)
            self._go_live(m, month, acc, user, seconds)
        base = np.datetime64(month.isoformat(), "s")
        ts = (base + seconds.astype("timedelta64[s]")).astype("datetime64[us]")
        start = self.event_rows
        ids = pa.array(np.arange(start + 1, start + total + 1)).cast(pa.string())
        import pyarrow.compute as pc

        user_ext = pc.binary_join_element_wise("C-", pc.utf8_lpad(pa.array(user + 1).cast(pa.string()), 8, "0"), "")
        table = pa.table(
            {
                "event_id": pc.binary_join_element_wise("ev-", ids, ""),
                "account_id": pa.array(acc + 1, pa.int64()),
                "contact_id": pa.array(user + 1, pa.int64()),
                "user_id": user_ext,
                "event": pa.DictionaryArray.from_arrays(pa.array(ev.astype(np.int32)), pa.array(names)).cast(
                    pa.string()
                ),
                "timestamp": pa.array(ts),
            }
        )
        order = pc.sort_indices(table, [("timestamp", "ascending")])
        store.write_arrow(table.take(order))
        self.event_rows += total

    def _note_draws(
        self, m: int, month: date, acc: np.ndarray, key: np.ndarray, feature: np.ndarray, seconds: np.ndarray
    ) -> None:
        """The first draw this month of each enrolled account's tracked feature, whether shown or not."""
        hit = key & (feature == self._tracked[acc])
        if not hit.any():
            return
        for i, sec in zip(acc[hit].tolist(), seconds[hit].tolist(), strict=True):
            day = month + timedelta(days=int(sec) // 86400)
            if (i, m) not in self._draws or day < self._draws[(i, m)]:
                self._draws[(i, m)] = day

    def _vehicles(self) -> None:
        """Who the demo's vehicles will enrol, and their real effect on adoption (catalog.VEHICLE_EFFECTS).

        An account whose map's second milestone a vehicle serves (the step after going live) may be enrolled
        as that step starts: within two weeks of the day it goes live (its N-th distinct active user, as its map
        says), found while the events are drawn (:meth:`_go_live`). The choice follows what a CSM sees, segment
        and seats (bigger accounts are enrolled more, and they also use the product more, so a plain comparison
        flatters the vehicle), never the latent fit. While the enrolment runs (the 3 months after the month the
        account went live, so that it never acts before the step began) the feature's monthly adoption chance
        h becomes h' = sigmoid(logit(h) + delta): a second, independent chance (h' - h) / (1 - h) is drawn each
        month beside the account's own adoption month, which is kept as what would have happened without it.
        Its own random stream: the draws before the simulation are unchanged (those after differ: adoption
        changes who churns and grows)."""
        rng = np.random.default_rng([self.cfg.seed, 11])
        maps = yaml.safe_load(Path(__file__).with_name("success_maps.yaml").read_text(encoding="utf-8"))
        second = {m["persona"]: m["milestones"][1]["key"] for m in maps["maps"]}
        live = {m["persona"]: m["milestones"][0]["criteria"][0]["active_users"] for m in maps["maps"]}
        config = yaml.safe_load(Path(__file__).with_name("vehicles.yaml").read_text(encoding="utf-8"))
        serving = {ms: v["key"] for v in config["vehicles"] for ms in v["serves"]}
        n = self.cfg.accounts
        median_seats = float(np.median(self.seats0))
        p_enrol = sigmoid(
            -0.5 + 0.7 * (self.seg == 2) + 0.35 * (self.seg == 1) + 0.2 * np.log(self.seats0 / median_seats)
        )
        u_enrol = rng.random(n)
        self._u_day, self._u_boost, self._u_done = rng.integers(0, 15, n), rng.random((n, 3)), rng.random(n)
        self._tracked = np.full(n, -1, np.int64)
        self._vehicle_of: dict[int, str] = {}
        self._live_need = np.zeros(n, np.int64)
        self._seen_users: dict[int, set[int]] = {}
        for i in range(n):
            persona = C.PERSONAS[self.persona[i]][0]
            key = serving.get(second.get(persona, ""))
            if key is None or u_enrol[i] >= p_enrol[i]:
                continue
            self._vehicle_of[i] = key
            self._tracked[i] = C.KEY_FEATURES.index(C.VEHICLE_EFFECTS[key][0])
            self._live_need[i] = live[persona]
            self._seen_users[i] = set()

    def _go_live(self, m: int, month: date, acc: np.ndarray, user: np.ndarray, seconds: np.ndarray) -> None:
        """Accounts to be enrolled that go live this month (their N-th distinct active user), enrolled then."""
        waiting = np.fromiter(self._seen_users, np.int64) if self._seen_users else np.zeros(0, np.int64)
        hit = np.isin(acc, waiting)
        if not hit.any():
            return
        order = np.argsort(seconds[hit], kind="stable")
        for i, u, sec in zip(
            acc[hit][order].tolist(), user[hit][order].tolist(), seconds[hit][order].tolist(), strict=True
        ):
            seen = self._seen_users.get(i)
            if seen is None:
                continue
            seen.add(u)
            if len(seen) >= self._live_need[i]:
                del self._seen_users[i]
                self._enrol(i, m, month + timedelta(days=int(sec) // 86400))

    def _enrol(self, i: int, m: int, live_day: date) -> None:
        t, key = self.truth, self._vehicle_of[i]
        on = live_day + timedelta(days=int(self._u_day[i]))
        if on >= self.cfg.as_of:
            return
        feature_name, delta = C.VEHICLE_EFFECTS[key]
        f = C.KEY_FEATURES.index(feature_name)
        h = float(adoption_hazard(np.array([t.fit[i]]), f)[0])
        extra = (float(sigmoid(np.log(h / (1 - h)) + delta)) - h) / (1 - h)
        without = int(t.adopt_month[i, f])
        boosted = 10_000
        for k, month in enumerate(range(m + 1, m + 4)):
            if month >= int(self.arrival[i]) + 1 and self._u_boost[i, k] < extra:
                boosted = month
                break
        t.adopt_month[i, f] = min(without, boosted)  # only months after this one change: none is drawn yet
        eid = self.next_id("enrolments")
        finished = on + timedelta(days=45 + int(self._u_done[i] * 45))
        done = self._u_done[i] < 0.8 and finished < self.cfg.as_of
        self.rows["enrolments"].append(
            {
                "id": eid,
                "external_id": f"ENR-{eid:06d}",
                "account_id": i + 1,
                "contact_id": int(self.contact_offset[i]) + 2,  # the champion takes part
                "vehicle": key,
                "enrolled_on": on,
                "completed_on": finished if done else None,
                "status": "completed" if done else ("dropped" if finished < self.cfg.as_of else "enrolled"),
                "source": "demo",
            }
        )
        self.vehicle_truth.append(
            {
                "account_id": i + 1,
                "vehicle": key,
                "live_on": live_day,
                "enrolled_on": on,
                "delta": delta,
                "adopt_month_without": without,
                "adopt_month_with": int(t.adopt_month[i, f]),
            }
        )

    def _vehicle_outcomes(self) -> None:
        """Each enrolment's first use of its feature as it happened, and as it would have without the vehicle:
        the first draw of the feature from the month it was adopted in, in either world. (The draws are those
        of the world with the vehicle; without it, an account adopting later churns a little more often, which
        the counterfactual leaves out, so the true effect written here is a shade conservative.)"""
        months = self.cfg.months
        for row in self.vehicle_truth:
            i = row["account_id"] - 1

            def first_use(adopted: int, i: int = i) -> date | None:
                days = [self._draws[(i, m)] for m in range(max(adopted, 0), months) if (i, m) in self._draws]
                return min(days) if days else None

            row["first_use_with"] = first_use(row["adopt_month_with"])
            row["first_use_without"] = first_use(row["adopt_month_without"])

    def _finish(self, active: np.ndarray) -> None:
        today = self.cfg.as_of
        for i, acc in enumerate(self.rows["accounts"]):
            tenure = self.cfg.months - 1 - self.arrival[i]
            if not active[i]:
                acc["lifecycle_stage"] = "churned"
            elif tenure < 3:
                acc["lifecycle_stage"] = "onboarding"
            elif self.cfg.months - 1 >= self.truth.decline_start[i]:
                acc["lifecycle_stage"] = "at_risk"
            else:
                acc["lifecycle_stage"] = "adoption"
        for row in self.rows["subscriptions"]:
            if row["status"] == "active" and row["end_date"] is not None and row["end_date"] < today:
                row["status"] = "expired"

    def _plans(self) -> None:
        """Success plans for a third of the accounts paying at the end, aiming at their map's third milestone,
        with goals whose progress follows the account's fit (its own random stream: the rest is unchanged)."""
        rng = np.random.default_rng([self.cfg.seed, 10])
        maps = yaml.safe_load(Path(__file__).with_name("success_maps.yaml").read_text(encoding="utf-8"))
        targets = {m["persona"]: m["milestones"][2]["key"] for m in maps["maps"]}
        paying = {s["account_id"] for s in self.rows["subscriptions"] if s["status"] == "active"}
        as_of = self.cfg.as_of
        for i, acc in enumerate(self.rows["accounts"]):
            if acc["id"] not in paying or rng.random() >= 1 / 3:
                continue
            template = C.PLAN_GOALS[acc["persona"]]
            starts = as_of - timedelta(days=int(rng.integers(30, 270)))
            due = starts + timedelta(days=int(rng.integers(180, 365)))
            pid = self.next_id("success_plans")
            self.rows["success_plans"].append(
                {
                    "id": pid,
                    "external_id": f"PLAN-{pid:06d}",
                    "account_id": acc["id"],
                    "title": template["title"],
                    "status": "active",
                    "target_milestone": targets[acc["persona"]],
                    "owner_id": acc["owner_id"],
                    "starts_on": starts,
                    "due_on": due,
                    "inputs": {k: round(v * float(rng.uniform(0.7, 1.5)), 1) for k, v in template["inputs"].items()},
                    "notes": "",
                }
            )
            elapsed = min(1.0, (as_of - starts).days / (due - starts).days)
            for outcome, metric, unit, start, target in template["goals"]:
                progress = float(np.clip(elapsed * (1 + 0.6 * self.truth.fit[i]) + rng.normal(0, 0.15), 0, 1.1))
                gid = self.next_id("goals")
                self.rows["goals"].append(
                    {
                        "id": gid,
                        "external_id": f"GOAL-{gid:06d}",
                        "plan_id": pid,
                        "outcome": outcome,
                        "metric": metric,
                        "unit": unit,
                        "start_value": start,
                        "current_value": round(start + (target - start) * progress, 1),
                        "target_value": target,
                        "due_on": due,
                        "owner_id": acc["owner_id"],
                    }
                )

    def _services(self) -> None:
        """One-off purchases (``catalog.SERVICES``), its own random stream: an account that buys an onboarding
        package soon after its first paid day then buys at its own weekly rate, and after each purchase stops
        for good with its own chance; it also stops when it stops paying. Amounts follow the Gamma-Gamma
        story. Invoiced without a subscription, paid within a fortnight."""
        cfg, sv = self.cfg, C.SERVICES
        rng = np.random.default_rng([cfg.seed, 12])
        spells: dict[int, list[date]] = {}
        for row in self.rows["subscriptions"]:
            if row["mrr"] <= 0:
                continue
            last = row["end_date"] if row["end_date"] is not None else cfg.as_of
            first, covered = spells.get(row["account_id"], [row["start_date"], last])
            spells[row["account_id"]] = [min(first, row["start_date"]), max(covered, last)]
        for account_id in sorted(spells):
            start, covered = spells[account_id]
            stop = min(covered + timedelta(days=1), cfg.as_of)
            if rng.random() >= sv["share_buying"]:
                continue
            lam = rng.gamma(sv["r"], 1 / sv["alpha"]) / 7  # per day
            drop = rng.beta(sv["a"], sv["b"])
            nu = rng.gamma(sv["q"], 1 / sv["gamma"])
            day = start + timedelta(days=int(rng.integers(0, sv["first_within_days"])))
            if day >= stop:
                continue
            days, dropped = [day], False
            while True:
                dropped = bool(rng.random() < drop) if len(days) > 1 else False
                if dropped:
                    break
                wait = float(rng.exponential(1 / lam))  # days; a very slow buyer's can pass any calendar's end
                if wait >= (stop - days[-1]).days:
                    break
                days.append(days[-1] + timedelta(days=wait))
            for when in days:
                amount = round(float(rng.gamma(sv["p"], 1 / nu)), 2)
                iid = self.next_id("invoices")
                paid = datetime.combine(when, datetime.min.time(), UTC) + timedelta(days=int(rng.integers(1, 15)))
                self.rows["invoices"].append(
                    {
                        "id": iid,
                        "external_id": f"INV-{iid:08d}",
                        "account_id": account_id,
                        "subscription_id": None,
                        "amount": max(amount, 1.0),
                        "currency": "USD",
                        "issued_on": when,
                        "due_on": when + timedelta(days=30),
                        "paid_at": paid if paid.date() < cfg.as_of else None,
                        "failed_attempts": 0,
                        "status": "paid" if paid.date() < cfg.as_of else "open",
                    }
                )
            self.services_truth.append(
                {
                    "account_id": account_id,
                    "purchase_rate_per_week": lam * 7,
                    "dropout": drop,
                    "spend_nu": nu,
                    "mean_spend": sv["p"] / nu,
                    "purchases": len(days),
                    "alive": not dropped and covered >= cfg.as_of - timedelta(days=1),
                }
            )

    # ------------------------------------------------------------------ writing
    def _write_sql(self) -> None:
        engine = make_engine(self.settings.database_url)
        order = [
            ("users", User),
            ("accounts", Account),
            ("contacts", Contact),
            ("subscriptions", Subscription),
            ("invoices", Invoice),
            ("tickets", Ticket),
            ("touchpoints", Touchpoint),
            ("feedback", Feedback),
            ("invitations", SurveyInvitation),
            ("assessments", Assessment),
            ("success_plans", SuccessPlan),
            ("goals", SuccessGoal),
            ("enrolments", VehicleEnrolment),
        ]
        with engine.begin() as conn:
            for name, model in order:
                rows = self.rows[name]
                if name == "accounts":
                    _insert(conn, model, [{**r, "parent_id": None} for r in rows])
                    parents = [{"id": r["id"], "parent_id": r["parent_id"]} for r in rows if r["parent_id"]]
                    if parents:
                        from sqlalchemy import bindparam, update

                        stmt = update(Account.__table__).where(Account.__table__.c.id == bindparam("aid"))
                        conn.execute(
                            stmt.values(parent_id=bindparam("pid")),
                            [{"aid": p["id"], "pid": p["parent_id"]} for p in parents],
                        )
                else:
                    _insert(conn, model, rows)
            if conn.dialect.name == "postgresql":
                for _name, model in order:
                    table = model.__table__.name
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}"
                    )
        if engine.dialect.name == "sqlite":
            # move the bulk load out of the write-ahead log now, or the first reader pays for it (1.6 GB at
            # 100,000 accounts) and every read looks pages up through it until then
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def _write_truth(self) -> None:
        t = self.truth
        table = pa.table(
            {
                "account_id": np.arange(1, self.cfg.accounts + 1),
                "external_id": [a["external_id"] for a in self.rows["accounts"]],
                "archetype": t.archetype,
                "persona": [C.PERSONAS[k][0] for k in self.persona],
                "fit": t.fit,
                "sentiment": t.sentiment,
                "dm_engaged": t.dm_engaged,
                "support_trouble": t.support_trouble,
                "decline_start_month": np.where(t.decline_start < 10_000, t.decline_start, -1),
                "key_features_adopted": (t.adopt_month < self.cfg.months).sum(axis=1),
                "churned": [len(c) > 0 for c in t.churn_months],
                "churn_months": pa.array(t.churn_months, pa.list_(pa.int64())),
            }
        )
        pq.write_table(table, self.settings.home / "demo_truth.parquet")
        if self.vehicle_truth:
            pq.write_table(pa.Table.from_pylist(self.vehicle_truth), self.settings.home / "demo_vehicles_truth.parquet")
        if self.services_truth:
            pq.write_table(
                pa.Table.from_pylist(self.services_truth), self.settings.home / "demo_services_truth.parquet"
            )
        cfg = asdict(self.cfg)
        cfg["as_of"] = self.cfg.as_of.isoformat()
        (self.settings.home / "demo.json").write_text(json.dumps(cfg, indent=2))


def _insert(conn: Connection, model: type, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    now = datetime.now(UTC)
    table = model.__table__  # type: ignore[attr-defined]
    cols = [c.name for c in table.columns if c.name in rows[0] or c.name in ("created_at", "updated_at")]
    if "created_at" in table.c:
        for r in rows:
            r["created_at"] = r["updated_at"] = now
    bulk_insert(conn, table, rows, cols)


def _to_datetimes(values: np.ndarray) -> list[datetime]:
    """numpy datetime64 seconds to timezone-aware UTC datetimes."""
    return [datetime.fromtimestamp(int(v), UTC) for v in values.astype("datetime64[s]").astype(np.int64)]


_NOTES = {
    "check_in": (
        "Reviewed open questions and usage of the main dashboards.",
        "Walked through the latest release; no blockers raised.",
    ),
    "qbr": (
        "Reviewed goals for the quarter, adoption figures and the renewal timeline.",
        "Presented value delivered so far; agreed next quarter's success plan.",
    ),
    "training": ("Trained new users on building dashboards and scheduling reports.",),
    "renewal": ("Discussed renewal terms and seat count for next year.",),
    "escalation": ("Escalated an unresolved support case; agreed a fix date.",),
}


def _summary(kind: str, choice: int) -> str:
    notes = _NOTES[kind]
    return notes[choice % len(notes)]
