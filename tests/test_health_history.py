"""Health snapshots: trends against the snapshot of exactly N days before, never across a scorecard change;
what changed since the last snapshot; overrides kept in the database, validated, the newest winning."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from northstar.accounts.models import Account
from northstar.db.engine import session_scope
from northstar.health.history import PARTS_DAYS, SnapshotStore, changes, fingerprint
from northstar.health.scorecard import parse
from northstar.health.service import load_config, score_accounts, set_override, snapshot

CONFIG = parse(
    {
        "scorecards": [
            {
                "name": "c",
                "groups": [
                    {
                        "name": "g",
                        "measures": [{"name": "m", "source": "usage.events_30d", "map": {"percentile": "higher"}}],
                    }
                ],
            }
        ]
    }
)
OTHER = parse({"scorecards": [{**CONFIG.scorecards[0].model_dump(exclude_none=True), "name": "d"}]})
DAY = date(2026, 6, 1)


def frame(scores: dict[int, float], card: str = "c") -> tuple[pd.DataFrame, pd.DataFrame]:
    s = pd.DataFrame(
        {
            "account_id": list(scores),
            "scorecard": card,
            "score": list(scores.values()),
            "band": ["green" if v >= 70 else "red" for v in scores.values()],
        }
    ).set_index("account_id")
    s["final_score"], s["final_band"], s["override_reason"] = s["score"], s["band"], None
    parts = pd.DataFrame(
        {
            "account_id": list(scores),
            "group": "g",
            "measure": "m",
            "value": list(scores.values()),
            "points": list(scores.values()),
            "weight": 1.0,
            "contribution": list(scores.values()),
        }
    )
    return s, parts


def test_trends_compare_like_with_like(tmp_path):
    store = SnapshotStore(tmp_path)
    store.write(DAY - timedelta(days=30), *frame({1: 80, 2: 50}), CONFIG)
    store.write(DAY - timedelta(days=7), *frame({1: 75, 2: 55, 3: 10}), CONFIG)
    store.write(DAY, *frame({1: 60, 2: 90, 3: 20}), CONFIG)
    t = store.trends(DAY)
    assert t.loc[1, "change_7d"] == -15 and t.loc[1, "change_30d"] == -20
    assert t.loc[2, "change_30d"] == 40 and t.loc[2, "band_30d_ago"] == "red"
    assert np.isnan(t.loc[3, "change_30d"])  # not scored then
    assert t["change_90d"].isna().all() and t["band_90d_ago"].isna().all()  # no snapshot 90 days before
    assert store.before(DAY) == DAY - timedelta(days=7)
    with pytest.raises(LookupError, match="no health snapshot"):
        store.trends(DAY + timedelta(days=1))


def test_no_trend_across_a_scorecard_change(tmp_path):
    store = SnapshotStore(tmp_path)
    store.write(DAY - timedelta(days=7), *frame({1: 75}), CONFIG)
    store.write(DAY, *frame({1: 60}), OTHER)
    assert fingerprint(CONFIG) != fingerprint(OTHER)
    assert np.isnan(store.trends(DAY).loc[1, "change_7d"])


def test_parts_are_pruned_and_changes_explained(tmp_path):
    store = SnapshotStore(tmp_path)
    old = DAY - timedelta(days=PARTS_DAYS + 1)
    store.write(old, *frame({1: 10}), CONFIG)
    store.write(DAY - timedelta(days=1), *frame({1: 40}), CONFIG)
    store.write(DAY, *frame({1: 55}), CONFIG)
    assert store.parts(old) is None and store.scores(old) is not None  # scores kept, parts not
    diff = changes(store.parts(DAY - timedelta(days=1)), store.parts(DAY), 1)
    assert diff.loc["m", "change"] == 15 and diff.loc["m", "value_before"] == 40


def test_overrides_are_validated_stored_and_the_newest_wins(lite):
    with session_scope(lite.database_url) as s:
        s.add_all([Account(id=1, external_id="A", name="A"), Account(id=2, external_id="B", name="B")])
    with pytest.raises(ValueError, match="reason"):
        set_override(lite, 1, " ", DAY, band="red")
    with pytest.raises(ValueError, match="unknown band 'purple'"):
        set_override(lite, 1, "x", DAY, band="purple")
    with pytest.raises(ValueError, match="a band, a score or both"):
        set_override(lite, 1, "x", DAY)
    set_override(lite, 1, "sponsor left", DAY + timedelta(days=30), band="red")
    set_override(lite, 1, "new sponsor", DAY + timedelta(days=30), band="green")
    set_override(lite, 2, "old", DAY - timedelta(days=1), band="red")  # expired by DAY
    result = snapshot(lite, DAY)
    assert result.scores.loc[1, "final_band"] == "green" and result.scores.loc[1, "override_reason"] == "new sponsor"
    assert result.scores.loc[2, "override_reason"] is None
    kept = SnapshotStore(lite.home / "health").scores(DAY)
    assert kept.loc[1, "final_band"] == "green" and kept.loc[1, "config"] == fingerprint(load_config(lite))
    assert score_accounts(lite, DAY).scores.loc[1, "override_reason"] is None  # none passed, none applied


def test_alerts_when_a_band_worsens_or_risk_crosses(tmp_path):
    from northstar.health.alerts import alerts

    config = parse(
        {
            "scorecards": [
                {
                    **CONFIG.scorecards[0].model_dump(exclude_none=True),
                    "bands": [{"name": "red", "below": 40}, {"name": "yellow", "below": 70}, {"name": "green"}],
                }
            ]
        }
    )
    store = SnapshotStore(tmp_path)

    def write(day, scores):
        s, p = frame(scores)
        s["final_band"] = [config.scorecards[0].band(v) for v in s["final_score"]]
        store.write(day, s, p, config)

    write(DAY - timedelta(days=1), {1: 80, 2: 50, 3: 65, 4: 30})
    write(DAY, {1: 60, 2: 35, 3: 75, 4: 20})  # 1 green->yellow, 2 yellow->red, 3 better, 4 red still
    store.write_risk(
        DAY - timedelta(days=1), pd.DataFrame({"risk": [0.1, 0.5, 0.2], "driver_1": ["a", "b", "c"]}, index=[1, 2, 3])
    )
    store.write_risk(DAY, pd.DataFrame({"risk": [0.35, 0.6, 0.29], "driver_1": ["usage", "b", "c"]}, index=[1, 2, 3]))
    feed = alerts(store, DAY, config, risk_threshold=0.3)
    got = sorted(zip(feed.account_id, feed.kind, feed.before, feed.now, strict=True))
    assert got == [
        (1, "band_worsened", "green", "yellow"),
        (1, "risk_crossed", "10%", "35%"),
        (2, "band_worsened", "yellow", "red"),
    ]
    assert alerts(store, DAY - timedelta(days=1), config).empty  # nothing earlier to compare with
