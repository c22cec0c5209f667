"""The trade functions of the partition step (``step.TradeFunction``), module-level so that
Dask can pickle them.

- ``vectorised_trades``: ``domain.trade_batch.plan_many`` over the partition's accounts that
  need a trade (the default of ``book run``); its gap to the exact optimum is bounded
  (``trade_batch`` docstring) and measured by the benchmark.
- ``exact_trades``: the per-account path of ``account rebalance`` (``review.plan_trades`` on
  each account that needs a trade: the exact whole-share search), for runs where the trades
  must equal it; about 7 ms per traded account.
"""

from __future__ import annotations

import numpy as np

from roboadvisor.batch.step import TradeArrays, TradeInputs
from roboadvisor.domain.review import Review, ReviewPolicy, plan_trades
from roboadvisor.domain.trade_batch import plan_many
from roboadvisor.domain.trade_list import Side, TradeMode


def vectorised_trades(inputs: TradeInputs) -> TradeArrays:
    rows = np.flatnonzero(inputs.needs_trade)
    rebalance = _rebalance(inputs)[rows]
    result = plan_many(inputs.shares[rows], inputs.prices, inputs.cash[rows],
                       inputs.pending_flow[rows], inputs.targets[rows], inputs.allowed[rows],
                       rebalance, inputs.drift_threshold, inputs.rules)
    net = result.bought - result.sold
    r, asset = np.nonzero(net)
    return TradeArrays(rows[r], asset, net[r, asset], _reasons(inputs, rows[r]))


def exact_trades(inputs: TradeInputs) -> TradeArrays:
    rows = np.flatnonzero(inputs.needs_trade)
    rebalance = _rebalance(inputs)
    policy = ReviewPolicy(drift_threshold=inputs.drift_threshold, reserve=inputs.rules.reserve)
    account, asset, shares = [], [], []
    for i in rows:
        flow = float(inputs.pending_flow[i])
        mode = TradeMode.FULL if rebalance[i] else TradeMode.for_flow(flow)
        # plan_trades reads the review's mode, flow, targets and allowed products only; the
        # step has already decided them as review() does (the test checks it on every account)
        rev = Review(0, inputs.targets[i], inputs.allowed[i], 0.0, inputs.targets[i], 0.0,
                     inputs.targets[i], 0.0, (), mode, flow)
        trades = plan_trades(inputs.shares[i], inputs.prices, float(inputs.cash[i]), rev,
                             inputs.rules, policy)
        for order in () if trades is None else trades.orders:
            account.append(i)
            asset.append(order.index)
            shares.append(order.shares if order.side is Side.BUY else -order.shares)
    acc = np.array(account, dtype=np.int64)
    return TradeArrays(acc, np.array(asset, dtype=np.int64), np.array(shares, dtype=float),
                       _reasons(inputs, acc))


def _rebalance(inputs: TradeInputs) -> np.ndarray:
    if inputs.rebalance is None:
        return np.asarray(inputs.pending_flow) == 0
    return np.asarray(inputs.rebalance)


def _reasons(inputs: TradeInputs, account: np.ndarray) -> np.ndarray:
    if inputs.triggers is None:
        return np.zeros(len(account), dtype=np.uint8)
    return np.asarray(inputs.triggers, dtype=np.uint8)[account]
