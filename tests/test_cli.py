"""The command line: help with examples everywhere, clear failures, and the 360 summary."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from northstar.cli.main import app
from northstar.db.engine import reset_engines

COMMANDS = [
    ["demo"],
    ["serve"],
    ["import"],
    ["export"],
    ["db", "upgrade"],
    ["users", "create"],
    ["account"],
    ["metrics"],
    ["usage", "rollup"],
    ["keys", "create"],
    ["keys", "list"],
    ["keys", "revoke"],
    ["health", "score"],
    ["health", "explain"],
    ["health", "measures"],
    ["health", "snapshot"],
    ["health", "override"],
    ["health", "alerts"],
    ["health", "satisfaction"],
    ["health", "check"],
    ["risk", "backtest"],
    ["risk", "weights"],
    ["risk", "train"],
    ["risk", "score"],
    ["intake", "apply"],
    ["intake", "status"],
    ["webhooks", "create"],
    ["webhooks", "list"],
    ["webhooks", "deliveries"],
    ["feedback", "analyze"],
    ["feedback", "analyze-stored"],
    ["feedback", "evaluate"],
    ["personas", "list"],
    ["personas", "assign"],
    ["personas", "coverage"],
    ["success", "evaluate"],
    ["success", "status"],
    ["success", "flow"],
    ["success", "plan"],
    ["success", "signals"],
    ["vehicles", "list"],
    ["vehicles", "effect"],
    ["vehicles", "next"],
    ["vehicles", "enrol"],
    ["vehicles", "pnl"],
    ["clv", "models"],
    ["clv", "accounts"],
    ["clv", "forecast"],
    ["clv", "backtest"],
    ["playbooks", "list"],
    ["playbooks", "run"],
    ["playbooks", "log"],
    ["webhooks", "deliver"],
    ["surveys", "list"],
    ["surveys", "link"],
    ["surveys", "send"],
    ["surveys", "run"],
]


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("NORTHSTAR_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(app, list(args), catch_exceptions=False)
        result.text = " ".join(result.output.split())  # Rich wraps to the terminal width
        return result

    yield invoke
    reset_engines()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(run, command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output and "northstar" in result.output


def test_import_export_account_flow(run, tmp_path):
    accounts = tmp_path / "a.csv"
    accounts.write_text("external_id,name,segment\nX1,Xylo Ltd,SMB\n")
    assert "schema" in run("db", "upgrade").output
    out = run("import", "accounts", str(accounts))
    assert out.exit_code == 0 and "1 new" in out.text
    assert "1 unchanged" in run("import", "accounts", str(accounts)).text
    subs = tmp_path / "s.csv"
    subs.write_text(
        "external_id,account,product,product_line,mrr,start_date,status\nS1,X1,Core,core,250,2025-01-01,active\n"
    )
    out = run("import", "subscriptions", str(subs))
    assert out.exit_code == 0, out.text
    from northstar.db.engine import session_scope
    from northstar.portfolio.models import AccountSummary
    from northstar.store import open_settings

    with session_scope(open_settings().database_url) as db:  # the import refreshed the portfolio
        assert [(s.mrr, s.arr) for s in db.query(AccountSummary).all()] == [(250.0, 3000.0)]
    out = run("account", "X1")
    assert out.exit_code == 0 and "Xylo Ltd" in out.text and "Contacts" in out.text
    assert run("account", "nobody").exit_code == 1
    out = run("export", "accounts", str(tmp_path / "out.jsonl"))
    assert out.exit_code == 0 and '"Xylo Ltd"' in (tmp_path / "out.jsonl").read_text()


def test_bad_file_exits_non_zero_with_the_row(run, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("external_id,name,customer_since\nX1,Xylo,tomorrow\n")
    out = run("import", "accounts", str(bad))
    assert out.exit_code == 1
    assert "row 1" in out.text and "customer_since" in out.text
    assert run("import", "planets", str(bad)).exit_code == 1


def test_users_create(run):
    out = run("users", "create", "boss@example.com", "--role", "admin", "--password", "a-long-password")
    assert out.exit_code == 0 and "admin" in out.text
    assert run("users", "create", "x@example.com", "--password", "short").exit_code == 1
    assert run("users", "create", "x@example.com", "--role", "king", "--password", "a-long-password").exit_code == 1


def test_usage_rollup_and_usage_metrics(run, tmp_path):
    (tmp_path / "a.csv").write_text("external_id,name\nX1,Xylo Ltd\n")
    (tmp_path / "e.csv").write_text(
        "account,user_id,event,timestamp\nX1,u1,login,2025-03-01T10:00:00Z\nX1,u2,search,2025-03-02T10:00:00Z\n"
    )
    run("import", "accounts", str(tmp_path / "a.csv"))
    run("import", "events", str(tmp_path / "e.csv"))  # rolls the batch up itself
    out = run("usage", "rollup", "--rebuild")
    assert out.exit_code == 0 and "1 batch rolled up" in out.text
    out = run("metrics", "usage", "--to", "2025-03-02", "--format", "csv")
    assert out.exit_code == 0
    header, row = out.output.strip().splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert values["account"] == "X1" and values["users_30d"] == "2" and values["days_since_active"] == "1"
    assert "share-of-wallet" in run("metrics", "--list").text
    out = run("metrics", "usage", "--to", "2025-03-02", "--columns", "account,users_7d")
    assert out.exit_code == 0 and "users_7d" in out.text and "events_30d" not in out.text
    assert run("metrics", "usage", "--columns", "nope").exit_code == 1


def test_intake_and_webhooks_commands(run):
    assert "0 waiting" in run("intake", "status").text
    out = run("intake", "apply")
    assert out.exit_code == 0 and "0 log records applied" in out.text
    out = run("webhooks", "create", "https://hooks.example.test/ns", "-e", "account.created")
    assert out.exit_code == 0 and "whsec_" in out.output
    assert run("webhooks", "create", "ftp://nope").exit_code == 1
    listed = run("webhooks", "list").text
    assert "https:" in listed and "account.creat" in listed and "True" in listed
    assert "no deliveries" in run("webhooks", "deliveries").text
    assert "0 delivered" in run("webhooks", "deliver").text
