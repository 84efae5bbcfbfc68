"""The Segment-compatible tracking endpoints: ``POST /v1/{identify,track,page,screen,group,alias,batch}``.

A call is authenticated with a write key (``northstar.api.auth``: the Authorization header, or Segment's
``writeKey`` in the body), its body decoded and its messages
checked (``northstar.api.messages``); the accepted messages are appended to the write-ahead log as one
record and the response is sent only once that record is on disk (``northstar.api.wal``). A single message
that fails its checks gets 400 with the reason; a batch keeps its good messages and lists the rejected
ones. Applying the logged messages to the stores (accounts, contacts, usage events) follows the log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from northstar.api.applier import applied_seq
from northstar.api.auth import check_token, token_from
from northstar.api.messages import TYPES, BatchBody, Message, MessageError, RequestError, inflate, read_call
from northstar.api.wal import WriteAheadLog
from northstar.auth.keys import KeyIdentity, is_cached
from northstar.auth.models import KeyScope

router = APIRouter(prefix="/v1", tags=["tracking"])
_encode = msgspec.json.Encoder()  # Message structs: camelCase, fields left empty omitted
SUCCESS = b'{"success":true}'


def intake_log(request: Request) -> WriteAheadLog:
    """The app's write-ahead log, opened on first use (one writer per process)."""
    state = request.app.state
    if getattr(state, "intake_log", None) is None:
        settings = state.settings
        state.intake_log = WriteAheadLog(settings.intake_dir / "wal", start_after=applied_seq(settings))
    return state.intake_log


async def _accept(request: Request, kind: str) -> Response:
    received = datetime.now(UTC).replace(tzinfo=None)
    token = token_from(request.headers.get("authorization"))
    try:
        body = inflate(await request.body(), request.headers.get("content-encoding"))
        body_key, good, bad = read_call(body, received, kind)
    except (RequestError, MessageError) as exc:
        await _authenticate(request, token)  # a bad body from no one is a 401, not a 400
        raise HTTPException(400, str(exc)) from None
    key = await _authenticate(request, token or body_key)  # Segment's third way: the write key in the body
    if good:
        record = _encode.encode({"key": key.prefix, "received_at": received, "messages": good})
        await run_in_threadpool(intake_log(request).append, record)
    if kind != "batch":
        return Response(SUCCESS, media_type="application/json")
    out = {"success": True, "accepted": len(good), "rejected": bad}
    return Response(_encode.encode(out), media_type="application/json")


async def _authenticate(request: Request, token: str | None) -> KeyIdentity:
    """The write key: checked on the event loop when it is in the cache, else in a thread (a database read)."""
    if token is not None and is_cached(token):
        return check_token(request, token, KeyScope.WRITE)
    return await run_in_threadpool(check_token, request, token, KeyScope.WRITE)


def schemas() -> dict[str, Any]:
    """JSON schemas of a tracking message and a batch, for the app's OpenAPI document (from the structs that
    decode them, so the document cannot drift from what is accepted)."""
    _, components = msgspec.json.schema_components([Message, BatchBody], ref_template="#/components/schemas/{name}")
    text = msgspec.json.encode(components).decode()
    text = text.replace("#/components/schemas/Message", "#/components/schemas/SegmentMessage")
    text = text.replace("#/components/schemas/BatchBody", "#/components/schemas/SegmentBatch")
    out = msgspec.json.decode(text)
    out["SegmentMessage"] = out.pop("Message")
    out["SegmentBatch"] = out.pop("BatchBody")
    out["SegmentMessage"]["description"] = (
        "A Segment message (identify, track, page, screen, group or alias). Unknown fields are ignored."
    )
    out["SegmentBatch"]["description"] = "Up to 500 KB of messages, each with its own `type`."
    out["SegmentBatch"]["title"] = "SegmentBatch"
    return out


def _body(name: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{name}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def _endpoint(kind: str):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> Response:
        return await _accept(request, kind)

    endpoint.__name__ = f"tracking_{kind}"
    endpoint.__doc__ = (
        f"Segment `{kind}` call: checked, then written to the durable intake log before the reply."
        if kind != "batch"
        else "Segment `batch`: up to 500 KB of messages; the good ones are kept, the rejected listed."
    )
    return endpoint


for _kind in (*sorted(TYPES), "batch"):
    router.add_api_route(
        f"/{_kind}",
        _endpoint(_kind),
        methods=["POST"],
        openapi_extra=_body("SegmentBatch" if _kind == "batch" else "SegmentMessage"),
        responses={
            200: {"description": 'Logged durably: `{"success": true}` (a batch adds `accepted` and `rejected`).'},
            400: {"description": "Not JSON, over the size limits, or (one message) not a valid message."},
            401: {"description": "No write key, or not a valid one."},
            403: {"description": "Not a write or admin key."},
        },
    )
