"""Suggested scorecard weights, from what happened: which measures' points actually told churn apart.

On past observation days the scorecard's measures are scored (points 0-100), and the outcome over the
horizon is known (``labels.outcomes``). A logistic regression of the outcome on the **standardised** points
(each measure's points minus their mean, over their standard deviation; a skipped measure takes the mean)
gives one coefficient per measure on a common scale: ``beta`` is the change in the log-odds of churn for one
standard deviation more points. Its standard error comes from the inverse of the Fisher information
``(X' W X)^-1``, ``W = diag(p (1 - p))``; the 95% interval is ``beta ± 1.96 se``.

A measure earns weight when more points mean less churn (``beta < 0``): the suggested weight is ``-beta``
where the interval lies below zero, and 0 otherwise (no evidence it helps), as a share of the total. Beside
it: the measure's current share of the score, its AUC alone (points taken as health), and how often it is
missing. The suggestion is evidence to read, not a rule to apply blindly: correlated measures share credit.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from northstar.config import Settings
from northstar.health.evaluation import roc_auc
from northstar.health.labels import outcomes
from northstar.health.scorecard import Scorecard
from northstar.health.scoring import points, with_rule
from northstar.health.service import card_values, load_config, needed

Z95 = 1.959964


def pooled_points(
    settings: Settings, card: Scorecard, days: list[date], horizon: int = 90, lead: int = 0
) -> pd.DataFrame:
    """Per (day, account): each measure's points under ``card`` and the outcome ``label``."""
    from northstar.health.measures import Rows, measure_values

    frames, rows = [], Rows(settings, windows=False)
    for day in days:
        raw = measure_values(settings, day, needed(card), rows)
        values = card_values(card, raw)
        pts = pd.DataFrame(
            {m.name: points(with_rule(m, card), values[m.name].to_numpy()) for m in card.measures},
            index=values.index,
        )
        j = outcomes(settings, day, horizon, lead, rows=rows)[["label"]].join(pts, how="inner")
        frames.append(j)
    return pd.concat(frames) if frames else pd.DataFrame(columns=["label"])


def suggest(data: pd.DataFrame, card: Scorecard) -> pd.DataFrame:
    """The evidence and the suggested share of each measure (see the module docstring)."""
    from sklearn.linear_model import LogisticRegression

    names = [m.name for m in card.measures]
    x = data[names].astype(float)
    missing = x.isna().mean()
    x = x.fillna(x.mean())
    sd = x.std(ddof=0).replace(0, np.nan)
    z = ((x - x.mean()) / sd).fillna(0.0)
    y = data["label"].to_numpy()
    model = LogisticRegression(C=1e6, max_iter=1000).fit(z.to_numpy(), y)
    beta = model.coef_[0]
    design = np.column_stack([np.ones(len(z)), z.to_numpy()])
    p = model.predict_proba(z.to_numpy())[:, 1]
    info = design.T @ (design * (p * (1 - p))[:, None])
    se = np.sqrt(np.diag(np.linalg.pinv(info)))[1:]
    low, high = beta - Z95 * se, beta + Z95 * se
    evidence = np.where(high < 0, -beta, 0.0)
    total = evidence.sum()
    current = _current_shares(card)
    return pd.DataFrame(
        {
            "measure": names,
            "beta": beta,
            "ci_low": low,
            "ci_high": high,
            "auc_alone": [roc_auc(y, 100 - data[n].fillna(data[n].mean())) for n in names],
            "missing": missing.to_numpy(),
            "current_share": [current[n] for n in names],
            "suggested_share": evidence / total if total > 0 else np.zeros(len(names)),
        }
    )


def _current_shares(card: Scorecard) -> dict[str, float]:
    """Each measure's share of the score when nothing is missing: group share times share in the group."""
    total = sum(g.weight for g in card.groups)
    out = {}
    for g in card.groups:
        inner = sum(m.weight for m in g.measures)
        for m in g.measures:
            out[m.name] = g.weight / total * m.weight / inner
    return out


def suggest_for(
    settings: Settings, days: list[date], horizon: int = 90, lead: int = 0, scorecard: str | None = None
) -> tuple[Scorecard, pd.DataFrame, int, int]:
    """The suggestion for one scorecard (the default one unless named), with examples and positives."""
    config = load_config(settings)
    card = next((c for c in config.scorecards if c.name == scorecard), None) if scorecard else None
    card = card or next((c for c in config.scorecards if c.applies_to is None), config.scorecards[0])
    data = pooled_points(settings, card, days, horizon, lead)
    return card, suggest(data, card), len(data), int(data["label"].sum())
