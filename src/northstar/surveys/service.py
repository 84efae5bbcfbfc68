"""Asking and answering: invitations with single-use personal links, throttling, and the closed loop.

* **Links**: each invitation carries a random token (256 bits, ``secrets.token_urlsafe(32)``) in its link;
  the store keeps only its SHA-256, so a copy of the database holds no working link. A link works until its
  survey's ``expires_days`` have passed, and answers once.
* **Throttling**: a contact is not asked again within the configuration's ``throttle_days`` of the last
  invitation (any survey), and never twice for the same trigger (``dedupe_key``).
* **Answering** takes two steps, so the score is one tap: the score is recorded at once (a ``Feedback`` row
  tied to the invitation), then the follow-up question and any custom questions complete it.
* **Closed loop**: a score at or below the survey's alert level (NPS 0-6, CSAT 1-2, CES 1-3 by default)
  makes a follow-up task for the account's owner, once per invitation; the comment is added to it when it
  arrives, and what came of the follow-up is the task's outcome.
"""

from __future__ import annotations

import hashlib
import html
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from northstar import i18n
from northstar.accounts.models import Account, Contact
from northstar.config import Settings
from northstar.db.engine import savepoint
from northstar.db.versions import bump
from northstar.feedback.models import Feedback, SurveyInvitation, SurveyType
from northstar.surveys.definitions import Survey, SurveyConfig
from northstar.webhooks.service import emit

#: The score at or below which an answer needs a human follow-up, by survey type.
ALERT_AT_OR_BELOW = {"nps": 6, "csat": 2, "ces": 3}
LANGUAGES = ("en", "it", "ja", "ar", "pl")


class SurveyRefused(ValueError):
    """An invitation that is not sent (throttled, already asked, no such contact): the reason in words."""


@dataclass(frozen=True)
class Invited:
    invitation: SurveyInvitation
    token: str

    @property
    def path(self) -> str:
        return f"/s/{self.token}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def language_for(survey: Survey, contact: Contact) -> str:
    """The contact's language when the survey speaks it, else English."""
    lang = (contact.language or "en").split("-")[0].lower()
    return lang if lang in survey.question.languages() else "en"


def invite(
    session: Session,
    config: SurveyConfig,
    survey_key: str,
    contact_id: int,
    *,
    trigger: str | None = None,
    channel: str = "email",
    campaign: str | None = None,
    now: datetime | None = None,
) -> Invited:
    """A new invitation of ``contact_id`` to ``survey_key`` (``SurveyRefused`` when throttled or already
    asked for ``trigger``). The token is returned once, for the link; only its hash is stored."""
    now = now or _now()
    survey = config.get(survey_key)
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise SurveyRefused(f"no contact with id {contact_id}")
    dedupe = f"{survey_key}:{trigger}:{contact_id}" if trigger else None
    if dedupe and session.scalar(select(SurveyInvitation.id).where(SurveyInvitation.dedupe_key == dedupe)):
        raise SurveyRefused(f"{contact.name or contact_id} was already asked for {trigger}")
    last = session.scalar(
        select(SurveyInvitation.sent_at)
        .where(SurveyInvitation.contact_id == contact_id)
        .order_by(SurveyInvitation.sent_at.desc())
        .limit(1)
    )
    if last is not None and config.throttle_days and _aware(last) > now - timedelta(days=config.throttle_days):
        raise SurveyRefused(
            f"{contact.name or contact_id} was asked on {_aware(last).date()}: not again within "
            f"{config.throttle_days} days"
        )
    token = secrets.token_urlsafe(32)
    invitation = SurveyInvitation(
        external_id=f"ns-{secrets.token_hex(12)}",
        account_id=contact.account_id,
        contact_id=contact.id,
        survey_type=SurveyType(survey.type),
        touchpoint=survey.touchpoint,
        channel=channel,
        language=language_for(survey, contact),
        campaign=campaign,
        sent_at=now,
        survey_key=survey.key,
        token_hash=token_hash(token),
        expires_at=now + timedelta(days=survey.expires_days),
        dedupe_key=dedupe,
    )
    try:
        with savepoint(session):
            session.add(invitation)
    except IntegrityError:  # the same trigger, asked at the same moment by another worker
        raise SurveyRefused(f"{contact.name or contact_id} was already asked for {trigger}") from None
    return Invited(invitation, token)


class State(StrEnum):
    UNKNOWN = "unknown"  # no such link (or a mistyped one): the same answer either way
    EXPIRED = "expired"
    OPEN = "open"  # waiting for the score
    FOLLOW_UP = "follow_up"  # the score is in; the follow-up question is next
    DONE = "done"


def find(session: Session, token: str) -> SurveyInvitation | None:
    if not token or len(token) > 100:
        return None
    return session.scalar(select(SurveyInvitation).where(SurveyInvitation.token_hash == token_hash(token)))


def state(invitation: SurveyInvitation | None, now: datetime | None = None) -> State:
    if invitation is None or invitation.token_hash is None:
        return State.UNKNOWN
    if invitation.completed_at is not None:
        return State.DONE
    if invitation.feedback_id is not None:
        return State.FOLLOW_UP
    if invitation.expires_at is not None and _aware(invitation.expires_at) <= (now or _now()):
        return State.EXPIRED
    return State.OPEN


def record_score(
    session: Session, config: SurveyConfig, invitation: SurveyInvitation, score: int, now: datetime | None = None
) -> State:
    """Record the score (the first tap). Returns the state after it: ``FOLLOW_UP`` when recorded now, or
    the state that refused it (``DONE``/``FOLLOW_UP`` already answered, ``EXPIRED``)."""
    now = now or _now()
    current = state(invitation, now)
    if current is not State.OPEN:
        return current
    survey = config.get(invitation.survey_key or "")
    lo, hi = survey.scale
    if not lo <= score <= hi:
        raise ValueError(f"a {survey.type} score is {lo}-{hi}")
    answer = Feedback(
        external_id=f"survey-{invitation.external_id}",
        account_id=invitation.account_id,
        contact_id=invitation.contact_id,
        survey_type=invitation.survey_type,
        score=score,
        language=invitation.language,
        touchpoint=invitation.touchpoint,
        channel=invitation.channel,
        submitted_at=now,
    )
    try:
        with savepoint(session):
            session.add(answer)
            session.flush()
            invitation.feedback_id = answer.id
            session.flush()
    except IntegrityError:  # the same link answered at the same moment in another request
        session.refresh(invitation)
        return state(invitation, now)
    if score <= ALERT_AT_OR_BELOW[survey.type]:
        _follow_up_task(session, invitation, answer)
    bump(session, "records")
    emit(
        session,
        "feedback.received",
        {
            "id": answer.id,
            "external_id": answer.external_id,
            "account_id": answer.account_id,
            "contact_id": answer.contact_id,
            "survey_type": answer.survey_type.value,
            "score": score,
            "touchpoint": answer.touchpoint,
            "channel": answer.channel,
            "language": answer.language,
            "submitted_at": now.isoformat(),
        },
    )
    return State.FOLLOW_UP


def complete(
    session: Session,
    config: SurveyConfig,
    invitation: SurveyInvitation,
    comment: str = "",
    answers: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> State:
    """Add the follow-up's comment and the custom questions' answers (either may be empty: skipping is
    allowed) and close the invitation. Answers are checked against the survey's questions."""
    now = now or _now()
    if state(invitation, now) is not State.FOLLOW_UP:
        return state(invitation, now)
    survey = config.get(invitation.survey_key or "")
    clean = _checked(survey, answers or {})
    answer = session.get(Feedback, invitation.feedback_id)
    assert answer is not None
    text = comment.strip()[:5000]
    answer.comment = text or None
    answer.answers = clean or None
    invitation.completed_at = now
    if text:
        _add_comment_to_task(session, invitation, text)
    bump(session, "records")
    return State.DONE


def _checked(survey: Survey, answers: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in survey.questions:
        raw = answers.get(q.key)
        if raw in (None, ""):
            continue
        if q.kind == "rating":
            value = int(raw)
            if not q.scale[0] <= value <= q.scale[1]:
                raise ValueError(f"{q.key}: a rating of {q.scale[0]}-{q.scale[1]}")
            out[q.key] = value
        elif q.kind == "choice":
            index = int(raw)
            if not 0 <= index < len(q.choices):
                raise ValueError(f"{q.key}: not one of the choices")
            out[q.key] = q.choices[index].en  # stored in English, whatever the language it was shown in
        else:
            out[q.key] = str(raw).strip()[:2000]
    return out


def _follow_up_task(session: Session, invitation: SurveyInvitation, answer: Feedback) -> None:
    from northstar.tasks.models import TaskPriority
    from northstar.tasks.service import create_task

    account = session.get(Account, invitation.account_id)
    contact = session.get(Contact, invitation.contact_id) if invitation.contact_id else None
    who = contact.name if contact and contact.name else "a contact"
    create_task(
        session,
        f"Follow up: {invitation.survey_type.value.upper()} {answer.score} from {who}",
        account_id=invitation.account_id,
        assignee_id=account.owner_id if account else None,
        due_on=(answer.submitted_at + timedelta(days=2)).date(),
        priority=TaskPriority.HIGH,
        description=f"{invitation.survey_key} ({invitation.touchpoint}), answered {answer.submitted_at:%Y-%m-%d}.",
        source="survey",
        dedupe_key=f"survey-follow-up:{invitation.id}",
    )


def _add_comment_to_task(session: Session, invitation: SurveyInvitation, comment: str) -> None:
    from northstar.tasks.models import Task, TaskStatus

    task = session.scalar(
        select(Task).where(Task.dedupe_key == f"survey-follow-up:{invitation.id}", Task.status == TaskStatus.OPEN)
    )
    if task is not None:
        task.description = f"{task.description}\n\nTheir words: {comment}".strip()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def send_invitation(
    settings: Settings,
    session: Session,
    config: SurveyConfig,
    survey_key: str,
    contact_id: int,
    *,
    trigger: str | None = None,
    campaign: str | None = None,
    now: datetime | None = None,
) -> Invited:
    """Invite the contact and e-mail the link, in the contact's language. The invitation is written in the
    caller's transaction: if the mail server refuses, the exception rolls it back and nothing is recorded."""
    from northstar.messaging.email import message, send

    contact = session.get(Contact, contact_id)
    if contact is None or not contact.email:
        raise SurveyRefused(f"contact {contact_id} has no e-mail address")
    sent = invite(session, config, survey_key, contact_id, trigger=trigger, channel="email", campaign=campaign, now=now)
    session.flush()
    survey = config.get(survey_key)
    lang = sent.invitation.language or "en"
    link = f"{settings.base_url}{sent.path}"
    with i18n.using(lang):
        question = survey.question.get(lang)
        hello = i18n.gettext("Hello %(name)s,", name=contact.name) if contact.name else i18n.gettext("Hello,")
        ask = i18n.gettext("It takes one click: choose your answer on this page.")
        until = i18n.gettext(
            "The link is yours alone and works until %(day)s.", day=i18n.day(_aware(sent.invitation.expires_at))
        )
        thanks = i18n.gettext("Thank you!")
        answer = i18n.gettext("Answer")
    text = f"{hello}\n\n{question}\n\n{ask}\n{link}\n\n{until}\n\n{thanks}\n"
    direction = "rtl" if i18n.is_rtl(lang) else "ltr"
    e = html.escape
    body = (
        f'<!doctype html><html lang="{e(lang)}" dir="{direction}"><body style="font-family: sans-serif">'
        f"<p>{e(hello)}</p><p><strong>{e(question)}</strong></p><p>{e(ask)}</p>"
        f'<p><a href="{e(link)}">{e(answer)}</a></p><p style="color:#5a6472">{e(until)}</p><p>{e(thanks)}</p>'
        "</body></html>"
    )
    send(settings, message(settings, contact.email, question, text, body, lang))
    return sent
