"""Feedback metrics on answers a reader can count, checked against an independent computation."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from northstar.metrics.feedback import FEEDBACK_SCHEMA, ces, csat, feedback_table, nps, wilson

NPS_SCORES = [10, 9, 9, 8, 7, 6, 5, 10, 3, 9]  # 5 promoters, 2 passives, 3 detractors


def answers(kind: str, scores: list[int], language: str = "en", month: int = 1) -> list[dict]:
    return [
        {
            "account_id": 1,
            "survey_type": kind,
            "score": s,
            "language": language,
            "touchpoint": "relationship",
            "channel": "email",
            "submitted_at": datetime(2025, month, 10 + i % 10),
            "segment": "SMB",
            "persona": "p1",
        }
        for i, s in enumerate(scores)
    ]


def table(rows: list[dict]):
    return feedback_table(pa.Table.from_pylist(rows, schema=FEEDBACK_SCHEMA))


def test_nps_and_its_interval():
    out = nps(table(answers("nps", NPS_SCORES))).iloc[0]
    assert (out.responses, out.promoters, out.passives, out.detractors) == (10, 5, 2, 3)
    assert out.nps == pytest.approx(20.0)
    # Independently: each answer is +1, 0 or -1; NPS is 100 x their mean, its standard error 100 x sd / sqrt(n).
    x = np.array([1 if s >= 9 else -1 if s <= 6 else 0 for s in NPS_SCORES])
    se = 100 * x.std() / np.sqrt(len(x))
    assert out.nps_low == pytest.approx(100 * x.mean() - 1.959963984540054 * se)
    assert out.nps_high == pytest.approx(100 * x.mean() + 1.959963984540054 * se)
    assert out.nps_low == pytest.approx(20 - 1.96 * 100 * (0.76 / 10) ** 0.5, abs=1e-2)  # 20 - 54.03


def test_nps_by_language_and_month():
    rows = answers("nps", [10, 10, 0], "it", 1) + answers("nps", [9, 8], "ja", 2)
    by_lang = nps(table(rows), ["language"]).set_index("language")
    assert by_lang.loc["it", "nps"] == pytest.approx(100 * (2 - 1) / 3)
    assert by_lang.loc["ja", "nps"] == pytest.approx(50.0)
    by_month = nps(table(rows), ["month"])
    assert [d.month for d in by_month.month] == [1, 2] and list(by_month.responses) == [3, 2]


def test_all_promoters_interval_stays_in_range():
    out = nps(table(answers("nps", [10] * 4))).iloc[0]
    assert out.nps == 100 and out.nps_low == 100 and out.nps_high == 100


def test_csat_and_ces():
    rows = answers("csat", [5, 4, 3, 2, 5]) + answers("ces", [7, 5, 6]) + answers("nps", [1])
    c = csat(table(rows)).iloc[0]
    assert (c.responses, c.csat, c.mean_score) == (5, pytest.approx(0.6), pytest.approx(3.8))
    e = ces(table(rows)).iloc[0]
    assert (e.responses, e.ces) == (3, pytest.approx(6.0))
    # Wilson's interval for 3 of 5, worked by hand: centre (0.6 + 1.96²/10) / (1 + 1.96²/5) = 0.5566,
    # half-width 1.96 √(0.24/5 + 1.96²/100) / 1.7683 = 0.3258
    assert (c.csat_low, c.csat_high) == (pytest.approx(0.2307, abs=1e-4), pytest.approx(0.8824, abs=1e-4))
    # CES 7, 5, 6: mean 6, s = 1, t(0.975, 2) = 4.3027 (tables): 6 ± 4.3027/√3
    assert (e.ces_low, e.ces_high) == (pytest.approx(3.5159, abs=1e-4), pytest.approx(8.4841, abs=1e-4))
    one = ces(table(answers("ces", [4]))).iloc[0]
    assert one.ces == 4 and one.ces_low != one.ces_low  # no interval from a single answer (NaN)


@given(st.integers(1, 400), st.data())
def test_wilson_interval_properties(n, data):
    """Inside [0, 1], around the share, and matching the textbook formula written out here."""
    k = data.draw(st.integers(0, n))
    low, high = wilson(pd.Series([k / n]), pd.Series([float(n)]))
    p, z = k / n, 1.959963984540054
    want_centre = (k + z * z / 2) / (n + z * z)
    want_half = z * math.sqrt(n) / (n + z * z) * math.sqrt(p * (1 - p) + z * z / (4 * n))
    assert low[0] == pytest.approx(max(0.0, want_centre - want_half), abs=1e-12)
    assert high[0] == pytest.approx(min(1.0, want_centre + want_half), abs=1e-12)
    assert 0 <= low[0] <= p + 1e-12 and p - 1e-12 <= high[0] <= 1


def test_on_the_store_both_engines(settings, tmp_path):
    from northstar.ingest.service import import_file
    from northstar.metrics.service import compute

    (tmp_path / "a.csv").write_text("external_id,name,segment\nA1,One,SMB\nA2,Two,Enterprise\n")
    import_file(settings, "accounts", tmp_path / "a.csv")
    lines = ["external_id,account,survey_type,score,language,submitted_at"]
    for k, s in enumerate([10, 9, 2], start=1):
        lines.append(f"N{k},A1,nps,{s},it,2025-03-0{k}T10:00:00Z")
    lines.append("N9,A2,nps,10,en,2025-03-09T10:00:00Z")
    (tmp_path / "f.csv").write_text("\n".join(lines) + "\n")
    import_file(settings, "feedback", tmp_path / "f.csv")
    out = compute(settings, "nps", date(2025, 1, 1), date(2025, 12, 31), by=["segment"]).set_index("segment")
    assert out.loc["SMB", "nps"] == pytest.approx(100 / 3) and out.loc["Enterprise", "nps"] == 100
    with pytest.raises(ValueError, match="cannot group by planet"):
        compute(settings, "nps", by=["planet"])


def test_response_rates_on_the_store_both_engines(settings, tmp_path):
    """Five invitations imported with their answers, worked by hand: by touchpoint, by month sent, and an
    answer that came after the report's end counts as not (yet) answered."""
    from northstar.ingest.service import import_file
    from northstar.metrics.service import compute

    (tmp_path / "a.csv").write_text("external_id,name,segment\nA1,One,SMB\nA2,Two,Enterprise\n")
    import_file(settings, "accounts", tmp_path / "a.csv")
    (tmp_path / "f.csv").write_text(
        "external_id,account,survey_type,score,submitted_at\n"
        "F1,A1,nps,9,2025-03-02T10:00:00Z\n"
        "F2,A2,nps,4,2025-03-20T10:00:00Z\n"
        "F3,A1,ces,6,2025-05-03T10:00:00Z\n"  # after the end of April: not answered by then
    )
    import_file(settings, "feedback", tmp_path / "f.csv")
    (tmp_path / "i.csv").write_text(
        "external_id,account,survey_type,touchpoint,campaign,sent_at,response\n"
        "I1,A1,nps,relationship,Q1 NPS,2025-03-01T09:00:00Z,F1\n"
        "I2,A2,nps,relationship,Q1 NPS,2025-03-01T09:00:00Z,F2\n"
        "I3,A2,nps,relationship,Q1 NPS,2025-03-01T09:00:00Z,\n"
        "I4,A1,ces,onboarding,,2025-04-28T09:00:00Z,F3\n"
        "I5,A2,ces,onboarding,,2025-04-29T09:00:00Z,\n"
        "I6,A2,ces,onboarding,,2025-05-01T09:00:00Z,\n"  # sent after the report: not counted
    )
    import_file(settings, "invitations", tmp_path / "i.csv")

    def rates(**kw):
        return compute(settings, "response-rate", date(2025, 1, 1), date(2025, 4, 30), **kw)

    by_touchpoint = rates(by=["touchpoint"]).set_index("touchpoint")
    assert by_touchpoint.loc["relationship"].tolist() == [3, 2, pytest.approx(2 / 3)]  # I1, I2 of I1-I3
    assert by_touchpoint.loc["onboarding"].tolist() == [2, 0, 0.0]  # F3 came in May
    by_month = rates().set_index("month")
    assert by_month.invitations.tolist() == [3, 2] and by_month.responses.tolist() == [2, 0]
    assert rates(by=["segment"]).set_index("segment").loc["SMB"].tolist() == [2, 1, 0.5]  # I1 yes, I4 no
    assert rates(by=["campaign"]).set_index("campaign").loc["Q1 NPS", "responses"] == 2
    with pytest.raises(ValueError, match="cannot group by planet"):
        rates(by=["planet"])
