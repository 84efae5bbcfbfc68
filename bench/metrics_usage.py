"""Benchmark: the usage-feature set for every account, against a hand-written SQL query and Polars.

What is measured, for every account with events, as of the day after the last stored event: events, active
users and active days over the last 30 days, the 30 before and the last 90; days since last activity;
per-feature event counts over the last 30 days and the 30 before (the 30-day trend of each).

* ``sql``: the straightforward single query a person would write, on the same engine (DuckDB, same memory
  limit): ``COUNT(DISTINCT ...) FILTER (WHERE ...)`` per window and one ``COUNT(*) FILTER`` per feature, over
  the raw event files.
* ``polars``: the same, well written as a Polars lazy query (predicate pushdown, one group-by), collected
  with the in-memory engine and the streaming engine (the faster one is kept).
* ``northstar``: both usage tables from the sliding window kept with the rollups, as the CLI and the web
  app read them once it is stored (``northstar.metrics.usage_window``): the untimed first run steps the
  window of the newest complete day over the newest day and stores it; the timed runs read it and compute
  the figures. The step itself is timed in ``incremental``.
* ``northstar-tiers``: ``usage_features`` + ``feature_usage`` computed from 90 days of daily rollups, with
  no window kept (how any past day is computed the first time).
* ``northstar-full`` (with ``--full``; minutes): the same after rebuilding every rollup from the raw
  events, i.e. from nothing.
* ``incremental``: a new day of events (150,000 by default) is stored as a batch; the time to roll it up,
  slide the windows and give the features of every account; then the result is compared with the SQL
  query run from scratch on all events (``incremental-reference``).

Each contender runs in its own process (its peak RSS is its own), warm (best of ``--repeat`` after one
untimed run). The main process checks that every contender's numbers are identical and prints the time
ratios measured in this one run, since the machine is shared and noisy.

``--home`` is a data folder with events (e.g. ``bench/out/demo-home`` from ``bench/demo_build.py --keep``).
It is not touched: the contenders run on a copy made of hard links (``scratch``; stores never change a file
in place, they write new ones and rename), removed at the end; ``northstar-full`` gets a copy of its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from _common import best, gib, revision, scratch

MEMORY = "1536MB"  # the same DuckDB limit for the SQL baseline and for northstar


def settings_for(home: Path):  # type: ignore[no-untyped-def]
    from northstar.config import Settings

    return Settings.from_env(home)


def as_of_for(home: Path) -> date:
    from northstar import duck
    from northstar.usage.store import EventStore

    con = duck.connect()
    last = con.execute(f"SELECT max(timestamp) FROM {EventStore(home / 'events').from_sql()}").fetchall()[0][0]
    return last.date() + timedelta(days=1)


def features_list(home: Path) -> list[str]:
    from northstar import duck
    from northstar.usage.store import EventStore

    con = duck.connect()
    rows = con.execute(f"SELECT DISTINCT event FROM {EventStore(home / 'events').from_sql()} ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def bounds(as_of: date) -> dict[str, datetime]:
    base = datetime.combine(as_of, datetime.min.time())
    return {k: base - timedelta(days=n) for k, n in (("d30", 30), ("d60", 60), ("d90", 90), ("end", 0))}


def run_sql(home: Path, as_of: date, feats: list[str], repeat: int):  # type: ignore[no-untyped-def]
    from northstar import duck
    from northstar.duck import ident, literal
    from northstar.usage.store import EventStore

    b = {k: f"TIMESTAMP '{v:%Y-%m-%d %H:%M:%S}'" for k, v in bounds(as_of).items()}
    r30 = f"timestamp >= {b['d30']}"
    p30 = f"timestamp >= {b['d60']} AND timestamp < {b['d30']}"
    per_feature = ",\n".join(
        f"count(*) FILTER (WHERE event = {literal(f)} AND {r30}) AS {ident(f + '_30d')},\n"
        f"count(*) FILTER (WHERE event = {literal(f)} AND {p30}) AS {ident(f + '_prev_30d')}"
        for f in feats
    )
    src = EventStore(home / "events").from_sql()
    sql = f"""
        WITH recent AS (
          SELECT account_id,
            count(*) FILTER (WHERE {r30}) AS events_30d,
            count(*) FILTER (WHERE {p30}) AS events_prev_30d,
            count(*) AS events_90d,
            count(DISTINCT user_id) FILTER (WHERE {r30}) AS users_30d,
            count(DISTINCT user_id) FILTER (WHERE {p30}) AS users_prev_30d,
            count(DISTINCT user_id) AS users_90d,
            count(DISTINCT CAST(timestamp AS DATE)) FILTER (WHERE {r30}) AS active_days_30d,
            count(DISTINCT CAST(timestamp AS DATE)) FILTER (WHERE {p30}) AS active_days_prev_30d,
            count(DISTINCT CAST(timestamp AS DATE)) AS active_days_90d,
            {per_feature}
          FROM {src}
          WHERE timestamp >= {b["d90"]} AND timestamp < {b["end"]} AND account_id IS NOT NULL
          GROUP BY account_id),
        last AS (
          SELECT account_id, max(CAST(timestamp AS DATE)) AS last_active FROM {src}
          WHERE timestamp < {b["end"]} AND account_id IS NOT NULL GROUP BY account_id)
        SELECT * FROM last LEFT JOIN recent USING (account_id) ORDER BY account_id"""
    con = duck.connect(memory_limit=MEMORY)
    return best(lambda: con.sql(sql).to_arrow_table(), repeat)


def run_polars(home: Path, as_of: date, feats: list[str], repeat: int):  # type: ignore[no-untyped-def]
    import polars as pl

    from northstar.usage.store import EventStore

    b = bounds(as_of)
    files = [str(f) for f in EventStore(home / "events").files()]
    ts = pl.col("timestamp")
    r30, p30 = ts >= b["d30"], (ts >= b["d60"]) & (ts < b["d30"])
    user, day = pl.col("user_id"), ts.dt.date()

    def query() -> pl.LazyFrame:
        lf = pl.scan_parquet(files).filter(pl.col("account_id").is_not_null() & (ts < b["end"]))
        recent = (
            lf.filter(ts >= b["d90"])
            .group_by("account_id")
            .agg(
                r30.sum().alias("events_30d"),
                p30.sum().alias("events_prev_30d"),
                pl.len().alias("events_90d"),
                user.filter(r30).drop_nulls().n_unique().alias("users_30d"),
                user.filter(p30).drop_nulls().n_unique().alias("users_prev_30d"),
                user.drop_nulls().n_unique().alias("users_90d"),
                day.filter(r30).n_unique().alias("active_days_30d"),
                day.filter(p30).n_unique().alias("active_days_prev_30d"),
                day.n_unique().alias("active_days_90d"),
                *[
                    e
                    for f in feats
                    for e in (
                        ((pl.col("event") == f) & r30).sum().alias(f + "_30d"),
                        ((pl.col("event") == f) & p30).sum().alias(f + "_prev_30d"),
                    )
                ],
            )
        )
        last = lf.group_by("account_id").agg(day.max().alias("last_active"))
        return last.join(recent, on="account_id", how="left").sort("account_id")

    engines = {}
    for engine in ("in-memory", "streaming"):
        engines[engine] = best(lambda e=engine: query().collect(engine=e).to_arrow(), repeat)
    engine = min(engines, key=lambda e: engines[e][0])
    return engines[engine][0], engines[engine][1], {e: round(t, 3) for e, (t, _) in engines.items()}


def northstar_features(home: Path, as_of: date, feats: list[str]):  # type: ignore[no-untyped-def]
    """Both usage tables from the sliding window kept with the rollups (one step from the stored window of
    the newest complete day): what the CLI and the web app read."""
    from northstar.metrics.usage_window import WindowStore, figures
    from northstar.store import rollup_store

    w = WindowStore(rollup_store(settings_for(home))).window(as_of)
    wide, per_feature = figures(w)
    return wide, per_feature.select(["account_id", "event", "events_30d", "events_prev_30d"])


def northstar_tiers(home: Path, as_of: date, feats: list[str]):  # type: ignore[no-untyped-def]
    """Both usage tables computed from 90 days of rollups (no window kept): any day's figures."""
    import ibis

    from northstar import duck
    from northstar.metrics.usage import feature_counts, feature_usage, usage_features
    from northstar.store import rollup_store

    con = ibis.duckdb.from_connection(duck.connect(memory_limit=MEMORY))
    tiers = rollup_store(settings_for(home)).tiers(con, as_of)
    counts = feature_counts(tiers, as_of).to_pyarrow()  # shared by both tables
    con.con.register("_feature_counts", counts)
    shared = con.table("_feature_counts")
    wide = usage_features(tiers, as_of, shared).to_pyarrow()
    per_feature = feature_usage(tiers, as_of, shared).select("account_id", "event", "events_30d", "events_prev_30d")
    long = per_feature.to_pyarrow()
    con.disconnect()
    return wide, long


def reshape(wide, long, feats):  # type: ignore[no-untyped-def]
    """The northstar tables in the SQL query's layout (features as columns)."""
    import pyarrow as pa

    cols = {c: wide.column(c) for c in wide.column_names}
    ids = wide.column("account_id").to_pylist()
    index = {a: i for i, a in enumerate(ids)}
    counts = {f"{f}_{w}": [0] * len(ids) for f in feats for w in ("30d", "prev_30d")}
    for a, e, n30, np30 in zip(*(long.column(c).to_pylist() for c in long.column_names), strict=True):
        counts[f"{e}_30d"][index[a]] = n30
        counts[f"{e}_prev_30d"][index[a]] = np30
    out = pa.table({**cols, **{k: pa.array(v, pa.int64()) for k, v in counts.items()}})
    return out.sort_by("account_id")


def run_northstar(home: Path, as_of: date, feats: list[str], repeat: int, how=None):  # type: ignore[no-untyped-def]
    from northstar.store import rollup_store

    rollup_store(settings_for(home)).refresh()
    return best(lambda: (how or northstar_features)(home, as_of, feats), repeat)


def run_northstar_full(home: Path, as_of: date, feats: list[str]):  # type: ignore[no-untyped-def]
    """Every rollup rebuilt from the raw events, then the features: once (it takes minutes)."""
    from northstar.store import rollup_store

    store = rollup_store(settings_for(home))
    t0 = time.perf_counter()
    store.rebuild()
    rolled = time.perf_counter() - t0
    result = northstar_tiers(home, as_of, feats)
    return time.perf_counter() - t0, result, {"rollup_rebuild_s": round(rolled, 3)}


def new_day(home: Path, as_of: date, n: int):  # type: ignore[no-untyped-def]
    """``n`` events on ``as_of`` by users seen in the last 30 days, with the store's event names."""
    import numpy as np
    import pyarrow as pa

    from northstar import duck
    from northstar.usage.store import SCHEMA, EventStore

    con = duck.connect()
    b = bounds(as_of)
    users = con.execute(
        f"SELECT DISTINCT account_id, contact_id, user_id FROM {EventStore(home / 'events').from_sql()} "
        f"WHERE timestamp >= TIMESTAMP '{b['d30']:%Y-%m-%d}' AND user_id IS NOT NULL"
    ).to_arrow_table()
    rng = np.random.default_rng(7)
    pick = rng.integers(0, users.num_rows, n)
    names = features_list(home)
    seconds = rng.integers(0, 86400, n)
    ts = np.datetime64(as_of.isoformat(), "s") + seconds.astype("timedelta64[s]")
    return pa.table(
        {
            "event_id": pa.array([f"bench-{as_of}-{i}" for i in range(n)]),
            "account_id": users.column("account_id").take(pick),
            "contact_id": users.column("contact_id").take(pick),
            "user_id": users.column("user_id").take(pick),
            "event": pa.array([names[i] for i in rng.integers(0, len(names), n)]),
            "timestamp": pa.array(ts.astype("datetime64[us]")),
            "properties": pa.nulls(n, pa.string()),
        },
        schema=SCHEMA,
    )


def run_incremental(home: Path, as_of: date, feats: list[str], n: int):  # type: ignore[no-untyped-def]
    """Store a new day of events and time rolling it up plus the features for every account. The batch stays
    for the reference run (on this scratch copy)."""
    from northstar.store import event_store, rollup_store
    from northstar.usage import rollup

    settings = settings_for(home)
    rollups = rollup_store(settings)
    rollups.refresh()
    northstar_features(home, as_of, feats)  # warm, like the others; stores the window of the newest day
    rollup.prepare()  # a process taking in events compiles its upkeep queries once
    event_store(settings).write_arrow(new_day(home, as_of, n))  # the arrival, not timed
    t0 = time.perf_counter()
    assert rollups.refresh() == 1
    result = northstar_features(home, as_of + timedelta(days=1), feats)
    return time.perf_counter() - t0, result


def child(args: argparse.Namespace) -> None:
    import pyarrow.parquet as pq

    home = Path(args.home)
    as_of = date.fromisoformat(args.as_of)
    feats = features_list(home)
    extra: dict = {}
    if args.only in ("sql", "incremental-reference"):
        t, table = run_sql(home, as_of, feats, args.repeat)
    elif args.only == "polars":
        t, table, extra = run_polars(home, as_of, feats, args.repeat)
        extra = {"engines_s": extra}
    elif args.only == "northstar":
        t, (wide, long) = run_northstar(home, as_of, feats, args.repeat)
        table = reshape(wide, long, feats)
    elif args.only == "northstar-tiers":
        t, (wide, long) = run_northstar(home, as_of, feats, args.repeat, northstar_tiers)
        table = reshape(wide, long, feats)
    elif args.only == "northstar-full":
        t, (wide, long), extra = run_northstar_full(home, as_of, feats)
        table = reshape(wide, long, feats)
    else:
        t, (wide, long) = run_incremental(home, as_of, feats, args.new_events)
        table = reshape(wide, long, feats)
    pq.write_table(table, Path(args.out) / f"{args.only}.parquet")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": t, "peak_rss": peak, **extra}))


COMPARED = (
    "events_30d",
    "events_prev_30d",
    "events_90d",
    "users_30d",
    "users_prev_30d",
    "users_90d",
    "active_days_30d",
    "active_days_prev_30d",
    "active_days_90d",
    "last_active",
)


def same(a, b, feats) -> bool:  # type: ignore[no-untyped-def]
    """Every compared column equal (missing counts are zero), rows in account order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = [*COMPARED, *(f"{f}_{w}" for f in feats for w in ("30d", "prev_30d"))]
    if a.column("account_id").to_pylist() != b.column("account_id").to_pylist():
        return False
    for c in cols:
        x, y = a.column(c), b.column(c)
        if pa.types.is_integer(x.type) or pa.types.is_integer(y.type):
            x, y = pc.fill_null(x.cast(pa.int64()), 0), pc.fill_null(y.cast(pa.int64()), 0)
        else:
            x, y = x.cast(pa.date32()), y.cast(pa.date32())
        if not x.equals(y):
            print(f"  differs: {c}")
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", default="bench/out/demo-home")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--new-events", type=int, default=150_000)
    ap.add_argument("--full", action="store_true", help="also time rebuilding every rollup from nothing (minutes)")
    ap.add_argument("--only", help=argparse.SUPPRESS)
    ap.add_argument("--as-of", help=argparse.SUPPRESS)
    ap.add_argument("--out", default="bench/out/usage")
    args = ap.parse_args()
    if args.only:
        child(args)
        return
    import pyarrow.parquet as pq

    home = Path(args.home)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from northstar.usage.store import EventStore

    files = EventStore(home / "events").files()
    as_of = as_of_for(home)
    feats = features_list(home)
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    print(f"code: {revision()}")
    print(f"{rows:,} events in {len(files)} files, {len(feats)} features, as of {as_of}; DuckDB limit {MEMORY}")
    results = {}
    runs = [("sql", as_of), ("polars", as_of), ("northstar", as_of), ("northstar-tiers", as_of)]
    runs += [("incremental", as_of)]
    runs += [("incremental-reference", as_of + timedelta(days=1))]
    if args.full:
        runs.append(("northstar-full", as_of))
    work = scratch(home, out / "scratch")
    try:
        for name, day in runs:
            where = scratch(home, out / "scratch-full") if name == "northstar-full" else work
            cmd = [sys.executable, __file__, "--home", str(where), "--only", name, "--as-of", day.isoformat()]
            cmd += ["--repeat", str(args.repeat), "--out", str(out), "--new-events", str(args.new_events)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stdout, done.stderr)
                raise SystemExit(f"{name} failed")
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
            extra = {k: v for k, v in results[name].items() if k not in ("seconds", "peak_rss")}
            print(
                f"  {name:<22} {results[name]['seconds']:7.3f} s   peak RSS {gib(results[name]['peak_rss'])}"
                + (f"   {extra}" if extra else "")
            )
    finally:
        for folder in ("scratch", "scratch-full"):
            shutil.rmtree(out / folder, ignore_errors=True)
    tables = {name: pq.read_table(out / f"{name}.parquet") for name in results}
    sql = tables["sql"]
    for name in ("polars", "northstar", "northstar-tiers", "northstar-full"):
        if name in tables:
            print(f"  {name} identical to the SQL query: {same(tables[name], sql, feats)}")
    inc_ok = same(tables["incremental"], tables["incremental-reference"], feats)
    print(f"  incremental identical to a full recompute: {inc_ok}")
    s = results["sql"]["seconds"]
    print("ratios (time / SQL query time, same run):")
    for name in ("polars", "northstar", "northstar-tiers", "northstar-full"):
        if name in results:
            print(f"  {name:<15} {results[name]['seconds'] / s:.2f}x")
    print(f"  northstar / polars  {results['northstar']['seconds'] / results['polars']['seconds']:.2f}x")
    print(
        f"  incremental: {args.new_events:,} new events rolled up and all features refreshed in "
        f"{results['incremental']['seconds']:.3f} s ({results['incremental']['seconds'] / s:.2f}x the SQL query)"
    )


if __name__ == "__main__":
    main()
