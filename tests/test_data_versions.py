"""Data versions rise with every change to the data they stand for, and only then."""

from __future__ import annotations

from northstar.db.engine import session_scope
from northstar.db.versions import bump, stamp
from northstar.ingest.crud import delete_record, save_record
from northstar.ingest.spec import KINDS


def _stamp(settings) -> str:
    with session_scope(settings.database_url) as s:
        return stamp(s)


def test_writes_raise_the_records_version_and_retries_do_not(settings) -> None:
    empty = _stamp(settings)
    assert empty == "records0.portfolio0"
    with session_scope(settings.database_url) as s:
        save_record(s, KINDS["accounts"], "acme", {"name": "Acme"})
    first = _stamp(settings)
    assert first.startswith("records1@") and first.endswith("portfolio0")
    with session_scope(settings.database_url) as s:  # the same values again: nothing changed
        save_record(s, KINDS["accounts"], "acme", {"name": "Acme"})
    assert _stamp(settings) == first
    with session_scope(settings.database_url) as s:
        save_record(s, KINDS["accounts"], "acme", {"name": "Acme Corp"})
    second = _stamp(settings)
    assert second.startswith("records2@")
    with session_scope(settings.database_url) as s:
        delete_record(s, KINDS["accounts"], "acme")
    assert _stamp(settings).startswith("records3@")


def test_a_rolled_back_change_leaves_the_version(settings) -> None:
    with session_scope(settings.database_url) as s:
        bump(s, "portfolio")
    before = _stamp(settings)
    try:
        with session_scope(settings.database_url) as s:
            bump(s, "portfolio")
            raise RuntimeError("the write failed")
    except RuntimeError:
        pass
    assert _stamp(settings) == before
