"""Back-tests: does a score taken on a past day predict what happened next?

For each observation day, the accounts are scored as of that day (with nothing after it: see
``northstar.health.measures``) and judged against their outcome over the horizon (``labels.outcomes``).
A health scorecard is taken as a predictor by turning it around (risk = 100 - score), so a team sees
whether its health score predicts anything: an AUC near 0.5 means it does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from northstar.config import Settings
from northstar.health.evaluation import Evaluation, evaluate
from northstar.health.labels import outcomes
from northstar.health.scorecard import HealthConfig
from northstar.health.service import load_config, score_accounts


@dataclass(frozen=True)
class Backtest:
    days: list[date]
    horizon: int
    lead: int
    results: list[Evaluation]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([r.row() for r in self.results])


def model_backtest(
    settings: Settings, days: list[date], horizon: int = 90, lead: int = 0, months: int = 12, target: str = "churn"
) -> tuple[Evaluation, object]:
    """The model for ``target`` trained on what was known at the first observation day (outcome windows closed
    by then), scored on the observation days it has never seen: an out-of-time test."""
    from northstar.health.risk import examples, train

    model, _ = train(settings, min(days), months, horizon, lead, target)
    test = examples(settings, days, horizon, lead, target)
    p = model.predict(test.set_index("account_id"))
    name = "risk model" if target == "churn" else f"{target} model"
    return evaluate(name, test["label"], p, probability=True), model


def scorecard_backtest(
    settings: Settings,
    days: list[date],
    horizon: int = 90,
    lead: int = 0,
    config: HealthConfig | None = None,
) -> Backtest:
    """Every scorecard (and all of them together) as a predictor of churn or contraction, pooled over the
    observation ``days``."""
    config = config or load_config(settings)
    frames = []
    for day in days:
        scored = score_accounts(settings, day, config).scores
        o = outcomes(settings, day, horizon, lead)
        j = o.join(scored[["scorecard", "final_score"]], how="inner")
        j["day"] = day
        frames.append(j)
    pooled = pd.concat(frames) if frames else pd.DataFrame(columns=["label", "final_score", "scorecard"])
    results = [evaluate("all scorecards", pooled["label"], 100 - pooled["final_score"])]
    for name, part in pooled.groupby("scorecard"):
        if len(config.scorecards) > 1:
            results.append(evaluate(f"scorecard {name}", part["label"], 100 - part["final_score"]))
    return Backtest(days, horizon, lead, results)
