"""Benchmark: building the demo company (``northstar.demo``) at full size against a 10-minute budget.

What is measured: the wall time of ``build_demo(settings, DemoConfig(...), rebuild=True, health=False)``
into a fresh data folder: the simulation of 24 months (accounts, contacts, subscriptions, invoices, tickets,
touchpoints, feedback, assessments in Python; usage events with numpy and pyarrow, one Parquet batch per month), then
the bulk insert into SQLite. The default size is 100,000 accounts and about 50 million events.

Why the baseline: the machine is shared and noisy, so the build time is also printed as a ratio against a
floor measured in the same script right after it: DuckDB writing the same number of synthetic event rows,
with the event store's columns, compression and row-group size, by ``COPY (SELECT ... FROM range(N)) TO``
a Parquet file. No Python generator can write the events faster than that, so the ratio says how far the
build is from the cost of its largest output. The time against the budget (elapsed / 600 s) is printed as
is, since the budget is in wall-clock seconds on whatever machine the build runs on.

The builder's private steps (``DemoBuilder._events`` and the other per-month record makers, ``_write_sql``)
are wrapped with timers at run time, without changing them, to show where the time goes.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from _common import EVENT_NAMES, gib, revision

BUDGET_S = 600.0
STEPS = (
    "_staff",
    "_accounts",
    "_contacts",
    "_tickets",
    "_invoices",
    "_touchpoints",
    "_feedback",
    "_events",
    "_finish",
    "_write_sql",
    "_write_truth",
)


def instrument(cls: type, names: tuple[str, ...], totals: dict[str, float], calls: dict[str, int]) -> None:
    """Wrap the named methods of ``cls`` so each call adds its wall time to ``totals``."""

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - t0
                calls[name] += 1

        return timed

    for name in names:
        setattr(cls, name, wrap(name, getattr(cls, name)))


def baseline(rows: int, accounts: int, path: Path) -> float:
    """Seconds DuckDB takes to write ``rows`` synthetic events (event-store schema) to one Parquet file."""
    import duckdb

    names = "[" + ", ".join(f"'{n}'" for n in EVENT_NAMES) + "]"
    contacts = accounts * 10
    select = (
        "SELECT "
        "'ev-' || CAST(i + 1 AS VARCHAR) AS event_id, "
        f"CAST(1 + hash(i) % {accounts} AS BIGINT) AS account_id, "
        f"CAST(1 + hash(i + 1) % {contacts} AS BIGINT) AS contact_id, "
        f"printf('C-%08d', CAST(1 + hash(i + 1) % {contacts} AS BIGINT)) AS user_id, "
        f"{names}[CAST(1 + hash(i + 2) % {len(EVENT_NAMES)} AS BIGINT)] AS event, "
        f"TIMESTAMP '2024-12-01' + to_seconds(CAST(hash(i + 3) % {730 * 86400} AS BIGINT)) AS timestamp, "
        "NULL::VARCHAR AS properties "
        f"FROM range({rows}) t(i)"
    )
    con = duckdb.connect()
    try:
        t0 = time.perf_counter()
        con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)")
        return time.perf_counter() - t0
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument(
        "--events-per-account-month",
        type=float,
        default=25.0,
        help="the generator's usage scale; 25 gives about 50 million events (~21.4 per account-month)",
    )
    parser.add_argument("--workdir", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--keep", action="store_true", help="keep the built data folder")
    args = parser.parse_args()

    from northstar.config import Settings
    from northstar.demo.generator import DemoBuilder, DemoConfig
    from northstar.demo.service import build_demo

    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    home = workdir / "demo-home"
    if home.exists():
        shutil.rmtree(home)
    settings = Settings(home=home)
    cfg = DemoConfig(
        accounts=args.accounts,
        seed=42,
        events_per_account_month=args.events_per_account_month,
        as_of=date(2026, 11, 26),
    )
    totals: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    instrument(DemoBuilder, STEPS, totals, calls)
    stages: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    def progress(stage: str, _frac: float) -> None:
        if not stage.startswith("month "):
            stages.append((stage, time.perf_counter() - t0))
            print(f"  {time.perf_counter() - t0:8.1f} s  {stage}", flush=True)

    print(f"code: {revision()}")
    print(f"building the demo: {args.accounts:,} accounts, events_per_account_month={args.events_per_account_month}")
    # the data only: the risk model and health snapshots have their own benchmarks (risk_model, health_scoring)
    summary, _password = build_demo(settings, cfg, rebuild=True, progress=progress, health=False)
    elapsed = time.perf_counter() - t0
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert summary is not None
    events = summary.rows["events"]
    events_bytes = sum(f.stat().st_size for f in settings.events_dir.glob("batch-*.parquet"))
    db_bytes = (home / "northstar.db").stat().st_size

    target = workdir / "baseline-demo-events.parquet"
    base_s = baseline(events, args.accounts, target)
    base_bytes = target.stat().st_size
    target.unlink()

    print()
    print(f"Demo build: {args.accounts:,} accounts, seed 42, as_of 2026-11-26, {os.cpu_count()} cpus")
    print(f"  wall time                {elapsed:9.1f} s   (elapsed / 600 s budget = {elapsed / BUDGET_S:.2f})")
    print(f"  peak RSS of the build    {gib(peak_rss):>11}")
    print(f"  events                   {events:11,}   ({events / (args.accounts * cfg.months):.1f} per account-month)")
    print(f"  events/s (whole build)   {events / elapsed:11,.0f}")
    print(f"  event store / sqlite     {gib(events_bytes):>11} / {gib(db_bytes)}")
    print()
    print("  rows per table")
    for table, n in summary.rows.items():
        print(f"    {table:<14} {n:12,}")
    print()
    print("  where the time goes (wrapped DemoBuilder steps; _tickets/_invoices/... run once per month)")
    for name in STEPS:
        if calls[name]:
            print(f"    {name:<14} {totals[name]:8.1f} s  {100 * totals[name] / elapsed:5.1f}%  ({calls[name]} calls)")
    other = elapsed - sum(totals[n] for n in STEPS)  # the steps do not nest in one another
    print(f"    {'(rest)':<14} {other:8.1f} s  {100 * other / elapsed:5.1f}%  (migrations, wipe, simulation loop)")
    print()
    print(f"  baseline: duckdb COPY of {events:,} synthetic events to Parquet (zstd, 1M-row groups)")
    print(f"    {base_s:.1f} s, {events / base_s:,.0f} events/s, {gib(base_bytes)}")
    print(f"  build time / baseline          = {elapsed / base_s:.1f}x")
    print(f"  _events time / baseline        = {totals['_events'] / base_s:.1f}x   (generating + writing the events)")
    print(f"  elapsed / 600 s budget         = {elapsed / BUDGET_S:.2f}")
    if not args.keep:
        shutil.rmtree(home)


if __name__ == "__main__":
    main()
