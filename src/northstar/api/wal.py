"""A write-ahead log: what the intake API acknowledges is on disk first.

A request's accepted messages are appended as one record and the call returns only after the record is
fsynced, so a server killed the next instant loses nothing it acknowledged. fsync is the cost, so appends
are committed in groups: callers hand their records to one writer thread, which writes everything waiting,
fsyncs once and wakes them all (group commit, as databases do): under load many requests share one fsync.

Records are framed as ``length (4 bytes) | CRC-32 (4 bytes) | payload`` in segment files
``wal-<first sequence>.log`` under ``root``. A crash can leave a torn last record; reading stops at the
first record whose length or checksum does not hold, and the next writer starts a fresh segment, so a torn
tail is never followed by good records. Each record has a sequence number (its position in the log);
``replay(after)`` yields the records after a position, and ``discard_through(seq)`` deletes segments whose
records have all been applied.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

from northstar.files import fsync_dir

HEADER = struct.Struct("<II")
#: A segment is closed and a new one started past this size.
SEGMENT_BYTES = 64 * 1024 * 1024


class WriteAheadLog:
    def __init__(self, root: Path, segment_bytes: int = SEGMENT_BYTES, start_after: int = 0) -> None:
        """``start_after``: number new records after this one at least. A reader may apply a record the
        writer wrote but had not yet fsynced; if the machine then lost it, the next writer must not reuse
        its number (the applier would skip the new record as applied)."""
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._more = threading.Condition(self._lock)
        self._pending: list[tuple[bytes, threading.Event, list[int]]] = []
        self._closed = False
        last = start_after
        for _, _, seq, _ in _replay(root, start_after):
            last = seq
        self._next = last + 1
        self._file = self._open_segment(self._next)  # always a fresh segment: never append after a torn tail
        self._written = 0
        self._writer = threading.Thread(target=self._run, name="wal-writer", daemon=True)
        self._writer.start()

    # ----------------------------------------------------------------------------- writing
    def append(self, payload: bytes) -> int:
        """Append one record and return its sequence number once it is durable (fsynced)."""
        done, seq = threading.Event(), []
        with self._lock:
            if self._closed:
                raise RuntimeError("the write-ahead log is closed")
            self._pending.append((payload, done, seq))
            self._more.notify()
        done.wait()
        if not seq:
            raise OSError("the write-ahead log could not write the record")
        return seq[0]

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._more.wait()
                batch, self._pending = self._pending, []
                if not batch and self._closed:
                    return
            try:
                self._write(batch)
            except OSError:
                # A failed write or fsync leaves the file's state unknown (PostgreSQL's lesson): nothing of the
                # group is acknowledged and the log refuses further appends until it is opened again.
                with self._lock:
                    self._closed = True
                    failed, self._pending = self._pending, []
                for _, done, _ in batch + failed:
                    done.set()
                return
            for _, done, _ in batch:
                done.set()

    def _write(self, batch: list[tuple[bytes, threading.Event, list[int]]]) -> None:
        if self._written >= self.segment_bytes:
            self._file.close()
            self._file = self._open_segment(self._next)
            self._written = 0
        frames = []
        for payload, _, _ in batch:
            frames.append(HEADER.pack(len(payload), zlib.crc32(payload)))
            frames.append(payload)
        data = b"".join(frames)
        self._file.write(data)
        self._file.flush()
        os.fsync(self._file.fileno())
        self._written += len(data)
        for _, _, seq in batch:
            seq.append(self._next)
            self._next += 1

    def _open_segment(self, first: int):  # type: ignore[no-untyped-def]
        path = self.root / f"wal-{first:016d}.log"
        if path.exists():  # a segment begun before a crash with no whole record: drop its torn bytes
            os.truncate(path, 0)
        f = open(path, "ab")  # noqa: SIM115 - kept open for the writer thread
        fsync_dir(self.root)  # the new file's name is durable too
        return f

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._more.notify()
        self._writer.join()
        self._file.close()

    # ----------------------------------------------------------------------------- reading
    def segments(self) -> list[tuple[int, Path]]:
        return segments(self.root)

    def records(self, after: int = 0) -> Iterator[tuple[int, bytes]]:
        return records(self.root, after)

    def discard_through(self, seq: int) -> None:
        discard_through(self.root, seq)


def segments(root: Path) -> list[tuple[int, Path]]:
    """The log's segment files with the sequence number of their first record, in order."""
    out = []
    for path in root.glob("wal-*.log"):
        try:
            out.append((int(path.stem.split("-", 1)[1]), path))
        except ValueError:
            continue
    return sorted(out)


def discard_through(root: Path, seq: int) -> None:
    """Delete the segments whose records all have sequence numbers up to ``seq`` (applied elsewhere). The
    newest segment is never deleted: a writer may be appending to it."""
    listed = segments(root)
    for (_first, path), (next_first, _) in zip(listed, listed[1:], strict=False):
        if next_first - 1 <= seq:
            path.unlink(missing_ok=True)


def records(root: Path, after: int = 0) -> Iterator[tuple[int, bytes]]:
    """``(sequence, payload)`` of every whole record after ``after``: reading needs no writer, and a reader
    may run beside one (it sees the records written so far)."""
    for _, _, seq, payload in _replay(root, after):
        yield seq, payload


def _replay(root: Path, after: int = 0) -> Iterator[tuple[Path, int, int, bytes]]:
    """``(segment, offset, sequence, payload)`` of every whole record after ``after``; a segment ends at its
    first torn or corrupt record. Segments and records up to ``after`` are skipped unread (they were whole
    when they were applied), so following the log costs what is new in it."""
    listed = segments(root)
    for i, (first, path) in enumerate(listed):
        if i + 1 < len(listed) and listed[i + 1][0] - 1 <= after:
            continue  # every record of this segment is at or before ``after``
        seq = first
        with open(path, "rb") as f:
            offset = 0
            while True:
                header = f.read(HEADER.size)
                if len(header) < HEADER.size:
                    break
                length, crc = HEADER.unpack(header)
                if seq <= after:
                    f.seek(length, os.SEEK_CUR)
                else:
                    payload = f.read(length)
                    if len(payload) < length or zlib.crc32(payload) != crc:
                        break  # a torn tail (or damage): nothing after it in this segment is trusted
                    yield path, offset, seq, payload
                offset += HEADER.size + length
                seq += 1
