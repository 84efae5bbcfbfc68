"""The dashboard page: charts drawn on the server from the cached dashboard, each mark linking to the list
of the accounts behind it (``/accounts?chart=...&key=...`` with the dashboard's filters)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from northstar import i18n
from northstar.auth.models import User
from northstar.auth.permissions import Permission, own_accounts_only, require
from northstar.config import Settings
from northstar.dashboards.cache import dashboard
from northstar.dashboards.service import CHARTS, MOVEMENTS, Dashboard, DashboardFilters
from northstar.metrics.revenue import KINDS
from northstar.savedviews.service import list_views
from northstar.web.charts import Bar, Series, bar_chart, lines_chart, waterfall
from northstar.web.labels import label
from northstar.web.security import current_user, db
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)
_ = i18n.gettext


def _n_accounts(n: int) -> str:
    return i18n.ngettext("%(num)s account", "%(num)s accounts", n)


def dashboard_filters(request: Request, user: User, settings: Settings) -> DashboardFilters:
    """The filters from the query string; a CSM limited to its own accounts sees only those, whatever it asks."""
    q = request.query_params
    owner = user.email if own_accounts_only(user, settings) else q.get("owner", "")
    return DashboardFilters(q.get("segment", ""), q.get("persona", ""), owner, q.get("line", ""))


def drill(filters: DashboardFilters, chart: str, key: str) -> str:
    return "/accounts?" + urlencode({**filters.params(), "chart": chart, "key": key})


def _label(month: object) -> str:
    return i18n.month(pd.Timestamp(month).date())


def _quarter(end: object) -> str:
    return i18n.quarter(pd.Timestamp(end).date())


def charts(d: Dashboard) -> dict[str, str]:
    """Every chart of the page as inline SVG."""
    f = d.filters
    out: dict[str, str] = {}
    r = d.retention.dropna(subset=["nrr"])
    keys = [pd.Timestamp(e).strftime("%Y-%m") for e in r["period_end"]]
    out["retention"] = lines_chart(
        [
            Series("NRR", [(_quarter(e), v) for e, v in zip(r["period_end"], r["nrr"], strict=True)], "nrr"),
            Series(
                "GRR",
                [(_quarter(e), v) for e, v in zip(r["period_end"], r["grr"], strict=True)],
                "grr",
                links=[drill(f, "retention", k) for k in keys],
            ),
        ],
        label=_("Net and gross revenue retention by quarter"),
        percent=True,
        zero=False,
    )
    out["churn"] = bar_chart(
        [
            Bar(_quarter(e), v, drill(f, "churn", k), "down", i18n.percent(v, 1))
            for e, v, k in zip(r["period_end"], r["logo_churn"], keys, strict=True)
        ],
        label=_("Logo churn by quarter (share of accounts paying at the start)"),
        percent=True,
    )
    m = d.movements
    if not m.empty:
        names = {"new": _("New"), "expansion": _("Expansion"), "contraction": _("Contraction"), "churn": _("Churn")}
        names["reactivation"] = _("Reactivation")
        steps = [Bar(_("Start %(month)s", month=_label(m["month"].iloc[0])), float(m["start_mrr"].iloc[0]))]
        steps += [Bar(names[k], float(m[k].sum()), drill(f, "movement", k)) for k in KINDS]
        steps.append(Bar(_("End %(month)s", month=_label(m["month"].iloc[-1])), float(m["end_mrr"].iloc[-1])))
        out["waterfall"] = waterfall(steps, label=_("MRR movements over the last 12 months"))
    else:
        out["waterfall"] = waterfall([], label=_("MRR movements over the last 12 months"))
    b = d.bands
    out["bands"] = bar_chart(
        [
            Bar(label(band), float(n), drill(f, "band", str(band)), f"band-{str(band).lower()}", _n_accounts(int(n)))
            for band, n in zip(b["health_band"], b["accounts"], strict=True)
        ],
        label=_("Paying accounts by health band"),
    )
    fb = d.feedback
    months = [_label(x) for x in fb["month"]] if not fb.empty else []
    mkeys = [pd.Timestamp(x).strftime("%Y-%m") for x in fb["month"]] if not fb.empty else []

    def col(name: str) -> list[float | None]:
        return [None if pd.isna(v) else float(v) for v in fb[name]] if name in fb else [None] * len(fb)

    out["nps"] = lines_chart(
        [
            Series(
                "NPS",
                list(zip(months, col("nps"), strict=True)),
                "nps",
                low=col("nps_low"),
                high=col("nps_high"),
                links=[drill(f, "nps", k) for k in mkeys],
            )
        ],
        label=_("NPS by month with its 95 percent interval"),
    )
    out["csat"] = lines_chart(
        [Series("CSAT", list(zip(months, col("csat"), strict=True)), "csat")],
        label=_("CSAT by month (share of 4 and 5 answers)"),
        percent=True,
    )
    return out


def heatmap(d: Dashboard) -> dict[str, object]:
    """The cohort grid: per start month, logo retention by age in months (and the link to the cohort)."""
    g = d.cohorts
    if g.empty:
        return {"ages": [], "rows": []}
    ages = list(range(int(g["age"].max()) + 1))
    floor = min(float(g["logo"].min()), 0.99)  # the shades span the grid's own range, not 0-100%

    def shade(v: float) -> int:
        return round(10 * (v - floor) / (1 - floor))

    rows = []
    for cohort, part in g.groupby("cohort"):
        by_age = part.set_index("age")
        rows.append(
            {
                "label": _label(cohort),
                "href": drill(d.filters, "cohort", pd.Timestamp(cohort).strftime("%Y-%m")),
                "size": int(part["size"].iloc[0]),
                "cells": [
                    (float(by_age.loc[a, "logo"]), shade(float(by_age.loc[a, "logo"]))) if a in by_age.index else None
                    for a in ages
                ],
            }
        )
    return {"ages": ages, "rows": rows}


@router.get("/dashboards")
def dashboards_page(request: Request, session: Session = Depends(db, scope="function")) -> Response:
    settings: Settings = request.app.state.settings
    user = current_user(request, session)
    require(user, Permission.VIEW_DASHBOARDS)
    filters = dashboard_filters(request, user, settings)
    today: date = datetime.now(UTC).date()
    d = dashboard(settings, today, filters)
    renewals = d.renewals
    return render(
        request,
        "dashboards.html",
        user,
        d=d,
        charts=charts(d),
        heat=heatmap(d),
        moves={(a, b): int(n) for a, b, n in d.band_moves[["from_band", "to_band", "accounts"]].itertuples(index=False)}
        if not d.band_moves.empty
        else {},
        choices=d.choices,
        locked_owner=own_accounts_only(user, settings),
        params=filters.params(),
        renewals=renewals.head(10).to_dict("records"),
        renewal_totals={
            "accounts": len(renewals),
            "arr": float(renewals["arr"].sum()) if len(renewals) else 0.0,
            "at_risk": float(renewals["at_risk_arr"].sum()) if len(renewals) else 0.0,
        },
        drill=lambda chart, key: drill(filters, chart, key),
        currency=settings.currency,
        views=list_views(session, user.id, "dashboards"),
        view_page="dashboards",
        view_query=request.url.query,
    )


def describe(chart: str, key: str) -> str:
    """A heading for the list behind a mark, in the request's language: "MRR movement: churn, 2026-10"."""
    parts = []
    for part in key.replace(">", ":").split(":"):
        parts.append(i18n.gettext(MOVEMENTS[part]) if part in MOVEMENTS else label(part))
    joiner = " → " if ">" in key else ", "
    return f"{i18n.gettext(CHARTS[chart]) if chart in CHARTS else chart}: {joiner.join(parts)}"
