"""The backtest engine: agreement with bt, and small cases checked by hand (drift, costs,
contributions, withdrawals, fixed costs, depletion)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roboadvisor.domain.backtest import (
    CashFlowPlan,
    CostModel,
    EventKind,
    TargetSchedule,
    simulate,
    waterfill,
)
from roboadvisor.domain.rebalancing import Bands, Frequency, RebalanceRule
from roboadvisor.errors import BacktestError

# bt's ffn dependency asks pandas for infer_freq strings, which pandas 3 warns about.
pytestmark = pytest.mark.filterwarnings("ignore:A future version of pandas will return")

MONTHLY = RebalanceRule.calendar(Frequency.MONTHLY)
NEVER = RebalanceRule.never()


def _d(*days: str) -> np.ndarray:
    return np.array(days, dtype="datetime64[D]")


def _synthetic(seed: int, days: int, n: int, start: str = "2015-01-02"
               ) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    prices = 100 * np.cumprod(1 + rng.normal(0.0003, 0.012, (days, n)), axis=0)
    frame = pd.DataFrame(prices, index=pd.bdate_range(start, periods=days),
                         columns=[f"T{i}" for i in range(n)])
    w = rng.dirichlet(np.ones(n))
    return frame, w


def _bt_final_and_curve(frame: pd.DataFrame, w: np.ndarray, run_algo: object,
                        initial: float = 1e6) -> pd.Series:
    """bt with RunX(run_on_end_of_period=True) -> WeighTarget -> Rebalance, fractional units."""
    bt = pytest.importorskip("bt")
    weights = pd.DataFrame(np.tile(w, (len(frame), 1)), index=frame.index, columns=frame.columns)
    strategy = bt.Strategy("s", [run_algo, bt.algos.WeighTarget(weights), bt.algos.Rebalance()])
    test = bt.Backtest(strategy, frame, initial_capital=initial, integer_positions=False,
                       progress_bar=False)
    return bt.run(test).backtests["s"].strategy.values


@pytest.mark.parametrize("frequency", [Frequency.MONTHLY, Frequency.QUARTERLY,
                                       Frequency.ANNUAL])
def test_fixed_weights_without_costs_match_bt(frequency: Frequency) -> None:
    bt = pytest.importorskip("bt")
    algo = {Frequency.MONTHLY: bt.algos.RunMonthly, Frequency.QUARTERLY: bt.algos.RunQuarterly,
            Frequency.ANNUAL: bt.algos.RunYearly}[frequency](run_on_end_of_period=True)
    frame, w = _synthetic(7, 900, 6)
    curve = _bt_final_and_curve(frame, w, algo)
    dates = frame.index.to_numpy(dtype="datetime64[D]")
    result = simulate(frame.to_numpy(), dates, w, RebalanceRule.calendar(frequency),
                      cash_flows=CashFlowPlan(initial=1e6))
    assert result.final_value == pytest.approx(float(curve.iloc[-1]), rel=1e-6)
    # bt's first row is the day before the data; every day after it agrees too
    np.testing.assert_allclose(result.values, curve.to_numpy()[1:], rtol=1e-9)


def test_general_loop_matches_bt_too() -> None:
    """A schedule that repeats the same targets takes the general loop, not the fast path."""
    bt = pytest.importorskip("bt")
    frame, w = _synthetic(11, 700, 4)
    curve = _bt_final_and_curve(frame, w, bt.algos.RunMonthly(run_on_end_of_period=True))
    schedule = TargetSchedule(np.array([0, 300]), np.vstack([w, w]))
    result = simulate(frame.to_numpy(), frame.index.to_numpy(dtype="datetime64[D]"), schedule,
                      MONTHLY, cash_flows=CashFlowPlan(initial=1e6))
    assert result.final_value == pytest.approx(float(curve.iloc[-1]), rel=1e-9)


def test_a_first_day_that_ends_a_month_is_only_the_purchase() -> None:
    bt = pytest.importorskip("bt")
    frame, w = _synthetic(5, 80, 3, start="2000-01-31")       # a month end
    curve = _bt_final_and_curve(frame, w, bt.algos.RunMonthly(run_on_end_of_period=True))
    result = simulate(frame.to_numpy(), frame.index.to_numpy(dtype="datetime64[D]"), w,
                      MONTHLY, cash_flows=CashFlowPlan(initial=1e6))
    assert result.event_kinds.count(EventKind.INITIAL) == 1 and result.event_days[1] > 0
    np.testing.assert_allclose(result.values, curve.to_numpy()[1:], rtol=1e-12)


@pytest.mark.realdata
def test_real_prices_match_bt(real_prices_csv: object) -> None:
    bt = pytest.importorskip("bt")
    frame = pd.read_csv(real_prices_csv, index_col=0, parse_dates=True)
    frame = frame[["SPY", "EFA", "TLT", "LQD", "SHY", "GLD"]].loc["2005-01-01":].dropna()
    w = np.array([0.3, 0.2, 0.15, 0.15, 0.1, 0.1])
    curve = _bt_final_and_curve(frame, w, bt.algos.RunMonthly(run_on_end_of_period=True))
    result = simulate(frame.to_numpy(), frame.index.to_numpy(dtype="datetime64[D]"), w, MONTHLY,
                      cash_flows=CashFlowPlan(initial=1e6))
    assert result.final_value == pytest.approx(float(curve.iloc[-1]), rel=1e-6)


# --- hand-checked small cases ------------------------------------------------------------------
def test_drift_without_rebalancing() -> None:
    prices = np.array([[10.0, 20.0], [11.0, 18.0], [12.0, 20.0]])
    result = simulate(prices, _d("2024-01-30", "2024-01-31", "2024-02-01"),
                      np.array([0.5, 0.5]), NEVER, cash_flows=CashFlowPlan(initial=1000))
    # 50 units of A, 25 of B
    np.testing.assert_allclose(result.values, [1000, 50 * 11 + 25 * 18, 50 * 12 + 25 * 20])
    np.testing.assert_allclose(result.final_weights, [600 / 1100, 500 / 1100])
    assert result.rebalance_count == 0


def test_proportional_costs_on_purchase_and_rebalance() -> None:
    """10 bp on traded value. Day 0 buys with 1000: x = 1000 - 0.001 x. Day 1 (month end)
    A is 0.6x, B 0.45x; after rebalancing to y, A sells 0.6x - y/2 and B buys y/2 - 0.45x,
    so y = 1.05x - 0.001 (0.6x - 0.45x)."""
    prices = np.array([[10.0, 10.0], [12.0, 9.0], [12.0, 10.0]])
    result = simulate(prices, _d("2024-01-30", "2024-01-31", "2024-02-01"),
                      np.array([0.5, 0.5]), MONTHLY, costs=CostModel(bps=10),
                      cash_flows=CashFlowPlan(initial=1000))
    x = 1000 / 1.001
    y = 1.05 * x - 0.001 * 0.15 * x
    np.testing.assert_allclose(result.values, [x, y, y / 2 + y / 2 * 10 / 9], rtol=1e-12)
    np.testing.assert_allclose(result.costs, [1000 - x, 0.00015 * x, 0], rtol=1e-9)
    np.testing.assert_allclose(result.event_trades[1], [y / 2 - 0.6 * x, y / 2 - 0.45 * x])
    # one-way turnover: the smaller of bought (B) and sold (A) over the value before trading
    assert result.event_turnover[1] == pytest.approx((y / 2 - 0.45 * x) / (1.05 * x))
    # each trade day sits on target after costs
    np.testing.assert_allclose(result.final_weights, [0.5 * 12 / 12, 0.5 * 10 / 9]
                               / np.sum([0.5, 0.5 * 10 / 9]))


def test_returns_are_measured_from_the_capital_put_in() -> None:
    """The initial purchase cost counts: with no flows the daily returns compound to final
    value / initial - 1, the first one measured from the initial capital before costs; the
    gross returns leave every cost out, the purchase's included."""
    prices = np.array([[10.0, 10.0], [12.0, 9.0], [12.0, 10.0], [11.0, 10.5]])
    dates = _d("2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02")
    costs = CostModel(bps=10, fixed=1)
    result = simulate(prices, dates, np.array([0.5, 0.5]), MONTHLY, costs=costs,
                      cash_flows=CashFlowPlan(initial=1000))
    assert result.costs[0] > 0
    r = result.daily_returns
    assert r[0] == pytest.approx(result.values[1] / 1000 - 1)
    assert np.prod(1 + r) == pytest.approx(result.final_value / 1000)
    free = simulate(prices, dates, np.array([0.5, 0.5]), MONTHLY,
                    cash_flows=CashFlowPlan(initial=1000))
    np.testing.assert_allclose(result.gross_daily_returns, free.daily_returns, rtol=1e-12)


def test_per_asset_costs_and_fixed_cost_per_trade() -> None:
    costs = CostModel(bps=0, per_asset_bps=(("B", 20.0),), fixed=1.0)
    np.testing.assert_allclose(costs.rates(("A", "B")), [0.0, 0.002])
    prices = np.array([[10.0, 10.0], [10.0, 10.0]])
    result = simulate(prices, _d("2024-01-30", "2024-01-31"), np.array([0.5, 0.5]), NEVER,
                      tickers=("A", "B"), costs=costs, cash_flows=CashFlowPlan(initial=1000))
    # x = 1000 - 0.002 * x / 2 - 2 (two trades at 1 each)
    x = 998 / 1.001
    assert result.values[0] == pytest.approx(x, rel=1e-12)
    assert result.costs[0] == pytest.approx(1000 - x, rel=1e-9)


def test_contribution_buys_the_underweight_asset_first() -> None:
    prices = np.array([[10.0, 10.0], [12.0, 9.0], [12.0, 9.0]])
    dates = _d("2024-01-30", "2024-01-31", "2024-02-01")
    flows = CashFlowPlan(initial=1000, amount=100, frequency=Frequency.MONTHLY)
    result = simulate(prices, dates, np.array([0.5, 0.5]), NEVER, cash_flows=flows)
    # day 1: A 600, B 450; with 100 more the target is 575 each: B is 125 short, A is over
    np.testing.assert_allclose(result.event_trades[1], [0.0, 100.0])
    assert result.event_kinds[1] is EventKind.CASH_FLOW
    np.testing.assert_allclose(result.values, [1000, 1150, 1150])
    np.testing.assert_allclose(result.flows, [0, 100, 0])
    # the time-weighted return of day 1 excludes the contribution
    assert result.daily_returns[0] == pytest.approx(0.05)


def test_contribution_that_leaves_a_band_breach_rebalances_fully() -> None:
    prices = np.array([[10.0, 10.0], [12.0, 9.0], [12.0, 9.0]])
    dates = _d("2024-01-30", "2024-01-31", "2024-02-01")
    flows = CashFlowPlan(initial=1000, amount=100, frequency=Frequency.MONTHLY)
    # after the flow A would be 600/1150 = 52.2%: outside a 2-point band, inside a 5-point one
    tight = simulate(prices, dates, np.array([0.5, 0.5]),
                     RebalanceRule.threshold(Bands(absolute=0.02)), cash_flows=flows)
    np.testing.assert_allclose(tight.event_trades[1], [-25.0, 125.0])
    assert tight.event_kinds[1] is EventKind.REBALANCE
    loose = simulate(prices, dates, np.array([0.5, 0.5]),
                     RebalanceRule.threshold(Bands(absolute=0.05)), cash_flows=flows)
    np.testing.assert_allclose(loose.event_trades[1], [0.0, 100.0])


def test_withdrawal_sells_the_overweight_asset_first() -> None:
    prices = np.array([[10.0, 10.0], [12.0, 9.0], [12.0, 9.0]])
    flows = CashFlowPlan(initial=1000, amount=-100, frequency=Frequency.MONTHLY)
    result = simulate(prices, _d("2024-01-30", "2024-01-31", "2024-02-01"),
                      np.array([0.5, 0.5]), NEVER, cash_flows=flows)
    # target after the withdrawal: 475 each; A is 125 over, B 25 under
    np.testing.assert_allclose(result.event_trades[1], [-100.0, 0.0])
    np.testing.assert_allclose(result.values, [1000, 950, 950])
    assert result.flows[1] == pytest.approx(-100)


def test_withdrawals_that_exhaust_the_portfolio_are_recorded() -> None:
    prices = np.full((70, 1), 10.0)
    dates = pd.bdate_range("2024-01-02", periods=70).to_numpy(dtype="datetime64[D]")
    flows = CashFlowPlan(initial=1000, amount=-600, frequency=Frequency.MONTHLY)
    result = simulate(prices, dates, np.array([1.0]), NEVER, cash_flows=flows)
    jan_end, feb_end = 21, 42  # last business days of January and February 2024
    assert str(dates[jan_end]) == "2024-01-31" and str(dates[feb_end]) == "2024-02-29"
    assert result.values[jan_end] == pytest.approx(400)
    assert result.depleted_day == feb_end
    assert result.flows[feb_end] == pytest.approx(-400)
    assert np.all(result.values[feb_end:] == 0)
    assert result.daily_returns.size == feb_end


def test_target_changes_apply_from_their_day() -> None:
    prices = np.ones((60, 2))
    dates = pd.bdate_range("2024-01-02", periods=60).to_numpy(dtype="datetime64[D]")
    schedule = TargetSchedule(np.array([0, 30]), np.array([[1.0, 0.0], [0.0, 1.0]]))
    result = simulate(prices, dates, schedule, MONTHLY)
    # new targets on day 30 (in February); traded at the February month end (day 42)
    np.testing.assert_allclose(result.targets_on(29), [1, 0])
    np.testing.assert_allclose(result.targets_on(30), [0, 1])
    assert str(dates[42]) == "2024-02-29"
    assert [int(d) for d in result.event_days] == [0, 21, 42]
    np.testing.assert_allclose(result.final_weights, [0, 1])


def test_waterfill_fills_the_largest_gaps_first() -> None:
    np.testing.assert_allclose(waterfill(np.array([3.0, 1.0, 0.0]), 2.0), [2.0, 0.0, 0.0])
    np.testing.assert_allclose(waterfill(np.array([3.0, 1.0, 0.0]), 3.5), [2.75, 0.75, 0.0])
    np.testing.assert_allclose(waterfill(np.array([1.0, 1.0]), 4.0), [2.0, 2.0])


def test_bad_prices_are_refused_with_the_ticker_and_date() -> None:
    prices = np.array([[10.0, 10.0], [10.0, np.nan]])
    with pytest.raises(BacktestError, match="AGG on 2024-01-31"):
        simulate(prices, _d("2024-01-30", "2024-01-31"), np.array([0.5, 0.5]), NEVER,
                 tickers=("VTI", "AGG"))


@pytest.mark.parametrize("bad", [np.inf, np.nan, 0.0, -2.0])
@pytest.mark.parametrize("weights", [[0.5, 0.5, 0.0], [0.0, 0.3, 0.7]])
@pytest.mark.parametrize("rule", [NEVER, RebalanceRule.calendar(Frequency.MONTHLY),
                                  RebalanceRule.drift(0.05)], ids=["never", "monthly", "drift"])
def test_every_bad_price_is_refused_on_every_path(bad: float, weights: list[float],
                                                  rule: RebalanceRule) -> None:
    """On the fixed-weight path an infinite price is found from the values (issue 14): also
    one that a zero weight multiplies, and one on a rebalancing day."""
    dates = pd.bdate_range("2024-01-02", periods=60).to_numpy(dtype="datetime64[D]")
    for row, col in [(0, 2), (20, 0), (21, 1), (59, 2)]:
        prices = np.full((60, 3), 10.0)
        prices[row, col] = bad
        with pytest.raises(BacktestError, match=f"{'ABC'[col]} on {dates[row]}"):
            simulate(prices, dates, np.array(weights), rule, tickers=("A", "B", "C"))


def test_a_contribution_below_the_fixed_cost_is_refused() -> None:
    prices = np.full((30, 2), 10.0)
    dates = pd.bdate_range("2024-01-02", periods=30).to_numpy(dtype="datetime64[D]")
    flows = CashFlowPlan(initial=1000, amount=2, frequency=Frequency.MONTHLY)
    with pytest.raises(BacktestError, match="fixed cost"):
        simulate(prices, dates, np.array([0.5, 0.5]), NEVER, costs=CostModel(fixed=5),
                 cash_flows=flows)


def test_targets_must_be_long_only_and_sum_to_one() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        TargetSchedule.fixed(np.array([0.5, 0.4]))
    with pytest.raises(ValueError, match="non-negative"):
        TargetSchedule.fixed(np.array([1.5, -0.5]))


# --- invariants -----------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 5000), n=st.integers(1, 4), days=st.integers(25, 250),
       bps=st.floats(0, 50), fixed=st.floats(0, 5),
       amount=st.one_of(st.just(0.0), st.floats(-300, -20), st.floats(20, 300)),
       rule=st.sampled_from([NEVER, MONTHLY, RebalanceRule.threshold(Bands.five_twenty_five()),
                             RebalanceRule.drift(0.03),
                             RebalanceRule.calendar_bands(Frequency.MONTHLY,
                                                          Bands(absolute=0.02))]))
def test_money_is_accounted_for(seed: int, n: int, days: int, bps: float, fixed: float,
                                amount: float, rule: RebalanceRule) -> None:
    """Between trades value follows the held units; on trade days value = value before +
    flow - costs; a full rebalance lands on target; costs are never negative."""
    rng = np.random.default_rng(seed)
    prices = 20 * np.cumprod(1 + rng.normal(0, 0.015, (days, n)), axis=0)
    dates = pd.bdate_range("2022-01-03", periods=days).to_numpy(dtype="datetime64[D]")
    w = rng.dirichlet(np.ones(n))
    flows = CashFlowPlan(initial=10_000, amount=amount, frequency=Frequency.MONTHLY)
    res = simulate(prices, dates, w, rule, costs=CostModel(bps=bps, fixed=fixed),
                   cash_flows=flows)
    assert np.all(res.costs >= 0) and np.all(res.values >= 0)
    units = np.zeros(n)
    events = dict(zip(res.event_days.tolist(), range(res.event_days.size), strict=True))
    for t in range(days):
        before = float(units @ prices[t])
        if t in events:
            k = events[t]
            start = 10_000 if t == 0 else before
            assert res.event_values[k] == pytest.approx(start + res.flows[t], rel=1e-9)
            assert res.values[t] == pytest.approx(start + res.flows[t] - res.costs[t],
                                                  rel=1e-9, abs=1e-6)
            after = units * prices[t] + res.event_trades[k]
            assert after.sum() == pytest.approx(res.values[t], rel=1e-9, abs=1e-6)
            if res.event_kinds[k] is not EventKind.CASH_FLOW and res.values[t] > 0:
                np.testing.assert_allclose(after / after.sum(), w, atol=1e-9)
            units = after / prices[t]
        else:
            assert res.values[t] == pytest.approx(before, rel=1e-12)
        if res.depleted_day is not None and t >= res.depleted_day:
            break


def test_dates_must_increase_and_a_missing_date_is_refused() -> None:
    prices = np.full((4, 2), 10.0)
    dates = np.array(["2024-01-02", "2024-01-03", "NaT", "2024-01-05"], dtype="datetime64[D]")
    with pytest.raises(BacktestError, match="strictly increasing"):
        simulate(prices, dates, np.array([0.5, 0.5]), NEVER)
    with pytest.raises(BacktestError, match="strictly increasing"):
        simulate(prices, dates[[0, 1, 1, 3]], np.array([0.5, 0.5]), NEVER)
