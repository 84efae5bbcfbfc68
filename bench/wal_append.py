"""Benchmark: durable appends to the intake write-ahead log (``northstar.api.wal``), as the tracking API
will make them: one record per request of 500 (or 100) events, from several concurrent requests.

Measured for ``--seconds`` each, in one script (the machine is shared and noisy):

* ``wal``: ``WriteAheadLog.append`` from ``--threads`` threads; each call returns once its record is
  fsynced (group commit shares fsyncs between waiting callers);
* ``baseline``: the same records written by the same threads to a file under a lock with no fsync at all,
  i.e. what the log costs beyond writing the bytes.

Prints events per second for both and their ratio, and fsyncs per record.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import msgspec

from _common import revision


def record(events: int) -> bytes:
    batch = [
        {
            "type": "track",
            "messageId": f"m-{i:08d}",
            "userId": f"user-{i % 50}",
            "event": "Report Exported",
            "timestamp": "2026-11-26T10:00:00Z",
            "properties": {"format": "csv", "rows": i},
            "context": {"groupId": "ACME-0001"},
        }
        for i in range(events)
    ]
    return msgspec.json.encode(batch)


def run(append, threads: int, seconds: float, payload: bytes) -> int:  # type: ignore[no-untyped-def]
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def work(t: int) -> None:
        while time.perf_counter() < stop:
            append(payload)
            done[t] += 1

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return sum(done)


def measure(events: int, threads: int, seconds: float, where: Path) -> tuple[float, float, float]:
    """(durable events/s, no-fsync events/s, fsyncs per record) for records of ``events`` events."""
    import northstar.api.wal as wal

    payload = record(events)
    fsyncs = [0]
    real = os.fsync

    def counted(fd: int) -> None:
        fsyncs[0] += 1
        real(fd)

    log = wal.WriteAheadLog(where / f"wal-{events}")
    os.fsync = counted  # counts the log's fsyncs during the run (restored below)
    try:
        durable = run(log.append, threads, seconds, payload)
    finally:
        os.fsync = real
    log.close()
    lock = threading.Lock()
    with open(where / f"plain-{events}.log", "ab") as f:

        def plain(p: bytes) -> None:
            with lock:
                f.write(p)

        baseline = run(plain, threads, seconds, payload)
    return durable * events / seconds, baseline * events / seconds, fsyncs[0] / max(durable, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, nargs="+", default=[500, 100], help="events per record (request)")
    ap.add_argument("--threads", type=int, default=16, help="concurrent requests")
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    print(f"code: {revision()}; {args.threads} concurrent appenders, {args.seconds:.0f} s each, {os.cpu_count()} cpus")
    for events in args.events:
        with tempfile.TemporaryDirectory(dir=out) as tmp:
            d, b, per = measure(events, args.threads, args.seconds, Path(tmp))
        print(
            f"  {events:>3} events a record ({len(record(events)):,} bytes): durable {d:,.0f} events/s, "
            f"no-fsync baseline {b:,.0f} events/s, ratio {d / b:.2f}; {per:.2f} fsyncs a record"
        )


if __name__ == "__main__":
    main()
