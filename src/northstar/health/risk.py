"""The churn-risk model: trained on the past without leakage, calibrated, and explained account by account.

**Training examples.** For each observation day ``t`` (month starts by default), every account paying on
``t - 1`` is an example: its features are the catalogue measures as of the start of ``t``
(``northstar.health.measures``: nothing dated ``t`` or later), and its label is churn or contraction within
the horizon after the lead time (``northstar.health.labels``). Only days whose whole outcome window
``[t + lead, t + lead + horizon)`` has passed by the training day are used, so no label comes from the future
of the training day either.

**Model.** Gradient-boosted trees (LightGBM) on the features, with missing values left missing (the trees
learn where they go). The examples are split by account, 80% to fit the trees and 20% held out. Small trees
(at most 7 leaves, 3 levels) are added until the held-out accounts' log loss has not improved for
``EARLY_STOP`` rounds, or 300 trees: a small company's model stops early (on the 2,000-account demo, after
about 40 trees; 300 fixed trees of 15 leaves lost about 0.02 AUC out of time there), and a large one's stays
small enough to explain every account in seconds (TreeSHAP costs trees x leaves x depth squared per
account; on 100,000 accounts, 15 unbounded leaves and no cap gave 0.002 more AUC for 5 times the time).
The held-out accounts then fit a logistic map from the trees' log-odds to probabilities (Platt scaling;
calibration: of the accounts given 20%, about 20% churn). Platt rather than isotonic: a step function fitted
on few positives says 0% or 100% at the ends.

**Drivers.** The trees' exact Shapley contributions (TreeSHAP, ``pred_contrib``): each feature's push on the
account's log-odds, summing with the base value to the model's raw score. The drivers are the largest pushes
towards risk.

**Targets.** The same machinery learns a second outcome: ``expansion``, more MRR at the end of the horizon
than the day before the observation (``labels.outcomes``: a seat increase, a higher plan, a new product line).
Its probability is the account's *expansion propensity*, and its drivers are the evidence for it (the
largest pushes towards expanding). It is trained, kept (``models/expansion.pkl``), scored and back-tested
like the churn model (``northstar risk train|score|backtest --target expansion``).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from northstar.config import Settings
from northstar.health import TARGETS
from northstar.health.labels import outcomes
from northstar.health.measures import CATALOGUE, Rows, measure_values

FEATURES = list(CATALOGUE)
#: Account attributes the model reads beside the measures, as categories.
CATEGORIES = ("segment",)
PARAMS = {
    "n_estimators": 300,  # at most: boosting stops earlier when the held-out accounts stop improving
    "learning_rate": 0.1,
    "num_leaves": 7,
    "max_depth": 3,
    "min_child_samples": 50,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "verbose": -1,
}
#: Rounds without a better held-out log loss before boosting stops.
EARLY_STOP = 50


def month_starts(last: date, months: int) -> list[date]:
    """The first days of the ``months`` months up to ``last`` (observations at the start of each month)."""
    out, d = [], last.replace(day=1)
    for _ in range(months):
        out.append(d)
        d = (d - timedelta(days=1)).replace(day=1)
    return sorted(out)


def observation_days(train_until: date, months: int, horizon: int, lead: int) -> list[date]:
    """Month starts whose outcome window has fully passed by ``train_until``."""
    latest = train_until - timedelta(days=horizon + lead)
    return month_starts(latest, months)


def examples(
    settings: Settings, days: list[date], horizon: int = 90, lead: int = 0, target: str = "churn"
) -> pd.DataFrame:
    """Training examples: one row per (day, eligible account) with ``FEATURES`` and ``label`` (churned or
    contracted; with ``target="expansion"``, expanded)."""
    frames = []
    attrs = account_attributes(settings)
    rows = Rows(settings, windows=False, first_day=min(days, default=None))  # many past days: from the tiers
    for day in days:
        x = measure_values(settings, day, FEATURES, rows).join(attrs, how="left")
        y = outcomes(settings, day, horizon, lead, rows=rows)
        y = (
            (y[["expanded"]].astype(int).rename(columns={"expanded": "label"}))
            if target == "expansion"
            else y[["label"]]
        )
        j = y.join(x, how="inner")
        j.insert(0, "day", day)
        frames.append(j.reset_index())
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["day", "account_id", "label"])


def account_attributes(settings: Settings) -> pd.DataFrame:
    """The ``CATEGORIES`` of every account (index account_id)."""
    import pyarrow as pa

    from northstar.metrics.service import load_table

    cols = ", ".join(CATEGORIES)
    schema = pa.schema([("account_id", pa.int64()), *[(c, pa.string()) for c in CATEGORIES]])
    return load_table(settings, f"SELECT id, {cols} FROM accounts", schema).to_pandas().set_index("account_id")


@dataclass
class RiskModel:
    """A fitted model: ``predict`` gives calibrated probabilities, ``drivers`` the reasons."""

    horizon: int = 90
    lead: int = 0
    features: list[str] = field(default_factory=lambda: [*FEATURES, *CATEGORIES])
    target: str = "churn"
    categories_: dict[str, list[str]] = field(default_factory=dict)
    trained_on: list[date] = field(default_factory=list)
    booster_: object = None
    calibrator_: object = None
    base_rate_: float = float("nan")
    n_examples_: int = 0
    trees_: int = 0

    def fit(self, data: pd.DataFrame, seed: int = 7) -> RiskModel:
        from lightgbm import LGBMClassifier, early_stopping
        from sklearn.linear_model import LogisticRegression

        accounts = data["account_id"].unique()
        rng = np.random.default_rng(seed)
        calib = set(rng.choice(accounts, size=max(1, len(accounts) // 5), replace=False).tolist())
        is_cal = data["account_id"].isin(calib).to_numpy()
        self.features = [f for f in self.features if f in data.columns]
        self.categories_ = {c: sorted(data[c].dropna().astype(str).unique()) for c in CATEGORIES if c in self.features}
        x, y = self._frame(data), data["label"].to_numpy()
        model = LGBMClassifier(random_state=seed, **PARAMS)
        model.fit(
            x[~is_cal],
            y[~is_cal],
            eval_X=(x[is_cal],),
            eval_y=(y[is_cal],),
            callbacks=[early_stopping(EARLY_STOP, verbose=False)],
        )
        self.booster_ = model
        self.trees_ = int(model.best_iteration_ or model.n_estimators_)
        self.calibrator_ = LogisticRegression(C=1e6).fit(self._logit(x[is_cal]), y[is_cal])
        self.base_rate_ = float(y.mean())
        self.n_examples_ = len(data)
        self.trained_on = sorted(set(data["day"]))
        return self

    def _frame(self, x: pd.DataFrame) -> pd.DataFrame:
        """The model's inputs: measures as floats, attributes as categories with the training's levels."""
        out = pd.DataFrame(index=x.index)
        for f in self.features:
            if f in self.categories_:
                out[f] = pd.Categorical(x[f].astype("string"), categories=self.categories_[f])
            else:
                out[f] = x[f].astype(float)
        return out

    def _logit(self, x: pd.DataFrame) -> np.ndarray:
        raw = self.booster_.predict_proba(self._frame(x), raw_score=True)  # type: ignore[union-attr]
        return np.asarray(raw).reshape(-1, 1)

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the target (churn or contraction, or expansion) within the horizon."""
        return self.calibrator_.predict_proba(self._logit(x))[:, 1]  # type: ignore[union-attr]

    def contributions(self, x: pd.DataFrame) -> pd.DataFrame:
        """Each feature's Shapley push on the log-odds (and ``base``), per row of ``x``."""
        c = self.booster_.predict(self._frame(x), pred_contrib=True)  # type: ignore[union-attr]
        return pd.DataFrame(c, index=x.index, columns=[*self.features, "base"])

    def drivers(self, x: pd.DataFrame, top: int = 3, contributions: pd.DataFrame | None = None) -> pd.DataFrame:
        """The ``top`` features pushing each account towards risk: feature, its value, its push (only pushes
        above 0). ``contributions``: ``self.contributions(x)`` if already computed."""
        c = (self.contributions(x) if contributions is None else contributions).drop(columns="base")
        push = c.to_numpy()
        k = min(top, push.shape[1])
        best = np.argsort(-push, axis=1, kind="stable")[:, :k]  # per row, the largest pushes first
        rows = np.repeat(np.arange(len(c)), k)
        cols = best.ravel()
        out = pd.DataFrame(
            {
                "account_id": c.index.to_numpy()[rows],
                "rank": np.tile(np.arange(1, k + 1), len(c)),
                "feature": np.asarray(self.features, dtype=object)[cols],
                "value": x[self.features].to_numpy(dtype=object)[rows, cols] if len(c) else [],
                "push": push[rows, cols],
            }
        )
        return out[out["push"] > 0].reset_index(drop=True)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(self, fh)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        """A model this installation trained (a pickle: never load one from elsewhere)."""
        if not path.exists():
            raise FileNotFoundError(f"no risk model at {path}: run 'northstar risk train'")
        with open(path, "rb") as fh:
            return pickle.load(fh)  # noqa: S301 - written by 'northstar risk train' into the data folder


def model_path(settings: Settings, target: str = "churn") -> Path:
    return settings.home / "models" / ("risk.pkl" if target == "churn" else f"{target}.pkl")


def train(
    settings: Settings, until: date, months: int = 12, horizon: int = 90, lead: int = 0, target: str = "churn"
) -> tuple[RiskModel, pd.DataFrame]:
    """Fit on the observation days whose outcomes were known by ``until``; returns the model and examples."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}: one of {', '.join(TARGETS)}")
    data = examples(settings, observation_days(until, months, horizon, lead), horizon, lead, target)
    if data.empty or data["label"].nunique() < 2:
        raise ValueError("not enough history: no observation day with both outcomes before the training day")
    return RiskModel(horizon, lead, target=target).fit(data), data


def score(
    settings: Settings, model: RiskModel, as_of: date, top: int = 3, explain_above: float | None = None
) -> pd.DataFrame:
    """Per paying account: the probability and the ``top`` drivers (``driver_1`` the strongest) as of
    ``as_of``, riskiest first.

    Drivers cost most of the time at scale (TreeSHAP walks every tree for every account), and they are read
    for the accounts someone will act on: by default they are worked out for accounts whose risk is above
    the training base rate (above-average risk); ``explain_above=0`` explains every account (the daily
    snapshot does, for the account pages)."""
    from northstar.health.labels import mrr_on

    measures = [f for f in model.features if f in CATALOGUE]
    rows = Rows(settings, day=as_of)
    x = measure_values(settings, as_of, measures, rows).join(account_attributes(settings), how="left")
    paying = mrr_on(rows.terms(as_of).to_pandas(), as_of - timedelta(days=1))
    x = x.loc[x.index.intersection(paying[paying > 0].index)]
    out = pd.DataFrame({"risk": model.predict(x)}, index=x.index)
    threshold = model.base_rate_ if explain_above is None else explain_above
    risky = x.loc[out.index[out["risk"].to_numpy() >= threshold]]
    d = model.drivers(risky, top)
    for rank in range(1, top + 1):
        out[f"driver_{rank}"] = d[d["rank"] == rank].set_index("account_id")["feature"].reindex(out.index)
    return out.sort_values("risk", ascending=False)
