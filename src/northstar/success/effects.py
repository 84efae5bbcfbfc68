"""Does a success vehicle work? Its effect on reaching the milestone it serves, on retention and on revenue,
estimated against comparable accounts that did not take part.

**The comparison.** For each account on a step a vehicle serves (towards one of its milestones), time zero is
the day the step started: the day the milestone before was reached (the path's start for a map's first
milestone). An account counts when at that day it has not reached the milestone and pays. It is *enrolled*
when it was enrolled from ``lead`` days before the step started to ``grace`` days after (30 and 30), and a
*comparison* account when it was not enrolled in that window; accounts enrolled earlier are left out (their
enrolment served another step). Both groups are followed from the same day, so no group is credited with time
it had to survive before it could be counted. Enrolment is read as assigned at the step's start (intention to
treat): an account enrolled on day 20 that would have reached the milestone on day 10 counts as enrolled. Where
CSMs enrol only accounts that have not reached it yet, the estimate leans slightly against the vehicle, by at
most what the ``grace`` days allow (Suissa 2008 on immortal time).

**The outcomes.** ``milestone``: reached within ``horizon`` days of the step's start (120). ``retained``: still
paying ``365`` days after it. ``nrr``: the account's own net revenue retention, its MRR 365 days after the
step's start over its MRR that day (0 when it churned, above 1 when it grew; capped at
:data:`NRR_CAP`): the revenue the vehicle keeps and grows, as a share, so that a few large accounts do not
decide it alone.
Each outcome uses the accounts followed long enough to see it.

**The adjustment (inverse-probability weighting).** The features known before the step (segment, seats, MRR,
tenure, persona, how long the step before took, product use in the 30 days before the step, and the sponsor's
engagement: whether the decision maker had used the product by then, and the touchpoints with them) predict
enrolment with a logistic regression, the *propensity* e(x) (Rosenbaum & Rubin 1983). Accounts with e outside
[0.02, 0.98] have no comparable counterpart and are left out (reported). Then

- effect on the enrolled (ATT): ``mean(Y | enrolled) - sum(w Y) / sum(w)`` over comparison accounts with
  ``w = e / (1 - e)``: what the comparison accounts would look like had they been like the enrolled ones;
- effect on everyone on the step (ATE): ``sum(T Y / e) / sum(T / e) - sum((1-T) Y / (1-e)) / sum((1-T) / (1-e))``
  (normalised, Hajek; Hirano, Imbens & Ridder 2003; Austin & Stuart 2015 for the practice);

with 95% intervals from a bootstrap that refits the propensity model in each resample (percentile, 400
resamples by default, stratified by group). The plain difference of rates is shown beside them, and the
balance of each feature before and after weighting (standardised mean difference; above 0.1 is a warning).
The caveats that apply are written out in plain words: weighting balances only what the data shows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.accounts.models import Account
from northstar.config import Settings
from northstar.revenue.models import Subscription
from northstar.revenue.service import mrr_on
from northstar.success.maps import MapConfig, map_version
from northstar.success.models import MilestoneReached, SuccessStatus, VehicleEnrolment
from northstar.success.vehicles import Vehicle

OUTCOMES = ("milestone", "retained", "nrr")
#: An account's revenue a year on is counted up to this multiple of its start (one huge expansion must not
#: decide a program's figure).
NRR_CAP = 3.0
GRACE_DAYS = 30
LEAD_DAYS = 30
HORIZON_DAYS = 120
RETENTION_DAYS = 365
TRIM = (0.02, 0.98)
BOOTSTRAP = 400
#: Standardised mean differences above this after weighting are reported as imbalance.
SMD_WARN = 0.1
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")


@dataclass
class Cohort:
    """The accounts on the steps a vehicle serves, from the day each started the step: features, enrolment and
    outcomes (NaN where the account was not followed long enough for that outcome)."""

    vehicle: str
    account_ids: np.ndarray
    treated: np.ndarray  # bool
    features: np.ndarray  # (n, k)
    feature_names: list[str]
    outcomes: dict[str, np.ndarray]
    starts: list[date]  # each account's time zero: the day it started the step
    start_arr: np.ndarray
    excluded_enrolled_earlier: int = 0


@dataclass(frozen=True)
class Balance:
    feature: str
    smd_before: float
    smd_after: float


@dataclass
class Effect:
    vehicle: str
    outcome: str
    n_enrolled: int
    n_comparison: int
    trimmed: int
    mean_enrolled: float
    mean_comparison: float  # unweighted
    naive: float
    att: float
    att_ci: tuple[float, float]
    ate: float
    ate_ci: tuple[float, float]
    balance: list[Balance] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    #: The enrolled accounts' mean ARR at the start of their step (turns shares into revenue in the P&L).
    enrolled_start_arr: float = 0.0

    @property
    def significant(self) -> bool:
        return self.att_ci[0] > 0 or self.att_ci[1] < 0

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "balance"}
        out["balance"] = [b.__dict__ for b in self.balance]
        return out


# ------------------------------------------------------------------------------------------------ the cohort
def cohort(
    settings: Settings,
    session: Session,
    vehicle: Vehicle,
    maps: MapConfig,
    as_of: date,
    grace: int = GRACE_DAYS,
    lead: int = LEAD_DAYS,
    horizon: int = HORIZON_DAYS,
    retention: int = RETENTION_DAYS,
) -> Cohort:
    """The vehicle's accounts from the start of their step (see the module's docstring), from the stored
    milestones."""
    steps: dict[str, tuple[str, int]] = {}  # persona -> (map version, position of the served milestone)
    for m in maps.maps:
        keys = [ms.key for ms in m.milestones]
        for k, key in enumerate(keys):
            if vehicle.serves_step(m.persona, key):
                steps[m.persona] = (map_version(m), k)
                break
    if not steps:
        return _empty(vehicle.key)
    statuses = session.execute(
        select(SuccessStatus.account_id, SuccessStatus.persona, SuccessStatus.path_start).where(
            SuccessStatus.persona.in_(list(steps))
        )
    ).all()
    ids = [a for a, _p, _s in statuses]
    reached: dict[tuple[int, int], date] = {}
    versions = {v for v, _k in steps.values()}
    for chunk in _chunks(ids):
        for account_id, position, day in session.execute(
            select(MilestoneReached.account_id, MilestoneReached.position, MilestoneReached.reached_on).where(
                MilestoneReached.account_id.in_(chunk), MilestoneReached.map_version.in_(versions)
            )
        ):
            reached[(account_id, position)] = day
    enrolled: dict[int, list[date]] = defaultdict(list)
    for account_id, on in session.execute(
        select(VehicleEnrolment.account_id, VehicleEnrolment.enrolled_on).where(VehicleEnrolment.vehicle == vehicle.key)
    ):
        enrolled[account_id].append(on)
    terms: dict[int, list[Any]] = defaultdict(list)
    accounts: dict[int, Any] = {}
    for chunk in _chunks(ids):
        for sub in session.execute(
            select(
                Subscription.account_id,
                Subscription.start_date,
                Subscription.end_date,
                Subscription.mrr,
                Subscription.seats,
            ).where(Subscription.account_id.in_(chunk))
        ):
            terms[sub.account_id].append(sub)
        for row in session.execute(
            select(Account.id, Account.segment, Account.customer_since).where(Account.id.in_(chunk))
        ):
            accounts[row.id] = row
    personas = sorted(steps)

    rows, starts, outcomes_rows, starts_arr, treated, kept = [], [], [], [], [], []
    earlier = 0
    for account_id, persona, path_start in statuses:
        _version, k = steps[persona]
        start = path_start if k == 0 else reached.get((account_id, k))  # position k = milestone k (1-based)
        if start is None or start > as_of:
            continue
        done = reached.get((account_id, k + 1))
        if done is not None and done <= start:
            continue  # there already when the step began: nothing for the vehicle to do
        account_terms = terms.get(account_id, [])
        mrr0 = mrr_on(account_terms, start)
        if mrr0 <= 0:
            continue  # not paying when the step began
        dates = enrolled.get(account_id, [])
        if any(d < start - timedelta(days=lead) for d in dates):
            earlier += 1
            continue
        account = accounts[account_id]
        seats0 = sum(
            t.seats or 0 for t in account_terms if t.start_date <= start and (t.end_date is None or t.end_date >= start)
        )
        since = account.customer_since or path_start or start
        row = [float(account.segment == s) for s in SEGMENTS[1:]]
        row += [np.log1p(seats0), np.log1p(mrr0), np.log1p(max((start - since).days, 0))]
        row += [np.log1p(max((start - path_start).days, 0)) if path_start else 0.0]
        row += [float(persona == p) for p in personas[1:]]
        rows.append(row)
        starts.append(start)
        starts_arr.append(12 * mrr0)
        treated.append(any(d <= start + timedelta(days=grace) for d in dates))
        kept.append(account_id)
        end = start + timedelta(days=retention)
        seen_year = end <= as_of
        outcomes_rows.append(
            (
                float(done is not None and done <= start + timedelta(days=horizon))
                if start + timedelta(days=horizon) <= as_of
                else np.nan,
                float(mrr_on(account_terms, end) > 0) if seen_year else np.nan,
                min(mrr_on(account_terms, end) / mrr0, NRR_CAP) if seen_year else np.nan,
            )
        )
    names = [f"segment {s}" for s in SEGMENTS[1:]] + ["log seats", "log MRR", "log tenure days", "log days on path"]
    names += [f"persona {p}" for p in personas[1:]]
    if not rows:
        return _empty(vehicle.key, earlier)
    usage = _usage_before(settings, kept, starts)
    sponsor = _sponsor_before(settings, session, kept, starts)
    features = np.column_stack([np.asarray(rows, float), usage, sponsor])
    names += ["log events 30 days before the step", "log user-days 30 days before the step"]
    names += ["decision maker active by the step's start", "log touchpoints with the decision maker in 90 days"]
    out = np.asarray(outcomes_rows, float)
    return Cohort(
        vehicle.key,
        np.asarray(kept),
        np.asarray(treated, bool),
        features,
        names,
        {name: out[:, j] for j, name in enumerate(OUTCOMES)},
        starts,
        np.asarray(starts_arr, float),
        earlier,
    )


def _empty(key: str, earlier: int = 0) -> Cohort:
    return Cohort(key, np.zeros(0, int), np.zeros(0, bool), np.zeros((0, 0)), [], {}, [], np.zeros(0), earlier)


def _chunks(ids: list[int], size: int = 5000) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _usage_before(settings: Settings, account_ids: list[int], starts: list[date]) -> np.ndarray:
    """log(1 + events) and log(1 + user-days) in the 30 days before each account's step start."""
    import pyarrow as pa

    from northstar import duck
    from northstar.store import rollup_store

    out = np.zeros((len(account_ids), 2))
    if not account_ids:
        return out
    first, last = min(starts) - timedelta(days=30), max(starts)
    rows = rollup_store(settings).read("account_day", first, last + timedelta(days=1))
    if rows.num_rows == 0:
        return out
    want = pa.table({"i": np.arange(len(account_ids)), "account_id": account_ids, "start": starts})
    con = duck.cursor()
    try:
        con.register("_rows", rows)
        con.register("_want", want)
        found = con.sql(
            """SELECT w.i, SUM(r.events) AS events, SUM(r.users) AS users
               FROM _want w JOIN _rows r ON r.account_id = w.account_id
                AND r.day >= w.start - INTERVAL 30 DAY AND r.day < w.start
               GROUP BY w.i"""
        ).fetchall()
    finally:
        con.close()
    for i, events, users in found:
        out[int(i)] = (np.log1p(float(events or 0)), np.log1p(float(users or 0)))
    return out


def _sponsor_before(settings: Settings, session: Session, account_ids: list[int], starts: list[date]) -> np.ndarray:
    """Whether the account's decision maker had used the product by the step's start (0/1), and log(1 + the
    touchpoints with the decision maker in the 90 days before): how engaged the sponsor is, which a CSM sees
    and which bears on both enrolment and success."""
    import pyarrow as pa

    from northstar import duck
    from northstar.accounts.models import Contact, ContactRole
    from northstar.store import rollup_store
    from northstar.touchpoints.models import Touchpoint

    out = np.zeros((len(account_ids), 2))
    if not account_ids:
        return out
    index = {a: i for i, a in enumerate(account_ids)}
    start_of = dict(zip(account_ids, starts, strict=True))
    sponsors: dict[int, int] = {}  # contact -> account
    for chunk in _chunks(account_ids):
        for contact_id, account_id in session.execute(
            select(Contact.id, Contact.account_id).where(
                Contact.account_id.in_(chunk), Contact.role == ContactRole.DECISION_MAKER
            )
        ):
            sponsors[contact_id] = account_id
    if not sponsors:
        return out
    rows = rollup_store(settings).read("user_day", None, max(starts) + timedelta(days=1))
    if rows.num_rows:
        con = duck.cursor()
        try:
            con.register("_rows", rows.select(["contact_id", "day"]))
            con.register("_dm", pa.table({"contact_id": list(sponsors), "account_id": list(sponsors.values())}))
            first = con.sql(
                "SELECT d.account_id, MIN(r.day) FROM _rows r JOIN _dm d ON r.contact_id = d.contact_id GROUP BY 1"
            ).fetchall()
        finally:
            con.close()
        for account_id, day in first:
            if day is not None and day <= start_of[int(account_id)]:
                out[index[int(account_id)], 0] = 1.0
    earliest = min(starts) - timedelta(days=90)
    counts: dict[int, int] = defaultdict(int)
    dm_ids = list(sponsors)
    for chunk in _chunks(dm_ids):
        for contact_id, at in session.execute(
            select(Touchpoint.contact_id, Touchpoint.occurred_at).where(
                Touchpoint.contact_id.in_(chunk),
                Touchpoint.occurred_at >= datetime.combine(earliest, time(), UTC),
            )
        ):
            account_id = sponsors[contact_id]
            day, start = at.date(), start_of[account_id]
            if start - timedelta(days=90) <= day < start:
                counts[account_id] += 1
    for account_id, n in counts.items():
        out[index[account_id], 1] = np.log1p(n)
    return out


# ------------------------------------------------------------------------------------------------ estimating
def propensity(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """P(enrolled | features): a logistic regression on standardised features (lightly regularised, so that
    a feature that separates the groups perfectly gives extreme probabilities, trimmed after, not an error)."""
    from sklearn.linear_model import LogisticRegression

    sd = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    model = LogisticRegression(C=100.0, max_iter=2000)
    model.fit(z, t)
    return model.predict_proba(z)[:, 1]


def weighted_effects(y: np.ndarray, t: np.ndarray, e: np.ndarray) -> tuple[float, float]:
    """(ATT, ATE) by normalised inverse-probability weights (module docstring)."""
    w_c = e[~t] / (1 - e[~t])
    att = y[t].mean() - np.sum(w_c * y[~t]) / np.sum(w_c)
    w1, w0 = 1 / e[t], 1 / (1 - e[~t])
    ate = np.sum(w1 * y[t]) / np.sum(w1) - np.sum(w0 * y[~t]) / np.sum(w0)
    return float(att), float(ate)


def smd(x: np.ndarray, t: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Standardised mean difference of each column between enrolled and (weighted) comparison accounts,
    over the pooled unweighted standard deviation (Austin 2009)."""
    w = np.ones(int((~t).sum())) if w is None else w
    m1 = x[t].mean(axis=0)
    m0 = np.average(x[~t], axis=0, weights=w)
    pooled = np.sqrt((x[t].var(axis=0) + x[~t].var(axis=0)) / 2)
    return np.where(pooled > 0, (m1 - m0) / np.where(pooled > 0, pooled, 1.0), 0.0)


def estimate(
    x: np.ndarray, t: np.ndarray, y: np.ndarray, boot: int = BOOTSTRAP, seed: int = 0, names: list[str] | None = None
) -> dict[str, Any]:
    """The weighted effects of ``t`` on ``y`` with bootstrap intervals, the plain difference and the balance."""
    e = propensity(x, t)
    keep = (e >= TRIM[0]) & (e <= TRIM[1])
    trimmed = int((~keep).sum())
    x, t, y, e = x[keep], t[keep], y[keep], e[keep]
    att, ate = weighted_effects(y, t, e)
    rng = np.random.default_rng(seed)
    idx_t, idx_c = np.flatnonzero(t), np.flatnonzero(~t)
    draws = []
    for _ in range(boot):
        sample = np.concatenate([rng.choice(idx_t, len(idx_t)), rng.choice(idx_c, len(idx_c))])
        xs, ts, ys = x[sample], t[sample], y[sample]
        es = np.clip(propensity(xs, ts), TRIM[0], TRIM[1])
        draws.append(weighted_effects(ys, ts, es))
    arr = np.asarray(draws)
    lo, hi = np.percentile(arr, [2.5, 97.5], axis=0)
    before = smd(x, t)
    after = smd(x, t, e[~t] / (1 - e[~t]))
    labels = names or [f"x{j}" for j in range(x.shape[1])]
    return {
        "n_enrolled": int(t.sum()),
        "n_comparison": int((~t).sum()),
        "trimmed": trimmed,
        "mean_enrolled": float(y[t].mean()),
        "mean_comparison": float(y[~t].mean()),
        "naive": float(y[t].mean() - y[~t].mean()),
        "att": att,
        "att_ci": (float(lo[0]), float(hi[0])),
        "ate": ate,
        "ate_ci": (float(lo[1]), float(hi[1])),
        "balance": [Balance(n, float(b), float(a)) for n, b, a in zip(labels, before, after, strict=True)],
    }


#: Fewer accounts than this in either group: no estimate (an interval would be all noise).
MIN_GROUP = 10


def effect(c: Cohort, outcome: str, boot: int = BOOTSTRAP, seed: int = 0) -> Effect | None:
    """The vehicle's effect on one outcome; None when either group has fewer than :data:`MIN_GROUP` accounts."""
    if not len(c.treated):
        return None
    y = c.outcomes[outcome]
    seen = ~np.isnan(y)
    t = c.treated[seen]
    if t.sum() < MIN_GROUP or (~t).sum() < MIN_GROUP:
        return None
    x = c.features[seen]
    varying = x.std(axis=0) > 0
    names = [n for n, v in zip(c.feature_names, varying, strict=True) if v]
    found = estimate(x[:, varying], t, y[seen], boot, seed, names)
    result = Effect(vehicle=c.vehicle, outcome=outcome, **found)
    result.enrolled_start_arr = float(c.start_arr[seen][t].mean())
    result.caveats = caveats(result, c)
    return result


def caveats(e: Effect, c: Cohort) -> list[str]:
    """What a reader should keep in mind, in plain words (the ones that apply)."""
    unit, scale = "points", 100.0
    out = [
        "Weighting makes the groups alike only in what the data shows (segment, seats, MRR, tenure, persona, "
        "use before the step). If accounts were chosen for reasons the data does not hold, such as a CSM's "
        "sense that a customer is keen, the estimate can still be off."
    ]
    if e.att_ci[0] <= 0 <= e.att_ci[1]:
        out.append("The interval includes zero: the data cannot tell this vehicle apart from doing nothing.")
    if min(e.n_enrolled, e.n_comparison) < 50:
        out.append(f"Few accounts ({e.n_enrolled} enrolled, {e.n_comparison} not): the interval is wide.")
    off = [b for b in e.balance if abs(b.smd_after) > SMD_WARN]
    if off:
        worst = max(off, key=lambda b: abs(b.smd_after))
        out.append(
            f"After weighting, {len(off)} feature(s) still differ between the groups, most of all "
            f"{worst.feature} (standardised difference {worst.smd_after:+.2f})."
        )
    if e.trimmed:
        out.append(f"{e.trimmed} account(s) had no comparable counterpart in the other group and were left out.")
    if abs(e.naive - e.att) * scale >= 1.0 and abs(e.naive - e.att) > 0.25 * abs(e.att_ci[1] - e.att_ci[0]):
        out.append(
            f"The plain comparison ({e.naive * scale:+.1f} {unit}) differs from the weighted one "
            f"({e.att * scale:+.1f}): the enrolled accounts were different to begin with."
        )
    if c.excluded_enrolled_earlier:
        out.append(f"{c.excluded_enrolled_earlier} account(s) enrolled before the step began were left out.")
    return out
