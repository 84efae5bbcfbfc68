"""Importers: round trips on SQLite and PostgreSQL, every bad-input case, idempotent re-imports."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from northstar.accounts.models import Account, Contact
from northstar.auth.models import User
from northstar.db.engine import session_scope
from northstar.ingest.errors import ImportFailed
from northstar.ingest.service import export_table, import_file, write_table
from northstar.revenue.models import Subscription

FIXTURES = Path(__file__).parent / "fixtures"


def count(settings, model) -> int:
    with session_scope(settings.database_url) as s:
        return s.scalar(select(func.count()).select_from(model))


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_accounts_and_contacts_round_trip(settings):
    r = import_file(settings, "accounts", FIXTURES / "accounts.csv")
    assert (r.rows, r.inserted, r.updated, r.unchanged) == (3, 3, 0, 0)
    r = import_file(settings, "contacts", FIXTURES / "contacts.csv")
    assert r.inserted == 4
    with session_scope(settings.database_url) as s:
        acme = s.scalar(select(Account).where(Account.external_id == "A-1"))
        child = s.scalar(select(Account).where(Account.external_id == "A-2"))
        assert child.parent_id == acme.id
        assert acme.attributes == {"tier_note": "gold"}
        assert acme.customer_since.isoformat() == "2023-05-01"
        owner = s.get(User, acme.owner_id)
        assert owner.email == "ana@example.com" and owner.password_hash is None
        giulia = s.scalar(select(Contact).where(Contact.external_id == "C-1"))
        assert giulia.role.value == "decision_maker" and giulia.account_id == acme.id and giulia.language == "it"


def test_reimport_changes_nothing_and_updates_only_changed(settings, tmp_path):
    import_file(settings, "accounts", FIXTURES / "accounts.csv")
    again = import_file(settings, "accounts", FIXTURES / "accounts.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert count(settings, Account) == 3
    partial = write(tmp_path / "rename.csv", "external_id,name\nA-3,Bluebird Stores\n")
    r = import_file(settings, "accounts", partial)
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 0)
    with session_scope(settings.database_url) as s:
        a3 = s.scalar(select(Account).where(Account.external_id == "A-3"))
        assert a3.name == "Bluebird Stores"
        assert a3.segment == "SMB"  # a column the file does not have is left alone


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("accounts", "name,segment\nAcme,SMB\n", "column 'external_id': missing required column"),
        (
            "subscriptions",
            "external_id,account,product,product_line,mrr,start_date,status\n"
            "S-1,A-1,Core,Analytics,100,2024-01-01,active\nS-2,A-1,Core,Analytics,100,01/02/2024,active\n",
            "row 2, column 'start_date': unparsable date '01/02/2024' (expected YYYY-MM-DD)",
        ),
        (
            "subscriptions",
            "external_id,account,product,product_line,mrr,start_date,status\n"
            "S-1,A-1,Core,Analytics,12O,2024-01-01,active\n",
            "row 1, column 'mrr': not a number: '12O'",
        ),
        (
            "contacts",
            "external_id,account,name\nC-1,A-1,Ann\nC-2,NOPE,Bob\n",
            "row 2, column 'account': unknown account 'NOPE'",
        ),
        (
            "accounts",
            "external_id,name\nX-1,One\nX-2,Two\nX-1,Again\n",
            "row 3, column 'external_id': duplicate key 'X-1' (also on row 1)",
        ),
        (
            "feedback",
            "external_id,account,survey_type,score,submitted_at\nF-1,A-1,nps,11,2024-01-01T10:00:00Z\n",
            "row 1, column 'score': NPS score 11 is outside 0-10",
        ),
        (
            "contacts",
            "external_id,account,name,role\nC-1,A-1,Ann,boss\n",
            "row 1, column 'role': 'boss' is not one of: decision_maker, champion, admin, user",
        ),
    ],
)
def test_bad_input_names_file_row_column_and_imports_nothing(settings, tmp_path, kind, text, expected):
    import_file(settings, "accounts", FIXTURES / "accounts.csv")
    before = {m: count(settings, m) for m in (Account, Contact, Subscription)}
    path = write(tmp_path / f"{kind}.csv", text)
    with pytest.raises(ImportFailed) as info:
        import_file(settings, kind, path)
    message = str(info.value)
    assert f"{path}" in message and expected in message, message
    assert {m: count(settings, m) for m in (Account, Contact, Subscription)} == before


def test_all_or_nothing_when_only_the_last_row_is_bad(settings, tmp_path):
    rows = "".join(f"B-{i},Account {i}\n" for i in range(500))
    path = write(tmp_path / "a.csv", "external_id,name,customer_since\n" + rows.replace("\n", ",2024-01-01\n"))
    text = path.read_text().rstrip("\n") + "\nB-999,Last,2024-13-01\n"
    path.write_text(text)
    with pytest.raises(ImportFailed, match="row 501, column 'customer_since'"):
        import_file(settings, "accounts", path)
    assert count(settings, Account) == 0


def test_salesforce_and_hubspot_exports_import_as_they_are(settings):
    assert import_file(settings, "accounts", FIXTURES / "salesforce_accounts.csv").inserted == 2
    assert import_file(settings, "contacts", FIXTURES / "salesforce_contacts.csv").inserted == 2
    assert import_file(settings, "accounts", FIXTURES / "hubspot_companies.csv").inserted == 2
    assert import_file(settings, "contacts", FIXTURES / "hubspot_contacts.csv").inserted == 2
    with session_scope(settings.database_url) as s:
        hank = s.scalar(select(Contact).where(Contact.external_id == "0035g00000CCC1"))
        assert hank.name == "Hank Scorpio" and hank.title == "CEO"
        europe = s.scalar(select(Account).where(Account.external_id == "0015g00000AAA2"))
        assert europe.parent.name == "Globex Corporation" and europe.domain == "globex.example"
        assert europe.attributes == {"Annual Revenue": "30000000"}
        peter = s.scalar(select(Contact).where(Contact.external_id == "501"))
        assert peter.account.name == "Initech"


def test_mapping_file_for_other_layouts(lite, tmp_path):
    path = write(tmp_path / "crm.csv", "Cust No;Customer\n".replace(";", ",") + "K1,Kappa\n")
    mapping = write(tmp_path / "map.yaml", "columns:\n  external_id: Cust No\n  name: Customer\n")
    assert import_file(lite, "accounts", path, mapping).inserted == 1
    bad = write(tmp_path / "bad.yaml", "columns:\n  external_id: Nope\n")
    with pytest.raises(ImportFailed, match="column 'Nope': mapping for 'external_id' names a column"):
        import_file(lite, "accounts", path, bad)


def test_parquet_and_jsonl(lite, tmp_path):
    pq.write_table(
        pa.table({"external_id": ["P-1"], "name": ["Parquet Co"], "customer_since": ["2024-01-05"]}),
        tmp_path / "a.parquet",
    )
    assert import_file(lite, "accounts", tmp_path / "a.parquet").inserted == 1
    lines = [{"external_id": "J-1", "name": "Json Co", "attributes": {"tier": "gold"}}]
    write(tmp_path / "a.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    assert import_file(lite, "accounts", tmp_path / "a.jsonl").inserted == 1
    with session_scope(lite.database_url) as s:
        assert s.scalar(select(Account.attributes).where(Account.external_id == "J-1")) == {"tier": "gold"}


def test_export_then_import_elsewhere_is_identical(settings, tmp_path, lite):
    import_file(settings, "accounts", FIXTURES / "accounts.csv")
    import_file(settings, "contacts", FIXTURES / "contacts.csv")
    for kind in ("accounts", "contacts"):
        write_table(export_table(settings, kind), tmp_path / f"{kind}.parquet")
        import_file(lite, kind, tmp_path / f"{kind}.parquet")
        assert export_table(lite, kind).to_pylist() == export_table(settings, kind).to_pylist()


EVENTS = """event_id,account,user_id,event,timestamp,properties
e1,A-1,C-1,login,2025-01-01T10:00:00Z,
e2,A-1,C-2,build_dashboard,2025-01-01T11:00:00+01:00,"{""size"": 3}"
e3,A-3,ghost,login,2025-01-02 09:00:00,
"""


def test_events_import_link_accounts_and_contacts_and_dedup(settings, tmp_path):
    import_file(settings, "accounts", FIXTURES / "accounts.csv")
    import_file(settings, "contacts", FIXTURES / "contacts.csv")
    path = write(tmp_path / "events.csv", EVENTS)
    r = import_file(settings, "events", path)
    assert (r.rows, r.inserted) == (3, 3)
    again = import_file(settings, "events", path)
    assert (again.inserted, again.unchanged) == (0, 3)
    rows = {r["event_id"]: r for r in export_table(settings, "events").to_pylist()}
    assert set(rows) == {"e1", "e2", "e3"}
    assert rows["e2"]["timestamp"].isoformat() == "2025-01-01T10:00:00"  # +01:00 stored as UTC
    assert rows["e2"]["account"] == "A-1" and json.loads(rows["e2"]["properties"]) == {"size": 3}
    assert rows["e3"]["user_id"] == "ghost"


def test_events_bad_rows_are_named(lite, tmp_path):
    import_file(lite, "accounts", FIXTURES / "accounts.csv")
    path = write(tmp_path / "events.csv", EVENTS + "e4,ZZZ,u,login,2025-01-03T00:00:00Z,\ne5,A-1,u,login,yesterday,\n")
    with pytest.raises(ImportFailed) as info:
        import_file(lite, "events", path)
    text = str(info.value)
    assert "row 4, column 'account': unknown account 'ZZZ'" in text
    assert "row 5, column 'timestamp': unparsable timestamp 'yesterday'" in text
    assert not list(lite.events_dir.glob("*.parquet"))


def test_events_without_ids_are_identified_by_content(lite, tmp_path):
    import_file(lite, "accounts", FIXTURES / "accounts.csv")
    text = "account,user_id,event,timestamp\nA-1,u1,login,2025-01-01T10:00:00Z\nA-1,u1,login,2025-01-01T10:00:00Z\n"
    r = import_file(lite, "events", write(tmp_path / "e.csv", text))
    assert r.inserted == 1  # an exact repeat is a retry
    assert import_file(lite, "events", tmp_path / "e.csv").inserted == 0


def test_empty_cell_in_a_column_that_cannot_be_empty_keeps_the_value(settings, tmp_path):
    import_file(settings, "accounts", FIXTURES / "accounts.csv")
    import_file(settings, "contacts", FIXTURES / "contacts.csv")
    r = import_file(settings, "contacts", write(tmp_path / "c.csv", "external_id,account,role,language\nC-1,A-1,,\n"))
    assert (r.updated, r.unchanged) == (0, 1)
    new = import_file(settings, "contacts", write(tmp_path / "n.csv", "external_id,account,role\nC-9,A-1,\n"))
    assert new.inserted == 1
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(Contact.role).where(Contact.external_id == "C-1")).value == "decision_maker"
        assert s.scalar(select(Contact.role).where(Contact.external_id == "C-9")).value == "user"


def test_events_overlapping_batches_store_each_event_once(lite, tmp_path):
    import_file(lite, "accounts", FIXTURES / "accounts.csv")
    head = "event_id,account,event,timestamp\n"
    first = write(
        tmp_path / "1.csv", head + "".join(f"x{i},A-1,login,2025-02-0{1 + i % 5}T10:00:00Z\n" for i in range(6))
    )
    second = write(
        tmp_path / "2.csv",
        head + "".join(f"x{i},A-1,login,2025-02-0{1 + i % 5}T10:00:00Z\n" for i in (4, 5, 6, 7, 7)),
    )
    assert import_file(lite, "events", first).inserted == 6
    r = import_file(lite, "events", second)
    assert (r.rows, r.inserted, r.unchanged) == (5, 2, 3)  # x4, x5 stored already; x7 repeats in the file
    assert sorted(e["event_id"] for e in export_table(lite, "events").to_pylist()) == [f"x{i}" for i in range(8)]


def test_events_from_parquet_with_typed_timestamps(lite, tmp_path):
    from datetime import UTC, datetime, timedelta, timezone

    import_file(lite, "accounts", FIXTURES / "accounts.csv")
    plus2 = timezone(timedelta(hours=2))
    table = pa.table(
        {
            "messageId": ["m1", "m2"],
            "groupId": ["A-1", "A-3"],
            "event": ["login", "export"],
            "timestamp": pa.array([datetime(2025, 3, 1, 12, tzinfo=plus2), datetime(2025, 3, 2, 8, tzinfo=UTC)]),
        }
    )
    pq.write_table(table, tmp_path / "e.parquet")
    assert import_file(lite, "events", tmp_path / "e.parquet").inserted == 2
    stored = {e["event_id"]: e["timestamp"] for e in export_table(lite, "events").to_pylist()}
    assert stored["m1"] == datetime(2025, 3, 1, 10)  # 12:00+02:00 stored as 10:00 UTC
    pq.write_table(
        table.set_column(3, "timestamp", pa.array([None, datetime(2025, 3, 2)], pa.timestamp("us"))),
        tmp_path / "bad.parquet",
    )
    with pytest.raises(ImportFailed, match="row 1, column 'timestamp': required value is empty"):
        import_file(lite, "events", tmp_path / "bad.parquet")
