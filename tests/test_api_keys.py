"""API keys: stored as hashes, scoped, revocable; the request check answers 401 and 403 as it should, on
both stores; the CLI makes, lists and revokes them."""

from __future__ import annotations

import base64
import time

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from northstar.api.auth import require_key, token_from
from northstar.auth.keys import KeyIdentity, create_key, revoke_key, verify_token
from northstar.auth.models import ApiKey, KeyScope
from northstar.db.engine import session_scope


def basic(token: str) -> dict[str, str]:
    """As Segment's SDKs send a write key: the HTTP Basic user name, no password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}


@pytest.fixture
def client(settings):
    app = FastAPI()
    app.state.settings = settings

    @app.post("/write")
    def write(key: KeyIdentity = Depends(require_key(KeyScope.WRITE))) -> dict:
        return {"key": key.prefix}

    @app.get("/read")
    def read(key: KeyIdentity = Depends(require_key(KeyScope.READ))) -> dict:
        return {"key": key.prefix}

    return TestClient(app)


def make(settings, scope: KeyScope, name: str = "") -> tuple[str, str]:
    with session_scope(settings.database_url) as s:
        key, token = create_key(s, scope, name)
        return key.prefix, token


def test_only_a_hash_is_stored_and_the_token_verifies(settings):
    prefix, token = make(settings, KeyScope.WRITE, "product events")
    assert token.startswith(f"ns_{prefix}_") and len(token.split("_", 2)[2]) >= 43  # 256 random bits
    with session_scope(settings.database_url) as s:
        row = s.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        assert token.split("_", 2)[2] not in (row.secret_hash, row.name, row.prefix)
        assert verify_token(s, token) == KeyIdentity(row.id, prefix, "product events", KeyScope.WRITE)
        assert verify_token(s, token[:-1] + ("A" if token[-1] != "A" else "B")) is None  # one character off
        assert verify_token(s, f"ns_{prefix}_") is None and verify_token(s, "nonsense") is None
    for _ in range(100):  # the use is recorded by a background thread, soon
        with session_scope(settings.database_url) as s:
            if s.scalar(select(ApiKey.last_used_at).where(ApiKey.prefix == prefix)) is not None:
                break
        time.sleep(0.05)
    else:
        raise AssertionError("last_used_at was not recorded")


def test_status_codes_by_key_and_scope(settings, client):
    _, write = make(settings, KeyScope.WRITE)
    _, read = make(settings, KeyScope.READ)
    _, admin = make(settings, KeyScope.ADMIN)
    missing = client.post("/write")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Basic")
    assert client.post("/write", headers=basic("ns_deadbeef_nope")).status_code == 401
    assert client.post("/write", headers={"Authorization": "Basic !!!"}).status_code == 401
    assert client.post("/write", headers=basic(write)).json() == {"key": write.split("_")[1]}
    assert client.post("/write", headers={"Authorization": f"Bearer {write}"}).status_code == 200
    refused = client.get("/read", headers=basic(write))  # write keys cannot read
    assert refused.status_code == 403 and "needs a read key" in refused.json()["detail"]
    assert client.post("/write", headers=basic(read)).status_code == 403
    assert client.get("/read", headers=basic(read)).status_code == 200
    assert client.get("/read", headers=basic(admin)).status_code == 200
    assert client.post("/write", headers=basic(admin)).status_code == 200


def test_a_revoked_key_is_refused(settings, client):
    prefix, token = make(settings, KeyScope.WRITE)
    assert client.post("/write", headers=basic(token)).status_code == 200  # now cached
    with session_scope(settings.database_url) as s:
        revoke_key(s, prefix)
        revoke_key(s, token)  # by the whole token too, and twice: idempotent
        with pytest.raises(ValueError, match="no API key"):
            revoke_key(s, "00000000")
    assert client.post("/write", headers=basic(token)).status_code == 401


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("Bearer ns_a_b", "ns_a_b"),
        ("Basic " + base64.b64encode(b"ns_a_b:").decode(), "ns_a_b"),
        ("Basic " + base64.b64encode(b"ns_a_b:ignored").decode(), "ns_a_b"),
        ("Basic " + base64.b64encode(b":").decode(), None),
        ("Digest x", None),
    ],
)
def test_token_from_header(header, token):
    assert token_from(header) == token


def test_keys_on_the_command_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from northstar.cli.main import app
    from northstar.config import Settings
    from northstar.db.engine import reset_engines

    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("NORTHSTAR_DATABASE_URL", raising=False)
    runner = CliRunner()
    try:
        assert "no API keys yet" in runner.invoke(app, ["keys", "list"]).output
        made = runner.invoke(app, ["keys", "create", "--scope", "write", "--name", "product events"])
        assert made.exit_code == 0
        token = made.output.strip().splitlines()[-1]
        prefix = token.split("_")[1]
        listed = runner.invoke(app, ["keys", "list"]).output
        assert prefix in listed and "product events" in listed and token.split("_", 2)[2] not in listed
        with session_scope(Settings.from_env().database_url) as s:
            assert verify_token(s, token) is not None
        assert runner.invoke(app, ["keys", "create", "--scope", "owner"]).exit_code == 1
        assert runner.invoke(app, ["keys", "revoke", prefix]).exit_code == 0
        assert runner.invoke(app, ["keys", "revoke", "nothere1"]).exit_code == 1
        with session_scope(Settings.from_env().database_url) as s:
            assert verify_token(s, token) is None
    finally:
        reset_engines()
