"""The success configuration, edited in the app by CS operations (``/admin/config/<name>``): personas, success maps,
vehicles, playbooks, ROI models, expansion signals and lifetime value. Each is its YAML file
(``northstar.configfiles``): the text is checked before saving (errors name the place, and nothing changes), the
version it replaces is kept in its history, and the worker applies it at its next refresh. The playbooks page also
runs a dry run (what would fire now) and shows the audit log of recent firings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import i18n
from northstar.auth.models import User
from northstar.auth.permissions import Permission, require
from northstar.configfiles import ConfigError, ConfigFile
from northstar.web.security import current_user, db, form_user
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)


def editable() -> dict[str, tuple[ConfigFile[Any], str, str]]:
    """name -> (file, title, the page of docs that describes it)."""
    from northstar.playbooks.definitions import FILE as PLAYBOOKS
    from northstar.revenue.clv import FILE as CLV
    from northstar.success.expansion import FILE as EXPANSION
    from northstar.success.maps import FILE as MAPS
    from northstar.success.personas import FILE as PERSONAS
    from northstar.success.plans import ROI
    from northstar.success.vehicles import FILE as VEHICLES

    return {
        "personas": (PERSONAS, i18n.N_("Personas"), "docs/success.md"),
        "success_maps": (MAPS, i18n.N_("Success maps"), "docs/success.md"),
        "vehicles": (VEHICLES, i18n.N_("Success vehicles"), "docs/success.md"),
        "playbooks": (PLAYBOOKS, i18n.N_("Playbooks"), "docs/playbooks.md"),
        "roi": (ROI, i18n.N_("ROI models"), "docs/success.md"),
        "expansion": (EXPANSION, i18n.N_("Expansion signals"), "docs/success.md"),
        "clv": (CLV, i18n.N_("Lifetime value"), "docs/clv.md"),
    }


def _file(name: str) -> tuple[ConfigFile[Any], str, str]:
    found = editable().get(name)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no configuration file {name!r}")
    return found


@router.get("/admin/config")
def config_home() -> Response:
    return RedirectResponse("/admin/config/playbooks", status_code=303)


@router.get("/admin/config/{name}")
def config_page(
    request: Request, name: str, saved: bool = False, session: Session = Depends(db, scope="function")
) -> Response:
    user = current_user(request, session)
    require(user, Permission.MANAGE_CONFIG)
    file, _title, _doc = _file(name)
    return _page(request, session, user, name, file.text(request.app.state.settings), None, saved)


@router.post("/admin/config/{name}")
def config_save(
    request: Request,
    name: str,
    text: str = Form(""),
    csrf: str = Form(""),
    session: Session = Depends(db, scope="function"),
) -> Response:
    user = form_user(request, session, csrf, Permission.MANAGE_CONFIG)
    file, _title, _doc = _file(name)
    try:
        file.save(request.app.state.settings, text, by=user.email)
    except ConfigError as exc:
        return _page(request, session, user, name, text, str(exc), False, status_code=422)
    return RedirectResponse(f"/admin/config/{name}?saved=1", status_code=303)


@router.post("/admin/config/playbooks/dry-run")
def playbooks_dry_run(
    request: Request, csrf: str = Form(""), session: Session = Depends(db, scope="function")
) -> Response:
    """What the state-triggered playbooks would do now: listed, and written to the audit log as dry runs only."""
    from northstar.playbooks.definitions import FILE
    from northstar.playbooks.engine import run

    user = form_user(request, session, csrf, Permission.MANAGE_CONFIG)
    settings = request.app.state.settings
    try:
        config = FILE.load(settings)
    except ConfigError as exc:
        return _page(request, session, user, "playbooks", FILE.text(settings), str(exc), False, status_code=422)
    report = run(settings, config, dry_run=True) if config is not None else None
    return _page(request, session, user, "playbooks", FILE.text(settings), None, False, dry_run=report)


def _page(
    request: Request,
    session: Session,
    user: User,
    name: str,
    text: str,
    error: str | None,
    saved: bool,
    status_code: int = 200,
    dry_run: Any = None,
) -> Response:
    from northstar.accounts.models import Account
    from northstar.playbooks.models import PlaybookRun

    settings = request.app.state.settings
    files = editable()
    file, title, doc = files[name]
    runs = []
    if name == "playbooks":
        runs = session.execute(
            select(PlaybookRun, Account.name)
            .outerjoin(Account, Account.id == PlaybookRun.account_id)
            .order_by(PlaybookRun.fired_at.desc(), PlaybookRun.id.desc())
            .limit(50)
        ).all()
    names = {}
    if dry_run is not None and dry_run.fired:
        ids = {account_id for _k, account_id, _r, _a in dry_run.fired}
        names = dict(session.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all())
    return render(
        request,
        "config.html",
        user,
        status_code=status_code,
        current=name,
        title=title,
        doc=doc,
        files=[(key, t) for key, (_f, t, _d) in files.items()],
        text=text,
        error=error,
        saved=saved,
        versions=[p.name for p in file.history(settings)][:20],
        runs=runs,
        dry_run=dry_run,
        names=names,
    )
