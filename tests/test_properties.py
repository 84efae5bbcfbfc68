"""Property tests: MRR history against a brute-force count, value parsing round trips."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from northstar.ingest.spec import Field
from northstar.ingest.values import parse_value
from northstar.revenue.service import month_ends, mrr_history


@dataclass
class Term:
    start_date: date
    end_date: date | None
    mrr: float


terms = st.lists(
    st.builds(
        lambda start, length, mrr: Term(start, None if length is None else start + timedelta(days=length), mrr),
        st.dates(date(2023, 1, 1), date(2026, 6, 1)),
        st.one_of(st.none(), st.integers(0, 800)),
        st.integers(0, 10_000).map(float),
    ),
    max_size=8,
)


@given(terms, st.dates(date(2024, 1, 1), date(2026, 12, 31)))
def test_month_end_mrr_is_the_sum_of_terms_covering_that_day(ts, until):
    for day, value in mrr_history(ts, until, months=12):
        covering = [t.mrr for t in ts if t.start_date <= day and (t.end_date is None or day <= t.end_date)]
        assert value == round(sum(covering), 2)
        assert (day + timedelta(days=1)).day == 1
    assert mrr_history(ts, until, months=12)[-1][0] == month_ends(until, until)[0]


@given(st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_timestamps_round_trip(ts):
    assert parse_value(Field("t", "datetime"), ts.isoformat()) == ts
    assert parse_value(Field("t", "datetime"), ts.replace(tzinfo=None).isoformat()) == ts


@given(st.integers(-(10**12), 10**12))
def test_whole_numbers_parse(n):
    assert parse_value(Field("n", "int"), str(n)) == n
    assert parse_value(Field("n", "int"), f" {n}.0 ") == n
