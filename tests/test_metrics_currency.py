"""Revenue in one reporting currency through the rate table: constant currency, clear errors, share of
wallet."""

from __future__ import annotations

from datetime import date

import pytest

from northstar.ingest.service import import_file
from northstar.metrics.currency import MissingRate
from northstar.metrics.service import compute


def load(settings, tmp_path, rates: str) -> None:
    (tmp_path / "a.csv").write_text(
        "external_id,name,wallet_estimate\nA1,Dollar Co,4800\nA2,Euro SpA,\nA3,Yen KK,2010\n"
    )
    (tmp_path / "s.csv").write_text(
        "external_id,account,product,product_line,mrr,currency,start_date,status\n"
        "S1,A1,Core,Core,100,USD,2025-01-15,active\n"
        "S2,A2,Core,Core,100,EUR,2025-02-10,active\n"
        "S3,A3,Core,Core,10000,jpy,2025-03-05,active\n"
    )
    (tmp_path / "r.csv").write_text(rates)
    import_file(settings, "accounts", tmp_path / "a.csv")
    import_file(settings, "subscriptions", tmp_path / "s.csv")
    import_file(settings, "rates", tmp_path / "r.csv")


def test_constant_currency_at_the_rates_of_the_last_day(settings, tmp_path):
    load(
        settings,
        tmp_path,
        "currency,valid_from,rate\nEUR,2025-01-01,1.10\nEUR,2025-06-01,1.20\nJPY,2025-01-01,0.0067\n",
    )
    moves = compute(settings, "mrr-movements", date(2025, 1, 1), date(2025, 7, 31)).set_index("month")
    # July report: EUR at 1.20 (the June rate) for every month, JPY at 0.0067 -> 100 + 120 + 67
    assert moves.loc[date(2025, 7, 31), "end_mrr"] == pytest.approx(287.0)
    assert moves.loc[date(2025, 2, 28), "new"] == pytest.approx(120.0)  # not 110: no FX swing in movements
    assert moves["expansion"].sum() == 0 and moves["contraction"].sum() == 0
    may = compute(settings, "mrr-movements", date(2025, 1, 1), date(2025, 5, 31)).set_index("month")
    assert may.loc[date(2025, 5, 31), "end_mrr"] == pytest.approx(100 + 110 + 67)  # before the June rate

    wallet = compute(settings, "share-of-wallet", date(2025, 1, 1), date(2025, 7, 31)).set_index("account")
    assert wallet.loc["A1", "arr"] == pytest.approx(1200.0) and wallet.loc["A1", "share_of_wallet"] == pytest.approx(
        0.25
    )
    assert wallet.loc["A3", "share_of_wallet"] == pytest.approx(804 / 2010)  # 12 x 67 over 2,010
    assert "A2" not in wallet.index  # no wallet estimate: no share


def test_a_currency_without_a_rate_is_named(settings, tmp_path):
    load(settings, tmp_path, "currency,valid_from,rate\nEUR,2025-01-01,1.10\n")
    with pytest.raises(MissingRate, match=r"JPY.*no exchange rate to USD on or before 2025-07-31"):
        compute(settings, "mrr-movements", date(2025, 1, 1), date(2025, 7, 31))
    # a rate dated after the report does not apply to it
    (tmp_path / "r2.csv").write_text("currency,valid_from,rate\nJPY,2025-09-01,0.0068\n")
    import_file(settings, "rates", tmp_path / "r2.csv")
    with pytest.raises(MissingRate, match="JPY"):
        compute(settings, "mrr-movements", date(2025, 1, 1), date(2025, 7, 31))
    assert compute(settings, "mrr-movements", date(2025, 1, 1), date(2025, 9, 30)).iloc[-1].end_mrr == pytest.approx(
        100 + 110 + 68
    )


def test_rates_file_errors_name_row_and_column(settings, tmp_path):
    from northstar.ingest.errors import ImportFailed

    (tmp_path / "bad.csv").write_text("currency,valid_from,rate\nEUR,2025-01-01,-1\nGBP,someday,1.3\n")
    with pytest.raises(ImportFailed) as err:
        import_file(settings, "rates", tmp_path / "bad.csv")
    text = str(err.value)
    assert "row 1, column 'rate': an exchange rate must be above zero" in text
    assert "row 2, column 'valid_from': unparsable date 'someday'" in text
