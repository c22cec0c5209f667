"""Issue 14's table in one command: every row against its peer, measured in the same run.

    python tests/benchmarks/bench_speed.py [--rounds N] [--quick]
        [--only startup|single|backtest|walk-forward]

Each row times ours and the peer in interleaved rounds (ours, peer, ours, peer, ...), so a
busy moment of this shared machine hits both (a round of a call of a few milliseconds is a
batch of calls: 3 per single solve, 20 per backtest); it prints the per-round ratio as
min / median / max, the goal, and the agreement of the answers. In-process peers run on one
BLAS thread like ours; the timed processes keep their bytecode. The load average is printed
at the start and the end. Single solves start cold (no active set kept from the last call).
Data: the 25 longest-lived ETFs of ../shared/data (seeded synthetic returns when the file is
absent) and seeded synthetic 5-factor returns for 100 and 300 assets. Rows:

1. ``plan`` on the shipped example, whole process, against ``python -c "import cvxpy"``
   (ratio ours / peer; goal <= 0.4); ``--help`` beside it.
2. one max-Sharpe solve (``optimise``) against PyPortfolioOpt's ``max_sharpe`` and a cvxpy
   model of the same problem (each built fresh, as a caller would); goal peer/ours >= 5x at
   100 assets, >= 3x at 300.
3. one target-volatility solve against the cvxpy model built fresh; goal >= 5x.
4. walk-forward, 220 monthly dates at 100 assets (252-day window, mean returns, Ledoit-Wolf),
   min-variance and max-Sharpe, against PyPortfolioOpt rebuilt at every date; goal >= 10x.
5. fixed-weight monthly backtest, 20 years, against a numpy loop over the rebalancing
   segments (the floor: ratio ours / floor, goal <= 1.5).

Agreement: the largest weight difference to the peer (solved at tight tolerances where it
has them), or the relative difference of the final value. Not collected by pytest.
"""

from __future__ import annotations

import gc
import itertools
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from roboadvisor.domain import box_qp  # noqa: E402
from roboadvisor.domain.backtest import CashFlowPlan, simulate  # noqa: E402
from roboadvisor.domain.models import Asset, AssetClass, Estimates, Region, Universe  # noqa: E402
from roboadvisor.domain.optimizer import optimise  # noqa: E402
from roboadvisor.domain.policy import Objective, Policy  # noqa: E402
from roboadvisor.domain.rebalancing import Frequency, RebalanceRule, period_end_days  # noqa: E402
from roboadvisor.domain.walkforward import (  # noqa: E402
    WalkForwardSpec,
    reoptimisation_days,
    walk_forward_targets,
)

SHARED = ROOT.parent / "shared" / "data" / "etf_adjclose_daily_1993_2026.csv"
EXAMPLE = ROOT / "questionnaires" / "examples" / "tier3_balanced.yaml"
MAX_WEIGHT = 0.25
RF = 0.02
TARGET_VOL = 0.12
TIGHT = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11, "tol_ktratio": 1e-9}


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def synthetic_returns(n: int, days: int, seed: int = 42) -> np.ndarray:
    """Daily returns from a 5-factor model with idiosyncratic noise (seeded)."""
    rng = np.random.default_rng(seed + n)
    vols = np.linspace(0.003, 0.02, n)
    loadings = rng.normal(0, 1, (n, 5)) * vols[:, None] * 0.5
    return (rng.normal(0, 1, (days, 5)) @ loadings.T + rng.normal(0, 1, (days, n)) * vols * 0.6
            + rng.normal(0.0003, 0.0003, n))


def daily_returns(n: int, days: int) -> tuple[np.ndarray, str]:
    """(days x n) returns: the real ETFs for 25 assets when the shared file is there."""
    if n == 25 and SHARED.is_file():
        import pandas as pd

        raw = pd.read_csv(SHARED, index_col=0, parse_dates=True)
        firsts = raw.apply(lambda s: s.first_valid_index()).sort_values(kind="stable")
        frame = raw.loc[firsts.iloc[n - 1]:, list(firsts.index[:n])]
        prices = frame.to_numpy(dtype=float)
        r = prices[1:] / prices[:-1] - 1.0
        return r[-days:], "real ETFs"
    return synthetic_returns(n, days), "synthetic"


def universe_of(n: int) -> Universe:
    return Universe(f"bench-{n}", tuple(
        Asset(f"A{i:03d}", f"asset {i}", AssetClass.EQUITY, Region.GLOBAL, "USD", 0.001, 1,
              0.0, MAX_WEIGHT) for i in range(n)))


def estimates_of(x: np.ndarray, tickers: tuple[str, ...]) -> Estimates:
    return Estimates(tickers, x.mean(axis=0) * 252, np.cov(x, rowvar=False) * 252, RF,
                     "bench")


def prices_of(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-major prices from returns, and business-day dates ending 2025."""
    prices = 100 * np.cumprod(np.vstack([np.ones(r.shape[1]), 1 + r]), axis=0)
    dates = np.busday_offset("2000-01-03", np.arange(len(prices)), roll="forward")
    return np.ascontiguousarray(prices), dates.astype("datetime64[D]")


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------
@dataclass
class Row:
    work: str
    ours: list[float]
    peer: list[float]
    peer_name: str
    goal: str
    met: bool
    agreement: str

    def line(self) -> str:
        med_o, med_p = statistics.median(self.ours), statistics.median(self.peer)
        return (f"| {self.work} | {_t(med_o)} | {self.peer_name} {_t(med_p)} | "
                f"{self.ratio_text()} | {self.goal} {'met' if self.met else 'MISSED'} | "
                f"{self.agreement} |")

    def ratio_text(self) -> str:
        r = self.ratios()
        return f"{min(r):.2f} / **{statistics.median(r):.2f}** / {max(r):.2f}"

    def ratios(self) -> list[float]:
        if self.goal.startswith("<="):      # ours / peer: lower is better
            return [o / p for o, p in zip(self.ours, self.peer, strict=True)]
        return [p / o for o, p in zip(self.ours, self.peer, strict=True)]


def _t(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1e3:.1f} ms"


def interleaved(ours: Callable[[], object], peer: Callable[[], object], rounds: int,
                warm_up: bool = True, batch: int = 1
                ) -> tuple[list[float], list[float], object, object]:
    """Times of ``rounds`` alternating rounds, each ``batch`` calls of ours then ``batch``
    of the peer, per call (one warm-up each first unless the rows before already loaded and
    compiled everything), and the last results. Batches smooth out the scheduler's pauses of
    a loaded machine on calls of a few milliseconds. Each batch starts after a full garbage
    collection, so that neither side pays for collecting the other's garbage (a cvxpy or
    PyPortfolioOpt model leaves thousands of objects behind, whose collection could otherwise
    fall inside our next batch of 2 ms calls)."""
    a = b = None
    if warm_up:
        a, b = ours(), peer()
    t_ours, t_peer = [], []
    for _ in range(rounds):
        gc.collect()
        t = time.perf_counter()
        for _ in range(batch):
            a = ours()
        t_ours.append((time.perf_counter() - t) / batch)
        gc.collect()
        t = time.perf_counter()
        for _ in range(batch):
            b = peer()
        t_peer.append((time.perf_counter() - t) / batch)
    return t_ours, t_peer, a, b


def row(work: str, ours: Callable[[], object], peer: Callable[[], object], peer_name: str,
        goal: float, lower_is_better: bool, rounds: int,
        agree: Callable[[object, object], str], warm_up: bool = True, batch: int = 1) -> Row:
    t_o, t_p, a, b = interleaved(ours, peer, rounds, warm_up, batch)
    r = Row(work, t_o, t_p, peer_name, f"{'<=' if lower_is_better else '>='} {goal:g}x",
            False, agree(a, b))
    med = statistics.median(r.ratios())
    r.met = med <= goal if lower_is_better else med >= goal
    print(r.line(), flush=True)
    return r


def weight_gap(a: object, b: object) -> str:
    return f"weights {float(np.abs(np.asarray(a) - np.asarray(b)).max()):.1e}"


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------
def _process_env() -> dict[str, str]:
    """The environment of the timed processes: bytecode cached (in a temporary folder, for
    ours and the peer alike), as in any installed copy; this machine's sessions set
    PYTHONDONTWRITEBYTECODE, which would recompile our 60-odd modules at every start."""
    import os
    import tempfile

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="bench-speed-pyc-")
    return env


def run(cmd: list[str], env: dict[str, str] | None = None) -> Callable[[], int]:
    def call() -> int:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, env=env)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.decode()[-400:])
        return proc.returncode
    return call


def rows_startup(rounds: int) -> list[Row]:
    env = _process_env()
    cvxpy = run([sys.executable, "-c", "import cvxpy"], env)
    same = lambda a, b: "exit 0"  # noqa: E731
    return [
        row("`plan` on the shipped example, whole process",
            run([sys.executable, "-m", "roboadvisor", "plan", "--answers", str(EXAMPLE)], env),
            cvxpy, "`python -c \"import cvxpy\"`", 0.4, True, rounds, same),
        row("`--help`, whole process", run([sys.executable, "-m", "roboadvisor", "--help"], env),
            cvxpy, "`python -c \"import cvxpy\"`", 0.4, True, rounds, same),
    ]


def cvxpy_solve(est: Estimates, objective: Objective) -> np.ndarray:
    """The problem modelled in cvxpy from scratch and solved with Clarabel (tight)."""
    import cvxpy as cp

    n = len(est.tickers)
    factor = np.linalg.cholesky(est.covariance)
    if objective is Objective.MAX_SHARPE:
        y = cp.Variable(n)
        k = cp.Variable(nonneg=True)
        prob = cp.Problem(cp.Minimize(cp.sum_squares(factor.T @ y)),
                          [(est.expected_returns - RF) @ y == 1, cp.sum(y) == k, y >= 0,
                           y <= MAX_WEIGHT * k])
        prob.solve(solver="CLARABEL", **TIGHT)
        return np.asarray(y.value) / float(k.value)
    w = cp.Variable(n)
    prob = cp.Problem(cp.Maximize(est.expected_returns @ w),
                      [cp.sum(w) == 1, w >= 0, w <= MAX_WEIGHT,
                       cp.norm(factor.T @ w, 2) <= TARGET_VOL])
    prob.solve(solver="CLARABEL", **TIGHT)
    return np.asarray(w.value)


def pypfopt_max_sharpe(est: Estimates) -> np.ndarray:
    from pypfopt import EfficientFrontier

    ef = EfficientFrontier(est.expected_returns, est.covariance, weight_bounds=(0, MAX_WEIGHT),
                           solver="CLARABEL", solver_options=TIGHT)
    ef.max_sharpe(risk_free_rate=RF)
    return np.asarray(ef.weights, dtype=float)


def rows_single(rounds: int, sizes: tuple[int, ...]) -> list[Row]:
    out = []
    goals = {Objective.MAX_SHARPE: {25: 5.0, 100: 5.0, 300: 3.0},
             Objective.TARGET_VOLATILITY: {25: 5.0, 100: 5.0, 300: 5.0}}
    for objective in (Objective.MAX_SHARPE, Objective.TARGET_VOLATILITY):
        for n in sizes:
            u = universe_of(n)
            x, kind = daily_returns(n, 1000)
            est = estimates_of(x, u.tickers)
            policy = Policy("bench", objective, target_volatility=TARGET_VOL)
            def ours(est: Estimates = est, policy: Policy = policy,
                     u: Universe = u) -> np.ndarray:
                box_qp.forget_warm_starts()   # a single solve: no active set from the last
                return optimise(est, policy, u).weights
            peers = [("cvxpy", lambda est=est, o=objective: cvxpy_solve(est, o))]
            if objective is Objective.MAX_SHARPE:
                peers.insert(0, ("PyPortfolioOpt", lambda est=est: pypfopt_max_sharpe(est)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for name, peer in peers:
                    out.append(row(f"single {objective.value}, {n} assets ({kind})", ours,
                                   peer, name, goals[objective][n], False, rounds,
                                   weight_gap, batch=3))
    return out


def rows_walk_forward(rounds: int, n: int = 100, dates_wanted: int = 220) -> list[Row]:
    import pandas as pd
    from pypfopt import EfficientFrontier, expected_returns, risk_models

    window = 252
    x, kind = daily_returns(n, window + 2 + dates_wanted * 21 + 200)
    prices, dates = prices_of(x)
    tickers = universe_of(n).tickers
    universe = universe_of(n)
    spec = WalkForwardSpec(window=window, frequency=Frequency.MONTHLY)
    ends = period_end_days(dates, Frequency.MONTHLY)
    start = int(ends[ends > window][0])
    frame = pd.DataFrame(prices, columns=list(tickers))
    out = []
    for objective in (Objective.MIN_VARIANCE, Objective.MAX_SHARPE):
        policy = Policy("bench", objective)

        def ours(policy: Policy = policy) -> np.ndarray:
            wf = walk_forward_targets(prices, dates, tickers, start, spec,
                                      lambda e: optimise(e, policy, universe).weights,
                                      risk_free_annual=RF)
            assert not wf.failures
            return wf.schedule.weights

        days = reoptimisation_days(dates, start, Frequency.MONTHLY)

        def theirs(objective: Objective = objective, days: np.ndarray = days) -> np.ndarray:
            rows = []
            for d in days:
                win = frame.iloc[d - window - 1:d]
                mu = expected_returns.mean_historical_return(win, compounding=False)
                cov = risk_models.CovarianceShrinkage(win).ledoit_wolf()
                ef = EfficientFrontier(mu, cov, weight_bounds=(0, MAX_WEIGHT), solver="CLARABEL",
                                       solver_options=TIGHT)
                if objective is Objective.MIN_VARIANCE:
                    ef.min_volatility()
                else:
                    ef.max_sharpe(risk_free_rate=RF)
                rows.append(np.asarray(ef.weights, dtype=float))
            return np.vstack(rows)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(row(f"walk-forward, {len(days)} dates, {objective.value}, {n} assets "
                           f"({kind})", ours, theirs, "PyPortfolioOpt rebuilt per date",
                           10.0, False, rounds, weight_gap, warm_up=False))
    return out


def floor_backtest(prices: np.ndarray, days: np.ndarray, w: np.ndarray) -> float:
    """The floor: at each rebalancing day buy the target units, hold them to the next."""
    value = 1e6
    for a, b in itertools.pairwise(days):
        units = value * w / prices[a]
        value = float(prices[b] @ units)
    return value


def rows_backtest(rounds: int) -> list[Row]:
    out = []
    for n in (25, 100):
        x, kind = daily_returns(n, 20 * 252)
        prices, dates = prices_of(x)
        w = np.random.default_rng(7).dirichlet(np.ones(n))
        rule = RebalanceRule.calendar(Frequency.MONTHLY)
        flows = CashFlowPlan(initial=1e6)
        ends = period_end_days(dates, Frequency.MONTHLY)
        days = np.unique(np.r_[0, ends, len(dates) - 1])
        ours = lambda p=prices, d=dates, w=w, rule=rule, flows=flows: simulate(  # noqa: E731
            p, d, w, rule, cash_flows=flows).final_value
        floor = lambda p=prices, w=w, days=days: floor_backtest(p, days, w)  # noqa: E731
        out.append(row(f"fixed monthly backtest, {n} assets x 20 y ({kind})", ours, floor,
                       "numpy loop (the floor)", 1.5, True, rounds * 4,
                       lambda a, b: f"final value {abs(a / b - 1):.1e}", batch=20))
    return out


def peers_on_one_blas_thread(fn: Callable[[], None]) -> None:
    """Run ``fn`` with every in-process peer on one BLAS thread, as ours runs at these sizes
    (``domain.blas_threads``): with the other core busy, two threads make the peers several
    times slower, and the ratio would then measure the thread setting, not the method."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        fn()


def main() -> None:
    peers_on_one_blas_thread(_main)


def _load() -> str:
    import os

    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} cores"


def _main() -> None:
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
    quick = "--quick" in sys.argv
    print(f"issue 14 speed table, {time.strftime('%Y-%m-%d')}, {rounds} interleaved rounds; "
          "ratio min / **median** / max (peer/ours, or ours/peer where the goal is <=); "
          f"in-process peers on one BLAS thread like ours; {_load()} at the start\n")
    print("| work | ours (median) | peer (median) | ratio | goal | agreement |")
    print("|---|---|---|---|---|---|")
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
    rows: list[Row] = []
    if only in ("", "startup"):
        rows += rows_startup(rounds)
    if only in ("", "single"):
        rows += rows_single(rounds, (25, 100) if quick else (25, 100, 300))
    if only in ("", "backtest"):
        rows += rows_backtest(rounds)
    if only in ("", "walk-forward"):
        rows += rows_walk_forward(3 if not quick else 1)
    print(f"\n{_load()} at the end")
    missed = [r.work for r in rows if not r.met]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} goals met"
          + (f"; missed: {'; '.join(missed)}" if missed else ""))


if __name__ == "__main__":
    main()
