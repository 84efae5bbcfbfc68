"""Usage features kept current by sliding their windows one day at a time.

``usage_features`` reads 90 days of rollups for every account. When a day of events arrives, almost all of
that is unchanged: moving ``as_of`` from day ``D`` to ``D + 1`` adds day ``D`` to every window and drops the
day that falls out of each (``D - 30`` from the last 30 days and into the 30 before, ``D - 60`` out of
those, ``D - 90`` out of the last 90). A ``UsageWindow`` holds what the figures are made of, so that a step
reads four days of rollups instead of ninety:

* ``accounts``: per account, the sums over each window (events, active days, user-days) and the last
  active day; a step adds the entering day's rows and subtracts the leaving days'.
* ``features``: per (account, feature), events over the last 30 days and the 30 before; the same way.
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
the days it reads. The figures are fixed Ibis expressions over tables registered by name, compiled once per
process (``duck.run_compiled``); ages rather than dates keep them free of literals.
"""

from __future__ import annotations

import os
import shutil
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
FEATURES = pa.schema([("account_id", _I), ("event", pa.string()), ("events_30d", _I), ("events_prev_30d", _I)])
RECENCY = pa.schema([("account_id", _I), ("age", _I), ("users", _I)])
#: Users active on the entering day, with the age of their previous active day (null: none).
ARRIVALS = pa.schema([("account_id", _I), ("prev_age", _I)])
PARAMS = pa.schema([("as_of", pa.date32())])
SUMS = ACCOUNTS.names[2:]
PARTS = ("accounts", "features", "recent", "earlier")
EPOCH = date(1970, 1, 1)
#: Bumped when what a stored window holds changes (its folder is then ignored and built anew).
FORMAT = 1


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

    return UsageWindow(
        as_of,
        sorted_(acc, ACCOUNTS, ["account_id"]),
        sorted_(feature_counts(tiers, as_of), FEATURES, ["account_id", "event"]),
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
    for c, delta in zip(cols, sums, strict=True):
        c = c.copy()  # the window's arrays may be memory-mapped, read-only
        c[pos[hit]] += delta[hit]
        out.append(placed(c, delta[fresh]))
    return placed(keys, uk[fresh]), out


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


def _step_features(f: pa.Table, days: dict[int, pa.Table]) -> pa.Table:
    """``days``: feature-day rows by age (1 enters the last 30 days, 31 moves to the 30 before, 61 leaves)."""
    columns = [f.column("event"), *(d.column("event") for d in days.values())]
    names = pc.unique(pa.chunked_array([c for col in columns for c in col.chunks], pa.string()))
    catalogue = names.take(pc.sort_indices(names))  # sorted: codes keep the window's (account, event) order
    if len(catalogue) > 0xFFFF:
        raise ValueError(f"{len(catalogue):,} distinct event names: usage windows take at most 65,535")

    def key(t: pa.Table) -> np.ndarray:
        code = pc.index_in(t.column("event"), value_set=catalogue).to_numpy().astype(np.int64)
        return (_np(t, "account_id") << 16) | code

    sign = {1: (1, 0), 31: (-1, 1), 61: (0, -1)}
    keys, (e30, prev) = _merge(
        key(f),
        [_np(f, "events_30d"), _np(f, "events_prev_30d")],
        np.concatenate([key(d) for d in days.values()]),
        [np.concatenate([sign[a][i] * _np(d, "events") for a, d in days.items()]) for i in (0, 1)],
    )
    keep = (e30 != 0) | (prev != 0)
    keys = keys[keep]
    return pa.table(
        {
            "account_id": keys >> 16,
            "event": catalogue.take(pa.array(keys & 0xFFFF)),
            "events_30d": e30[keep],
            "events_prev_30d": prev[keep],
        },
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

    return UsageWindow(
        new,
        _step_accounts(w.accounts, {a: day_rows("account_day", a) for a in (1, 31, 61, 91)}, new),
        _step_features(w.features, {a: day_rows("feature_day", a) for a in (1, 31, 61)}),
        _step_recency(w.recent, _arrivals(day_rows("user_day", 1), new), 90),
        _step_recency(w.earlier, _arrivals(day_rows("user_day", 31), new - timedelta(days=30)), 30),
    )


# ------------------------------------------------------------------------------------------- the figures
def _usage() -> ir.Table:
    acc, f = unbound("_acc", ACCOUNTS), unbound("_feat", FEATURES)
    rec, ear = unbound("_rec", RECENCY), unbound("_ear", RECENCY)
    users = rec.group_by("account_id").aggregate(
        users_1d=rec.users.sum(where=rec.age <= 1),
        users_7d=rec.users.sum(where=rec.age <= 7),
        users_30d=rec.users.sum(where=rec.age <= 30),
        users_90d=rec.users.sum(),
    )
    before = ear.group_by("account_id").aggregate(users_prev_30d=ear.users.sum())
    used = f.filter(f.events_30d > 0)
    breadth = used.group_by("account_id").aggregate(features_30d=used.count())
    t = acc.left_join(users, "account_id").left_join(before, "account_id").left_join(breadth, "account_id")
    return finish_usage(t, used.event.nunique().as_scalar(), unbound("_params", PARAMS).as_of.max().as_scalar())


def _feature_usage() -> ir.Table:
    rec = unbound("_rec", RECENCY)
    active = rec.group_by("account_id").aggregate(account_users=rec.users.sum(where=rec.age <= 30))
    return finish_feature_usage(unbound("_feat", FEATURES), active)


def figures(w: UsageWindow) -> tuple[pa.Table, pa.Table]:
    """The tables of ``usage_features`` and ``feature_usage`` as of ``w.as_of`` (rows unordered)."""
    con = duck.connect()
    try:
        for name, data in (("_acc", w.accounts), ("_feat", w.features), ("_rec", w.recent), ("_ear", w.earlier)):
            con.register(name, data)
        con.register("_params", pa.table({"as_of": [w.as_of]}, schema=PARAMS))
        return (
            duck.run_compiled(con, "usage_window.usage", _usage),
            duck.run_compiled(con, "usage_window.feature_usage", _feature_usage),
        )
    finally:
        con.close()


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
        out = {}
        for as_of, gen, path in sorted(self._folders(), key=lambda x: x[1]):
            if all(g <= gen for files in m.files.values() for d, g in files.items() if d < as_of.isoformat()):
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
