"""API keys: made by an admin, shown once, stored as a hash, revocable.

A token reads ``ns_<prefix>_<secret>``: the prefix (8 characters, public) finds the key, the secret (43
characters, 256 bits from ``secrets``) proves it. Checking a token is one indexed lookup and one SHA-256;
lookups are cached for ``CACHE_SECONDS`` so a stream of requests does not hit the database each time, which
bounds how long a revoked key may still be accepted by a running server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from northstar.auth.models import ApiKey, KeyScope
from northstar.db.base import utcnow

PREFIX = "ns"
CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class KeyIdentity:
    """Who a valid token is: what the API layer keeps of the key."""

    id: int
    prefix: str
    name: str
    scope: KeyScope

    def allows(self, needed: KeyScope) -> bool:
        """Admin keys may do anything; read and write keys only their own kind of call."""
        return self.scope is KeyScope.ADMIN or self.scope is needed


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, scope: KeyScope, name: str = "", created_by: int | None = None) -> tuple[ApiKey, str]:
    """A new key and its token (the only time the token exists in the clear)."""
    prefix = secrets.token_hex(4)
    while session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is not None:
        prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(prefix=prefix, secret_hash=_digest(secret), name=name, scope=scope, created_by=created_by)
    session.add(key)
    session.flush()
    return key, f"{PREFIX}_{prefix}_{secret}"


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def revoke_key(session: Session, prefix: str) -> ApiKey:
    """Revoke the key with this prefix (or the prefix of a whole token); idempotent."""
    prefix = _parse(prefix)[0] if prefix.startswith(f"{PREFIX}_") else prefix
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise ValueError(f"no API key {prefix!r}: see 'northstar keys list'")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    _cache.clear()
    return key


def _parse(token: str) -> tuple[str, str]:
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return "", ""
    return parts[1], parts[2]


class _Cache:
    """prefix -> (checked at, digest, identity or None for unknown/revoked)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, str, KeyIdentity | None]] = {}

    def get(self, prefix: str) -> tuple[str, KeyIdentity | None] | None:
        with self._lock:
            hit = self._items.get(prefix)
        if hit is None or time.monotonic() - hit[0] > CACHE_SECONDS:
            return None
        return hit[1], hit[2]

    def put(self, prefix: str, digest: str, identity: KeyIdentity | None) -> None:
        with self._lock:
            if len(self._items) > 10_000:  # a flood of made-up prefixes must not grow memory
                self._items.clear()
            self._items[prefix] = (time.monotonic(), digest, identity)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _Cache()


def is_cached(token: str) -> bool:
    """Whether ``verify_token`` can answer for ``token`` without the database (a recent lookup)."""
    prefix, _ = _parse(token)
    return bool(prefix) and _cache.get(prefix) is not None


def verify_token(session: Session | None, token: str) -> KeyIdentity | None:
    """The key a token belongs to, or None (unknown, malformed, wrong secret or revoked). ``session`` may be
    None when ``is_cached(token)``.

    The key's ``last_used_at`` is written by a background thread in its own transaction: bookkeeping must
    not fail a request, or make it wait behind a long write."""
    prefix, secret = _parse(token)
    if not prefix:
        return None
    cached = _cache.get(prefix)
    if cached is None:
        assert session is not None, "verify_token needs a session when the key is not cached"
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        identity = None
        digest = ""
        if key is not None and key.revoked_at is None:
            identity = KeyIdentity(key.id, key.prefix, key.name, key.scope)
            digest = key.secret_hash
            _touch(session, key.id)
        _cache.put(prefix, digest, identity)
        cached = (digest, identity)
    digest, identity = cached
    if identity is None or not hmac.compare_digest(digest, _digest(secret)):
        return None
    return identity


def _touch(session: Session, key_id: int) -> None:
    """Record the key's use from a background thread (at most once per ``CACHE_SECONDS`` per key)."""
    from sqlalchemy.exc import OperationalError

    engine, when = session.get_bind(), utcnow()

    def write() -> None:
        try:
            with engine.connect() as con:
                con.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when))
                con.commit()
        except OperationalError:
            pass  # the database was busy for long: the next lookup records it

    threading.Thread(target=write, name="api-key-touch", daemon=True).start()
