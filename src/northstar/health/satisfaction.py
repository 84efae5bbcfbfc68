"""Satisfaction is not success: testing the product's own claim on the user's data.

As of an observation day, each paying account has a **satisfaction** (its latest NPS answer in the past year,
its mean CSAT over 180 days), a **success** (how much of the product it uses: feature breadth and active days
over 30 days, and the share of decision makers active), and, over the following horizon, an **outcome**:
churned, contracted, expanded.

* **Correlations**: Spearman's rank correlation for each (satisfaction or success, outcome or success) pair,
  with a 95% interval from Fisher's z with the Bonett-Wright standard error for Spearman,
  ``atanh(r) ± 1.96 sqrt((1 + r^2 / 2) / (n - 3))`` (Bonett & Wright 2000), overall and per segment.
* **Quadrants**: satisfied (NPS 9-10) or not, successful (feature breadth at or above the median) or not,
  with each quadrant's churn rate and its Wilson interval. If satisfaction kept customers, the satisfied
  but unsuccessful would churn little; the claim is that they churn like the unsuccessful.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from scipy.stats import binomtest, spearmanr

from northstar.config import Settings
from northstar.health.labels import outcomes
from northstar.health.measures import measure_values

Z95 = 1.959964
SATISFACTION = {"feedback.nps_last": "NPS (latest)", "feedback.csat_180d": "CSAT (180 d)"}
SUCCESS = {
    "usage.breadth_30d": "feature breadth",
    "usage.active_days_30d": "active days",
    "relationship.dm_active_30d": "decision makers active",
}
OUTCOMES = {"churned": "churned", "contracted": "contracted", "expanded": "expanded"}


def spearman_interval(x: object, y: object) -> tuple[float, float, float, int]:
    """(rho, low, high, n) over the pairs where both are present."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[keep], b[keep]
    n = len(a)
    if n < 4 or np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan"), float("nan"), float("nan"), n
    rho = float(spearmanr(a, b).statistic)
    se = np.sqrt((1 + rho**2 / 2) / (n - 3))
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    return rho, float(np.tanh(z - Z95 * se)), float(np.tanh(z + Z95 * se)), n


def account_table(settings: Settings, as_of: date, horizon: int = 180) -> pd.DataFrame:
    """Per paying account on ``as_of``: satisfaction, success, segment and the outcome over ``horizon``."""
    import pyarrow as pa

    from northstar.metrics.service import load_table

    o = outcomes(settings, as_of, horizon)
    values = measure_values(settings, as_of, [*SATISFACTION, *SUCCESS])
    segments = (
        load_table(
            settings,
            "SELECT id, segment FROM accounts",
            pa.schema([("account_id", pa.int64()), ("segment", pa.string())]),
        )
        .to_pandas()
        .set_index("account_id")
    )
    out = o[list(OUTCOMES)].astype(int).join(values, how="left").join(segments, how="left")
    return out


def correlations(table: pd.DataFrame, by_segment: bool = True) -> pd.DataFrame:
    groups = [("all", table)] + ([(str(s), g) for s, g in table.groupby("segment", dropna=False)] if by_segment else [])
    rows = []
    for name, g in groups:
        pairs = [(s, o) for s in SATISFACTION for o in OUTCOMES]
        pairs += [(s, o) for s in SUCCESS for o in OUTCOMES]
        pairs += [(s, u) for s in SATISFACTION for u in SUCCESS]
        for x, y in pairs:
            rho, low, high, n = spearman_interval(g[x], g[y])
            label_x = SATISFACTION.get(x) or SUCCESS[x]
            label_y = OUTCOMES.get(y) or SUCCESS.get(y, y)
            rows.append({"segment": name, "x": label_x, "y": label_y, "rho": rho, "low": low, "high": high, "n": n})
    return pd.DataFrame(rows)


def quadrants(table: pd.DataFrame) -> pd.DataFrame:
    """Churn by satisfied (NPS 9-10) x successful (breadth at or above the median), with Wilson intervals."""
    t = table.dropna(subset=["feedback.nps_last", "usage.breadth_30d"])
    median = t["usage.breadth_30d"].median()
    t = t.assign(
        satisfied=np.where(t["feedback.nps_last"] >= 9, "satisfied", "not satisfied"),
        successful=np.where(t["usage.breadth_30d"] >= median, "successful", "not successful"),
    )
    rows = []
    for (sat, suc), g in t.groupby(["satisfied", "successful"]):
        k, n = int(g["churned"].sum()), len(g)
        ci = binomtest(k, n).proportion_ci(method="wilson") if n else None
        rows.append(
            {
                "satisfied": sat,
                "successful": suc,
                "accounts": n,
                "churned": k,
                "churn_rate": k / n if n else float("nan"),
                "low": ci.low if ci else float("nan"),
                "high": ci.high if ci else float("nan"),
            }
        )
    return pd.DataFrame(rows)
