"""From a log of transactions to the summaries the purchasing models read (frequency, recency, T, monetary
value), as in Fader, Hardie & Lee (2005) and the CDNOW data set built from them.

* Transactions of one customer on the same day are one purchase (their values added): the models count
  purchase *occasions*, and a basket split over several orders is one.
* ``frequency`` = the customer's repeat purchases in the calibration period (purchase days − 1);
  ``recency`` = time from its first purchase to its last; ``T`` = from its first purchase to the end of the
  calibration period, in days or weeks (7 days: CDNOW's ``T`` of 38.86 weeks is 272 days).
* ``monetary_value`` = the mean value of the *repeat* purchases (the first is left out, as the Gamma-Gamma
  model's ``z̄`` is), 0 for customers without one.
* With an ``observation_end`` after the calibration end, ``frequency_holdout``, ``monetary_value_holdout`` and
  ``duration_holdout`` describe what each customer did next, to test a forecast against.

Customers whose first purchase is after the calibration end are not in the summary (they were not known).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

PERIODS = {"D": 1.0, "W": 7.0}


def summarise_transactions(
    transactions: pd.DataFrame,
    customer: str = "customer_id",
    when: str = "date",
    value: str | None = None,
    *,
    calibration_end: date | str | None = None,
    observation_end: date | str | None = None,
    period: str = "D",
) -> pd.DataFrame:
    """One row per customer (indexed by ``customer``) with ``frequency``, ``recency``, ``T`` and, given a
    ``value`` column, ``monetary_value``; and the holdout columns when ``observation_end`` is after
    ``calibration_end``. Both ends default to the last transaction's day."""
    if period not in PERIODS:
        raise ValueError(f"period: {period!r} is not one of {', '.join(PERIODS)} (days, weeks)")
    unit = PERIODS[period]
    missing = [c for c in (customer, when, value) if c is not None and c not in transactions.columns]
    if missing:
        raise ValueError(f"transactions: no column {', '.join(map(repr, missing))}")
    days = _days(transactions[when], when)
    frame = pd.DataFrame({"customer": transactions[customer].to_numpy(), "day": days})
    if value is not None:
        amounts = pd.to_numeric(transactions[value], errors="coerce")
        bad = amounts.isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"transactions: row {row + 1}, column {value!r}: {transactions[value].iloc[row]!r} is not a number"
            )
        frame["value"] = amounts.to_numpy(dtype=float)
    last_day = frame["day"].max()
    cal_end = _day(calibration_end, "calibration_end") if calibration_end is not None else last_day
    obs_end = _day(observation_end, "observation_end") if observation_end is not None else cal_end
    if obs_end < cal_end:
        raise ValueError("observation_end: it cannot come before calibration_end")
    frame = frame[frame["day"] <= obs_end]
    per_day = frame.groupby(["customer", "day"], sort=True).sum().reset_index()
    first = per_day.groupby("customer")["day"].transform("min")
    per_day = per_day[first <= cal_end]
    first = first[first <= cal_end]
    cal = per_day[per_day["day"] <= cal_end]
    g = cal.groupby("customer")
    out = pd.DataFrame({"first": g["day"].min(), "last": g["day"].max(), "purchases": g.size()})
    out["frequency"] = (out["purchases"] - 1).astype(float)
    out["recency"] = (out["last"] - out["first"]).dt.days / unit
    out["T"] = (cal_end - out["first"]).dt.days / unit
    cols = ["frequency", "recency", "T"]
    if value is not None:
        repeat = cal[cal["day"] > first.loc[cal.index]]
        out["monetary_value"] = repeat.groupby("customer")["value"].mean().reindex(out.index).fillna(0.0)
        cols.append("monetary_value")
    if obs_end > cal_end:
        later = per_day[per_day["day"] > cal_end].groupby("customer")
        out["frequency_holdout"] = later.size().reindex(out.index).fillna(0).astype(float)
        if value is not None:
            out["monetary_value_holdout"] = later["value"].mean().reindex(out.index).fillna(0.0)
        out["duration_holdout"] = (obs_end - cal_end).days / unit
        cols += [c for c in ("frequency_holdout", "monetary_value_holdout", "duration_holdout") if c in out]
    out.index.name = customer
    return out[cols]


def _days(column: pd.Series, name: str) -> pd.Series:
    """The column as dates (midnight), refused naming the first row that is not one."""
    parsed = pd.to_datetime(column, errors="coerce")
    retry = parsed.isna().to_numpy() & column.notna().to_numpy()
    if retry.any():  # the format was inferred from the first value; others may be written another way
        parsed[retry] = pd.to_datetime(column[retry], errors="coerce", format="mixed")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"transactions: row {row + 1}, column {name!r}: {column.iloc[row]!r} is not a date")
    return parsed.dt.normalize().reset_index(drop=True).set_axis(column.index)


def _day(value: date | str, name: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        raise ValueError(f"{name}: {value!r} is not a date") from None
