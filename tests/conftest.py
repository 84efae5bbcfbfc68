"""Shared fixtures: a data folder per test, and a real PostgreSQL server started by the tests."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from northstar.config import Settings
from northstar.db.engine import reset_engines
from northstar.db.migrate import upgrade

FIXTURES = Path(__file__).parent / "fixtures"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        pytest.fail("PostgreSQL is not installed: run ./scripts/system-deps.sh (make test does)")
    return Path(found[-1]).parent


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL on 127.0.0.1 (as the postgres user when the tests run as root)."""
    bindir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="northstar-pg-"))
    data = root / "data"
    port = _free_port()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres", "postgres")
        os.chmod(root, 0o700)
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "northstar",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    log = root / "server.log"
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://northstar@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


_db_counter = iter(range(1, 10_000))


def _new_pg_database(server: str) -> str:
    import psycopg

    name = f"t{os.getpid()}_{next(_db_counter)}_{int(time.time() * 1000) % 100000}"
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings on a fresh data folder, with the operational store on SQLite and on PostgreSQL in turn."""
    url = None
    if request.param == "postgresql":
        url = _new_pg_database(request.getfixturevalue("postgres_server"))
    s = Settings(home=tmp_path / "home", database_url_override=url, secret_key_override="test-secret")
    s.ensure_home()
    upgrade(s.database_url)
    yield s
    reset_engines()


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Settings]:
    """Settings on the embedded default only (for tests that are not about the store)."""
    s = Settings(home=tmp_path / "home", secret_key_override="test-secret")
    s.ensure_home()
    upgrade(s.database_url)
    yield s
    reset_engines()


@pytest.fixture
def pg_ibis(postgres_server: str):
    """An Ibis connection to a fresh database on the test PostgreSQL (for the portable-expression tests)."""
    import ibis

    url = _new_pg_database(postgres_server)
    host_port, name = url.rsplit("/", 1)
    con = ibis.postgres.connect(
        host="127.0.0.1", port=int(host_port.rsplit(":", 1)[1]), user="northstar", database=name
    )
    yield con
    con.disconnect()


#: The password of the users ``demo_site`` makes.
SITE_PASSWORD = "correct horse battery"


def sign_in(settings: Settings, email: str, password: str = SITE_PASSWORD):  # type: ignore[no-untyped-def]
    """A test client of the web app signed in as ``email``."""
    import re

    from fastapi.testclient import TestClient

    from northstar.web.app import create_app

    client = TestClient(create_app(settings))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"email": email, "password": password, "csrf": token}).status_code == 200
    return client


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory):
    """Makes a small demo company with health history and two users: the CSM owning the first owned account
    and a viewer (``viewer@example.com``), both with ``SITE_PASSWORD``. Returns (settings, CSM e-mail, its
    user id). For module fixtures: ``demo_site("name", seed)``."""
    from datetime import date

    from sqlalchemy import select

    from northstar.accounts.models import Account
    from northstar.auth.models import Role, User
    from northstar.auth.service import create_user
    from northstar.db.engine import session_scope
    from northstar.demo.generator import DemoConfig
    from northstar.demo.service import build_demo

    def make(name: str, seed: int, accounts: int = 300, as_of: date = date(2026, 11, 1)):  # type: ignore[no-untyped-def]
        s = Settings(home=tmp_path_factory.mktemp(name) / "home", secret_key_override=f"{name}-secret")
        build_demo(s, DemoConfig(accounts=accounts, seed=seed, events_per_account_month=10, as_of=as_of))
        with session_scope(s.database_url) as db:
            owner = db.scalar(select(Account.owner_id).where(Account.owner_id.is_not(None)).limit(1))
            email = db.get(User, owner).email
            create_user(db, email, SITE_PASSWORD, Role.CSM)
            create_user(db, "viewer@example.com", SITE_PASSWORD, Role.VIEWER)
        return s, email, owner

    return make


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for the test: yields (url, the messages it received)."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    received: list = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            received.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", received
    finally:
        controller.stop()
