"""Benchmark: revenue metrics over a demo company's subscription terms.

What is measured: loading the terms from the operational store (ADBC), 24 months of MRR movements
(``movements_summary``: running sums of term start/end deltas) and one trailing-twelve-month NRR/GRR
(``retention``), for every account.

Why the baseline: the machine is shared and noisy, so the movements are also timed, in the same process
a moment apart, in the straightforward formulation they replaced: month-end MRR per account and product
line from a range join of terms × month ends, paired with the month before (``mrr_by_line`` over the same
25 month ends; only the pairs are counted, so the baseline is a lower bound of that pipeline). Both are
Ibis on the same in-process DuckDB.

``--home`` points at an existing data folder (e.g. one made by ``northstar demo --accounts 100000
--no-serve``); without it a demo of ``--accounts`` accounts is built into ``--workdir`` first.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from _common import best, revision
from northstar.config import Settings
from northstar.metrics.revenue import months_table, movements_summary, mrr_by_line, retention
from northstar.metrics.service import load_subscriptions


def range_join_movements(subs, first: date, last: date) -> None:  # type: ignore[no-untyped-def]
    """The replaced formulation: MRR per line at every month end by a range join, then month-over-month."""
    months = months_table(first, last)
    lines = mrr_by_line(subs, months)
    shifted = lines.join(months, lines.month == months.prev_month).select(
        "account_id", "product_line", month=months.month, prev=lines.mrr
    )
    paired = lines.outer_join(shifted, ["account_id", "product_line", "month"])
    paired.aggregate(n=paired.count()).execute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="An existing data folder to measure.")
    parser.add_argument("--accounts", type=int, default=20_000, help="Demo size to build when --home is absent.")
    parser.add_argument("--workdir", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"code: {revision()}")
    home = args.home
    if home is None:
        from northstar.demo.generator import DemoConfig
        from northstar.demo.service import build_demo

        home = args.workdir.resolve() / f"metrics-demo-{args.accounts}"
        build_demo(
            Settings(home=home),
            DemoConfig(accounts=args.accounts, events_per_account_month=1, as_of=date(2026, 11, 26)),
        )
    settings = Settings(home=home)
    subs = load_subscriptions(settings)  # warm-up: imports, first Arrow use
    terms = subs.count().execute()
    first, last = date(2024, 12, 1), date(2026, 11, 26)
    load = best(lambda: load_subscriptions(settings), args.repeat)[0]
    moves = best(lambda: movements_summary(subs, first, last), args.repeat)[0]
    ttm = best(lambda: retention(subs, date(2025, 10, 31), date(2026, 10, 31)), args.repeat)[0]
    baseline = best(lambda: range_join_movements(subs, first, last), args.repeat)[0]
    print(f"\nRevenue metrics on {terms:,} subscription terms ({home}), best of {args.repeat}")
    print(f"  load terms (ADBC)                 {load:6.2f} s")
    print(f"  MRR movements, 24 months          {moves:6.2f} s")
    print(f"  NRR/GRR, trailing 12 months       {ttm:6.2f} s")
    print(f"  all three                         {load + moves + ttm:6.2f} s   (issue 3's bar: 2 s)")
    print(f"  baseline: range-join movements    {baseline:6.2f} s")
    print(f"  movements / baseline              {moves / baseline:6.2f}x")


if __name__ == "__main__":
    main()
