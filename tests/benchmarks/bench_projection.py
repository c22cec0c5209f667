"""Benchmark: the projection engine, 10,000 paths x 30 years x 17 assets (run on demand, not
collected by pytest).

    PYTHONPATH=. python tests/benchmarks/bench_projection.py   # from the repository root

Both models, with a monthly contribution, costs, inflation and a goal, and the saving needed
for 80%:

- normal: the 17-asset estimates (a seeded random covariance) of a fixed-weight portfolio;
- bootstrap: 12-month blocks of a 240-month x 17-asset history.

Reference path: the direct computation the engine is equivalent to, which draws (bootstrap:
gathers) the full paths x months x assets array of asset returns and applies the weights to
each month (normal: multivariate normal asset log returns via a Cholesky factor), in chunks of
1,000 paths so that it fits in memory. Its figures differ for the normal model (assets
lognormal instead of the portfolio) but the work is what a per-asset simulation costs.

Target: each engine run (returns + wealth + saving needed) under 1 s. Prints the timings and
the ratio reference / engine; exits 1 when a target is missed.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from roboadvisor.domain.projection import (
    CashFlows,
    bootstrap_indices,
    bootstrap_returns,
    normal_returns,
    project,
    saving_needed,
)

PATHS, YEARS, ASSETS = 10_000, 30, 17
MONTHS = YEARS * 12
TARGET_SECONDS = 1.0
FLOWS = CashFlows(100_000.0, 1_000.0, annual_cost=0.003, inflation=0.02)
GOAL = 1_500_000.0


def _inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2026)
    w = rng.dirichlet(np.ones(ASSETS))
    mu = rng.uniform(0.02, 0.09, ASSETS)
    a = rng.normal(size=(ASSETS, ASSETS)) * 0.04
    cov = a @ a.T / ASSETS + np.diag(rng.uniform(0.0004, 0.04, ASSETS))
    history = rng.multivariate_normal(mu / 12, cov / 12, size=240)
    return w, mu, cov, history


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    w, mu, cov, history = _inputs()

    def engine_normal() -> None:
        r = normal_returns(w, mu, cov, MONTHS, PATHS, np.random.default_rng(1))
        project(r, FLOWS, GOAL)
        saving_needed(r, FLOWS, GOAL, 0.8)

    def engine_bootstrap() -> None:
        r = bootstrap_returns(w, history, MONTHS, PATHS, np.random.default_rng(1))
        project(r, FLOWS, GOAL)
        saving_needed(r, FLOWS, GOAL, 0.8)

    chol = np.linalg.cholesky(cov / 12)
    drift = (mu - np.diag(cov) / 2) / 12

    def reference_normal() -> None:
        rng = np.random.default_rng(1)
        out = np.empty((PATHS, MONTHS))
        for lo in range(0, PATHS, 1_000):
            z = rng.standard_normal((1_000, MONTHS, ASSETS))
            out[lo:lo + 1_000] = np.expm1(z @ chol.T + drift) @ w
        _finish(out)

    def reference_bootstrap() -> None:
        index = bootstrap_indices(history.shape[0], MONTHS, PATHS, np.random.default_rng(1))
        out = np.empty((PATHS, MONTHS))
        for lo in range(0, PATHS, 1_000):
            out[lo:lo + 1_000] = history[index[lo:lo + 1_000]] @ w  # paths x months x assets
        _finish(out)

    def _finish(values: np.ndarray) -> None:
        from roboadvisor.domain.projection import MonthlyReturns, ReturnModel

        r = MonthlyReturns(values, ReturnModel.NORMAL)
        project(r, FLOWS, GOAL)
        saving_needed(r, FLOWS, GOAL, 0.8)

    ok = True
    print(f"{PATHS:,} paths x {YEARS} years x {ASSETS} assets, contribution, costs, "
          "inflation, goal and saving needed")
    for name, engine, reference in (("normal", engine_normal, reference_normal),
                                    ("bootstrap", engine_bootstrap, reference_bootstrap)):
        engine()  # warm up
        fast = _best(engine)
        slow = _best(reference, repeat=1)
        met = fast < TARGET_SECONDS
        ok &= met
        print(f"  {name:9s} engine {fast:6.3f} s  reference (paths x months x assets) "
              f"{slow:6.3f} s  ratio {slow / fast:5.1f}x  target < {TARGET_SECONDS:.0f} s: "
              f"{'met' if met else 'MISSED'}")
    print(f"  median of 5 engine runs (normal): "
          f"{statistics.median(_best(engine_normal, 1) for _ in range(5)):.3f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
