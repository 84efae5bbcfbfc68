"""Revenue metrics from subscription terms, as Ibis expressions (DuckDB by default; any Ibis backend).

Definitions (DESIGN.md section 3; the SaaS conventions of e.g. the SaaS Metrics 2.0 / Baremetrics glossary):

* MRR of an account at a month end = sum of ``mrr`` over its terms active that day (``start_date <= d <=
  end_date``, open-ended when ``end_date`` is NULL).
* Movements of month *m* per account, from MRR at the previous month end (``p``) and at *m*'s end (``c``):
  ``new = c`` when ``p = 0`` and the account never had MRR before; ``reactivation = c`` when ``p = 0`` and it
  had; ``expansion = c - p`` when ``c > p > 0``; ``contraction = c - p`` (negative) when ``0 < c < p``;
  ``churn = -p`` when ``c = 0 < p``. They add up exactly to ``c - p``, and over accounts to the change in MRR.
  Expansion is split into *cross-sell* (MRR in product lines the account did not have at ``p``) and
  *upsell* (the rest), capped so the two add up to the expansion.
* Over a period from month end *s* to month end *e*, on the base of accounts with MRR at *s* (Bessemer /
  KeyBanc convention): ``GRR = (start - contraction - churn) / start``; ``NRR = (start + expansion -
  contraction - churn) / start``, per account from its MRR at *s* and *e*; logo churn = base accounts with
  no MRR at *e* / base accounts; revenue churn = churned MRR / start.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from northstar.revenue.service import month_ends


def months_table(first: date, last: date) -> ir.Table:
    """Month ends from ``first``'s month to ``last``'s, each with the month end before it."""
    ends = month_ends(first - timedelta(days=31), last)
    return ibis.memtable(
        pa.table({"month": pa.array(ends[1:], pa.date32()), "prev_month": pa.array(ends[:-1], pa.date32())})
    )


SUBSCRIPTION_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("product_line", pa.string()),
        ("mrr", pa.float64()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
    ]
)


def subscriptions_table(rows: pd.DataFrame | pa.Table) -> ir.Table:
    """An in-memory Ibis table of subscription terms with the columns the revenue metrics read."""
    if isinstance(rows, pd.DataFrame):
        rows = pa.Table.from_pandas(rows[SUBSCRIPTION_SCHEMA.names], schema=SUBSCRIPTION_SCHEMA, preserve_index=False)
    return ibis.memtable(rows.select(SUBSCRIPTION_SCHEMA.names).cast(SUBSCRIPTION_SCHEMA))


def mrr_by_line(subs: ir.Table, months: ir.Table) -> ir.Table:
    """MRR per (account, product line, month end), only where it is not zero."""
    end = subs.end_date.fill_null(date(9999, 12, 31))
    joined = subs.join(months, [subs.start_date <= months.month, end >= months.month])
    return (
        joined.group_by([joined.account_id, joined.product_line, joined.month])
        .aggregate(mrr=joined.mrr.sum())
        .filter(lambda t: t.mrr != 0)
    )


def mrr_by_account(subs: ir.Table, months: ir.Table) -> ir.Table:
    """MRR per (account, month end), only where it is not zero."""
    lines = mrr_by_line(subs, months)
    return lines.group_by(["account_id", "month"]).aggregate(mrr=lines.mrr.sum())


def _month_end(d: ir.DateValue) -> ir.DateValue:
    """The last day of ``d``'s month."""
    return (d.truncate("M") + ibis.interval(months=1) - ibis.interval(days=1)).cast("date")


def _levels(subs: ir.Table) -> ir.Table:
    """Per (account, product line) and month end at which its MRR changes: the level before and after.

    A term adds its MRR at the first month end on or after its start and removes it at the first month
    end after its last day, so the work is proportional to the terms, not to terms × months. Levels are
    running sums rounded to 4 decimals (the money precision), so float noise never fakes a change.
    """
    plus = subs.select("account_id", "product_line", month=_month_end(subs.start_date), delta=subs.mrr)
    ended = subs.filter(subs.end_date.notnull())
    minus = ended.select(
        "account_id", "product_line", month=_month_end(ended.end_date + ibis.interval(days=1)), delta=-ended.mrr
    )
    both = plus.union(minus, distinct=False)
    d = both.group_by(["account_id", "product_line", "month"]).aggregate(delta=both.delta.sum())
    w = ibis.cumulative_window(group_by=["account_id", "product_line"], order_by="month")
    d = d.mutate(cur=d.delta.sum().over(w).round(4))
    return d.mutate(prev=(d.cur - d.delta).round(4))


def movements(subs: ir.Table, first: date, last: date) -> ir.Table:
    """Per account and month end from ``first``'s to ``last``'s month at which its MRR moved, the movements
    that explain the move (accounts and months without a change have no row)."""
    lines = _levels(subs)
    acc = lines.group_by(["account_id", "month"]).aggregate(
        delta=lines.delta.sum(), new_line_mrr=lines.cur.sum(where=(lines.prev == 0) & (lines.cur > 0))
    )
    w = ibis.cumulative_window(group_by="account_id", order_by="month")
    acc = acc.mutate(end_mrr=acc.delta.sum().over(w).round(4))
    acc = acc.mutate(start_mrr=(acc.end_mrr - acc.delta).round(4))
    lo, hi = month_ends(first, first)[0], month_ends(last, last)[0]
    acc = acc.filter((acc.month >= lo) & (acc.month <= hi) & (acc.start_mrr != acc.end_mrr))
    paying = subs.filter(subs.mrr > 0)
    first_day = paying.group_by("account_id").aggregate(first_start=paying.start_date.min())
    acc = acc.join(first_day, "account_id", how="left")
    p, c = acc.start_mrr, acc.end_mrr
    had_before = acc.first_start < acc.month.truncate("M")
    expansion = ibis.ifelse((c > p) & (p > 0), c - p, 0)
    cross = ibis.least(expansion, acc.new_line_mrr.fill_null(0))
    return acc.select(
        "account_id",
        "month",
        "start_mrr",
        "end_mrr",
        new=ibis.ifelse((p == 0) & (c > 0) & ~had_before, c, 0),
        reactivation=ibis.ifelse((p == 0) & (c > 0) & had_before, c, 0),
        expansion=expansion,
        upsell=expansion - cross,
        cross_sell=cross,
        contraction=ibis.ifelse((c < p) & (c > 0), c - p, 0),
        churn=ibis.ifelse((c == 0) & (p > 0), -p, 0),
    )


KINDS = ("new", "expansion", "contraction", "churn", "reactivation")


def movements_summary(subs: ir.Table, first: date, last: date) -> pd.DataFrame:
    """Per month end from ``first``'s to ``last``'s month: starting MRR, each movement (with upsell and
    cross-sell), ending MRR. Every month has a row; the opening MRR is taken at the month end before."""
    moves = movements(subs, first, last)
    kinds = [*KINDS, "upsell", "cross_sell"]
    sums = moves.group_by("month").aggregate(**{k: moves[k].sum() for k in kinds}).execute()
    sums["month"] = pd.to_datetime(sums["month"]).dt.date
    ends = month_ends(first, last)
    out = sums.set_index("month").reindex(ends, fill_value=0.0).astype(float).rename_axis("month")
    opening = mrr_by_account(subs, months_table(_prev_end(ends[0]), _prev_end(ends[0])))
    start = _num(opening.mrr.sum().execute())
    out["end_mrr"] = (start + out[list(KINDS)].sum(axis=1).cumsum()).round(4)
    out["start_mrr"] = out["end_mrr"].shift(1, fill_value=start)
    cols = ["start_mrr", *kinds, "end_mrr"]
    return out[cols].round(4).reset_index()


def _prev_end(d: date) -> date:
    return date(d.year, d.month, 1) - timedelta(days=1)


def retention(subs: ir.Table, start: date, end: date) -> dict[str, float]:
    """NRR, GRR, logo and revenue churn from month end ``start`` to month end ``end`` (base: MRR at start)."""
    months = months_table(start, end).filter(lambda t: (t.month == start) | (t.month == end))
    acc = mrr_by_account(subs, months)
    s = acc.filter(acc.month == start).select("account_id", s=acc.mrr)
    e = acc.filter(acc.month == end).select("account_id", e=acc.mrr)
    j = s.join(e, "account_id", how="left")
    j = j.select("account_id", "s", e=j.e.fill_null(0))
    row = (
        j.aggregate(
            accounts=j.count(),
            start=j.s.sum(),
            expansion=ibis.greatest(j.e - j.s, 0).sum(),
            contraction=ibis.ifelse(j.e > 0, ibis.greatest(j.s - j.e, 0), 0).sum(),
            churn=ibis.ifelse(j.e == 0, j.s, 0).sum(),
            churned_accounts=j.count(where=j.e == 0),
        )
        .execute()
        .iloc[0]
    )
    start_mrr = _num(row["start"])
    if not start_mrr:
        return {"accounts": 0, "start_mrr": 0.0}
    exp, con, churn = (_num(row[k]) for k in ("expansion", "contraction", "churn"))
    return {
        "accounts": int(row["accounts"]),
        "start_mrr": start_mrr,
        "expansion": exp,
        "contraction": con,
        "churn": churn,
        "nrr": (start_mrr + exp - con - churn) / start_mrr,
        "grr": (start_mrr - con - churn) / start_mrr,
        "logo_churn": int(row["churned_accounts"]) / int(row["accounts"]),
        "revenue_churn": churn / start_mrr,
    }


def _num(value: object) -> float:
    """A SQL aggregate as a float: NULL (the sum of nothing) is 0."""
    return 0.0 if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


RENEWAL_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("product_line", pa.string()),
        ("mrr", pa.float64()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("renewal_date", pa.date32()),
    ]
)


def renewals(terms: ir.Table, start: date, end: date, grace_days: int = 30) -> dict[str, float]:
    """Renewal rate by count and by ARR for terms that reached their end between ``start`` and ``end``.

    A term is *up for renewal* when it ends in the window having run its course (its end is the day before
    its renewal date, or it has none); amendments closed early for an upgrade or downgrade are not. It is
    *renewed* when a term of the same account and product line starts within ``grace_days`` after it ends.
    ARR = 12 × MRR of the expiring term.
    """
    ended = terms.filter(
        terms.end_date.notnull()
        & (terms.end_date >= start)
        & (terms.end_date <= end)
        & (terms.renewal_date.isnull() | (terms.renewal_date == terms.end_date + ibis.interval(days=1)))
    )
    nxt = terms.select(n_account=terms.account_id, n_line=terms.product_line, n_start=terms.start_date)
    j = ended.left_join(
        nxt,
        [
            ended.account_id == nxt.n_account,
            ended.product_line == nxt.n_line,
            nxt.n_start > ended.end_date,
            nxt.n_start <= ended.end_date + ibis.interval(days=grace_days + 1),
        ],
    )
    per_term = j.group_by([j.account_id, j.product_line, j.end_date, j.mrr]).aggregate(renewed=j.n_start.count() > 0)
    row = (
        per_term.aggregate(
            up=per_term.count(),
            renewed=per_term.count(where=per_term.renewed),
            up_arr=(per_term.mrr * 12).sum(),
            renewed_arr=(per_term.mrr * 12).sum(where=per_term.renewed),
        )
        .execute()
        .iloc[0]
    )
    up, up_arr = int(row["up"]), _num(row["up_arr"])
    return {
        "up_for_renewal": up,
        "renewed": int(row["renewed"]),
        "renewal_rate": int(row["renewed"]) / up if up else float("nan"),
        "up_for_renewal_arr": up_arr,
        "renewed_arr": _num(row["renewed_arr"]),
        "renewal_rate_arr": _num(row["renewed_arr"]) / up_arr if up_arr else float("nan"),
    }


def cohorts(subs: ir.Table, first: date, last: date) -> pd.DataFrame:
    """Logo and revenue retention by start-month cohort and age in months.

    An account's cohort is the month its first paid term started (accounts that started before ``first``
    are left out, their start being outside the window). At each month end from the cohort's month on:
    ``logo = accounts paying / accounts in the cohort`` and ``revenue = their MRR / the cohort's MRR at
    age 0`` (net of expansion, so above 1 when expansion beats losses). Reactivated accounts count again
    from the month they pay again.
    """
    paying = subs.filter(subs.mrr > 0)
    starts = paying.group_by("account_id").aggregate(first_start=paying.start_date.min())
    starts = starts.filter((starts.first_start >= first) & (starts.first_start <= last))
    starts = starts.mutate(cohort=starts.first_start.truncate("M").cast("date"))
    acc = mrr_by_account(subs, months_table(first, last)).filter(lambda t: t.mrr > 0)
    j = acc.join(starts, "account_id")
    j = j.filter(j.month >= j.cohort)
    age = (j.month.year() - j.cohort.year()) * 12 + (j.month.month() - j.cohort.month())
    j = j.mutate(age=age)
    grid = j.group_by(["cohort", "age"]).aggregate(accounts=j.count(), mrr=j.mrr.sum()).execute()
    sizes = starts.group_by("cohort").aggregate(size=starts.count()).execute()
    grid["cohort"] = pd.to_datetime(grid["cohort"]).dt.date
    sizes["cohort"] = pd.to_datetime(sizes["cohort"]).dt.date
    grid = grid.merge(sizes, on="cohort")
    base = grid[grid["age"] == 0].set_index("cohort")["mrr"]
    grid["logo"] = grid["accounts"] / grid["size"]
    grid["revenue"] = grid["mrr"] / grid["cohort"].map(base)
    return grid.sort_values(["cohort", "age"]).reset_index(drop=True)[
        ["cohort", "age", "size", "accounts", "mrr", "logo", "revenue"]
    ]
