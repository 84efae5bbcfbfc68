"""Amounts in one reporting currency, through the imported exchange-rate table.

Revenue metrics convert every term's MRR at **constant currency**: each currency's rate in effect on the
last day of the report (the latest ``valid_from`` on or before it), for every month of the report. A
movement is then a change in what customers pay, never a swing of the exchange rate (the convention of
SaaS reporting that separates FX effects from NRR). Rates are units of the reporting currency
(``NORTHSTAR_CURRENCY``, default USD) per unit of the other currency; imported with
``northstar import rates FILE`` (columns currency, valid_from, rate).
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select

from northstar.config import Settings
from northstar.db.engine import session_scope
from northstar.revenue.models import ExchangeRate


class MissingRate(ValueError):
    pass


def rates_on(settings: Settings, on: date) -> dict[str, float]:
    """Each currency's rate in effect on ``on``; the reporting currency is 1."""
    rates: dict[str, float] = {}
    with session_scope(settings.database_url) as s:
        rows = s.execute(
            select(ExchangeRate.currency, ExchangeRate.rate)
            .where(ExchangeRate.valid_from <= on)
            .order_by(ExchangeRate.currency, ExchangeRate.valid_from)
        )
        for currency, rate in rows:
            rates[currency.upper()] = float(rate)  # the latest valid_from wins
    rates[settings.currency] = 1.0
    return rates


def to_reporting(settings: Settings, amounts: pa.Array, currencies: pa.Array, on: date, what: str) -> pa.Array:
    """``amounts`` converted from each row's currency (NULL = the reporting currency) at the rates on
    ``on``. A currency with no rate is an error that names it and ``what`` holds it."""
    codes = pc.utf8_upper(pc.fill_null(currencies.cast(pa.string()), settings.currency))
    present = set(pc.unique(codes).to_pylist())
    if present <= {settings.currency}:
        return amounts
    rates = rates_on(settings, on)
    missing = sorted(present - set(rates))
    if missing:
        raise MissingRate(
            f"{what} are in {', '.join(missing)} but there is no exchange rate to {settings.currency} on or before "
            f"{on}: import one with 'northstar import rates FILE' (columns currency, valid_from, rate = "
            f"{settings.currency} per unit)"
        )
    keys = pa.array(sorted(present))
    factors = pa.array([rates[k] for k in keys.to_pylist()], pa.float64())
    return pc.multiply(amounts.cast(pa.float64()), pc.take(factors, pc.index_in(codes, keys)))
