"""Portfolio-level suitability: the rating rules, the loss limits in the optimiser, the
policies file's modes, the least-risk fallback, and the stated scenarios against real history.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from roboadvisor.data.assumptions_file import load_assumptions
from roboadvisor.data.policy_file import DEFAULT_POLICIES, load_policies
from roboadvisor.data.universe_file import load_universe
from roboadvisor.domain.constraints import portfolio_constraints
from roboadvisor.domain.models import Asset, AssetClass, Estimates, Region, Tier, Universe
from roboadvisor.domain.optimizer import least_risk, optimise
from roboadvisor.domain.policy import Objective, Policy
from roboadvisor.domain.suitability import (
    RatingRules,
    Scenario,
    Suitability,
    band_level,
    rate_portfolio,
)
from roboadvisor.domain.walkforward import OnInfeasible, WalkForwardSpec, walk_forward_targets
from roboadvisor.errors import ConfigError, InfeasibleError, VolatilityCeilingError

UNIVERSE = load_universe()
ASSUMPTIONS = load_assumptions(UNIVERSE)
EDGES = (0.02, 0.05, 0.10, 0.15)


def _asset(ticker: str, cls: AssetClass, level: int) -> Asset:
    return Asset(ticker, ticker, cls, Region.US, "USD", 0.0, level)


TWO = Universe("two", (_asset("EQ", AssetClass.EQUITY, 3), _asset("BILL", AssetClass.CASH, 1)))
CRASH = Scenario("crash", (("EQ", -0.4),),
                 tuple((c, 0.0) for c in AssetClass))
RULES = RatingRules(EDGES, (0.06, 0.15, 0.30, 0.45), (CRASH,))


@pytest.mark.parametrize("value, level", [(0.0, 1), (0.02, 1), (0.020001, 2), (0.05, 2),
                                          (0.07, 3), (0.15, 4), (0.2, 5)])
def test_an_edge_belongs_to_the_lower_level(value: float, level: int) -> None:
    assert band_level(value, EDGES) == level


def test_the_rating_is_the_higher_of_volatility_and_stress() -> None:
    # 30% EQ: loss 0.3 * 0.4 = 12% -> R2 by stress; volatility 4% -> R2; 50% EQ: 20% -> R3.
    low = rate_portfolio(np.array([0.3, 0.7]), 0.04, TWO, RULES)
    assert (low.level, low.volatility_level, low.stress_level) == (2, 2, 2)
    assert low.stress_loss == pytest.approx(0.12) and low.scenario == "crash"
    high = rate_portfolio(np.array([0.5, 0.5]), 0.04, TWO, RULES)
    assert (high.level, high.stress_level, high.decided_by) == (3, 3, "stress")
    gain = rate_portfolio(np.array([0.0, 1.0]), 0.001, TWO, RULES)
    assert gain.stress_loss == 0.0 and gain.level == 1


def test_the_optimiser_keeps_each_scenario_loss_within_the_tier_band() -> None:
    # Max return with no volatility limit would hold all EQ (loss 40%); tier 2's stress edge
    # is 15%, so EQ stops at 0.15 / 0.4 = 37.5%.
    est = Estimates(TWO.tickers, np.array([0.08, 0.02]), np.diag([0.04, 1e-6]), 0.0, "two")
    policy = Policy("p", Objective.UTILITY, risk_aversion=1e-6, max_product_risk=2,
                    tier=Tier.MODERATELY_CONSERVATIVE, suitability=Suitability.PORTFOLIO,
                    rating=RULES)
    allocation = optimise(est, policy, TWO)
    w = allocation.weights
    np.testing.assert_allclose(w, [0.375, 0.625], atol=1e-6)
    from roboadvisor.domain.explain import ConstraintKind, binding_constraints, constraint_text_zh

    binding = binding_constraints(allocation, TWO, policy, portfolio_constraints(TWO, policy))
    stress = [b for b in binding if b.kind is ConstraintKind.STRESS_LOSS]
    assert [b.text for b in stress] == ["loss in scenario crash at its limit of 15.0%"]
    assert constraint_text_zh(stress[0]) == "crash 情景损失达到上限 15.0%"
    assert portfolio_constraints(TWO, policy).excluded == ()       # R3 EQ may be held
    holdings = optimise(est, replace(policy, suitability=Suitability.HOLDINGS), TWO).weights
    np.testing.assert_allclose(holdings, [0.0, 1.0], atol=1e-9)     # R3 EQ excluded


def test_the_mode_comes_from_the_tier_the_file_or_the_command_line(tmp_path: Path) -> None:
    default = load_policies()
    assert {p.suitability for p in default.values()} == {Suitability.PORTFOLIO}
    text = DEFAULT_POLICIES.read_text(encoding="utf-8")
    # The lowest category: tier 1 on holdings (R1 products only) while the rest are rated.
    path = tmp_path / "p.yaml"
    path.write_text(text.replace("    name: Conservative\n",
                                 "    name: Conservative\n    suitability: holdings\n", 1),
                    encoding="utf-8")
    mixed = load_policies(path)
    assert mixed[Tier.CONSERVATIVE].suitability is Suitability.HOLDINGS
    assert mixed[Tier.MODERATELY_CONSERVATIVE].suitability is Suitability.PORTFOLIO
    tier1 = optimise(ASSUMPTIONS, mixed[Tier.CONSERVATIVE], UNIVERSE)
    held = {t for t, w in zip(UNIVERSE.tickers, tier1.weights, strict=True) if w > 0}
    assert held and all(UNIVERSE.get(t).risk_level == 1 for t in held)
    forced = load_policies(path, suitability="portfolio")
    assert forced[Tier.CONSERVATIVE].suitability is Suitability.PORTFOLIO
    # Under holdings the tier's holdings_class_bounds replace its class bounds.
    assert dict(load_policies(suitability="holdings")[Tier.CONSERVATIVE].class_bounds)[
        AssetClass.CASH].lower == 0.25
    assert AssetClass.EQUITY not in dict(
        load_policies(suitability="holdings")[Tier.CONSERVATIVE].class_bounds)


def test_portfolio_mode_needs_rating_rules(tmp_path: Path) -> None:
    text = DEFAULT_POLICIES.read_text(encoding="utf-8")
    start, end = text.index("portfolio_rating:"), text.index("tiers:\n")
    path = tmp_path / "p.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tier 1: suitability portfolio needs the top-level "
                                          r"portfolio_rating"):
        load_policies(path)
    assert load_policies(path, suitability="holdings")[Tier.BALANCED].rating is None


def test_least_risk_is_the_minimum_variance_portfolio_of_the_same_bounds() -> None:
    policy = load_policies(suitability="holdings")[Tier.BALANCED]
    tight = replace(policy, target_volatility=0.01)
    with pytest.raises(VolatilityCeilingError) as info:
        optimise(ASSUMPTIONS, tight, UNIVERSE)
    held = least_risk(ASSUMPTIONS, tight, UNIVERSE)
    assert held.volatility == pytest.approx(info.value.lowest, rel=1e-3)
    assert held.volatility > 0.01
    w = held.weights
    assert ((w == 0) | (w >= 0.01 - 1e-9)).all()                      # min positions kept


def test_walk_forward_holds_the_fallback_or_keeps_the_previous_targets() -> None:
    rng = np.random.default_rng(5)
    prices = 100 * np.cumprod(1 + rng.normal(0.0003, 0.01, (160, 2)), axis=0)
    dates = np.datetime64("2020-01-01") + np.arange(160)
    calls = {"n": 0}

    def solve(est: Estimates) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 2:
            raise VolatilityCeilingError("ceiling", 0.08, 0.093)
        return np.array([0.5, 0.5])

    def fallback(est: Estimates, error: VolatilityCeilingError) -> tuple[np.ndarray, str]:
        return np.array([0.2, 0.8]), f"held at {error.lowest:.1%}"

    spec = WalkForwardSpec(window=40)
    wf = walk_forward_targets(prices, dates, ("A", "B"), 41, spec, solve, fallback=fallback)
    assert wf.failures == () and len(wf.fallbacks) == 1
    assert wf.fallbacks[0].reason == "held at 9.3%"
    np.testing.assert_allclose(wf.schedule.weights[1], [0.2, 0.8])
    calls["n"] = 0
    keep = walk_forward_targets(prices, dates, ("A", "B"), 41,
                                replace(spec, on_infeasible=OnInfeasible.KEEP), solve,
                                fallback=fallback)
    assert len(keep.failures) == 1 and keep.fallbacks == ()
    assert len(keep.schedule.weights) == len(wf.schedule.weights) - 1


def test_history_allocation_falls_back_with_the_same_words(tmp_path: Path) -> None:
    from roboadvisor.services.allocate import AllocationRequest, MarketRequest, allocate

    rng = np.random.default_rng(11)
    n = len(UNIVERSE)
    rets = rng.normal(0.0002, 1, (400, n)) * np.linspace(0.002, 0.02, n)
    frame = pd.DataFrame(50 * np.cumprod(1 + rets, axis=0), columns=list(UNIVERSE.tickers),
                         index=pd.bdate_range("2023-01-02", periods=400))
    frame.index.name = "Date"
    prices = tmp_path / "p.csv"
    frame.round(4).to_csv(prices)
    text = DEFAULT_POLICIES.read_text(encoding="utf-8")
    policies = tmp_path / "pol.yaml"
    policies.write_text(text.replace("target_volatility: 0.08", "target_volatility: 0.001"),
                        encoding="utf-8")
    request = AllocationRequest(tier=3, policies_file=policies, suitability="holdings",
                                market=MarketRequest(source="history", prices_file=prices))
    result = allocate(request)
    assert any(n.startswith("ceiling 0.1% not reachable, held the least-risk portfolio at ")
               for n in result.notes)
    expected = least_risk(result.estimates, result.policy, result.universe)
    np.testing.assert_allclose(result.allocation.weights, expected.weights, atol=1e-9)
    with pytest.raises(InfeasibleError, match="below the lowest achievable"):
        allocate(replace(request, market=MarketRequest()))              # assumptions: refused


@pytest.mark.realdata
def test_the_stated_scenarios_are_the_etfs_own_returns(real_prices_csv: Path) -> None:
    prices = pd.read_csv(real_prices_csv, index_col=0, parse_dates=True)
    windows = {"crisis_2008": ("2008-02-29", "2009-02-27"),
               "rates_2022": ("2021-12-31", "2022-12-30")}
    rules = load_policies()[Tier.BALANCED].rating
    assert rules is not None
    checked = 0
    for scenario in rules.scenarios:
        start, end = windows[scenario.name]
        for ticker, shock in scenario.by_ticker:
            s = prices[ticker].loc[start:end].dropna()
            if s.empty or s.index[0] > pd.Timestamp(start) + pd.Timedelta(days=7):
                continue                                       # no history: a stated proxy
            assert shock == pytest.approx(s.iloc[-1] / s.iloc[0] - 1, abs=0.001), ticker
            checked += 1
    assert checked >= 30
