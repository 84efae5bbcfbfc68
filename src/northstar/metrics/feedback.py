"""Feedback metrics: NPS with a confidence interval, CSAT (top-two-box and mean), CES, response counts.

* NPS = 100 × (share of promoters, 9–10 − share of detractors, 0–6), from −100 to 100. Its standard error
  treats each answer as +1 / 0 / −1: ``var = p + d − (p − d)²`` per answer, ``se = 100 √(var / n)``, and the
  interval is ``NPS ± z·se`` (z = 1.96 for 95%), clipped to [−100, 100] (the normal approximation for a
  difference of multinomial proportions; e.g. Rocks, "Confidence intervals for NPS", 2016).
* CSAT = share of 4–5 answers on a 1–5 scale (top-two-box), and the mean score. Its interval is Wilson's
  score interval for a proportion: ``(p + z²/2n ± z √(p(1−p)/n + z²/4n²)) / (1 + z²/n)`` (Wilson 1927),
  which stays within [0, 1] and behaves for small samples and shares near 0 or 1.
* CES = mean score on a 1–7 scale (7 = very easy), with Student's t interval ``mean ± t(0.975, n−1)·s/√n``
  (s the sample standard deviation; none for a single answer).
* Response rate = invitations answered / invitations sent, by when they were sent (an answer counts if it
  came by the end of the report).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

FEEDBACK_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("survey_type", pa.string()),
        ("score", pa.int64()),
        ("language", pa.string()),
        ("touchpoint", pa.string()),
        ("channel", pa.string()),
        ("submitted_at", pa.timestamp("us")),
        ("segment", pa.string()),
        ("persona", pa.string()),
    ]
)
INVITATION_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("survey_type", pa.string()),
        ("touchpoint", pa.string()),
        ("channel", pa.string()),
        ("language", pa.string()),
        ("campaign", pa.string()),
        ("sent_at", pa.timestamp("us")),
        ("answered_at", pa.timestamp("us")),
        ("segment", pa.string()),
        ("persona", pa.string()),
    ]
)
DIMENSIONS = ("month", "quarter", "touchpoint", "channel", "language", "segment", "persona", "account_id")
INVITATION_DIMENSIONS = (*DIMENSIONS, "campaign", "survey_type")
Z95 = 1.959963984540054


def feedback_table(rows: pa.Table) -> ir.Table:
    return ibis.memtable(rows.select(FEEDBACK_SCHEMA.names).cast(FEEDBACK_SCHEMA))


def _grouped(t: ir.Table, by: list[str], when: str = "submitted_at") -> tuple[ir.Table, list[str]]:
    extra = {}
    if "month" in by:
        extra["month"] = t[when].truncate("M").cast("date")
    if "quarter" in by:
        extra["quarter"] = t[when].truncate("Q").cast("date")
    return (t.mutate(**extra) if extra else t), by


def nps(t: ir.Table, by: list[str] | None = None, z: float = Z95) -> pd.DataFrame:
    """NPS, its interval and the counts behind it, per group of ``by`` (or overall)."""
    answers = t.filter(t.survey_type == "nps")
    answers, by = _grouped(answers, by or [])
    metrics = dict(
        responses=answers.count(),
        promoters=answers.count(where=answers.score >= 9),
        detractors=answers.count(where=answers.score <= 6),
    )
    out = (answers.group_by(by).aggregate(**metrics) if by else answers.aggregate(**metrics)).execute()
    n = out.responses.astype(float)
    p, d = out.promoters / n.where(n > 0), out.detractors / n.where(n > 0)
    out["passives"] = out.responses - out.promoters - out.detractors
    out["nps"] = 100 * (p - d)
    se = 100 * np.sqrt((p + d - (p - d) ** 2) / n.where(n > 0))
    out["nps_low"] = (out.nps - z * se).clip(-100, 100)
    out["nps_high"] = (out.nps + z * se).clip(-100, 100)
    return out.sort_values(by).reset_index(drop=True) if by else out


def csat(t: ir.Table, by: list[str] | None = None) -> pd.DataFrame:
    answers = t.filter(t.survey_type == "csat")
    answers, by = _grouped(answers, by or [])
    metrics = dict(
        responses=answers.count(),
        csat=answers.count(where=answers.score >= 4) / answers.count(),
        mean_score=answers.score.mean(),
    )
    out = (answers.group_by(by).aggregate(**metrics) if by else answers.aggregate(**metrics)).execute()
    out["csat_low"], out["csat_high"] = wilson(out["csat"].astype(float), out["responses"].astype(float))
    return out.sort_values(by).reset_index(drop=True) if by else out


def wilson(p: pd.Series, n: pd.Series, z: float = Z95) -> tuple[pd.Series, pd.Series]:
    """Wilson's score interval for a share ``p`` of ``n`` answers."""
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return (centre - half).clip(0, 1), (centre + half).clip(0, 1)


def ces(t: ir.Table, by: list[str] | None = None) -> pd.DataFrame:
    answers = t.filter(t.survey_type == "ces")
    answers, by = _grouped(answers, by or [])
    metrics = dict(responses=answers.count(), ces=answers.score.mean(), sd=answers.score.std(how="sample"))
    out = (answers.group_by(by).aggregate(**metrics) if by else answers.aggregate(**metrics)).execute()
    n = out["responses"].astype(float)
    half = student_t(n - 1) * out.pop("sd").astype(float) / np.sqrt(n)
    out["ces_low"], out["ces_high"] = out["ces"] - half, out["ces"] + half
    return out.sort_values(by).reset_index(drop=True) if by else out


def student_t(dof: pd.Series, level: float = 0.95) -> pd.Series:
    """The two-sided Student's t quantile for ``dof`` degrees of freedom (NaN where there are none)."""
    from scipy.stats import t

    d = dof.where(dof >= 1)
    return pd.Series(t.ppf(0.5 + level / 2, d), index=dof.index)


def invitations_table(rows: pa.Table) -> ir.Table:
    return ibis.memtable(rows.select(INVITATION_SCHEMA.names).cast(INVITATION_SCHEMA))


def response_rates(t: ir.Table, by: list[str] | None = None) -> pd.DataFrame:
    """Invitations sent, answered and the response rate per group of ``by`` (month and quarter: of sending).
    ``answered_at`` is null for an invitation not answered (by the end of the report)."""
    sent, by = _grouped(t, by or [], "sent_at")
    metrics = dict(invitations=sent.count(), responses=sent.count(where=sent.answered_at.notnull()))
    out = (sent.group_by(by).aggregate(**metrics) if by else sent.aggregate(**metrics)).execute()
    out["response_rate"] = out.responses / out.invitations.where(out.invitations > 0)
    return out.sort_values(by).reset_index(drop=True) if by else out
