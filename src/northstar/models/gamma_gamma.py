"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value
Curves for Customer Base Analysis", JMR 42(4); Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary
Value").

A customer's transaction values are Gamma(p, ν) around its mean p/ν, and ν ~ Gamma(q, γ) across customers;
spend is assumed independent of the purchasing process. With ``x`` transactions averaging ``z̄``:

    f(z̄ | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q x^(px) z̄^(px−1) / (γ + x z̄)^(px+q)

and the customer's expected spend per transaction, the posterior mean of p/ν, is
``E[M | x, z̄] = p (γ + x z̄) / (px + q − 1)``: a weighted mean of the population's ``pγ/(q−1)`` and the
customer's own average, the weight on its own growing with ``x``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from northstar.models.base import CustomerBaseModel, as_array, compress


def _spend(frequency: object, monetary: object) -> tuple[np.ndarray, np.ndarray]:
    x = as_array(frequency, "frequency")
    z = as_array(monetary, "monetary_value")
    if len(x) != len(z):
        raise ValueError("frequency and monetary_value must have the same length")
    if np.any(x != np.round(x)):
        raise ValueError("frequency: transactions must be whole numbers")
    return x, z


class GammaGamma(CustomerBaseModel):
    """``fit(frequency, monetary_value)`` on customers with at least one repeat transaction (others are left
    out, as the model is conditioned on ``x > 0``) → ``p_``, ``q_``, ``gamma_``; then
    ``conditional_expected_average_spend(frequency, monetary_value)``."""

    PARAMETERS = ("p", "q", "gamma")

    def fit(self, frequency: object, monetary_value: object) -> GammaGamma:
        x, z = _spend(frequency, monetary_value)
        keep = x > 0
        if np.any(z[keep] <= 0):
            raise ValueError("monetary_value must be positive for customers with repeat transactions")
        (x, z), w = compress(x[keep], z[keep])
        if w.sum() < 3:
            raise ValueError("Gamma-Gamma needs at least three customers with repeat transactions")
        n = float(w.sum())
        log_x, log_z, xz = np.log(x), np.log(z), x * z

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            p, q, g = np.exp(theta)
            px = p * x
            log_gxz = np.log(g + xz)
            ll = w @ (
                gammaln(px + q)
                - gammaln(px)
                - gammaln(q)
                + q * np.log(g)
                + px * log_x
                + (px - 1) * log_z
                - (px + q) * log_gxz
            )
            dpq = digamma(px + q)
            d_p = w @ (x * (dpq - digamma(px) + log_x + log_z - log_gxz))
            d_q = w @ (dpq - digamma(q) + np.log(g) - log_gxz)
            d_g = w @ (q / g - (px + q) / (g + xz))
            return -float(ll), -np.array([d_p * p, d_q * q, d_g * g])

        start = np.log([1.0, 1.0, float(np.average(z, weights=w))])
        self._maximise(objective, start, gradient=True, n=n)
        return self

    def conditional_expected_average_spend(self, frequency: object, monetary_value: object) -> np.ndarray:
        """``E[M | x, z̄] = p (γ + x z̄) / (px + q − 1)``; for ``x = 0`` the population mean ``pγ/(q−1)``."""
        self._check_fitted()
        x, z = _spend(frequency, monetary_value)
        p, q, g = self.params_.to_numpy()
        return p * (g + x * z) / (p * x + q - 1)

    @property
    def population_mean_spend(self) -> float:
        """``E[M] = pγ / (q − 1)``, infinite when ``q ≤ 1``."""
        self._check_fitted()
        p, q, g = self.params_.to_numpy()
        return float(p * g / (q - 1)) if q > 1 else float("inf")
