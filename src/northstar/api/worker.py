"""The intake worker: a process beside the web server that applies the intake log, refreshes the usage
rollups and delivers webhooks.

It is a process, not a thread of the server, so that applying (DuckDB, the database, Python) never holds the
server's interpreter lock while requests wait: under load the tracking API keeps a core to itself. The server
starts it (``WorkerProcess``) and restarts it if it dies; it exits with the server (Linux: the parent's death
signals it). ``NORTHSTAR_INTAKE_WORKER=0`` leaves the work to ``northstar intake apply --follow`` run elsewhere;
only one applier holds an intake folder at a time, so a second one waits its turn.

Run by hand: ``python -m northstar.api.worker`` (with ``NORTHSTAR_HOME`` and friends in the environment).
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

from northstar.config import Settings
from northstar.db.engine import session_scope

log = logging.getLogger(__name__)


def run(
    settings: Settings,
    stop: threading.Event,
    interval: float = 1.0,
    rollup_interval: float = 60.0,
    portfolio_interval: float = 900.0,
    survey_interval: float = 86400.0,
    comment_interval: float = 5.0,
) -> None:
    """One loop, every ``interval`` seconds:

    - apply the intake log whenever it has records, and deliver due webhooks;
    - in a thread of its own, every half second, run the event-triggered playbooks on the events logged
      since (so they fire within seconds, whatever the other steps take);
    - refresh the usage rollups at most every ``rollup_interval`` seconds while events keep arriving;
    - at start and every ``portfolio_interval`` seconds: assign personas, refresh the portfolio's figures
      (records written through the REST API or an import show their MRR and last touch within that time),
      evaluate the success maps, measure the success vehicles' effects, run the state-triggered playbooks, and
      build the unfiltered dashboard into the cache;
    - analyse new comments every ``comment_interval`` seconds (``northstar.feedback.stored``);
    - when e-mail is set up, send the surveys their triggers make due, once a day (``northstar surveys run``).
    """
    from northstar.api.applier import Applier, ApplierBusy
    from northstar.dashboards.cache import dashboard
    from northstar.playbooks.engine import apply_playbooks
    from northstar.portfolio.service import refresh
    from northstar.store import rollup_store
    from northstar.success.personas import apply_personas
    from northstar.success.progress import apply_success_maps
    from northstar.webhooks.service import deliver_due

    # event-triggered playbooks in a thread of their own: the slow steps below (the portfolio's refresh) never
    # hold them back, so they fire within seconds of their event
    events = threading.Thread(target=_playbook_events, args=(settings, stop), name="playbook-events", daemon=True)
    events.start()
    applier: Applier | None = None
    last_rollup, dirty = time.monotonic(), False
    last_portfolio = last_surveys = last_comments = float("-inf")
    measuring: threading.Thread | None = None
    valuing: threading.Thread | None = None
    try:
        while not stop.is_set():
            try:
                if applier is None:
                    try:
                        applier = Applier(settings).open()
                    except ApplierBusy:
                        log.info("intake: another process applies the log; waiting")
                if applier is not None:
                    done = applier.step()
                    dirty |= done.events > 0
                    if done.bytes >= applier.step_bytes:
                        continue  # a backlog: no pause. Otherwise wait, so that steps are large (each has
                        # fixed costs: a Parquet file, three fsyncs, the users' account links)
                if dirty and time.monotonic() - last_rollup >= rollup_interval:
                    rollup_store(settings).refresh()
                    last_rollup, dirty = time.monotonic(), False
                deliver_due(lambda: session_scope(settings.database_url))
                if time.monotonic() - last_portfolio >= portfolio_interval:
                    last_portfolio = time.monotonic()
                    today = datetime.now(UTC).date()
                    _timed("personas", apply_personas, settings)  # by their rules, before the figures
                    _timed("portfolio", refresh, settings, today)
                    _timed("success maps", apply_success_maps, settings, today)  # on the fresh figures
                    # the vehicles' effects (a bootstrap: slow) in a thread of their own, not holding the loop
                    measuring = _in_background(measuring, "vehicle effects", _measure_vehicles, settings, today)
                    # lifetime values and the renewal forecast (model fits and simulations): likewise
                    valuing = _in_background(valuing, "lifetime value", _value_accounts, settings, today)
                    _timed("playbooks", apply_playbooks, settings)  # the state-triggered ones, on all of it
                    _timed("dashboard", dashboard, settings, today)  # warm: the first visitor reads it built
                if time.monotonic() - last_comments >= comment_interval:
                    last_comments = time.monotonic()
                    _timed("comments", _analyse_comments, settings)
                if settings.smtp_url and time.monotonic() - last_surveys >= survey_interval:
                    last_surveys = time.monotonic()
                    _ask_surveys(settings)
            except Exception:  # a failed step is logged and tried again: the log keeps the records
                log.exception("intake: a step failed; trying again")
            stop.wait(interval)
        if dirty:
            rollup_store(settings).refresh()
    finally:
        stop.set()  # the events thread ends with the loop, even when the loop ends by an error
        events.join(timeout=30)
        if applier is not None:
            applier.close()


#: A step slower than this is logged (with ``northstar serve`` its log is the server's): where time goes.
SLOW_STEP = 5.0


def _timed(name: str, step, *args):  # noqa: ANN001, ANN002, ANN202
    started = time.monotonic()
    try:
        return step(*args)
    finally:
        took = time.monotonic() - started
        if took >= SLOW_STEP:
            log.warning("%s took %.1f s", name, took)


def _in_background(running: threading.Thread | None, name: str, step, *args) -> threading.Thread | None:  # noqa: ANN001
    """``step(*args)`` in a daemon thread, unless the last one still runs (then that one is kept)."""
    if running is not None and running.is_alive():
        return running

    def work() -> None:
        try:
            _timed(name, step, *args)
        except Exception:
            log.exception("%s failed; tried again at the next refresh", name)

    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    return thread


def _playbook_events(settings: Settings, stop: threading.Event, interval: float = 0.5) -> None:
    from northstar.playbooks.engine import run_events

    playbooks = _Reloading(settings)
    while not stop.is_set():
        try:
            run_events(settings, playbooks.get())
        except Exception:  # logged and tried again: the cursor moves only with a committed step
            log.exception("playbooks: reacting to events failed; trying again")
        stop.wait(interval)


class _Reloading:
    """The playbooks file, parsed again only when it changes (the worker reads it every second)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stamp: tuple[float, int] | None = None
        self.config = None

    def get(self):  # noqa: ANN201 - PlaybookConfig | None
        from northstar.playbooks.definitions import FILE, PlaybookError

        path = FILE.path(self.settings)
        try:
            st = path.stat()
            stamp = (st.st_mtime, st.st_size)
        except FileNotFoundError:
            self.stamp, self.config = None, None
            return None
        if stamp != self.stamp:
            self.stamp = stamp
            try:
                self.config = FILE.load(self.settings)
            except PlaybookError:
                log.exception("playbooks: %s cannot be used; keeping none until it is fixed", path)
                self.config = None
        return self.config


def _measure_vehicles(settings: Settings, today) -> None:  # noqa: ANN001
    from northstar.success.programs import measured
    from northstar.success.vehicles import FILE

    if FILE.exists(settings):
        measured(settings, today)


def _value_accounts(settings: Settings, today) -> None:  # noqa: ANN001
    from northstar.revenue.forecast import cached

    cached(settings, today)  # builds the lifetime values it is made from, too


def _analyse_comments(settings: Settings) -> None:
    from northstar.feedback.stored import analyse_waiting, any_pending

    with session_scope(settings.database_url) as s:
        waiting = any_pending(s)  # a probe first: the analyser (its model, its lexicons) loads only when needed
    if waiting:
        log.info("comments: %d analysed", analyse_waiting(settings))


def _ask_surveys(settings: Settings) -> None:
    from northstar.surveys.definitions import load_surveys
    from northstar.surveys.triggers import run

    with session_scope(settings.database_url) as s:
        report = run(settings, s, load_surveys(settings))
    log.info("surveys: %d sent, %s not asked", len(report.sent), dict(report.skipped))


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process the same settings."""
    env = {**os.environ, "NORTHSTAR_HOME": str(settings.home), "NORTHSTAR_CURRENCY": settings.currency}
    if settings.database_url_override:
        env["NORTHSTAR_DATABASE_URL"] = settings.database_url_override
    if settings.secret_key_override:
        env["NORTHSTAR_SECRET_KEY"] = settings.secret_key_override
    env["NORTHSTAR_BASE_URL"] = settings.base_url
    env["NORTHSTAR_MAIL_FROM"] = settings.mail_from
    env["NORTHSTAR_CSM_OWN_ACCOUNTS_ONLY"] = "1" if settings.csm_own_accounts_only else "0"
    if settings.smtp_url:
        env["NORTHSTAR_SMTP_URL"] = settings.smtp_url
    return env


class WorkerProcess:
    """The worker as a child of the web server, restarted if it exits while the server runs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._watch = threading.Thread(target=self._keep_running, name="intake-worker-watch", daemon=True)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> None:
        self._spawn()
        self._watch.start()

    def _spawn(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "northstar.api.worker"], env=settings_env(self.settings), close_fds=True
        )

    def _keep_running(self) -> None:
        while not self._stop.is_set():
            proc = self._proc
            if proc is not None and proc.poll() is not None and not self._stop.is_set():
                log.warning("intake worker exited with %s; starting it again", proc.returncode)
                self._stop.wait(1.0)
                if not self._stop.is_set():
                    self._spawn()
            self._stop.wait(1.0)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()  # finishes its step, then exits
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


def _die_with_parent() -> None:
    """Linux: be sent SIGTERM when the parent (the server) dies, even by SIGKILL."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main() -> None:
    from northstar.store import open_settings

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s intake-worker %(levelname)s %(message)s")
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the signal was armed
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: where every thread is
    os.nice(5)  # background work: the web server beside it gets the processor first
    run(open_settings(), stop)


if __name__ == "__main__":
    main()
