"""Trade lists for many accounts at once: the rules of ``trade_list`` as array operations over
accounts x assets. Pure numpy, no I/O; the only Python loops run over assets, never accounts.

The programme of ``trade_list`` without costs (a book run has no cost model): with
T_i = t_i (V - R) the money target of asset i and cash' >= R, its objective
½ (sum_i |p_i h'_i - T_i| + cash' - R) equals the money still *under* target after trading,
``sum_i max(T_i - p_i h'_i, 0)`` (the deviations and the surplus cash sum to zero). So:

- selling an overweight down to its target changes nothing in the objective but frees cash;
- every unit of money bought into an underweight, up to its target, lowers it by one;
- selling past a target raises it by as much: done only when the reserve or a withdrawal
  needs the cash.

The vectorised shortcut, per account (sides and modes as in ``trade_list``):

1. sell every held share the level no longer allows (not on a deposit: ``BUY_ONLY``);
2. sell each overweight down to its target in whole shares (not on a deposit); when the
   underweights need more cash than that raises, one share past the target (the share's cash
   buys underweights worth as much, and the objective gains what was left over target);
3. if the cash is still below the reserve (a withdrawal), sell more from the largest
   remaining holdings; if even everything held cannot raise it, sell everything
   (``liquidated``; on a deposit: trade nothing);
4. buy the underweights (not on a withdrawal: ``SELL_ONLY``), largest gap first, whole shares
   up to the target; then with the cash left one more share (or a first order of the minimum
   trade) where it still fits, largest remaining gap first.

Every order keeps the minimum trade (or closes a position); no asset is bought and sold; no
short; cash never ends below the reserve. ``plan_many`` adds "cash flows first" of
``review.plan_trades``: a flow alone trades its own side, and when that leaves the drift above
the threshold the account is fully rebalanced instead.

How far from the exact per-account optimum (``trade_search``): the shortcut's objective J
minus the continuous optimum J_lp (fractional shares, no minimum trade), which is below the
exact whole-share optimum, is returned per account as ``gap_bound`` (a proven upper bound of
the shortfall against the exact path). A priori it is at most
``sum_i (p_i + m) + max_i (p_i + m)`` (per asset one share or one minimum order of rounding
at most, plus the cash left unspent), see ``a_priori_bound``; the test and the benchmark check
both and print the measured gap against the exact path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from roboadvisor.domain.trade_list import TradeMode, TradeRules, account_drift

MODES = tuple(TradeMode)
"""Mode codes of the ``mode`` arrays: the index in this tuple (FULL, BUY_ONLY, SELL_ONLY)."""
FULL, BUY_ONLY, SELL_ONLY = (np.int8(MODES.index(m)) for m in
                             (TradeMode.FULL, TradeMode.BUY_ONLY, TradeMode.SELL_ONLY))
_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class BatchTrades:
    """Trade lists of n accounts over A assets (whole shares).

    ``bought``/``sold``: (n, A) shares (>= 0, one side per asset); ``shares_after``,
    ``cash_after`` (the withdrawal paid); ``paid``: the flow paid in (> 0) or out (< 0);
    ``mode``: (n,) codes of ``MODES`` actually traded; ``liquidated``: everything sold;
    ``objective``: money under target after trading (J); ``gap_bound``: J minus the continuous
    optimum, an upper bound of J minus the exact optimum; ``drift_after``: decimal."""

    bought: np.ndarray
    sold: np.ndarray
    shares_after: np.ndarray
    cash_after: np.ndarray
    paid: np.ndarray
    mode: np.ndarray
    liquidated: np.ndarray
    objective: np.ndarray
    gap_bound: np.ndarray
    drift_after: np.ndarray


def check_rules(rules: TradeRules) -> None:
    """The shortcut knows whole shares and no costs; ValueError otherwise."""
    if rules.fractional or (rules.fees is not None and rules.fees.has_costs):
        raise ValueError("the vectorised trade lists take whole shares and no costs")


def a_priori_bound(prices: np.ndarray, rules: TradeRules) -> float:
    """The documented bound of the shortcut's gap to the exact optimum (money):
    ``sum_i (p_i + m) + max_i (p_i + m)``."""
    step = np.asarray(prices, dtype=float) + rules.min_trade
    return float(step.sum() + step.max())


def plan_many(shares: np.ndarray, prices: np.ndarray, cash: np.ndarray, flow: np.ndarray,
              targets: np.ndarray, allowed: np.ndarray, rebalance: np.ndarray,
              drift_threshold: float, rules: TradeRules = TradeRules()) -> BatchTrades:
    """Cash flows first (``review.plan_trades``): accounts with ``rebalance`` (a trigger that
    calls for one) trade FULL; the others trade their flow's side (``TradeMode.for_flow``) and
    are fully rebalanced instead when that leaves their drift above ``drift_threshold``.
    Accounts with neither get an empty list. Arrays: (n, A) and (n,); ``targets`` rows sum
    to 1 over allowed assets."""
    flow = np.asarray(flow, dtype=float)
    mode = np.where(rebalance, FULL, np.where(flow > 0, BUY_ONLY,
                                              np.where(flow < 0, SELL_ONLY, FULL)))
    first = trade_many(shares, prices, cash, flow, targets, allowed, mode.astype(np.int8),
                       rules)
    again = (~np.asarray(rebalance)) & (mode != FULL) & (first.drift_after > drift_threshold)
    if not again.any():
        return first
    rows = np.flatnonzero(again)
    full = trade_many(shares[rows], prices, cash[rows], flow[rows], targets[rows],
                      allowed[rows], np.full(len(rows), FULL, dtype=np.int8), rules)
    out = {name: getattr(first, name).copy() for name in BatchTrades.__dataclass_fields__}
    for name, value in out.items():
        value[rows] = getattr(full, name)
    return BatchTrades(**out)


def trade_many(shares: np.ndarray, prices: np.ndarray, cash: np.ndarray, flow: np.ndarray,
               targets: np.ndarray, allowed: np.ndarray, mode: np.ndarray,
               rules: TradeRules = TradeRules()) -> BatchTrades:
    """One trade list per account in the given ``mode`` (codes of ``MODES``); see the module
    docstring."""
    check_rules(rules)
    h = np.asarray(shares, dtype=float)
    p = np.asarray(prices, dtype=float)
    t = np.asarray(targets, dtype=float)
    ok = np.asarray(allowed, dtype=bool)
    flow = np.asarray(flow, dtype=float)
    a = h.shape[1]
    reserve, m = float(rules.reserve), float(rules.min_trade)
    c = np.asarray(cash, dtype=float) + np.maximum(flow, 0.0)
    w = np.maximum(-flow, 0.0)
    value = _dot(h, p) + c - w
    target = t * (value - reserve)[:, None]
    held = np.floor(h + _EPS)
    may_sell = (mode != BUY_ONLY)[:, None]
    may_buy = (mode != SELL_ONLY)[:, None]
    sell_lo = np.maximum(1.0, np.ceil(np.minimum(m, p * held) / p - _EPS))

    # 1-2. forced sales, then overweights down to target (whole shares, minimum trade)
    forced = ~ok & (held > 0) & may_sell
    excess = np.maximum(h * p - target, 0.0) / p
    over = np.minimum(np.floor(excess + _EPS), held)
    sold = np.where(forced, held,
                    np.where(ok & may_sell & (over >= sell_lo) & (over > 0), over, 0.0))
    budget = c - w - reserve + _dot(sold, p)
    # when the underweights need more cash than that, one share more of the overweights with
    # the most left over target (its cash buys underweights worth as much; the objective
    # gains what was left over), until the cash suffices
    want = np.where(ok & may_buy & ~(sold > 0) & ~forced,
                    np.maximum(target - h * p, 0.0), 0.0).sum(axis=1)
    up = np.minimum(np.ceil(excess - _EPS), held)
    extra_ok = ok & may_sell & (excess > _EPS) & (up >= sell_lo) & (up > sold) & ~forced
    lim = np.flatnonzero((want > budget + _EPS) & extra_ok.any(axis=1))
    if lim.size:
        left_over = np.where(extra_ok[lim], (excess[lim] - np.floor(excess[lim] + _EPS)) * p,
                             -1.0)
        order = np.argsort(-left_over, axis=1, kind="stable")
        sub, b_sub, w_sub = sold[lim], budget[lim], want[lim]
        r_sub = np.arange(lim.size)
        for j in range(a):
            col = order[:, j]
            take = extra_ok[lim, col] & (w_sub > b_sub + _EPS)
            if not take.any():
                break
            b_sub = b_sub + np.where(take, (up[lim, col] - sub[r_sub, col]) * p[col], 0.0)
            sub[r_sub, col] = np.where(take, up[lim, col], sub[r_sub, col])
        sold[lim], budget[lim] = sub, b_sub

    # 3. the reserve or a withdrawal needs more: per round, the asset that covers the rest
    # with the least sold past it, else all of the largest remaining holding
    idx = np.flatnonzero((budget < -_EPS * np.maximum(1.0, np.abs(budget))) & may_sell[:, 0])
    for _ in range(a if idx.size else 0):
        r_sub = np.arange(idx.size)
        need = -budget[idx]
        s_sub = sold[idx]
        left = held[idx] - s_sub
        k = np.maximum(np.ceil(need[:, None] / p - _EPS), np.where(s_sub > 0, 1.0, sell_lo[idx]))
        covers = (left > 0) & (k <= left)
        waste = np.where(covers, k * p - need[:, None], np.inf)
        best = np.argmin(waste, axis=1)
        largest = np.argmax(np.where(left > 0, left * p, -1.0), axis=1)
        any_cover = covers[r_sub, best]
        col = np.where(any_cover, best, largest)
        extra = np.where(any_cover, k[r_sub, col], left[r_sub, col])
        extra = np.where(left[r_sub, col] > 0, extra, 0.0)
        sold[idx, col] += extra
        budget[idx] += extra * p[col]
        idx = idx[budget[idx] < -_EPS * np.maximum(1.0, np.abs(budget[idx]))]
        idx = idx[(held[idx] - sold[idx]).max(axis=1) > 0] if idx.size else idx
        if not idx.size:
            break
    infeasible = budget < -_EPS * np.maximum(1.0, np.abs(budget))
    liquidated = infeasible & (mode != BUY_ONLY)
    sold = np.where(liquidated[:, None], held, np.where(infeasible[:, None], 0.0, sold))
    budget = np.where(infeasible, 0.0, budget)

    # 4. buys: underweights up to target, largest gap first; then one share more where it fits
    gap = np.maximum(target - (h - sold) * p, 0.0)
    buyable = ok & may_buy & (sold == 0) & (gap > 0) & ~infeasible[:, None]
    buy_lo = np.maximum(1.0, np.ceil(m / p - _EPS))
    bought = np.zeros_like(h)
    # columns in the order each account visits its assets (largest gap first)
    order = np.argsort(-np.where(buyable, gap, -1.0), axis=1, kind="stable")
    g_o = np.asfortranarray(np.take_along_axis(gap, order, axis=1))
    ok_o = np.asfortranarray(np.take_along_axis(buyable, order, axis=1))
    p_o = np.asfortranarray(p[order])
    lo_o = np.asfortranarray(buy_lo[order])
    k_o = np.zeros_like(g_o)
    for j in range(a):
        pc = p_o[:, j]
        k = np.minimum(np.floor(g_o[:, j] / pc + _EPS), np.floor(budget / pc + _EPS))
        k = np.where(ok_o[:, j] & (k >= lo_o[:, j]), k, 0.0)
        k_o[:, j] = k
        budget = budget - k * pc
    # then one share more (or a first order of the minimum trade) where it still fits,
    # largest remaining gap first
    rest_o = np.where(ok_o, g_o - k_o * p_o, -1.0)
    again = np.argsort(-rest_o, axis=1, kind="stable")
    order = np.take_along_axis(order, again, axis=1)
    k_o = np.asfortranarray(np.take_along_axis(k_o, again, axis=1))
    rest_o = np.asfortranarray(np.take_along_axis(rest_o, again, axis=1))
    p_o = np.asfortranarray(p[order])
    lo_o = np.asfortranarray(buy_lo[order])
    for j in range(a):
        pc = p_o[:, j]
        k_now = k_o[:, j].copy()
        more = np.where(k_now > 0, 1.0, lo_o[:, j])
        fits = (rest_o[:, j] > _EPS * pc) & (more * pc <= budget + _EPS)
        k_o[:, j] = np.where(fits, k_now + more, k_now)
        budget = budget - (k_o[:, j] - k_now) * pc
    np.put_along_axis(bought, order, k_o, axis=1)

    shares_after = h + bought - sold
    cash_pre = c + _dot(sold, p) - _dot(bought, p)
    out = np.minimum(w, np.maximum(cash_pre, 0.0))
    cash_after = cash_pre - out
    paid = np.where(flow > 0, flow, -out)
    objective = np.maximum(target - shares_after * p, 0.0).sum(axis=1)
    drift_after = account_drift(shares_after, p, cash_after, t, reserve)
    # an account that cannot meet its reserve trades the same on both paths (all or nothing)
    bound = np.where(infeasible, 0.0, objective - _continuous_optimum(h, p, c, w, target, ok,
                                                                       mode, reserve))
    return BatchTrades(bought, sold, shares_after, cash_after, paid, np.asarray(mode),
                       liquidated, objective, bound, drift_after)


def _dot(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Row sums of x * p: the same bits whatever the BLAS threads (a matrix product is not),
    so that every engine writes the same orders."""
    return (x * p).sum(axis=1)


def _continuous_optimum(h: np.ndarray, p: np.ndarray, c: np.ndarray, w: np.ndarray,
                        target: np.ndarray, ok: np.ndarray, mode: np.ndarray,
                        reserve: float) -> np.ndarray:
    """The objective's minimum with fractional shares and no minimum trade (a lower bound of
    every whole-share trade list): what stays under target once all the cash the mode can
    raise without adding an underweight is spent on the underweights it may buy."""
    v = h * p
    under = np.maximum(target - v, 0.0)
    sell_side = (mode != BUY_ONLY)[:, None]
    buy_side = (mode != SELL_ONLY)[:, None]
    free = np.where(sell_side, np.where(ok, np.maximum(v - target, 0.0), v), 0.0).sum(axis=1)
    cash = c - w - reserve + free
    # what cannot be bought (the mode forbids it) stays under target
    fixed = np.where(buy_side & ok, 0.0, under).sum(axis=1)
    fixable = np.where(buy_side & ok, under, 0.0).sum(axis=1)
    # short of the reserve even after selling the surplus: every further sale is a new gap
    return fixed + np.maximum(fixable - np.maximum(cash, 0.0), 0.0) + np.maximum(-cash, 0.0)
