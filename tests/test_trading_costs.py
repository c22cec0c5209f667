"""One cost model: the engine's trades, the optimiser's cost penalty and the trade lists share
``trading.CostModel``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from roboadvisor.domain import backtest, qp
from roboadvisor.domain.optimizer import optimise, portfolio_constraints, solve_cvxpy
from roboadvisor.domain.policy import Objective, Policy
from roboadvisor.domain.trading import (
    CostModel,
    Fees,
    cash_flow_values,
    liquidate_values,
    rebalance_values,
)
from tests.test_optimizer import TIER3, synthetic_estimates, synthetic_universe


def test_the_engine_uses_the_trading_module_cost_model() -> None:
    assert backtest.CostModel is CostModel


def test_fees_resolve_per_asset_overrides_in_ticker_order() -> None:
    fees = CostModel(bps=5, per_asset_bps=(("B", 20.0),), fixed=1.5).fees(("A", "B", "C"))
    np.testing.assert_allclose(fees.rates, [0.0005, 0.002, 0.0005])
    # 1000 of A, 0 of B, 200 of C: 0.5 + 0.1 proportional, two fixed charges
    assert fees.cost(np.array([1000.0, 0.0, -200.0])) == pytest.approx(0.6 + 3.0)
    assert not Fees.zero(3).has_costs


def test_rebalance_pays_costs_out_of_the_portfolio_and_lands_on_target() -> None:
    fees = CostModel(bps=10, fixed=2).fees(("A", "B"))
    h = np.array([700.0, 300.0])
    t = np.array([0.5, 0.5])
    after, cost, flow = rebalance_values(h, 100.0, t, fees)
    traded = np.abs(after - h)
    assert cost == pytest.approx(0.001 * traded.sum() + 2 * 2, rel=1e-12)
    assert after.sum() == pytest.approx(1100.0 - cost, rel=1e-14)
    np.testing.assert_allclose(after / after.sum(), t)
    assert flow == 100.0


def test_cash_flows_never_trade_the_other_way() -> None:
    fees = CostModel(bps=10).fees(("A", "B", "C"))
    h = np.array([500.0, 300.0, 200.0])
    t = np.array([0.3, 0.3, 0.4])
    bought, _, _ = cash_flow_values(h, 150.0, t, fees)
    assert np.all(bought >= h)
    sold, cost, paid = cash_flow_values(h, -150.0, t, fees)
    assert np.all(sold <= h) and paid == pytest.approx(-150.0)
    assert (h - sold).sum() - cost == pytest.approx(150.0)
    gone, _, _ = liquidate_values(h, fees)
    assert not gone.any()


def test_optimiser_cost_penalty_takes_the_shared_cost_model() -> None:
    u = synthetic_universe()
    est = synthetic_estimates()
    w0 = np.full(len(u), 1 / len(u))
    policy = Policy("p", Objective.UTILITY, risk_aversion=4.0, transaction_cost=0.003, **TIER3)
    by_policy = optimise(est, policy, u, w0)
    by_model = optimise(est, replace(policy, transaction_cost=0.0), u, w0,
                        costs=CostModel(bps=30))
    np.testing.assert_allclose(by_model.weights, by_policy.weights, atol=1e-7)
    # a prohibitive cost on one asset keeps it where it is
    held = u.tickers[0]
    pinned = optimise(est, replace(policy, transaction_cost=0.0), u, w0,
                      costs=CostModel(bps=0, per_asset_bps=((held, 1000.0),)))
    assert pinned.weights[0] == pytest.approx(w0[0], abs=1e-6)
    assert abs(by_policy.weights[0] - w0[0]) > 1e-3


@pytest.mark.parametrize("objective", list(Objective))
def test_per_asset_costs_agree_between_the_two_solver_paths(objective: Objective) -> None:
    u = synthetic_universe()
    est = synthetic_estimates()
    c = portfolio_constraints(u, Policy("p", objective, **TIER3))
    rates = CostModel(bps=20, per_asset_bps=((u.tickers[1], 80.0),)).rates(u.tickers)
    c = replace(c, transaction_cost=rates)
    problem = qp.Problem(objective, est.expected_returns, est.covariance, c,
                         est.risk_free_rate, gamma=5.0, sigma=0.09,
                         w0=np.full(len(u), 1 / len(u)), cost=True)
    fast = qp.solve(problem)
    reference = solve_cvxpy(problem, ("CLARABEL",))
    assert fast.status is qp.Status.OPTIMAL and reference.status is qp.Status.OPTIMAL
    np.testing.assert_allclose(fast.weights, reference.weights, atol=1e-4)
