"""Success vehicles: the estimator checked by hand, against causallib, and against simulations with a known
effect; on the demo, the estimates recover the effect the generator put in (within their intervals); the
enrolments' import, the playbook's ``enrol`` action, the next best action, the P&L and the commands."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import func, select

from northstar.db.engine import session_scope
from northstar.success import effects as fx
from northstar.success.vehicles import FILE, VehicleError, parse

AS_OF = date(2026, 11, 1)


def sigmoid(x):  # type: ignore[no-untyped-def]
    return 1 / (1 + np.exp(-x))


# ------------------------------------------------------------------------------------------------ by hand
def test_weighted_effects_by_hand() -> None:
    """Four accounts: enrolled (e=0.5, y=1), (e=0.8, y=1); comparison (e=0.5, y=0), (e=0.2, y=1).
    ATT: 1 - (1*0 + 0.25*1) / (1 + 0.25) = 0.8. ATE: treated mean with weights 2, 1.25 -> 1;
    comparison with weights 2, 1.25 -> 1.25/3.25; ATE = 1 - 0.384615... = 0.615385."""
    y = np.array([1.0, 1.0, 0.0, 1.0])
    t = np.array([True, True, False, False])
    e = np.array([0.5, 0.8, 0.5, 0.2])
    att, ate = fx.weighted_effects(y, t, e)
    assert att == pytest.approx(0.8)
    assert ate == pytest.approx(1 - 1.25 / 3.25)


def test_standardised_difference_by_hand() -> None:
    """Enrolled x = 1, 3 (mean 2, variance 1); comparison x = 0, 2 (mean 1, variance 1): (2 - 1) / 1 = 1.
    Weighted 3:1 towards the comparison's 2, its mean is 1.5: (2 - 1.5) / 1 = 0.5."""
    x = np.array([[1.0], [3.0], [0.0], [2.0]])
    t = np.array([True, True, False, False])
    assert fx.smd(x, t)[0] == pytest.approx(1.0)
    assert fx.smd(x, t, np.array([1.0, 3.0]))[0] == pytest.approx(0.5)


# ------------------------------------------------------------------------------------------------ simulations
def _simulate(rng: np.random.Generator, n: int, effect: float):  # type: ignore[no-untyped-def]
    """Two confounders raise both enrolment and the outcome; the outcome's log-odds rise by ``effect`` when
    enrolled. The true ATT is the mean over the enrolled of p1 - p0 (the potential outcomes' probabilities)."""
    x = rng.normal(size=(n, 2))
    t = rng.random(n) < sigmoid(-0.3 + 0.9 * x[:, 0] + 0.5 * x[:, 1])
    base = -0.4 + 0.8 * x[:, 0] + 0.6 * x[:, 1]
    p1, p0 = sigmoid(base + effect), sigmoid(base)
    y = (rng.random(n) < np.where(t, p1, p0)).astype(float)
    return x, t, y, float(np.mean((p1 - p0)[t])), float(np.mean(p1 - p0))


def test_the_intervals_cover_the_true_effect_and_the_plain_difference_does_not() -> None:
    """Over 30 simulated programs (1,200 accounts each) the 95% intervals hold the true ATT and ATE at least
    80% of the time (binomial: 95% coverage gives fewer than 24 of 30 with probability < 1%), and the
    weighted estimates are unbiased where the plain difference is not."""
    rng = np.random.default_rng(5)
    covered_att = covered_ate = 0
    errors, naive_errors = [], []
    for k in range(30):
        x, t, y, true_att, true_ate = _simulate(rng, 1200, 0.8)
        r = fx.estimate(x, t, y, boot=120, seed=k)
        covered_att += r["att_ci"][0] <= true_att <= r["att_ci"][1]
        covered_ate += r["ate_ci"][0] <= true_ate <= r["ate_ci"][1]
        errors.append(r["att"] - true_att)
        naive_errors.append(r["naive"] - true_att)
    assert covered_att >= 24 and covered_ate >= 24, (covered_att, covered_ate)
    assert abs(np.mean(errors)) < 0.015  # unbiased within simulation noise (sd of the mean ~0.006)
    assert np.mean(naive_errors) > 0.08  # confounded: the plain difference flatters the program


def test_ate_matches_causallib() -> None:
    """causallib's IPW (IBM's reference implementation) with the same propensity model gives the same
    population outcomes, and so the same ATE, to floating-point precision."""
    import pandas as pd
    from causallib.estimation import IPW
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(11)
    x, t, y, _att, _ate = _simulate(rng, 3000, 0.5)
    ours = fx.estimate(x, t, y, boot=1)
    assert ours["trimmed"] == 0
    z = pd.DataFrame((x - x.mean(axis=0)) / x.std(axis=0))
    ipw = IPW(LogisticRegression(C=100.0, max_iter=2000))
    ipw.fit(z, pd.Series(t.astype(int)))
    outcomes = ipw.estimate_population_outcome(z, pd.Series(t.astype(int)), pd.Series(y))
    assert ours["ate"] == pytest.approx(outcomes[1] - outcomes[0], abs=1e-9)


def test_att_matches_an_independent_computation() -> None:
    """ATT with the propensity from statsmodels' unpenalised logit (another library, another fit) agrees with
    ours (lightly regularised) to three decimals."""
    import statsmodels.api as sm

    rng = np.random.default_rng(12)
    x, t, y, _att, _ate = _simulate(rng, 3000, 0.5)
    ours = fx.estimate(x, t, y, boot=1)
    e = sm.Logit(t.astype(float), sm.add_constant(x)).fit(disp=0).predict(sm.add_constant(x))
    w = e[~t] / (1 - e[~t])
    expected = y[t].mean() - np.sum(w * y[~t]) / np.sum(w)
    assert ours["att"] == pytest.approx(expected, abs=1e-3)


def test_no_effect_is_found_to_be_none() -> None:
    rng = np.random.default_rng(13)
    x, t, y, true_att, _ate = _simulate(rng, 2000, 0.0)
    r = fx.estimate(x, t, y, boot=200)
    assert true_att == 0 and r["att_ci"][0] < 0 < r["att_ci"][1]


# ------------------------------------------------------------------------------------------------ the file
@pytest.mark.parametrize(
    ("vehicle", "message"),
    [
        ({"key": "a", "name": "A", "serves": []}, "vehicles[0].serves: List should have at least 1 item"),
        ({"key": "a", "name": "A", "serves": ["x"], "kind": "party"}, "vehicles[0].kind"),
        ({"key": "a", "name": "A", "serves": ["x"], "cost": {"per_enrolment": -1}}, "vehicles[0].cost.per_enrolment"),
        ({"key": "A b", "name": "A", "serves": ["x"]}, "vehicles[0].key"),
        ({"key": "a", "name": "A", "serves": ["x"], "colour": "red"}, "vehicles[0].colour"),
    ],
)
def test_vehicle_file_errors_name_the_place(vehicle: dict, message: str) -> None:
    with pytest.raises(VehicleError) as exc:
        parse({"vehicles": [vehicle]}, "vehicles.yaml")
    assert message in str(exc.value) and str(exc.value).startswith("vehicles.yaml: ")


def test_vehicle_keys_are_unique() -> None:
    v = {"key": "a", "name": "A", "serves": ["x"]}
    with pytest.raises(VehicleError, match="unique: a"):
        parse({"vehicles": [v, v]})


# ------------------------------------------------------------------------------------------------ the demo
@pytest.fixture(scope="module")
def demo(demo_site):  # type: ignore[no-untyped-def]
    settings, _email, _owner = demo_site("vehicles", 42, accounts=2000)
    return settings


def _truth_att(settings, c: fx.Cohort) -> float:  # type: ignore[no-untyped-def]
    """The true effect on the enrolled accounts the estimate counts: for each, reached within the horizon as
    it happened minus as it would have without the vehicle (the generator's counterfactual first use)."""
    truth = pq.read_table(settings.home / "demo_vehicles_truth.parquet").to_pandas()
    truth = truth[truth.vehicle == c.vehicle].set_index("account_id")
    y = c.outcomes["milestone"]
    diffs = []
    for account_id, start, seen, enrolled in zip(c.account_ids, c.starts, ~np.isnan(y), c.treated, strict=True):
        if not (seen and enrolled):
            continue
        row, until = truth.loc[account_id], start + timedelta(days=fx.HORIZON_DAYS)
        with_it = row.first_use_with is not None and row.first_use_with <= until
        without = row.first_use_without is not None and row.first_use_without <= until
        diffs.append(float(with_it) - float(without))
    return float(np.mean(diffs))


def test_the_demo_estimates_recover_the_generators_effects(demo) -> None:
    """Acceptance: for each demo vehicle, the true effect on the enrolled lies within the estimate's interval;
    the strongest (Dashboard Academy, +2.0 log-odds) is found to work, the webinars (no effect) are not."""
    from northstar.success.maps import FILE as MAPS

    maps, config = MAPS.load(demo), FILE.load(demo)
    found = {}
    with session_scope(demo.database_url) as s:
        for v in config.vehicles:
            c = fx.cohort(demo, s, v, maps, AS_OF)
            e = fx.effect(c, "milestone", boot=300)
            assert e is not None and e.n_enrolled >= 60, v.key
            truth = _truth_att(demo, c)
            assert e.att_ci[0] <= truth <= e.att_ci[1], (v.key, truth, e.att, e.att_ci)
            found[v.key] = (e, truth)
    academy, truth = found["dashboard_academy"]
    assert truth > 0.1 and academy.significant
    webinars, truth = found["reporting_webinars"]
    assert truth == 0 and not webinars.significant
    assert any("includes zero" in c for c in webinars.caveats)


def test_the_counterfactual_bookkeeping_matches_the_stored_milestones(demo) -> None:
    """The truth file's first use with the vehicle is the day the stored milestone was reached, for every
    enrolled account that was not there when its step began: the counterfactual is read off the same draws."""
    from northstar.success.maps import FILE as MAPS
    from northstar.success.models import MilestoneReached

    maps, config = MAPS.load(demo), FILE.load(demo)
    truth = pq.read_table(demo.home / "demo_vehicles_truth.parquet").to_pandas()
    checked = 0
    with session_scope(demo.database_url) as s:
        for v in config.vehicles:
            c = fx.cohort(demo, s, v, maps, AS_OF)
            rows = truth[truth.vehicle == v.key].set_index("account_id")
            for account_id in c.account_ids[c.treated]:
                day = s.scalar(
                    select(MilestoneReached.reached_on).where(
                        MilestoneReached.account_id == int(account_id), MilestoneReached.milestone == v.serves[0]
                    )
                )
                assert day == rows.loc[account_id].first_use_with, account_id
                checked += 1
    assert checked > 200


def test_enrolments_import_and_the_enrol_action(demo, tmp_path) -> None:
    """An import of enrolments names the row and field of a bad value and writes nothing; the playbook's enrol
    action enrols once (a second firing finds it enrolled), and a dry run changes nothing."""
    import dataclasses

    from northstar.accounts.models import Account
    from northstar.ingest.errors import ImportFailed
    from northstar.ingest.service import import_file
    from northstar.playbooks.definitions import parse as parse_playbooks
    from northstar.playbooks.engine import run
    from northstar.success.models import SuccessStatus, VehicleEnrolment

    settings = dataclasses.replace(demo)
    bad = tmp_path / "enrolments.csv"
    bad.write_text(
        "external_id,account,vehicle,enrolled_on\nE1,ACME-000001,dashboard_academy,2026-10-01\nE2,ACME-000002,x,someday\n"
    )
    with session_scope(settings.database_url) as s:
        before = s.scalar(select(func.count()).select_from(VehicleEnrolment))
    with pytest.raises(ImportFailed) as exc:
        import_file(settings, "enrolments", bad)
    assert "row 2, column 'enrolled_on'" in str(exc.value)
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(VehicleEnrolment)) == before
        stuck = s.scalars(
            select(Account.name)
            .join(SuccessStatus, SuccessStatus.account_id == Account.id)
            .where(SuccessStatus.state == "stuck")
            .order_by(Account.id)
            .limit(3)
        ).all()
    assert stuck
    playbook = {
        "key": "academy",
        "name": "Academy for stuck accounts",
        "when": {"milestone_stalled": {"states": ["stuck"]}},
        "only": [{"field": "name", "in": list(stuck)}],
        "cooldown_days": 0,
        "actions": [{"enrol": {"vehicle": "dashboard_academy"}}],
    }
    config = parse_playbooks({"playbooks": [playbook]})
    dry = run(settings, config, dry_run=True)
    assert {r[0]["result"] for *_x, r in dry.fired} <= {"would enrol", "already enrolled"}
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(VehicleEnrolment)) == before
    first = run(settings, config)
    second = run(settings, config)
    assert len(first.fired) == len(stuck)
    assert all(r[0]["result"] == "already enrolled" for *_x, r in second.fired)
    with session_scope(settings.database_url) as s:
        made = s.scalar(
            select(func.count()).select_from(VehicleEnrolment).where(VehicleEnrolment.source == "playbook:academy")
        )
    assert made == sum(r[0]["result"] == "enrolled" for *_x, r in first.fired) >= 1
    unknown = parse_playbooks({"playbooks": [{**playbook, "key": "nope", "actions": [{"enrol": {"vehicle": "nope"}}]}]})
    assert all(r[0]["result"].startswith("failed: no such vehicle") for *_x, r in run(settings, unknown).fired)


def test_next_best_action_and_the_pnl(demo) -> None:
    """A stuck account is offered the vehicles that serve its next milestone, measured ones first; the P&L's
    cost is enrolments x price + 12 x the monthly price, and its attributed revenue is ATT(NRR) x start ARR x
    enrolments."""
    from northstar.success.models import SuccessStatus, VehicleEnrolment
    from northstar.success.programs import measure, next_best, pnl

    config = FILE.load(demo)
    with session_scope(demo.database_url) as s:
        reports = measure(demo, s, AS_OF, boot=60)
        stuck = s.scalars(
            select(SuccessStatus).where(
                SuccessStatus.state.in_(("behind", "stuck")), SuccessStatus.next_milestone == "first_dashboard"
            )
        ).all()
        assert stuck
        for status in stuck[:5]:
            suggestions = next_best(s, config, status.account_id, reports)
            open_ = set(
                s.scalars(
                    select(VehicleEnrolment.vehicle).where(
                        VehicleEnrolment.account_id == status.account_id, VehicleEnrolment.status == "enrolled"
                    )
                )
            )
            assert [x.vehicle.key for x in suggestions] == [k for k in ["dashboard_academy"] if k not in open_]
        on_track = s.scalar(select(SuccessStatus.account_id).where(SuccessStatus.state == "on_track"))
        assert next_best(s, config, on_track, reports) == []
        lines = pnl(s, config, reports, AS_OF)
        since = AS_OF - timedelta(days=round(12 * 30.44))
        for line in lines:
            v = config.get(line.vehicle)
            n = s.scalar(
                select(func.count())
                .select_from(VehicleEnrolment)
                .where(
                    VehicleEnrolment.vehicle == v.key,
                    VehicleEnrolment.enrolled_on > since,
                    VehicleEnrolment.enrolled_on <= AS_OF,
                )
            )
            assert line.enrolments == n
            assert line.cost == pytest.approx(n * v.cost.per_enrolment + 12 * v.cost.per_month)
            e = next(r for r in reports if r.vehicle.key == v.key).effects["nrr"]
            if e is not None:
                assert line.attributed == pytest.approx(e.att * e.enrolled_start_arr * n)


def test_the_commands(demo, monkeypatch) -> None:
    import json

    from typer.testing import CliRunner

    from northstar.cli.main import app

    monkeypatch.setenv("NORTHSTAR_HOME", str(demo.home))
    monkeypatch.delenv("NORTHSTAR_DATABASE_URL", raising=False)

    def run_cli(_settings, *args):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(app, list(args), catch_exceptions=False)

    listed = run_cli(demo, "vehicles", "list")
    assert listed.exit_code == 0 and "Success vehicles" in listed.output and "Dashboard" in listed.output
    out = run_cli(
        demo,
        "vehicles",
        "effect",
        "--vehicle",
        "reporting_webinars",
        "--as-of",
        "2026-11-01",
        "--bootstrap",
        "60",
        "--format",
        "json",
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data[0]["vehicle"] == "reporting_webinars" and set(data[0]["effects"]) == set(fx.OUTCOMES)
    bad = run_cli(demo, "vehicles", "effect", "--vehicle", "nope")
    assert bad.exit_code == 1 and "No vehicle 'nope'" in bad.output
    pnl = run_cli(demo, "vehicles", "pnl", "--as-of", "2026-11-01")
    assert pnl.exit_code == 0 and "Program P&L" in pnl.output
    assert yaml.safe_load(FILE.text(demo))["vehicles"]


def test_the_pages_show_the_effects_and_the_next_best_action(demo) -> None:
    """/success lists each vehicle's measured effects and the P&L once measured (an explained empty state
    before); an account behind on the way to its first dashboard is offered the Dashboard Academy."""
    import dataclasses
    from datetime import UTC, datetime

    from conftest import sign_in
    from northstar.accounts.models import Account
    from northstar.auth.models import Role
    from northstar.auth.service import create_user
    from northstar.success.models import SuccessStatus, VehicleEnrolment
    from northstar.success.programs import measured

    settings = dataclasses.replace(demo, intake_worker=False)
    with session_scope(settings.database_url) as s:
        create_user(s, "ops@example.com", "correct horse battery", Role.ADMIN)
        enrolled = select(VehicleEnrolment.account_id).where(VehicleEnrolment.status == "enrolled")
        behind = s.scalar(
            select(Account.id)
            .join(SuccessStatus, SuccessStatus.account_id == Account.id)
            .where(
                SuccessStatus.state.in_(("behind", "stuck")),
                SuccessStatus.next_milestone == "first_dashboard",
                Account.id.not_in(enrolled),
            )
            .order_by(Account.id)
        )
    client = sign_in(settings, "ops@example.com")
    assert "being measured" in client.get("/success").text
    assert "being measured" in client.get(f"/accounts/{behind}").text
    measured(settings, datetime.now(UTC).date())
    page = client.get("/success").text
    assert 'data-testid="vehicle-effects"' in page and "Dashboard Academy" in page
    assert 'data-testid="program-pnl"' in page
    account = client.get(f"/accounts/{behind}").text
    assert 'data-testid="next-actions"' in account and "Dashboard Academy" in account


def test_the_configuration_pages(demo) -> None:
    """CS operations edit the success configuration in the app: a text with a problem is refused with the
    place named and changes nothing; a good one is saved with the old version kept; the playbooks page runs a
    dry run and shows the audit log; a CSM may not open it."""
    import dataclasses

    from conftest import sign_in
    from northstar.auth.models import Role
    from northstar.auth.service import create_user
    from northstar.playbooks.models import PlaybookRun

    settings = dataclasses.replace(demo, intake_worker=False)
    with session_scope(settings.database_url) as s:
        create_user(s, "config@example.com", "correct horse battery", Role.ADMIN)
    admin = sign_in(settings, "config@example.com")
    page = admin.get("/admin/config/vehicles")
    assert page.status_code == 200 and "dashboard_academy" in page.text
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    before = FILE.text(settings)
    bad = admin.post(
        "/admin/config/vehicles", data={"csrf": token, "text": "vehicles:\n  - {key: x, name: X, serves: []}\n"}
    )
    assert bad.status_code == 422 and "vehicles[0].serves" in bad.text
    assert FILE.text(settings) == before
    changed = before.replace("per_enrolment: 400", "per_enrolment: 450")
    ok = admin.post("/admin/config/vehicles", data={"csrf": token, "text": changed}, follow_redirects=False)
    assert ok.status_code == 303 and FILE.text(settings) == changed
    assert FILE.history(settings) and FILE.history(settings)[0].read_text() == before
    assert admin.get("/admin/config/nothing").status_code == 404
    with session_scope(settings.database_url) as s:
        dry_before = s.scalar(select(func.count()).select_from(PlaybookRun).where(PlaybookRun.dry_run.is_(True)))
    dry = admin.post("/admin/config/playbooks/dry-run", data={"csrf": token})
    assert dry.status_code == 200 and 'id="dry-run"' in dry.text
    with session_scope(settings.database_url) as s:
        made = s.scalar(select(func.count()).select_from(PlaybookRun).where(PlaybookRun.dry_run.is_(True)))
    assert made > dry_before and 'data-testid="dry-run"' in dry.text  # the demo's playbooks would fire
    audit = admin.get("/admin/config/playbooks").text
    assert 'data-testid="playbook-runs"' in audit and "dry run" in audit
    from conftest import SITE_PASSWORD

    csm_email = demo_csm_email(settings)
    csm = sign_in(settings, csm_email, SITE_PASSWORD)
    assert csm.get("/admin/config/vehicles").status_code == 403


def demo_csm_email(settings) -> str:  # type: ignore[no-untyped-def]
    from northstar.auth.models import Role, User

    with session_scope(settings.database_url) as s:
        return s.scalar(select(User.email).where(User.role == Role.CSM).order_by(User.id))
