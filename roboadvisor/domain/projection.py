"""Goal projections by Monte Carlo: wealth paths of a fixed-weight portfolio with cash flows.

Pure and vectorised (numpy, a seeded ``numpy.random.Generator``); no I/O.

The portfolio is rebalanced to its weights every month, so its return in a month is ``w . r``
for that month's asset returns ``r``. The engine therefore works on a paths x months array of
portfolio returns, made from the assets in one of two ways:

- **normal**: the portfolio's annual arithmetic expected return ``m = w . mu`` and volatility
  ``s = sqrt(w' Sigma w)`` (the estimates the portfolio was optimised on) become a lognormal
  annual gross return with that mean and variance (``sigma_l^2 = ln(1 + s^2 / (1 + m)^2)``,
  ``mu_l = ln(1 + m) - sigma_l^2 / 2``), split into 12 independent normal monthly log returns.
  Without cash flows, wealth after T years is then exactly lognormal (the tests use it).
- **bootstrap**: circular block bootstrap of whole historical months of every held asset
  together (the paths x months x assets of returns are the history's rows picked by a paths x
  months index array), so correlations across assets, fat tails and crises stay in the paths;
  blocks of ``block_months`` consecutive months keep some of the serial dependence. Each
  historical month is equally likely, so the sampled mean and volatility are the history's.

Cash flows, in order within each month: the month's return, then costs (``annual_cost`` taken
monthly as ``(1 - c)^(1/12)``), then the contribution and the withdrawal. With ``inflation`` the
whole projection is in today's money: returns are deflated by ``(1 + i)^(1/12)`` a month and
contributions, withdrawals and the goal are read as today's money (they rise with prices).
A path that cannot pay a withdrawal is empty from then on ("ran out").

Units: returns and rates are decimals (0.05 = 5%), annual unless named monthly; money in the
currency of the amounts given.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

PERCENTILES: tuple[int, ...] = (5, 25, 50, 75, 95)
MONTHS_PER_YEAR = 12
DEFAULT_BLOCK_MONTHS = 12


class ReturnModel(StrEnum):
    """How monthly returns are generated."""

    NORMAL = "normal"
    BOOTSTRAP = "bootstrap"


@dataclass(frozen=True)
class CashFlows:
    """The money going in and out. ``initial`` >= 0; ``monthly_contribution`` and
    ``monthly_withdrawal`` >= 0, paid at each month's end; ``annual_cost`` (fees, decimal a
    year) and ``inflation`` (decimal a year) as described in the module docstring."""

    initial: float
    monthly_contribution: float = 0.0
    monthly_withdrawal: float = 0.0
    annual_cost: float = 0.0
    inflation: float = 0.0

    def __post_init__(self) -> None:
        for name in ("initial", "monthly_contribution", "monthly_withdrawal"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite amount >= 0, got {value}")
        if not (0 <= self.annual_cost < 1):
            raise ValueError(f"annual_cost must be in [0, 1), got {self.annual_cost}")
        if not (-0.5 < self.inflation < 1):
            raise ValueError(f"inflation must be in (-0.5, 1), got {self.inflation}")


@dataclass(frozen=True, eq=False)
class MonthlyReturns:
    """A paths x months array of portfolio returns (decimals per month) and how it was made."""

    values: np.ndarray
    model: ReturnModel

    @property
    def paths(self) -> int:
        return int(self.values.shape[0])

    @property
    def months(self) -> int:
        return int(self.values.shape[1])


@dataclass(frozen=True, eq=False)
class Projection:
    """The outcome of one projection.

    ``years``: 0..T. ``percentiles``: wealth at each year end, shape (T + 1, len(PERCENTILES)),
    in today's money when inflation was given. ``final``: each path's wealth at the end.
    ``goal_probability``: share of paths ending at or above ``goal`` (None without a goal).
    ``depleted_share``: share of paths that ran out; ``median_depletion_year``: the median
    time (years, fractional) at which those paths ran out (None when none did).
    """

    years: np.ndarray
    percentiles: np.ndarray
    final: np.ndarray
    flows: CashFlows
    model: ReturnModel
    goal: float | None
    goal_probability: float | None
    depleted_share: float
    median_depletion_year: float | None

    def percentile(self, q: int) -> np.ndarray:
        """Wealth by year at percentile ``q`` (one of PERCENTILES)."""
        return self.percentiles[:, PERCENTILES.index(q)]


# --- return generators ------------------------------------------------------------------------
def lognormal_parameters(expected_return: float, volatility: float) -> tuple[float, float]:
    """Annual log-return mean and standard deviation of a lognormal gross return with
    arithmetic mean ``1 + expected_return`` and standard deviation ``volatility``."""
    if expected_return <= -1 or volatility < 0:
        raise ValueError("need expected_return > -1 and volatility >= 0")
    var = float(np.log1p(volatility ** 2 / (1 + expected_return) ** 2))
    return float(np.log1p(expected_return) - var / 2), float(np.sqrt(var))


def normal_returns(weights: np.ndarray, expected_returns: np.ndarray, covariance: np.ndarray,
                   months: int, paths: int, rng: np.random.Generator) -> MonthlyReturns:
    """Monthly portfolio returns of the normal (lognormal) model; see the module docstring."""
    w = np.asarray(weights, dtype=float)
    m = float(w @ np.asarray(expected_returns, dtype=float))
    s = float(np.sqrt(max(w @ np.asarray(covariance, dtype=float) @ w, 0.0)))
    return normal_returns_from_moments(m, s, months, paths, rng)


def normal_returns_from_moments(expected_return: float, volatility: float, months: int,
                                paths: int, rng: np.random.Generator) -> MonthlyReturns:
    """The normal model from the portfolio's annual arithmetic mean and volatility."""
    mu_l, sigma_l = lognormal_parameters(expected_return, volatility)
    z = rng.standard_normal((paths, months))
    z *= sigma_l / np.sqrt(MONTHS_PER_YEAR)
    z += mu_l / MONTHS_PER_YEAR
    np.expm1(z, out=z)
    return MonthlyReturns(z, ReturnModel.NORMAL)


def bootstrap_indices(history_months: int, months: int, paths: int, rng: np.random.Generator,
                      block_months: int = DEFAULT_BLOCK_MONTHS) -> np.ndarray:
    """A paths x months array of row numbers into a history of ``history_months`` months:
    circular blocks of ``block_months`` consecutive months starting at uniform random months."""
    if history_months < 2:
        raise ValueError("a bootstrap needs at least 2 months of history")
    block = max(1, min(block_months, history_months))
    blocks = -(-months // block)
    starts = rng.integers(0, history_months, size=(paths, blocks))
    offsets = np.arange(block)
    index = (starts[:, :, None] + offsets[None, None, :]).reshape(paths, blocks * block)
    return index[:, :months] % history_months


def bootstrap_returns(weights: np.ndarray, history: np.ndarray, months: int, paths: int,
                      rng: np.random.Generator,
                      block_months: int = DEFAULT_BLOCK_MONTHS) -> MonthlyReturns:
    """Monthly portfolio returns by block bootstrap of ``history`` (months x assets of simple
    monthly returns, columns in the order of ``weights``). Picking whole rows and applying the
    weights afterwards equals applying them to each sampled month, so the portfolio's return in
    each historical month is computed once and then gathered."""
    hist = np.asarray(history, dtype=float)
    if hist.ndim != 2 or hist.shape[1] != len(weights):
        raise ValueError(f"history must be months x {len(weights)} assets, got {hist.shape}")
    if not np.isfinite(hist).all():
        raise ValueError("history has missing or infinite returns")
    portfolio = hist @ np.asarray(weights, dtype=float)
    index = bootstrap_indices(hist.shape[0], months, paths, rng, block_months)
    return MonthlyReturns(portfolio[index], ReturnModel.BOOTSTRAP)


# --- wealth -------------------------------------------------------------------------------------
def _monthly_growth(returns: MonthlyReturns, flows: CashFlows) -> np.ndarray:
    """Gross growth factor of each path and month after costs and inflation."""
    cost = (1.0 - flows.annual_cost) ** (1 / MONTHS_PER_YEAR)
    deflate = (1.0 + flows.inflation) ** (1 / MONTHS_PER_YEAR)
    return (1.0 + returns.values) * (cost / deflate)


def project(returns: MonthlyReturns, flows: CashFlows, goal: float | None = None) -> Projection:
    """Wealth paths from ``returns`` and ``flows``: percentiles by year, goal probability and
    the running-out figures. ``returns.months`` must be a whole number of years."""
    if returns.months % MONTHS_PER_YEAR:
        raise ValueError("the projection must cover whole years")
    growth = _monthly_growth(returns, flows)
    paths, months = growth.shape
    years = months // MONTHS_PER_YEAR
    wealth = np.full(paths, float(flows.initial))
    snapshots = np.empty((years + 1, paths))
    snapshots[0] = wealth
    depleted_at = np.full(paths, -1, dtype=np.int64)
    net = flows.monthly_contribution - flows.monthly_withdrawal
    for month in range(months):
        wealth *= growth[:, month]
        wealth += net
        if net < 0:  # an empty path stays empty: 0 * growth + net < 0 again
            out = (wealth < 0) & (depleted_at < 0)
            depleted_at[out] = month + 1
            np.maximum(wealth, 0.0, out=wealth)
        if (month + 1) % MONTHS_PER_YEAR == 0:
            snapshots[(month + 1) // MONTHS_PER_YEAR] = wealth
    pct = np.percentile(snapshots, PERCENTILES, axis=1).T
    ran_out = depleted_at[depleted_at >= 0]
    probability = None if goal is None else float(np.mean(wealth >= goal))
    return Projection(
        years=np.arange(years + 1), percentiles=pct, final=wealth.copy(), flows=flows,
        model=returns.model, goal=goal, goal_probability=probability,
        depleted_share=float(ran_out.size / paths),
        median_depletion_year=(float(np.median(ran_out)) / MONTHS_PER_YEAR
                               if ran_out.size else None))


def saving_needed(returns: MonthlyReturns, flows: CashFlows, goal: float,
                  probability: float = 0.8) -> float:
    """The smallest monthly contribution with which at least ``probability`` of the paths end
    at or above ``goal`` (0 when the goal is that likely already), on the same paths (common
    random numbers) as ``project`` would use.

    Solved, not searched: without withdrawals each path's final wealth is affine in the
    contribution c, ``W(c) = A + c B`` (A: the initial amount grown; B: the growth of one unit
    paid each month), so path k reaches the goal exactly when ``c >= (goal - A_k) / B_k`` and
    the answer is the ``probability`` quantile of those thresholds. With withdrawals (where
    running out breaks the affinity) the share reaching the goal is monotone in c and the
    root of ``share(c) - probability`` is bracketed and found by bisection on the same paths.
    """
    if not 0 < probability < 1:
        raise ValueError(f"probability must be in (0, 1), got {probability}")
    if flows.monthly_withdrawal > 0:
        return _saving_needed_with_withdrawals(returns, flows, goal, probability)
    growth = _monthly_growth(returns, flows)
    a = np.full(growth.shape[0], float(flows.initial))
    b = np.zeros(growth.shape[0])
    for month in range(growth.shape[1]):
        a *= growth[:, month]
        b *= growth[:, month]
        b += 1.0
    thresholds = (goal - a) / b
    # The k-th smallest threshold (k = ceil(p * paths)) lets k paths reach the goal.
    k = int(np.ceil(probability * thresholds.size))
    needed = float(np.partition(thresholds, k - 1)[k - 1])
    # A hair above the threshold, so that rounding in the month-by-month sum cannot leave
    # the marginal path a cent short.
    return max(needed + 1e-9 * abs(needed) + 1e-6, 0.0)


def _saving_needed_with_withdrawals(returns: MonthlyReturns, flows: CashFlows, goal: float,
                                    probability: float) -> float:
    from dataclasses import replace

    def share(c: float) -> float:
        result = project(returns, replace(flows, monthly_contribution=c), goal)
        return float(result.goal_probability or 0.0)

    if share(0.0) >= probability:
        return 0.0
    high = max(goal / returns.months, flows.monthly_withdrawal, 1.0)
    while share(high) < probability:
        high *= 2
        if high > 1e12:
            raise ValueError("no finite monthly saving reaches the goal with that probability")
    low = 0.0
    while high - low > max(0.01, 1e-6 * high):
        mid = (low + high) / 2
        if share(mid) >= probability:
            high = mid
        else:
            low = mid
    return high


@dataclass(frozen=True)
class BadYear:
    """The return of a bad year, one in twenty: the 5th percentile of simulated one-year
    returns (decimal), the model that made them, how many years were simulated and, for the
    bootstrap, the months of history sampled ('2013-07..2026-07')."""

    value: float
    model: ReturnModel
    paths: int
    window: str | None = None


BAD_YEAR_PATHS = 10_000
BAD_YEAR_SEED = 20


def bad_year_normal(expected_return: float, volatility: float,
                    paths: int = BAD_YEAR_PATHS, seed: int = BAD_YEAR_SEED) -> BadYear:
    """A bad year under the normal model (fixed seed: the same portfolio, the same figure)."""
    returns = normal_returns_from_moments(expected_return, volatility, MONTHS_PER_YEAR, paths,
                                          np.random.default_rng(seed))
    return BadYear(one_year_return_quantile(returns), ReturnModel.NORMAL, paths)


def bad_year_bootstrap(weights: np.ndarray, history: np.ndarray, window: str,
                       paths: int = BAD_YEAR_PATHS, seed: int = BAD_YEAR_SEED) -> BadYear:
    """A bad year by block bootstrap of real monthly returns (``history``: months x assets)."""
    returns = bootstrap_returns(weights, history, MONTHS_PER_YEAR, paths,
                                np.random.default_rng(seed))
    return BadYear(one_year_return_quantile(returns), ReturnModel.BOOTSTRAP, paths, window)


def one_year_return_quantile(returns: MonthlyReturns, q: float = 0.05) -> float:
    """The ``q`` quantile of the compounded return over the first 12 months of each path
    (``q = 0.05``: a bad year, one in twenty)."""
    if returns.months < MONTHS_PER_YEAR:
        raise ValueError("need at least 12 months per path")
    year = np.prod(1.0 + returns.values[:, :MONTHS_PER_YEAR], axis=1) - 1.0
    return quantile_by_partition(year, q)


def quantile_by_partition(x: np.ndarray, q: float) -> float:
    """``np.quantile(x, q)`` (linear interpolation, the default) by two partial sorts: the
    same figure, without ``np.quantile``'s ``np.unique``, which imports ``numpy.ma`` (about
    0.1 s of every ``plan``: issue 14)."""
    x = np.asarray(x, dtype=float).ravel()
    h = (len(x) - 1) * q
    lo = int(np.floor(h))
    hi = min(lo + 1, len(x) - 1)
    part = np.partition(x, (lo, hi))
    a, b, t = float(part[lo]), float(part[hi]), h - lo
    return a + (b - a) * t if t < 0.5 else b - (b - a) * (1 - t)


def lognormal_wealth_quantiles(initial: float, expected_return: float, volatility: float,
                               years: float, quantiles: np.ndarray) -> np.ndarray:
    """Closed form: the quantiles of wealth after ``years`` with no cash flows under the normal
    model (exactly lognormal): ``initial * exp(mu_l T + z_q sigma_l sqrt(T))``."""
    from statistics import NormalDist

    mu_l, sigma_l = lognormal_parameters(expected_return, volatility)
    z = np.array([NormalDist().inv_cdf(float(p)) for p in np.atleast_1d(quantiles)])
    return initial * np.exp(mu_l * years + z * sigma_l * np.sqrt(years))


def monthly_returns_from_prices(prices: np.ndarray) -> np.ndarray:
    """Simple monthly returns from month-end prices (months x assets)."""
    p = np.asarray(prices, dtype=float)
    return p[1:] / p[:-1] - 1.0
