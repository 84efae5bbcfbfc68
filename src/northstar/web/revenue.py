"""The revenue page: the renewal and revenue forecast of the accounts paying now (with its intervals), the
retention models behind it, and the accounts with the most value still to come (thin over
``revenue.clv`` and ``revenue.forecast``, read from what the worker keeps)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from northstar import i18n
from northstar.auth.permissions import Permission, own_accounts_only, require
from northstar.config import Settings
from northstar.metrics.scope import Scope
from northstar.metrics.service import with_names
from northstar.revenue import clv
from northstar.revenue.forecast import cached, forecast
from northstar.web.charts import Series, lines_chart
from northstar.web.security import current_user, db
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)
TOP = 25


@router.get("/revenue")
def revenue_page(request: Request, session: Session = Depends(db, scope="function")) -> Response:
    settings: Settings = request.app.state.settings
    user = current_user(request, session)
    require(user, Permission.VIEW_DASHBOARDS)
    today = datetime.now(UTC).date()
    result = clv.values(settings, today, wait=False)
    # a CSM limited to its own accounts sees their values and their forecast only (made here: a small book)
    own = Scope(owner=user.email).account_ids(settings) if own_accounts_only(user, settings) else None
    if own is not None and result is not None:
        frame = forecast(result, accounts=own, draws=400)
    else:
        frame = cached(settings, today, wait=False)
    _ = i18n.gettext
    chart, top, groups, total = "", [], [], 0.0
    if frame is not None and not frame.empty:
        start = [(i18n.day(today), frame.attrs["book_mrr"])]
        points = start + [(row.quarter, row.mrr_end) for row in frame.itertuples()]
        low = [frame.attrs["book_mrr"], *frame["mrr_end_low"]]
        high = [frame.attrs["book_mrr"], *frame["mrr_end_high"]]
        chart = lines_chart(
            [Series(_("MRR of the accounts paying now"), points, low=low, high=high)],
            label=_("MRR at each quarter's end, with its 90%% interval"),
            zero=False,
        )
    if result is not None and not result.accounts.empty:
        paying = result.accounts[~result.accounts["churned"]]
        if own is not None:
            paying = paying[paying["account_id"].isin(list(own))]
        top = with_names(settings, paying.head(TOP), sort=False).to_dict("records")
        total = float(paying["residual_value"].sum())
        groups = sorted(result.groups.values(), key=lambda g: (g.billing, g.segment or ""))
    return render(
        request,
        "revenue.html",
        user,
        result=result,
        forecast=frame,
        chart=chart,
        top=top,
        groups=groups,
        total=total,
    )
