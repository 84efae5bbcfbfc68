"""The back-test's figures against a hand count and against scikit-learn's, on random data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from northstar.health.evaluation import average_precision, brier, calibration_table, roc_auc, top_decile_lift


def test_by_hand():
    y = [1, 0, 1, 0, 0]
    s = [0.9, 0.8, 0.7, 0.2, 0.2]
    # pairs (positive, negative): 0.9 beats all 3; 0.7 beats the two 0.2s, not 0.8: (3 + 2) / 6
    assert roc_auc(y, s) == pytest.approx(5 / 6)
    # thresholds: 0.9 -> P 1, R 1/2; 0.8 -> P 1/2; 0.7 -> P 2/3, R 1: AP = 1/2 * 1 + 1/2 * 2/3
    assert average_precision(y, s) == pytest.approx(0.5 + 1 / 3)
    # top decile of 5 = 1 account (0.9, a positive): 1 / (2/5)
    assert top_decile_lift(y, s) == pytest.approx(2.5)
    assert brier([1, 0], [0.8, 0.4]) == pytest.approx((0.04 + 0.16) / 2)
    table = calibration_table([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], bins=2)
    assert table.to_dict("list") == {
        "bin": [1, 2],
        "accounts": [2, 2],
        "predicted": [0.15000000000000002, 0.8],
        "observed": [0.0, 1.0],
    }


def test_ties_count_half():
    assert roc_auc([1, 0], [0.5, 0.5]) == 0.5
    assert np.isnan(roc_auc([1, 1], [0.1, 0.2]))  # no negatives: undefined


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 20)), min_size=2, max_size=200).filter(
        lambda r: 0 < sum(y for y, _ in r) < len(r)
    )
)
def test_matches_scikit_learn(rows):
    y = np.array([int(a) for a, _ in rows])
    s = np.array([b / 20 for _, b in rows])  # coarse scores: many ties
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert average_precision(y, s) == pytest.approx(average_precision_score(y, s))
    assert brier(y, s) == pytest.approx(brier_score_loss(y, s))


def test_outcomes_by_hand(lite):
    from datetime import date

    from northstar.accounts.models import Account
    from northstar.db.engine import session_scope
    from northstar.health.labels import outcomes
    from northstar.revenue.models import Subscription, SubscriptionStatus

    def sub(n, account, mrr, start, end=None):
        return Subscription(
            external_id=f"s{n}",
            account_id=account,
            product="P",
            product_line="core",
            mrr=mrr,
            start_date=start,
            end_date=end,
            status=SubscriptionStatus.ACTIVE,
        )

    with session_scope(lite.database_url) as s:
        s.add_all([Account(id=i, external_id=f"A{i}", name=f"A{i}") for i in range(1, 7)])
        s.flush()
        s.add_all(
            [
                sub(1, 1, 100, date(2025, 1, 1)),  # steady: 0
                sub(2, 2, 100, date(2025, 1, 1), date(2026, 2, 15)),  # ends inside the horizon: churned
                sub(3, 3, 100, date(2025, 1, 1), date(2026, 2, 15)),
                sub(4, 3, 40, date(2026, 2, 16)),  # renewed smaller: contracted
                sub(5, 4, 100, date(2025, 1, 1), date(2026, 1, 10)),  # gone within a 14-day lead: not eligible
                sub(6, 5, 100, date(2026, 1, 5)),  # starts after the observation day: not eligible
                sub(7, 6, 100, date(2025, 1, 1), date(2026, 4, 30)),  # ends after the horizon: 0
            ]
        )
    day = date(2026, 1, 1)
    o = outcomes(lite, day, horizon=90, lead=14)
    assert sorted(o.index) == [1, 2, 3, 6]
    assert dict(o["label"]) == {1: 0, 2: 1, 3: 1, 6: 0}
    assert bool(o.loc[2, "churned"]) and bool(o.loc[3, "contracted"]) and o.loc[3, "mrr_end"] == 40
    assert dict(outcomes(lite, day, horizon=90, lead=14, contraction=False)["label"]) == {1: 0, 2: 1, 3: 0, 6: 0}
    assert 4 in outcomes(lite, day, horizon=90, lead=0).index  # without a lead, it is a positive


def test_a_scorecard_that_sees_churn_coming_scores_well_in_the_backtest(lite):
    """Twenty accounts: the ten that stopped using the product churn in the next 90 days. The default
    scorecard (usage weighs most) must rank them first; a blind one cannot."""
    from datetime import date, datetime, timedelta

    import pyarrow as pa

    from northstar.accounts.models import Account
    from northstar.db.engine import session_scope
    from northstar.health.backtest import scorecard_backtest
    from northstar.health.scorecard import parse
    from northstar.revenue.models import Subscription, SubscriptionStatus
    from northstar.store import rollup_store
    from northstar.usage.store import EventStore

    day = date(2026, 3, 1)
    with session_scope(lite.database_url) as s:
        s.add_all([Account(id=i, external_id=f"A{i}", name=f"A{i}") for i in range(1, 21)])
        s.flush()
        s.add_all(
            Subscription(
                external_id=f"s{i}",
                account_id=i,
                product="P",
                product_line="core",
                mrr=100,
                start_date=date(2025, 1, 1),
                end_date=date(2026, 4, 15) if i > 10 else None,
                status=SubscriptionStatus.ACTIVE,
            )
            for i in range(1, 21)
        )
    rows = [(i, d) for i in range(1, 21) for d in range(1, 60) if i <= 10 or d > 45]  # 11-20 went quiet
    events = pa.table(
        {
            "event_id": [f"e{i}-{d}" for i, d in rows],
            "account_id": pa.array([i for i, _ in rows], pa.int64()),
            "contact_id": pa.nulls(len(rows), pa.int64()),
            "user_id": [f"u{i}" for i, _ in rows],
            "event": ["login"] * len(rows),
            "timestamp": pa.array([datetime(2026, 3, 1) - timedelta(days=d) for _, d in rows], pa.timestamp("us")),
            "properties": pa.nulls(len(rows), pa.string()),
        }
    )
    EventStore(lite.events_dir).write_arrow(events)
    rollup_store(lite).refresh()
    good = scorecard_backtest(lite, [day], horizon=90).results[0]
    assert (good.accounts, good.positives) == (20, 10)
    assert good.auc == 1.0 and good.lift == 2.0
    blind = parse(
        {
            "scorecards": [
                {
                    "name": "blind",
                    "groups": [
                        {
                            "name": "g",
                            "measures": [
                                {
                                    "name": "b",
                                    "source": "billing.overdue_invoices",
                                    "map": {"thresholds": [[0, 100], [1, 0]]},
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    )
    assert scorecard_backtest(lite, [day], 90, config=blind).results[0].auc == 0.5  # every score the same


def test_suggested_weights_credit_the_measure_that_predicts():
    import pandas as pd

    from northstar.health.scorecard import parse
    from northstar.health.weights import suggest

    card = parse(
        {
            "scorecards": [
                {
                    "name": "c",
                    "groups": [
                        {
                            "name": "g",
                            "weight": 3,
                            "measures": [
                                {"name": "signal", "source": "usage.events_30d", "map": {"percentile": "higher"}}
                            ],
                        },
                        {
                            "name": "h",
                            "weight": 1,
                            "measures": [
                                {"name": "noise", "source": "usage.users_30d", "map": {"percentile": "higher"}}
                            ],
                        },
                    ],
                }
            ]
        }
    ).scorecards[0]
    rng = np.random.default_rng(5)
    n = 20_000
    signal, noise = rng.uniform(0, 100, n), rng.uniform(0, 100, n)
    z = (signal - signal.mean()) / signal.std()
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2.0 - 0.8 * z)))).astype(int)  # true beta: -0.8 per sd
    t = suggest(pd.DataFrame({"label": y, "signal": signal, "noise": noise}), card).set_index("measure")
    assert t.loc["signal", "ci_low"] < -0.8 < t.loc["signal", "ci_high"]  # the truth inside its interval
    assert t.loc["noise", "ci_low"] < 0 < t.loc["noise", "ci_high"]
    assert (t.loc["signal", "suggested_share"], t.loc["noise", "suggested_share"]) == (1.0, 0.0)
    assert (t.loc["signal", "current_share"], t.loc["noise", "current_share"]) == (0.75, 0.25)
    assert t.loc["signal", "auc_alone"] > 0.65 and abs(t.loc["noise", "auc_alone"] - 0.5) < 0.03


def test_spearman_interval_and_quadrants_by_hand():
    import math

    import pandas as pd
    from scipy.stats import spearmanr

    from northstar.health.satisfaction import quadrants, spearman_interval

    x = [1, 2, 3, 4, 5, 6, 7, 8, np.nan]
    y = [2, 1, 4, 3, 6, 5, 8, 7, 1]
    rho, low, high, n = spearman_interval(x, y)
    assert n == 8 and rho == pytest.approx(spearmanr(x[:8], y[:8]).statistic)
    se = math.sqrt((1 + rho**2 / 2) / (n - 3))  # Bonett & Wright
    assert (low, high) == pytest.approx(
        (math.tanh(math.atanh(rho) - 1.959964 * se), math.tanh(math.atanh(rho) + 1.959964 * se))
    )
    assert math.isnan(spearman_interval([1, 1, 1, 1, 1], [1, 2, 3, 4, 5])[0])  # a constant has no rank order

    table = pd.DataFrame(
        {
            "feedback.nps_last": [10, 10, 9, 3, 3, 2, 10, 4],
            "usage.breadth_30d": [0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.9, 0.9],
            "churned": [1, 1, 0, 0, 1, 0, 0, 0],
        }
    )
    q = quadrants(table).set_index(["satisfied", "successful"])
    assert q.loc[("satisfied", "not successful"), "churn_rate"] == 1.0  # happy, not succeeding: gone
    assert q.loc[("satisfied", "successful"), "churn_rate"] == 0.0
    assert q.loc[("not satisfied", "not successful"), ["accounts", "churned"]].tolist() == [2, 1]
    low, high = q.loc[("satisfied", "successful"), ["low", "high"]]
    assert low == 0 and high == pytest.approx(0.6576, abs=1e-3)  # Wilson, 0 of 2
