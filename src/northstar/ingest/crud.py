"""Records one at a time, for the REST API: read, list, create, upsert, update and delete by external id.

A write goes through the same checks as a file import (``northstar.ingest.records.upsert``: the kind's
fields, types, references by external id, cross-field rules), so a record is valid whichever way it came
in, and a rejected one names each field and why. References (``account``, ``contact``, ``owner``...) are
given and returned as the referenced record's external id (an owner as the staff user's e-mail).

Writes report the changes other systems follow through webhooks: ``account.*``, ``contact.*`` and
``feedback.received``, in the same transaction as the change.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session, aliased

from northstar.db.versions import bump
from northstar.ingest.errors import ImportFailed
from northstar.ingest.records import upsert
from northstar.ingest.source import ColumnMap
from northstar.ingest.spec import KINDS, Field, Kind
from northstar.webhooks.service import emit

#: The kinds the REST API serves, by URL name.
RESOURCES = (
    "accounts",
    "contacts",
    "subscriptions",
    "invoices",
    "tickets",
    "touchpoints",
    "feedback",
    "assessments",
    "success_plans",
    "goals",
    "enrolments",
)
MAX_LIMIT = 1000
#: Fields of these types filter by equality (``?segment=SMB``); dates and times by range (``_after``/``_before``).
EQUALITY_TYPES = ("str", "email", "int", "bool")
WEBHOOK_KINDS = {"accounts": "account", "contacts": "contact"}


class RecordNotFound(LookupError):
    pass


class RecordConflict(ValueError):
    """A create for an external id that exists with other values (an identical one is a replay, not a conflict)."""


class BadRecord(ValueError):
    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" if f else m for f, m in problems))


class BadQuery(ValueError):
    pass


def fields_of(kind: Kind) -> list[Field]:
    """The fields a record shows: not those only read at import (first and last name make up ``name``; an
    author's e-mail finds the feedback's contact)."""
    return [f for f in kind.fields if f.ref or hasattr(kind.model, f.name)]


def filters_of(kind: Kind) -> dict[str, tuple[Field, str]]:
    """Query parameters a list accepts: name -> (field, operator ``eq``, ``gte`` or ``lt``)."""
    out: dict[str, tuple[Field, str]] = {}
    for f in fields_of(kind):
        if f.name in ("attributes", "name", "external_id") or f.type in ("text", "json", "float"):
            continue
        if f.type in ("date", "datetime"):
            out[f"{f.name}_after"] = (f, "gte")
            out[f"{f.name}_before"] = (f, "lt")
        elif f.ref or f.choices or f.type in EQUALITY_TYPES:
            out[f.name] = (f, "eq")
    if hasattr(kind.model, "updated_at"):
        out["updated_after"] = (Field("updated_at", "datetime"), "gte")
    return out


def record_select(kind: Kind, ids: bool = True) -> tuple[Select[Any], dict[str, Any]]:
    """The kind's records with references as external ids (and, with ``ids``, Northstar's id and the record's
    timestamps); also the column of each field (for filters). The REST API and the export share it."""
    model = kind.model
    cols: list[Any] = [model.id.label("id")] if ids else []  # type: ignore[union-attr]
    by_field: dict[str, Any] = {}
    joins = []
    for f in fields_of(kind):
        if f.ref:
            ref_kind = KINDS[f.ref]
            target = aliased(ref_kind.model)  # type: ignore[arg-type]
            joins.append((target, getattr(model, f.target) == target.id))
            col = getattr(target, ref_kind.key)
        else:
            col = getattr(model, f.name)
        by_field[f.name] = col
        cols.append(col.label(f.name))
    for extra in ("created_at", "updated_at") if ids else ():
        if hasattr(model, extra):
            by_field[extra] = getattr(model, extra)
            cols.append(by_field[extra].label(extra))
    stmt = select(*cols)
    for target, on in joins:
        stmt = stmt.outerjoin(target, on)
    return stmt, by_field


def _out(row: Any) -> dict[str, Any]:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in row._mapping.items()}


def get_record(session: Session, kind: Kind, key: str) -> dict[str, Any]:
    stmt, _ = record_select(kind)
    row = session.execute(stmt.where(getattr(kind.model, kind.key) == key)).first()
    if row is None:
        raise RecordNotFound(f"no {kind.name} record with external id {key!r}")
    return _out(row)


@dataclass(frozen=True)
class Page:
    data: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
        if not isinstance(value, int):
            raise TypeError
        return value
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise BadQuery(f"cursor {cursor!r} is not one this API gave out") from None


def list_records(
    session: Session, kind: Kind, params: dict[str, str], cursor: str | None = None, limit: int = 100
) -> Page:
    """Records in id order, ``limit`` at a time; ``next_cursor`` continues after the last one (stable while
    records are added: a cursor is a position in the order, not an offset)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(f"limit must be 1-{MAX_LIMIT}, not {limit}")
    stmt, by_field = record_select(kind)
    allowed = filters_of(kind)
    from northstar.ingest.values import BadValue, parse_value

    for name, text in params.items():
        if name not in allowed:
            raise BadQuery(f"unknown filter {name!r}; {kind.name} filter by: {', '.join(sorted(allowed)) or 'nothing'}")
        f, op = allowed[name]
        try:
            value = parse_value(Field(f.name, f.type, choices=f.choices), text)
        except BadValue as exc:
            raise BadQuery(f"{name}: {exc}") from None
        col = by_field[f.name]
        stmt = stmt.where(col == value if op == "eq" else col >= value if op == "gte" else col < value)
    model = kind.model
    if cursor:
        stmt = stmt.where(model.id > decode_cursor(cursor))  # type: ignore[union-attr]
    rows = session.execute(stmt.order_by(model.id).limit(limit + 1)).all()  # type: ignore[union-attr]
    data = [_out(r) for r in rows[:limit]]
    return Page(data, encode_cursor(data[-1]["id"]) if len(rows) > limit else None)


def _text(value: Any) -> str | None:
    """A JSON value as the text the import parsers read."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def save_record(
    session: Session, kind: Kind, key: str, body: dict[str, Any], mode: str = "upsert"
) -> tuple[dict[str, Any], bool, bool]:
    """Create (``mode="create"``), create-or-update (``"upsert"``) or update (``"update"``) the record
    ``key`` with the fields in ``body``; fields left out keep their values. Returns (record, created, changed).

    A create of an existing id with the same values returns the record unchanged: a retried request is
    stored once."""
    try:
        before = get_record(session, kind, key)
    except RecordNotFound:
        before = None
        if mode == "update":
            raise
    names = {f.name for f in kind.fields}
    unknown = sorted(set(body) - names - {"first_name", "last_name"})
    if unknown:
        raise BadRecord([(u, "unknown field") for u in unknown])
    if before is None:
        missing = [f.name for f in kind.fields if f.required and f.name != kind.key and body.get(f.name) is None]
        if kind.composites.get("name") and "name" in missing and any(body.get(p) for p in kind.composites["name"]):
            missing.remove("name")
        if missing:
            raise BadRecord([(m, "required for a new record") for m in missing])
    elif mode == "create":
        if all(_same(before.get(k), v) for k, v in body.items() if k in before):
            return before, False, False
        raise RecordConflict(f"{kind.name} {key!r} exists with other values; update it with PUT or PATCH")
    raw = {name: _text(v) for name, v in body.items()}
    raw[kind.key] = key
    cmap = ColumnMap(fields={n: n for n in raw}, extra=[])
    try:
        result = upsert(session, kind, "request", [raw], cmap)
    except ImportFailed as exc:
        raise BadRecord([(p.column, p.message) for p in exc.problems]) from None
    session.flush()
    after = get_record(session, kind, key)
    created, changed = result.inserted > 0, result.updated > 0
    _report(session, kind, after, created, changed)
    return after, created, changed


def delete_record(session: Session, kind: Kind, key: str) -> None:
    record = get_record(session, kind, key)
    model = kind.model
    if kind.name == "accounts":  # the ORM's cascade: contacts and the rest go with the account
        obj = session.get(model, record["id"])  # type: ignore[arg-type]
        session.delete(obj)
    else:
        session.execute(delete(model).where(model.id == record["id"]))  # type: ignore[union-attr,arg-type]
    session.flush()
    bump(session, "records")
    if kind.name == "accounts":
        emit(session, "account.deleted", _jsonable(record))


def _report(session: Session, kind: Kind, record: dict[str, Any], created: bool, changed: bool) -> None:
    noun = WEBHOOK_KINDS.get(kind.name)
    if noun and (created or changed):
        emit(session, f"{noun}.{'created' if created else 'updated'}", _jsonable(record))
    elif kind.name == "feedback" and created:
        emit(session, "feedback.received", _jsonable(record))


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in record.items()}


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, datetime) and isinstance(new, str):
        from northstar.ingest.values import parse_datetime

        try:
            return parse_datetime(new) == old
        except ValueError:
            return False
    if isinstance(old, date) and isinstance(new, str):
        return old.isoformat() == new[:10]
    if isinstance(old, float) or isinstance(new, float):
        return old is not None and new is not None and abs(float(old) - float(new)) < 5e-5
    if isinstance(old, dict) and isinstance(new, dict):
        return all(old.get(k) == v for k, v in new.items())
    if isinstance(old, str) and isinstance(new, str) and "@" in new:
        return old == new.lower()
    return old == new
