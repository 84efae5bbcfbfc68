"""Building (or reusing) the demo company in the data folder."""

from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from northstar.auth.models import Role, User
from northstar.auth.service import create_user
from northstar.config import Settings
from northstar.db.engine import make_engine, reset_engines, session_scope
from northstar.db.migrate import upgrade
from northstar.db.versions import bump
from northstar.demo.generator import DemoBuilder, DemoConfig, DemoSummary, Progress
from northstar.store import rollup_store

#: A demo with these settings equal is the same demo (``as_of`` moves with the calendar, so it is not compared).
SAME_DEMO = ("accounts", "seed", "months", "events_per_account_month")


class DataFolderInUse(RuntimeError):
    pass


def existing_demo(settings: Settings) -> dict | None:
    marker = settings.home / "demo.json"
    return json.loads(marker.read_text()) if marker.exists() else None


def has_data(settings: Settings) -> bool:
    """Whether the data folder or the configured database holds any records or events."""
    if settings.events_dir.exists() and any(settings.events_dir.glob("*.parquet")):
        return True
    if settings.database_url_override is None and not (settings.home / "northstar.db").exists():
        return False
    from northstar.accounts.models import Account

    upgrade(settings.database_url)
    with session_scope(settings.database_url) as s:
        return s.scalar(select(User.id).limit(1)) is not None or s.scalar(select(Account.id).limit(1)) is not None


def build_demo(
    settings: Settings,
    cfg: DemoConfig,
    rebuild: bool = False,
    progress: Progress | None = None,
    health: bool = True,
) -> tuple[DemoSummary | None, str]:
    """Make the demo company unless the same one is already there; returns (summary or None, admin password).

    A data folder holding other data is never overwritten without ``rebuild``. ``health``: also train the
    risk model and keep health snapshots and the portfolio (``health_history``)."""
    current = existing_demo(settings)
    wanted = {**asdict(cfg), "as_of": cfg.as_of.isoformat()}
    password = secrets.token_urlsafe(12)
    if (
        current is not None
        and not rebuild
        and {k: current.get(k) for k in SAME_DEMO} == {k: wanted[k] for k in SAME_DEMO}
    ):
        upgrade(settings.database_url)
        with session_scope(settings.database_url) as s:
            create_user(s, "admin@northstar.demo", password, Role.ADMIN, "Ada Admin")
        rollup_store(settings).refresh()  # a demo made before rollups existed gets them
        analyse_comments(settings)  # and one made before comment analysis, its comments' sentiment and themes
        if not (settings.home / "personas.yaml").exists():  # and one made before personas, its rules
            success_config(settings)
        if health and not (settings.home / "health" / "scores").exists():  # nor health history
            health_history(settings, cfg.as_of)
        return None, password
    if current is None and has_data(settings) and not rebuild:
        raise DataFolderInUse(
            f"{settings.home} already holds data that is not a demo; use --rebuild to replace it or set "
            "NORTHSTAR_HOME to another folder"
        )
    _wipe(settings)
    settings.ensure_home()
    upgrade(settings.database_url)
    summary = DemoBuilder(cfg, settings, progress).build(password)
    with session_scope(settings.database_url) as s:
        bump(s, "records")
    if progress:
        progress("comment analysis", 0.95)
    analyse_comments(settings)
    success_config(settings)
    rollup_store(settings).refresh()
    if health:
        if progress:
            progress("risk model and health snapshots", 0.97)
        health_history(settings, cfg.as_of)
    return summary, password


#: The demo company's success configuration, written into its data folder (docs/demo-data.md).
SUCCESS_FILES = ("personas", "success_maps", "playbooks", "roi", "expansion", "vehicles")


def success_config(settings: Settings) -> None:
    """Write the demo's personas, success maps and playbooks into the data folder and assign the personas."""
    from northstar.success.personas import apply_personas

    for name in SUCCESS_FILES:
        (settings.home / f"{name}.yaml").write_text(
            (Path(__file__).with_name(f"{name}.yaml")).read_text(encoding="utf-8"), encoding="utf-8"
        )
    apply_personas(settings)


def analyse_comments(settings: Settings) -> int:
    """Sentiment and themes of the comments not analysed yet (``northstar.feedback.stored``)."""
    from northstar.feedback.analysis import Analyzer
    from northstar.feedback.stored import analyse_pending

    with session_scope(settings.database_url) as s:
        return analyse_pending(s, Analyzer.for_settings(settings))


#: Snapshot days before the demo's today, so the trends (7, 30 and 90 days) have something to compare.
HISTORY_DAYS = (90, 30, 7, 1, 0)


def health_history(settings: Settings, as_of: date) -> None:
    """What a company running Northstar for a while would have: a risk model trained on the past, health
    snapshots on the days the trends compare with, the portfolio's figures, and where each account stands on
    its success map."""
    from northstar.health.risk import model_path, train
    from northstar.health.service import load_config, snapshot
    from northstar.portfolio.service import refresh
    from northstar.success.progress import apply_success_maps

    try:
        model, _ = train(settings, as_of)
        model.save(model_path(settings))
    except ValueError:  # a demo too small or too short to have both outcomes: health without risk
        pass
    config = load_config(settings)
    for back in HISTORY_DAYS:
        snapshot(settings, as_of - timedelta(days=back), config)
    refresh(settings, as_of)
    apply_success_maps(settings, as_of)


def _wipe(settings: Settings) -> None:
    """Remove the demo's files, and empty the operational tables when they live in a server database."""
    for folder in (
        settings.events_dir,
        settings.rollups_dir,
        settings.home / "health",
        settings.home / "models",
        settings.cache_dir,
    ):
        if folder.exists():
            shutil.rmtree(folder)
    for name in ("northstar.db", "northstar.db-wal", "northstar.db-shm", "demo.json", "demo_truth.parquet"):
        (settings.home / name).unlink(missing_ok=True)
    reset_engines()
    if settings.database_url_override:
        from northstar.db.registry import Base

        upgrade(settings.database_url)
        with make_engine(settings.database_url).begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
