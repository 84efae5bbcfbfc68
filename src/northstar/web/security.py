"""Sessions, sign-in requirement and CSRF protection for the server-rendered pages."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from northstar.auth.models import User
from northstar.auth.permissions import Permission, require
from northstar.db.engine import session_scope

CSRF_KEY = "csrf"


class LoginRequired(Exception):
    """Raised for a page that needs a signed-in user; the app redirects to /login."""


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get(CSRF_KEY)
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(status_code=403, detail="The form expired or was not sent by Northstar; reload and retry.")


def _password_mark(user: User) -> str:
    """A piece of the password hash kept in the session: a password change signs every other session out."""
    return (user.password_hash or "")[-16:]


def remember_password(request: Request, user: User) -> None:
    request.session["pw"] = _password_mark(user)


def sign_in(request: Request, user: User) -> None:
    request.session.clear()  # a new session on sign-in (no fixation)
    request.session["user_id"] = user.id
    remember_password(request, user)


def current_user(request: Request, session: Session) -> User:
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.is_active or request.session.get("pw") != _password_mark(user):
        request.session.pop("user_id", None)
        raise LoginRequired()
    return user


def form_user(request: Request, session: Session, csrf: str, permission: Permission) -> User:
    """The signed-in user of a form that changes something: the CSRF token checked, then the role allowed."""
    check_csrf(request, csrf)
    user = current_user(request, session)
    require(user, permission)
    return user


def safe_path(target: str, default: str = "/accounts") -> str:
    """Only same-site paths: an open redirect (after sign-in, after a form) would help phishing."""
    return target if target.startswith("/") and not target.startswith("//") else default


def db(request: Request):  # type: ignore[no-untyped-def]
    """A session on the app's operational store for one request, used as ``Depends(db, scope="function")``.

    The scope matters: FastAPI's default runs a dependency's exit after the response is sent, so the
    commit would come after the browser got its redirect, and the page it follows to could be read before
    the write is there (a survey's score tap showed the question again). With ``scope="function"`` the
    commit is done, or has failed into an error page, before a byte of the response leaves."""
    with session_scope(request.app.state.settings.database_url) as session:
        yield session


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every response (a ``BaseHTTPMiddleware`` would do
    the same at several times the cost per request, which the tracking API feels).

    Swagger UI (``/docs``) sets inline styles; every other page keeps styles to the app's own files. No page
    may be framed by another site, except the survey pages (``/s/...``) by the origins in ``embed_origins``
    (the in-app widget; ``NORTHSTAR_EMBED_ORIGINS``)."""

    HEADERS = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    ]
    CSP = b"default-src 'self'; img-src 'self' data:; style-src 'self'"
    DOCS_CSP = b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"

    def __init__(self, app: Any, embed_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        ancestors = " ".join(("'self'", *embed_origins)).encode()
        self.survey_csp = self.CSP + b"; frame-ancestors " + ancestors
        self.survey_headers = [h for h in self.HEADERS if h[0] != b"x-frame-options"]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        survey = scope["path"].startswith("/s/")
        csp = (
            self.DOCS_CSP
            if scope["path"] == "/docs"
            else self.survey_csp
            if survey
            else self.CSP + b"; frame-ancestors 'none'"
        )
        fixed = self.survey_headers if survey else self.HEADERS

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in fixed if k not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Language:
    """Pure ASGI middleware choosing the language of each page request (``northstar.i18n.choose``: the
    language cookie, else ``Accept-Language``) before the page is made. The machine APIs are left alone."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(("/v1/", "/api/")):
            from http.cookies import SimpleCookie

            from northstar import i18n

            headers = dict(scope.get("headers") or [])
            picked = None
            if b"cookie" in headers:
                jar: SimpleCookie = SimpleCookie()
                try:
                    jar.load(headers[b"cookie"].decode("latin-1"))
                except Exception:  # a malformed cookie header: as if there were none
                    jar = SimpleCookie()
                if i18n.COOKIE in jar:
                    picked = jar[i18n.COOKIE].value
            accept = headers.get(b"accept-language", b"").decode("latin-1")
            i18n.set_locale(i18n.choose(picked, accept))
        await self.app(scope, receive, send)
