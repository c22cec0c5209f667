"""The efficient frontier: equal to PyPortfolioOpt point by point, monotone, within bounds."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roboadvisor.data.assumptions_file import load_assumptions
from roboadvisor.data.universe_file import load_universe
from roboadvisor.domain import frontier as frontier_module
from roboadvisor.domain.constraints import portfolio_constraints
from roboadvisor.domain.frontier import efficient_frontier
from roboadvisor.domain.models import AssetClass, Estimates, Region, Tier, Universe
from roboadvisor.domain.optimizer import optimise
from roboadvisor.domain.policy import Bound, Objective, Policy
from roboadvisor.errors import InfeasibleError
from tests.test_optimizer import TIER3, lp_feasible, synthetic_estimates, synthetic_universe

TIGHT = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11, "tol_ktratio": 1e-9}


def pypfopt_efficient_return(est: Estimates, universe: Universe, policy: Policy | None,
                             target: float) -> np.ndarray:
    from pypfopt import EfficientFrontier

    c = portfolio_constraints(universe, policy)
    ef = EfficientFrontier(est.expected_returns, est.covariance,
                           weight_bounds=list(zip(c.lower, c.upper, strict=True)),
                           solver="CLARABEL", solver_options=TIGHT)
    for g in c.groups:
        mask = np.array(g.members)
        ef.add_constraint(lambda w, m=mask, lo=g.lower: cp.sum(w[m]) >= lo)
        ef.add_constraint(lambda w, m=mask, hi=g.upper: cp.sum(w[m]) <= hi)
    ef.efficient_return(target)
    return np.asarray(ef.weights, dtype=float)


def _cases() -> list[tuple[str, Estimates, Universe, Policy | None]]:
    u = synthetic_universe()
    default = load_universe()
    return [
        ("synthetic", synthetic_estimates(), u, None),
        ("synthetic-tier3", synthetic_estimates(), u, Policy("t3", Objective.MAX_SHARPE, **TIER3)),
        ("default-cma", load_assumptions(default), default, None),
        ("default-cma-tier2", load_assumptions(default), default,
         Policy("t2", Objective.MIN_VARIANCE, tier=Tier(2), max_product_risk=2,
                class_bounds=((AssetClass.FIXED_INCOME, Bound(0.5, 1.0)),))),
    ]


@pytest.mark.parametrize("name, est, universe, policy", _cases(), ids=lambda x: x
                         if isinstance(x, str) else "")
def test_points_equal_pypfopt_efficient_return(name: str, est: Estimates, universe: Universe,
                                               policy: Policy | None) -> None:
    points = efficient_frontier(est, universe, policy, points=12)
    top = points[-1].expected_return
    for a in points:
        # PyPortfolioOpt refuses a target at (its estimate of) the maximum return itself.
        ref = pypfopt_efficient_return(est, universe, policy,
                                       min(a.expected_return, top - 1e-9))
        np.testing.assert_allclose(a.weights, ref, atol=1e-4)


@pytest.mark.parametrize("policy", [None, Policy("t3", Objective.MAX_SHARPE, **TIER3)])
def test_frontier_spans_min_variance_to_max_return(policy: Policy | None) -> None:
    u = synthetic_universe()
    est = synthetic_estimates()
    points = efficient_frontier(est, u, policy, points=20)
    assert len(points) == 20
    minvar = optimise(est, Policy("m", Objective.MIN_VARIANCE, **(
        {} if policy is None else {k: v for k, v in TIER3.items()})), u)
    np.testing.assert_allclose(points[0].weights, minvar.weights, atol=1e-4)
    assert points[0].volatility == pytest.approx(minvar.volatility, rel=1e-6)
    rets = np.array([a.expected_return for a in points])
    np.testing.assert_allclose(np.diff(rets), (rets[-1] - rets[0]) / 19, rtol=1e-6)
    if policy is None:
        # Long-only with per-asset caps and a budget: the maximum return fills the assets in
        # order of expected return up to their caps (a greedy fill, no solver).
        c = portfolio_constraints(u, None)
        w, room = np.zeros(len(u)), 1.0
        for i in np.argsort(-est.expected_returns):
            w[i] = min(c.upper[i], room)
            room -= w[i]
        assert rets[-1] == pytest.approx(float(est.expected_returns @ w), abs=1e-10)


def test_suitability_and_bounds_hold_on_the_default_universe() -> None:
    u = load_universe()
    est = load_assumptions(u)
    policy = Policy("t3", Objective.MIN_VARIANCE, tier=Tier(3), max_product_risk=3,
                    class_bounds=((AssetClass.EQUITY, Bound(0.2, 0.5)),),
                    region_bounds=((Region.US, Bound(0.3, 0.8)),))
    for a in efficient_frontier(est, u, policy, points=30):
        for asset, w in zip(u, a.weights, strict=True):
            if asset.risk_level > 3:
                assert w == 0.0
            assert w <= asset.max_weight + 1e-9
        equity = sum(w for asset, w in zip(u, a.weights, strict=True)
                     if asset.asset_class is AssetClass.EQUITY)
        assert 0.2 - 1e-9 <= equity <= 0.5 + 1e-9


def test_exact_path_and_one_solve_per_point_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    u = load_universe()
    est = load_assumptions(u)
    traced = np.array([a.weights for a in efficient_frontier(est, u, None, points=15)])
    monkeypatch.setattr(frontier_module._Path, "trace", lambda *args: None)
    pointwise = np.array([a.weights for a in efficient_frontier(est, u, None, points=15)])
    np.testing.assert_allclose(traced, pointwise, atol=1e-4)


def test_bad_requests_are_refused() -> None:
    u = synthetic_universe()
    est = synthetic_estimates()
    with pytest.raises(ValueError, match="at least 2 points"):
        efficient_frontier(est, u, None, points=1)
    impossible = Policy("t1", Objective.MIN_VARIANCE, tier=Tier(1), max_product_risk=1,
                        class_bounds=((AssetClass.EQUITY, Bound(0.2, 1.0)),))
    with pytest.raises(InfeasibleError, match=r"tier 1 requires at least 20\.0% equity"):
        efficient_frontier(est, u, impossible)


def test_single_portfolio_feasible_set_gives_a_flat_frontier() -> None:
    u = synthetic_universe()
    est = synthetic_estimates()
    pinned = Policy("pin", Objective.MIN_VARIANCE, asset_bounds=tuple(
        (t, Bound(0.1, 0.1)) for t in u.tickers))
    points = efficient_frontier(est, u, pinned, points=5)
    for a in points:
        np.testing.assert_allclose(a.weights, np.full(len(u), 0.1), atol=1e-12)


# --- properties -----------------------------------------------------------------------------
# Lower bounds are 0 or at least 1%: a bound like 1e-10 is below every solver's tolerance and
# makes "feasible" a matter of which tolerance a solver uses, not of the policy.
_lower = st.one_of(st.just(0.0), st.floats(0.01, 0.25))
_bound = st.tuples(_lower, st.floats(0.25, 1.0)).map(lambda b: Bound(*b))


@st.composite
def _policies(draw: st.DrawFn) -> Policy:
    classes = draw(st.lists(st.sampled_from(list(AssetClass)), unique=True, max_size=3))
    regions = draw(st.lists(st.sampled_from(list(Region)), unique=True, max_size=2))
    return Policy("prop", Objective.MIN_VARIANCE, tier=Tier(3),
                  max_product_risk=draw(st.integers(1, 5)),
                  class_bounds=tuple((c, draw(_bound)) for c in classes),
                  region_bounds=tuple((r, draw(_bound)) for r in regions))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_policies(), st.integers(0, 5))
def test_frontier_properties(policy: Policy, seed: int) -> None:
    u = synthetic_universe()
    est = synthetic_estimates(seed)
    try:
        points = efficient_frontier(est, u, policy, points=10)
    except InfeasibleError as exc:
        assert "tier 3" in str(exc)
        assert not lp_feasible(u, policy), f"refused a feasible policy: {exc}"
        return
    vols = np.array([a.volatility for a in points])
    rets = np.array([a.expected_return for a in points])
    assert np.all(np.diff(rets) >= -1e-12)
    assert np.all(np.diff(vols) >= -1e-9)       # volatility rises with return
    c = portfolio_constraints(u, policy)
    for a in points:
        w = a.weights
        assert abs(w.sum() - 1) < 1e-12
        assert np.all(w >= c.lower - 1e-9) and np.all(w <= c.upper + 1e-9)
        for g in c.groups:
            s = w[np.array(g.members)].sum()
            assert g.lower - 1e-9 <= s <= g.upper + 1e-9
    # Every point is the least risky portfolio for its return: no solver does better.
    mid = points[len(points) // 2]
    # 1e-8 below: on a single-point feasible set PyPortfolioOpt's own maximum return sits a
    # solver tolerance below ours and it refuses any target above it.
    # That reference is 1e-8 down the frontier, so its volatility is lower by up to the
    # frontier's slope (volatility per unit of return) times 1e-8: allowed for, from the
    # steepest neighbouring segment of our own points.
    ref = pypfopt_efficient_return(est, u, policy, mid.expected_return - 1e-8)
    i = len(points) // 2
    seg = [(vols[j + 1] - vols[j]) / (rets[j + 1] - rets[j])
           for j in (i - 1, i) if 0 <= j < len(points) - 1 and rets[j + 1] - rets[j] > 1e-9]
    slope = max(seg, default=0.0)
    assert mid.volatility <= np.sqrt(ref @ est.covariance @ ref) + 1e-7 + 1e-8 * slope


def test_degenerate_corner_is_traced_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Minimum variance at a corner where more constraints bind than are independent (cash at
    its 20% cap, fixed income at its 80% floor, the rest at 0): still traced, not re-solved."""
    u = load_universe()
    est = load_assumptions(u)
    policy = Policy("t2", Objective.MIN_VARIANCE, tier=Tier(2), max_product_risk=2,
                    class_bounds=((AssetClass.CASH, Bound(0.05, 0.2)),
                                  (AssetClass.FIXED_INCOME, Bound(0.8, 0.95))))
    calls = []
    monkeypatch.setattr(frontier_module, "_pointwise", lambda *a: calls.append(a))
    points = efficient_frontier(est, u, policy, points=8)
    assert not calls
    assert points[0].weights[u.index("BIL")] == pytest.approx(0.2, abs=1e-9)
    top = points[-1].expected_return
    for a in points:
        ref = pypfopt_efficient_return(est, u, policy, min(a.expected_return, top - 1e-9))
        np.testing.assert_allclose(a.weights, ref, atol=1e-4)


def _history_like_estimates(universe: Universe, seed: int) -> Estimates:
    """Equilibrium returns on a Ledoit-Wolf covariance of seeded daily prices (what
    ``--source history`` uses): their frontiers pass assets in and out through tiny weights."""
    import pandas as pd

    from roboadvisor.domain.estimates import ReturnsMethod, estimates_from_prices

    rng = np.random.default_rng(seed)
    n, days = len(universe), 750
    vol = np.linspace(0.01, 0.25, n) / np.sqrt(252)
    market = rng.normal(0.0003, 0.01, days)
    rets = np.linspace(0.0, 1.0, n) * market[:, None] + rng.normal(0, 1, (days, n)) * vol
    prices = pd.DataFrame(50 * np.cumprod(1 + rets, axis=0), columns=list(universe.tickers),
                          index=pd.bdate_range("2020-01-01", periods=days))
    return estimates_from_prices(prices, returns_method=ReturnsMethod.EQUILIBRIUM,
                                 risk_free_rate=0.03, market_weights=universe.market_weights())


@pytest.mark.parametrize("seed", range(8))
def test_history_frontier_points_hold_no_dust_and_listed_weights_sum_to_one(seed: int) -> None:
    """A frontier point must not keep weights of a few thousandths of a percent: listings
    drop them (as noise), and the listed weights then summed to 0.99997."""
    u = load_universe()
    est = _history_like_estimates(u, seed)
    c = portfolio_constraints(u, None)
    for a in efficient_frontier(est, u, None, points=50):
        w = a.weights
        assert not np.any((w > 0) & (w <= frontier_module.DUST)), w[(w > 0) & (w <= 1e-4)]
        assert abs(w[w > frontier_module.DUST].sum() - 1) < 1e-9
        assert np.all(w >= c.lower - 1e-12) and np.all(w <= c.upper + 1e-12)
        assert a.expected_return == pytest.approx(float(est.expected_returns @ w), abs=1e-15)
