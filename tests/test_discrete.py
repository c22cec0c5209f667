"""Whole-share allocation: exact, within budget, and never worse than PyPortfolioOpt."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roboadvisor.domain.discrete import GREEDY, MILP, greedy_whole_shares, whole_shares


def _objective(shares: np.ndarray, prices: np.ndarray, weights: np.ndarray,
               amount: float) -> float:
    """Dollar tracking error plus cash left, computed from scratch."""
    values = shares * prices
    return float(np.abs(values - weights * amount).sum() + amount - values.sum())


def _brute_force(weights: np.ndarray, prices: np.ndarray, amount: float) -> float:
    """The best objective over every affordable share vector (tiny cases only)."""
    grids = np.meshgrid(*[np.arange(int(amount // p) + 1) for p in prices], indexing="ij")
    shares = np.stack([g.ravel() for g in grids], axis=1).astype(float)
    values = shares * prices
    ok = values.sum(axis=1) <= amount + 1e-9
    objective = (np.abs(values - weights * amount).sum(axis=1) + amount - values.sum(axis=1))
    return float(objective[ok].min())


def _pypfopt(weights: np.ndarray, prices: np.ndarray, amount: float,
             method: str) -> float:
    from pypfopt.discrete_allocation import DiscreteAllocation

    tickers = [f"T{i}" for i in range(len(weights))]
    da = DiscreteAllocation(dict(zip(tickers, weights, strict=True)),
                            pd.Series(prices, index=tickers), total_portfolio_value=amount)
    if method == "greedy":
        alloc, _ = da.greedy_portfolio()
    else:
        alloc, _ = da.lp_portfolio(solver="HIGHS")
    shares = np.array([alloc.get(t, 0) for t in tickers], dtype=float)
    assert shares @ prices <= amount + 1e-6
    return _objective(shares, prices, weights, amount)


def test_hand_example() -> None:
    # 60/40 of $1,000 at $100 and $30: 6 shares (600) + 13 shares (390), $10 left.
    result = whole_shares(("A", "B"), np.array([0.6, 0.4]), np.array([100.0, 30.0]), 1000.0)
    assert result.method == MILP
    assert result.shares.tolist() == [6, 13]
    assert result.cash_left == pytest.approx(10.0)
    assert result.tracking_error == pytest.approx(10 / 1000)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 1.0), st.floats(20.0, 400.0)), min_size=2,
                max_size=3),
       st.floats(200.0, 1000.0))
def test_milp_is_optimal_against_brute_force(assets: list[tuple[float, float]],
                                             amount: float) -> None:
    raw = np.array([a for a, _ in assets])
    weights = raw / raw.sum()
    prices = np.array([p for _, p in assets])
    result = whole_shares([f"T{i}" for i in range(len(assets))], weights, prices, amount)
    assert result.invested <= amount + 1e-9
    assert result.objective == pytest.approx(_brute_force(weights, prices, amount), abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_no_worse_than_pypfopt_greedy_and_lp(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 12))
    weights = rng.dirichlet(np.ones(n))
    prices = rng.uniform(10, 600, n)
    amount = float(rng.choice([2_500.0, 10_000.0, 100_000.0]))
    ours = whole_shares([f"T{i}" for i in range(n)], weights, prices, amount)
    assert ours.objective == pytest.approx(_objective(ours.shares, prices, weights, amount))
    assert ours.objective <= _pypfopt(weights, prices, amount, "greedy") + 1e-6
    assert ours.objective <= _pypfopt(weights, prices, amount, "lp") + 1e-6
    greedy = greedy_whole_shares([f"T{i}" for i in range(n)], weights, prices, amount)
    assert greedy.method == GREEDY
    assert greedy.invested <= amount + 1e-9
    assert ours.objective <= greedy.objective + 1e-6


def test_greedy_fallback_when_the_milp_has_no_time() -> None:
    rng = np.random.default_rng(0)
    weights = rng.dirichlet(np.ones(17))
    prices = rng.uniform(10, 600, 17)
    result = whole_shares([f"T{i}" for i in range(17)], weights, prices, 1e6, time_limit=0.0)
    assert result.invested <= 1e6
    assert result.cash_left < prices.max()  # nothing affordable and helpful is left undone


def test_zero_weight_assets_get_no_shares() -> None:
    result = whole_shares(("A", "B", "C"), np.array([0.5, 0.0, 0.5]),
                          np.array([10.0, 1.0, 20.0]), 1000.0)
    assert result.shares.tolist() == [50, 0, 25]
    assert result.cash_left == 0


@pytest.mark.parametrize("weights, prices, amount, message", [
    ([0.5, 0.5], [10.0, 0.0], 100.0, "no usable price for B"),
    ([0.5, 0.5], [10.0, np.nan], 100.0, "no usable price for B"),
    ([0.5, 0.6], [10.0, 10.0], 100.0, "sum to 1"),
    ([0.5, 0.5], [10.0, 10.0], -5.0, "positive"),
])
def test_bad_inputs(weights: list[float], prices: list[float], amount: float,
                    message: str) -> None:
    with pytest.raises(ValueError, match=message):
        whole_shares(("A", "B"), np.array(weights), np.array(prices), amount)
