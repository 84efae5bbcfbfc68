"""Daily usage rollups, maintained as event batches arrive, that make usage metrics cheap.

Usage metrics look at trailing windows (1, 7, 30, 90 days) for every account, again and again. Three
tables ("tiers") hold everything they need, one row per key and day:

* ``user_day`` (day, account_id, user_id, contact_id, events, prev_day): one row per user active on a day,
  with ``prev_day``, the user's previous active day (Ibis ``lag`` over the user's days). The number of
  distinct users active in any window ``[a, b)`` is then a plain count, with no per-user grouping: the rows
  in the window whose ``prev_day`` is before ``a`` (each active user's first day in the window).
* ``account_day`` (day, account_id, events, users): events and distinct users per account and day.
* ``feature_day`` (day, account_id, event, events): per-feature counts.

The tiers are definitions over events (``user_days``, ``account_days``, ``feature_days``: portable Ibis,
the tests run them on PostgreSQL too). On the embedded store they are kept in ``rollups/`` as one Arrow IPC
file per tier and day (memory-mapped to read: opening 90 of them costs milliseconds), listed by a manifest
that also records which event batches are included. ``refresh`` rolls up the batches not yet included:

* the usual case, a batch of today's events (or anything not older than the newest day rolled up), touches
  only the newest day's files; each user's ``prev_day`` comes from ``state``, the last row of every user;
* a batch reaching further back (an import of history) recomputes the days from its first day on, seeding
  ``prev_day`` from the older files.

Each step writes new files under a new generation number and then replaces the manifest atomically, so a
crash leaves the previous, consistent rollups (and unreferenced files that the next refresh removes);
readers never see a half-applied batch. A batch that changed or vanished after it was rolled up makes the
next refresh rebuild everything. ``rebuild`` recomputes from nothing and gives the same tiers (tested).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from northstar.usage.store import EventStore

USER_DAY = pa.schema(
    [
        ("day", pa.date32()),
        ("account_id", pa.int64()),
        ("user_id", pa.string()),
        ("contact_id", pa.int64()),
        ("events", pa.int64()),
        ("prev_day", pa.date32()),
    ]
)
ACCOUNT_DAY = pa.schema(
    [("day", pa.date32()), ("account_id", pa.int64()), ("events", pa.int64()), ("users", pa.int64())]
)
FEATURE_DAY = pa.schema(
    [("day", pa.date32()), ("account_id", pa.int64()), ("event", pa.string()), ("events", pa.int64())]
)
LAST_ACTIVE = pa.schema([("account_id", pa.int64()), ("last_active", pa.date32())])
TIERS = {"user_day": USER_DAY, "account_day": ACCOUNT_DAY, "feature_day": FEATURE_DAY}
#: State files kept before they are folded into one.
STATE_FILES = 8
#: Events rolled up per step: bounds memory when a long history arrives in many batches.
STEP_EVENTS = 4_000_000


# ---------------------------------------------------------------------------------------- the definitions
def _cast(t: ir.Table, schema: pa.Schema) -> ir.Table:
    return t.select(*[t[f.name].cast(ibis.dtype(f.type)).name(f.name) for f in schema])


def user_day_counts(events: ir.Table) -> ir.Table:
    """Events per (day, account, user), with the user's contact: the user-day rows before ``prev_day``."""
    e = events.filter(events.account_id.notnull())
    return e.group_by(day=e.timestamp.date(), account_id=e.account_id, user_id=e.user_id).aggregate(
        contact_id=e.contact_id.max(), events=e.count()
    )


def user_days(events: ir.Table, seed: ir.Table | None = None) -> ir.Table:
    """One row per (day, account, user) with events, and ``prev_day``: the user's previous active day.

    ``seed`` (account_id, user_id, seed_day) gives the previous active day of each user's first row when
    ``events`` is only the tail of the history."""
    return with_prev_day(user_day_counts(events), seed)


def with_prev_day(rows: ir.Table, seed: ir.Table | None = None) -> ir.Table:
    """Add ``prev_day`` to user-day rows (``lag`` of ``day`` over each account's user, by day)."""
    prev = rows.day.lag().over(ibis.window(group_by=[rows.account_id, rows.user_id], order_by=rows.day))
    # events with no user have no "previous day of the user" (and are never counted as users)
    t = rows.mutate(prev_day=ibis.ifelse(rows.user_id.isnull(), ibis.null("date"), prev))
    if seed is not None:
        t = t.left_join(seed, [t.account_id == seed.account_id, t.user_id == seed.user_id]).select(
            *[t[c] for c in rows.columns], prev_day=ibis.coalesce(t.prev_day, seed.seed_day)
        )  # a NULL user matches no seed: its prev_day stays NULL
    return _cast(t, USER_DAY)


def account_days(user_day: ir.Table) -> ir.Table:
    """Events and distinct (known) users per account and day, from the user-day rows."""
    t = user_day.group_by(["day", "account_id"]).aggregate(events=user_day.events.sum(), users=user_day.user_id.count())
    return _cast(t, ACCOUNT_DAY)


def feature_days(events: ir.Table) -> ir.Table:
    """Events per account, feature (event name) and day."""
    e = events.filter(events.account_id.notnull())
    t = e.group_by(day=e.timestamp.date(), account_id=e.account_id, event=e.event).aggregate(events=e.count())
    return _cast(t, FEATURE_DAY)


@dataclass
class Tiers:
    """The three tiers over a span of days, plus each account's last active day before ``as_of`` (for
    days since last activity), as Ibis tables on one backend."""

    user_day: ir.Table
    account_day: ir.Table
    feature_day: ir.Table
    last_active: ir.Table  # account_id, last_active


def tiers_from_events(events: ir.Table, as_of: date) -> Tiers:
    """Every tier straight from raw events: the reference the stored rollups must equal, and the way to
    compute usage metrics on an engine that holds events (PostgreSQL, Spark) without the embedded store."""
    before = events.filter(events.timestamp < ibis.literal(as_of).cast("timestamp"))
    ud = user_days(before)
    last = ud.group_by("account_id").aggregate(last_active=ud.day.max())
    return Tiers(ud, account_days(ud), feature_days(before), last)


# ---------------------------------------------------------------------------------------------- the store
@dataclass
class Manifest:
    """What the rollup folder holds: the event batches included and, per tier and day, the generation of
    its file (``<tier>/<day>.g<generation>.arrow``); ``state.g<generation>.arrow`` is the users' state."""

    generation: int = 0
    batches: dict[str, int] = field(default_factory=dict)  # event batch name -> mtime_ns when rolled up
    files: dict[str, dict[str, int]] = field(default_factory=lambda: {t: {} for t in TIERS})
    max_day: str | None = None
    #: Generations of the users' state files: a base, then the newest rows of each later refresh.
    state: list[int] = field(default_factory=list)

    def path(self, root: Path, tier: str, day: str) -> Path:
        return root / tier / f"{day}.g{self.files[tier][day]}.arrow"

    def days(self, tier: str, start: date | None = None, end: date | None = None) -> list[str]:
        lo, hi = start.isoformat() if start else "", end.isoformat() if end else "9999"
        return sorted(d for d in self.files[tier] if lo <= d < hi)

    @classmethod
    def load(cls, root: Path) -> Manifest:
        path = root / "manifest.json"
        return cls(**json.loads(path.read_text())) if path.exists() else cls()


class RollupStore:
    """The tiers of an event store, kept in ``root`` (see the module docstring)."""

    def __init__(self, events: EventStore, root: Path) -> None:
        self.events = events
        self.root = root

    # ----------------------------------------------------------------------------- reading
    def manifest(self) -> Manifest:
        return Manifest.load(self.root)

    def read(
        self, tier: str, start: date | None = None, end: date | None = None, m: Manifest | None = None
    ) -> pa.Table:
        """Rows of a tier with ``start <= day < end``, as one Arrow table (memory-mapped files)."""
        m = m or self.manifest()
        tables = [_read_ipc(m.path(self.root, tier, d)) for d in m.days(tier, start, end)]
        return pa.concat_tables(tables) if tables else TIERS[tier].empty_table()

    def _window(self, tier: str, start: date, end: date, m: Manifest) -> pa.Table:
        """A tier's rows for a query: event names dictionary-encoded (grouping by them is then cheaper)."""
        t = self.read(tier, start, end, m)
        if tier == "feature_day":
            t = t.set_column(t.schema.get_field_index("event"), "event", pc.dictionary_encode(t.column("event")))
        return t

    def _state(self, con: ibis.BaseBackend, m: Manifest, only: ir.Table | None = None) -> ir.Table:
        """The last user-day row of every user (``day`` = last active day, ``prev_day`` = the one before):
        the newest row per user across the base state file and the later ones (ties: the later file)."""
        tables = []
        for g in m.state:
            t = _read_ipc(self.root / f"state.g{g}.arrow")
            tables.append(t.append_column("gen", pa.array([g] * t.num_rows, pa.int64())))
        schema = USER_DAY.append(pa.field("gen", pa.int64()))
        st = _register(con, "_state_log", pa.concat_tables(tables) if tables else schema.empty_table())
        if only is not None:  # the users of ``only`` (before ranking: a batch's users, not every user)
            st = st.semi_join(only, [st.account_id == only.account_id, st.user_id == only.user_id])
        ranked = st.mutate(
            rn=ibis.row_number().over(
                ibis.window(group_by=[st.account_id, st.user_id], order_by=[ibis.desc(st.day), ibis.desc(st.gen)])
            )
        )
        return ranked.filter(ranked.rn == 0).drop("rn", "gen")

    def last_active(self, m: Manifest | None = None) -> pa.Table:
        """Each account's last active day (as of the newest day rolled up)."""
        m = m or self.manifest()
        path = self.root / f"accounts.g{m.generation}.arrow"
        return _read_ipc(path) if path.exists() else LAST_ACTIVE.empty_table()

    def tiers(self, con: ibis.BaseBackend, as_of: date, days: int = 90) -> Tiers:
        """The tiers for windows of up to ``days`` days ending at ``as_of``, registered on ``con`` (DuckDB)."""
        m = self.manifest()
        start = as_of - timedelta(days=days)
        t = {tier: _register(con, f"_{tier}", self._window(tier, start, as_of, m)) for tier in TIERS}
        if m.max_day is not None and as_of > date.fromisoformat(m.max_day):
            last = _register(con, "_last_active", self.last_active(m))
        else:  # an earlier as_of: the last active day before it, from every older account-day file
            ad = _register(con, "_history", self.read("account_day", None, as_of, m))
            last = ad.group_by("account_id").aggregate(last_active=ad.day.max())
        return Tiers(t["user_day"], t["account_day"], t["feature_day"], last)

    # ----------------------------------------------------------------------------- maintaining
    def refresh(self, on_progress: Callable[[int, int], None] | None = None) -> int:
        """Roll up every event batch not yet included; returns how many were."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            m = self.manifest()
            files = {b.name: b for b in self.events.files()}
            if any(name not in files or files[name].stat().st_mtime_ns != ns for name, ns in m.batches.items()):
                m = self._commit(Manifest(generation=m.generation + 1))  # a batch changed: start over
            self._sweep(m)
            todo = [files[name] for name in sorted(files) if name not in m.batches]
            done = 0
            for step in _steps(todo):
                m = self._apply(m, step)
                done += len(step)
                if on_progress:
                    on_progress(done, len(todo))
            return len(todo)

    def rebuild(self, on_progress: Callable[[int, int], None] | None = None) -> int:
        """Recompute every tier from the event batches."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._commit(Manifest(generation=self.manifest().generation + 1))
        return self.refresh(on_progress)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.root / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _sweep(self, m: Manifest) -> None:
        """Remove files the manifest does not name, except the newest generation's before it (a reader that
        read the previous manifest may still be opening them)."""
        keep = {m.path(self.root, tier, d) for tier in TIERS for d in m.files[tier]}
        keep |= {self.root / f"state.g{g}.arrow" for g in m.state}
        for path in self.root.rglob("*.g*.arrow"):
            if path not in keep and _generation(path) < m.generation - 1:
                path.unlink(missing_ok=True)

    def _apply(self, m: Manifest, batches: list[Path]) -> Manifest:
        """Roll up ``batches`` on top of ``m`` and commit the result as the next generation."""
        from northstar import duck

        con = ibis.duckdb.from_connection(duck.connect())
        try:
            events = con.read_parquet([str(b) for b in batches])
            fresh = user_day_counts(events).to_pyarrow()
            tables: dict[str, pa.Table] = {}
            accounts = self.last_active(m)
            delta = USER_DAY.empty_table()
            if fresh.num_rows:
                first = pc.min(fresh.column("day")).as_py()
                fast = m.max_day is None or first >= date.fromisoformat(m.max_day)
                old = self.read("user_day", first, None, m).drop(["prev_day"])
                rows = _register(con, "_rows", pa.concat_tables([old, fresh.select(old.column_names).cast(old.schema)]))
                rows = rows.group_by(["day", "account_id", "user_id"]).aggregate(
                    contact_id=rows.contact_id.max(), events=rows.events.sum()
                )
                if fast:  # each user's previous day comes from the state (of the users in this batch)
                    st = self._state(con, m, only=rows)
                    seed = st.select("account_id", "user_id", seed_day=ibis.ifelse(st.day < first, st.day, st.prev_day))
                else:  # history arrived: seed from every older day
                    older = _register(con, "_older", self.read("user_day", None, first, m))
                    seed = older.group_by(["account_id", "user_id"]).aggregate(seed_day=older.day.max())
                ud = _register(con, "_ud", with_prev_day(rows, seed).to_pyarrow())
                feats = feature_days(events).to_pyarrow()
                days = {d.isoformat() for d in pc.unique(feats.column("day")).to_pylist()}
                touched = sorted(days & set(m.files["feature_day"]))
                old_f = [_read_ipc(m.path(self.root, "feature_day", d)) for d in touched]
                fr = _register(con, "_feat", pa.concat_tables([*old_f, feats.cast(FEATURE_DAY)]))
                fd = _cast(fr.group_by(["day", "account_id", "event"]).aggregate(events=fr.events.sum()), FEATURE_DAY)
                newest = ud.mutate(
                    rn=ibis.row_number().over(
                        ibis.window(group_by=[ud.account_id, ud.user_id], order_by=ibis.desc(ud.day))
                    )
                )
                delta = newest.filter(newest.rn == 0).drop("rn").to_pyarrow()
                both = _register(
                    con,
                    "_accounts",
                    pa.concat_tables(
                        [accounts, pa.Table.from_arrays([delta["account_id"], delta["day"]], schema=LAST_ACTIVE)]
                    ),
                )
                accounts = both.group_by("account_id").aggregate(last_active=both.last_active.max()).to_pyarrow()
                tables = {
                    "user_day": ud.to_pyarrow(),
                    "account_day": account_days(ud).to_pyarrow(),
                    "feature_day": fd.to_pyarrow(),
                }
            state = m.state
            if len(m.state) >= STATE_FILES:  # fold the log into a new base
                _write_ipc(self.root / f"state.g{m.generation + 1}.arrow", delta.cast(USER_DAY))
                delta = self._state(con, Manifest(state=[*m.state, m.generation + 1])).to_pyarrow()
                state = []
        finally:
            con.disconnect()
        return self._write(m, tables, delta, state, accounts, batches)

    def _write(
        self,
        m: Manifest,
        tables: dict[str, pa.Table],
        delta: pa.Table,
        state: list[int],
        accounts: pa.Table,
        batches: list[Path],
    ) -> Manifest:
        gen = m.generation + 1
        files = {t: dict(v) for t, v in m.files.items()}
        for tier, table in tables.items():
            (self.root / tier).mkdir(parents=True, exist_ok=True)
            table = table.cast(TIERS[tier])
            for day, part in _by_day(table):
                _write_ipc(self.root / tier / f"{day}.g{gen}.arrow", part)
                files[tier][day] = gen
        _write_ipc(self.root / f"state.g{gen}.arrow", delta.cast(USER_DAY))
        _write_ipc(self.root / f"accounts.g{gen}.arrow", accounts.cast(LAST_ACTIVE))
        days = [d for v in files.values() for d in v]
        batches_done = {**m.batches, **{b.name: b.stat().st_mtime_ns for b in batches}}
        return self._commit(Manifest(gen, batches_done, files, max(days) if days else None, [*state, gen]))

    def _commit(self, m: Manifest) -> Manifest:
        """Replace the manifest atomically and durably: the one step that makes a new generation visible."""
        tmp = self.root / "manifest.json.tmp"
        with open(tmp, "w") as fh:
            json.dump(asdict(m), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / "manifest.json")
        _fsync_dir(self.root)
        return m


# ------------------------------------------------------------------------------------------------ helpers
def _steps(batches: list[Path]) -> Iterator[list[Path]]:
    """Batches grouped into steps of about ``STEP_EVENTS`` events (one batch may exceed it alone)."""
    import pyarrow.parquet as pq

    step: list[Path] = []
    rows = 0
    for b in batches:
        n = pq.ParquetFile(b).metadata.num_rows
        if step and rows + n > STEP_EVENTS:
            yield step
            step, rows = [], 0
        step.append(b)
        rows += n
    if step:
        yield step


def _by_day(table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """Slices of a table, one per day."""
    if table.num_rows == 0:
        return
    table = table.take(pc.sort_indices(table.column("day")))
    days = table.column("day")
    runs = pc.run_end_encode(days.combine_chunks())
    ends = runs.run_ends.to_pylist()
    values = runs.values.to_pylist()
    start = 0
    for end, day in zip(ends, values, strict=True):
        yield day.isoformat(), table.slice(start, end - start).combine_chunks()  # compact: not the parent's buffers
        start = end


def _write_ipc(path: Path, table: pa.Table) -> None:
    tmp = path.with_suffix(".tmp")
    with pa.OSFile(str(tmp), "wb") as sink:
        with ipc.new_file(sink, table.schema) as writer:  # uncompressed: memory-mapped reads copy nothing
            writer.write_table(table)
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(tmp, path)


def _read_ipc(path: Path) -> pa.Table:
    return ipc.open_file(pa.memory_map(str(path))).read_all()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _generation(path: Path) -> int:
    try:
        return int(path.name.rsplit(".g", 1)[1].split(".")[0])
    except (IndexError, ValueError):
        return -1


def _register(con: ibis.BaseBackend, name: str, data: pa.Table) -> ir.Table:
    """An Arrow table as a table of ``con`` (DuckDB: registered without copying)."""
    con.con.register(name, data)  # type: ignore[attr-defined]
    return con.table(name)
