"""Segment Tracking API messages: checked, normalised and timestamped, before anything is stored.

Follows Segment's HTTP Tracking API and spec (``identify``, ``track``, ``page``, ``screen``, ``group``,
``alias`` and ``batch``):

* every message names its user: ``userId`` or ``anonymousId`` (a string; a number is taken as its text);
  ``track`` needs ``event``, ``group`` needs ``groupId``, ``alias`` needs ``userId`` and ``previousId``;
  ``traits``, ``properties`` and ``context`` are objects when present;
* **size**: at most 32 KB a message and 500 KB a request (``batch``), as Segment's limits;
* **time**: ``timestamp = receivedAt - (sentAt - timestamp)`` when the client sent ``sentAt``, which removes
  the device's clock skew; without ``sentAt`` the ``timestamp`` is taken as given, and without either the
  time the server received the message. All times are stored in UTC;
* ``messageId`` identifies a message, so a retried one is stored once. A message without one gets an id
  made from its content (the same content, the same id);
* in a ``batch``, the batch's ``context`` is merged under each message's, and its ``sentAt`` applies to
  messages without their own. A bad message is rejected with its reason and position; the rest are kept.

Speed: a message is decoded straight into a typed struct (``Message``; msgspec checks the types in C, and
the struct is what the log stores), and a whole batch at once when every message is valid; only a batch with a
bad message is decoded message by message to tell which. ``traits``, ``properties`` and ``context`` are kept
as objects of raw JSON values, never decoded further.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from datetime import UTC, datetime
from typing import Any

import msgspec

TYPES = frozenset(("identify", "track", "page", "screen", "group", "alias"))
MAX_MESSAGE = 32 * 1024
MAX_REQUEST = 500 * 1024
_json = msgspec.json.Decoder()
_encode = msgspec.json.Encoder(order="sorted")
_fast_encode = msgspec.json.Encoder()
Raw = msgspec.Raw
JSONObject = dict[str, msgspec.Raw]


class RequestError(ValueError):
    """The whole request is refused (400): not JSON, too large, not a batch."""


class MessageError(ValueError):
    """One message is refused; in a batch, the others are still stored."""


class Message(msgspec.Struct, rename="camel", omit_defaults=True, gc=False):
    """A message, as sent (Segment's camelCase names) and, once checked, as logged: ``type`` set, ids as
    text, ``message_id`` given or made, ``timestamp`` corrected for clock skew (naive UTC, as events are
    stored), ``event`` holding a page's or screen's name. Fields Northstar does not keep are dropped."""

    type: str | None = None
    message_id: str | None = None
    user_id: str | int | None = None
    anonymous_id: str | int | None = None
    timestamp: datetime | None = None
    sent_at: datetime | None = None
    received_at: datetime | None = None
    event: str | None = None
    name: str | None = None
    group_id: str | int | None = None
    previous_id: str | int | None = None
    traits: JSONObject | None = None
    properties: JSONObject | None = None
    context: JSONObject | None = None
    write_key: str | None = None


class _Sized(msgspec.Struct):
    batch: list[msgspec.Raw]


class BatchBody(msgspec.Struct, rename="camel", gc=False):
    batch: list[Message]
    context: JSONObject | None = None
    sent_at: datetime | None = None
    write_key: str | None = None


class _BatchHead(msgspec.Struct, rename="camel"):
    """A batch's own fields, read when its messages are checked one by one."""

    batch: list[msgspec.Raw]
    context: JSONObject | None = None
    sent_at: datetime | None = None
    write_key: str | None = None


class Rejected(msgspec.Struct, frozen=True, rename="camel"):
    """A message of a batch that was not kept: its position, its ``messageId`` if it had one, and why."""

    index: int
    message_id: str | None
    reason: str


_message = msgspec.json.Decoder(Message)
_sized = msgspec.json.Decoder(_Sized)
_batch = msgspec.json.Decoder(BatchBody)
_batch_head = msgspec.json.Decoder(_BatchHead)


def inflate(body: bytes, encoding: str | None = None) -> bytes:
    """A request body as JSON bytes (gzip or deflate accepted), refusing more than 500 KB either way."""
    if len(body) > MAX_REQUEST:
        raise RequestError(f"the request is {len(body):,} bytes; the limit is {MAX_REQUEST:,} (500 KB)")
    if encoding and encoding.strip().lower() in ("gzip", "x-gzip", "deflate"):
        try:
            stream = zlib.decompressobj(wbits=47 if "gzip" in encoding.lower() else 15)
            body = stream.decompress(body, MAX_REQUEST + 1)  # never inflates past the limit (zip bombs)
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise RequestError(f"the body is not valid {encoding}: {exc}") from None
        if len(body) > MAX_REQUEST or stream.unconsumed_tail:
            raise RequestError(f"the request inflates past the limit of {MAX_REQUEST:,} bytes (500 KB)")
    return body


def decode_body(body: bytes, encoding: str | None = None) -> Any:
    """The JSON of a request body (see ``inflate``)."""
    body = inflate(body, encoding)
    try:
        return _json.decode(body)
    except msgspec.DecodeError as exc:
        raise RequestError(f"the body is not valid JSON: {exc}") from None


_WANTED = {
    "str | int | null": "a string",
    "int | str | null": "a string",
    "str | null": "a string",
    "object | null": "an object",
    "datetime | null": "an ISO-8601 time",
}
_GOT = {"array": "a list", "str": "a string", "int": "a number", "float": "a number", "bool": "true or false"}
_EXPECTED = re.compile(r"Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)` - at `\$(?:\[\d+\])?\.(?P<field>\w+)")
_DATETIME = re.compile(r"Invalid RFC3339 encoded datetime - at `\$(?:\[\d+\])?\.(?P<field>\w+)")


def _reason(exc: msgspec.ValidationError) -> str:
    """msgspec's message in the words of the rest of the API, e.g. "userId must be a string, not a number"."""
    text = str(exc)
    if m := _EXPECTED.search(text):
        want = _WANTED.get(m["want"], m["want"])
        return f"{m['field']} must be {want}, not {_GOT.get(m['got'], m['got'])}"
    if m := _DATETIME.search(text):
        return f"{m['field']} must be an ISO-8601 time with a date and a time of day"
    if text.startswith("Expected `object`"):
        return "a message must be an object"
    return text


def _utc(t: datetime) -> datetime:
    """Naive UTC (a time without a zone is taken as UTC)."""
    if t.tzinfo is None:
        return t
    return t.replace(tzinfo=None) if t.tzinfo is UTC else t.astimezone(UTC).replace(tzinfo=None)


def _check(
    m: Message,
    received_at: datetime,
    kind: str | None = None,
    batch_context: JSONObject | None = None,
    batch_sent_at: datetime | None = None,
) -> Message:
    """Check a decoded message and complete it in place (see ``Message``)."""
    kind = kind or m.type
    if kind not in TYPES:
        raise MessageError(f"type must be one of {', '.join(sorted(TYPES))}, not {m.type!r}")
    if not m.message_id:
        m.message_id = "auto-" + hashlib.md5(_encode.encode(m)).hexdigest()  # the same content, the same id
    m.type = kind
    if m.user_id.__class__ is int:
        m.user_id = str(m.user_id)
    if m.anonymous_id.__class__ is int:
        m.anonymous_id = str(m.anonymous_id)
    if not m.user_id and not m.anonymous_id:
        raise MessageError("userId or anonymousId is required")
    if kind == "track":
        if not m.event or not m.event.strip():
            raise MessageError("event is required for track, as a non-empty string")
        m.event = m.event.strip()
    elif kind == "page" or kind == "screen":
        m.event = m.name
    elif kind == "group":
        if m.group_id is None or m.group_id == "":
            raise MessageError("groupId is required for group")
        m.group_id = str(m.group_id)
    elif kind == "alias":
        if not m.previous_id or not m.user_id:
            raise MessageError("alias needs both userId and previousId")
        m.previous_id = str(m.previous_id)
    if batch_context:
        m.context = {**batch_context, **(m.context or {})}
    if kind == "identify" and m.traits is None and m.context and "traits" in m.context:
        nested = _json.decode(m.context["traits"])
        m.traits = (
            {k: msgspec.Raw(_fast_encode.encode(v)) for k, v in nested.items()} if isinstance(nested, dict) else None
        )
    if m.timestamp is not None:
        sent = m.sent_at or batch_sent_at
        if sent is None:
            m.timestamp = _utc(m.timestamp)
        elif (sent.tzinfo is None) == (m.timestamp.tzinfo is None):
            m.timestamp = received_at - (sent - m.timestamp)  # the device clock's skew removed
        else:
            m.timestamp = received_at - (_utc(sent) - _utc(m.timestamp))
    else:
        m.timestamp = received_at
    m.received_at, m.sent_at, m.write_key = received_at, None, None
    return m


def message(
    raw: Any,
    received_at: datetime,
    kind: str | None = None,
    batch_context: JSONObject | None = None,
    batch_sent_at: datetime | None = None,
) -> Message:
    """Check one message: JSON bytes (as sent) or a decoded object. ``kind`` is the endpoint's type; in a
    batch, the message's own ``type``."""
    if isinstance(raw, dict):
        raw = _encode.encode(raw)
    elif not isinstance(raw, bytes | msgspec.Raw):
        raise MessageError(f"a message must be an object, not {_GOT.get(type(raw).__name__, type(raw).__name__)}")
    if len(raw) > MAX_MESSAGE:
        raise MessageError(f"the message is {len(raw):,} bytes; the limit is {MAX_MESSAGE:,} (32 KB)")
    try:
        m = _message.decode(raw)
    except msgspec.ValidationError as exc:
        raise MessageError(_reason(exc)) from None
    return _check(m, received_at, kind, batch_context, batch_sent_at)


def read_call(body: bytes, received_at: datetime, kind: str) -> tuple[str | None, list[Message], list[Rejected]]:
    """A request to one of the endpoints (already inflated): the body's ``writeKey`` if any, the checked
    messages and, for ``batch``, the rejected ones. ``RequestError`` or ``MessageError`` for a bad call."""
    if kind != "batch":
        try:
            m = _message.decode(body)
        except msgspec.ValidationError as exc:
            if len(body) > MAX_MESSAGE:
                raise MessageError(
                    f"the message is {len(body):,} bytes; the limit is {MAX_MESSAGE:,} (32 KB)"
                ) from None
            raise MessageError(_reason(exc)) from None
        except msgspec.DecodeError as exc:
            raise RequestError(f"the body is not valid JSON: {exc}") from None
        if len(body) > MAX_MESSAGE:
            raise MessageError(f"the message is {len(body):,} bytes; the limit is {MAX_MESSAGE:,} (32 KB)")
        key = m.write_key
        return key, [_check(m, received_at, kind)], []
    try:
        if len(body) > MAX_MESSAGE and max(map(len, _sized.decode(body).batch), default=0) > MAX_MESSAGE:
            raise _Slow
        b = _batch.decode(body)  # the fast way: every message valid in type
        good, bad = [], []
        for i, m in enumerate(b.batch):
            try:
                good.append(_check(m, received_at, None, b.context, b.sent_at))
            except MessageError as exc:
                bad.append(Rejected(i, m.message_id, str(exc)))
        return b.write_key, good, bad
    except (_Slow, msgspec.ValidationError):
        pass
    except msgspec.DecodeError as exc:
        raise RequestError(f"the body is not valid JSON: {exc}") from None
    try:
        head = _batch_head.decode(body)
    except msgspec.ValidationError:
        raise RequestError('a batch is an object with a "batch" array of messages') from None
    good, bad = [], []
    for i, raw in enumerate(head.batch):
        try:
            good.append(message(raw, received_at, None, head.context, head.sent_at))
        except MessageError as exc:
            bad.append(Rejected(i, _message_id_of(raw), str(exc)))
    return head.write_key, good, bad


class _Slow(Exception):
    """A batch to check message by message (one is too large, or of a wrong type)."""


def batch(body: Any, received_at: datetime) -> tuple[list[Message], list[Rejected]]:
    """The messages of a ``batch`` request body (bytes or decoded), and those rejected (position, reason)."""
    if not isinstance(body, bytes):
        if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
            raise RequestError('a batch is an object with a "batch" array of messages')
        body = msgspec.json.encode(body)
    return read_call(body, received_at, "batch")[1:]


def _message_id_of(raw: msgspec.Raw) -> str | None:
    try:
        value = _json.decode(raw)
    except msgspec.DecodeError:
        return None
    mid = value.get("messageId") if isinstance(value, dict) else None
    return mid if isinstance(mid, str) else None
