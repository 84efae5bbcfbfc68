"""End to end over real HTTP: a server killed with SIGKILL under load (its worker too) loses no acknowledged
message and doubles none, whether a message was applied, held for its user's account, or still in the log."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import httpx

from northstar.api.applier import intake_status
from northstar.auth.keys import create_key
from northstar.auth.models import KeyScope
from northstar.db.engine import session_scope


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, home: Path) -> None:
        self.home, self.port = home, _port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "NORTHSTAR_HOME": str(home)}
        env.pop("NORTHSTAR_DATABASE_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "northstar.cli.main", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        """SIGKILL the server and its worker at once: nothing gets to finish."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        for pid in [self.proc.pid, *map(int, children)]:
            os.kill(pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(60)


def stored_ids(home: Path) -> list[str]:
    files = [str(f) for f in sorted((home / "events").glob("batch-*.parquet"))]
    return [r[0] for r in duckdb.sql(f"SELECT event_id FROM read_parquet({files})").fetchall()] if files else []


def batch(prefix: str, n: int, user: str | None = None) -> dict:
    return {
        "batch": [
            {"type": "track", "userId": user or f"u{i % 40}", "event": "report_export", "messageId": f"{prefix}-{i}"}
            for i in range(n)
        ]
    }


def test_sigkill_under_load_keeps_every_acknowledged_message_once(lite):
    home = lite.home
    with session_scope(lite.database_url) as s:
        token = create_key(s, KeyScope.WRITE, "crash test")[1]
    auth = {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}
    server = Server(home)
    acked: list[str] = []
    lock = threading.Lock()
    links = {"batch": [{"type": "group", "userId": f"u{i}", "groupId": f"acct-{i % 5}"} for i in range(40)]}
    assert httpx.post(f"{server.url}/v1/batch", json=links, headers=auth).status_code == 200
    # a user whose account is only known after the restart: its events are held across the crash
    late = batch("late", 50, user="late-user")
    assert httpx.post(f"{server.url}/v1/batch", json=late, headers=auth).status_code == 200
    acked += [m["messageId"] for m in late["batch"]]

    stop = threading.Event()
    unanswered: list[dict] = []

    def load(worker: int) -> None:
        with httpx.Client(timeout=5) as client:
            n = 0
            while not stop.is_set():
                body = batch(f"w{worker}-{n}", 100)
                n += 1
                try:
                    r = client.post(f"{server.url}/v1/batch", json=body, headers=auth)
                except httpx.HTTPError:
                    unanswered.append(body)  # the crash: sent, not acknowledged; the client will retry
                    return
                if r.status_code == 200:
                    with lock:
                        acked.extend(m["messageId"] for m in body["batch"])
                    if n % 7 == 0:  # a client that retries an acknowledged request (a lost reply)
                        try:
                            client.post(f"{server.url}/v1/batch", json=body, headers=auth)
                        except httpx.HTTPError:
                            return

    threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    time.sleep(4)
    server.kill()  # mid-load: requests in flight, a step perhaps half done
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) > 2000

    server = Server(home)
    try:
        with httpx.Client(timeout=10) as client:
            for body in unanswered:  # the clients' retries of what was in flight
                assert client.post(f"{server.url}/v1/batch", json=body, headers=auth).status_code == 200
                acked.extend(m["messageId"] for m in body["batch"])
            body = batch("after", 100)
            assert client.post(f"{server.url}/v1/batch", json=body, headers=auth).status_code == 200
            acked.extend(m["messageId"] for m in body["batch"])
            link = {"type": "group", "userId": "late-user", "groupId": "acct-late"}
            assert client.post(f"{server.url}/v1/group", json=link, headers=auth).status_code == 200
        deadline = time.time() + 120
        while time.time() < deadline:
            st = intake_status(lite)
            if st["waiting"] == 0 and st["held"] == 0 and len(stored_ids(home)) >= len(set(acked)):
                break
            time.sleep(0.5)
    finally:
        server.stop()
    ids = stored_ids(home)
    assert len(ids) == len(set(ids)), "an event was stored twice"
    missing = set(acked) - set(ids)
    assert not missing, f"{len(missing)} acknowledged events are missing, e.g. {sorted(missing)[:3]}"
    assert {i for i in ids if i.startswith("late-")} == {m["messageId"] for m in late["batch"]}
