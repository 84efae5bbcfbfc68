"""API-key authentication for the machine APIs.

Segment's SDKs send the write key as the HTTP Basic user name with an empty password; other clients may
send ``Authorization: Bearer <token>``. Both are accepted (and, on the tracking endpoints, Segment's third
way: ``writeKey`` in the JSON body). No key, or a key that is not valid: 401 with a
``WWW-Authenticate`` challenge. A valid key of the wrong scope: 403.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from fastapi import HTTPException, Request

from northstar.auth.keys import KeyIdentity, is_cached, verify_token
from northstar.auth.models import KeyScope
from northstar.db.engine import session_scope

CHALLENGE = {"WWW-Authenticate": 'Basic realm="Northstar"'}


def token_from(header: str | None) -> str | None:
    """The API token in an ``Authorization`` header (Basic user name, or Bearer), or None."""
    if not header:
        return None
    kind, _, value = header.strip().partition(" ")
    if kind.lower() == "bearer":
        return value.strip() or None
    if kind.lower() == "basic":
        try:
            user = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user or None
    return None


def check_token(request: Request, token: str | None, scope: KeyScope) -> KeyIdentity:
    """The key of ``token``, which must allow ``scope``: else 401 (none or not valid) or 403 (wrong scope)."""
    if token is None:
        raise HTTPException(
            401, "An API key is required: HTTP Basic with the key as user name, or a Bearer token.", CHALLENGE
        )
    if is_cached(token):
        identity = verify_token(None, token)
    else:
        with session_scope(request.app.state.settings.database_url) as session:
            identity = verify_token(session, token)
    if identity is None:
        raise HTTPException(401, "This API key is not valid: unknown, malformed or revoked.", CHALLENGE)
    if not identity.allows(scope):
        raise HTTPException(403, f"This is a {identity.scope.value} key; this call needs a {scope.value} key.")
    return identity


def require_key(scope: KeyScope) -> Callable[[Request], KeyIdentity]:
    """A FastAPI dependency: the calling key (from the ``Authorization`` header), which must allow ``scope``."""

    def dependency(request: Request) -> KeyIdentity:
        return check_token(request, token_from(request.headers.get("authorization")), scope)

    return dependency
