"""Playbooks: the file's checks; on the demo, a stalled-milestone playbook makes exactly one task per qualifying
account and e-mails the right contact in its language through a real SMTP server; dry runs change nothing;
cooldowns and open tasks stop repeats; an event-triggered playbook fires on a REST write, through the real
worker loop (its latency is measured in bench/playbook_latency.py); a webhook posts Slack-compatible JSON to a
real local server."""

from __future__ import annotations

import dataclasses
import http.server
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from northstar.accounts.models import Account, Contact
from northstar.config import Settings
from northstar.db.engine import session_scope
from northstar.playbooks.definitions import FILE, PlaybookError, parse
from northstar.playbooks.engine import run, run_events
from northstar.playbooks.models import PlaybookRun
from northstar.success.models import SuccessStatus
from northstar.tasks.models import Task, TaskStatus

STALLED = {
    "key": "stalled",
    "name": "Stalled",
    "when": {"milestone_stalled": {"states": ["stuck"]}},
    "only": [{"field": "mrr", "gte": 500}],
    "cooldown_days": 30,
    "actions": [
        {"task": {"title": "{{ account.name }} stuck before {{ milestone }}", "priority": "high", "due_in_days": 7}},
        {
            "email": {
                "to": ["champion", "admin"],
                "subject": {
                    "en": "Help with {{ milestone }}?",
                    "it": "Aiuto con {{ milestone }}?",
                    "ja": "{{ milestone }}のご支援",
                    "ar": "مساعدة في {{ milestone }}؟",
                    "pl": "Pomoc z {{ milestone }}?",
                },
                "body": {
                    "en": "Hello {{ contact.name }}",
                    "it": "Buongiorno {{ contact.name }}",
                    "ja": "{{ contact.name }} 様",
                },
            }
        },
    ],
}


@pytest.mark.parametrize(
    ("playbook", "message"),
    [
        ({**STALLED, "when": {}}, "exactly one trigger"),
        ({**STALLED, "when": {"health_below": {"score": 40, "band": "red"}}}, "a score or a band"),
        (
            {
                **STALLED,
                "actions": [{"task": {"title": "x"}, "set": {"field": "lifecycle_stage", "value": "adoption"}}],
            },
            "one of task",
        ),
        ({**STALLED, "actions": [{"set": {"field": "segment", "value": 1}}]}, "lifecycle_stage or attributes"),
        ({**STALLED, "actions": [{"webhook": {"url": "ftp://x", "text": "t"}}]}, "pattern"),
        ({**STALLED, "actions": [{"email": {"subject": {"it": "x"}, "body": {"en": "y"}}}]}, "en"),
        ({**STALLED, "only": [{"field": "colour", "equals": 1}]}, "unknown field"),
    ],
)
def test_playbook_file_errors_name_the_place(playbook: dict, message: str) -> None:
    with pytest.raises(PlaybookError, match=message) as exc:
        parse({"playbooks": [playbook]}, "playbooks.yaml")
    assert str(exc.value).startswith("playbooks.yaml: playbooks[0]")


def test_stalled_milestone_playbook_on_the_demo(demo_site, smtp_server) -> None:
    url, inbox = smtp_server
    base, _, _ = demo_site("playbooks", 21)
    settings = dataclasses.replace(base, smtp_url=url)
    config = parse({"playbooks": [STALLED]})
    with session_scope(settings.database_url) as s:
        qualifying = set(
            s.scalars(
                select(SuccessStatus.account_id)
                .join(Account, Account.id == SuccessStatus.account_id)
                .where(SuccessStatus.state == "stuck")
            )
        )
        from northstar.portfolio.models import AccountSummary

        rich = set(s.scalars(select(AccountSummary.account_id).where(AccountSummary.mrr >= 500)))
        qualifying &= rich
        tasks_before = s.scalar(select(func.count()).select_from(Task))
    assert qualifying  # the demo has stuck paying accounts
    dry = run(settings, config, dry_run=True)
    assert {a for _, a, _, _ in dry.fired} == qualifying
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == tasks_before  # a dry run changes nothing
    assert inbox == []
    report = run(settings, config)
    assert {a for _, a, _, _ in report.fired} == qualifying
    with session_scope(settings.database_url) as s:
        made = s.execute(
            select(Task.account_id, func.count()).where(Task.source == "playbook:stalled").group_by(Task.account_id)
        ).all()
        assert dict(made) == dict.fromkeys(qualifying, 1)  # exactly one task per qualifying account
        expected = {}
        for account_id in qualifying:
            contacts = s.scalars(
                select(Contact)
                .where(Contact.account_id == account_id, Contact.is_active.is_(True), Contact.email.is_not(None))
                .order_by(Contact.id)
            ).all()
            pick = next((c for role in ("champion", "admin") for c in contacts if c.role.value == role), None)
            if pick is not None:
                expected[pick.email] = pick.language
        runs = s.scalars(
            select(PlaybookRun).where(PlaybookRun.playbook == "stalled", PlaybookRun.dry_run.is_(False))
        ).all()
        assert len(runs) == len(qualifying) and all(r.ok for r in runs)
    got = {m["To"]: m["Content-Language"] for m in inbox}
    assert got == expected  # the right contact, in its language
    italian = next((m for m in inbox if m["Content-Language"] == "it"), None)
    if italian is not None:
        assert (
            italian["Subject"].startswith("Aiuto con ") and "Buongiorno" in italian.get_body(("plain",)).get_content()
        )
    # again: the cooldown holds it back; and past the cooldown, the open task is not duplicated
    again = run(settings, config)
    assert again.fired == [] and again.skipped_cooldown == len(qualifying)
    later = run(settings, config, now=datetime.now(UTC) + timedelta(days=31))
    assert all(
        r == {"action": "task", "result": "already open", "detail": r["detail"]}
        for *_, res in later.fired
        for r in res[:1]
    )
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Task).where(Task.source == "playbook:stalled")) == len(
            qualifying
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_event_playbook_fires_on_a_rest_write(settings: Settings, tmp_path) -> None:
    """A detractor's answer written through the REST API: the worker loop (the real one) makes the task and
    posts to the webhook; a promoter's answer fires nothing."""
    from northstar.api.worker import run as worker
    from northstar.auth.keys import create_key
    from northstar.auth.models import KeyScope
    from northstar.web.app import create_app

    posted: list[dict] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            posted.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    port = _free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    playbook = {
        "key": "detractor",
        "name": "Detractor",
        "when": {"survey_answer": {"survey_type": "nps", "score_max": 6}},
        "cooldown_days": 0,
        "actions": [
            {"task": {"title": "Call {{ account.name }}: NPS {{ event.score }}", "priority": "urgent"}},
            {"webhook": {"url": f"http://127.0.0.1:{port}/hook", "text": "{{ account.name }} gave {{ event.score }}"}},
        ],
    }
    FILE.save(settings, yaml.safe_dump({"playbooks": [playbook]}))
    with session_scope(settings.database_url) as s:
        s.add(Account(external_id="A1", name="Acme"))
        key = create_key(s, KeyScope.WRITE, "playbook test")[1]
    stop = threading.Event()
    loop = threading.Thread(target=worker, args=(settings, stop), kwargs={"interval": 0.2}, daemon=True)
    loop.start()
    try:
        run_events(settings, None)  # the reader starts from the current end of the log (no history replay)
        client = TestClient(create_app(dataclasses.replace(settings, intake_worker=False)))
        headers = {"Authorization": f"Bearer {key}"}
        body = {
            "external_id": "F1",
            "account": "A1",
            "survey_type": "nps",
            "score": 3,
            "submitted_at": "2026-11-20T10:00:00Z",
        }
        promoter = {**body, "external_id": "F2", "score": 10}
        assert client.post("/api/v1/feedback", json=promoter, headers=headers).status_code == 201
        written = time.monotonic()
        assert client.post("/api/v1/feedback", json=body, headers=headers).status_code == 201
        task = None
        # the time it takes is measured in bench/playbook_latency.py; here, that it fires (a generous deadline)
        while time.monotonic() - written < 60 and (task is None or not posted):
            with session_scope(settings.database_url) as s:
                task = s.scalar(select(Task).where(Task.source == "playbook:detractor"))
            time.sleep(0.1)
        assert task is not None and task.title == "Call Acme: NPS 3" and task.status == TaskStatus.OPEN
        assert posted == [{"text": "Acme gave 3"}]  # the promoter's answer did not fire it
    finally:
        stop.set()
        loop.join(timeout=30)
        httpd.shutdown()


def test_a_failing_firing_changes_nothing_and_the_others_go_on(settings: Settings) -> None:
    with pytest.raises(PlaybookError, match="lifecycle_stage is one of"):
        parse({"playbooks": [{**STALLED, "actions": [{"set": {"field": "lifecycle_stage", "value": "happy"}}]}]})
    with session_scope(settings.database_url) as s:
        for k in range(3):
            s.add(Account(external_id=f"A{k}", name=f"Account {k}"))
    with session_scope(settings.database_url) as s:
        first = s.scalar(select(func.min(Account.id)))
    playbook = {
        "key": "weekly",
        "name": "Weekly",
        "when": {"schedule": {"every_days": 7}},
        "actions": [
            {"set": {"field": "attributes.reviewed", "value": "yes"}},
            # divides by zero for the first account only: its firing fails, the others do not
            {"task": {"title": "{{ 10 // (account.id - " + str(first) + ") }} reviews"}},
        ],
    }
    report = run(settings, parse({"playbooks": [playbook]}))
    assert len(report.fired) == 3
    with session_scope(settings.database_url) as s:
        runs = {r.account_id: r for r in s.scalars(select(PlaybookRun))}
        attrs = dict(s.execute(select(Account.id, Account.attributes)).all())
        tasks = s.scalar(select(func.count()).select_from(Task))
    assert not runs[first].ok and runs[first].actions[0]["result"].startswith("failed: ZeroDivisionError")
    assert attrs[first] == {} and all(attrs[a] == {"reviewed": "yes"} for a in attrs if a != first)
    assert tasks == 2 and all(r.ok for a, r in runs.items() if a != first)
    # a week later the schedule fires again for all three (the failed one included)
    again = run(settings, parse({"playbooks": [playbook]}), now=datetime.now(UTC) + timedelta(days=8))
    assert len(again.fired) == 3


def test_events_read_and_past_their_retention_are_deleted(settings: Settings) -> None:
    from northstar.playbooks import engine
    from northstar.playbooks.models import DomainEvent

    old = datetime.now(UTC) - engine.EVENT_RETENTION - timedelta(days=1)
    run_events(settings, None)  # the reader starts at the end of the (empty) log
    with session_scope(settings.database_url) as s:
        s.add(DomainEvent(type="account.created", occurred_at=old, data={}))
        s.add(DomainEvent(type="account.created", occurred_at=datetime.now(UTC), data={}))
    run_events(settings, None)  # reads both
    engine._last_prune = float("-inf")
    run_events(settings, None)  # nothing new: prunes what was read and is old
    with session_scope(settings.database_url) as s:
        kept = s.scalars(select(DomainEvent.occurred_at)).all()
    assert len(kept) == 1 and kept[0] > old + timedelta(days=1)
