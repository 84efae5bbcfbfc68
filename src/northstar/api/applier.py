"""Applying the intake log to the stores: accounts and contacts in the database, events in columnar files.

The tracking API only appends to the write-ahead log (``northstar.api.wal``); this applier follows it. A step
takes the records after the last applied one (up to :data:`STEP_BYTES`), and in one pass:

1. turns their messages into columns inside DuckDB (``json_transform``: no Python object per event);
2. applies ``identify``, ``group`` and ``alias`` calls to accounts, contacts and tracked users, in order
   (``northstar.api.identities``; upserts, so a replayed call changes nothing);
3. drops events whose ``messageId`` was seen before (``northstar.api.seen``): a retried message is kept once;
4. finds each event's account: the account of ``context.groupId`` when the event names one, else the
   account the user was linked to by ``group`` (following ``alias``). Events without one yet are *held*
   and tried again at every step, so a ``track`` before its user's ``group`` call is attached once it comes;
5. writes the attached events as one Parquet batch of the event store, named after the last record
   (``batch-<time>-wal<seq>.parquet``), and the held ones as ``held/held-<seq>.parquet``;
6. commits by replacing ``applied.json`` (the last applied record and the held file) atomically.

Exactly once: after a crash, event batches and held files newer than ``applied.json`` are deleted and their
records applied again. The seen-ids set is rebuilt at start from the recent intake batches and the held file,
so a message acknowledged twice (a client's retry) is still stored once. Segments of the log whose records
are all applied are deleted.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select

from northstar import duck
from northstar.api import wal
from northstar.api.identities import Call, Identities
from northstar.api.seen import SeenIds
from northstar.config import Settings
from northstar.db.engine import session_scope
from northstar.files import fsync_dir
from northstar.usage.models import TrackedUser
from northstar.usage.store import EventStore

log = logging.getLogger(__name__)

#: A step reads at most this much of the log (about 50,000 events of a typical SDK): it bounds the memory.
STEP_BYTES = 16 * 1024 * 1024
TAG = re.compile(r"-wal(\d{16})\.parquet$")
HELD_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("user_id", pa.string()),
        ("group_key", pa.string()),  # context.groupId, when the event named its account
        ("event", pa.string()),
        ("timestamp", pa.timestamp("us")),
        ("properties", pa.string()),
    ]
)
_SHAPE = json.dumps(
    {
        "messages": [
            {
                "type": "VARCHAR",
                "messageId": "VARCHAR",
                "userId": "VARCHAR",
                "anonymousId": "VARCHAR",
                "timestamp": "TIMESTAMP",
                "event": "VARCHAR",
                "groupId": "VARCHAR",
                "previousId": "VARCHAR",
                "traits": "JSON",
                "properties": "JSON",
                "context": {"groupId": "VARCHAR", "locale": "VARCHAR"},
            }
        ]
    }
)
_MESSAGES = f"""
SELECT seq, i, m.type, m.messageId AS message_id, m.userId AS user_id, m.anonymousId AS anonymous_id,
       m.timestamp, m.event, m.groupId AS group_id, m.previousId AS previous_id, m.traits, m.properties,
       m.context.groupId AS context_group, m.context.locale AS locale
FROM (SELECT seq, generate_subscripts(j.messages, 1) AS i, unnest(j.messages) AS m
      FROM (SELECT seq, json_transform(payload, '{_SHAPE}') AS j FROM _records))
"""
_EVENTS = """
SELECT message_id AS event_id, coalesce(user_id, anonymous_id) AS user_id, context_group AS group_key,
       CASE type WHEN 'track' THEN event WHEN 'page' THEN 'page_view' ELSE 'screen_view' END AS event,
       timestamp,
       CAST(CASE WHEN type <> 'track' AND event IS NOT NULL
            THEN json_merge_patch(json_object('name', event), coalesce(properties, '{}'::JSON))
            ELSE properties END AS VARCHAR) AS properties
FROM _messages WHERE type IN ('track', 'page', 'screen') ORDER BY seq, i
"""
_CALLS = """
SELECT type, user_id, anonymous_id, timestamp, group_id, previous_id, CAST(traits AS VARCHAR) AS traits, locale
FROM _messages WHERE type IN ('identify', 'group', 'alias') ORDER BY seq, i
"""
_ATTACH = """
SELECT e.event_id, CASE WHEN e.group_key IS NOT NULL THEN g.id ELSE u.account_id END AS account_id,
       u.contact_id, e.user_id, e.event, e.timestamp, e.properties, e.group_key
FROM _events e LEFT JOIN _groups g ON g.external_id = e.group_key LEFT JOIN _users u ON u.key = e.user_id
"""


@dataclass
class Applied:
    """What one step (or a run of steps) did."""

    records: int = 0
    bytes: int = 0  # of log read
    events: int = 0  # written to the event store
    repeats: int = 0  # dropped: their messageId was stored before
    held: int = 0  # waiting for their user's account, after the step
    calls: int = 0  # identify, group and alias
    last_seq: int = 0

    def add(self, other: Applied) -> None:
        self.records += other.records
        self.bytes += other.bytes
        self.events += other.events
        self.repeats += other.repeats
        self.calls += other.calls
        self.held, self.last_seq = other.held, other.last_seq


class ApplierBusy(RuntimeError):
    """Another process is applying this intake log."""


def applied_seq(settings: Settings) -> int:
    """The last record applied (the log's writer numbers new records after it, see ``WriteAheadLog``)."""
    path = settings.intake_dir / "applied.json"
    return int(json.loads(path.read_text())["seq"]) if path.exists() else 0


def intake_status(settings: Settings) -> dict[str, int]:
    """Log segments and bytes, the last record logged and applied, records waiting, events held."""
    root = settings.intake_dir
    listed = wal.segments(root / "wal") if (root / "wal").exists() else []
    applied = applied_seq(settings)
    last = applied
    for seq, _ in wal.records(root / "wal", applied) if listed else ():
        last = seq
    state = root / "applied.json"
    held = json.loads(state.read_text()).get("held") if state.exists() else None
    return {
        "segments": len(listed),
        "log_bytes": sum(p.stat().st_size for _, p in listed),
        "last_record": last,
        "applied": applied,
        "waiting": last - applied,
        "held": pq.ParquetFile(root / "held" / held).metadata.num_rows if held else 0,
    }


class Applier:
    """Applies ``settings.intake_dir/wal`` to the stores. One per intake folder at a time (a file lock)."""

    def __init__(self, settings: Settings, step_bytes: int = STEP_BYTES, seen: SeenIds | None = None) -> None:
        self.settings = settings
        self.root = settings.intake_dir
        self.log_dir = self.root / "wal"
        self.held_dir = self.root / "held"
        self.events = EventStore(settings.events_dir)
        self.step_bytes = step_bytes
        self.seen = seen or SeenIds()
        self.links = Links()
        self._lock_file = None
        self.seq, self.held_file = 0, None

    # ----------------------------------------------------------------------------- state
    def open(self, wait: bool = False) -> Applier:
        """Take the intake's applier lock, then recover (see the module docstring). ``ApplierBusy`` if taken."""
        self.held_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.root / "applier.lock", "a+")  # noqa: SIM115 - held while applying
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            self._lock_file.close()
            self._lock_file = None
            raise ApplierBusy(f"another process is applying {self.root}") from None
        self._recover()
        return self

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self) -> Applier:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _state_path(self) -> Path:
        return self.root / "applied.json"

    def _recover(self) -> None:
        path = self._state_path()
        state = json.loads(path.read_text()) if path.exists() else {"seq": 0, "held": None}
        self.seq, self.held_file = int(state["seq"]), state.get("held")
        for f in self.events.files():
            m = TAG.search(f.name)
            if m and int(m.group(1)) > self.seq:
                log.warning("intake: removing %s, written after the last commit (applied again)", f.name)
                f.unlink()
        for f in self.held_dir.glob("*.parquet"):
            if f.name != self.held_file:
                f.unlink()
        for f in self.held_dir.glob(".*.tmp"):
            f.unlink()
        self.events.clear_staging()
        self._rebuild_seen()

    def _rebuild_seen(self) -> None:
        """Seen ids from the newest intake batches (newest first, up to the set's capacity) and held events."""
        files = [f for f in self.events.files() if TAG.search(f.name)]
        cutoff = time.time() - self.seen.window
        chosen, count = [], 0
        for f in reversed(files):
            if f.stat().st_mtime < cutoff or count >= self.seen.capacity:
                break
            chosen.append(f)
            count += pq.ParquetFile(f).metadata.num_rows
        if self.held_file:
            chosen.append(self.held_dir / self.held_file)
        if not chosen:
            return
        con = duck.cursor()
        try:
            listed = ", ".join(duck.literal(str(f)) for f in chosen)
            hashes = con.sql(f"SELECT hash(event_id) AS h FROM read_parquet([{listed}], union_by_name := true)")
            self.seen.add(hashes.to_arrow_table().column("h").to_numpy())
        finally:
            con.close()

    def _commit(self, seq: int, held: str | None) -> None:
        tmp = self.root / ".applied.json.tmp"
        with open(tmp, "w") as fh:
            json.dump({"seq": seq, "held": held}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._state_path())
        fsync_dir(self.root)
        self.seq, old_held, self.held_file = seq, self.held_file, held
        if old_held and old_held != held:
            (self.held_dir / old_held).unlink(missing_ok=True)

    # ----------------------------------------------------------------------------- applying
    def step(self) -> Applied:
        """Apply the next records of the log (nothing if there are none)."""
        batch, size = [], 0
        for seq, payload in wal.records(self.log_dir, self.seq):
            batch.append((seq, payload))
            size += len(payload)
            if size >= self.step_bytes:
                break
        if not batch:
            return Applied(held=self._held_rows(), last_seq=self.seq)
        last = batch[-1][0]
        con = duck.cursor()
        try:
            done = self._apply(con, batch, last)
        finally:
            con.close()
        done.bytes = size
        return done

    def run(self) -> Applied:
        """Apply every record logged so far."""
        total = Applied(last_seq=self.seq)
        while True:
            done = self.step()
            if not done.records:
                total.held = done.held
                return total
            total.add(done)

    def _apply(self, con, batch: list[tuple[int, bytes]], last: int) -> Applied:  # type: ignore[no-untyped-def]
        records = pa.table(
            {"seq": pa.array([s for s, _ in batch], pa.int64()), "payload": [p.decode() for _, p in batch]}
        )
        con.register("_records", records)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _messages AS {_MESSAGES}")
        calls = [_call(row) for row in con.sql(_CALLS).to_arrow_table().to_pylist()]
        new = con.sql(_EVENTS).to_arrow_table()
        keep = self.seen.fresh(_hashes(con, new))
        fresh = new.filter(pa.array(keep))
        held_before = self._read_held()
        candidates = pa.concat_tables([held_before, fresh.cast(HELD_SCHEMA)])
        with session_scope(self.settings.database_url) as session:
            if calls:
                Identities(session).apply(calls)
            self.links.forget(calls)
            groups, users = _lookups(session, candidates, self.links)
        con.register("_events", candidates)
        con.register("_groups", groups)
        con.register("_users", users)
        out = con.sql(_ATTACH).to_arrow_table()
        attached = out.filter(pc.is_valid(out.column("account_id")))
        waiting = out.filter(pc.is_null(out.column("account_id")))
        held_name = None
        if waiting.num_rows:
            held_name = f"held-{last:016d}.parquet"
            _write_durably(waiting.select(HELD_SCHEMA.names).cast(HELD_SCHEMA), self.held_dir / held_name)
        if attached.num_rows:
            self.events.write_arrow(attached.drop_columns(["group_key"]), tag=f"wal{last:016d}")
        self._commit(last, held_name)
        self.seen.add(_hashes(con, fresh))
        for name in ("_records", "_events", "_groups", "_users"):
            con.unregister(name)
        wal.discard_through(self.log_dir, last)
        return Applied(
            records=len(batch),
            events=attached.num_rows,
            repeats=new.num_rows - fresh.num_rows,
            held=waiting.num_rows,
            calls=len(calls),
            last_seq=last,
        )

    def _read_held(self) -> pa.Table:
        if not self.held_file:
            return HELD_SCHEMA.empty_table()
        return pq.read_table(self.held_dir / self.held_file, schema=HELD_SCHEMA)

    def _held_rows(self) -> int:
        return pq.ParquetFile(self.held_dir / self.held_file).metadata.num_rows if self.held_file else 0


def _hashes(con, table: pa.Table) -> np.ndarray:  # type: ignore[no-untyped-def]
    """DuckDB's 64-bit hash of each ``event_id`` (the same function rebuilds the set from stored files)."""
    if table.num_rows == 0:
        return np.empty(0, dtype=np.uint64)
    con.register("_ids", table.select(["event_id"]))
    try:
        return con.sql("SELECT hash(event_id) AS h FROM _ids").to_arrow_table().column("h").to_numpy()
    finally:
        con.unregister("_ids")


def _call(row: dict) -> Call:  # type: ignore[type-arg]
    traits = json.loads(row["traits"]) if row["traits"] else {}
    return Call(
        type=row["type"],
        user_id=row["user_id"],
        anonymous_id=row["anonymous_id"],
        timestamp=row["timestamp"],
        group_id=row["group_id"],
        previous_id=row["previous_id"],
        traits=traits if isinstance(traits, dict) else {},
        locale=row["locale"],
    )


class Links:
    """What ``_lookups`` read, kept between steps: each tracked user's (alias_of, account, contact) and each
    account's id by external id, absent ones included. A step's calls drop the entries they touch (the
    applier is the only writer of links), and everything is read afresh after ``ttl`` seconds, so that
    accounts made or deleted through the REST API show within it."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self.users: dict[str, tuple[str | None, int | None, int | None]] = {}
        self.groups: dict[str, int | None] = {}
        self._since = time.monotonic()

    def forget(self, calls: list[Call]) -> None:
        if time.monotonic() - self._since > self.ttl:
            self.users.clear()
            self.groups.clear()
            self._since = time.monotonic()
            return
        for c in calls:
            for key in (c.key, c.previous_id, c.user_id, c.anonymous_id):
                if key:
                    self.users.pop(key, None)
            if c.group_id:
                self.groups.pop(c.group_id, None)


def _lookups(session, events: pa.Table, cache: Links) -> tuple[pa.Table, pa.Table]:  # type: ignore[no-untyped-def]
    """The accounts named by the events' ``context.groupId`` and the links of their users (aliases followed)."""
    from northstar.accounts.models import Account

    group_keys = [g for g in pc.unique(events.column("group_key")).to_pylist() if g]
    user_keys = [u for u in pc.unique(events.column("user_id")).to_pylist() if u]
    groups = cache.groups
    for chunk in _chunks([g for g in group_keys if g not in groups]):
        groups.update(dict.fromkeys(chunk))
        rows = session.execute(select(Account.external_id, Account.id).where(Account.external_id.in_(chunk)))
        groups.update((key, ident) for key, ident in rows)
    links = cache.users
    todo = user_keys
    for _hop in range(4):  # an alias chain is short; four hops is plenty
        for chunk in _chunks([k for k in todo if k not in links]):
            links.update(dict.fromkeys(chunk, (None, None, None)))
            rows = session.execute(
                select(TrackedUser.key, TrackedUser.alias_of, TrackedUser.account_id, TrackedUser.contact_id).where(
                    TrackedUser.key.in_(chunk)
                )
            )
            for key, alias_of, account_id, contact_id in rows:
                links[key] = (alias_of, account_id, contact_id)
        todo = [links[k][0] for k in todo if links[k][0] and links[k][1] is None and links[k][0] not in links]
        if not todo:
            break

    def resolve(key: str) -> tuple[int | None, int | None]:
        alias_of, account_id, contact_id = links.get(key, (None, None, None))
        for _ in range(4):
            if account_id is not None or not alias_of or alias_of not in links:
                break
            alias_of, account_id, more = links[alias_of]
            contact_id = contact_id or more
        return account_id, contact_id

    resolved = [(k, *resolve(k)) for k in user_keys]
    users = pa.table(
        {
            "key": pa.array([r[0] for r in resolved], pa.string()),
            "account_id": pa.array([r[1] for r in resolved], pa.int64()),
            "contact_id": pa.array([r[2] for r in resolved], pa.int64()),
        }
    )
    known = {k: groups[k] for k in group_keys if groups.get(k) is not None}
    group_table = pa.table(
        {"external_id": pa.array(list(known), pa.string()), "id": pa.array(list(known.values()), pa.int64())}
    )
    return group_table, users


def _chunks(items: list[str], size: int = 500):  # type: ignore[no-untyped-def]
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _write_durably(table: pa.Table, path: Path) -> None:
    tmp = path.parent / f".{path.name}.tmp"
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
