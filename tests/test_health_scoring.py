"""Scorecard arithmetic on fixtures a reader can check by hand: mappings, weights, missing data, parent
roll-ups, overrides; and configuration errors that name their place."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from northstar.health.scorecard import ScorecardError, parse
from northstar.health.scoring import Override, points, score

CARD = {
    "name": "test",
    "parents": {"rollup": "arr"},
    "groups": [
        {
            "name": "Usage",
            "weight": 3,
            "measures": [
                {
                    "name": "days",
                    "source": "usage.active_days_30d",
                    "weight": 2,
                    "map": {"thresholds": [[0, 0], [20, 100]]},
                },
                {"name": "users", "source": "usage.users_30d", "map": {"percentile": "higher"}},
            ],
        },
        {
            "name": "Support",
            "weight": 1,
            "measures": [
                {
                    "name": "open",
                    "source": "support.open_tickets",
                    "map": {"bands": [{"below": 1, "points": 100}, {"below": 4, "points": 50}, {"points": 0}]},
                }
            ],
        },
    ],
}
VALUES = pd.DataFrame(
    {"days": [10, 20, np.nan, 5], "users": [1, 3, 2, np.nan], "open": [0, 5, np.nan, 2]},
    index=pd.Index([1, 2, 3, 4], name="account_id"),
)


def card(**changes):
    return parse({"scorecards": [{**CARD, **changes}]}).scorecards[0]


def test_weights_and_skipped_measures_by_hand():
    r = score(card(parents=None), VALUES)
    s = r.scores["score"]
    # 1: days 10 -> 50 pts (w 2); users 1 -> rank 1 of 3 -> 100 * 0.5 / 3 = 16.67; Usage = (100 + 16.67) / 3
    #    = 38.89; open 0 -> 100; score = (3 * 38.89 + 100) / 4 = 54.17
    assert s[1] == pytest.approx((3 * (2 * 50 + 100 / 6) / 3 + 100) / 4)
    # 2: days 20 -> 100; users 3 -> rank 3 -> 83.33; Usage = (200 + 83.33) / 3 = 94.44; open 5 -> 0
    assert s[2] == pytest.approx((3 * (200 + 250 / 3) / 3 + 0) / 4)
    # 3: days missing (skipped), users 2 -> 50: Usage = 50; Support has nothing: the score is Usage's
    assert s[3] == pytest.approx(50)
    # 4: days 5 -> 25, users missing: Usage = 25; open 2 -> 50; (75 + 50) / 4
    assert s[4] == pytest.approx(31.25)
    assert list(r.scores["band"]) == ["yellow", "green", "yellow", "red"]


def test_contributions_add_up_to_the_score_and_explain_it():
    r = score(card(parents=None), VALUES)
    total = r.parts.groupby("account_id")["contribution"].sum()
    assert np.allclose(total.to_numpy(), r.scores["score"].to_numpy())
    one = r.parts[r.parts.account_id == 1].set_index("measure")
    assert one.loc["days", "weight"] == pytest.approx(0.5)  # 3/4 of the score, 2/3 of Usage
    assert one.loc["open", "contribution"] == pytest.approx(25)
    three = r.parts[r.parts.account_id == 3].set_index("measure")
    assert three.loc["days", "weight"] == 0 and three.loc["users", "weight"] == 1  # re-weighted


def test_missing_as_a_value_or_as_points():
    r = score(card(parents=None, missing={"value": 0}), VALUES)
    # 3: days 0 -> 0 pts; users 2 ranks 3rd of 4 now that 4's missing value counts as 0 -> 100 * 2.5 / 4
    # = 62.5; Usage = (2 * 0 + 62.5) / 3; open 0 -> 100: score = (62.5 + 100) / 4
    assert r.scores.loc[3, "score"] == pytest.approx((62.5 + 100) / 4)
    r = score(card(parents=None, missing={"points": 50}), VALUES)
    assert r.scores.loc[3, "score"] == pytest.approx(50)


def test_parents_roll_up_from_children_by_arr():
    accounts = pd.DataFrame({"parent_id": [None, 1, 1, None], "arr": [0, 100, 300, 50]}, index=[1, 2, 3, 4])
    r = score(card(), VALUES, accounts)
    s2, s3 = r.scores.loc[2, "score"], r.scores.loc[3, "score"]
    assert r.scores.loc[1, "final_score"] == pytest.approx((100 * s2 + 300 * s3) / 400)
    assert r.scores.loc[1, "rolled_up_from"] == 2
    assert r.scores.loc[1, "score"] == pytest.approx(54.1666, abs=1e-3)  # its own, kept for the explanation
    mean = score(card(parents={"rollup": "mean"}), VALUES, accounts)
    assert mean.scores.loc[1, "final_score"] == pytest.approx((s2 + s3) / 2)


def test_grandparents_roll_up_level_by_level():
    values = pd.DataFrame({"days": [0, 0, 20, 0], "users": [1, 1, 1, 1], "open": [9, 9, 0, 9]}, index=[1, 2, 3, 4])
    accounts = pd.DataFrame({"parent_id": [None, 1, 2, 2], "arr": [1, 1, 1, 3]}, index=[1, 2, 3, 4])
    r = score(card(), values, accounts)
    s3, s4 = r.scores.loc[3, "score"], r.scores.loc[4, "score"]
    two = (s3 + 3 * s4) / 4
    assert r.scores.loc[2, "final_score"] == pytest.approx(two)
    assert r.scores.loc[1, "final_score"] == pytest.approx(two)  # its only child, after the child's roll-up


def test_overrides_replace_the_band_until_they_expire():
    overrides = [
        Override(4, "executive sponsor left", date(2026, 3, 31), band="red"),
        Override(2, "renewal signed", date(2026, 1, 31), score=90),
        Override(1, "old news", date(2025, 12, 31), band="green"),
    ]
    r = score(card(parents=None), VALUES, overrides=overrides, on=date(2026, 1, 15))
    assert (r.scores.loc[4, "final_band"], r.scores.loc[4, "override_reason"]) == ("red", "executive sponsor left")
    assert (r.scores.loc[2, "final_score"], r.scores.loc[2, "final_band"]) == (90, "green")
    assert r.scores.loc[2, "score"] == pytest.approx(r.scores.loc[2, "score"])  # computed one kept
    assert r.scores.loc[1, "override_reason"] is None  # expired


def test_mappings():
    m = card().groups[0].measures[0]  # thresholds 0 -> 0, 20 -> 100
    assert list(points(m, np.array([-5, 0, 5, 20, 40, np.nan]))[:5]) == [0, 0, 25, 100, 100]
    lower = (
        parse(
            {
                "scorecards": [
                    {
                        "name": "x",
                        "groups": [
                            {"name": "g", "measures": [{"name": "t", "source": "a.b", "map": {"percentile": "lower"}}]}
                        ],
                    }
                ]
            }
        )
        .scorecards[0]
        .measures[0]
    )
    assert list(points(lower, np.array([10.0, 20.0, 20.0, 30.0]))) == [87.5, 50, 50, 12.5]  # ties share


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(0, 40)),
            st.one_of(st.none(), st.floats(0, 100)),
            st.one_of(st.none(), st.integers(0, 9)),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_scores_stay_in_range_and_parts_add_up(rows):
    values = pd.DataFrame(
        [[np.nan if x is None else x for x in r] for r in rows], columns=["days", "users", "open"], dtype=float
    )
    r = score(card(parents=None), values)
    s = r.scores["score"].to_numpy()
    ok = ~np.isnan(s)
    assert ((s[ok] >= 0) & (s[ok] <= 100)).all()
    total = r.parts.groupby("account_id")["contribution"].sum().reindex(values.index).to_numpy()
    assert np.allclose(total[ok], s[ok])
    nothing = values.isna().all(axis=1).to_numpy()
    assert (np.isnan(s) == nothing).all()  # no score exactly when no measure has a value


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bands": [{"name": "r", "below": 50}, {"name": "g", "below": 40}, {"name": "x"}]}, "bands: band limits"),
        ({"bands": [{"name": "r", "below": 50}]}, "the last band has no 'below'"),
        ({"groups": [{"name": "g", "weight": 0, "measures": CARD["groups"][1]["measures"]}]}, "groups[0].weight"),
        (
            {
                "groups": [
                    {
                        "name": "g",
                        "measures": [{"name": "m", "source": "a.b", "map": {"thresholds": [[5, 0], [1, 100]]}}],
                    }
                ]
            },
            "measures[0].map.thresholds: threshold values must increase",
        ),
        (
            {
                "groups": [
                    {"name": "g", "measures": [{"name": "m", "source": "a.b", "map": {"bands": [{"points": 120}]}}]}
                ]
            },
            "measures[0].map.bands[0].points",
        ),
        (
            {"groups": [{"name": "g", "measures": [{"name": "m", "source": "a.b", "map": {"quantile": 1}}]}]},
            "a map is one of",
        ),
        ({"groups": [{"name": "g", "measures": [{"name": "m", "map": {"percentile": "higher"}}]}]}, "either source"),
        ({"colour": "blue"}, "colour: Extra inputs"),
    ],
)
def test_configuration_errors_name_the_place(change, message):
    with pytest.raises(ScorecardError) as exc:
        parse({"scorecards": [{**CARD, **change}]}, "health.yaml")
    assert message in str(exc.value) and str(exc.value).startswith("health.yaml: scorecards[0]")


def test_scorecard_chosen_by_segment_and_persona():
    base = {"groups": CARD["groups"]}
    config = parse(
        {
            "scorecards": [
                {"name": "ent", "applies_to": {"segment": ["Enterprise"]}, **base},
                {"name": "smb-builders", "applies_to": {"segment": ["SMB"], "persona": ["builder"]}, **base},
                {"name": "default", **base},
            ]
        }
    )
    assert config.for_account("Enterprise", None).name == "ent"
    assert config.for_account("SMB", "builder").name == "smb-builders"
    assert config.for_account("SMB", "analyst").name == "default"
    with pytest.raises(ScorecardError, match="at most one scorecard"):
        parse({"scorecards": [{"name": "a", **base}, {"name": "b", **base}]})
