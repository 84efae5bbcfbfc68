"""The customer-base models against the published results and against values computed here independently
(numerical integration over the models' mixing distributions, the papers' recursions, brute-force sums)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.special import betaln, gammaln, roots_genlaguerre, roots_jacobi

from northstar.models import (
    BetaGeoNBD,
    GammaGamma,
    NotFittedError,
    ParetoNBD,
    ShiftedBetaGeometric,
    summarise_transactions,
)
from northstar.models.pareto_nbd import _log_a0

CDNOW = Path(__file__).parent / "data" / "cdnow"


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "id", "date", "cds", "value"],
        dtype={"date": str},
    )


@pytest.fixture(scope="module")
def bgnbd(summary: pd.DataFrame) -> BetaGeoNBD:
    return BetaGeoNBD().fit(summary["frequency"], summary["recency"], summary["T"])


@pytest.fixture(scope="module")
def pareto(summary: pd.DataFrame) -> ParetoNBD:
    return ParetoNBD().fit(summary["frequency"], summary["recency"], summary["T"])


# -- BG/NBD ------------------------------------------------------------------------------------------------------
def test_bgnbd_reproduces_fader_hardie_lee_2005_on_cdnow(bgnbd: BetaGeoNBD) -> None:
    # FHL 2005, section 4: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
    assert round(bgnbd.r_, 3) == 0.243
    assert round(bgnbd.alpha_, 3) == 4.414
    assert round(bgnbd.a_, 3) == 0.793
    assert round(bgnbd.b_, 3) == 2.426
    assert round(bgnbd.log_likelihood_, 1) == -9582.4
    assert bgnbd.n_ == 2357
    table = bgnbd.summary
    assert list(table.index) == ["r", "alpha", "a", "b"]
    assert (table["coef lower 95%"] < table["coef"]).all() and (table["coef"] < table["coef upper 95%"]).all()
    assert (table["se(coef)"] > 0).all()


def test_bgnbd_conditional_expectation_of_the_papers_example(bgnbd: BetaGeoNBD) -> None:
    # Fader, Hardie & Lee, "Implementing the BG/NBD Model in Excel": a customer with x = 2, t_x = 30.43,
    # T = 38.86 is expected to make 1.226 purchases in the next 39 weeks.
    assert round(float(bgnbd.conditional_expected_purchases(39, 2, 30.43, 38.86)[0]), 3) == 1.226


def gamma_nodes(shape: float, rate: float, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-generalised-Laguerre nodes and weights for E[f(l)] with l ~ Gamma(shape, rate): exact for the
    density's own singular factor l^(shape-1), so even shapes below 1 integrate to 1e-12."""
    u, w = roots_genlaguerre(n, shape - 1)
    return u / rate, w * np.exp(-gammaln(shape))


def beta_nodes(a: float, b: float, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Jacobi nodes and weights for E[f(p)] with p ~ Beta(a, b)."""
    x, w = roots_jacobi(n, b - 1, a - 1)
    return (1 + x) / 2, w * np.exp(-betaln(a, b) - (a + b - 1) * np.log(2))


def mixing_grid(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]):
    """The two mixing distributions' nodes as a grid, and the product weights."""
    u, v = np.meshgrid(first[0], second[0], indexing="ij")
    return u, v, np.outer(first[1], second[1])


def _bgnbd_integrals(m: BetaGeoNBD, x: int, t_x: float, big_t: float, t: float) -> tuple[float, float]:
    """P(alive) and E[Y(t)] by integrating over lambda ~ Gamma(r, alpha) and p ~ Beta(a, b): the individual
    likelihood is (1-p)^x l^x e^{-l T} (alive) + [x>0] p (1-p)^(x-1) l^x e^{-l t_x} (dropped after the last
    purchase); alive at T, the expected purchases in t are (1 - e^{-l p t}) / p."""
    r, alpha, a, b = m.params_.to_numpy()
    lam, p, w = mixing_grid(gamma_nodes(r, alpha), beta_nodes(a, b))
    alive = (1 - p) ** x * lam**x * np.exp(-lam * big_t)
    dead = p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * t_x) if x > 0 else 0.0
    total = np.sum(w * (alive + dead))
    return np.sum(w * alive) / total, np.sum(w * alive * (1 - np.exp(-lam * p * t)) / p) / total


@pytest.mark.parametrize(("x", "t_x", "big_t"), [(2, 30.43, 38.86), (0, 0.0, 32.0), (7, 35.0, 38.0), (1, 2.0, 38.0)])
def test_bgnbd_probability_alive_and_expectation_against_integration(
    bgnbd: BetaGeoNBD, x: int, t_x: float, big_t: float
) -> None:
    p_alive, future = _bgnbd_integrals(bgnbd, x, t_x, big_t, t=39.0)
    assert bgnbd.probability_alive(x, t_x, big_t)[0] == pytest.approx(p_alive, rel=1e-9)
    assert bgnbd.conditional_expected_purchases(39.0, x, t_x, big_t)[0] == pytest.approx(future, rel=1e-9)


def test_bgnbd_unconditional_expectation_and_count_distribution(bgnbd: BetaGeoNBD) -> None:
    r, alpha, a, b = bgnbd.params_.to_numpy()
    lam, p, w = mixing_grid(gamma_nodes(r, alpha), beta_nodes(a, b))
    for t in (1.0, 39.0, 78.0):
        expected = np.sum(w * (1 - np.exp(-lam * p * t)) / p)
        assert bgnbd.expected_purchases(t)[0] == pytest.approx(expected, rel=1e-9)
        probs = np.array([bgnbd.probability_of_purchases(t, k) for k in range(400)])
        assert probs.min() >= 0
        assert probs.sum() == pytest.approx(1.0, abs=1e-9)
        assert probs @ np.arange(400) == pytest.approx(bgnbd.expected_purchases(t)[0], rel=1e-6)
        # and P(X(t) = 0) by integration: alive with no purchase (e^{-l t}) or ... never: X counts purchases
        assert probs[0] == pytest.approx(np.sum(w * np.exp(-lam * t)), rel=1e-9)


def _simulate_bgnbd(n: int, params: tuple[float, float, float, float], seed: int) -> pd.DataFrame:
    """Customers drawn from the BG/NBD story itself: purchases at rate lambda, dropping out after each with
    probability p, watched for T weeks (whole days)."""
    r, alpha, a, b = params
    rng = np.random.default_rng(seed)
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    big_t = rng.integers(7, 273, n) / 7
    x, t_x, clock = np.zeros(n), np.zeros(n), np.zeros(n)
    going = np.ones(n, dtype=bool)
    while going.any():
        i = np.flatnonzero(going)
        clock[i] += rng.exponential(1 / np.maximum(lam[i], 1e-12))
        inside = clock[i] <= big_t[i]
        going[i[~inside]] = False
        bought = i[inside]
        x[bought] += 1
        t_x[bought] = clock[bought]
        going[bought[rng.random(len(bought)) < p[bought]]] = False
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": big_t})


def test_bgnbd_recovers_the_parameters_it_was_simulated_with() -> None:
    truth = (0.5, 6.0, 1.2, 3.0)
    data = _simulate_bgnbd(30_000, truth, seed=7)
    m = BetaGeoNBD().fit(data["frequency"], data["recency"], data["T"])
    for name, value in zip(m.PARAMETERS, truth, strict=True):
        lo, hi = m.summary.loc[name, ["coef lower 95%", "coef upper 95%"]]
        # the 95% intervals hold the truth (with this seed), and are tight
        assert lo < value < hi, (name, lo, value, hi)
        assert hi / lo < 1.6


def test_bgnbd_weights_are_the_same_as_repeating_rows(summary: pd.DataFrame, bgnbd: BetaGeoNBD) -> None:
    grouped = summary.groupby(["frequency", "recency", "T"]).size().reset_index(name="w")
    m = BetaGeoNBD().fit(grouped["frequency"], grouped["recency"], grouped["T"], weights=grouped["w"])
    np.testing.assert_allclose(m.params_.to_numpy(), bgnbd.params_.to_numpy(), rtol=1e-5)
    assert m.log_likelihood_ == pytest.approx(bgnbd.log_likelihood_, abs=1e-6)


def test_bad_summaries_are_refused_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="recency: the last purchase cannot come after T"):
        BetaGeoNBD().fit([1, 2], [5.0, 3.0], [4.0, 4.0])
    with pytest.raises(ValueError, match="frequency: repeat purchases must be whole numbers"):
        BetaGeoNBD().fit([1.5], [1.0], [4.0])
    with pytest.raises(ValueError, match="frequency: every value must be a finite number"):
        ParetoNBD().fit([np.nan], [1.0], [4.0])
    with pytest.raises(ValueError, match="recency must be 0"):
        BetaGeoNBD().fit([0], [1.0], [4.0])
    with pytest.raises(NotFittedError):
        BetaGeoNBD().probability_alive(1, 1, 2)
    with pytest.raises(NotFittedError):
        _ = ShiftedBetaGeometric().summary


# -- Pareto/NBD --------------------------------------------------------------------------------------------------
def test_pareto_nbd_reproduces_the_published_cdnow_estimates(pareto: ParetoNBD) -> None:
    # FHL 2005 (and Fader & Hardie's Pareto/NBD note): r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669,
    # LL = -9595.0.
    assert round(pareto.r_, 3) == 0.553
    assert round(pareto.alpha_, 3) == 10.578
    assert round(pareto.s_, 3) == 0.606
    assert round(pareto.log_likelihood_, 1) == -9595.0
    # beta is weakly identified (its standard error is about 6): the published 11.669 lies 8e-5 below our
    # maximum of the likelihood, at 11.668. Ours is at least as likely as the published point.
    assert pareto.beta_ == pytest.approx(11.669, abs=0.002)
    assert pareto.log_likelihood_ >= _pareto_closed_form((0.553, 10.578, 0.606, 11.669), *_cdnow_arrays())
    assert pareto.log_likelihood_ == pytest.approx(_pareto_closed_form(pareto.params_, *_cdnow_arrays()), abs=1e-8)


def _pareto_closed_form(params, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> float:
    """The log-likelihood's closed form (Fader & Hardie's note), written out here; checked against
    integration in ``test_pareto_nbd_log_likelihood_matches_integration_on_a_subset``."""
    r, alpha, s, beta = np.asarray(params, dtype=float)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    l1 = -(r + x) * np.log(alpha + big_t) - s * np.log(beta + big_t)
    l2 = np.log(s) - np.log(r + s + x) + _log_a0(r, alpha, s, beta, x, t_x, big_t)
    return float(np.sum(head + np.logaddexp(l1, l2)))


def _cdnow_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = pd.read_csv(CDNOW / "cdnow_customers_summary.csv")
    return s["frequency"].to_numpy(float), s["recency"].to_numpy(float), s["T"].to_numpy(float)


def _pareto_ll(m: ParetoNBD, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> float:
    """The log-likelihood at ``m.params_`` by integrating the individual likelihood numerically, customer by
    customer: L(l, mu) = l^x e^{-(l+mu)T} + l^x mu/(l+mu) (e^{-(l+mu)t_x} - e^{-(l+mu)T})."""
    r, alpha, s, beta = m.params_.to_numpy()
    lam, mu, w = mixing_grid(gamma_nodes(r, alpha, 300), gamma_nodes(s, beta, 300))
    k = lam + mu
    total = 0.0
    for xi, ti, bi in zip(x, t_x, big_t, strict=True):
        lik = lam**xi * (np.exp(-k * bi) + mu / k * (np.exp(-k * ti) - np.exp(-k * bi)))
        total += np.log(np.sum(w * lik))
    return total


def test_pareto_nbd_likelihood_and_expressions_against_integration(pareto: ParetoNBD) -> None:
    r, alpha, s, beta = pareto.params_.to_numpy()
    lam, mu, w = mixing_grid(gamma_nodes(r, alpha, 300), gamma_nodes(s, beta, 300))
    k = lam + mu
    for x, t_x, big_t in [(2, 30.43, 38.86), (0, 0.0, 32.0), (6, 20.0, 38.0)]:
        alive = lam**x * np.exp(-k * big_t)
        total = np.sum(w * (alive + lam**x * mu / k * (np.exp(-k * t_x) - np.exp(-k * big_t))))
        # alive at T, the expected purchases in the next t: (lambda / mu) (1 - e^{-mu t})
        future = np.sum(w * alive * lam / mu * (1 - np.exp(-mu * 39.0))) / total
        assert pareto.probability_alive(x, t_x, big_t)[0] == pytest.approx(np.sum(w * alive) / total, rel=1e-6)
        assert pareto.conditional_expected_purchases(39.0, x, t_x, big_t)[0] == pytest.approx(future, rel=1e-6)
    expected = np.sum(w * lam / mu * (1 - np.exp(-mu * 39.0)))
    assert pareto.expected_purchases(39.0)[0] == pytest.approx(expected, rel=1e-6)


def test_pareto_nbd_log_likelihood_matches_integration_on_a_subset(pareto: ParetoNBD) -> None:
    # the closed form with hypergeometric functions (both branches, alpha >= beta and alpha < beta), customer
    # by customer, against direct integration over the two gamma mixing distributions
    x, t_x, big_t = (a[:200] for a in _cdnow_arrays())
    for params in (pareto.params_.to_numpy(), (0.6, 6.0, 0.9, 14.0), (0.4, 14.0, 1.3, 5.0)):
        model = ParetoNBD()
        model.params_ = pd.Series(params, index=list(ParetoNBD.PARAMETERS))
        assert _pareto_closed_form(params, x, t_x, big_t) == pytest.approx(_pareto_ll(model, x, t_x, big_t), rel=1e-8)


# -- Gamma-Gamma ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cdnow_rfm(transactions: pd.DataFrame) -> pd.DataFrame:
    return summarise_transactions(
        transactions, "id", "date", "value", calibration_end="1997-09-30", observation_end="1998-06-30", period="W"
    )


def test_gamma_gamma_reproduces_fader_hardie_on_the_946_repeat_buyers(cdnow_rfm: pd.DataFrame) -> None:
    # Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value": p = 6.25, q = 3.74, gamma = 15.44
    m = GammaGamma().fit(cdnow_rfm["frequency"], cdnow_rfm["monetary_value"])
    assert m.n_ == 946
    assert round(m.p_, 2) == 6.25
    assert round(m.q_, 2) == 3.74
    assert round(m.gamma_, 2) == 15.44
    assert m.population_mean_spend == pytest.approx(m.p_ * m.gamma_ / (m.q_ - 1))


def test_gamma_gamma_expected_spend_is_the_posterior_mean(cdnow_rfm: pd.DataFrame) -> None:
    m = GammaGamma().fit(cdnow_rfm["frequency"], cdnow_rfm["monetary_value"])
    p, q, g = m.params_.to_numpy()
    prior = stats.gamma(q, scale=1 / g)
    for x, zbar in [(1, 20.0), (2, 35.5), (8, 12.0)]:
        # the mean zbar of x transactions given nu is Gamma(px, nu x); the expected spend is E[p / nu | zbar]
        like = lambda nu, x=x, zbar=zbar: stats.gamma.pdf(zbar, p * x, scale=1 / (nu * x)) * prior.pdf(nu)  # noqa: E731
        num = integrate.quad(lambda nu, like=like: p / nu * like(nu), 0, np.inf, limit=200)[0]
        den = integrate.quad(like, 0, np.inf, limit=200)[0]
        assert m.conditional_expected_average_spend(x, zbar)[0] == pytest.approx(num / den, rel=1e-6)


# -- shifted-beta-geometric ---------------------------------------------------------------------------------------
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.mark.parametrize(
    ("alive", "alpha", "beta", "ll"), [(HIGH_END, 0.668, 3.806, -1611.2), (REGULAR, 0.704, 1.182, -1680.3)]
)
def test_sbg_reproduces_fader_hardie_2007(alive: list[int], alpha: float, beta: float, ll: float) -> None:
    # "How to Project Customer Retention" (2007), the high-end and regular cohorts over 7 years
    m = ShiftedBetaGeometric().fit(alive)
    assert round(m.alpha_, 3) == alpha
    assert round(m.beta_, 3) == beta
    assert round(m.log_likelihood_, 1) == ll


def test_sbg_expressions_against_the_papers_recursion() -> None:
    m = ShiftedBetaGeometric().fit(REGULAR)
    a, b = m.alpha_, m.beta_
    # FH 2007 eq. 7: P(T=1) = a/(a+b), P(T=t) = (b+t-2)/(a+b+t-1) P(T=t-1); S(t) = 1 - sum of P
    probs = [a / (a + b)]
    for t in range(2, 30):
        probs.append(probs[-1] * (b + t - 2) / (a + b + t - 1))
    surv = 1 - np.cumsum(probs)
    np.testing.assert_allclose(m.churn_probability(np.arange(1, 30)), probs, rtol=1e-10)
    np.testing.assert_allclose(m.survival(np.arange(1, 30)), surv, rtol=1e-10)
    np.testing.assert_allclose(m.retention_rate(np.arange(2, 30)), surv[1:] / surv[:-1], rtol=1e-10)
    assert m.survival([0])[0] == pytest.approx(1.0)
    # Monte Carlo: theta ~ Beta(a, b), T ~ Geometric(theta)
    rng = np.random.default_rng(3)
    lifetimes = rng.geometric(rng.beta(a, b, 400_000))
    np.testing.assert_allclose(m.survival([1, 3, 7]), [(lifetimes > k).mean() for k in (1, 3, 7)], atol=0.003)


@pytest.mark.parametrize("discount", [0.05, 0.1, 0.25])
def test_sbg_del_and_derl_against_brute_force_sums(discount: float) -> None:
    m = ShiftedBetaGeometric().fit(HIGH_END)
    t = np.arange(0, 5_000)
    surv = m.survival(t)
    assert m.del_(discount) == pytest.approx(float(np.sum(surv * np.exp(-t * np.log1p(discount)))), rel=1e-9)
    for n in (1, 2, 5, 12):
        brute = float(np.sum(surv[n:] / surv[n - 1] * np.exp(-(t[n:] - n) * np.log1p(discount))))
        assert m.derl(discount, n)[0] == pytest.approx(brute, rel=1e-9)
    with pytest.raises(ValueError, match="discount"):
        m.del_(0.0)


def test_sbg_from_single_customers_and_several_cohorts() -> None:
    m = ShiftedBetaGeometric().fit(REGULAR)
    lost = -np.diff(REGULAR)
    periods = np.r_[np.repeat(np.arange(1, 8), lost), np.full(REGULAR[-1], 8)]
    churned = np.r_[np.ones(lost.sum(), dtype=bool), np.zeros(REGULAR[-1], dtype=bool)]
    single = ShiftedBetaGeometric().fit_lifetimes(periods, churned)
    np.testing.assert_allclose(single.params_, m.params_, rtol=1e-6)
    # two cohorts observed for different lengths: the likelihoods add
    young = REGULAR[:4]
    both = ShiftedBetaGeometric().fit([REGULAR, young])
    periods2 = np.r_[periods, np.repeat(np.arange(1, 4), -np.diff(young)), np.full(young[-1], 4)]
    churned2 = np.r_[churned, np.ones(REGULAR[0] - young[-1], dtype=bool), np.zeros(young[-1], dtype=bool)]
    np.testing.assert_allclose(
        ShiftedBetaGeometric().fit_lifetimes(periods2, churned2).params_, both.params_, rtol=1e-6
    )
    with pytest.raises(ValueError, match="cannot grow back"):
        ShiftedBetaGeometric().fit([100, 90, 95])
    with pytest.raises(ValueError, match="at least one customer who left"):
        ShiftedBetaGeometric().fit([100, 100, 100])


@settings(max_examples=30, deadline=None)
@given(alpha=st.floats(0.2, 5.0), beta=st.floats(0.3, 12.0))
def test_sbg_recovers_any_parameters_from_their_expected_survivors(alpha: float, beta: float) -> None:
    truth = ShiftedBetaGeometric()
    truth.params_ = pd.Series([alpha, beta], index=["alpha", "beta"])
    alive = 1e6 * truth.survival(np.arange(0, 13))
    m = ShiftedBetaGeometric().fit(alive)
    np.testing.assert_allclose(m.params_.to_numpy(), [alpha, beta], rtol=2e-3)


# -- the transaction log ----------------------------------------------------------------------------------------------
def test_transactions_reproduce_the_published_cdnow_summary(cdnow_rfm: pd.DataFrame, summary: pd.DataFrame) -> None:
    ref = summary.set_index("ID")
    assert len(cdnow_rfm) == 2357
    np.testing.assert_array_equal(cdnow_rfm["frequency"].to_numpy(), ref["frequency"].to_numpy())
    np.testing.assert_allclose(cdnow_rfm["recency"], ref["recency"], atol=0.005)
    np.testing.assert_allclose(cdnow_rfm["T"], ref["T"], atol=0.005)
    assert (cdnow_rfm["duration_holdout"] == 39.0).all()


def test_transactions_by_hand() -> None:
    tx = pd.DataFrame(
        {
            "who": ["a", "a", "a", "a", "b", "c", "c"],
            "when": [
                "2025-01-01",
                "2025-01-01 15:00",
                "2025-01-08",
                "2025-01-22",
                "2025-01-10",
                "2025-02-05",
                "2025-01-30",
            ],
            "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 9.0, 3.0],
        }
    )
    out = summarise_transactions(
        tx, "who", "when", "amount", calibration_end="2025-01-29", observation_end="2025-02-12"
    )
    # a: days 1, 8, 22 (the two on the 1st are one purchase of 15); b: one purchase; c: first after the cut-off
    assert list(out.index) == ["a", "b"]
    assert out.loc["a", ["frequency", "recency", "T", "monetary_value"]].tolist() == [2.0, 21.0, 28.0, 30.0]
    assert out.loc["b", ["frequency", "recency", "T", "monetary_value"]].tolist() == [0.0, 0.0, 19.0, 0.0]
    assert out.loc["a", "frequency_holdout"] == 0 and out.loc["a", "duration_holdout"] == 14
    weeks = summarise_transactions(tx, "who", "when", calibration_end="2025-01-29", period="W")
    assert weeks.loc["a", "recency"] == pytest.approx(3.0) and weeks.loc["a", "T"] == pytest.approx(4.0)
    assert "monetary_value" not in weeks


def test_transactions_errors_name_the_row_and_column() -> None:
    tx = pd.DataFrame({"who": ["a", "b"], "when": ["2025-01-01", "not a day"], "amount": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"row 2, column 'when': 'not a day' is not a date"):
        summarise_transactions(tx, "who", "when")
    tx = pd.DataFrame({"who": ["a", "b"], "when": ["2025-01-01", "2025-01-02"], "amount": [1.0, "ten"]})
    with pytest.raises(ValueError, match=r"row 2, column 'amount': 'ten' is not a number"):
        summarise_transactions(tx, "who", "when", "amount")
    with pytest.raises(ValueError, match="no column 'customer_id'"):
        summarise_transactions(tx, when="when")
    with pytest.raises(ValueError, match="period"):
        summarise_transactions(tx, "who", "when", period="M")


def test_sbg_with_left_truncated_records_recovers_the_truth() -> None:
    # Customers arrive over 10 years; records begin in year 7, so those who left before are missing. Fitted
    # on what the records show, only the truncation-aware likelihood finds the parameters back.
    rng = np.random.default_rng(11)
    alpha, beta = 0.8, 2.5
    n = 60_000
    lifetime = rng.geometric(rng.beta(alpha, beta, n))
    arrival = rng.integers(0, 10, n)  # the year each customer started
    records_begin, now = 7, 10
    # paid periods by now, and the renewals made before the records began
    seen = arrival + lifetime > records_begin  # still a customer when the records began
    gone = arrival + lifetime <= now
    # a customer still here at `now` has paid now - arrival + 1 periods (so its lifetime is above now - arrival)
    paid = np.where(gone, lifetime, now - arrival + 1)[seen]
    churned = gone[seen]
    entered = np.clip(records_begin - arrival, 0, None)[seen]
    fair = ShiftedBetaGeometric().fit_lifetimes(paid, churned, entered=entered)
    naive = ShiftedBetaGeometric().fit_lifetimes(paid, churned)
    for name, value in (("alpha", alpha), ("beta", beta)):
        lo, hi = fair.summary.loc[name, ["coef lower 95%", "coef upper 95%"]]
        assert lo < value < hi, (name, lo, value, hi)
    lo, hi = naive.summary.loc["beta", ["coef lower 95%", "coef upper 95%"]]
    assert not lo < beta < hi  # the survivors look more loyal than customers are
    with pytest.raises(ValueError, match="entered"):
        ShiftedBetaGeometric().fit_lifetimes([2], [True], entered=[2])


def test_sbg_without_heterogeneity_is_the_geometric_model() -> None:
    # every customer has the same 8% churn: a cohort that shrinks by exactly 8% a period has its likelihood
    # rising forever as the beta narrows to a point; it is held at the cap, and is the geometric model
    m = ShiftedBetaGeometric().fit(100_000 * 0.92 ** np.arange(13))
    assert m.homogeneous_
    assert m.alpha_ / (m.alpha_ + m.beta_) == pytest.approx(0.08, rel=1e-4)
    np.testing.assert_allclose(m.retention_rate([1, 5, 50]), 1 - m.alpha_ / (m.alpha_ + m.beta_), atol=1e-4)
    draws = m.draw_params(200, np.random.default_rng(0))
    assert np.all(np.isfinite(draws)) and np.all(draws > 0)
    churn = draws[:, 0] / draws.sum(axis=1)
    # the mean churn's uncertainty is about that of a proportion over the ~600,000 renewal decisions
    decisions = (100_000 * 0.92 ** np.arange(12)).sum()
    assert np.std(churn) == pytest.approx(np.sqrt(0.08 * 0.92 / decisions), rel=0.3)
    # and a sample of such customers gives a large but finite concentration, with the same mean
    rng = np.random.default_rng(5)
    lifetime = rng.geometric(0.08, 20_000)
    paid = np.where(lifetime <= 12, lifetime, 13)  # still here after 12 renewal decisions: 13 periods paid
    sample = ShiftedBetaGeometric().fit_lifetimes(paid, lifetime <= 12)
    assert sample.alpha_ / (sample.alpha_ + sample.beta_) == pytest.approx(0.08, abs=0.003)
    assert sample.alpha_ + sample.beta_ > 100
    assert not ShiftedBetaGeometric().fit(REGULAR).homogeneous_
