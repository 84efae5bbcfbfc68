"""The cache of expensive answers (dashboards, survey results): built once per key and data version, then
read in milliseconds.

A cached dashboard is keyed by the day, the filters and the data versions (``northstar.db.versions``) of
what it reads; an import, an API write or a portfolio refresh raises a version, so the next request builds
anew and nothing stale is ever shown. Entries live in the process (the latest few) and on disk under the
data folder's ``cache/`` (shared by the server's workers and the background worker, which warms the
unfiltered dashboard after each refresh); files are pickles this installation wrote, never read from
elsewhere."""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from northstar.config import Settings
from northstar.dashboards.service import Dashboard, DashboardFilters, build
from northstar.db.engine import session_scope
from northstar.db.versions import stamp

#: Raised when ``Dashboard`` changes shape, so that entries pickled by an older version are not read.
FORMAT = 3
KEEP_IN_MEMORY = 16
KEEP_ON_DISK = 64
_memory: OrderedDict[str, object] = OrderedDict()
T = TypeVar("T")
_lock = threading.Lock()


def cache_key(settings: Settings, kind: str, key: str) -> str:
    with session_scope(settings.database_url) as s:
        versions = stamp(s)
    raw = f"{FORMAT}|{kind}|{settings.database_url}|{key}|{versions}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def remember(settings: Settings, kind: str, key: str, build: Callable[[], T] | None) -> T | None:
    """``build()``'s answer for ``key``, from the cache while the data versions it was made under hold. With
    ``build`` None, only what is cached: None when it is not (a page that should not wait for it)."""
    name = cache_key(settings, kind, key)
    with _lock:
        if name in _memory:
            _memory.move_to_end(name)
            return _memory[name]  # type: ignore[return-value]
    path = _folder(settings) / f"{kind}-{name}.pkl"
    found = _read(path)
    if found is None:
        if build is None:
            return None
        found = build()
        _write(path, found)
    with _lock:
        _memory[name] = found
        while len(_memory) > KEEP_IN_MEMORY:
            _memory.popitem(last=False)
    return found  # type: ignore[no-any-return]


def dashboard(settings: Settings, as_of: date, filters: DashboardFilters = DashboardFilters()) -> Dashboard:
    """The dashboard for ``filters`` as of ``as_of``, from the cache when the data has not changed since."""
    return remember(
        settings, "dashboard", f"{as_of.isoformat()}|{filters.key()}", lambda: build(settings, as_of, filters)
    )


def _folder(settings: Settings) -> Path:
    return settings.cache_dir / "dashboards"


def _read(path: Path) -> object | None:
    try:
        with open(path, "rb") as fh:
            value = pickle.load(fh)  # noqa: S301 - written by this installation into its data folder
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None  # absent, or left by another version of Northstar: rebuilt
    return value


def _write(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    old = sorted(path.parent.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP_ON_DISK:]
    for p in old:
        p.unlink(missing_ok=True)
