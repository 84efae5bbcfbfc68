"""Making, assigning, commenting and completing tasks, and the inbox views a CSM works from.

Automation (playbooks, survey answers, alerts) asks for a task with a ``dedupe_key``: while a task with that
key is open, asking again returns it instead of making a second one. The partial unique index on open keys
backs this against two workers racing (the loser's insert fails and it returns the winner's task)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from northstar.accounts.models import Account
from northstar.auth.models import User
from northstar.db.base import utcnow
from northstar.db.engine import savepoint
from northstar.tasks.models import Task, TaskComment, TaskPriority, TaskStatus


class TaskError(ValueError):
    """A task that cannot be made or changed as asked; the message names the field."""


class View(enum.StrEnum):
    """The inbox's tabs: open tasks due by today (overdue included), those past due, all open, and done."""

    DUE = "due"
    OVERDUE = "overdue"
    OPEN = "open"
    DONE = "done"


def create_task(
    session: Session,
    title: str,
    *,
    account_id: int | None = None,
    assignee_id: int | None = None,
    due_on: date | None = None,
    priority: TaskPriority | str = TaskPriority.NORMAL,
    description: str = "",
    created_by: int | None = None,
    source: str = "manual",
    dedupe_key: str | None = None,
) -> tuple[Task, bool]:
    """The new task and True, or the open task with the same ``dedupe_key`` and False."""
    title = title.strip()
    if not title:
        raise TaskError("title: a task needs a title")
    if len(title) > 300:
        raise TaskError("title: at most 300 characters")
    try:
        priority = TaskPriority(priority)
    except ValueError:
        raise TaskError(f"priority: {priority!r} is not one of {', '.join(p.value for p in TaskPriority)}") from None
    if account_id is not None and session.get(Account, account_id) is None:
        raise TaskError(f"account: no account with id {account_id}")
    if assignee_id is not None:
        user = session.get(User, assignee_id)
        if user is None or not user.is_active:
            raise TaskError(f"assignee: no active user with id {assignee_id}")
    if dedupe_key:
        existing = _open_with_key(session, dedupe_key)
        if existing is not None:
            return existing, False
    task = Task(
        title=title,
        account_id=account_id,
        assignee_id=assignee_id,
        due_on=due_on,
        priority=priority,
        description=description,
        created_by=created_by,
        source=source,
        dedupe_key=dedupe_key or None,
    )
    if not dedupe_key:
        session.add(task)
        session.flush()
        return task, True
    try:
        with savepoint(session):  # a concurrent maker of the same key: its task wins
            session.add(task)
            session.flush()
    except IntegrityError:
        existing = _open_with_key(session, dedupe_key)
        if existing is None:
            raise
        return existing, False
    return task, True


def _open_with_key(session: Session, key: str) -> Task | None:
    return session.scalar(select(Task).where(Task.dedupe_key == key, Task.status == TaskStatus.OPEN))


def get_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise TaskError(f"task: no task with id {task_id}")
    return task


def complete_task(session: Session, task: Task, user_id: int | None, outcome: str = "") -> Task:
    """Mark done with what came of it; completing a done task again changes nothing (a retried click)."""
    if task.status == TaskStatus.DONE:
        return task
    if task.status == TaskStatus.CANCELED:
        raise TaskError("status: a canceled task cannot be completed; reopen it first")
    task.status = TaskStatus.DONE
    task.completed_at = utcnow()
    task.completed_by = user_id
    task.outcome = outcome.strip()
    session.flush()
    return task


def reopen_task(session: Session, task: Task) -> Task:
    if task.status != TaskStatus.OPEN:
        if task.dedupe_key and _open_with_key(session, task.dedupe_key) is not None:
            raise TaskError("status: another open task already has this task's key")
        task.status = TaskStatus.OPEN
        task.completed_at = task.completed_by = None
        session.flush()
    return task


def assign_task(session: Session, task: Task, assignee_id: int | None) -> Task:
    if assignee_id is not None:
        user = session.get(User, assignee_id)
        if user is None or not user.is_active:
            raise TaskError(f"assignee: no active user with id {assignee_id}")
    task.assignee_id = assignee_id
    session.flush()
    return task


def add_comment(session: Session, task: Task, author_id: int | None, body: str) -> TaskComment:
    body = body.strip()
    if not body:
        raise TaskError("comment: empty")
    comment = TaskComment(task_id=task.id, author_id=author_id, body=body)
    session.add(comment)
    session.flush()
    return comment


def comments(session: Session, task_id: int) -> list[tuple[TaskComment, str | None]]:
    """The task's comments, oldest first, with their authors' names."""
    rows = session.execute(
        select(TaskComment, User.name)
        .outerjoin(User, User.id == TaskComment.author_id)
        .where(TaskComment.task_id == task_id)
        .order_by(TaskComment.created_at, TaskComment.id)
    )
    return [(c, name) for c, name in rows]


@dataclass(frozen=True)
class TaskRow:
    task: Task
    account_name: str | None
    account_ref: str | None
    assignee_name: str | None
    comments: int


def _rows(session: Session, stmt: Select) -> list[TaskRow]:
    n = select(TaskComment.task_id, func.count().label("n")).group_by(TaskComment.task_id).subquery()
    stmt = (
        stmt.add_columns(Account.name, Account.external_id, User.name, func.coalesce(n.c.n, 0))
        .outerjoin(Account, Account.id == Task.account_id)
        .outerjoin(User, User.id == Task.assignee_id)
        .outerjoin(n, n.c.task_id == Task.id)
    )
    return [TaskRow(t, an, ref, un, int(c)) for t, an, ref, un, c in session.execute(stmt)]


def inbox(session: Session, assignee_id: int, view: View | str, today: date, limit: int = 200) -> list[TaskRow]:
    """The assignee's tasks in ``view``: due and overdue by due date (undated last), done newest first."""
    view = View(view)
    mine = select(Task).where(Task.assignee_id == assignee_id)
    is_open = Task.status == TaskStatus.OPEN
    if view == View.DONE:
        stmt = mine.where(Task.status == TaskStatus.DONE).order_by(Task.completed_at.desc(), Task.id.desc())
    else:
        cond = {
            View.DUE: and_(is_open, Task.due_on <= today),
            View.OVERDUE: and_(is_open, Task.due_on < today),
            View.OPEN: is_open,
        }[view]
        stmt = mine.where(cond).order_by(Task.due_on.asc().nulls_last(), _priority_rank(), Task.id)
    return _rows(session, stmt.limit(limit))


def inbox_counts(session: Session, assignee_id: int, today: date) -> dict[str, int]:
    is_open = and_(Task.assignee_id == assignee_id, Task.status == TaskStatus.OPEN)
    row = session.execute(
        select(
            func.count().filter(and_(is_open, Task.due_on <= today)),
            func.count().filter(and_(is_open, Task.due_on < today)),
            func.count().filter(is_open),
        )
    ).one()
    return {"due": row[0], "overdue": row[1], "open": row[2]}


def account_tasks(session: Session, account_id: int, include_done: bool = False) -> list[TaskRow]:
    stmt = select(Task).where(Task.account_id == account_id)
    if not include_done:
        stmt = stmt.where(Task.status == TaskStatus.OPEN)
    return _rows(session, stmt.order_by(Task.due_on.asc().nulls_last(), Task.id))


def _priority_rank():  # type: ignore[no-untyped-def]
    """Urgent first among tasks due the same day."""
    return case(
        (Task.priority == TaskPriority.URGENT, 0),
        (Task.priority == TaskPriority.HIGH, 1),
        (Task.priority == TaskPriority.NORMAL, 2),
        else_=3,
    )
