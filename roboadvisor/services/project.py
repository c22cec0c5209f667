"""The projection use case: a tier's portfolio (from ``--tier`` or a client's answers) ->
monthly returns (normal model on the portfolio's own estimates, or block bootstrap of real
monthly returns) -> wealth paths with cash flows -> percentiles, goal probability, the saving
needed, and the running-out figures.

Costs: the held ETFs' expense ratios (weighted) plus the advisory ``fees`` are taken from the
returns every month. Prices for the bootstrap come from ``prices_file`` or the local cache
(never downloaded here).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from roboadvisor.domain.limits import MAX_MONEY
from roboadvisor.domain.projection import (
    BadYear,
    CashFlows,
    MonthlyReturns,
    Projection,
    ReturnModel,
    bad_year_bootstrap,
    bad_year_normal,
    bootstrap_returns,
    monthly_returns_from_prices,
    normal_returns,
    project,
    saving_needed,
)
from roboadvisor.errors import DataError, InputError, reason
from roboadvisor.fields import Field

if TYPE_CHECKING:
    import pandas as pd

    from roboadvisor.data.price_files import PriceInput
    from roboadvisor.domain.models import Allocation
    from roboadvisor.services.allocate import AllocationResult

DEFAULT_SEED = 0
"""Runs are reproducible by default: the same inputs give the same figures (``seed`` changes
the random paths)."""
MAX_PATHS = 200_000
HELD = 1e-4


@dataclass(frozen=True)
class ProjectionRequest:
    """What to project. Money in the client's currency; rates as decimals a year."""

    tier: int | str | None = None
    answers: Path | None = None
    amount: float = 0.0
    monthly: float = 0.0
    years: int = 30
    goal: float | None = None
    withdraw_monthly: float = 0.0
    inflation: float | None = None
    fees: float = 0.0
    paths: int = 10_000
    model: str = ReturnModel.NORMAL.value
    prices_file: PriceInput | None = None
    seed: int | None = None
    target_probability: float = 0.8
    lang: str = "en"
    policies_file: Path | None = None
    universe_file: Path | None = None
    cache_dir: Path | None = None


@dataclass(frozen=True)
class History:
    """Simple monthly returns of the held ETFs (months x assets, columns = ``tickers``)."""

    tickers: tuple[str, ...]
    returns: np.ndarray
    first_month: str
    last_month: str

    @property
    def window(self) -> str:
        return f"{self.first_month}..{self.last_month}"


@dataclass(frozen=True, eq=False)
class ProjectionResult:
    """The portfolio projected and every figure of the projection."""

    portfolio: AllocationResult
    projection: Projection
    request: ProjectionRequest
    seed: int
    fund_cost: float
    """Weighted expense ratio of the held ETFs, decimal a year."""
    saving_needed: float | None
    """Monthly saving for ``request.target_probability`` of reaching the goal (None: no goal,
    or withdrawals asked for)."""
    history_window: str | None
    bad_year: BadYear

    @property
    def total_cost(self) -> float:
        return self.fund_cost + self.request.fees

    @property
    def model(self) -> ReturnModel:
        return self.projection.model


def check_request(request: ProjectionRequest) -> ReturnModel:
    """Every check that needs no file, with the option to change in the message."""
    def bad(key: str, **params: object) -> InputError:
        return InputError.from_catalog(key, **params)

    try:
        model = ReturnModel(str(request.model).strip().lower())
    except ValueError:
        raise bad("projection.bad_model", value=request.model) from None
    most = float(MAX_MONEY)
    if not (np.isfinite(request.amount) and 0 <= request.amount <= most):
        raise bad("projection.bad_amount", value=request.amount, most=f"{most:,.0f}")
    for option, value in ((Field.MONTHLY, request.monthly),
                          (Field.WITHDRAW_MONTHLY, request.withdraw_monthly)):
        if not (np.isfinite(value) and 0 <= value <= most):
            raise bad("projection.bad_flow", option=option, value=value, most=f"{most:,.0f}")
    if request.amount == 0 and request.monthly == 0:
        raise bad("projection.nothing_invested")
    if not 1 <= request.years <= 100:
        raise bad("projection.bad_years", value=request.years)
    if request.seed is not None and not 0 <= request.seed < 2**63:
        raise bad("errors.seed_range", value=request.seed)
    if request.goal is not None and not (np.isfinite(request.goal)
                                         and 0 < request.goal <= 1000 * most):
        raise bad("projection.bad_goal", value=request.goal, most=f"{1000 * most:,.0f}")
    if request.inflation is not None and not -0.05 <= request.inflation <= 0.5:
        raise bad("projection.bad_inflation", value=request.inflation)
    if not 0 <= request.fees < 0.2:
        raise bad("projection.bad_fees", value=request.fees)
    if not 100 <= request.paths <= MAX_PATHS:
        raise bad("projection.bad_paths", value=request.paths, most=MAX_PATHS)
    if not 0.01 <= request.target_probability <= 0.99:
        raise bad("projection.bad_probability", value=request.target_probability)
    return model


def run_projection(request: ProjectionRequest) -> ProjectionResult:
    """The portfolio of the request's tier or answers, projected."""
    from roboadvisor.data.price_files import PriceFile
    from roboadvisor.services.allocate import AllocationRequest, MarketRequest, allocate

    model = check_request(request)
    prices = request.prices_file
    table = prices if isinstance(prices, PriceFile) else None
    path = prices if not isinstance(prices, PriceFile) else None
    portfolio = allocate(AllocationRequest(
        tier=request.tier, answers=request.answers, lang=request.lang,
        policies_file=request.policies_file,
        market=MarketRequest(universe_file=request.universe_file, cache_dir=request.cache_dir,
                             prices_file=path, prices_table=table)))
    return project_portfolio(portfolio, request, model)


def project_portfolio(portfolio: AllocationResult, request: ProjectionRequest,
                      model: ReturnModel | None = None) -> ProjectionResult:
    """Project an allocation already made (``report`` reuses its portfolio)."""
    model = model or check_request(request)
    held, weights = held_weights(portfolio)
    seed = DEFAULT_SEED if request.seed is None else int(request.seed)
    rng = np.random.default_rng(seed)
    months = request.years * 12
    history = None
    if model is ReturnModel.BOOTSTRAP:
        history = load_history(held, request.prices_file, request.cache_dir, required=True)
        assert history is not None
        returns = bootstrap_returns(weights, history.returns, months, request.paths, rng)
    else:
        returns = _normal(portfolio, held, weights, months, request.paths, rng)
    fund_cost = fund_expense_ratio(portfolio)
    flows = CashFlows(request.amount, request.monthly, request.withdraw_monthly,
                      annual_cost=fund_cost + request.fees, inflation=request.inflation or 0.0)
    projection = project(returns, flows, request.goal)
    needed = None
    if request.goal is not None:
        needed = saving_needed(returns, flows, request.goal, request.target_probability)
    if history is None and model is ReturnModel.NORMAL and request.prices_file is not None:
        history = load_history(held, request.prices_file, request.cache_dir, required=False)
    return ProjectionResult(portfolio, projection, request, seed, fund_cost, needed,
                            history.window if history is not None else None,
                            bad_year_of(weights, portfolio, history))


def bad_year_of(weights: np.ndarray, portfolio: AllocationResult,
                history: History | None) -> BadYear:
    """A bad year, one in twenty: bootstrap of the history when there is one, else normal."""
    if history is not None:
        return bad_year_bootstrap(weights, history.returns, history.window)
    a = portfolio.allocation
    return bad_year_normal(a.expected_return, a.volatility)


def bad_year_for(allocation: Allocation, prices: pd.DataFrame | None,
                 prices_file: PriceInput | None) -> BadYear:
    """The bad-year figure of the explanations: a bootstrap of the held ETFs' real monthly
    returns when prices are at hand (``prices``: daily closes already loaded, else
    ``prices_file``), the normal model on the allocation's own figures otherwise."""
    keep = allocation.weights > HELD
    held = tuple(np.asarray(allocation.tickers)[keep])
    weights = allocation.weights[keep] / allocation.weights[keep].sum()
    history = None
    if prices is not None and set(held) <= set(prices.columns):
        history = history_from_daily(prices[list(held)].dropna(), held)
    elif prices_file is not None:
        history = load_history(held, prices_file, None, required=False)
    if history is not None:
        return bad_year_bootstrap(weights, history.returns, history.window)
    return bad_year_normal(allocation.expected_return, allocation.volatility)


def held_weights(portfolio: AllocationResult) -> tuple[tuple[str, ...], np.ndarray]:
    """The held tickers and their weights (renormalised after dropping solver noise)."""
    a = portfolio.allocation
    keep = a.weights > HELD
    w = a.weights[keep]
    return tuple(np.asarray(a.tickers)[keep]), w / w.sum()


def fund_expense_ratio(portfolio: AllocationResult) -> float:
    """The held ETFs' expense ratios weighted by the portfolio (decimal a year)."""
    held, w = held_weights(portfolio)
    ratios = np.array([portfolio.universe.get(t).expense_ratio for t in held])
    return float(w @ ratios)


def _normal(portfolio: AllocationResult, held: tuple[str, ...], weights: np.ndarray,
            months: int, paths: int, rng: np.random.Generator) -> MonthlyReturns:
    est = portfolio.estimates.subset(held)
    return normal_returns(weights, est.expected_returns, est.covariance, months, paths, rng)


def load_history(tickers: tuple[str, ...], prices_file: PriceInput | None,
                 cache_dir: Path | None,
                 *, required: bool) -> History | None:
    """Monthly returns of ``tickers`` over the months where all of them have prices, from
    ``prices_file`` or the cache; None (or an error when ``required``) without prices."""
    from roboadvisor.domain.alignment import align_prices
    from roboadvisor.services.market import load_price_data

    try:
        data = load_price_data(tickers, prices_file=prices_file, cache_dir=cache_dir,
                               download=False)
        daily = align_prices(data.prices, tickers)
    except DataError as exc:
        if not required:
            return None
        raise InputError.from_catalog("projection.needs_prices", reason=reason(exc)) from None
    history = history_from_daily(daily, tickers)
    if history is None and required:
        raise InputError.from_catalog("projection.short_history", tickers=", ".join(tickers),
                                      months=len(daily.groupby(daily.index.to_period("M"))) - 1)
    return history


def history_from_daily(daily: pd.DataFrame, tickers: tuple[str, ...],
                       min_months: int = 36) -> History | None:
    """Monthly returns from month-end closes of aligned daily prices; None when shorter than
    ``min_months``."""
    if daily.empty:
        return None
    month_end = daily.groupby(daily.index.to_period("M")).tail(1)
    if len(month_end) <= min_months:
        return None
    returns = monthly_returns_from_prices(month_end[list(tickers)].to_numpy(dtype=float))
    first = month_end.index[1].strftime("%Y-%m")
    last = month_end.index[-1].strftime("%Y-%m")
    return History(tuple(tickers), returns, first, last)
