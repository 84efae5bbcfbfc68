"""``northstar vehicles``: success vehicles, their measured effects, the next best action and the program P&L."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from northstar.cli.days import as_of_day

vehicles_app = typer.Typer(
    help="Success vehicles: programs, enrolments, measured effects, next best action and P&L.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)
FORMAT = typer.Option("table", "--format", help="table or json.")


def _config(settings):  # noqa: ANN001, ANN202
    from northstar.cli.config import load
    from northstar.success.vehicles import FILE

    return load(FILE, settings, doc="docs/success.md")


def _account(session, ref: str):  # noqa: ANN001, ANN202
    from northstar.customer360.service import AccountNotFound, find_account

    try:
        return find_account(session, ref)
    except AccountNotFound as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


def _pct(x: float) -> str:
    return f"{x * 100:+.1f}"


@vehicles_app.command("list")
def list_vehicles() -> None:
    """The vehicles in NORTHSTAR_HOME/vehicles.yaml: kind, product line, cost, the milestones they serve, and
    their enrolments.

    Example: [bold]northstar vehicles list[/bold]
    """
    from sqlalchemy import func, select

    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.success.models import VehicleEnrolment

    settings = open_settings()
    config = _config(settings)
    with session_scope(settings.database_url) as s:
        counts = dict(
            s.execute(select(VehicleEnrolment.vehicle, func.count()).group_by(VehicleEnrolment.vehicle)).all()
        )
    table = Table(title="Success vehicles")
    table.add_column("vehicle", no_wrap=True)
    table.add_column("kind, product line")
    table.add_column("serves", no_wrap=True)
    table.add_column("cost")
    table.add_column("enrolled", justify="right")
    for v in config.vehicles:
        cost = f"{v.cost.per_enrolment:,.0f} each" + (f" + {v.cost.per_month:,.0f}/month" if v.cost.per_month else "")
        table.add_row(
            f"{v.name}\n[dim]{v.key}[/dim]",
            f"{v.kind}, {v.product_line or '-'}",
            "\n".join(v.serves),
            cost,
            f"{counts.get(v.key, 0):,}",
        )
    console.print(table)
    unknown = {k: n for k, n in counts.items() if config.get(k) is None}
    if unknown:
        listed = ", ".join(f"{k} ({n})" for k, n in sorted(unknown.items()))
        err.print(f"[yellow]Enrolments name vehicles that vehicles.yaml does not have: {listed}.[/yellow]")


@vehicles_app.command("effect")
def effect_cmd(
    vehicle: str | None = typer.Option(None, "--vehicle", help="Only this vehicle (its key)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Measure as of this day (YYYY-MM-DD; default today)."),
    boot: int = typer.Option(400, "--bootstrap", min=50, max=5000, help="Bootstrap resamples for the intervals."),
    fmt: str = FORMAT,
) -> None:
    """Each vehicle's effect on reaching the milestone it serves (within 90 days), on retention and on the
    account's own net revenue retention a year on: enrolled accounts against comparable ones that were not,
    weighted on what was known before the step, with 95% intervals, the plain difference beside it, and the
    caveats (docs/success.md).

    Example: [bold]northstar vehicles effect --vehicle dashboard_academy[/bold]
    """
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.success.programs import measure

    settings = open_settings()
    config = _config(settings)
    if vehicle and config.get(vehicle) is None:
        err.print(f"[red]No vehicle {vehicle!r} in vehicles.yaml ({', '.join(v.key for v in config.vehicles)}).[/red]")
        raise typer.Exit(1)
    with (
        console.status("Estimating (a bootstrap per vehicle and outcome)..."),
        session_scope(settings.database_url) as s,
    ):
        reports = measure(settings, s, as_of_day(as_of), only=vehicle, boot=boot)
    if fmt == "json":
        print(json.dumps([r.as_dict() for r in reports], indent=2, default=str))
        return
    for r in reports:
        table = Table(
            "outcome",
            "enrolled",
            "compared",
            "plain difference",
            "effect on the enrolled [95%]",
            "effect on all",
            title=f"{r.vehicle.name} ({r.vehicle.key}): {r.enrolments} enrolments, {r.at_risk} accounts compared",
        )
        notes: list[str] = []
        for outcome, e in r.effects.items():
            label = {
                "milestone": "reached the milestone (points)",
                "retained": "retained a year on (points)",
                "nrr": "own net revenue retention a year on (points)",
            }[outcome]
            if e is None:
                table.add_row(label, "-", "-", "too few accounts to measure", "", "")
                continue
            fmt_ = _pct
            table.add_row(
                label,
                str(e.n_enrolled),
                str(e.n_comparison),
                fmt_(e.naive),
                f"[bold]{fmt_(e.att)}[/bold] [{fmt_(e.att_ci[0])}, {fmt_(e.att_ci[1])}]",
                fmt_(e.ate),
            )
            notes += [n for n in e.caveats if n not in notes]
        console.print(table)
        for n in notes:
            console.print(f"  - {n}")


@vehicles_app.command("next")
def next_cmd(
    account: str = typer.Option(..., "--account", help="The account's id or external id."),
    as_of: str | None = typer.Option(None, "--as-of", help="Measure as of this day (YYYY-MM-DD; default today)."),
) -> None:
    """The next best action for an account that is behind or stuck: the vehicles serving its next milestone,
    best measured effect first.

    Example: [bold]northstar vehicles next --account ACME-000042[/bold]
    """
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.success.models import SuccessStatus
    from northstar.success.programs import measured, next_best

    settings = open_settings()
    config = _config(settings)
    reports = measured(settings, as_of_day(as_of))
    with session_scope(settings.database_url) as s:
        found = _account(s, account)
        status = s.get(SuccessStatus, found.id)
        suggestions = next_best(s, config, found.id, reports)
        if not suggestions:
            where = f"{status.state} on its map" if status else "not on a success map"
            console.print(
                f"{found.name}: no vehicle to suggest ({where}; suggestions are for accounts behind or stuck)."
            )
            return
        table = Table("vehicle", "kind", "towards", "measured effect", title=f"Next best action for {found.name}")
        for sug in suggestions:
            table.add_row(sug.vehicle.name, sug.vehicle.kind, sug.milestone, sug.note)
        console.print(table)


@vehicles_app.command("enrol")
def enrol_cmd(
    account: str = typer.Option(..., "--account", help="The account's id or external id."),
    vehicle: str = typer.Option(..., "--vehicle", help="The vehicle's key."),
    on: str | None = typer.Option(None, "--on", help="The enrolment day (YYYY-MM-DD; default today)."),
) -> None:
    """Enrol an account in a vehicle (nothing changes when it is enrolled already and has not finished).

    Example: [bold]northstar vehicles enrol --account ACME-000042 --vehicle dashboard_academy[/bold]
    """
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.success.vehicles import enrol

    settings = open_settings()
    config = _config(settings)
    v = config.get(vehicle)
    if v is None:
        err.print(f"[red]No vehicle {vehicle!r} in vehicles.yaml ({', '.join(x.key for x in config.vehicles)}).[/red]")
        raise typer.Exit(1)
    with session_scope(settings.database_url) as s:
        found = _account(s, account)
        row, created = enrol(s, found.id, v, as_of_day(on), "cli")
        console.print(
            f"{found.name} enrolled in {v.name} on {row.enrolled_on}."
            if created
            else f"{found.name} is already enrolled in {v.name} (since {row.enrolled_on})."
        )


@vehicles_app.command("pnl")
def pnl_cmd(
    as_of: str | None = typer.Option(None, "--as-of", help="The period's last day (YYYY-MM-DD; default today)."),
    fmt: str = FORMAT,
) -> None:
    """The program P&L for the last 12 months by product line: each vehicle's cost against the ARR its measured
    effect attributes to it (kept and grown), with the interval.

    Example: [bold]northstar vehicles pnl[/bold]
    """
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.success.programs import measured, pnl

    settings = open_settings()
    config = _config(settings)
    day = as_of_day(as_of)
    with console.status("Estimating the effects..."):
        reports = measured(settings, day)
    with session_scope(settings.database_url) as s:
        lines = pnl(s, config, reports, day)
    if fmt == "json":
        print(json.dumps([{**p.__dict__, "net": p.net, "roi": p.roi} for p in lines], indent=2, default=str))
        return
    table = Table(
        "product line",
        "vehicle",
        "enrolments",
        "cost",
        "ARR attributed [95%]",
        "net",
        "return",
        title=f"Program P&L, 12 months to {day}",
    )
    for p in lines:
        if p.attributed is None:
            table.add_row(p.product_line, p.name, str(p.enrolments), f"{p.cost:,.0f}", "not measured", "", "")
            continue
        lo, hi = p.attributed_ci or (0.0, 0.0)
        table.add_row(
            p.product_line,
            p.name,
            str(p.enrolments),
            f"{p.cost:,.0f}",
            f"{p.attributed:,.0f} [{lo:,.0f}, {hi:,.0f}]",
            f"{p.net:,.0f}",
            f"{p.roi:.1f}x" if p.roi is not None else "",
        )
    console.print(table)
    console.print("  An interval that includes zero means the program has not shown a return yet.")
