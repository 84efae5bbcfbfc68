"""Creating staff users and signing them in."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from northstar.auth.models import Role, User
from northstar.auth.passwords import hash_password, needs_rehash, verify_password
from northstar.db.base import utcnow


def create_user(session: Session, email: str, password: str | None, role: Role, name: str = "") -> User:
    """Create a user, or give an existing one (e.g. an imported owner) this role and password."""
    email = email.strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name or email.split("@")[0])
        session.add(user)
    user.role = role
    if name:
        user.name = name
    if password is not None:
        user.password_hash = hash_password(password)
    user.is_active = True
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


class UserError(ValueError):
    """A change to users that is not allowed; the message names the field."""


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.is_active.desc(), User.name, User.email)))


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The user's own change: the current password must be right (a stolen session alone cannot)."""
    if not verify_password(user.password_hash, current):
        raise UserError("current password: wrong")
    if new == current:
        raise UserError("new password: it must differ from the current one")
    try:
        user.password_hash = hash_password(new)
    except ValueError as exc:
        raise UserError(f"new password: {exc}") from None
    session.flush()


def update_user(
    session: Session, user: User, role: Role | str | None = None, active: bool | None = None, name: str | None = None
) -> User:
    """An admin's change of role, name or active flag. The last active admin cannot be demoted or disabled
    (nobody could manage users after)."""
    new_role = Role(role) if role is not None else Role(user.role)
    new_active = user.is_active if active is None else active
    if Role(user.role) == Role.ADMIN and user.is_active and (new_role != Role.ADMIN or not new_active):
        admins = session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active, User.id != user.id)
        )
        if not admins:
            raise UserError("role: this is the last active admin; make another admin first")
    user.role, user.is_active = new_role, new_active
    if name is not None and name.strip():
        user.name = name.strip()
    session.flush()
    return user
