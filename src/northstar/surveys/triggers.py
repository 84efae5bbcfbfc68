"""Surveys that ask by themselves: who is due now, by each survey's trigger, and sending to them.

``due`` lists (survey, contact, trigger key) for the moment; ``run`` invites each one (by e-mail, or as a
link when asked), and the invitation's own rules decide: a contact asked within ``throttle_days`` is not
asked again, and a trigger key (``ticket:T-12``, ``renewal:S-3:2027-01-31``, ``schedule:2026-07-...``) never
asks the same contact twice, so running again, or from two places, sends nothing more. Scheduled surveys
key each contact's period by the days since 2000-01-01 divided by ``every_days``: at most once a period.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from northstar.accounts.models import Contact, ContactRole
from northstar.config import Settings
from northstar.feedback.models import SurveyInvitation
from northstar.revenue.models import Subscription
from northstar.support.models import Ticket
from northstar.surveys.definitions import Survey, SurveyConfig
from northstar.touchpoints.models import Touchpoint

EPOCH = date(2000, 1, 1)


@dataclass(frozen=True)
class Due:
    survey: str
    contact_id: int
    trigger: str


@dataclass
class RunReport:
    sent: list[Due] = field(default_factory=list)
    #: why the others were not asked (throttled, already asked for the trigger, no e-mail address ...)
    skipped: Counter[str] = field(default_factory=Counter)


def due(session: Session, config: SurveyConfig, now: datetime | None = None) -> list[Due]:
    """Everyone each triggered survey would ask now, before throttling (``run`` applies it)."""
    now = now or datetime.now(UTC)
    out: list[Due] = []
    for survey in config.surveys:
        if survey.trigger is None:
            continue
        finder = {"ticket_resolved": _tickets, "touchpoint": _touchpoints, "renewal": _renewals}
        finder |= {"schedule": _schedule, "milestone": _milestones}
        out += finder[survey.trigger.when](session, survey, now)
    return list(dict.fromkeys(out))


def run(
    settings: Settings, session: Session, config: SurveyConfig, now: datetime | None = None, links: bool = False
) -> RunReport:
    """Invite everyone due: by e-mail (``links=True``: make links only, for another channel)."""
    from northstar.messaging.email import MailNotConfigured
    from northstar.surveys.service import SurveyRefused, invite, send_invitation

    now = now or datetime.now(UTC)
    report = RunReport()
    for d in due(session, config, now):
        try:
            if links:
                invite(session, config, d.survey, d.contact_id, trigger=d.trigger, channel="link", now=now)
            else:
                send_invitation(settings, session, config, d.survey, d.contact_id, trigger=d.trigger, now=now)
            session.flush()
            report.sent.append(d)
        except SurveyRefused as exc:
            report.skipped[_reason(str(exc))] += 1
        except MailNotConfigured:
            raise
    return report


def _reason(message: str) -> str:
    for words in ("already asked", "not again within", "no e-mail address"):
        if words in message:
            return words
    return message


def _audience(session: Session, survey: Survey, account_ids: set[int]) -> dict[int, list[int]]:
    """Per account, its active contacts in the survey's audience roles."""
    if not account_ids:
        return {}
    roles = [ContactRole(r) for r in survey.audience]
    rows = session.execute(
        select(Contact.account_id, Contact.id).where(
            Contact.account_id.in_(sorted(account_ids)), Contact.role.in_(roles), Contact.is_active
        )
    )
    out: dict[int, list[int]] = {}
    for account_id, contact_id in rows:
        out.setdefault(account_id, []).append(contact_id)
    return out


def _tickets(session: Session, survey: Survey, now: datetime) -> list[Due]:
    assert survey.trigger is not None
    since = now - timedelta(days=survey.trigger.within_days)
    rows = session.execute(
        select(Ticket.external_id, Ticket.contact_id).where(
            Ticket.resolved_at >= since, Ticket.resolved_at <= now, Ticket.contact_id.is_not(None)
        )
    )
    return [Due(survey.key, contact_id, f"ticket:{ext}") for ext, contact_id in rows]


def _touchpoints(session: Session, survey: Survey, now: datetime) -> list[Due]:
    assert survey.trigger is not None
    since = now - timedelta(days=survey.trigger.within_days)
    rows = session.execute(
        select(Touchpoint.external_id, Touchpoint.account_id, Touchpoint.contact_id).where(
            Touchpoint.kind == survey.trigger.kind, Touchpoint.occurred_at >= since, Touchpoint.occurred_at <= now
        )
    ).all()
    people = _audience(session, survey, {a for _, a, c in rows if c is None})
    out = []
    for ext, account_id, contact_id in rows:
        for c in [contact_id] if contact_id is not None else people.get(account_id, []):
            out.append(Due(survey.key, c, f"touchpoint:{ext}"))
    return out


def _milestones(session: Session, survey: Survey, now: datetime) -> list[Due]:
    """Accounts that reached the milestone recently, on the map version they are measured on now."""
    from northstar.success.models import MilestoneReached, SuccessStatus

    assert survey.trigger is not None
    since = (now - timedelta(days=survey.trigger.within_days)).date()
    rows = session.execute(
        select(MilestoneReached.account_id)
        .join(
            SuccessStatus,
            and_(
                SuccessStatus.account_id == MilestoneReached.account_id,
                SuccessStatus.map_version == MilestoneReached.map_version,
            ),
        )
        .where(
            MilestoneReached.milestone == survey.trigger.kind,
            MilestoneReached.reached_on >= since,
            MilestoneReached.reached_on <= now.date(),
        )
    ).all()
    people = _audience(session, survey, {a for (a,) in rows})
    return [
        Due(survey.key, c, f"milestone:{survey.trigger.kind}:{account_id}")
        for (account_id,) in rows
        for c in people.get(account_id, [])
    ]


def _renewals(session: Session, survey: Survey, now: datetime) -> list[Due]:
    assert survey.trigger is not None
    day = now.date() + timedelta(days=survey.trigger.days_before)
    rows = session.execute(
        select(Subscription.external_id, Subscription.account_id, Subscription.renewal_date).where(
            and_(Subscription.renewal_date > day - timedelta(days=7), Subscription.renewal_date <= day)
        )
    ).all()
    people = _audience(session, survey, {a for _, a, _d in rows})
    return [
        Due(survey.key, c, f"renewal:{ext}:{renewal}")
        for ext, account_id, renewal in rows
        for c in people.get(account_id, [])
    ]


def _schedule(session: Session, survey: Survey, now: datetime) -> list[Due]:
    assert survey.every_days is not None
    period = (now.date() - EPOCH).days // survey.every_days
    recent = select(SurveyInvitation.contact_id).where(
        SurveyInvitation.survey_key == survey.key,
        SurveyInvitation.sent_at > now - timedelta(days=survey.every_days),
        SurveyInvitation.contact_id.is_not(None),
    )
    roles = [ContactRole(r) for r in survey.audience]
    rows = session.scalars(
        select(Contact.id).where(Contact.role.in_(roles), Contact.is_active, Contact.id.not_in(recent))
    )
    start = EPOCH + timedelta(days=period * survey.every_days)
    return [Due(survey.key, c, f"schedule:{start.isoformat()}") for c in rows]
