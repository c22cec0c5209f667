"""Walk-forward re-optimisation: the window used, no look-ahead, failures keep the previous
targets, and the numpy estimation path agrees with the library's estimators."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from roboadvisor.domain.backtest import simulate
from roboadvisor.domain.models import Estimates
from roboadvisor.domain.rebalancing import Frequency, RebalanceRule
from roboadvisor.domain.walkforward import (
    CovarianceEstimator,
    ReturnsEstimator,
    WalkForwardSpec,
    estimate_window,
    reoptimisation_days,
    walk_forward_targets,
)
from roboadvisor.errors import (
    BacktestError,
    EstimationError,
    InfeasibleError,
    OptimizationError,
)
from tests.conftest import RESOURCES

SPEC = WalkForwardSpec(window=60, frequency=Frequency.MONTHLY)
TICKERS = ("A", "B", "C", "D")


def _history(seed: int = 1, days: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vols = np.array([0.005, 0.01, 0.015, 0.02])
    prices = 100 * np.cumprod(1 + rng.normal(0.0003, vols, (days, 4)), axis=0)
    dates = pd.bdate_range("2018-01-02", periods=days).to_numpy(dtype="datetime64[D]")
    return prices, dates


def inverse_variance(est: Estimates) -> np.ndarray:
    """A deterministic stand-in optimiser that depends on every estimate it gets."""
    w = 1 / np.diag(est.covariance) * (1 + est.expected_returns.clip(-0.5, 0.5))
    return w / w.sum()


def test_each_estimate_uses_the_window_that_ends_the_day_before() -> None:
    from sklearn.covariance import ledoit_wolf

    prices, dates = _history()
    seen: list[Estimates] = []

    def spy(est: Estimates) -> np.ndarray:
        seen.append(est)
        return inverse_variance(est)

    start = 100
    wf = walk_forward_targets(prices, dates, TICKERS, start, SPEC, spy)
    days = reoptimisation_days(dates, start, SPEC.frequency)
    assert len(seen) == days.size
    frame = pd.DataFrame(prices)
    for d, est in zip(days, seen, strict=True):
        window = frame.iloc[d - 61:d].pct_change().dropna()
        assert len(window) == 60 and est.as_of == str(dates[d - 1])
        np.testing.assert_allclose(est.expected_returns, window.mean().to_numpy() * 252)
        np.testing.assert_allclose(est.covariance, ledoit_wolf(window.to_numpy())[0] * 252,
                                   rtol=1e-10)
    np.testing.assert_array_equal(wf.schedule.days, days - start)


def test_no_look_ahead_future_prices_do_not_move_past_targets() -> None:
    prices, dates = _history(seed=4)
    start = 100
    base = walk_forward_targets(prices, dates, TICKERS, start, SPEC, inverse_variance)
    # shock every price from a re-optimisation day on, that day's close included
    cut = int(base.schedule.days[5]) + start
    shocked = prices.copy()
    rng = np.random.default_rng(9)
    shocked[cut:] *= np.cumprod(1 + rng.normal(0, 0.05, shocked[cut:].shape), axis=0)
    moved = walk_forward_targets(shocked, dates, TICKERS, start, SPEC, inverse_variance)
    days = base.schedule.days + start
    upto = days <= cut
    np.testing.assert_array_equal(moved.schedule.weights[upto], base.schedule.weights[upto])
    # later targets do move, so the comparison above is not vacuous
    assert not np.allclose(moved.schedule.weights[~upto], base.schedule.weights[~upto])
    # and the simulated portfolio is identical up to the day before the shock
    rule = RebalanceRule.calendar(Frequency.MONTHLY)
    a = simulate(prices[start:], dates[start:], base.schedule, rule)
    b = simulate(shocked[start:], dates[start:], moved.schedule, rule)
    np.testing.assert_array_equal(a.values[:cut - start], b.values[:cut - start])


def test_a_failed_optimisation_keeps_the_previous_targets() -> None:
    prices, dates = _history()
    start = 100
    days = reoptimisation_days(dates, start, SPEC.frequency)
    bad_day = int(days[3])

    def flaky(est: Estimates) -> np.ndarray:
        if est.as_of == str(dates[bad_day - 1]):
            raise InfeasibleError("tier 3 target volatility 8.0% is below the lowest "
                                  "achievable 9.7%")
        return inverse_variance(est)

    wf = walk_forward_targets(prices, dates, TICKERS, start, SPEC, flaky)
    assert [f.date for f in wf.failures] == [str(dates[bad_day])]
    assert "target volatility" in wf.failures[0].reason
    assert bad_day - start not in wf.schedule.days
    assert wf.schedule.days.size == days.size - 1
    result = simulate(prices[start:], dates[start:], wf.schedule,
                      RebalanceRule.calendar(Frequency.MONTHLY))
    np.testing.assert_array_equal(result.targets_on(bad_day - start),
                                  result.targets_on(int(days[2]) - start))
    assert result.values[-1] > 0


def test_the_first_optimisation_must_succeed() -> None:
    """A policy that cannot be met stays an InfeasibleError (input to fix: exit code 2); a
    solver failure is a BacktestError (exit code 1). Both name the date."""
    prices, dates = _history()

    def infeasible(est: Estimates) -> np.ndarray:
        raise InfeasibleError("tier 3 target volatility 0.1% is below the lowest 4.0%")

    def broken(est: Estimates) -> np.ndarray:
        raise OptimizationError("both solvers failed")

    with pytest.raises(InfeasibleError, match=f"first optimisation, on {dates[100]}.*0.1%"
                       ) as info:
        walk_forward_targets(prices, dates, TICKERS, 100, SPEC, infeasible)
    assert info.value.exit_code == 2
    with pytest.raises(BacktestError, match=f"first optimisation, on {dates[100]}") as info:
        walk_forward_targets(prices, dates, TICKERS, 100, SPEC, broken)
    assert info.value.exit_code == 1


def test_too_little_history_before_the_start() -> None:
    prices, dates = _history()
    with pytest.raises(BacktestError, match="needs 61 prices"):
        walk_forward_targets(prices, dates, TICKERS, 30, SPEC, inverse_variance)


def test_numpy_window_estimates_match_the_library_path_through_optimise() -> None:
    """Re-solving with the real optimiser on the numpy estimates gives the weights of
    ``estimates_from_prices`` + ``optimise`` on the same window."""
    from roboadvisor.data.universe_file import load_universe
    from roboadvisor.domain.estimates import estimates_from_prices
    from roboadvisor.domain.optimizer import optimise
    from roboadvisor.domain.policy import Objective, Policy

    universe = load_universe().subset(["VTI", "AGG", "SHY", "GLD"])
    policy = Policy("test", Objective.MIN_VARIANCE)
    prices, dates = _history(seed=2, days=300)
    wf = walk_forward_targets(prices, dates, universe.tickers, 100, SPEC,
                              lambda e: optimise(e, policy, universe).weights)
    frame = pd.DataFrame(prices, index=pd.DatetimeIndex(dates), columns=universe.tickers)
    for day, weights in zip(wf.schedule.days + 100, wf.schedule.weights, strict=True):
        est = estimates_from_prices(frame.iloc[day - 61:day])
        expected = optimise(est, policy, universe).weights
        np.testing.assert_allclose(weights, expected, atol=1e-6)
        assert weights.sum() == pytest.approx(1) and weights.min() >= -1e-9


def test_service_records_failed_rebalances_and_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the service and the real tier-1 policy, with the third solve failing."""
    import roboadvisor.domain.optimizer as optimizer
    from roboadvisor.errors import OptimizationError
    from roboadvisor.services.backtest import configure, run_backtest

    real = optimizer.optimise
    calls = {"n": 0}

    def third_fails(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OptimizationError("both solvers failed")
        return real(*args, **kwargs)

    monkeypatch.setattr(optimizer, "optimise", third_fails)
    run = run_backtest(configure(Path(RESOURCES / "backtest" / "tier1_walkforward.yaml")),
                       suitability="holdings")
    res = run.result
    assert len(res.failures) == 1 and res.failures[0].reason == "both solvers failed"
    assert run.summary.failed_rebalances == 1
    assert any("failed and kept the previous targets" in w for w in run.warnings)
    assert res.target_weights.shape[0] == calls["n"] - 1
    assert set(res.tickers) == {"SHY", "BIL"}      # tier 1 holds R1 products only (holdings)
    np.testing.assert_allclose(res.target_weights.sum(axis=1), 1)


def test_equilibrium_returns_follow_the_window_covariance() -> None:
    """Equilibrium: rf + 3 * Σ w_mkt with Σ the window's covariance; shrunk-correlation keeps
    each asset's own sample variance (Ledoit-Wolf to a scaled identity would pull them)."""
    prices, _ = _history(seed=3, days=200)
    returns = prices[1:] / prices[:-1] - 1
    w_mkt = np.array([0.4, 0.3, 0.2, 0.1])
    spec = WalkForwardSpec(window=199, returns=ReturnsEstimator.EQUILIBRIUM,
                           covariance=CovarianceEstimator.SHRUNK_CORRELATION)
    est = estimate_window(returns, TICKERS, spec, 0.02, "2018-10-01", w_mkt)
    np.testing.assert_allclose(est.expected_returns, 0.02 + 3.0 * est.covariance @ w_mkt,
                               rtol=1e-12)
    own_var = returns.var(axis=0) * 252  # ddof=0, as Ledoit-Wolf
    np.testing.assert_allclose(np.diag(est.covariance), own_var, rtol=1e-10)
    with pytest.raises(EstimationError, match="equilibrium returns need market weights"):
        estimate_window(returns, TICKERS, spec, 0.02, "2018-10-01", None)
