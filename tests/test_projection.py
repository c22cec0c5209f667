"""The Monte Carlo projection engine against closed forms and the history it samples."""

from __future__ import annotations

from dataclasses import replace
from statistics import NormalDist

import numpy as np
import pytest

from roboadvisor.domain.projection import (
    PERCENTILES,
    CashFlows,
    MonthlyReturns,
    ReturnModel,
    bad_year_normal,
    bootstrap_indices,
    bootstrap_returns,
    lognormal_parameters,
    lognormal_wealth_quantiles,
    normal_returns,
    normal_returns_from_moments,
    project,
    saving_needed,
)

N = NormalDist()


def _quantile_se(q: float, sd: float, n: int) -> float:
    """Standard error of the q sample quantile of n normal draws with standard deviation sd."""
    z = N.inv_cdf(q)
    return sd * np.sqrt(q * (1 - q)) / (N.pdf(z) * np.sqrt(n))


def test_normal_model_without_flows_matches_the_lognormal_closed_form() -> None:
    rng = np.random.default_rng(7)
    n, years, m, s = 20_000, 20, 0.07, 0.15
    w = np.array([0.6, 0.4])
    mu = np.array([0.09, 0.04])
    cov = np.array([[0.04, 0.003], [0.003, 0.0036]])
    m, s = float(w @ mu), float(np.sqrt(w @ cov @ w))
    returns = normal_returns(w, mu, cov, years * 12, n, rng)
    result = project(returns, CashFlows(1000.0))
    _, sigma_l = lognormal_parameters(m, s)
    for year in (1, 5, 20):
        expected = lognormal_wealth_quantiles(1000.0, m, s, year, np.array(PERCENTILES) / 100)
        got = result.percentiles[year]
        sd = sigma_l * np.sqrt(year)  # of log wealth
        for q, e, g in zip(PERCENTILES, expected, got, strict=True):
            tolerance = 4 * _quantile_se(q / 100, sd, n)  # 4 standard errors of the quantile
            assert abs(np.log(g) - np.log(e)) < tolerance, (year, q)


def test_lognormal_parameters_keep_the_annual_mean_and_volatility() -> None:
    mu_l, sigma_l = lognormal_parameters(0.06, 0.12)
    mean = np.exp(mu_l + sigma_l ** 2 / 2)
    sd = np.sqrt((np.exp(sigma_l ** 2) - 1) * np.exp(2 * mu_l + sigma_l ** 2))
    assert mean == pytest.approx(1.06) and sd == pytest.approx(0.12)


def test_bootstrap_preserves_the_historical_mean_and_volatility() -> None:
    rng = np.random.default_rng(3)
    history = 0.006 + 0.04 * rng.standard_t(5, size=(240, 3)) / np.sqrt(5 / 3)
    w = np.array([0.5, 0.3, 0.2])
    sample = bootstrap_returns(w, history, 120, 4000, np.random.default_rng(11)).values
    series = history @ w
    n = sample.size
    sigma = series.std()
    assert abs(sample.mean() - series.mean()) < 5 * sigma / np.sqrt(n)
    kurtosis = np.mean((series - series.mean()) ** 4) / sigma ** 4
    se_sd = sigma * np.sqrt(kurtosis - 1) / (2 * np.sqrt(n))
    assert abs(sample.std() - sigma) < 5 * se_sd


def test_bootstrap_equals_picking_whole_months_of_every_asset() -> None:
    """The engine applies the weights before gathering; picking paths x months x assets of
    history rows and applying the weights to each sampled month gives the same returns."""
    history = np.random.default_rng(0).normal(0.005, 0.03, size=(50, 4))
    w = np.array([0.1, 0.2, 0.3, 0.4])
    fast = bootstrap_returns(w, history, 36, 25, np.random.default_rng(5), block_months=6)
    index = bootstrap_indices(50, 36, 25, np.random.default_rng(5), block_months=6)
    cube = history[index]  # paths x months x assets
    assert cube.shape == (25, 36, 4)
    np.testing.assert_allclose(fast.values, cube @ w, rtol=0, atol=1e-15)


def test_bootstrap_blocks_are_consecutive_months_wrapping_around() -> None:
    index = bootstrap_indices(30, 24, 50, np.random.default_rng(1), block_months=12)
    steps = np.diff(index.reshape(50, 2, 12), axis=2)
    assert np.all((steps == 1) | (steps == -29))


def test_the_same_seed_gives_the_same_paths_and_another_seed_others() -> None:
    def run(seed: int) -> np.ndarray:
        return normal_returns_from_moments(0.05, 0.1, 24, 100, np.random.default_rng(seed)).values

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))
    hist = np.random.default_rng(0).normal(size=(40, 2)) * 0.02
    a = bootstrap_returns(np.array([0.5, 0.5]), hist, 24, 100, np.random.default_rng(4)).values
    b = bootstrap_returns(np.array([0.5, 0.5]), hist, 24, 100, np.random.default_rng(4)).values
    np.testing.assert_array_equal(a, b)


def _constant(monthly: float, months: int, paths: int = 3) -> MonthlyReturns:
    return MonthlyReturns(np.full((paths, months), monthly), ReturnModel.NORMAL)


def test_contributions_costs_and_inflation_follow_the_annuity_formula() -> None:
    r, years, c = 0.004, 10, 250.0
    cost, inflation = 0.01, 0.02
    flows = CashFlows(5000.0, c, annual_cost=cost, inflation=inflation)
    result = project(_constant(r, years * 12), flows)
    g = (1 + r) * (1 - cost) ** (1 / 12) / (1 + inflation) ** (1 / 12)
    n = years * 12
    expected = 5000 * g ** n + c * (g ** n - 1) / (g - 1)
    assert result.percentile(50)[-1] == pytest.approx(expected, rel=1e-12)


def test_withdrawals_run_out_in_the_month_the_money_is_short() -> None:
    # No growth: 1050 less 100 a month leaves 50 after 10 months and is short in month 11.
    result = project(_constant(0.0, 24), CashFlows(1050.0, monthly_withdrawal=100.0))
    assert result.depleted_share == 1.0
    assert result.median_depletion_year == pytest.approx(11 / 12)
    assert np.all(result.final == 0)
    safe = project(_constant(0.0, 24), CashFlows(5000.0, monthly_withdrawal=100.0))
    assert safe.depleted_share == 0.0 and safe.median_depletion_year is None


@pytest.mark.parametrize("withdraw", [0.0, 300.0])
def test_saving_needed_is_the_smallest_that_reaches_the_probability(withdraw: float) -> None:
    returns = normal_returns_from_moments(0.06, 0.12, 15 * 12, 4000, np.random.default_rng(9))
    flows = CashFlows(20_000.0, monthly_withdrawal=withdraw, annual_cost=0.002)
    goal = 150_000.0
    c = saving_needed(returns, flows, goal, 0.8)
    share = project(returns, replace(flows, monthly_contribution=c), goal).goal_probability
    less = project(returns, replace(flows, monthly_contribution=c * 0.99 - 0.01),
                   goal).goal_probability
    assert share is not None and less is not None
    assert share >= 0.8 > less
    # On fresh paths the chance is 80% within Monte Carlo error (binomial, 4 s.e.).
    fresh = normal_returns_from_moments(0.06, 0.12, 15 * 12, 4000, np.random.default_rng(99))
    p = project(fresh, replace(flows, monthly_contribution=c), goal).goal_probability
    assert p is not None and abs(p - 0.8) < 4 * np.sqrt(0.8 * 0.2 / 4000)


def test_no_saving_is_needed_when_the_goal_is_likely_already() -> None:
    returns = normal_returns_from_moments(0.06, 0.05, 120, 500, np.random.default_rng(1))
    assert saving_needed(returns, CashFlows(100_000.0), 50_000.0, 0.8) == 0.0


def test_bad_year_normal_is_the_lognormal_five_percent_quantile() -> None:
    bad = bad_year_normal(0.07, 0.16, paths=20_000)
    mu_l, sigma_l = lognormal_parameters(0.07, 0.16)
    expected = np.expm1(mu_l + N.inv_cdf(0.05) * sigma_l)
    # log(1 + return) quantile standard error, 4 s.e.
    assert abs(np.log1p(bad.value) - np.log1p(expected)) < 4 * _quantile_se(0.05, sigma_l,
                                                                             20_000)
    assert bad.model is ReturnModel.NORMAL


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="initial"):
        CashFlows(-1.0)
    with pytest.raises(ValueError, match="whole years"):
        project(_constant(0.0, 13), CashFlows(1.0))
    with pytest.raises(ValueError, match="probability"):
        saving_needed(_constant(0.0, 12), CashFlows(1.0), 2.0, 1.0)


@pytest.mark.parametrize("n", [1, 2, 7, 10_000, 10_001])
def test_quantile_by_partition_is_numpys_quantile(n: int) -> None:
    from roboadvisor.domain.projection import quantile_by_partition

    x = np.random.default_rng(n).normal(size=n)
    for q in (0.0, 0.05, 0.5, 0.77, 1.0):
        assert quantile_by_partition(x, q) == float(np.quantile(x, q))
