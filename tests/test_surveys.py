"""Surveys: definitions checked with clear errors, links that cannot be guessed, reused or used late,
throttling, one-tap answers in the contact's language, and the closed loop to the account's owner."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from northstar.accounts.models import Account, Contact
from northstar.auth.models import Role
from northstar.auth.service import create_user
from northstar.db.engine import session_scope
from northstar.feedback.models import Feedback, SurveyInvitation
from northstar.ingest.service import import_file
from northstar.surveys.definitions import DEFAULT, SurveyError, load, load_surveys, parse
from northstar.surveys.service import (
    State,
    SurveyRefused,
    complete,
    find,
    invite,
    record_score,
    send_invitation,
    state,
)
from northstar.tasks.models import Task
from northstar.web.app import create_app

FILES = {
    "accounts": "external_id,name,owner_email\nA,Acme,owner@example.com\n",
    "contacts": (
        "external_id,account,name,role,language\n"
        "c-it,A,Giulia Bianchi,decision_maker,it\nc-ar,A,Omar Haddad,user,ar\nc-de,A,Dora Weber,user,de\n"
    ),
}
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _load(settings, tmp_path: Path) -> dict[str, int]:
    for kind, text in FILES.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        import_file(settings, kind, path)
    with session_scope(settings.database_url) as s:
        return {c.external_id: c.id for c in s.scalars(select(Contact))}


def test_the_shipped_surveys_speak_five_languages():
    config = load(DEFAULT)
    for survey in config.surveys:
        texts = [survey.question, *(f.text for f in survey.follow_up), *(q.text for q in survey.questions)]
        texts += [c for q in survey.questions for c in q.choices]
        for text in texts:
            assert text.languages() >= {"en", "it", "ja", "ar", "pl"}, survey.key
        covered = sorted(s for f in survey.follow_up for s in range(f.scores[0], f.scores[1] + 1))
        assert covered == list(range(survey.scale[0], survey.scale[1] + 1))  # every score gets a follow-up


def test_bad_definitions_name_the_place():
    with pytest.raises(SurveyError) as err:
        parse(
            {
                "surveys": [
                    {"key": "x", "type": "nps", "touchpoint": "t", "question": {"it": "manca l'inglese"}},
                    {
                        "key": "y",
                        "type": "csat",
                        "touchpoint": "t",
                        "question": {"en": "ok?"},
                        "follow_up": [{"scores": [0, 11], "text": {"en": "?"}}],
                    },
                ]
            },
            "surveys.yaml",
        )
    text = str(err.value)
    assert "surveys.yaml: surveys[0].question.en: Field required" in text
    assert "surveys.yaml: surveys[1]: follow_up scores [0, 11] are outside the csat scale 1-5" in text


def test_links_throttling_and_triggers(settings, tmp_path):
    ids = _load(settings, tmp_path)
    config = load_surveys(settings)
    with session_scope(settings.database_url) as s:
        first = invite(s, config, "support-csat", ids["c-it"], trigger="ticket:T1", now=NOW)
        token = first.token
        assert len(token) >= 43 and first.invitation.language == "it"
        stored = s.scalar(select(SurveyInvitation).where(SurveyInvitation.id == first.invitation.id))
        assert token not in repr([getattr(stored, c.key) for c in SurveyInvitation.__table__.columns])
        with pytest.raises(SurveyRefused, match="already asked for ticket:T1"):
            invite(s, config, "support-csat", ids["c-it"], trigger="ticket:T1", now=NOW + timedelta(days=90))
        with pytest.raises(SurveyRefused, match="not again within 30 days"):
            invite(s, config, "relationship-nps", ids["c-it"], now=NOW + timedelta(days=29))
        later = invite(s, config, "relationship-nps", ids["c-it"], now=NOW + timedelta(days=31))
        assert later.token != token
        assert invite(s, config, "relationship-nps", ids["c-de"], now=NOW).invitation.language == "en"  # no German
        assert find(s, token).id == first.invitation.id
        assert find(s, token[:-1] + ("A" if token[-1] != "A" else "B")) is None  # a near guess finds nothing
        assert find(s, "") is None and find(s, "x" * 500) is None


def test_answer_once_then_close_the_loop(settings, tmp_path):
    ids = _load(settings, tmp_path)
    config = load_surveys(settings)
    with session_scope(settings.database_url) as s:
        owner = s.scalar(select(Account.owner_id))
        sent = invite(s, config, "relationship-nps", ids["c-it"], now=NOW)
        inv = sent.invitation
        assert state(inv, NOW) is State.OPEN
        with pytest.raises(ValueError, match="0-10"):
            record_score(s, config, inv, 11, now=NOW)
        assert record_score(s, config, inv, 3, now=NOW) is State.FOLLOW_UP
        assert record_score(s, config, inv, 10, now=NOW) is State.FOLLOW_UP  # refused: the score stands
        task = s.scalar(select(Task).where(Task.dedupe_key == f"survey-follow-up:{inv.id}"))
        assert task.assignee_id == owner and task.title == "Follow up: NPS 3 from Giulia Bianchi"
        assert complete(s, config, inv, "Troppo lento <script>alert(1)</script>", now=NOW) is State.DONE
        assert complete(s, config, inv, "again", now=NOW) is State.DONE  # a second completion changes nothing
        answer = s.get(Feedback, inv.feedback_id)
        assert (answer.score, answer.language, answer.touchpoint) == (3, "it", "relationship")
        assert answer.comment == "Troppo lento <script>alert(1)</script>"
        assert "Their words: Troppo lento" in s.get(Task, task.id).description
        happy = invite(s, config, "relationship-nps", ids["c-ar"], now=NOW)
        record_score(s, config, happy.invitation, 9, now=NOW)
        assert s.scalar(select(Task).where(Task.dedupe_key == f"survey-follow-up:{happy.invitation.id}")) is None
        late = invite(s, config, "onboarding-ces", ids["c-de"], now=NOW)
        assert state(late.invitation, NOW + timedelta(days=22)) is State.EXPIRED
        assert record_score(s, config, late.invitation, 5, now=NOW + timedelta(days=22)) is State.EXPIRED


def test_the_public_page(lite, tmp_path):
    ids = _load(lite, tmp_path)
    config = load_surveys(lite)
    with session_scope(lite.database_url) as s:
        create_user(s, "owner@example.com", "correct horse battery", Role.CSM)
        ar = invite(s, config, "relationship-nps", ids["c-ar"]).token
        onboarding = invite(s, config, "onboarding-ces", ids["c-it"]).token
        gone = invite(s, config, "support-csat", ids["c-de"])
        gone.invitation.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        expired = gone.token
    client = TestClient(create_app(dataclasses.replace(lite, intake_worker=False)))
    page = client.get(f"/s/{ar}")  # no sign-in needed
    assert page.status_code == 200 and '<html lang="ar" dir="rtl">' in page.text
    assert "ما مدى احتمال أن توصي بنا" in page.text and page.text.count('name="score"') == 11
    r = client.post(f"/s/{ar}", data={"score": "2"}, follow_redirects=False)  # one tap
    assert r.status_code == 303
    follow = client.get(f"/s/{ar}").text
    assert "ما أهم شيء يجب أن نحسّنه؟" in follow  # the detractors' follow-up, in Arabic
    again = client.post(f"/s/{ar}", data={"score": "10"})
    assert again.status_code == 409 and "شكرًا" in again.text  # refused, politely, in the contact's language
    client.post(f"/s/{ar}", data={"step": "more", "comment": "<b>bold</b> <script>x()</script>"})
    done = client.get(f"/s/{ar}")
    assert 'data-state="done"' in done.text
    assert client.post(f"/s/{ar}", data={"step": "more", "comment": "twice"}).status_code == 409
    # custom questions: the answer is kept in English whatever language it was shown in
    client.post(f"/s/{onboarding}", data={"score": "6"})
    it_page = client.get(f"/s/{onboarding}").text
    assert "Qual è il tuo ruolo?" in it_page and "Utente abituale" in it_page
    client.post(f"/s/{onboarding}", data={"step": "more", "comment": "", "q_role": "1"})
    assert client.get(f"/s/{expired}").status_code == 410
    assert client.post(f"/s/{expired}", data={"score": "5"}).status_code == 410
    assert client.get("/s/not-a-real-token").status_code == 404
    with session_scope(lite.database_url) as s:
        answers = {f.contact_id: f for f in s.scalars(select(Feedback))}
        assert answers[ids["c-it"]].answers == {"role": "Everyday user"} and answers[ids["c-it"]].score == 6
        assert answers[ids["c-ar"]].comment == "<b>bold</b> <script>x()</script>"
    # the comment is shown as text to the CSM on the account's timeline
    staff = TestClient(create_app(dataclasses.replace(lite, intake_worker=False)))
    token = re.search(r'name="csrf" value="([^"]+)"', staff.get("/login").text).group(1)
    staff.post("/login", data={"email": "owner@example.com", "password": "correct horse battery", "csrf": token})
    timeline = staff.get("/accounts/A").text
    assert "&lt;script&gt;x()&lt;/script&gt;" in timeline and "<script>x()" not in timeline


def test_invitations_are_e_mailed_in_the_contacts_language(settings, tmp_path, smtp_server):
    url, inbox = smtp_server
    ids = _load(settings, tmp_path)
    with session_scope(settings.database_url) as s:
        for c in s.scalars(select(Contact)):
            c.email = f"{c.external_id}@example.com"
    mailing = dataclasses.replace(settings, smtp_url=url, base_url="https://cs.example.com")
    config = load_surveys(mailing)
    with session_scope(settings.database_url) as s:
        sent = send_invitation(mailing, s, config, "support-csat", ids["c-it"], trigger="ticket:T9")
        token = sent.token
    (msg,) = inbox
    assert msg["To"] == "c-it@example.com" and msg["Content-Language"] == "it"
    assert msg["Subject"] == "Quanto sei soddisfatto dell'assistenza ricevuta?"
    text = msg.get_body(("plain",)).get_content()
    assert f"https://cs.example.com/s/{token}" in text and "Ciao Giulia Bianchi," in text
    html_part = msg.get_body(("html",)).get_content()
    assert 'lang="it" dir="ltr"' in html_part and f'href="https://cs.example.com/s/{token}"' in html_part
    with session_scope(settings.database_url) as s:
        assert find(s, token).channel == "email"
    # Arabic: the HTML part reads right to left
    with session_scope(settings.database_url) as s:
        send_invitation(mailing, s, config, "relationship-nps", ids["c-ar"])
    assert 'dir="rtl"' in inbox[-1].get_body(("html",)).get_content()
    # a mail server that refuses: nothing is recorded, the contact can be asked once it is back
    down = dataclasses.replace(mailing, smtp_url="smtp://127.0.0.1:9")
    with pytest.raises(OSError), session_scope(settings.database_url) as s:
        send_invitation(down, s, config, "relationship-nps", ids["c-de"])
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(SurveyInvitation).where(SurveyInvitation.contact_id == ids["c-de"])) is None
        send_invitation(mailing, s, config, "relationship-nps", ids["c-de"])
    assert inbox[-1]["Content-Language"] == "en"


def test_triggers_ask_once_within_the_throttle(settings, tmp_path, smtp_server):
    from northstar.surveys.triggers import due, run

    url, inbox = smtp_server
    ids = _load(settings, tmp_path)
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    files = {
        "tickets": "external_id,account,contact,subject,opened_at,resolved_at,status\n"
        "T1,A,c-de,Export,2026-11-17T09:00:00Z,2026-11-19T09:00:00Z,closed\n"
        "T0,A,c-de,Old,2026-10-01T09:00:00Z,2026-10-02T09:00:00Z,closed\n",
        "touchpoints": "external_id,account,channel,kind,occurred_at,subject\n"
        "K1,A,meeting,onboarding,2026-11-18T15:00:00Z,Kickoff\n",
        "subscriptions": "external_id,account,product,product_line,mrr,start_date,renewal_date,status\n"
        "S1,A,Core,Analytics,100,2026-01-18,2027-01-18,active\n",
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        import_file(settings, kind, path)
    with session_scope(settings.database_url) as s:
        for c in s.scalars(select(Contact)):
            c.email = f"{c.external_id}@example.com"
            if c.external_id == "c-ar":
                c.role = "champion"
    config = load_surveys(settings)
    renewal = parse(
        {
            "surveys": [
                {
                    "key": "renewal-nps",
                    "type": "nps",
                    "touchpoint": "renewal",
                    "question": {"en": "Before your renewal: would you recommend us?"},
                    "trigger": {"when": "renewal", "days_before": 60},
                    "audience": ["decision_maker"],
                }
            ]
        }
    )
    with session_scope(settings.database_url) as s:
        found = {(d.survey, d.contact_id, d.trigger) for d in due(s, config, now)}
        assert found == {
            ("relationship-nps", ids["c-it"], "schedule:2026-08-12"),  # the decision maker (period 54 of 180 days)
            ("relationship-nps", ids["c-ar"], "schedule:2026-08-12"),  # the champion
            ("support-csat", ids["c-de"], "ticket:T1"),  # resolved yesterday; T0 is too old
            ("onboarding-ces", ids["c-ar"], "touchpoint:K1"),  # no contact on the touch: the audience
            ("onboarding-ces", ids["c-de"], "touchpoint:K1"),
        }
        assert {(d.contact_id, d.trigger) for d in due(s, renewal, now)} == {
            (ids["c-it"], "renewal:S1:2027-01-18")  # 59 days ahead: inside the week before day 60
        }
    mailing = dataclasses.replace(settings, smtp_url=url)
    with session_scope(settings.database_url) as s:
        report = run(mailing, s, config, now)
    assert len(report.sent) == 3 and report.skipped == {"not again within": 2}  # one survey per contact
    assert sorted(m["To"] for m in inbox) == ["c-ar@example.com", "c-de@example.com", "c-it@example.com"]
    with session_scope(settings.database_url) as s:  # again, from the same or another worker: nothing more
        again = run(mailing, s, config, now + timedelta(hours=1))
    assert not again.sent and len(inbox) == 3  # the schedule is not due; the others are refused
    assert again.skipped == {"already asked": 1, "not again within": 2}


def test_other_feedback_is_tied_to_its_author(settings, tmp_path):
    """Reviews and e-mails: the contact with the author's address, else the account at its domain."""
    files = {
        "accounts": "external_id,name,domain\nA,Acme,acme.example\nB,Beta,beta.example\n",
        "contacts": "external_id,account,name,email\nc1,A,Ann,Ann@Acme.example\n",
        "feedback": (
            "external_id,survey_type,comment,channel,submitted_at,email,account\n"
            "r1,text,Great tool,review,2026-11-01T10:00:00Z,ann@acme.example,\n"
            "r2,text,Slow exports,email,2026-11-02T10:00:00Z,bob@beta.example,\n"
            "r3,text,Meh,social,2026-11-03T10:00:00Z,someone@gmail.example,\n"
            "r4,text,Nice,email,2026-11-04T10:00:00Z,ann@acme.example,B\n"
        ),
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        import_file(settings, kind, path)
    with session_scope(settings.database_url) as s:
        ids = {a.external_id: a.id for a in s.scalars(select(Account))}
        ann = s.scalar(select(Contact.id).where(Contact.external_id == "c1"))
        got = {f.external_id: (f.account_id, f.contact_id) for f in s.scalars(select(Feedback))}
    assert got == {
        "r1": (ids["A"], ann),  # the contact's address, whatever its case
        "r2": (ids["B"], None),  # an unknown person at Beta's domain
        "r3": (None, None),  # nobody we know
        "r4": (ids["B"], None),  # an account named in the file wins
    }


def test_links_for_the_in_app_widget(lite, tmp_path):
    from northstar.auth.keys import create_key
    from northstar.auth.models import KeyScope

    ids = _load(lite, tmp_path)
    with session_scope(lite.database_url) as s:
        write = {"Authorization": f"Bearer {create_key(s, KeyScope.WRITE, 'app')[1]}"}
        read = {"Authorization": f"Bearer {create_key(s, KeyScope.READ, 'bi')[1]}"}
    embedding = dataclasses.replace(lite, intake_worker=False, embed_origins=("https://app.example.com",))
    client = TestClient(create_app(embedding))
    path = "/api/v1/surveys/relationship-nps/invitations"
    body = {"contact": "c-ar", "trigger": "feature:reports"}
    assert client.post(path, json=body).status_code == 401
    assert client.post(path, json=body, headers=read).status_code == 403
    r = client.post(path, json=body, headers=write)
    assert r.status_code == 201 and r.json()["language"] == "ar"
    url = r.json()["url"]
    assert url.startswith("http://127.0.0.1:8000/s/")
    again = client.post(path, json={**body, "trigger": "feature:other"}, headers=write)
    assert again.status_code == 409 and "not again within" in again.json()["detail"]
    assert client.post("/api/v1/surveys/nope/invitations", json=body, headers=write).status_code == 404
    assert client.post(path, json={"contact": "nobody"}, headers=write).status_code == 404
    with session_scope(lite.database_url) as s:
        assert s.scalar(select(SurveyInvitation.channel).where(SurveyInvitation.contact_id == ids["c-ar"])) == "in_app"
    # the survey page may be framed by the product's origin, and nothing else may be framed at all
    page = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert "frame-ancestors 'self' https://app.example.com" in page.headers["content-security-policy"]
    assert "x-frame-options" not in page.headers
    login = client.get("/login")
    assert login.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    widget = client.get("/static/survey-widget.js")
    assert widget.status_code == 200 and "NorthstarSurvey" in widget.text


def test_cs_operations_edit_the_surveys(lite, tmp_path):
    from northstar.surveys.definitions import current_text, history_dir

    _load(lite, tmp_path)
    with session_scope(lite.database_url) as s:
        create_user(s, "ops@example.com", "correct horse battery", Role.CS_OPS)
        create_user(s, "viewer@example.com", "correct horse battery", Role.VIEWER)

    def signed(email: str) -> TestClient:
        client = TestClient(create_app(dataclasses.replace(lite, intake_worker=False)))
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"email": email, "password": "correct horse battery", "csrf": token})
        return client

    assert signed("viewer@example.com").get("/admin/surveys").status_code == 403
    ops = signed("ops@example.com")
    page = ops.get("/admin/surveys").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    shipped = current_text(lite)
    bad = shipped.replace("type: csat", "type: stars")
    r = ops.post("/admin/surveys", data={"text": bad, "csrf": csrf})
    assert r.status_code == 422 and "surveys.yaml: surveys[1].type:" in r.text
    assert not (lite.home / "surveys.yaml").exists()  # nothing changed
    assert ops.post("/admin/surveys", data={"text": shipped, "csrf": "forged"}).status_code == 403
    better = shipped.replace("throttle_days: 30", "throttle_days: 45")
    r = ops.post("/admin/surveys", data={"text": better, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert load_surveys(lite).throttle_days == 45
    (kept,) = history_dir(lite).glob("*ops@example.com.yaml")
    assert kept.read_text(encoding="utf-8") == shipped  # the version it replaced
