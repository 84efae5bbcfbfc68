"""Survey answers and free-text feedback.

Scales (DESIGN.md section 3): NPS 0-10, CSAT 1-5, CES 1-7; free text has no score.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from northstar.db.base import Base, ExternalIdMixin, TimestampMixin
from northstar.db.types import str_enum


class SurveyType(enum.StrEnum):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    TEXT = "text"


#: Inclusive score range of each survey type.
SCALES: dict[SurveyType, tuple[int, int]] = {
    SurveyType.NPS: (0, 10),
    SurveyType.CSAT: (1, 5),
    SurveyType.CES: (1, 7),
}


class Feedback(ExternalIdMixin, TimestampMixin, Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(
            "(survey_type = 'nps' AND score BETWEEN 0 AND 10)"
            " OR (survey_type = 'csat' AND score BETWEEN 1 AND 5)"
            " OR (survey_type = 'ces' AND score BETWEEN 1 AND 7)"
            " OR (survey_type = 'text' AND score IS NULL)",
            name="score_on_scale",
        ),
        # one day's measures read the answers of a year from this index alone (health.measures._day_aggregates)
        Index("ix_feedback_day", "submitted_at", "survey_type", "account_id", "score"),
        # the comments waiting for analysis (feedback.stored.analyse_pending), found without a scan
        Index(
            "ix_feedback_unanalysed",
            "id",
            sqlite_where=text("sentiment IS NULL AND comment IS NOT NULL"),
            postgresql_where=text("sentiment IS NULL AND comment IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: NULL for free text (reviews, social posts) that matched no account.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    survey_type: Mapped[SurveyType] = mapped_column(str_enum(SurveyType))
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(10))
    #: The moment asked about: onboarding, implementation, support, renewal, qbr, relationship, ...
    touchpoint: Mapped[str | None] = mapped_column(String(50))
    #: Where the answer came from: email, in_app, web, sms, social, review, call.
    channel: Mapped[str | None] = mapped_column(String(30))
    submitted_at: Mapped[datetime]
    #: A survey's custom questions' answers (question key -> value), when it had any.
    answers: Mapped[dict[str, Any] | None]
    #: The comment's analysis (``northstar.feedback.analysis``): positive, neutral or negative, and its themes.
    #: NULL until analysed; a changed comment is analysed again.
    sentiment: Mapped[str | None] = mapped_column(String(10))
    themes: Mapped[list[str] | None]


class SurveyInvitation(ExternalIdMixin, TimestampMixin, Base):
    """A survey sent to a contact: the denominator of response rates. ``feedback_id`` is its answer, if any.

    Imported from a survey tool (``northstar import invitations``) or, later, written by Northstar's own
    survey distribution."""

    __tablename__ = "survey_invitations"
    __table_args__ = (CheckConstraint("survey_type IN ('nps', 'csat', 'ces')", name="scored_survey"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    survey_type: Mapped[SurveyType] = mapped_column(str_enum(SurveyType))
    touchpoint: Mapped[str | None] = mapped_column(String(50))
    channel: Mapped[str | None] = mapped_column(String(30))
    language: Mapped[str | None] = mapped_column(String(10))
    #: The send it belongs to, e.g. "relationship NPS 2026 H1": response rates per campaign.
    campaign: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime] = mapped_column(index=True)
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"), unique=True)
    #: Northstar's own surveys (``northstar.surveys``): the survey asked, the SHA-256 of the personal link's
    #: token (the token itself is only in the link), when the link stops working, and when the answer was
    #: finished (the follow-up question answered or skipped). Imported invitations leave them empty.
    survey_key: Mapped[str | None] = mapped_column(String(60))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    #: What asked (survey, trigger, contact): a trigger never asks the same contact twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
