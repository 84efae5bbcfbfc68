"""Saved views: save the current filters of the account list or the dashboards under a name, remove one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from northstar import i18n
from northstar.auth.permissions import Permission, require
from northstar.savedviews.service import ViewError, delete_view, save_view
from northstar.web.security import check_csrf, current_user, db
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)
NEEDS = {"accounts": Permission.VIEW_ACCOUNTS, "dashboards": Permission.VIEW_DASHBOARDS}


@router.post("/views")
def save(
    request: Request,
    page: str = Form(...),
    name: str = Form(""),
    query: str = Form(""),
    csrf: str = Form(""),
    session: Session = Depends(db, scope="function"),
) -> Response:
    check_csrf(request, csrf)
    user = current_user(request, session)
    if page not in NEEDS:
        return render(
            request, "error.html", user, status_code=422, message=i18n.gettext("Unknown page."), back="/accounts"
        )
    require(user, NEEDS[page])
    try:
        view = save_view(session, user.id, page, name, query)
    except ViewError as exc:
        session.rollback()
        return render(request, "error.html", user, status_code=422, message=str(exc), back=f"/{page}?{query}")
    return RedirectResponse(f"/{page}?{view.query}", status_code=303)


@router.post("/views/{view_id}/delete")
def remove(
    request: Request,
    view_id: int,
    page: str = Form("accounts"),
    csrf: str = Form(""),
    session: Session = Depends(db, scope="function"),
) -> Response:
    check_csrf(request, csrf)
    user = current_user(request, session)
    delete_view(session, user.id, view_id)
    return RedirectResponse(f"/{page if page in NEEDS else 'accounts'}", status_code=303)
