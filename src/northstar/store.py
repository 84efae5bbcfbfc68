"""Opening the stores a command or request needs: settings, schema at head, event store."""

from __future__ import annotations

from northstar.config import Settings
from northstar.db.migrate import is_current, upgrade
from northstar.usage.rollup import RollupStore
from northstar.usage.store import EventStore


def open_settings(home: str | None = None, migrate: bool = True) -> Settings:
    """Settings from the environment, with the data folder made and the schema brought to head."""
    settings = Settings.from_env(home)
    settings.ensure_home()
    if migrate and not is_current(settings.database_url):
        upgrade(settings.database_url)
    return settings


def event_store(settings: Settings) -> EventStore:
    return EventStore(settings.events_dir)


def rollup_store(settings: Settings) -> RollupStore:
    return RollupStore(event_store(settings), settings.rollups_dir)
