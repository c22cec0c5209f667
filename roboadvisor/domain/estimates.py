"""Estimates from history: expected returns and covariance, annualised.

Conventions (the package's, made precise for estimators):
- Input returns are simple (arithmetic) period returns, r_t = P_t / P_{t-1} - 1, one row per
  trading day, one column per asset; prices are adjusted closes (total return).
- Everything is annualised with ``periods_per_year`` (252 for daily data): expected returns are
  arithmetic means times 252 (no compounding: the optimiser works with arithmetic means);
  covariances are per-period covariances times 252.
- The sample covariance uses ddof=1; Ledoit-Wolf follows scikit-learn (ddof=0, centred data,
  shrinkage towards a scaled identity), exactly as PyPortfolioOpt's
  ``CovarianceShrinkage(...).ledoit_wolf()``.

Functions come in pairs where input meanings differ (``*_from_prices`` vs ``*_from_returns``),
never one function with a flag that changes what an argument means.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from roboadvisor import TRADING_DAYS_PER_YEAR
from roboadvisor.domain.models import Estimates
from roboadvisor.errors import ContradictoryViewsError, EstimationError, catalog_text

if TYPE_CHECKING:  # pandas loads only where a frame is built: a plan on the shipped
    import pandas as pd  # assumptions never needs it (startup time, issue 14)

MAX_CONDITION_NUMBER = 1e10
"""Covariances with a larger condition number are refused: their inverse is mostly noise."""

MIN_EXTRA_OBSERVATIONS = 10
"""A covariance of n assets needs at least n + this many return observations."""

DEFAULT_RISK_AVERSION = 3.0
"""Market risk aversion of the equilibrium prior (the shipped assumptions use 3.0 too)."""


class ReturnsMethod(StrEnum):
    """How expected returns are estimated from history."""

    MEAN = "mean"                        # arithmetic mean of the window
    EMA = "ema"                          # exponentially weighted mean (recent days weigh more)
    CAPM = "capm"                        # rf + beta * (market mean - rf)
    EQUILIBRIUM = "equilibrium"          # reverse-optimised market prior (Black-Litterman prior)
    BLACK_LITTERMAN = "black_litterman"  # the prior moved towards advisor views


class CovarianceMethod(StrEnum):
    """How the covariance matrix is estimated from history."""

    SAMPLE = "sample"
    LEDOIT_WOLF = "ledoit_wolf"          # shrinkage towards a scaled identity (the default)
    SHRUNK_CORRELATION = "shrunk_correlation"  # Ledoit-Wolf on the correlations only
    EXPONENTIAL = "exponential"          # exponentially weighted


# --------------------------------------------------------------------------------------------
# Returns
# --------------------------------------------------------------------------------------------
def returns_from_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """Simple daily returns of the days where every asset has a price today and yesterday.

    Raises EstimationError for non-positive prices (names the ticker and date) and for a
    window that leaves too few complete days (names the asset that starts last).
    """
    if prices.empty or prices.shape[1] == 0:
        raise _fail("zh_hardening.e_no_prices")
    values = prices.to_numpy(dtype=float, na_value=np.nan)
    bad = np.argwhere(values <= 0)
    if bad.size:
        i, j = bad[0]
        raise _fail("zh_hardening.e_non_positive", ticker=prices.columns[j],
                    day=_date(prices.index[i]))
    r = values[1:] / values[:-1] - 1.0
    keep = np.isfinite(r).all(axis=1)
    n = prices.shape[1]
    if keep.sum() < n + MIN_EXTRA_OBSERVATIONS:
        has = np.isfinite(values)
        first = np.where(has.any(axis=0), has.argmax(axis=0), len(values))
        late = int(np.argmax(first))
        start = (_date(prices.index[first[late]]) if first[late] < len(values)
                 else catalog_text("zh_hardening.e_no_date"))
        raise _fail("zh_hardening.e_common_days", days=int(keep.sum()), n=n,
                    need=n + MIN_EXTRA_OBSERVATIONS, ticker=prices.columns[late], start=start)
    import pandas as pd

    return pd.DataFrame(r[keep], index=prices.index[1:][keep], columns=prices.columns)


def _date(value: object) -> str:
    return str(value.date()) if hasattr(value, "date") else str(value)


def _matrix(returns: pd.DataFrame | np.ndarray) -> np.ndarray:
    x = returns.to_numpy(dtype=float) if hasattr(returns, "to_numpy") else np.asarray(
        returns, dtype=float)
    if x.ndim != 2:
        raise _fail("zh_hardening.e_two_d", ndim=x.ndim)
    if not np.isfinite(x).all():
        raise _fail("zh_hardening.e_not_finite")
    return x


def _check_observations(x: np.ndarray, extra: int = MIN_EXTRA_OBSERVATIONS) -> None:
    t, n = x.shape
    if t < n + extra:
        raise _fail("zh_hardening.e_too_few", t=t, n=n, need=n + extra)


def mean_return(returns: pd.DataFrame | np.ndarray,
                periods_per_year: int = TRADING_DAYS_PER_YEAR) -> np.ndarray:
    """Annualised arithmetic mean of period returns."""
    x = _matrix(returns)
    return x.mean(axis=0) * periods_per_year


def ema_return(returns: pd.DataFrame | np.ndarray, span: int = 500,
               periods_per_year: int = TRADING_DAYS_PER_YEAR) -> np.ndarray:
    """Annualised exponentially weighted mean (pandas ``ewm(span).mean()`` at the last day)."""
    x = _matrix(returns)
    w = _ewm_weights(len(x), span)
    return (w @ x) / w.sum() * periods_per_year


def _ewm_weights(t: int, span: int) -> np.ndarray:
    if span < 1:
        raise _fail("zh_hardening.e_span", value=span)
    alpha = 2.0 / (span + 1.0)
    return (1.0 - alpha) ** np.arange(t - 1, -1, -1, dtype=float)


def capm_return(returns: pd.DataFrame | np.ndarray, risk_free_rate: float,
                market_weights: np.ndarray | None = None,
                periods_per_year: int = TRADING_DAYS_PER_YEAR) -> np.ndarray:
    """rf + beta_i (E[r_m] - rf), with beta from the window and the market the weighted mean of
    the assets (equal weights when ``market_weights`` is None, as PyPortfolioOpt does)."""
    x = _matrix(returns)
    n = x.shape[1]
    m = np.full(n, 1.0 / n) if market_weights is None else np.asarray(market_weights, float)
    if m.shape != (n,):
        raise _fail("zh_hardening.e_market_weights", n=n, shape=m.shape)
    market = x @ (m / m.sum())
    xc = x - x.mean(axis=0)
    mc = market - market.mean()
    betas = (xc.T @ mc) / (mc @ mc)
    return risk_free_rate + betas * (market.mean() * periods_per_year - risk_free_rate)


def equilibrium_return(covariance: np.ndarray, market_weights: np.ndarray,
                       risk_free_rate: float,
                       risk_aversion: float = DEFAULT_RISK_AVERSION) -> np.ndarray:
    """Market-implied returns by reverse optimisation: rf + risk_aversion * Σ w_mkt.

    ``market_weights`` are normalised to sum to 1. (PyPortfolioOpt's
    ``market_implied_prior_returns`` computes the same; the tests compare the two. The one-line
    formula here avoids importing PyPortfolioOpt, about 1 s, in walk-forward backtests.)
    """
    w = np.asarray(market_weights, dtype=float)
    return risk_free_rate + risk_aversion * (np.asarray(covariance, dtype=float) @ (w / w.sum()))


@dataclass(frozen=True)
class View:
    """An advisor's view for Black-Litterman.

    Absolute: ``View("VTI", 0.07)`` -- VTI returns 7% a year. Relative:
    ``View("VEA", 0.01, versus="VTI")`` -- VEA outperforms VTI by 1% a year.
    ``confidence`` in [0, 1] (Idzorek): 0 leaves the prior, 1 imposes the view exactly.
    """

    asset: str
    value: float
    versus: str | None = None
    confidence: float = 0.5


def black_litterman_return(covariance: np.ndarray, market_weights: np.ndarray,
                           tickers: Sequence[str], views: Sequence[View],
                           risk_free_rate: float,
                           risk_aversion: float = DEFAULT_RISK_AVERSION,
                           tau: float = 0.05) -> np.ndarray:
    """Black-Litterman posterior expected returns: the market-equilibrium prior moved towards
    ``views`` by their Idzorek confidences (PyPortfolioOpt's ``BlackLittermanModel``)."""
    prior = equilibrium_return(covariance, market_weights, risk_free_rate, risk_aversion)
    if not views:
        return prior
    from pypfopt.black_litterman import BlackLittermanModel

    index = {t: i for i, t in enumerate(tickers)}
    p = np.zeros((len(views), len(tickers)))
    q = np.zeros(len(views))
    for k, v in enumerate(views):
        for name in (v.asset, v.versus):
            if name is not None and name not in index:
                raise _fail("zh_hardening.e_view_not_in_universe", name=name,
                            tickers=", ".join(tickers))
        if not 0.0 <= v.confidence <= 1.0:
            raise _fail("zh_hardening.e_view_confidence", name=v.asset, value=v.confidence)
        if v.versus == v.asset:
            raise _fail("zh_hardening.e_view_itself", name=v.asset)
        p[k, index[v.asset]] = 1.0
        if v.versus is not None:
            p[k, index[v.versus]] = -1.0
        q[k] = v.value
    _check_certain_views_agree(p, q, views)
    model = BlackLittermanModel(np.asarray(covariance, float), pi=prior, Q=q, P=p,
                                omega="idzorek", view_confidences=[v.confidence for v in views],
                                tau=tau, risk_aversion=risk_aversion)
    return np.asarray(model.bl_returns(), dtype=float)


def _check_certain_views_agree(p: np.ndarray, q: np.ndarray, views: Sequence[View]) -> None:
    """Views at confidence 1 are imposed exactly: refuse a set of them that no returns can
    satisfy (``P x = q`` inconsistent, e.g. VTI 7% and VTI 3%, or A beats B by 2% and B beats A
    by 1%), naming the assets of the view that breaks it."""
    certain = [k for k, v in enumerate(views) if v.confidence >= 1.0]
    kept: list[int] = []
    for k in certain:
        rows = [*kept, k]
        rank_p = np.linalg.matrix_rank(p[rows], tol=1e-9)
        rank_pq = np.linalg.matrix_rank(np.column_stack([p[rows], q[rows]]), tol=1e-9)
        if rank_pq > rank_p:
            v = views[k]
            names = {v.asset, v.versus} - {None}
            others = [views[j] for j in kept if {views[j].asset, views[j].versus} & names]
            def said(x: View) -> str:
                return (f"{x.asset} {x.value:+.2%}" if x.versus is None
                        else f"{x.asset} vs {x.versus} {x.value:+.2%}")
            raise ContradictoryViewsError.from_catalog(
                "zh_hardening.e_views_contradict", view=said(v),
                others=", ".join(said(o) for o in others)
                or catalog_text("zh_hardening.e_other_certain_views"))
        kept.append(k)


# --------------------------------------------------------------------------------------------
# Covariance
# --------------------------------------------------------------------------------------------
def sample_covariance(returns: pd.DataFrame | np.ndarray,
                      periods_per_year: int = TRADING_DAYS_PER_YEAR) -> np.ndarray:
    """Annualised sample covariance (ddof=1)."""
    x = _matrix(returns)
    _check_observations(x)
    return np.cov(x, rowvar=False, ddof=1).reshape(x.shape[1], x.shape[1]) * periods_per_year


def ledoit_wolf(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit-Wolf shrinkage of per-period returns ``x`` (days x assets): the per-period
    covariance (not annualised) and the shrinkage intensity in [0, 1].

    The same estimator as ``sklearn.covariance.ledoit_wolf`` (centred data, ddof=0, target
    mu * I with mu the mean variance), computed directly in numpy.
    """
    x = np.asarray(x, dtype=float)
    t, n = x.shape
    xc = x - x.mean(axis=0)
    emp = (xc.T @ xc) / t
    x2 = xc * xc
    trace_terms = x2.sum(axis=0) / t          # diag(emp)
    mu = trace_terms.sum() / n
    beta_ = float(np.sum(x2.T @ x2))
    delta_ = float(np.sum(emp * emp))         # = sum((X'X)^2) / t^2
    beta = (beta_ / t - delta_) / (n * t)
    delta = (delta_ - 2.0 * mu * trace_terms.sum() + n * mu * mu) / n
    beta = min(beta, delta)
    shrinkage = 0.0 if beta == 0 else beta / delta
    shrunk = (1.0 - shrinkage) * emp
    shrunk.flat[:: n + 1] += shrinkage * mu
    return shrunk, shrinkage


def ledoit_wolf_covariance(returns: pd.DataFrame | np.ndarray,
                           periods_per_year: int = TRADING_DAYS_PER_YEAR) -> np.ndarray:
    """Annualised Ledoit-Wolf covariance (see ``ledoit_wolf``)."""
    x = _matrix(returns)
    _check_observations(x)
    return ledoit_wolf(x)[0] * periods_per_year


def shrunk_correlation_covariance(returns: pd.DataFrame | np.ndarray,
                                  periods_per_year: int = TRADING_DAYS_PER_YEAR) -> np.ndarray:
    """Annualised covariance with each asset's own variance and Ledoit-Wolf-shrunk correlations.

    Ledoit-Wolf towards a scaled identity moves every variance towards the average one: in a
    stressed window (daily, 2020-03) it lifts a T-bill fund's volatility from 0.2% to about 6%.
    Applying it to standardised returns (unit variances, so the identity target shrinks only
    the correlations towards 0) keeps the variances and still regularises the matrix.
    Variances are the ddof=0 ones, as in Ledoit-Wolf.
    """
    x = _matrix(returns)
    _check_observations(x)
    sd = x.std(axis=0)
    if (sd <= 0).any():
        raise _fail("zh_hardening.e_constant", k=int(np.argmin(sd)) + 1)
    corr, _ = ledoit_wolf(x / sd)
    np.fill_diagonal(corr, 1.0)
    return corr * np.outer(sd, sd) * periods_per_year


def exponential_covariance(returns: pd.DataFrame | np.ndarray, span: int = 180,
                           periods_per_year: int = TRADING_DAYS_PER_YEAR) -> np.ndarray:
    """Annualised exponentially weighted covariance of deviations from the window mean
    (pandas ``ewm(span).mean()`` of the cross products at the last day, as PyPortfolioOpt)."""
    x = _matrix(returns)
    _check_observations(x)
    w = _ewm_weights(len(x), span)
    xc = x - x.mean(axis=0)
    return (xc * w[:, None]).T @ xc / w.sum() * periods_per_year


# --------------------------------------------------------------------------------------------
# Checks and repair
# --------------------------------------------------------------------------------------------
_CHECKED: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()
"""Matrices ``check_covariance`` accepted (by identity, while they live): the optimiser's own
check (``optimizer.aligned_estimates``) skips them, so a walk-forward date decomposes its
covariance once, not twice (issue 14)."""


def _accepted(matrix: np.ndarray) -> np.ndarray:
    """Mark ``matrix`` as checked (symmetric, positive definite) and make it read-only, so the
    mark cannot outlive what it says."""
    matrix.setflags(write=False)
    _CHECKED[id(matrix)] = matrix
    return matrix


def is_checked_covariance(matrix: np.ndarray) -> bool:
    """Whether ``matrix`` is a matrix that ``check_covariance`` returned (the same object)."""
    return _CHECKED.get(id(matrix)) is matrix


@dataclass(frozen=True, eq=False)
class CovarianceCheck:
    """A covariance matrix fit for the optimiser, and what was done to it (``note``, empty
    when nothing was)."""

    matrix: np.ndarray
    repaired: bool
    note: str


def nearest_positive_definite(cov: np.ndarray, min_eigenvalue: float | None = None
                              ) -> CovarianceCheck:
    """Symmetrise and clip eigenvalues from below at ``min_eigenvalue`` (default: the largest
    eigenvalue / MAX_CONDITION_NUMBER), the nearest such matrix in Frobenius norm."""
    a = np.asarray(cov, dtype=float)
    sym = (a + a.T) / 2
    vals, vecs = np.linalg.eigh(sym)
    floor = (float(vals.max()) / MAX_CONDITION_NUMBER if min_eigenvalue is None
             else min_eigenvalue)
    if vals.min() >= floor and np.array_equal(sym, a):
        return CovarianceCheck(a, False, "")
    clipped = np.clip(vals, floor, None)
    fixed = (vecs * clipped) @ vecs.T
    fixed = (fixed + fixed.T) / 2
    change = float(np.linalg.norm(fixed - a) / np.linalg.norm(a))
    count = int((vals < floor).sum())
    return CovarianceCheck(fixed, True, catalog_text(
        "zh_hardening.e_repaired", count=count, floor=f"{floor:.2e}",
        smallest=f"{vals.min():.2e}", change=f"{change:.2e}"))


def cholesky_certifies(sym: np.ndarray, floor: float) -> bool:
    """The Cholesky certificate (issue 14): True proves every eigenvalue of the symmetric
    ``sym`` exceeds ``floor``, because ``sym - floor I`` has a Cholesky factor; one Cholesky
    costs a fraction of an eigenvalue decomposition. False proves nothing (the caller then
    computes the eigenvalues). With ``floor`` = ||sym||_F / K >= largest eigenvalue / K it
    certifies a condition number below K."""
    try:
        np.linalg.cholesky(sym - floor * np.eye(len(sym)))
    except np.linalg.LinAlgError:
        return False
    return True


def check_covariance(cov: np.ndarray, tickers: Sequence[str] | None = None, *,
                     repair: bool = True,
                     max_condition: float = MAX_CONDITION_NUMBER) -> CovarianceCheck:
    """Accept a covariance matrix, repair it, or refuse it with an EstimationError.

    Refused: non-finite entries, a non-positive variance (names the ticker), or -- with
    ``repair`` False -- a matrix that is not positive definite or whose condition number
    exceeds ``max_condition``. With ``repair`` True those are repaired by eigenvalue clipping
    (``nearest_positive_definite``) and the note says by how much.
    """
    a = np.asarray(cov, dtype=float)
    n = a.shape[0]
    names = list(tickers) if tickers is not None else [f"asset #{i + 1}" for i in range(n)]
    if a.shape != (n, n) or not np.isfinite(a).all():
        raise _fail("zh_hardening.e_cov_shape")
    diag = np.diag(a)
    if (diag <= 0).any():
        bad = names[int(np.argmin(diag))]
        raise _fail("zh_hardening.e_zero_variance", name=bad)
    sym = (a + a.T) / 2
    if (np.abs(a - a.T).max() <= 1e-14 * float(diag.max())
            and cholesky_certifies(sym, floor=float(np.linalg.norm(sym)) / max_condition)):
        return CovarianceCheck(_accepted(sym), False, "")
    vals = np.linalg.eigvalsh(sym)
    condition = float(vals.max() / vals.min()) if vals.min() > 0 else float("inf")
    if condition <= max_condition and np.allclose(a, a.T, rtol=0, atol=1e-14 * vals.max()):
        return CovarianceCheck(_accepted(sym), False, "")
    if not repair:
        raise _fail("zh_hardening.e_ill_conditioned", condition=f"{condition:.2e}",
                    limit=f"{max_condition:.0e}", smallest=f"{vals.min():.2e}")
    fixed = nearest_positive_definite(sym, float(vals.max()) / max_condition)
    return CovarianceCheck(_accepted(fixed.matrix), fixed.repaired, fixed.note)


# --------------------------------------------------------------------------------------------
# By method: the dispatch shared by ``estimates_from_returns`` and the walk-forward
# --------------------------------------------------------------------------------------------
def covariance_of(returns: pd.DataFrame | np.ndarray, method: CovarianceMethod | str,
                  span: int | None = None) -> np.ndarray:
    """Annualised covariance of daily returns by ``method`` (``span`` for EXPONENTIAL,
    default 180 days); not yet checked (see ``check_covariance``)."""
    cm = CovarianceMethod(method)
    if cm is CovarianceMethod.SAMPLE:
        return sample_covariance(returns)
    if cm is CovarianceMethod.LEDOIT_WOLF:
        return ledoit_wolf_covariance(returns)
    if cm is CovarianceMethod.SHRUNK_CORRELATION:
        return shrunk_correlation_covariance(returns)
    return exponential_covariance(returns, span or 180)


def expected_returns_of(returns: pd.DataFrame | np.ndarray, method: ReturnsMethod | str,
                        covariance: np.ndarray, *, risk_free_rate: float,
                        market_weights: np.ndarray | None = None,
                        tickers: Sequence[str] = (), views: Sequence[View] = (),
                        risk_aversion: float = DEFAULT_RISK_AVERSION,
                        span: int | None = None) -> np.ndarray:
    """Annualised expected returns by ``method``. ``covariance`` (checked) feeds EQUILIBRIUM
    and BLACK_LITTERMAN, which need ``market_weights``; ``tickers`` name the views' assets;
    ``span`` applies to EMA (default 500 days)."""
    rm = ReturnsMethod(method)
    if rm in (ReturnsMethod.EQUILIBRIUM, ReturnsMethod.BLACK_LITTERMAN) and (
            market_weights is None):
        raise _fail("zh_hardening.e_needs_market_weights", method=rm.value)
    if rm is ReturnsMethod.MEAN:
        return mean_return(returns)
    if rm is ReturnsMethod.EMA:
        return ema_return(returns, span or 500)
    if rm is ReturnsMethod.CAPM:
        return capm_return(returns, risk_free_rate, market_weights)
    assert market_weights is not None  # refused above for the two methods that need them
    if rm is ReturnsMethod.EQUILIBRIUM:
        return equilibrium_return(covariance, market_weights, risk_free_rate, risk_aversion)
    return black_litterman_return(covariance, market_weights, tickers, views, risk_free_rate,
                                  risk_aversion)


# --------------------------------------------------------------------------------------------
# One call: prices -> Estimates
# --------------------------------------------------------------------------------------------
def estimates_from_returns(returns: pd.DataFrame, *,
                           returns_method: ReturnsMethod | str = ReturnsMethod.MEAN,
                           cov_method: CovarianceMethod | str = CovarianceMethod.LEDOIT_WOLF,
                           risk_free_rate: float = 0.0,
                           market_weights: np.ndarray | None = None,
                           views: Sequence[View] = (),
                           risk_aversion: float = DEFAULT_RISK_AVERSION,
                           span: int | None = None,
                           repair: bool = True) -> Estimates:
    """Estimates from a table of simple daily returns (columns = tickers, rows = days).

    ``market_weights`` (in column order) are needed for EQUILIBRIUM and BLACK_LITTERMAN and
    used by CAPM when given. ``span`` (days) applies to EMA returns and exponential covariance
    (defaults 500 and 180). The covariance is checked and, with ``repair``, repaired
    (the note goes into ``Estimates.source``).
    """
    rm = ReturnsMethod(returns_method)
    cm = CovarianceMethod(cov_method)
    tickers = tuple(str(c) for c in returns.columns)
    x = _matrix(returns)
    checked = check_covariance(covariance_of(x, cm, span), tickers, repair=repair)
    cov = checked.matrix
    mu = expected_returns_of(x, rm, cov, risk_free_rate=risk_free_rate,
                             market_weights=market_weights, tickers=tickers, views=views,
                             risk_aversion=risk_aversion, span=span)
    first, last = returns.index[0], returns.index[-1]
    source = catalog_text("zh_hardening.e_source_history", start=_date(first), end=_date(last),
                          days=len(x), returns=method_name(rm), covariance=method_name(cm),
                          note=_note(checked.note))
    return Estimates(tickers, np.asarray(mu, float), cov, float(risk_free_rate), source,
                     as_of=_date(last))


def _fail(key: str, /, **params: object) -> EstimationError:
    """An estimation error from catalog message ``key``."""
    return EstimationError.from_catalog(key, **params)


def method_name(method: ReturnsMethod | CovarianceMethod | str) -> str:
    """An estimation method's name as a catalog text ('ledoit_wolf' -> "ledoit_wolf" in English,
    its Chinese name under --lang zh)."""
    return catalog_text(f"zh_hardening.m_{getattr(method, 'value', method)}")


def _note(note: str) -> str:
    """"; <what was repaired>" after an estimates source, or nothing."""
    return catalog_text("zh_hardening.e_source_note", note=note) if note else ""


def estimates_from_prices(prices: pd.DataFrame, *,
                          returns_method: ReturnsMethod | str = ReturnsMethod.MEAN,
                          cov_method: CovarianceMethod | str = CovarianceMethod.LEDOIT_WOLF,
                          risk_free_rate: float = 0.0,
                          market_weights: np.ndarray | None = None,
                          views: Sequence[View] = (),
                          risk_aversion: float = DEFAULT_RISK_AVERSION,
                          span: int | None = None,
                          repair: bool = True) -> Estimates:
    """Estimates from daily adjusted closes (columns = tickers): the returns of the window
    where every asset trades, then ``estimates_from_returns``."""
    return estimates_from_returns(
        returns_from_prices(prices), returns_method=returns_method, cov_method=cov_method,
        risk_free_rate=risk_free_rate, market_weights=market_weights, views=views,
        risk_aversion=risk_aversion, span=span, repair=repair)
