"""``ra.allocate``, ``ra.estimates`` and ``ra.frontier``: a tier's mean-variance portfolio,
the estimates it is optimised on, and the efficient frontier."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from roboadvisor.api.prices import PricesLike, price_input
from roboadvisor.domain.estimates import CovarianceMethod, ReturnsMethod
from roboadvisor.domain.explain import BindingConstraint
from roboadvisor.domain.models import Estimates, Tier
from roboadvisor.services import allocate as service
from roboadvisor.services.allocate import (
    AllocationRequest,
    AllocationResult,
    FrontierRequest,
    FrontierResult,
    MarketRequest,
)
from roboadvisor.services.assess import Assessment

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Allocation", "Frontier", "allocate", "estimates", "frontier"]

PathLike = str | os.PathLike[str]
Step = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class Allocation:
    """A tier's portfolio with its ex-ante figures and its explanation.

    ``result`` is the full service result (what the command line renders) and ``request``
    what it was asked; the properties below are the figures a notebook wants.
    """

    result: AllocationResult = field(repr=False)
    request: AllocationRequest = field(repr=False)

    @property
    def tier(self) -> Tier:
        return self.result.tier

    @property
    def weights(self) -> pd.Series:
        """Weight of each ETF of the universe (decimals, sum 1), indexed by ticker."""
        import pandas as pd

        a = self.result.allocation
        return pd.Series(a.weights, index=pd.Index(a.tickers, name="ticker"), name="weight",
                         dtype=float)

    @property
    def holdings(self) -> pd.Series:
        """The ETFs actually bought: weights above 0.01% (below is solver noise),
        renormalised to sum to 1, as whole shares and ``ra.backtest`` use them."""
        w = self.weights[self.weights > service.HELD_WEIGHT]
        return w / w.sum()

    @property
    def expected_return(self) -> float:
        """Annualised expected return (decimal) on the estimates used."""
        return self.result.allocation.expected_return

    @property
    def volatility(self) -> float:
        """Annualised ex-ante volatility (decimal)."""
        return self.result.allocation.volatility

    @property
    def sharpe_ratio(self) -> float:
        return self.result.allocation.sharpe_ratio

    @property
    def binding(self) -> tuple[BindingConstraint, ...]:
        """The limits the portfolio sits on (kind, name, value, limit, text)."""
        return self.result.explanation.binding

    @property
    def risk_contributions(self) -> pd.Series:
        """Each held ETF's share of the portfolio variance (sums to 1)."""
        import pandas as pd

        return pd.Series({c.name: c.risk for c in self.result.explanation.assets},
                         name="risk", dtype=float)

    @property
    def notes(self) -> tuple[str, ...]:
        return self.result.notes

    def explain(self) -> str:
        """The plain-language summary: what the portfolio holds and which limits set it."""
        return self.result.explanation.summary

    def record(self) -> dict[str, Any]:
        """The JSON record ``roboadvisor allocate --json`` prints."""
        return service.allocation_record(self.result)

    def __repr__(self) -> str:
        return (f"Allocation(tier={int(self.tier)}, expected_return={self.expected_return:.4f}, "
                f"volatility={self.volatility:.4f}, holdings={int((self.weights > 1e-4).sum())})")


def _market(estimates: Estimates | str | None, prices: PricesLike | None,
            method: ReturnsMethod | str | None, covariance: CovarianceMethod | str | None,
            views: PathLike | None, universe: PathLike | None,
            cache_dir: PathLike | None) -> MarketRequest:
    """The service's market request: given estimates win; prices (or ``"history"``) mean
    estimates from history; otherwise the shipped capital market assumptions."""
    given = estimates if isinstance(estimates, Estimates) else None
    if isinstance(estimates, str):
        source = estimates
    else:
        source = "history" if prices is not None and given is None else "cma"
    table = price_input(prices)
    return MarketRequest(
        source=source, prices_file=table if isinstance(table, Path) else None,
        prices_table=None if isinstance(table, Path) else table,
        method=None if method is None else str(method),
        views_file=_path(views), universe_file=_path(universe), cache_dir=_path(cache_dir),
        estimates=given, covariance=None if covariance is None else str(covariance))


def _path(value: PathLike | None) -> Path | None:
    return None if value is None else Path(value)


def allocate(tier: Tier | int | str | Assessment | None = None, *,
             estimates: Estimates | str | None = None, prices: PricesLike | None = None,
             method: ReturnsMethod | str | None = None, views: PathLike | None = None,
             policies: PathLike | None = None, universe: PathLike | None = None,
             suitability: str | None = None, amount: float | None = None,
             answers: Mapping[str, str] | PathLike | None = None, lang: str = "en",
             cache_dir: PathLike | None = None, progress: Step | None = None) -> Allocation:
    """The mean-variance portfolio of a risk tier.

    Parameters
    ----------
    tier : Tier, int, str or Assessment
        1..5, ``"C3"``, a name (``"balanced"``) or an assessment (its tier).
    estimates : Estimates or {"cma", "history"}, optional
        Estimates to optimise on (from ``ra.estimates``); ``"cma"`` (default without
        prices) the shipped capital market assumptions; ``"history"`` (default with
        prices) estimated from ``prices`` (or the local price cache without them).
    prices : pandas.DataFrame or path, optional
        Daily adjusted closes, shape (days, tickers), validated as a price file (see
        ``ra.check_prices``); used for history estimates and for whole shares.
    method : ReturnsMethod or str, optional
        History only: expected returns by ``"mean"``, ``"ema"``, ``"capm"``,
        ``"equilibrium"`` (default) or ``"black-litterman"`` (needs ``views``).
    views : path, optional
        Black-Litterman views file.
    policies, universe : path, optional
        Tier policies and universe files (default: the shipped ones).
    suitability : {"portfolio", "holdings"}, optional
        Overrides the policies' suitability mode.
    amount : float, optional
        Money to invest: whole shares at the latest prices (``result.shares``).
    answers : Mapping or path, optional
        Instead of ``tier``: a client's answers, assessed first.
    lang : {"en", "zh"}
        Language of the explanation and notes.
    cache_dir : path, optional
        Price cache directory (history without ``prices``).
    progress : callable, optional
        Called with a short text as each step finishes.

    Returns
    -------
    Allocation
        ``.weights`` (pandas.Series by ticker, sums to 1), ``.expected_return`` and
        ``.volatility`` (annualised decimals), ``.binding``, ``.explain()``, ``.record()``.

    Raises
    ------
    roboadvisor.errors.RoboAdvisorError
        Bad input (``InputError``), prices (``DataQualityError``, ``CoverageError``),
        an infeasible policy (``InfeasibleError``); the message says what to change.

    Examples
    --------
    >>> import roboadvisor as ra
    >>> portfolio = ra.allocate(3)
    >>> round(float(portfolio.weights.sum()), 6)
    1.0
    >>> f"{portfolio.volatility:.2%}"
    '8.00%'
    """
    if isinstance(answers, Mapping):
        from roboadvisor.api.assessment import assess

        tier, answers = assess(answers, lang=lang), None
    assessment = tier if isinstance(tier, Assessment) else None
    request = AllocationRequest(
        tier=None if isinstance(tier, Assessment) else tier, answers=_path(answers), amount=amount,
        lang=lang, market=_market(estimates, prices, method, None, views, universe, cache_dir),
        policies_file=_path(policies), assessment=assessment, suitability=suitability)
    return Allocation(service.allocate(request, step=progress), request)


def estimates(prices: PricesLike | None, returns: ReturnsMethod | str = "equilibrium",
              covariance: CovarianceMethod | str = "ledoit_wolf", *,
              universe: PathLike | None = None, views: PathLike | None = None,
              cache_dir: PathLike | None = None) -> Estimates:
    """Expected returns and covariance of the universe from daily prices.

    The window is where every asset of the universe trades; the risk-free rate is the
    shipped assumptions' ``risk_free_rate``. ``ra.allocate(tier, prices=...)`` makes the
    same estimates (``returns="equilibrium"``, ``covariance="ledoit_wolf"``).

    Parameters
    ----------
    prices : pandas.DataFrame or path or None
        Daily adjusted closes, shape (days, tickers) with a column per ETF of the universe;
        None reads the local price cache.
    returns : ReturnsMethod or str
        ``"mean"``, ``"ema"``, ``"capm"``, ``"equilibrium"`` or ``"black-litterman"``.
    covariance : CovarianceMethod or str
        ``"ledoit_wolf"``, ``"shrunk_correlation"``, ``"sample"`` or ``"exponential"``.
    universe, views, cache_dir : path, optional
        Universe file, Black-Litterman views file, price cache directory.

    Returns
    -------
    Estimates
        ``tickers`` (universe order), ``expected_returns`` shape (n,) and ``covariance``
        shape (n, n), annualised decimals; ``risk_free_rate``; ``volatilities``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np, pandas as pd
    >>> import roboadvisor as ra
    >>> universe = pathlib.Path(tempfile.mkdtemp()) / "two_etfs.yaml"
    >>> _ = universe.write_text("id: two\\nname: Two ETFs\\nassets:\\n" + "".join(
    ...     f"  - {{ticker: {t}, name: {t}, asset_class: {c}, region: us, currency: USD, "
    ...     f"expense_ratio: 0.0003, risk_level: {r}, market_weight: {m}}}\\n"
    ...     for t, c, r, m in [("VTI", "equity", 3, 0.6), ("AGG", "fixed_income", 2, 0.4)]))
    >>> days = pd.bdate_range("2020-01-01", periods=600, name="Date")
    >>> steps = np.random.default_rng(0).normal(0.0003, 0.01, (600, 2))
    >>> table = pd.DataFrame(100 * np.exp(steps.cumsum(axis=0)), index=days,
    ...                      columns=["VTI", "AGG"])
    >>> est = ra.estimates(table, "mean", "sample", universe=universe)
    >>> est.tickers, est.covariance.shape
    (('VTI', 'AGG'), (2, 2))
    """
    request = _market("history", prices, returns, covariance, views, universe, cache_dir)
    return service.load_market(request).estimates


@dataclass(frozen=True, eq=False)
class Frontier:
    """The efficient frontier of the universe's own limits and the five tier portfolios."""

    result: FrontierResult = field(repr=False)

    @property
    def points(self) -> pd.DataFrame:
        """One row per frontier portfolio: ``volatility``, ``expected_return``,
        ``sharpe_ratio`` (annualised decimals), lowest risk first."""
        import pandas as pd

        return pd.DataFrame([(a.volatility, a.expected_return, a.sharpe_ratio)
                             for a in self.result.points],
                            columns=["volatility", "expected_return", "sharpe_ratio"])

    @property
    def weights(self) -> pd.DataFrame:
        """The frontier portfolios' weights, shape (points, tickers)."""
        import pandas as pd

        est = self.result.estimates
        return pd.DataFrame([a.weights for a in self.result.points], columns=list(est.tickers))

    @property
    def tiers(self) -> pd.DataFrame:
        """The tier portfolios (index: tier 1..5 that the universe can build), their
        volatility, expected return and Sharpe ratio."""
        import pandas as pd

        rows = {int(t): (a.volatility, a.expected_return, a.sharpe_ratio)
                for t, a in self.result.tiers.items()}
        frame = pd.DataFrame.from_dict(rows, orient="index",
                                       columns=["volatility", "expected_return",
                                                "sharpe_ratio"])
        frame.index.name = "tier"
        return frame

    def record(self) -> dict[str, Any]:
        """The JSON record ``roboadvisor frontier --json`` prints."""
        return service.frontier_record(self.result)


def frontier(*, estimates: Estimates | str | None = None, prices: PricesLike | None = None,
             method: ReturnsMethod | str | None = None, views: PathLike | None = None,
             points: int = 50, policies: PathLike | None = None,
             universe: PathLike | None = None, cache_dir: PathLike | None = None,
             progress: Step | None = None) -> Frontier:
    """The efficient frontier (long-only, the universe's per-asset limits) and the tiers.

    Parameters
    ----------
    estimates, prices, method, views, policies, universe, cache_dir
        As for ``ra.allocate``.
    points : int
        Number of frontier portfolios, 2..500.
    progress : callable, optional
        Called with a short text as each step finishes.

    Returns
    -------
    Frontier
        ``.points`` (DataFrame, shape (points, 3)), ``.weights`` (points x tickers),
        ``.tiers`` (one row per tier), ``.record()``.

    Examples
    --------
    >>> import roboadvisor as ra
    >>> front = ra.frontier(points=5)
    >>> front.points.shape, bool(front.points["volatility"].is_monotonic_increasing)
    ((5, 3), True)
    """
    request = FrontierRequest(points=points, policies_file=_path(policies),
                              market=_market(estimates, prices, method, None, views, universe,
                                             cache_dir))
    return Frontier(service.frontier(request, step=progress))
