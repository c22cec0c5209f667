"""Exact minimum positions against brute force: every pattern of held and unheld assets.

For a small universe there are 2^n patterns; for each, the unheld assets get upper bound 0 and
the held ones lower bound min_position, the convex problem is solved, and the best objective
over all feasible patterns is the exact optimum. The branch and bound must find it.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from roboadvisor.domain import qp
from roboadvisor.domain.constraints import portfolio_constraints
from roboadvisor.domain.models import Asset, AssetClass, Estimates, Region, Tier, Universe
from roboadvisor.domain.optimizer import clean_weights, optimise, solve_problem
from roboadvisor.domain.policy import Bound, Objective, Policy

_CLASSES = (AssetClass.EQUITY, AssetClass.FIXED_INCOME, AssetClass.CASH)


def _case(seed: int, n: int) -> tuple[Universe, Estimates]:
    rng = np.random.default_rng(seed)
    assets = tuple(Asset(f"A{i}", f"A{i}", _CLASSES[i % 3], Region.US, "USD", 0.0, 1,
                         max_weight=0.6) for i in range(n))
    vol = rng.uniform(0.02, 0.25, n)
    factor = rng.normal(size=(n, 2))
    corr = factor @ factor.T + np.diag(rng.uniform(0.3, 1.0, n))
    d = np.sqrt(np.diag(corr))
    cov = np.outer(vol, vol) * corr / np.outer(d, d)
    mu = 0.01 + 0.3 * vol + rng.normal(0, 0.01, n)
    u = Universe("random", assets)
    return u, Estimates(u.tickers, mu, cov, 0.01, "random")


def _value(objective: Objective, w: np.ndarray, est: Estimates, gamma: float) -> float:
    mu, cov = est.expected_returns, est.covariance
    var = float(w @ cov @ w)
    if objective is Objective.MIN_VARIANCE:
        return -var
    if objective is Objective.UTILITY:
        return float(mu @ w) - gamma / 2 * var
    if objective is Objective.TARGET_VOLATILITY:
        return float(mu @ w)
    return (float(mu @ w) - est.risk_free_rate) / np.sqrt(var)


def _brute_force(est: Estimates, u: Universe, policy: Policy,
                 m: float) -> tuple[float, np.ndarray | None]:
    c = portfolio_constraints(u, policy)
    best, best_w = -np.inf, None
    for held in itertools.product((False, True), repeat=len(u)):
        mask = np.array(held)
        if not mask.any():
            continue
        lower = np.where(mask, np.maximum(c.lower, m), 0.0)
        upper = np.where(mask, c.upper, 0.0)
        if (lower > upper).any():
            continue
        cc = replace(c, lower=lower, upper=upper)
        p = qp.Problem(policy.objective, est.expected_returns, est.covariance, cc,
                       est.risk_free_rate, gamma=policy.risk_aversion or 0.0,
                       sigma=policy.target_volatility or 0.0)
        w = solve_problem(p)
        if w is None:
            continue
        w = clean_weights(w, cc)
        value = _value(policy.objective, w, est, policy.risk_aversion or 0.0)
        if value > best:
            best, best_w = value, w
    return best, best_w


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("objective", list(Objective))
def test_branch_and_bound_equals_brute_force(seed: int, objective: Objective) -> None:
    n = 6 + seed % 3
    u, est = _case(seed, n)
    m = 0.08
    policy = Policy("small", objective, target_volatility=0.07, risk_aversion=6.0,
                    tier=Tier.BALANCED, min_position=m,
                    class_bounds=((AssetClass.EQUITY, Bound(0.1, 0.7)),))
    best, best_w = _brute_force(est, u, policy, m)
    assert best_w is not None
    got = optimise(est, policy, u)
    assert got.notes == ()
    w = got.weights
    assert ((w == 0) | (w >= m - 1e-7)).all()
    value = _value(objective, w, est, 6.0)
    assert value == pytest.approx(best, rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(w, best_w, atol=2e-4)


def test_the_exact_answer_is_never_worse_than_the_heuristic() -> None:
    from roboadvisor.domain.optimizer import drop_small_positions

    strictly_better = 0
    for seed in range(10):
        u, est = _case(100 + seed, 8)
        policy = Policy("small", Objective.TARGET_VOLATILITY, target_volatility=0.06,
                        tier=Tier.BALANCED, min_position=0.08)
        c = portfolio_constraints(u, policy)
        p = qp.Problem(policy.objective, est.expected_returns, est.covariance, c,
                       est.risk_free_rate, sigma=0.06)
        w = clean_weights(solve_problem(p), c)
        heuristic = drop_small_positions(p, w, 0.08)
        exact = optimise(est, policy, u).weights
        assert est.expected_returns @ exact >= est.expected_returns @ heuristic - 1e-9
        strictly_better += est.expected_returns @ exact > est.expected_returns @ heuristic + 1e-7
    assert strictly_better > 0  # the cases do exercise the difference


def test_tier_4_equals_brute_force_over_its_small_and_unheld_assets() -> None:
    """Tier 4 (holdings suitability) on the shipped assumptions: every pattern of held and
    unheld assets among those the continuous optimum holds under 5% (2^10 solves), the larger
    positions held. The full 2^15 search is tests/benchmarks/bench_min_position.py."""
    from roboadvisor.data.assumptions_file import load_assumptions
    from roboadvisor.data.policy_file import load_policies
    from roboadvisor.data.universe_file import load_universe

    u = load_universe()
    est = load_assumptions(u)
    policy = load_policies(None, u, "holdings")[Tier.GROWTH]
    m = policy.min_position
    c = portfolio_constraints(u, policy)
    p = qp.Problem(policy.objective, est.expected_returns, est.covariance, c,
                   est.risk_free_rate, sigma=policy.target_volatility or 0.0)
    continuous = clean_weights(solve_problem(p), c)
    large = continuous >= 0.05
    small = np.flatnonzero(~large & (c.upper > 0))
    assert 6 <= small.size <= 11
    best, best_w = -np.inf, None
    for held in itertools.product((False, True), repeat=small.size):
        mask = large.copy()
        mask[small[list(held)]] = True
        lower = np.where(mask, np.maximum(c.lower, m), 0.0)
        upper = np.where(mask, c.upper, 0.0)
        if (lower > upper).any():
            continue
        cc = replace(c, lower=lower, upper=upper)
        w = solve_problem(replace(p, constraints=cc))
        if w is not None and float(est.expected_returns @ w) > best:
            best, best_w = float(est.expected_returns @ w), clean_weights(w, cc)
    exact = optimise(est, policy, u)
    assert best_w is not None
    assert exact.expected_return == pytest.approx(best, abs=1e-9)
    np.testing.assert_allclose(exact.weights, best_w, atol=1e-5)
    assert ((exact.weights == 0) | (exact.weights >= m - 1e-7)).all()
