"""Users: a password change needs the current password and signs other sessions out; only admins manage
users; the last admin cannot be demoted."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from northstar.auth.models import Role, User
from northstar.auth.service import UserError, create_user, update_user
from northstar.db.engine import session_scope
from northstar.web.app import create_app

PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(settings, email: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(create_app(settings))
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"email": email, "password": password, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


@pytest.fixture
def people(lite):
    with session_scope(lite.database_url) as db:
        create_user(db, "admin@example.com", PASSWORD, Role.ADMIN, "Ada Admin")
        create_user(db, "csm@example.com", PASSWORD, Role.CSM, "Casey CSM")
        create_user(db, "ops@example.com", PASSWORD, Role.CS_OPS, "Olga Ops")
    return lite


def test_password_change_needs_the_current_one_and_ends_other_sessions(people):
    here, elsewhere = sign_in(people, "csm@example.com"), sign_in(people, "csm@example.com")
    token = csrf_of(here.get("/settings/password").text)
    wrong = here.post(
        "/settings/password", data={"csrf": token, "current": "guess-guess", "new": "x" * 12, "repeat": "x" * 12}
    )
    assert wrong.status_code == 422 and "current password: wrong" in wrong.text
    short = here.post(
        "/settings/password", data={"csrf": token, "current": PASSWORD, "new": "short", "repeat": "short"}
    )
    assert short.status_code == 422 and "at least 10" in short.text
    new = "a much better passphrase"
    ok = here.post("/settings/password", data={"csrf": token, "current": PASSWORD, "new": new, "repeat": new})
    assert ok.status_code == 200 and "Your password is changed" in ok.text
    assert here.get("/accounts", follow_redirects=False).status_code == 200  # this session stays
    assert elsewhere.get("/accounts", follow_redirects=False).status_code == 303  # the other is signed out
    sign_in(people, "csm@example.com", new)
    assert (
        here.post("/settings/password", data={"current": new, "new": "y" * 12, "repeat": "y" * 12}).status_code == 403
    )


def test_only_admins_manage_users(people):
    for email in ("csm@example.com", "ops@example.com"):
        client = sign_in(people, email)
        assert client.get("/admin/users").status_code == 403
        token = csrf_of(client.get("/tasks").text)
        r = client.post("/admin/users", data={"csrf": token, "email": "x@example.com", "password": "p" * 12})
        assert r.status_code == 403
    admin = sign_in(people, "admin@example.com")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "casey csm" in page.text.lower()
    token = csrf_of(page.text)
    made = admin.post(
        "/admin/users",
        data={"csrf": token, "email": "new@example.com", "name": "Nia New", "role": "viewer", "password": "p" * 12},
        follow_redirects=False,
    )
    assert made.status_code == 303
    dup = admin.post("/admin/users", data={"csrf": token, "email": "NEW@example.com", "password": "p" * 12})
    assert dup.status_code == 422 and "already has a login" in dup.text
    sign_in(people, "new@example.com", "p" * 12)
    with session_scope(people.database_url) as db:
        csm_id = db.scalar(select(User.id).where(User.email == "csm@example.com"))
    admin.post(f"/admin/users/{csm_id}", data={"csrf": token, "role": "csm", "active": ""})  # deactivate
    client = TestClient(create_app(people))
    r = client.post(
        "/login", data={"email": "csm@example.com", "password": PASSWORD, "csrf": csrf_of(client.get("/login").text)}
    )
    assert r.status_code == 401
    assert admin.post(f"/admin/users/{csm_id}", data={"role": "admin", "active": "1"}).status_code == 403  # no CSRF


def test_the_last_admin_stays(people):
    with session_scope(people.database_url) as db:
        admin = db.scalar(select(User).where(User.email == "admin@example.com"))
        with pytest.raises(UserError, match="last active admin"):
            update_user(db, admin, role=Role.CSM)
        with pytest.raises(UserError, match="last active admin"):
            update_user(db, admin, active=False)
        other = db.scalar(select(User).where(User.email == "ops@example.com"))
        update_user(db, other, role=Role.ADMIN)
        update_user(db, admin, role=Role.CSM)  # now there is another
        assert Role(admin.role) == Role.CSM
