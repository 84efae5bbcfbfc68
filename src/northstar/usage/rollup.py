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
import functools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from northstar.duck import unbound
from northstar.files import fsync_dir
from northstar.usage.store import SCHEMA, EventStore

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
USER_DAY_COUNTS = pa.schema([f for f in USER_DAY if f.name != "prev_day"])
STATE_LOG = USER_DAY.append(pa.field("gen", pa.int64()))
EVENTS = pa.schema([SCHEMA.field(c) for c in ("account_id", "user_id", "contact_id", "event", "timestamp")])
TIERS = {"user_day": USER_DAY, "account_day": ACCOUNT_DAY, "feature_day": FEATURE_DAY}
#: State files kept before they are folded into one (after a refresh step).
STATE_FILES = 8
#: The log is also folded once its rows reach this multiple of the base's: a batch's users are looked up in
#: the whole log, so its size bounds a refresh's cost; folding costs one pass over it (amortised per batch).
STATE_GROWTH = 2.0
#: Events rolled up per step: bounds memory when a long history arrives in many batches.
STEP_EVENTS = 4_000_000
#: Steps up to this many events are read into memory once; larger ones are streamed from the files.
SMALL_STEP = 1_000_000


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


def newest_per_user(rows: ir.Table) -> ir.Table:
    """The newest row of each (account, user): by day, then by ``gen`` (the later state file) if present."""
    order = [ibis.desc(rows.day)] + ([ibis.desc(rows.gen)] if "gen" in rows.columns else [])
    ranked = rows.mutate(
        rn=ibis.row_number().over(ibis.window(group_by=[rows.account_id, rows.user_id], order_by=order))
    )
    return ranked.filter(ranked.rn == 0).drop("rn", *(["gen"] if "gen" in rows.columns else []))


# The store's upkeep queries: fixed expressions over tables it registers by name (see ``duck.run_compiled``).
def _merged_rows() -> ir.Table:
    """New user-day counts added to the stored ones of the same days (``_rows``)."""
    rows = unbound("_rows", USER_DAY_COUNTS)
    return rows.group_by(["day", "account_id", "user_id"]).aggregate(
        contact_id=rows.contact_id.max(), events=rows.events.sum()
    )


def _state_seed(rows: ir.Table) -> ir.Table:
    """From the users' state (``_state_log``), each user of ``rows``'s last active day before their first day
    (or the one before that, when the user was already seen on that day by an earlier batch)."""
    log = unbound("_state_log", STATE_LOG)
    st = newest_per_user(log.semi_join(rows, [log.account_id == rows.account_id, log.user_id == rows.user_id]))
    first = rows.day.min().as_scalar()
    return st.select("account_id", "user_id", seed_day=ibis.ifelse(st.day < first, st.day, st.prev_day))


def _fast_user_days() -> ir.Table:
    """User-day rows from the newest day on, seeded from the users' state."""
    rows = _merged_rows()
    return with_prev_day(rows, _state_seed(rows))


def _one_day_user_days() -> ir.Table:
    """``_fast_user_days`` when the rows are all of one day (the usual batch): each user's previous day is
    its seed, with no ``lag`` over the user's days to compute."""
    rows = _merged_rows()
    seed = _state_seed(rows)
    t = rows.left_join(seed, [rows.account_id == seed.account_id, rows.user_id == seed.user_id])
    return _cast(t.select(*[t[c] for c in rows.columns], prev_day=t.seed_day), USER_DAY)


def _slow_user_days() -> ir.Table:
    """User-day rows from a past day on, seeded from every older row (``_older``)."""
    older = unbound("_older", USER_DAY)
    return with_prev_day(_merged_rows(), older.group_by(["account_id", "user_id"]).aggregate(seed_day=older.day.max()))


def _merged_features() -> ir.Table:
    fr = unbound("_feat", FEATURE_DAY)
    return _cast(fr.group_by(["day", "account_id", "event"]).aggregate(events=fr.events.sum()), FEATURE_DAY)


def _latest_activity() -> ir.Table:
    both = unbound("_accounts", LAST_ACTIVE)
    return _cast(both.group_by("account_id").aggregate(last_active=both.last_active.max()), LAST_ACTIVE)


#: Every upkeep query by name: ``prepare`` compiles them ahead, e.g. when a server starts.
UPKEEP: dict[str, Callable[[], ir.Table]] = {
    "fresh": lambda: user_day_counts(unbound("_events", EVENTS)),
    "user_day.fast": _fast_user_days,
    "user_day.one_day": _one_day_user_days,
    "user_day.slow": _slow_user_days,
    "feature_day.fresh": lambda: feature_days(unbound("_events", EVENTS)),
    "feature_day": _merged_features,
    "newest": lambda: newest_per_user(unbound("_ud", USER_DAY)),
    "accounts": _latest_activity,
    "account_day": lambda: account_days(unbound("_ud", USER_DAY)),
    "fold": lambda: newest_per_user(unbound("_state_log", STATE_LOG)),
}


def prepare() -> None:
    """Compile the upkeep queries now rather than on the first batch (a process that takes in events all day
    pays this once)."""
    from northstar import duck

    for key, build in UPKEEP.items():
        duck.compile_once(f"rollup.{key}", build)


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
        tables = [read_ipc(m.path(self.root, tier, d)) for d in m.days(tier, start, end)]
        return pa.concat_tables(tables) if tables else TIERS[tier].empty_table()

    def _window(self, tier: str, start: date, end: date, m: Manifest) -> pa.Table:
        """A tier's rows for a query: event names dictionary-encoded (grouping by them is then cheaper)."""
        t = self.read(tier, start, end, m)
        if tier == "feature_day":
            t = t.set_column(t.schema.get_field_index("event"), "event", pc.dictionary_encode(t.column("event")))
        return t

    def _state_log(self, m: Manifest) -> pa.Table:
        """The users' state files as one table, each row tagged with its file's generation (``gen``)."""
        tables = []
        for g in m.state:
            t = read_ipc(self.root / f"state.g{g}.arrow")
            tables.append(t.append_column("gen", pa.repeat(pa.scalar(g, pa.int64()), t.num_rows)))
        return pa.concat_tables(tables) if tables else STATE_LOG.empty_table()

    def last_active(self, m: Manifest | None = None) -> pa.Table:
        """Each account's last active day (as of the newest day rolled up)."""
        m = m or self.manifest()
        path = self.root / f"accounts.g{m.generation}.arrow"
        return read_ipc(path) if path.exists() else LAST_ACTIVE.empty_table()

    def tiers(self, con: ibis.BaseBackend, as_of: date, days: int = 90) -> Tiers:
        """The tiers for windows of up to ``days`` days ending at ``as_of``, registered on ``con`` (DuckDB)."""
        m = self.manifest()
        start = as_of - timedelta(days=days)
        t = {tier: register(con, f"_{tier}", self._window(tier, start, as_of, m)) for tier in TIERS}
        if m.max_day is not None and as_of > date.fromisoformat(m.max_day):
            last = register(con, "_last_active", self.last_active(m))
        else:  # an earlier as_of: the last active day before it, from every older account-day file
            ad = register(con, "_history", self.read("account_day", None, as_of, m))
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
                if len(m.state) > STATE_FILES or self._state_rows(m.state[1:]) > STATE_GROWTH * max(
                    self._state_rows(m.state[:1]), 1
                ):
                    m = self._fold(m)
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
        keep = {f"{tier}/{d}.g{g}.arrow" for tier in TIERS for d, g in m.files[tier].items()}
        keep |= {f"state.g{g}.arrow" for g in m.state}
        for folder in ("", *TIERS):
            try:
                entries = list(os.scandir(self.root / folder))
            except FileNotFoundError:
                continue
            for entry in entries:
                name = f"{folder}/{entry.name}" if folder else entry.name
                if ".g" in entry.name and name not in keep and _generation(Path(entry.name)) < m.generation - 1:
                    os.unlink(entry.path)

    def _state_rows(self, gens: list[int]) -> int:
        return sum(read_ipc(self.root / f"state.g{g}.arrow").num_rows for g in gens)

    def _fold(self, m: Manifest) -> Manifest:
        """Replace the users' state log by one file with the newest row of every user."""
        from northstar import duck

        con = duck.cursor()
        try:
            con.register("_state_log", self._state_log(m))
            folded = duck.run_compiled(con, "rollup.fold", UPKEEP["fold"])
        finally:
            con.close()
        gen = m.generation + 1
        write_ipc(self.root / f"state.g{gen}.arrow", folded.cast(USER_DAY))
        write_ipc(self.root / f"accounts.g{gen}.arrow", self.last_active(m))
        return self._commit(Manifest(gen, m.batches, m.files, m.max_day, [gen]))

    def _apply(self, m: Manifest, batches: list[Path]) -> Manifest:
        """Roll up ``batches`` on top of ``m`` and commit the result as the next generation.

        Every query is one of the fixed expressions of ``UPKEEP`` over tables registered by name (``q``),
        compiled once per process: on a day's batch, compiling them each time would cost more than running them."""
        from northstar import duck

        con = duck.cursor()

        def q(key: str, **tables: pa.Table) -> pa.Table:
            for name, data in tables.items():
                con.register(name, data)
            return duck.run_compiled(con, f"rollup.{key}", UPKEEP[key])

        try:
            n = sum(pq.ParquetFile(b).metadata.num_rows for b in batches)
            if n <= SMALL_STEP:  # read once and shared by the queries
                con.register("_events", _read_events(batches))
            else:  # streamed from the files
                files = ", ".join(duck.literal(str(b)) for b in batches)
                cols = ", ".join(EVENTS.names)
                con.execute(f"CREATE TEMP VIEW _events AS SELECT {cols} FROM read_parquet([{files}])")
            fresh = q("fresh")
            tables: dict[str, pa.Table] = {}
            accounts = self.last_active(m)
            delta = USER_DAY.empty_table()
            if fresh.num_rows:
                first = pc.min(fresh.column("day")).as_py()
                old = self.read("user_day", first, None, m).drop(["prev_day"])
                rows = pa.concat_tables([old, fresh.select(old.column_names).cast(old.schema)])
                one_day = pc.count_distinct(rows.column("day")).as_py() == 1  # the usual case: one row a user
                if m.max_day is None or first >= date.fromisoformat(m.max_day):
                    # the usual case: each batch user's previous day comes from the users' state
                    ud = q(
                        "user_day.one_day" if one_day else "user_day.fast", _rows=rows, _state_log=self._state_log(m)
                    )
                else:  # history arrived: seed from every older day
                    ud = q("user_day.slow", _rows=rows, _older=self.read("user_day", None, first, m))
                feats = q("feature_day.fresh")
                touched = sorted(
                    {d.isoformat() for d in pc.unique(feats.column("day")).to_pylist()} & set(m.files["feature_day"])
                )
                old_f = [read_ipc(m.path(self.root, "feature_day", d)) for d in touched]
                fd = q("feature_day", _feat=pa.concat_tables([*old_f, feats.cast(FEATURE_DAY)]))
                delta = ud if one_day else q("newest", _ud=ud)  # each user's newest row
                both = pa.concat_tables(
                    [accounts, pa.Table.from_arrays([delta["account_id"], delta["day"]], schema=LAST_ACTIVE)]
                )
                accounts = q("accounts", _accounts=both)
                tables = {
                    "user_day": ud,
                    "account_day": q("account_day", _ud=ud),
                    "feature_day": fd,
                }
        finally:
            con.close()
        return self._write(m, tables, delta, accounts, batches)

    def _write(
        self, m: Manifest, tables: dict[str, pa.Table], delta: pa.Table, accounts: pa.Table, batches: list[Path]
    ) -> Manifest:
        gen = m.generation + 1
        files = {t: dict(v) for t, v in m.files.items()}
        for tier, table in tables.items():
            (self.root / tier).mkdir(parents=True, exist_ok=True)
            table = table.cast(TIERS[tier])
            for day, part in _by_day(table):
                write_ipc(self.root / tier / f"{day}.g{gen}.arrow", part)
                files[tier][day] = gen
        write_ipc(self.root / f"state.g{gen}.arrow", delta.cast(USER_DAY))
        write_ipc(self.root / f"accounts.g{gen}.arrow", accounts.cast(LAST_ACTIVE))
        days = [d for v in files.values() for d in v]
        batches_done = {**m.batches, **{b.name: b.stat().st_mtime_ns for b in batches}}
        return self._commit(Manifest(gen, batches_done, files, max(days) if days else None, [*m.state, gen]))

    def _commit(self, m: Manifest) -> Manifest:
        """Replace the manifest atomically and durably: the one step that makes a new generation visible."""
        tmp = self.root / "manifest.json.tmp"
        with open(tmp, "w") as fh:
            fh.write(json.dumps(vars(m)))  # not asdict: it deep-copies thousands of entries
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / "manifest.json")
        fsync_dir(self.root)
        return m


# ------------------------------------------------------------------------------------------------ helpers
def _steps(batches: list[Path]) -> Iterator[list[Path]]:
    """Batches grouped into steps of about ``STEP_EVENTS`` events (one batch may exceed it alone)."""

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


def _read_events(batches: list[Path]) -> pa.Table:
    """The columns the tiers need from event batches (read once, shared by the tiers' queries)."""
    return pa.concat_tables([pq.read_table(b, columns=EVENTS.names).cast(EVENTS) for b in batches])


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


def write_ipc(path: Path, table: pa.Table, durable: bool = True) -> None:
    tmp = path.with_suffix(".tmp")
    with pa.OSFile(str(tmp), "wb") as sink:
        with ipc.new_file(sink, table.schema) as writer:  # uncompressed: memory-mapped reads copy nothing
            writer.write_table(table)
        sink.flush()
        if durable:
            os.fsync(sink.fileno())
    os.replace(tmp, path)


def read_ipc(path: Path) -> pa.Table:
    return ipc.open_file(pa.memory_map(str(path))).read_all()


@functools.lru_cache(maxsize=2048)
def read_ipc_kept(path: Path) -> pa.Table:
    """``read_ipc``, the table kept open for the next reader in this process (a page that picks one account
    out of a few hundred day files would otherwise spend most of its time opening them). Safe because a
    rollup file never changes: a new version is a new generation, a new name; a removed file stays readable
    while mapped. The tables are memory maps: keeping them costs address space, not heap."""
    return read_ipc(path)


def _generation(path: Path) -> int:
    try:
        return int(path.name.rsplit(".g", 1)[1].split(".")[0])
    except (IndexError, ValueError):
        return -1


def register(con: ibis.BaseBackend, name: str, data: pa.Table) -> ir.Table:
    """An Arrow table as a table of ``con`` (DuckDB: registered without copying)."""
    con.con.register(name, data)  # type: ignore[attr-defined]
    return con.table(name)
