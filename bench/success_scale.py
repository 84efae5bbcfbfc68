"""How the success steps the worker runs every 15 minutes scale: personas, the success-map evaluation, the
vehicles' effects (a bootstrap per vehicle and outcome) and a dry run of the playbooks, at 100,000 accounts
against the same steps at 10,000 in the same script (linear scaling would be 10x).

Each size runs in a process of its own (its peak memory is that process's), on a demo company built once into
``--root`` (kept for later runs; ``--rebuild`` makes it again).

    python bench/success_scale.py [--accounts 100000 --baseline 10000 --root /tmp/northstar-success-scale]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from _common import revision

AS_OF = date(2026, 11, 1)


def measure(home: Path, accounts: int, rebuild: bool) -> dict[str, float]:
    from northstar.config import Settings
    from northstar.demo.generator import DemoConfig
    from northstar.demo.service import build_demo
    from northstar.playbooks.definitions import FILE as PLAYBOOKS
    from northstar.playbooks.engine import run
    from northstar.success.personas import apply_personas
    from northstar.success.programs import measure as vehicle_effects
    from northstar.success.progress import apply_success_maps

    settings = Settings(home=home, secret_key_override="bench")
    started = time.perf_counter()
    build_demo(settings, DemoConfig(accounts=accounts, seed=42, as_of=AS_OF), rebuild=rebuild, health=False)
    out = {"demo build (s)": time.perf_counter() - started}

    def timed(name: str, step) -> None:  # noqa: ANN001
        t = time.perf_counter()
        step()
        out[name] = time.perf_counter() - t

    from northstar.db.engine import session_scope

    timed("personas (s)", lambda: apply_personas(settings))
    timed("success maps (s)", lambda: apply_success_maps(settings, AS_OF))

    def effects() -> None:
        with session_scope(settings.database_url) as s:
            vehicle_effects(settings, s, AS_OF)

    timed("vehicle effects (s)", effects)
    timed("playbooks dry run (s)", lambda: run(settings, PLAYBOOKS.load(settings), dry_run=True))
    out["peak memory (GiB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=10_000)
    parser.add_argument("--root", type=Path, default=Path("/tmp/northstar-success-scale"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child: measure one size, print JSON
    args = parser.parse_args()
    if args.one:
        home = args.root / f"{args.one}" / "home"
        print(json.dumps(measure(home, args.one, args.rebuild)))
        return
    results = {}
    for n in (args.baseline, args.accounts):
        cmd = [sys.executable, __file__, "--one", str(n), "--root", str(args.root)] + (
            ["--rebuild"] if args.rebuild else []
        )
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results[n] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"code: {revision()}")
    small, big = results[args.baseline], results[args.accounts]
    print(
        f"{'step':<24} {args.baseline:>10,} {args.accounts:>10,}   ratio (linear: {args.accounts / args.baseline:.0f}x)"
    )
    for step in big:
        if step == "demo build (s)":
            continue
        print(f"{step:<24} {small[step]:>10.2f} {big[step]:>10.2f}   {big[step] / small[step]:.1f}x")


if __name__ == "__main__":
    main()
