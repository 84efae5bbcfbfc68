"""Renewals and revenue of the book of business over the next quarters, with intervals, from the retention
models and the renewal calendar (docs/clv.md).

The book is the accounts paying on the forecast day, contract by contract (``ClvResult.contracts``: each term
in force), at the MRR they pay that day: new business, expansion and contraction are not forecast, so the
figures answer "what will the customers we have now still pay us".

Each contract renews on its calendar (its next renewal date, then every billing period). Its renewals are
simulated from its retention model (``northstar.revenue.clv``): in each draw the model's parameters are drawn
from their estimate's sampling distribution (``CustomerBaseModel.draw_params``: the fit's own uncertainty),
and the renewal at which the contract ends from the model's predictive distribution for a contract that has
renewed ``n − 1`` times: its churn probability is ``Beta(α, β + n − 1)`` (the posterior), and integrated over
it, it survives its next k renewals with chance ``S'(k) = Π_{j=1..k} (β+n+j−2)/(α+β+n+j−2)``. That is drawn
by inversion (a uniform U; it leaves at the first renewal k with ``S'(k) < U``), over the renewals that fall
in the forecast's window only: the same distribution as a beta draw followed by a geometric one, at a fifth
of the cost. The contracts of one account share its uniform draw: an account that is leaving leaves each of
its product lines at the same point of its own calendar. Cancelled contracts end at their next renewal. A
contract is paying on a day when fewer of its renewals have fallen due by that day than the one at which it
ends; an account, while any of its contracts is.

Per quarter: the contracts (billing periods of 3 months or more) due for renewal and their ARR, the ARR
renewed, the MRR in force at the quarter's end, the revenue of the quarter (MRR in force on the 15th of each
of its months) and the accounts still paying. Means over the draws, and the 5th and 95th percentiles (a 90%
interval).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from northstar.config import Settings
from northstar.metrics.revenue import SUBSCRIPTION_SCHEMA
from northstar.metrics.service import load_terms
from northstar.revenue.clv import ClvResult, add_months

DRAWS = 1000
CHUNK = 10_000
LEVEL = 0.90


def quarter_bounds(as_of: date, quarters: int) -> list[tuple[date, date]]:
    """The rest of ``as_of``'s calendar quarter (from ``as_of``), then the quarters after it: ``quarters``
    in all. A forecast made on 2026-11-26 covers 2026-11-26 to 2026-12-31, then 2027-Q1 to Q3."""
    start = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    out = []
    for _ in range(quarters):
        nxt = add_months(start, 3)
        out.append((max(start, as_of), nxt - timedelta(days=1)))
        start = nxt
    return out


def quarter_label(start: date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def _due_by(next_renewal: np.ndarray, period_months: np.ndarray, day: date) -> np.ndarray:
    """How many of each account's renewals fall on or before ``day``: renewal k is on ``next`` + (k−1)
    periods, by calendar months with the day of the month kept, or the month's last day when it is shorter
    (``add_months``: a renewal on the 31st falls on 28 February)."""
    first = pd.to_datetime(next_renewal).to_numpy("datetime64[D]")
    d = np.datetime64(day, "D")
    d_month = d.astype("datetime64[M]")
    months = (d_month - first.astype("datetime64[M]")).astype(int)
    latest = np.maximum(months, 0) // period_months + 1  # the last renewal falling in a month up to day's
    same_month = (latest - 1) * period_months == months
    month_days = ((d_month + 1).astype("datetime64[D]") - d_month.astype("datetime64[D]")).astype(int)
    renewal_day = np.minimum((first - first.astype("datetime64[M]")).astype(int), month_days - 1)
    reached = (d - d_month.astype("datetime64[D]")).astype(int) >= renewal_day
    return np.where(months < 0, 0, latest - (same_month & ~reached))


def forecast(
    result: ClvResult,
    quarters: int = 4,
    draws: int = DRAWS,
    seed: int = 0,
    accounts: Collection[int] | None = None,
) -> pd.DataFrame:
    """One row per quarter (see the module's docstring); empty when no account can be forecast. ``accounts``:
    only these accounts' contracts (a CSM's own book)."""
    book = result.contracts
    if book.empty or "renewal_probability" not in book:
        return pd.DataFrame()
    book = book[book["renewal_probability"].notna()]
    if accounts is not None:
        book = book[book["account_id"].isin(list(accounts))]
    if book.empty:
        return pd.DataFrame()
    bounds = quarter_bounds(result.as_of, quarters)
    # Accounts in the order of how many renewals fall due in the window (annual contracts: one or two; monthly
    # plans: twelve or more), so that each chunk below draws only as many renewals as its accounts have; each
    # account's contracts (its product lines, each on its own calendar) next to each other.
    due = _due_by(book["next_renewal"].to_numpy(), book["period_months"].to_numpy(), bounds[-1][1])
    most = pd.Series(due, index=book.index).groupby(book["account_id"]).transform("max").to_numpy()
    book = book.assign(_most=most).sort_values(["_most", "account_id"], kind="stable").reset_index(drop=True)
    owner = book["account_id"].to_numpy()
    position = np.cumsum(np.r_[0, owner[1:] != owner[:-1]])  # the account's index, in order
    n_accounts = int(position[-1]) + 1
    rng = np.random.default_rng(seed)
    keys = list(zip(book["billing"], book["segment"], strict=True))
    groups = {k: result.group_of(*k) for k in dict.fromkeys(keys)}
    # (group, draw, parameter): each group's parameters drawn once per draw and shared by its contracts
    params = np.stack([g.model.draw_params(draws, rng) for g in groups.values()])
    index = {k: i for i, k in enumerate(groups)}
    group_of = np.array([index[k] for k in keys])
    n = book["periods"].to_numpy()[:, None]
    mrr = book["mrr"].to_numpy()
    pm = book["period_months"].to_numpy()
    nxt = book["next_renewal"].to_numpy()
    cancelled = book["cancelled"].to_numpy()
    most = book["_most"].to_numpy()
    contract = pm >= 3
    months = [
        [day for k in range(3) if s <= (day := add_months(s.replace(day=1), k).replace(day=15)) <= e] for s, e in bounds
    ]
    sums = {name: np.zeros((len(bounds), draws)) for name in ("due", "arr_due", "arr_renewed", "mrr", "accounts")}
    revenue = np.zeros((len(bounds), draws))
    chunk_starts = np.searchsorted(position, np.arange(0, n_accounts, CHUNK))
    for lo, hi in zip(chunk_starts, [*chunk_starts[1:], len(book)], strict=True):
        local = position[lo:hi] - position[lo]
        # one uniform per account and draw, shared by its contracts: an account that is leaving leaves each of
        # its product lines at the same point of its own calendar
        u = rng.random((int(local[-1]) + 1, draws))[local]
        drawn = params[group_of[lo:hi]]  # (contracts, draws, 2), a chunk at a time: memory stays bounded
        a, b = drawn[:, :, 0], drawn[:, :, 1] + n[lo:hi] - 1
        del drawn
        ab = a + b
        surv = np.ones_like(a)
        leaves_at = np.ones(a.shape, dtype=np.int32)  # the renewal at which the contract ends (1: the next)
        for k in range(1, int(most[hi - 1]) + 1):
            surv *= (b + (k - 1)) / (ab + (k - 1))
            leaves_at += surv >= u
        del a, b, ab, u, surv
        leaves_at[cancelled[lo:hi]] = 1
        m, p, r, c = mrr[lo:hi], pm[lo:hi], nxt[lo:hi], contract[lo:hi]
        firsts = np.flatnonzero(np.r_[True, local[1:] != local[:-1]])  # each account's first contract
        for q, (start, end) in enumerate(bounds):
            before = _due_by(r, p, start - timedelta(days=1))[:, None]
            by_end = _due_by(r, p, end)[:, None]
            paying = leaves_at > by_end
            sums["mrr"][q] += m @ paying
            sums["accounts"][q] += np.logical_or.reduceat(paying, firsts, axis=0).sum(axis=0)
            # contract renewals falling due in the quarter (one at most, for periods of 3 months or more)
            due_now = c[:, None] & (by_end > before) & (leaves_at > before)
            sums["due"][q] += due_now.sum(axis=0)
            sums["arr_due"][q] += (12 * m) @ due_now
            sums["arr_renewed"][q] += (12 * m) @ (due_now & paying)
            for day in months[q]:
                revenue[q] += m @ (leaves_at > _due_by(r, p, day)[:, None])
    tail = (1 - LEVEL) / 2
    rows = []
    for q, (start, end) in enumerate(bounds):
        row = {"quarter": quarter_label(start), "start": start, "end": end}
        row["renewals_due"] = float(sums["due"][q].mean())
        row["arr_due"] = float(sums["arr_due"][q].mean())
        for name, values in (
            ("arr_renewed", sums["arr_renewed"][q]),
            ("mrr_end", sums["mrr"][q]),
            ("revenue", revenue[q]),
            ("accounts_end", sums["accounts"][q]),
        ):
            row[name] = float(values.mean())
            row[f"{name}_low"] = float(np.quantile(values, tail))
            row[f"{name}_high"] = float(np.quantile(values, 1 - tail))
        row["renewal_rate_arr"] = row["arr_renewed"] / row["arr_due"] if row["arr_due"] else float("nan")
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.attrs["book_accounts"] = n_accounts
    frame.attrs["book_mrr"] = float(mrr.sum())
    frame.attrs["level"] = LEVEL
    return frame


def cached(settings: Settings, as_of: date, wait: bool = True) -> pd.DataFrame | None:
    """The four-quarter ``forecast`` as of ``as_of``, cached like ``clv.values`` (the worker builds both).
    ``wait`` False: None unless it is cached."""
    from northstar.dashboards.cache import remember
    from northstar.revenue.clv import FILE, values

    def build() -> pd.DataFrame:
        result = values(settings, as_of)
        return forecast(result) if result is not None else pd.DataFrame()

    return remember(settings, "clv-forecast", f"{as_of.isoformat()}|{FILE.text(settings)}", build if wait else None)


def actuals(terms: pd.DataFrame, result: ClvResult, bounds: list[tuple[date, date]]) -> pd.DataFrame:
    """What the forecast's book really did: per quarter, its accounts still paying at the quarter's end and
    their MRR at the forecast day's prices (``terms``: account_id, mrr, start_date, end_date)."""
    con = result.contracts
    valued = con[con["renewal_probability"].notna()] if "renewal_probability" in con else con.iloc[:0]
    book = valued.groupby("account_id")[["mrr"]].sum()
    paying_terms = terms[terms["mrr"] > 0]
    rows = []
    for start, end in bounds:
        ends = paying_terms["end_date"]
        on = paying_terms[(paying_terms["start_date"] <= end) & (ends.isna() | (ends >= end))]
        alive = book.index.intersection(on["account_id"].unique())
        rows.append(
            {
                "quarter": quarter_label(start),
                "accounts_end": len(alive),
                "mrr_end": float(book.loc[alive, "mrr"].sum()),
            }
        )
    return pd.DataFrame(rows)


def backtest(settings: Settings, result: ClvResult, quarters: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecast from ``result`` (made on a past day) and what its book did (``actuals``), with whether
    each quarter has ended and whether its actual MRR is inside the forecast's interval."""
    frame = forecast(result, quarters=quarters)
    if frame.empty:
        return frame, pd.DataFrame()
    terms = load_terms(settings, SUBSCRIPTION_SCHEMA, result.as_of).to_pandas()
    actual = actuals(terms, result, list(zip(frame["start"], frame["end"], strict=True)))
    today = datetime.now(UTC).date()
    actual["complete"] = [end < today for end in frame["end"]]
    actual["inside"] = (frame["mrr_end_low"] <= actual["mrr_end"]) & (actual["mrr_end"] <= frame["mrr_end_high"])
    return frame, actual
