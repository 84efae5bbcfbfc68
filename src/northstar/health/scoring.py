"""Scoring accounts with a scorecard, and explaining every score by its parts.

For an account with measure values ``v_m``:

* each measure's points ``p_m = map_m(v_m)`` in 0-100 (thresholds: linear interpolation between the
  (value, points) pairs, flat beyond the ends; bands: the points of the first band the value is below;
  percentile: ``100 * (rank - 0.5) / n`` among the ``n`` accounts with a value, ties sharing their mean
  rank, reversed for ``lower``);
* a missing value follows its rule: ``skip`` drops the measure, ``{value: x}`` maps ``x``, ``{points: p}``
  gives ``p``;
* a group's score ``G_g = sum(w_m p_m) / sum(w_m)`` over its measures with points; the account's score
  ``S = sum(W_g G_g) / sum(W_g)`` over its groups with a score (so a skipped measure's weight is shared by
  the rest: "skip and re-weight"); no group with a score: no score;
* a measure's **contribution** ``c_m = (W_g / sum W) * (w_m / sum w in g) * p_m``; contributions add up to
  ``S``, which is how the explanation reads;
* a parent account's score (when the scorecard says ``parents``) is the mean of its children's final
  scores, or their ARR-weighted mean, bottom-up through the hierarchy; the parent's own measures stay in
  the explanation;
* a CSM's **override** (score and/or band, with a reason and an expiry) replaces the final score or band
  while it is in force; the computed score is kept beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from northstar.health.scorecard import Bands, Measure, Missing, Percentile, Scorecard, Thresholds


@dataclass(frozen=True)
class Override:
    account_id: int
    reason: str
    expires_on: date
    score: float | None = None
    band: str | None = None
    set_by: str | None = None

    def in_force(self, on: date) -> bool:
        return on <= self.expires_on


def points(measure: Measure, values: np.ndarray) -> np.ndarray:
    """0-100 points for raw ``values`` (NaN where the value is missing and the rule is ``skip``)."""
    v = np.asarray(values, dtype=float).copy()
    rule = measure.missing
    if isinstance(rule, Missing) and rule.value is not None:
        v[np.isnan(v)] = rule.value
    m = measure.map
    out = np.full(v.shape, np.nan)
    have = ~np.isnan(v)
    if isinstance(m, Thresholds):
        xs = np.array([x for x, _ in m.thresholds])
        ps = np.array([p for _, p in m.thresholds])
        out[have] = np.interp(v[have], xs, ps)
    elif isinstance(m, Bands):
        conds = [v[have] < b.below for b in m.bands[:-1]]  # type: ignore[operator]
        out[have] = np.select(conds, [b.points for b in m.bands[:-1]], default=m.bands[-1].points)
    elif isinstance(m, Percentile):
        ranks = pd.Series(v[have]).rank(method="average").to_numpy()
        pct = 100.0 * (ranks - 0.5) / max(int(have.sum()), 1)
        out[have] = pct if m.percentile == "higher" else 100.0 - pct
    if isinstance(rule, Missing) and rule.points is not None:
        out[~have] = rule.points
    return out


@dataclass(frozen=True)
class Scored:
    """``scores``: one row per account (``score`` computed, ``final_score``/``final_band`` after roll-up and
    override); ``parts``: one row per account and measure (value, points, effective weight, contribution)."""

    scores: pd.DataFrame
    parts: pd.DataFrame


def score(
    card: Scorecard,
    values: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    overrides: list[Override] | None = None,
    on: date | None = None,
) -> Scored:
    """Score the accounts of ``values`` (index ``account_id``, a column per measure name).

    ``accounts`` (optional, index ``account_id``): ``parent_id`` and ``arr``, for parent roll-ups."""
    card_measures = card.measures
    missing_cols = [m.name for m in card_measures if m.name not in values.columns]
    if missing_cols:
        raise KeyError(f"no values for measures {', '.join(missing_cols)}")
    n = len(values)
    ids = values.index.to_numpy()
    group_scores, group_weights = [], []
    parts = []
    for g in card.groups:
        p = np.column_stack([points(with_rule(m, card), values[m.name].to_numpy()) for m in g.measures])
        w = np.array([m.weight for m in g.measures])
        active = ~np.isnan(p)
        wsum = (active * w).sum(axis=1)
        gscore = np.where(
            wsum > 0, np.nansum(np.where(active, p * w, 0.0), axis=1) / np.where(wsum > 0, wsum, 1), np.nan
        )
        group_scores.append(gscore)
        group_weights.append(g.weight)
        parts.append((g, p, w, active, wsum))
    G = np.column_stack(group_scores) if group_scores else np.empty((n, 0))
    W = np.array(group_weights)
    gactive = ~np.isnan(G)
    Wsum = (gactive * W).sum(axis=1)
    total = _weighted_mean(G, W, gactive, Wsum)

    rows = []
    for gi, (g, p, w, active, wsum) in enumerate(parts):
        gshare = np.where(gactive[:, gi] & (Wsum > 0), g.weight / np.where(Wsum > 0, Wsum, 1), 0.0)
        for mi, m in enumerate(g.measures):
            mshare = np.where(active[:, mi] & (wsum > 0), w[mi] / np.where(wsum > 0, wsum, 1), 0.0)
            eff = gshare * mshare
            rows.append(
                pd.DataFrame(
                    {
                        "account_id": ids,
                        "group": g.name,
                        "measure": m.name,
                        "value": values[m.name].to_numpy(dtype=float),
                        "points": p[:, mi],
                        "weight": eff,
                        "contribution": np.where(active[:, mi], eff * np.nan_to_num(p[:, mi]), 0.0),
                    }
                )
            )
    part_frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    scores = pd.DataFrame({"account_id": ids, "scorecard": card.name, "score": total})
    scores["rolled_up_from"] = 0
    scores["final_score"] = scores["score"]
    if card.parents is not None and accounts is not None and "parent_id" in accounts:
        _roll_up(scores, accounts, card.parents.rollup)
    scores["band"] = [card.band(s) for s in scores["score"]]
    scores["final_band"] = [card.band(s) for s in scores["final_score"]]
    scores["override_reason"] = None
    _apply_overrides(scores, card, overrides or [], on or date.today())
    return Scored(scores.set_index("account_id"), part_frame)


def _weighted_mean(x: np.ndarray, w: np.ndarray, active: np.ndarray, wsum: np.ndarray) -> np.ndarray:
    """Row-wise ``sum(w x) / sum(w)`` over the active cells; NaN where none is active."""
    safe = np.where(wsum > 0, wsum, 1.0)
    return np.where(wsum > 0, np.where(active, x * w, 0.0).sum(axis=1) / safe, np.nan)


def with_rule(m: Measure, card: Scorecard) -> Measure:
    """The measure with the scorecard's missing-data rule when it has none of its own."""
    return m if m.missing is not None else m.model_copy(update={"missing": card.missing})


def _roll_up(scores: pd.DataFrame, accounts: pd.DataFrame, how: str) -> None:
    """Parents' final scores from their children's, deepest level first."""
    parent = accounts["parent_id"].reindex(scores["account_id"]).to_numpy()
    arr = (
        accounts["arr"].reindex(scores["account_id"]).fillna(0.0).to_numpy(dtype=float)
        if "arr" in accounts
        else np.ones(len(scores))
    )
    pos = {a: i for i, a in enumerate(scores["account_id"].to_numpy())}
    depth = np.zeros(len(scores), dtype=int)
    for i in range(len(scores)):  # the distance to the root, through parents that are scored
        d, p, seen = 0, parent[i], set()
        while p == p and p is not None and p in pos and p not in seen:
            seen.add(p)
            d += 1
            p = parent[pos[p]]
        depth[i] = d
    final = scores["final_score"].to_numpy(dtype=float).copy()
    count = np.zeros(len(scores), dtype=int)
    for level in range(depth.max(initial=0), 0, -1):
        sums, weights = {}, {}
        for i in np.flatnonzero(depth == level):
            p = parent[i]
            if np.isnan(final[i]):
                continue
            wt = arr[i] if how == "arr" else 1.0
            sums[p] = sums.get(p, 0.0) + wt * final[i]
            weights[p] = weights.get(p, 0.0) + wt
            count[pos[p]] += 1
        for p, wsum in weights.items():
            if wsum > 0:
                final[pos[p]] = sums[p] / wsum
            elif how == "arr":  # children without ARR: their plain mean
                kids = [i for i in np.flatnonzero(depth == level) if parent[i] == p and not np.isnan(final[i])]
                final[pos[p]] = float(np.mean(final[kids]))
    scores["final_score"] = final
    scores["rolled_up_from"] = count


def _apply_overrides(scores: pd.DataFrame, card: Scorecard, overrides: list[Override], on: date) -> None:
    by_account = scores.set_index("account_id").index
    for o in overrides:
        if not o.in_force(on) or o.account_id not in by_account:
            continue
        i = int(np.flatnonzero(scores["account_id"].to_numpy() == o.account_id)[0])
        if o.score is not None:
            scores.loc[i, "final_score"] = o.score
        scores.loc[i, "final_band"] = o.band if o.band is not None else card.band(scores.loc[i, "final_score"])
        scores.loc[i, "override_reason"] = o.reason
