"""Walk-forward re-optimisation: target weights re-estimated on a trailing window at each date.

At each re-optimisation day ``d`` (the first backtest day, then every period end of the chosen
frequency) the estimates use the ``window`` daily returns that end at the close of day
``d - 1``: data strictly before ``d``, so nothing from day ``d`` on can influence the targets
traded at the close of ``d`` (no look-ahead). The optimiser is a callable (the service passes
``optimise`` with the tier's policy; it caches the compiled problem, so each re-solve is cheap).

A date whose volatility ceiling is out of reach holds, by default (``on_infeasible:
least_risk``), the policy's least-volatile admissible portfolio for that date and is recorded
in ``fallbacks``. A date whose estimation or optimisation otherwise fails keeps the previous
targets and is recorded as a ``RebalanceFailure`` (date and reason); the run goes on. When
the very first one fails there are no previous targets, and the run stops naming the date:
with an ``InfeasibleError`` when the policy cannot be met (input the user can fix, exit
code 2), else a ``BacktestError``.

Pure numpy: no pandas, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from roboadvisor.domain import estimates as est_mod
from roboadvisor.domain.backtest import RebalanceFailure, TargetSchedule
from roboadvisor.domain.blas_threads import one_blas_thread_when_small
from roboadvisor.domain.models import Estimates
from roboadvisor.domain.rebalancing import Frequency, period_end_mask
from roboadvisor.errors import (
    BacktestError,
    EstimationError,
    InfeasibleError,
    OptimizationError,
    VolatilityCeilingError,
    catalog_text,
)


class ReturnsEstimator(StrEnum):
    """Expected returns from the window: arithmetic mean, exponentially weighted mean, or market
    equilibrium (rf + risk_aversion * Σ w_mkt on the window's covariance: returns move only
    with risk, so the targets do not chase last year's winners)."""

    MEAN = "mean"
    EMA = "ema"
    EQUILIBRIUM = "equilibrium"


class CovarianceEstimator(StrEnum):
    """Covariance from the window."""

    LEDOIT_WOLF = "ledoit_wolf"
    SHRUNK_CORRELATION = "shrunk_correlation"
    SAMPLE = "sample"
    EXPONENTIAL = "exponential"


class OnInfeasible(StrEnum):
    """What a re-optimisation does when the policy's volatility ceiling is out of reach:
    hold the policy's least-volatile admissible portfolio, or keep the previous targets."""

    LEAST_RISK = "least_risk"
    KEEP = "keep"


@dataclass(frozen=True)
class WalkForwardSpec:
    """``window``: daily returns per estimate (252 = one year); ``frequency``: how often the
    targets are re-estimated; the estimators applied to each window; ``on_infeasible``: the
    fallback when the volatility ceiling cannot be met (the caller's ``fallback``)."""

    window: int = 252
    frequency: Frequency = Frequency.MONTHLY
    returns: ReturnsEstimator = ReturnsEstimator.MEAN
    covariance: CovarianceEstimator = CovarianceEstimator.LEDOIT_WOLF
    on_infeasible: OnInfeasible = OnInfeasible.LEAST_RISK

    def __post_init__(self) -> None:
        if self.window < 20:
            raise ValueError(f"the estimation window must be at least 20 days, got "
                             f"{self.window}")


@dataclass(frozen=True, eq=False)
class WalkForwardTargets:
    """The targets found, as a schedule relative to the backtest's first day, and failures."""

    schedule: TargetSchedule
    solve_days: np.ndarray
    failures: tuple[RebalanceFailure, ...]
    fallbacks: tuple[RebalanceFailure, ...] = ()
    """Dates whose volatility ceiling was out of reach and that held the fallback's portfolio,
    with the fallback's note (e.g. "ceiling 8.0% not reachable, held ... at 9.3%")."""


def estimate_window(returns: np.ndarray, tickers: tuple[str, ...], spec: WalkForwardSpec,
                    risk_free_rate: float, as_of: str,
                    market_weights: np.ndarray | None = None) -> Estimates:
    """Annualised estimates from a window of daily returns (days x assets), numpy only.

    ``market_weights`` (in ``tickers`` order) are needed for equilibrium returns.
    """
    checked = est_mod.check_covariance(
        est_mod.covariance_of(returns, est_mod.CovarianceMethod(spec.covariance.value)),
        tickers)
    mu = est_mod.expected_returns_of(returns, est_mod.ReturnsMethod(spec.returns.value),
                                     checked.matrix, risk_free_rate=risk_free_rate,
                                     market_weights=market_weights)
    source = catalog_text("zh_hardening.e_source_window", days=len(returns), as_of=as_of,
                          returns=est_mod.method_name(spec.returns.value),
                          covariance=est_mod.method_name(spec.covariance.value),
                          note=est_mod._note(checked.note))
    return Estimates(tickers, np.asarray(mu, float), checked.matrix, float(risk_free_rate),
                     source, as_of=as_of)


def reoptimisation_days(dates: np.ndarray, start_day: int, frequency: Frequency) -> np.ndarray:
    """``start_day`` and every period end after it (indices into ``dates``)."""
    ends = np.flatnonzero(period_end_mask(dates, frequency))
    return np.concatenate(([start_day], ends[ends > start_day])).astype(np.int64)


@one_blas_thread_when_small(lambda prices, dates, tickers, *_a, **_k: len(tickers))
def walk_forward_targets(
    prices: np.ndarray,
    dates: np.ndarray,
    tickers: tuple[str, ...],
    start_day: int,
    spec: WalkForwardSpec,
    solve: Callable[[Estimates], np.ndarray],
    *,
    risk_free_annual: float | np.ndarray = 0.0,
    market_weights: np.ndarray | None = None,
    on_step: Callable[[], None] | None = None,
    fallback: Callable[[Estimates, VolatilityCeilingError], tuple[np.ndarray, str]] | None
    = None,
) -> WalkForwardTargets:
    """Targets for a backtest that starts at ``start_day`` of ``prices`` (days x assets).

    ``prices`` hold the history before the start too: the first estimate needs
    ``spec.window + 1`` prices before ``start_day``. ``solve`` maps estimates to weights.
    ``risk_free_annual``: a constant or one annual rate per date (the rate of day d - 1 goes
    into the estimates of day d). ``market_weights`` (``tickers`` order) feed equilibrium
    returns. ``on_step`` is called after each date (progress bars). ``fallback`` (with
    ``spec.on_infeasible`` LEAST_RISK) maps the estimates of a date whose volatility ceiling
    is out of reach to the weights to hold instead and a note; such dates are recorded in
    ``fallbacks``, not ``failures``.
    """
    prices = np.asarray(prices, dtype=float)
    dates = np.asarray(dates, dtype="datetime64[D]")
    if start_day < spec.window + 1:
        raise BacktestError.from_catalog("zh_hardening.wf_needs_prices", need=spec.window + 1,
                                         day=dates[start_day], have=start_day)
    days = reoptimisation_days(dates, start_day, spec.frequency)
    rf = np.broadcast_to(np.asarray(risk_free_annual, dtype=float), dates.shape)
    kept_days: list[int] = []
    kept_weights: list[np.ndarray] = []
    failures: list[RebalanceFailure] = []
    fallbacks: list[RebalanceFailure] = []
    use_fallback = fallback is not None and spec.on_infeasible is OnInfeasible.LEAST_RISK
    for d in days:
        d = int(d)
        window = prices[d - spec.window - 1:d]
        returns = window[1:] / window[:-1] - 1.0
        as_of = str(dates[d - 1])
        try:
            estimates = estimate_window(returns, tickers, spec, float(rf[d - 1]), as_of,
                                        market_weights)
            try:
                weights = np.asarray(solve(estimates), dtype=float)
            except VolatilityCeilingError as ceiling:
                if not use_fallback:
                    raise
                assert fallback is not None
                held, note = fallback(estimates, ceiling)
                weights = np.asarray(held, dtype=float)
                fallbacks.append(RebalanceFailure(str(dates[d]), note))
        except (OptimizationError, EstimationError) as exc:
            if not kept_days:
                if isinstance(exc, InfeasibleError):  # the policy: input the user can fix
                    raise InfeasibleError.from_catalog("constraints.first_walk_forward",
                                                       day=dates[d], problem=exc) from None
                raise BacktestError.from_catalog("zh_hardening.wf_first_failed", day=dates[d],
                                                 problem=_reason(exc)) from None
            failures.append(RebalanceFailure(str(dates[d]), _reason(exc)))
        else:
            kept_days.append(d - start_day)
            kept_weights.append(weights)
        if on_step is not None:
            on_step()
    schedule = TargetSchedule(np.asarray(kept_days), np.vstack(kept_weights))
    return WalkForwardTargets(schedule, days - start_day, tuple(failures), tuple(fallbacks))


def _reason(error: Exception) -> str:  # the scan's allowed str(): a message without a key
    """The error's message, localizable when it came from the catalog."""
    key = getattr(error, "key", None)
    return catalog_text(key, **(getattr(error, "params", None) or {})) if key else str(error)
