"""Customer lifetime value per account: the subscription's value from a retention model, and one-off
purchases' value from a model of repeat buying (DESIGN.md section 3; docs/clv.md).

**Contractual (subscriptions).** Each account's first paying spell (``metrics.survival.first_spells``) gives
its lifetime in billing periods (months for monthly plans, years for annual ones): *periods paid*, and
whether it has left. A shifted-beta-geometric model (``models.ShiftedBetaGeometric``) is fitted per billing
period and segment (``segment_by``); a group with fewer than ``min_customers`` accounts, or fewer than 5 that
left, uses its billing period's model. For an account paying now that has paid ``n`` periods:

* the chance it renews at its next renewal is the model's ``r_n = (β+n−1)/(α+β+n−1)`` (zero when all its
  terms in force are cancelled: notice given; only for a forecast made today, as a term's status is what is
  known now);
* its *residual value* is ``margin × [MRR × months left in the current period + V × DERL(d, n) / (1+d)^τ]``:
  ``V`` the payment per period (MRR × months per period), ``d`` the discount rate per period
  (``(1 + yearly)^(months/12) − 1``), ``DERL`` Fader & Hardie's (2010) discounted expected residual lifetime
  (payments still to come from the next renewal on), and ``τ`` the time to that renewal in periods.
  Expansion is not forecast: the value is at today's MRR.

**Non-contractual (one-off purchases).** Invoices without a subscription (services, training, add-on packs),
in the reporting currency, same-day invoices merged, in weeks (``models.summarise_transactions``). BG/NBD gives
each buyer's chance of still buying and its expected purchases; Gamma-Gamma its expected spend per purchase.
Its residual value is ``services_margin × E[spend] × Σ_m ΔE[Y(m)] / (1+yearly)^(m/12)`` over the next
``horizon_months`` months, for accounts still paying (a churned account buys no services). Fader, Hardie & Lee
(2005, "RFM and CLV").

**Value to date** is the subscription revenue the account has been charged (each term's MRR × months in
force), and its one-off purchases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import Field

from northstar.config import Settings
from northstar.configfiles import ConfigError, ConfigFile, Strict, parser
from northstar.metrics.currency import to_reporting
from northstar.metrics.service import load_table, terms_in_reporting
from northstar.metrics.survival import first_spells
from northstar.models import BetaGeoNBD, GammaGamma, ShiftedBetaGeometric, summarise_transactions
from northstar.models.base import ConvergenceError

#: Months per billing period; an unknown billing period counts as monthly.
PERIOD_MONTHS = {"monthly": 1, "month": 1, "quarterly": 3, "quarter": 3, "semiannual": 6, "annual": 12, "yearly": 12}
MEAN_MONTH_DAYS = 30.4375
#: Below this many accounts that left, a group's churn probability is not estimated on its own.
MIN_LOST = 5


class ClvError(ConfigError):
    """A lifetime-value configuration that cannot be used; the message names the file and the place."""


class ClvConfig(Strict):
    gross_margin: float = Field(0.8, gt=0, le=1)
    services_margin: float = Field(0.35, gt=0, le=1)
    discount_rate: float = Field(0.10, gt=0, lt=1)
    segment_by: str = Field("segment", pattern=r"^(segment|persona|none)$")
    min_customers: int = Field(40, ge=5)
    horizon_months: int = Field(36, ge=1, le=240)
    min_repeat_buyers: int = Field(20, ge=3)
    records_begin: date | None = None

    def period_rate(self, months: int) -> float:
        """The discount rate per period of ``months`` months, equivalent to the yearly rate."""
        return (1 + self.discount_rate) ** (months / 12) - 1


def _parse(data: Any, source: str = "clv.yaml") -> ClvConfig:
    return parser(ClvConfig, ClvError)(data or {}, source)


FILE = ConfigFile("clv", _parse, __import__("pathlib").Path(__file__).with_name("default_clv.yaml"), ClvError)


@dataclass(frozen=True)
class RetentionGroup:
    """One fitted retention model: its billing period, segment (None: the billing period as a whole), the
    accounts it was fitted on and how many of them left, and whether its accounts use the pooled model."""

    billing: str
    segment: str | None
    model: ShiftedBetaGeometric
    customers: int
    lost: int
    pooled: bool = False

    @property
    def months(self) -> int:
        return PERIOD_MONTHS.get(self.billing, 1)


@dataclass
class ClvResult:
    """Everything the pages, the commands and the forecast read: one row per account paying now or before."""

    as_of: date
    config: ClvConfig
    accounts: pd.DataFrame
    groups: dict[tuple[str, str | None], RetentionGroup]
    purchasing: BetaGeoNBD | None = None
    spending: GammaGamma | None = None
    notes: list[str] = field(default_factory=list)

    def group_of(self, billing: str, segment: str | None) -> RetentionGroup:
        return self.groups.get((billing, segment)) or self.groups[(billing, None)]


TERM_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("mrr", pa.float64()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("renewal_date", pa.date32()),
        ("status", pa.string()),
        ("billing_period", pa.string()),
        ("currency", pa.string()),
    ]
)


def load_config(settings: Settings) -> ClvConfig:
    return FILE.load(settings) or ClvConfig()


def whole_months(start: date, end: date) -> int:
    """Calendar months from ``start`` to ``end`` (a month counts once its day of the month is reached)."""
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


def add_months(d: date, n: int) -> date:
    return (pd.Timestamp(d) + pd.DateOffset(months=n)).date()


def account_lifetimes(settings: Settings, as_of: date, cfg: ClvConfig) -> pd.DataFrame:
    """Per account with a paid term before ``as_of``: its first spell, billing period, segment, periods paid,
    whether it left, MRR now, next renewal, whether its terms are cancelled, and revenue to date."""
    terms = terms_in_reporting(
        settings,
        load_table(settings, f"SELECT {', '.join(TERM_SCHEMA.names)} FROM subscriptions", TERM_SCHEMA),
        as_of,
    ).to_pandas()
    terms = terms[(terms["mrr"] > 0) & (terms["start_date"] < as_of)]
    if terms.empty:
        return pd.DataFrame()
    spells = first_spells(terms, as_of).set_index("account_id")
    since = _customer_since(settings).reindex(spells.index)
    # tenure counts from the day the account became a customer, when that is known and earlier than its
    # first term on record (a history imported from a cut-over)
    spells["start"] = [s if pd.isna(c) or c >= s else c for s, c in zip(spells["start"], since, strict=True)]
    last = as_of - timedelta(days=1)
    open_ended = terms["end_date"].isna().to_numpy()
    reaches = np.array([e is not None and not pd.isna(e) and e >= last for e in terms["end_date"]], dtype=bool)
    in_force = terms[(terms["start_date"] <= last).to_numpy() & (open_ended | reaches)]
    main = terms.sort_values(["account_id", "start_date", "mrr"]).groupby("account_id").tail(1).set_index("account_id")
    frame = spells.join(main[["billing_period"]])
    frame["billing"] = frame["billing_period"].fillna("monthly").str.lower()
    frame["period_months"] = frame["billing"].map(PERIOD_MONTHS).fillna(1).astype(int)
    frame["mrr"] = in_force.groupby("account_id")["mrr"].sum().reindex(frame.index).fillna(0.0)
    # a term's status is what is known now: notice of cancellation counts only for a forecast made today (a
    # past day's forecast cannot know whether notice had been given by then)
    cancelled = in_force.assign(c=in_force["status"].str.lower() == "canceled").groupby("account_id")["c"].all()
    frame["cancelled"] = cancelled.reindex(frame.index).astype("boolean").fillna(False).astype(bool)
    if as_of < datetime.now(UTC).date():
        frame["cancelled"] = False
    frame["churned"] = frame["observed"].astype(bool) | (frame["mrr"] <= 0)
    upcoming = in_force[in_force["renewal_date"].notna()]
    upcoming = upcoming[upcoming["renewal_date"] >= as_of].groupby("account_id")["renewal_date"].min()
    days = (pd.to_datetime(frame["end"]) - pd.to_datetime(frame["start"])).dt.days
    paid_months = np.array([whole_months(s, as_of) for s in frame["start"]])
    periods = np.where(
        frame["churned"],
        np.maximum(1, np.ceil(days / MEAN_MONTH_DAYS / frame["period_months"] - 0.01)),
        paid_months // frame["period_months"] + 1,
    ).astype(int)
    frame["periods"] = periods
    # left truncation: renewals made before the records began (docstring of ShiftedBetaGeometric.fit_lifetimes)
    begin = cfg.records_begin or records_begin(frame)
    before = np.array([max(0, whole_months(s, begin)) if s < begin else 0 for s in frame["start"]])
    frame["entered"] = np.minimum(before // frame["period_months"].to_numpy(), periods - 1)
    frame["next_renewal"] = [
        None if gone else upcoming.get(aid) or add_months(start, int(n) * pm)
        for aid, gone, start, n, pm in zip(
            frame.index, frame["churned"], frame["start"], frame["periods"], frame["period_months"], strict=True
        )
    ]
    # revenue charged to date: each term's MRR over the months it was in force before as_of
    stop = pd.to_datetime(terms["end_date"].fillna(last)).clip(upper=pd.Timestamp(last))
    months_in_force = ((stop - pd.to_datetime(terms["start_date"])).dt.days + 1).clip(lower=0) / MEAN_MONTH_DAYS
    frame["revenue_to_date"] = (terms["mrr"] * months_in_force).groupby(terms["account_id"]).sum()
    attrs = _attributes(settings, cfg.segment_by)
    frame["segment"] = attrs.reindex(frame.index) if attrs is not None else None
    return frame.drop(columns=["billing_period", "observed", "months"]).reset_index()


def records_begin(frame: pd.DataFrame) -> date:
    """When no ``records_begin`` is configured: the day of the first loss on record. Before it no account is
    seen leaving, so the accounts known from then on are taken to be the survivors of an earlier history."""
    lost = frame.loc[frame["observed"].astype(bool), "end"]
    return min(lost) if len(lost) else min(frame["start"])


def _customer_since(settings: Settings) -> pd.Series:
    schema = pa.schema([("id", pa.int64()), ("customer_since", pa.date32())])
    table = load_table(settings, "SELECT id, customer_since FROM accounts", schema).to_pandas()
    return table.set_index("id")["customer_since"]


def _attributes(settings: Settings, by: str) -> pd.Series | None:
    if by == "none":
        return None
    schema = pa.schema([("id", pa.int64()), (by, pa.string())])
    table = load_table(settings, f"SELECT id, {by} FROM accounts", schema).to_pandas()
    return table.set_index("id")[by].fillna("(none)")


def fit_retention(frame: pd.DataFrame, cfg: ClvConfig) -> dict[tuple[str, str | None], RetentionGroup]:
    """A model per billing period, and per (billing period, segment) where the segment has enough accounts."""
    groups: dict[tuple[str, str | None], RetentionGroup] = {}
    for billing, part in frame.groupby("billing", sort=True):
        lost = int(part["churned"].sum())
        if lost == 0:
            continue  # nothing to learn churn from: its accounts get no retention-based value
        pooled = ShiftedBetaGeometric().fit_lifetimes(part["periods"], part["churned"], part["entered"])
        groups[(str(billing), None)] = RetentionGroup(str(billing), None, pooled, len(part), lost)
        if cfg.segment_by == "none":
            continue
        for segment, seg_part in part.groupby("segment", sort=True):
            seg_lost = int(seg_part["churned"].sum())
            if len(seg_part) < cfg.min_customers or seg_lost < MIN_LOST:
                groups[(str(billing), str(segment))] = RetentionGroup(
                    str(billing), str(segment), pooled, len(seg_part), seg_lost, pooled=True
                )
                continue
            try:
                model = ShiftedBetaGeometric().fit_lifetimes(
                    seg_part["periods"], seg_part["churned"], seg_part["entered"]
                )
            except ConvergenceError:
                model, flag = pooled, True
            else:
                flag = False
            groups[(str(billing), str(segment))] = RetentionGroup(
                str(billing), str(segment), model, len(seg_part), seg_lost, pooled=flag
            )
    return groups


def contractual_values(frame: pd.DataFrame, result: ClvResult) -> pd.DataFrame:
    """Renewal probability, discounted residual renewals and residual value for the accounts paying now,
    computed per retention group over its accounts at once."""
    cfg, as_of = result.config, result.as_of
    out = frame.copy()
    for col in ("renewal_probability", "derl", "expected_renewals", "residual_subscription"):
        out[col] = np.nan
    paying = out[~out["churned"]]
    segments = paying["segment"] if cfg.segment_by != "none" else pd.Series(None, index=paying.index)
    keys = pd.Series(list(zip(paying["billing"], segments, strict=True)), index=paying.index)
    for key, idx in keys.groupby(keys).groups.items():
        group = result.groups.get(key) or result.groups.get((key[0], None))
        if group is None:
            continue  # a billing period with no loss yet: not estimated (a note says so)
        rows = out.loc[idx]
        pm, m = group.months, group.model
        d = cfg.period_rate(pm)
        n = rows["periods"].to_numpy()
        to_renewal = np.array([max(0, (r - as_of).days) for r in rows["next_renewal"]]) / MEAN_MONTH_DAYS
        cancelled = rows["cancelled"].to_numpy()
        p = np.where(cancelled, 0.0, m.retention_rate(n))
        derl = np.where(cancelled, 0.0, m.derl(d, n))
        a, b = m.alpha_, m.beta_
        renewals = np.where(cancelled, 0.0, (b + n - 1) / (a - 1) if a > 1 else np.inf)
        mrr = rows["mrr"].to_numpy()
        value = cfg.gross_margin * (mrr * to_renewal + mrr * pm * derl / (1 + d) ** (to_renewal / pm))
        out.loc[idx, "renewal_probability"] = p
        out.loc[idx, "derl"] = derl
        out.loc[idx, "expected_renewals"] = renewals
        out.loc[idx, "residual_subscription"] = value
    return out


INVOICE_SCHEMA = pa.schema(
    [("account_id", pa.int64()), ("amount", pa.float64()), ("currency", pa.string()), ("issued_on", pa.date32())]
)


def one_off_purchases(settings: Settings, as_of: date) -> pd.DataFrame:
    """Invoices without a subscription issued before ``as_of``, not void, in the reporting currency."""
    table = load_table(
        settings,
        "SELECT account_id, amount, currency, issued_on FROM invoices "
        "WHERE subscription_id IS NULL AND status != 'void' AND amount > 0",
        INVOICE_SCHEMA,
    )
    amounts = to_reporting(settings, table.column("amount"), table.column("currency"), as_of, "invoices")
    frame = table.set_column(1, "amount", amounts).drop(["currency"]).to_pandas()
    return frame[frame["issued_on"] < as_of]


def purchasing_values(settings: Settings, result: ClvResult) -> pd.DataFrame | None:
    """BG/NBD and Gamma-Gamma on one-off purchases: per buyer, chance of still buying, expected purchases
    and spend in the next 12 months, and the discounted residual value over the horizon."""
    cfg, as_of = result.config, result.as_of
    tx = one_off_purchases(settings, as_of)
    if tx.empty:
        result.notes.append("no one-off purchases: only subscriptions are valued")
        return None
    rfm = summarise_transactions(tx, "account_id", "issued_on", "amount", calibration_end=as_of, period="W")
    rfm["T"] = rfm["T"].clip(lower=1 / 7)
    repeat = int((rfm["frequency"] > 0).sum())
    if repeat < cfg.min_repeat_buyers:
        result.notes.append(
            f"one-off purchases: {repeat} accounts bought more than once, below min_repeat_buyers "
            f"({cfg.min_repeat_buyers}): their value is not modelled"
        )
        return None
    try:
        buying = BetaGeoNBD().fit(rfm["frequency"], rfm["recency"], rfm["T"])
        spending = GammaGamma().fit(rfm["frequency"], rfm["monetary_value"])
    except ConvergenceError as exc:
        result.notes.append(f"one-off purchases: {exc}")
        return None
    result.purchasing, result.spending = buying, spending
    x, t_x, big_t = rfm["frequency"], rfm["recency"], rfm["T"]
    weeks_per_month = 365.25 / 12 / 7
    spend = spending.conditional_expected_average_spend(x, rfm["monetary_value"])
    spend = np.where(x > 0, spend, spending.population_mean_spend)
    previous = np.zeros(len(rfm))
    discounted = np.zeros(len(rfm))
    twelve = np.zeros(len(rfm))
    for m in range(1, cfg.horizon_months + 1):
        cum = buying.conditional_expected_purchases(m * weeks_per_month, x, t_x, big_t)
        discounted += (cum - previous) / (1 + cfg.discount_rate) ** (m / 12)
        previous = cum
        if m == 12:
            twelve = cum
    if cfg.horizon_months < 12:
        twelve = buying.conditional_expected_purchases(12 * weeks_per_month, x, t_x, big_t)
    total = tx.groupby("account_id")["amount"].sum()
    return pd.DataFrame(
        {
            "services_to_date": total.reindex(rfm.index).to_numpy(),
            "services_purchases": (x + 1).to_numpy(),
            "services_p_alive": buying.probability_alive(x, t_x, big_t),
            "services_expected_12m": twelve,
            "services_spend": spend,
            "services_residual": cfg.services_margin * spend * discounted,
        },
        index=rfm.index,
    )


def compute(settings: Settings, as_of: date, cfg: ClvConfig | None = None) -> ClvResult:
    """The lifetime values of every account as of ``as_of`` (see the module's docstring), with the
    configuration in force unless ``cfg`` is given."""
    cfg = cfg or load_config(settings)
    frame = account_lifetimes(settings, as_of, cfg)
    result = ClvResult(as_of, cfg, pd.DataFrame(), {})
    if frame.empty:
        result.notes.append("no paid subscription before this day: nothing to value")
        return result
    result.groups = fit_retention(frame, cfg)
    for billing in sorted(set(frame["billing"]) - {b for b, _ in result.groups}):
        result.notes.append(f"{billing} plans: no account has left yet, so their retention cannot be estimated")
    accounts = contractual_values(frame, result)
    services = purchasing_values(settings, result)
    if services is not None:
        accounts = accounts.join(services, on="account_id")
        paying = ~accounts["churned"]
        accounts.loc[~paying, "services_residual"] = 0.0
    for col in ("services_to_date", "services_residual"):
        if col not in accounts:
            accounts[col] = 0.0
        accounts[col] = accounts[col].fillna(0.0)
    accounts["residual_value"] = accounts["residual_subscription"].fillna(0.0) + accounts["services_residual"]
    accounts.loc[accounts["residual_subscription"].isna() & accounts["churned"], "residual_value"] = 0.0
    accounts["value_to_date"] = accounts["revenue_to_date"].fillna(0.0) + accounts["services_to_date"]
    result.accounts = accounts.sort_values("residual_value", ascending=False).reset_index(drop=True)
    return result


def _cache_key(settings: Settings, as_of: date) -> str:
    return f"{as_of.isoformat()}|{FILE.text(settings)}"


def values(settings: Settings, as_of: date, wait: bool = True) -> ClvResult | None:
    """``compute``, cached under the data versions and the configuration text (the pages read it; the worker
    builds it after each refresh). ``wait`` False: None unless it is cached."""
    from northstar.dashboards.cache import remember

    build = (lambda: compute(settings, as_of)) if wait else None
    return remember(settings, "clv", _cache_key(settings, as_of), build)


def account_value(settings: Settings, account_id: int, as_of: date) -> dict[str, Any]:
    """The account page's lifetime value: ``{"state": "pending"}`` while it is being computed, ``{"state":
    "none"}`` for an account that never paid, else its row of ``values`` with ``"state": "paying"`` or
    ``"left"`` and its retention group."""
    result = values(settings, as_of, wait=False)
    if result is None:
        return {"state": "pending"}
    rows = result.accounts[result.accounts["account_id"] == account_id] if not result.accounts.empty else None
    if rows is None or rows.empty:
        return {"state": "none"}
    row = rows.iloc[0].to_dict()
    row["state"] = "left" if row["churned"] else "paying"
    segment = None if result.config.segment_by == "none" else row.get("segment")
    row["group"] = result.groups.get((row["billing"], segment)) or result.groups.get((row["billing"], None))
    row["discount_rate"] = result.config.discount_rate
    return row
