"""Metrics on small series, against values worked out by hand (or with ``statistics``)."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from roboadvisor.domain.backtest import CashFlowPlan, CostModel, simulate
from roboadvisor.domain.metrics import (
    MIN_RISK_RETURNS,
    cagr,
    calmar_ratio,
    compare_to_benchmark,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
    summarize,
    total_return,
    volatility,
    wealth_index,
    yearly_returns,
)
from roboadvisor.domain.rebalancing import Frequency, RebalanceRule

SQRT252 = math.sqrt(252)


def test_total_return_and_cagr_on_known_paths() -> None:
    assert total_return([0.1, -0.05, 0.02]) == pytest.approx(1.1 * 0.95 * 1.02 - 1)
    one_year = np.full(252, 1.1 ** (1 / 252) - 1)
    assert cagr(one_year) == pytest.approx(0.10, abs=1e-12)
    two_years = np.full(504, 1.21 ** (1 / 504) - 1)      # +21% over two years = 10% a year
    assert cagr(two_years) == pytest.approx(0.10, abs=1e-12)
    half_year = np.full(126, 0.0)
    half_year[0] = 0.05                                   # +5% in half a year
    assert cagr(half_year) == pytest.approx(1.05 ** 2 - 1)
    assert cagr(np.array([-1.0, 0.0])) == -1.0


def test_volatility_is_the_annualised_sample_deviation() -> None:
    r = [0.01, -0.01, 0.02, -0.005, 0.0]
    assert volatility(r) == pytest.approx(statistics.stdev(r) * SQRT252)
    assert volatility(np.full(10, 0.001)) == pytest.approx(0.0, abs=1e-15)


def test_sharpe_with_constant_and_daily_risk_free() -> None:
    r = np.array([0.02, 0.0, 0.01, 0.03, -0.01])
    rf = 0.0001
    excess = [x - rf for x in r]
    expected = statistics.mean(excess) / statistics.stdev(excess) * SQRT252
    assert sharpe_ratio(r, rf) == pytest.approx(expected)
    daily = np.array([0.0, 0.0001, 0.0002, 0.0001, 0.0])
    excess = list(r - daily)
    assert sharpe_ratio(r, daily) == pytest.approx(
        statistics.mean(excess) / statistics.stdev(excess) * SQRT252)
    with pytest.raises(ValueError, match="risk-free"):
        sharpe_ratio(r, daily[:3])


def test_sortino_uses_downside_deviation_below_the_risk_free_rate() -> None:
    # excess returns 0.01, -0.02, 0.03, -0.01: downside deviation sqrt((0.0004+0.0001)/4)
    r = np.array([0.01, -0.02, 0.03, -0.01])
    expected = 0.0025 / math.sqrt(0.0005 / 4) * SQRT252
    assert sortino_ratio(r) == pytest.approx(expected)
    assert sortino_ratio(r + 0.001, 0.001) == pytest.approx(expected)
    assert math.isnan(sortino_ratio(np.array([0.01, 0.02])))


def test_max_drawdown_peak_trough_recovery() -> None:
    dd = max_drawdown(np.array([1.0, 1.2, 0.9, 1.0, 1.3, 1.1]))
    assert dd.depth == pytest.approx(0.9 / 1.2 - 1)
    assert (dd.peak, dd.trough, dd.recovery) == (1, 2, 4)
    unrecovered = max_drawdown(np.array([1.0, 2.0, 1.5, 1.0, 1.9]))
    assert unrecovered.depth == pytest.approx(-0.5)
    assert (unrecovered.peak, unrecovered.trough, unrecovered.recovery) == (1, 3, None)
    rising = max_drawdown(np.array([1.0, 1.1, 1.2]))
    assert rising.depth == 0 and rising.peak is None


def test_wealth_index_and_calmar() -> None:
    r = np.array([0.2, -0.25, 0.1])
    np.testing.assert_allclose(wealth_index(r), [1, 1.2, 0.9, 0.99])
    assert calmar_ratio(r) == pytest.approx(cagr(r) / 0.25)


def test_yearly_returns_flag_partial_years() -> None:
    dates = np.array(["2019-12-31", "2020-01-02", "2020-12-31", "2021-01-04", "2021-06-30"],
                     dtype="datetime64[D]")
    years = yearly_returns(np.array([0.1, 0.2, -0.1, 0.05]), dates)
    assert [y.year for y in years] == [2020, 2021]
    assert years[0].value == pytest.approx(1.1 * 1.2 - 1) and years[0].complete
    assert years[1].value == pytest.approx(0.9 * 1.05 - 1) and not years[1].complete
    # a series ending on the last trading day of December completes that year
    dates = np.array(["2020-12-31", "2021-06-30", "2021-12-31"], dtype="datetime64[D]")
    assert yearly_returns(np.array([0.1, 0.1]), dates)[0].complete
    # starting on the first trading day of a year misses that day's return: partial
    dates = np.array(["2021-01-04", "2021-06-30", "2021-12-31"], dtype="datetime64[D]")
    assert not yearly_returns(np.array([0.1, 0.1]), dates)[0].complete


def test_tracking_error_and_information_ratio() -> None:
    r = np.array([0.01, 0.02, 0.0, 0.01])
    b = np.array([0.0, 0.01, 0.01, 0.0])
    cmp = compare_to_benchmark(r, b, "AOR", "2020-01-01", "2020-01-07")
    # active returns 0.01, 0.01, -0.01, 0.01: mean 0.005, sample deviation 0.01
    assert cmp.tracking_error == pytest.approx(0.01 * SQRT252)
    assert cmp.information_ratio == pytest.approx(0.005 * 252 / (0.01 * SQRT252))
    assert cmp.excess_return == pytest.approx(cagr(r) - cagr(b))


def test_summary_of_a_hand_checked_backtest() -> None:
    """The 2-asset case of the engine tests: 10 bp, one rebalance on day 1. The purchase on
    day 0 keeps 1/1.001 of the 1000 put in; then the portfolio grows 1.04985 on day 1 (after
    the rebalance's cost) and 19/18 on day 2. The return is measured from the 1000 put in,
    so every cost counts; two days are not annualised and measure no risk."""
    prices = np.array([[10.0, 10.0], [12.0, 9.0], [12.0, 10.0]])
    dates = np.array(["2024-01-30", "2024-01-31", "2024-02-01"], dtype="datetime64[D]")
    result = simulate(prices, dates, np.array([0.5, 0.5]),
                      RebalanceRule.calendar(Frequency.MONTHLY), costs=CostModel(bps=10),
                      cash_flows=CashFlowPlan(initial=1000))
    s = summarize(result, risk_free_daily=0.0)
    assert s.total_return == pytest.approx(1.04985 * 19 / 18 / 1.001 - 1)
    assert s.total_return == pytest.approx(s.final_value / 1000 - 1)
    assert s.rebalances == 1
    x = 1000 / 1.001
    assert s.total_costs == pytest.approx(1000 - x + 0.00015 * x)
    assert not s.annualised and not s.risk_measured
    for figure in (s.cagr, s.cost_drag, s.turnover, s.calmar, s.volatility, s.sharpe,
                   s.sortino):
        assert math.isnan(figure)
    assert s.start == "2024-01-30" and s.end == "2024-02-01"
    assert s.benchmark is None


def test_summary_annualises_a_year_or_more() -> None:
    """From 252 daily returns on: CAGR from the capital put in, cost drag (every cost, the
    purchase included) and turnover per year."""
    rng = np.random.default_rng(3)
    prices = 10 * np.cumprod(1 + rng.normal(0.0002, 0.01, (301, 2)), axis=0)
    dates = pd.bdate_range("2021-01-04", periods=301).to_numpy(dtype="datetime64[D]")
    result = simulate(prices, dates, np.array([0.5, 0.5]),
                      RebalanceRule.calendar(Frequency.MONTHLY), costs=CostModel(bps=10),
                      cash_flows=CashFlowPlan(initial=1000))
    s = summarize(result)
    assert s.annualised and s.risk_measured
    assert s.cagr == pytest.approx((s.final_value / 1000) ** (252 / 300) - 1)
    free = simulate(prices, dates, np.array([0.5, 0.5]),
                    RebalanceRule.calendar(Frequency.MONTHLY), cash_flows=CashFlowPlan(1000))
    assert s.cost_drag == pytest.approx(summarize(free).cagr - s.cagr, rel=1e-6)
    assert s.turnover == pytest.approx(result.event_turnover.sum() / (300 / 252))
    assert s.calmar == pytest.approx(s.cagr / abs(s.max_drawdown))


@pytest.mark.parametrize("days, risk, annual", [
    (2, False, False), (MIN_RISK_RETURNS, False, False), (MIN_RISK_RETURNS + 1, True, False),
    (252, True, False), (253, True, True)])
def test_short_periods_are_neither_annualised_nor_given_ratios(days: int, risk: bool,
                                                               annual: bool) -> None:
    """Below MIN_RISK_RETURNS daily returns no volatility, Sharpe or Sortino; below a year
    (252 returns) no CAGR, Calmar or per-year figure; the total return is always there."""
    rng = np.random.default_rng(days)
    prices = 10 * np.cumprod(1 + rng.normal(0, 0.01, (days, 2)), axis=0)
    dates = pd.bdate_range("2020-01-02", periods=days).to_numpy(dtype="datetime64[D]")
    bench = 20 * np.cumprod(1 + rng.normal(0, 0.01, days))
    result = simulate(prices, dates, np.array([0.5, 0.5]), RebalanceRule.never())
    s = summarize(result, 0.0, "0%", bench, "AOR")
    r = result.daily_returns
    assert s.total_return == pytest.approx(total_return(r))
    assert s.risk_measured is risk and s.annualised is annual
    assert (not math.isnan(s.volatility)) is risk and (not math.isnan(s.sortino)) is risk
    assert (not math.isnan(s.sharpe)) is risk
    assert (not math.isnan(s.cagr)) is annual and (not math.isnan(s.turnover)) is annual
    if annual:
        assert s.cagr == pytest.approx(cagr(r))
    else:
        assert math.isnan(s.calmar) and math.isnan(s.cost_drag)
    b = s.benchmark
    assert b is not None and b.total_return == pytest.approx(bench[-1] / bench[0] - 1)
    assert (not math.isnan(b.tracking_error)) is risk
    assert (not math.isnan(b.information_ratio)) is risk
    assert (not math.isnan(b.cagr)) is annual and (not math.isnan(b.excess_return)) is annual


def test_summary_with_benchmark_and_risk_free_series() -> None:
    rng = np.random.default_rng(5)
    prices = 10 * np.cumprod(1 + rng.normal(0, 0.01, (500, 2)), axis=0)
    dates = np.arange(np.datetime64("2020-01-01"), np.datetime64("2021-12-31"))
    dates = dates[np.is_busday(dates)][:500]
    result = simulate(prices, dates, np.array([0.6, 0.4]), RebalanceRule.never())
    bench = 50 * np.cumprod(1 + rng.normal(0, 0.01, 500))
    bench[:100] = np.nan                          # starts later than the portfolio
    rf = np.full(500, 0.02 / 252)
    s = summarize(result, rf, "2%", bench, "AOR")
    r = result.daily_returns
    assert s.sharpe == pytest.approx(sharpe_ratio(r, 0.02 / 252))
    assert s.benchmark is not None and s.benchmark.start == str(dates[100])
    b = bench[101:] / bench[100:-1] - 1
    assert s.benchmark.tracking_error == pytest.approx(np.std(r[100:] - b, ddof=1) * SQRT252)
    assert s.benchmark.cagr == pytest.approx((bench[-1] / bench[100]) ** (252 / 399) - 1)
