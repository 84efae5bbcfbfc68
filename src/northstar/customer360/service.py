"""Assembling one account's profile: attributes, hierarchy, contacts, revenue, usage, tickets, feedback
and one timeline that merges touchpoints, tickets, feedback and notable usage changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from northstar.accounts.models import Account, Contact
from northstar.auth.models import User
from northstar.feedback.models import Feedback, SurveyType
from northstar.revenue.models import Subscription
from northstar.revenue.service import mrr_history, mrr_on
from northstar.success.models import Assessment
from northstar.support.models import Ticket, TicketStatus
from northstar.touchpoints.models import Touchpoint
from northstar.usage.rollup import RollupStore
from northstar.usage.summary import UsageSummary, account_usage, account_usage_from_rollups, notable_changes


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # touchpoint, ticket_opened, ticket_resolved, feedback, usage_change, assessment
    title: str
    detail: str = ""
    channel: str | None = None
    #: The figures the title and detail are made of, for pages that word them in the user's language:
    #: subject, priority, survey, score, kind, change, before, after.
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class Profile:
    account: Account
    owner: User | None
    parent: Account | None
    children: list[Account]
    contacts: list[Contact]
    subscriptions: list[Subscription]
    mrr: float
    mrr_history: list[tuple[date, float]]
    renewal_date: date | None
    product_lines: list[str]
    usage: UsageSummary
    open_tickets: list[Ticket]
    tickets_90d: int
    feedback: list[Feedback]
    nps_last: int | None
    timeline: list[TimelineItem] = field(default_factory=list)
    #: Each contact's last touchpoint (contact id -> when), among the touchpoints read for the timeline.
    contact_touches: dict[int, datetime] = field(default_factory=dict)

    @property
    def arr(self) -> float:
        return self.mrr * 12

    def last_activity(self, contact: Contact) -> date | None:
        """The contact's last day in the product (last 90 days) or last touchpoint with them, the later."""
        seen = self.usage.contacts_last_seen.get(contact.id)
        touched = self.contact_touches.get(contact.id)
        days = [d for d in (seen, touched.date() if touched else None) if d is not None]
        return max(days) if days else None

    @property
    def decision_makers(self) -> list[Contact]:
        return [c for c in self.contacts if c.role.value == "decision_maker"]


class AccountNotFound(LookupError):
    pass


def find_account(session: Session, ref: str | int) -> Account:
    """By internal id, external id, or exact name (case-insensitive)."""
    text = str(ref).strip()
    conds = [Account.external_id == text]
    if text.isdigit():
        conds.append(Account.id == int(text))
    account = session.scalars(select(Account).where(or_(*conds)).order_by(Account.id)).first()
    if account is None:
        account = session.scalars(select(Account).where(Account.name.ilike(text))).first()
    if account is None:
        raise AccountNotFound(f"no account with id, external id or name {text!r}")
    return account


def build_profile(
    session: Session, events, account: Account, as_of: datetime | None = None, timeline_limit: int = 200
) -> Profile:
    """The Customer 360 for ``account`` as of ``as_of`` (default now). ``events``: the usage rollups (the
    web page: whole days, read in milliseconds), or an Ibis table of raw events on any backend."""
    as_of = as_of or datetime.now(UTC)
    today = as_of.date()
    acc = session.scalars(
        select(Account)
        .where(Account.id == account.id)
        .options(selectinload(Account.children), selectinload(Account.contacts), selectinload(Account.owner))
    ).one()
    subs = list(
        session.scalars(select(Subscription).where(Subscription.account_id == acc.id).order_by(Subscription.start_date))
    )
    tickets = list(session.scalars(select(Ticket).where(Ticket.account_id == acc.id).order_by(Ticket.opened_at.desc())))
    feedback = list(
        session.scalars(select(Feedback).where(Feedback.account_id == acc.id).order_by(Feedback.submitted_at.desc()))
    )
    touchpoints = list(
        session.scalars(
            select(Touchpoint)
            .where(Touchpoint.account_id == acc.id)
            .order_by(Touchpoint.occurred_at.desc())
            .limit(timeline_limit)
        )
    )
    assessments = list(session.scalars(select(Assessment).where(Assessment.account_id == acc.id)))
    if isinstance(events, RollupStore):
        usage = account_usage_from_rollups(events, acc.id, as_of)
    else:
        usage = account_usage(events, acc.id, as_of)
    active = [s for s in subs if s.start_date <= today and (s.end_date is None or s.end_date >= today)]
    renewals = sorted(s.renewal_date for s in active if s.renewal_date and s.renewal_date >= today)
    contacts = sorted(acc.contacts, key=lambda c: (_ROLE_ORDER.get(c.role.value, 9), c.name))
    nps = next((f.score for f in feedback if f.survey_type == SurveyType.NPS), None)
    profile = Profile(
        account=acc,
        owner=acc.owner,
        parent=session.get(Account, acc.parent_id) if acc.parent_id else None,
        children=sorted(acc.children, key=lambda a: a.name),
        contacts=contacts,
        subscriptions=subs,
        mrr=round(mrr_on(subs, today), 2),
        mrr_history=mrr_history(subs, today),
        renewal_date=renewals[0] if renewals else None,
        product_lines=sorted({s.product_line for s in active}),
        usage=usage,
        open_tickets=[t for t in tickets if t.status in (TicketStatus.OPEN, TicketStatus.PENDING)],
        tickets_90d=sum(1 for t in tickets if (as_of - t.opened_at).days <= 90),
        feedback=feedback,
        nps_last=nps,
    )
    profile.timeline = _timeline(touchpoints, tickets, feedback, assessments, usage, as_of)[:timeline_limit]
    for tp in touchpoints:
        if tp.contact_id is not None and tp.occurred_at <= as_of:
            profile.contact_touches[tp.contact_id] = max(
                tp.occurred_at, profile.contact_touches.get(tp.contact_id, tp.occurred_at)
            )
    return profile


_ROLE_ORDER = {"decision_maker": 0, "champion": 1, "admin": 2, "user": 3}


def _timeline(
    touchpoints: list[Touchpoint],
    tickets: list[Ticket],
    feedback: list[Feedback],
    assessments: list[Assessment],
    usage: UsageSummary,
    as_of: datetime,
) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for tp in touchpoints:
        items.append(
            TimelineItem(
                tp.occurred_at,
                "touchpoint",
                tp.subject or tp.channel.value,
                tp.summary,
                tp.channel.value,
                {"subject": tp.subject},
            )
        )
    for t in tickets:
        items.append(
            TimelineItem(
                t.opened_at,
                "ticket_opened",
                f"Ticket opened: {t.subject}",
                f"{t.priority.value} priority",
                t.channel.value,
                {"subject": t.subject, "priority": t.priority.value},
            )
        )
        if t.resolved_at:
            items.append(
                TimelineItem(
                    t.resolved_at,
                    "ticket_resolved",
                    f"Ticket resolved: {t.subject}",
                    "",
                    t.channel.value,
                    {"subject": t.subject},
                )
            )
    for f in feedback:
        label = f.survey_type.value.upper()
        title = f"{label} {f.score}" if f.score is not None else "Feedback"
        params = {"survey": label, "score": f.score}
        items.append(TimelineItem(f.submitted_at, "feedback", title, f.comment or "", f.channel, params))
    for a in assessments:
        score = f" {a.score:g}/{a.max_score:g}" if a.score is not None and a.max_score else ""
        params = {"kind": a.kind, "score": score.strip()}
        items.append(TimelineItem(a.assessed_at, "assessment", f"Assessment: {a.kind}{score}", a.notes, None, params))
    for ch in notable_changes(usage.weekly):
        if ch.before == 0:
            title = "Usage started"
        else:
            title = f"Usage {'rose' if ch.after > ch.before else 'fell'} {abs(ch.change):.0%}"
        items.append(
            TimelineItem(
                ch.week.replace(tzinfo=UTC),
                "usage_change",
                title,
                f"weekly events {ch.before:.0f} → {ch.after:.0f} (4-week means)",
                "in_app",
                {"change": ch.change if ch.before else None, "before": ch.before, "after": ch.after},
            )
        )
    items = [i for i in items if i.at <= as_of]
    items.sort(key=lambda i: i.at, reverse=True)
    return items
