"""Customer lifetime value per account: the subscription's value from a retention model, and one-off
purchases' value from a model of repeat buying (DESIGN.md section 3; docs/clv.md).

**Contractual (subscriptions).** Each account's first paying spell (``metrics.survival.spells``) gives its
lifetime in billing periods (months for monthly plans, years for annual ones): *periods paid*, whether it has
left, and the renewals it had made before the records began (left truncation). A shifted-beta-geometric model
(``models.ShiftedBetaGeometric``) is fitted per billing period and segment (``segment_by``). A billing period
needs ``min_customers`` accounts and ``MIN_LOST`` that left; a segment below those uses its billing period's.

The accounts paying on ``as_of`` (a term starting that day counts) are valued *contract by contract*: each
term in force on its own renewal calendar and MRR, with the tenure of the account's current spell. For a
contract that has paid ``n`` periods:

* the chance it renews at its next renewal is the model's ``r_n = (β+n−1)/(α+β+n−1)`` (zero when the term is
  cancelled: notice given; only for a forecast made today, as a term's status is what is known now);
* its *residual value* is ``margin × [MRR × months left in the current period + V × DERL(d, n) / (1+d)^τ]``:
  ``V`` the payment per period (MRR × months per period), ``d`` the discount rate per period
  (``(1 + yearly)^(months/12) − 1``), ``DERL`` Fader & Hardie's (2010) discounted expected residual lifetime
  (payments still to come from the next renewal on), and ``τ`` the time to that renewal in periods.
  Expansion is not forecast: the value is at today's MRR.

An account's residual value is the sum over its contracts; its renewal chance is its earliest renewal's.

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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from northstar.config import Settings
from northstar.configfiles import ConfigError, ConfigFile, Strict, parser
from northstar.metrics.currency import rates_on, to_reporting
from northstar.metrics.service import load_table, terms_in_reporting
from northstar.metrics.survival import MEAN_MONTH_DAYS, spells
from northstar.models import BetaGeoNBD, GammaGamma, ShiftedBetaGeometric, summarise_transactions
from northstar.models.base import ConvergenceError

#: Months per billing period; an unknown billing period counts as monthly.
PERIOD_MONTHS = {"monthly": 1, "month": 1, "quarterly": 3, "quarter": 3, "semiannual": 6, "annual": 12, "yearly": 12}
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


FILE = ConfigFile("clv", _parse, Path(__file__).with_name("default_clv.yaml"), ClvError)


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
    #: one row per term in force of the accounts paying now (``account_lifetimes``), valued
    contracts: pd.DataFrame = field(default_factory=pd.DataFrame)

    def group_of(self, billing: str, segment: str | None) -> RetentionGroup | None:
        """The model a contract of this billing period and segment uses: its segment's, else its billing
        period's; None when its billing period has none."""
        key = (billing, None if self.config.segment_by == "none" else segment)
        return self.groups.get(key) or self.groups.get((billing, None))


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


def _load_terms(settings: Settings, as_of: date) -> pd.DataFrame:
    """Paid terms that had started by ``as_of`` (a term effective that day is known that day), MRR in the
    reporting currency at that day's rates."""
    table = load_table(settings, f"SELECT {', '.join(TERM_SCHEMA.names)} FROM subscriptions", TERM_SCHEMA)
    terms = terms_in_reporting(settings, table, as_of).to_pandas()
    terms = terms[(terms["mrr"] > 0) & (terms["start_date"] <= as_of)].copy()
    terms["billing"] = terms["billing_period"].fillna("monthly").str.lower()
    terms["period_months"] = terms["billing"].map(PERIOD_MONTHS).fillna(1).astype(int)
    return terms


def _unknown_billing(terms: pd.DataFrame) -> list[str]:
    odd = terms.loc[~terms["billing"].isin(PERIOD_MONTHS), "billing"].value_counts()
    return [
        f"billing period {name!r} ({count:,} terms) is not one of {', '.join(sorted(set(PERIOD_MONTHS)))}: "
        "valued as monthly"
        for name, count in odd.items()
    ]


def _next_anniversary(start: date, months: int, as_of: date) -> date:
    """The first renewal of a term started on ``start`` that falls on or after ``as_of`` (never ``start``)."""
    k = max(1, whole_months(start, as_of) // months)
    day = add_months(start, k * months)
    while day < as_of:
        k += 1
        day = add_months(start, k * months)
    return day


def account_lifetimes(settings: Settings, as_of: date, cfg: ClvConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two frames. **Accounts** (one row per account with a paid term by ``as_of``): its first spell as the
    retention model sees it (``fit_periods``, ``left``, ``entered``, with the billing period of its largest
    term), whether it is paying now (``churned`` when not), its MRR, main billing period, periods paid and next
    renewal, and revenue to date. **Contracts** (one row per term in force on ``as_of`` of the accounts paying
    now): MRR, billing period, periods paid on the account's current spell, next renewal, cancelled."""
    terms = _load_terms(settings, as_of)
    if terms.empty:
        return pd.DataFrame(), pd.DataFrame()
    found = spells(terms, as_of)
    if found.empty:
        return pd.DataFrame(), pd.DataFrame()
    fields = _account_fields(settings, cfg.segment_by)
    since = fields["customer_since"]
    # tenure counts from the day the account became a customer, when that is known and earlier than its
    # first term on record (a history imported from a cut-over)
    first_spell = found["spell"] == 0
    known = since.reindex(found["account_id"]).to_numpy()
    found["start"] = [
        c if first and c is not None and not pd.isna(c) and c < s else s
        for s, c, first in zip(found["start"], known, first_spell, strict=True)
    ]
    frame = found[first_spell].set_index("account_id")
    main = terms.sort_values(["account_id", "mrr", "start_date"]).groupby("account_id").tail(1).set_index("account_id")
    frame = frame.join(main[["billing", "period_months"]])
    frame["left"] = frame["observed"].astype(bool)
    days = (pd.to_datetime(frame["end"]) - pd.to_datetime(frame["start"])).dt.days
    fit_periods = np.where(
        frame["left"],
        np.maximum(1, np.ceil(days / MEAN_MONTH_DAYS / frame["period_months"] - 0.01)),
        np.array([whole_months(s, as_of) for s in frame["start"]]) // frame["period_months"] + 1,
    ).astype(int)
    frame["fit_periods"] = fit_periods
    # left truncation: renewals made before the records began (docstring of ShiftedBetaGeometric.fit_lifetimes)
    begin = cfg.records_begin or records_begin(frame)
    before = np.array([max(0, whole_months(s, begin)) if s < begin else 0 for s in frame["start"]])
    frame["entered"] = np.minimum(before // frame["period_months"].to_numpy(), fit_periods - 1)

    # the accounts paying now, each on its current spell (a reactivated account on its latest one)
    ends = terms["end_date"]
    in_force = terms[[e is None or pd.isna(e) or e >= as_of for e in ends]].copy()
    current = found[~found["observed"].astype(bool)].set_index("account_id")["start"]
    in_force = in_force[in_force["account_id"].isin(current.index)]
    in_force["spell_start"] = in_force["account_id"].map(current)
    in_force["periods"] = [
        whole_months(s, as_of) // pm + 1
        for s, pm in zip(in_force["spell_start"], in_force["period_months"], strict=True)
    ]
    in_force["next_renewal"] = [
        r if r is not None and not pd.isna(r) and r >= as_of else _next_anniversary(st, pm, as_of)
        for r, st, pm in zip(in_force["renewal_date"], in_force["start_date"], in_force["period_months"], strict=True)
    ]
    # a term's status is what is known now: notice of cancellation counts only for a forecast made today (a
    # past day's forecast cannot know whether notice had been given by then)
    today = as_of >= datetime.now(UTC).date()
    in_force["cancelled"] = (in_force["status"].str.lower() == "canceled") & today
    contracts = in_force[
        ["account_id", "mrr", "billing", "period_months", "periods", "next_renewal", "cancelled"]
    ].reset_index(drop=True)

    by_account = contracts.groupby("account_id")
    frame["mrr"] = by_account["mrr"].sum().reindex(frame.index).fillna(0.0)
    frame["churned"] = frame["mrr"] <= 0
    biggest = contracts.sort_values(["account_id", "mrr"]).groupby("account_id").tail(1).set_index("account_id")
    paying = biggest.index
    frame.loc[paying, "billing"] = biggest["billing"]
    frame.loc[paying, "period_months"] = biggest["period_months"]
    frame["periods"] = pd.Series(biggest["periods"]).reindex(frame.index)
    frame["next_renewal"] = by_account["next_renewal"].min().reindex(frame.index)
    frame["cancelled"] = by_account["cancelled"].all().reindex(frame.index).astype("boolean").fillna(False)
    frame["cancelled"] = frame["cancelled"].astype(bool)
    # revenue charged to date: each term's MRR over the months it was in force before as_of
    last = as_of - timedelta(days=1)
    stop = pd.to_datetime(terms["end_date"].fillna(last)).clip(upper=pd.Timestamp(last))
    months_in_force = ((stop - pd.to_datetime(terms["start_date"])).dt.days + 1).clip(lower=0) / MEAN_MONTH_DAYS
    frame["revenue_to_date"] = (terms["mrr"] * months_in_force).groupby(terms["account_id"]).sum()
    frame["segment"] = fields["group"].reindex(frame.index)
    contracts["segment"] = contracts["account_id"].map(frame["segment"])
    frame = frame.drop(columns=["observed", "months", "spell"]).reset_index()
    frame.attrs["notes"] = _unknown_billing(terms)
    return frame, contracts


def records_begin(frame: pd.DataFrame) -> date:
    """When no ``records_begin`` is configured: the day of the first loss on record. Before it no account is
    seen leaving, so the accounts known from then on are taken to be the survivors of an earlier history."""
    lost = frame.loc[frame["left"], "end"]
    return min(lost) if len(lost) else min(frame["start"])


def _account_fields(settings: Settings, by: str) -> pd.DataFrame:
    """Per account (by id): ``customer_since``, and ``group`` (the ``segment_by`` field, "(none)" when empty;
    None with ``segment_by: none``), in one read."""
    column = "NULL" if by == "none" else by
    schema = pa.schema([("id", pa.int64()), ("customer_since", pa.date32()), ("group", pa.string())])
    table = load_table(settings, f"SELECT id, customer_since, {column} AS grp FROM accounts", schema).to_pandas()
    table = table.set_index("id")
    table["group"] = None if by == "none" else table["group"].fillna("(none)")
    return table


def _usable(model: ShiftedBetaGeometric) -> bool:
    """A fit to rely on: converged, and not at the lower edge, where churn is all-or-nothing (a handful of
    accounts can put it there)."""
    return model.converged_ and (model.alpha_ + model.beta_) > 1e-3


def fit_retention(
    frame: pd.DataFrame, cfg: ClvConfig, notes: list[str] | None = None
) -> dict[tuple[str, str | None], RetentionGroup]:
    """A model per billing period, and per (billing period, segment) where the segment has enough accounts.
    A billing period needs ``min_customers`` accounts and ``MIN_LOST`` losses too, else its accounts are not
    valued (a note says why): a model of three accounts is no model."""
    notes = notes if notes is not None else []
    groups: dict[tuple[str, str | None], RetentionGroup] = {}
    for billing, part in frame.groupby("billing", sort=True):
        lost = int(part["left"].sum())
        if lost < MIN_LOST or len(part) < cfg.min_customers:
            notes.append(
                f"{billing} plans: {len(part):,} accounts of which {lost:,} left; a retention model needs "
                f"{cfg.min_customers} accounts and {MIN_LOST} that left, so they are not valued yet"
            )
            continue
        try:
            pooled = ShiftedBetaGeometric().fit_lifetimes(part["fit_periods"], part["left"], part["entered"])
        except (ConvergenceError, ValueError) as exc:
            notes.append(f"{billing} plans: the retention model could not be fitted ({exc})")
            continue
        if not _usable(pooled):
            notes.append(f"{billing} plans: the retention model did not converge; they are not valued")
            continue
        groups[(str(billing), None)] = RetentionGroup(str(billing), None, pooled, len(part), lost)
        if cfg.segment_by == "none":
            continue
        for segment, seg_part in part.groupby("segment", sort=True):
            seg_lost = int(seg_part["left"].sum())
            model, flag = pooled, True
            if len(seg_part) >= cfg.min_customers and seg_lost >= MIN_LOST:
                try:
                    fitted = ShiftedBetaGeometric().fit_lifetimes(
                        seg_part["fit_periods"], seg_part["left"], seg_part["entered"]
                    )
                except (ConvergenceError, ValueError):
                    fitted = None
                if fitted is not None and _usable(fitted):
                    model, flag = fitted, False
            groups[(str(billing), str(segment))] = RetentionGroup(
                str(billing), str(segment), model, len(seg_part), seg_lost, pooled=flag
            )
    return groups


def contractual_values(frame: pd.DataFrame, contracts: pd.DataFrame, result: ClvResult) -> pd.DataFrame:
    """Per contract (a term in force) of the accounts paying now: the chance it renews at its next renewal,
    its discounted residual renewals and its residual value, computed per retention group at once; summed to
    the account (its renewal chance is its earliest renewal's)."""
    cfg, as_of = result.config, result.as_of
    out = frame.copy()
    cols = ("renewal_probability", "derl", "expected_renewals", "residual_subscription")
    for col in cols:
        out[col] = np.nan
        contracts[col] = np.nan
    if contracts.empty:
        return out
    keys = pd.Series(list(zip(contracts["billing"], contracts["segment"], strict=True)), index=contracts.index)
    for key, idx in keys.groupby(keys).groups.items():
        group = result.group_of(*key)
        if group is None:
            continue  # a billing period without a model: not valued (a note says why)
        rows = contracts.loc[idx]
        pm, m = group.months, group.model
        d = cfg.period_rate(pm)
        n = rows["periods"].to_numpy()
        to_renewal = np.array([max(0, (r - as_of).days) for r in rows["next_renewal"]]) / MEAN_MONTH_DAYS
        cancelled = rows["cancelled"].to_numpy()
        derl = np.where(cancelled, 0.0, m.derl(d, n))
        a, b = m.alpha_, m.beta_
        mrr = rows["mrr"].to_numpy()
        contracts.loc[idx, "renewal_probability"] = np.where(cancelled, 0.0, m.retention_rate(n))
        contracts.loc[idx, "derl"] = derl
        contracts.loc[idx, "expected_renewals"] = np.where(cancelled, 0.0, (b + n - 1) / (a - 1) if a > 1 else np.inf)
        contracts.loc[idx, "residual_subscription"] = cfg.gross_margin * (
            mrr * to_renewal + mrr * pm * derl / (1 + d) ** (to_renewal / pm)
        )
    valued = contracts[contracts["residual_subscription"].notna()]
    if valued.empty:
        return out
    first = valued.sort_values(["account_id", "next_renewal"]).groupby("account_id").head(1).set_index("account_id")
    main = valued.sort_values(["account_id", "mrr"]).groupby("account_id").tail(1).set_index("account_id")
    out = out.set_index("account_id")
    out.loc[first.index, "renewal_probability"] = first["renewal_probability"]
    out.loc[main.index, ["derl", "expected_renewals"]] = main[["derl", "expected_renewals"]]
    out.loc[main.index, "residual_subscription"] = valued.groupby("account_id")["residual_subscription"].sum()
    return out.reset_index()


INVOICE_SCHEMA = pa.schema(
    [("account_id", pa.int64()), ("amount", pa.float64()), ("currency", pa.string()), ("issued_on", pa.date32())]
)


def one_off_purchases(settings: Settings, as_of: date, notes: list[str] | None = None) -> pd.DataFrame:
    """Invoices without a subscription issued before ``as_of``, not void, in the reporting currency. Invoices in
    a currency without an exchange rate are left out, with a note naming it (they cannot be added up)."""
    table = load_table(
        settings,
        "SELECT account_id, amount, currency, issued_on FROM invoices "
        "WHERE subscription_id IS NULL AND status != 'void' AND amount > 0",
        INVOICE_SCHEMA,
    )
    codes = pc.utf8_upper(pc.fill_null(table.column("currency"), settings.currency))
    known = set(rates_on(settings, as_of))
    missing = sorted(set(codes.to_pylist()) - known)
    if missing:
        if notes is not None:
            notes.append(
                f"one-off purchases in {', '.join(missing)} are left out: no exchange rate to {settings.currency} "
                "on or before this day (northstar import rates FILE)"
            )
        table = table.filter(pc.is_in(codes, value_set=pa.array(sorted(known))))
    amounts = to_reporting(settings, table.column("amount"), table.column("currency"), as_of, "invoices")
    frame = table.set_column(1, "amount", amounts).drop(["currency"]).to_pandas()
    return frame[frame["issued_on"] < as_of]


def purchasing_values(settings: Settings, result: ClvResult) -> pd.DataFrame | None:
    """BG/NBD and Gamma-Gamma on one-off purchases: per buyer, chance of still buying, expected purchases
    and spend in the next 12 months, and the discounted residual value over the horizon."""
    cfg, as_of = result.config, result.as_of
    tx = one_off_purchases(settings, as_of, result.notes)
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
    except (ConvergenceError, ValueError) as exc:
        result.notes.append(f"one-off purchases: their models could not be fitted ({exc}); they are not valued")
        return None
    if not (buying.converged_ and spending.converged_):
        # e.g. one fixed price for every purchase: the spend model has nothing to learn
        which = "the purchase model (BG/NBD)" if not buying.converged_ else "the spend model (Gamma-Gamma)"
        result.notes.append(f"one-off purchases: {which} did not converge; they are not valued")
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
    frame, contracts = account_lifetimes(settings, as_of, cfg)
    result = ClvResult(as_of, cfg, pd.DataFrame(), {})
    if frame.empty:
        result.notes.append("no paid subscription before this day: nothing to value")
        return result
    result.notes.extend(frame.attrs.get("notes", []))
    result.groups = fit_retention(frame, cfg, result.notes)
    accounts = contractual_values(frame, contracts, result)
    result.contracts = contracts
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
    row["group"] = result.group_of(row["billing"], row.get("segment"))
    row["discount_rate"] = result.config.discount_rate
    return row
