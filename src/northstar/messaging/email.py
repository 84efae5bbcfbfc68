"""E-mail over SMTP with the standard library (``smtplib``, ``email.message``).

The server is ``Settings.smtp_url``: ``smtp://host:25``, ``smtp://user:password@host:587?starttls=1``, or
``smtps://user:password@host:465`` (TLS from the start). Messages carry a plain-text and an HTML part, and
a ``Content-Language``; the HTML is built from escaped text only, so no recipient's data becomes markup."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from northstar.config import Settings


class MailNotConfigured(RuntimeError):
    """No mail server is set (``NORTHSTAR_SMTP_URL``)."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str | None
    password: str | None
    tls: bool  # TLS from the first byte (smtps)
    starttls: bool

    @classmethod
    def parse(cls, url: str) -> Server:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailNotConfigured("NORTHSTAR_SMTP_URL must look like smtp://host:port or smtps://user:pw@host:465")
        query = parse_qs(parts.query)
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        )


def message(settings: Settings, to: str, subject: str, text: str, html: str, language: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="northstar")
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg["Content-Language"] = language  # after the body: setting content clears the Content-* headers
    return msg


def send(settings: Settings, msg: EmailMessage, timeout: float = 30.0) -> None:
    """Deliver ``msg`` to the configured server (``MailNotConfigured`` when there is none)."""
    if not settings.smtp_url:
        raise MailNotConfigured("no mail server: set NORTHSTAR_SMTP_URL (e.g. smtp://mail.example.com:587?starttls=1)")
    server = Server.parse(settings.smtp_url)
    context = ssl.create_default_context()
    if server.tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        if server.starttls:
            client.starttls(context=context)
        if server.user:
            client.login(server.user, server.password or "")
        client.send_message(msg)
