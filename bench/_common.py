"""Helpers shared by the benchmarks (run as ``python bench/NAME.py``, so this folder is on the path)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Event names of the synthetic events both benchmarks generate.
EVENT_NAMES = (
    "login",
    "dashboard_view",
    "report_export",
    "report_schedule",
    "alert_create",
    "api_call",
    "user_invite",
    "integration_sync",
)


def revision() -> str:
    """The checked-out commit and whether src/ differs from it (the code being measured)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "diff", "--quiet", "HEAD", "--", "src"]).returncode != 0
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in src/" if dirty else "")


def scratch(home: Path, to: Path, copy: tuple[str, ...] = ()) -> Path:
    """A copy of a data folder a run may change: events and rollups made of hard links (stores never change a
    file in place; they write new ones and rename), and the files in ``copy`` (e.g. the database) copied."""
    shutil.rmtree(to, ignore_errors=True)
    to.mkdir(parents=True)
    for folder in ("events", "rollups"):
        if (home / folder).exists():
            shutil.copytree(home / folder, to / folder, copy_function=os.link)
    for name in copy:
        shutil.copy2(home / name, to / name)
    return to


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The shortest of ``repeat`` timed runs after one untimed (imports, file metadata, page cache), and the
    last run's result."""
    fn()
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def compare_sizes(script: str, doc: str, measure: Callable[[Path, int, bool], dict[str, float]], root: Path) -> None:
    """The main of a scaling benchmark: each size (``--baseline`` and ``--accounts``) measured by ``measure(home,
    accounts, rebuild)`` in a process of its own (``script`` re-run with ``--one``, so its peak memory is its
    own), then each figure at both sizes and their ratio."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=10_000)
    parser.add_argument("--root", type=Path, default=root)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child: measure one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.root / f"{args.one}" / "home", args.one, args.rebuild)))
        return
    results = {}
    for n in (args.baseline, args.accounts):
        cmd = [sys.executable, script, "--one", str(n), "--root", str(args.root)]
        done = subprocess.run(cmd + (["--rebuild"] if args.rebuild else []), capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{script} --one {n} failed:\n{done.stderr}")
        results[n] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"code: {revision()}")
    small, big = results[args.baseline], results[args.accounts]
    ratio = f"ratio (linear: {args.accounts / args.baseline:.0f}x)"
    print(f"{'step':<24} {args.baseline:>10,} {args.accounts:>10,}   {ratio}")
    for step in big:
        if step == "demo build (s)":
            continue
        print(f"{step:<24} {small[step]:>10.2f} {big[step]:>10.2f}   {big[step] / small[step]:.1f}x")
