"""Webhooks: subscribing, reporting changes (the outbox), signing and delivering with retries.

A change calls :func:`emit` inside its own transaction; one delivery row is written per active webhook that
wants the event, so the report commits (or rolls back) with the change. :func:`deliver_due` posts the due
deliveries. Each request carries:

* ``Northstar-Event`` and ``Northstar-Event-Id`` (the same on every retry: receivers drop repeats by it);
* ``Northstar-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``: the receiver
  recomputes it with the shared secret and rejects a mismatch or an old ``t`` (replays).

A delivery that fails (no connection, a timeout, any status other than 2xx) is retried after 30 s, 1, 2, 4 ...
minutes, doubling up to 6 h between attempts, and marked failed after :data:`MAX_ATTEMPTS`. Every attempt's
status or error is kept on the delivery (the delivery log).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from northstar.db.base import utcnow
from northstar.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

EVENTS = (
    "account.created",
    "account.updated",
    "account.deleted",
    "contact.created",
    "contact.updated",
    "feedback.received",
)
MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
#: A claimed delivery is not picked by another dispatcher for this long (the request's time-out and more).
LEASE = timedelta(seconds=60)
TIMEOUT = 10.0


def create_webhook(session: Session, url: str, events: list[str] | None = None, name: str = "") -> Webhook:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"a webhook URL starts with http:// or https://, not {url!r}")
    unknown = sorted(set(events or []) - set(EVENTS))
    if unknown:
        raise ValueError(f"unknown event {', '.join(unknown)}; the events are {', '.join(EVENTS)}")
    hook = Webhook(name=name, url=url, secret="whsec_" + secrets.token_urlsafe(32), events=sorted(set(events or [])))
    session.add(hook)
    session.flush()
    session.info.pop("northstar.webhooks", None)  # emit's per-session list of hooks
    return hook


def summary(session: Session) -> list[dict[str, Any]]:
    """Each webhook with its deliveries counted by status."""
    counts: dict[tuple[int, str], int] = {
        (hook, str(status)): n
        for hook, status, n in session.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.status, func.count()).group_by(
                WebhookDelivery.webhook_id, WebhookDelivery.status
            )
        )
    }
    return [
        {
            "id": h.id,
            "name": h.name,
            "url": h.url,
            "events": ", ".join(h.events) or "all",
            "active": h.active,
            **{s.value: counts.get((h.id, s.value), 0) for s in DeliveryStatus},
        }
        for h in session.scalars(select(Webhook).order_by(Webhook.id))
    ]


def deliveries(
    session: Session, webhook: int | None = None, status: str | None = None, limit: int = 20
) -> list[WebhookDelivery]:
    """The delivery log, newest first."""
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    if webhook is not None:
        stmt = stmt.where(WebhookDelivery.webhook_id == webhook)
    if status:
        stmt = stmt.where(WebhookDelivery.status == DeliveryStatus(status))
    return list(session.scalars(stmt))


def emit(session: Session, event: str, data: dict[str, Any]) -> int:
    """Queue ``event`` for every active webhook that wants it, and log it for the playbooks (both in the caller's
    transaction, so they happen exactly when the change commits)."""
    assert event in EVENTS, event
    from northstar.playbooks.models import DomainEvent

    account = data.get("id") if event.startswith("account.") else data.get("account_id")
    if account is None and isinstance(data.get("account"), str):  # a REST record names its account by external id
        from northstar.accounts.models import Account

        account = session.scalar(select(Account.id).where(Account.external_id == data["account"]))
    session.add(
        DomainEvent(
            type=event,
            account_id=account if isinstance(account, int) else None,
            occurred_at=utcnow(),
            data=_plain(data),
        )
    )
    active = session.info.get("northstar.webhooks")  # one query per session, however many events
    if active is None:
        active = session.info["northstar.webhooks"] = [
            (h.id, tuple(h.events)) for h in session.scalars(select(Webhook).where(Webhook.active))
        ]
    hooks = [hook_id for hook_id, events in active if not events or event in events]
    if not hooks:
        return 0
    event_id = uuid.uuid4().hex
    payload = {"id": event_id, "type": event, "created": utcnow().isoformat(), "data": data}
    for hook_id in hooks:
        session.add(WebhookDelivery(webhook_id=hook_id, event_id=event_id, event=event, payload=payload))
    return len(hooks)


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with dates and other values JSON cannot hold as text."""
    return {
        k: v if v is None or isinstance(v, str | int | float | bool | list | dict) else str(v) for k, v in data.items()
    }


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, tolerance: float = 300.0, now: float | None = None) -> bool:
    """What a receiver does with ``Northstar-Signature`` (a reference for integrators, and the tests')."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        stamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, stamp), f"t={stamp},v1={parts.get('v1', '')}")


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, ... at most 6 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


@dataclass
class DeliveryRun:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_due(session_factory: Any, now: datetime | None = None, client: httpx.Client | None = None) -> DeliveryRun:
    """Post every due delivery once. ``session_factory()`` gives a context-managed session (committing).

    A delivery is claimed first (its next attempt moved a lease ahead, if nobody moved it since it was
    read), so two dispatchers never post the same attempt."""
    run = DeliveryRun()
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT)
    try:
        with session_factory() as session:
            due = session.execute(
                select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
                .where(WebhookDelivery.status == DeliveryStatus.PENDING)
                .where(WebhookDelivery.next_attempt_at <= (now or utcnow()))
                .order_by(WebhookDelivery.id)
                .limit(500)
            ).all()
        for delivery_id, planned in due:
            _attempt(session_factory, delivery_id, planned, client, run)
    finally:
        if own:
            client.close()
    return run


def _attempt(session_factory: Any, delivery_id: int, planned: datetime, client: httpx.Client, run: DeliveryRun) -> None:
    with session_factory() as session:
        claimed = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.next_attempt_at == planned)
            .values(next_attempt_at=utcnow() + LEASE)
        ).rowcount
        if not claimed:
            return
        d = session.get(WebhookDelivery, delivery_id)
        hook = session.get(Webhook, d.webhook_id) if d else None
        if d is None or hook is None:
            return
        url, secret, event, event_id = hook.url, hook.secret, d.event, d.event_id
        body = json.dumps(d.payload, separators=(",", ":"), sort_keys=True).encode()
    status, error = None, None
    try:
        reply = client.post(
            url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Northstar-Webhooks/1",
                "Northstar-Event": event,
                "Northstar-Event-Id": event_id,
                "Northstar-Signature": sign(secret, body, int(time.time())),
            },
        )
        status = reply.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}: {reply.text[:200]}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    with session_factory() as session:
        d = session.get(WebhookDelivery, delivery_id)
        assert d is not None
        d.attempts += 1
        d.last_status, d.last_error = status, error
        if error is None:
            d.status, d.delivered_at = DeliveryStatus.DELIVERED, utcnow()
            run.delivered += 1
        elif d.attempts >= MAX_ATTEMPTS:
            d.status = DeliveryStatus.FAILED
            run.failed += 1
        else:
            d.next_attempt_at = utcnow() + backoff(d.attempts)
            run.retrying += 1
