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
- Benchmark: a ticker's adjusted closes (buy and hold), compared over the days it exists. A
  benchmark named in the file or by ``--benchmark`` must have prices in the window (else an
  error); the ``auto`` one is best effort (left out with a warning).
- Costs: a ``per_asset_bps`` ticker must be one the strategy can hold.
- Risk-free: a constant annual rate, or a yield file (the yield known at the previous close
  applies to each day's return, as the daily rate (1 + rf)^(1/252) - 1, the convention of
  quantstats and ffn: ``metrics.daily_risk_free``).
- Suitability: ``suitability`` (portfolio or holdings) overrides the policies file's mode.
  Walk-forward dates whose volatility ceiling is out of reach hold the policy's least-risk
  portfolio (``walk_forward.on_infeasible: least_risk``, the default) and are listed in
  ``fallbacks``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from roboadvisor.data.backtest_config import (
    BacktestConfig,
    TargetMode,
    load_risk_free_file,
)
from roboadvisor.domain.backtest import BacktestResult, TargetSchedule, simulate
from roboadvisor.domain.metrics import (
    PerformanceSummary,
    daily_risk_free,
    summarize,
    wealth_index,
)
from roboadvisor.domain.models import Universe
from roboadvisor.domain.walkforward import walk_forward_targets
from roboadvisor.errors import (
    ConfigError,
    CoverageError,
    DataQualityError,
    MissingAssumptionsError,
    catalog_text,
)
from roboadvisor.errors import reason as reason_of
from roboadvisor.fields import Field

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
    fallbacks: tuple = ()
    """Walk-forward dates that held the least-risk portfolio (``RebalanceFailure``: date and
    note)."""
    prices: np.ndarray | None = None
    """The held assets' adjusted closes on the backtest dates, shape (days, assets) in
    ``result.tickers`` order (for daily weights: ``roboadvisor.api``)."""


def run_backtest(config: BacktestConfig, *, cache_dir: Path | None = None,
                 progress: ProgressFactory | None = None,
                 suitability: str | None = None) -> BacktestRun:
    """Run one configured backtest (``suitability`` overrides the policies' mode)."""
    warnings: list[str] = []
    plan = _targets_plan(config, suitability)
    _check_costs(config, plan)
    price_warnings: list[str] = []
    frame = _load_prices(config, plan, cache_dir, price_warnings)
    _check_end(config, frame, plan.tickers, warnings)
    aligned, start_day = _align(config, frame, plan)
    full_dates = aligned.index.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    warnings += [w for w in price_warnings if _concerns(w, full_dates[0], full_dates[-1])]
    # row-major (days x assets): the engine reads a day's row at a time, and a frame's
    # column-major array would be copied by it (issue 14)
    full_prices = np.ascontiguousarray(aligned.to_numpy(dtype=float))
    dates = full_dates[start_day:]
    prices = full_prices[start_day:]
    if dates.size < 2:
        raise CoverageError.from_catalog("market.too_few_days", where=config.where,
                                         count=dates.size, start=config.start or dates[0],
                                         end=config.end or dates[-1])
    rf_annual = _risk_free_annual(config, full_dates)
    failures: tuple = ()
    fallbacks: tuple = ()
    if plan.mode is TargetMode.WALK_FORWARD:
        schedule, failures, fallbacks = _walk_forward(config, plan, full_prices, full_dates,
                                                      start_day, rf_annual, progress)
        if fallbacks:
            warnings.append(catalog_text("suitability.least_risk_months", count=len(fallbacks),
                                         date=fallbacks[0].date, reason=fallbacks[0].reason))
        if failures:
            warnings.append(catalog_text("market.reoptimisations_failed", count=len(failures),
                                         day=failures[0].date, reason=failures[0].reason))
    else:
        assert plan.weights is not None  # a fixed plan carries its weights
        schedule = TargetSchedule.fixed(plan.weights)
    result = simulate(prices, dates, schedule, config.rule, tickers=plan.tickers,
                      costs=config.costs, cash_flows=config.cash_flows,
                      trade_rules=config.trade_rules)
    if failures:
        result = dataclasses.replace(result, failures=failures)
    if result.depleted_day is not None:
        warnings.append(_depletion_cause(result, dates, config))
    bench = _benchmark_prices(config, frame, aligned.index[start_day:], warnings)
    rf_previous = np.concatenate((rf_annual[:1], rf_annual[:-1]))  # known at the last close
    rf_daily = daily_risk_free(rf_previous[start_day:])
    summary = summarize(result, rf_daily, config.risk_free.describe(), bench,
                        config.benchmark or "")
    return BacktestRun(config, result, summary, bench, plan.source, tuple(warnings), fallbacks,
                       prices)


def run_many(configs: Sequence[BacktestConfig], *, cache_dir: Path | None = None,
             progress: ProgressFactory | None = None,
             suitability: str | None = None) -> list[BacktestRun]:
    """Run several backtests one after another (``backtest compare``)."""
    return [run_backtest(c, cache_dir=cache_dir, progress=progress, suitability=suitability)
            for c in configs]


def configure_many(paths: Sequence[Path], **overrides: Any) -> list[BacktestConfig]:
    """The configurations of ``backtest compare``: two or more different files, each loaded
    with the same command-line ``overrides`` (see ``configure``)."""
    if len(paths) < 2:
        raise ConfigError.from_catalog("market.compare_needs_two", count=len(paths),
                                       file=paths[0] if paths else "FILE")
    seen: dict[Path, Path] = {}
    for path in paths:
        key = Path(path).resolve()
        if key in seen:
            same = ("" if str(seen[key]) == str(path)
                    else catalog_text("market.also_as", path=seen[key]))
            raise ConfigError.from_catalog("market.given_twice", path=path, same=same)
        seen[key] = Path(path)
    return [configure(p, **overrides) for p in paths]


# --- targets -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Plan:
    mode: TargetMode
    tickers: tuple[str, ...]
    weights: np.ndarray | None
    universe: Universe | None
    policy: Any
    source: str


def _targets_plan(config: BacktestConfig, suitability: str | None = None) -> _Plan:
    if config.weights is not None:
        tickers = tuple(t for t, w in config.weights if w > 0)
        w = np.array([w for _, w in config.weights if w > 0], dtype=float)
        return _Plan(TargetMode.FIXED, tickers, w / w.sum(), None, None,
                     catalog_text("zh_hardening.bt_from_weights"))
    from roboadvisor.data.policy_file import load_policies
    from roboadvisor.data.universe_file import load_universe

    assert config.tier is not None
    universe = load_universe(config.universe)
    policy = load_policies(config.policies, universe, suitability)[config.tier]
    if config.targets is TargetMode.WALK_FORWARD:
        from roboadvisor.domain.estimates import method_name
        from roboadvisor.domain.suitability import Suitability

        by_holding = policy.suitability is Suitability.HOLDINGS
        eligible = [a.ticker for a in universe
                    if not by_holding or a.risk_level <= policy.max_product_risk]
        sub = universe.subset(eligible)
        spec = config.walk_forward
        assert spec is not None
        return _Plan(TargetMode.WALK_FORWARD, sub.tickers, None, sub, policy,
                     catalog_text("zh_hardening.bt_from_walk_forward", k=config.tier.value,
                                  frequency=_frequency_name(spec.frequency),
                                  window=spec.window, returns=method_name(spec.returns.value),
                                  covariance=method_name(spec.covariance.value)))
    allocation, source = _fixed_allocation(config, universe, policy, suitability)
    keep = allocation.weights > _MIN_WEIGHT
    w = allocation.weights[keep]
    tickers = tuple(t for t, k in zip(allocation.tickers, keep, strict=True) if k)
    return _Plan(TargetMode.FIXED, tickers, w / w.sum(), universe, policy, source)


def _fixed_allocation(config: BacktestConfig, universe: Universe, policy: Any,
                      suitability: str | None = None) -> Any:
    """The tier's allocation on the capital market assumptions: the portfolio
    ``roboadvisor allocate --tier N`` gives with the same files."""
    from roboadvisor.services.allocate import AllocationRequest, MarketRequest, allocate

    assert config.tier is not None
    request = AllocationRequest(
        tier=config.tier, policies_file=config.policies, suitability=suitability,
        market=MarketRequest(universe_file=config.universe,
                             assumptions_file=config.assumptions))
    try:
        result = allocate(request)
    except MissingAssumptionsError as exc:
        # Say what works in a backtest (it has no --source option).
        what = ", ".join(exc.tickers)
        raise ConfigError.from_catalog(
            "zh_hardening.bt_missing_assumptions", where=config.where, path=exc.path,
            what=what, universe=config.universe or catalog_text("zh_hardening.default_universe")
        ) from None
    return result.allocation, catalog_text("zh_hardening.bt_from_tier_allocation",
                                           k=config.tier.value, source=result.estimates.source)


def _check_costs(config: BacktestConfig, plan: _Plan) -> None:
    """A per-asset cost for a ticker the strategy cannot hold is a typo, not a no-op."""
    stray = [t for t, _ in config.costs.per_asset_bps if t not in plan.tickers]
    if stray:
        can = "can hold" if plan.mode is TargetMode.WALK_FORWARD else "holds"
        raise ConfigError.from_catalog(
            "market.stray_cost_can_hold" if can == "can hold" else "market.stray_cost_holds",
            where=config.where, ticker=stray[0], tickers=", ".join(plan.tickers))


def _walk_forward(config: BacktestConfig, plan: _Plan, prices: np.ndarray, dates: np.ndarray,
                  start_day: int, rf_annual: np.ndarray,
                  progress: ProgressFactory | None) -> tuple[TargetSchedule, tuple, tuple]:
    from roboadvisor.domain.optimizer import least_risk, optimise
    from roboadvisor.domain.walkforward import reoptimisation_days
    spec = config.walk_forward
    assert spec is not None and plan.universe is not None
    universe, policy = plan.universe, plan.policy
    total = int(reoptimisation_days(dates, start_day, spec.frequency).size)

    def solve(estimates: Any) -> np.ndarray:
        return optimise(estimates, policy, universe).weights

    def fallback(estimates: Any, error: Any) -> tuple[np.ndarray, str]:
        held = least_risk(estimates, policy, universe)
        return held.weights, catalog_text("suitability.least_risk", target=_pct(error.target),
                                          lowest=_pct(held.volatility))

    bar = (progress(catalog_text("zh_hardening.progress_walk_forward"), total) if progress
           else nullcontext(None))
    with bar as advance:
        wf = walk_forward_targets(prices, dates, plan.tickers, start_day, spec, solve,
                                  risk_free_annual=rf_annual,
                                  market_weights=universe.market_weights(), on_step=advance,
                                  fallback=fallback)
    return wf.schedule, wf.failures, wf.fallbacks


def _frequency_name(frequency: Any) -> Any:
    """'monthly' -> the catalog's name of the frequency (so a header reads in --lang)."""
    return catalog_text(f"zh_hardening.freq_{frequency.value}")


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


# --- prices ----------------------------------------------------------------------------------
def _load_prices(config: BacktestConfig, plan: _Plan, cache_dir: Path | None,
                 warnings: list[str]) -> pd.DataFrame:
    """Prices of the held assets (strict) and of the benchmark (required when named, best
    effort for ``auto``)."""
    from roboadvisor.services.market import load_price_data

    tickers = list(plan.tickers)
    bench = config.benchmark
    extra = [bench] if bench and bench not in tickers else []

    def load(names: list[str]) -> Any:
        return load_price_data(names, prices_file=config.prices, end=config.end,
                               cache_dir=cache_dir, download=False)

    try:
        data = load(tickers + extra)
    except (CoverageError, DataQualityError) as exc:
        absent = _absent_from_file(config, tickers + extra)
        held = [t for t in tickers if t in absent]
        if held:
            raise DataQualityError.from_catalog(
                "zh_hardening.bt_no_prices_one" if len(held) == 1
                else "zh_hardening.bt_no_prices_many", path=config.prices, names=", ".join(held),
                name=config.name, fix="" if config.weights is None else catalog_text(
                    "zh_hardening.bt_no_prices_fix_one" if len(held) == 1
                    else "zh_hardening.bt_no_prices_fix_many")) from None
        if not extra:
            raise
        data = load(tickers)  # the held assets' own problems surface here
        reason = (catalog_text("zh_hardening.bt_file_no_prices_for_it", path=config.prices)
                  if bench in absent else reason_of(exc))
        _benchmark_missing(config, reason, warnings)
    warnings.extend(data.warnings)
    return data.prices


def _absent_from_file(config: BacktestConfig, tickers: list[str]) -> set[str]:
    """The tickers a price file has no prices for (none when prices come from the cache, or
    when the file itself cannot be read: its loader's error is then the right one)."""
    if config.prices is None:
        return set()
    from roboadvisor.data.price_files import PriceFile, read_price_file

    try:
        prices = (config.prices.prices if isinstance(config.prices, PriceFile)
                  else read_price_file(config.prices).prices)
    except DataQualityError:
        return set()
    return {t for t in tickers if t not in prices.columns or not prices[t].notna().any()}


def _benchmark_missing(config: BacktestConfig, reason: object, warnings: list[str]) -> None:
    """An ``auto`` benchmark without prices is left out with a warning; a named one stops
    the run."""
    if config.benchmark_auto:
        warnings.append(catalog_text("market.benchmark_left_out", ticker=config.benchmark,
                                     reason=reason))
        return
    raise CoverageError.from_catalog("market.benchmark_missing", where=config.where,
                                     ticker=config.benchmark, reason=reason)


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
    who = (catalog_text("market.where_prices_end") if len(ending) == len(lasts)
           else catalog_text("market.last_price_of", tickers=", ".join(ending)))
    if config.start is not None and config.start > last:
        raise CoverageError.from_catalog("market.start_after_last", where=config.where,
                                         start=config.start, last=last, who=who)
    if config.end is not None and config.end > last:
        warnings.append(catalog_text("market.end_after_last", end=config.end, last=last,
                                     who=who))


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
            raise CoverageError.from_catalog(
                "zh_hardening.wf_history_short", where=config.where, need=need,
                tickers=", ".join(tickers), days=len(history), first=first,
                fix=_shorter_window(len(history)))
        return history, need
    start_day = int(np.searchsorted(history.index.to_numpy(), np.datetime64(config.start)))
    if start_day < need:
        late = max(tickers, key=lambda t: frame[t].first_valid_index())
        where = catalog_text("zh_hardening.wf_start_leaves", where=config.where,
                             start=config.start, days=start_day, window=spec.window,
                             first=first, late=late)
        if len(history) > need + 1:
            raise CoverageError.from_catalog("zh_hardening.wf_use_start", where=where,
                                             day=history.index[need].date())
        raise CoverageError.from_catalog("zh_hardening.wf_too_few_in_all", where=where,
                                         days=len(history), fix=_shorter_window(len(history)))
    return history, start_day


def _shorter_window(days: int) -> Any:
    """What to do when the whole common history is too short for the walk-forward: a window
    of w days needs w + 1 prices before the first backtest day, and two backtest days."""
    longest = days - 3
    if longest < 20:
        return catalog_text("zh_hardening.wf_longer_history")
    return catalog_text("zh_hardening.wf_shorten_window", days=longest)


def _benchmark_prices(config: BacktestConfig, frame: pd.DataFrame, dates: pd.Index,
                      warnings: list[str]) -> np.ndarray | None:
    bench = config.benchmark
    if not bench or bench not in frame.columns:
        return None
    series = frame[bench].reindex(dates)
    values = series.to_numpy(dtype=float, na_value=np.nan, copy=True)
    have = np.isfinite(values)
    if have.sum() < 2:  # a single price has no return to compare
        known = frame[bench].dropna()
        span = (catalog_text("market.prices_run", start=known.index[0].date(),
                             end=known.index[-1].date())
                if len(known) else catalog_text("market.prices_start_after",
                                                day=dates[-1].date()))
        count = catalog_text("market.single_price" if have.any() else "market.no_price")
        _benchmark_missing(config, catalog_text("market.benchmark_span", count=count,
                                                start=dates[0].date(), end=dates[-1].date(),
                                                span=span), warnings)
        return None
    first = int(np.argmax(have))
    if first > 0:
        warnings.append(catalog_text("market.benchmark_starts_late", ticker=bench,
                                     day=dates[first].date()))
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
        raise ConfigError.from_catalog("zh_hardening.rf_starts_late", where=config.where,
                                       path=rf.path, first=rf_dates[0], needed=dates[0])
    stale = (dates - rf_dates[idx]).astype(int)
    if stale.max() > 10:
        worst = int(np.argmax(stale))
        raise ConfigError.from_catalog("zh_hardening.rf_gap", where=config.where, path=rf.path,
                                       start=rf_dates[idx[worst]], end=dates[worst])
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
            raise ConfigError.from_catalog("market.prices_not_found", path=prices)
        changes["prices"] = Path(prices)
    if rule is not None:
        try:
            changes["rule"] = parse_rule(rule)
        except ValueError as exc:
            raise ConfigError.from_catalog("zh_hardening.option_problem", option=Field.RULE,
                                           problem=reason_of(exc)) from None
    if risk_free is not None:
        try:
            changes["risk_free"] = parse_risk_free(risk_free, None)
        except ValueError as exc:
            raise ConfigError.from_catalog("zh_hardening.option_problem", option=Field.RISK_FREE,
                                           problem=reason_of(exc)) from None
    config = with_overrides(config, **changes)
    if benchmark is not None:
        text = benchmark.strip()
        auto = text.lower() == "auto"
        if text.lower() in ("none", ""):
            bench = None
        elif auto:
            bench = TIER_BENCHMARKS[config.tier] if config.tier is not None else None
        else:
            bench = text.upper()
        config = dataclasses.replace(config, benchmark=bench, benchmark_auto=auto)
    return config


# --- files written on request ----------------------------------------------------------------
def _depletion_cause(result: Any, dates: np.ndarray, config: BacktestConfig) -> str:
    """Why the portfolio was emptied: a withdrawal on that day, or else trading costs (a fixed
    cost per trade larger than what was left, typically a tiny initial capital)."""
    from roboadvisor.errors import catalog_text

    day = result.depleted_day
    if result.flows[day] < 0:
        return catalog_text("errors.depleted_withdrawals", day=dates[day])
    return catalog_text("errors.depleted_costs", day=dates[day],
                        fixed=f"{config.costs.fixed:g}",
                        initial=f"{config.cash_flows.initial:g}")


def check_outputs(csv_dir: Path | None, plot: Path | None) -> None:
    """Refuse unusable output paths before any work is done (nothing is half-written)."""
    from roboadvisor.data.outputs import check_output

    if csv_dir is not None:
        if Path(csv_dir).exists() and not Path(csv_dir).is_dir():
            raise ConfigError.from_catalog("market.csv_not_dir", path=csv_dir)
        check_output(Path(csv_dir) / "equity.csv", Field.CSV, create_parent=True,
                     error=ConfigError)
    if plot is not None:
        check_output(Path(plot), Field.PLOT, suffix=".png", error=ConfigError)


def equity_frame(run: BacktestRun) -> pd.DataFrame:
    """The daily equity curve: value, flow, costs, time-weighted wealth index, drawdown."""
    res = run.result
    growth = wealth_index(res.daily_returns)
    wealth = np.full(res.values.shape, np.nan)   # NaN after a depletion
    wealth[: growth.size] = growth
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


def csv_outputs(runs: Sequence[BacktestRun], directory: Path) -> dict[Path, str]:
    """The CSV files to write, as text, keyed by path: ``equity.csv`` and ``trades.csv`` (one
    run), or ``equity.csv`` with one value column per strategy (several). Nothing is written
    here (see ``write_outputs``)."""
    directory = Path(directory)
    if len(runs) == 1:
        frames = {"equity.csv": equity_frame(runs[0]), "trades.csv": trades_frame(runs[0])}
    else:
        columns = {_unique(r.config.name, i, runs): pd.Series(
            r.result.values, index=pd.DatetimeIndex(r.result.dates.astype("datetime64[ns]")))
            for i, r in enumerate(runs)}
        equity = pd.DataFrame(columns)
        equity.index.name = "date"
        frames = {"equity.csv": equity}
    return {directory / name: frame.to_csv(index=name == "equity.csv", float_format="%.10g")
            for name, frame in frames.items()}


def write_outputs(files: Mapping[Path, str | bytes]) -> list[Path]:
    """Write output files computed beforehand, all together at the end (each to a temporary
    file first, then all renamed; see ``roboadvisor.data.outputs``)."""
    from roboadvisor.data.outputs import write_outputs as write_together

    return write_together(files)


def _unique(name: str, i: int, runs: Sequence[BacktestRun]) -> str:
    same = [r for r in runs if r.config.name == name]
    return name if len(same) == 1 else f"{name} #{i + 1}"
