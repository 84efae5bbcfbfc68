"""The Segment-compatible tracking endpoints: ``POST /v1/{identify,track,page,screen,group,alias,batch}``.

A call is authenticated with a write key (``northstar.api.auth``), its body decoded and its messages
checked (``northstar.api.messages``); the accepted messages are appended to the write-ahead log as one
record and the response is sent only once that record is on disk (``northstar.api.wal``). A single message
that fails its checks gets 400 with the reason; a batch keeps its good messages and lists the rejected
ones. Applying the logged messages to the stores (accounts, contacts, usage events) follows the log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from northstar.api.auth import require_key
from northstar.api.messages import TYPES, MessageError, RequestError, batch, decode_body, message
from northstar.api.wal import WriteAheadLog
from northstar.auth.keys import KeyIdentity
from northstar.auth.models import KeyScope

router = APIRouter(prefix="/v1", tags=["tracking"])
_encode = msgspec.json.Encoder()
WRITE = Depends(require_key(KeyScope.WRITE))


def intake_log(request: Request) -> WriteAheadLog:
    """The app's write-ahead log, opened on first use (one writer per process)."""
    state = request.app.state
    if getattr(state, "intake_log", None) is None:
        state.intake_log = WriteAheadLog(state.settings.intake_dir / "wal")
    return state.intake_log


async def _accept(request: Request, key: KeyIdentity, kind: str) -> dict[str, Any]:
    received = datetime.now(UTC).replace(tzinfo=None)
    try:
        doc = decode_body(await request.body(), request.headers.get("content-encoding"))
        if kind == "batch":
            good, bad = batch(doc, received)
        else:
            good, bad = [message(doc, received, kind)], []
    except (RequestError, MessageError) as exc:
        raise HTTPException(400, str(exc)) from None
    if good:
        record = _encode.encode({"key": key.prefix, "received_at": received, "messages": good})
        await run_in_threadpool(intake_log(request).append, record)
    out: dict[str, Any] = {"success": True}
    if kind == "batch":
        out["accepted"] = len(good)
        out["rejected"] = [{"index": r.index, "messageId": r.message_id, "reason": r.reason} for r in bad]
    return out


def _endpoint(kind: str):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request, key: KeyIdentity = WRITE) -> dict[str, Any]:
        return await _accept(request, key, kind)

    endpoint.__name__ = f"tracking_{kind}"
    endpoint.__doc__ = (
        f"Segment `{kind}` call: checked, then written to the durable intake log before the reply."
        if kind != "batch"
        else "Segment `batch`: up to 500 KB of messages; the good ones are kept, the rejected listed."
    )
    return endpoint


for _kind in (*TYPES, "batch"):
    router.add_api_route(f"/{_kind}", _endpoint(_kind), methods=["POST"])
