"""Data versions: a counter per kind of data, raised in the same transaction as every change to it.

What is expensive to compute from the stores (the dashboards) is cached under the versions of the data it
reads, so a cached answer is used until new data arrives and never after: an import, an API write or a
portfolio refresh raises the version and the next reader recomputes. Reading the versions is one query on a
table of a few rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, String, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from northstar.db.base import Base, utcnow
from northstar.db.engine import savepoint

#: ``records``: accounts, subscriptions, feedback and the rest (imports, the API, the web forms);
#: ``portfolio``: the per-account summaries (health, risk, renewals), refreshed after each health snapshot.
DOMAINS = ("records", "portfolio")


class DataVersion(Base):
    __tablename__ = "data_versions"

    domain: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: What a writer that rewrites a whole set (the portfolio's refresh) wrote last: when the same set comes
    #: again it writes nothing and the version stays.
    digest: Mapped[str | None] = mapped_column(String(64))


def bump(session: Session | Connection, *domains: str, digest: str | None = None) -> None:
    """Raise the versions of ``domains`` in the caller's transaction (they commit or roll back with it), with
    the ``digest`` of what was written when the writer keeps one."""
    for domain in domains:
        if domain not in DOMAINS:
            raise ValueError(f"unknown data domain {domain!r}")
        done = session.execute(
            update(DataVersion)
            .where(DataVersion.domain == domain)
            .values(version=DataVersion.version + 1, changed_at=utcnow(), digest=digest)
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            try:
                with savepoint(session):
                    session.execute(
                        insert(DataVersion).values(domain=domain, version=1, changed_at=utcnow(), digest=digest)
                    )
            except IntegrityError:  # another writer made the row first: raise it
                session.execute(
                    update(DataVersion).where(DataVersion.domain == domain).values(version=DataVersion.version + 1)
                )


def stamp(session: Session, domains: tuple[str, ...] = DOMAINS) -> str:
    """The versions of ``domains`` as one string, for cache keys. The time of each change is part of it, so
    data rebuilt from scratch (versions counting from 1 again) never takes an old answer for its own."""
    rows = session.execute(
        select(DataVersion.domain, DataVersion.version, DataVersion.changed_at).where(DataVersion.domain.in_(domains))
    ).all()
    found = {d: f"{v}@{t.timestamp():.6f}" for d, v, t in rows}
    return ".".join(f"{d}{found.get(d, 0)}" for d in domains)
