"""Tasks and logged touchpoints: the services (dedupe, inbox views) and the web rules (roles, ownership, CSRF,
no duplicate on a resubmitted form)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from northstar.accounts.models import Account
from northstar.auth.models import Role, User
from northstar.auth.service import create_user
from northstar.config import Settings
from northstar.db.engine import reset_engines, session_scope
from northstar.demo.generator import DemoConfig
from northstar.demo.service import build_demo
from northstar.tasks.models import Task, TaskStatus
from northstar.tasks.service import (
    TaskError,
    View,
    add_comment,
    complete_task,
    create_task,
    inbox,
    inbox_counts,
    reopen_task,
)
from northstar.touchpoints.models import Touchpoint
from northstar.web.app import create_app

PASSWORD = "correct horse battery"
TODAY = datetime.now(UTC).date()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = Settings(home=tmp_path_factory.mktemp("tasks") / "home", secret_key_override="tasks-test-secret")
    build_demo(s, DemoConfig(accounts=40, seed=5, events_per_account_month=5, as_of=date(2026, 11, 1)), health=False)
    with session_scope(s.database_url) as db:
        owners = db.execute(
            select(Account.owner_id, func.min(Account.external_id))
            .group_by(Account.owner_id)
            .order_by(Account.owner_id)
        ).all()
        (owner_a, _), (_, account_b) = owners[0], owners[1]
        email_a = db.get(User, owner_a).email
        create_user(db, email_a, PASSWORD, Role.CSM)  # a demo CSM who owns accounts gets a password
        create_user(db, "viewer@example.com", PASSWORD, Role.VIEWER, "Vic Viewer")
        create_user(db, "ops@example.com", PASSWORD, Role.CS_OPS, "Olga Ops")
    yield s, email_a, owner_a, account_b
    reset_engines()


def client_for(settings: Settings, email: str) -> TestClient:
    client = TestClient(create_app(settings))
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def key_of(html: str) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


# ------------------------------------------------------------------------------------------------ services
def test_a_dedupe_key_gives_one_open_task(site):
    settings, _, owner_a, _ = site
    with session_scope(settings.database_url) as db:
        first, made = create_task(db, "Call the sponsor", assignee_id=owner_a, dedupe_key="stall:1")
        again, made_again = create_task(db, "Call the sponsor", assignee_id=owner_a, dedupe_key="stall:1")
        assert made and not made_again and again.id == first.id
        complete_task(db, first, owner_a, "sponsor is back")
        third, made_third = create_task(db, "Call the sponsor", assignee_id=owner_a, dedupe_key="stall:1")
        assert made_third and third.id != first.id  # a done task's key can be used again
        with pytest.raises(TaskError, match="another open task"):
            reopen_task(db, first)
        with pytest.raises(TaskError, match="title"):
            create_task(db, "  ")
        with pytest.raises(TaskError, match="assignee"):
            create_task(db, "x", assignee_id=999_999)
        with pytest.raises(TaskError, match="priority"):
            create_task(db, "x", priority="whenever")
        db.rollback()


def test_the_open_key_index_holds_on_both_databases(settings):
    """The partial unique index itself (not only the service's check): a second open task with a key is
    refused by the database, a done one's key is free again."""
    from sqlalchemy.exc import IntegrityError

    with session_scope(settings.database_url) as db:
        db.add(Task(title="a", dedupe_key="k1"))
        db.flush()
        with pytest.raises(IntegrityError), db.begin_nested():
            db.add(Task(title="b", dedupe_key="k1"))
            db.flush()
        db.add_all([Task(title="c", dedupe_key="k2", status=TaskStatus.DONE), Task(title="d", dedupe_key="k2")])
        db.add_all([Task(title="e"), Task(title="f")])  # no key: any number
        db.flush()
        made, fresh = create_task(db, "again", dedupe_key="k1")
        assert not fresh and made.title == "a"


def test_inbox_views_by_hand(site):
    settings, _, _, _ = site
    with session_scope(settings.database_url) as db:
        me = create_user(db, "inbox@example.com", PASSWORD, Role.CSM, "Ina Inbox")
        make = lambda title, due, **kw: create_task(db, title, assignee_id=me.id, due_on=due, **kw)[0]  # noqa: E731
        late = make("late", TODAY - timedelta(days=2))
        today = make("today", TODAY, priority="urgent")
        today_low = make("today low", TODAY, priority="low")
        make("later", TODAY + timedelta(days=5))
        make("someday", None)
        done = make("done", TODAY - timedelta(days=1))
        complete_task(db, done, me.id, "ok")
        add_comment(db, today, me.id, "left a voicemail")

        def titles(view):
            return [r.task.title for r in inbox(db, me.id, view, TODAY)]

        assert titles(View.DUE) == ["late", "today", "today low"]  # by due day, urgent first on a day
        assert titles(View.OVERDUE) == ["late"]
        assert titles(View.OPEN) == ["late", "today", "today low", "later", "someday"]  # undated last
        assert titles(View.DONE) == ["done"]
        assert inbox_counts(db, me.id, TODAY) == {"due": 3, "overdue": 1, "open": 5}
        assert {r.task.title: r.comments for r in inbox(db, me.id, View.DUE, TODAY)}["today"] == 1
        del late, today_low


# ------------------------------------------------------------------------------------------------- the web
def test_log_a_note_once_and_see_it_on_the_timeline(site):
    settings, email_a, _, _ = site
    client = client_for(settings, email_a)
    page = client.get("/accounts").text
    ref = re.search(r'href="/accounts/(\d+)"', page).group(1)
    account_page = client.get(f"/accounts/{ref}").text
    form = {"csrf": csrf_of(account_page), "form_key": key_of(account_page), "channel": "call"}
    form["summary"] = "Zebra check: the <script>alert(1)</script> renewal plan"
    for _ in range(2):  # the same form sent twice (a double click, a retried request)
        r = client.post(f"/accounts/{ref}/touchpoints", data=form, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].endswith("#timeline")
    with session_scope(settings.database_url) as db:
        logged = db.scalars(select(Touchpoint).where(Touchpoint.summary.like("Zebra check%"))).all()
    assert len(logged) == 1 and logged[0].channel.value == "call"
    shown = client.get(f"/accounts/{ref}").text
    assert "Zebra check: the &lt;script&gt;alert(1)&lt;/script&gt; renewal plan" in shown  # text, not markup
    bad = client.post(f"/accounts/{ref}/touchpoints", data={**form, "form_key": key_of(shown), "summary": " "})
    assert bad.status_code == 422 and "summary" in bad.text


def test_create_comment_and_complete_a_task(site):
    settings, email_a, _, _ = site
    client = client_for(settings, email_a)
    inbox_page = client.get("/tasks").text
    form = {
        "csrf": csrf_of(inbox_page),
        "form_key": key_of(inbox_page),
        "title": "Prepare the QBR deck",
        "due_on": TODAY.isoformat(),
        "priority": "high",
    }
    for _ in range(2):
        assert client.post("/tasks", data=form, follow_redirects=False).status_code == 303
    due = client.get("/tasks", params={"view": "due"}).text
    assert due.count("Prepare the QBR deck") == 1
    task_id = re.search(r'href="/tasks/(\d+)">Prepare the QBR deck', due).group(1)
    token = csrf_of(due)
    client.post(f"/tasks/{task_id}/comment", data={"csrf": token, "body": "draft shared"})
    client.post(f"/tasks/{task_id}/complete", data={"csrf": token, "outcome": "deck sent to the sponsor"})
    page = client.get(f"/tasks/{task_id}").text
    assert "draft shared" in page and "deck sent to the sponsor" in page
    assert "Prepare the QBR deck" in client.get("/tasks", params={"view": "done"}).text
    assert "Prepare the QBR deck" not in client.get("/tasks", params={"view": "due"}).text


def test_csrf_is_required_on_every_form(site):
    settings, email_a, _, _ = site
    client = client_for(settings, email_a)
    ref = re.search(r'href="/accounts/(\d+)"', client.get("/accounts").text).group(1)
    with session_scope(settings.database_url) as db:
        task_id = db.scalar(select(func.min(Task.id)))
    posts = [
        ("/tasks", {"title": "forged", "form_key": "k" * 20}),
        (f"/accounts/{ref}/touchpoints", {"summary": "forged", "form_key": "k" * 20}),
        (f"/tasks/{task_id}/complete", {"outcome": "forged"}),
        (f"/tasks/{task_id}/comment", {"body": "forged"}),
    ]
    for path, data in posts:
        assert client.post(path, data=data).status_code == 403, path
        assert client.post(path, data={**data, "csrf": "wrong"}).status_code == 403, path
    with session_scope(settings.database_url) as db:
        assert db.scalar(select(func.count()).select_from(Task).where(Task.title == "forged")) == 0


def test_a_viewer_reads_but_does_not_write(site):
    settings, _, _, _ = site
    client = client_for(settings, "viewer@example.com")
    accounts = client.get("/accounts").text
    ref = re.search(r'href="/accounts/(\d+)"', accounts).group(1)
    page = client.get(f"/accounts/{ref}")
    assert page.status_code == 200 and "Log a touchpoint" not in page.text
    token = csrf_of(page.text)
    r = client.post(f"/accounts/{ref}/touchpoints", data={"csrf": token, "summary": "x", "form_key": "v" * 20})
    assert r.status_code == 403 and "viewer may not edit accounts" in r.text
    assert client.post("/tasks", data={"csrf": token, "title": "x"}).status_code == 403
    assert "New task" not in client.get("/tasks").text


def test_a_csm_limited_to_its_accounts_cannot_open_another(site):
    settings, email_a, owner_a, account_b = site
    limited = dataclasses.replace(settings, csm_own_accounts_only=True)
    client = client_for(limited, email_a)
    with session_scope(settings.database_url) as db:
        mine = db.scalar(select(func.count()).select_from(Account).where(Account.owner_id == owner_a))
        theirs = db.scalar(select(Account.id).where(Account.external_id == account_b))
        other_task, _ = create_task(db, "theirs", account_id=theirs)
        other_task_id = other_task.id
    listing = client.get("/accounts").text
    assert f"Accounts <small>{mine}</small>" in listing and account_b not in listing
    assert client.get(f"/accounts/{account_b}").status_code == 403
    assert client.get(f"/tasks/{other_task_id}").status_code == 403
    token = csrf_of(listing)
    r = client.post(f"/accounts/{account_b}/touchpoints", data={"csrf": token, "summary": "x", "form_key": "z" * 20})
    assert r.status_code == 403
    r = client.post("/tasks", data={"csrf": token, "title": "sneaky", "account": account_b, "form_key": "y" * 20})
    assert r.status_code == 403
    # without the limit, and for other roles, every account is open
    assert client_for(settings, email_a).get(f"/accounts/{account_b}").status_code == 200
    assert client_for(limited, "ops@example.com").get(f"/accounts/{account_b}").status_code == 200
    with session_scope(settings.database_url) as db:
        assert db.get(Task, other_task_id).status == TaskStatus.OPEN
