"""The REST API: create, read, upsert, update, list and delete by external id; scopes; errors that name the
field; retries stored once; cursor pages that see every record once; the OpenAPI document valid."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from sqlalchemy import select

from northstar.accounts.models import Contact
from northstar.auth.keys import create_key
from northstar.auth.models import KeyScope
from northstar.db.engine import session_scope
from northstar.web.app import create_app
from northstar.webhooks.models import WebhookDelivery
from northstar.webhooks.service import create_webhook


@pytest.fixture
def api(settings):
    tokens = {}
    with session_scope(settings.database_url) as s:
        for scope in KeyScope:
            tokens[scope.value] = create_key(s, scope, scope.value)[1]
    client = TestClient(create_app(settings))
    headers = {k: {"Authorization": f"Bearer {t}"} for k, t in tokens.items()}
    return client, headers, settings


def test_create_read_update_delete(api):
    client, h, settings = api
    body = {"external_id": "A-1", "name": "Acme", "segment": "SMB", "customer_since": "2024-03-01"}
    r = client.post("/api/v1/accounts", json=body, headers=h["write"])
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["external_id"], made["name"], made["segment"], made["customer_since"]) == (
        "A-1",
        "Acme",
        "SMB",
        "2024-03-01",
    )
    again = client.post("/api/v1/accounts", json=body, headers=h["write"])  # a retry: stored once
    assert again.status_code == 200 and again.json()["id"] == made["id"]
    clash = client.post("/api/v1/accounts", json={**body, "name": "Other"}, headers=h["write"])
    assert clash.status_code == 409 and "PUT" in clash.json()["detail"]
    assert client.get("/api/v1/accounts/A-1", headers=h["read"]).json()["name"] == "Acme"

    r = client.patch("/api/v1/accounts/A-1", json={"industry": "Retail"}, headers=h["write"])
    assert r.status_code == 200 and (r.json()["industry"], r.json()["segment"]) == ("Retail", "SMB")  # the rest kept
    assert client.patch("/api/v1/accounts/NOPE", json={"industry": "x"}, headers=h["write"]).status_code == 404
    r = client.put("/api/v1/accounts/A-2", json={"name": "Beta", "owner": "csm@acme.test"}, headers=h["admin"])
    assert r.status_code == 201 and r.json()["owner"] == "csm@acme.test"
    r = client.put("/api/v1/accounts/A-2", json={"segment": "ENT"}, headers=h["admin"])
    assert r.status_code == 200 and (r.json()["name"], r.json()["segment"]) == ("Beta", "ENT")

    c = client.put(
        "/api/v1/contacts/C-1",
        json={"account": "A-1", "first_name": "Ann", "last_name": "Li", "email": "Ann@Acme.test"},
        headers=h["write"],
    )
    assert c.status_code == 201 and (c.json()["name"], c.json()["email"], c.json()["account"]) == (
        "Ann Li",
        "ann@acme.test",
        "A-1",
    )
    assert client.delete("/api/v1/accounts/A-1", headers=h["write"]).status_code == 204
    assert client.get("/api/v1/accounts/A-1", headers=h["read"]).status_code == 404
    assert client.delete("/api/v1/accounts/A-1", headers=h["write"]).status_code == 404
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(Contact).where(Contact.external_id == "C-1")) is None  # went with its account


def test_bad_input_names_the_field(api):
    client, h, _ = api
    w = h["write"]
    r = client.post("/api/v1/accounts", json={"external_id": "X"}, headers=w)
    assert r.status_code == 422 and "name" in r.text
    r = client.post("/api/v1/accounts", json={"external_id": "X", "name": "X", "lifecycle_stage": "asleep"}, headers=w)
    assert r.status_code == 422 and "lifecycle_stage" in r.text
    r = client.post("/api/v1/accounts", json={"external_id": "X", "name": "X", "colour": "red"}, headers=w)
    assert r.status_code == 422 and "colour" in r.text
    r = client.put("/api/v1/contacts/C-9", json={"account": "GHOST", "name": "Z"}, headers=w)
    assert r.status_code == 422
    assert r.json()["problems"] == [{"field": "account", "message": "unknown account 'GHOST'"}]
    r = client.put("/api/v1/contacts/C-9", json={"email": "not-an-address"}, headers=w)
    assert r.status_code == 422 and {p["field"] for p in r.json()["problems"]} == {"account"}  # required when new
    r = client.put(
        "/api/v1/feedback/F-1",
        json={"survey_type": "nps", "score": 11, "submitted_at": "2026-01-05T10:00:00Z"},
        headers=w,
    )
    assert r.status_code == 422 and r.json()["problems"] == [
        {"field": "score", "message": "NPS score 11 is outside 0-10"}
    ]
    assert client.get("/api/v1/feedback/F-1", headers=h["read"]).status_code == 404  # nothing half-written


def test_scopes(api):
    client, h, _ = api
    assert client.get("/api/v1/accounts").status_code == 401
    assert client.get("/api/v1/accounts", headers={"Authorization": "Bearer ns_00000000_nope"}).status_code == 401
    assert client.get("/api/v1/accounts", headers=h["write"]).status_code == 403  # write keys cannot read
    assert client.post("/api/v1/accounts", json={"external_id": "Z", "name": "Z"}, headers=h["read"]).status_code == 403
    assert client.delete("/api/v1/accounts/Z", headers=h["read"]).status_code == 403
    assert client.get("/api/v1/accounts", headers=h["admin"]).status_code == 200
    assert client.post("/v1/track", json={"userId": "u", "event": "E"}, headers=h["read"]).status_code == 403


def test_list_filters_and_cursor_pages(api):
    client, h, _ = api
    for i in range(7):
        seg = "SMB" if i % 2 else "ENT"
        r = client.put(f"/api/v1/accounts/L-{i}", json={"name": f"L{i}", "segment": seg}, headers=h["write"])
        assert r.status_code == 201
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        r = client.get("/api/v1/accounts", params=params, headers=h["read"]).json()
        seen += [a["external_id"] for a in r["data"]]
        pages += 1
        cursor = r["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == ([f"L-{i}" for i in range(7)], 3)
    smb = client.get("/api/v1/accounts", params={"segment": "SMB"}, headers=h["read"]).json()["data"]
    assert [a["external_id"] for a in smb] == ["L-1", "L-3", "L-5"]
    r = client.get("/api/v1/accounts", params={"colour": "red"}, headers=h["read"])
    assert r.status_code == 400 and "segment" in r.json()["detail"]
    assert client.get("/api/v1/accounts", params={"cursor": "garbage"}, headers=h["read"]).status_code == 400
    for i, when in enumerate(["2026-01-01T10:00:00Z", "2026-02-01T10:00:00Z"]):
        body = {"account": "L-1", "channel": "email", "occurred_at": when}
        assert client.put(f"/api/v1/touchpoints/T-{i}", json=body, headers=h["write"]).status_code == 201
    later = client.get(
        "/api/v1/touchpoints", params={"account": "L-1", "occurred_at_after": "2026-01-15"}, headers=h["read"]
    )
    assert [t["external_id"] for t in later.json()["data"]] == ["T-1"]


def test_changes_are_queued_for_webhooks(api):
    client, h, settings = api
    with session_scope(settings.database_url) as s:
        create_webhook(s, "http://127.0.0.1:9/hook", ["account.created", "feedback.received"])
    client.put("/api/v1/accounts/W-1", json={"name": "W"}, headers=h["write"])
    client.put("/api/v1/accounts/W-1", json={"name": "W2"}, headers=h["write"])  # updated: not subscribed
    fb = {"account": "W-1", "survey_type": "csat", "score": 5, "submitted_at": "2026-03-01T09:00:00Z"}
    client.put("/api/v1/feedback/FB-1", json=fb, headers=h["write"])
    client.put("/api/v1/feedback/FB-1", json=fb, headers=h["write"])  # the same again: no second event
    with session_scope(settings.database_url) as s:
        got = [
            (d.event, d.payload["data"]["external_id"])
            for d in s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        ]
    assert got == [("account.created", "W-1"), ("feedback.received", "FB-1")]


def test_openapi_document_is_valid_and_docs_are_served_locally(lite):
    client = TestClient(create_app(lite))
    doc = client.get("/openapi.json").json()
    validate(doc)
    for resource in ("accounts", "contacts", "subscriptions", "tickets", "touchpoints", "feedback", "assessments"):
        assert {"get", "post"} <= set(doc["paths"][f"/api/v1/{resource}"])
        assert {"get", "put", "patch", "delete"} <= set(doc["paths"][f"/api/v1/{resource}/{{external_id}}"])
    page = client.get("/docs")
    assert page.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in page.text and "//cdn" not in page.text
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
