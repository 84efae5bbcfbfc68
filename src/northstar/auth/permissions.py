"""Who may do what: permissions by role, and which accounts a user may see.

* **admin**: everything, including users and settings;
* **cs_ops** (CS operations): everything but managing users;
* **csm**: read accounts and dashboards, log touchpoints, work tasks, override health, export;
* **viewer**: read accounts and dashboards.

With ``NORTHSTAR_CSM_OWN_ACCOUNTS_ONLY=1`` a CSM sees only the accounts it owns (and their children's
data through them); other roles see every account."""

from __future__ import annotations

import enum

from northstar.auth.models import Role, User
from northstar.config import Settings


class Permission(enum.StrEnum):
    VIEW_ACCOUNTS = "view_accounts"
    VIEW_DASHBOARDS = "view_dashboards"
    EDIT_ACCOUNTS = "edit_accounts"  # log touchpoints, make and work tasks
    OVERRIDE_HEALTH = "override_health"
    EXPORT = "export"
    MANAGE_CONFIG = "manage_config"  # scorecards, playbooks, surveys
    MANAGE_USERS = "manage_users"


_CSM = {
    Permission.VIEW_ACCOUNTS,
    Permission.VIEW_DASHBOARDS,
    Permission.EDIT_ACCOUNTS,
    Permission.OVERRIDE_HEALTH,
    Permission.EXPORT,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.CS_OPS: frozenset(Permission) - {Permission.MANAGE_USERS},
    Role.CSM: frozenset(_CSM),
    Role.VIEWER: frozenset({Permission.VIEW_ACCOUNTS, Permission.VIEW_DASHBOARDS}),
}


class Forbidden(PermissionError):
    """The signed-in user's role does not allow this (HTTP 403)."""


def can(user: User, permission: Permission) -> bool:
    return user.is_active and permission in ROLE_PERMISSIONS.get(Role(user.role), frozenset())


def require(user: User, permission: Permission) -> None:
    if not can(user, permission):
        raise Forbidden(f"a {Role(user.role).value} may not {permission.value.replace('_', ' ')}")


def own_accounts_only(user: User, settings: Settings) -> bool:
    return settings.csm_own_accounts_only and Role(user.role) == Role.CSM


def account_owner_filter(user: User, settings: Settings) -> int | None:
    """The owner id every account list must be limited to for this user, or None (all accounts)."""
    return user.id if own_accounts_only(user, settings) else None


def can_see_account(user: User, settings: Settings, owner_id: int | None) -> bool:
    return can(user, Permission.VIEW_ACCOUNTS) and (not own_accounts_only(user, settings) or owner_id == user.id)
