"""The measures a scorecard can use: per-account values as of a day, from every domain.

Every value is computed **as of** the start of ``as_of`` (UTC) from what had happened before it: events,
answers, tickets, invoices and touchpoints dated before ``as_of``, subscriptions in force on the day before.
The risk model's training examples rely on this (no value may see the future of its observation date).

A measure is named ``<source>.<name>``: ``usage.active_days_30d``, ``support.open_tickets`` ... (see
``CATALOGUE``, or ``northstar health measures``). A scorecard may also combine them in an expression, e.g.
``usage.events_30d / greatest(usage.users_30d, 1)``: arithmetic, comparisons, ``CASE`` and a few functions,
checked before it runs (``check_expression``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import sqlglot
from sqlglot import expressions as sx

from northstar.config import Settings
from northstar.i18n import N_


@dataclass(frozen=True)
class Source:
    description: str  # marked for the catalogues: the pages show it in the user's language
    unit: str = ""


USAGE = {
    "events_30d": Source(N_("product events in the last 30 days"), "events"),
    "users_30d": Source(N_("distinct active users in the last 30 days"), "users"),
    "users_7d": Source(N_("distinct active users in the last 7 days"), "users"),
    "active_days_30d": Source(N_("days with any event in the last 30 days"), "active days"),
    "active_days_90d": Source(N_("days with any event in the last 90 days"), "active days"),
    "stickiness": Source(N_("DAU / MAU over the last 30 days"), "ratio"),
    "features_30d": Source(N_("distinct features used in the last 30 days"), "features"),
    "features_60d": Source(N_("distinct features used in the last 60 days"), "features"),
    "breadth_30d": Source(N_("share of the product's features used in the last 30 days"), "share of features"),
    "days_since_active": Source(N_("days since the last event"), "days"),
    "events_trend": Source(N_("events in the last 30 days over the 30 before, minus 1"), "ratio"),
    "users_trend": Source(N_("active users in the last 30 days over the 30 before, minus 1"), "ratio"),
    "active_days_trend": Source(N_("active days in the last 30 days over the 30 before, minus 1"), "ratio"),
    "events_30d_vs_90d": Source(N_("events in the last 30 days over a third of the last 90, minus 1"), "ratio"),
    "active_days_30d_vs_90d": Source(
        N_("active days in the last 30 days over a third of the last 90, minus 1"), "ratio"
    ),
    "users_30d_vs_90d": Source(N_("users active in the last 30 days over those active in the last 90"), "ratio"),
    "events_30d_vs_61_90d": Source(N_("events in the last 30 days over those 61-90 days ago, minus 1"), "ratio"),
}
CATALOGUE: dict[str, Source] = {
    **{f"usage.{k}": v for k, v in USAGE.items()},
    "feedback.nps_last": Source(N_("the latest NPS answer in the last 365 days (0-10)"), "score"),
    "feedback.csat_180d": Source(N_("mean CSAT answer in the last 180 days (1-5)"), "score"),
    "feedback.ces_180d": Source(N_("mean CES answer in the last 180 days (1-7)"), "score"),
    "feedback.detractors_365d": Source(N_("NPS answers of 0-6 in the last 365 days"), "answers"),
    "support.open_tickets": Source(N_("tickets open at the start of the day"), "tickets"),
    "support.tickets_90d": Source(N_("tickets opened in the last 90 days"), "tickets"),
    "support.urgent_90d": Source(N_("high or urgent tickets opened in the last 90 days"), "tickets"),
    "support.resolution_hours_90d": Source(N_("median hours to resolve tickets opened in the last 90 days"), "hours"),
    "billing.overdue_invoices": Source(N_("invoices past due and unpaid at the start of the day"), "invoices"),
    "billing.failed_payments_90d": Source(
        N_("failed payment attempts on invoices issued in the last 90 days"), "attempts"
    ),
    "revenue.mrr": Source(N_("MRR in force (reporting currency)"), "money"),
    "revenue.mrr_change_90d": Source(N_("MRR now over MRR 90 days earlier, minus 1"), "ratio"),
    "revenue.days_to_renewal": Source(N_("days until the next renewal date"), "days"),
    "relationship.decision_makers": Source(N_("contacts with the decision-maker role"), "contacts"),
    "relationship.dm_active_30d": Source(
        N_("share of decision makers active in the product in the last 30 days"), "ratio"
    ),
    "relationship.dm_active_90d": Source(
        N_("share of decision makers active in the product in the last 90 days"), "ratio"
    ),
    "relationship.days_since_touch": Source(N_("days since the last touchpoint (call, meeting, e-mail...)"), "days"),
    "relationship.touches_90d": Source(N_("touchpoints in the last 90 days"), "touchpoints"),
}
FUNCTIONS = {
    "greatest",
    "least",
    "coalesce",
    "abs",
    "ln",
    "log",
    "log10",
    "sqrt",
    "pow",
    "power",
    "round",
    "nullif",
    "exp",
    "sign",
}
#: Units of counts (and money, and the share of features used): an account with no rows has 0 of them, not a
#: missing value.
COUNTS = ("events", "users", "active days", "features", "tickets", "invoices", "attempts", "touchpoints", "answers")
COUNTS += ("money", "contacts", "share of features")
_NAME = re.compile(r"\b([a-z]+)\.([a-z0-9_]+)\b")


class MeasureError(ValueError):
    pass


def sources_of(expr: str) -> list[str]:
    """The catalogue measures an expression reads, in order of first use."""
    return list(dict.fromkeys(f"{a}.{b}" for a, b in _NAME.findall(expr)))


def check_expression(expr: str) -> str:
    """The expression as DuckDB SQL over a table whose columns are the measure names, or ``MeasureError``
    saying what is not allowed (only measures, numbers, arithmetic, comparisons, CASE and ``FUNCTIONS``)."""
    unknown = [s for s in sources_of(expr) if s not in CATALOGUE]
    if unknown:
        raise MeasureError(f"unknown measure {', '.join(unknown)} in {expr!r}")
    sql = _NAME.sub(lambda m: f'"{m.group(1)}.{m.group(2)}"', expr)
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise MeasureError(f"cannot read {expr!r}: {exc}") from None
    allowed = (
        sx.Column,
        sx.Identifier,
        sx.Literal,
        sx.Paren,
        sx.Neg,
        sx.Binary,
        sx.Case,
        sx.If,
        sx.Null,
        sx.Boolean,
        sx.Not,
    )
    for node in tree.walk():
        if isinstance(node, sx.Func) and not isinstance(node, sx.Anonymous | sx.Case | sx.If):
            name = (node.sql_name() or "").lower()
            if name not in FUNCTIONS and node.key not in FUNCTIONS:
                raise MeasureError(f"function {name or node.key} is not allowed in {expr!r}")
        elif isinstance(node, sx.Anonymous):
            if str(node.name).lower() not in FUNCTIONS:
                raise MeasureError(f"function {node.name} is not allowed in {expr!r}")
        elif not isinstance(node, allowed) and not isinstance(node, sx.Func):
            raise MeasureError(f"{node.key} is not allowed in {expr!r}")
    return sql


def evaluate_expressions(exprs: dict[str, str], values: pd.DataFrame) -> pd.DataFrame:
    """Each named expression over ``values`` (index account_id, columns the catalogue measures used)."""
    from northstar import duck

    if not exprs:
        return pd.DataFrame(index=values.index)
    con = duck.cursor()
    try:
        con.register("v", pa.Table.from_pandas(values.rename_axis("account_id").reset_index(), preserve_index=False))
        cols = ", ".join(f"CAST(({check_expression(e)}) AS DOUBLE) AS {duck.ident(n)}" for n, e in exprs.items())
        out = con.sql(f"SELECT account_id, {cols} FROM v").to_arrow_table().to_pandas()
    finally:
        con.close()
    return out.set_index("account_id")


#: The operational rows the measures read: the query and its columns' types.
ROWS: dict[str, tuple[str, pa.Schema]] = {
    "accounts": ("SELECT id AS account_id FROM accounts", pa.schema([("account_id", pa.int64())])),
    "feedback": (
        "SELECT account_id, survey_type, score, submitted_at FROM feedback WHERE account_id IS NOT NULL",
        pa.schema(
            [
                ("account_id", pa.int64()),
                ("survey_type", pa.string()),
                ("score", pa.float64()),
                ("submitted_at", pa.timestamp("us")),
            ]
        ),
    ),
    "tickets": (
        "SELECT account_id, priority, opened_at, resolved_at FROM tickets",
        pa.schema(
            [
                ("account_id", pa.int64()),
                ("priority", pa.string()),
                ("opened_at", pa.timestamp("us")),
                ("resolved_at", pa.timestamp("us")),
            ]
        ),
    ),
    "invoices": (
        "SELECT account_id, issued_on, due_on, paid_at, failed_attempts FROM invoices",
        pa.schema(
            [
                ("account_id", pa.int64()),
                ("issued_on", pa.date32()),
                ("due_on", pa.date32()),
                ("paid_at", pa.timestamp("us")),
                ("failed_attempts", pa.int64()),
            ]
        ),
    ),
    "renewals": (
        "SELECT account_id, renewal_date FROM subscriptions WHERE renewal_date IS NOT NULL",
        pa.schema([("account_id", pa.int64()), ("renewal_date", pa.date32())]),
    ),
    "touchpoints": (
        "SELECT account_id, occurred_at FROM touchpoints",
        pa.schema([("account_id", pa.int64()), ("occurred_at", pa.timestamp("us"))]),
    ),
    "contacts": (  # the measures read decision makers only
        "SELECT id, account_id, role FROM contacts WHERE role = 'decision_maker'",
        pa.schema([("contact_id", pa.int64()), ("account_id", pa.int64()), ("role", pa.string())]),
    ),
}


def _since(days: int) -> Callable[[date], str]:
    return lambda first: (first - timedelta(days=days)).isoformat()


#: For days from ``first`` on, the rows that can still count: a condition per table (dates from code only).
BOUNDS: dict[str, Callable[[date], str]] = {
    # the latest NPS of the year and detractors over 365 days; CSAT and CES over 180
    "feedback": lambda first: (
        f"submitted_at >= '{_since(365)(first)}' AND (survey_type = 'nps' OR submitted_at >= '{_since(180)(first)}')"
    ),
    # opened in the last 90 days, or open at the start of some day from ``first`` on
    "tickets": lambda first: (
        f"(opened_at >= '{_since(90)(first)}' OR resolved_at IS NULL OR resolved_at >= '{first.isoformat()}')"
    ),
    # the next renewal on or after the day
    "renewals": lambda first: f"renewal_date >= '{first.isoformat()}'",
    # issued in the last 90 days, or unpaid at the start of some day from ``first`` on
    "invoices": lambda first: (
        f"(issued_on >= '{_since(90)(first)}' OR paid_at IS NULL OR paid_at >= '{first.isoformat()}')"
    ),
}


def _day_aggregates(day: date) -> dict[str, list[tuple[str, pa.Schema]]]:
    """Per source, the SQL that computes its measures for one day in the database, one row per account (the
    same definitions as the source functions below, which compute them from rows in memory for many days;
    ``tests/test_health_measures.py`` holds the two equal on SQLite and PostgreSQL). Dates come from code;
    a date literal compares as that day's midnight in both stores."""
    end, year, half, quarter = (day.isoformat(), _since(365)(day), _since(180)(day), _since(90)(day))
    i64, f64 = pa.int64(), pa.float64()
    return {
        "feedback": [
            (
                "SELECT account_id, score AS nps_last FROM (SELECT account_id, score, ROW_NUMBER() OVER "
                "(PARTITION BY account_id ORDER BY submitted_at DESC, score) AS rn FROM feedback WHERE account_id IS "
                f"NOT NULL AND survey_type = 'nps' AND score IS NOT NULL AND submitted_at >= '{year}' AND "
                f"submitted_at < '{end}') AS latest WHERE rn = 1",
                _schema(account_id=i64, nps_last=f64),
            ),
            (
                f"SELECT account_id, AVG(CASE WHEN survey_type = 'csat' AND submitted_at >= '{half}' THEN score END)"
                f" AS csat_180d, AVG(CASE WHEN survey_type = 'ces' AND submitted_at >= '{half}' THEN score END) AS "
                "ces_180d, SUM(CASE WHEN survey_type = 'nps' AND score <= 6 THEN 1 ELSE 0 END) AS detractors_365d "
                f"FROM feedback WHERE account_id IS NOT NULL AND score IS NOT NULL AND submitted_at >= '{year}' "
                f"AND submitted_at < '{end}' GROUP BY account_id",
                _schema(account_id=i64, csat_180d=f64, ces_180d=f64, detractors_365d=f64),
            ),
        ],
        "support": [
            (  # the quarter's tickets, and the older ones open at the start of the day (each part: one index)
                "SELECT account_id, SUM(open_now) AS open_tickets, SUM(recent) AS tickets_90d, SUM(urgent) AS "
                "urgent_90d FROM (SELECT account_id, CASE WHEN resolved_at IS NULL OR resolved_at >= "
                f"'{end}' THEN 1 ELSE 0 END AS open_now, 1 AS recent, CASE WHEN priority IN ('high', 'urgent') "
                f"THEN 1 ELSE 0 END AS urgent FROM tickets WHERE opened_at >= '{quarter}' AND opened_at < '{end}' "
                f"UNION ALL SELECT account_id, 1, 0, 0 FROM tickets WHERE resolved_at IS NULL AND opened_at < "
                f"'{quarter}' UNION ALL SELECT account_id, 1, 0, 0 FROM tickets WHERE resolved_at >= '{end}' AND "
                f"opened_at < '{quarter}') AS t GROUP BY account_id",
                _schema(account_id=i64, open_tickets=f64, tickets_90d=f64, urgent_90d=f64),
            ),
            (  # the tickets resolved: their times are taken and their median found in memory (SQLite has none)
                f"SELECT account_id, opened_at, resolved_at FROM tickets WHERE opened_at >= '{quarter}' AND "
                f"opened_at < '{end}' AND resolved_at IS NOT NULL AND resolved_at < '{end}'",
                _schema(account_id=i64, opened_at=pa.timestamp("us"), resolved_at=pa.timestamp("us")),
            ),
        ],
        "billing": [
            (  # the quarter's invoices, and the older ones unpaid at the start of the day (each part: one index)
                "SELECT account_id, SUM(overdue) AS overdue_invoices, SUM(failed) AS failed_payments_90d FROM "
                f"(SELECT account_id, CASE WHEN (paid_at IS NULL OR paid_at >= '{end}') AND due_on IS NOT NULL AND "
                f"due_on < '{end}' THEN 1 ELSE 0 END AS overdue, COALESCE(failed_attempts, 0) AS failed FROM "
                f"invoices WHERE issued_on >= '{quarter}' AND issued_on < '{end}' UNION ALL SELECT account_id, "
                f"CASE WHEN due_on IS NOT NULL AND due_on < '{end}' THEN 1 ELSE 0 END, 0 FROM invoices WHERE "
                f"paid_at IS NULL AND issued_on < '{quarter}' UNION ALL SELECT account_id, CASE WHEN due_on IS NOT "
                f"NULL AND due_on < '{end}' THEN 1 ELSE 0 END, 0 FROM invoices WHERE paid_at >= '{end}' AND "
                f"issued_on < '{quarter}') AS b GROUP BY account_id",
                _schema(account_id=i64, overdue_invoices=f64, failed_payments_90d=f64),
            )
        ],
        "touches": [
            (
                f"SELECT account_id, MAX(occurred_at) AS last_touch, SUM(CASE WHEN occurred_at >= '{quarter}' THEN 1 "
                f"ELSE 0 END) AS touches_90d FROM touchpoints WHERE occurred_at < '{end}' GROUP BY account_id",
                _schema(account_id=i64, last_touch=pa.timestamp("us"), touches_90d=f64),
            )
        ],
    }


class Rows:
    """The operational rows the measures read, each loaded once on first use. Measures for many days (the
    risk model's training examples) share one ``Rows``, so the database is read once, not once per day; the
    filters by day are applied to the rows in memory. ``first_day``: only days from it on will be asked for,
    so rows that cannot count for them are left in the database (``BOUNDS``; scoring today reads a year of
    answers and a quarter of tickets, not all of them).

    Usage comes from the sliding windows kept with the rollups (``windows=True``: the fast path for today and
    the days near it, and a window built for a past day is stored), or straight from the daily tiers
    (``windows=False``: for many past days, where building and storing a window each would cost more). Both
    give the same figures (``tests/test_metrics_usage_window.py``)."""

    def __init__(
        self, settings: Settings, windows: bool = True, first_day: date | None = None, day: date | None = None
    ) -> None:
        self.settings = settings
        self.windows = windows
        self.first_day = day or first_day
        #: The one day that will be asked for (scoring today): the measures are then aggregated per account in
        #: the database (``_day_aggregates``), which reads a row per account instead of a row per answer.
        self.day = day
        self._tables: dict[str, pa.Table] = {}

    def aggregate(self, source: str) -> list[pd.DataFrame]:
        """``source``'s measures for ``self.day``, computed in the database: a frame (index account_id) per
        query of ``_day_aggregates``."""
        from northstar.metrics.service import load_table

        assert self.day is not None
        return [
            load_table(self.settings, sql, schema).to_pandas().set_index("account_id")
            for sql, schema in _day_aggregates(self.day)[source]
        ]

    def usage(self, as_of: date) -> pa.Table:
        """``metrics.usage.USAGE_COLUMNS`` per account active in the 90 days before ``as_of``."""
        from northstar import duck
        from northstar.metrics.service import load_tiers, usage_figures
        from northstar.metrics.usage import usage_features

        if self.windows:
            return usage_figures(self.settings, as_of)[0]
        con = ibis.duckdb.from_connection(duck.cursor())
        try:
            return usage_features(load_tiers(self.settings, con, as_of), as_of).to_pyarrow()
        finally:
            con.disconnect()

    def user_days(self, as_of: date, days: int = 90) -> pa.Table:
        """The ``user_day`` tier for the ``days`` days before ``as_of`` (memory-mapped), rolled up to date."""
        from northstar.store import rollup_store

        rollups = rollup_store(self.settings)
        rollups.refresh()
        return rollups.read("user_day", as_of - timedelta(days=days), as_of)

    def __getitem__(self, name: str) -> pa.Table:
        if name not in self._tables:
            from northstar.metrics.service import load_table

            sql, schema = ROWS[name]
            if self.first_day is not None and name in BOUNDS:
                joiner = " AND " if " WHERE " in sql else " WHERE "
                sql += joiner + BOUNDS[name](self.first_day)
            elif self.first_day is not None and name == "touchpoints":
                # the last 90 days' touches, and each account's last one before them (days since touch)
                cut = _since(90)(self.first_day)
                sql = (
                    f"{sql} WHERE occurred_at >= '{cut}' UNION ALL SELECT account_id, MAX(occurred_at) "
                    f"FROM touchpoints WHERE occurred_at < '{cut}' GROUP BY account_id"
                )
            self._tables[name] = load_table(self.settings, sql, schema)
        return self._tables[name]

    def terms(self, on: date) -> pa.Table:
        """Subscription terms with MRR at the rates in effect on ``on`` (as ``metrics.service.load_terms``)."""
        from northstar.metrics.revenue import SUBSCRIPTION_SCHEMA
        from northstar.metrics.service import load_table, terms_in_reporting

        if "terms" not in self._tables:
            schema = SUBSCRIPTION_SCHEMA.append(pa.field("currency", pa.string()))
            sql = f"SELECT {', '.join(schema.names)} FROM subscriptions"
            if self.first_day is not None:  # terms still in force 91 days before (MRR change over 90 days)
                sql += f" WHERE end_date IS NULL OR end_date >= '{_since(91)(self.first_day)}'"
            self._tables["terms"] = load_table(self.settings, sql, schema)
        key = f"terms@{on.isoformat()}"
        if key not in self._tables:  # converted once per day of rates
            self._tables[key] = terms_in_reporting(self.settings, self._tables["terms"], on)
        return self._tables[key]


def measure_values(settings: Settings, as_of: date, names: list[str], rows: Rows | None = None) -> pd.DataFrame:
    """Per account (index ``account_id``, every account), a column per catalogue measure in ``names``.
    ``rows`` shares the loaded rows between calls for several days."""
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise MeasureError(f"unknown measure {', '.join(unknown)}; see 'northstar health measures'")
    rows = rows or Rows(settings)
    ids = rows["accounts"]
    out = pd.DataFrame(index=pd.Index(ids.column("account_id").to_numpy(), name="account_id"))
    wanted = {n.split(".", 1)[0] for n in names}
    for source in sorted(wanted):
        frame = SOURCE_FUNCTIONS[source](rows, as_of)
        frame.columns = [f"{source}.{c}" for c in frame.columns]
        out = out.join(frame[[c for c in frame.columns if c in names]], how="left")
    return zero_when_absent(out[names].astype(float))


def _schema(**fields: pa.DataType) -> pa.Schema:
    return pa.schema(list(fields.items()))


def _start(as_of: date) -> datetime:
    return datetime.combine(as_of, time.min)


def _usage(rows: Rows, as_of: date) -> pd.DataFrame:
    f = rows.usage(as_of).to_pandas().set_index("account_id").drop(columns=["last_active"])
    f = f.astype(float)
    # slower drifts than the 30-over-30 trends: the last 30 days against the quarter they end
    f["events_30d_vs_90d"] = f["events_30d"] / (f["events_90d"] / 3).where(f["events_90d"] > 0) - 1
    f["active_days_30d_vs_90d"] = f["active_days_30d"] / (f["active_days_90d"] / 3).where(f["active_days_90d"] > 0) - 1
    f["users_30d_vs_90d"] = f["users_30d"] / f["users_90d"].where(f["users_90d"] > 0)
    oldest = f["events_90d"] - f["events_30d"] - f["events_prev_30d"]  # days 61-90 before
    f["events_30d_vs_61_90d"] = f["events_30d"] / oldest.where(oldest > 0) - 1
    return f[[c for c in USAGE if c in f.columns]]


def _feedback(rows: Rows, as_of: date) -> pd.DataFrame:
    if rows.day == as_of:
        latest, rest = rows.aggregate("feedback")
        return latest.join(rest, how="outer")
    t = ibis.memtable(rows["feedback"])
    end = _start(as_of)
    t = t.filter(t.submitted_at < end)
    year, half = end - timedelta(days=365), end - timedelta(days=180)
    nps = t.filter((t.survey_type == "nps") & (t.submitted_at >= year) & t.score.notnull())
    # the latest answer; of two at the same moment, the lower score (the same rule as ``_day_aggregates``)
    latest = [ibis.desc(nps.submitted_at), nps.score]
    last = nps.mutate(rn=ibis.row_number().over(group_by=nps.account_id, order_by=latest))
    last = last.filter(last.rn == 0).select("account_id", nps_last=last.score)
    recent = t.filter((t.submitted_at >= half) & t.score.notnull())
    means = recent.group_by("account_id").aggregate(
        csat_180d=recent.score.mean(where=recent.survey_type == "csat"),
        ces_180d=recent.score.mean(where=recent.survey_type == "ces"),
    )
    detractors = nps.group_by("account_id").aggregate(detractors_365d=nps.count(where=nps.score <= 6))
    return _outer(last, means, detractors)


def _support(rows: Rows, as_of: date) -> pd.DataFrame:
    if rows.day == as_of:
        counts, times = rows.aggregate("support")
        hours = (times["resolved_at"] - times["opened_at"]).dt.total_seconds() / 3600.0
        medians = hours.groupby(level=0).median().rename("resolution_hours_90d")
        return counts.join(medians, how="outer")
    t = ibis.memtable(rows["tickets"])
    end = _start(as_of)
    t = t.filter(t.opened_at < end)
    open_now = t.resolved_at.isnull() | (t.resolved_at >= end)
    recent = t.opened_at >= end - timedelta(days=90)
    resolved = recent & t.resolved_at.notnull() & (t.resolved_at < end)
    hours = (t.resolved_at.epoch_seconds() - t.opened_at.epoch_seconds()) / 3600.0
    agg = t.group_by("account_id").aggregate(
        open_tickets=t.count(where=open_now),
        tickets_90d=t.count(where=recent),
        urgent_90d=t.count(where=recent & t.priority.isin(["high", "urgent"])),
        resolution_hours_90d=hours.median(where=resolved),
    )
    return _outer(agg)


def _billing(rows: Rows, as_of: date) -> pd.DataFrame:
    if rows.day == as_of:
        return rows.aggregate("billing")[0]
    t = ibis.memtable(rows["invoices"])
    t = t.filter(t.issued_on < as_of)
    unpaid = t.paid_at.isnull() | (t.paid_at >= _start(as_of))
    agg = t.group_by("account_id").aggregate(
        overdue_invoices=t.count(where=unpaid & t.due_on.notnull() & (t.due_on < as_of)),
        failed_payments_90d=t.failed_attempts.sum(where=t.issued_on >= as_of - timedelta(days=90)).fill_null(0),
    )
    return _outer(agg)


def _revenue(rows: Rows, as_of: date) -> pd.DataFrame:
    terms = ibis.memtable(rows.terms(as_of))
    day, before = as_of - timedelta(days=1), as_of - timedelta(days=91)

    def live(d: date) -> ir.BooleanValue:
        return (terms.start_date <= d) & (terms.end_date.isnull() | (terms.end_date >= d))

    agg = terms.group_by("account_id").aggregate(
        mrr=terms.mrr.sum(where=live(day)).fill_null(0), mrr_before=terms.mrr.sum(where=live(before)).fill_null(0)
    )
    agg = agg.mutate(mrr_change_90d=ibis.ifelse(agg.mrr_before > 0, agg.mrr / agg.mrr_before - 1, ibis.null()))
    r = ibis.memtable(rows["renewals"])
    r = r.filter(r.renewal_date >= as_of)
    nxt = r.group_by("account_id").aggregate(next_renewal=r.renewal_date.min())
    out = _outer(agg.select("account_id", "mrr", "mrr_change_90d"), nxt)
    out["days_to_renewal"] = (pd.to_datetime(out.pop("next_renewal")) - pd.Timestamp(as_of)).dt.days
    return out


def _relationship(rows: Rows, as_of: date) -> pd.DataFrame:
    from northstar import duck
    from northstar.metrics.usage import decision_maker_activity
    from northstar.usage.rollup import register

    end = _start(as_of)
    if rows.day == as_of:
        touched = rows.aggregate("touches")[0]
    else:
        touches = ibis.memtable(rows["touchpoints"])
        touches = touches.filter(touches.occurred_at < end)
        touched = _outer(
            touches.group_by("account_id").aggregate(
                last_touch=touches.occurred_at.max(),
                touches_90d=touches.count(where=touches.occurred_at >= end - timedelta(days=90)),
            )
        )
    con = ibis.duckdb.from_connection(duck.cursor())
    try:
        # the user-days of the last 90 days (only this tier: the others are not read), not copied
        days = register(con, "user_days", rows.user_days(as_of))
        contacts = register(con, "contacts", rows["contacts"])
        dms = decision_maker_activity(days, contacts, as_of).to_pandas()
    finally:
        con.disconnect()
    out = touched.join(
        dms.set_index("account_id")[["decision_makers", "decision_maker_share_30d", "decision_maker_share_90d"]].rename(
            columns={"decision_maker_share_30d": "dm_active_30d", "decision_maker_share_90d": "dm_active_90d"}
        ),
        how="outer",
    )
    out["days_since_touch"] = (pd.Timestamp(end) - pd.to_datetime(out.pop("last_touch"))).dt.total_seconds() / 86400
    out["touches_90d"] = out["touches_90d"].fillna(0)
    return out


def _outer(*tables: ir.Table) -> pd.DataFrame:
    frames = [t.to_pandas().set_index("account_id") for t in tables]
    out = frames[0]
    for f in frames[1:]:
        out = out.join(f, how="outer")
    return out


SOURCE_FUNCTIONS = {
    "usage": _usage,
    "feedback": _feedback,
    "support": _support,
    "billing": _billing,
    "revenue": _revenue,
    "relationship": _relationship,
}


def zero_when_absent(values: pd.DataFrame) -> pd.DataFrame:
    """Counts (and money) are 0, not missing, for an account with no rows: no tickets is zero open tickets."""
    counts = [c for c in values.columns if c in CATALOGUE and CATALOGUE[c].unit in COUNTS]
    values[counts] = values[counts].fillna(0.0)
    return values


__all__ = ["CATALOGUE", "MeasureError", "Rows", "check_expression", "evaluate_expressions", "measure_values"]
