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
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

TYPES = ("identify", "track", "page", "screen", "group", "alias")
MAX_MESSAGE = 32 * 1024
MAX_REQUEST = 500 * 1024
_json = msgspec.json.Decoder()
_encode = msgspec.json.Encoder(order="sorted")


class RequestError(ValueError):
    """The whole request is refused (400): not JSON, too large, not a batch."""


class MessageError(ValueError):
    """One message is refused; in a batch, the others are still stored."""


@dataclass(frozen=True)
class Message:
    """A checked message. ``timestamp`` is corrected for clock skew (naive UTC, as events are stored)."""

    type: str
    message_id: str
    user_id: str | None
    anonymous_id: str | None
    timestamp: datetime
    received_at: datetime
    event: str | None = None  # track: the event; page and screen: the name, if any
    group_id: str | None = None
    previous_id: str | None = None
    traits: dict[str, Any] | None = None
    properties: dict[str, Any] | None = None
    context: dict[str, Any] | None = None


@dataclass(frozen=True)
class Rejected:
    index: int
    message_id: str | None
    reason: str


def decode_body(body: bytes, encoding: str | None = None) -> Any:
    """The JSON of a request body (gzip or deflate accepted), refusing more than 500 KB either way."""
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
    try:
        return _json.decode(body)
    except msgspec.DecodeError as exc:
        raise RequestError(f"the body is not valid JSON: {exc}") from None


def parse_time(value: Any, field: str) -> datetime:
    """An ISO-8601 time as naive UTC (a time without a zone is taken as UTC)."""
    if not isinstance(value, str) or not value:
        raise MessageError(f"{field} must be an ISO-8601 time, not {value!r}")
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise MessageError(f"{field} must be an ISO-8601 time, not {value!r}") from None
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def _id(raw: dict[str, Any], field: str) -> str | None:
    value = raw.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MessageError(f"{field} must be a string, not {type(value).__name__}")
    return str(value)


def _object(raw: dict[str, Any], field: str) -> dict[str, Any] | None:
    value = raw.get(field)
    if value is not None and not isinstance(value, dict):
        raise MessageError(f"{field} must be an object, not {type(value).__name__}")
    return value


def message(
    raw: Any,
    received_at: datetime,
    kind: str | None = None,
    batch_context: dict[str, Any] | None = None,
    batch_sent_at: str | None = None,
) -> Message:
    """Check one message (``kind``: the endpoint's type; in a batch, the message's own ``type``)."""
    if not isinstance(raw, dict):
        raise MessageError(f"a message must be an object, not {type(raw).__name__}")
    size = len(_encode.encode(raw))
    if size > MAX_MESSAGE:
        raise MessageError(f"the message is {size:,} bytes; the limit is {MAX_MESSAGE:,} (32 KB)")
    kind = kind or raw.get("type")
    if kind not in TYPES:
        raise MessageError(f"type must be one of {', '.join(TYPES)}, not {raw.get('type')!r}")
    user_id, anonymous_id = _id(raw, "userId"), _id(raw, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise MessageError("userId or anonymousId is required")
    event = raw.get("event") if kind == "track" else raw.get("name")
    if kind == "track" and (not isinstance(event, str) or not event.strip()):
        raise MessageError("event is required for track, as a non-empty string")
    if event is not None and not isinstance(event, str):
        raise MessageError(f"name must be a string, not {type(event).__name__}")
    group_id, previous_id = _id(raw, "groupId"), _id(raw, "previousId")
    if kind == "group" and group_id is None:
        raise MessageError("groupId is required for group")
    if kind == "alias" and (previous_id is None or user_id is None):
        raise MessageError("alias needs both userId and previousId")
    traits, properties, context = _object(raw, "traits"), _object(raw, "properties"), _object(raw, "context")
    if batch_context:
        context = {**batch_context, **(context or {})}
    if kind == "identify" and traits is None and context and isinstance(context.get("traits"), dict):
        traits = context["traits"]
    sent = raw.get("sentAt") or batch_sent_at
    if raw.get("timestamp"):
        at = parse_time(raw["timestamp"], "timestamp")
        if sent:
            at = received_at - (parse_time(sent, "sentAt") - at)  # the device clock's skew removed
    else:
        at = received_at
    message_id = _id(raw, "messageId") or "auto-" + hashlib.md5(_encode.encode(raw)).hexdigest()
    return Message(
        kind,
        message_id,
        user_id,
        anonymous_id,
        at,
        received_at,
        event.strip() if isinstance(event, str) else None,
        group_id,
        previous_id,
        traits,
        properties,
        context,
    )


def batch(body: Any, received_at: datetime) -> tuple[list[Message], list[Rejected]]:
    """The messages of a ``batch`` request body, and those rejected (by position, with the reason)."""
    if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
        raise RequestError('a batch is an object with a "batch" array of messages')
    context = body.get("context") if isinstance(body.get("context"), dict) else None
    sent_at = body.get("sentAt") if isinstance(body.get("sentAt"), str) else None
    good, bad = [], []
    for i, raw in enumerate(body["batch"]):
        try:
            good.append(message(raw, received_at, None, context, sent_at))
        except MessageError as exc:
            mid = raw.get("messageId") if isinstance(raw, dict) and isinstance(raw.get("messageId"), str) else None
            bad.append(Rejected(i, mid, str(exc)))
    return good, bad
