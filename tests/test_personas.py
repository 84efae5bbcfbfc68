"""Personas: the rule file's checks, each operator on a hand-made customer base, first-match order, coverage of
accounts and revenue counted by hand, and the demo's personas recovered from its data as the generator drew
them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from northstar.accounts.models import Account
from northstar.cli.main import app
from northstar.config import Settings
from northstar.db.engine import session_scope
from northstar.ingest.service import import_file
from northstar.portfolio.models import AccountSummary
from northstar.portfolio.service import refresh
from northstar.success.personas import (
    FILE,
    UNASSIGNED,
    PersonaError,
    account_frame,
    apply_personas,
    assign,
    coverage,
    parse,
)


def _config(personas: list[dict]):  # noqa: ANN202
    return parse({"personas": personas})


@pytest.mark.parametrize(
    ("persona", "message"),
    [
        ({"key": "a", "name": "A", "rules": [{"field": "colour", "equals": "red"}]}, "unknown field 'colour'"),
        ({"key": "a", "name": "A", "rules": [{"field": "segment", "equals": "x", "in": ["y"]}]}, "one operator"),
        ({"key": "a", "name": "A", "rules": [{"field": "segment", "in": "SMB"}]}, "in needs a list"),
        ({"key": "a", "name": "A", "rules": [{"field": "mrr", "gte": "lots"}]}, "gte needs a number"),
        ({"key": "a", "name": "A", "rules": [{"field": "name", "matches": "("}]}, "not a regular expression"),
        ({"key": "a", "name": "A", "rules": []}, "at least 1 item"),
        ({"key": "unassigned", "name": "A", "rules": [{"field": "segment", "exists": True}]}, "no persona takes"),
        ({"key": "Bad Key", "name": "A", "rules": [{"field": "segment", "exists": True}]}, "pattern"),
    ],
)
def test_rule_file_errors_name_the_place(persona: dict, message: str) -> None:
    with pytest.raises(PersonaError, match=message) as exc:
        parse({"personas": [persona]}, "personas.yaml")
    assert str(exc.value).startswith("personas.yaml: personas[0]")


def test_duplicate_keys_and_saving_keep_history(tmp_path: Path) -> None:
    twice = {"key": "a", "name": "A", "rules": [{"field": "segment", "exists": True}]}
    with pytest.raises(PersonaError, match="unique: a"):
        parse({"personas": [twice, twice]})
    settings = Settings(home=tmp_path)
    assert FILE.load(settings) is None
    first = yaml.safe_dump({"personas": [twice]})
    FILE.save(settings, first, by="ops@example.com")
    with pytest.raises(PersonaError):
        FILE.save(settings, "personas: []", by="ops@example.com")
    assert FILE.text(settings) == first  # an invalid text changed nothing
    FILE.save(settings, first.replace("name: A", "name: B"), by="ops@example.com")
    assert [p.read_text() for p in FILE.history(settings)] == [first]


FRAME = pd.DataFrame(
    [
        {
            "id": 1,
            "segment": "SMB",
            "industry": "Retail",
            "name": "Acme",
            "attributes.team": "Marketing",
            "mrr": 100.0,
            "seats": 5,
            "product_lines": ["Analytics"],
            "contact_roles": ["champion", "user"],
            "contact_titles": ["Head of Growth"],
        },
        {
            "id": 2,
            "segment": "Enterprise",
            "industry": "Banking",
            "name": "Bigbank",
            "attributes.team": "finance",
            "mrr": 5000.0,
            "seats": 400,
            "product_lines": ["Analytics", "Data Platform"],
            "contact_roles": ["decision_maker"],
            "contact_titles": ["CFO"],
        },
        {
            "id": 3,
            "segment": "Mid-Market",
            "industry": None,
            "name": "Cobalt",
            "attributes.team": None,
            "mrr": 0.0,
            "seats": 0,
            "product_lines": [],
            "contact_roles": [],
            "contact_titles": [],
        },
    ]
)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"field": "segment", "equals": "smb"}, [1]),  # text compared without case
        ({"field": "segment", "not_equals": "SMB"}, [2, 3]),
        ({"field": "segment", "in": ["SMB", "Mid-Market"]}, [1, 3]),
        ({"field": "segment", "not_in": ["SMB"]}, [2, 3]),
        ({"field": "attributes.team", "in": ["Finance", "FP&A"]}, [2]),
        ({"field": "name", "contains": "bank"}, [2]),
        ({"field": "name", "matches": "^(acme|cobalt)$"}, [1, 3]),
        ({"field": "mrr", "gte": 100}, [1, 2]),
        ({"field": "mrr", "gt": 100}, [2]),
        ({"field": "seats", "lt": 5}, [3]),
        ({"field": "seats", "lte": 5}, [1, 3]),
        ({"field": "industry", "exists": True}, [1, 2]),
        ({"field": "attributes.team", "exists": False}, [3]),
        ({"field": "attributes.unknown", "exists": False}, [1, 2, 3]),  # a key no account has
        ({"field": "product_lines", "contains": "data platform"}, [2]),
        ({"field": "contact_roles", "in": ["decision_maker", "champion"]}, [1, 2]),
        ({"field": "contact_roles", "not_in": ["decision_maker"]}, [1, 3]),
        ({"field": "contact_titles", "matches": "growth|marketing"}, [1]),
    ],
)
def test_each_operator(rule: dict, expected: list[int]) -> None:
    config = _config([{"key": "p", "name": "P", "rules": [rule]}])
    got = assign(config, FRAME)
    assert sorted(i for i, p in got.items() if p == "p") == expected


def test_first_match_wins_and_any_or_all() -> None:
    config = _config(
        [
            {
                "key": "big",
                "name": "Big",
                "match": "any",
                "rules": [{"field": "seats", "gte": 300}, {"field": "industry", "equals": "Retail"}],
            },
            {
                "key": "finance",
                "name": "Finance",
                "rules": [{"field": "attributes.team", "equals": "Finance"}, {"field": "mrr", "gt": 0}],
            },
        ]
    )
    got = assign(config, FRAME)
    assert got.to_dict() == {1: "big", 2: "big", 3: None}  # account 2 would be finance too: the first wins


def _customer_base(settings: Settings, tmp_path: Path) -> None:
    files = {
        "accounts": "external_id,name,segment,primary_team\n"
        "A1,Acme,SMB,Marketing\nA2,Bigbank,Enterprise,Finance\nA3,Cobalt,Mid-Market,Marketing\nA4,Dune,SMB,\n",
        "subscriptions": "external_id,account,product,product_line,seats,mrr,currency,start_date,status\n"
        "S1,A1,Analytics,Analytics,5,100,USD,2026-01-01,active\n"
        "S2,A2,Analytics,Analytics,400,600,USD,2026-01-01,active\n"
        "S3,A3,Analytics,Analytics,20,300,USD,2026-01-01,active\n",
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        import_file(settings, kind, path)


def test_assignment_and_coverage_counted_by_hand(settings: Settings, tmp_path: Path) -> None:
    _customer_base(settings, tmp_path)
    refresh(settings, date(2026, 11, 1))
    rules = {
        "personas": [
            {
                "key": "marketer",
                "name": "Marketer",
                "rules": [{"field": "attributes.primary_team", "equals": "marketing"}],
            },
            {"key": "finance", "name": "Finance", "rules": [{"field": "attributes.primary_team", "equals": "finance"}]},
        ]
    }
    FILE.save(settings, yaml.safe_dump(rules))
    assert apply_personas(settings) == 3  # A1, A2, A3 gain a persona; A4 stays without one
    assert apply_personas(settings) == 0  # nothing changes the second time
    with session_scope(settings.database_url) as s:
        stored = dict(s.execute(select(Account.external_id, Account.persona)).all())
        assert stored == {"A1": "marketer", "A2": "finance", "A3": "marketer", "A4": None}
        frame = account_frame(s)
        assert dict(zip(frame["id"], frame["mrr"], strict=True)) == {1: 100.0, 2: 600.0, 3: 300.0, 4: 0.0}
        report = coverage(s, date(2026, 11, 1), FILE.load(settings))
    rows = {r.persona: r for r in report.rows}
    # revenue: marketer 400 of 1,000, finance 600 of 1,000; accounts: 2, 1 and 1 unassigned of 4
    assert [r.persona for r in report.rows] == ["finance", "marketer", UNASSIGNED]
    assert rows["finance"].revenue_share == pytest.approx(0.6) and rows["marketer"].revenue_share == pytest.approx(0.4)
    assert rows["marketer"].account_share == 0.5 and rows[UNASSIGNED].account_share == 0.25
    assert rows["marketer"].cumulative_revenue_share == pytest.approx(1.0)
    assert rows["marketer"].name == "Marketer"
    assert report.personas_for(0.8) == 2 and report.personas_for(0.5) == 1
    assert report.top_share(1) == pytest.approx(0.6)


def test_the_demo_personas_are_recovered_from_its_data(demo_site) -> None:
    settings, _, _ = demo_site("personas", 11)
    truth = pd.read_parquet(settings.home / "demo_truth.parquet").set_index("account_id")["persona"]
    with session_scope(settings.database_url) as s:
        stored = pd.Series(dict(s.execute(select(Account.id, Account.persona)).all()))
    assert (stored.reindex(truth.index) == truth).all()  # every account, as the generator drew it
    with session_scope(settings.database_url) as s:
        mrr = pd.Series(dict(s.execute(select(AccountSummary.account_id, AccountSummary.mrr)).all()))
    by_persona = mrr.groupby(truth.reindex(mrr.index)).sum().sort_values(ascending=False)
    expected_k = int((by_persona.cumsum() / by_persona.sum() < 0.8 - 1e-12).sum()) + 1
    env = {"NORTHSTAR_HOME": str(settings.home)}
    result = CliRunner().invoke(app, ["personas", "coverage", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["personas_for_80_percent"] == expected_k
    assert [r["persona"] for r in report["rows"]] == list(by_persona.index)
