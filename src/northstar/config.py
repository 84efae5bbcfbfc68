"""Settings read from the environment, with defaults that need no server.

With no configuration everything lives in one folder, ``NORTHSTAR_HOME`` (default ``./northstar-data``):
``northstar.db`` (SQLite, the operational store), ``events/`` (Parquet, the usage-event store) and
``secret.key`` (signs session cookies). ``NORTHSTAR_CURRENCY`` (default USD) is the reporting currency.
``NORTHSTAR_INTAKE_WORKER=0`` leaves applying the tracking API's log to a separate
``northstar intake apply --follow``. ``NORTHSTAR_CSM_OWN_ACCOUNTS_ONLY=1`` limits each CSM to the accounts it
owns. ``NORTHSTAR_DATABASE_URL`` moves the operational store to another
database, e.g. ``postgresql://user:pass@host/db``; nothing else changes.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from northstar.feedback.language import DEFAULT_LANGUAGES, parse_languages


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _origins(text: str) -> list[str]:
    """``https://a.example https://b.example`` (or comma-separated) as a list; anything else is refused."""
    out = []
    for origin in text.replace(",", " ").split():
        if not origin.startswith(("https://", "http://")) or any(c in origin for c in ";'\"\n"):
            raise ValueError(f"NORTHSTAR_EMBED_ORIGINS: {origin!r} is not an origin like https://app.example.com")
        out.append(origin.rstrip("/"))
    return out


def _comment_languages(text: str) -> tuple[str, ...]:
    if not text.strip():
        return DEFAULT_LANGUAGES
    return parse_languages(text)


@dataclass(frozen=True)
class Settings:
    home: Path
    # secrets (a database password, the session key, the mail server's password) stay out of reprs and logs
    database_url_override: str | None = field(default=None, repr=False)
    secret_key_override: str | None = field(default=None, repr=False)
    #: The currency revenue is reported in; other currencies convert through the imported rate table.
    currency: str = "USD"
    #: Whether the web server applies the intake log itself (off when ``northstar intake apply --follow``
    #: runs as its own process). ``NORTHSTAR_INTAKE_WORKER=0`` turns it off.
    intake_worker: bool = True
    #: A CSM sees only the accounts it owns (``NORTHSTAR_CSM_OWN_ACCOUNTS_ONLY=1``); other roles see all.
    csm_own_accounts_only: bool = False
    #: Where links in e-mails point (``NORTHSTAR_BASE_URL``): the address people reach the app at.
    base_url: str = "http://127.0.0.1:8000"
    #: Outbound e-mail (``NORTHSTAR_SMTP_URL``), e.g. ``smtp://user:password@mail.example.com:587?starttls=1``
    #: or ``smtps://...:465``; empty: e-mail is not sent. ``NORTHSTAR_MAIL_FROM`` is the sender.
    smtp_url: str = field(default="", repr=False)
    mail_from: str = "Northstar <northstar@localhost>"
    #: Sites whose pages may frame the survey pages (the in-app widget): ``NORTHSTAR_EMBED_ORIGINS``, origins
    #: separated by spaces, e.g. ``https://app.example.com``.
    embed_origins: tuple[str, ...] = ()
    #: The languages comments are expected in (``NORTHSTAR_COMMENT_LANGUAGES``, ISO 639-1 codes): the
    #: candidates of language detection (``northstar.feedback.language``).
    comment_languages: tuple[str, ...] = DEFAULT_LANGUAGES
    #: A folder of ``<lang>.yaml`` lexicons extending the shipped opinion and theme terms
    #: (``NORTHSTAR_LEXICONS``; ``northstar.feedback.lexicon``).
    lexicons_dir: Path | None = None

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None) -> Settings:
        root = Path(home or os.environ.get("NORTHSTAR_HOME") or "northstar-data").resolve()
        return cls(
            home=root,
            database_url_override=os.environ.get("NORTHSTAR_DATABASE_URL") or None,
            secret_key_override=os.environ.get("NORTHSTAR_SECRET_KEY") or None,
            currency=(os.environ.get("NORTHSTAR_CURRENCY") or "USD").strip().upper(),
            intake_worker=_flag("NORTHSTAR_INTAKE_WORKER", True),
            csm_own_accounts_only=_flag("NORTHSTAR_CSM_OWN_ACCOUNTS_ONLY", False),
            base_url=(os.environ.get("NORTHSTAR_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
            smtp_url=os.environ.get("NORTHSTAR_SMTP_URL") or "",
            mail_from=os.environ.get("NORTHSTAR_MAIL_FROM") or "Northstar <northstar@localhost>",
            embed_origins=tuple(_origins(os.environ.get("NORTHSTAR_EMBED_ORIGINS", ""))),
            comment_languages=_comment_languages(os.environ.get("NORTHSTAR_COMMENT_LANGUAGES", "")),
            lexicons_dir=Path(os.environ["NORTHSTAR_LEXICONS"]).resolve()
            if os.environ.get("NORTHSTAR_LEXICONS")
            else None,
        )

    @property
    def database_url(self) -> str:
        url = self.database_url_override or f"sqlite:///{self.home / 'northstar.db'}"
        # Accept the libpq-style scheme users copy from their provider and use psycopg 3.
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @property
    def events_dir(self) -> Path:
        return self.home / "events"

    @property
    def intake_dir(self) -> Path:
        """The tracking API's write-ahead log: what it acknowledged, before it is applied to the stores."""
        return self.home / "intake"

    @property
    def rollups_dir(self) -> Path:
        """Daily per-account usage rollups, one file per event batch (``northstar.usage.rollup``)."""
        return self.home / "rollups"

    @property
    def cache_dir(self) -> Path:
        """Answers that are expensive to compute (dashboards), kept under the data versions they were made
        from (``northstar.db.versions``): safe to delete at any time."""
        return self.home / "cache"

    @cached_property
    def secret_key(self) -> str:
        """The key that signs session cookies: from the environment, else made once and kept in the home."""
        if self.secret_key_override:
            return self.secret_key_override
        path = self.home / "secret.key"
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def ensure_home(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.events_dir.mkdir(parents=True, exist_ok=True)
