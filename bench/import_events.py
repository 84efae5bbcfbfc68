"""Benchmark: the usage-event importer against DuckDB's own bulk load of the same file.

What is measured: ``northstar.ingest.service.import_file(settings, "events", path)`` on a generated file of
N events (Parquet and CSV), each time into a fresh data folder that already holds the referenced accounts.
The importer validates every row (account known, timestamp parsable, JSON valid), resolves references,
checks for duplicate ids and writes one zstd Parquet batch into the event store.

Why these baselines: the machine is shared and noisy, so absolute times mean little. Every figure is
printed as a ratio against DuckDB doing the same bulk work in the same script, a moment apart:

* ``CREATE TABLE ev AS SELECT * FROM read_<fmt>(path)`` in a fresh in-memory ``duckdb.connect()``: how fast
  the engine the importer is built on can simply load the file, with no checks at all;
* ``COPY (SELECT * FROM read_<fmt>(path)) TO 'x.parquet' (FORMAT parquet)``: DuckDB's own load of the file
  into our storage format (Parquet), the floor for "read the file, write the event store".

Each measurement runs in its own child process (this script re-invoked with a hidden ``--child`` option),
so the peak RSS of that one process comes from ``os.wait4`` and includes DuckDB's native allocations.
Modules the importer loads lazily (pandas, through DuckDB's ``register``) are imported before the clock
starts: a one-off start-up cost, not import throughput.
``--memory-test`` makes a large CSV (72 million rows, ~6.65 GB by default, more than RAM/4 on a 24 GB
machine) and reports the importer's peak RSS against the file size, to show that the import streams; the
importer caps DuckDB at ``NORTHSTAR_DUCKDB_MEMORY`` (default 1GB) and spills to the data folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import EVENT_NAMES, gib, revision

TWO_YEARS_S = 2 * 365 * 86400
DEFAULT_ROWS = 10_000_000
MEMORY_TEST_ROWS = 72_000_000  # ~6.65 GB of CSV, more than RAM/4 (6.3 GB) here
BYTES_PER_CSV_ROW = 93  # measured on the generated CSV; used only to check free disk space up front


# ---------------------------------------------------------------------------------------------- data
def event_select(rows: int, accounts: int, csv: bool) -> str:
    """SQL producing ``rows`` synthetic events; deterministic (hash of the row number), so CSV == Parquet."""
    names = "[" + ", ".join(f"'{n}'" for n in EVENT_NAMES) + "]"
    ts = f"TIMESTAMP '2024-11-26 00:00:00' + to_seconds(CAST(hash(i + 3) % {TWO_YEARS_S} AS BIGINT))"
    if csv:
        ts = f"strftime({ts}, '%Y-%m-%dT%H:%M:%SZ')"
    return (
        "SELECT "
        "printf('evt-%010d', i) AS event_id, "
        f"printf('A-%06d', CAST(1 + hash(i) % {accounts} AS BIGINT)) AS account, "
        f"printf('U-%07d', CAST(1 + hash(i + 1) % {accounts * 5} AS BIGINT)) AS user_id, "
        f"{names}[CAST(1 + hash(i + 2) % {len(EVENT_NAMES)} AS BIGINT)] AS event, "
        f"{ts} AS timestamp, "
        "CASE WHEN i % 4 = 0 THEN NULL ELSE "
        "'{\"plan\":\"' || ['free', 'team', 'pro', 'enterprise'][CAST(1 + i % 4 AS BIGINT)] || "
        "'\",\"n\":' || CAST(i % 97 AS VARCHAR) || '}' END AS properties "
        f"FROM range({rows}) t(i)"
    )


def generate(path: Path, rows: int, accounts: int) -> float:
    """Write the events file once (cached by name); returns seconds spent (0 when cached)."""
    if path.exists():
        return 0.0
    import duckdb

    csv = path.suffix == ".csv"
    tmp = path.with_name(path.name + ".tmp")
    fmt = "(FORMAT csv, HEADER true)" if csv else "(FORMAT parquet, COMPRESSION zstd)"
    t0 = time.perf_counter()
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"COPY ({event_select(rows, accounts, csv)}) TO '{tmp}' {fmt}")
    finally:
        con.close()
    os.replace(tmp, path)
    return time.perf_counter() - t0


def fresh_home(home: Path, accounts: int) -> None:
    """A new data folder, migrated, holding accounts A-000001 ... (bulk insert with SQLAlchemy core)."""
    from sqlalchemy import insert

    from northstar.accounts.models import Account
    from northstar.config import Settings
    from northstar.db.engine import make_engine, reset_engines
    from northstar.db.migrate import upgrade

    reset_engines()
    if home.exists():
        shutil.rmtree(home)
    settings = Settings(home=home)
    settings.ensure_home()
    upgrade(settings.database_url)
    now = datetime.now(UTC)
    with make_engine(settings.database_url).begin() as conn:
        for start in range(0, accounts, 20_000):
            part = [
                {
                    "external_id": f"A-{k:06d}",
                    "name": f"Account {k}",
                    "attributes": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for k in range(start + 1, min(accounts, start + 20_000) + 1)
            ]
            conn.execute(insert(Account), part)
    reset_engines()


# ---------------------------------------------------------------------------------------------- child side
def child(spec: dict[str, Any]) -> None:
    """Run one measured task in this (fresh) process and print its result as JSON on the last line."""
    task, path = spec["task"], Path(spec["path"])
    reader = "read_csv" if path.suffix == ".csv" else "read_parquet"
    if task == "import":
        from northstar.config import Settings
        from northstar.ingest.service import import_file

        # DuckDB imports pandas lazily on the importer's first con.register(); load it before the clock starts,
        # since with PYTHONDONTWRITEBYTECODE set (as here) it is compiled from source each run (~1.5 s).
        if spec.get("warm", True):
            import pandas  # noqa: F401

        settings = Settings(home=Path(spec["home"]))
        t0 = time.perf_counter()
        result = import_file(settings, "events", path)
        seconds = time.perf_counter() - t0
        stored = sum(f.stat().st_size for f in settings.events_dir.glob("batch-*.parquet"))
        out = {"seconds": seconds, "rows": result.rows, "inserted": result.inserted, "bytes_out": stored}
    else:
        import duckdb

        con = duckdb.connect()
        t0 = time.perf_counter()
        if task == "ctas":
            con.execute(f"CREATE TABLE ev AS SELECT * FROM {reader}('{path}')")
            rows = con.execute("SELECT count(*) FROM ev").fetchone()[0]  # type: ignore[index]
        elif task == "copy":
            target = Path(spec["target"])
            res = con.execute(f"COPY (SELECT * FROM {reader}('{path}')) TO '{target}' (FORMAT parquet)").fetchone()
            rows = res[0] if res else -1
        else:
            raise SystemExit(f"unknown task {task!r}")
        seconds = time.perf_counter() - t0
        con.close()
        out = {"seconds": seconds, "rows": rows, "inserted": rows, "bytes_out": 0}
        if task == "copy":
            out["bytes_out"] = Path(spec["target"]).stat().st_size
            Path(spec["target"]).unlink()
    print(json.dumps(out), flush=True)


@dataclass
class Run:
    seconds: float
    rows: int
    inserted: int
    bytes_out: int
    peak_rss: int  # bytes

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def run_child(spec: dict[str, Any]) -> Run:
    """Run a task in a child process; its own peak RSS comes from wait4 (not the max over all children)."""
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child task {spec['task']} on {spec['path']} failed (exit {proc.returncode})")
    data = json.loads(stdout.strip().splitlines()[-1])
    return Run(data["seconds"], data["rows"], data["inserted"], data["bytes_out"], usage.ru_maxrss * 1024)


# ---------------------------------------------------------------------------------------------- parent side
def best(runs: list[Run]) -> Run:
    """Fastest run (noise only ever adds time), with the highest peak RSS seen over the repeats."""
    fastest = min(runs, key=lambda r: r.seconds)
    return Run(fastest.seconds, fastest.rows, fastest.inserted, fastest.bytes_out, max(r.peak_rss for r in runs))


def measure(path: Path, workdir: Path, accounts: int, repeat: int, tasks: list[str]) -> dict[str, Run]:
    """Interleave importer and baselines per repeat, so drift in machine load hits them alike."""
    runs: dict[str, list[Run]] = {t: [] for t in tasks}
    fmt = path.suffix.lstrip(".")
    for r in range(repeat):
        for task in tasks:
            spec: dict[str, Any] = {"task": task, "path": str(path)}
            if task == "import":
                home = workdir / f"home-{fmt}"
                fresh_home(home, accounts)
                spec["home"] = str(home)
            elif task == "copy":
                spec["target"] = str(workdir / f"baseline-copy-{fmt}.parquet")
            run = run_child(spec)
            runs[task].append(run)
            print(
                f"  [{fmt} #{r + 1}] {task:<6} {run.seconds:8.2f} s  {run.rate:>12,.0f} rows/s  "
                f"peak RSS {gib(run.peak_rss)}",
                flush=True,
            )
            if task == "import":
                shutil.rmtree(workdir / f"home-{fmt}")
    return {t: best(v) for t, v in runs.items()}


def report(results: dict[str, dict[str, Run]], rows: int) -> None:
    label = {
        "import": "northstar import_file (events)",
        "ctas": "duckdb CREATE TABLE AS read_*",
        "copy": "duckdb COPY read_* TO parquet",
    }
    print()
    print(f"Events import, {rows:,} rows (best of repeats; peak RSS = max over repeats)")
    head = f"{'format':<8} {'measurement':<32} {'seconds':>9} {'rows/s':>12} {'peak RSS':>10} {'importer % of it':>17}"
    print(head)
    print("-" * len(head))
    for fmt, res in results.items():
        imp = res["import"]
        for task, run in res.items():
            pct = "" if task == "import" else f"{100 * run.seconds / imp.seconds:16.1f}%"
            print(f"{fmt:<8} {label[task]:<32} {run.seconds:9.2f} {run.rate:12,.0f} {gib(run.peak_rss):>10} {pct:>17}")
    print()
    print("importer % of baseline = importer rows/s / baseline rows/s (100% = as fast as DuckDB alone).")
    for fmt, res in results.items():
        imp = res["import"]
        for task in ("ctas", "copy"):
            if task in res:
                print(f"  {fmt}: import time / {task} time = {imp.seconds / res[task].seconds:.2f}x")
        if imp.inserted != imp.rows:
            print(f"  {fmt}: WARNING importer stored {imp.inserted:,} of {imp.rows:,} rows")


def memory_test(args: argparse.Namespace, workdir: Path) -> None:
    rows = args.rows or MEMORY_TEST_ROWS
    path = workdir / f"events-{rows}-{args.accounts}.csv"
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    free = shutil.disk_usage(workdir).free
    need = rows * BYTES_PER_CSV_ROW * 1.6  # the CSV, the stored batch and spill files, with a margin
    if not path.exists() and free < need:
        print(f"memory test skipped: needs ~{gib(need)} free in {workdir}, only {gib(free)} available")
        return
    print(f"generating {path.name} ...", flush=True)
    took = generate(path, rows, args.accounts)
    size = path.stat().st_size
    print(f"  {gib(size)} ({'cached' if not took else f'{took:.0f} s'})")
    res = measure(path, workdir, args.accounts, args.repeat, ["import", "copy"])
    imp, copy = res["import"], res["copy"]
    limit = os.environ.get("NORTHSTAR_DUCKDB_MEMORY", "1GB")
    print()
    print(f"Memory test: CSV import of {rows:,} rows, NORTHSTAR_DUCKDB_MEMORY={limit}")
    print(f"  RAM                        {gib(ram)}  (RAM/4 = {gib(ram / 4)})")
    print(f"  CSV file size              {gib(size)}  (file / (RAM/4) = {size / (ram / 4):.2f})")
    print(f"  importer peak RSS          {gib(imp.peak_rss)}  (peak RSS / file size = {imp.peak_rss / size:.1%})")
    print(f"  duckdb COPY peak RSS       {gib(copy.peak_rss)}  (peak RSS / file size = {copy.peak_rss / size:.1%})")
    print(f"  importer time              {imp.seconds:.1f} s, {imp.rate:,.0f} rows/s")
    print(
        f"  duckdb COPY time           {copy.seconds:.1f} s "
        f"(import time / COPY time = {imp.seconds / copy.seconds:.2f}x)"
    )
    print(f"  rows stored                {imp.inserted:,} of {imp.rows:,}")
    verdict = "streams" if size > ram / 4 and imp.peak_rss < min(size, ram / 4) else "NOT shown to stream"
    print(f"  verdict: file > RAM/4 and peak RSS < min(file, RAM/4): {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rows", type=int, default=None, help=f"events (default {DEFAULT_ROWS:,}; 72M in --memory-test)"
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--memory-test", action="store_true", help="import a CSV larger than RAM/4; report RSS")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"code: {revision()}")
    print(f"importer duckdb memory limit: {os.environ.get('NORTHSTAR_DUCKDB_MEMORY', '1GB')}; cpus: {os.cpu_count()}")
    if args.memory_test:
        memory_test(args, workdir)
        return
    rows = args.rows or DEFAULT_ROWS
    results: dict[str, dict[str, Run]] = {}
    for ext in ("parquet", "csv"):
        path = workdir / f"events-{rows}-{args.accounts}.{ext}"
        took = generate(path, rows, args.accounts)
        print(f"{path.name}: {gib(path.stat().st_size)} ({'cached' if not took else f'generated in {took:.1f} s'})")
        results[ext] = measure(path, workdir, args.accounts, args.repeat, ["import", "ctas", "copy"])
    report(results, rows)


if __name__ == "__main__":
    main()
