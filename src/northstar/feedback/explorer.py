"""The comment explorer: answers with words, newest first, filtered and paged in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, Text, cast, func, or_, select
from sqlalchemy.orm import Session

from northstar.accounts.models import Account, Contact
from northstar.db.paging import ESCAPE, Page, contains
from northstar.feedback.models import Feedback, SurveyType
from northstar.feedback.sentiment import LABELS

#: Named score ranges per survey type: the NPS groups, and low / high for CSAT and CES.
GROUPS: dict[str, tuple[str, int, int]] = {
    "detractors": ("nps", 0, 6),
    "passives": ("nps", 7, 8),
    "promoters": ("nps", 9, 10),
    "csat_low": ("csat", 1, 2),
    "csat_high": ("csat", 4, 5),
    "ces_low": ("ces", 1, 3),
    "ces_high": ("ces", 5, 7),
}


@dataclass(frozen=True)
class CommentFilters:
    survey_type: str = ""  # nps, csat, ces, text
    group: str = ""  # a key of GROUPS
    language: str = ""
    touchpoint: str = ""
    q: str = ""  # words in the comment
    sentiment: str = ""  # positive, neutral, negative (the comment analysis')
    theme: str = ""  # a theme key (feedback.themes)
    owner_id: int | None = None  # the owner limit of a CSM who sees only its accounts


@dataclass(frozen=True)
class Comment:
    id: int
    submitted_at: datetime
    survey_type: str
    score: int | None
    comment: str
    language: str | None
    touchpoint: str | None
    account_id: int | None
    account: str | None
    contact: str | None
    sentiment: str | None = None
    themes: tuple[str, ...] = ()


CommentPage = Page[Comment]


def _query(f: CommentFilters) -> Select:
    stmt = (
        select(Feedback, Account.name, Contact.name)
        .outerjoin(Account, Account.id == Feedback.account_id)
        .outerjoin(Contact, Contact.id == Feedback.contact_id)
        .where(Feedback.comment.is_not(None), Feedback.comment != "")
    )
    if f.survey_type in {t.value for t in SurveyType}:
        stmt = stmt.where(Feedback.survey_type == SurveyType(f.survey_type))
    if f.group in GROUPS:
        kind, lo, hi = GROUPS[f.group]
        stmt = stmt.where(Feedback.survey_type == SurveyType(kind), Feedback.score.between(lo, hi))
    if f.language:
        stmt = stmt.where(Feedback.language == f.language)
    if f.touchpoint:
        stmt = stmt.where(Feedback.touchpoint == f.touchpoint)
    if f.sentiment in LABELS:
        stmt = stmt.where(Feedback.sentiment == f.sentiment)
    if f.theme and f.theme.replace("_", "").isalnum():
        # themes is a JSON list of keys; a key is a quoted word in its text on SQLite and PostgreSQL alike
        stmt = stmt.where(cast(Feedback.themes, Text).like(f'%"{f.theme}"%'))
    if f.q.strip():
        like = contains(f.q.strip())
        stmt = stmt.where(or_(Feedback.comment.ilike(like, escape=ESCAPE), Account.name.ilike(like, escape=ESCAPE)))
    if f.owner_id is not None:
        stmt = stmt.where(Account.owner_id == f.owner_id)
    return stmt


def comments(session: Session, f: CommentFilters, page: int = 1, per_page: int = 50) -> CommentPage:
    stmt = _query(f)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = max(1, page)
    rows = session.execute(
        stmt.order_by(Feedback.submitted_at.desc(), Feedback.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    out = [
        Comment(
            fb.id,
            fb.submitted_at,
            fb.survey_type.value,
            fb.score,
            fb.comment or "",
            fb.language,
            fb.touchpoint,
            fb.account_id,
            account,
            contact,
            fb.sentiment,
            tuple(fb.themes or ()),
        )
        for fb, account, contact in rows
    ]
    return CommentPage(out, total, page, per_page)


def choices(session: Session) -> dict[str, list[str]]:
    """The languages and touchpoints answers have, for the filters."""

    def distinct(column: object) -> list[str]:
        return [v for v in session.scalars(select(column).distinct().order_by(column)) if v]  # type: ignore[call-overload]

    return {"language": distinct(Feedback.language), "touchpoint": distinct(Feedback.touchpoint)}
