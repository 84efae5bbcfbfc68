"""Success maps: the file's checks, the ordered path, Kaplan-Meier pace and states computed by hand, a full
evaluation on a small customer base (on SQLite and PostgreSQL) with a map edited and re-evaluated, flow
analytics counted by hand, and the demo's milestone days checked against its raw events."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml
from sqlalchemy import select

from northstar.accounts.models import Account, Contact
from northstar.config import Settings
from northstar.db.engine import session_scope
from northstar.ingest.service import import_file
from northstar.portfolio.service import refresh
from northstar.success.flow import flow
from northstar.success.maps import FILE, Criterion, SuccessMapError, map_version, parse
from northstar.success.models import MilestoneReached, SuccessStatus
from northstar.success.progress import Pace, apply_success_maps, criterion_days, paces, paths, state_of


def _map(milestones: list[dict], persona: str = "p") -> dict:
    return {"maps": [{"persona": persona, "milestones": milestones}]}


@pytest.mark.parametrize(
    ("milestone", "message"),
    [
        ({"key": "a", "name": "A", "criteria": [{"event": "x", "active_users": 2}]}, "got event, active_users"),
        ({"key": "a", "name": "A", "criteria": [{"count": 2}]}, "got none"),
        ({"key": "a", "name": "A", "criteria": [{"assessment": "review"}]}, "needs min_score"),
        ({"key": "a", "name": "A", "criteria": [{"event": "x", "min_score": 3}]}, "belongs to an assessment"),
        ({"key": "a", "name": "A", "criteria": []}, "at least 1 item"),
        ({"key": "A b", "name": "A", "criteria": [{"touchpoint": "kickoff"}]}, "pattern"),
    ],
)
def test_map_file_errors_name_the_place(milestone: dict, message: str) -> None:
    with pytest.raises(SuccessMapError, match=message) as exc:
        parse(_map([milestone]), "success_maps.yaml")
    assert str(exc.value).startswith("success_maps.yaml: maps[0].milestones[0]")


def test_unique_keys_and_versions() -> None:
    m = {"key": "a", "name": "A", "criteria": [{"touchpoint": "kickoff"}]}
    with pytest.raises(SuccessMapError, match="unique within a map: a"):
        parse(_map([m, m]))
    with pytest.raises(SuccessMapError, match="one map per persona: p"):
        parse({"maps": _map([m])["maps"] * 2})
    one, same = parse(_map([m])).maps[0], parse(_map([dict(m)])).maps[0]
    other = parse(_map([{**m, "name": "Kick-off held"}])).maps[0]
    assert map_version(one) == map_version(same) != map_version(other)


def test_the_path_is_ordered() -> None:
    config = parse(
        _map(
            [
                {"key": "a", "name": "A", "criteria": [{"touchpoint": "kickoff"}]},
                {"key": "b", "name": "B", "criteria": [{"event": "x"}, {"active_users": 2}]},
                {"key": "c", "name": "C", "criteria": [{"event": "y"}]},
            ]
        )
    )
    kickoff, x, users, y = (c for ms in config.maps[0].milestones for c in ms.criteria)
    d = date(2026, 1, 1)
    days = {
        kickoff: {1: d + timedelta(10), 2: d + timedelta(5), 3: d + timedelta(1)},
        x: {1: d + timedelta(3), 2: d + timedelta(20), 3: d + timedelta(2)},
        users: {1: d + timedelta(4), 2: d + timedelta(25)},  # account 3 never has two users
        y: {1: d + timedelta(30), 2: d + timedelta(21), 3: d + timedelta(3)},
    }
    got = {p.account_id: p.reached for p in paths(config.maps[0], {1: d, 2: d, 3: d}, days)}
    # 1: B's criteria held before A; B counts from A's day. 2: C held before B; from B's day.
    assert got[1] == [d + timedelta(10), d + timedelta(10), d + timedelta(30)]
    assert got[2] == [d + timedelta(5), d + timedelta(25), d + timedelta(25)]
    assert got[3] == [d + timedelta(1), None, None]  # C's criterion held, but B was never reached


def test_pace_is_kaplan_meier_and_states_follow_it() -> None:
    config = parse(_map([{"key": "a", "name": "A", "criteria": [{"touchpoint": "kickoff"}]}]))
    start, as_of = date(2026, 1, 1), date(2026, 1, 31)
    kickoff = config.maps[0].milestones[0].criteria[0]
    days = {kickoff: {1: start + timedelta(10), 2: start + timedelta(20), 4: start + timedelta(40)}}
    starts = {1: start, 2: start, 3: start, 4: start - timedelta(10)}
    # durations 10, 20 (events), 30 (censored at as_of), 50 (event: 40 days after a start 10 days earlier)
    # S(10) = 3/4, S(20) = 3/4 * 2/3 = 1/2 -> median 20; S(50) = 0 -> 90th percentile 50
    (pace,) = paces(config.maps[0], paths(config.maps[0], starts, days), as_of)
    assert pace == Pace(started=4, completed=3, usual=20.0, slow=50.0)
    assert state_of(15, pace, False, True) == "on_track"
    assert state_of(20, pace, False, True) == "on_track"
    assert state_of(35, pace, False, True) == "behind"
    assert state_of(51, pace, False, True) == "stuck"
    assert state_of(51, pace, True, True) == "achieved"
    assert state_of(5, pace, False, False) == "inactive"
    assert state_of(5, Pace(3, 0, None, None), False, True) == "unknown"
    assert state_of(5, Pace(30, 2, None, None), False, True) == "stuck"  # under 10% ever complete it
    assert state_of(5, Pace(10, 3, None, None), False, True) == "behind"


def _customer_base(settings: Settings, tmp_path: Path) -> None:
    files = {
        "accounts": "external_id,name,persona,customer_since\n"
        "A1,Acme,p,2026-01-01\nA2,Bigco,p,2026-01-01\nA3,Cobalt,p,2026-01-01\nA4,Other,q,2026-01-01\n",
        "subscriptions": "external_id,account,product,product_line,seats,mrr,currency,start_date,status\n"
        "S1,A1,App,App,5,100,USD,2026-01-01,active\nS2,A2,App,App,5,100,USD,2026-01-01,active\n"
        "S3,A3,App,App,5,100,USD,2026-01-01,active\n",
        "events": "event_id,account,user_id,event,timestamp\n"
        "e1,A1,u1,login,2026-01-05T10:00:00Z\ne2,A1,u2,login,2026-01-06T10:00:00Z\n"
        "e3,A1,u1,build_dashboard,2026-01-20T10:00:00Z\ne4,A1,u2,build_dashboard,2026-02-01T10:00:00Z\n"
        "e5,A2,u3,login,2026-01-03T10:00:00Z\ne6,A2,u3,build_dashboard,2026-01-04T10:00:00Z\n"
        "e7,A2,u4,login,2026-03-01T10:00:00Z\ne8,A2,u4,build_dashboard,2026-03-02T10:00:00Z\n"
        "e9,A3,u5,login,2026-01-02T10:00:00Z\n",
        "contacts": "external_id,account,name,email,role,language\n"
        "C1,A1,Ann,ann@acme.example,champion,it\nC3,A3,Carl,carl@cobalt.example,champion,en\n",
        "touchpoints": "external_id,account,channel,kind,occurred_at\n"
        "T1,A1,meeting,kickoff,2026-01-10T09:00:00Z\nT2,A2,meeting,kickoff,2026-01-02T09:00:00Z\n"
        "T3,A3,meeting,kickoff,2026-01-03T09:00:00Z\n",
        "assessments": "external_id,account,kind,score,max_score,assessed_at\n"
        "R1,A1,maturity,3,5,2026-02-10T00:00:00Z\nR2,A1,maturity,4,5,2026-03-10T00:00:00Z\n"
        "R3,A2,maturity,5,5,2026-04-01T00:00:00Z\n",
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        import_file(settings, kind, path)


MAP = _map(
    [
        {"key": "kickoff", "name": "Kick-off", "criteria": [{"touchpoint": "kickoff"}]},
        {"key": "team", "name": "Team using it", "criteria": [{"active_users": 2}]},
        {"key": "dashboards", "name": "Dashboards", "criteria": [{"event": "build_dashboard", "count": 2}]},
        {"key": "mature", "name": "Mature", "criteria": [{"assessment": "maturity", "min_score": 4}]},
    ]
)


def test_evaluation_on_a_small_customer_base(settings: Settings, tmp_path: Path) -> None:
    _customer_base(settings, tmp_path)
    as_of = date(2026, 4, 30)
    refresh(settings, as_of)
    FILE.save(settings, yaml.safe_dump(MAP))
    result = apply_success_maps(settings, as_of)
    assert result is not None and result.accounts == 3  # A4's persona has no map
    with session_scope(settings.database_url) as s:
        ids = dict(s.execute(select(Account.external_id, Account.id)).all())
        reached = {
            (a, m): d
            for a, m, d in s.execute(
                select(MilestoneReached.account_id, MilestoneReached.milestone, MilestoneReached.reached_on)
            )
        }
        status = {st.account_id: st for st in s.scalars(select(SuccessStatus))}
    a1, a2, a3 = ids["A1"], ids["A2"], ids["A3"]
    # A1: kickoff 01-10; second user 01-06 -> team on 01-10; 2nd dashboard 02-01; maturity 4 on 03-10
    assert [reached.get((a1, k)) for k in ("kickoff", "team", "dashboards", "mature")] == [
        date(2026, 1, 10),
        date(2026, 1, 10),
        date(2026, 2, 1),
        date(2026, 3, 10),
    ]
    # A2: kickoff 01-02; second user 03-01; 2nd dashboard 03-02; maturity 5 on 04-01
    assert [reached.get((a2, k)) for k in ("kickoff", "team", "dashboards", "mature")] == [
        date(2026, 1, 2),
        date(2026, 3, 1),
        date(2026, 3, 2),
        date(2026, 4, 1),
    ]
    assert [reached.get((a3, k)) for k in ("kickoff", "team")] == [date(2026, 1, 3), None]
    assert status[a1].state == status[a2].state == "achieved"
    # A3 waits for a second user since 01-03 (117 days); the step took 0 days for A1 and 58 for A2 (events),
    # A3 censored at 117: KM median 58, 90th percentile none (S never falls below 1/3)
    st = status[a3]
    assert (st.current_milestone, st.next_milestone, st.days_in_stage) == ("kickoff", "team", 117)
    assert (st.usual_days, st.slow_days, st.state) == (58.0, None, "stuck")
    with session_scope(settings.database_url) as s:
        steps = {f.milestone: f for f in flow(s, FILE.load(settings), as_of)}
    assert [steps[k].reached for k in ("kickoff", "team", "dashboards", "mature")] == [3, 2, 2, 2]
    assert steps["team"].conversion == pytest.approx(2 / 3) and steps["dashboards"].conversion == 1.0
    # edit the map: a new version is evaluated from the data; the old version's rows stay
    old_version = st.map_version
    edited = yaml.safe_load(yaml.safe_dump(MAP))
    edited["maps"][0]["milestones"][1]["criteria"] = [{"active_users": 1}]
    FILE.save(settings, yaml.safe_dump(edited), by="ops@example.com")
    apply_success_maps(settings, as_of)
    with session_scope(settings.database_url) as s:
        st = s.get(SuccessStatus, a3)
        assert st.map_version != old_version and st.current_milestone == "team"
        versions = set(s.scalars(select(MilestoneReached.map_version).where(MilestoneReached.account_id == a1)))
        assert versions == {old_version, st.map_version}
    assert len(FILE.history(settings)) == 1


def test_demo_milestone_days_match_its_raw_events(demo_site) -> None:
    settings, _, _ = demo_site("success", 5)
    config = FILE.load(settings)
    assert config is not None
    as_of = date(2026, 11, 1)
    criterion = Criterion(event="build_dashboard", count=1)
    with session_scope(settings.database_url) as s:
        measured = criterion_days(settings, s, [criterion], as_of)[criterion]
        mapped = {a for (a,) in s.execute(select(SuccessStatus.account_id))}
        personas = {a for (a,) in s.execute(select(Account.id).where(Account.persona.is_not(None)))}
    assert mapped == personas  # every account with a persona has a state
    events = str(settings.events_dir / "**" / "*.parquet")
    raw = dict(
        duckdb.sql(
            f"SELECT account_id, MIN(CAST(timestamp AS DATE)) FROM read_parquet('{events}', hive_partitioning=false) "
            f"WHERE event = 'build_dashboard' AND timestamp < TIMESTAMP '{as_of + timedelta(days=1)}' GROUP BY 1"
        ).fetchall()
    )
    assert measured and measured == raw


def test_a_survey_asks_when_a_milestone_is_reached(settings: Settings, tmp_path: Path) -> None:
    """Issue 7's milestone trigger: an onboarding survey to the accounts that reached "team" lately."""
    from northstar.surveys.definitions import parse as surveys
    from northstar.surveys.triggers import due

    _customer_base(settings, tmp_path)
    as_of = date(2026, 4, 30)
    refresh(settings, as_of)
    FILE.save(settings, yaml.safe_dump(MAP))
    apply_success_maps(settings, as_of)
    config = surveys(
        {
            "surveys": [
                {
                    "key": "onboarding-csat",
                    "type": "csat",
                    "touchpoint": "onboarding",
                    "question": {"en": "How was getting started?"},
                    "trigger": {"when": "milestone", "kind": "team", "within_days": 60},
                    "audience": ["champion"],
                }
            ]
        }
    )
    from datetime import UTC, datetime

    with session_scope(settings.database_url) as s:
        ids = dict(s.execute(select(Account.external_id, Account.id)).all())
        # "team" reached: A1 on 01-10, A2 on 03-01 (it has no champion to ask), A3 never
        c1 = s.scalar(select(Contact.id).where(Contact.external_id == "C1"))
        late = due(s, config, datetime(2026, 4, 30, 12, tzinfo=UTC))  # 60 days back: only A2's day
        early = due(s, config, datetime(2026, 3, 5, tzinfo=UTC))  # both days: A1's champion
        before = due(s, config, datetime(2026, 1, 9, tzinfo=UTC))  # before anyone reached it
    assert late == [] and before == []
    assert [(d.survey, d.contact_id, d.trigger) for d in early] == [
        ("onboarding-csat", c1, f"milestone:team:{ids['A1']}")
    ]
