"""The tracking endpoints over HTTP: write keys only, 400s that say why, batches that keep their good
messages, gzip bodies, and every accepted message in the durable intake log when the reply comes."""

from __future__ import annotations

import base64
import gzip
import json

import msgspec
import pytest
from fastapi.testclient import TestClient

from northstar.api.wal import records
from northstar.auth.keys import create_key
from northstar.auth.models import KeyScope
from northstar.db.engine import session_scope
from northstar.web.app import create_app


@pytest.fixture
def api(lite):
    with session_scope(lite.database_url) as s:
        _, write = create_key(s, KeyScope.WRITE, "product")
        _, read = create_key(s, KeyScope.READ, "bi")
    client = TestClient(create_app(lite))
    auth = {"Authorization": "Basic " + base64.b64encode(f"{write}:".encode()).decode()}
    yield client, auth, read, lite
    log = getattr(client.app.state, "intake_log", None)
    if log is not None:
        log.close()


def logged(settings) -> list[dict]:
    """Every message in the intake log, in order (read beside the app's writer)."""
    return [m for _, rec in records(settings.intake_dir / "wal") for m in msgspec.json.decode(rec)["messages"]]


def test_each_call_is_logged_before_the_reply(api):
    client, auth, _, settings = api
    calls = {
        "identify": {"userId": "u1", "traits": {"email": "u1@acme.test"}},
        "group": {"userId": "u1", "groupId": "ACME-1", "traits": {"name": "Acme"}},
        "track": {"userId": "u1", "event": "Report Exported", "messageId": "m-1", "properties": {"rows": 3}},
        "page": {"anonymousId": "a1", "name": "Pricing"},
        "screen": {"userId": "u1", "name": "Home"},
        "alias": {"userId": "u1", "previousId": "a1"},
    }
    for kind, body in calls.items():
        r = client.post(f"/v1/{kind}", json=body, headers=auth)
        assert r.status_code == 200 and r.json() == {"success": True}, (kind, r.text)
    got = logged(settings)
    assert [m["type"] for m in got] == list(calls)
    track = got[2]
    assert (track["messageId"], track["event"], track["properties"]) == ("m-1", "Report Exported", {"rows": 3})


def test_keys_and_scopes(api):
    client, auth, read, settings = api
    body = {"userId": "u", "event": "E"}
    assert client.post("/v1/track", json=body).status_code == 401
    assert client.post("/v1/track", content=b"{garbage").status_code == 401  # no key: 401 before any 400
    bearer = {"Authorization": f"Bearer {read}"}
    assert client.post("/v1/track", json=body, headers=bearer).status_code == 403  # read keys cannot write
    assert client.post("/v1/track", json={**body, "writeKey": read}).status_code == 403
    assert client.post("/v1/track", json={**body, "writeKey": "ns_00000000_forged"}).status_code == 401
    write = base64.b64decode(auth["Authorization"].split()[1]).decode().rstrip(":")
    ok = client.post("/v1/track", json={**body, "messageId": "wk", "writeKey": write})  # Segment's body key
    assert ok.status_code == 200
    batch = client.post("/v1/batch", json={"writeKey": write, "batch": [{"type": "track", **body}]})
    assert batch.status_code == 200 and batch.json()["accepted"] == 1
    stored = logged(settings)
    assert stored[0]["messageId"] == "wk" and write not in json.dumps(stored)  # the key is never logged


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (json.dumps({"event": "E"}).encode(), "userId or anonymousId is required"),
        (json.dumps({"userId": "u", "event": 5}).encode(), "event must be a string, not a number"),
        (json.dumps({"userId": "u", "event": "E", "properties": {"x": "y" * 40_000}}).encode(), "32,768"),
        (b" " * 600_000, "limit is 512,000"),
    ],
)
def test_bad_calls_get_400_with_the_reason(api, body, reason):
    client, auth, _, settings = api
    r = client.post("/v1/track", content=body, headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 400 and reason in r.json()["detail"]
    assert logged(settings) == []


def test_a_gzipped_batch_keeps_its_good_messages(api):
    client, auth, _, settings = api
    doc = {
        "context": {"groupId": "ACME-1"},
        "batch": [
            {"type": "track", "userId": "u1", "event": "A", "messageId": "m1"},
            {"type": "track", "userId": "u1", "messageId": "m2"},
            {"type": "identify", "userId": "u2", "messageId": "m3"},
        ],
    }
    r = client.post(
        "/v1/batch",
        content=gzip.compress(json.dumps(doc).encode()),
        headers={**auth, "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert r.status_code == 200
    assert r.json()["accepted"] == 2 and r.json()["rejected"] == [
        {"index": 1, "messageId": "m2", "reason": "event is required for track, as a non-empty string"}
    ]
    got = logged(settings)
    assert [m["messageId"] for m in got] == ["m1", "m3"] and got[0]["context"] == {"groupId": "ACME-1"}


def test_the_endpoints_are_in_the_openapi_document(api):
    client, *_ = api
    paths = client.get("/openapi.json").json()["paths"]
    assert {f"/v1/{k}" for k in ("identify", "track", "page", "screen", "group", "alias", "batch")} <= set(paths)
