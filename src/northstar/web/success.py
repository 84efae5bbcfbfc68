"""The success page: each persona's map as a funnel (conversion and usual days per milestone), its accounts
by state, and the accounts that are behind or stuck (thin over ``success.service``)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from northstar import i18n
from northstar.auth.permissions import Permission, own_accounts_only, require
from northstar.config import Settings
from northstar.success.progress import STATES
from northstar.success.service import overview
from northstar.web.charts import Bar, bar_chart
from northstar.web.security import current_user, db
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/success")
def success_page(request: Request, session: Session = Depends(db, scope="function")) -> Response:
    settings: Settings = request.app.state.settings
    user = current_user(request, session)
    require(user, Permission.VIEW_DASHBOARDS)
    q = request.query_params
    persona, state = q.get("persona", ""), q.get("state", "")
    state = state if state in STATES else ""
    view = overview(settings, session, user.id if own_accounts_only(user, settings) else None, persona, state)
    _ = i18n.gettext
    funnels = {
        p.persona: bar_chart(
            [
                Bar(
                    str(f.position),  # the names are in the table below: long ones would overlap here
                    f.reached,
                    note=f"{f.position}. {f.name}: " + _("%(count)s reached", count=i18n.number(f.reached)),
                )
                for f in p.steps
            ],
            label=_("Accounts that reached each milestone"),
        )
        for p in view.personas
    }
    params = {"persona": persona, "state": state}
    reports, lines = _programs(settings, session)
    return render(
        request,
        "success.html",
        user,
        view=view,
        funnels=funnels,
        reports=reports,
        pnl=lines,
        states=STATES,
        params=params,
        qs=lambda **kw: urlencode({k: v for k, v in {**params, **kw}.items() if v not in ("", None)}),
    )


def _programs(settings: Settings, session: Session) -> tuple[list | None, list]:
    """The vehicles' measured effects and the P&L (None: vehicles.yaml exists but nothing is measured yet,
    which the worker does after each evaluation; []: no vehicles.yaml)."""
    from datetime import UTC, datetime

    from northstar.success.programs import measured, pnl, vehicles_in_force

    config = vehicles_in_force(settings)
    if config is None:
        return [], []
    today = datetime.now(UTC).date()
    reports = measured(settings, today, wait=False)
    return reports, (pnl(session, config, reports, today) if reports else [])
