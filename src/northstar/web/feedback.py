"""The voice of the customer page: NPS, CSAT and CES with their intervals by a dimension, response rates
per campaign, and the comment explorer (thin over ``metrics`` and ``feedback.explorer``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from northstar.auth.permissions import Permission, can, own_accounts_only, require
from northstar.config import Settings
from northstar.dashboards.cache import remember
from northstar.feedback.explorer import GROUPS, CommentFilters, choices, comments
from northstar.feedback.sentiment import LABELS
from northstar.feedback.themes import THEME_KEYS
from northstar.feedback.trends import ThemeTrends, theme_trends
from northstar.metrics.scope import Scope
from northstar.metrics.service import compute
from northstar.web.security import current_user, db
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)
BY = ("quarter", "month", "touchpoint", "segment", "persona", "language", "channel")


def trends(settings: Settings, session: Session, today: date, owner_id: int | None) -> ThemeTrends:
    """Theme trends over the last 12 months (cached under the data versions, like the results)."""
    first = date(today.year - 1, today.month, 1)
    key = f"{today.isoformat()}|{owner_id or ''}"
    return remember(settings, "themes", key, lambda: theme_trends(session, first, today, owner_id))


def results(settings: Settings, today: date, by: str, scope: Scope) -> dict[str, pd.DataFrame]:
    """NPS, CSAT and CES by ``by`` over the last 12 months, and response rates per campaign (cached)."""
    first = date(today.year - 1, today.month, 1)

    def build() -> dict[str, pd.DataFrame]:
        out = {m: compute(settings, m, first, today, by=[by], scope=scope) for m in ("nps", "csat", "ces")}
        out["response"] = compute(settings, "response-rate", first, today, by=["campaign"], scope=scope)
        return out

    key = f"{today.isoformat()}|{by}|{scope.owner or ''}"
    return remember(settings, "voice", key, build)


@router.get("/feedback")
def feedback_page(
    request: Request, by: str = "quarter", page: int = 1, session: Session = Depends(db, scope="function")
) -> Response:
    settings: Settings = request.app.state.settings
    user = current_user(request, session)
    require(user, Permission.VIEW_DASHBOARDS)
    limited = own_accounts_only(user, settings)
    by = by if by in BY else "quarter"
    q = request.query_params
    filters = CommentFilters(
        survey_type=q.get("type", ""),
        group=q.get("group", ""),
        language=q.get("language", ""),
        touchpoint=q.get("touchpoint", ""),
        q=q.get("q", ""),
        sentiment=q.get("sentiment", ""),
        theme=q.get("theme", ""),
        owner_id=user.id if limited else None,
    )
    today = datetime.now(UTC).date()
    figures = results(settings, today, by, Scope(owner=user.email) if limited else Scope())
    themes = trends(settings, session, today, user.id if limited else None)
    params = {k: q.get(k, "") for k in ("type", "group", "language", "touchpoint", "q", "sentiment", "theme")}
    params["by"] = by
    return render(
        request,
        "feedback.html",
        user,
        by=by,
        dims=BY,
        figures={k: v.to_dict("records") for k, v in figures.items()},
        page=comments(session, filters, page) if can(user, Permission.VIEW_ACCOUNTS) else None,
        groups=list(GROUPS),
        themes=themes,
        theme_keys=list(dict.fromkeys([*THEME_KEYS, *(r.theme for r in themes.rows)])),
        sentiments=LABELS,
        choices=choices(session),
        params=params,
        qs=lambda **kw: urlencode({k: v for k, v in {**params, **kw}.items() if v not in ("", None)}),
    )
