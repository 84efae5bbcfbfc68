"""``northstar clv``: lifetime value per account, the retention and purchase models behind it, and the
renewal and revenue forecast (docs/clv.md)."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table

from northstar.cli.days import as_of_day

clv_app = typer.Typer(
    help="Customer lifetime value: the models, value per account, and the renewal and revenue forecast.",
    no_args_is_help=True,
)
console = Console()
err = Console(stderr=True)
AS_OF = typer.Option(None, "--as-of", help="The day to value and forecast from (YYYY-MM-DD); default today.")
FORMAT = typer.Option("table", "--format", help="table, csv or json.")


def _values(as_of: str | None):  # noqa: ANN202
    from northstar.cli.config import load
    from northstar.revenue import clv
    from northstar.store import open_settings

    settings = open_settings()
    load(clv.FILE, settings)  # a broken clv.yaml is reported with its place, before any work
    with console.status("fitting the retention and purchase models"):
        result = clv.values(settings, as_of_day(as_of))
    for note in result.notes:
        err.print(f"[yellow]{note}[/yellow]")
    return settings, result


def _money(x: float) -> str:
    return "-" if x != x else f"{x:,.0f}"


def _interval(summary, name: str) -> str:  # noqa: ANN001
    lo, hi = summary.loc[name].iloc[2], summary.loc[name].iloc[3]
    return f"{summary.loc[name, 'coef']:.4g} [{lo:.3g}, {hi:.3g}]"


@clv_app.command("models")
def models(as_of: str | None = AS_OF, fmt: str = typer.Option("table", "--format", help="table or json.")) -> None:
    """The fitted models: a retention model per billing period and segment (shifted-beta-geometric), and the
    one-off purchase models (BG/NBD, Gamma-Gamma), with 95% intervals.

    Example: [bold]northstar clv models[/bold]
    """
    _settings, result = _values(as_of)
    if fmt == "json":
        sys.stdout.write(json.dumps(_models_json(result), indent=2) + "\n")
        return
    if not result.groups:
        console.print("No retention model: no account has left yet, or none has paid (see the notes above).")
    else:
        table = Table(title=f"Retention models (shifted-beta-geometric) as of {result.as_of}")
        for col in ("billing", "segment", "accounts", "left", "α", "β", "churn", "renew 1", "renew 3", "renew 10"):
            table.add_column(col, justify="left" if col in ("billing", "segment") else "right")
        table.add_column("DEL", justify="right")
        marks = set()
        for (billing, segment), g in sorted(result.groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            m = g.model
            label = segment or "all"
            if g.pooled:
                label, mark = label + " †", "† too few accounts or losses: uses its billing period's model"
                marks.add(mark)
            elif m.homogeneous_:
                label, mark = label + " *", "* the same churn for every account (a geometric model)"
                marks.add(mark)
            table.add_row(
                billing,
                label,
                f"{g.customers:,}",
                f"{g.lost:,}",
                f"{m.alpha_:.3g}",
                f"{m.beta_:.3g}",
                f"{m.alpha_ / (m.alpha_ + m.beta_):.1%}",
                *(f"{r:.1%}" for r in m.retention_rate([1, 3, 10])),
                f"{m.del_(result.config.period_rate(g.months)):.1f}",
            )
        console.print(table)
        for mark in sorted(marks):
            console.print(f"[dim]{mark}[/dim]")
        console.print(
            "[dim]churn: the mean chance of leaving at a renewal; renew k: the chance of renewing at the k-th renewal; "
            "DEL: the discounted expected lifetime of a new customer, in periods' payments, at "
            f"{result.config.discount_rate:.0%} a year. Intervals: northstar clv models --format json.[/dim]"
        )
    if result.purchasing is not None and result.spending is not None:
        table = Table(title="One-off purchases (BG/NBD, weeks; Gamma-Gamma)")
        table.add_column("parameter")
        table.add_column("estimate [95%]", justify="right")
        for name in result.purchasing.PARAMETERS:
            table.add_row(f"BG/NBD {name}", _interval(result.purchasing.summary, name))
        for name in result.spending.PARAMETERS:
            table.add_row(f"Gamma-Gamma {name}", _interval(result.spending.summary, name))
        table.add_row("buyers / repeat buyers", f"{result.purchasing.n_:,.0f} / {result.spending.n_:,.0f}")
        table.add_row("mean spend per purchase", _money(result.spending.population_mean_spend))
        console.print(table)


def _models_json(result) -> dict:  # noqa: ANN001
    def params(model) -> dict:  # noqa: ANN001
        table = model.summary
        return {
            name: {
                "estimate": float(row.iloc[0]),
                "se": float(row.iloc[1]),
                "lower": float(row.iloc[2]),
                "upper": float(row.iloc[3]),
            }
            for name, row in table.iterrows()
        } | {"log_likelihood": model.log_likelihood_, "n": model.n_}

    return {
        "as_of": result.as_of.isoformat(),
        "retention": [
            {
                "billing": g.billing,
                "segment": g.segment,
                "accounts": g.customers,
                "left": g.lost,
                "uses_billing_period_model": g.pooled,
                "homogeneous": g.model.homogeneous_,
                **params(g.model),
            }
            for g in result.groups.values()
        ],
        "purchasing": params(result.purchasing) if result.purchasing is not None else None,
        "spending": params(result.spending) if result.spending is not None else None,
        "notes": result.notes,
    }


COLUMNS = [
    "account_id",
    "account",
    "name",
    "segment",
    "billing",
    "mrr",
    "periods",
    "next_renewal",
    "renewal_probability",
    "residual_subscription",
    "services_p_alive",
    "services_expected_12m",
    "services_residual",
    "residual_value",
    "value_to_date",
]


@clv_app.command("accounts")
def accounts(
    as_of: str | None = AS_OF,
    top: int = typer.Option(20, "--top", help="How many accounts to show in the table (csv and json: all)."),
    fmt: str = FORMAT,
) -> None:
    """Lifetime value per account paying now, highest residual value first: the chance it renews, the value
    still to come from its subscription and its one-off purchases, and the value to date.

    Example: [bold]northstar clv accounts --format csv > clv.csv[/bold]
    """
    from northstar.metrics.service import with_names

    settings, result = _values(as_of)
    if result.accounts.empty:
        console.print("No account has paid yet: nothing to value.")
        return
    paying = result.accounts[~result.accounts["churned"]]
    df = with_names(settings, paying, sort=False)
    df = df[[c for c in COLUMNS if c in df.columns]]
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False))
        return
    if fmt == "json":
        sys.stdout.write(df.to_json(orient="records", indent=2, date_format="iso") + "\n")
        return
    table = Table(title=f"Lifetime value as of {result.as_of}: {len(df):,} accounts paying, top {min(top, len(df))}")
    for col, right in (
        ("account", False),
        ("segment, billing", False),
        ("MRR", True),
        ("periods", True),
        ("next renewal", True),
        ("P(renew)", True),
        ("residual: subscription", True),
        ("one-off", True),
        ("total", True),
        ("to date", True),
    ):
        table.add_column(col, justify="right" if right else "left", no_wrap=not right)
    for row in df.head(top).itertuples(index=False):
        table.add_row(
            f"{row.name}\n[dim]{row.account}[/dim]",
            f"{row.segment}, {row.billing}",
            _money(row.mrr),
            str(row.periods),
            str(row.next_renewal),
            "-" if row.renewal_probability != row.renewal_probability else f"{row.renewal_probability:.1%}",
            _money(row.residual_subscription),
            _money(row.services_residual),
            _money(row.residual_value),
            _money(row.value_to_date),
        )
    console.print(table)
    total = paying["residual_value"].sum()
    console.print(f"Residual value of the accounts paying now: [bold]{total:,.0f}[/bold] (gross margin, discounted).")


def _forecast_table(frame, title: str, actual=None) -> Table:  # noqa: ANN001
    table = Table(title=title)
    for col in ("quarter", "renewals due", "ARR due", "ARR renewed [90%]", "MRR at end [90%]", "revenue [90%]"):
        table.add_column(col, justify="left" if col == "quarter" else "right")
    if actual is not None:
        table.add_column("actual MRR at end", justify="right")
        table.add_column("actual accounts", justify="right")
    else:
        table.add_column("accounts paying [90%]", justify="right")
    for i, row in enumerate(frame.itertuples(index=False)):
        cells = [
            f"{row.quarter}\n[dim]{row.start} to {row.end}[/dim]",
            f"{row.renewals_due:,.0f}",
            _money(row.arr_due),
            f"{_money(row.arr_renewed)}\n[dim]{_money(row.arr_renewed_low)} to {_money(row.arr_renewed_high)}[/dim]",
            f"{_money(row.mrr_end)}\n[dim]{_money(row.mrr_end_low)} to {_money(row.mrr_end_high)}[/dim]",
            f"{_money(row.revenue)}\n[dim]{_money(row.revenue_low)} to {_money(row.revenue_high)}[/dim]",
        ]
        if actual is not None:
            a = actual.iloc[i]
            inside = row.mrr_end_low <= a["mrr_end"] <= row.mrr_end_high
            cells.append(f"{_money(a['mrr_end'])} {'[green]inside[/green]' if inside else '[red]outside[/red]'}")
            inside = row.accounts_end_low <= a["accounts_end"] <= row.accounts_end_high
            cells.append(
                f"{a['accounts_end']:,} [dim]({row.accounts_end_low:,.0f} to {row.accounts_end_high:,.0f})[/dim] "
                + ("[green]inside[/green]" if inside else "[red]outside[/red]")
            )
        else:
            cells.append(
                f"{row.accounts_end:,.0f}\n[dim]{row.accounts_end_low:,.0f} to {row.accounts_end_high:,.0f}[/dim]"
            )
        table.add_row(*cells)
    return table


@clv_app.command("forecast")
def forecast_cmd(
    as_of: str | None = AS_OF,
    quarters: int = typer.Option(4, "--quarters", min=1, max=12, help="How many quarters, from the current one."),
    draws: int = typer.Option(1000, "--draws", min=100, help="Simulated futures (more: steadier intervals)."),
    fmt: str = FORMAT,
) -> None:
    """The renewal and revenue forecast of the accounts paying now, quarter by quarter, with 90% intervals:
    contracts due for renewal and the ARR renewed, MRR at each quarter's end, and revenue.

    Example: [bold]northstar clv forecast --quarters 4[/bold]
    """
    from northstar.revenue.forecast import forecast

    _settings, result = _values(as_of)
    frame = forecast(result, quarters=quarters, draws=draws)
    if frame.empty:
        console.print("Nothing to forecast: no account paying now has a retention model (see the notes above).")
        return
    if fmt in ("csv", "json"):
        sys.stdout.write(
            frame.to_csv(index=False) if fmt == "csv" else frame.to_json(orient="records", indent=2, date_format="iso")
        )
        return
    title = (
        f"Forecast from {result.as_of}: {frame.attrs['book_accounts']:,} accounts paying "
        f"{frame.attrs['book_mrr']:,.0f} MRR (no new business or expansion)"
    )
    console.print(_forecast_table(frame, title))


@clv_app.command("backtest")
def backtest(
    as_of: str = typer.Option(..., "--as-of", help="A past day to forecast from (YYYY-MM-DD)."),
    quarters: int = typer.Option(4, "--quarters", min=1, max=12),
) -> None:
    """Forecast from a past day with only what was known then, and set it beside what the same accounts did:
    their MRR (at that day's prices) and how many still pay at each quarter's end.

    Example: [bold]northstar clv backtest --as-of 2025-10-01[/bold]
    """
    from northstar.revenue.forecast import backtest as run

    settings, result = _values(as_of)
    frame, actual = run(settings, result, quarters)
    if frame.empty:
        console.print("Nothing to forecast on that day (see the notes above).")
        return
    console.print(_forecast_table(frame, f"Back-test: forecast from {result.as_of} against what happened", actual))
    if actual["complete"].all():
        inside = int(actual["inside"].sum())
        console.print(f"Actual MRR inside the 90% interval in {inside} of {len(actual)} quarters.")
    else:
        console.print("[yellow]Some quarters have not ended yet: their actuals are partial.[/yellow]")
