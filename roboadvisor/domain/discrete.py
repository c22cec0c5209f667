"""Whole shares: turn target weights and an amount of money into share counts and cash left.

The exact method is a small mixed-integer program (``scipy.optimize.milp``, HiGHS):

    minimise   sum_i |n_i p_i - w_i A|  +  (A - sum_i n_i p_i)
    subject to sum_i n_i p_i <= A,   n_i >= 0 integer,

i.e. the dollar tracking error plus the cash left over (the objective PyPortfolioOpt's
``DiscreteAllocation.lp_portfolio`` states; here solved to optimality without a MIP solver in
cvxpy). When HiGHS does not return a solution in time, a greedy rounding is used instead:
round every position down, then keep buying the share that lowers the objective most.
Prices are per share in the currency of ``amount``.

``trade_list.trade_list`` extends this programme from "cash only" to an account's current
holdings (reserve, costs, minimum trade, suitability, cash flows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MILP = "milp"
GREEDY = "greedy"


@dataclass(frozen=True, eq=False)
class WholeShares:
    """Share counts per ticker (same order as the weights) and the money left in cash."""

    tickers: tuple[str, ...]
    shares: np.ndarray
    prices: np.ndarray
    target_values: np.ndarray
    amount: float
    method: str

    @property
    def values(self) -> np.ndarray:
        """Money invested in each ticker."""
        return self.shares * self.prices

    @property
    def invested(self) -> float:
        return float(self.values.sum())

    @property
    def cash_left(self) -> float:
        return float(self.amount - self.invested)

    @property
    def tracking_error(self) -> float:
        """sum |value_i - target_i| / amount: the share of the money not where it should be."""
        return float(np.abs(self.values - self.target_values).sum() / self.amount)

    @property
    def objective(self) -> float:
        """The minimised figure, in money: dollar tracking error plus cash left."""
        return float(np.abs(self.values - self.target_values).sum() + self.cash_left)


def whole_shares(tickers: tuple[str, ...] | list[str], weights: np.ndarray, prices: np.ndarray,
                 amount: float, *, time_limit: float = 10.0) -> WholeShares:
    """The whole-share portfolio closest to ``weights`` for ``amount`` at ``prices``.

    Raises ValueError for an amount that is not positive, a price that is not positive and
    finite, or weights that are negative or do not sum to 1.
    """
    w, p, amount = _check(tickers, weights, prices, amount)
    result = _milp(w, p, amount, time_limit)
    if result is None:
        return greedy_whole_shares(tickers, w, p, amount)
    return WholeShares(tuple(tickers), result, p, w * amount, amount, MILP)


def greedy_whole_shares(tickers: tuple[str, ...] | list[str], weights: np.ndarray,
                        prices: np.ndarray, amount: float) -> WholeShares:
    """Round down, then buy one share at a time of the asset whose purchase lowers the
    objective the most, while one does and the money lasts."""
    w, p, amount = _check(tickers, weights, prices, amount)
    target = w * amount
    shares = np.floor(target / p)
    cash = amount - float(shares @ p)
    while True:
        value = shares * p
        # change of |value - target| + cash when buying one more share of each asset
        gain = np.abs(value + p - target) - np.abs(value - target) - p
        gain[(p > cash + 1e-9) | (w <= 0)] = np.inf
        i = int(np.argmin(gain))
        if not np.isfinite(gain[i]) or gain[i] >= -1e-12:
            break
        shares[i] += 1
        cash -= p[i]
    return WholeShares(tuple(tickers), shares.astype(np.int64), p, target, amount, GREEDY)


def _milp(w: np.ndarray, p: np.ndarray, amount: float, time_limit: float) -> np.ndarray | None:
    from scipy.optimize import Bounds, LinearConstraint

    from roboadvisor.domain.highs import milp

    n = len(w)
    target = w * amount
    # variables x = [n_1..n_n, u_1..u_n]; objective sum u - p.n (+ amount, a constant)
    c = np.concatenate([-p, np.ones(n)])
    eye = np.eye(n)
    a = np.block([[np.diag(p), eye],          # p_i n_i + u_i >= target_i
                  [-np.diag(p), eye],         # u_i - p_i n_i >= -target_i
                  [p[None, :], np.zeros((1, n))]])   # p.n <= amount
    lo = np.concatenate([target, -target, [-np.inf]])
    hi = np.concatenate([np.full(2 * n, np.inf), [amount]])
    cap = np.where(w > 0, np.floor(amount / p), 0.0)
    bounds = Bounds(np.zeros(2 * n), np.concatenate([cap, np.full(n, np.inf)]))
    integrality = np.concatenate([np.ones(n), np.zeros(n)])
    res = milp(c, constraints=LinearConstraint(a, lo, hi), bounds=bounds,
               integrality=integrality,
               options={"time_limit": time_limit, "mip_rel_gap": 1e-9, "disp": False})
    if res.x is None or res.status not in (0, 1):  # 0 optimal, 1 time/iteration limit
        return None
    shares = np.rint(res.x[:n]).astype(np.int64)
    if float(shares @ p) > amount + 1e-6:  # rounding pushed it over budget
        return None
    return shares


def _check(tickers: tuple[str, ...] | list[str], weights: np.ndarray, prices: np.ndarray,
           amount: float) -> tuple[np.ndarray, np.ndarray, float]:
    w = np.asarray(weights, dtype=float)
    p = np.asarray(prices, dtype=float)
    if w.shape != (len(tickers),) or p.shape != w.shape:
        raise ValueError(f"{len(tickers)} tickers need as many weights and prices; got "
                         f"{w.shape} and {p.shape}")
    if not (np.isfinite(amount) and amount > 0):
        raise ValueError(f"the amount must be a positive number, got {amount}")
    bad = [t for t, x in zip(tickers, p, strict=True) if not (np.isfinite(x) and x > 0)]
    if bad:
        raise ValueError(f"no usable price for {', '.join(bad)}")
    if np.any(w < -1e-9) or abs(w.sum() - 1) > 1e-6:
        raise ValueError("weights must be non-negative and sum to 1")
    return np.clip(w, 0, None), p, float(amount)
