"""Scoring every account as of a day with the configured scorecards (entry point for the CLI, the web
app and the Python API).

The configuration is ``NORTHSTAR_HOME/health.yaml`` when it exists, else the shipped default
(``default_scorecard.yaml``). Each account is scored by the first scorecard that applies to its segment and
persona; percentiles rank it among the accounts of that scorecard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from northstar.config import Settings
from northstar.health.measures import (
    CATALOGUE,
    MeasureError,
    Rows,
    check_expression,
    evaluate_expressions,
    measure_values,
    sources_of,
)
from northstar.health.scorecard import HealthConfig, Scorecard, ScorecardError, load
from northstar.health.scoring import Override, Scored, score

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from northstar.health.history import SnapshotStore

DEFAULT = Path(__file__).with_name("default_scorecard.yaml")


def config_path(settings: Settings) -> Path:
    own = settings.home / "health.yaml"
    return own if own.exists() else DEFAULT


def load_config(settings: Settings, path: Path | None = None) -> HealthConfig:
    """The scorecards, checked: the file's shape, then every measure's source and expression."""
    path = path or config_path(settings)
    config = load(path)
    problems = []
    for i, card in enumerate(config.scorecards):
        for g, group in enumerate(card.groups):
            for j, m in enumerate(group.measures):
                where = f"{path}: scorecards[{i}].groups[{g}].measures[{j}]"
                if m.source and m.source not in CATALOGUE:
                    problems.append(f"{where}.source: unknown measure {m.source} (see 'northstar health measures')")
                if m.expr:
                    try:
                        check_expression(m.expr)
                    except MeasureError as exc:
                        problems.append(f"{where}.expr: {exc}")
    if problems:
        raise ScorecardError("\n".join(problems))
    return config


def needed(card: Scorecard) -> list[str]:
    """The catalogue measures a scorecard reads, directly or in expressions."""
    out: list[str] = []
    for m in card.measures:
        out += [m.source] if m.source else sources_of(m.expr or "")
    return list(dict.fromkeys(out))


def card_values(card: Scorecard, raw: pd.DataFrame) -> pd.DataFrame:
    """The value of each of the scorecard's measures, by its name, from the catalogue values ``raw``."""
    out = pd.DataFrame(index=raw.index)
    for m in card.measures:
        if m.source:
            out[m.name] = raw[m.source]
    exprs = {m.name: m.expr for m in card.measures if m.expr}
    if exprs:
        cols = sorted({s for e in exprs.values() for s in sources_of(e)})
        out = out.join(evaluate_expressions(exprs, raw[cols]))
    return out[[m.name for m in card.measures]]


def load_overrides(settings: Settings) -> list[Override]:
    """Every override on record (``score`` keeps only those in force on its day)."""
    from sqlalchemy import select

    from northstar.db.engine import session_scope
    from northstar.health.models import HealthOverride

    with session_scope(settings.database_url) as s:
        rows = s.scalars(select(HealthOverride).order_by(HealthOverride.created_at)).all()
        return [Override(o.account_id, o.reason, o.expires_on, o.score, o.band, str(o.set_by or "")) for o in rows]


def set_override(
    settings: Settings,
    account_id: int,
    reason: str,
    expires_on: date,
    band: str | None = None,
    score_: float | None = None,
    set_by: int | None = None,
    form_key: str | None = None,
) -> bool:
    """Record a CSM's override; a later one for the same account wins while both are in force. It shows at
    once in the portfolio (the account's row takes the band and score) and in every snapshot until it expires.
    Returns False when ``form_key`` was used before (a resubmitted form): nothing is recorded twice."""
    from sqlalchemy import select, update
    from sqlalchemy.exc import IntegrityError

    from northstar.db.engine import session_scope
    from northstar.db.versions import bump
    from northstar.health.models import HealthOverride
    from northstar.portfolio.models import AccountSummary

    if band is None and score_ is None:
        raise ValueError("an override sets a band, a score or both")
    if not reason.strip():
        raise ValueError("an override needs a reason")
    if score_ is not None and not 0 <= score_ <= 100:
        raise ValueError("an override's score is 0-100")
    bands = {b.name for c in load_config(settings).scorecards for b in c.bands}
    if band is not None and band not in bands:
        raise ValueError(f"unknown band {band!r}; the scorecards' bands are {', '.join(sorted(bands))}")
    try:
        with session_scope(settings.database_url) as s:
            if form_key and s.scalar(select(HealthOverride.id).where(HealthOverride.form_key == form_key)):
                return False
            s.add(
                HealthOverride(
                    account_id=account_id,
                    band=band,
                    score=score_,
                    reason=reason.strip(),
                    expires_on=expires_on,
                    set_by=set_by,
                    form_key=form_key or None,
                )
            )
            shown = {"health_band": band} if band is not None else {}
            if score_ is not None:
                shown["health_score"] = score_
            s.execute(update(AccountSummary).where(AccountSummary.account_id == account_id).values(**shown))
            bump(s, "portfolio")
    except IntegrityError:  # the same form, submitted twice at once
        return False
    return True


def active_overrides(session: Session, account_id: int, day: date) -> list[object]:
    """The account's overrides in force on ``day``, the latest first (the first is the one that applies)."""
    from sqlalchemy import select

    from northstar.health.models import HealthOverride

    stmt = (
        select(HealthOverride)
        .where(HealthOverride.account_id == account_id, HealthOverride.expires_on >= day)
        .order_by(HealthOverride.created_at.desc(), HealthOverride.id.desc())
    )
    return list(session.scalars(stmt))


def band_names(settings: Settings) -> list[str]:
    """The bands the scorecards define, each once, in their order."""
    return list(dict.fromkeys(b.name for c in load_config(settings).scorecards for b in c.bands))


def snapshot(settings: Settings, as_of: date, config: HealthConfig | None = None) -> HealthScores:
    """Score every account as of ``as_of`` and keep it as that day's snapshot (with the churn risk, when
    a model has been trained)."""
    from northstar.health.history import SnapshotStore
    from northstar.health.risk import RiskModel, model_path
    from northstar.health.risk import score as risk_of

    config = config or load_config(settings)
    result = score_accounts(settings, as_of, config, load_overrides(settings))
    store = SnapshotStore(settings.home / "health")
    store.write(as_of, result.scores, result.parts, config)
    record_daily(settings, as_of, store)
    if model_path(settings).exists():
        store.write_risk(as_of, risk_of(settings, RiskModel.load(model_path(settings)), as_of, explain_above=0.0))
    return result


def record_daily(settings: Settings, day: date, store: SnapshotStore | None = None) -> int:
    """Copy the day's final scores and bands from its snapshot into ``health_daily`` (replacing that day's
    rows): the account page reads an account's history from there in one indexed query. Returns the rows."""
    from sqlalchemy import delete

    from northstar.db.bulk import bulk_insert
    from northstar.db.engine import make_engine
    from northstar.health.history import SnapshotStore
    from northstar.health.models import HealthDaily

    store = store or SnapshotStore(settings.home / "health")
    scores = store.scores(day)
    if scores is None:
        raise LookupError(f"no health snapshot for {day}")
    rows = [
        {"account_id": int(a), "day": day, "score": None if s != s else float(s), "band": b}
        for a, s, b in zip(scores.index, scores["final_score"], scores["final_band"], strict=True)
    ]
    with make_engine(settings.database_url).begin() as conn:
        conn.execute(delete(HealthDaily).where(HealthDaily.day == day))
        bulk_insert(conn, HealthDaily.__table__, rows)
    return len(rows)


def health_history(session: Session, account_id: int) -> list[tuple[date, float | None, str | None]]:
    """An account's (day, final score, band) per snapshot day, oldest first."""
    from sqlalchemy import select

    from northstar.health.models import HealthDaily

    stmt = select(HealthDaily.day, HealthDaily.score, HealthDaily.band).where(HealthDaily.account_id == account_id)
    return [(d, s, b) for d, s, b in session.execute(stmt.order_by(HealthDaily.day))]


@dataclass(frozen=True)
class HealthScores:
    as_of: date
    scores: pd.DataFrame  # index account_id: scorecard, score, band, final_score, final_band, ...
    parts: pd.DataFrame  # account_id, group, measure, value, points, weight, contribution


def score_accounts(
    settings: Settings,
    as_of: date,
    config: HealthConfig | None = None,
    overrides: list[Override] | None = None,
) -> HealthScores:
    from northstar.metrics.service import load_table

    config = config or load_config(settings)
    accounts = (
        load_table(
            settings,
            "SELECT id, parent_id, segment, persona FROM accounts",
            pa.schema(
                [("id", pa.int64()), ("parent_id", pa.int64()), ("segment", pa.string()), ("persona", pa.string())]
            ),
        )
        .to_pandas()
        .set_index("id")
        .rename_axis("account_id")
    )
    wanted = list(dict.fromkeys(["revenue.mrr", *(n for c in config.scorecards for n in needed(c))]))
    raw = measure_values(settings, as_of, wanted, Rows(settings, day=as_of))  # aggregated in the database
    accounts["arr"] = raw["revenue.mrr"].reindex(accounts.index).fillna(0.0) * 12
    chosen = pd.Series(
        [
            getattr(config.for_account(s, p), "name", None)
            for s, p in zip(accounts.segment, accounts.persona, strict=True)
        ],
        index=accounts.index,
    )
    scores, parts = [], []
    for card in config.scorecards:
        ids = chosen.index[chosen == card.name]
        if len(ids) == 0:
            continue
        result: Scored = score(card, card_values(card, raw.loc[ids]), accounts.loc[ids], overrides, as_of)
        scores.append(result.scores)
        parts.append(result.parts)
    if not scores:
        return HealthScores(as_of, pd.DataFrame(), pd.DataFrame())
    return HealthScores(as_of, pd.concat(scores).sort_index(), pd.concat(parts, ignore_index=True))


__all__ = ["CATALOGUE", "HealthScores", "load_config", "score_accounts"]
