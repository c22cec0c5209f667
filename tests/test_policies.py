"""Tier policies: the file's validation, and the ordering of the five portfolios.

Ordering: a higher tier never holds less equity and always has a strictly higher ex-ante
volatility. It is meant to hold for assumptions in which expected returns reward market risk
(equilibrium returns, mu = rf + delta * Sigma @ w_mkt), so the property test perturbs the
shipped assumptions within that family: every volatility by up to +-15%, correlations shrunk
towards 0 by up to 30%, risk aversion 2..4, risk-free rate 0..5%, plus up to +-0.5% of noise on
each expected return.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roboadvisor.data.assumptions_file import load_assumptions
from roboadvisor.data.policy_file import DEFAULT_POLICIES, load_policies
from roboadvisor.data.universe_file import load_universe
from roboadvisor.domain.models import AssetClass, Estimates, Tier
from roboadvisor.domain.optimizer import optimise
from roboadvisor.domain.policy import Bound, Objective
from roboadvisor.errors import ConfigError

UNIVERSE = load_universe()
ASSUMPTIONS = load_assumptions(UNIVERSE)
POLICIES = load_policies()
MODES = {m: load_policies(suitability=m) for m in ("portfolio", "holdings")}
EQUITY = np.array([a.asset_class is AssetClass.EQUITY for a in UNIVERSE])
RISK = np.array([a.risk_level for a in UNIVERSE])


def _write(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_POLICIES.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "policies.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_default_file_defines_five_suitable_policies() -> None:
    assert list(POLICIES) == list(Tier)
    for tier, policy in POLICIES.items():
        assert policy.tier is tier
        assert policy.max_product_risk == tier.value
        assert policy.objective is Objective.TARGET_VOLATILITY
    targets = [POLICIES[t].target_volatility for t in Tier]
    assert targets == sorted(targets) and len(set(targets)) == 5
    tier3 = dict(POLICIES[Tier.BALANCED].class_bounds)
    assert tier3[AssetClass.EQUITY] == Bound(0.40, 0.55)


def test_every_default_tier_has_a_one_percent_minimum_position(tmp_path: Path) -> None:
    assert [POLICIES[t].min_position for t in Tier] == [0.01] * 5
    path = _write(tmp_path, "    min_position: 0.01\n", "")
    assert load_policies(path)[Tier.CONSERVATIVE].min_position == 0.0  # optional, default 0


def test_bounds_accept_min_max_mappings(tmp_path: Path) -> None:
    path = _write(tmp_path, "equity: [0.40, 0.55]", "equity: {min: 0.4, max: 0.55}")
    assert load_policies(path)[Tier.BALANCED].class_bounds == POLICIES[Tier.BALANCED].class_bounds


def test_asset_bounds_must_name_tickers_of_the_universe(tmp_path: Path) -> None:
    text = DEFAULT_POLICIES.read_text(encoding="utf-8")
    path = tmp_path / "p.yaml"
    path.write_text(text.replace("    name: Balanced\n",
                                 "    name: Balanced\n    asset_bounds: {VTJ: [0, 0.3]}\n", 1),
                    encoding="utf-8")
    assert load_policies(path)[Tier.BALANCED].asset_bounds  # the file itself is well formed
    with pytest.raises(ConfigError, match=r"tier 3: asset_bounds names VTJ, not in universe"):
        load_policies(path, UNIVERSE)


@pytest.mark.parametrize("old, new, message", [
    ("target_volatility: 0.08", "target_volatility: -0.08", r"tier 3: target_volatility"),
    ("target_volatility: 0.08", "risk_aversion: 3", r"tier 3: objective target_volatility "
                                                    r"needs 'target_volatility'"),
    ("max_product_risk: 2", "max_product_risk: 3", r"tier 2: max_product_risk 3 exceeds the "
                                                   r"tier.*C2.*R1\.\.R2"),
    ("max_product_risk: 4", "max_product_risk: 9",
     r"tier 4: max_product_risk = 9 is outside 1\.\.5"),
    ("equity: [0.40, 0.55]", "equity: [0.60, 0.55]", r"tier 3: class_bounds.equity: min 0.6 "
                                                     r"exceeds max 0.55"),
    ("equity: [0.40, 0.55]", "equity: [0.40, 1.5]", r"tier 3: class_bounds.equity: max = "
                                                    r"1.5 is outside 0\.\.1"),
    ("equity: [0.40, 0.55]", "stocks: [0.40, 0.55]", r"tier 3: class_bounds: 'stocks' is not "
                                                     r"one of equity"),
    ("emerging: [0.0, 0.20]", "mars: [0.0, 0.20]", r"tier 4: region_bounds: 'mars'"),
    ("objective: target_volatility\n    # Roughly a 40/60", "objective: moonshot\n    # R",
     r"tier 3: objective: 'moonshot' is not one of"),
    ("    name: Growth\n", "    name: Growth\n    leverage: 2\n",
     r"tier 4: unknown field\(s\) leverage"),
    ("  5:\n", "  7:\n", r"tiers: unknown tier 7"),
    ("  5:\n", "  C4:\n", r"tier 4 is defined twice"),
    ("cash: [0.05, 0.20]", "cash: [0.50, 0.60]", r"tier 2: the minimums in class_bounds sum "
                                                 r"to 1.2"),
    ("suitability: portfolio\n", "suitability: everything\n",
     r"suitability: suitability 'everything' is not one of portfolio, holdings"),
    ("volatility_bands: [0.02, 0.05, 0.10, 0.15]", "volatility_bands: [0.02, 0.05, 0.10]",
     r"portfolio_rating.volatility_bands: give four numbers"),
    ("stress_bands: [0.06, 0.15, 0.30, 0.45]", "stress_bands: [0.06, 0.05, 0.30, 0.45]",
     r"portfolio_rating.stress_bands: the edges must be positive and increasing"),
    ("commodity: -0.46,\n                      cash: 0.01}", "commodity: -0.46}",
     r"scenarios.crisis_2008.asset_classes: no return for cash"),
    ("HYG: -0.235", "HYG: -2.35", r"scenarios.crisis_2008.tickers.HYG: a return must be"),
    ("      cash: [0.05, 0.20]\n      fixed_income: [0.80, 0.95]",
     "      cash: [0.50, 0.60]\n      fixed_income: [0.80, 0.95]",
     r"tier 2: the minimums in holdings_class_bounds sum to 1.3"),
    ("max_product_risk: 3\n    # No dust: a position under 1% adds trading cost and clutter, "
     "not diversification.\n    min_position: 0.01",
     "max_product_risk: 3\n    min_position: 0.5", r"tier 3: min_position = 0\.5 must be at "
                                                   r"least 0 and below 0\.5"),
    ("max_product_risk: 1\n    # No dust: a position under 1% adds trading cost and clutter, "
     "not diversification.\n    min_position: 0.01",
     "max_product_risk: 1\n    min_position: -0.01", r"tier 1: min_position = -0\.01 must be"),
    ("max_product_risk: 4\n    # No dust: a position under 1% adds trading cost and clutter, "
     "not diversification.\n    min_position: 0.01",
     "max_product_risk: 4\n    min_position: 1%", r"tier 4: min_position must be a number"),
])
def test_errors_name_the_file_tier_and_field(tmp_path: Path, old: str, new: str,
                                             message: str) -> None:
    path = _write(tmp_path, old, new)
    with pytest.raises(ConfigError, match=message) as info:
        load_policies(path)
    assert str(path) in str(info.value)


def test_a_missing_tier_is_named(tmp_path: Path) -> None:
    text = DEFAULT_POLICIES.read_text(encoding="utf-8")
    path = tmp_path / "p.yaml"
    path.write_text(text[:text.index("  5:\n")], encoding="utf-8")
    with pytest.raises(ConfigError, match=r"no policy for tier\(s\) 5"):
        load_policies(path)


@pytest.mark.parametrize("text, message", [
    ("tiers: [1, 2]\n", "'tiers' must be a mapping"),
    ("tier: {}\n", "unknown top-level field"),
    ("- 1\n", "expected a mapping"),
])
def test_malformed_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_policies(path)


def _ordered(estimates: Estimates, policies: dict | None = None
             ) -> tuple[list[float], list[float], list[np.ndarray]]:
    policies = policies or POLICIES
    allocations = [optimise(estimates, policies[t], UNIVERSE) for t in Tier]
    vols = [a.volatility for a in allocations]
    equity = [float(a.weights[EQUITY].sum()) for a in allocations]
    return vols, equity, [a.weights for a in allocations]


def _assert_ordered(vols: list[float], equity: list[float]) -> None:
    for k in range(4):
        assert vols[k + 1] > vols[k] + 1e-4, (k + 1, vols)
        assert equity[k + 1] >= equity[k] - 1e-6, (k + 1, equity)


@pytest.mark.parametrize("mode", ["portfolio", "holdings"])
def test_default_tiers_are_ordered_distinct_and_sensible(mode: str) -> None:
    policies = load_policies(suitability=mode)
    vols, equity, weights = _ordered(ASSUMPTIONS, policies)
    _assert_ordered(vols, equity)
    if mode == "holdings":
        assert equity[0] == equity[1] == 0.0
    else:  # a modest equity share, AOK/LifeStrategy-like for tier 2, below it for tier 1
        assert 0.05 - 1e-6 <= equity[0] <= 0.10 + 1e-6
        assert 0.15 - 1e-6 <= equity[1] <= 0.25 + 1e-6
    assert 0.40 - 1e-6 <= equity[2] <= 0.55 + 1e-6
    assert 0.65 - 1e-6 <= equity[3] <= 0.80 + 1e-6
    assert equity[4] >= 0.85 - 1e-6
    assert vols[0] <= 0.015 + 1e-6
    for target, vol in zip((0.04, 0.08, 0.12, 0.16), vols[1:], strict=True):
        assert vol == pytest.approx(target, abs=1e-4)
    for tier, w in zip(Tier, weights, strict=True):
        assert w.max() <= 0.80, f"tier {tier.value} puts {w.max():.0%} in one asset"
        assert (w > 0.01).sum() >= 2
        if mode == "holdings":
            assert np.all(w[tier.value < RISK] == 0)
    for i in range(5):
        for j in range(i + 1, 5):
            assert np.abs(weights[i] - weights[j]).sum() > 0.2  # distinct portfolios


@pytest.mark.parametrize("mode", ["portfolio", "holdings"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vol_scale=st.lists(st.floats(0.85, 1.15), min_size=len(UNIVERSE),
                          max_size=len(UNIVERSE)),
       shrink=st.floats(0.0, 0.3), risk_aversion=st.floats(2.0, 4.0),
       rf=st.floats(0.0, 0.05), noise_seed=st.integers(0, 2**32 - 1))
def test_tiers_stay_ordered_on_perturbed_equilibrium_assumptions(
        mode: str, vol_scale: list[float], shrink: float, risk_aversion: float, rf: float,
        noise_seed: int) -> None:
    vol = ASSUMPTIONS.volatilities
    corr = ASSUMPTIONS.covariance / np.outer(vol, vol)
    corr = (1 - shrink) * corr + shrink * np.eye(len(UNIVERSE))
    new_vol = vol * np.array(vol_scale)
    cov = np.outer(new_vol, new_vol) * corr
    noise = np.random.default_rng(noise_seed).uniform(-0.005, 0.005, len(UNIVERSE))
    mu = rf + risk_aversion * cov @ UNIVERSE.market_weights() + noise
    vols, equity, _ = _ordered(Estimates(UNIVERSE.tickers, mu, cov, rf, "perturbed"),
                               MODES[mode])
    _assert_ordered(vols, equity)


@pytest.mark.parametrize("mode, first", [("portfolio", 2), ("holdings", 3)])
def test_each_tier_is_riskier_than_the_ceiling_below_whatever_the_returns(mode: str,
                                                                          first: int) -> None:
    """Why the ordering is robust: from tier 2 up (tier 3 under holdings suitability), even
    the least volatile portfolio a tier's bounds admit is above the volatility ceiling of the
    tier below (a fact of the bounds and the covariance only, so it holds for any expected
    returns)."""
    policies = load_policies(suitability=mode)
    for tier in (t for t in Tier if t.value >= first):
        policy = policies[tier]
        least = optimise(ASSUMPTIONS, replace(policy, objective=Objective.MIN_VARIANCE,
                                              target_volatility=None), UNIVERSE)
        below = policies[Tier(tier.value - 1)].target_volatility
        assert least.volatility > below + 0.005, (tier, least.volatility, below)
