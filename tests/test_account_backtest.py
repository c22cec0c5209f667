"""Backtests in whole shares (``whole_shares: true``) are replays of an account: stepping an
account day by day through review -> trade list -> apply fills gives the same path."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.domain.account_backtest import day_policy
from roboadvisor.domain.backtest import CashFlowPlan, CostModel, EventKind, simulate
from roboadvisor.domain.rebalancing import Bands, Frequency, RebalanceRule, period_end_mask
from roboadvisor.domain.review import AccountFacts, plan_trades, review
from roboadvisor.domain.trade_list import TradeRules, apply_fills
from tests.conftest import RESOURCES

TICKERS = ("A", "B", "C", "D")
W = np.array([0.4, 0.3, 0.2, 0.1])


def _prices(days: int = 700, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    start = np.array([250.0, 80.0, 40.0, 120.0])
    prices = start * np.exp(np.cumsum(rng.normal(0.0002, 0.014, (days, 4)), axis=0))
    dates = np.arange(np.datetime64("2018-01-01"), np.datetime64("2021-12-31"))
    dates = dates[np.is_busday(dates)][:days]
    return prices, dates


def _replay(prices, dates, rule, costs, plan, rules):
    """An account stepped one close at a time, the way `account rebalance --apply` would."""
    fees = costs.fees(TICKERS)
    rules = TradeRules(reserve=rules.reserve, min_trade=rules.min_trade, fees=fees)
    calendar = (period_end_mask(dates, rule.frequency) if rule.frequency is not None
                else np.zeros(len(dates), dtype=bool))
    flow_days = (period_end_mask(dates, plan.frequency) if plan.frequency is not None
                 else np.zeros(len(dates), dtype=bool))
    calendar[0] = flow_days[0] = False
    shares, cash = np.zeros(len(TICKERS)), plan.initial
    values, cash_path = [], []
    for day in range(len(dates)):
        p = prices[day]
        flow = plan.amount if flow_days[day] else 0.0
        policy, scheduled = day_policy(rule, bool(calendar[day]), rules.reserve)
        facts = AccountFacts(tier=1, pending_flow=flow, scheduled=scheduled or day == 0)
        rev = review(shares, p, cash, W[None, :], np.ones(4, dtype=int), facts, policy)
        trades = plan_trades(shares, p, cash, rev, rules, policy, tickers=TICKERS)
        if trades is not None:
            assert all(o.shares == int(o.shares) for o in trades.orders)
            shares, cash = apply_fills(shares, cash, trades.orders, trades.flow)
        values.append(float(shares @ p) + cash)
        cash_path.append(cash)
        if values[-1] <= 0:
            break
    return np.array(values), np.array(cash_path)


CASES = [
    (RebalanceRule.never(), CostModel(), CashFlowPlan(20_000.0)),
    (RebalanceRule.calendar(Frequency.MONTHLY), CostModel(bps=10),
     CashFlowPlan(20_000.0, 400.0, Frequency.MONTHLY)),
    (RebalanceRule.threshold(Bands.five_twenty_five()), CostModel(bps=5, fixed=1.0),
     CashFlowPlan(50_000.0, -900.0, Frequency.QUARTERLY)),
    (RebalanceRule.drift(0.02), CostModel(bps=5), CashFlowPlan(30_000.0)),
    (RebalanceRule.calendar_bands(Frequency.QUARTERLY, Bands(absolute=0.02)),
     CostModel(bps=5), CashFlowPlan(30_000.0, 300.0, Frequency.MONTHLY)),
    (RebalanceRule.calendar(Frequency.QUARTERLY), CostModel(bps=5),
     CashFlowPlan(10_000.0, -2_500.0, Frequency.QUARTERLY)),
]


@pytest.mark.parametrize("rule, costs, plan", CASES, ids=lambda x: getattr(x, "kind", ""))
def test_backtest_equals_an_account_replayed_day_by_day(rule, costs, plan) -> None:
    prices, dates = _prices()
    rules = TradeRules(min_trade=50.0, reserve=100.0)
    result = simulate(prices, dates, W, rule, tickers=TICKERS, costs=costs, cash_flows=plan,
                      trade_rules=rules)
    values, cash = _replay(prices, dates, rule, costs, plan, rules)
    stop = len(values)
    np.testing.assert_allclose(result.values[:stop], values, rtol=1e-12)
    np.testing.assert_allclose(result.cash[:stop], cash, rtol=1e-12, atol=1e-9)
    if result.depleted_day is not None:
        assert stop == result.depleted_day + 1 and not result.values[stop:].any()
    else:
        assert stop == len(dates)
    # whole shares: the traded values are whole multiples of the prices of their day
    units = result.event_trades / prices[result.event_days]
    np.testing.assert_allclose(units, np.rint(units), atol=1e-9)
    assert result.event_kinds[0] is EventKind.INITIAL


def test_whole_shares_keep_cash_and_stay_close_to_the_fractional_engine() -> None:
    prices, dates = _prices()
    rule = RebalanceRule.calendar(Frequency.QUARTERLY)
    plan = CashFlowPlan(100_000.0)
    whole = simulate(prices, dates, W, rule, tickers=TICKERS, costs=CostModel(bps=5),
                     cash_flows=plan, trade_rules=TradeRules())
    frac = simulate(prices, dates, W, rule, tickers=TICKERS, costs=CostModel(bps=5),
                    cash_flows=plan)
    assert np.all(whole.cash >= 0)
    assert whole.cash.max() < prices.max() * 2
    assert abs(whole.final_value / frac.final_value - 1) < 0.01
    assert whole.rebalance_count == frac.rebalance_count


def test_a_withdrawal_never_buys_and_a_deposit_never_sells() -> None:
    prices, dates = _prices()
    for amount in (500.0, -500.0):
        res = simulate(prices, dates, W, RebalanceRule.never(), tickers=TICKERS,
                       costs=CostModel(bps=5),
                       cash_flows=CashFlowPlan(20_000.0, amount, Frequency.MONTHLY),
                       trade_rules=TradeRules())
        flows = [k for k in res.event_kinds if k is EventKind.CASH_FLOW]
        assert flows
        trades = res.event_trades[[k is EventKind.CASH_FLOW for k in res.event_kinds]]
        assert np.all(trades >= 0) if amount > 0 else np.all(trades <= 0)


def test_whole_shares_config_runs_from_the_cli(tmp_path) -> None:
    fix = RESOURCES / "backtest"
    text = (fix / "weights_monthly.yaml").read_text().replace(
        "prices: prices.csv", f"prices: {fix / 'prices.csv'}")
    config = tmp_path / "whole.yaml"
    config.write_text(text + "whole_shares: {min_trade: 25}\n")
    result = CliRunner().invoke(app, ["backtest", "run", str(config), "--json"])
    assert result.exit_code == 0, result.output
    whole = json.loads(result.stdout)
    plain = tmp_path / "plain.yaml"
    plain.write_text(text)
    base = json.loads(CliRunner().invoke(app, ["backtest", "run", str(plain), "--json"]).stdout)
    assert base["whole_shares"] is None
    assert whole["whole_shares"]["min_trade"] == 25.0
    assert 0 <= whole["whole_shares"]["cash_left"] < 10_000
    assert whole["summary"] != base["summary"]
    table = CliRunner().invoke(app, ["backtest", "run", str(config)])
    assert "whole shares, min order 25" in table.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(text + "whole_shares: {lot: 3}\n")
    error = CliRunner().invoke(app, ["backtest", "run", str(bad)])
    assert error.exit_code == 2 and "whole_shares: unknown field(s) lot" in error.stderr
