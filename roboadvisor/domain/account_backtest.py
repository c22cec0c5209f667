"""The backtest of an account in whole shares (backtest option ``whole_shares: true``).

The same per-account step as the live book (``review.review`` -> ``review.plan_trades`` ->
``trade_list.apply_fills``) run over the days of a price history, so a backtest is a replay of
an account: shares and cash, whole-share orders, a minimum trade and the shared cost model,
a cash reserve. The conventions of ``backtest.py`` hold (trades at the close; calendar dates
are period ends; bands and drift rules checked at every close on the invested weights; cash
flows at period ends of their frequency, flow first, then a full rebalance if the rule still
fires; new targets alone do not trade), with what whole shares change:

- holdings are shares and the cash left over (``BacktestResult.cash``) is part of the value;
- a rule that fires may leave the account outside its band when no whole-share trade helps
  (the trade list is then empty with its reason), and is checked again the next close;
- a withdrawal the account cannot pay sells everything and pays what there is
  (``depleted_day``).

Days without a stop are filled with array arithmetic (``prices[a:b] @ shares + cash``); daily
rules are tested on whole stretches of days at once, as in the fractional engine.
"""

from __future__ import annotations

import numpy as np

from roboadvisor.domain.rebalancing import RebalanceRule, RuleKind
from roboadvisor.domain.review import AccountFacts, ReviewPolicy, plan_trades, review
from roboadvisor.domain.trade_list import TradeMode, TradeRules, apply_fills

_CHUNK = 64


def day_policy(rule: RebalanceRule, calendar_day: bool,
               reserve: float = 0.0) -> tuple[ReviewPolicy, bool]:
    """(review policy, scheduled) of a backtest day under ``rule``: calendar rules are
    scheduled dates; band and drift rules are the account's rule (the calendar-plus-bands
    hybrid only on calendar dates); no drift threshold besides the rule."""
    daily = rule.kind in (RuleKind.BANDS, RuleKind.DRIFT)
    checked = daily or (rule.kind is RuleKind.CALENDAR_BANDS and calendar_day)
    policy = ReviewPolicy(drift_threshold=None, rule=rule if checked else None,
                          reserve=reserve)
    return policy, rule.kind is RuleKind.CALENDAR and calendar_day


def account_step(shares: np.ndarray, prices: np.ndarray, cash: float, targets: np.ndarray,
                 rule: RebalanceRule, rules: TradeRules, *, calendar_day: bool, flow: float,
                 initial: bool = False, tickers: tuple[str, ...] | None = None):
    """One close of a whole-share account: review, plan, and the trade list (or None)."""
    policy, scheduled = day_policy(rule, calendar_day, rules.reserve)
    facts = AccountFacts(tier=1, pending_flow=flow, scheduled=scheduled or initial)
    levels = np.ones(targets.size, dtype=int)
    rev = review(shares, prices, cash, targets[None, :], levels, facts, policy)
    return plan_trades(shares, prices, cash, rev, rules, policy, tickers=tickers)


def simulate_whole_shares(prices: np.ndarray, dates: np.ndarray, schedule, rule: RebalanceRule,
                          tickers: tuple[str, ...], fees, calendar: np.ndarray,
                          flow_days: np.ndarray, amount: float, initial: float,
                          rules: TradeRules):
    """The whole-share engine; called by ``backtest.simulate`` (checked inputs) when it is
    given ``trade_rules``. Returns a ``BacktestResult``."""
    from dataclasses import replace

    from roboadvisor.domain.backtest import BacktestResult, EventKind

    rules = replace(rules, fees=fees)
    n_days, n = prices.shape
    values = np.zeros(n_days)
    cash_path = np.zeros(n_days)
    flows = np.zeros(n_days)
    costs = np.zeros(n_days)
    ev_days: list[int] = []
    ev_kinds: list[EventKind] = []
    ev_trades: list[np.ndarray] = []
    ev_values: list[float] = []
    ev_costs: list[float] = []
    shares = np.zeros(n)
    cash = float(initial)
    depleted: int | None = None
    target_day = np.zeros(n_days, dtype=bool)
    target_day[schedule.days] = True
    stops = flow_days | target_day | calendar
    stops[0] = True
    k_target = -1
    t = schedule.weights[0]

    def trade(day: int, flow: float, calendar_day: bool, first: bool) -> None:
        nonlocal shares, cash, depleted
        p = prices[day]
        result = account_step(shares, p, cash, t, rule, rules, calendar_day=calendar_day,
                              flow=flow, initial=first, tickers=tickers)
        if result is None:
            return
        before = float(shares @ p) + cash + flow
        new_shares, new_cash = apply_fills(shares, cash, result.orders, result.flow)
        kind = (EventKind.INITIAL if first else EventKind.REBALANCE
                if result.mode is TradeMode.FULL else EventKind.CASH_FLOW)
        ev_days.append(day)
        ev_kinds.append(kind)
        ev_trades.append((new_shares - shares) * p)
        ev_values.append(before)
        ev_costs.append(result.costs)
        costs[day] += result.costs
        flows[day] += result.flow
        shares, cash = new_shares, new_cash
        if float(shares @ p) + cash <= 0:
            depleted = day

    day = 0
    while day < n_days:
        if stops[day]:
            if target_day[day]:
                k_target += 1
                t = schedule.weights[k_target]
            flow = amount if flow_days[day] else 0.0
            trade(day, flow, bool(calendar[day]), day == 0)
            values[day] = float(shares @ prices[day]) + cash
            cash_path[day] = cash
            if depleted is not None:
                break
            day += 1
            continue
        stop = day
        while stop < n_days and not stops[stop]:
            stop += 1
        day = _drift(prices, day, stop, shares, cash, t, rule, values, cash_path)
        if day < stop:  # the rule fired on ``day``
            trade(day, 0.0, False, False)
            values[day] = float(shares @ prices[day]) + cash
            cash_path[day] = cash
            if depleted is not None:
                break
            day += 1
    held = prices[-1] * shares
    total = held.sum()
    final = held / total if total > 0 else held
    return BacktestResult(
        tickers=tickers, dates=dates, values=values, flows=flows, costs=costs,
        initial=float(initial), rule=rule, event_days=np.asarray(ev_days, dtype=np.int64),
        event_kinds=tuple(ev_kinds),
        event_trades=np.vstack(ev_trades) if ev_trades else np.zeros((0, n)),
        event_values=np.asarray(ev_values), event_costs=np.asarray(ev_costs),
        final_weights=final, target_days=schedule.days, target_weights=schedule.weights,
        depleted_day=depleted, cash=cash_path)


def _drift(prices: np.ndarray, a: int, b: int, shares: np.ndarray, cash: float,
           t: np.ndarray, rule: RebalanceRule, values: np.ndarray,
           cash_path: np.ndarray) -> int:
    """Fill days a..b-1 while the holdings drift; return the first day a daily rule fires
    (its value is left to the caller), or b."""
    daily = rule.kind in (RuleKind.BANDS, RuleKind.DRIFT)
    if not daily:
        values[a:b] = prices[a:b] @ shares + cash
        cash_path[a:b] = cash
        return b
    chunk = _CHUNK
    while a < b:
        stop = min(b, a + chunk)
        held = prices[a:stop] * shares
        invested = held.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(invested[:, None] > 0, held / invested[:, None], 0.0)
        fired = rule.triggered(w, t) & (invested > 0)
        if fired.any():
            f = int(np.argmax(fired))
            values[a:a + f] = invested[:f] + cash
            cash_path[a:a + f] = cash
            return a + f
        values[a:stop] = invested + cash
        cash_path[a:stop] = cash
        a = stop
        chunk *= 2
    return b
