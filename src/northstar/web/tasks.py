"""The tasks inbox and task pages, and the account page's forms: log a touchpoint, override health (thin over
the services)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import i18n
from northstar.accounts.models import Account
from northstar.auth.models import User
from northstar.auth.permissions import Forbidden, Permission, can_see_account
from northstar.customer360.service import AccountNotFound, find_account
from northstar.health.service import set_override
from northstar.tasks.models import TaskPriority
from northstar.tasks.service import (
    TaskError,
    View,
    add_comment,
    assign_task,
    comments,
    complete_task,
    create_task,
    get_task,
    inbox,
    inbox_counts,
    reopen_task,
)
from northstar.touchpoints.service import TouchpointError, log_touchpoint
from northstar.web.security import current_user, db, form_user, safe_path
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)


def _today() -> date:
    return datetime.now(UTC).date()


def _account_for(request: Request, session: Session, user: User, ref: str) -> Account:
    """The account ``ref`` names, if this user may see it (else ``Forbidden``)."""
    account = find_account(session, ref)
    if not can_see_account(user, request.app.state.settings, account.owner_id):
        raise Forbidden("this account belongs to another CSM")
    return account


def _editor(request: Request, session: Session, csrf: str) -> User:
    """The signed-in user of a form that changes an account's work (touchpoints, tasks)."""
    return form_user(request, session, csrf, Permission.EDIT_ACCOUNTS)


def _active_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active).order_by(User.name)))


@router.get("/tasks")
def tasks_inbox(request: Request, view: str = "due", session: Session = Depends(db, scope="function")) -> Response:
    user = current_user(request, session)
    try:
        chosen = View(view)
    except ValueError:
        chosen = View.DUE
    today = _today()
    return render(
        request,
        "tasks.html",
        user,
        view=chosen.value,
        views=[v.value for v in View],
        rows=inbox(session, user.id, chosen, today),
        counts=inbox_counts(session, user.id, today),
        today=today,
        priorities=[p.value for p in TaskPriority],
        users=_active_users(session),
        error=None,
    )


@router.post("/tasks")
def new_task(
    request: Request,
    title: str = Form(""),
    due_on: str = Form(""),
    priority: str = Form("normal"),
    account: str = Form(""),
    assignee_id: str = Form(""),
    description: str = Form(""),
    form_key: str = Form(""),
    back: str = Form("/tasks"),
    csrf: str = Form(""),
    session: Session = Depends(db, scope="function"),
) -> Response:
    user = _editor(request, session, csrf)
    try:
        account_id = _account_for(request, session, user, account.strip()).id if account.strip() else None
        due = date.fromisoformat(due_on) if due_on else None
        task, _ = create_task(
            session,
            title,
            account_id=account_id,
            assignee_id=int(assignee_id) if assignee_id else user.id,
            due_on=due,
            priority=priority,
            description=description,
            created_by=user.id,
            dedupe_key=f"form:{form_key}" if form_key else None,
        )
    except (TaskError, AccountNotFound, ValueError) as exc:
        session.rollback()
        return render(request, "error.html", user, status_code=422, message=str(exc), back=safe_path(back, "/tasks"))
    return RedirectResponse(safe_path(back, "/tasks"), status_code=303)


@router.get("/tasks/{task_id}")
def task_page(request: Request, task_id: int, session: Session = Depends(db, scope="function")) -> Response:
    user = current_user(request, session)
    task = _visible_task(request, session, user, task_id)
    account = session.get(Account, task.account_id) if task.account_id else None
    assignee = session.get(User, task.assignee_id) if task.assignee_id else None
    return render(
        request,
        "task.html",
        user,
        task=task,
        account=account,
        assignee=assignee,
        comments=comments(session, task.id),
        users=_active_users(session),
    )


def _visible_task(request: Request, session: Session, user: User, task_id: int):  # type: ignore[no-untyped-def]
    task = get_task(session, task_id)
    if task.account_id is not None:
        account = session.get(Account, task.account_id)
        if account is not None and not can_see_account(user, request.app.state.settings, account.owner_id):
            raise Forbidden("this task is about another CSM's account")
    return task


@router.post("/tasks/{task_id}/{action}")
def task_action(
    request: Request,
    task_id: int,
    action: str,
    outcome: str = Form(""),
    body: str = Form(""),
    assignee_id: str = Form(""),
    csrf: str = Form(""),
    session: Session = Depends(db, scope="function"),
) -> Response:
    user = _editor(request, session, csrf)
    task = _visible_task(request, session, user, task_id)
    try:
        if action == "complete":
            complete_task(session, task, user.id, outcome)
        elif action == "reopen":
            reopen_task(session, task)
        elif action == "comment":
            add_comment(session, task, user.id, body)
        elif action == "assign":
            assign_task(session, task, int(assignee_id) if assignee_id else None)
        else:
            return render(request, "not_found.html", user, status_code=404, ref=action)
    except (TaskError, ValueError) as exc:
        session.rollback()
        return render(request, "error.html", user, status_code=422, message=str(exc), back=f"/tasks/{task_id}")
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


@router.post("/accounts/{ref}/touchpoints")
def log_touch(
    request: Request,
    ref: str,
    channel: str = Form("note"),
    subject: str = Form(""),
    summary: str = Form(""),
    form_key: str = Form(""),
    csrf: str = Form(""),
    session: Session = Depends(db, scope="function"),
) -> Response:
    user = _editor(request, session, csrf)
    account = _account_for(request, session, user, ref)
    try:
        log_touchpoint(session, account, user.id, channel, summary, form_key, subject)
    except TouchpointError as exc:
        session.rollback()
        return render(request, "error.html", user, status_code=422, message=str(exc), back=f"/accounts/{ref}")
    return RedirectResponse(f"/accounts/{ref}#timeline", status_code=303)


@router.post("/accounts/{ref}/health-override")
def override_health(
    request: Request,
    ref: str,
    band: str = Form(""),
    score: str = Form(""),
    reason: str = Form(""),
    expires_on: str = Form(""),
    form_key: str = Form(""),
    csrf: str = Form(""),
    session: Session = Depends(db, scope="function"),
) -> Response:
    """A CSM's judgement over the computed health, with its reason and expiry (shown at once in the
    portfolio; every snapshot applies it until it expires)."""
    user = form_user(request, session, csrf, Permission.OVERRIDE_HEALTH)
    account = _account_for(request, session, user, ref)
    back = f"/accounts/{ref}#health"
    try:
        until = date.fromisoformat(expires_on)
        if until < _today():
            raise ValueError(i18n.gettext("The expiry date is in the past."))
        value = float(score) if score.strip() else None
        set_override(
            request.app.state.settings,
            account.id,
            reason,
            until,
            band or None,
            value,
            set_by=user.id,
            form_key=form_key or None,
        )
    except ValueError as exc:
        message = i18n.gettext("Give an expiry date.") if not expires_on else str(exc)
        return render(request, "error.html", user, status_code=422, message=message, back=back)
    return RedirectResponse(back, status_code=303)
