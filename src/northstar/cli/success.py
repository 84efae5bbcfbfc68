"""``northstar personas``: personas by rules, and their coverage of accounts and revenue."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

personas_app = typer.Typer(
    help="Personas: rules, assignment, and coverage of accounts and revenue.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)


def _config(settings):  # noqa: ANN001, ANN202
    from northstar.cli.config import load
    from northstar.success.personas import FILE

    return load(FILE, settings)


@personas_app.command("list")
def list_personas() -> None:
    """The personas defined in NORTHSTAR_HOME/personas.yaml, in the order their rules are tried.

    Example: [bold]northstar personas list[/bold]
    """
    from northstar.store import open_settings

    config = _config(open_settings())
    if config is None:
        console.print("No personas.yaml in the data folder: accounts keep the personas they were imported with.")
        return
    table = Table("key", "name", "rules", "outcome", title="Personas (first match wins)")
    for p in config.personas:
        rules = f" {p.match.upper()} ".join(f"{r.field} {r.op} {r.value!r}" for r in p.rules)
        table.add_row(p.key, p.name, rules, p.outcome)
    console.print(table)


@personas_app.command("assign")
def assign(
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; change nothing."),
) -> None:
    """Give every account the first persona whose rules hold (else none), by NORTHSTAR_HOME/personas.yaml.

    The worker beside the web server does this every 15 minutes too.

    Example: [bold]northstar personas assign --dry-run[/bold]
    """
    from collections import Counter

    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.success.personas import UNASSIGNED, account_frame, assign_personas
    from northstar.success.personas import assign as by_rules

    settings = open_settings()
    config = _config(settings)
    if config is None:
        err.print("[red]No personas.yaml in the data folder; write one (docs/success.md) to assign by rules.[/red]")
        raise typer.Exit(1)
    with session_scope(settings.database_url) as s:
        frame = account_frame(s)
        wanted = by_rules(config, frame)
        moves = Counter(
            (old or UNASSIGNED, new or UNASSIGNED)
            for old, new in zip(frame["persona"], wanted.to_numpy(), strict=True)
            if old != new
        )
        if not dry_run:
            assign_personas(s, config)
    table = Table("from", "to", "accounts", title="Would change" if dry_run else "Changed")
    for (old, new), n in moves.most_common():
        table.add_row(old, new, f"{n:,}")
    console.print(table if moves else "Every account already has the persona its rules give.")


@personas_app.command("coverage")
def coverage(
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Each persona's share of accounts and of revenue (MRR, reporting currency), largest first, and how many
    personas carry 80% of revenue (most companies find five or fewer do).

    Example: [bold]northstar personas coverage --format json[/bold]
    """
    from northstar.db.engine import session_scope
    from northstar.portfolio.service import ensure_rows
    from northstar.store import open_settings
    from northstar.success.personas import coverage as build

    settings = open_settings()
    config = _config(settings)
    today = datetime.now(UTC).date()
    with session_scope(settings.database_url) as s:
        ensure_rows(s, today)
        report = build(s, today, config)
    k = report.personas_for(0.8)
    if fmt == "json":
        rows = [r.__dict__ for r in report.rows]
        out = {"as_of": today.isoformat(), "personas_for_80_percent": k, "top5_revenue_share": report.top_share(5)}
        console.print_json(json.dumps(out | {"rows": rows}))
        return
    table = Table("persona", "accounts", "share", "MRR", "revenue share", "cumulative", title="Persona coverage")
    for r in report.rows:
        table.add_row(
            r.name,
            f"{r.accounts:,}",
            f"{r.account_share:.1%}",
            f"{r.mrr:,.0f}",
            f"{r.revenue_share:.1%}",
            f"{r.cumulative_revenue_share:.1%}",
        )
    console.print(table)
    if k is None:
        console.print("The named personas together carry less than 80% of revenue: many accounts are unassigned.")
    else:
        holds = "holds" if k <= 5 else "does not hold"
        console.print(
            f"{k} persona(s) carry 80% of revenue; the five largest carry {report.top_share(5):.1%}. "
            f"The usual pattern (five or fewer carry ~80%) {holds} here."
        )


success_app = typer.Typer(
    help="Success maps: where each account stands, and the flow along each map.", no_args_is_help=True
)


def _maps(settings):  # noqa: ANN001, ANN202
    from northstar.cli.config import load
    from northstar.success.maps import FILE

    return load(FILE, settings, "docs/success.md")


@success_app.command("evaluate")
def evaluate_maps() -> None:
    """Measure every account on its persona's success map now (the worker does this every 15 minutes).

    Example: [bold]northstar success evaluate[/bold]
    """
    from northstar.db.engine import session_scope
    from northstar.portfolio.service import ensure_rows
    from northstar.store import open_settings
    from northstar.success.progress import evaluate

    settings = open_settings()
    config = _maps(settings)
    today = datetime.now(UTC).date()
    with session_scope(settings.database_url) as s:
        ensure_rows(s, today)
        result = evaluate(settings, s, config, today)
    table = Table("state", "accounts", title=f"{result.accounts:,} accounts on their success maps")
    for state, n in result.by_state.items():
        table.add_row(state, f"{n:,}")
    console.print(table)


@success_app.command("status")
def status(
    account: str = typer.Option(None, "--account", help="One account's external id: its path, milestone by milestone."),
    persona: str = typer.Option(None, "--persona", help="Only this persona's accounts."),
    state: str = typer.Option(None, "--state", help="Only accounts in this state (on_track, behind, stuck, ...)."),
    limit: int = typer.Option(50, "--limit", help="At most this many accounts in a table."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Where accounts stand on their success maps: current and next milestone, days in the stage against the
    persona's usual pace, and the state (achieved, on_track, behind, stuck, unknown, inactive).

    Example: [bold]northstar success status --state stuck --format json[/bold]
    """
    from sqlalchemy import select

    from northstar.accounts.models import Account
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.success.models import MilestoneReached, SuccessStatus

    settings = open_settings()
    config = _maps(settings)
    with session_scope(settings.database_url) as s:
        q = select(SuccessStatus, Account.external_id, Account.name).join(
            Account, Account.id == SuccessStatus.account_id
        )
        if account:
            q = q.where(Account.external_id == account)
        if persona:
            q = q.where(SuccessStatus.persona == persona)
        if state:
            q = q.where(SuccessStatus.state == state)
        rows = s.execute(q.order_by(SuccessStatus.days_in_stage.desc(), Account.name)).all()
        if account and not rows:
            err.print(f"[red]no success status for account {account!r} (no persona with a map, or not evaluated)[/red]")
            raise typer.Exit(1)
        reached = {}
        if account:
            st = rows[0][0]
            reached = dict(
                s.execute(
                    select(MilestoneReached.milestone, MilestoneReached.reached_on).where(
                        MilestoneReached.account_id == st.account_id, MilestoneReached.map_version == st.map_version
                    )
                ).all()
            )
    records = [
        {
            "account": ext,
            "name": name,
            "persona": st.persona,
            "current_milestone": st.current_milestone,
            "next_milestone": st.next_milestone,
            "target_milestone": st.target_milestone,
            "days_in_stage": st.days_in_stage,
            "usual_days": st.usual_days,
            "slow_days": st.slow_days,
            "state": st.state,
            "map_version": st.map_version,
            "evaluated_on": st.evaluated_on.isoformat(),
        }
        for st, ext, name in rows
    ]
    if account:
        m = config.for_persona(records[0]["persona"])
        records[0]["milestones"] = [
            {"key": ms.key, "name": ms.name, "reached_on": reached[ms.key].isoformat() if ms.key in reached else None}
            for ms in (m.milestones if m else [])
        ]
    if fmt == "json":
        console.print_json(json.dumps(records[0] if account else records))
        return
    if account:
        r = records[0]
        console.print(f"[bold]{r['name']}[/bold] ({r['account']}), {r['persona']}: [bold]{r['state']}[/bold]")
        table = Table("milestone", "reached on", title=f"Success map (version {r['map_version']})")
        for ms in r["milestones"]:
            table.add_row(ms["name"], ms["reached_on"] or "–")
        console.print(table)
        if r["next_milestone"]:
            usual = f"{r['usual_days']:.0f}" if r["usual_days"] is not None else "–"
            console.print(
                f"{r['days_in_stage']} days towards {r['next_milestone']}; the persona usually takes {usual}."
            )
        return
    table = Table("account", "persona", "at", "next", "days", "usual", "state", title=f"{len(records):,} accounts")
    for r in records[:limit]:
        usual = f"{r['usual_days']:.0f}" if r["usual_days"] is not None else "–"
        days = str(r["days_in_stage"]) if r["days_in_stage"] is not None else "–"
        table.add_row(
            r["name"], r["persona"], r["current_milestone"] or "–", r["next_milestone"] or "–", days, usual, r["state"]
        )
    console.print(table)


@success_app.command("flow")
def flow_cmd(
    persona: str = typer.Option(None, "--persona", help="Only this persona."),
    by_cohort: bool = typer.Option(False, "--by-cohort", help="Split by the quarter accounts became customers."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Conversion between milestones and the median days to each (Kaplan-Meier), by persona (and cohort).

    Example: [bold]northstar success flow --persona growth_marketer[/bold]
    """
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.success.flow import flow

    settings = open_settings()
    config = _maps(settings)
    with session_scope(settings.database_url) as s:
        steps = [f for f in flow(s, config, datetime.now(UTC).date(), by_cohort) if not persona or f.persona == persona]
    if fmt == "json":
        console.print_json(json.dumps([f.__dict__ for f in steps]))
        return
    table = Table(
        "persona", "cohort", "milestone", "reached", "conversion", "median days (step)", "from start", title="Flow"
    )
    for f in steps:
        days = lambda v: f"{v:.0f}" if v is not None else "–"  # noqa: E731
        conversion = f"{f.conversion:.0%}" if f.conversion is not None else "–"
        table.add_row(
            f.persona,
            f.cohort or "",
            f"{f.position}. {f.name}",
            f"{f.reached:,} / {f.accounts:,}",
            conversion,
            days(f.median_days_from_previous),
            days(f.median_days_from_start),
        )
    console.print(table)


@success_app.command("plan")
def plan_cmd(
    account: str = typer.Option(..., "--account", help="The account's external id."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """An account's success plan for its QBR: goals with start, current and target values and their status,
    and the value delivered to date by its ROI model (NORTHSTAR_HOME/roi.yaml) against what it paid.

    Example: [bold]northstar success plan --account ACME-000042[/bold]
    """
    from dataclasses import asdict

    from sqlalchemy import select

    from northstar.accounts.models import Account
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.success.plans import RoiError, active_plan, plan_view

    settings = open_settings()
    today = datetime.now(UTC).date()
    with session_scope(settings.database_url) as s:
        found = s.scalar(select(Account).where(Account.external_id == account))
        if found is None:
            err.print(f"[red]no account with external id {account!r}[/red]")
            raise typer.Exit(1)
        plan = active_plan(s, found.id)
        if plan is None:
            err.print(
                f"[red]{found.name} has no active success plan (import one: northstar import success_plans)[/red]"
            )
            raise typer.Exit(1)
        try:
            view = plan_view(settings, s, plan, today)
        except RoiError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    if fmt == "json":
        out = asdict(view) | {"roi": view.roi}
        console.print_json(json.dumps(out, default=str))
        return
    console.print(f"[bold]{found.name}[/bold]: {view.title} ({view.status}, from {view.starts_on})")
    table = Table("goal", "metric", "start", "now", "target", "due", "progress", "status", title="Goals")
    for g in view.goals:
        num = lambda v: f"{v:,.4g}" if v is not None else "–"  # noqa: E731
        progress = f"{g.progress:.0%}" if g.progress is not None else "–"
        table.add_row(
            g.outcome,
            f"{g.metric} {g.unit}".strip(),
            num(g.start),
            num(g.current),
            num(g.target),
            str(g.due_on or "–"),
            progress,
            g.status,
        )
    console.print(table)
    if view.value:
        roi = Table("product line", "driver", "count", "inputs", "value", title="Value delivered to date")
        for v in view.value:
            inputs = " × ".join(f"{k} {x:g}" for k, x in v.inputs.items())
            roi.add_row(v.product_line, v.name, f"{v.count:,}", inputs, f"{v.value:,.0f}")
        console.print(roi)
        ratio = f"{view.roi:.1f}×" if view.roi is not None else "–"
        console.print(
            f"Value {view.value_total:,.0f} against {view.paid:,.0f} paid since the plan started: ROI {ratio}."
        )


@success_app.command("signals")
def signals_cmd(
    account: str = typer.Option(None, "--account", help="Only this account (its external id)."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Upsell and cross-sell signals with their evidence: seats near the licence limit, and heavy use of
    features an add-on extends (NORTHSTAR_HOME/expansion.yaml).

    Example: [bold]northstar success signals --format json[/bold]
    """
    from dataclasses import asdict

    from sqlalchemy import select

    from northstar.accounts.models import Account
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.success.expansion import ExpansionError, signals

    settings = open_settings()
    with session_scope(settings.database_url) as s:
        account_id = None
        if account:
            account_id = s.scalar(select(Account.id).where(Account.external_id == account))
            if account_id is None:
                err.print(f"[red]no account with external id {account!r}[/red]")
                raise typer.Exit(1)
        try:
            found = signals(settings, s, datetime.now(UTC).date(), account_id)
        except ExpansionError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        names = dict(
            s.execute(select(Account.id, Account.name).where(Account.id.in_({x.account_id for x in found}))).all()
        )
    if fmt == "json":
        console.print_json(json.dumps([asdict(x) | {"account": names.get(x.account_id)} for x in found]))
        return
    table = Table("account", "signal", "product line", "evidence", title=f"{len(found):,} expansion signals")
    for x in found:
        table.add_row(names.get(x.account_id, str(x.account_id)), x.kind, x.product_line, x.evidence)
    console.print(table)
