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


def test_a_savepoint_first_in_a_unit_of_work_rolls_back_with_it(settings) -> None:
    """On SQLite a SAVEPOINT opening the transaction would commit at its release; ``savepoint`` prevents it."""
    import pytest
    from sqlalchemy import select

    from northstar.accounts.models import Account
    from northstar.db.engine import savepoint

    with pytest.raises(RuntimeError), session_scope(settings.database_url) as s:
        with savepoint(s):
            s.add(Account(external_id="SP-1", name="Savepoint"))
        raise RuntimeError("the rest of the unit of work failed")
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(Account).where(Account.external_id == "SP-1")) is None
