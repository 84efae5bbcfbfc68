"""Segment messages: the spec's required fields and types, its size limits, clock-skew correction, batch
context and partial rejection, gzip bodies, and ids for messages sent without one."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from northstar.api.messages import MAX_MESSAGE, MessageError, RequestError, batch, decode_body, message


def obj(value):
    """A message's object of raw JSON values (traits, properties, context) as plain values."""
    return None if value is None else msgspec.json.decode(msgspec.json.encode(value))


RECEIVED = datetime(2026, 11, 26, 10, 0, 7)


def test_clock_skew_is_removed_with_sent_at():
    # the device's clock runs an hour ahead: it says the event happened 5 s before it sent it
    m = message(
        {"userId": "u1", "event": "Login", "timestamp": "2026-11-26T11:00:00Z", "sentAt": "2026-11-26T11:00:05Z"},
        RECEIVED,
        "track",
    )
    assert m.timestamp == RECEIVED - timedelta(seconds=5)  # 10:00:02, on the server's clock
    assert (m.type, m.user_id, m.event, m.received_at) == ("track", "u1", "Login", RECEIVED)


def test_time_without_sent_at_or_without_anything():
    given_ = message({"userId": "u1", "event": "E", "timestamp": "2025-01-02T03:04:05+02:00"}, RECEIVED, "track")
    assert given_.timestamp == datetime(2025, 1, 2, 1, 4, 5)  # as given, in UTC (historical imports)
    assert message({"anonymousId": "a1", "event": "E"}, RECEIVED, "track").timestamp == RECEIVED


@given(skew=st.integers(-86_400 * 30, 86_400 * 30), lag=st.integers(0, 86_400 * 7))
def test_correction_keeps_the_delay_between_event_and_sending(skew, lag):
    """Whatever the device clock's error, the stored time is the receipt time less the delay the device
    itself measured between the event and the send."""
    device_now = RECEIVED + timedelta(seconds=skew)
    raw = {
        "userId": "u",
        "event": "E",
        "timestamp": (device_now - timedelta(seconds=lag)).isoformat() + "Z",
        "sentAt": device_now.isoformat() + "Z",
    }
    assert message(raw, RECEIVED, "track").timestamp == RECEIVED - timedelta(seconds=lag)


@pytest.mark.parametrize(
    ("kind", "raw", "reason"),
    [
        ("track", {"event": "E"}, "userId or anonymousId is required"),
        ("track", {"userId": True, "event": "E"}, "userId must be a string, not true or false"),
        ("track", {"userId": "u"}, "event is required"),
        ("track", {"userId": "u", "event": "  "}, "event is required"),
        ("group", {"userId": "u"}, "groupId is required"),
        ("alias", {"userId": "u"}, "alias needs both"),
        ("identify", {"userId": "u", "traits": ["x"]}, "traits must be an object"),
        ("track", {"userId": "u", "event": "E", "properties": "x"}, "properties must be an object"),
        ("page", {"userId": "u", "name": 3}, "name must be a string, not a number"),
        ("track", {"userId": "u", "event": "E", "timestamp": "yesterday"}, "timestamp must be an ISO-8601"),
        ("identify", {"userId": "u", "traits": "x"}, "traits must be an object, not a string"),
        (None, {"userId": "u", "type": "purchase"}, "type must be one of"),
        ("track", {"userId": "u", "event": "E", "properties": {"x": "y" * MAX_MESSAGE}}, "limit is 32,768"),
    ],
)
def test_bad_messages_say_why(kind, raw, reason):
    with pytest.raises(MessageError, match=reason):
        message(raw, RECEIVED, kind)


def test_every_type_and_its_fields():
    ident = message({"userId": 42, "traits": {"email": "a@b.c"}}, RECEIVED, "identify")
    assert ident.user_id == "42" and obj(ident.traits) == {"email": "a@b.c"}  # a numeric id is its text
    group = message({"userId": "u", "groupId": "ACME-1", "traits": {"name": "Acme"}}, RECEIVED, "group")
    assert group.group_id == "ACME-1" and obj(group.traits) == {"name": "Acme"}
    page = message({"anonymousId": "a", "name": "Pricing", "properties": {"path": "/p"}}, RECEIVED, "page")
    assert (page.event, obj(page.properties)) == ("Pricing", {"path": "/p"})
    assert message({"userId": "u"}, RECEIVED, "screen").event is None
    alias = message({"userId": "u", "previousId": "anon-1"}, RECEIVED, "alias")
    assert alias.previous_id == "anon-1"


def test_ids_for_messages_without_one_are_stable():
    raw = {"userId": "u", "event": "E", "timestamp": "2026-01-01T00:00:00Z"}
    first, again = message(dict(raw), RECEIVED, "track"), message(dict(reversed(raw.items())), RECEIVED, "track")
    assert first.message_id == again.message_id and first.message_id.startswith("auto-")
    assert message({**raw, "event": "F"}, RECEIVED, "track").message_id != first.message_id
    assert message({**raw, "messageId": "m-1"}, RECEIVED, "track").message_id == "m-1"


def test_a_batch_keeps_the_good_messages_and_names_the_bad():
    body = {
        "sentAt": "2026-11-26T11:00:05Z",
        "context": {"library": {"name": "analytics-python"}, "groupId": "ACME-1"},
        "batch": [
            {"type": "track", "userId": "u", "event": "A", "messageId": "m1", "timestamp": "2026-11-26T11:00:00Z"},
            {"type": "track", "userId": "u", "messageId": "m2"},
            "not a message",
            {"type": "identify", "anonymousId": "x", "context": {"groupId": "OTHER"}, "messageId": "m4"},
        ],
    }
    good, bad = batch(body, RECEIVED)
    assert [m.message_id for m in good] == ["m1", "m4"]
    assert good[0].timestamp == RECEIVED - timedelta(seconds=5)  # the batch's sentAt applies
    assert obj(good[0].context) == {"library": {"name": "analytics-python"}, "groupId": "ACME-1"}
    assert obj(good[1].context)["groupId"] == "OTHER"  # the message's own context wins
    assert [(r.index, r.message_id) for r in bad] == [(1, "m2"), (2, None)]
    assert "event is required" in bad[0].reason and "must be an object" in bad[1].reason
    with pytest.raises(RequestError, match='"batch" array'):
        batch({"messages": []}, RECEIVED)


def test_bodies_gzip_json_and_limits():
    doc = {"batch": [{"type": "track", "userId": "u", "event": "E"}]}
    raw = json.dumps(doc).encode()
    assert decode_body(raw) == doc
    assert decode_body(gzip.compress(raw), "gzip") == doc
    with pytest.raises(RequestError, match="not valid JSON"):
        decode_body(b"{nope")
    with pytest.raises(RequestError, match="not valid gzip"):
        decode_body(b"plain", "gzip")
    with pytest.raises(RequestError, match="limit is 512,000"):
        decode_body(b" " * (500 * 1024 + 1))
    bomb = gzip.compress(b" " * (5 * 1024 * 1024))  # 5 MB of spaces in a few KB
    assert len(bomb) < 20_000
    with pytest.raises(RequestError, match="inflates past the limit"):
        decode_body(bomb, "gzip")
