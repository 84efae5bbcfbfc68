"""The message ids seen lately, so a retried message is stored once (Segment deduplicates the same way).

Ids are kept as 64-bit hashes in sorted numpy runs: a lookup is a binary search per run. Runs are grouped
in buckets of a quarter of the window by the time they were added; within the current bucket a new run is
merged into the one before it while it is at least as large (a log-structured set: few runs, and
adding ``n`` ids costs ``O(n log n)``), and a bucket that is no longer current is merged into one run.

Two bounds keep memory flat: a bucket older than ``window`` is forgotten whole, and past ``capacity`` ids the
oldest buckets go first (the current one, if it alone is over, keeps a share of its ids: hashes are in
random order). 8 bytes an id: the default 20 million ids take 160 MB at most, a day at 230 events/s.

A hash collision (about one in 10^19 per pair) would drop a genuine message as a repeat; that is the price
of keeping the set in memory.
"""

from __future__ import annotations

import time

import numpy as np

WINDOW_SECONDS = 24 * 3600
CAPACITY = 20_000_000


class SeenIds:
    def __init__(self, window: float = WINDOW_SECONDS, capacity: int = CAPACITY) -> None:
        self.window = window
        self.capacity = capacity
        self._span = window / 4
        self._buckets: dict[int, list[np.ndarray]] = {}  # bucket number -> sorted uint64 runs

    def __len__(self) -> int:
        return sum(len(r) for runs in self._buckets.values() for r in runs)

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes for runs in self._buckets.values() for r in runs)

    def seen(self, hashes: np.ndarray) -> np.ndarray:
        """Which of ``hashes`` were added before (a boolean mask)."""
        hashes = np.asarray(hashes, dtype=np.uint64)
        order = np.argsort(hashes, kind="stable")
        out = np.empty(len(hashes), dtype=bool)
        out[order] = self._seen_sorted(hashes[order])
        return out

    def _seen_sorted(self, ordered: np.ndarray) -> np.ndarray:
        out = np.zeros(len(ordered), dtype=bool)
        for runs in self._buckets.values():
            for run in runs:
                pos = np.minimum(np.searchsorted(run, ordered), len(run) - 1)  # sorted keys: cache-friendly
                out |= run[pos] == ordered
        return out

    def fresh(self, hashes: np.ndarray) -> np.ndarray:
        """A mask of the ids to keep: not seen before, and the first of any repeats within ``hashes``."""
        hashes = np.asarray(hashes, dtype=np.uint64)
        order = np.argsort(hashes, kind="stable")  # stable: the first of equal ids comes first
        ordered = hashes[order]
        keep = np.ones(len(hashes), dtype=bool)
        keep[1:] = ordered[1:] != ordered[:-1]
        keep &= ~self._seen_sorted(ordered)
        out = np.empty(len(hashes), dtype=bool)
        out[order] = keep
        return out

    def add(self, hashes: np.ndarray, at: float | None = None) -> None:
        now = time.time() if at is None else at
        current = int(now // self._span)
        for b in [b for b in self._buckets if b < current and len(self._buckets[b]) > 1]:
            self._buckets[b] = [_merge(*self._buckets[b])]  # a past bucket: one run
        if len(hashes):
            runs = self._buckets.setdefault(current, [])
            runs.append(np.unique(np.asarray(hashes, dtype=np.uint64)))
            while len(runs) > 1 and len(runs[-1]) >= len(runs[-2]):
                b, a = runs.pop(), runs.pop()
                runs.append(_merge(a, b))
        self._forget(current)

    def _forget(self, current: int) -> None:
        oldest_kept = current - int(self.window // self._span)
        for b in [b for b in self._buckets if b < oldest_kept]:
            del self._buckets[b]
        while len(self) > self.capacity:
            b = min(self._buckets)
            if b == current or len(self._buckets) == 1:
                runs = self._buckets[b]
                over = len(self) - self.capacity
                runs[0] = runs[0][min(over, len(runs[0])) :]  # the oldest run gives up a random share
                if not len(runs[0]):
                    runs.pop(0)
                continue
            del self._buckets[b]


def _merge(*runs: np.ndarray) -> np.ndarray:
    """Sorted runs as one, without repeats (a stable sort of sorted runs is a linear merge: timsort)."""
    out = np.sort(np.concatenate(runs), kind="stable")
    return out[np.concatenate(([True], out[1:] != out[:-1]))] if len(out) else out
