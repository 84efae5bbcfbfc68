"""Upsell and cross-sell signals on a hand-made customer base: seats near the licence limit from the people
active in the last 30 days, and heavy use of a feature an add-on extends, with the evidence counted by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from northstar.config import Settings
from northstar.db.engine import session_scope
from northstar.ingest.service import import_file
from northstar.success.expansion import FILE, ExpansionError, parse, signals


def test_file_errors_name_the_place() -> None:
    with pytest.raises(ExpansionError, match=r"expansion.yaml: addons\[0\].signals\[0\].count"):
        parse({"addons": [{"product_line": "X", "signals": [{"event": "e", "count": 0}]}]}, "expansion.yaml")


def test_signals_counted_by_hand(settings: Settings, tmp_path: Path) -> None:
    events = ["event_id,account,user_id,event,timestamp"]
    # A1: 3 seats, 3 people active in the window (u1..u3), 1 long before it; 9 scheduled reports in 30 days
    for k, user in enumerate(("u1", "u2", "u3")):
        events.append(f"a{k},A1,{user},login,2026-10-20T10:00:00Z")
    events.append("old,A1,u9,login,2026-06-01T10:00:00Z")
    events += [f"r{k},A1,u1,schedule_report,2026-10-{10 + k:02d}T10:00:00Z" for k in range(9)]
    events += ["early,A1,u1,schedule_report,2026-09-01T10:00:00Z"]  # before the 30 days: not counted
    # A2: 10 seats, 2 people; 9 reports but it already has Automation; A3 pays nothing
    events += ["b1,A2,v1,login,2026-10-20T10:00:00Z", "b2,A2,v2,login,2026-10-21T10:00:00Z"]
    events += [f"s{k},A2,v1,schedule_report,2026-10-{10 + k:02d}T10:00:00Z" for k in range(9)]
    events += [f"t{k},A3,w{k},login,2026-10-20T10:00:00Z" for k in range(5)]
    files = {
        "accounts": "external_id,name\nA1,Acme\nA2,Bigco\nA3,Cobalt\n",
        "subscriptions": "external_id,account,product,product_line,seats,mrr,currency,start_date,status\n"
        "S1,A1,Analytics,Analytics,3,100,USD,2026-01-01,active\n"
        "S2,A2,Analytics,Analytics,10,100,USD,2026-01-01,active\n"
        "S3,A2,Flow,Automation,10,50,USD,2026-01-01,active\n"
        "S4,A3,Analytics,Analytics,2,100,USD,2025-01-01,canceled\n",
        "events": "\n".join(events) + "\n",
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        import_file(settings, kind, path)
    rules = {
        "addons": [
            {
                "product_line": "Automation",
                "reason": "Automate it",
                "signals": [{"event": "schedule_report", "count": 8}],
            }
        ]
    }
    FILE.save(settings, yaml.safe_dump(rules))
    with session_scope(settings.database_url) as s:
        from sqlalchemy import select

        from northstar.accounts.models import Account

        ids = dict(s.execute(select(Account.external_id, Account.id)).all())
        found = signals(settings, s, date(2026, 10, 31))
    got = {(x.account_id, x.kind): x for x in found}
    assert set(got) == {
        (ids["A1"], "seats"),
        (ids["A1"], "addon"),
    }  # A2: 2 of 10 seats, has Automation; A3 pays nothing
    seats = got[ids["A1"], "seats"]
    assert seats.evidence == "3 people active in the last 30 days for 3 licensed seats" and seats.strength == 1.0
    addon = got[ids["A1"], "addon"]
    assert addon.product_line == "Automation"
    assert addon.evidence == "Automate it: schedule_report 9 times in 30 days (signal at 8)"
