"""Applying the intake log: accounts from ``group``, contacts from ``identify``, events attached to the
user's account (held until it is known), retried messages stored once, and exactly once across crashes."""

from __future__ import annotations

from datetime import datetime

import duckdb
import msgspec
import pytest
from sqlalchemy import select

from northstar.accounts.models import Account, Contact
from northstar.api.applier import Applier
from northstar.api.messages import message
from northstar.api.wal import WriteAheadLog, segments
from northstar.db.engine import session_scope
from northstar.usage.models import TrackedUser
from northstar.usage.store import EventStore

NOW = datetime(2026, 11, 26, 9, 0, 0)
_encode = msgspec.json.Encoder()


@pytest.fixture
def intake(settings):
    log = WriteAheadLog(settings.intake_dir / "wal")

    def send(*raws: dict) -> None:
        msgs = [message(r, NOW) for r in raws]
        log.append(_encode.encode({"key": "k", "received_at": NOW, "messages": msgs}))

    yield send, settings
    log.close()


def stored(settings) -> list[tuple]:
    """(event_id, account external id, contact external id, user, event, properties) of every stored event."""
    files = EventStore(settings.events_dir).files()
    if not files:
        return []
    with session_scope(settings.database_url) as s:
        accounts = dict(s.execute(select(Account.id, Account.external_id)).all())
        contacts = dict(s.execute(select(Contact.id, Contact.external_id)).all())
    rows = duckdb.sql(
        "SELECT event_id, account_id, contact_id, user_id, event, properties FROM read_parquet("
        + str([str(f) for f in files])
        + ") ORDER BY event_id"
    ).fetchall()
    return [(e, accounts[a], contacts.get(c), u, ev, p) for e, a, c, u, ev, p in rows]


def apply(settings) -> object:
    with Applier(settings) as applier:
        return applier.run()


def test_group_identify_and_track(intake):
    send, settings = intake
    send(
        {
            "type": "group",
            "userId": "u1",
            "groupId": "ACME",
            "traits": {"name": "Acme", "website": "https://acme.test/x", "industry": "Retail", "plan": "pro"},
        },
        {
            "type": "identify",
            "userId": "u1",
            "traits": {"email": "ann@acme.test", "firstName": "Ann", "lastName": "Li", "role": "champion"},
            "context": {"locale": "it-IT"},
        },
        {"type": "track", "userId": "u1", "event": "Report Exported", "messageId": "m1", "properties": {"rows": 3}},
        {"type": "page", "userId": "u1", "name": "Pricing", "messageId": "m2", "properties": {"path": "/pricing"}},
        {"type": "screen", "userId": "u1", "name": "Home", "messageId": "m3"},
    )
    done = apply(settings)
    assert (done.records, done.calls, done.events, done.held) == (1, 2, 3, 0)
    with session_scope(settings.database_url) as s:
        acme = s.scalar(select(Account).where(Account.external_id == "ACME"))
        assert (acme.name, acme.domain, acme.industry, acme.attributes) == (
            "Acme",
            "acme.test",
            "Retail",
            {"plan": "pro"},
        )
        ann = s.scalar(select(Contact).where(Contact.external_id == "u1"))
        assert (ann.account_id, ann.name, ann.email, ann.role.value, ann.language) == (
            acme.id,
            "Ann Li",
            "ann@acme.test",
            "champion",
            "it",
        )
    assert stored(settings) == [
        ("m1", "ACME", "u1", "u1", "Report Exported", '{"rows":3}'),
        ("m2", "ACME", "u1", "u1", "page_view", '{"name":"Pricing","path":"/pricing"}'),
        ("m3", "ACME", "u1", "u1", "screen_view", '{"name":"Home"}'),
    ]


def test_track_before_group_is_held_then_attached(intake):
    send, settings = intake
    send({"type": "track", "userId": "u2", "event": "Login", "messageId": "early"})
    send({"type": "track", "userId": "u3", "event": "Login", "messageId": "named", "context": {"groupId": "BETA"}})
    done = apply(settings)
    assert (done.events, done.held) == (0, 2)
    assert stored(settings) == []
    send({"type": "group", "userId": "u2", "groupId": "BETA"})
    done = apply(settings)
    assert (done.events, done.held) == (2, 0)
    assert [(e, a, u) for e, a, _, u, _, _ in stored(settings)] == [("early", "BETA", "u2"), ("named", "BETA", "u3")]


def test_alias_carries_the_visitor_to_the_users_account(intake):
    send, settings = intake
    send({"type": "page", "anonymousId": "visitor-9", "name": "Docs", "messageId": "p1"})
    send({"type": "group", "userId": "u4", "groupId": "GAMMA"})
    assert apply(settings).held == 1
    send({"type": "alias", "userId": "u4", "previousId": "visitor-9"})
    assert apply(settings).events == 1
    assert [(e, a, u) for e, a, _, u, _, _ in stored(settings)] == [("p1", "GAMMA", "visitor-9")]
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(TrackedUser.alias_of).where(TrackedUser.key == "visitor-9")) == "u4"


def test_retried_messages_are_stored_once(intake):
    send, settings = intake
    send({"type": "group", "userId": "u1", "groupId": "ACME"})
    send(
        {"type": "track", "userId": "u1", "event": "A", "messageId": "r1"},
        {"type": "track", "userId": "u1", "event": "A", "messageId": "r1"},
    )
    send({"type": "track", "userId": "u1", "event": "A", "messageId": "r1"})  # the same step
    assert apply(settings).events == 1
    send(
        {"type": "track", "userId": "u1", "event": "A", "messageId": "r1"},
        {"type": "track", "userId": "u1", "event": "B", "messageId": "r2"},
    )
    done = apply(settings)  # a new applier (a restart): the seen ids are rebuilt from the stored batches
    assert (done.events, done.repeats) == (1, 1)
    assert [e for e, *_ in stored(settings)] == ["r1", "r2"]


def test_a_crash_between_writing_and_committing_applies_once(intake, monkeypatch):
    send, settings = intake
    send(
        {"type": "group", "userId": "u1", "groupId": "ACME"},
        {"type": "track", "userId": "u1", "event": "A", "messageId": "c1"},
    )
    applier = Applier(settings).open()

    def crash(*_a, **_k):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(applier, "_commit", crash)
    with pytest.raises(KeyboardInterrupt):
        applier.step()
    applier.close()
    assert len(EventStore(settings.events_dir).files()) == 1  # written, not committed
    monkeypatch.undo()
    assert apply(settings).events == 1  # the uncommitted batch removed and the record applied again
    assert [e for e, *_ in stored(settings)] == ["c1"]
    assert apply(settings).records == 0


def test_applied_segments_are_discarded(settings):
    log = WriteAheadLog(settings.intake_dir / "wal", segment_bytes=1)  # a new segment for every write
    for i in range(3):
        log.append(
            _encode.encode(
                {
                    "key": "k",
                    "received_at": NOW,
                    "messages": [message({"type": "track", "userId": "u", "event": "E", "messageId": f"d{i}"}, NOW)],
                }
            )
        )
    assert len(segments(settings.intake_dir / "wal")) == 3
    apply(settings)
    assert len(segments(settings.intake_dir / "wal")) == 1  # the newest stays (a writer may append to it)
    log.close()
    with Applier(settings) as applier:
        assert applier.seq == 3 and applier._held_rows() == 3
    relog = WriteAheadLog(settings.intake_dir / "wal", start_after=3)
    assert relog.append(b"{}") == 4
    relog.close()


def test_only_one_applier_at_a_time(lite):
    from northstar.api.applier import ApplierBusy

    with Applier(lite), pytest.raises(ApplierBusy):
        Applier(lite).open()


def test_group_calls_report_account_changes_to_webhooks(intake):
    from northstar.webhooks.models import WebhookDelivery
    from northstar.webhooks.service import create_webhook

    send, settings = intake
    with session_scope(settings.database_url) as s:
        create_webhook(s, "http://127.0.0.1:9/hook")
    send({"type": "group", "userId": "u1", "groupId": "ACME", "traits": {"name": "Acme"}})
    apply(settings)
    send({"type": "group", "userId": "u2", "groupId": "ACME", "traits": {"name": "Acme"}})  # no change
    apply(settings)
    send({"type": "group", "userId": "u1", "groupId": "ACME", "traits": {"name": "Acme Corp"}})
    send({"type": "group", "userId": "u1", "groupId": "ACME", "traits": {"industry": "Retail"}})
    apply(settings)  # one event per account per step, with the step's final state
    with session_scope(settings.database_url) as s:
        got = [
            (d.event, d.payload["data"]["name"])
            for d in s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        ]
    assert got == [("account.created", "Acme"), ("account.updated", "Acme Corp")]
    with session_scope(settings.database_url) as s:
        last = s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc())).first()
        assert last.payload["data"]["industry"] == "Retail"


def test_links_are_remembered_between_steps_and_refreshed_by_calls(intake):
    send, settings = intake
    with Applier(settings) as applier:
        send(
            {"type": "group", "userId": "u1", "groupId": "ONE"},
            {"type": "track", "userId": "u1", "event": "A", "messageId": "k1"},
        )
        applier.run()
        assert applier.links.users["u1"][1] is not None  # remembered
        send(
            {"type": "group", "userId": "u1", "groupId": "TWO"},
            {"type": "track", "userId": "u1", "event": "A", "messageId": "k2"},
        )
        applier.run()  # the group call drops u1's entry: k2 goes to TWO, not to the remembered ONE
    assert [(e, a) for e, a, *_ in stored(settings)] == [("k1", "ONE"), ("k2", "TWO")]
