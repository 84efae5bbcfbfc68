"""The write-ahead log: records come back in order after a reopen, a torn tail is cut off and never
followed by good records, concurrent appends share fsyncs, old segments can be discarded, and a writer
killed with SIGKILL loses nothing it acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

from northstar.api.wal import WriteAheadLog, records


def payloads(log: WriteAheadLog, after: int = 0) -> list[tuple[int, bytes]]:
    return list(log.records(after))


def test_records_come_back_in_order_and_numbering_continues(tmp_path):
    log = WriteAheadLog(tmp_path)
    assert [log.append(f"r{i}".encode()) for i in range(5)] == [1, 2, 3, 4, 5]
    log.close()
    log = WriteAheadLog(tmp_path)  # reopened: a new segment, the numbers go on
    assert log.append(b"r5") == 6
    assert payloads(log) == [(i + 1, f"r{i}".encode()) for i in range(6)]
    assert payloads(log, after=4) == [(5, b"r4"), (6, b"r5")]
    assert len(log.segments()) == 2
    log.close()


def test_a_torn_tail_is_cut_and_later_records_stay_readable(tmp_path):
    log = WriteAheadLog(tmp_path)
    for i in range(3):
        log.append(f"r{i}".encode())
    log.close()
    _, last = log.segments()[-1]
    with open(last, "ab") as f:  # a crash in the middle of writing a fourth record
        f.write(b"\x10\x00\x00\x00\x01\x02")
    log = WriteAheadLog(tmp_path)
    assert log.append(b"after") == 4  # numbered after the last whole record
    assert payloads(log) == [(1, b"r0"), (2, b"r1"), (3, b"r2"), (4, b"after")]
    log.close()


def test_a_damaged_record_ends_its_segment(tmp_path):
    log = WriteAheadLog(tmp_path)
    for i in range(3):
        log.append(f"record-{i}".encode())
    log.close()
    _, path = log.segments()[0]
    data = bytearray(path.read_bytes())
    data[8 + len(b"record-0") + 8 + 2] ^= 0xFF  # a byte of the second record's payload
    path.write_bytes(bytes(data))
    assert list(records(tmp_path)) == [(1, b"record-0")]


def test_concurrent_appends_share_fsyncs(tmp_path, monkeypatch):
    import northstar.api.wal as wal

    calls = []
    real = os.fsync
    monkeypatch.setattr(wal.os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    log = WriteAheadLog(tmp_path)
    calls.clear()
    got: dict[int, bytes] = {}

    def work(t: int) -> None:
        for i in range(200):
            payload = f"{t}:{i}".encode()
            got[log.append(payload)] = payload

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 1601))
    assert dict(payloads(log)) == got
    assert len(calls) < 1600  # group commit: many appends per fsync
    for t in range(8):  # each thread's records in its own order
        mine = [s for s, p in sorted(got.items()) if p.startswith(f"{t}:".encode())]
        assert [got[s] for s in mine] == [f"{t}:{i}".encode() for i in range(200)]
    log.close()


def test_segments_rotate_and_applied_ones_are_discarded(tmp_path):
    log = WriteAheadLog(tmp_path, segment_bytes=100)
    for i in range(10):  # 69-byte records: a segment takes two, then is past 100 bytes
        log.append(b"x" * 60 + str(i).encode())
    assert [first for first, _ in log.segments()] == [1, 3, 5, 7, 9]
    log.discard_through(6)  # the segments of 1-2, 3-4 and 5-6 are wholly applied
    assert [s for s, _ in payloads(log)] == [7, 8, 9, 10]
    log.discard_through(10)  # the segment being written is kept
    assert [first for first, _ in log.segments()] == [9]
    log.close()


def test_nothing_acknowledged_is_lost_when_the_writer_is_killed(tmp_path):
    """A child appends as fast as it can and prints each acknowledged id; it is killed with SIGKILL mid-run.
    Every acknowledged record is in the log afterwards, exactly once."""
    script = textwrap.dedent(
        f"""
        import sys, threading
        from pathlib import Path
        from northstar.api.wal import WriteAheadLog, records
        log = WriteAheadLog(Path({str(tmp_path)!r}))
        def work(t):
            for i in range(1_000_000):
                payload = f"{{t}}:{{i}}"
                log.append(payload.encode())
                sys.stdout.write(payload + "\\n")
                sys.stdout.flush()
        for t in range(4):
            threading.Thread(target=work, args=(t,)).start()
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    acked = []
    assert child.stdout is not None
    for line in child.stdout:
        acked.append(line.strip())
        if len(acked) >= 2000:
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait()
    acked += [line.strip() for line in child.stdout if line.strip()]  # printed before the kill landed
    stored = [p.decode() for _, p in records(tmp_path)]
    assert len(stored) == len(set(stored))  # nothing doubled
    assert set(acked) <= set(stored)  # nothing acknowledged lost
    assert child.returncode == -signal.SIGKILL
