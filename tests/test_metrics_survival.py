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
