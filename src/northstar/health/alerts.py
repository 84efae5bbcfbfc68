"""The alerts feed: accounts whose health band worsened, or whose churn risk crossed a threshold, since the
previous snapshot. The playbooks read it to open tasks; ``northstar health alerts`` prints it.

A band is worse when it comes earlier in its scorecard's band list (bands run from the lowest scores up).
A risk alert fires when the probability was below ``threshold`` at the previous snapshot and is at or above
it now. Comparisons across a scorecard change are skipped, as trends are.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from northstar.health.history import SnapshotStore
from northstar.health.scorecard import HealthConfig

COLUMNS = ["account_id", "kind", "before", "now", "since", "detail"]


def alerts(store: SnapshotStore, day: date, config: HealthConfig, risk_threshold: float = 0.3) -> pd.DataFrame:
    now = store.scores(day)
    since = store.before(day)
    if now is None or since is None:
        return pd.DataFrame(columns=COLUMNS)
    then = store.scores(since)
    assert then is not None
    order = {c.name: {b.name: i for i, b in enumerate(c.bands)} for c in config.scorecards}
    rows = []
    both = now.join(then, rsuffix="_before", how="inner")
    comparable = (both["config"] == both["config_before"]) & (both["scorecard"] == both["scorecard_before"])
    for account_id, r in both[comparable].iterrows():
        ranks = order.get(r["scorecard"], {})
        a, b = ranks.get(r["final_band_before"]), ranks.get(r["final_band"])
        if a is not None and b is not None and b < a:
            detail = f"health {r['final_score_before']:.1f} → {r['final_score']:.1f}"
            if r.get("override_reason"):
                detail += f" (override: {r['override_reason']})"
            rows.append([account_id, "band_worsened", r["final_band_before"], r["final_band"], since, detail])
    risk_now, risk_then = store.risk(day), store.risk(since)
    if risk_now is not None and risk_then is not None:
        j = risk_now.join(risk_then, rsuffix="_before", how="inner")
        crossed = j[(j["risk_before"] < risk_threshold) & (j["risk"] >= risk_threshold)]
        for account_id, r in crossed.iterrows():
            detail = f"main driver: {r['driver_1']}" if isinstance(r.get("driver_1"), str) else ""
            rows.append([account_id, "risk_crossed", f"{r['risk_before']:.0%}", f"{r['risk']:.0%}", since, detail])
    return pd.DataFrame(rows, columns=COLUMNS)
