"""Analysing the comments in the database: those not yet analysed, or all of them after a lexicon change.

Every path that writes a comment leaves ``sentiment`` NULL (imports and the REST API clear it when a comment
changes); :func:`analyse_pending` fills it, with ``themes`` and, where the source gave none, ``language``.
Imports and survey answers call it at once; the worker calls it every few seconds for the rest
(``northstar.api.worker``), and ``northstar feedback analyze-stored --all`` redoes everything.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import northstar.db.registry  # noqa: F401  (every model known to SQLAlchemy: the feedback's foreign keys)
from northstar.config import Settings
from northstar.db.engine import session_scope
from northstar.db.versions import bump
from northstar.feedback.analysis import Analyzer
from northstar.feedback.models import Feedback

BATCH = 2000


def _pending(everything: bool):  # noqa: ANN202 - a SQLAlchemy clause
    has_comment = Feedback.comment.is_not(None) & (Feedback.comment != "")
    return has_comment if everything else has_comment & Feedback.sentiment.is_(None)


def _batch(session: Session, everything: bool, after: int) -> list:  # noqa: ANN401 - rows
    """The next comments to analyse: id, text and language, after id ``after``."""
    return session.execute(
        select(Feedback.id, Feedback.comment, Feedback.language)
        .where(_pending(everything), Feedback.id > after)
        .order_by(Feedback.id)
        .limit(BATCH)
    ).all()


def pending_count(session: Session, everything: bool = False) -> int:
    return session.scalar(select(func.count()).select_from(Feedback).where(_pending(everything))) or 0


def any_pending(session: Session) -> bool:
    """Whether a comment waits: one probe of a partial index (``ix_feedback_unanalysed``), cheap to poll."""
    return session.scalar(select(Feedback.id).where(_pending(False)).limit(1)) is not None


def analyse_pending(
    session: Session,
    analyzer: Analyzer,
    everything: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Analyse the comments waiting (or, with ``everything``, all), in batches; returns how many."""
    done, last = 0, 0
    while True:
        rows = _batch(session, everything, last)
        if not rows:
            break
        found = analyzer.analyze([r.comment for r in rows], [r.language for r in rows])
        session.execute(
            update(Feedback),
            [
                {"id": r.id, "sentiment": a.sentiment, "themes": list(a.themes), "language": r.language or a.language}
                for r, a in zip(rows, found, strict=True)
            ],
        )
        done += len(rows)
        last = rows[-1].id
        if progress:
            progress(len(rows))
    if done:
        bump(session, "records")
    return done


def analyse_waiting(settings: Settings, analyzer: Analyzer | None = None) -> int:
    """The worker's step: each batch is analysed with no transaction open, then written in a short one of
    its own, so the web app's writes never wait for the analysis (the model trains for seconds at first use).
    A comment changed meanwhile keeps its new text's NULL sentiment for the next step."""
    done, last = 0, 0
    while True:
        with session_scope(settings.database_url) as session:
            rows = _batch(session, False, last)
        if not rows:
            return done
        analyzer = analyzer or Analyzer.for_settings(settings)
        found = analyzer.analyze([r.comment for r in rows], [r.language for r in rows])
        with session_scope(settings.database_url) as session:
            for r, a in zip(rows, found, strict=True):
                session.execute(
                    update(Feedback)
                    .where(Feedback.id == r.id, Feedback.comment == r.comment, Feedback.sentiment.is_(None))
                    .values(sentiment=a.sentiment, themes=list(a.themes), language=r.language or a.language)
                )
            bump(session, "records")
        done += len(rows)
        last = rows[-1].id
