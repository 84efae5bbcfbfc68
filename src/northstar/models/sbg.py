"""The shifted-beta-geometric model of contractual retention (Fader & Hardie 2007, "How to Project Customer
Retention", Journal of Interactive Marketing 21(1); Fader & Hardie 2010, "Customer-Base Valuation in a
Contractual Setting: The Perils of Ignoring Heterogeneity", Marketing Science 29(1)).

At the end of each period a customer renews or leaves; its churn probability θ is constant over time, and
θ ~ Beta(α, β) across customers. The lifetime ``T`` (periods paid) then has

    P(T = 1) = α/(α+β),  P(T = t) = (β+t−2)/(α+β+t−1) · P(T = t−1)
    S(t) = P(T > t) = B(α, β+t) / B(α, β),  r_t = S(t)/S(t−1) = (β+t−1)/(α+β+t−1)

so the retention rate *rises* with tenure, from sorting alone: the likely churners leave first.

A cohort observed to period ``n`` gives ``LL = Σ_{t=1..n} (alive[t−1] − alive[t]) ln P(T=t) + alive[n] ln S(n)``
(FH 2007, eq. 6); several cohorts observed for different lengths, or single customers (``fit_lifetimes``),
add their terms.

Value (FH 2010, with payments at the start of each period and discount rate ``d`` per period):

* ``DEL(d) = Σ_{t≥0} S(t)/(1+d)^t = ₂F₁(1, β; α+β; 1/(1+d))``: discounted expected lifetime of a new customer;
* ``DERL(d, n) = Σ_{t≥n} S(t)/S(n−1)/(1+d)^(t−n) = (β+n−1)/(α+β+n−1) · ₂F₁(1, β+n; α+β+n; 1/(1+d))``: for
  a customer who has paid ``n`` periods (made ``n−1`` renewals), the discounted expected payments still to
  come, the next one undiscounted.

Times a payment per period and a margin, these are the contractual CLV and residual CLV.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import betaln, digamma, hyp2f1

from northstar.models.base import CustomerBaseModel, as_array


class ShiftedBetaGeometric(CustomerBaseModel):
    """``fit(alive)`` (one cohort's survivors by period, ``alive[0]`` its size; or a list of cohorts) or
    ``fit_lifetimes(periods, churned)`` (one row per customer) → ``alpha_``, ``beta_``; then ``survival(t)``,
    ``churn_probability(t)``, ``retention_rate(t)``, ``expected_lifetime``, ``del_(d)``, ``derl(d, n)``."""

    PARAMETERS = ("alpha", "beta")
    #: The optimiser works on (logit of the mean churn α/(α+β), log of α+β). When churn does not vary between
    #: customers the likelihood rises forever as α+β grows at a fixed mean (the beta narrows to a point, and the
    #: model becomes a plain geometric one); α+β is then held at this cap, where the two are the same to
    #: within 1e-6, and ``homogeneous_`` says so.
    MAX_CONCENTRATION = 1e6
    BOUNDS = ((None, None), (np.log(1e-4), np.log(MAX_CONCENTRATION)))

    def _natural(self, v: np.ndarray) -> np.ndarray:
        mean, kappa = 1 / (1 + np.exp(-v[0])), np.exp(v[1])
        return np.array([kappa * mean, kappa * (1 - mean)])

    def _log_jacobian(self, v: np.ndarray) -> np.ndarray:
        mean = 1 / (1 + np.exp(-v[0]))
        # log α = log(mean) + w, log β = log(1 − mean) + w; d log(mean)/du = 1 − mean, d log(1−mean)/du = −mean
        return np.array([[1 - mean, 1.0], [-mean, 1.0]])

    def fit(self, alive: Sequence[float] | Sequence[Sequence[float]]) -> ShiftedBetaGeometric:
        """``alive[t]`` customers (or shares) of a cohort still active after ``t`` periods; a list of such
        sequences for several cohorts, each observed as long as it has been."""
        cohorts = [alive] if np.ndim(alive[0]) == 0 else list(alive)  # type: ignore[index, arg-type]
        horizon = max(len(c) for c in cohorts) - 1
        if horizon < 1:
            raise ValueError("alive: a cohort needs its size and at least one period after it")
        lost, censored = np.zeros(horizon + 1), np.zeros(horizon + 1)
        for k, cohort in enumerate(cohorts):
            c = as_array(cohort, f"alive[{k}]" if len(cohorts) > 1 else "alive")
            if np.any(np.diff(c) > 1e-9):
                raise ValueError(f"alive{'' if len(cohorts) == 1 else f'[{k}]'}: a cohort cannot grow back")
            lost[1 : len(c)] += c[:-1] - c[1:]
            censored[len(c) - 1] += c[-1]
        return self._fit_counts(lost, censored)

    def fit_lifetimes(self, periods: object, churned: object, entered: object | None = None) -> ShiftedBetaGeometric:
        """One row per customer: ``periods`` paid so far (at least 1) and whether it has left (``churned``),
        else it is still active after ``periods`` periods (right-censored).

        ``entered``: renewals a customer had already made when the records began (left truncation). Customers
        who left before then are missing from the records, so the ones present are survivors; each one's term
        is divided by ``S(entered)``, the likelihood conditional on having survived to enter (Klein &
        Moeschberger, section 3.4). Without it, a history that starts at a cut-over under-counts early churn."""
        t = as_array(periods, "periods", minimum=1)
        if np.any(t != np.round(t)):
            raise ValueError("periods: whole periods paid, at least 1")
        gone = np.asarray(churned, dtype=bool).ravel()
        if len(gone) != len(t):
            raise ValueError("periods and churned must have the same length")
        # A churned customer with lifetime t contributes P(T = t); an active one that paid t periods has made
        # t - 1 renewals and is known to have lifetime above t - 1: S(t - 1).
        t = t.astype(int)
        horizon = int(t.max())
        lost = np.bincount(t[gone], minlength=horizon + 1).astype(float)
        censored = np.bincount(t[~gone] - 1, minlength=horizon + 1).astype(float)
        customers = float(len(t))
        if entered is not None:
            e = as_array(entered, "entered").astype(int)
            if len(e) != len(t):
                raise ValueError("entered and periods must have the same length")
            if np.any(e > t - 1):
                raise ValueError("entered: a customer cannot have made more renewals before the records than in all")
            # - ln S(e): a censored count of -1 at e (S(0) = 1 needs nothing)
            censored -= np.bincount(e, minlength=horizon + 1).astype(float)
        return self._fit_counts(lost, censored, customers)

    def _fit_counts(
        self, lost: np.ndarray, censored: np.ndarray, customers: float | None = None
    ) -> ShiftedBetaGeometric:
        """Maximise ``Σ lost[t] ln P(T=t) + Σ censored[t] ln S(t)`` (t = 0.. for ``censored``; a negative
        count is a truncation's ``− ln S(t)``)."""
        n = float(customers if customers is not None else lost.sum() + censored.sum())
        censored = censored.copy()
        censored[0] = 0.0  # ln S(0) = 0
        if n <= 0 or lost.sum() <= 0:
            raise ValueError("the retention model needs at least one customer who left")
        t_lost = np.flatnonzero(lost)
        t_cens = np.flatnonzero(censored != 0)
        w_lost, w_cens = lost[t_lost], censored[t_cens]

        def objective(v: np.ndarray) -> tuple[float, np.ndarray]:
            a, b = self._natural(v)
            # P(T=t) = B(a+1, b+t-1)/B(a, b); S(t) = B(a, b+t)/B(a, b)
            b0 = betaln(a, b)
            lp = betaln(a + 1, b + t_lost - 1) - b0
            ls = betaln(a, b + t_cens) - b0
            ll = w_lost @ lp + w_cens @ ls
            d0a, d0b = digamma(a) - digamma(a + b), digamma(b) - digamma(a + b)
            dpa = digamma(a + 1) - digamma(a + b + t_lost) - d0a
            dpb = digamma(b + t_lost - 1) - digamma(a + b + t_lost) - d0b
            dsa = digamma(a) - digamma(a + b + t_cens) - d0a
            dsb = digamma(b + t_cens) - digamma(a + b + t_cens) - d0b
            g_a, g_b = w_lost @ dpa + w_cens @ dsa, w_lost @ dpb + w_cens @ dsb
            # chain rule: dα/du = κ m (1 − m) = −dβ/du; dα/dw = α, dβ/dw = β
            spread = a * b / (a + b)
            return -float(ll), -np.array([(g_a - g_b) * spread, g_a * a + g_b * b])

        share = float(lost.sum() / max(n, 1.0))
        start = np.array([np.log(share / max(1 - share, 1e-9)), np.log(2.0)])
        self._maximise(objective, start, gradient=True, n=n)
        cap = float(np.log(self.MAX_CONCENTRATION))
        if cap - 1e-6 > self._optimum[1] > np.log(1e4):
            # a flat ridge towards no heterogeneity: if the cap is as likely, the data cannot tell the two apart,
            # and the geometric model (at the cap) is the answer
            found = (self._optimum.copy(), self.log_likelihood_)
            self._maximise(objective, np.array([self._optimum[0], cap]), gradient=True, n=n)
            if self.log_likelihood_ < found[1] - 1e-3:
                self._maximise(objective, found[0], gradient=True, n=n)
        self.homogeneous_ = bool(self._optimum[1] >= cap - 1e-6)
        return self

    # -- expressions -----------------------------------------------------------------------------------------
    def _ab(self) -> tuple[float, float]:
        self._check_fitted()
        return float(self.params_["alpha"]), float(self.params_["beta"])

    def survival(self, t: object) -> np.ndarray:
        """``S(t) = B(α, β+t)/B(α, β)``: the share of a cohort still active after ``t`` periods."""
        a, b = self._ab()
        t = as_array(t, "t")
        return np.exp(betaln(a, b + t) - betaln(a, b))

    def churn_probability(self, t: object) -> np.ndarray:
        """``P(T = t) = B(α+1, β+t−1)/B(α, β)``, for ``t ≥ 1``: the share that leaves at the end of period t."""
        a, b = self._ab()
        t = as_array(t, "t", minimum=1)
        return np.exp(betaln(a + 1, b + t - 1) - betaln(a, b))

    def retention_rate(self, t: object) -> np.ndarray:
        """``r_t = S(t)/S(t−1) = (β+t−1)/(α+β+t−1)``, for ``t ≥ 1``: the renewal rate at the t-th renewal."""
        a, b = self._ab()
        t = as_array(t, "t", minimum=1)
        return (b + t - 1) / (a + b + t - 1)

    @property
    def expected_lifetime(self) -> float:
        """``E[T] = (α+β−1)/(α−1)`` periods for ``α > 1``; infinite otherwise (a heavy tail of loyal customers)."""
        a, b = self._ab()
        return (a + b - 1) / (a - 1) if a > 1 else float("inf")

    def del_(self, discount: float) -> float:
        """Discounted expected lifetime of a new customer, in periods' payments (FH 2010, eq. 5)."""
        a, b = self._ab()
        _check_discount(discount)
        return float(hyp2f1(1.0, b, a + b, 1.0 / (1.0 + discount)))

    def derl(self, discount: float, n: object) -> np.ndarray:
        """Discounted expected residual lifetime of a customer that has paid ``n`` periods (FH 2010, eq. 6)."""
        a, b = self._ab()
        _check_discount(discount)
        n = as_array(n, "n", minimum=1)
        return (b + n - 1) / (a + b + n - 1) * hyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + discount))


def _check_discount(discount: float) -> None:
    if not discount > 0:
        raise ValueError("discount: the rate per period must be above 0 (without it the sums may not converge)")
