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
    from northstar.success.personas import FILE, PersonaError

    try:
        return FILE.load(settings)
    except PersonaError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


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
