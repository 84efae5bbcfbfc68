"""Revenue metrics on a hand-made book of four accounts, properties on random books, and DuckDB = PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from northstar.metrics.revenue import KINDS, movements, movements_summary, retention, subscriptions_table
from northstar.revenue.service import mrr_on

COLUMNS = ["account_id", "product_line", "mrr", "start_date", "end_date"]
BOOK = pd.DataFrame(
    [
        (1, "Analytics", 100.0, date(2024, 6, 1), date(2025, 3, 14)),
        (1, "Automation", 50.0, date(2025, 2, 10), None),  # cross-sell in February
        (1, "Analytics", 130.0, date(2025, 3, 15), None),  # upsell of 30 in March
        (2, "Analytics", 200.0, date(2024, 1, 1), date(2025, 1, 31)),  # churns in February
        (2, "Analytics", 150.0, date(2025, 4, 1), None),  # comes back in April
        (3, "Analytics", 80.0, date(2025, 3, 3), None),  # new in March
        (4, "Analytics", 300.0, date(2024, 11, 1), date(2025, 2, 14)),
        (4, "Analytics", 240.0, date(2025, 2, 15), None),  # contraction of 60 in February
    ],
    columns=COLUMNS,
)
# Month-end MRR, worked out by hand: Dec 600, Jan 600, Feb 390, Mar 500, Apr 650.


def table(df: pd.DataFrame):
    return subscriptions_table(df)


def test_movements_by_hand():
    summary = movements_summary(table(BOOK), date(2025, 1, 1), date(2025, 4, 30)).set_index("month")
    expect = {
        date(2025, 1, 31): dict(start_mrr=600, end_mrr=600, new=0, expansion=0, contraction=0, churn=0, reactivation=0),
        date(2025, 2, 28): dict(
            start_mrr=600, end_mrr=390, expansion=50, cross_sell=50, upsell=0, contraction=-60, churn=-200
        ),
        date(2025, 3, 31): dict(start_mrr=390, end_mrr=500, new=80, expansion=30, upsell=30, cross_sell=0),
        date(2025, 4, 30): dict(start_mrr=500, end_mrr=650, reactivation=150),
    }
    assert [m for m in summary.index] == list(expect)
    for month, values in expect.items():
        for key, value in values.items():
            assert summary.loc[month, key] == pytest.approx(value), (month, key)


def test_retention_by_hand():
    q = retention(table(BOOK), date(2025, 1, 31), date(2025, 4, 30))
    assert q["start_mrr"] == 600 and q["expansion"] == 80 and q["contraction"] == 110 and q["churn"] == 0
    assert q["nrr"] == pytest.approx(570 / 600) and q["grr"] == pytest.approx(490 / 600) and q["logo_churn"] == 0
    feb = retention(table(BOOK), date(2025, 1, 31), date(2025, 2, 28))
    assert feb["nrr"] == pytest.approx(390 / 600) and feb["grr"] == pytest.approx(340 / 600)
    assert feb["logo_churn"] == pytest.approx(1 / 3) and feb["revenue_churn"] == pytest.approx(200 / 600)


terms = st.lists(
    st.tuples(
        st.integers(1, 6),
        st.sampled_from(["Analytics", "Automation"]),
        st.integers(0, 500).map(float),
        st.dates(date(2024, 1, 1), date(2025, 12, 31)),
        st.one_of(st.none(), st.integers(0, 400)),
    ),
    min_size=1,
    max_size=12,
)


def book_of(rows) -> pd.DataFrame:
    return pd.DataFrame(
        [(a, line, m, s, None if n is None else s + timedelta(days=n)) for a, line, m, s, n in rows], columns=COLUMNS
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(terms)
def test_movements_add_up_to_the_change_in_mrr(rows):
    df = book_of(rows)
    moves = movements(table(df), date(2024, 6, 1), date(2025, 6, 30)).execute()
    summary = movements_summary(table(df.sample(frac=1, random_state=1)), date(2024, 6, 1), date(2025, 6, 30))
    for _, row in summary.iterrows():
        assert sum(row[k] for k in KINDS) == pytest.approx(row.end_mrr - row.start_mrr, abs=1e-6)
        assert row.upsell + row.cross_sell == pytest.approx(row.expansion, abs=1e-6)
        terms_ = [t for t in df.itertuples()]
        assert row.end_mrr == pytest.approx(mrr_on(terms_, row.month), abs=1e-6)
    per_account = moves[list(KINDS)].sum(axis=1)
    assert ((per_account - (moves.end_mrr - moves.start_mrr)).abs() < 1e-6).all()
    assert ((moves[list(KINDS)] != 0).sum(axis=1) <= 1).all()  # one kind of movement per account-month


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(terms)
def test_nrr_minus_grr_is_expansion_over_start(rows):
    q = retention(table(book_of(rows)), date(2024, 12, 31), date(2025, 6, 30))
    if q["start_mrr"]:
        assert q["nrr"] - q["grr"] == pytest.approx(q["expansion"] / q["start_mrr"])
        assert 0 <= q["grr"] <= 1 and 0 <= q["logo_churn"] <= 1


def test_same_figures_on_postgresql(pg_ibis):
    pg = pg_ibis
    subs = pg.create_table("subs", table(BOOK).to_pyarrow(), overwrite=True)
    on_pg = movements_summary(subs, date(2025, 1, 1), date(2025, 4, 30))
    on_duck = movements_summary(table(BOOK), date(2025, 1, 1), date(2025, 4, 30))
    pd.testing.assert_frame_equal(on_pg.reset_index(drop=True), on_duck.reset_index(drop=True), check_dtype=False)
    assert retention(subs, date(2025, 1, 31), date(2025, 4, 30)) == retention(
        table(BOOK), date(2025, 1, 31), date(2025, 4, 30)
    )
    from northstar.metrics.revenue import cohorts

    pd.testing.assert_frame_equal(
        cohorts(subs, date(2024, 1, 1), date(2025, 4, 30)),
        cohorts(table(BOOK), date(2024, 1, 1), date(2025, 4, 30)),
        check_dtype=False,
    )


def test_catalogue_on_the_store_matches_the_hand_figures(settings, tmp_path):
    from northstar.ingest.service import import_file
    from northstar.metrics.service import CATALOGUE, compute

    (tmp_path / "a.csv").write_text("external_id,name\n" + "".join(f"A{i},Account {i}\n" for i in range(1, 5)))
    import_file(settings, "accounts", tmp_path / "a.csv")
    lines = ["external_id,account,product,product_line,mrr,start_date,end_date,status"]
    for k, r in enumerate(BOOK.itertuples(), start=1):
        lines.append(f"S{k},A{r.account_id},P,{r.product_line},{r.mrr},{r.start_date},{r.end_date or ''},active")
    (tmp_path / "s.csv").write_text("\n".join(lines) + "\n")
    import_file(settings, "subscriptions", tmp_path / "s.csv")
    moves = compute(settings, "mrr-movements", date(2025, 1, 1), date(2025, 4, 30))
    assert list(moves.end_mrr) == [600, 390, 500, 650]
    q = compute(settings, "retention", date(2025, 4, 1), date(2025, 4, 30), "ttm").iloc[0]
    assert q.period_end == date(2025, 4, 30) and q.period_start == date(2024, 4, 30)
    assert set(CATALOGUE) >= {"mrr-movements", "retention"}


def test_scope_filters_and_parent_roll_up(lite, tmp_path):
    from northstar.ingest.service import import_file
    from northstar.metrics.scope import Scope
    from northstar.metrics.service import compute

    (tmp_path / "a.csv").write_text(
        "external_id,name,parent,segment\nA1,Group,,Enterprise\nA2,Child,A1,SMB\nA3,Grandchild,A2,SMB\nA4,Other,,SMB\n"
    )
    import_file(lite, "accounts", tmp_path / "a.csv")
    lines = ["external_id,account,product,product_line,mrr,start_date,end_date,status"]
    for k, r in enumerate(BOOK.itertuples(), start=1):
        lines.append(f"S{k},A{r.account_id},P,{r.product_line},{r.mrr},{r.start_date},{r.end_date or ''},active")
    (tmp_path / "s.csv").write_text("\n".join(lines) + "\n")
    import_file(lite, "subscriptions", tmp_path / "s.csv")

    def end_mrr(scope: Scope) -> list[float]:
        return list(compute(lite, "mrr-movements", date(2025, 1, 1), date(2025, 4, 30), scope=scope).end_mrr)

    whole = end_mrr(Scope())
    group = end_mrr(Scope(account="A1"))  # A1 with A2 and A3 below it
    # A1 counts its subtree; the group's figures are the sums over the accounts in it.
    assert group == [100 + 200, 150 + 0, 180 + 0 + 80, 180 + 150 + 80]  # A1 + A2 + A3 at each month end
    assert end_mrr(Scope(account="A2")) == [200, 0, 80, 150 + 80]  # A2's subtree: A2 and A3
    assert end_mrr(Scope(account="A3")) == [0, 0, 80, 80]  # a leaf: itself only
    assert [g + o for g, o in zip(group, end_mrr(Scope(account="A4")), strict=True)] == whole
    assert end_mrr(Scope(segment="SMB")) == [
        a - b for a, b in zip(whole, end_mrr(Scope(segment="Enterprise")), strict=True)
    ]
    assert end_mrr(Scope(product_line="Automation")) == [0, 50, 50, 50]
    with pytest.raises(ValueError, match="not grouped"):
        compute(lite, "mrr-movements", by=["segment"])


def test_loading_mixed_sqlite_values(lite, tmp_path):
    """SQLite stores 100.0 as INTEGER 100 under NUMERIC affinity: integers, reals and NULL-then-text must load."""
    from northstar.ingest.service import import_file
    from northstar.metrics.service import load_subscriptions

    (tmp_path / "a.csv").write_text("external_id,name\nA1,One\n")
    import_file(lite, "accounts", tmp_path / "a.csv")
    rows = [f"S{k},A1,P,Analytics,100,2024-01-01,,active" for k in range(3000)]
    rows.append("S9999,A1,P,Analytics,12.5,2024-01-01,2024-06-30,active")
    (tmp_path / "s.csv").write_text(
        "external_id,account,product,product_line,mrr,start_date,end_date,status\n" + "\n".join(rows) + "\n"
    )
    import_file(lite, "subscriptions", tmp_path / "s.csv")
    t = load_subscriptions(lite).to_pyarrow()
    assert t.num_rows == 3001 and sum(t.column("mrr").to_pylist()) == pytest.approx(300_012.5)
    assert t.column("end_date").to_pylist()[-1] == date(2024, 6, 30)


def test_cohorts_by_hand():
    from northstar.metrics.revenue import cohorts

    grid = cohorts(table(BOOK), date(2024, 1, 1), date(2025, 4, 30)).set_index(["cohort", "age"])
    jan24 = grid.loc[date(2024, 1, 1)]  # account 2 alone: 200 until January 2025, back at 150 in April
    assert jan24.loc[0, "size"] == 1 and jan24.loc[12, "logo"] == 1 and 13 not in jan24.index
    assert jan24.loc[15, "logo"] == 1 and jan24.loc[15, "revenue"] == pytest.approx(0.75)
    jun24 = grid.loc[date(2024, 6, 1)]  # account 1: 100, then 150 (February 2025, age 8), then 180
    assert jun24.loc[8, "revenue"] == pytest.approx(1.5) and jun24.loc[9, "revenue"] == pytest.approx(1.8)
    mar25 = grid.loc[date(2025, 3, 1)]  # account 3: 80 from March 2025
    assert list(mar25.index) == [0, 1] and list(mar25.mrr) == [80, 80]
    assert sorted({c for c, _ in grid.index}) == [
        date(2024, 1, 1),
        date(2024, 6, 1),
        date(2024, 11, 1),
        date(2025, 3, 1),
    ]
