"""``northstar surveys``: the survey definitions, and asking a contact (a personal link, or e-mail)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

surveys_app = typer.Typer(help="Surveys: definitions, personal links and e-mail invitations.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


@surveys_app.command("list")
def list_surveys() -> None:
    """The surveys defined (NORTHSTAR_HOME/surveys.yaml, else the shipped ones) and their languages.

    Example: [bold]northstar surveys list[/bold]
    """
    from northstar.store import open_settings
    from northstar.surveys.definitions import SurveyError, load_surveys

    try:
        config = load_surveys(open_settings())
    except SurveyError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    table = Table("key", "type", "touchpoint", "every", "link valid", "languages", title="Surveys")
    for s in config.surveys:
        every = f"{s.every_days} days" if s.every_days else "-"
        table.add_row(
            s.key, s.type, s.touchpoint, every, f"{s.expires_days} days", " ".join(sorted(s.question.languages()))
        )
    console.print(table)
    console.print(f"No contact is asked more often than every {config.throttle_days} days.")


def _ask(survey: str, contact: str, trigger: str | None, campaign: str | None, email: bool) -> None:
    from sqlalchemy import select

    from northstar.accounts.models import Contact
    from northstar.db.engine import session_scope
    from northstar.messaging.email import MailNotConfigured
    from northstar.store import open_settings
    from northstar.surveys.definitions import SurveyError, load_surveys
    from northstar.surveys.service import SurveyRefused, invite, send_invitation

    settings = open_settings()
    try:
        config = load_surveys(settings)
        with session_scope(settings.database_url) as s:
            found = s.scalar(select(Contact).where(Contact.external_id == contact))
            if found is None:
                raise SurveyRefused(f"no contact with external id {contact!r}")
            if email:
                sent = send_invitation(settings, s, config, survey, found.id, trigger=trigger, campaign=campaign)
            else:
                sent = invite(s, config, survey, found.id, trigger=trigger, channel="link", campaign=campaign)
            s.flush()
            language, expires = sent.invitation.language, sent.invitation.expires_at
    except (SurveyRefused, SurveyError, KeyError, MailNotConfigured, OSError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    how = f"e-mailed to {found.email}" if email else "the personal link"
    console.print(f"{survey} for {contact} ({language}), {how}, valid until {expires:%Y-%m-%d}:")
    console.print(f"{settings.base_url}{sent.path}", soft_wrap=True)


@surveys_app.command("link")
def link(
    survey: str = typer.Option(..., help="The survey's key (northstar surveys list)."),
    contact: str = typer.Option(..., help="The contact's external id."),
    trigger: str = typer.Option(None, help="What asks (e.g. ticket:T-12): never twice for the same one."),
    campaign: str = typer.Option(None, help="The send it belongs to (response rates per campaign)."),
) -> None:
    """Make a personal, single-use survey link for a contact (to send any way you like).

    Example: [bold]northstar surveys link --survey relationship-nps --contact ACME-000012-c1[/bold]
    """
    _ask(survey, contact, trigger, campaign, email=False)


@surveys_app.command("send")
def send(
    survey: str = typer.Option(..., help="The survey's key (northstar surveys list)."),
    contact: str = typer.Option(..., help="The contact's external id."),
    trigger: str = typer.Option(None, help="What asks (e.g. ticket:T-12): never twice for the same one."),
    campaign: str = typer.Option(None, help="The send it belongs to (response rates per campaign)."),
) -> None:
    """E-mail a contact the survey in their language, over SMTP (NORTHSTAR_SMTP_URL).

    Example: [bold]northstar surveys send --survey support-csat --contact ACME-000012-c1 --trigger ticket:T-12[/bold]
    """
    _ask(survey, contact, trigger, campaign, email=True)


@surveys_app.command("run")
def run_triggers(
    dry_run: bool = typer.Option(False, "--dry-run", help="List who is due, send nothing."),
    links: bool = typer.Option(False, "--links", help="Make personal links instead of e-mailing them."),
) -> None:
    """Ask everyone the surveys' triggers make due now (tickets resolved, touchpoints, renewals, schedules),
    within the throttling rules; run it daily (the server's worker does, when e-mail is set up).

    Example: [bold]northstar surveys run --dry-run[/bold]
    """
    from collections import Counter

    from northstar.db.engine import session_scope
    from northstar.messaging.email import MailNotConfigured
    from northstar.store import open_settings
    from northstar.surveys.definitions import SurveyError, load_surveys
    from northstar.surveys.triggers import due, run

    settings = open_settings()
    try:
        config = load_surveys(settings)
        with session_scope(settings.database_url) as s:
            if dry_run:
                found = due(s, config)
                for survey, n in sorted(Counter(d.survey for d in found).items()):
                    console.print(f"{survey}: {n:,} contacts due (before throttling)")
                if not found:
                    console.print("Nobody is due.")
                return
            report = run(settings, s, config, links=links)
    except (SurveyError, MailNotConfigured, OSError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"{len(report.sent):,} invitations {'made' if links else 'sent'}")
    for reason, n in report.skipped.most_common():
        console.print(f"  {n:,} not asked: {reason}")
