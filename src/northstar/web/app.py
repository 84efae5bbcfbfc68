"""The FastAPI application: sign-in, the account list and the account page (Customer 360)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import fastapi_offline
from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware

from northstar import __version__, i18n
from northstar.accounts.service import segments
from northstar.api.rest import router as rest_router
from northstar.api.surveys import router as survey_api_router
from northstar.api.tracking import router as tracking_router
from northstar.api.tracking import schemas as tracking_schemas
from northstar.api.worker import WorkerProcess
from northstar.auth.models import User
from northstar.auth.permissions import Forbidden, Permission, account_owner_filter, can, can_see_account, require
from northstar.auth.service import authenticate
from northstar.config import Settings
from northstar.customer360.service import AccountNotFound, build_profile, find_account
from northstar.dashboards.cache import dashboard
from northstar.dashboards.service import accounts_behind
from northstar.db.engine import session_scope
from northstar.health.service import active_overrides, band_names, health_history
from northstar.portfolio.service import Filters, account_health, bands, export_csv, list_portfolio, personas
from northstar.revenue.clv import account_value
from northstar.savedviews.service import list_views
from northstar.store import rollup_store
from northstar.success.service import account_plan, account_success, next_actions
from northstar.tasks.service import account_tasks
from northstar.touchpoints.service import LOGGABLE
from northstar.web.charts import line_chart
from northstar.web.config import router as config_router
from northstar.web.dashboards import dashboard_filters, describe
from northstar.web.dashboards import router as dashboards_router
from northstar.web.feedback import router as feedback_router
from northstar.web.revenue import router as revenue_router
from northstar.web.security import (
    Language,
    LoginRequired,
    SecurityHeaders,
    check_csrf,
    current_user,
    db,
    safe_path,
    sign_in,
)
from northstar.web.success import router as success_router
from northstar.web.surveys import router as surveys_router
from northstar.web.tasks import router as tasks_router
from northstar.web.templating import render, templates
from northstar.web.users import remember_language
from northstar.web.users import router as users_router
from northstar.web.views import router as views_router

HERE = Path(__file__).parent
#: The timeline's filters: each item kind's group, and the groups in the order the page offers them.
TIMELINE_GROUPS = {"ticket_opened": "ticket", "ticket_resolved": "ticket", "usage_change": "usage"}
TIMELINE_FILTERS = ("touchpoint", "ticket", "feedback", "usage", "assessment")


def timeline_kinds(show: str) -> frozenset[str]:
    """The groups a ``show=touchpoint,ticket`` parameter asks for; empty or unknown: all of them."""
    wanted = frozenset(k for k in show.split(",") if k in TIMELINE_FILTERS)
    return wanted or frozenset(TIMELINE_FILTERS)


def timeline_chips(shown: frozenset[str]) -> list[tuple[str, bool, str]]:
    """Per group: (name, on, link). With everything shown a chip shows its group alone; once filtered, a chip
    adds or removes its group."""
    everything = len(shown) == len(TIMELINE_FILTERS)
    out = []
    for g in TIMELINE_FILTERS:
        after = {g} if everything else (set(shown) ^ {g})
        show = ",".join(k for k in TIMELINE_FILTERS if k in after)
        out.append((g, g in shown and not everything, f"?show={show}#timeline" if show else "?#timeline"))
    return out


#: The account list's query parameters: its filters and sort, and a dashboard mark's (chart, key, owner, line).
PORTFOLIO_PARAMS = ("q", "segment", "persona", "band", "min_risk", "renewal", "sort", "desc")
PORTFOLIO_PARAMS += ("chart", "key", "owner", "line")
SWAGGER = Path(fastapi_offline.__file__).parent / "static"
API_DESCRIPTION = """Northstar's machine APIs.

* **Tracking** (`/v1/...`): Segment's HTTP Tracking API (identify, track, page, screen, group, alias,
  batch) with a write key as the HTTP Basic user name.
* **Records** (`/api/v1/...`): accounts, contacts, subscriptions, invoices, tickets, touchpoints, feedback
  and assessments by external id. Read calls need a read or admin key, writes a write or admin key, as
  `Authorization: Bearer <token>` or HTTP Basic.

Keys are made with `northstar keys create --scope write|read|admin`."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The intake worker process runs beside the server (applying the tracking log, delivering webhooks);
    the log's writer is closed at shutdown."""
    settings: Settings = app.state.settings
    # Everything loaded so far lives as long as the server: out of the collector's sight, a full collection
    # no longer walks it (under intake load these collections cost more than parsing the requests).
    gc.freeze()
    worker = WorkerProcess(settings) if settings.intake_worker else None
    if worker:
        worker.start()
    try:
        yield
    finally:
        if worker:
            worker.stop()
        if getattr(app.state, "intake_log", None) is not None:
            app.state.intake_log.close()
            app.state.intake_log = None


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(
        title="Northstar",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="northstar_session",
        same_site="lax",
        https_only=False,
        max_age=12 * 3600,
    )
    app.add_middleware(SecurityHeaders, embed_origins=settings.embed_origins)
    app.add_middleware(Language)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER), name="swagger")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(tracking_router)
    app.include_router(rest_router)
    app.include_router(survey_api_router)
    app.include_router(tasks_router)
    app.include_router(dashboards_router)
    app.include_router(views_router)
    app.include_router(surveys_router)
    app.include_router(feedback_router)
    app.include_router(success_router)
    app.include_router(revenue_router)
    app.include_router(config_router)
    app.include_router(users_router)
    base_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's document, plus the tracking messages' schemas (the endpoints read raw bodies)."""
        doc = base_openapi()
        doc.setdefault("components", {}).setdefault("schemas", {}).update(tracking_schemas())
        return doc

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        target = "/login?" + urlencode({"next": request.url.path})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        message = i18n.gettext("Not allowed.")
        return render(request, "error.html", None, status_code=403, message=message, detail=str(exc), back="/accounts")

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """The API reference (public, as the document it shows: it holds no customer data)."""
        return templates.TemplateResponse(request, "docs.html", {})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/accounts") -> Response:
        return render(request, "login.html", None, next=safe_path(next), error=None)

    @app.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        email: str = Form(...),
        password: str = Form(...),
        csrf: str = Form(""),
        next: str = Form("/accounts"),
        session: Session = Depends(db, scope="function"),
    ) -> Response:
        check_csrf(request, csrf)
        user = authenticate(session, email, password)
        if user is None:
            error = i18n.gettext("Wrong e-mail or password.")
            return render(request, "login.html", None, status_code=401, next=safe_path(next), error=error)
        sign_in(request, user)
        response = RedirectResponse(safe_path(next), status_code=303)
        if user.locale in i18n.LANGUAGES and i18n.COOKIE not in request.cookies:  # the user's language, here too
            remember_language(response, user.locale)
        return response

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form("")) -> Response:
        check_csrf(request, csrf)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/")
    def home(request: Request, session: Session = Depends(db, scope="function")) -> Response:
        current_user(request, session)
        return RedirectResponse("/accounts", status_code=303)

    def portfolio_filters(request: Request, user: User, mine: bool) -> tuple[Filters, dict[str, str]]:
        """The list's filters from the query string, the owner limit applied whatever it says."""
        q = request.query_params
        params = {k: q.get(k, "") for k in PORTFOLIO_PARAMS}
        params["mine"] = "true" if mine else ""
        forced = account_owner_filter(user, settings)
        behind = None
        if params["chart"]:  # the accounts behind a dashboard's mark, in the dashboard's scope
            scope = dashboard_filters(request, user, settings)
            try:
                board = dashboard(settings, datetime.now(UTC).date(), scope)
                behind = frozenset(accounts_behind(board, params["chart"], params["key"]))
            except KeyError:
                behind = frozenset()

        def number(key: str) -> float | None:
            try:
                return float(params[key]) if params[key] else None
            except ValueError:
                return None

        renewal = number("renewal")
        filters = Filters(
            q=params["q"],
            segment=params["segment"],
            persona=params["persona"],
            band=params["band"],
            owner_id=forced if forced is not None else (user.id if mine else None),
            min_risk=number("min_risk"),
            renewal_within=int(renewal) if renewal is not None else None,
            account_ids=behind,
        )
        return filters, params

    @app.get("/accounts", response_class=HTMLResponse)
    def accounts(
        request: Request,
        mine: bool = False,
        sort: str = "name",
        desc: bool = False,
        page: int = 1,
        session: Session = Depends(db, scope="function"),
    ) -> Response:
        user = current_user(request, session)
        require(user, Permission.VIEW_ACCOUNTS)
        filters, params = portfolio_filters(request, user, mine)
        result = list_portfolio(session, datetime.now(UTC).date(), filters, sort=sort, desc=desc, page=page)
        return render(
            request,
            "accounts.html",
            user,
            result=result,
            segments=segments(session),
            personas=personas(session),
            bands=bands(session),
            params=params,
            behind=describe(params["chart"], params["key"]) if params["chart"] else None,
            views=list_views(session, user.id, "accounts"),
            view_page="accounts",
            view_query=request.url.query,
            qs=lambda **kw: urlencode({k: v for k, v in {**params, **kw}.items() if v not in ("", None)}),
        )

    @app.get("/accounts.csv")
    def accounts_csv(request: Request, mine: bool = False, sort: str = "name", desc: bool = False) -> Response:
        with session_scope(settings.database_url) as session:
            user = current_user(request, session)
            require(user, Permission.EXPORT)
            filters, _ = portfolio_filters(request, user, mine)
            body = "".join(export_csv(session, datetime.now(UTC).date(), filters, sort, desc))
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="accounts.csv"'},
        )

    @app.get("/accounts/{ref}", response_class=HTMLResponse)
    def account_page(request: Request, ref: str, session: Session = Depends(db, scope="function")) -> Response:
        user = current_user(request, session)
        require(user, Permission.VIEW_ACCOUNTS)
        try:
            account = find_account(session, ref)
        except AccountNotFound:
            return render(request, "not_found.html", user, status_code=404, ref=ref)
        if not can_see_account(user, settings, account.owner_id):
            raise Forbidden("this account belongs to another CSM")
        profile = build_profile(session, rollup_store(settings), account)
        _ = i18n.gettext
        mrr_chart = line_chart([(i18n.month(d), v) for d, v in profile.mrr_history], label=_("MRR by month"))
        usage_chart = line_chart(
            [(i18n.day(w), float(n)) for w, n in profile.usage.weekly], label=_("Usage events per week")
        )
        history = [(i18n.day(d), s) for d, s, _b in health_history(session, account.id) if s is not None]
        today = datetime.now(UTC).date()
        shown = timeline_kinds(request.query_params.get("show", ""))
        return render(
            request,
            "account.html",
            user,
            p=profile,
            mrr_chart=mrr_chart,
            usage_chart=usage_chart,
            health_chart=line_chart(history, label=_("Health score by snapshot day")) if len(history) > 1 else "",
            overrides=active_overrides(session, account.id, today),
            band_names=band_names(settings),
            tasks=account_tasks(session, account.id),
            health=account_health(settings, session, account.id),
            success=account_success(settings, session, account.id),
            next_actions=next_actions(settings, session, account.id, today),
            value=account_value(settings, account.id, today),
            plan=account_plan(settings, session, account.id, today),
            channels=[c.value for c in LOGGABLE],
            can_edit=can(user, Permission.EDIT_ACCOUNTS),
            can_override=can(user, Permission.OVERRIDE_HEALTH),
            today=today,
            timeline=[i for i in profile.timeline if TIMELINE_GROUPS.get(i.kind, i.kind) in shown],
            chips=timeline_chips(shown),
            filtered=len(shown) < len(TIMELINE_FILTERS),
        )

    return app
