"""The page templates and what every page is given (the user, the CSRF token, a one-time form key)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from northstar import __version__
from northstar.auth.models import User
from northstar.auth.permissions import Permission, can
from northstar.web.security import csrf_token

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["version"] = __version__
templates.env.globals["Permission"] = Permission
templates.env.globals["timedelta"] = timedelta
templates.env.filters["money"] = lambda v: f"{v:,.0f}" if v is not None else "–"


def render(request: Request, name: str, user: User | None, status_code: int = 200, **context: Any) -> Response:
    """``name`` with the signed-in ``user``, ``can(permission)``, the CSRF token and ``form_key``: a fresh
    random token a form sends back so that resubmitting it does not make a second record."""
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "csrf": csrf_token(request),
            "can": (lambda p: user is not None and can(user, p)),
            "form_key": secrets.token_urlsafe(18),
            **context,
        },
        status_code=status_code,
    )
