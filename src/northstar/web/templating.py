"""The page templates and what every page is given: the user, the CSRF token, a one-time form key, and the
request's language (gettext ``_()``, the formatters as filters, ``lang`` and ``dir`` for the layout)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from northstar import __version__, i18n
from northstar.auth.models import User
from northstar.auth.permissions import Permission, can
from northstar.web.labels import label
from northstar.web.security import csrf_token

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    lambda message: i18n.translations(i18n.current()).gettext(message),
    lambda singular, plural, n: i18n.translations(i18n.current()).ngettext(singular, plural, n),
    newstyle=True,
)
templates.env.globals.update(
    version=__version__,
    Permission=Permission,
    timedelta=timedelta,
    LANGUAGES=i18n.LANGUAGES,
    label=label,
)
templates.env.filters.update(
    money=i18n.money,
    number=i18n.number,
    percent=i18n.percent,
    day=i18n.day,
    moment=i18n.moment,
    month=i18n.month,
)


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
            "lang": i18n.current(),
            "dir": "rtl" if i18n.is_rtl() else "ltr",
            **context,
        },
        status_code=status_code,
    )
