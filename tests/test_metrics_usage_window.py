"""Sliding usage windows: a window slid day by day gives exactly the figures computed from the rollups as of
that day (hand fixture and random event logs), and the stored windows follow the rollups as batches arrive."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import ibis
import pyarrow as pa
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from northstar.metrics.usage import feature_usage, usage_features
from northstar.metrics.usage_window import WindowStore, build, figures, step
from test_metrics_usage import (
    AS_OF,
    check_feature_usage,
    check_features,
    event_rows,
    events_arrow,
    split_store,
)


def full(rollups, as_of):
    """Both tables computed from the rollups as of ``as_of``, in a comparable order."""
    con = ibis.duckdb.connect()
    tiers = rollups.tiers(con, as_of)
    return (
        usage_features(tiers, as_of).to_pyarrow().sort_by("account_id"),
        feature_usage(tiers, as_of).to_pyarrow().sort_by([("account_id", "ascending"), ("event", "ascending")]),
    )


def slid(window):
    usage, per_feature = figures(window)
    return usage.sort_by("account_id"), per_feature.sort_by([("account_id", "ascending"), ("event", "ascending")])


def assert_same(got: tuple[pa.Table, pa.Table], want: tuple[pa.Table, pa.Table], where: str) -> None:
    for g, w in zip(got, want, strict=True):
        assert g.schema.names == w.schema.names, where
        assert g.cast(w.schema).to_pylist() == w.to_pylist(), where


def test_a_window_slid_to_the_fixture_day_gives_the_hand_worked_figures(tmp_path):
    _, rollups = split_store(tmp_path, [events_arrow()])
    start = AS_OF - timedelta(days=45)  # every boundary (1, 7, 30, 60 and 90 days) moves past an event
    w = build(rollups.tiers(ibis.duckdb.connect(), start), start)
    while w.as_of < AS_OF:
        w = step(w, rollups)
    usage, per_feature = figures(w)
    check_features(usage.to_pandas()[list(usage.column_names)])
    check_feature_usage(per_feature.to_pandas())
    assert_same(slid(w), full(rollups, AS_OF), "fixture")


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=event_rows, start=st.integers(0, 130), days=st.integers(1, 35), check=st.integers(0, 35))
def test_sliding_equals_computing_from_scratch(tmp_path_factory, rows, start, days, check):
    """Built on a random day and slid up to 35 days (past every window edge for some draws): each figure
    equals the one computed from the rollups as of the day reached, and so does a day half way."""
    events = [(a, None, u, e, ts) for a, u, e, ts in rows]
    _, rollups = split_store(tmp_path_factory.mktemp("w"), [events_arrow(events)])
    as_of = date(2024, 11, 1) + timedelta(days=start)
    w = build(rollups.tiers(ibis.duckdb.connect(), as_of), as_of)
    for i in range(days):
        w = step(w, rollups)
        if i in (check, days - 1):
            assert_same(slid(w), full(rollups, w.as_of), str(w.as_of))


def test_stored_windows_follow_the_rollups(tmp_path):
    """The latest window equals a full computation after a first import, a batch on the newest day, a batch
    on the next day and history arriving late; at most ``KEEP`` windows are kept."""
    store, rollups = split_store(tmp_path, [events_arrow()])
    windows = WindowStore(rollups)

    def check() -> None:
        newest = date.fromisoformat(rollups.manifest().max_day)
        assert_same(slid(windows.latest()), full(rollups, newest + timedelta(days=1)), str(newest))

    def stored() -> list[str]:
        return sorted(p.name for p in windows.root.glob("*.g*"))

    check()  # built from the tiers as of the newest day, then one step: both stored
    assert stored() == ["2025-03-01.g1", "2025-03-02.g1"]
    batches = [
        # the newest day again: the window of 2 March is stale; the one of 1 March is still valid and used
        ([(2, 3, "c", "search", datetime(2025, 3, 1, 18, 0))], ["2025-03-01.g1", "2025-03-02.g2"]),
        # the next day: the window of 2 March (now complete) is slid one day
        (
            [(1, 1, "a", "login", datetime(2025, 3, 2, 9)), (4, None, None, "api", datetime(2025, 3, 2, 9))],
            ["2025-03-01.g1", "2025-03-02.g2", "2025-03-03.g3"],
        ),
        # history: every window after 26 February is stale; built again
        ([(1, 2, "b", "search", datetime(2025, 2, 26, 9, 0))], ["2025-03-02.g4", "2025-03-03.g4"]),
        # nine days later: slid forward from the window of 3 March; the newest three are kept
        ([(3, 7, "z", "login", datetime(2025, 3, 12, 9, 0))], ["2025-03-03.g4", "2025-03-12.g5", "2025-03-13.g5"]),
    ]
    for rows, expected in batches:
        store.write_arrow(events_arrow(rows))
        rollups.refresh()
        check()
        assert stored() == expected


@given(
    old=st.dictionaries(st.integers(0, 60), st.integers(-5, 5), max_size=20),
    deltas=st.lists(st.tuples(st.integers(0, 70), st.integers(-5, 5)), max_size=30),
)
def test_merge_adds_deltas_into_sorted_keys(old, deltas):
    """The step's one primitive: sums per key, new keys in order, against a dictionary."""
    import numpy as np

    from northstar.metrics.usage_window import _merge

    keys = np.array(sorted(old), np.int64)
    dk = np.array([k for k, _ in deltas], np.int64)
    keys_out, (values,) = _merge(
        keys, [np.array([old[k] for k in keys], np.int64)], dk, [np.array([v for _, v in deltas], np.int64)]
    )
    want = dict(old)
    for k, v in deltas:
        want[k] = want.get(k, 0) + v
    assert keys_out.tolist() == sorted(want)
    assert values.tolist() == [want[k] for k in sorted(want)]
