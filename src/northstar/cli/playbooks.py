"""``northstar playbooks``: the playbooks defined, running them (or a dry run), and their audit log."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

playbooks_app = typer.Typer(help="Playbooks: triggers and actions, dry runs, the audit log.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _config(settings):  # noqa: ANN001, ANN202
    from northstar.cli.config import load
    from northstar.playbooks.definitions import FILE

    return load(FILE, settings, "docs/playbooks.md")


@playbooks_app.command("list")
def list_playbooks() -> None:
    """The playbooks in NORTHSTAR_HOME/playbooks.yaml: trigger, filter, cooldown and actions.

    Example: [bold]northstar playbooks list[/bold]
    """
    from northstar.store import open_settings

    config = _config(open_settings())
    table = Table("key", "on", "when", "only", "cooldown", "actions", title="Playbooks")
    for p in config.playbooks:
        when = getattr(p.when, p.when.kind)
        shown = when.model_dump(exclude_none=True) if hasattr(when, "model_dump") else when
        table.add_row(
            p.key + ("" if p.enabled else " (off)"),
            p.when.kind,
            str(shown),
            "; ".join(f"{r.field} {r.op} {r.value!r}" for r in p.only) or "–",
            f"{p.cooldown_days} d",
            ", ".join(a.kind for a in p.actions),
        )
    console.print(table)


@playbooks_app.command("run")
def run_playbooks(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would fire; change and send nothing."),
    playbook: str = typer.Option(None, "--playbook", help="Only this playbook (its key)."),
) -> None:
    """Run the state-triggered playbooks now (the worker beside the web server runs them every 15 minutes,
    and the event-triggered ones within seconds of their event).

    Example: [bold]northstar playbooks run --dry-run[/bold]
    """
    from northstar.playbooks.engine import run
    from northstar.store import open_settings

    settings = open_settings()
    config = _config(settings)
    try:
        report = run(settings, config, dry_run=dry_run, only=playbook)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    title = "Would fire (dry run)" if dry_run else "Fired"
    table = Table("playbook", "account", "why", "actions", title=f"{title}: {len(report.fired):,}")
    for key, account_id, reason, results in report.fired[:200]:
        table.add_row(key, str(account_id), reason, "; ".join(f"{r['action']}: {r['result']}" for r in results))
    console.print(table)
    if report.skipped_cooldown:
        console.print(f"{report.skipped_cooldown:,} skipped: fired within their playbook's cooldown.")


@playbooks_app.command("log")
def audit_log(
    playbook: str = typer.Option(None, "--playbook", help="Only this playbook."),
    limit: int = typer.Option(50, "--limit", help="The newest this many."),
) -> None:
    """The audit log: every firing (and dry run), newest first, with what each action did.

    Example: [bold]northstar playbooks log --playbook stalled-first-value[/bold]
    """
    from sqlalchemy import select

    from northstar.db.engine import session_scope
    from northstar.playbooks.models import PlaybookRun
    from northstar.store import open_settings

    settings = open_settings()
    with session_scope(settings.database_url) as s:
        q = select(PlaybookRun).order_by(PlaybookRun.id.desc()).limit(limit)
        if playbook:
            q = q.where(PlaybookRun.playbook == playbook)
        rows = s.scalars(q).all()
        table = Table("when", "playbook", "account", "why", "actions", "ok", title="Playbook runs")
        for r in rows:
            table.add_row(
                r.fired_at.strftime("%Y-%m-%d %H:%M") + (" (dry)" if r.dry_run else ""),
                r.playbook,
                str(r.account_id),
                r.reason,
                "; ".join(f"{a['action']}: {a['result']}" for a in r.actions),
                "yes" if r.ok else "[red]no[/red]",
            )
    console.print(table if rows else "No playbook has run yet.")
