"""Performance metrics of daily return series. Pure numpy: arrays in, numbers out.

Definitions (decimals; 252 trading days per year, as everywhere in the package):

- ``returns`` are simple daily returns; the wealth index is their cumulative product from 1.
- total return = prod(1 + r) - 1; CAGR = (1 + total) ** (252 / len(r)) - 1 (years counted in
  trading days, so 252 daily returns are one year).
- volatility = std(r, ddof=1) * sqrt(252).
- Sharpe = mean(r - rf) / std(r - rf, ddof=1) * sqrt(252), with ``rf`` the daily risk-free
  return: an annual rate a is (1 + a) ** (1 / 252) - 1 per day (``daily_risk_free``; the
  convention of quantstats and ffn), a yield series likewise, day by day.
- Sortino = mean(r - rf) * 252 / (sqrt(mean(min(r - rf, 0) ** 2)) * sqrt(252)).
- maximum drawdown: the largest fall of the wealth index from a running peak (negative), with
  the peak, the trough and the first day back at the peak (None if not recovered).
- Calmar = CAGR / |maximum drawdown|.
- tracking error = std(r - b, ddof=1) * sqrt(252); information ratio = mean(r - b) * 252 /
  tracking error; excess return = CAGR(r) - CAGR(b).
- cost drag = CAGR before costs - CAGR after costs, on the same trades (every cost, the
  initial purchase included: returns are measured from the capital put in).
- turnover: one-way, min(bought, sold) / value per trading event, summed, per year.
- total return is time-weighted (the growth of money invested at the start, whatever the
  contributions and withdrawals); the money-weighted return is the annual internal rate of
  return of the actual cash flows (initial and contributions paid in, withdrawals and the
  final value taken out; days counted actual/365, as XIRR does); the gain in money is the
  final value minus everything paid in plus everything taken out.

What a summary reports, and when (``summarize``; the functions above are the bare formulas):

- Nothing is annualised over less than a year (fewer than 252 daily returns; GIPS): CAGR,
  turnover per year, cost drag per year, the excess return per year and Calmar are NaN and
  ``annualised`` is False; the total (cumulative) return is the figure to read.
- Volatility, Sharpe, Sortino, tracking error and the information ratio need at least
  ``MIN_RISK_RETURNS`` (20, about a month) daily returns; with fewer they are NaN and
  ``risk_measured`` is False.
- Calmar needs a year and a drawdown.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from roboadvisor import TRADING_DAYS_PER_YEAR
from roboadvisor.domain.backtest import BacktestResult

_Y = TRADING_DAYS_PER_YEAR
MIN_RISK_RETURNS = 20
"""Daily returns needed before a summary reports volatility and risk-adjusted ratios."""
_NAN = float("nan")


# --- series -------------------------------------------------------------------------------
def daily_risk_free(annual: float | np.ndarray) -> float | np.ndarray:
    """Annual risk-free rate(s) (decimals) -> the daily return (1 + rf) ** (1 / 252) - 1."""
    a = np.asarray(annual, dtype=float)
    daily = np.power(1.0 + a, 1.0 / _Y) - 1.0
    return float(daily) if daily.ndim == 0 else daily


def money_weighted_return(dates: np.ndarray, flows: np.ndarray, initial: float,
                          final_value: float) -> float:
    """Annual internal rate of return of the investor's cash flows (decimal).

    ``dates`` one per day; ``flows`` the external flow of each day (contribution > 0,
    withdrawal < 0, ``flows[0]`` ignored: the start is ``initial``); ``final_value`` is taken
    out on the last date. Years are actual days / 365. NaN when no rate in (-99.99%, 10^6%)
    sets the net present value to 0.
    """
    from scipy.optimize import brentq

    d = np.asarray(dates, dtype="datetime64[D]")
    years = (d - d[0]).astype(float) / 365.0
    cash = -np.asarray(flows, dtype=float).copy()     # from the investor's side
    cash[0] = -float(initial)
    cash[-1] += float(final_value)
    keep = cash != 0
    t, c = years[keep], cash[keep]
    if t.size < 2 or t[-1] <= 0 or not ((c > 0).any() and (c < 0).any()):
        return _NAN

    def npv(rate: float) -> float:
        return float(np.sum(c * np.exp(-np.log1p(rate) * t)))

    lo, hi = -0.9999, 1e4
    if npv(lo) * npv(hi) > 0:
        return _NAN
    return float(brentq(npv, lo, hi, xtol=1e-14, rtol=1e-12, maxiter=500))



def wealth_index(returns: np.ndarray) -> np.ndarray:
    """1 followed by the cumulative growth of 1 (length len(returns) + 1)."""
    return np.concatenate(([1.0], np.cumprod(1.0 + np.asarray(returns, dtype=float))))


def total_return(returns: np.ndarray) -> float:
    return float(np.prod(1.0 + np.asarray(returns, dtype=float)) - 1.0)


def cagr(returns: np.ndarray) -> float:
    """Compound annual growth rate (years = number of daily returns / 252)."""
    r = np.asarray(returns, dtype=float)
    if r.size == 0:
        return float("nan")
    growth = 1.0 + total_return(r)
    if growth <= 0:
        return -1.0
    return float(growth ** (_Y / r.size) - 1.0)


def volatility(returns: np.ndarray) -> float:
    r = np.asarray(returns, dtype=float)
    if r.size < 2:
        return float("nan")
    return float(np.std(r, ddof=1) * np.sqrt(_Y))


def _excess(returns: np.ndarray, risk_free: float | np.ndarray) -> np.ndarray:
    """Daily excess returns; ``risk_free`` is a daily return (scalar or one per return)."""
    r = np.asarray(returns, dtype=float)
    rf = np.asarray(risk_free, dtype=float)
    if rf.ndim and rf.shape != r.shape:
        raise ValueError(f"risk-free series has {rf.size} values for {r.size} returns")
    return r - rf


def sharpe_ratio(returns: np.ndarray, risk_free: float | np.ndarray = 0.0) -> float:
    """Annualised Sharpe ratio; ``risk_free`` is a *daily* return (scalar or series)."""
    ex = _excess(returns, risk_free)
    if ex.size < 2:
        return float("nan")
    sd = np.std(ex, ddof=1)
    return float(np.mean(ex) / sd * np.sqrt(_Y)) if sd > 0 else float("nan")


def sortino_ratio(returns: np.ndarray, risk_free: float | np.ndarray = 0.0) -> float:
    """Annualised Sortino ratio: mean excess over downside deviation (target = risk-free)."""
    ex = _excess(returns, risk_free)
    if ex.size == 0:
        return float("nan")
    downside = np.sqrt(np.mean(np.minimum(ex, 0.0) ** 2))
    return float(np.mean(ex) * np.sqrt(_Y) / downside) if downside > 0 else float("nan")


@dataclass(frozen=True)
class Drawdown:
    """The largest peak-to-trough fall: ``depth`` <= 0; day indices into the wealth index
    (0 = the start); ``recovery`` is the first day back at the peak's level, or None."""

    depth: float
    peak: int | None
    trough: int | None
    recovery: int | None


def max_drawdown(wealth: np.ndarray) -> Drawdown:
    """Maximum drawdown of a wealth (or value) series."""
    w = np.asarray(wealth, dtype=float)
    if w.size == 0:
        return Drawdown(0.0, None, None, None)
    peaks = np.maximum.accumulate(w)
    dd = w / peaks - 1.0
    trough = int(np.argmin(dd))
    depth = float(dd[trough])
    if depth >= 0:
        return Drawdown(0.0, None, None, None)
    peak = int(np.flatnonzero(w[: trough + 1] == peaks[trough])[-1])
    back = np.flatnonzero(w[trough:] >= w[peak])
    recovery = int(trough + back[0]) if back.size else None
    return Drawdown(depth, peak, trough, recovery)


def calmar_ratio(returns: np.ndarray) -> float:
    dd = max_drawdown(wealth_index(returns)).depth
    return cagr(returns) / abs(dd) if dd < 0 else float("nan")


@dataclass(frozen=True)
class YearReturn:
    """A calendar year's compounded return; ``complete`` when the series covers all of it."""

    year: int
    value: float
    complete: bool


def yearly_returns(returns: np.ndarray, dates: np.ndarray) -> tuple[YearReturn, ...]:
    """Calendar-year returns. ``dates`` has one more entry than ``returns`` (the start).

    A year is complete when the series starts before it (a close in an earlier year) and
    ends on or after 29 December (the last NYSE trading day of a year is never earlier).
    """
    r = np.asarray(returns, dtype=float)
    d = np.asarray(dates, dtype="datetime64[D]")
    if d.size != r.size + 1:
        raise ValueError("yearly_returns needs the start date plus one date per return")
    if r.size == 0:
        return ()
    years = d[1:].astype("datetime64[Y]").astype(int) + 1970
    first_year = int(d[0].astype("datetime64[Y]").astype(int) + 1970)
    last = d[-1]
    last_year = int(last.astype("datetime64[Y]").astype(int) + 1970)
    ends_year = last >= np.datetime64(f"{last_year}-12-29")
    out = []
    for year in np.unique(years):
        growth = np.prod(1.0 + r[years == year]) - 1.0
        complete = bool(year > first_year and (year < last_year or ends_year))
        out.append(YearReturn(int(year), float(growth), complete))
    return tuple(out)


@dataclass(frozen=True)
class BenchmarkComparison:
    """The portfolio against a benchmark over the days both exist (``start``..``end``)."""

    name: str
    start: str
    end: str
    cagr: float
    volatility: float
    max_drawdown: float
    portfolio_cagr: float
    excess_return: float
    tracking_error: float
    information_ratio: float
    yearly: tuple[YearReturn, ...] = ()
    total_return: float = _NAN


def compare_to_benchmark(returns: np.ndarray, benchmark: np.ndarray, name: str,
                         start: str, end: str) -> BenchmarkComparison:
    """Excess return, tracking error and information ratio on two aligned return series."""
    r = np.asarray(returns, dtype=float)
    b = np.asarray(benchmark, dtype=float)
    if r.shape != b.shape:
        raise ValueError(f"{r.size} portfolio returns but {b.size} benchmark returns")
    active = r - b
    te = float(np.std(active, ddof=1) * np.sqrt(_Y)) if r.size > 1 else float("nan")
    ir = float(np.mean(active) * _Y / te) if te and te > 0 else float("nan")
    return BenchmarkComparison(
        name=name, start=start, end=end, cagr=cagr(b), volatility=volatility(b),
        max_drawdown=max_drawdown(wealth_index(b)).depth, portfolio_cagr=cagr(r),
        excess_return=cagr(r) - cagr(b), tracking_error=te, information_ratio=ir,
        total_return=total_return(b))


# --- a whole backtest -------------------------------------------------------------------------
@dataclass(frozen=True)
class PerformanceSummary:
    """Every figure reported for one backtest. Dates are ISO strings."""

    start: str
    end: str
    years: float
    initial: float
    final_value: float
    contributions: float
    withdrawals: float
    total_return: float
    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    drawdown_peak: str | None
    drawdown_trough: str | None
    drawdown_recovery: str | None
    calmar: float
    turnover: float
    rebalances: int
    total_costs: float
    cost_drag: float
    best_year: YearReturn | None
    worst_year: YearReturn | None
    yearly: tuple[YearReturn, ...]
    risk_free: str
    benchmark: BenchmarkComparison | None
    failed_rebalances: int
    depleted_on: str | None
    annualised: bool = True
    """False under a year: CAGR and the other per-year figures are NaN (see the module)."""
    risk_measured: bool = True
    """False with fewer than ``MIN_RISK_RETURNS`` daily returns: volatility and ratios NaN."""
    money_weighted_return: float = _NAN
    """Annual IRR of the actual cash flows (see the module); ``total_return`` is
    time-weighted."""
    gain: float = _NAN
    """Final value - initial - contributions + withdrawals (money)."""


def summarize(result: BacktestResult, risk_free_daily: float | np.ndarray = 0.0,
              risk_free_label: str = "0%",
              benchmark_prices: np.ndarray | None = None,
              benchmark_name: str = "") -> PerformanceSummary:
    """All metrics of ``result``.

    ``risk_free_daily``: a daily risk-free return, scalar or one per day of ``result.dates``
    (the value on day t applies to the return from t-1 to t). ``benchmark_prices``: one price
    per date (NaN before the benchmark exists); compared over the days it has prices.
    """
    r = result.daily_returns
    dates = result.dates[: r.size + 1]
    rf = np.asarray(risk_free_daily, dtype=float)
    if rf.ndim:
        if rf.shape != result.dates.shape:
            raise ValueError("the risk-free series needs one value per backtest date")
        rf = rf[1: r.size + 1]
    wealth = wealth_index(r)
    dd = max_drawdown(wealth)
    years = r.size / _Y
    annual = r.size >= _Y           # never extrapolate a part of a year to a whole one
    risk = r.size >= MIN_RISK_RETURNS
    turnover = float(result.event_turnover.sum() / years) if annual else _NAN
    yearly = yearly_returns(r, dates)
    full = [y for y in yearly if y.complete]
    bench = None
    if benchmark_prices is not None:
        bench = _benchmark(r, dates, np.asarray(benchmark_prices, dtype=float)[: dates.size],
                           benchmark_name)

    def day(i: int | None) -> str | None:
        return None if i is None else str(dates[i])

    flows = result.flows
    return PerformanceSummary(
        start=str(dates[0]), end=str(result.dates[-1]), years=years,
        initial=result.initial, final_value=result.final_value,
        contributions=float(flows[flows > 0].sum()),
        withdrawals=float(np.abs(flows[flows < 0]).sum()),
        total_return=total_return(r), cagr=cagr(r) if annual else _NAN,
        volatility=volatility(r) if risk else _NAN,
        sharpe=sharpe_ratio(r, rf) if risk else _NAN,
        sortino=sortino_ratio(r, rf) if risk else _NAN,
        max_drawdown=dd.depth, drawdown_peak=day(dd.peak), drawdown_trough=day(dd.trough),
        drawdown_recovery=day(dd.recovery), calmar=calmar_ratio(r) if annual else _NAN,
        turnover=turnover, rebalances=result.rebalance_count, total_costs=result.total_costs,
        cost_drag=cagr(result.gross_daily_returns) - cagr(r) if annual else _NAN,
        best_year=max(full, key=lambda y: y.value) if full else None,
        worst_year=min(full, key=lambda y: y.value) if full else None,
        yearly=yearly, risk_free=risk_free_label, benchmark=bench,
        failed_rebalances=len(result.failures),
        depleted_on=day(result.depleted_day), annualised=annual, risk_measured=risk,
        money_weighted_return=money_weighted_return(result.dates, flows, result.initial,
                                                    result.final_value),
        gain=result.final_value - result.initial - float(flows.sum()))


def _benchmark(r: np.ndarray, dates: np.ndarray, prices: np.ndarray,
               name: str) -> BenchmarkComparison | None:
    have = np.isfinite(prices) & (prices > 0)
    if have.sum() < 2:
        return None
    first = int(np.argmax(have))
    if not have[first:].all():
        raise ValueError(f"benchmark {name} has gaps after its first price")
    b = prices[first + 1:] / prices[first:-1] - 1.0
    comparison = compare_to_benchmark(r[first:], b, name, str(dates[first]), str(dates[-1]))
    comparison = dataclasses.replace(comparison, yearly=yearly_returns(b, dates[first:]))
    if b.size < MIN_RISK_RETURNS:
        comparison = dataclasses.replace(comparison, volatility=_NAN, tracking_error=_NAN,
                                         information_ratio=_NAN)
    if b.size < _Y:
        comparison = dataclasses.replace(comparison, cagr=_NAN, portfolio_cagr=_NAN,
                                         excess_return=_NAN)
    return comparison
