"""Kaplan–Meier against a hand-worked example and against lifelines to 1e-9."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from northstar.metrics.survival import KaplanMeier


def test_by_hand():
    # 7 accounts; losses at 1, 2, 3, 5, 8; censored at 2 and 5.
    km = KaplanMeier().fit([1, 2, 2, 3, 5, 5, 8], [1, 1, 0, 1, 0, 1, 1])
    s = km.survival_function_["survival"]
    assert s[1.0] == pytest.approx(6 / 7)
    assert s[2.0] == pytest.approx(6 / 7 * 5 / 6)
    assert s[3.0] == pytest.approx(6 / 7 * 5 / 6 * 3 / 4)  # 4 at risk at 3 after a loss and a censoring at 2
    assert s[5.0] == pytest.approx(6 / 7 * 5 / 6 * 3 / 4 * 2 / 3)
    assert s[8.0] == 0 and km.median_ == 5.0 and km.predict(4.5) == pytest.approx(s[3.0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=1, max_size=60),
    st.sampled_from([0.05, 0.1, 0.2]),
)
def test_matches_lifelines(rows, alpha):
    from lifelines import KaplanMeierFitter

    durations = [float(d) for d, _ in rows]
    observed = [o for _, o in rows]
    ours = KaplanMeier(alpha=alpha).fit(durations, observed)
    theirs = KaplanMeierFitter(alpha=alpha).fit(durations, observed)
    np.testing.assert_allclose(ours.timeline_, theirs.timeline, rtol=0, atol=0)
    np.testing.assert_allclose(
        ours.survival_function_["survival"], theirs.survival_function_.iloc[:, 0], rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        ours.confidence_interval_["lower"], theirs.confidence_interval_.iloc[:, 0], rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        ours.confidence_interval_["upper"], theirs.confidence_interval_.iloc[:, 1], rtol=0, atol=1e-9
    )
    if not np.isclose(ours.survival_function_["survival"], 0.5).any():  # lifelines differs only at S = 0.5 exactly
        assert ours.median_ == theirs.median_survival_time_


def test_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        KaplanMeier().fit([1, -2])


def test_first_spells_and_curves_from_terms():
    from datetime import date

    import pandas as pd

    from northstar.metrics.survival import first_spells, retention_curves

    terms = pd.DataFrame(
        [
            (1, 100.0, date(2024, 6, 1), date(2025, 3, 14)),
            (1, 130.0, date(2025, 3, 15), None),  # follows the day after: one spell
            (2, 200.0, date(2024, 1, 1), date(2025, 1, 31)),
            (2, 150.0, date(2025, 4, 1), None),  # after a gap: a second spell, not counted
            (3, 80.0, date(2025, 3, 3), None),
            (4, 0.0, date(2024, 1, 1), None),  # a free term is not a paying spell
        ],
        columns=["account_id", "mrr", "start_date", "end_date"],
    )
    spells = first_spells(terms, date(2025, 6, 30)).set_index("account_id")
    assert list(spells.index) == [1, 2, 3]
    assert spells.loc[2, "end"] == date(2025, 2, 1) and spells.loc[2, "observed"]
    assert spells.loc[2, "months"] == pytest.approx(397 / 30.4375)
    assert not spells.loc[1, "observed"] and spells.loc[1, "end"] == date(2025, 6, 30)
    curve = retention_curves(spells.reset_index())
    assert list(curve.survival) == [1.0, 1.0, 1.0, 0.0]  # 0, 3.9 (censored), 12.9 (censored), 13.0 (lost)
    by = retention_curves(spells.reset_index(), pd.Series({1: "a", 2: "a", 3: "b"}))
    assert set(by.group) == {"a", "b"}


def test_retention_curve_metric_on_the_demo(tmp_path):
    from datetime import date

    import pyarrow as pa
    from lifelines import KaplanMeierFitter

    from northstar.config import Settings
    from northstar.db.engine import reset_engines
    from northstar.demo.generator import DemoConfig
    from northstar.demo.service import build_demo
    from northstar.metrics.service import SUBSCRIPTION_SCHEMA, compute, load_table, load_terms
    from northstar.metrics.survival import first_spells

    s = Settings(home=tmp_path / "h", secret_key_override="x")
    as_of = date(2026, 11, 26)
    try:
        build_demo(s, DemoConfig(accounts=300, seed=4, events_per_account_month=5, as_of=as_of), health=False)
        curves = compute(s, "retention-curve", date(2020, 1, 1), as_of, by=["segment"])
        # the same curves from lifelines, fitted on each segment's spells
        spells = first_spells(load_terms(s, SUBSCRIPTION_SCHEMA, as_of).to_pandas(), min(as_of, date.today()))
        accounts = load_table(
            s, "SELECT id, segment FROM accounts", pa.schema([("id", pa.int64()), ("segment", pa.string())])
        )
        segment = dict(zip(accounts.column("id").to_pylist(), accounts.column("segment").to_pylist(), strict=True))
    finally:
        reset_engines()
    assert set(curves.group) == {"SMB", "Mid-Market", "Enterprise"}
    for name, c in curves.groupby("group"):
        mine = spells[[segment[a] == name for a in spells.account_id]]
        km = KaplanMeierFitter().fit(mine.months, mine.observed)
        np.testing.assert_allclose(c.survival, km.survival_function_.iloc[:, 0], rtol=0, atol=1e-9)
        np.testing.assert_allclose(c.lower, km.confidence_interval_.iloc[:, 0], rtol=0, atol=1e-9)


def _spells_by_loop(terms, as_of):  # type: ignore[no-untyped-def]
    """The first spells, account by account, as the definition reads (the reference for the vectorised one)."""
    import pandas as pd

    out = []
    paying = terms[terms["mrr"] > 0].sort_values(["account_id", "start_date"], kind="stable")
    for account_id, group in paying.groupby("account_id"):
        start = pd.Timestamp(group["start_date"].iloc[0])
        covered = start - pd.Timedelta(days=1)
        for s, e in zip(group["start_date"], group["end_date"], strict=True):
            if pd.Timestamp(s) > covered + pd.Timedelta(days=1):
                break
            covered = max(covered, as_of if e is None or pd.isna(e) else pd.Timestamp(e))
        lost = covered + pd.Timedelta(days=1)
        if start < as_of:
            end = lost if lost <= as_of else as_of
            out.append((account_id, start.date(), end.date(), (end - start).days / 30.4375, bool(lost <= as_of)))
    return pd.DataFrame(out, columns=["account_id", "start", "end", "months", "observed"])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 6),  # account
            st.integers(0, 400),  # start day
            st.one_of(st.none(), st.integers(0, 200)),  # length in days (None: open-ended)
            st.sampled_from([0.0, 10.0, 25.5]),  # MRR (0: not paying)
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(0, 500),
)
def test_first_spells_match_the_definition(rows, today):
    from datetime import date, timedelta

    import pandas as pd

    from northstar.metrics.survival import first_spells

    day0 = date(2024, 1, 1)
    terms = pd.DataFrame(
        [
            {
                "account_id": a,
                "start_date": day0 + timedelta(days=s),
                "end_date": None if n is None else day0 + timedelta(days=s + n),
                "mrr": m,
            }
            for a, s, n, m in rows
        ]
    )
    as_of = pd.Timestamp(day0 + timedelta(days=today))
    got = first_spells(terms, as_of).reset_index(drop=True)
    want = _spells_by_loop(terms, as_of)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
