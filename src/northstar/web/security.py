"""Sessions, sign-in requirement and CSRF protection for the server-rendered pages."""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from northstar.auth.models import User
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


def current_user(request: Request, session: Session) -> User:
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.is_active or request.session.get("pw") != (user.password_hash or "")[-16:]:
        request.session.pop("user_id", None)
        raise LoginRequired()
    return user


def db(request: Request):  # type: ignore[no-untyped-def]
    """A request-scoped session on the app's operational store."""
    with session_scope(request.app.state.settings.database_url) as session:
        yield session
