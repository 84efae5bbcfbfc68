"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), the first model of repeat purchasing by
customers who leave unseen, as written by Fader & Hardie (2005, "A Note on Deriving the Pareto/NBD Model
and Related Expressions").

While alive a customer buys at Poisson rate λ and its lifetime is exponential with rate μ; across customers
λ ~ Gamma(r, α) and μ ~ Gamma(s, β). With ``x`` repeat purchases, the last at ``t_x``, observed to ``T``:

    L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^-(r+x) (β+T)^-s + s/(r+s+x) · A0 ]

where, for α ≥ β, ``A0 = F(α+t_x) − F(α+T)`` with ``F(y) = ₂F₁(r+s+x, s+1; r+s+x+1; (α−β)/y) / y^(r+s+x)``,
and for α < β the same with ``₂F₁(r+s+x, r+x; r+s+x+1; (β−α)/y)`` and ``y`` in ``β+t_x``, ``β+T``. The sum is
computed in logarithms (the two F terms can be close).

* ``P(alive | x, t_x, T) = 1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A0)``
* ``E[X(t)] = rβ / (α(s−1)) · [1 − (β/(β+t))^(s−1)]``
* ``E[Y(t) | x, t_x, T] = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive | x, t_x, T)``

The gradient runs through the hypergeometric function's parameters, so the fit uses Nelder–Mead and then
BFGS on finite differences; it is slower than the BG/NBD's, which is why that one is the default.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, hyp2f1

from northstar.models.base import CustomerBaseModel, as_array, compress
from northstar.models.bgnbd import _rfm


def _log_a0(r: float, alpha: float, s: float, beta: float, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray):
    """log A0 of the likelihood, per customer (−inf where ``t_x = T``)."""
    rsx = r + s + x
    if alpha >= beta:
        lo, hi, b2 = alpha + t_x, alpha + big_t, s + 1
        diff = alpha - beta
    else:
        lo, hi, b2 = beta + t_x, beta + big_t, r + x
        diff = beta - alpha
    log_f1 = np.log(hyp2f1(rsx, b2, rsx + 1, diff / lo)) - rsx * np.log(lo)
    log_f2 = np.log(hyp2f1(rsx, b2, rsx + 1, diff / hi)) - rsx * np.log(hi)
    with np.errstate(divide="ignore"):
        return log_f1 + np.log1p(-np.exp(np.minimum(log_f2 - log_f1, 0.0)))


class ParetoNBD(CustomerBaseModel):
    """``fit(frequency, recency, T)`` → ``r_``, ``alpha_``, ``s_``, ``beta_``; then ``expected_purchases(t)``,
    ``conditional_expected_purchases(t, x, t_x, T)``, ``probability_alive``."""

    PARAMETERS = ("r", "alpha", "s", "beta")

    def fit(self, frequency: object, recency: object, T: object) -> ParetoNBD:
        x, t_x, big_t = _rfm(frequency, recency, T)
        (x, t_x, big_t), w = compress(x, t_x, big_t)
        n = float(w.sum())
        scale = float(np.average(big_t, weights=w)) or 1.0

        def objective(theta: np.ndarray) -> float:
            r, alpha, s, beta = np.exp(theta)
            head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            l1 = -(r + x) * np.log(alpha + big_t) - s * np.log(beta + big_t)
            l2 = np.log(s) - np.log(r + s + x) + _log_a0(r, alpha, s, beta, x, t_x, big_t)
            ll = w @ (head + np.logaddexp(l1, l2))
            return -float(ll) if np.isfinite(ll) else np.inf

        self._maximise(objective, np.log([0.5, scale, 0.5, scale]), gradient=False, n=n)
        return self

    def probability_alive(self, frequency: object, recency: object, T: object) -> np.ndarray:
        self._check_fitted()
        x, t_x, big_t = _rfm(frequency, recency, T)
        r, alpha, s, beta = self.params_.to_numpy()
        log_ratio = (
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + big_t)
            + s * np.log(beta + big_t)
            + _log_a0(r, alpha, s, beta, x, t_x, big_t)
        )
        return 1.0 / (1.0 + np.exp(log_ratio))

    def expected_purchases(self, t: object) -> np.ndarray:
        """``E[X(t)]``: repeat purchases a randomly chosen new customer makes in ``(0, t]``."""
        self._check_fitted()
        r, alpha, s, beta = self.params_.to_numpy()
        t = as_array(t, "t")
        return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))

    def conditional_expected_purchases(self, t: object, frequency: object, recency: object, T: object) -> np.ndarray:
        """``E[Y(t) | x, t_x, T]``: purchases expected in the next ``t`` from a customer with this history."""
        self._check_fitted()
        x, t_x, big_t = _rfm(frequency, recency, T)
        t = as_array(t, "t")
        r, alpha, s, beta = self.params_.to_numpy()
        body = (
            (r + x)
            * (beta + big_t)
            / ((alpha + big_t) * (s - 1))
            * (1 - ((beta + big_t) / (beta + big_t + t)) ** (s - 1))
        )
        return body * self.probability_alive(x, t_x, big_t)
