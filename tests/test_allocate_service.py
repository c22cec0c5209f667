"""The allocation service: every bound and suitability hold, estimates from both sources,
whole shares, records, the frontier, and (realdata) the five tiers on real history."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from roboadvisor.data.policy_file import load_policies
from roboadvisor.data.universe_file import load_universe
from roboadvisor.domain.explain import risk_contributions
from roboadvisor.domain.models import Tier
from roboadvisor.errors import ConfigError, CoverageError, EstimationError, InputError
from roboadvisor.services.allocate import (
    AllocationRequest,
    AllocationResult,
    FrontierRequest,
    MarketRequest,
    allocate,
    allocation_record,
    frontier,
    frontier_record,
    plan,
    policy_for_tier,
)

RESOURCES = Path(__file__).resolve().parent / "resources" / "allocation"
LATEST = RESOURCES / "latest_prices.csv"
EXAMPLES = Path(__file__).resolve().parents[1] / "questionnaires" / "examples"
UNIVERSE = load_universe()
TOL = 1e-6


def synthetic_prices(path: Path, days: int = 400, seed: int = 3) -> Path:
    """Seeded daily prices for the default universe: one market factor, vols 1..25%."""
    rng = np.random.default_rng(seed)
    n = len(UNIVERSE)
    vol = np.linspace(0.01, 0.25, n) / np.sqrt(252)
    beta = np.linspace(0.0, 1.0, n)
    market = rng.normal(0.0003, 0.01, days)
    rets = beta * market[:, None] + rng.normal(0, 1, (days, n)) * vol
    prices = 50 * np.cumprod(1 + rets, axis=0)
    dates = pd.bdate_range("2024-01-02", periods=days)
    frame = pd.DataFrame(prices.round(4), index=dates, columns=list(UNIVERSE.tickers))
    frame.index.name = "Date"
    frame.to_csv(path)
    return path


def assert_rated_within_tier(result: AllocationResult) -> None:
    """The rating recomputed from the weights: the higher band of volatility and of the worst
    scenario loss, at most the tier's level."""
    rules = result.policy.rating
    assert rules is not None and result.rating is not None
    w = result.allocation.weights
    vol = float(np.sqrt(w @ result.estimates.subset(result.universe.tickers).covariance @ w))
    losses = []
    for s in rules.scenarios:
        ticker, cls = dict(s.by_ticker), dict(s.by_class)
        shock = [ticker.get(a.ticker, cls[a.asset_class]) for a in result.universe]
        losses.append(-float(np.dot(w, shock)))
    loss = max(max(losses), 0.0)
    level = 1 + max(sum(vol > e for e in rules.volatility_bands),
                    sum(loss > e for e in rules.stress_bands))
    assert result.rating.level == level
    assert result.rating.stress_loss == pytest.approx(loss, abs=1e-12)
    assert level <= result.tier.value


def assert_respects_policy(result: AllocationResult) -> None:
    w = result.allocation.weights
    policy = result.policy
    assert w.sum() == pytest.approx(1.0, abs=1e-8)
    assert np.all(w >= -TOL)
    for asset, wi in zip(result.universe, w, strict=True):
        assert wi <= asset.max_weight + TOL, asset.ticker
        if asset.risk_level > result.tier.value and policy.suitability.value == "holdings":
            assert wi == 0.0, f"{asset.ticker} R{asset.risk_level} held by tier {result.tier}"
    if policy.suitability.value == "portfolio":
        assert_rated_within_tier(result)
    for key, bound in policy.class_bounds:
        total = sum(wi for a, wi in zip(result.universe, w, strict=True) if a.asset_class is key)
        assert bound.lower - TOL <= total <= bound.upper + TOL, (result.tier, key)
    for key, bound in policy.region_bounds:
        total = sum(wi for a, wi in zip(result.universe, w, strict=True) if a.region is key)
        assert bound.lower - TOL <= total <= bound.upper + TOL, (result.tier, key)
    if policy.target_volatility is not None:
        assert result.allocation.volatility <= policy.target_volatility + 1e-5


@pytest.mark.parametrize("tier", list(Tier))
def test_cma_allocation_respects_every_bound_and_suitability(tier: Tier) -> None:
    result = allocate(AllocationRequest(tier=tier.value))
    assert result.tier is tier and result.source.value == "cma"
    assert_respects_policy(result)
    cov = result.estimates.covariance
    w = result.allocation.weights
    assert result.allocation.volatility == pytest.approx(float(np.sqrt(w @ cov @ w)))
    np.testing.assert_allclose([c.risk for c in result.explanation.assets],
                               risk_contributions(w, cov))


def test_tier_spellings_and_policy_for_tier() -> None:
    assert allocate(AllocationRequest(tier="C2")).tier is Tier.MODERATELY_CONSERVATIVE
    assert allocate(AllocationRequest(tier="growth")).tier is Tier.GROWTH
    assert policy_for_tier(3) == load_policies()[Tier.BALANCED]


@pytest.mark.parametrize("request_, message", [
    (AllocationRequest(), "give tier N"),
    (AllocationRequest(tier=3, answers=Path("x.yaml")), "not both"),
    (AllocationRequest(tier=7), "tier 7"),
    (AllocationRequest(tier=3, amount=0.0), "amount 0"),
    (AllocationRequest(tier=3, market=MarketRequest(source="crystal-ball")),
     "estimates crystal-ball: use one of cma, history"),
    (AllocationRequest(tier=3, market=MarketRequest(method="ema")), "method applies to"),
])
def test_bad_requests_are_input_errors(request_: AllocationRequest, message: str) -> None:
    with pytest.raises(InputError, match=message):
        allocate(request_)


def test_plan_needs_answers_and_takes_the_tier_from_them() -> None:
    with pytest.raises(InputError, match="plan needs a client's answers: answers FILE"):
        plan(AllocationRequest(tier=3))
    result = plan(AllocationRequest(answers=EXAMPLES / "tier4_growth.yaml"))
    assert result.assessment is not None
    assert result.tier is result.assessment.tier is Tier.GROWTH


def test_plan_takes_an_assessment_made_elsewhere() -> None:
    from roboadvisor.services.assess import assess_answers_file

    assessment = assess_answers_file(EXAMPLES / "tier2_moderately_conservative.yaml")
    result = plan(AllocationRequest(assessment=assessment))
    assert result.assessment is assessment and result.tier is Tier.MODERATELY_CONSERVATIVE
    by_file = plan(AllocationRequest(answers=EXAMPLES / "tier2_moderately_conservative.yaml"))
    np.testing.assert_array_equal(result.allocation.weights, by_file.allocation.weights)
    with pytest.raises(InputError, match="assessed already; drop tier and answers"):
        allocate(AllocationRequest(tier=2, assessment=assessment))


def test_history_without_prices_names_the_fix() -> None:
    with pytest.raises(CoverageError, match=r"estimates history: no cached prices .*prices"):
        allocate(AllocationRequest(tier=3, market=MarketRequest(source="history")))


@pytest.mark.parametrize("method", ["equilibrium", "mean", "ema", "capm"])
def test_history_allocation_from_a_prices_file(tmp_path: Path, method: str) -> None:
    prices = synthetic_prices(tmp_path / "p.csv")
    result = allocate(AllocationRequest(tier=3, market=MarketRequest(
        source="history", prices_file=prices, method=method)))
    assert result.estimates.source.startswith("history 2024-01-03..")
    assert result.method == method
    assert_respects_policy(result)


def test_default_history_returns_are_the_equilibrium_of_the_covariance(tmp_path: Path) -> None:
    prices = synthetic_prices(tmp_path / "p.csv")
    est = allocate(AllocationRequest(tier=3, market=MarketRequest(
        source="history", prices_file=prices))).estimates
    implied = est.risk_free_rate + 3.0 * est.covariance @ UNIVERSE.market_weights()
    np.testing.assert_allclose(est.expected_returns, implied, atol=1e-10)


def test_black_litterman_views_move_returns_towards_them(tmp_path: Path) -> None:
    prices = synthetic_prices(tmp_path / "p.csv")
    views = tmp_path / "views.yaml"
    views.write_text("views:\n  - {asset: VEA, expected_return: 0.30, confidence: 0.8}\n"
                     "  - {asset: TIP, versus: AGG, outperformance: -0.05, confidence: 0.5}\n")
    prior = allocate(AllocationRequest(tier=4, market=MarketRequest(
        source="history", prices_file=prices))).estimates
    post = allocate(AllocationRequest(tier=4, market=MarketRequest(
        source="history", prices_file=prices, method="black-litterman",
        views_file=views))).estimates
    i = UNIVERSE.index
    assert post.expected_returns[i("VEA")] > prior.expected_returns[i("VEA")] + 0.01
    gap_prior = prior.expected_returns[i("TIP")] - prior.expected_returns[i("AGG")]
    gap_post = post.expected_returns[i("TIP")] - post.expected_returns[i("AGG")]
    assert gap_post < gap_prior


@pytest.mark.parametrize("text, message", [
    ("views:\n  - {asset: XYZ, expected_return: 0.1}\n", r"view #1: asset: XYZ is not in"),
    ("views:\n  - {asset: VTI, outperformance: 0.1}\n", r"view #1 \(VTI\): outperformance "
                                                         r"needs 'versus'"),
    ("views:\n  - {asset: VTI, expected_return: 0.1, confidence: 2}\n",
     r"view #1 \(VTI\): confidence = 2 is outside 0..1"),
    ("views: []\n", "non-empty list"),
])
def test_views_file_errors_name_the_view(tmp_path: Path, text: str, message: str) -> None:
    views = tmp_path / "v.yaml"
    views.write_text(text)
    prices = synthetic_prices(tmp_path / "p.csv")
    with pytest.raises(ConfigError, match=message):
        allocate(AllocationRequest(tier=3, market=MarketRequest(
            source="history", prices_file=prices, method="black-litterman", views_file=views)))


def test_black_litterman_needs_views_and_views_need_black_litterman(tmp_path: Path) -> None:
    prices = synthetic_prices(tmp_path / "p.csv")
    with pytest.raises(InputError, match="needs views FILE"):
        allocate(AllocationRequest(tier=3, market=MarketRequest(
            source="history", prices_file=prices, method="black-litterman")))
    with pytest.raises(InputError, match="views needs method black-litterman"):
        allocate(AllocationRequest(tier=3, market=MarketRequest(
            source="history", prices_file=prices,
            views_file=Path("roboadvisor/resources/views_example.yaml"))))


def test_whole_shares_at_the_latest_prices_of_a_file() -> None:
    result = allocate(AllocationRequest(tier=3, amount=10_000.0,
                                        market=MarketRequest(prices_file=LATEST)))
    shares = result.shares
    assert shares is not None and result.prices_as_of == "2026-07-31"
    latest = pd.read_csv(LATEST, index_col=0).iloc[-1]
    np.testing.assert_allclose(shares.prices, latest[list(shares.tickers)].to_numpy())
    assert 0 <= shares.cash_left < 10_000 and shares.invested + shares.cash_left == 10_000
    held = {t for t, w in result.allocation.as_dict(1e-4).items()}
    assert set(shares.tickers) == held
    # every position within one share price (plus the cash) of its target
    assert np.all(np.abs(shares.values - shares.target_values)
                  <= shares.prices + shares.cash_left + 1e-9)


def test_without_prices_amounts_are_shown_with_a_note() -> None:
    result = allocate(AllocationRequest(tier=2, amount=5_000.0))
    assert result.shares is None
    assert any("prices FILE" in n and "roboadvisor data fetch" in n for n in result.notes)
    record = allocation_record(result)
    assert sum(p["target_amount"] for p in record["positions"]) == pytest.approx(5_000, rel=1e-4)


def test_allocation_record_is_json_and_consistent() -> None:
    result = allocate(AllocationRequest(tier=4, amount=20_000.0,
                                        market=MarketRequest(prices_file=LATEST)))
    record = json.loads(json.dumps(allocation_record(result)))
    assert record["tier"] == 4 and record["suitability_level"] == "C4"
    assert sum(record["weights"].values()) == pytest.approx(1.0, abs=1e-3)
    assert sum(record["class_weights"].values()) == pytest.approx(1.0)
    contributions = record["explanation"]["risk_contributions"]
    assert sum(contributions.values()) == pytest.approx(1.0, abs=1e-3)
    assert record["cash_left"] == pytest.approx(
        20_000 - sum(p["value"] for p in record["positions"]))
    assert record["sharpe_ratio"] == pytest.approx(
        (record["expected_return"] - record["risk_free_rate"]) / record["volatility"])


def test_frontier_is_increasing_and_no_tier_beats_it() -> None:
    result = frontier(FrontierRequest(points=15))
    vols = [a.volatility for a in result.points]
    rets = [a.expected_return for a in result.points]
    assert len(result.points) == 15
    assert np.all(np.diff(vols) > 0) and np.all(np.diff(rets) > 0)
    assert list(result.tiers) == list(Tier)
    for tier, a in result.tiers.items():
        best = result.frontier_at_tier_volatility[tier]
        assert best is not None and a.expected_return <= best + 1e-6, tier
    record = json.loads(json.dumps(frontier_record(result)))
    assert len(record["frontier"]) == 15 and set(record["tiers"]) == {"1", "2", "3", "4", "5"}
    assert "may lie inside" in record["note"]


def test_frontier_points_are_checked() -> None:
    with pytest.raises(InputError, match="points 1"):
        frontier(FrontierRequest(points=1))


@pytest.mark.realdata
def test_real_history_gives_five_distinct_suitable_portfolios(real_prices_csv: Path) -> None:
    results = [allocate(AllocationRequest(tier=t.value, market=MarketRequest(
        source="history", prices_file=real_prices_csv))) for t in Tier]
    equity = [a.asset_class.value == "equity" for a in UNIVERSE]
    vols, shares = [], []
    for r in results:
        assert r.estimates.as_of == "2026-07-31"
        assert_respects_policy(r)
        vols.append(r.allocation.volatility)
        shares.append(float(r.allocation.weights[equity].sum()))
        assert r.allocation.weights.max() <= 0.80
    assert all(b > a + 1e-4 for a, b in itertools.pairwise(vols))
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(shares))
    for i in range(5):
        for j in range(i + 1, 5):
            diff = np.abs(results[i].allocation.weights - results[j].allocation.weights).sum()
            assert diff > 0.2


def _universe_with_zzzq(tmp_path: Path) -> Path:
    """The default universe with VTI renamed ZZZQ, a ticker the assumptions file lacks."""
    from roboadvisor.data.universe_file import DEFAULT_UNIVERSE

    text = DEFAULT_UNIVERSE.read_text(encoding="utf-8")
    assert "{ticker: VTI," in text
    path = tmp_path / "zzzq.yaml"
    path.write_text(text.replace("{ticker: VTI,", "{ticker: ZZZQ,"), encoding="utf-8")
    return path


def test_history_needs_only_the_risk_free_rate_from_the_assumptions(tmp_path: Path) -> None:
    universe = _universe_with_zzzq(tmp_path)
    prices = synthetic_prices(tmp_path / "p.csv")
    frame = pd.read_csv(prices).rename(columns={"VTI": "ZZZQ"})
    frame.to_csv(prices, index=False)
    with pytest.raises(ConfigError, match="no assumptions for ZZZQ"):   # cma still needs it
        allocate(AllocationRequest(tier=3, market=MarketRequest(universe_file=universe)))
    result = allocate(AllocationRequest(tier=3, market=MarketRequest(
        source="history", prices_file=prices, universe_file=universe)))
    assert "ZZZQ" in result.allocation.tickers
    cma_rf = allocate(AllocationRequest(tier=3)).estimates.risk_free_rate
    assert result.estimates.risk_free_rate == cma_rf
    assert_respects_policy(result)


def test_history_names_a_universe_ticker_missing_from_the_prices_file(tmp_path: Path) -> None:
    universe = _universe_with_zzzq(tmp_path)
    prices = synthetic_prices(tmp_path / "p.csv")        # has VTI, not ZZZQ
    with pytest.raises(CoverageError) as caught:
        allocate(AllocationRequest(tier=3, market=MarketRequest(
            source="history", prices_file=prices, universe_file=universe)))
    message = str(caught.value)
    assert "ZZZQ" in message and str(prices) in message and str(universe) in message
    assert "assumptions" not in message and "--allow-missing" not in message


def test_frontier_marks_tiers_the_universe_cannot_build(tmp_path: Path) -> None:
    """An equity-only universe: tiers 1-4 need bonds (and cash); the frontier and
    tier 5 are still computed."""
    path = tmp_path / "one.yaml"
    path.write_text("id: one\nname: One\nversion: 1\nassets:\n  - {ticker: VTI, name: VTI, "
                    "asset_class: equity, region: us, currency: USD, expense_ratio: 0.0003, "
                    "risk_level: 3, market_weight: 1.0}\n", encoding="utf-8")
    result = frontier(FrontierRequest(points=4, market=MarketRequest(universe_file=path)))
    assert len(result.points) == 4
    assert list(result.tiers) == [Tier.AGGRESSIVE]
    assert set(result.unavailable) == {Tier(k) for k in (1, 2, 3, 4)}
    assert "has no fixed_income asset" in result.unavailable[Tier.CONSERVATIVE]
    assert "fixed_income" in result.unavailable[Tier.BALANCED]
    record = json.loads(json.dumps(frontier_record(result)))
    assert set(record["tiers"]) == {"5"} and set(record["unavailable_tiers"]) == {"1", "2", "3",
                                                                                 "4"}


def test_history_frontier_record_weights_sum_to_one(tmp_path: Path) -> None:
    for seed in range(4):
        prices = synthetic_prices(tmp_path / f"p{seed}.csv", days=750, seed=seed)
        record = frontier_record(frontier(FrontierRequest(market=MarketRequest(
            source="history", prices_file=prices))))
        for point in record["frontier"]:
            assert abs(sum(point["weights"].values()) - 1) < 1e-9


def test_views_that_sink_every_asset_below_cash_are_warned(tmp_path: Path) -> None:
    prices = synthetic_prices(tmp_path / "p.csv")
    views = tmp_path / "views.yaml"
    views.write_text("views:\n" + "".join(
        f"  - {{asset: {t}, expected_return: -0.05, confidence: 1}}\n"
        for t in UNIVERSE.tickers))
    result = allocate(AllocationRequest(tier=3, market=MarketRequest(
        source="history", prices_file=prices, method="black-litterman", views_file=views)))
    assert float(np.max(result.estimates.expected_returns)) < result.estimates.risk_free_rate
    assert any("below the risk-free rate" in n for n in result.notes)
    views.write_text("views:\n  - {asset: VTI, expected_return: 0.07, confidence: 1}\n"
                     "  - {asset: VTI, expected_return: 0.03, confidence: 1}\n")
    with pytest.raises(EstimationError, match="contradict each other"):
        allocate(AllocationRequest(tier=3, market=MarketRequest(
            source="history", prices_file=prices, method="black-litterman", views_file=views)))
