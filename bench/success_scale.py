"""How the success steps the worker runs every 15 minutes scale: personas, the success-map evaluation, the
vehicles' effects (a bootstrap per vehicle and outcome) and a dry run of the playbooks, at 100,000 accounts
against the same steps at 10,000 in the same script (linear scaling would be 10x).

Each size runs in a process of its own (its peak memory is that process's), on a demo company built once into
``--root`` (kept for later runs; ``--rebuild`` makes it again).

    python bench/success_scale.py [--accounts 100000 --baseline 10000 --root /tmp/northstar-success-scale]
"""

from __future__ import annotations

import resource
import time
from datetime import date
from pathlib import Path

from _common import compare_sizes

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


if __name__ == "__main__":
    compare_sizes(__file__, __doc__, measure, Path("/tmp/northstar-success-scale"))
