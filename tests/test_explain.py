"""Explain: risk contributions by hand, binding constraints in constructed cases, the summary."""

from __future__ import annotations

import numpy as np
import pytest

from roboadvisor.data.assumptions_file import load_assumptions
from roboadvisor.data.policy_file import load_policies
from roboadvisor.data.universe_file import load_universe
from roboadvisor.domain.constraints import portfolio_constraints
from roboadvisor.domain.explain import (
    ConstraintKind,
    explain_allocation,
    risk_contributions,
)
from roboadvisor.domain.models import (
    Allocation,
    Asset,
    AssetClass,
    Estimates,
    Region,
    Tier,
    Universe,
)
from roboadvisor.domain.optimizer import optimise
from roboadvisor.domain.policy import Bound, Objective, Policy


def test_risk_contributions_match_a_hand_computation() -> None:
    # Two assets, vols 10% and 20%, correlation 0.5, weights 60/40.
    # Σw = [0.01*0.6 + 0.01*0.4, 0.01*0.6 + 0.04*0.4] = [0.010, 0.022]
    # w'Σw = 0.6*0.010 + 0.4*0.022 = 0.0148; shares 0.006/0.0148 and 0.0088/0.0148.
    cov = np.array([[0.01, 0.01], [0.01, 0.04]])
    rc = risk_contributions(np.array([0.6, 0.4]), cov)
    np.testing.assert_allclose(rc, [0.006 / 0.0148, 0.0088 / 0.0148], rtol=1e-12)
    assert rc.sum() == pytest.approx(1.0)


def test_risk_contributions_are_undefined_without_risk() -> None:
    with pytest.raises(ValueError, match="no variance"):
        risk_contributions(np.array([1.0, 0.0]), np.zeros((2, 2)))


def _asset(ticker: str, cls: AssetClass, risk: int, max_weight: float = 1.0) -> Asset:
    return Asset(ticker, ticker, cls, Region.US, "USD", 0.001, risk, 0.0, max_weight)


def test_binding_max_weight_class_minimum_and_suitability_are_found() -> None:
    # The best-returning asset HIGH is capped at 30%: the optimiser fills it to the cap.
    universe = Universe("u", (
        _asset("HIGH", AssetClass.EQUITY, 3, max_weight=0.30),
        _asset("MID", AssetClass.EQUITY, 3),
        _asset("BOND", AssetClass.FIXED_INCOME, 2),
        _asset("WILD", AssetClass.EQUITY, 5),
    ))
    est = Estimates(universe.tickers, np.array([0.10, 0.06, 0.01, 0.20]),
                    np.diag([0.04, 0.03, 0.002, 0.09]), 0.02, "test")
    policy = Policy("t", Objective.UTILITY, risk_aversion=2.0, max_product_risk=3,
                    class_bounds=((AssetClass.FIXED_INCOME, Bound(0.25, 1.0)),),
                    tier=Tier.BALANCED)
    allocation = optimise(est, policy, universe)
    assert allocation.weights[0] == pytest.approx(0.30, abs=1e-6)
    ex = explain_allocation(allocation, est.covariance, universe, policy,
                            portfolio_constraints(universe, policy))
    found = {(b.kind, b.name) for b in ex.binding}
    assert (ConstraintKind.ASSET_MAX, "HIGH") in found
    assert (ConstraintKind.SUITABILITY, "WILD") in found
    assert (ConstraintKind.CLASS_MIN, "fixed_income") in found
    assert not any(b.name == "MID" for b in ex.binding)
    wild = next(b for b in ex.binding if b.name == "WILD")
    assert (wild.value, wild.limit) == (5, 3)
    assert "HIGH at its maximum of 30.0%" in ex.summary
    assert "R5: WILD" in ex.summary


def test_chinese_summary_names_the_same_constraints() -> None:
    universe = load_universe()
    est = load_assumptions(universe)
    policy = load_policies(suitability="holdings")[Tier.MODERATELY_CONSERVATIVE]
    allocation = optimise(est, policy, universe)
    ex = explain_allocation(allocation, est.covariance, universe, policy,
                            portfolio_constraints(universe, policy), lang="zh",
                            tier_label="稳健型")
    assert ex.summary.startswith("这是为第 2 级（稳健型，投资者适当性等级 C2）")
    assert "LQD 达到上限 30.0%" in ex.summary and "波动率达到上限 4.0%" in ex.summary
    assert "R3：VTI、VEA、TLT、HYG、EMB" in ex.summary


def test_an_unconstrained_portfolio_has_no_binding_limits() -> None:
    universe = Universe("u", (_asset("A", AssetClass.EQUITY, 1), _asset("B", AssetClass.EQUITY, 1)))
    cov = np.array([[0.04, 0.0], [0.0, 0.04]])
    allocation = Allocation(universe.tickers, np.array([0.5, 0.5]), 0.05, 0.1414, 0.0)
    policy = Policy("mv", Objective.MIN_VARIANCE)
    ex = explain_allocation(allocation, cov, universe, policy,
                            portfolio_constraints(universe, policy))
    assert ex.binding == ()
    assert [c.risk for c in ex.assets] == pytest.approx([0.5, 0.5])


@pytest.mark.parametrize("mode", ["portfolio", "holdings"])
def test_tier_explanations_on_the_default_assumptions(mode: str) -> None:
    universe = load_universe()
    est = load_assumptions(universe)
    for tier, policy in load_policies(suitability=mode).items():
        allocation = optimise(est, policy, universe)
        ex = explain_allocation(allocation, est.covariance, universe, policy,
                                portfolio_constraints(universe, policy))
        assert sum(c.risk for c in ex.assets) == pytest.approx(1.0)
        assert sum(c.risk for c in ex.classes) == pytest.approx(1.0)
        assert sum(c.weight for c in ex.classes) == pytest.approx(1.0)
        excluded = {b.name for b in ex.binding if b.kind is ConstraintKind.SUITABILITY}
        by_holding = mode == "holdings"
        assert excluded == {a.ticker for a in universe
                            if by_holding and a.risk_level > tier.value}
        target = policy.target_volatility
        vol_binds = any(b.kind is ConstraintKind.VOLATILITY_TARGET for b in ex.binding)
        assert vol_binds == (allocation.volatility >= target - 1e-4)
        assert f"tier {tier.value}" in ex.summary
        assert "These are estimates, not promises." in ex.summary


def test_dropped_dust_is_not_binding_and_the_rule_is_stated() -> None:
    """Tier 3 on the default assumptions holds 0.1% HYG without a minimum position; with the
    default 1% it holds none, and the explanation neither calls HYG binding nor omits the
    rule."""
    from dataclasses import replace

    universe = load_universe()
    est = load_assumptions(universe)
    policy = load_policies()[Tier.BALANCED]
    assert policy.min_position == 0.01
    hyg = universe.index("HYG")
    dusty = optimise(est, replace(policy, min_position=0.0), universe)
    assert 0 < dusty.weights[hyg] < 0.01
    allocation = optimise(est, policy, universe)
    assert allocation.weights[hyg] == 0.0
    assert np.all((allocation.weights == 0) | (allocation.weights >= 0.01))
    constraints = portfolio_constraints(universe, policy)
    en = explain_allocation(allocation, est.covariance, universe, policy, constraints)
    zh = explain_allocation(allocation, est.covariance, universe, policy, constraints,
                            lang="zh", tier_label="平衡型")
    assert not any(b.name == "HYG" for b in en.binding)
    assert "HYG" not in en.summary and "HYG" not in zh.summary
    assert "Positions under 1% are not held." in en.summary
    assert "低于 1% 的仓位不予配置。" in zh.summary
    plain = explain_allocation(dusty, est.covariance, universe, replace(policy, min_position=0.0),
                               constraints)
    assert "Positions under" not in plain.summary


@pytest.mark.parametrize("lang, contrast", [("en", " but "), ("zh", "却")])
def test_the_contrast_word_only_when_risk_clearly_exceeds_money(lang: str,
                                                                contrast: str) -> None:
    """Equity and bonds of equal volatility, uncorrelated, 50/50: each class carries 50% of the
    money and 50% of the risk, which is no contrast; at 20% vs 5% volatility equity's risk
    share (94%) clearly exceeds its money (50%)."""
    universe = Universe("u", (_asset("EQ", AssetClass.EQUITY, 1),
                              _asset("BD", AssetClass.FIXED_INCOME, 1)))
    policy = Policy("mv", Objective.MIN_VARIANCE)
    constraints = portfolio_constraints(universe, policy)
    weights = np.array([0.5, 0.5])
    for vols, expected in (((0.1, 0.1), False), ((0.2, 0.05), True)):
        cov = np.diag(np.square(vols))
        allocation = Allocation(universe.tickers, weights, 0.05,
                                float(np.sqrt(weights @ cov @ weights)), 0.0)
        ex = explain_allocation(allocation, cov, universe, policy, constraints, lang=lang)
        top = max(ex.classes, key=lambda c: c.risk)
        assert (top.risk > top.weight + 0.05) is expected
        assert (contrast in ex.summary) is expected, ex.summary
        share = "50% of the money" if lang == "en" else "占资金的 50%"
        assert share in ex.summary
