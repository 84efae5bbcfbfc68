"""The risk model: observation days never see an outcome after the training day, probabilities are
calibrated, and the drivers name the feature that carries the signal."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from northstar.health.risk import FEATURES, RiskModel, month_starts, observation_days


def test_observation_days_leave_the_outcome_window_inside_the_past():
    days = observation_days(date(2026, 7, 1), months=6, horizon=90, lead=14)
    # April's window [Apr 15, Jul 14) would reach past the training day: March is the last
    assert days == [date(2025, m, 1) for m in (10, 11, 12)] + [date(2026, m, 1) for m in (1, 2, 3)]
    for d in days:  # the whole window [d + lead, d + lead + horizon) ends by the training day
        assert (date(2026, 7, 1) - d).days >= 90 + 14
    assert (date(2026, 7, 1) - date(2026, 4, 1)).days < 90 + 14
    assert month_starts(date(2026, 1, 15), 2) == [date(2025, 12, 1), date(2026, 1, 1)]


def synthetic(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Churn driven by one feature (few active days), the rest noise."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(rng.normal(size=(n, len(FEATURES))), columns=FEATURES)
    data["usage.active_days_30d"] = rng.integers(0, 31, n)
    p = 1 / (1 + np.exp(-(2.5 - 0.3 * data["usage.active_days_30d"])))
    data["label"] = (rng.random(n) < p).astype(int)
    data["account_id"] = np.arange(n)
    data["day"] = date(2026, 1, 1)
    return data


def test_fit_predict_calibrated_and_explained():
    train, test = synthetic(seed=1), synthetic(seed=2)
    model = RiskModel().fit(train)
    p = model.predict(test)
    assert ((p >= 0) & (p <= 1)).all()
    # calibration: in each fifth of the predictions, the observed rate is near the mean prediction
    bins = pd.qcut(p, 5, labels=False, duplicates="drop")
    for b in np.unique(bins):
        sel = bins == b
        assert abs(p[sel].mean() - test["label"].to_numpy()[sel].mean()) < 0.06
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(test["label"], p) > 0.8
    drivers = model.drivers(test.head(300).set_index("account_id"))
    top = drivers[drivers["rank"] == 1]["feature"].value_counts()
    assert top.index[0] == "usage.active_days_30d"
    contrib = model.contributions(test.head(50))
    raw = model.booster_.predict_proba(test.head(50)[FEATURES], raw_score=True)
    assert np.allclose(contrib.sum(axis=1).to_numpy(), raw)  # Shapley pushes add up to the raw score
    x = test.head(40).set_index("account_id")
    got = model.drivers(x, top=2)
    for acc, c in model.contributions(x).drop(columns="base").iterrows():  # row by row, the slow way
        want = c[c > 0].sort_values(ascending=False, kind="stable").head(2)
        mine = got[got["account_id"] == acc]
        assert list(mine["feature"]) == list(want.index) and np.allclose(mine["push"], want.to_numpy())
        assert list(mine["rank"]) == list(range(1, len(want) + 1))
        assert [x.at[acc, f] for f in want.index] == list(mine["value"])


def test_a_saved_model_loads_the_same(tmp_path):
    model = RiskModel().fit(synthetic(800))
    model.save(tmp_path / "risk.pkl")
    again = RiskModel.load(tmp_path / "risk.pkl")
    x = synthetic(50, seed=3)
    assert np.allclose(again.predict(x), model.predict(x))
    with pytest.raises(FileNotFoundError, match="northstar risk train"):
        RiskModel.load(tmp_path / "none.pkl")


def test_categories_are_read_with_the_training_levels():
    data = synthetic(3000, seed=4)
    data["segment"] = np.where(data["usage.active_days_30d"] < 10, "SMB", "Enterprise")
    model = RiskModel().fit(data)
    assert model.categories_ == {"segment": ["Enterprise", "SMB"]}
    x = synthetic(20, seed=6)
    x["segment"] = ["SMB", "Mid-Market"] * 10  # a level never seen: treated as missing, not an error
    p = model.predict(x)
    assert p.shape == (20,) and np.isfinite(p).all()
    assert "segment" in model.contributions(x).columns
