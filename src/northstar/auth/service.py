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
