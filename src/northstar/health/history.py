"""Daily health snapshots, trends that compare like with like, and what changed since the last snapshot.

A snapshot is every account's score of one day, written under ``NORTHSTAR_HOME/health/``:

* ``scores/<day>.parquet``: account, scorecard, score, band, final score and band, the override's reason,
  and the scorecard file's fingerprint (so a trend never compares scores of two different scorecards
  without saying so);
* ``parts/<day>.parquet``: each account's measures (value, points, weight, contribution), for the
  explanation of what changed. Parts are kept for ``PARTS_DAYS`` days, scores for ever;
* ``risk/<day>.parquet``: the churn-risk model's probability and main driver, when a model is trained.

Files are replaced whole (written aside, then renamed): a reader sees a day's old snapshot or its new one.
When a scorecard changes, ``northstar health snapshot --from DAY`` scores the past days again, from the
measures as they were on each day.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from northstar.health.scorecard import HealthConfig

PARTS_DAYS = 120
TREND_WINDOWS = (7, 30, 90)


def fingerprint(config: HealthConfig) -> str:
    """A short hash of the scorecards' content: equal configurations, equal fingerprints."""
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:12]


@dataclass(frozen=True)
class SnapshotStore:
    root: Path

    def _path(self, kind: str, day: date) -> Path:
        return self.root / kind / f"{day.isoformat()}.parquet"

    def days(self) -> list[date]:
        folder = self.root / "scores"
        return sorted(date.fromisoformat(p.stem) for p in folder.glob("*.parquet")) if folder.exists() else []

    def write(self, day: date, scores: pd.DataFrame, parts: pd.DataFrame, config: HealthConfig) -> None:
        frame = scores.reset_index()[
            ["account_id", "scorecard", "score", "band", "final_score", "final_band", "override_reason"]
        ].copy()
        frame["config"] = fingerprint(config)
        _replace(self._path("scores", day), pa.Table.from_pandas(frame, preserve_index=False))
        _replace(self._path("parts", day), pa.Table.from_pandas(parts.reset_index(drop=True), preserve_index=False))
        for old in (self.root / "parts").glob("*.parquet"):
            if date.fromisoformat(old.stem) < day - timedelta(days=PARTS_DAYS):
                old.unlink(missing_ok=True)

    def scores(self, day: date) -> pd.DataFrame | None:
        path = self._path("scores", day)
        return pq.read_table(path).to_pandas().set_index("account_id") if path.exists() else None

    def parts(self, day: date) -> pd.DataFrame | None:
        path = self._path("parts", day)
        return pq.read_table(path).to_pandas() if path.exists() else None

    def write_risk(self, day: date, risk: pd.DataFrame) -> None:
        """The risk model's probabilities of the day (index account_id: risk, driver_1, driver_2, ...)."""
        _replace(self._path("risk", day), pa.Table.from_pandas(risk.rename_axis("account_id").reset_index()))

    def risk(self, day: date) -> pd.DataFrame | None:
        path = self._path("risk", day)
        return pq.read_table(path).to_pandas().set_index("account_id") if path.exists() else None

    def before(self, day: date) -> date | None:
        """The newest snapshot day before ``day``."""
        earlier = [d for d in self.days() if d < day]
        return earlier[-1] if earlier else None

    def trends(self, day: date, windows: tuple[int, ...] = TREND_WINDOWS) -> pd.DataFrame:
        """Per account: the final score on ``day`` and its change over each window (``change_7d`` ...),
        compared with the snapshot of exactly that many days before; a change across a scorecard change is
        left empty rather than compare unlike scores."""
        now = self.scores(day)
        if now is None:
            raise LookupError(f"no health snapshot for {day}; run 'northstar health snapshot --as-of {day}'")
        out = now[["scorecard", "final_score", "final_band"]].copy()
        for w in windows:
            then = self.scores(day - timedelta(days=w))
            if then is None:
                out[f"change_{w}d"] = float("nan")
                out[f"band_{w}d_ago"] = None
                continue
            same = then["config"].reindex(out.index) == now["config"]
            same &= then["scorecard"].reindex(out.index) == now["scorecard"]
            delta = now["final_score"] - then["final_score"].reindex(out.index)
            out[f"change_{w}d"] = delta.where(same)
            out[f"band_{w}d_ago"] = then["final_band"].reindex(out.index).where(same)
        return out


def changes(previous: pd.DataFrame | None, current: pd.DataFrame, account_id: int) -> pd.DataFrame:
    """One account's measures with their contribution now, before and the difference, largest first."""
    now = current[current.account_id == account_id].set_index("measure")
    out = now[["group", "value", "points", "contribution"]].copy()
    if previous is None:
        out["contribution_before"] = float("nan")
        out["value_before"] = float("nan")
    else:
        then = previous[previous.account_id == account_id].set_index("measure")
        out["value_before"] = then["value"].reindex(out.index)
        out["contribution_before"] = then["contribution"].reindex(out.index)
    out["change"] = out["contribution"] - out["contribution_before"]
    return out.sort_values("change", key=lambda s: s.abs(), ascending=False, na_position="last")


def _replace(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
