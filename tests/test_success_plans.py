"""Success plans: goal progress and status by hand, plans and goals imported from CSV (SQLite and PostgreSQL),
the ROI model's value to date counted from events by hand, and a plan's target milestone used by the success
map's states."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from northstar.cli.main import app
from northstar.config import Settings
from northstar.db.engine import session_scope
from northstar.ingest.service import import_file
from northstar.portfolio.service import refresh
from northstar.success.maps import FILE as MAPS
from northstar.success.models import SuccessGoal, SuccessStatus
from northstar.success.plans import ROI, RoiError, active_plan, goal_progress, goal_status, parse, plan_view
from northstar.success.progress import apply_success_maps


def _goal(start, current, target, due=None) -> SuccessGoal:  # noqa: ANN001
    return SuccessGoal(outcome="x", start_value=start, current_value=current, target_value=target, due_on=due)


def test_goal_progress_and_status_by_hand() -> None:
    start = date(2026, 1, 1)
    assert goal_progress(_goal(10, 15, 30)) == 0.25
    assert goal_progress(_goal(40, 25, 10)) == 0.5  # a target below the start: a backlog brought down
    assert goal_progress(_goal(10, 50, 30)) == 1.0 and goal_progress(_goal(10, 5, 30)) == 0.0  # clipped
    assert goal_progress(_goal(None, 5, 30)) is None and goal_progress(_goal(10, 5, 10)) is None
    due = date(2026, 5, 1)  # 120 days after the start
    # on 2026-03-02, 60 of 120 days (50%) have passed: 45% progress is within the 10-point slack, 35% is not
    today = date(2026, 3, 2)
    assert goal_status(_goal(0, 45, 100, due), start, today) == "on_track"
    assert goal_status(_goal(0, 35, 100, due), start, today) == "at_risk"
    assert goal_status(_goal(0, 100, 100, due), start, today) == "achieved"
    assert goal_status(_goal(0, 90, 100, due), start, date(2026, 5, 2)) == "missed"
    assert goal_status(_goal(None, 1, 2, due), start, today) == "no_target"


def test_roi_file_errors() -> None:
    with pytest.raises(RoiError, match="defaults for inputs the driver does not use: minutes"):
        parse(
            {
                "models": [
                    {
                        "product_line": "A",
                        "drivers": [{"key": "r", "name": "R", "event": "e", "per": [], "defaults": {"minutes": 3}}],
                    }
                ]
            }
        )


def _base(settings: Settings, tmp_path: Path) -> None:
    files = {
        "accounts": "external_id,name,persona,customer_since\nA1,Acme,p,2026-01-01\nA2,Bigco,p,2026-01-01\n",
        "subscriptions": "external_id,account,product,product_line,seats,mrr,currency,start_date,status\n"
        "S1,A1,Analytics,Analytics,5,100,USD,2026-01-01,active\nS2,A2,Analytics,Analytics,5,100,USD,2026-01-01,active\n",
        "events": "event_id,account,user_id,event,timestamp\n"
        "e1,A1,u1,schedule_report,2026-01-20T10:00:00Z\ne2,A1,u1,schedule_report,2026-02-20T10:00:00Z\n"
        "e3,A1,u2,schedule_report,2026-03-20T10:00:00Z\ne4,A1,u2,build_dashboard,2025-12-20T10:00:00Z\n"
        "e5,A2,u3,schedule_report,2026-02-03T10:00:00Z\n",
        "success_plans": "external_id,account,title,status,target_milestone,starts_on,due_on,inputs\n"
        'P1,A1,Board reporting,active,first_report,2026-02-01,2026-06-30,"{""hours_per_report"": 3}"\n',
        "goals": "external_id,plan,outcome,metric,unit,start_value,current_value,target_value,due_on\n"
        "G1,P1,Close the month faster,close,days,10,7,4,2026-06-30\n",
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        import_file(settings, kind, path)


def test_plans_roi_and_target_milestone(settings: Settings, tmp_path: Path) -> None:
    _base(settings, tmp_path)
    today = date(2026, 4, 1)
    refresh(settings, today)
    ROI.save(
        settings,
        yaml.safe_dump(
            {
                "models": [
                    {
                        "product_line": "Analytics",
                        "drivers": [
                            {
                                "key": "reports",
                                "name": "Reports sent automatically",
                                "event": "schedule_report",
                                "per": ["hours_per_report", "hourly_cost"],
                                "defaults": {"hours_per_report": 2, "hourly_cost": 50},
                            }
                        ],
                    }
                ]
            }
        ),
    )
    with session_scope(settings.database_url) as s:
        from sqlalchemy import select

        from northstar.accounts.models import Account

        a1 = s.scalar(select(Account.id).where(Account.external_id == "A1"))
        plan = active_plan(s, a1)
        assert plan is not None and plan.inputs == {"hours_per_report": 3}
        view = plan_view(settings, s, plan, today)
    # goal: 10 -> 7 days of a 10 -> 4 target: half way; 59 of 149 days passed (40%): on track
    (goal,) = view.goals
    assert goal.progress == pytest.approx(0.5) and goal.status == "on_track"
    # reports since the plan's start (02-01): 02-20 and 03-20 -> 2 × 3 h (the account's own) × 50 (default) = 300
    (driver,) = view.value
    assert (driver.count, driver.inputs, driver.value) == (2, {"hours_per_report": 3.0, "hourly_cost": 50.0}, 300.0)
    # paid: 100 MRR in February and in March and in April (the month of "today") = 300 -> ROI 1.0
    assert view.paid == pytest.approx(300.0) and view.roi == pytest.approx(1.0)
    # the plan's target milestone: reached, so A1 has achieved its plan though the map goes further
    MAPS.save(
        settings,
        yaml.safe_dump(
            {
                "maps": [
                    {
                        "persona": "p",
                        "milestones": [
                            {"key": "first_report", "name": "First report", "criteria": [{"event": "schedule_report"}]},
                            {
                                "key": "dashboards",
                                "name": "Dashboards",
                                "criteria": [{"event": "build_dashboard", "count": 3}],
                            },
                        ],
                    }
                ]
            }
        ),
    )
    apply_success_maps(settings, today)
    with session_scope(settings.database_url) as s:
        st = s.get(SuccessStatus, a1)
        assert (st.target_milestone, st.target_position, st.state) == ("first_report", 1, "achieved")
        others = [x for x in s.scalars(select(SuccessStatus)) if x.account_id != a1]
        assert [(x.target_milestone, x.state != "achieved") for x in others] == [("dashboards", True)]
    result = CliRunner().invoke(
        app, ["success", "plan", "--account", "A1", "--format", "json"], env={"NORTHSTAR_HOME": str(settings.home)}
    )
    if settings.database_url_override:  # the CLI reads NORTHSTAR_DATABASE_URL; the embedded store is enough here
        return
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    # the command measures on the real today: the same two reports, and the goal's status as of today
    expected = goal_status(_goal(10, 7, 4, date(2026, 6, 30)), date(2026, 2, 1), date.today())
    assert out["value_total"] == 300.0 and out["goals"][0]["status"] == expected
