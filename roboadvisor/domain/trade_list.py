"""Trade lists from real holdings: the whole-share integer programme of ``discrete`` extended
from "cash only" to "current holdings, cash, a reserve, costs, a minimum trade, suitability".

Pure numpy/scipy, one account per call, arrays in and a frozen ``TradeList`` out (codes and
numbers, no prose: the texts are in ``reports/messages/trading.yaml``), so that a book of
accounts can map the same function over partitions.

The account: ``shares`` held h (n), ``prices`` p per share (n), ``cash``; a pending ``flow``
(deposit > 0, withdrawal < 0) is added to the cash first. Its value is
V = h . p + cash + flow; the target keeps ``reserve`` R in cash and invests the rest at
``target_weights`` t (sum to 1): T_i = t_i (V - R) in money.

The programme, in net trades d_i (whole shares, buy > 0)::

    minimise   ½ (sum_i |p_i (h_i + d_i) - T_i| + (cash + flow - p.d - R))  +  λ costs
    subject to cash' = cash + flow - p.d - costs >= R                  (the reserve)
               -h_i <= d_i                                    (never sell more than held)
               d_i <= 0 unless allowed_i                      (no buy above the level)
               d_i = -h_i for held assets not allowed         (sold first; not when buy-only)
               |p_i d_i| >= m, or >= p_i h_i to close a position, when d_i != 0 (minimum
               trade m); one side per asset (no round trips)
               costs = sum_i rate_i p_i |d_i| + fixed * (number of orders)

The first term is the account's drift in money before costs are paid (half the sum of
absolute deviations, cash included with target R). With λ = ``cost_aversion`` >= 1 the drift
measured after trading (value net of costs) never rises when doing nothing is allowed. The
objective is separable by asset with one cash constraint: ``trade_search`` solves it exactly
(branch and bound); ``Solver.MILP`` hands the same programme to HiGHS
(``scipy.optimize.milp``, variables b, s, buy/sell indicators and |deviation|), which is also
the solver for fractional shares and the fallback when the search hits its node limit.

Modes ("cash flows first"): ``BUY_ONLY`` (a deposit: buys underweights, never sells),
``SELL_ONLY`` (a withdrawal: sells overweights, never buys), ``FULL`` (a rebalance, the pending
flow folded in). ``TradeMode.for_flow(flow)`` picks the flow mode. When no trade list meets the
reserve, a selling mode sells everything (``LIQUIDATED``) and a buy-only one trades nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

import numpy as np

from roboadvisor.domain.trade_search import Candidates, best_trades
from roboadvisor.domain.trading import Fees

DEFAULT_MIN_TRADE = 50.0

MAX_CANDIDATES = 200_000
"""The exact search lists every share count an order could have, so its time and memory grow
with the account's size (about 1 ms per 10,000 counts). Past this many counts (an account of
tens of millions) the same programme goes to HiGHS, whose time does not depend on the size."""


class TradeMode(StrEnum):
    """Which sides may trade."""

    FULL = "full"
    BUY_ONLY = "buy_only"
    SELL_ONLY = "sell_only"

    @classmethod
    def for_flow(cls, flow: float) -> TradeMode:
        """Deposit -> BUY_ONLY, withdrawal -> SELL_ONLY, none -> FULL."""
        return cls.BUY_ONLY if flow > 0 else cls.SELL_ONLY if flow < 0 else cls.FULL


class Solver(StrEnum):
    """How the programme is solved: SEARCH (exact, ``trade_search``; HiGHS after its node
    limit and for fractional shares) or MILP (HiGHS throughout, the reference)."""

    SEARCH = "search"
    MILP = "milp"


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderReason(StrEnum):
    """Why an order is in the list (catalog key ``trading.reason.<value>``)."""

    BUY_UNDERWEIGHT = "buy_underweight"
    BUY_DEPOSIT = "buy_deposit"
    SELL_OVERWEIGHT = "sell_overweight"
    SELL_WITHDRAWAL = "sell_withdrawal"
    SELL_RESERVE = "sell_reserve"
    SELL_UNSUITABLE = "sell_unsuitable"
    SELL_LIQUIDATE = "sell_liquidate"


class Outcome(StrEnum):
    """How the trade list ended (catalog key ``trading.outcome.<value>``). Every outcome but
    TRADES has no orders, except LIQUIDATED."""

    TRADES = "trades"
    ON_TARGET = "on_target"              # nothing to do
    MIN_TRADE = "min_trade"              # every useful order is below the minimum trade
    COSTS = "costs"                      # the costs outweigh the drift removed
    WHOLE_SHARES = "whole_shares"        # no whole-share trade gets closer to the target
    CASH_BELOW_RESERVE = "cash_below_reserve"   # buy-only, and the cash is under the reserve
    LIQUIDATED = "liquidated"            # the reserve or withdrawal needs every holding sold
    SOLVER_FAILED = "solver_failed"      # HiGHS found no solution in time; nothing traded


@dataclass(frozen=True)
class TradeRules:
    """An account's trading rules: ``reserve`` cash kept (currency), ``min_trade`` value of an
    order (currency), ``fees`` (a resolved ``trading.CostModel``; None = free),
    ``fractional`` shares allowed, ``cost_aversion`` λ >= 1 (weight of a unit of cost against
    a unit of drift removed), ``method`` (``Solver``; the search stops after ``node_limit``
    nodes and hands over to HiGHS, which stops after ``milp_nodes`` branch-and-bound nodes
    with the best list found and its gap), ``time_limit`` seconds for HiGHS, a safety net only.

    Limits count nodes, not seconds, so that the same account gives the same orders however
    loaded the machine is (a rebalance record must re-compute to the same orders). Since the
    search settles exact ties and hands near-subset-sum accounts to its meet-in-the-middle
    stage (``trade_search``), it proves the optimum of every list of the 10,000-account
    benchmark book itself (it used to leave about 1% to HiGHS, which stops after
    ``milp_nodes`` within about 1e-5 of the optimum's drift); HiGHS remains the safety net."""

    reserve: float = 0.0
    min_trade: float = DEFAULT_MIN_TRADE
    fees: Fees | None = None
    fractional: bool = False
    cost_aversion: float = 1.0
    time_limit: float = 60.0
    method: Solver = Solver.SEARCH
    node_limit: int = 20_000
    milp_nodes: int = 500

    def __post_init__(self) -> None:
        if not (self.reserve >= 0 and self.min_trade >= 0):
            raise ValueError("reserve and min_trade cannot be negative")
        if not self.cost_aversion >= 1:
            raise ValueError("cost_aversion below 1 could let a trade list raise the drift")


@dataclass(frozen=True)
class Order:
    """One order: ``shares`` (> 0) at ``price``; ``value`` = shares x price; ``cost`` its
    trading cost (currency); ``index`` its position in the account's arrays."""

    index: int
    ticker: str
    side: Side
    shares: float
    price: float
    value: float
    cost: float
    reason: OrderReason


@dataclass(frozen=True, eq=False)
class TradeList:
    """The orders of one account and the state they lead to.

    ``shares_after``/``cash_after``: holdings and cash once filled (flow and costs included).
    ``flow``: the cash flow actually paid in (> 0) or out (< 0); ``requested_flow`` the one
    asked for (a withdrawal larger than the account is paid only in part: ``unpaid``).
    ``drift_before``/``after``:
    half the sum of absolute deviations, cash included (decimal of value); ``costs`` total
    (currency); ``mode`` the sides allowed; ``outcome`` why there are (no) orders.
    """

    orders: tuple[Order, ...]
    shares_after: np.ndarray
    cash_after: float
    flow: float
    costs: float
    drift_before: float
    drift_after: float
    value_before: float
    value_after: float
    mode: TradeMode
    outcome: Outcome
    objective: float = field(default=0.0)
    requested_flow: float = field(default=0.0)

    @property
    def unpaid(self) -> float:
        """Currency of a withdrawal that could not be paid (the account held less), else 0."""
        return max(self.flow - self.requested_flow, 0.0)

    @property
    def bought(self) -> float:
        return float(sum(o.value for o in self.orders if o.side is Side.BUY))

    @property
    def sold(self) -> float:
        return float(sum(o.value for o in self.orders if o.side is Side.SELL))


def account_drift(shares: np.ndarray, prices: np.ndarray, cash: np.ndarray | float,
                  target_weights: np.ndarray, reserve: np.ndarray | float = 0.0) -> np.ndarray:
    """Half the sum of absolute deviations from target, cash included (target cash =
    ``reserve``), as a decimal of account value; broadcasts over leading (account) axes."""
    values = np.asarray(shares, dtype=float) * np.asarray(prices, dtype=float)
    if values.ndim == 1 and np.ndim(cash) == 0 and np.ndim(reserve) == 0:
        return np.array(_one_drift(values, float(cash), np.asarray(target_weights),
                                   float(reserve)))
    cash = np.asarray(cash, dtype=float)
    total = values.sum(axis=-1) + cash
    invest = total - reserve
    dev = np.abs(values - np.asarray(target_weights) * invest[..., None]).sum(axis=-1)
    dev = dev + np.abs(cash - reserve)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 0.5 * dev / total, 0.0)


def _one_drift(values: np.ndarray, cash: float, target_weights: np.ndarray,
               reserve: float) -> float:
    """``account_drift`` of one account, in Python floats where the arrays are scalars: the
    same operations in the same order (bit-identical), without broadcasting or an error
    state to set up, four times a rebalanced account."""
    total = float(values.sum()) + cash
    invest = total - reserve
    dev = float(np.abs(values - target_weights * invest).sum()) + abs(cash - reserve)
    return 0.5 * dev / total if total > 0 else 0.0


def trade_list(shares: np.ndarray, prices: np.ndarray, cash: float,
               target_weights: np.ndarray, rules: TradeRules = TradeRules(), *,
               tickers: tuple[str, ...] | None = None, allowed: np.ndarray | None = None,
               flow: float = 0.0, mode: TradeMode | None = None) -> TradeList:
    """The cheapest-to-target orders for one account (see the module docstring).

    ``allowed``: assets the client's level may buy (default all); ``mode`` default
    ``TradeMode.for_flow(flow)``. Raises ValueError for inconsistent arrays, a price that is
    not positive, negative holdings or a target on an asset that is not allowed.
    """
    h, p, t, ok = _check(shares, prices, target_weights, allowed)
    n = h.size
    tickers = tuple(tickers) if tickers is not None else tuple(f"A{i}" for i in range(n))
    if len(tickers) != n:
        raise ValueError(f"{n} assets but {len(tickers)} tickers")
    mode = TradeMode.for_flow(flow) if mode is None else mode
    fees = rules.fees if rules.fees is not None else Fees.zero(n)
    if fees.rates.shape != (n,):
        raise ValueError(f"fees for {fees.rates.size} assets, account has {n}")
    c = float(cash) + max(flow, 0.0)
    w_out = max(-flow, 0.0)
    value = float(h @ p) + c - w_out
    before = float(account_drift(h, p, c - w_out, t, rules.reserve))
    problem = _Problem(h, p, t, ok, c, w_out, rules, fees, mode)
    x = problem.solve()
    if x is None and problem.infeasible:
        if mode is TradeMode.BUY_ONLY:
            return _result(problem, np.zeros(n), np.zeros(n), tickers, flow, before, value,
                           Outcome.CASH_BELOW_RESERVE)
        return _liquidate(problem, tickers, flow, before, value)
    if x is None:
        return _result(problem, np.zeros(n), np.zeros(n), tickers, flow, before, value,
                       Outcome.SOLVER_FAILED)
    b, s = x
    if not (b.any() or s.any()):
        return _result(problem, b, s, tickers, flow, before, value,
                       _why_nothing(problem, before))
    return _result(problem, b, s, tickers, flow, before, value, Outcome.TRADES)


def apply_fills(shares: np.ndarray, cash: float, orders: tuple[Order, ...] | list[Order],
                flow: float = 0.0) -> tuple[np.ndarray, float]:
    """Book ``orders`` as filled at their prices: (shares, cash) after ``flow``, the orders
    and their costs."""
    out = np.array(shares, dtype=float, copy=True)
    cash = float(cash) + flow
    for o in orders:
        if o.side is Side.BUY:
            out[o.index] += o.shares
            cash -= o.value + o.cost
        else:
            out[o.index] -= o.shares
            cash += o.value - o.cost
    return out, cash


# --------------------------------------------------------------------------------------------
def _check(shares: np.ndarray, prices: np.ndarray, target_weights: np.ndarray,
           allowed: np.ndarray | None) -> tuple[np.ndarray, ...]:
    h = np.asarray(shares, dtype=float)
    p = np.asarray(prices, dtype=float)
    t = np.asarray(target_weights, dtype=float)
    if h.ndim != 1 or p.shape != h.shape or t.shape != h.shape:
        raise ValueError(f"shares, prices and target weights must have one entry per asset; "
                         f"got {h.shape}, {p.shape}, {t.shape}")
    if not np.all(np.isfinite(p) & (p > 0)):
        raise ValueError("every price must be positive and finite")
    if not np.all(np.isfinite(h)) or np.any(h < 0):
        raise ValueError("holdings cannot be negative (no short positions)")
    if np.any(t < -1e-12) or abs(t.sum() - 1) > 1e-6:
        raise ValueError("target weights must be non-negative and sum to 1")
    ok = np.ones(h.size, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    if ok.shape != h.shape:
        raise ValueError("allowed needs one flag per asset")
    if np.any(t[~ok] > 1e-12):
        raise ValueError("a target weight on an asset the client may not buy")
    t = np.clip(t, 0.0, None)
    return h, p, t / t.sum(), ok


class _Problem:
    """The MILP of one account (see the module docstring); variables [b, s, yb, ys, u]."""

    def __init__(self, h: np.ndarray, p: np.ndarray, t: np.ndarray, ok: np.ndarray, c: float,
                 w_out: float, rules: TradeRules, fees: Fees, mode: TradeMode) -> None:
        self.h, self.p, self.t, self.ok = h, p, t, ok
        self.c, self.w_out, self.rules, self.fees, self.mode = c, w_out, rules, fees, mode
        self.infeasible = False
        whole = not rules.fractional
        self.sellable = np.floor(h + 1e-9) if whole else h.copy()
        # held assets the level no longer allows are sold first (not by a deposit)
        self.forced = (~ok) & (self.sellable > 0) & (mode is not TradeMode.BUY_ONLY)

    def solve(self, fees: Fees | None = None, min_trade: float | None = None
              ) -> tuple[np.ndarray, np.ndarray] | None:
        """(shares bought, shares sold), or None (``infeasible`` says whether no trade list
        meets the reserve). Whole shares: the exact search, HiGHS if it runs too long;
        fractional: HiGHS."""
        fees = self.fees if fees is None else fees
        m = self.rules.min_trade if min_trade is None else min_trade
        self.infeasible = False
        if self.rules.fractional or self.rules.method is Solver.MILP:
            return self.solve_milp(fees, m)
        cands = self.candidates(fees, m)
        if cands is None:  # too many share counts to list: HiGHS does not enumerate them
            return self.solve_milp(fees, m)
        d, finished = best_trades(cands, self.c - self.w_out - self.rules.reserve,
                                  node_limit=self.rules.node_limit)
        if not finished:
            return self.solve_milp(fees, m)
        if d is None:
            self.infeasible = True
            return None
        return np.maximum(d, 0.0), np.maximum(-d, 0.0)

    def candidates(self, fees: Fees, m: float) -> Candidates | None:
        """Each asset's candidate net trades (see ``trade_search``) with phi and q; None when
        they would number more than ``MAX_CANDIDATES`` (a very large account)."""
        h, p, t = self.h, self.p, self.t
        reserve, lam = self.rules.reserve, self.rules.cost_aversion
        value = float(h @ p) + self.c - self.w_out
        v = p * h
        target = t * (value - reserve)
        afford = np.floor(max(self.c + float(p @ self.sellable), 0.0) / p)
        may_buy = self.ok & (self.mode is not TradeMode.SELL_ONLY)
        may_sell = self.mode is not TradeMode.BUY_ONLY
        # cash the buys could ever use; a sale past the target by more than what that needs
        # (beyond the cash at hand) is dominated by the same sale one share smaller
        gaps = np.maximum(target - v, 0.0)
        k_top = np.where(may_buy & (gaps > 0),
                         np.minimum(np.maximum(np.ceil(gaps / p - 1e-9),
                                               np.ceil(m / p - 1e-9)), afford), 0.0)
        spend = float(((p * (1 + fees.rates)) * k_top).sum() + fees.fixed * (k_top > 0).sum())
        need = max(spend - (self.c - self.w_out - reserve), 0.0)
        big = 1e-9
        buy_lo = np.maximum(1.0, np.ceil(m / p - big))
        buy_hi = np.minimum(np.maximum(np.ceil(gaps / p - big), buy_lo), afford)
        buy_hi = np.where(may_buy & (gaps > 0), buy_hi, 0.0)
        n_buy = np.maximum(buy_hi - buy_lo + 1, 0.0)
        held = self.sellable
        sell_lo = np.maximum(1.0, np.ceil(np.minimum(m, p * held) / p - big))
        over = np.ceil(np.maximum(v - target, 0.0) / p - big)
        unlock = np.ceil(need / (p * (1 - fees.rates)) + big) + 1
        sell_hi = np.where(may_sell & (held > 0),
                           np.minimum(held, np.maximum(sell_lo, over + unlock)), 0.0)
        # a forced sale has one candidate: everything
        sell_lo = np.where(self.forced, held, sell_lo)
        sell_hi = np.where(self.forced, held, sell_hi)
        n_buy = np.where(self.forced, 0.0, n_buy)
        n_sell = np.maximum(sell_hi - sell_lo + 1, 0.0)
        zero = (~self.forced).astype(float)
        if float((zero + n_buy + n_sell).sum()) > MAX_CANDIDATES:
            return None
        counts = (zero + n_buy + n_sell).astype(np.int64)
        asset = np.repeat(np.arange(h.size), counts)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        k = np.arange(counts.sum()) - starts[asset] - zero[asset]     # -1: the zero trade
        nb = n_buy[asset]
        d = np.where(k < 0, 0.0, np.where(k < nb, buy_lo[asset] + k,
                                          -(sell_lo[asset] + k - nb)))
        pa, va, ta = p[asset], v[asset], target[asset]
        cost = fees.rates[asset] * np.abs(d) * pa + fees.fixed * (d != 0)
        phi = _under_target_change(va, ta, d * pa) + lam * cost
        q = d * pa + cost
        bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
        cuts = list(pairwise(bounds))
        return Candidates(tuple(d[a:b] for a, b in cuts), tuple(phi[a:b] for a, b in cuts),
                          tuple(q[a:b] for a, b in cuts))

    def solve_milp(self, fees: Fees, m: float) -> tuple[np.ndarray, np.ndarray] | None:
        """The same programme as one MILP for HiGHS (the reference formulation)."""
        from scipy.optimize import Bounds, LinearConstraint

        from roboadvisor.domain.highs import milp

        h, p, t, n = self.h, self.p, self.t, self.h.size
        lam, reserve = self.rules.cost_aversion, self.rules.reserve
        value = float(h @ p) + self.c - self.w_out
        whole = not self.rules.fractional
        rp = fees.rates * p
        f = fees.fixed
        zero, eye = np.zeros((n, n)), np.eye(n)
        kappa = np.concatenate([rp, rp, np.full(n, f), np.full(n, f), np.zeros(n)])
        base = p * h - t * (value - reserve)           # deviation before trading
        dp = np.diag(p)
        # u - p b + p s - t kappa.x >= base ; u + p b - p s + t kappa.x >= -base
        dev_hi = np.hstack([-dp, dp, zero, zero, eye])
        dev_lo = np.hstack([dp, -dp, zero, zero, eye])
        cash_row = np.concatenate([-p, p, np.zeros(3 * n)]) - kappa      # cash' - c >= ...
        excl = np.hstack([zero, zero, eye, eye, zero])                   # yb + ys <= 1
        # buying past the target (or past the smallest order of at least m) never helps:
        # those shares remove no deviation, cost money and use cash
        gap = np.maximum(t * (value - reserve) - p * h, 0.0) / p
        need = np.maximum(np.ceil(gap), np.ceil(m / p)) if whole else np.maximum(gap, m / p)
        afford = np.floor(max(self.c + float(p @ self.sellable), 0.0) / p)
        buy_cap_max = np.where(gap > 0, np.minimum(need, afford if whole else np.inf), 0.0)
        buy_cap = np.where(self.ok & (self.mode is not TradeMode.SELL_ONLY),
                           np.maximum(buy_cap_max, 0.0), 0.0)
        b_link = np.hstack([eye, zero, -np.diag(buy_cap), zero, zero])  # b <= cap yb
        s_link = np.hstack([zero, eye, zero, -np.diag(self.sellable), zero])  # s <= h ys
        b_min = np.hstack([dp, zero, -m * eye, zero, zero])             # p b >= m yb
        s_min = np.hstack([zero, dp, zero, -np.diag(np.minimum(m, p * self.sellable)), zero])
        a = np.vstack([dev_hi, dev_lo, cash_row[None, :], excl, b_link, s_link, b_min, s_min])
        inf = np.inf
        lo = np.concatenate([base, -base, [reserve - self.c + self.w_out], np.full(n, -inf),
                             np.full(2 * n, -inf), np.zeros(2 * n)])
        hi = np.concatenate([np.full(2 * n, inf), [inf], np.ones(n), np.zeros(2 * n),
                             np.full(2 * n, inf)])
        may_sell = self.mode is not TradeMode.BUY_ONLY
        s_hi = self.sellable if may_sell else np.zeros(n)
        s_lo = np.where(self.forced, self.sellable, 0.0)
        yb_hi = (buy_cap > 0).astype(float)
        ys_hi = (s_hi > 0).astype(float)
        ys_lo = self.forced.astype(float)
        lb = np.concatenate([np.zeros(n), s_lo, np.zeros(n), ys_lo, np.zeros(n)])
        ub = np.concatenate([buy_cap, s_hi, yb_hi, ys_hi, np.full(n, inf)])
        # objective: ½ (sum u + cash' - R) + λ kappa.x  (constants dropped)
        obj = np.concatenate([-0.5 * p, 0.5 * p, np.zeros(3 * n)]) + lam * kappa
        obj[4 * n:] = 0.5
        integrality = np.concatenate([np.full(2 * n, 1 if whole else 0), np.ones(2 * n),
                                      np.zeros(n)])
        # a last variable fixed at 1 carries the constant, so the relative gap is of the
        # true objective (drift in money plus costs)
        const = 0.5 * (self.c - self.w_out - reserve)
        obj = np.append(obj, const)
        a = np.hstack([a, np.zeros((a.shape[0], 1))])
        lb, ub = np.append(lb, 1.0), np.append(ub, 1.0)
        integrality = np.append(integrality, 0)
        options: dict[str, object] = {"time_limit": self.rules.time_limit, "mip_rel_gap": 1e-9,
                                      "disp": False}
        if self.rules.method is Solver.SEARCH:  # the fallback; MILP is the exact reference
            options["node_limit"] = self.rules.milp_nodes
        res = milp(obj, constraints=LinearConstraint(a, lo, hi), bounds=Bounds(lb, ub),
                   integrality=integrality, options=options)
        if res.status == 2:  # infeasible
            self.infeasible = True
            return None
        if res.x is None:
            return None
        b, s = res.x[:n], res.x[n:2 * n]
        if whole:
            b, s = np.rint(b), np.rint(s)
        b = np.where(b * p > 1e-9 * max(value, 1.0), b, 0.0)
        s = np.where(s * p > 1e-9 * max(value, 1.0), np.minimum(s, self.sellable), 0.0)
        return b, s


def _under_target_change(value: np.ndarray, target: np.ndarray,
                         traded: np.ndarray) -> np.ndarray:
    """The drift term of the objective of trading ``traded`` money of an asset (bought > 0):
    ½ (|v + x - T| - |v - T| - x), the asset's deviation and the cash's, written as the change
    in money under target, ``max(T - v - x, 0) - max(T - v, 0)`` (the same number). That form
    is exactly 0 for every sale down to the target and the same for every buy past it, so
    candidates that tie in exact arithmetic tie in floating point too, and the search can
    order and prune them (see ``trade_search``)."""
    return np.maximum(target - (value + traded), 0.0) - np.maximum(target - value, 0.0)


def _why_nothing(problem: _Problem, before: float) -> Outcome:
    """Why an account off target got no orders: re-solve without costs, then without the
    minimum trade, to name what stopped it."""
    if before <= 1e-12:
        return Outcome.ON_TARGET
    free = Fees.zero(problem.h.size)
    if problem.fees.has_costs:
        x = problem.solve(fees=free)
        if x is not None and (x[0].any() or x[1].any()):
            return Outcome.COSTS
    if problem.rules.min_trade > 0:
        x = problem.solve(fees=free, min_trade=0.0)
        if x is not None and (x[0].any() or x[1].any()):
            return Outcome.MIN_TRADE
    return Outcome.WHOLE_SHARES if not problem.rules.fractional else Outcome.ON_TARGET


def _liquidate(problem: _Problem, tickers: tuple[str, ...], flow: float, before: float,
               value: float) -> TradeList:
    s = problem.sellable.copy()
    return _result(problem, np.zeros_like(s), s, tickers, flow, before, value,
                   Outcome.LIQUIDATED)


def _result(problem: _Problem, b: np.ndarray, s: np.ndarray, tickers: tuple[str, ...],
            flow: float, before: float, value: float, outcome: Outcome) -> TradeList:
    h, p, t, rules = problem.h, problem.p, problem.t, problem.rules
    fees = problem.fees
    mode = problem.mode
    orders = []
    cash_short = problem.c - problem.w_out < rules.reserve
    for i in np.flatnonzero((b > 0) | (s > 0)):
        side = Side.BUY if b[i] > 0 else Side.SELL
        qty = float(b[i] if side is Side.BUY else s[i])
        val = qty * float(p[i])
        cost = float(fees.rates[i] * val + fees.fixed)
        if side is Side.BUY:
            reason = (OrderReason.BUY_DEPOSIT if mode is TradeMode.BUY_ONLY
                      else OrderReason.BUY_UNDERWEIGHT)
        elif outcome is Outcome.LIQUIDATED:
            reason = OrderReason.SELL_LIQUIDATE
        elif not problem.ok[i]:
            reason = OrderReason.SELL_UNSUITABLE
        elif mode is TradeMode.SELL_ONLY:
            reason = OrderReason.SELL_WITHDRAWAL
        elif cash_short:
            reason = OrderReason.SELL_RESERVE
        else:
            reason = OrderReason.SELL_OVERWEIGHT
        orders.append(Order(int(i), tickers[i], side, qty, float(p[i]), val, cost, reason))
    shares_after = h + b - s
    costs = float(sum(o.cost for o in orders))
    cash_after = problem.c + float(p @ s) - float(p @ b) - costs
    paid = flow
    if flow < 0:  # a withdrawal is paid from what there is
        out = min(problem.w_out, max(cash_after, 0.0))
        cash_after -= out
        paid = -out
    value_after = float(shares_after @ p) + cash_after
    after = float(account_drift(shares_after, p, cash_after, t, rules.reserve))
    target = t * (value - rules.reserve)
    objective = (0.5 * (float(np.abs(shares_after * p - target).sum())
                        + cash_after + costs - rules.reserve) + rules.cost_aversion * costs)
    return TradeList(tuple(orders), shares_after, cash_after, paid, costs, before, after,
                     value, value_after, mode, outcome, objective, requested_flow=flow)
