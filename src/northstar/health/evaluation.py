"""How well a score predicts an outcome: the figures a back-test reports, written out so they can be read.

``y`` is 1 for the accounts that churned or contracted within the horizon, ``s`` a score where higher means
more at risk (a health score is turned around: risk = 100 - score).

* **AUC** (area under the ROC curve): the chance that a random positive outranks a random negative, ties
  counting half. Mann-Whitney: ``(R1 - n1 (n1 + 1) / 2) / (n1 n0)`` with ``R1`` the positives' mid-ranks.
* **PR-AUC** as average precision: ``sum_k (recall_k - recall_{k-1}) * precision_k`` over the distinct score
  thresholds, highest first (the step-wise area, as scikit-learn computes it).
* **Top-decile lift**: the positive rate among the 10% highest scores over the overall rate (3 means the
  top decile holds three times its share of the outcomes). Ties at the cut are ordered by account, so the
  decile has exactly ``ceil(n / 10)`` accounts.
* **Brier score**: ``mean((p - y)^2)`` for a probability ``p``; 0 is perfect, ``r (1 - r)`` is what the
  base rate ``r`` alone scores.
* **Calibration table**: accounts in ``bins`` groups of equal size by predicted probability, with the mean
  prediction beside the observed rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata


def _arrays(y: object, s: object) -> tuple[np.ndarray, np.ndarray]:
    y_, s_ = np.asarray(y, dtype=float), np.asarray(s, dtype=float)
    keep = ~np.isnan(s_) & ~np.isnan(y_)
    return y_[keep].astype(int), s_[keep]


def roc_auc(y: object, s: object) -> float:
    y_, s_ = _arrays(y, s)
    n1 = int(y_.sum())
    n0 = len(y_) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(s_)  # mid-ranks for ties
    return float((ranks[y_ == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def average_precision(y: object, s: object) -> float:
    y_, s_ = _arrays(y, s)
    positives = y_.sum()
    if positives == 0:
        return float("nan")
    order = np.argsort(-s_, kind="stable")
    ys, ss = y_[order], s_[order]
    last = np.r_[np.flatnonzero(np.diff(ss) != 0), len(ss) - 1]  # the end of each run of equal scores
    tp = np.cumsum(ys)[last]
    seen = last + 1
    precision, recall = tp / seen, tp / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def top_decile_lift(y: object, s: object, share: float = 0.1) -> float:
    y_, s_ = _arrays(y, s)
    if len(y_) == 0 or y_.mean() == 0:
        return float("nan")
    k = int(np.ceil(len(y_) * share))
    top = np.argsort(-s_, kind="stable")[:k]
    return float(y_[top].mean() / y_.mean())


def brier(y: object, p: object) -> float:
    y_, p_ = _arrays(y, p)
    return float(np.mean((p_ - y_) ** 2)) if len(y_) else float("nan")


def calibration_table(y: object, p: object, bins: int = 10) -> pd.DataFrame:
    y_, p_ = _arrays(y, p)
    order = np.argsort(p_, kind="stable")
    groups = np.array_split(order, min(bins, len(order))) if len(order) else []
    rows = [
        {"bin": i + 1, "accounts": len(g), "predicted": float(p_[g].mean()), "observed": float(y_[g].mean())}
        for i, g in enumerate(groups)
        if len(g)
    ]
    return pd.DataFrame(rows, columns=["bin", "accounts", "predicted", "observed"])


@dataclass(frozen=True)
class Evaluation:
    name: str
    accounts: int
    positives: int
    auc: float
    pr_auc: float
    lift: float
    brier: float | None  # only for probabilities
    calibration: pd.DataFrame | None

    def row(self) -> dict[str, object]:
        return {
            "predictor": self.name,
            "accounts": self.accounts,
            "positives": self.positives,
            "base_rate": self.positives / self.accounts if self.accounts else float("nan"),
            "auc": self.auc,
            "pr_auc": self.pr_auc,
            "top_decile_lift": self.lift,
            "brier": self.brier,
        }


def evaluate(name: str, y: object, s: object, probability: bool = False) -> Evaluation:
    y_, s_ = _arrays(y, s)
    return Evaluation(
        name,
        len(y_),
        int(y_.sum()),
        roc_auc(y_, s_),
        average_precision(y_, s_),
        top_decile_lift(y_, s_),
        brier(y_, s_) if probability else None,
        calibration_table(y_, s_) if probability else None,
    )
