"""The leaders' dashboard: retention, MRR movements, renewals at risk, health, satisfaction and cohorts.

Every figure comes from the metrics catalogue (``northstar.metrics``) or the portfolio's per-account rows, for
the accounts in the filters' scope, over completed months: the twelve months to the last month end before
``as_of`` (eight quarters for retention). Beside each figure the dashboard keeps the accounts behind it
(``members``), so every bar, cell and point links to the list of those accounts (``accounts_behind``).

Building it reads every subscription term and answer in scope, which costs seconds at 100,000 accounts; it is
cached (``northstar.dashboards.cache``) under the data versions it was made from, and rebuilt after the data
changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pyarrow as pa
from sqlalchemy import select

from northstar.accounts.models import Account
from northstar.auth.models import User
from northstar.config import Settings
from northstar.db.engine import session_scope
from northstar.i18n import N_
from northstar.metrics.revenue import KINDS, cohorts, months_table, movements, movements_summary, mrr_by_account
from northstar.metrics.revenue import retention as retention_of
from northstar.metrics.scope import Scope
from northstar.metrics.service import load_feedback, load_subscriptions, period_bounds
from northstar.revenue.models import Subscription

MONTHS = 12
QUARTERS = 8
RENEWAL_DAYS = 90
RETENTION_COLUMNS = ["period_start", "period_end", "accounts", "start_mrr", "expansion", "contraction", "churn"]
RETENTION_COLUMNS += ["nrr", "grr", "logo_churn", "revenue_churn"]
#: What each chart's marks are keyed by in ``members``; the drill-down's titles.
CHARTS = {
    "movement": N_("MRR movement"),
    "retention": N_("Lost revenue in the quarter"),
    "churn": N_("Logos lost in the quarter"),
    "renewal": N_("Renewing in the next 90 days"),
    "band": N_("Health band"),
    "band_move": N_("Moved between health bands in 30 days"),
    "cohort": N_("Started in the month"),
    "nps": N_("Answered NPS in the month"),
}
#: The movements' names, for the list behind a bar
MOVEMENTS = {
    "new": N_("new"),
    "expansion": N_("expansion"),
    "contraction": N_("contraction"),
    "churn": N_("churn"),
    "reactivation": N_("reactivation"),
}


@dataclass(frozen=True)
class DashboardFilters:
    """The scope every chart is drawn for: empty means every account."""

    segment: str = ""
    persona: str = ""
    owner: str = ""  # the owner's e-mail
    product_line: str = ""

    def scope(self) -> Scope:
        return Scope(
            segment=self.segment or None,
            persona=self.persona or None,
            owner=self.owner or None,
            product_line=self.product_line or None,
        )

    def key(self) -> str:
        return "|".join((self.segment, self.persona, self.owner.lower(), self.product_line))

    def params(self) -> dict[str, str]:
        """As query parameters (the names the pages use)."""
        pairs = {"segment": self.segment, "persona": self.persona, "owner": self.owner, "line": self.product_line}
        return {k: v for k, v in pairs.items() if v}


@dataclass
class Dashboard:
    as_of: date
    filters: DashboardFilters
    last_month: date  # the last completed month end the figures run to
    retention: pd.DataFrame  # per quarter: period_start, period_end, nrr, grr, logo_churn, accounts ...
    movements: pd.DataFrame  # per month end: start_mrr, new, expansion, contraction, churn, reactivation, end_mrr
    renewals: pd.DataFrame  # accounts renewing within RENEWAL_DAYS: name, renewal_date, arr, risk, band
    bands: pd.DataFrame  # per band: accounts, arr
    band_moves: pd.DataFrame  # from_band, to_band, accounts (30 days apart)
    feedback: pd.DataFrame  # per month: responses, nps, nps_low, nps_high, csat, csat_responses
    cohorts: pd.DataFrame  # cohort, age, size, accounts, logo, revenue
    #: chart, key, account_id: the accounts behind each mark (see ``CHARTS``)
    members: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    #: the values each filter offers (``filter_choices``), made with the figures from the same data
    choices: dict[str, list[str]] = field(default_factory=dict)
    computed_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: chart -> key -> the accounts: ``members`` indexed once, so a click-through is a lookup
    index: dict[str, dict[str, frozenset[int]]] = field(repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if not self.index and not self.members.empty:
            for (chart, key), ids in self.members.groupby(["chart", "key"])["account_id"]:
                self.index.setdefault(str(chart), {})[str(key)] = frozenset(int(i) for i in ids)

    @property
    def empty(self) -> bool:
        return self.movements.empty or float(self.movements[["start_mrr", "end_mrr"]].abs().to_numpy().sum()) == 0


def last_month_end(as_of: date) -> date:
    """The last month end before ``as_of``: the figures cover completed months only."""
    return date(as_of.year, as_of.month, 1) - timedelta(days=1)


def build(settings: Settings, as_of: date, filters: DashboardFilters = DashboardFilters()) -> Dashboard:
    """Every chart's figures and the accounts behind them, for ``filters``, as of ``as_of``."""
    scope = filters.scope()
    ids = scope.account_ids(settings)
    last = last_month_end(as_of)
    first = _back_months(last, MONTHS - 1)  # the first day of the 12-month window
    subs = load_subscriptions(settings, scope, last)
    members: list[pd.DataFrame] = []

    moves = movements_summary(subs, first, last)
    per_account = movements(subs, first, last).to_pandas()
    for kind in KINDS:
        hit = per_account[per_account[kind] != 0]
        members.append(_members("movement", f"{kind}:" + _months(hit["month"]), hit["account_id"]))

    quarters = [b for b in period_bounds("quarter", _back_months(last, 3 * QUARTERS), last)][-QUARTERS:]
    retention = pd.DataFrame(
        [{"period_start": s, "period_end": e, **retention_of(subs, s, e)} for s, e in quarters],
        columns=RETENTION_COLUMNS,
    )
    if quarters:
        ends = sorted({d for q in quarters for d in q})
        levels = mrr_by_account(subs, months_table(ends[0], ends[-1])).to_pandas()
        levels["month"] = pd.to_datetime(levels["month"]).dt.date
        wide = levels.pivot_table(index="account_id", columns="month", values="mrr", aggfunc="sum").fillna(0.0)
        for s, e in quarters:
            start = wide[s] if s in wide else pd.Series(0.0, index=wide.index)
            end = wide[e] if e in wide else pd.Series(0.0, index=wide.index)
            key = _month(e)
            lost = wide.index[(start > 0) & (end < start - 1e-9)]
            gone = wide.index[(start > 0) & (end <= 0)]
            members.append(_members("retention", key, lost))
            members.append(_members("churn", key, gone))

    summaries = _summaries(settings, ids)
    soon = summaries[
        summaries["renewal_date"].notna()
        & (summaries["renewal_date"] >= as_of)
        & (summaries["renewal_date"] <= as_of + timedelta(days=RENEWAL_DAYS))
        & (summaries["arr"] > 0)
    ].copy()
    soon["at_risk_arr"] = soon["arr"] * soon["risk"].fillna(0.0)
    soon = soon.sort_values(["at_risk_arr", "arr"], ascending=False)
    members.append(_members("renewal", "90d", soon.index))

    banded = summaries[summaries["health_band"].notna() & (summaries["arr"] > 0)]  # paying customers
    bands = (
        banded.groupby("health_band")
        .agg(accounts=("arr", "size"), arr=("arr", "sum"), health=("health_score", "mean"))
        .sort_values("health")
        .reset_index()
    )
    members.append(_members("band", banded["health_band"], banded.index))
    band_moves = _band_moves(settings, as_of, summaries)
    if not band_moves.empty:
        moved = band_moves[band_moves["from_band"] != band_moves["to_band"]]
        members.append(_members("band_move", moved["from_band"] + ">" + moved["to_band"], moved.index))
        band_moves = band_moves.groupby(["from_band", "to_band"]).size().rename("accounts").reset_index()

    answers = load_feedback(settings, scope, since=first)
    window = answers.filter(
        (answers.submitted_at >= datetime.combine(first, datetime.min.time()))
        & (answers.submitted_at < datetime.combine(last + timedelta(days=1), datetime.min.time()))
    )
    feedback = _feedback(window)
    nps_rows = window.filter(window.survey_type == "nps").select("account_id", "submitted_at").to_pandas()
    members.append(_members("nps", _months(nps_rows["submitted_at"]), nps_rows["account_id"]))

    grid = cohorts(subs, first, last)
    paying = subs.filter(subs.mrr > 0)
    starts = paying.group_by("account_id").aggregate(first_start=paying.start_date.min())
    starts = starts.filter((starts.first_start >= first) & (starts.first_start <= last)).to_pandas()
    members.append(_members("cohort", _months(starts["first_start"]), starts["account_id"]))

    found = [m for m in members if not m.empty]
    out = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    return Dashboard(
        as_of=as_of,
        filters=filters,
        last_month=last,
        retention=retention,
        movements=moves,
        renewals=soon.reset_index(),
        bands=bands,
        band_moves=band_moves,
        feedback=feedback,
        cohorts=grid,
        members=out if not out.empty else pd.DataFrame(columns=["chart", "key", "account_id"]),
        choices=filter_choices(settings),
    )


def accounts_behind(dashboard: Dashboard, chart: str, key: str) -> set[int]:
    """The accounts behind one mark: ``key`` as in ``members``; a movement's kind alone (``churn``) takes
    the whole 12 months."""
    if chart not in CHARTS:
        raise KeyError(f"unknown chart {chart!r}")
    keys = dashboard.index.get(chart, {})
    found = set(keys.get(key, ()))
    for k, ids in keys.items():
        if k.startswith(f"{key}:"):
            found |= ids
    return found


def filter_choices(settings: Settings) -> dict[str, list[str]]:
    """The values each filter offers: segments, personas, owners (e-mails) and product lines in use."""
    with session_scope(settings.database_url) as s:

        def distinct(column: object) -> list[str]:
            return [v for v in s.scalars(select(column).distinct().order_by(column)) if v]  # type: ignore[call-overload]

        owners = s.scalars(
            select(User.email).where(User.id.in_(select(Account.owner_id).distinct())).order_by(User.email)
        )
        return {
            "segment": distinct(Account.segment),
            "persona": distinct(Account.persona),
            "owner": list(owners),
            "line": distinct(Subscription.product_line),
        }


def _members(chart: str, keys: pd.Series | str, accounts: pd.Index | pd.Series) -> pd.DataFrame:
    ids = pd.Series(accounts, dtype="int64").reset_index(drop=True)
    if isinstance(keys, str):
        key = pd.Series(keys, index=ids.index, dtype="string")
    else:
        key = pd.Series(keys, dtype="string").reset_index(drop=True)
    return pd.DataFrame({"chart": chart, "key": key, "account_id": ids})


def _month(d: object) -> str:
    return pd.Timestamp(d).strftime("%Y-%m")


def _months(days: pd.Series) -> pd.Series:
    """``_month`` of each day, at once."""
    return pd.to_datetime(days).dt.strftime("%Y-%m")


def _back_months(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    return date(y, m + 1, 1)


def _summaries(settings: Settings, ids: set[int] | None) -> pd.DataFrame:
    """The portfolio's rows (index account_id) with the account's name, for the accounts in scope."""
    from northstar.metrics.service import load_table

    frame = (
        load_table(
            settings,
            "SELECT s.account_id, a.name, a.external_id, s.arr, s.renewal_date, s.health_score, s.health_band, "
            "s.risk FROM account_summaries s JOIN accounts a ON a.id = s.account_id",
            pa.schema(
                [
                    ("account_id", pa.int64()),
                    ("name", pa.string()),
                    ("external_id", pa.string()),
                    ("arr", pa.float64()),
                    ("renewal_date", pa.date32()),
                    ("health_score", pa.float64()),
                    ("health_band", pa.string()),
                    ("risk", pa.float64()),
                ]
            ),
        )
        .to_pandas()
        .set_index("account_id")
    )
    if ids is not None:
        frame = frame[frame.index.isin(list(ids))]
    frame["risk"] = frame["risk"].astype(float)
    frame["health_score"] = frame["health_score"].astype(float)
    return frame


def _band_moves(settings: Settings, as_of: date, summaries: pd.DataFrame) -> pd.DataFrame:
    """Per account in scope with a band now and 30 days before (same scorecard): from_band, to_band."""
    from northstar.health.history import SnapshotStore

    store = SnapshotStore(settings.home / "health")
    day = max((d for d in store.days() if d <= as_of), default=None)
    if day is None:
        return pd.DataFrame(columns=["from_band", "to_band"])
    trends = store.trends(day, windows=(30,))
    paying = summaries.index[summaries["arr"] > 0]
    trends = trends[trends.index.isin(paying) & trends["band_30d_ago"].notna()]
    return pd.DataFrame({"from_band": trends["band_30d_ago"], "to_band": trends["final_band"]})


def _feedback(answers: object) -> pd.DataFrame:
    """Per month: NPS with its interval and responses, CSAT (share of 4-5) and its responses."""
    from northstar.metrics.feedback import csat, nps

    n = nps(answers, ["month"])  # type: ignore[arg-type]
    c = csat(answers, ["month"]).rename(columns={"responses": "csat_responses"})  # type: ignore[arg-type]
    cols = ["month", "responses", "nps", "nps_low", "nps_high"]
    out = n[cols] if not n.empty else pd.DataFrame(columns=cols)
    out = out.merge(c[["month", "csat", "csat_responses"]], on="month", how="outer") if not c.empty else out
    return out.sort_values("month").reset_index(drop=True)


__all__ = [
    "CHARTS",
    "Dashboard",
    "DashboardFilters",
    "accounts_behind",
    "build",
    "filter_choices",
    "last_month_end",
]
