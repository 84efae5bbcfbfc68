"""``northstar feedback``: comment analysis (language, sentiment, themes) for files and for stored feedback."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

feedback_app = typer.Typer(
    help="Comments: language, sentiment and themes, offline; and how well that works.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)


def _analyzer():  # noqa: ANN202
    from northstar.config import Settings
    from northstar.feedback.analysis import Analyzer

    try:
        return Analyzer.for_settings(Settings.from_env())
    except ValueError as exc:  # a bad NORTHSTAR_COMMENT_LANGUAGES
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


def _lines(path: Path) -> int:
    with path.open("rb") as fh:
        return max(0, sum(1 for _ in fh) - 1)


@feedback_app.command("analyze")
def analyze(
    file: Path = typer.Argument(..., help="A CSV file with a 'comment' column (UTF-8)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the CSV with the three columns added."),
) -> None:
    """Add [bold]language[/bold], [bold]sentiment[/bold] (positive / neutral / negative) and [bold]themes[/bold]
    (separated by ';') to each row of a CSV with a [bold]comment[/bold] column. Offline: nothing is sent anywhere.

    The file is written whole or not at all; columns of those names already in FILE are replaced.
    Languages detected: NORTHSTAR_COMMENT_LANGUAGES (default en it ja ar pl de fr es pt nl); sentiment and themes
    work in the languages with a lexicon (en it ja ar pl), extendable with NORTHSTAR_LEXICONS.

    Example: [bold]northstar feedback analyze reviews.csv --out reviews-analysed.csv[/bold]
    """
    from northstar.cli.main import _progress
    from northstar.feedback.analysis import analyze_file

    if not file.exists():
        err.print(f"[red]{file}: file not found[/red]")
        raise typer.Exit(1)
    if out.resolve() == file.resolve():
        err.print(f"[red]{out}: --out must be another file than the input[/red]")
        raise typer.Exit(1)
    analyzer = _analyzer()
    try:
        with _progress() as bar:
            task = bar.add_task("analysing comments", total=_lines(file) or None)
            report = analyze_file(file, out, analyzer, lambda n: bar.advance(task, n))
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    table = Table("sentiment", "comments", title=f"{report.rows:,} rows -> {out}")
    for label, n in report.by_sentiment.items():
        table.add_row(label, f"{n:,}")
    console.print(table)
    console.print(
        "language: detected correctly; themes F1: micro-averaged over (comment, theme) pairs, against tagging "
        "every comment with its language's most frequent theme (top theme)."
    )
    languages = ", ".join(f"{k} {v:,}" for k, v in list(report.by_language.items())[:8])
    console.print(f"Languages: {languages or 'none detected'}")


@feedback_app.command("analyze-stored")
def analyze_stored(
    everything: bool = typer.Option(False, "--all", help="Analyse every comment again, not only new ones."),
) -> None:
    """Analyse the stored comments that are not yet (imports, survey answers and the API do it as they come;
    run this with --all after changing the lexicons in NORTHSTAR_LEXICONS).

    Example: [bold]northstar feedback analyze-stored --all[/bold]
    """
    from northstar.cli.main import _progress
    from northstar.db.engine import session_scope
    from northstar.feedback.stored import analyse_pending, pending_count
    from northstar.store import open_settings

    settings = open_settings()
    analyzer = _analyzer()
    with session_scope(settings.database_url) as s, _progress() as bar:
        task = bar.add_task("analysing comments", total=pending_count(s, everything) or None)
        done = analyse_pending(s, analyzer, everything, lambda n: bar.advance(task, n))
    console.print(f"{done:,} comments analysed.")


@feedback_app.command("evaluate")
def evaluate(
    files: list[Path] = typer.Argument(
        ..., help="JSON Lines files of labelled comments, one per language, named <lang>.jsonl."
    ),
) -> None:
    """How well the analysis does on labelled comments, per language, against the baselines it must beat:
    the majority class and the lexicon alone for sentiment, the most frequent theme for themes.

    Each line: {"text": "...", "sentiment": "positive|neutral|negative", "themes": ["support", ...]}
    (optionally "language"). Label a few hundred of your own comments to see how it does on them.

    Example: [bold]northstar feedback evaluate tests/data/comments/*.jsonl[/bold]
    """
    from northstar.feedback.evaluation import evaluate as run
    from northstar.feedback.sentiment import read_examples

    try:
        examples = [e for path in files for e in read_examples(path)]
    except (OSError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    scores = run(examples, _analyzer())
    table = Table(
        "lang",
        "n",
        "language",
        "sentiment",
        "macro F1",
        "majority",
        "lexicon",
        "themes F1",
        "top theme",
        title="Accuracy on labelled comments (sentiment against the majority class and the lexicon alone)",
    )
    for s in scores:
        table.add_row(
            s.language,
            str(s.n),
            f"{s.language_accuracy:.1%}",
            f"[bold]{s.sentiment_accuracy:.1%}[/bold]",
            f"{s.sentiment_macro_f1:.3f}",
            f"{s.majority_accuracy:.1%}",
            f"{s.lexicon_accuracy:.1%}",
            f"[bold]{s.theme_f1:.3f}[/bold]",
            f"{s.theme_baseline_f1:.3f}",
        )
    console.print(table)
    console.print(
        "language: detected correctly; themes F1: micro-averaged over (comment, theme) pairs, against tagging "
        "every comment with its language's most frequent theme (top theme)."
    )
