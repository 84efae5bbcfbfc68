"""What happened after an observation day: the outcome a risk score is judged against.

For an observation day ``t`` (features as of the start of ``t``), a horizon ``h`` and a lead time ``l``:

* **eligible**: accounts paying on the day before ``t`` (MRR > 0 in force on ``t - 1``), and still paying
  as much on ``t + l - 1`` (an account whose fall already happened in the lead time is no longer a forecast);
* **churned**: no MRR in force on ``t + l + h - 1``; **contracted**: less MRR than on ``t - 1``, more than 0;
  **expanded**: more;
* **label** = churned or contracted (``contraction=False``: churned only).

MRR is in the reporting currency at the rates of ``t`` for both ends (constant currency): a currency's swing
is not a contraction.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from northstar.config import Settings
from northstar.health.measures import Rows


def mrr_on(terms: pd.DataFrame, day: date) -> pd.Series:
    live = (terms.start_date <= day) & (terms.end_date.isna() | (terms.end_date >= day))
    return terms[live].groupby("account_id")["mrr"].sum()


def outcomes(
    settings: Settings,
    as_of: date,
    horizon: int = 90,
    lead: int = 0,
    contraction: bool = True,
    rows: Rows | None = None,
) -> pd.DataFrame:
    """Per eligible account (index ``account_id``): ``mrr_start``, ``mrr_end``, ``churned``, ``contracted``,
    ``label`` (0/1). ``rows`` shares the subscriptions loaded for other days."""
    terms = (rows or Rows(settings)).terms(as_of).to_pandas()
    start = mrr_on(terms, as_of - timedelta(days=1))
    start = start[start > 0]
    at_lead = mrr_on(terms, as_of + timedelta(days=lead - 1)).reindex(start.index).fillna(0.0)
    still = at_lead >= start - 1e-6 if lead > 0 else pd.Series(True, index=start.index)
    end = mrr_on(terms, as_of + timedelta(days=lead + horizon - 1)).reindex(start.index).fillna(0.0)
    out = pd.DataFrame({"mrr_start": start, "mrr_end": end})[still]
    out["churned"] = out.mrr_end <= 1e-9
    out["contracted"] = ~out.churned & (out.mrr_end < out.mrr_start - 1e-6)
    out["expanded"] = out.mrr_end > out.mrr_start + 1e-6
    out["label"] = (out.churned | (out.contracted & contraction)).astype(int)
    out.index.name = "account_id"
    return out
