"""Trading: the one cost model and the value-level trades shared by the backtest engine, the
optimiser's cost penalty and the account trade lists (``discrete.trade_list``).

Pure numpy; no I/O. Money is in the account's currency; ``h`` is the value held per asset.

- ``CostModel``: basis points of traded value (per-asset overrides) plus a fixed amount per
  asset traded. ``CostModel.fees(tickers)`` resolves it to arrays (``Fees``) for one ordering.
- ``rebalance_values``: a full rebalance to target weights, costs paid out of the portfolio
  (post-trade holdings exactly on target).
- ``cash_flow_values``: a contribution buys the most underweight assets first (water-filling),
  a withdrawal sells the most overweight first; never the other side ("cash flows first").
- ``liquidate_values``: sell everything (a withdrawal the portfolio cannot cover).

These are the fractional-unit trades of the backtest engine; the whole-share trades of an
account (current holdings, cash reserve, minimum trade, suitability) are the integer
programme in ``discrete.trade_list``, which prices its costs with the same ``Fees``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from roboadvisor.errors import BacktestError

DUST = 1e-9  # trades below this fraction of portfolio value do not count as trades


@dataclass(frozen=True)
class CostModel:
    """Trading costs: ``bps`` of traded value (``per_asset_bps`` overrides it per ticker) plus
    ``fixed`` currency units per asset traded. Inputs beyond ``MAX_BPS`` (10% of the value
    traded) or ``MAX_FIXED`` per order are refused wherever costs come in (a backtest file,
    the trade-list options): no market charges that, and such a number is a typo."""

    MAX_BPS: ClassVar[float] = 1000.0
    MAX_FIXED: ClassVar[float] = 1e9

    bps: float = 0.0
    per_asset_bps: tuple[tuple[str, float], ...] = ()
    fixed: float = 0.0

    def __post_init__(self) -> None:
        if self.bps < 0 or self.fixed < 0 or any(b < 0 for _, b in self.per_asset_bps):
            raise ValueError("costs cannot be negative")

    def rates(self, tickers: tuple[str, ...] | list[str]) -> np.ndarray:
        """Proportional cost per asset as a decimal of traded value (5 bp -> 0.0005)."""
        override = dict(self.per_asset_bps)
        return np.array([override.get(t, self.bps) for t in tickers], dtype=float) / 1e4

    def fees(self, tickers: tuple[str, ...] | list[str]) -> Fees:
        """This model resolved for ``tickers`` (in that order)."""
        return Fees(self.rates(tickers), float(self.fixed))

    @property
    def is_zero(self) -> bool:
        return self.bps == 0 and self.fixed == 0 and all(b == 0 for _, b in self.per_asset_bps)


@dataclass(frozen=True, eq=False)
class Fees:
    """A ``CostModel`` resolved for one ordering of assets: ``rates`` (decimal of traded value,
    per asset) and ``fixed`` (currency per asset traded)."""

    rates: np.ndarray
    fixed: float = 0.0

    @classmethod
    def zero(cls, n: int) -> Fees:
        return cls(np.zeros(n), 0.0)

    @property
    def has_costs(self) -> bool:
        return bool(np.any(self.rates > 0) or self.fixed > 0)

    def cost(self, traded_values: np.ndarray, min_value: float = 0.0) -> float:
        """Cost of trading ``traded_values`` (absolute money per asset); trades of at most
        ``min_value`` are not counted for the fixed part."""
        traded = np.abs(np.asarray(traded_values, dtype=float))
        return float(self.rates @ traded + self.fixed * np.count_nonzero(traded > min_value))


def waterfill(gaps: np.ndarray, amount: float) -> np.ndarray:
    """Split ``amount`` over assets with shortfalls ``gaps`` (>= 0), largest shortfalls first.

    Returns x with 0 <= x <= gaps and sum(x) == amount, x = max(gaps - level, 0): the assets
    furthest from target are brought to a common remaining shortfall ``level``. When amount
    exceeds sum(gaps) the gaps are scaled up proportionally.
    """
    gaps = np.asarray(gaps, dtype=float)
    if amount <= 0:
        return np.zeros_like(gaps)
    total = gaps.sum()
    if total <= 0:
        return np.full_like(gaps, amount / gaps.size)
    if amount >= total:
        return gaps * (amount / total)
    s = -np.sort(-gaps)
    level = (np.cumsum(s) - amount) / np.arange(1, s.size + 1)
    above = np.flatnonzero(s > level)
    if above.size == 0:  # amount below the float resolution of the gaps
        return gaps * (amount / total)
    return np.maximum(gaps - level[int(above[-1])], 0.0)


def rebalance_values(h: np.ndarray, cash: float, t: np.ndarray,
                     fees: Fees) -> tuple[np.ndarray, float, float]:
    """Full rebalance of holdings ``h`` to weights ``t`` with ``cash`` added (or taken).

    Returns (holdings after, cost, flow paid in or out). Costs come out of the portfolio, so
    the post-trade holdings are ``t`` times the value net of costs (a fixed point).
    """
    value = h.sum() + cash
    if value <= 0:
        return liquidate_values(h, fees)
    if not fees.has_costs:
        return t * value, 0.0, cash
    x = value
    for _ in range(100):
        traded = np.abs(t * x - h)
        count = np.count_nonzero(traded > DUST * value)
        x_new = value - fees.rates @ traded - fees.fixed * count
        done = abs(x_new - x) <= 1e-14 * value
        x = x_new
        if done:
            break
    if x <= 0:
        return liquidate_values(h, fees)
    return t * x, value - x, cash


def cash_flow_values(h: np.ndarray, cash: float, t: np.ndarray,
                     fees: Fees) -> tuple[np.ndarray, float, float]:
    """Invest a contribution (``cash`` > 0, buys only) or pay a withdrawal (< 0, sells only)
    by trading towards ``t``: (holdings after, cost, flow paid in or out)."""
    value = h.sum()
    rates, fixed = fees.rates, fees.fixed
    if not fees.has_costs and cash > 0:
        return h + waterfill(np.maximum(t * (value + cash) - h, 0.0), cash), 0.0, cash
    if cash > 0:
        net = cash
        for _ in range(3):
            y = waterfill(np.maximum(t * (value + net) - h, 0.0), net)
            net = cash - rates @ y - fixed * np.count_nonzero(y > DUST * value)
        count = int(np.count_nonzero(y > DUST * value))
        if cash - fixed * count <= 0:  # too small to split: buy the largest gap only
            y = np.zeros_like(h)
            y[int(np.argmax(t * (value + cash) - h))] = cash
            count = 1
        scale = (cash - fixed * count) / (y.sum() + rates @ y)
        if scale <= 0:
            raise BacktestError.from_catalog("zh_hardening.b_contribution_cost",
                                             cash=f"{cash:g}", fixed=f"{fixed:g}")
        x = scale * y
        cost = max(cash - x.sum(), 0.0)
        return h + x, cost, cash
    wanted = -cash
    proceeds_all = h.sum() - rates @ h - fixed * np.count_nonzero(h > 0)
    if wanted >= proceeds_all:
        return liquidate_values(h, fees)
    gross = wanted
    for _ in range(3):
        y = waterfill(np.maximum(h - t * (value - gross), 0.0), gross)
        gross = wanted + rates @ y + fixed * np.count_nonzero(y > DUST * value)
    count = int(np.count_nonzero(y > DUST * value))
    scale = (wanted + fixed * count) / (y.sum() - rates @ y)
    x = np.minimum(scale * y, h)
    cost = rates @ x + fixed * np.count_nonzero(x > DUST * value)
    return h - x, cost, -(x.sum() - cost)


def liquidate_values(h: np.ndarray, fees: Fees) -> tuple[np.ndarray, float, float]:
    """Sell everything to pay a withdrawal the portfolio cannot cover."""
    cost = fees.rates @ h + fees.fixed * np.count_nonzero(h > 0)
    return np.zeros_like(h), cost, -(h.sum() - cost)
