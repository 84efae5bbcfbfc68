"""Running playbooks: which accounts a trigger picks, the filter and the cooldown, the actions, the audit log.

Each firing (one playbook, one account) is its own transaction: its task, attribute change and audit row
commit together, and only then do the e-mail and the webhook go out (a message is never sent for a firing that
did not commit), their results written to the audit row after. So a crash can lose a message, never send one
twice. A task is never duplicated: a playbook's task for an account carries a key, and while that task is
open the action reports it instead of making another. The cooldown counts the firings in the audit log; a dry
run writes its own rows (marked) and changes nothing else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import northstar.db.registry  # noqa: F401  (every model known to SQLAlchemy)
from northstar.accounts.models import Account, Contact
from northstar.auth.models import User
from northstar.config import Settings
from northstar.db.engine import savepoint, session_scope
from northstar.playbooks.definitions import EmailAction, Playbook, PlaybookConfig
from northstar.playbooks.models import Cursor, DomainEvent, PlaybookMember, PlaybookRun
from northstar.portfolio.models import AccountSummary
from northstar.success.maps import FILE as MAPS
from northstar.success.models import SuccessStatus
from northstar.success.personas import _holds, account_frame
from northstar.tasks.service import create_task

log = logging.getLogger(__name__)
_jinja = SandboxedEnvironment(autoescape=False)
EVENT_CURSOR = "playbooks.events"
WEBHOOK_TIMEOUT = 10.0
#: Events already read are kept this long (for the audit log's event ids), then deleted.
EVENT_RETENTION = timedelta(days=30)
_last_prune = float("-inf")


@dataclass
class Firing:
    playbook: Playbook
    account_id: int
    reason: str
    context: dict[str, Any] = field(default_factory=dict)
    event_id: int | None = None


@dataclass
class Report:
    dry_run: bool
    fired: list[tuple[str, int, str, list[dict[str, Any]]]] = field(default_factory=list)  # key, account, reason
    skipped_cooldown: int = 0

    def by_playbook(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for key, *_ in self.fired:
            out[key] = out.get(key, 0) + 1
        return out


def _now() -> datetime:
    return datetime.now(UTC)


# ----------------------------------------------------------------------------------------------- triggers
def _stalled(session: Session, settings: Settings, pb: Playbook) -> list[Firing]:
    t = pb.when.milestone_stalled
    assert t is not None
    names: dict[tuple[str, str], str] = {}
    maps = MAPS.load(settings)
    for m in maps.maps if maps else []:
        names |= {(m.persona, ms.key): ms.name for ms in m.milestones}
    q = select(SuccessStatus).where(SuccessStatus.state.in_(t.states))
    if t.milestone:
        q = q.where(SuccessStatus.next_milestone == t.milestone)
    out = []
    for st in session.scalars(q):
        milestone = names.get((st.persona, st.next_milestone or ""), st.next_milestone or "")
        usual = f"; usually {st.usual_days:.0f}" if st.usual_days is not None else ""
        out.append(
            Firing(
                pb,
                st.account_id,
                f"{st.state} on the way to {milestone} for {st.days_in_stage} days{usual}",
                {"milestone": milestone, "days_in_stage": st.days_in_stage, "usual_days": st.usual_days},
            )
        )
    return out


def _summaries(session: Session, pb: Playbook, today: date) -> list[Firing]:
    w = pb.when
    q = select(AccountSummary)
    if w.health_below is not None:
        if w.health_below.score is not None:
            q = q.where(AccountSummary.health_score < w.health_below.score)
        else:
            q = q.where(AccountSummary.health_band == w.health_below.band)
    elif w.risk_above is not None:
        q = q.where(AccountSummary.risk > w.risk_above.risk)
    elif w.renewal_in_days is not None:
        q = q.where(AccountSummary.renewal_date.between(today, today + timedelta(days=w.renewal_in_days.days)))
    out = []
    for s in session.scalars(q):
        if w.health_below is not None:
            reason = f"health {s.health_score:.0f} ({s.health_band})" if s.health_score is not None else "health"
        elif w.risk_above is not None:
            reason = f"churn risk {s.risk:.0%}"
        else:
            reason = f"renewal on {s.renewal_date.isoformat()}" if s.renewal_date else "renewal"
        out.append(Firing(pb, s.account_id, reason))
    return out


def _segment(session: Session, pb: Playbook, frame: Any, dry_run: bool) -> list[Firing]:
    t = pb.when.segment
    assert t is not None
    inside = frame["id"][_all_rules(t.rules, frame)].astype(int).tolist()
    before = set(session.scalars(select(PlaybookMember.account_id).where(PlaybookMember.playbook == pb.key)))
    now = set(inside)
    changed = (now - before) if t.enter is not None else (before - now)
    if not dry_run:
        for account_id in now - before:
            session.add(PlaybookMember(playbook=pb.key, account_id=account_id))
        for account_id in before - now:
            member = session.get(PlaybookMember, (pb.key, account_id))
            if member is not None:
                session.delete(member)
    word = "entered" if t.enter is not None else "left"
    return [Firing(pb, a, f"{word} the segment") for a in sorted(changed)]


def _all_rules(rules: Iterable[Any], frame: Any) -> Any:
    import pandas as pd

    mask = pd.Series(True, index=frame.index)
    for rule in rules:
        mask &= _holds(rule, frame).fillna(False).astype(bool)
    return mask


def _event_matches(pb: Playbook, event: DomainEvent) -> bool:
    w = pb.when
    if w.survey_answer is not None:
        a = w.survey_answer
        if event.type != "feedback.received":
            return False
        score = event.data.get("score")
        if a.survey_type and event.data.get("survey_type") != a.survey_type:
            return False
        if a.score_min is not None and (score is None or score < a.score_min):
            return False
        return not (a.score_max is not None and (score is None or score > a.score_max))
    e = w.event
    if e is None or event.type != e.type:
        return False
    for name, wanted in e.where.items():
        if name.endswith("_min") or name.endswith("_max"):
            value = event.data.get(name[:-4])
            if not isinstance(value, int | float):
                return False
            if (name.endswith("_min") and value < wanted) or (name.endswith("_max") and value > wanted):
                return False
        elif event.data.get(name) != wanted:
            return False
    return True


def candidates(
    settings: Settings, session: Session, pb: Playbook, today: date, dry_run: bool, frame: Any = None
) -> list[Firing]:
    """The firings a state trigger picks now (event triggers are fed by :func:`run_events`)."""
    kind = pb.when.kind
    if kind == "milestone_stalled":
        return _stalled(session, settings, pb)
    if kind in ("health_below", "risk_above", "renewal_in_days"):
        return _summaries(session, pb, today)
    if kind == "segment":
        return _segment(session, pb, frame if frame is not None else account_frame(session), dry_run)
    if kind == "schedule":
        return [Firing(pb, int(a), "scheduled") for a in session.scalars(select(Account.id))]
    return []


# ------------------------------------------------------------------------------------------------ actions
def _context(settings: Settings, session: Session, f: Firing, contact: Contact | None) -> dict[str, Any]:
    account = session.get(Account, f.account_id)
    assert account is not None
    owner = session.get(User, account.owner_id) if account.owner_id else None
    summary = session.get(AccountSummary, f.account_id)
    return {
        "account": {
            "id": account.id,
            "name": account.name,
            "external_id": account.external_id,
            "segment": account.segment,
            "persona": account.persona,
        },
        "owner": {"name": owner.name, "email": owner.email} if owner else {"name": "", "email": ""},
        "contact": {"name": contact.name, "email": contact.email} if contact else {"name": "", "email": ""},
        "reason": f.reason,
        "health_score": summary.health_score if summary else None,
        "risk": summary.risk if summary else None,
        "renewal_date": summary.renewal_date.isoformat() if summary and summary.renewal_date else None,
        "link": f"{settings.base_url}/accounts/{account.id}",
        "playbook": f.playbook.name,
        **f.context,
    }


def _render(template: str, context: dict[str, Any]) -> str:
    return _jinja.from_string(template).render(**context)


def recipient(session: Session, account_id: int, action: EmailAction) -> Contact | None:
    """The first active contact with an e-mail address in the action's role order."""
    contacts = session.scalars(
        select(Contact).where(Contact.account_id == account_id, Contact.is_active.is_(True), Contact.email.is_not(None))
    ).all()
    for role in action.to:
        for c in sorted(contacts, key=lambda c: c.id):
            if getattr(c.role, "value", c.role) == role:
                return c
    return None


def _apply_local(settings: Settings, session: Session, f: Firing, dry_run: bool, today: date) -> list[dict[str, Any]]:
    """Tasks and attribute changes (in the firing's transaction); e-mail and webhooks are planned here and
    sent after the commit."""
    results = []
    account = session.get(Account, f.account_id)
    assert account is not None
    for action in f.playbook.actions:
        if action.task is not None:
            t = action.task
            ctx = _context(settings, session, f, None)
            title = _render(t.title, ctx)[:300]
            if dry_run:
                results.append({"action": "task", "result": "would create", "detail": title})
                continue
            task, created = create_task(
                session,
                title,
                account_id=f.account_id,
                assignee_id=account.owner_id,
                due_on=today + timedelta(days=t.due_in_days) if t.due_in_days is not None else None,
                priority=t.priority,
                description=_render(t.description, ctx) if t.description else f.reason,
                source=f"playbook:{f.playbook.key}",
                dedupe_key=f"playbook:{f.playbook.key}:{f.account_id}",
            )
            results.append(
                {"action": "task", "result": "created" if created else "already open", "detail": str(task.id)}
            )
        elif action.set is not None:
            s = action.set
            detail = f"{s.field} = {s.value!r}"
            if not dry_run:
                if s.field == "lifecycle_stage":
                    session.execute(update(Account).where(Account.id == f.account_id).values(lifecycle_stage=s.value))
                else:
                    attrs = dict(account.attributes or {})
                    attrs[s.field.removeprefix("attributes.")] = s.value
                    account.attributes = attrs
            results.append({"action": "set", "result": "would set" if dry_run else "set", "detail": detail})
        elif action.enrol is not None:
            results.append(_enrol(settings, session, f, action.enrol.vehicle, dry_run, today))
        elif action.email is not None:
            contact = recipient(session, f.account_id, action.email)
            if contact is None:
                results.append({"action": "email", "result": "no recipient", "detail": ", ".join(action.email.to)})
            else:
                results.append(
                    {
                        "action": "email",
                        "result": "would send" if dry_run else "pending",
                        "detail": f"{contact.email} ({contact.language})",
                        "contact_id": contact.id,
                    }
                )
        elif action.webhook is not None:
            results.append(
                {"action": "webhook", "result": "would post" if dry_run else "pending", "detail": action.webhook.url}
            )
    return results


def _enrol(settings: Settings, session: Session, f: Firing, key: str, dry_run: bool, today: date) -> dict[str, Any]:
    from northstar.success.vehicles import FILE as VEHICLES
    from northstar.success.vehicles import enrol, open_enrolment

    config = VEHICLES.load(settings)
    vehicle = config.get(key) if config is not None else None
    if vehicle is None:  # the playbook names a vehicle vehicles.yaml does not have: recorded, not a crash
        return {"action": "enrol", "result": "failed: no such vehicle in vehicles.yaml", "detail": key}
    if dry_run:
        already = open_enrolment(session, f.account_id, key) is not None
        return {"action": "enrol", "result": "already enrolled" if already else "would enrol", "detail": key}
    _row, created = enrol(session, f.account_id, vehicle, today, f"playbook:{f.playbook.key}")
    return {"action": "enrol", "result": "enrolled" if created else "already enrolled", "detail": key}


def _send_remote(settings: Settings, f: Firing, run_id: int, results: list[dict[str, Any]]) -> None:
    """The firing's e-mails and webhooks, after its commit; results written back to its audit row."""
    from northstar.messaging.email import MailNotConfigured, message, send

    pending = [r for r in results if r["result"] == "pending"]
    if not pending:
        return
    with session_scope(settings.database_url) as session:
        remote = iter([a for a in f.playbook.actions if a.email is not None or a.webhook is not None])
        for r in results:
            if r["action"] not in ("email", "webhook"):
                continue
            action = next(remote)
            if r["result"] != "pending":
                continue
            try:
                if action.email is not None:
                    contact = session.get(Contact, r["contact_id"])
                    assert contact is not None
                    ctx = _context(settings, session, f, contact)
                    lang = contact.language or "en"
                    body = _render(action.email.body.get(lang), ctx)
                    msg = message(
                        settings,
                        contact.email or "",
                        _render(action.email.subject.get(lang), ctx),
                        body,
                        "<p>" + "</p><p>".join(_escape(p) for p in body.split("\n\n")) + "</p>",
                        lang,
                    )
                    send(settings, msg)
                    r["result"] = "sent"
                elif action.webhook is not None:
                    ctx = _context(settings, session, f, None)
                    response = httpx.post(
                        action.webhook.url, json={"text": _render(action.webhook.text, ctx)}, timeout=WEBHOOK_TIMEOUT
                    )
                    r["result"] = f"posted ({response.status_code})"
                    if response.status_code >= 300:
                        r["result"] = f"refused ({response.status_code})"
            except MailNotConfigured:
                r["result"] = "not sent: no mail server (NORTHSTAR_SMTP_URL)"
            except Exception as exc:  # a failed message is recorded, not retried: the firing committed
                r["result"] = f"failed: {type(exc).__name__}: {exc}"[:300]
        run = session.get(PlaybookRun, run_id)
        assert run is not None
        run.actions = _public(results)
        run.ok = all(not str(r["result"]).startswith(("failed", "refused", "not sent")) for r in results)


def _escape(text: str) -> str:
    from html import escape

    return escape(text).replace("\n", "<br>")


# ------------------------------------------------------------------------------------------------ running
def _cooling(session: Session, key: str, days: int, now: datetime) -> set[int]:
    """Accounts the playbook fired for (not in a dry run) within the last ``days`` days."""
    if days == 0:
        return set()
    since = now - timedelta(days=days)
    return set(
        session.scalars(
            select(PlaybookRun.account_id).where(
                PlaybookRun.playbook == key, PlaybookRun.dry_run.is_(False), PlaybookRun.fired_at > since
            )
        )
    )


def _audit_row(f: Firing, now: datetime, dry_run: bool, results: list[dict[str, Any]], ok: bool = True) -> PlaybookRun:
    """The audit log's row for a firing (the recipients' contact ids stay out of it)."""
    return PlaybookRun(
        playbook=f.playbook.key,
        account_id=f.account_id,
        fired_at=now,
        dry_run=dry_run,
        reason=f.reason[:500],
        event_id=f.event_id,
        actions=_public(results),
        ok=ok,
    )


def _public(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "contact_id"} for r in results]


def _fire_all(settings: Settings, firings: list[Firing], dry_run: bool, report: Report, now: datetime) -> None:
    today = now.date()
    for f in firings:
        try:
            with session_scope(settings.database_url) as session:
                results = _apply_local(settings, session, f, dry_run, today)
                run = _audit_row(f, now, dry_run, results)
                session.add(run)
                session.flush()
                run_id = run.id
        except Exception as exc:  # this firing changed nothing; it is logged as failed and the others go on
            log.exception("playbook %s failed for account %s", f.playbook.key, f.account_id)
            results = [{"action": "firing", "result": f"failed: {type(exc).__name__}: {exc}"[:300]}]
            with session_scope(settings.database_url) as session:
                session.add(_audit_row(f, now, dry_run, results, ok=False))
            report.fired.append((f.playbook.key, f.account_id, f.reason, results))
            continue
        if not dry_run:
            _send_remote(settings, f, run_id, results)
        report.fired.append((f.playbook.key, f.account_id, f.reason, results))


def _filtered(settings: Settings, pb: Playbook, firings: list[Firing], frame: Any) -> list[Firing]:
    if not pb.only or not firings:
        return firings
    ok = set(frame["id"][_all_rules(pb.only, frame)].astype(int).tolist())
    return [f for f in firings if f.account_id in ok]


def run(
    settings: Settings,
    config: PlaybookConfig,
    dry_run: bool = False,
    only: str | None = None,
    now: datetime | None = None,
) -> Report:
    """Run the state-triggered playbooks (all but event ones) once: what fires, after filter and cooldown."""
    now = now or _now()
    report = Report(dry_run)
    playbooks = [p for p in config.playbooks if p.enabled and not p.when.on_events and (only is None or p.key == only)]
    if only is not None and not playbooks:
        raise ValueError(f"no enabled state-triggered playbook {only!r}")
    with session_scope(settings.database_url) as session:
        frame = account_frame(session) if any(p.only or p.when.kind == "segment" for p in playbooks) else None
        plans = []
        for pb in playbooks:
            firings = _filtered(settings, pb, candidates(settings, session, pb, now.date(), dry_run, frame), frame)
            days = max(pb.cooldown_days, pb.when.schedule.every_days if pb.when.schedule else 0)
            cooling = _cooling(session, pb.key, days, now) if firings else set()
            report.skipped_cooldown += sum(f.account_id in cooling for f in firings)
            plans.extend(f for f in firings if f.account_id not in cooling)
    _fire_all(settings, plans, dry_run, report, now)
    return report


def run_events(settings: Settings, config: PlaybookConfig | None, limit: int = 1000) -> Report:
    """React to the events logged since the last call (the worker calls this every second): each event-
    triggered playbook fires for each matching event once, subject to its filter and cooldown."""
    report = Report(False)
    with session_scope(settings.database_url) as session:
        cursor = session.get(Cursor, EVENT_CURSOR)
        if cursor is None:  # the first run starts from now: a new playbook does not replay history
            last = session.scalar(select(DomainEvent.id).order_by(DomainEvent.id.desc()).limit(1)) or 0
            try:
                with savepoint(session):
                    session.add(Cursor(name=EVENT_CURSOR, position=last))
                    session.flush()
            except IntegrityError:  # another reader (the worker, a command) made it at the same moment: it holds
                pass
            return report
        events = session.scalars(
            select(DomainEvent).where(DomainEvent.id > cursor.position).order_by(DomainEvent.id).limit(limit)
        ).all()
        if not events:
            global _last_prune
            if time.monotonic() - _last_prune >= 3600:  # hourly: the events read and past their retention go
                _last_prune = time.monotonic()
                session.execute(
                    delete(DomainEvent).where(
                        DomainEvent.id <= cursor.position, DomainEvent.occurred_at < _now() - EVENT_RETENTION
                    )
                )
            return report
        cursor.position = events[-1].id
        playbooks = [p for p in (config.playbooks if config else []) if p.enabled and p.when.on_events]
        now = _now()
        plans = []
        frame = account_frame(session) if any(p.only for p in playbooks) else None
        for pb in playbooks:
            firings = [
                Firing(pb, e.account_id, f"{e.type} #{e.id}", {"event": e.data}, e.id)
                for e in events
                if e.account_id is not None and _event_matches(pb, e)
            ]
            firings = _filtered(settings, pb, firings, frame)
            cooling = _cooling(session, pb.key, pb.cooldown_days, now) if firings else set()
            seen: set[int] = set()
            for f in firings:
                if f.account_id in cooling or (pb.cooldown_days and f.account_id in seen):
                    report.skipped_cooldown += 1
                    continue
                seen.add(f.account_id)
                plans.append(f)
    _fire_all(settings, plans, False, report, now)
    return report


def apply_playbooks(settings: Settings) -> Report | None:
    """The scheduled run (the worker's): the installation's playbooks, None when it has none."""
    from northstar.playbooks.definitions import FILE

    config = FILE.load(settings)
    return run(settings, config) if config else None
