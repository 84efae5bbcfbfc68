"""Refreshing the portfolio's per-account figures, and listing them: search, filter, sort, page, export.

``refresh`` takes MRR and the next renewal from the subscriptions, health and its 30-day change from the
newest health snapshot on or before the day, risk and its main driver from that snapshot, and the last
touch from the touchpoints; it replaces every row in one transaction (a reader sees the old set or the new).
It runs after each health snapshot and at the end of the demo build."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Select, delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from northstar.accounts.models import Account
from northstar.auth.models import User
from northstar.config import Settings
from northstar.db.bulk import bulk_insert
from northstar.db.engine import make_engine
from northstar.db.paging import ESCAPE, Page, contains
from northstar.db.versions import DataVersion, bump
from northstar.portfolio.models import AccountSummary

S = AccountSummary
SORTS = {
    "name": Account.name,
    "segment": Account.segment,
    "persona": Account.persona,
    "mrr": S.mrr,
    "renewal": S.renewal_date,
    "health": S.health_score,
    "risk": S.risk,
    "last_touch": S.last_touch_at,
}


def refresh(settings: Settings, as_of: date) -> int:
    """Recompute every account's row as of ``as_of``; returns the number of accounts."""
    from northstar.health.history import SnapshotStore
    from northstar.health.labels import mrr_on
    from northstar.health.measures import Rows
    from northstar.metrics.service import load_table

    rows = Rows(settings, first_day=as_of)
    ids = pd.Index(rows["accounts"].column("account_id").to_numpy(), name="account_id")
    out = pd.DataFrame(index=ids)
    out["mrr"] = mrr_on(rows.terms(as_of).to_pandas(), as_of - timedelta(days=1)).reindex(ids).fillna(0.0)
    out["arr"] = out["mrr"] * 12
    ren = rows["renewals"].to_pandas()
    ren = ren[ren["renewal_date"] >= as_of]
    out["renewal_date"] = ren.groupby("account_id")["renewal_date"].min().reindex(ids)
    touches = load_table(
        settings,
        f"SELECT account_id, MAX(occurred_at) AS last FROM touchpoints "
        f"WHERE occurred_at < '{(as_of + timedelta(days=1)).isoformat()}' GROUP BY account_id",
        pa.schema([("account_id", pa.int64()), ("last", pa.timestamp("us"))]),
    ).to_pandas()
    out["last_touch_at"] = touches.set_index("account_id")["last"].reindex(ids)
    store = SnapshotStore(settings.home / "health")
    day = max((d for d in store.days() if d <= as_of), default=None)
    health = store.trends(day) if day else None
    risk = store.risk(day) if day else None
    out["health_score"] = health["final_score"].reindex(ids) if health is not None else None
    out["health_band"] = health["final_band"].reindex(ids) if health is not None else None
    out["health_change_30d"] = health["change_30d"].reindex(ids) if health is not None else None
    out["risk"] = risk["risk"].reindex(ids) if risk is not None else None
    driver = "driver_1" if risk is not None and "driver_1" in risk else None
    out["risk_driver"] = risk[driver].reindex(ids) if driver else None
    _apply_overrides(settings, out, as_of)
    out["as_of"] = as_of
    records = [
        {k: (None if _missing(v) else v) for k, v in r.items()}
        for r in out.rename_axis("account_id").reset_index().to_dict("records")
    ]
    digest = hashlib.sha256(json.dumps(records, default=str, sort_keys=True).encode()).hexdigest()
    with make_engine(settings.database_url).begin() as conn:
        if conn.scalar(select(DataVersion.digest).where(DataVersion.domain == "portfolio")) == digest:
            return len(records)  # nothing changed since the last refresh: no write, caches stay valid
        conn.execute(delete(S))
        bulk_insert(conn, S.__table__, records)
        bump(conn, "portfolio", digest=digest)
    return len(records)


def _apply_overrides(settings: Settings, out: pd.DataFrame, day: date) -> None:
    """The overrides in force on ``day`` (the latest per account), over the snapshot's band and score: one
    made since the last snapshot shows at once, and a refresh does not undo it."""
    from northstar.health.service import load_overrides

    latest = {}
    for o in load_overrides(settings):  # oldest first: a later one replaces an earlier one
        if o.expires_on >= day and o.account_id in out.index:
            latest[o.account_id] = o
    for account_id, o in latest.items():
        if o.band is not None:
            out.at[account_id, "health_band"] = o.band
        if o.score is not None:
            out.at[account_id, "health_score"] = o.score


def _missing(v: object) -> bool:
    return v is None or v is pd.NaT or (isinstance(v, float) and v != v)


@dataclass(frozen=True)
class PortfolioRow:
    id: int
    external_id: str
    name: str
    segment: str | None
    persona: str | None
    stage: str | None
    owner: str | None
    mrr: float
    renewal: date | None
    health: float | None
    band: str | None
    change_30d: float | None
    risk: float | None
    driver: str | None
    last_touch: datetime | None


PortfolioPage = Page[PortfolioRow]


@dataclass(frozen=True)
class Filters:
    q: str = ""
    segment: str = ""
    persona: str = ""
    band: str = ""
    owner_id: int | None = None
    min_risk: float | None = None
    renewal_within: int | None = None  # days
    #: Only these accounts (the ones behind a dashboard's mark); None: no such limit.
    account_ids: frozenset[int] | None = None


def _account_conditions(f: Filters, sqlite: bool = False) -> list[Any]:
    out: list[Any] = []
    if f.q.strip():
        text = f.q.strip()
        like = contains(text)
        cols = (Account.name, Account.external_id, Account.domain)
        if sqlite and text.isascii():  # SQLite's LIKE ignores ASCII case itself: no lower() on every row
            out.append(or_(*(c.like(like, escape=ESCAPE) for c in cols)))
        else:
            out.append(or_(*(c.ilike(like, escape=ESCAPE) for c in cols)))
    if f.segment:
        out.append(Account.segment == f.segment)
    if f.persona:
        out.append(Account.persona == f.persona)
    if f.owner_id is not None:
        out.append(Account.owner_id == f.owner_id)
    if f.account_ids is not None:
        out.append(Account.id.in_(sorted(f.account_ids)))
    return out


def _summary_conditions(f: Filters, today: date) -> list[Any]:
    out: list[Any] = []
    if f.band:
        out.append(S.health_band == f.band)
    if f.min_risk is not None:
        out.append(S.risk >= f.min_risk)
    if f.renewal_within is not None:
        out += [S.renewal_date >= today, S.renewal_date <= today + timedelta(days=f.renewal_within)]
    return out


def _query(f: Filters, today: date, sqlite: bool = False) -> Select:
    """Accounts joined to their summary rows (every account has one: ``ensure_rows``), so that the database
    can walk an index of either table in the list's order and stop after a page."""
    stmt = (
        select(Account, User.name, S).join(S, S.account_id == Account.id).outerjoin(User, User.id == Account.owner_id)
    )
    return stmt.where(*_account_conditions(f, sqlite), *_summary_conditions(f, today))


def _count(session: Session, f: Filters, today: date) -> int:
    """The matches, counted on the accounts alone unless a condition needs the summaries (no join to pay)."""
    summary = _summary_conditions(f, today)
    stmt = select(func.count()).select_from(Account)
    if summary:
        stmt = stmt.join(S, S.account_id == Account.id)
    return session.scalar(stmt.where(*_account_conditions(f, _sqlite(session)), *summary)) or 0


def _order(session: Session, sort: str, desc: bool) -> list[Any]:
    """The list's order, empty values last either way. Written as each database orders NULLs by itself where
    it can (SQLite puts them first going up, PostgreSQL last), so that an index serves the sort."""
    key = SORTS.get(sort, Account.name)
    if not key.nullable:  # type: ignore[attr-defined]
        return [key.desc() if desc else key.asc(), Account.id]
    sqlite = _sqlite(session)
    if desc:
        return [key.desc() if sqlite else key.desc().nulls_last(), Account.id]
    return [key.asc().nulls_last() if sqlite else key.asc(), Account.id]


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def ensure_rows(session: Session, today: date) -> int:
    """Give every account a summary row (empty figures until the next refresh): accounts made since the last
    refresh are listed at once. Two counts when nothing is missing. Returns the rows added."""
    if (session.scalar(select(func.count()).select_from(Account)) or 0) <= (
        session.scalar(select(func.count()).select_from(S)) or 0
    ):
        return 0
    missing = select(Account.id, literal(today), literal(0.0), literal(0.0)).where(
        ~select(S.account_id).where(S.account_id == Account.id).exists()
    )
    done = session.execute(insert(S).from_select(["account_id", "as_of", "mrr", "arr"], missing))
    bump(session, "portfolio")
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


def _row(a: Account, owner: str | None, s: AccountSummary | None) -> PortfolioRow:
    return PortfolioRow(
        a.id,
        a.external_id,
        a.name,
        a.segment,
        a.persona,
        a.lifecycle_stage.value if a.lifecycle_stage else None,
        owner,
        float(s.mrr) if s else 0.0,
        s.renewal_date if s else None,
        s.health_score if s else None,
        s.health_band if s else None,
        s.health_change_30d if s else None,
        s.risk if s else None,
        s.risk_driver if s else None,
        s.last_touch_at if s else None,
    )


def list_portfolio(
    session: Session,
    today: date,
    filters: Filters = Filters(),
    sort: str = "name",
    desc: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> PortfolioPage:
    ensure_rows(session, today)
    total = _count(session, filters, today)
    page = max(1, page)
    stmt = _query(filters, today, _sqlite(session)).order_by(*_order(session, sort, desc))
    stmt = stmt.offset((page - 1) * per_page).limit(per_page)
    return PortfolioPage([_row(a, o, s) for a, o, s in session.execute(stmt)], total, page, per_page)


CSV_COLUMNS = (
    "external_id",
    "name",
    "segment",
    "persona",
    "stage",
    "owner",
    "mrr",
    "renewal",
    "health",
    "band",
    "change_30d",
    "risk",
    "driver",
    "last_touch",
)


def export_csv(
    session: Session, today: date, filters: Filters, sort: str = "name", desc: bool = False
) -> Iterator[str]:
    """Every matching account as CSV lines, in the list's order, read from the database in batches."""
    ensure_rows(session, today)
    stmt = _query(filters, today, _sqlite(session)).order_by(*_order(session, sort, desc))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    yield buf.getvalue()
    for a, o, s in session.execute(stmt.execution_options(yield_per=2000)):
        buf.seek(0)
        buf.truncate()
        r = _row(a, o, s)
        writer.writerow([_cell(getattr(r, c)) for c in CSV_COLUMNS])
        yield buf.getvalue()


def _cell(v: object) -> object:
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".")
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    return "" if v is None else v


def personas(session: Session) -> list[str]:
    return [p for p in session.scalars(select(Account.persona).distinct().order_by(Account.persona)) if p]


def bands(session: Session) -> list[str]:
    return [b for b in session.scalars(select(S.health_band).distinct().order_by(S.health_band)) if b]


@dataclass(frozen=True)
class Driver:
    feature: str
    label: str  # "Usage: events trend"
    meaning: str  # the catalogue's description


@dataclass(frozen=True)
class AccountHealth:
    """What the account page's header shows about health and risk."""

    summary: AccountSummary | None
    drivers: list[Driver]


def driver(feature: str) -> Driver:
    """A model feature named for people: its source and what it measures ("Usage: product events in the last
    30 days"), each part translated when shown (``northstar.web.labels``)."""
    from northstar.health.measures import CATALOGUE

    source, _, name = feature.partition(".")
    meaning = CATALOGUE[feature].description if feature in CATALOGUE else feature.replace("_", " ")
    label = f"{source.capitalize()}: {name.replace('_', ' ')}" if name else feature.replace("_", " ").capitalize()
    return Driver(feature, label, meaning)


def account_health(settings: Settings, session: Session, account_id: int) -> AccountHealth:
    """The account's portfolio row and the risk model's drivers from the snapshot it came from."""
    import pyarrow.parquet as pq

    summary = session.get(S, account_id)
    drivers: list[Driver] = []
    path = settings.home / "health" / "risk" / f"{summary.as_of.isoformat()}.parquet" if summary else None
    if path is not None and path.exists():
        found = pq.read_table(path, filters=[("account_id", "=", account_id)]).to_pylist()
        if found:
            drivers = [driver(found[0][k]) for k in ("driver_1", "driver_2", "driver_3") if found[0].get(k)]
    return AccountHealth(summary, drivers)
