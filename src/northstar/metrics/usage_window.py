"""Usage features kept current by sliding their windows one day at a time.

``usage_features`` reads 90 days of rollups for every account. When a day of events arrives, almost all of
that is unchanged: moving ``as_of`` from day ``D`` to ``D + 1`` adds day ``D`` to every window and drops the
day that falls out of each (``D - 30`` from the last 30 days and into the 30 before, ``D - 60`` out of
those, ``D - 90`` out of the last 90). A ``UsageWindow`` holds what the figures are made of, so that a step
reads four days of rollups instead of ninety:

* ``accounts``: per account, the sums over each window (events, active days, user-days) and the last
  active day; a step adds the entering day's rows and subtracts the leaving days'.
* ``features``: per (account, feature), events over the last 30 days and the 30 before; the same way.
  Event names are codes into the window's own dictionary, so a step compares integers.
* ``recent``: per account, its users counted by ``age``, the days from their last active day to ``as_of``
  (1 to 90). Users active in the last ``n`` days are those of age ``<= n``. A step ages every count by one
  day and moves each user active on day ``D`` from the age of its previous active day (``prev_day``) to
  age 1, so distinct users stay exact without any per-user work.
* ``earlier``: the same counted from ``as_of - 30`` (ages 1 to 30): the users of the previous 30 days.

``build`` makes a window from the tiers (the same Ibis expressions as ``usage_features``), ``step`` slides
it by one day, ``figures`` gives the two tables of ``usage_features`` and ``feature_usage``; the tests
check that a slid window equals one built from scratch. ``WindowStore`` keeps the window of the newest
complete day next to the rollups, so the features as of today cost one step from it.

A step is a few sorted merges in numpy (``_merge``: each part is kept sorted by its key), in proportion to
the days it reads, the four parts side by side. ``figures`` sums the parts per account in numpy, then
applies the definitions' own finishing expressions (``finish_usage``, ``finish_feature_usage``: ratios,
trends, days since activity), compiled once per process (``duck.run_compiled``).
"""

from __future__ import annotations

import bisect
import itertools
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from northstar import duck
from northstar.duck import unbound
from northstar.metrics.usage import (
    account_sums,
    feature_counts,
    finish_feature_usage,
    finish_usage,
)
from northstar.usage.rollup import Manifest, RollupStore, Tiers, read_ipc, write_ipc

_I = pa.int64()
ACCOUNTS = pa.schema(
    [
        ("account_id", _I),
        ("last_active", pa.date32()),
        ("events_30d", _I),
        ("events_prev_30d", _I),
        ("events_90d", _I),
        ("active_days_30d", _I),
        ("active_days_prev_30d", _I),
        ("active_days_90d", _I),
        ("user_days_30d", _I),
    ]
)
#: Event names as codes into the window's own dictionary (the names seen so far): a step compares codes.
EVENT = pa.dictionary(pa.int32(), pa.string())
FEATURES = pa.schema([("account_id", _I), ("event", EVENT), ("events_30d", _I), ("events_prev_30d", _I)])
RECENCY = pa.schema([("account_id", _I), ("age", _I), ("users", _I)])
#: Users active on the entering day, with the age of their previous active day (null: none).
ARRIVALS = pa.schema([("account_id", _I), ("prev_age", _I)])
SUMS = ACCOUNTS.names[2:]
PARTS = ("accounts", "features", "recent", "earlier")
EPOCH = date(1970, 1, 1)
#: Bumped when what a stored window holds changes (its folder is then ignored and built anew).
FORMAT = 2


@dataclass
class UsageWindow:
    """What the usage features as of ``as_of`` are made of (see the module docstring), as Arrow tables."""

    as_of: date
    accounts: pa.Table
    features: pa.Table
    recent: pa.Table  # users by days since their last activity, 1..90
    earlier: pa.Table  # the same as of ``as_of - 30``, 1..30

    @classmethod
    def empty(cls, as_of: date) -> UsageWindow:
        return cls(as_of, ACCOUNTS.empty_table(), FEATURES.empty_table(), RECENCY.empty_table(), RECENCY.empty_table())


# ------------------------------------------------------------------------------------ building from tiers
def _recency(ud: ir.Table, start: date, end: date) -> ir.Table:
    """Users active in ``[start, end)`` by the age of their last active day in it (``end - day``): a user's
    rows in the window, less the rows whose next row is in it too (those whose ``prev_day`` is in it)."""
    w = ud.filter((ud.day >= start) & (ud.day < end) & ud.user_id.notnull())
    end_ = ibis.literal(end)
    plus = w.select("account_id", age=(end_ - w.day).cast("int64"), users=ibis.literal(1, "int64"))
    later = w.filter(w.prev_day >= start)
    minus = later.select("account_id", age=(end_ - later.prev_day).cast("int64"), users=ibis.literal(-1, "int64"))
    return _net(plus.union(minus), ["account_id", "age"], ["users"])


def build(tiers: Tiers, as_of: date) -> UsageWindow:
    """The window as of ``as_of`` from the tiers (any backend: the same expressions as ``usage_features``)."""
    sums = account_sums(tiers, as_of)
    acc = tiers.last_active.left_join(sums, "account_id")
    acc = acc.select("account_id", "last_active", *[acc[c].fill_null(0).cast("int64").name(c) for c in SUMS])
    ahead = as_of - timedelta(days=30)

    def sorted_(t: ir.Table, schema: pa.Schema, keys: list[str]) -> pa.Table:  # the order ``step`` relies on
        return t.to_pyarrow().cast(schema).sort_by([(k, "ascending") for k in keys])

    f = feature_counts(tiers, as_of).to_pyarrow()
    events = f.column("event").cast(pa.string()).combine_chunks()
    names = pc.unique(events)
    codes = pc.index_in(events, value_set=names).to_numpy().astype(np.int64)
    order = np.argsort((_np(f, "account_id") << 16) | codes, kind="stable")
    coded = pa.DictionaryArray.from_arrays(pa.array(codes[order].astype(np.int32)), names)
    features = pa.table(
        {
            "account_id": f.column("account_id").take(order),
            "event": coded,
            **{c: f.column(c).take(order) for c in FEATURES.names[2:]},
        }
    ).cast(FEATURES)
    return UsageWindow(
        as_of,
        sorted_(acc, ACCOUNTS, ["account_id"]),
        features,
        sorted_(_recency(tiers.user_day, as_of - timedelta(days=90), as_of), RECENCY, ["account_id", "age"]),
        sorted_(_recency(tiers.user_day, ahead - timedelta(days=30), ahead), RECENCY, ["account_id", "age"]),
    )


# --------------------------------------------------------------------------------------------- one step
def _net(t: ir.Table, keys: list[str], values: list[str]) -> ir.Table:
    """Rows added up by key, keeping keys with any value not zero."""
    g = t.group_by(keys).aggregate(**{v: t[v].sum() for v in values})
    keep = g[values[0]] != 0
    for v in values[1:]:
        keep |= g[v] != 0
    return g.filter(keep)


def _merge(
    keys: np.ndarray, cols: list[np.ndarray], dkeys: np.ndarray, dcols: list[np.ndarray]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Add delta rows (any order, keys repeated) into columns sorted by a unique ``keys``: each key's deltas
    summed, matched keys updated, new keys inserted in order. A binary search per distinct delta key, so a
    step costs in proportion to the days it reads, plus one copy of the window."""
    if len(dkeys) == 0:
        return keys, cols
    order = np.argsort(dkeys)
    dk = dkeys[order]
    first = np.flatnonzero(np.concatenate([[True], dk[1:] != dk[:-1]]))
    uk = dk[first]
    sums = [np.add.reduceat(c[order], first) for c in dcols]
    pos = np.searchsorted(keys, uk)
    hit = pos < len(keys)
    hit[hit] = keys[pos[hit]] == uk[hit]
    at, fresh = pos[~hit], ~hit  # new keys go before the old row at ``at``: scatter both into place
    new_rows = at + np.arange(len(at))
    old_rows = np.arange(len(keys)) + np.cumsum(np.bincount(at, minlength=len(keys) + 1))[: len(keys)]

    def placed(old: np.ndarray, new: np.ndarray) -> np.ndarray:
        out = np.empty(len(keys) + len(at), old.dtype)
        out[old_rows], out[new_rows] = old, new
        return out

    out = []
    matched = old_rows[pos[hit]]
    for c, delta in zip(cols, sums, strict=True):
        merged = placed(c, delta[fresh])  # a new array: the window's may be memory-mapped, read-only
        merged[matched] += delta[hit]
        out.append(merged)
    return placed(keys, uk[fresh]), out


def _positions(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Where each of ``sorted_keys`` (sorted, repeated) is in ``keys`` (sorted, unique, holding them all): one
    binary search per distinct key."""
    if len(sorted_keys) == 0:
        return np.zeros(0, np.int64)
    starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    return np.repeat(np.searchsorted(keys, sorted_keys[starts]), np.diff(np.append(starts, len(sorted_keys))))


def _np(t: pa.Table, column: str) -> np.ndarray:
    return t.column(column).to_numpy().astype(np.int64, copy=False)


def _days(a: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return pc.cast(a, pa.int32()).to_numpy().astype(np.int64)


#: For each window sum: what a day's account row adds (its events, its users, or 1 for the day itself) and
#: with which sign at each age, as of the new ``as_of``: +1 entering a window (age 1 enters the last 30
#: and 90 days; age 31 enters the 30 before), -1 leaving it (31 leaves the last 30, 61 and 91 the others).
ACCOUNT_MOVES = {
    "events_30d": ("events", {1: 1, 31: -1}),
    "events_prev_30d": ("events", {31: 1, 61: -1}),
    "events_90d": ("events", {1: 1, 91: -1}),
    "active_days_30d": ("days", {1: 1, 31: -1}),
    "active_days_prev_30d": ("days", {31: 1, 61: -1}),
    "active_days_90d": ("days", {1: 1, 91: -1}),
    "user_days_30d": ("users", {1: 1, 31: -1}),
}


def _step_accounts(acc: pa.Table, days: dict[int, pa.Table], new: date) -> pa.Table:
    """``days``: account-day rows by age (1 enters; 31, 61 and 91 leave a window)."""
    dkeys, dcols = [], {c: [] for c in SUMS}
    for age, rows in days.items():
        dkeys.append(_np(rows, "account_id"))
        source = {"events": _np(rows, "events"), "users": _np(rows, "users"), "days": np.ones(rows.num_rows, np.int64)}
        for c in SUMS:
            what, signs = ACCOUNT_MOVES[c]
            dcols[c].append(signs.get(age, 0) * source[what])
    keys, cols = _merge(  # last_active rides along unchanged (zero deltas), then is set for the entering day
        _np(acc, "account_id"),
        [_days(acc.column("last_active")), *(_np(acc, c) for c in SUMS)],
        np.concatenate(dkeys),
        [np.zeros(sum(len(k) for k in dkeys), np.int64), *(np.concatenate(dcols[c]) for c in SUMS)],
    )
    last = cols[0]
    last[np.searchsorted(keys, _np(days[1], "account_id"))] = (new - timedelta(days=1) - EPOCH).days
    out = {"account_id": keys, "last_active": pa.array(last.astype(np.int32)).cast(pa.date32())}
    return pa.table({**out, **dict(zip(SUMS, cols[1:], strict=True))}, schema=ACCOUNTS)


def _coded(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """A dictionary-coded column as (codes, names)."""
    arr = column.unify_dictionaries().combine_chunks() if column.num_chunks else pa.array([], EVENT)
    return arr.indices.to_numpy(zero_copy_only=False).astype(np.int64), arr.dictionary


def _step_features(f: pa.Table, days: dict[int, pa.Table]) -> pa.Table:
    """``days``: feature-day rows by age (1 enters the last 30 days, 31 moves to the 30 before, 61 leaves).
    Rows are keyed by (account, code); names new to the window get the next codes, so the window's keys and
    order stay as they are."""
    codes, names = _coded(f.column("event"))
    arriving = pa.chunked_array([c for d in days.values() for c in d.column("event").chunks], pa.string())
    new = pc.filter(pc.unique(arriving), pc.invert(pc.is_in(pc.unique(arriving), value_set=names)))
    names = pa.concat_arrays([names.cast(pa.string()), new.cast(pa.string())]) if len(new) else names
    if len(names) > 0xFFFF:
        raise ValueError(f"{len(names):,} distinct event names: usage windows take at most 65,535")

    def key(t: pa.Table, code: np.ndarray) -> np.ndarray:
        return (_np(t, "account_id") << 16) | code

    def code_of(t: pa.Table) -> np.ndarray:
        return pc.index_in(t.column("event"), value_set=names).to_numpy().astype(np.int64)

    sign = {1: (1, 0), 31: (-1, 1), 61: (0, -1)}
    keys, (e30, prev) = _merge(
        key(f, codes),
        [_np(f, "events_30d"), _np(f, "events_prev_30d")],
        np.concatenate([key(d, code_of(d)) for d in days.values()]),
        [np.concatenate([sign[a][i] * _np(d, "events") for a, d in days.items()]) for i in (0, 1)],
    )
    keep = (e30 != 0) | (prev != 0)
    keys = keys[keep]
    event = pa.DictionaryArray.from_arrays(pa.array((keys & 0xFFFF).astype(np.int32)), names)
    return pa.table(
        {"account_id": keys >> 16, "event": event, "events_30d": e30[keep], "events_prev_30d": prev[keep]},
        schema=FEATURES,
    )


def _step_recency(r: pa.Table, arrivals: pa.Table, horizon: int) -> pa.Table:
    """Every count one day older; each arriving user moved from its previous day's age to age 1."""
    acct = _np(arrivals, "account_id") << 7
    back = arrivals.column("prev_age").to_numpy(zero_copy_only=False)
    moved = ~np.isnan(back) & (back <= horizon) if back.dtype.kind == "f" else back <= horizon
    keys, (users,) = _merge(
        (_np(r, "account_id") << 7) + _np(r, "age") + 1,  # ages 1..127 fit in 7 bits; one day older
        [_np(r, "users")],
        np.concatenate([acct + 1, acct[moved] + back[moved].astype(np.int64)]),
        [np.concatenate([np.ones(len(acct), np.int64), -np.ones(int(moved.sum()), np.int64)])],
    )
    keep = (users != 0) & ((keys & 127) <= horizon)
    keys = keys[keep]
    return pa.table({"account_id": keys >> 7, "age": keys & 127, "users": users[keep]}, schema=RECENCY)


def _arrivals(user_day: pa.Table, as_of: date) -> pa.Table:
    """Users of one day's rows (known users only) with the age of their previous day as of ``as_of``."""
    known = user_day.filter(pc.is_valid(user_day.column("user_id")))
    prev = pc.subtract(
        pa.scalar((as_of - EPOCH).days, pa.int64()), pc.cast(pc.cast(known.column("prev_day"), pa.int32()), pa.int64())
    )
    return pa.table({"account_id": known.column("account_id"), "prev_age": prev}, schema=ARRIVALS)


def step(w: UsageWindow, rollups: RollupStore, m: Manifest | None = None) -> UsageWindow:
    """The window one day later: day ``w.as_of`` enters, the days 30, 60 and 90 days before it leave."""
    m = m or rollups.manifest()
    new = w.as_of + timedelta(days=1)

    def day_rows(tier: str, age: int) -> pa.Table:
        day = new - timedelta(days=age)
        return rollups.read(tier, day, day + timedelta(days=1), m)

    parts = (
        lambda: _step_accounts(w.accounts, {a: day_rows("account_day", a) for a in (1, 31, 61, 91)}, new),
        lambda: _step_features(w.features, {a: day_rows("feature_day", a) for a in (1, 31, 61)}),
        lambda: _step_recency(w.recent, _arrivals(day_rows("user_day", 1), new), 90),
        lambda: _step_recency(w.earlier, _arrivals(day_rows("user_day", 31), new - timedelta(days=30)), 30),
    )
    # independent, and numpy's sorts and searches release the GIL: the parts run side by side
    with ThreadPoolExecutor(max_workers=min(len(parts), os.cpu_count() or 1)) as pool:
        return UsageWindow(new, *pool.map(lambda part: part(), parts))


# ------------------------------------------------------------------------------------------- the figures
#: Per account: ``ACCOUNTS`` and the users' and features' counts ``figures`` adds; then ``finish_usage``.
COUNTED = ACCOUNTS
for _c in ("users_1d", "users_7d", "users_30d", "users_90d", "users_prev_30d", "features_30d", "features_60d"):
    COUNTED = COUNTED.append(pa.field(_c, _I))
PER_FEATURE = FEATURES.append(pa.field("account_users", _I))
PARAMS = pa.schema([("as_of", pa.date32()), ("catalogue", _I)])


def _usage() -> ir.Table:
    params = unbound("_params", PARAMS)
    return finish_usage(unbound("_t", COUNTED), params.catalogue.max().as_scalar(), params.as_of.max().as_scalar())


def _feature_usage() -> ir.Table:
    return finish_feature_usage(unbound("_j", PER_FEATURE))


def figures(w: UsageWindow) -> tuple[pa.Table, pa.Table]:
    """The tables of ``usage_features`` and ``feature_usage`` as of ``w.as_of`` (rows unordered).

    The per-account counts are sums over the window's sorted parts (numpy); the ratios, trends and days
    since activity are ``finish_usage`` and ``finish_feature_usage``, the definitions' own expressions."""
    ids = _np(w.accounts, "account_id")
    at = {p: _positions(ids, _np(getattr(w, p), "account_id")) for p in ("recent", "earlier", "features")}

    def per_account(part: str, values: np.ndarray, where: np.ndarray | bool = True) -> np.ndarray:
        """Sums per account of ``accounts`` (every part's accounts are in it)."""
        return np.bincount(at[part], weights=np.where(where, values, 0), minlength=len(ids)).astype(np.int64)

    age, users = _np(w.recent, "age"), _np(w.recent, "users")
    counts = {f"users_{n}d": per_account("recent", users, age <= n) for n in (1, 7, 30, 90)}
    counts["users_prev_30d"] = per_account("earlier", _np(w.earlier, "users"))
    used = _np(w.features, "events_30d") > 0
    counts["features_30d"] = per_account("features", np.ones(len(used), np.int64), used)
    counts["features_60d"] = per_account("features", np.ones(len(used), np.int64))  # rows: used in 60 days
    codes, names = _coded(w.features.column("event"))
    catalogue = int(np.count_nonzero(np.bincount(codes[used], minlength=len(names))))  # features in use
    t = pa.table({**{c: w.accounts.column(c) for c in ACCOUNTS.names}, **counts}, schema=COUNTED)
    active = counts["users_30d"][at["features"]]
    j = w.features.append_column("account_users", pa.array(active))
    params = pa.table({"as_of": [w.as_of], "catalogue": [catalogue]}, schema=PARAMS)

    def finish(key: str, build: Callable[[], ir.Table], name: str, data: pa.Table) -> pa.Table:
        con = duck.cursor()
        try:
            con.register(name, data)
            con.register("_params", params)
            return duck.run_compiled(con, f"usage_window.{key}", build)
        finally:
            con.close()

    with ThreadPoolExecutor(max_workers=2) as pool:  # two cursors: the queries run side by side
        usage = pool.submit(finish, "usage", _usage, "_t", t)
        per_feature = pool.submit(finish, "feature_usage", _feature_usage, "_j", j)
        return usage.result(), per_feature.result()


# -------------------------------------------------------------------------------------------- the store
class WindowStore:
    """Windows kept under ``rollups/windows/v<FORMAT>/<as_of>.g<generation>/``: the generation of the
    rollups they were made from. A window stays valid while no rollup file of a day before its ``as_of`` is
    rewritten (history arriving late); today's batches only rewrite the newest day."""

    KEEP = 3
    #: A missing window is slid forward from a stored one at most this many days old, else built anew.
    MAX_STEPS = 14

    def __init__(self, rollups: RollupStore) -> None:
        self.rollups = rollups
        self.root = rollups.root / "windows" / f"v{FORMAT}"

    def latest(self) -> UsageWindow | None:
        """The window as of the day after the newest day rolled up (the newest day's events count, however
        many of them have arrived so far), or None before any events."""
        m = self.rollups.manifest()
        return self.window(date.fromisoformat(m.max_day) + timedelta(days=1), m) if m.max_day else None

    def window(self, as_of: date, m: Manifest | None = None) -> UsageWindow:
        """The window as of any day (empty before any events). Up to the newest day rolled up it is stored,
        slid forward from a stored one or built (``at``). After it, it is stepped from the newest day's and
        stored too: the next call reads it as it is, and once the newest day is complete (the next day's
        events arrive) it is still valid, one step from the next."""
        m = m or self.rollups.manifest()
        if m.max_day is None:
            return UsageWindow.empty(as_of)
        newest = date.fromisoformat(m.max_day)
        if as_of <= newest:
            return self.at(as_of, m)
        if (as_of - newest).days > self.MAX_STEPS:
            return self._build(as_of)  # far ahead: no events for weeks
        ready = self._stored(m).get(as_of)
        w = self._load(as_of, ready) if ready else None
        if w is None:
            w = self.at(newest, m)
            while w.as_of < as_of:
                w = step(w, self.rollups, m)
            self._save(w, m)
        return w

    def at(self, as_of: date, m: Manifest) -> UsageWindow:
        """The window as of ``as_of``: stored, slid forward from a stored one at most ``MAX_STEPS`` days
        older, or built from the tiers; stored for next time."""
        stored = self._stored(m)
        w = None
        for start in sorted((d for d in stored if d <= as_of and (as_of - d).days <= self.MAX_STEPS), reverse=True):
            w = self._load(start, stored[start])
            if w is not None:
                break
        if w is not None and w.as_of == as_of:
            return w
        if w is not None:
            while w.as_of < as_of:
                w = step(w, self.rollups, m)
        else:
            w = self._build(as_of)
        self._save(w, m)
        return w

    def _build(self, as_of: date) -> UsageWindow:
        con = ibis.duckdb.from_connection(duck.connect())
        try:
            return build(self.rollups.tiers(con, as_of), as_of)
        finally:
            con.disconnect()

    def _stored(self, m: Manifest) -> dict[date, Path]:
        """Stored windows still valid for the rollups of ``m`` (the newest generation of each day)."""
        pairs = sorted((d, g) for files in m.files.values() for d, g in files.items())
        days = [d for d, _ in pairs]
        newest = list(itertools.accumulate((g for _, g in pairs), max))  # newest generation up to each day
        out = {}
        for as_of, gen, path in sorted(self._folders(), key=lambda x: x[1]):
            before = bisect.bisect_left(days, as_of.isoformat())
            if before == 0 or newest[before - 1] <= gen:
                out[as_of] = path
        return out

    def _folders(self) -> list[tuple[date, int, Path]]:
        out = []
        for path in self.root.iterdir() if self.root.exists() else []:
            day, _, gen = path.name.partition(".g")
            try:
                out.append((date.fromisoformat(day), int(gen), path))
            except ValueError:  # another process's temporary folder
                continue
        return out

    def _load(self, as_of: date, path: Path) -> UsageWindow | None:
        """A stored window, or None if it cannot be read (windows are written without fsync: after a crash
        one may be torn, and is then simply made again)."""
        try:
            return UsageWindow(as_of, *(read_ipc(path / f"{p}.arrow") for p in PARTS))
        except (OSError, pa.ArrowInvalid):
            shutil.rmtree(path, ignore_errors=True)
            return None

    def _save(self, w: UsageWindow, m: Manifest) -> None:
        """Written to a temporary folder and renamed into place: a reader sees a whole window or none."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / f"{w.as_of.isoformat()}.g{m.generation}"
        tmp = self.root / f".{final.name}.{os.getpid()}.tmp"
        tmp.mkdir(exist_ok=True)
        for part in PARTS:  # a cache of the rollups: not fsynced (see ``_load``)
            write_ipc(tmp / f"{part}.arrow", getattr(w, part), durable=False)
        try:
            os.rename(tmp, final)
        except OSError:  # another process stored the same window first
            shutil.rmtree(tmp, ignore_errors=True)
        valid = sorted(self._stored(m).items())
        keep = {path for _, path in valid[-self.KEEP :]}
        for _, _, path in self._folders():
            if path not in keep:
                shutil.rmtree(path, ignore_errors=True)
