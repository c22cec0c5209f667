"""Minimum position size: constructed cases with hand-computable exact answers.

The three-asset case has a hand-computable optimum. Utility max mu'w - (gamma/2) w'Σw with
sum w = 1, Σ = 0.04 I, gamma = 10: w_i = (mu_i - lambda) / 0.4. With mu = (0.26, 0.178, 0.022)
and lambda = 0.02 the weights are (0.6, 0.395, 0.005), so CASH is a 0.5% dust position. Without
CASH, lambda = 0.019 and the weights are (0.6025, 0.3975, 0).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from roboadvisor.domain import optimizer, qp
from roboadvisor.domain.constraints import portfolio_constraints
from roboadvisor.domain.models import Asset, AssetClass, Estimates, Region, Tier, Universe
from roboadvisor.domain.optimizer import clean_weights, optimise, solve_problem
from roboadvisor.domain.policy import Bound, Objective, Policy
from roboadvisor.errors import ConfigError, OptimizationError
from tests.test_optimizer import TIER3, synthetic_estimates, synthetic_universe


def _asset(ticker: str, cls: AssetClass) -> Asset:
    return Asset(ticker, ticker, cls, Region.US, "USD", 0.001, 1)


UNIVERSE = Universe("three", (_asset("EQ", AssetClass.EQUITY),
                              _asset("BOND", AssetClass.FIXED_INCOME),
                              _asset("CASH", AssetClass.CASH)))
EST = Estimates(UNIVERSE.tickers, np.array([0.26, 0.178, 0.022]), 0.04 * np.eye(3), 0.0, "hand")
# Bonds at least 30%: binding neither before nor after CASH goes.
PLAIN = Policy("three", Objective.UTILITY, risk_aversion=10.0, tier=Tier.BALANCED,
               class_bounds=((AssetClass.FIXED_INCOME, Bound(0.30, 1.0)),))


def test_plain_optimum_holds_dust_and_min_position_removes_it() -> None:
    plain = optimise(EST, PLAIN, UNIVERSE).weights
    np.testing.assert_allclose(plain, [0.6, 0.395, 0.005], atol=1e-6)
    lean = optimise(EST, replace(PLAIN, min_position=0.01), UNIVERSE)
    np.testing.assert_allclose(lean.weights, [0.6025, 0.3975, 0.0], atol=1e-6)
    assert lean.weights[2] == 0.0
    assert lean.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert lean.weights[1] >= 0.30                        # the class minimum still holds
    # Dropping the dust costs a little utility (the heuristic's price), here 2.5e-6.
    utility = [float(EST.expected_returns @ w - 5.0 * w @ EST.covariance @ w)
               for w in (plain, lean.weights)]
    assert 0 < utility[0] - utility[1] < 1e-5


def test_a_threshold_below_every_position_changes_nothing() -> None:
    plain = optimise(EST, PLAIN, UNIVERSE).weights
    assert np.array_equal(optimise(EST, replace(PLAIN, min_position=0.004), UNIVERSE).weights,
                          plain)


@pytest.mark.parametrize("objective", list(Objective))
@pytest.mark.parametrize("holdings", [False, True])
def test_min_position_zero_is_the_plain_solve_bit_for_bit(objective: Objective,
                                                          holdings: bool) -> None:
    u = synthetic_universe()
    est = synthetic_estimates()
    policy = Policy("p", objective, target_volatility=0.09, risk_aversion=4.0,
                    max_turnover=0.6, transaction_cost=0.002, **TIER3)
    w0 = np.full(len(u), 1 / len(u)) if holdings else None
    c = portfolio_constraints(u, policy)
    p = qp.Problem(objective, est.expected_returns, est.covariance, c, est.risk_free_rate,
                   gamma=4.0, sigma=0.09, w0=w0, turnover=True, cost=True)
    expected = clean_weights(solve_problem(p), c)
    assert policy.min_position == 0.0
    assert np.array_equal(optimise(est, policy, u, w0).weights, expected)


def test_a_class_minimum_only_one_asset_meets_is_met_at_the_threshold() -> None:
    # At least 0.4% cash, and CASH is the only cash asset: the exact answer holds CASH at the
    # 1% threshold. With CASH fixed at 0.01: w_i = (mu_i - lambda) / 0.4 for EQ and BOND with
    # sum 0.99, so lambda = 0.021 and the weights are (0.5975, 0.3925, 0.01).
    policy = replace(PLAIN, class_bounds=(*PLAIN.class_bounds,
                                          (AssetClass.CASH, Bound(0.004, 1.0))))
    plain = optimise(EST, policy, UNIVERSE).weights
    np.testing.assert_allclose(plain, [0.6, 0.395, 0.005], atol=1e-6)
    exact = optimise(EST, replace(policy, min_position=0.01), UNIVERSE)
    np.testing.assert_allclose(exact.weights, [0.5975, 0.3925, 0.01], atol=1e-6)
    assert exact.notes == ()


def test_an_asset_with_a_positive_minimum_is_never_dropped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    policy = replace(PLAIN, min_position=0.01, asset_bounds=(("CASH", Bound(0.002, 1.0)),))
    calls = []
    real = optimizer.solve_problem
    monkeypatch.setattr(optimizer, "solve_problem", lambda p: calls.append(p) or real(p))
    w = optimise(EST, policy, UNIVERSE).weights
    assert w[2] == pytest.approx(0.005, abs=1e-6)
    assert len(calls) == 1                                # nothing to drop, no re-solve


def test_failing_solves_fall_back_to_the_previous_solution_with_a_note(
        monkeypatch: pytest.MonkeyPatch) -> None:
    plain = optimise(EST, PLAIN, UNIVERSE).weights
    real = optimizer.solve_problem

    def fail_when_branched(p: qp.Problem) -> np.ndarray | None:
        if p.constraints.upper[2] == 0.0 or p.constraints.lower[2] > 0.0:
            raise OptimizationError("stub: both solvers failed")
        return real(p)

    monkeypatch.setattr(optimizer, "solve_problem", fail_when_branched)
    result = optimise(EST, replace(PLAIN, min_position=0.01), UNIVERSE)
    assert np.array_equal(result.weights, plain)
    assert len(result.notes) == 1 and "heuristic" in result.notes[0]


def test_target_volatility_out_of_reach_without_an_asset_holds_it_at_the_threshold() -> None:
    # HEDGE is volatile but negatively correlated with EQ and BOND: a small weight in it is what
    # brings the portfolio under a 9.5% ceiling, which EQ and BOND alone cannot reach (their
    # least volatile mix is 50/50 at 9.87%).
    universe = Universe("hedge", (_asset("EQ", AssetClass.EQUITY),
                                  _asset("BOND", AssetClass.FIXED_INCOME),
                                  _asset("HEDGE", AssetClass.COMMODITY)))
    vol = np.array([0.10, 0.10, 0.60])
    corr = np.array([[1.0, 0.95, -0.6], [0.95, 1.0, -0.6], [-0.6, -0.6, 1.0]])
    est = Estimates(universe.tickers, np.array([0.06, 0.04, 0.0]), np.outer(vol, vol) * corr,
                    0.0, "hedge")
    policy = Policy("tv", Objective.TARGET_VOLATILITY, target_volatility=0.095,
                    tier=Tier.BALANCED)
    plain = optimise(est, policy, universe)
    assert 0 < plain.weights[2] < 0.02
    # Without HEDGE the ceiling is out of reach, so the exact answer holds it at 2% or more:
    # the best such portfolio is the plain problem with HEDGE's lower bound at 2%.
    floor = optimise(est, replace(policy, asset_bounds=(("HEDGE", Bound(0.02, 1.0)),)),
                     universe)
    exact = optimise(est, replace(policy, min_position=0.02), universe)
    np.testing.assert_allclose(exact.weights, floor.weights, atol=1e-6)
    assert exact.weights[2] >= 0.02 - 1e-9
    assert exact.volatility <= 0.095 + 1e-9


def test_min_position_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"tier 3: min_position must be at least 0 and "
                                          r"below 0\.5, got 0\.5"):
        optimise(EST, replace(PLAIN, min_position=0.5), UNIVERSE)
