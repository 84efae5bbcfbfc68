"""The ``northstar`` command: thin wrappers over the domain services, with Rich output."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from northstar import __version__
from northstar.cli.clv import clv_app
from northstar.cli.feedback import feedback_app
from northstar.cli.playbooks import playbooks_app
from northstar.cli.success import personas_app, success_app
from northstar.cli.surveys import surveys_app
from northstar.cli.vehicles import vehicles_app
from northstar.health import TARGETS

app = typer.Typer(
    help="Northstar: open-source customer success. Data lives in NORTHSTAR_HOME (default ./northstar-data).",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="The operational database's schema.", no_args_is_help=True)
users_app = typer.Typer(help="Staff users and their roles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
usage_app = typer.Typer(help="Product-usage events and their daily rollups.", no_args_is_help=True)
app.add_typer(usage_app, name="usage")
keys_app = typer.Typer(help="API keys for the tracking and REST APIs.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
intake_app = typer.Typer(help="The tracking API's intake log and its applier.", no_args_is_help=True)
app.add_typer(intake_app, name="intake")
health_app = typer.Typer(help="Health scorecards: scores, their explanations, the measures.", no_args_is_help=True)
app.add_typer(health_app, name="health")
risk_app = typer.Typer(help="Churn risk: the model, its scores and drivers, and back-tests.", no_args_is_help=True)
app.add_typer(risk_app, name="risk")
webhooks_app = typer.Typer(help="Outbound webhooks: subscriptions and their delivery log.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(surveys_app, name="surveys")
app.add_typer(feedback_app, name="feedback")
app.add_typer(personas_app, name="personas")
app.add_typer(success_app, name="success")
app.add_typer(vehicles_app, name="vehicles")
app.add_typer(clv_app, name="clv")
app.add_typer(playbooks_app, name="playbooks")
console = Console()
err = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


@app.callback(invoke_without_command=True)
def main(version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
    if version:
        console.print(f"northstar {__version__}")
        raise typer.Exit()


@app.command()
def demo(
    accounts: int = typer.Option(2000, help="How many customer accounts to make (up to 100,000+)."),
    seed: int = typer.Option(42, help="Random seed: the same seed makes the same company."),
    as_of: str = typer.Option(None, help="The demo's 'today' (YYYY-MM-DD); default today."),
    events_per_month: float = typer.Option(40.0, help="Mean usage events per account per month."),
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    port: int = typer.Option(8000, help="Port to serve on."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Build the data only; do not start the web app."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Rebuild even if the same demo is already there."),
) -> None:
    """Build the demo company and serve the web app.

    Example: [bold]northstar demo --accounts 5000 --seed 7[/bold]  (then open http://127.0.0.1:8000)
    """
    from northstar.config import Settings
    from northstar.demo.generator import DemoConfig
    from northstar.demo.service import DataFolderInUse, build_demo

    settings = Settings.from_env()
    settings.ensure_home()
    cfg = DemoConfig(accounts=accounts, seed=seed, events_per_account_month=events_per_month)
    if as_of:
        cfg.as_of = date.fromisoformat(as_of)
    with _progress() as bar:
        task = bar.add_task("demo company", total=100)
        try:
            summary, password = build_demo(
                settings,
                cfg,
                rebuild,
                lambda stage, frac: bar.update(task, completed=frac * 100, description=stage),
            )
        except DataFolderInUse as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        bar.update(task, completed=100, description="demo company")
    if summary is None:
        console.print(f"The demo company in {settings.home} is already built (use --rebuild to make it anew).")
    else:
        table = Table("records", "rows", title=f"Demo company in {settings.home}")
        for name, n in summary.rows.items():
            table.add_row(name, f"{n:,}")
        console.print(table)
    console.print(f"Sign in as [bold]admin@northstar.demo[/bold] with password [bold]{password}[/bold]")
    if not no_serve:
        _serve(host, port)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    port: int = typer.Option(8000, help="Port to serve on."),
) -> None:
    """Serve the web app on the data in NORTHSTAR_HOME.

    Example: [bold]northstar serve --port 8080[/bold]
    """
    _serve(host, port)


def _serve(host: str, port: int) -> None:
    import uvicorn

    from northstar.store import open_settings
    from northstar.web.app import create_app

    settings = open_settings()
    console.print(f"Northstar is on [bold]http://{host}:{port}[/bold] (Ctrl+C stops it)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


KIND_HELP = (
    "accounts, contacts, users, subscriptions, invoices, tickets, touchpoints, feedback, assessments, success_plans, "
    "goals, enrolments, events"
)


#: Imports that change what the portfolio lists (MRR, renewal, last touch, the accounts themselves).
PORTFOLIO_KINDS = {"accounts", "subscriptions", "touchpoints", "rates"}


@app.command("import")
def import_(
    kind: str = typer.Argument(..., help=KIND_HELP),
    file: Path = typer.Argument(..., help="A .csv, .parquet or .jsonl file."),
    mapping: Path = typer.Option(None, "--mapping", "-m", help="YAML file: 'columns: {field: File column}'."),
) -> None:
    """Import records from a file, all or nothing; re-importing the same file changes nothing.

    Salesforce and HubSpot exports of accounts and contacts import as they are.
    Example: [bold]northstar import accounts accounts.csv[/bold]
    """
    from northstar.ingest.errors import ImportFailed
    from northstar.ingest.service import import_file
    from northstar.store import open_settings

    settings = open_settings()
    with _progress() as bar:
        task = bar.add_task(f"importing {kind}", total=None)
        try:
            result = import_file(
                settings,
                kind,
                file,
                mapping,
                lambda done, total: bar.update(task, completed=done, total=total),
            )
        except (ImportFailed, ValueError) as exc:
            bar.stop()
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    console.print(
        f"{result.file}: {result.rows:,} rows — {result.inserted:,} new, {result.updated:,} updated, "
        f"{result.unchanged:,} unchanged"
    )
    for note in result.notes:
        console.print(f"  {note}")
    if kind in PORTFOLIO_KINDS and (result.inserted or result.updated):
        from northstar.portfolio.service import refresh

        refresh(settings, datetime.now(UTC).date())  # the list shows the new MRR, renewals and touches now


@app.command("export")
def export_(
    kind: str = typer.Argument(..., help=KIND_HELP),
    file: Path = typer.Argument(..., help="Where to write: .csv, .parquet or .jsonl."),
) -> None:
    """Export every record of a kind, in the columns import reads (references as external ids).

    Example: [bold]northstar export contacts contacts.parquet[/bold]
    """
    from northstar.ingest.errors import ImportFailed
    from northstar.ingest.service import export_table, write_table
    from northstar.store import open_settings

    try:
        table = export_table(open_settings(), kind)
        write_table(table, file)
    except (ImportFailed, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"wrote {table.num_rows:,} {kind} to {file}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the operational database to the newest schema.

    Example: [bold]NORTHSTAR_DATABASE_URL=postgresql://cs@db/northstar northstar db upgrade[/bold]
    """
    from northstar.db.migrate import upgrade
    from northstar.store import open_settings

    settings = open_settings(migrate=False)
    before, after = upgrade(settings.database_url)
    console.print(f"schema: {before or 'empty'} → {after}")


@users_app.command("create")
def users_create(
    email: str = typer.Argument(..., help="The user's e-mail (their sign-in name)."),
    role: str = typer.Option("csm", help="admin, cs_ops, csm or viewer."),
    name: str = typer.Option("", help="Display name."),
    password: str = typer.Option(None, help="Password (asked for when omitted; at least 10 characters)."),
) -> None:
    """Create a staff user (or reset an existing one's role and password).

    Example: [bold]northstar users create ana@example.com --role admin[/bold]
    """
    from northstar.auth.models import Role
    from northstar.auth.service import create_user
    from northstar.db.engine import session_scope
    from northstar.store import open_settings

    try:
        role_value = Role(role)
    except ValueError:
        err.print(f"[red]unknown role {role!r}: choose admin, cs_ops, csm or viewer[/red]")
        raise typer.Exit(1) from None
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = open_settings()
    try:
        with session_scope(settings.database_url) as s:
            user = create_user(s, email, password, role_value, name)
            console.print(f"user {user.email} ({user.role.value}) ready")
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


@app.command()
def account(ref: str = typer.Argument(..., help="Internal id, external id or exact name.")) -> None:
    """Print one account's Customer 360 summary.

    Example: [bold]northstar account ACME-000042[/bold]
    """
    from northstar.customer360.service import AccountNotFound, build_profile, find_account
    from northstar.db.engine import session_scope
    from northstar.store import event_store, open_settings
    from northstar.usage.summary import events_table

    settings = open_settings()
    with session_scope(settings.database_url) as s:
        try:
            acc = find_account(s, ref)
        except AccountNotFound as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        p = build_profile(s, events_table(event_store(settings)), acc, timeline_limit=12)
        _print_profile(p)


@keys_app.command("create")
def keys_create(
    scope: str = typer.Option(..., help="write (send data; cannot read), read, or admin (both)."),
    name: str = typer.Option("", help="What the key is for, e.g. 'product events' or 'CRM sync'."),
) -> None:
    """Make an API key and print its token, once: only a hash of it is kept.

    Example: [bold]northstar keys create --scope write --name "product events"[/bold]
    """
    from northstar.auth.keys import create_key
    from northstar.auth.models import KeyScope
    from northstar.db.engine import session_scope
    from northstar.store import open_settings

    try:
        scope_value = KeyScope(scope)
    except ValueError:
        err.print(f"[red]unknown scope {scope!r}: choose write, read or admin[/red]")
        raise typer.Exit(1) from None
    with session_scope(open_settings().database_url) as s:
        key, token = create_key(s, scope_value, name)
        console.print(f"{scope_value.value} key {key.prefix} made; its token (shown only now):")
    sys.stdout.write(token + "\n")


@keys_app.command("list")
def keys_list() -> None:
    """The API keys: prefix, scope, name, when made, last used and revoked (never the tokens).

    Example: [bold]northstar keys list[/bold]
    """
    from northstar.auth.keys import list_keys
    from northstar.db.engine import session_scope
    from northstar.store import open_settings

    with session_scope(open_settings().database_url) as s:
        keys = list_keys(s)
        if not keys:
            console.print("no API keys yet: make one with 'northstar keys create --scope write'")
            return
        table = Table("prefix", "scope", "name", "created", "last used", "revoked")
        for k in keys:
            when = [f"{t:%Y-%m-%d %H:%M}" if t else "" for t in (k.created_at, k.last_used_at, k.revoked_at)]
            table.add_row(k.prefix, k.scope.value, k.name, *when)
        console.print(table)


@keys_app.command("revoke")
def keys_revoke(prefix: str = typer.Argument(..., help="The key's prefix (from 'northstar keys list').")) -> None:
    """Revoke an API key: calls with it are refused (by a running server within 10 seconds).

    Example: [bold]northstar keys revoke 3f9a0c1b[/bold]
    """
    from northstar.auth.keys import revoke_key
    from northstar.db.engine import session_scope
    from northstar.store import open_settings

    try:
        with session_scope(open_settings().database_url) as s:
            key = revoke_key(s, prefix)
            console.print(f"key {key.prefix} ({key.scope.value}) revoked")
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


@intake_app.command("apply")
def intake_apply(
    follow: bool = typer.Option(False, "--follow", help="Keep applying as records arrive (until Ctrl+C)."),
    interval: float = typer.Option(2.0, help="With --follow: seconds between looks at the log."),
) -> None:
    """Apply the tracking API's log to the stores: accounts, contacts, usage events.

    The web server's worker process does this unless NORTHSTAR_INTAKE_WORKER=0 (then run this with
    --follow, e.g. on another machine sharing the folder). Only one applier runs at a time.

    Example: [bold]northstar intake apply --follow[/bold]
    """
    import time

    from northstar.api.applier import Applier, ApplierBusy
    from northstar.store import open_settings, rollup_store

    settings = open_settings()
    try:
        applier = Applier(settings).open()
    except ApplierBusy as exc:
        err.print(f"[red]{exc} (the web server applies it unless NORTHSTAR_INTAKE_WORKER=0)[/red]")
        raise typer.Exit(1) from None
    try:
        while True:
            with _progress() as bar:
                task = bar.add_task("applying the intake log", total=None)
                done = applier.run() if not follow else applier.step()
                bar.update(task, completed=1, total=1)
            if done.events:
                rollup_store(settings).refresh()
            if done.records or not follow:
                console.print(
                    f"{done.records:,} log records applied: {done.events:,} events stored, "
                    f"{done.repeats:,} repeats dropped, {done.calls:,} identify/group/alias calls; "
                    f"{done.held:,} events wait for their user's account"
                )
            if not follow:
                return
            if not done.records:
                time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        applier.close()


@intake_app.command("status")
def intake_status() -> None:
    """How far the intake log is applied: records waiting, events held for an account, log size.

    Example: [bold]northstar intake status[/bold]
    """
    from northstar.api.applier import intake_status as status
    from northstar.store import open_settings

    st = status(open_settings())
    console.print(
        f"log: {st['segments']} segment(s), {st['log_bytes'] / 1e6:,.1f} MB; last record {st['last_record']:,}, "
        f"applied through {st['applied']:,} ({st['waiting']:,} waiting); "
        f"{st['held']:,} events held for their user's account"
    )


@webhooks_app.command("create")
def webhooks_create(
    url: str = typer.Argument(..., help="Where to POST the events (http:// or https://)."),
    event: list[str] = typer.Option([], "--event", "-e", help="An event to send (repeat); none means all."),
    name: str = typer.Option("", help="What the webhook is for."),
) -> None:
    """Subscribe a URL to changes; prints the secret that signs every delivery (HMAC-SHA256).

    Events: account.created, account.updated, account.deleted, contact.created, contact.updated,
    feedback.received.
    Example: [bold]northstar webhooks create https://hooks.example.com/ns -e account.created[/bold]
    """
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.webhooks.service import create_webhook

    try:
        with session_scope(open_settings().database_url) as s:
            hook = create_webhook(s, url, event, name)
            console.print(f"webhook {hook.id} → {hook.url} ({', '.join(hook.events) or 'all events'}); secret:")
            sys.stdout.write(hook.secret + "\n")
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


@webhooks_app.command("list")
def webhooks_list() -> None:
    """The webhooks with their delivery counts: delivered, pending (retrying) and failed.

    Example: [bold]northstar webhooks list[/bold]
    """
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.webhooks.service import summary

    with session_scope(open_settings().database_url) as s:
        rows = summary(s)
    if not rows:
        console.print("no webhooks yet: add one with 'northstar webhooks create URL'")
        return
    table = Table()
    for col in ("id", "url", "events", "active", "delivered", "pending", "failed"):
        table.add_column(col, overflow="fold")  # a URL is shown whole, wrapped if need be
    for r in rows:
        table.add_row(*(str(r[k]) for k in ("id", "url", "events", "active", "delivered", "pending", "failed")))
    console.print(table)


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    webhook: int = typer.Option(None, help="Only this webhook's deliveries."),
    status: str = typer.Option(None, help="pending, delivered or failed."),
    limit: int = typer.Option(20, help="How many, newest first."),
) -> None:
    """The delivery log: each event sent, its attempts, the last status or error, when delivered.

    Example: [bold]northstar webhooks deliveries --status failed[/bold]
    """
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.webhooks.service import deliveries

    with session_scope(open_settings().database_url) as s:
        rows = deliveries(s, webhook, status, limit)
        table = Table("id", "hook", "event", "status", "attempts", "last", "next attempt", "delivered")
        for d in rows:
            last = str(d.last_status or "") if not d.last_error else d.last_error[:40]
            table.add_row(
                str(d.id),
                str(d.webhook_id),
                d.event,
                d.status.value,
                str(d.attempts),
                last,
                f"{d.next_attempt_at:%Y-%m-%d %H:%M:%S}" if d.status.value == "pending" else "",
                f"{d.delivered_at:%Y-%m-%d %H:%M:%S}" if d.delivered_at else "",
            )
    console.print(table if rows else "no deliveries")


@webhooks_app.command("deliver")
def webhooks_deliver() -> None:
    """Post the deliveries that are due now (the web server does this every few seconds).

    Example: [bold]northstar webhooks deliver[/bold]
    """
    from northstar.db.engine import session_scope
    from northstar.store import open_settings
    from northstar.webhooks.service import deliver_due

    url = open_settings().database_url
    run = deliver_due(lambda: session_scope(url))
    console.print(f"{run.delivered} delivered, {run.retrying} to retry, {run.failed} failed for good")


@health_app.command("score")
def health_score(
    as_of: str = typer.Option(None, "--as-of", help="Score as of this day (YYYY-MM-DD); default today."),
    config: Path = typer.Option(None, "--config", help="A scorecard file (default NORTHSTAR_HOME/health.yaml)."),
    fmt: str = typer.Option("table", "--format", help="table (the bands and the lowest scores), csv or json."),
    limit: int = typer.Option(15, help="Lowest-scoring accounts shown in table format."),
) -> None:
    """Score every account with the configured scorecards.

    Example: [bold]northstar health score --as-of 2026-10-01 --format csv > health.csv[/bold]
    """
    from northstar.health.scorecard import ScorecardError
    from northstar.health.service import load_config, load_overrides, score_accounts
    from northstar.store import open_settings

    settings = open_settings()
    day = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    try:
        cfg = load_config(settings, config)
    except ScorecardError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    with _progress() as bar:
        task = bar.add_task(f"scoring accounts as of {day}", total=None)
        result = score_accounts(settings, day, cfg, load_overrides(settings))
        bar.update(task, completed=1, total=1)
    df = _named_scores(settings, result.scores)
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False))
        return
    if fmt == "json":
        sys.stdout.write(df.to_json(orient="records", indent=2) + "\n")
        return
    counts = df["final_band"].fillna("no score").value_counts()
    bands = Table("band", "accounts", "share", title=f"Health as of {day}")
    for band, n in counts.items():
        bands.add_row(str(band), f"{n:,}", f"{n / len(df):.1%}")
    console.print(bands)
    low = Table("account", "name", "scorecard", "score", "band", "override", title=f"The {limit} lowest scores")
    for r in df.sort_values("final_score").head(limit).itertuples():
        low.add_row(r.account, r.name, r.scorecard, f"{r.final_score:.1f}", str(r.final_band), r.override_reason or "")
    console.print(low)


@health_app.command("explain")
def health_explain(
    account: str = typer.Argument(..., help="Internal id, external id or exact name."),
    as_of: str = typer.Option(None, "--as-of", help="As of this day (YYYY-MM-DD); default today."),
    config: Path = typer.Option(None, "--config", help="A scorecard file (default NORTHSTAR_HOME/health.yaml)."),
) -> None:
    """One account's score, measure by measure: value, points, weight and contribution.

    Example: [bold]northstar health explain ACME-000012[/bold]
    """
    from northstar.health.history import SnapshotStore, changes
    from northstar.health.service import load_config, load_overrides, score_accounts
    from northstar.store import open_settings

    settings = open_settings()
    day = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    acc_id, label = _account_ref(settings, account)
    result = score_accounts(settings, day, load_config(settings, config), load_overrides(settings))
    row = result.scores.loc[acc_id]
    store = SnapshotStore(settings.home / "health")
    before = store.before(day)
    diff = changes(store.parts(before) if before else None, result.parts, acc_id)
    since = f"change since {before}" if before else "change (no earlier snapshot)"
    table = Table("group", "measure", "value", "points", "weight", "contribution", since, title=f"{label} as of {day}")
    weights = result.parts[result.parts.account_id == acc_id].set_index("measure")["weight"]
    for name, p in diff.iterrows():
        value = "missing" if p.value != p.value else f"{p.value:,.2f}"
        pts = "skipped" if p.points != p.points else f"{p.points:.0f}"
        change = "" if p.change != p.change else f"{p.change:+.1f}"
        table.add_row(p.group, str(name), value, pts, f"{weights[name]:.0%}", f"{p.contribution:.1f}", change)
    console.print(table)
    line = f"score {row.score:.1f} ({row.band}) with scorecard {row.scorecard}"
    if row.rolled_up_from:
        line += f"; rolled up from {row.rolled_up_from} child accounts: {row.final_score:.1f} ({row.final_band})"
    if row.override_reason:
        line += f"; overridden: {row.final_band} ({row.override_reason})"
    console.print(line)


@health_app.command("snapshot")
def health_snapshot(
    as_of: str = typer.Option(None, "--as-of", help="The day to keep (YYYY-MM-DD); default today."),
    since: str = typer.Option(None, "--from", help="Also every day from this one (after a scorecard change)."),
) -> None:
    """Score every account and keep the day's snapshot (for trends and 'what changed'); schedule it daily.

    Example: [bold]northstar health snapshot --from 2026-09-01[/bold]
    """
    from datetime import timedelta

    from northstar.health.history import SnapshotStore
    from northstar.health.service import load_config, snapshot
    from northstar.portfolio.service import refresh
    from northstar.store import open_settings

    settings = open_settings()
    last = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    first = date.fromisoformat(since) if since else last
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    cfg = load_config(settings)
    with _progress() as bar:
        task = bar.add_task("health snapshots", total=len(days))
        for d in days:
            snapshot(settings, d, cfg)
            bar.advance(task)
    refresh(settings, last)  # the portfolio shows the newest health and risk
    trends = SnapshotStore(settings.home / "health").trends(last)
    moved = trends.dropna(subset=["band_7d_ago"]) if "band_7d_ago" in trends else trends.iloc[0:0]
    worse = moved[moved["final_band"] != moved["band_7d_ago"]]
    console.print(
        f"{len(days)} snapshot(s) kept, the last {last}: {trends['final_band'].value_counts().to_dict()}; "
        f"{len(worse):,} accounts changed band in 7 days"
    )


@health_app.command("satisfaction")
def health_satisfaction(
    as_of: str = typer.Option(..., "--as-of", help="The observation day (YYYY-MM-DD); outcomes come after it."),
    horizon: int = typer.Option(180, help="Days after it in which churn, contraction and expansion count."),
    segments: bool = typer.Option(False, "--segments", help="Also each segment's correlations."),
) -> None:
    """Satisfaction beside success and outcomes: is a happy customer a successful one, and does it stay?

    Example: [bold]northstar health satisfaction --as-of 2026-04-01 --horizon 180[/bold]
    """
    from northstar.health.satisfaction import account_table, correlations, quadrants
    from northstar.store import open_settings

    day = date.fromisoformat(as_of)
    table_ = account_table(open_settings(), day, horizon)
    corr = correlations(table_, by_segment=segments)
    out = Table(
        "segment",
        "x",
        "y",
        "Spearman ρ",
        "95% interval",
        "accounts",
        title=f"As of {day}, outcomes within {horizon} days",
    )
    for r in corr.itertuples():
        if r.rho != r.rho:
            continue
        out.add_row(r.segment, r.x, r.y, f"{r.rho:+.3f}", f"{r.low:+.3f} … {r.high:+.3f}", f"{r.n:,}")
    console.print(out)
    quad = Table(
        "satisfied (NPS 9-10)", "successful (breadth ≥ median)", "accounts", "churned", "churn rate", "95% interval"
    )
    for r in quadrants(table_).itertuples():
        quad.add_row(
            r.satisfied,
            r.successful,
            f"{r.accounts:,}",
            f"{r.churned:,}",
            f"{r.churn_rate:.1%}",
            f"{r.low:.1%} … {r.high:.1%}",
        )
    console.print(quad)


@health_app.command("alerts")
def health_alerts(
    as_of: str = typer.Option(None, "--as-of", help="The snapshot day (YYYY-MM-DD); default today."),
    risk_threshold: float = typer.Option(0.3, help="A risk alert when the probability crosses this."),
    fmt: str = typer.Option("table", "--format", help="table or csv."),
) -> None:
    """Accounts whose band worsened, or whose risk crossed the threshold, since the previous snapshot.

    Example: [bold]northstar health alerts --risk-threshold 0.25[/bold]
    """
    from northstar.health.alerts import alerts
    from northstar.health.history import SnapshotStore
    from northstar.health.service import load_config
    from northstar.store import open_settings

    settings = open_settings()
    day = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    feed = alerts(SnapshotStore(settings.home / "health"), day, load_config(settings), risk_threshold)
    out = _named(settings, feed.set_index("account_id")) if len(feed) else feed
    if fmt == "csv":
        sys.stdout.write(out.to_csv(index=False))
        return
    if not len(out):
        console.print(
            f"no alerts for {day} (it needs that day's snapshot and an earlier one: 'northstar health snapshot')"
        )
        return
    table = Table("account", "name", "alert", "before", "now", "detail", title=f"Alerts on {day}")
    for r in out.itertuples():
        table.add_row(r.account, r.name, r.kind.replace("_", " "), str(r.before), str(r.now), r.detail)
    console.print(table)


@health_app.command("override")
def health_override(
    account: str = typer.Argument(..., help="Internal id, external id or exact name."),
    reason: str = typer.Option(..., help="Why: shown beside the score."),
    until: str = typer.Option(..., help="Last day in force (YYYY-MM-DD)."),
    band: str = typer.Option(None, help="The band to show (e.g. red)."),
    score: float = typer.Option(None, help="The score to show (0-100)."),
) -> None:
    """Override an account's health band or score, with a reason, until a day.

    Example: [bold]northstar health override ACME-000012 --band red --reason "sponsor left" --until 2026-12-31[/bold]
    """
    from northstar.health.service import set_override
    from northstar.store import open_settings

    settings = open_settings()
    acc_id, label = _account_ref(settings, account)
    try:
        set_override(settings, acc_id, reason, date.fromisoformat(until), band, score)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    shown = " and ".join(x for x in (band, None if score is None else f"score {score:g}") if x)
    console.print(f"{label}: {shown} until {until} ({reason})")


def _account_ref(settings, ref: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    from northstar.customer360.service import AccountNotFound, find_account
    from northstar.db.engine import session_scope

    with session_scope(settings.database_url) as s:
        try:
            acc = find_account(s, ref)
        except AccountNotFound:
            err.print(f"[red]no account {ref!r}[/red]")
            raise typer.Exit(1) from None
        return acc.id, f"{acc.name} ({acc.external_id})"


def _check_target(target: str) -> None:
    if target not in TARGETS:
        err.print(f"[red]--target is one of {', '.join(TARGETS)}[/red]")
        raise typer.Exit(2)


@risk_app.command("backtest")
def risk_backtest(
    as_of: list[str] = typer.Option(..., "--as-of", help="An observation day (repeat for several; pooled)."),
    horizon: int = typer.Option(90, help="Days after the observation day in which churn or contraction counts."),
    lead: int = typer.Option(0, help="Days skipped before the horizon starts (an outcome already under way)."),
    months: int = typer.Option(12, help="Monthly observations the model trains on, before the first day."),
    model: bool = typer.Option(True, help="Train and test the risk model too (--no-model: scorecards only)."),
    target: str = typer.Option("churn", "--target", help="churn (churn or contraction) or expansion."),
) -> None:
    """Score past days and check against what happened: the risk model (trained only on what was known
    before the first day) and every health scorecard: AUC, PR-AUC, top-decile lift, Brier, calibration.
    With --target expansion: the expansion-propensity model alone.

    Example: [bold]northstar risk backtest --as-of 2026-04-01 --as-of 2026-07-01[/bold]
    """
    from northstar.health.backtest import model_backtest, scorecard_backtest
    from northstar.store import open_settings

    settings = open_settings()
    days = sorted(date.fromisoformat(d) for d in as_of)
    with _progress() as bar:
        task = bar.add_task("back-testing", total=None)
        _check_target(target)
        evaluations = list(scorecard_backtest(settings, days, horizon, lead).results) if target == "churn" else []
        if model or target != "churn":
            evaluations.insert(0, model_backtest(settings, days, horizon, lead, months, target)[0])
        bar.update(task, completed=1, total=1)
    table = Table("predictor", "accounts", "positives", "base rate", "AUC", "PR-AUC", "top-decile lift", "Brier")
    table.title = f"{TARGETS[target].capitalize()} within {horizon} days of {', '.join(map(str, days))}"
    for e in evaluations:
        r = e.row()
        table.add_row(
            str(r["predictor"]),
            f"{r['accounts']:,}",
            f"{r['positives']:,}",
            f"{r['base_rate']:.1%}",
            f"{r['auc']:.3f}",
            f"{r['pr_auc']:.3f}",
            f"{r['top_decile_lift']:.2f}",
            "" if r["brier"] is None else f"{r['brier']:.4f}",
        )
    console.print(table)
    for e in evaluations:
        if e.calibration is not None:
            cal = Table("bin", "accounts", "predicted", "observed", title=f"Calibration of the {e.name}")
            for c in e.calibration.itertuples():
                cal.add_row(str(c.bin), f"{c.accounts:,}", f"{c.predicted:.1%}", f"{c.observed:.1%}")
            console.print(cal)


@risk_app.command("weights")
def risk_weights(
    as_of: list[str] = typer.Option(..., "--as-of", help="An observation day (repeat for several; pooled)."),
    horizon: int = typer.Option(90, help="Churn or contraction within this many days."),
    lead: int = typer.Option(0, help="Days skipped before the horizon starts."),
    scorecard: str = typer.Option(None, help="The scorecard (default: the one for every other account)."),
) -> None:
    """Suggest scorecard weights from the data: which measures' points told churn apart, with the evidence.

    Example: [bold]northstar risk weights --as-of 2026-05-01 --as-of 2026-06-01 --as-of 2026-07-01[/bold]
    """
    from northstar.health.weights import suggest_for
    from northstar.store import open_settings

    days = sorted(date.fromisoformat(d) for d in as_of)
    with _progress() as bar:
        task = bar.add_task("fitting", total=None)
        card, table_, n, positives = suggest_for(open_settings(), days, horizon, lead, scorecard)
        bar.update(task, completed=1, total=1)
    title = f"Scorecard {card.name}: {n:,} examples, {positives:,} churned or contracted within {horizon} days"
    table = Table("measure", "β (per sd)", "95% interval", "AUC alone", "missing", "current", "suggested", title=title)
    for r in table_.itertuples():
        table.add_row(
            r.measure,
            f"{r.beta:+.3f}",
            f"{r.ci_low:+.3f} … {r.ci_high:+.3f}",
            f"{r.auc_alone:.3f}",
            f"{r.missing:.0%}",
            f"{r.current_share:.0%}",
            f"{r.suggested_share:.0%}",
        )
    console.print(table)
    console.print(
        "β < 0 with its interval below 0: more points, less churn. Correlated measures share credit: read, then "
        "decide (docs/health.md)."
    )


@risk_app.command("train")
def risk_train(
    as_of: str = typer.Option(None, "--as-of", help="Train on what was known by this day; default today."),
    months: int = typer.Option(12, help="Monthly observations to learn from."),
    horizon: int = typer.Option(90, help="Churn or contraction within this many days."),
    lead: int = typer.Option(0, help="Days skipped before the horizon starts."),
    target: str = typer.Option("churn", "--target", help="churn (churn or contraction) or expansion."),
) -> None:
    """Train the churn-risk model and keep it in the data folder (models/risk.pkl); with --target expansion,
    the expansion-propensity model (models/expansion.pkl), which `northstar success signals` then shows.

    Example: [bold]northstar risk train --months 18 --target expansion[/bold]
    """
    from northstar.health.risk import model_path, train
    from northstar.store import open_settings

    settings = open_settings()
    day = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    with _progress() as bar:
        task = bar.add_task(f"training on {months} months of observations", total=None)
        try:
            model, data = train(settings, day, months, horizon, lead, target)
        except ValueError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        bar.update(task, completed=1, total=1)
    path = model_path(settings, target)
    model.save(path)
    console.print(
        f"trained on {len(data):,} examples from {model.trained_on[0]} to {model.trained_on[-1]} "
        f"({data['label'].mean():.1%} with {TARGETS[target]} within {horizon} days); saved to {path}"
    )


@risk_app.command("score")
def risk_score(
    as_of: str = typer.Option(None, "--as-of", help="Score as of this day; default today."),
    fmt: str = typer.Option("table", "--format", help="table (the riskiest accounts) or csv."),
    limit: int = typer.Option(20, help="Accounts shown in table format."),
    all_drivers: bool = typer.Option(
        False, "--all-drivers", help="Drivers for every account (default: those with above-average risk)."
    ),
    target: str = typer.Option("churn", "--target", help="churn (churn or contraction) or expansion."),
) -> None:
    """Each paying account's probability of churn or contraction (or, with --target expansion, of expanding),
    with its three main drivers.

    Example: [bold]northstar risk score --format csv > risk.csv[/bold]
    """
    from northstar.health.risk import RiskModel, model_path
    from northstar.health.risk import score as risk_of
    from northstar.store import open_settings

    settings = open_settings()
    day = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    try:
        _check_target(target)
        model = RiskModel.load(model_path(settings, target))
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/red]" + (" (with --target expansion)" if target != "churn" else ""))
        raise typer.Exit(1) from None
    out = _named(settings, risk_of(settings, model, day, explain_above=0.0 if all_drivers else None))
    if fmt == "csv":
        sys.stdout.write(out.to_csv(index=False))
        return
    title = f"{TARGETS[target].capitalize()} within {model.horizon} days, as of {day}"
    table = Table("account", "name", "probability", "drivers (strongest first)", title=title)
    for r in out.head(limit).itertuples():
        drivers = [d for d in (r.driver_1, r.driver_2, r.driver_3) if isinstance(d, str)]
        table.add_row(r.account, r.name, f"{r.risk:.1%}", ", ".join(drivers))
    console.print(table)


@health_app.command("measures")
def health_measures() -> None:
    """The measures a scorecard can use, with what each means.

    Example: [bold]northstar health measures[/bold]
    """
    from northstar.health.measures import CATALOGUE, FUNCTIONS

    table = Table("measure", "unit", "meaning")
    for name, src in CATALOGUE.items():
        table.add_row(name, src.unit, src.description)
    console.print(table)
    console.print(f"Expressions may combine them with + - * /, comparisons, CASE and: {', '.join(sorted(FUNCTIONS))}")


@health_app.command("check")
def health_check(file: Path = typer.Argument(..., help="A scorecard file (YAML).")) -> None:
    """Validate a scorecard file: every problem with its place, or a summary of the scorecards.

    Example: [bold]northstar health check health.yaml[/bold]
    """
    from northstar.health.scorecard import ScorecardError
    from northstar.health.service import load_config
    from northstar.store import open_settings

    try:
        cfg = load_config(open_settings(), file)
    except ScorecardError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    for c in cfg.scorecards:
        who = "every other account" if c.applies_to is None else c.applies_to.model_dump(exclude_none=True)
        console.print(f"{c.name}: {len(c.groups)} groups, {len(c.measures)} measures; applies to {who}")


def _named(settings, frame):  # type: ignore[no-untyped-def]
    """Rows indexed by account id with the account's external id and name in front, in the frame's order."""
    from northstar.metrics.service import with_names

    return with_names(settings, frame.rename_axis("account_id").reset_index(), sort=False)


def _named_scores(settings, scores):  # type: ignore[no-untyped-def]
    out = _named(settings, scores)
    cols = ["account_id", "account", "name", "scorecard", "score", "band", "final_score", "final_band"]
    return out[cols + ["rolled_up_from", "override_reason"]]


@usage_app.command("rollup")
def usage_rollup(
    rebuild: bool = typer.Option(False, "--rebuild", help="Recompute every rollup file, not only new batches."),
) -> None:
    """Bring the daily per-account usage rollups up to date with the event store.

    Imports and the demo do this themselves; run it after copying event files in by hand, or with
    --rebuild to recompute everything (the result is the same).

    Example: [bold]northstar usage rollup --rebuild[/bold]
    """
    from northstar.store import open_settings, rollup_store

    rollups = rollup_store(open_settings())
    with _progress() as bar:
        task = bar.add_task("rolling up event batches", total=None)
        step = lambda done, total: bar.update(task, completed=done, total=total)  # noqa: E731
        n = rollups.rebuild(step) if rebuild else rollups.refresh(step)
    m = rollups.manifest()
    days = m.days("account_day")
    span = f"{days[0]} to {days[-1]}" if days else "no days yet"
    console.print(f"{n} batch{'es' if n != 1 else ''} rolled up; {len(m.batches)} in all, {span}")


@app.command()
def metrics(
    name: str = typer.Argument(None, help="The metric; see --list."),
    list_: bool = typer.Option(False, "--list", help="List the metrics with their formulas."),
    period: str = typer.Option(None, help="month, quarter or ttm (trailing twelve months)."),
    start: str = typer.Option(None, "--from", help="First month (YYYY-MM-DD); default a year before --to."),
    end: str = typer.Option(None, "--to", help="Last day (YYYY-MM-DD); default today."),
    by: str = typer.Option(
        None,
        help="Group by, comma-separated: month, quarter, touchpoint, channel, "
        "language, segment, persona, account_id (feedback metrics).",
    ),
    segment: str = typer.Option(None, help="Only accounts of this segment."),
    persona: str = typer.Option(None, help="Only accounts of this persona."),
    owner: str = typer.Option(None, help="Only accounts this CSM (e-mail) owns."),
    product_line: str = typer.Option(None, "--product-line", help="Only this product line."),
    account: str = typer.Option(None, help="An account (external id) with every account below it."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    limit: int = typer.Option(40, help="Rows shown in table format (csv and json give every row)."),
    columns: str = typer.Option(None, help="Only these columns, comma-separated (e.g. account,users_30d)."),
) -> None:
    """Compute a metric over the stores and print it.

    Example: [bold]northstar metrics retention --period quarter --from 2025-01-01[/bold]
    """
    from northstar.metrics.scope import Scope
    from northstar.metrics.service import CATALOGUE, compute
    from northstar.store import open_settings

    if list_ or not name:
        table = Table("metric", "what it is", "formula", title="Metrics")
        for m in CATALOGUE.values():
            table.add_row(m.name, m.summary, m.formula)
        console.print(table)
        return
    try:
        df = compute(
            open_settings(),
            name,
            date.fromisoformat(start) if start else None,
            date.fromisoformat(end) if end else None,
            period,
            [b.strip() for b in by.split(",") if b.strip()] if by else None,
            Scope(segment, persona, owner, product_line, account),
        )
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if columns:
        wanted = [c.strip() for c in columns.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in df.columns]
        if unknown:
            err.print(f"[red]no column {', '.join(unknown)}; {name} has: {', '.join(map(str, df.columns))}[/red]")
            raise typer.Exit(1)
        df = df[wanted]
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(df.to_json(orient="records", date_format="iso", indent=2) + "\n")
    else:
        shown = df.head(limit) if limit > 0 else df
        notes = [f"{len(shown):,} of {len(df):,} rows"] if len(shown) < len(df) else []
        fits = max(4, console.width // 12)  # a wide metric (usage has ~30 columns) is cut, not squeezed
        if not columns and len(shown.columns) > fits:
            notes.append(f"{fits} of {len(df.columns)} columns (choose with --columns)")
            shown = shown[list(shown.columns[:fits])]
        if notes:
            notes.append("--format csv for everything")
        table = Table(*[str(c) for c in shown.columns], title=name, caption="; ".join(notes) or None)
        for row in shown.itertuples(index=False):
            table.add_row(
                *[
                    f"{v:,.4f}"
                    if isinstance(v, float) and abs(v) < 10
                    else f"{v:,.2f}"
                    if isinstance(v, float)
                    else str(v)
                    for v in row
                ]
            )
        console.print(table)


def _print_profile(p) -> None:  # type: ignore[no-untyped-def]
    a = p.account
    head = Table.grid(padding=(0, 2))
    head.add_row("[bold]" + a.name + "[/bold]", f"{a.external_id} · {a.segment or '-'} · {a.industry or '-'}")
    head.add_row("Owner", p.owner.name if p.owner else "unassigned")
    head.add_row("Persona / stage", f"{a.persona or '-'} / {a.lifecycle_stage.value if a.lifecycle_stage else '-'}")
    head.add_row("MRR / ARR", f"{p.mrr:,.2f} / {p.arr:,.2f}")
    head.add_row("Renewal", str(p.renewal_date or "-"))
    head.add_row("Product lines", ", ".join(p.product_lines) or "-")
    if p.parent:
        head.add_row("Parent", f"{p.parent.name} ({p.parent.external_id})")
    if p.children:
        head.add_row("Subsidiaries", ", ".join(c.name for c in p.children))
    u = p.usage
    trend = "n/a" if u.trend is None else f"{u.trend:+.0%}"
    head.add_row(
        "Usage (30 days)",
        f"{u.events_30d:,} events ({trend} vs prior 30), {u.active_users_30d} users, "
        f"{u.active_days_30d} active days; last activity {u.last_activity or 'never'}",
    )
    head.add_row("Support", f"{len(p.open_tickets)} open tickets, {p.tickets_90d} in the last 90 days")
    head.add_row("Last NPS", "-" if p.nps_last is None else str(p.nps_last))
    console.print(head)
    contacts = Table("contact", "role", "e-mail", "language", title="Contacts")
    for c in p.contacts[:10]:
        contacts.add_row(c.name, c.role.value, c.email or "", c.language)
    console.print(contacts)
    timeline = Table("when", "what", "detail", title="Timeline (latest)")
    for item in p.timeline:
        timeline.add_row(item.at.strftime("%Y-%m-%d"), item.title, (item.detail or "")[:80])
    console.print(timeline)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
