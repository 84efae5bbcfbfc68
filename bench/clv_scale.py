"""How the lifetime values and the renewal forecast scale, the steps the worker runs after each refresh: the
retention models, each account's value and the one-off purchase models (``revenue.clv.compute``), then the
four-quarter forecast with 1,000 simulated futures (``revenue.forecast.forecast``), at 100,000 accounts
against the same at 10,000 in the same script (linear scaling would be 10x).

Each size runs in a process of its own (its peak memory is that process's), on a demo company built once into
``--root`` (kept for later runs; ``--rebuild`` makes it again). The demo has one-off purchases (services) for
about half its accounts, so the BG/NBD and Gamma-Gamma fits are part of the figure.

    python bench/clv_scale.py [--accounts 100000 --baseline 10000 --root /tmp/northstar-clv-scale]
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
    from northstar.revenue.clv import compute
    from northstar.revenue.forecast import forecast

    settings = Settings(home=home, secret_key_override="bench")
    started = time.perf_counter()
    build_demo(settings, DemoConfig(accounts=accounts, seed=42, as_of=AS_OF), rebuild=rebuild, health=False)
    out = {"demo build (s)": time.perf_counter() - started}
    t = time.perf_counter()
    result = compute(settings, AS_OF)
    out["values (s)"] = time.perf_counter() - t
    t = time.perf_counter()
    frame = forecast(result)
    out["forecast (s)"] = time.perf_counter() - t
    out["peak memory (GiB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    out["accounts valued"] = float(len(result.accounts))
    out["one-off buyers"] = float(result.purchasing.n_) if result.purchasing is not None else 0.0
    out["book MRR"] = float(frame.attrs.get("book_mrr", 0.0))
    return out


if __name__ == "__main__":
    compare_sizes(__file__, __doc__, measure, Path("/tmp/northstar-clv-scale"))
