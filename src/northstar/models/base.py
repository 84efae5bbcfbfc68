"""What the customer-base models share: maximum likelihood on log parameters, and the summary table.

Each model states its negative log-likelihood (and, where it is cheap, its gradient) as a function of the
logarithms of its parameters, so every parameter stays positive without bounds. The optimiser is BFGS with
the analytic gradient (L-BFGS-B's default tolerances stop short of the published precision); models whose
gradient has no simple form use Nelder–Mead and then BFGS on finite differences.

Standard errors come from the observed information: the Hessian of the negative log-likelihood at the
optimum, by central differences of the gradient, inverted (Fisher's asymptotic normal approximation). The
summary's 95% intervals are taken on the log scale and mapped back, ``exp(log θ ± 1.96 · se(log θ))``, which
keeps them positive (the lifelines convention reports the same ``coef``/``se(coef)``/bounds columns).
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy import optimize

#: ``f(log_params) -> (value, gradient)`` or ``-> value``, for a negative log-likelihood.
Objective = Callable[[np.ndarray], tuple[float, np.ndarray]] | Callable[[np.ndarray], float]


class NotFittedError(RuntimeError):
    """A model's predictions were asked for before ``fit``."""


class ConvergenceError(RuntimeError):
    """The optimiser did not reach a maximum of the likelihood; the message says why."""


class CustomerBaseModel:
    """The estimator convention (scikit-learn / lifelines): ``fit`` returns the model, fitted values end in
    ``_``: ``params_`` (a Series by name), ``log_likelihood_``, ``standard_errors_``, ``n_``, and
    ``summary`` (a DataFrame: coef, se(coef), lower and upper 95% bounds)."""

    #: The parameters' names, in the order of the optimiser's vector.
    PARAMETERS: tuple[str, ...] = ()

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = alpha

    #: Bounds on the optimiser's vector (None: unbounded); a model whose maximum can lie at infinity sets them.
    BOUNDS: tuple[tuple[float | None, float | None], ...] | None = None

    # -- the optimiser's parametrisation (logarithms by default) --------------------------------------------
    def _natural(self, v: np.ndarray) -> np.ndarray:
        """The parameters from the optimiser's vector."""
        return np.exp(v)

    def _log_jacobian(self, v: np.ndarray) -> np.ndarray:
        """``d log(parameters) / d v`` at ``v``: how the vector's uncertainty maps to the parameters'."""
        return np.eye(len(v))

    # -- fitting ---------------------------------------------------------------------------------------------
    def _maximise(self, objective: Objective, start: np.ndarray, gradient: bool, n: float) -> None:
        """Minimise ``objective`` over the optimiser's vector from ``start``; store the fitted values."""
        # The optimiser sees the mean log-likelihood per customer, so its first steps and its tolerance do not
        # depend on how many customers there are (a million customers' gradient overflows the first step).
        scale = 1.0 / max(n, 1.0)
        if gradient:

            def per_customer(v: np.ndarray) -> tuple[float, np.ndarray]:
                value, grad = objective(v)  # type: ignore[misc]
                return value * scale, grad * scale

            if self.BOUNDS is None:
                # 1e-8 per customer: tighter sits at the edge of double precision over a million customers (the
                # last line search then burns dozens of evaluations on rounding noise)
                res = optimize.minimize(per_customer, start, jac=True, method="BFGS", options={"gtol": 1e-8})
            else:
                res = optimize.minimize(
                    per_customer,
                    start,
                    jac=True,
                    method="L-BFGS-B",
                    bounds=self.BOUNDS,
                    options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000},
                )
            value_at: Callable[[np.ndarray], float] = lambda v: objective(v)[0]  # type: ignore[index]  # noqa: E731
        else:
            value_at = objective  # type: ignore[assignment]

            def mean_value(v: np.ndarray) -> float:
                return value_at(v) * scale

            first = optimize.minimize(
                mean_value, start, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-12, "maxiter": 4000}
            )
            res = optimize.minimize(mean_value, first.x, method="BFGS", options={"gtol": 1e-9})
            if not np.isfinite(res.fun) or res.fun > first.fun:
                res = first
            # BFGS on finite differences ends on "precision loss" at the optimum; Nelder-Mead's own stop counts
            res.success = bool(res.success or first.success)
        if not np.all(np.isfinite(res.x)) or not np.isfinite(res.fun):
            raise ConvergenceError(f"{type(self).__name__}: the likelihood could not be maximised ({res.message})")
        v = res.x
        self._optimum = v
        self.params_ = pd.Series(self._natural(v), index=list(self.PARAMETERS), name="coef")
        self.log_likelihood_ = -float(value_at(v))
        # BFGS may stop on "precision loss" at the optimum itself; a vanishing gradient says it got there.
        free = ~self._at_bound(v)
        jac = np.asarray(getattr(res, "jac", np.full(len(v), np.inf)))
        small_gradient = gradient and float(np.max(np.abs(jac[free]), initial=0.0)) < 1e-6
        self.converged_ = bool(res.success or small_gradient)
        self.n_ = n
        gradient_at = (lambda u: objective(u)[1]) if gradient else None  # type: ignore[index]
        self.standard_errors_ = self._standard_errors(value_at, v, gradient_at)
        for name, value in self.params_.items():
            setattr(self, f"{name}_", float(value))

    def _at_bound(self, v: np.ndarray) -> np.ndarray:
        """Which of the vector's components sit on a bound (their uncertainty is not estimated)."""
        if self.BOUNDS is None:
            return np.zeros(len(v), dtype=bool)
        lo = np.array([-np.inf if b[0] is None else b[0] for b in self.BOUNDS])
        hi = np.array([np.inf if b[1] is None else b[1] for b in self.BOUNDS])
        return (v <= lo + 1e-6) | (v >= hi - 1e-6)

    def _standard_errors(
        self,
        value_at: Callable[[np.ndarray], float],
        v: np.ndarray,
        gradient_at: Callable[[np.ndarray], np.ndarray] | None,
    ) -> pd.Series:
        """Delta-method standard errors of the parameters from the Hessian in the optimiser's vector: central
        differences of the analytic gradient where there is one (2k evaluations), else of the value. A
        component on a bound is held there (the estimate is conditional on it)."""
        k, h = len(v), 1e-4
        hess = np.empty((k, k))
        if gradient_at is not None:
            for i in range(k):
                step = np.eye(k)[i] * h
                hess[:, i] = (gradient_at(v + step) - gradient_at(v - step)) / (2 * h)
            hess = (hess + hess.T) / 2
        f0 = value_at(v)
        for i in range(k if gradient_at is None else 0):
            for j in range(i, k):
                ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
                if i == j:
                    val = (value_at(v + ei) - 2 * f0 + value_at(v - ei)) / h**2
                else:
                    val = (
                        value_at(v + ei + ej) - value_at(v + ei - ej) - value_at(v - ei + ej) + value_at(v - ei - ej)
                    ) / (4 * h**2)
                hess[i, j] = hess[j, i] = val
        free = ~self._at_bound(v)
        cov = np.zeros((k, k))
        try:
            cov[np.ix_(free, free)] = np.linalg.inv(hess[np.ix_(free, free)])
        except np.linalg.LinAlgError:
            cov[:] = np.nan
        if np.any(np.diag(cov) < 0):
            cov[:] = np.nan
        self._cov_v = cov
        jac = self._log_jacobian(v)
        cov_log = jac @ cov @ jac.T
        se_log = np.sqrt(np.clip(np.diag(cov_log), 0, None))
        self.covariance_log_ = pd.DataFrame(cov_log, index=list(self.PARAMETERS), columns=list(self.PARAMETERS))
        self._se_log = pd.Series(se_log, index=list(self.PARAMETERS))
        return pd.Series(self.params_.to_numpy() * se_log, index=list(self.PARAMETERS), name="se(coef)")

    # -- reporting -------------------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit() first")

    @property
    def summary(self) -> pd.DataFrame:
        """Per parameter: the estimate, its standard error, and the bounds of its ``1 - alpha`` interval."""
        self._check_fitted()
        z = NormalDist().inv_cdf(1 - self.alpha / 2)
        pct = round(100 * (1 - self.alpha))
        return pd.DataFrame(
            {
                "coef": self.params_,
                "se(coef)": self.standard_errors_,
                f"coef lower {pct}%": self.params_ * np.exp(-z * self._se_log),
                f"coef upper {pct}%": self.params_ * np.exp(z * self._se_log),
            }
        )

    def draw_params(self, draws: int, rng: np.random.Generator) -> np.ndarray:
        """``draws`` parameter vectors from the estimate's asymptotic normal distribution (in the optimiser's
        vector, held within its bounds): how a forecast carries the uncertainty of the fit into its interval."""
        self._check_fitted()
        v = getattr(self, "_optimum", None)
        if v is None:  # parameters set by hand: no uncertainty known
            return np.tile(self.params_.to_numpy(), (draws, 1))
        cov = self._cov_v
        if not np.all(np.isfinite(cov)):
            return np.tile(self.params_.to_numpy(), (draws, 1))
        sample = rng.multivariate_normal(v, cov, size=draws, method="eigh")
        if self.BOUNDS is not None:
            lo = [-np.inf if b[0] is None else b[0] for b in self.BOUNDS]
            hi = [np.inf if b[1] is None else b[1] for b in self.BOUNDS]
            sample = np.clip(sample, lo, hi)
        return np.array([self._natural(row) for row in sample])

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"<{type(self).__name__}: not fitted>"
        values = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"<{type(self).__name__}: {values}, n={self.n_:g}, log-likelihood={self.log_likelihood_:.2f}>"


def as_array(values: object, name: str, minimum: float | None = 0.0) -> np.ndarray:
    """``values`` as a 1-d float array, refused with a message naming ``name`` when it is not finite or is
    below ``minimum``."""
    arr = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: every value must be a finite number")
    if minimum is not None and np.any(arr < minimum):
        raise ValueError(f"{name}: values must be at least {minimum:g}")
    return arr


def compress(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of ``columns`` and how many times each occurs: customers with the same summary
    contribute the same likelihood term, so it is computed once and weighted (CDNOW's 2,357 customers are
    about 1,100 distinct rows; most non-buyers differ only by their cohort). A lexicographic sort and a
    difference: three times faster than ``np.unique(axis=0)`` on a million rows."""
    order = np.lexsort(columns[::-1])
    ordered = [np.ascontiguousarray(c[order]) for c in columns]
    same = np.zeros(len(order), dtype=bool)  # the row equals the one before it in every column
    same[1:] = True
    for c in ordered:
        same[1:] &= c[1:] == c[:-1]
    starts = np.flatnonzero(~same)
    counts = np.diff(np.r_[starts, len(order)]).astype(float)
    return [c[starts] for c in ordered], counts
