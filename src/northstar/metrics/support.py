"""Support metrics per month the tickets were opened in (or any grouping of ticket or account fields).

* First response time and time to resolution: median and 90th percentile, in hours (continuous quantiles).
* Share within SLA: of the tickets whose first-response target has passed (or that were answered), the
  share answered within the target for their priority (``SLA_HOURS``; configurable).
* Resolution rate: tickets resolved / tickets opened, within the group.
* Backlog at a moment: tickets opened by then and not resolved by then.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

TICKET_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("priority", pa.string()),
        ("channel", pa.string()),
        ("opened_at", pa.timestamp("us")),
        ("first_response_at", pa.timestamp("us")),
        ("resolved_at", pa.timestamp("us")),
        ("segment", pa.string()),
        ("persona", pa.string()),
    ]
)
#: First-response targets in hours by priority (a common default; set your own per call).
SLA_HOURS = {"urgent": 1.0, "high": 4.0, "normal": 8.0, "low": 24.0}


def tickets_table(rows: pa.Table) -> ir.Table:
    return ibis.memtable(rows.select(TICKET_SCHEMA.names).cast(TICKET_SCHEMA))


def _hours(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    return (later.epoch_seconds() - earlier.epoch_seconds()) / 3600.0


def support(
    t: ir.Table, as_of: datetime, by: list[str] | None = None, sla: dict[str, float] | None = None
) -> pd.DataFrame:
    """Support figures per group (default: month opened) for tickets opened before ``as_of``."""
    sla = sla or SLA_HOURS
    t = t.filter(t.opened_at < as_of)
    by = by or ["month"]
    if "month" in by:
        t = t.mutate(month=t.opened_at.truncate("M").cast("date"))
    target = ibis.cases(*[(t.priority == k, v) for k, v in sla.items()], else_=max(sla.values()))
    answered = t.first_response_at.notnull() & (t.first_response_at <= as_of)
    resolved = t.resolved_at.notnull() & (t.resolved_at <= as_of)
    frt = ibis.ifelse(answered, _hours(t.first_response_at, t.opened_at), ibis.null("float64"))
    ttr = ibis.ifelse(resolved, _hours(t.resolved_at, t.opened_at), ibis.null("float64"))
    due = answered | (_hours(ibis.literal(as_of), t.opened_at) > target)
    met = answered & (frt <= target)
    t = t.mutate(_frt=frt, _ttr=ttr, _due=due, _met=met, _resolved=resolved)
    out = (
        t.group_by(by)
        .aggregate(
            opened=t.count(),
            resolved=t.count(where=t._resolved),
            open_now=t.count(where=~t._resolved),
            first_response_median_h=t._frt.median(),
            first_response_p90_h=t._frt.quantile(0.9),
            resolution_median_h=t._ttr.median(),
            resolution_p90_h=t._ttr.quantile(0.9),
            sla_due=t.count(where=t._due),
            sla_met=t.count(where=t._met),
        )
        .order_by(by)
        .execute()
    )
    out["resolution_rate"] = out.resolved / out.opened
    out["within_sla"] = out.sla_met / out.sla_due.where(out.sla_due > 0)
    if "month" in out:
        out["month"] = pd.to_datetime(out["month"]).dt.date
    return out


def backlog(t: ir.Table, moment: datetime) -> int:
    """Tickets opened by ``moment`` and not resolved by then."""
    open_then = t.filter((t.opened_at <= moment) & (t.resolved_at.isnull() | (t.resolved_at > moment)))
    return int(open_then.count().execute())
