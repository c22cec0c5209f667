"""Benchmark: the backtest engine against bt, and walk-forward re-optimisation against
PyPortfolioOpt rebuilt at every date (run on demand, not collected by pytest).

    /tmp/venv/bin/python tests/benchmarks/bench_backtest.py [--synthetic]

Data, the same for both parts: the 25 longest-lived tickers of the shared daily file
(../shared/data/etf_adjclose_daily_1993_2026.csv, from 2007-01-11, about 19.5 years), or with
``--synthetic`` (or when the file is absent) 20 years x 25 assets of seeded random walks.

1. Fixed-weight monthly rebalance, no costs: ``simulate`` against bt
   (RunMonthly(run_on_end_of_period=True) -> WeighTarget -> Rebalance, fractional units).
   Targets: at least 100x faster, final values equal within 1e-9 relative.
2. Walk-forward monthly re-optimisation (a 252-day window before each month end, historical
   mean returns, Ledoit-Wolf covariance, about 220 solves; utility objective with risk
   aversion 5, long-only, at most 25% per asset): ``walk_forward_targets`` with ``optimise``
   against, at every date, PyPortfolioOpt's ``CovarianceShrinkage(...).ledoit_wolf()`` +
   ``mean_historical_return(compounding=False)`` + a fresh ``EfficientFrontier`` +
   ``max_quadratic_utility``. Targets: at least 10x faster, weights equal within 1e-4.

Prints the timings and ratios; exits 1 when a target is missed, so it can gate a release.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from roboadvisor.domain.backtest import CashFlowPlan, simulate
from roboadvisor.domain.models import Asset, AssetClass, Estimates, Region, Universe
from roboadvisor.domain.optimizer import optimise
from roboadvisor.domain.policy import Objective, Policy
from roboadvisor.domain.rebalancing import Frequency, RebalanceRule, period_end_days
from roboadvisor.domain.walkforward import WalkForwardSpec, walk_forward_targets

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / (
    "etf_adjclose_daily_1993_2026.csv")
N_ASSETS = 25
MAX_WEIGHT = 0.25
RISK_AVERSION = 5.0
WINDOW = 252


def load_data(synthetic: bool) -> tuple[pd.DataFrame, str]:
    if not synthetic and SHARED.is_file():
        raw = pd.read_csv(SHARED, index_col=0, parse_dates=True)
        firsts = raw.apply(lambda s: s.first_valid_index()).sort_values(kind="stable")
        tickers = list(firsts.index[:N_ASSETS])
        frame = raw.loc[firsts.iloc[N_ASSETS - 1]:, tickers]
        assert not frame.isna().any().any()
        return frame, f"real: 25 longest-lived tickers of {SHARED.name}"
    rng = np.random.default_rng(2024)
    days = 20 * 252
    vols = np.linspace(0.002, 0.02, N_ASSETS)
    common = rng.normal(0, 0.008, (days, 1))
    r = 0.6 * common * (vols / vols.max()) + rng.normal(0.0003, vols, (days, N_ASSETS))
    index = pd.bdate_range("2005-01-03", periods=days)
    return (pd.DataFrame(100 * np.cumprod(1 + r, axis=0), index=index,
                         columns=[f"S{i:02d}" for i in range(N_ASSETS)]),
            "synthetic: 20 years x 25 assets, seeded")


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall time over ``repeats`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


# --- 1. engine vs bt ---------------------------------------------------------------------------
def bench_engine(frame: pd.DataFrame) -> bool:
    import bt

    w = np.random.default_rng(7).dirichlet(np.ones(frame.shape[1]))
    prices = frame.to_numpy()
    dates = frame.index.to_numpy(dtype="datetime64[D]")
    rule = RebalanceRule.calendar(Frequency.MONTHLY)
    flows = CashFlowPlan(initial=1e6)
    ours_t, ours = best_of(lambda: simulate(prices, dates, w, rule, cash_flows=flows), 200)

    weights = pd.DataFrame(np.tile(w, (len(frame), 1)), index=frame.index,
                           columns=frame.columns)

    def run_bt() -> float:
        strategy = bt.Strategy("m", [bt.algos.RunMonthly(run_on_end_of_period=True),
                                     bt.algos.WeighTarget(weights), bt.algos.Rebalance()])
        test = bt.Backtest(strategy, frame, initial_capital=1e6, integer_positions=False,
                           progress_bar=False)
        return float(bt.run(test).backtests["m"].strategy.values.iloc[-1])

    theirs_t, theirs = best_of(run_bt, 3)
    rel = abs(ours.final_value / theirs - 1)
    ratio = theirs_t / ours_t
    ok = ratio >= 100 and rel <= 1e-9
    print(f"1. fixed-weight monthly, {frame.shape[1]} assets x {len(frame)} days, "
          f"{ours.rebalance_count} rebalances: ours {ours_t * 1e3:.2f} ms, bt "
          f"{theirs_t * 1e3:.0f} ms -> {ratio:,.0f}x faster (target 100x); final value "
          f"relative difference {rel:.1e} (target 1e-9) {'OK' if ok else 'MISSED'}")
    return ok


# --- 2. walk-forward vs PyPortfolioOpt ------------------------------------------------------------
def universe_of(tickers: list[str]) -> Universe:
    return Universe("bench", tuple(
        Asset(t, t, AssetClass.EQUITY, Region.GLOBAL, "USD", 0.001, 1, 0.0, MAX_WEIGHT)
        for t in tickers))


def bench_walk_forward(frame: pd.DataFrame) -> bool:
    from pypfopt import EfficientFrontier, expected_returns, risk_models

    tickers = list(frame.columns)
    universe = universe_of(tickers)
    policy = Policy("bench", Objective.UTILITY, risk_aversion=RISK_AVERSION)
    prices = frame.to_numpy()
    dates = frame.index.to_numpy(dtype="datetime64[D]")
    spec = WalkForwardSpec(window=WINDOW, frequency=Frequency.MONTHLY)
    start = int(period_end_days(dates, Frequency.MONTHLY)[
        period_end_days(dates, Frequency.MONTHLY) > WINDOW][0])

    def solve(est: Estimates) -> np.ndarray:
        return optimise(est, policy, universe).weights

    def ours() -> object:
        return walk_forward_targets(prices, dates, tuple(tickers), start, spec, solve)

    # one warm-up run builds the optimiser's cached problem outside the timing
    walk_forward_targets(prices[: start + 30], dates[: start + 30], tuple(tickers), start,
                         spec, solve)
    ours_t, wf = best_of(ours, 3)
    days = wf.solve_days + start

    def theirs() -> np.ndarray:
        out = []
        for d in days:
            window = frame.iloc[d - WINDOW - 1:d]
            mu = expected_returns.mean_historical_return(window, compounding=False)
            cov = risk_models.CovarianceShrinkage(window).ledoit_wolf()
            ef = EfficientFrontier(mu, cov, weight_bounds=(0, MAX_WEIGHT))
            ef.max_quadratic_utility(risk_aversion=RISK_AVERSION)
            out.append(pd.Series(ef.weights, index=tickers).to_numpy())
        return np.vstack(out)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_t, reference = best_of(theirs, 1)
    kept = np.isin(days - start, wf.schedule.days)
    diff = float(np.max(np.abs(wf.schedule.weights - reference[kept])))
    ratio = theirs_t / ours_t
    ok = ratio >= 10 and diff <= 1e-4 and not wf.failures
    print(f"2. walk-forward monthly, {len(days)} solves ({WINDOW}-day Ledoit-Wolf window, "
          f"utility): ours {ours_t:.3f} s ({ours_t / len(days) * 1e3:.2f} ms a date), "
          f"PyPortfolioOpt rebuilt per date {theirs_t:.2f} s -> {ratio:.1f}x faster "
          f"(target 10x); max weight difference {diff:.1e} (target 1e-4), failures "
          f"{len(wf.failures)} {'OK' if ok else 'MISSED'}")
    return ok


def main() -> None:
    frame, label = load_data("--synthetic" in sys.argv)
    print(f"data: {label}; {frame.index[0].date()} .. {frame.index[-1].date()}")
    results = [bench_engine(frame), bench_walk_forward(frame)]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
