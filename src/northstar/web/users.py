"""Staff users: each user's own password change, and the admin's user management (thin over auth.service)."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from northstar import i18n
from northstar.auth.models import Role, User
from northstar.auth.permissions import Permission, require
from northstar.auth.service import UserError, change_password, create_user, list_users, update_user
from northstar.web.security import LoginRequired, check_csrf, current_user, db, remember_password, safe_path
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/settings/password")
def password_form(request: Request, done: bool = False, session: Session = Depends(db, scope="function")) -> Response:
    user = current_user(request, session)
    return render(request, "password.html", user, error=None, done=done)


@router.post("/settings/password")
def password_change(
    request: Request,
    current: str = Form(""),
    new: str = Form(""),
    repeat: str = Form(""),
    csrf: str = Form(""),
    session: Session = Depends(db, scope="function"),
) -> Response:
    check_csrf(request, csrf)
    user = current_user(request, session)
    try:
        if new != repeat:
            raise UserError("repeat: the two new passwords differ")
        change_password(session, user, current, new)
    except UserError as exc:
        session.rollback()
        return render(request, "password.html", user, status_code=422, error=str(exc), done=False)
    remember_password(request, user)  # this session stays signed in; every other one is signed out
    return RedirectResponse("/settings/password?done=1", status_code=303)


def _admin(request: Request, session: Session) -> User:
    user = current_user(request, session)
    require(user, Permission.MANAGE_USERS)
    return user


@router.get("/admin/users")
def users_page(request: Request, session: Session = Depends(db, scope="function")) -> Response:
    return _users_page(request, session, _admin(request, session))


def _users_page(request: Request, session: Session, admin: User, error: str | None = None) -> Response:
    """The list and the new-user form; with ``error`` (422), the reason the last change was refused."""
    return render(
        request,
        "users.html",
        admin,
        status_code=422 if error else 200,
        users=list_users(session),
        roles=[r.value for r in Role],
        error=error,
    )


@router.post("/admin/users")
def users_create(
    request: Request,
    email: str = Form(""),
    name: str = Form(""),
    role: str = Form("csm"),
    password: str = Form(""),
    csrf: str = Form(""),
    session: Session = Depends(db, scope="function"),
) -> Response:
    check_csrf(request, csrf)
    user = _admin(request, session)
    try:
        if "@" not in email:
            raise UserError("email: not an e-mail address")
        taken = session.scalar(
            select(User).where(func.lower(User.email) == email.strip().lower(), User.password_hash.is_not(None))
        )
        if taken is not None:
            raise UserError(f"email: {email.strip()} already has a login")
        create_user(session, email, password, Role(role), name)
    except (UserError, ValueError) as exc:
        session.rollback()
        return _users_page(request, session, user, error=str(exc))
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}")
def users_update(
    request: Request,
    user_id: int,
    role: str = Form(""),
    active: str = Form(""),
    csrf: str = Form(""),
    session: Session = Depends(db, scope="function"),
) -> Response:
    check_csrf(request, csrf)
    admin = _admin(request, session)
    target = session.get(User, user_id)
    if target is None:
        return render(request, "not_found.html", admin, status_code=404, ref=str(user_id))
    try:
        update_user(session, target, role=role or None, active=active == "1")
    except (UserError, ValueError) as exc:
        session.rollback()
        return _users_page(request, session, admin, error=str(exc))
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/settings/language")
def choose_language(
    request: Request,
    lang: str = Form(""),
    next: str = Form("/accounts"),
    csrf: str = Form(""),
    session: Session = Depends(db, scope="function"),
) -> Response:
    """The interface's language for this browser (a cookie) and, when signed in, for the user (kept on the
    user, and brought back to any browser the user signs in from)."""
    check_csrf(request, csrf)
    lang = lang if lang in i18n.LANGUAGES else i18n.DEFAULT
    with contextlib.suppress(LoginRequired):  # signed out (the sign-in page): the browser's choice only
        current_user(request, session).locale = lang
    response = RedirectResponse(safe_path(next), status_code=303)
    remember_language(response, lang)
    return response


def remember_language(response: Response, lang: str) -> None:
    response.set_cookie(i18n.COOKIE, lang, max_age=400 * 24 * 3600, httponly=True, samesite="lax")
