"""The dashboard cache: built once per scope, day and data version, then read in milliseconds.

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
from datetime import date
from pathlib import Path

from northstar.config import Settings
from northstar.dashboards.service import Dashboard, DashboardFilters, build
from northstar.db.engine import session_scope
from northstar.db.versions import stamp

#: Raised when ``Dashboard`` changes shape, so that entries pickled by an older version are not read.
FORMAT = 2
KEEP_IN_MEMORY = 8
KEEP_ON_DISK = 64
_memory: OrderedDict[str, Dashboard] = OrderedDict()
_lock = threading.Lock()


def cache_key(settings: Settings, as_of: date, filters: DashboardFilters) -> str:
    with session_scope(settings.database_url) as s:
        versions = stamp(s)
    raw = f"{FORMAT}|{settings.database_url}|{as_of.isoformat()}|{filters.key()}|{versions}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def dashboard(settings: Settings, as_of: date, filters: DashboardFilters = DashboardFilters()) -> Dashboard:
    """The dashboard for ``filters`` as of ``as_of``, from the cache when the data has not changed since."""
    key = cache_key(settings, as_of, filters)
    with _lock:
        if key in _memory:
            _memory.move_to_end(key)
            return _memory[key]
    path = _folder(settings) / f"{key}.pkl"
    found = _read(path)
    if found is None:
        found = build(settings, as_of, filters)
        _write(path, found)
    with _lock:
        _memory[key] = found
        while len(_memory) > KEEP_IN_MEMORY:
            _memory.popitem(last=False)
    return found


def _folder(settings: Settings) -> Path:
    return settings.cache_dir / "dashboards"


def _read(path: Path) -> Dashboard | None:
    try:
        with open(path, "rb") as fh:
            value = pickle.load(fh)  # noqa: S301 - written by this installation into its data folder
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None  # absent, or left by another version of Northstar: rebuilt
    return value if isinstance(value, Dashboard) else None


def _write(path: Path, value: Dashboard) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    old = sorted(path.parent.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP_ON_DISK:]
    for p in old:
        p.unlink(missing_ok=True)
