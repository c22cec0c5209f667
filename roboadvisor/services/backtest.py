"""The backtest use case: configuration -> prices -> target weights -> engine -> metrics.

- Target weights: explicit ``weights``; or a tier's fixed allocation, optimised once on the
  capital market assumptions (``assumptions``, default the shipped file) with the tier's
  policy; or walk-forward re-optimisation of the tier's policy on trailing windows of the
  prices (only the assets the tier may hold, i.e. risk level <= its ``max_product_risk``, need
  prices).
- Prices: ``prices`` (a file) or the local cache; never downloaded here (run
  ``roboadvisor data fetch`` or ``data import`` first). Only assets with a non-zero fixed
  target need prices. The run starts on ``start`` (or the first day every held asset has a
  price; for walk-forward, the first day with a full estimation window before it).
- Benchmark: a ticker's adjusted closes (buy and hold), compared over the days it exists; when
  its prices are missing the run goes on without it, with a warning.
- Risk-free: a constant annual rate, or a yield file (the yield known at the previous close
  applies to each day's return, divided by 252).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from roboadvisor import TRADING_DAYS_PER_YEAR
from roboadvisor.data.backtest_config import (
    BacktestConfig,
    TargetMode,
    load_risk_free_file,
)
from roboadvisor.domain.backtest import BacktestResult, TargetSchedule, simulate
from roboadvisor.domain.metrics import PerformanceSummary, summarize
from roboadvisor.domain.models import Universe
from roboadvisor.domain.walkforward import walk_forward_targets
from roboadvisor.errors import ConfigError, CoverageError, DataQualityError

ProgressFactory = Callable[[str, int], AbstractContextManager[Callable[..., None]]]
"""``progress(description, total)`` -> a context manager yielding ``advance()``."""

_MIN_WEIGHT = 1e-4  # fixed targets below 0.01% are dropped (and the rest renormalised)


@dataclass(frozen=True, eq=False)
class BacktestRun:
    """One finished backtest: the config as run, the engine's result, the metrics, the
    benchmark's prices on the backtest dates (NaN before it exists), and warnings."""

    config: BacktestConfig
    result: BacktestResult
    summary: PerformanceSummary
    benchmark_prices: np.ndarray | None
    targets_from: str
    warnings: tuple[str, ...]


def run_backtest(config: BacktestConfig, *, cache_dir: Path | None = None,
                 progress: ProgressFactory | None = None) -> BacktestRun:
    """Run one configured backtest."""
    warnings: list[str] = []
    plan = _targets_plan(config)
    price_warnings: list[str] = []
    frame = _load_prices(config, plan.tickers, cache_dir, price_warnings)
    _check_end(config, frame, plan.tickers, warnings)
    aligned, start_day = _align(config, frame, plan)
    full_dates = aligned.index.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    warnings += [w for w in price_warnings if _concerns(w, full_dates[0], full_dates[-1])]
    full_prices = aligned.to_numpy(dtype=float)
    dates = full_dates[start_day:]
    prices = full_prices[start_day:]
    if dates.size < 2:
        raise CoverageError(f"{config.where}: only {dates.size} trading day(s) between "
                            f"{config.start or dates[0]} and {config.end or dates[-1]}; "
                            "widen the dates")
    rf_annual = _risk_free_annual(config, full_dates)
    failures: tuple = ()
    if plan.mode is TargetMode.WALK_FORWARD:
        schedule, failures = _walk_forward(config, plan, full_prices, full_dates, start_day,
                                           rf_annual, progress)
        if failures:
            warnings.append(f"{len(failures)} re-optimisation(s) failed and kept the previous "
                            f"targets (first on {failures[0].date}: {failures[0].reason})")
    else:
        schedule = TargetSchedule.fixed(plan.weights)
    result = simulate(prices, dates, schedule, config.rule, tickers=plan.tickers,
                      costs=config.costs, cash_flows=config.cash_flows)
    if failures:
        result = dataclasses.replace(result, failures=failures)
    if result.depleted_day is not None:
        warnings.append(f"withdrawals emptied the portfolio on {dates[result.depleted_day]}")
    bench = _benchmark_prices(config, frame, aligned.index[start_day:], warnings)
    rf_previous = np.concatenate((rf_annual[:1], rf_annual[:-1]))  # known at the last close
    rf_daily = rf_previous[start_day:] / TRADING_DAYS_PER_YEAR
    summary = summarize(result, rf_daily, config.risk_free.describe(), bench,
                        config.benchmark or "")
    return BacktestRun(config, result, summary, bench, plan.source, tuple(warnings))


def run_many(configs: Sequence[BacktestConfig], *, cache_dir: Path | None = None,
             progress: ProgressFactory | None = None) -> list[BacktestRun]:
    """Run several backtests one after another (``backtest compare``)."""
    return [run_backtest(c, cache_dir=cache_dir, progress=progress) for c in configs]


# --- targets -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Plan:
    mode: TargetMode
    tickers: tuple[str, ...]
    weights: np.ndarray | None
    universe: Universe | None
    policy: Any
    source: str


def _targets_plan(config: BacktestConfig) -> _Plan:
    if config.weights is not None:
        tickers = tuple(t for t, w in config.weights if w > 0)
        w = np.array([w for _, w in config.weights if w > 0], dtype=float)
        return _Plan(TargetMode.FIXED, tickers, w / w.sum(), None, None, "explicit weights")
    from roboadvisor.data.policy_file import load_policies
    from roboadvisor.data.universe_file import load_universe

    assert config.tier is not None
    universe = load_universe(config.universe)
    policy = load_policies(config.policies, universe)[config.tier]
    if config.targets is TargetMode.WALK_FORWARD:
        eligible = [a.ticker for a in universe if a.risk_level <= policy.max_product_risk]
        sub = universe.subset(eligible)
        spec = config.walk_forward
        assert spec is not None
        return _Plan(TargetMode.WALK_FORWARD, sub.tickers, None, sub, policy,
                     f"tier {config.tier.value} policy re-optimised {spec.frequency.value} on "
                     f"{spec.window}-day windows ({spec.returns.value} returns, "
                     f"{spec.covariance.value} covariance)")
    allocation, source = _fixed_allocation(config, universe, policy)
    keep = allocation.weights > _MIN_WEIGHT
    w = allocation.weights[keep]
    tickers = tuple(t for t, k in zip(allocation.tickers, keep, strict=True) if k)
    return _Plan(TargetMode.FIXED, tickers, w / w.sum(), universe, policy, source)


def _fixed_allocation(config: BacktestConfig, universe: Universe, policy: Any) -> Any:
    """The tier's allocation on the capital market assumptions: the portfolio
    ``roboadvisor allocate --tier N`` gives with the same files."""
    from roboadvisor.services.allocate import AllocationRequest, MarketRequest, allocate

    assert config.tier is not None
    request = AllocationRequest(
        tier=config.tier, policies_file=config.policies,
        market=MarketRequest(universe_file=config.universe,
                             assumptions_file=config.assumptions))
    result = allocate(request)
    return result.allocation, f"tier {config.tier.value} allocation on {result.estimates.source}"


def _walk_forward(config: BacktestConfig, plan: _Plan, prices: np.ndarray, dates: np.ndarray,
                  start_day: int, rf_annual: np.ndarray,
                  progress: ProgressFactory | None) -> tuple[TargetSchedule, tuple]:
    from roboadvisor.domain.optimizer import optimise
    from roboadvisor.domain.walkforward import reoptimisation_days

    spec = config.walk_forward
    assert spec is not None and plan.universe is not None
    universe, policy = plan.universe, plan.policy
    total = int(reoptimisation_days(dates, start_day, spec.frequency).size)

    def solve(estimates: Any) -> np.ndarray:
        return optimise(estimates, policy, universe).weights

    bar = progress("walk-forward re-optimisation", total) if progress else nullcontext(None)
    with bar as advance:
        wf = walk_forward_targets(prices, dates, plan.tickers, start_day, spec, solve,
                                  risk_free_annual=rf_annual,
                                  market_weights=universe.market_weights(), on_step=advance)
    return wf.schedule, wf.failures


# --- prices ----------------------------------------------------------------------------------
def _load_prices(config: BacktestConfig, tickers: tuple[str, ...], cache_dir: Path | None,
                 warnings: list[str]) -> pd.DataFrame:
    """Prices of ``tickers`` (strict) and of the benchmark (best effort)."""
    from roboadvisor.services.market import load_price_data

    bench = config.benchmark
    wanted = list(tickers) + ([bench] if bench and bench not in tickers else [])
    try:
        data = load_price_data(wanted, prices_file=config.prices, end=config.end,
                               cache_dir=cache_dir, download=False)
    except (CoverageError, DataQualityError) as exc:
        if not bench or bench in tickers:
            raise
        data = load_price_data(list(tickers), prices_file=config.prices, end=config.end,
                               cache_dir=cache_dir, download=False)
        warnings.append(f"benchmark {bench} left out: {exc}")
    warnings.extend(data.warnings)
    return data.prices


def _concerns(message: str, first: np.datetime64, last: np.datetime64) -> bool:
    """False for a data warning whose dates all fall outside the days the run uses."""
    import re

    days = [np.datetime64(d) for d in re.findall(r"\b\d{4}-\d{2}-\d{2}\b", message)]
    return not days or any(first <= d <= last for d in days)


def _check_end(config: BacktestConfig, frame: pd.DataFrame, tickers: tuple[str, ...],
               warnings: list[str]) -> None:
    """Name the asset whose last price limits the run when start or end lie beyond it."""
    lasts = {t: frame[t].last_valid_index() for t in tickers if t in frame.columns}
    if not lasts or any(v is None for v in lasts.values()):
        return  # align_prices names the ticker without prices
    last = min(lasts.values()).date()
    ending = [t for t, v in lasts.items() if v.date() == last]
    who = ("where the prices end" if len(ending) == len(lasts)
           else f"the last price of {', '.join(ending)}")
    if config.start is not None and config.start > last:
        raise CoverageError(f"{config.where}: start {config.start} is after {last}, {who}; "
                            "use an earlier --start or newer prices")
    if config.end is not None and config.end > last:
        warnings.append(f"end {config.end} is after {last}, {who}: the run ends on {last}")


def _align(config: BacktestConfig, frame: pd.DataFrame, plan: _Plan) -> tuple[pd.DataFrame, int]:
    """The common history of the held assets, and the index of the first backtest day."""
    from roboadvisor.domain.alignment import align_prices

    tickers = list(plan.tickers)
    if plan.mode is TargetMode.FIXED:
        return align_prices(frame, tickers, config.start, config.end), 0
    spec = config.walk_forward
    assert spec is not None
    history = align_prices(frame, tickers, None, config.end)
    need = spec.window + 1
    first = history.index[0].date()
    if config.start is None:
        if len(history) <= need + 1:
            raise CoverageError(
                f"{config.where}: walk-forward needs {need} days of prices before the first "
                f"backtest day, but all of {', '.join(tickers)} have only {len(history)} days "
                f"together (from {first}); shorten walk_forward.window")
        return history, need
    start_day = int(np.searchsorted(history.index.to_numpy(), np.datetime64(config.start)))
    if start_day < need:
        late = max(tickers, key=lambda t: frame[t].first_valid_index())
        earliest = (history.index[need].date() if len(history) > need
                    else "no date in the data")
        raise CoverageError(
            f"{config.where}: start {config.start} leaves {start_day} days of history for the "
            f"{spec.window}-day walk-forward window; the assets all have prices from {first} "
            f"({late} is the latest to start): use --start {earliest} or later")
    return history, start_day


def _benchmark_prices(config: BacktestConfig, frame: pd.DataFrame, dates: pd.Index,
                      warnings: list[str]) -> np.ndarray | None:
    bench = config.benchmark
    if not bench or bench not in frame.columns:
        return None
    series = frame[bench].reindex(dates)
    values = series.to_numpy(dtype=float, na_value=np.nan, copy=True)
    have = np.isfinite(values)
    if have.sum() < 3:
        warnings.append(f"benchmark {bench} has no prices in the backtest window; left out")
        return None
    first = int(np.argmax(have))
    if first > 0:
        warnings.append(f"benchmark {bench} starts {dates[first].date()}, after the backtest "
                        "start; it is compared from that day")
    values[first:] = pd.Series(values[first:]).ffill().to_numpy()
    return values


# --- risk-free --------------------------------------------------------------------------------
def _risk_free_annual(config: BacktestConfig, dates: np.ndarray) -> np.ndarray:
    """The annual risk-free rate known at each date's close (decimals)."""
    rf = config.risk_free
    if rf.path is None:
        return np.full(dates.shape, rf.rate)
    rf_dates, rates = load_risk_free_file(rf.path)
    idx = np.searchsorted(rf_dates, dates, side="right") - 1
    if idx[0] < 0:
        raise ConfigError(f"{config.where}: risk_free: {rf.path} starts {rf_dates[0]}, after "
                          f"the first date needed ({dates[0]}); use a longer yield file or a "
                          "constant rate")
    stale = (dates - rf_dates[idx]).astype(int)
    if stale.max() > 10:
        worst = int(np.argmax(stale))
        raise ConfigError(f"{config.where}: risk_free: {rf.path} has no yield between "
                          f"{rf_dates[idx[worst]]} and {dates[worst]}; extend the file")
    return rates[idx]


# --- configuration with command-line overrides -------------------------------------------------
def configure(path: Path, *, prices: Path | None = None, start: Any = None, end: Any = None,
              rule: str | None = None, risk_free: str | None = None,
              benchmark: str | None = None) -> BacktestConfig:
    """Load ``path`` and apply command-line overrides (which win over the file). Relative
    paths given on the command line are relative to the current directory."""
    from roboadvisor.data.backtest_config import (
        TIER_BENCHMARKS,
        load_backtest_config,
        parse_risk_free,
        parse_rule,
        with_overrides,
    )

    config = load_backtest_config(path)
    changes: dict[str, Any] = {"start": start, "end": end}
    if prices is not None:
        if not Path(prices).is_file():
            raise ConfigError(f"--prices {prices}: file not found")
        changes["prices"] = Path(prices)
    if rule is not None:
        try:
            changes["rule"] = parse_rule(rule)
        except ValueError as exc:
            raise ConfigError(f"--rule: {exc}") from None
    if risk_free is not None:
        try:
            changes["risk_free"] = parse_risk_free(risk_free, None)
        except ValueError as exc:
            raise ConfigError(f"--risk-free: {exc}") from None
    config = with_overrides(config, **changes)
    if benchmark is not None:
        text = benchmark.strip()
        if text.lower() in ("none", ""):
            bench = None
        elif text.lower() == "auto":
            bench = TIER_BENCHMARKS[config.tier] if config.tier is not None else None
        else:
            bench = text.upper()
        config = dataclasses.replace(config, benchmark=bench)
    return config


# --- files written on request ----------------------------------------------------------------
def check_outputs(csv_dir: Path | None, plot: Path | None) -> None:
    """Refuse unusable output paths before any work is done (nothing is half-written)."""
    if csv_dir is not None and Path(csv_dir).exists() and not Path(csv_dir).is_dir():
        raise ConfigError(f"--csv {csv_dir}: exists and is not a directory")
    if plot is not None:
        plot = Path(plot)
        if plot.suffix.lower() != ".png":
            raise ConfigError(f"--plot {plot}: give a file name ending in .png")
        if not plot.parent.is_dir():
            raise ConfigError(f"--plot {plot}: folder {plot.parent} does not exist")
        if plot.is_dir():
            raise ConfigError(f"--plot {plot}: is a directory")


def equity_frame(run: BacktestRun) -> pd.DataFrame:
    """The daily equity curve: value, flow, costs, time-weighted wealth index, drawdown."""
    res = run.result
    returns = res.daily_returns
    wealth = np.full(res.values.shape, np.nan)
    wealth[: returns.size + 1] = np.concatenate(([1.0], np.cumprod(1.0 + returns)))
    peaks = np.fmax.accumulate(wealth)
    frame = pd.DataFrame({
        "value": res.values, "flow": res.flows, "costs": res.costs, "wealth_index": wealth,
        "drawdown": wealth / peaks - 1.0,
    }, index=pd.DatetimeIndex(res.dates.astype("datetime64[ns]"), name="date"))
    if run.benchmark_prices is not None:
        b = run.benchmark_prices
        first = int(np.argmax(np.isfinite(b)))
        frame[f"benchmark_{run.config.benchmark}"] = b / b[first] * wealth[first]
    return frame


def trades_frame(run: BacktestRun) -> pd.DataFrame:
    """One row per asset traded: date, why, ticker, value (buy > 0), share of the event's
    costs in proportion to the value traded."""
    res = run.result
    rows = []
    for k, day in enumerate(res.event_days):
        traded = res.event_trades[k]
        gross = np.abs(traded).sum()
        for i in np.flatnonzero(np.abs(traded) > 1e-9 * max(res.event_values[k], 1.0)):
            rows.append({"date": str(res.dates[day]), "event": res.event_kinds[k].value,
                         "ticker": res.tickers[i], "value": float(traded[i]),
                         "cost": float(res.event_costs[k] * abs(traded[i]) / gross)})
    return pd.DataFrame(rows, columns=["date", "event", "ticker", "value", "cost"])


def write_csv(runs: Sequence[BacktestRun], directory: Path) -> list[Path]:
    """``equity.csv`` and ``trades.csv`` (one run), or ``equity.csv`` with one value column per
    strategy (several), each written to a temporary file and renamed into place."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if len(runs) == 1:
        files = {"equity.csv": equity_frame(runs[0]), "trades.csv": trades_frame(runs[0])}
    else:
        columns = {_unique(r.config.name, i, runs): pd.Series(
            r.result.values, index=pd.DatetimeIndex(r.result.dates.astype("datetime64[ns]")))
            for i, r in enumerate(runs)}
        equity = pd.DataFrame(columns)
        equity.index.name = "date"
        files = {"equity.csv": equity}
    written = []
    for name, frame in files.items():
        target = directory / name
        _atomic_csv(frame, target, index=name == "equity.csv")
        written.append(target)
    return written


def _unique(name: str, i: int, runs: Sequence[BacktestRun]) -> str:
    same = [r for r in runs if r.config.name == name]
    return name if len(same) == 1 else f"{name} #{i + 1}"


def _atomic_csv(frame: pd.DataFrame, target: Path, index: bool) -> None:
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            frame.to_csv(handle, index=index, float_format="%.10g")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
