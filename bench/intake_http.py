"""Tracking API throughput, latency and memory over HTTP, beside a parse-only baseline in the same run.

A server process (the web app, one uvicorn worker, its intake worker applying the log) and this client share
the machine. For batches of 500 and of 100 events the client runs two phases of ``--seconds`` each:
``/bench/parse`` (parses the body and discards it: the baseline) and ``/v1/batch`` (checks, logs durably with
group commit, replies after the fsync). Every message has its own ``messageId``. It prints events/s, the p50
and p99 latency, the ratio to the baseline and the server's memory (RSS) over each phase, then waits for the
applier and checks that the event store holds every acknowledged event exactly once.

    python bench/intake_http.py [--seconds 60] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from _common import EVENT_NAMES, revision

ROOT = Path(__file__).resolve().parent.parent
SENT_AT = "2026-11-26T08:00:01.000Z"


def body_parts(batch: int, users: int) -> list[bytes]:
    """A batch body split where each message's id goes; joined with ids it is a fresh batch."""
    rng = np.random.default_rng(batch)
    msgs = []
    for i in range(batch):
        user = int(rng.integers(users))
        event = EVENT_NAMES[int(rng.integers(len(EVENT_NAMES)))]
        rows, report = int(rng.integers(1000)), int(rng.integers(50))
        msgs.append(
            f'{{"type":"track","userId":"u{user}","event":"{event}","messageId":"@@",'
            f'"timestamp":"2026-11-26T08:00:00.{i % 1000:03d}Z",'
            f'"properties":{{"rows":{rows},"format":"csv","path":"/reports/{report}"}},'
            f'"context":{{"library":{{"name":"analytics-python","version":"2.3.0"}},"ip":"10.0.0.{i % 250}"}}}}'
        )
    text = '{"batch":[' + ",".join(msgs) + '],"sentAt":"' + SENT_AT + '"}'
    return [p.encode() for p in text.split("@@")]


@dataclass
class Phase:
    name: str
    batch: int
    seconds: float
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    elapsed: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the server used over the phase
    client_cpu: float = 0.0
    worker_cpu: float = 0.0  # the intake worker process (applying the log)
    worker_rss: list[int] = field(default_factory=list)

    @property
    def events_per_s(self) -> float:
        return self.requests * self.batch / self.elapsed

    def p(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000) if self.latencies else float("nan")


async def _connection(port: int, path: str, auth: str, parts: list[bytes], tag: str, phase: Phase, stop: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    suffixes = [f"-{i}".encode() for i in range(len(parts) - 1)]
    n = 0
    try:
        while time.perf_counter() < stop:
            prefix = f"{tag}-{n}".encode()
            chunks = [parts[0]]
            for i, s in enumerate(suffixes):
                chunks += [prefix, s, parts[i + 1]]
            body = b"".join(chunks)
            head = (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            t0 = time.perf_counter()
            writer.write(head + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            phase.latencies.append(time.perf_counter() - t0)
            if b" 200 " in status_line:
                phase.requests += 1
            else:
                phase.errors += 1
            n += 1
    finally:
        writer.close()


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process (with its threads)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(c) for c in fh.read().split()]
    except OSError:
        return []


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


async def _run(phase: Phase, port: int, path: str, auth: str, parts: list[bytes], connections: int, pid: int) -> None:
    start = time.perf_counter()
    stop = start + phase.seconds
    cpu0, own0 = _cpu(pid), time.process_time()
    worker = (_children(pid) or [None])[0]
    wcpu0 = _cpu(worker) if worker else 0.0

    async def sample() -> None:
        while time.perf_counter() < stop:
            phase.rss.append(_rss(pid))
            if worker:
                phase.worker_rss.append(_rss(worker))
            await asyncio.sleep(1.0)

    tasks = [
        _connection(port, path, auth, parts, f"{phase.name}{phase.batch}c{c}", phase, stop) for c in range(connections)
    ]
    await asyncio.gather(sample(), *tasks)
    phase.elapsed = time.perf_counter() - start
    phase.server_cpu, phase.client_cpu = _cpu(pid) - cpu0, time.process_time() - own0
    phase.worker_cpu = _cpu(worker) - wcpu0 if worker else 0.0


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer at {url}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--batches", type=int, nargs="+", default=[500, 100], help="Batch sizes to run.")
    ap.add_argument("--skip-baseline", action="store_true", help="Only the intake phases (for profiling).")
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    home = Path(tempfile.mkdtemp(prefix="ns-intake-bench-"))
    env = {**os.environ, "NORTHSTAR_HOME": str(home)}
    env.pop("NORTHSTAR_DATABASE_URL", None)
    northstar = [sys.executable, "-m", "northstar.cli.main"]
    token = (
        subprocess.run(
            [*northstar, "keys", "create", "--scope", "write", "--name", "bench"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    auth = base64.b64encode(f"{token}:".encode()).decode()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_intake_server.py"), str(home), str(args.port)], env=env
    )
    try:
        _wait_http(f"http://127.0.0.1:{args.port}/healthz")
        _link_users(args.port, auth, args.users)
        print(f"revision {revision()}; {os.cpu_count()} CPUs shared by client and server; {args.seconds:.0f} s a phase")
        results = []
        for batch in args.batches:
            parts = body_parts(batch, args.users)
            pair = []
            for name, path in (("baseline", "/bench/parse"), ("intake", "/v1/batch"))[args.skip_baseline :]:
                phase = Phase(name, batch, args.seconds)
                asyncio.run(_run(phase, args.port, path, auth, parts, args.connections, server.pid))
                pair.append(phase)
                print(
                    f"  batch {batch:>3} {name:<8} {phase.events_per_s:>10,.0f} events/s  "
                    f"p50 {phase.p(50):6.1f} ms  p99 {phase.p(99):6.1f} ms  errors {phase.errors}  "
                    f"CPU server {phase.server_cpu / phase.elapsed:.0%} worker {phase.worker_cpu / phase.elapsed:.0%} "
                    f"client {phase.client_cpu / phase.elapsed:.0%}  "
                    f"server RSS {phase.rss[0] / 2**20:,.0f} → max {max(phase.rss) / 2**20:,.0f} → "
                    f"end {phase.rss[-1] / 2**20:,.0f} MiB; worker RSS max "
                    f"{max(phase.worker_rss, default=0) / 2**20:,.0f} MiB",
                    flush=True,
                )
            results.append(pair)
        accepted = sum(pair[-1].requests * pair[-1].batch for pair in results)
        stored = _wait_applied(home, env, accepted)
        print("summary (intake vs parse-only baseline, same run):")
        for base, real in [r for r in results if len(r) == 2]:
            rss_mid = real.rss[len(real.rss) // 6] if real.rss else 0
            ratio = real.events_per_s / base.events_per_s
            print(
                f"  batch {real.batch}: {real.events_per_s:,.0f} events/s = {ratio:.2f}× the baseline's "
                f"{base.events_per_s:,.0f}; p99 {real.p(99):.0f} ms (baseline {base.p(99):.0f} ms); RSS "
                f"{rss_mid / 2**20:,.0f} MiB after 1/6 of the phase, {real.rss[-1] / 2**20:,.0f} MiB at the end"
            )
        print(
            f"  acknowledged events {accepted:,}; in the event store after applying: {stored:,} "
            f"({'exactly once' if stored == accepted else 'MISMATCH'})"
        )
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(home, ignore_errors=True)


def _link_users(port: int, auth: str, users: int) -> None:
    """``group`` calls linking every user to one of users/20 accounts, so the events have accounts."""
    import json

    for start in range(0, users, 500):
        batch = [
            {"type": "group", "userId": f"u{u}", "groupId": f"acct-{u // 20}", "traits": {"name": f"Account {u // 20}"}}
            for u in range(start, min(users, start + 500))
        ]
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/batch",
            data=json.dumps({"batch": batch}).encode(),
            headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"},
        )
        urllib.request.urlopen(req).read()


def _wait_applied(home: Path, env: dict[str, str], expected: int, timeout: float = 900) -> int:
    """The events in the store once the applier has caught up (or the timeout passed)."""
    import duckdb

    t0 = time.perf_counter()
    count = 0
    while time.perf_counter() - t0 < timeout:
        files = [str(f) for f in sorted((home / "events").glob("batch-*.parquet"))]
        count = total = 0
        if files:
            count, total = duckdb.sql(
                f"SELECT count(DISTINCT event_id), count(*) FROM read_parquet({files})"
            ).fetchall()[0]
        if count >= expected:
            took = time.perf_counter() - t0
            print(f"  applier caught up {took:.0f} s after the load; rows {total:,}, distinct ids {count:,}")
            return total
        time.sleep(2)
    print(f"  applier not caught up after {timeout:.0f} s: {count:,} of {expected:,}")
    return count


if __name__ == "__main__":
    main()
