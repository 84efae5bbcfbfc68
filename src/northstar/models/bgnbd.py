"""The BG/NBD model of repeat purchasing when customers can leave unseen (Fader, Hardie & Lee 2005, "Counting
Your Customers the Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2)).

While active, a customer buys at Poisson rate λ; after each purchase it drops out with probability p.
Across customers λ ~ Gamma(r, α) and p ~ Beta(a, b). A customer is summarised by ``x`` (repeat purchases),
``t_x`` (time of the last purchase since the first) and ``T`` (time since the first purchase). Its
likelihood (FHL 2005, eq. 6):

    L = A1 · A2 · (A3 + [x > 0] A4),  A1 = Γ(r+x) α^r / Γ(r),  A2 = B(a, b+x) / B(a, b),
    A3 = (α+T)^-(r+x),  A4 = a / (b+x−1) · (α+t_x)^-(r+x)

and the model's expressions:

* ``E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]`` (eq. 7), purchases by a new
  customer in ``(0, t]``;
* ``P(alive | x, t_x, T) = 1 / (1 + [x > 0] a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))``;
* ``E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
  · P(alive | x, t_x, T)`` (eq. 10), purchases in the next ``t``.

The gradient of the log-likelihood is analytic (digammas), so the fit is a few dozen BFGS steps over the
customers' *distinct* summaries.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import betaln, digamma, gammaln, hyp2f1

from northstar.models.base import CustomerBaseModel, as_array, compress


def _rfm(frequency: object, recency: object, T: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = as_array(frequency, "frequency")
    t_x = as_array(recency, "recency")
    big_t = as_array(T, "T")
    if not len(x) == len(t_x) == len(big_t):
        raise ValueError("frequency, recency and T must have the same length")
    if np.any(x != np.round(x)):
        raise ValueError("frequency: repeat purchases must be whole numbers")
    if np.any(t_x > big_t + 1e-9):
        raise ValueError("recency: the last purchase cannot come after T, the end of the observation")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("recency must be 0 for customers with no repeat purchase")
    return x, t_x, big_t


class BetaGeoNBD(CustomerBaseModel):
    """``fit(frequency, recency, T)`` → ``r_``, ``alpha_``, ``a_``, ``b_``; then
    ``expected_purchases(t)``, ``conditional_expected_purchases(t, x, t_x, T)``, ``probability_alive``."""

    PARAMETERS = ("r", "alpha", "a", "b")

    def fit(self, frequency: object, recency: object, T: object, weights: object | None = None) -> BetaGeoNBD:
        x, t_x, big_t = _rfm(frequency, recency, T)
        if weights is None:
            (x, t_x, big_t), w = compress(x, t_x, big_t)
            n = float(w.sum())
        else:
            w = as_array(weights, "weights")
            n = float(w.sum())
        scale = float(np.mean(big_t)) or 1.0
        # Terms that depend on x alone are summed once per distinct x, with the weights of its customers
        # (x takes few values even over millions of customers).
        xs, x_idx = np.unique(x, return_inverse=True)
        wx = np.bincount(x_idx, weights=w, minlength=len(xs))
        # Customers without a repeat purchase have only A3, with exponent r: two sums over them suffice.
        none = x == 0
        w0, t0 = w[none], big_t[none]
        buy = ~none
        wb, xb, tb, txb = w[buy], x[buy], big_t[buy], t_x[buy]
        wbx = wb * xb  # for the sums of (r + x) times a term

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            r, alpha, a, b = np.exp(theta)
            # non-buyers: ln A3 = -r ln(alpha + T)
            log0 = np.log(alpha + t0)
            sum_log0 = w0 @ log0
            sum_inv0 = w0 @ (1.0 / (alpha + t0))
            # buyers: ln(A3 + A4), A4 = a / (b + x - 1) (alpha + t_x)^-(r+x), by log-sum-exp
            log_t, log_tx = np.log(alpha + tb), np.log(alpha + txb)
            rx = r + xb
            bx1 = b + xb - 1
            # l4 - l3 = ln a - ln(b + x - 1) + (r + x) (ln(alpha + T) - ln(alpha + t_x)) >= ln a - ln(b + x - 1)
            diff = np.log(a) - np.log(bx1) + rx * (log_t - log_tx)
            w4 = 1.0 / (1.0 + np.exp(-diff))  # the share of A4 in the sum
            w3 = 1.0 - w4
            lse = -rx * log_t + np.logaddexp(0.0, diff)
            g_u = gammaln(r + xs) - gammaln(r) + gammaln(b + xs) - gammaln(a + b + xs)
            ll = wx @ g_u + n * (r * np.log(alpha) + gammaln(a + b) - gammaln(b)) - r * sum_log0 + wb @ lse
            # Gradient with respect to (r, alpha, a, b), then to their logarithms.
            mixed_log = w3 * log_t + w4 * log_tx
            d_r = wx @ (digamma(r + xs) - digamma(r)) + n * np.log(alpha) - sum_log0 - wb @ mixed_log
            mixed_inv = w3 / (alpha + tb) + w4 / (alpha + txb)
            d_alpha = n * r / alpha - r * sum_inv0 - r * (wb @ mixed_inv) - wbx @ mixed_inv
            d_ab = digamma(a + b)
            wb4 = wb @ w4
            d_a = n * d_ab - wx @ digamma(a + b + xs) + wb4 / a
            d_b = n * (d_ab - digamma(b)) + wx @ (digamma(b + xs) - digamma(a + b + xs)) - wb @ (w4 / bx1)
            grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
            return -float(ll), -grad

        start = np.log([1.0, scale, 1.0, 1.0])
        self._maximise(objective, start, gradient=True, n=n)
        return self

    # -- expressions -----------------------------------------------------------------------------------------
    def expected_purchases(self, t: object) -> np.ndarray:
        """``E[X(t)]``: repeat purchases a randomly chosen new customer makes in ``(0, t]`` (eq. 7)."""
        self._check_fitted()
        r, alpha, a, b = self.params_.to_numpy()
        t = as_array(t, "t")
        z = t / (alpha + t)
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))

    def probability_alive(self, frequency: object, recency: object, T: object) -> np.ndarray:
        """``P(alive | x, t_x, T)``: the chance a customer with this history has not dropped out."""
        self._check_fitted()
        x, t_x, big_t = _rfm(frequency, recency, T)
        r, alpha, a, b = self.params_.to_numpy()
        with np.errstate(divide="ignore"):
            log_ratio = (
                np.log(a)
                - np.log(np.where(x > 0, b + x - 1, 1.0))
                + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
            )
        return np.where(x > 0, 1.0 / (1.0 + np.exp(log_ratio)), 1.0)

    def conditional_expected_purchases(self, t: object, frequency: object, recency: object, T: object) -> np.ndarray:
        """``E[Y(t) | x, t_x, T]``: purchases expected in the next ``t`` from a customer with this history
        (eq. 10)."""
        self._check_fitted()
        x, t_x, big_t = _rfm(frequency, recency, T)
        t = as_array(t, "t")
        r, alpha, a, b = self.params_.to_numpy()
        z = t / (alpha + big_t + t)
        hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
        body = (a + b + x - 1) / (a - 1) * (1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp)
        return body * self.probability_alive(x, t_x, big_t)

    def probability_of_purchases(self, t: float, n: int) -> float:
        """``P(X(t) = n)`` for a randomly chosen new customer (FHL 2005, eq. 8):
        ``B(a, b+n)/B(a, b) · NBD(n) + [n > 0] B(a+1, b+n−1)/B(a, b) · P(NBD > n−1)``, where NBD is the
        negative binomial count of a Gamma(r, α)-mixed Poisson over ``t`` (the finite sum of the paper is its
        survival function, taken from scipy so the difference never cancels)."""
        self._check_fitted()
        r, alpha, a, b = self.params_.to_numpy()
        counts = stats.nbinom(r, alpha / (alpha + t))
        p = np.exp(betaln(a, b + n) - betaln(a, b) + counts.logpmf(n))
        if n > 0:
            p += np.exp(betaln(a + 1, b + n - 1) - betaln(a, b) + counts.logsf(n - 1))
        return float(p)
