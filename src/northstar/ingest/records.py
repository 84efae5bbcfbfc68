"""Upserting operational records (accounts, contacts, subscriptions, ...) from parsed file rows.

The whole file is validated before anything is written, then written in one transaction: a file with any
bad row imports nothing. Rows are matched on the kind's key (the source system's id), so re-importing a
file changes nothing, and a file with fewer columns updates only the columns it has.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from northstar.auth.models import Role, User
from northstar.db.versions import bump
from northstar.feedback.models import SCALES, SurveyType
from northstar.ingest.errors import ImportFailed, Problem
from northstar.ingest.source import ColumnMap
from northstar.ingest.spec import KINDS, Field, Kind
from northstar.ingest.values import BadValue, parse_value
from northstar.revenue.models import Subscription
from northstar.support.models import Ticket

Progress = Callable[[int], None]
CHUNK = 5000


@dataclass
class ImportResult:
    kind: str
    file: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)


class RefIndex:
    """External ids (or e-mails and names, for staff) of referenced records, mapped to internal ids."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._maps: dict[str, dict[str, int]] = {}
        self._user_names: dict[str, int] | None = None

    def map(self, kind_name: str) -> dict[str, int]:
        if kind_name not in self._maps:
            ref_kind = KINDS[kind_name]
            model = ref_kind.model
            key_col = getattr(model, ref_kind.key)
            rows = self.session.execute(select(key_col, model.id)).all()  # type: ignore[union-attr]
            self._maps[kind_name] = {k: i for k, i in rows}
        return self._maps[kind_name]

    def user_by_name(self, name: str) -> int | None:
        if self._user_names is None:
            rows = self.session.execute(select(User.name, User.id)).all()
            self._user_names = {n.strip().lower(): i for n, i in rows if n}
        return self._user_names.get(name.strip().lower())


def _check_row(kind: Kind, values: dict[str, Any], present: set[str]) -> list[tuple[str, str]]:
    """Rules that span fields; returns (field, message) pairs."""
    out: list[tuple[str, str]] = []
    if kind.model is Subscription:
        start, end = values.get("start_date"), values.get("end_date")
        if start and end and end < start:
            out.append(("end_date", f"end date {end} is before start date {start}"))
        if values.get("mrr") is not None and values["mrr"] < 0:
            out.append(("mrr", "MRR cannot be negative"))
    if kind.name == "feedback" and "survey_type" in values:
        st, score = SurveyType(values["survey_type"]), values.get("score")
        if st in SCALES:
            low, high = SCALES[st]
            if score is None:
                out.append(("score", f"a {st.value.upper()} answer needs a score"))
            elif not low <= score <= high:
                out.append(("score", f"{st.value.upper()} score {score} is outside {low}-{high}"))
        elif score is not None:
            out.append(("score", "free-text feedback has no score"))
    if kind.name == "rates":
        if values.get("rate") is not None and values["rate"] <= 0:
            out.append(("rate", f"an exchange rate must be above zero, not {values['rate']}"))
        if values.get("currency") is not None and not re.fullmatch(r"[A-Za-z]{3}", str(values["currency"])):
            out.append(("currency", f"{values['currency']!r} is not a three-letter ISO 4217 code"))
        elif values.get("currency"):
            values["currency"] = str(values["currency"]).upper()
            if values.get("valid_from") is not None:  # the natural key, whatever case the file used
                values["key"] = f"{values['currency']} {values['valid_from']}"
    if kind.model is Ticket and values.get("satisfaction") is not None and not 1 <= values["satisfaction"] <= 5:
        out.append(("satisfaction", "satisfaction must be 1-5"))
    return out


def parse_rows(
    kind: Kind, file: str, rows: list[dict[str, Any]], cmap: ColumnMap, progress: Progress | None = None
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Typed values per row (only the fields the file has), plus every problem found."""
    problems: list[Problem] = []
    parsed: list[dict[str, Any]] = []
    seen: dict[Any, int] = {}
    fields = [(kind.field(name), col) for name, col in cmap.fields.items()]
    key_col = cmap.fields.get(kind.key, kind.key)
    for i, raw in enumerate(rows, start=1):
        if progress and i % CHUNK == 0:
            progress(CHUNK)
        values: dict[str, Any] = {}
        for f, col in fields:
            try:
                value = parse_value(f, raw.get(col))
            except BadValue as exc:
                problems.append(Problem(i, col, str(exc)))
                continue
            if value is None and f.required:
                problems.append(Problem(i, col, "required value is empty"))
            values[f.name] = value
        for whole, parts in kind.composites.items():
            if values.get(whole) is None and any(values.get(p) for p in parts):
                values[whole] = " ".join(str(values[p]) for p in parts if values.get(p))
        for part in {p for parts in kind.composites.values() for p in parts}:
            if not hasattr(kind.model, part):  # a part that is only a part (first name), not a column
                values.pop(part, None)
        if kind.keeps_extra and cmap.extra:
            extra = {c: raw[c].strip() for c in cmap.extra if raw.get(c) is not None and str(raw[c]).strip()}
            if extra or "attributes" in values:
                values["attributes"] = {**extra, **(values.get("attributes") or {})}
        for fname, message in _check_row(kind, values, set(values)):
            problems.append(Problem(i, cmap.fields.get(fname, fname), message))
        key = values.get(kind.key)
        if key is not None:
            if key in seen:
                problems.append(Problem(i, key_col, f"duplicate key {key!r} (also on row {seen[key]})"))
            else:
                seen[key] = i
        parsed.append(values)
    return parsed, problems


def _resolve_refs(
    kind: Kind, cmap: ColumnMap, parsed: list[dict[str, Any]], refs: RefIndex, result: ImportResult
) -> list[Problem]:
    """Replace reference values by internal ids; unknown references are problems (new owners are made)."""
    problems: list[Problem] = []
    in_file = {v[kind.key] for v in parsed if v.get(kind.key) is not None}
    for f in kind.fields:
        if f.ref is None or f.name not in cmap.fields:
            continue
        col = cmap.fields[f.name]
        mapping = refs.map(f.ref)
        if f.ref == "users":
            _create_owners(refs, parsed, f, mapping, result)
        for i, values in enumerate(parsed, start=1):
            value = values.pop(f.name, None)
            if value is None:
                if f.name in cmap.fields:
                    values[f.target] = None
                continue
            target = mapping.get(value)
            if target is None and f.ref == "users":
                target = refs.user_by_name(value)
            if target is None and f.ref == kind.name and value in in_file:
                values["_self_ref"] = value  # a parent defined in the same file: linked after insert
                continue
            if target is None:
                problems.append(Problem(i, col, f"unknown {f.ref[:-1]} {value!r}"))
            values[f.target] = target
    return problems


def _match_authors(session: Session, parsed: list[dict[str, Any]]) -> None:
    """Feedback with no account but an author's e-mail: the contact with that address (and its account),
    else the account whose domain the address is at; unmatched feedback keeps no account."""
    from northstar.accounts.models import Account, Contact

    for v in parsed:  # the address is matched, not stored
        author = v.pop("author_email", None)
        if author:
            v["_author_email"] = str(author).strip().lower()
    wanted = [v for v in parsed if not v.get("account_id") and v.get("_author_email")]
    emails = {str(v["_author_email"]) for v in wanted}
    if not emails:
        return
    contacts = {
        e.lower(): (c, a)
        for e, c, a in session.execute(
            select(Contact.email, Contact.id, Contact.account_id).where(func.lower(Contact.email).in_(sorted(emails)))
        )
        if e
    }
    domains = {e.rsplit("@", 1)[-1] for e in emails if "@" in e}
    accounts = {
        d.lower(): a
        for d, a in session.execute(select(Account.domain, Account.id).where(func.lower(Account.domain).in_(domains)))
        if d
    }
    for v in wanted:
        email = str(v["_author_email"])
        if email in contacts:
            v["contact_id"], v["account_id"] = contacts[email]
        elif email.rsplit("@", 1)[-1] in accounts:
            v["account_id"] = accounts[email.rsplit("@", 1)[-1]]


def _create_owners(
    refs: RefIndex, parsed: list[dict[str, Any]], f: Field, mapping: dict[str, int], result: ImportResult
) -> None:
    """Account owners named by e-mail that Northstar does not know yet become CSM users with no login."""
    new = sorted({v[f.name].lower() for v in parsed if v.get(f.name) and "@" in v[f.name]} - set(mapping))
    for email in new:
        user = User(email=email, name=email.split("@")[0].replace(".", " ").title(), role=Role.CSM)
        refs.session.add(user)
        refs.session.flush()
        mapping[email] = user.id
    if new:
        result.notes.append(f"created {len(new)} staff user(s) without login for new owners")
    for v in parsed:
        if v.get(f.name) and "@" in v[f.name]:
            v[f.name] = v[f.name].lower()


def _existing(session: Session, kind: Kind, keys: list[Any], columns: Iterable[str]) -> dict[Any, dict[str, Any]]:
    model = kind.model
    key_attr = getattr(model, kind.key)
    cols = [model.id, key_attr, *[getattr(model, c) for c in columns if c not in ("id", kind.key)]]  # type: ignore[union-attr]
    out: dict[Any, dict[str, Any]] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        for row in session.execute(select(*cols).where(key_attr.in_(chunk))).mappings():
            out[row[kind.key]] = dict(row)
    return out


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        return old is not None and new is not None and abs(float(old) - float(new)) < 5e-5
    if hasattr(old, "value"):
        old = old.value
    return old == new


def upsert(
    session: Session,
    kind: Kind,
    file: str,
    rows: list[dict[str, Any]],
    cmap: ColumnMap,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate every row, then insert new records and update changed ones in the caller's transaction.

    ``progress`` is called with the number of rows just handled: each row once when parsed, once when written.
    """
    result = ImportResult(kind.name, file, rows=len(rows))
    parsed, problems = parse_rows(kind, file, rows, cmap, progress)
    if progress:
        progress(len(rows) % CHUNK)
    refs = RefIndex(session)
    problems += _resolve_refs(kind, cmap, parsed, refs, result)
    if kind.name == "feedback":
        _match_authors(session, parsed)
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise ImportFailed(file, problems)
    model = kind.model
    assert model is not None
    columns = {c for v in parsed for c in v if not c.startswith("_")}
    existing = _existing(session, kind, [v[kind.key] for v in parsed], columns)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    # An empty cell in a column that cannot be NULL keeps the stored value (or the default, for new rows).
    table = model.__table__  # type: ignore[attr-defined]
    keep = {c.name for c in table.columns if not c.nullable and c.name != "id"}
    for values in parsed:
        values = {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()}
        old = existing.get(values[kind.key])
        clean = {k: v for k, v in values.items() if not k.startswith("_") and not (v is None and k in keep)}
        if "attributes" in clean and clean["attributes"] is None:
            clean["attributes"] = {}
        if old is None:
            inserts.append(clean)
            continue
        if "attributes" in clean:
            clean["attributes"] = {**(old.get("attributes") or {}), **clean["attributes"]}
        changed = {k: v for k, v in clean.items() if k != kind.key and not _same(old.get(k), v)}
        if kind.name == "feedback" and "comment" in changed:  # analysed again (feedback.stored)
            changed |= {"sentiment": None, "themes": None}
        if changed:
            updates.append({"id": old["id"], **changed})
        else:
            result.unchanged += 1
    for start in range(0, len(inserts), CHUNK):
        session.execute(insert(model), inserts[start : start + CHUNK])
        if progress:
            progress(len(inserts[start : start + CHUNK]))
    for start in range(0, len(updates), CHUNK):
        session.execute(update(model), updates[start : start + CHUNK])
        if progress:
            progress(len(updates[start : start + CHUNK]))
    if progress:
        progress(result.unchanged)
    result.inserted, result.updated = len(inserts), len(updates)
    _link_self_refs(session, kind, parsed)
    if inserts or updates:
        bump(session, "records")
    return result


def _link_self_refs(session: Session, kind: Kind, parsed: list[dict[str, Any]]) -> None:
    pending = [(v[kind.key], v["_self_ref"]) for v in parsed if "_self_ref" in v]
    if not pending:
        return
    model = kind.model
    key_attr = getattr(model, kind.key)
    ids = dict(session.execute(select(key_attr, model.id)).all())  # type: ignore[union-attr]
    ref_field = next(f for f in kind.fields if f.ref == kind.name)
    session.execute(update(model), [{"id": ids[child], ref_field.target: ids[parent]} for child, parent in pending])
