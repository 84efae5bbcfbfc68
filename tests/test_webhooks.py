"""Webhook deliveries to a real HTTP receiver on 127.0.0.1: signed, retried with back-off, logged."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from northstar.db.base import utcnow
from northstar.db.engine import session_scope
from northstar.webhooks import service
from northstar.webhooks.models import DeliveryStatus, WebhookDelivery
from northstar.webhooks.service import backoff, create_webhook, deliver_due, emit, sign, verify


@pytest.fixture
def receiver():
    """A local HTTP server that records what it gets and answers with the status in ``replies`` (200 when empty)."""
    got: list[tuple[dict, bytes]] = []
    replies: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((dict(self.headers), body))
            self.send_response(replies.pop(0) if replies else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", got, replies
    server.shutdown()


def test_signed_delivery(lite, receiver):
    url, got, _ = receiver
    with session_scope(lite.database_url) as s:
        hook = create_webhook(s, url, ["account.created"])
        secret = hook.secret
        assert emit(s, "account.created", {"external_id": "A-1"}) == 1
        assert emit(s, "account.updated", {"external_id": "A-1"}) == 0  # not subscribed
    run = deliver_due(lambda: session_scope(lite.database_url))
    assert (run.delivered, run.retrying) == (1, 0)
    headers, body = got[0]
    assert headers["Northstar-Event"] == "account.created"
    assert verify(secret, body, headers["Northstar-Signature"])
    assert not verify(secret, body + b" ", headers["Northstar-Signature"])  # a changed body fails
    assert not verify("whsec_other", body, headers["Northstar-Signature"])
    payload = json.loads(body)
    assert payload["type"] == "account.created" and payload["data"] == {"external_id": "A-1"}
    assert payload["id"] == headers["Northstar-Event-Id"]
    with session_scope(lite.database_url) as s:
        d = s.scalar(select(WebhookDelivery))
        assert (d.status, d.attempts, d.last_status) == (DeliveryStatus.DELIVERED, 1, 200)
    assert deliver_due(lambda: session_scope(lite.database_url)).delivered == 0  # delivered once


def test_failures_are_retried_with_back_off_then_given_up(lite, receiver, monkeypatch):
    url, got, replies = receiver
    replies += [500, 503]
    with session_scope(lite.database_url) as s:
        create_webhook(s, url)
        emit(s, "feedback.received", {"external_id": "F-1"})
    before = utcnow()
    assert deliver_due(lambda: session_scope(lite.database_url)).retrying == 1
    with session_scope(lite.database_url) as s:
        d = s.scalar(select(WebhookDelivery))
        assert (d.status, d.attempts, d.last_status) == (DeliveryStatus.PENDING, 1, 500)
        assert "HTTP 500" in d.last_error
        assert d.next_attempt_at >= before + timedelta(seconds=29)  # not due again at once
    assert deliver_due(lambda: session_scope(lite.database_url)).retrying == 0
    later = utcnow() + timedelta(minutes=1)
    assert deliver_due(lambda: session_scope(lite.database_url), now=later).retrying == 1  # 503
    assert deliver_due(lambda: session_scope(lite.database_url), now=later + timedelta(minutes=2)).delivered == 1
    assert len(got) == 3 and len({h["Northstar-Event-Id"] for h, _ in got}) == 1  # one event id on every try

    monkeypatch.setattr(service, "MAX_ATTEMPTS", 2)
    with session_scope(lite.database_url) as s:
        emit(s, "feedback.received", {"external_id": "F-2"})
    replies += [500, 500]
    deliver_due(lambda: session_scope(lite.database_url))
    run = deliver_due(lambda: session_scope(lite.database_url), now=utcnow() + timedelta(hours=1))
    assert run.failed == 1


def test_unreachable_receiver_is_logged(lite):
    with session_scope(lite.database_url) as s:
        create_webhook(s, "http://127.0.0.1:9/closed")
        emit(s, "account.deleted", {"external_id": "A"})
    assert deliver_due(lambda: session_scope(lite.database_url)).retrying == 1
    with session_scope(lite.database_url) as s:
        assert "ConnectError" in s.scalar(select(WebhookDelivery.last_error))


def test_backoff_doubles_to_a_ceiling():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(30) == timedelta(hours=6)


def test_signature_is_hmac_sha256_of_time_and_body():
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("s3cret", b"{}", 1700000000) == f"t=1700000000,v1={expected}"
    assert not verify("s3cret", b"{}", sign("s3cret", b"{}", 1700000000), now=1700000000 + 3600)  # too old


def test_bad_webhook_urls_and_events(lite):
    with session_scope(lite.database_url) as s:
        with pytest.raises(ValueError, match="http"):
            create_webhook(s, "ftp://x")
        with pytest.raises(ValueError, match="unknown event"):
            create_webhook(s, "https://x.test", ["account.exploded"])
