"""Use cases: a tier's portfolio (``allocate``), the efficient frontier (``frontier``), and the
whole job from a client's answers (``plan``).

Estimates come from one of two sources:

- ``cma`` (default, offline): the capital market assumptions shipped with the package
  (``roboadvisor/resources/cma_default.yaml``): equilibrium returns, long-run volatilities.
- ``history``: daily prices from ``--prices FILE`` or the local cache (never downloaded here:
  ``roboadvisor data fetch`` fills the cache), aligned to the window where every asset trades.
  The covariance is Ledoit-Wolf; expected returns by default are the market equilibrium (the
  Black-Litterman prior without views, rf + 3 * Σ w_mkt), because raw historical means are too
  noisy to optimise on. ``method`` picks another estimator (mean, ema, capm, equilibrium,
  black-litterman with a views file). The risk-free rate is the assumptions file's
  ``risk_free_rate``; nothing else of that file is used, so the universe's tickers need not
  be in it.

Then the tier's policy (``roboadvisor/resources/policies.yaml`` or ``policies_file``) is
optimised and explained; with an ``amount``, the weights become whole shares at the latest
prices (``--prices FILE`` or the cache), or dollar amounts with a note saying how to get shares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from roboadvisor.data.assumptions_file import load_assumptions, load_risk_free_rate
from roboadvisor.data.policy_file import load_policies
from roboadvisor.data.universe_file import load_universe
from roboadvisor.domain.constraints import portfolio_constraints
from roboadvisor.domain.discrete import WholeShares, whole_shares
from roboadvisor.domain.estimates import CovarianceMethod, ReturnsMethod
from roboadvisor.domain.explain import Explanation, explain_allocation
from roboadvisor.domain.limits import MAX_MONEY
from roboadvisor.domain.models import Allocation, Estimates, Tier, Universe
from roboadvisor.domain.optimizer import optimise
from roboadvisor.domain.policy import Objective, Policy
from roboadvisor.errors import (
    ConfigError,
    CoverageError,
    InfeasibleError,
    InputError,
    VolatilityCeilingError,
    catalog_text,
    reason,
    shown,
)
from roboadvisor.fields import Field
from roboadvisor.services.suitability import rate_allocation, suitability_record

if TYPE_CHECKING:
    import pandas as pd

    from roboadvisor.data.price_files import PriceFile, PriceInput
    from roboadvisor.domain.suitability import PortfolioRating
    from roboadvisor.services.assess import Assessment
    from roboadvisor.services.market import PriceData

Step = Callable[[str], None]
"""Called with a short description as each step of a long computation finishes."""


class Source(StrEnum):
    """Where expected returns and covariance come from."""

    CMA = "cma"
    HISTORY = "history"
    GIVEN = "given"
    """Estimates the caller made (``MarketRequest.estimates``, the Python API's)."""


DEFAULT_HISTORY_METHOD = ReturnsMethod.EQUILIBRIUM
HELD_WEIGHT = 1e-4
"""Weights at or below this (0.01%) are solver noise: not listed, not bought."""
FRONTIER_POINTS = 50


@dataclass(frozen=True)
class MarketRequest:
    """Which estimates to use. ``source``/``method`` are checked strings (CLI spellings:
    ``black-litterman`` works as well as ``black_litterman``). ``prices_table`` (a table
    from memory validated as a price file, ``price_files.read_price_frame``) and
    ``estimates`` made by the caller are the Python API's: they win over ``prices_file``
    and ``source``."""

    source: str = Source.CMA.value
    prices_file: Path | None = None
    method: str | None = None
    views_file: Path | None = None
    universe_file: Path | None = None
    assumptions_file: Path | None = None
    cache_dir: Path | None = None
    estimates: Estimates | None = None
    covariance: str | None = None
    """History only: ledoit_wolf (default), shrunk_correlation, sample or exponential."""
    prices_table: PriceFile | None = None

    @property
    def prices(self) -> PriceInput | None:
        """Where the prices come from: the table, else the file (None: the cache)."""
        return self.prices_table if self.prices_table is not None else self.prices_file


@dataclass(frozen=True, eq=False)
class Market:
    """The universe, its estimates, and the aligned prices they came from (history only)."""

    universe: Universe
    estimates: Estimates
    source: Source
    method: str
    prices: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AllocationRequest:
    """A tier (1..5, 'C3', 'balanced'), a client's answers file, or an assessment already
    made (e.g. from the interactive questionnaire): exactly one of them."""

    tier: int | str | None = None
    answers: Path | None = None
    amount: float | None = None
    market: MarketRequest = field(default_factory=MarketRequest)
    policies_file: Path | None = None
    questionnaire_id: str | None = None
    lang: str = "en"
    assessment: Assessment | None = None
    suitability: str | None = None
    """portfolio or holdings: overrides the policies file's suitability mode."""


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """A tier's portfolio, why it looks that way, and (with an amount) what to buy."""

    tier: Tier
    policy: Policy
    universe: Universe
    estimates: Estimates
    source: Source
    method: str
    allocation: Allocation
    explanation: Explanation
    amount: float | None = None
    shares: WholeShares | None = None
    prices_as_of: str | None = None
    notes: tuple[str, ...] = ()
    assessment: Assessment | None = None
    rating: PortfolioRating | None = None
    """The portfolio's rating R1..R5 and its rule (when the policies state rating rules)."""

    def class_weights(self) -> dict[str, float]:
        return {c.name: c.weight for c in self.explanation.classes}

    def region_weights(self) -> dict[str, float]:
        return {c.name: c.weight for c in self.explanation.regions}


@dataclass(frozen=True)
class FrontierRequest:
    points: int = FRONTIER_POINTS
    market: MarketRequest = field(default_factory=MarketRequest)
    policies_file: Path | None = None


@dataclass(frozen=True, eq=False)
class FrontierResult:
    """The frontier of the universe's own bounds (long-only, max weights, no suitability limits)
    and the five tier portfolios, which carry suitability and class limits and so may lie
    inside it."""

    universe: Universe
    estimates: Estimates
    source: Source
    method: str
    points: tuple[Allocation, ...]
    tiers: Mapping[Tier, Allocation]

    frontier_at_tier_volatility: Mapping[Tier, float | None]
    """The frontier's expected return at each tier portfolio's volatility (the best the
    universe's own limits allow at that risk); None below the frontier's minimum volatility."""

    unavailable: Mapping[Tier, str] = field(default_factory=dict)
    """Tiers whose policy cannot be met in this universe, with the reason (e.g. a universe
    of equities only has nothing tiers 1-2 may hold); they are absent from ``tiers``."""


# --------------------------------------------------------------------------------------------
# Use cases
# --------------------------------------------------------------------------------------------
def policy_for_tier(tier: Tier | int | str, policies_file: Path | None = None) -> Policy:
    """The policy of ``tier`` from ``policies_file`` (default: the shipped policies)."""
    return load_policies(policies_file)[parse_tier(tier)]


def parse_tier(value: Tier | int | str) -> Tier:
    """A Tier from 1..5, 'C3' or a name; InputError naming the value otherwise."""
    if isinstance(value, Tier):
        return value
    try:
        return Tier.parse(value)
    except ValueError:
        raise InputError.from_catalog(
            "errors.option_tier", raw=str(value)[:40], value=shown(value),
            names=", ".join(t.name.lower() for t in Tier)) from None


def allocate(request: AllocationRequest, step: Step | None = None) -> AllocationResult:
    """The portfolio of the request's tier (or of the tier its answers file gives)."""
    _check_amount(request.amount)
    tier, assessment = _resolve_tier(request)
    market = load_market(request.market)
    policies = load_policies(request.policies_file, market.universe, request.suitability)
    _step(step, catalog_text("zh_hardening.step_estimates_from", source=market.source.value))
    result = _allocate_tier(market, policies[tier], tier, request, assessment)
    _step(step, catalog_text("zh_hardening.step_optimised", k=tier.value))
    return result


def allocate_tiers(request: AllocationRequest) -> dict[Tier, AllocationResult]:
    """The portfolios of all five tiers from one market load (``model publish``)."""
    market = load_market(request.market)
    policies = load_policies(request.policies_file, market.universe, request.suitability)
    return {tier: _allocate_tier(market, policies[tier], tier, request, None)
            for tier in sorted(policies)}


def plan(request: AllocationRequest, step: Step | None = None) -> AllocationResult:
    """The main job: answers -> assessment -> tier -> portfolio -> explanation. The answers
    come from ``request.answers`` (a file) or ``request.assessment`` (already assessed)."""
    if request.answers is None and request.assessment is None:
        raise InputError.from_catalog("errors.plan_needs_answers")
    if request.tier is not None:
        raise InputError.from_catalog("errors.plan_no_tier")
    return allocate(request, step)


def check_request(request: AllocationRequest) -> None:
    """The checks that need no files or prices (amount, source, method), so that an
    interactive questionnaire is not answered in vain."""
    _check_amount(request.amount)
    if _parse_source(request.market.source) is Source.HISTORY:
        _parse_method(request.market.method)


def frontier(request: FrontierRequest, step: Step | None = None) -> FrontierResult:
    """The efficient frontier over the universe, and the tier portfolios that the universe
    can build (a tier it cannot build is reported in ``unavailable`` with the reason; only a
    frontier that cannot be traced at all is an error)."""
    from roboadvisor.domain.frontier import efficient_frontier

    if not 2 <= request.points <= 500:
        raise InputError.from_catalog("errors.option_points", value=request.points)
    market = load_market(request.market)
    policies = load_policies(request.policies_file, market.universe)
    _step(step, catalog_text("zh_hardening.step_estimates"))
    points = efficient_frontier(market.estimates, market.universe, None, request.points)
    _step(step, catalog_text("zh_hardening.step_frontier"))
    tiers: dict[Tier, Allocation] = {}
    on_frontier: dict[Tier, float | None] = {}
    unavailable: dict[Tier, str] = {}
    for tier, policy in policies.items():
        try:
            tiers[tier] = optimise(market.estimates, policy, market.universe)
        except InfeasibleError as exc:
            unavailable[tier] = reason(exc)
        else:
            on_frontier[tier] = _frontier_return(market, tiers[tier].volatility)
        _step(step, catalog_text("zh_hardening.step_optimised", k=tier.value))
    return FrontierResult(market.universe, market.estimates, market.source, market.method,
                          tuple(points), tiers, on_frontier, unavailable)


def load_market(request: MarketRequest) -> Market:
    """The universe and its estimates from the requested source."""
    universe = load_universe(request.universe_file)
    if request.estimates is not None:
        return Market(universe, _given_estimates(request.estimates, universe), Source.GIVEN,
                      "given")
    source = _parse_source(request.source)
    if source is Source.CMA:
        if request.method is not None:
            raise InputError.from_catalog("files.method_needs_history")
        if request.views_file is not None:
            raise InputError.from_catalog("files.views_need_history")
        assumptions = load_assumptions(universe, request.assumptions_file)
        return Market(universe, assumptions, source, "assumptions")
    return _history_market(request, universe, load_risk_free_rate(request.assumptions_file))


# --------------------------------------------------------------------------------------------
# Records (JSON-safe dicts) for --json
# --------------------------------------------------------------------------------------------
def allocation_record(result: AllocationResult) -> dict[str, Any]:
    """The portfolio, its figures, the explanation and (with an amount) the shares."""
    a, u = result.allocation, result.universe
    record: dict[str, Any] = {
        "tier": int(result.tier),
        "tier_name": result.tier.name.lower(),
        "suitability_level": result.tier.suitability_level,
        "max_product_risk": f"R{result.policy.max_product_risk}",
        "suitability": suitability_record(result.rating, result.policy),
        "policy": {"name": result.policy.name, "objective": result.policy.objective.value,
                   "target_volatility": result.policy.target_volatility,
                   "risk_aversion": result.policy.risk_aversion},
        "estimates": {"source": result.source.value, "method": result.method,
                      "description": result.estimates.source,
                      "as_of": result.estimates.as_of},
        "expected_return": a.expected_return,
        "volatility": a.volatility,
        "sharpe_ratio": a.sharpe_ratio,
        "risk_free_rate": a.risk_free_rate,
        "weights": a.as_dict(HELD_WEIGHT),
        "assets": [{"ticker": asset.ticker, "name": asset.name,
                    "asset_class": asset.asset_class.value, "region": asset.region.value,
                    "risk_level": f"R{asset.risk_level}", "weight": float(w)}
                   for asset, w in zip(u, a.weights, strict=True) if w > HELD_WEIGHT],
        "class_weights": result.class_weights(),
        "region_weights": result.region_weights(),
        "explanation": explanation_record(result.explanation),
    }
    if result.amount is not None:
        record["amount"] = result.amount
        record["positions"] = positions(result)
        record["prices_as_of"] = result.prices_as_of
        if result.shares is not None:
            record["cash_left"] = result.shares.cash_left
            record["invested"] = result.shares.invested
            record["tracking_error"] = result.shares.tracking_error
            record["whole_shares_method"] = result.shares.method
    record["notes"] = list(result.notes)
    return record


def positions(result: AllocationResult) -> list[dict[str, Any]]:
    """Per held ETF: weight, target amount and, with prices, shares, price and value."""
    if result.amount is None:
        return []
    a = result.allocation
    rows: list[dict[str, Any]] = []
    by_ticker = {}
    if result.shares is not None:
        s = result.shares
        by_ticker = {t: (int(n), float(p), float(v)) for t, n, p, v
                     in zip(s.tickers, s.shares, s.prices, s.values, strict=True)}
    for t, w in zip(a.tickers, a.weights, strict=True):
        if w <= HELD_WEIGHT:
            continue
        row: dict[str, Any] = {"ticker": t, "weight": float(w),
                               "target_amount": float(w) * result.amount}
        if t in by_ticker:
            n, price, value = by_ticker[t]
            row.update(shares=n, price=price, value=value, actual_weight=value / result.amount)
        rows.append(row)
    return rows


def explain_record(result: AllocationResult) -> dict[str, Any]:
    """The explanation with the portfolio it explains."""
    a = result.allocation
    return {"tier": int(result.tier), "tier_name": result.tier.name.lower(),
            "expected_return": a.expected_return, "volatility": a.volatility,
            "suitability": suitability_record(result.rating, result.policy),
            "weights": a.as_dict(HELD_WEIGHT),
            "class_weights": result.class_weights(),
            "estimates": {"source": result.source.value, "method": result.method,
                          "description": result.estimates.source},
            **explanation_record(result.explanation)}


def explanation_record(ex: Explanation) -> dict[str, Any]:
    return {
        "risk_contributions": {c.name: c.risk for c in ex.assets if c.weight > HELD_WEIGHT},
        "class_risk_contributions": {c.name: c.risk for c in ex.classes
                                     if c.weight > HELD_WEIGHT},
        "binding_constraints": [{"kind": b.kind.value, "name": b.name, "value": b.value,
                                 "limit": b.limit, "text": b.text} for b in ex.binding],
        "summary": ex.summary,
    }


def plan_record(result: AllocationResult) -> dict[str, Any]:
    """One record: the assessment record, the allocation and the explanation."""
    from roboadvisor.services.assess import assessment_record

    assert result.assessment is not None
    allocation = allocation_record(result)
    explanation = allocation.pop("explanation")
    return {"assessment": assessment_record(result.assessment), "allocation": allocation,
            "explanation": explanation}


def frontier_record(result: FrontierResult) -> dict[str, Any]:
    def point(a: Allocation) -> dict[str, Any]:
        return {"expected_return": a.expected_return, "volatility": a.volatility,
                "sharpe_ratio": a.sharpe_ratio,
                "weights": a.as_dict(HELD_WEIGHT)}

    est = result.estimates
    return {
        "estimates": {"source": result.source.value, "method": result.method,
                      "description": est.source, "as_of": est.as_of,
                      "risk_free_rate": est.risk_free_rate},
        "frontier": [point(a) for a in result.points],
        "tiers": {str(int(t)): {**point(a), "frontier_return_at_same_volatility":
                                result.frontier_at_tier_volatility.get(t)}
                  for t, a in result.tiers.items()},
        "unavailable_tiers": {str(int(t)): reason for t, reason in result.unavailable.items()},
        "assets": {t: {"expected_return": float(m), "volatility": float(v)}
                   for t, m, v in zip(est.tickers, est.expected_returns, est.volatilities,
                                      strict=True)},
        "note": FRONTIER_NOTE,
    }


FRONTIER_NOTE = ("The frontier uses only the universe's own limits (long-only, per-asset "
                 "maximums); the tier portfolios also respect suitability and asset-class "
                 "limits, so they may lie inside it.")


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------
def _step(step: Step | None, text: str) -> None:
    if step is not None:
        step(text)


def _frontier_return(market: Market, volatility: float) -> float | None:
    """The highest expected return at ``volatility`` within the universe's own limits."""
    unconstrained = Policy("frontier", Objective.TARGET_VOLATILITY, target_volatility=volatility)
    try:
        return optimise(market.estimates, unconstrained, market.universe).expected_return
    except InfeasibleError:
        return None


def _check_amount(amount: float | None) -> None:
    if amount is not None and not (np.isfinite(amount) and 0 < amount <= MAX_MONEY):
        raise InputError.from_catalog("errors.option_amount", value=f"{amount:g}",
                                      most=f"{MAX_MONEY:,}")


def _resolve_tier(request: AllocationRequest) -> tuple[Tier, Assessment | None]:
    if request.tier is not None and request.answers is not None:
        raise InputError.from_catalog("errors.tier_or_answers_not_both")
    if request.assessment is not None:
        if request.tier is not None or request.answers is not None:
            raise InputError.from_catalog("zh_hardening.already_assessed")
        return request.assessment.tier, request.assessment
    if request.answers is not None:
        from roboadvisor.services.assess import assess_answers_file

        assessment = assess_answers_file(request.answers, request.questionnaire_id,
                                         request.lang)
        return assessment.tier, assessment
    if request.tier is None:
        raise InputError.from_catalog("errors.tier_or_answers")
    return parse_tier(request.tier), None


def _parse_source(value: str) -> Source:
    choices = (Source.CMA, Source.HISTORY)   # GIVEN comes with the estimates themselves
    text = str(value).strip().lower()
    if text not in choices:
        raise InputError.from_catalog("errors.option_choice", option=Field.SOURCE,
                                      value=str(value)[:40],
                                      choices=", ".join(s.value for s in choices))
    return Source(text)


def _parse_covariance(value: str | None) -> CovarianceMethod:
    if value is None:
        return CovarianceMethod.LEDOIT_WOLF
    try:
        return CovarianceMethod(str(value).strip().lower().replace("-", "_"))
    except ValueError:
        raise InputError.from_catalog(
            "errors.option_choice", option="covariance", value=str(value)[:40],
            choices=", ".join(m.value for m in CovarianceMethod)) from None


def _given_estimates(estimates: Estimates, universe: Universe) -> Estimates:
    """The caller's estimates in universe order; every asset of the universe needs one."""
    missing = [t for t in universe.tickers if t not in estimates.tickers]
    if missing:
        raise InputError.from_catalog("api.estimates_missing", tickers=", ".join(missing))
    return estimates.subset(universe.tickers)


def _parse_method(value: str | None) -> ReturnsMethod:
    if value is None:
        return DEFAULT_HISTORY_METHOD
    try:
        return ReturnsMethod(str(value).strip().lower().replace("-", "_"))
    except ValueError:
        raise InputError.from_catalog(
            "errors.option_choice", option=Field.METHOD, value=str(value)[:40],
            choices=", ".join(m.value.replace("_", "-") for m in ReturnsMethod)) from None


def _load_prices(tickers: tuple[str, ...] | list[str], request: MarketRequest) -> PriceData:
    """Prices of ``tickers`` from --prices FILE or the cache (never downloaded). A ticker
    missing from the file is named with the fix that applies here (these commands have no
    --allow-missing)."""
    from roboadvisor.services.market import load_price_data

    if request.prices is None:
        return load_price_data(tickers, cache_dir=request.cache_dir, download=False)
    data = load_price_data(tickers, prices_file=request.prices, allow_missing=True,
                           download=False)
    if data.dropped:
        where = (catalog_text("zh_hardening.universe_file", path=request.universe_file)
                 if request.universe_file is not None
                 else catalog_text("zh_hardening.default_universe"))
        raise CoverageError.from_catalog("zh_hardening.prices_no_column",
                                         path=request.prices_file or "prices DataFrame",
                                         tickers=", ".join(data.dropped), where=where)
    return data


def _history_market(request: MarketRequest, universe: Universe, rf: float) -> Market:
    from roboadvisor.data.views_file import load_views
    from roboadvisor.domain.alignment import align_prices
    from roboadvisor.domain.estimates import View, estimates_from_prices

    method = _parse_method(request.method)
    views: tuple[View, ...] = ()
    if request.views_file is not None:
        if method is not ReturnsMethod.BLACK_LITTERMAN:
            raise InputError.from_catalog("zh_hardening.views_need_bl")
        views = load_views(request.views_file, universe)
    elif method is ReturnsMethod.BLACK_LITTERMAN:
        raise InputError.from_catalog("zh_hardening.bl_needs_views")
    try:
        data = _load_prices(universe.tickers, request)
    except CoverageError as exc:
        raise CoverageError.from_catalog("zh_hardening.option_problem",
                                         option=catalog_text("inputs.with_value",
                                                             option=Field.SOURCE,
                                                             value=Source.HISTORY.value),
                                         problem=reason(exc)
                                         ) from None
    prices = align_prices(data.prices, universe.tickers)
    market_weights = universe.market_weights()
    estimates = estimates_from_prices(prices, returns_method=method,
                                      cov_method=_parse_covariance(request.covariance),
                                      risk_free_rate=rf, market_weights=market_weights,
                                      views=views)
    name = method.value.replace("_", "-")
    warnings = tuple(data.warnings)
    best = float(np.max(estimates.expected_returns))
    if views and best < rf:
        warnings += (catalog_text("zh_hardening.views_below_rf", best=f"{best:.2%}",
                                  rf=f"{rf:.2%}"),)
    return Market(universe, estimates, Source.HISTORY, name, prices, warnings)


def _allocate_tier(market: Market, policy: Policy, tier: Tier, request: AllocationRequest,
                   assessment: Assessment | None) -> AllocationResult:
    universe, est = market.universe, market.estimates
    try:
        allocation = optimise(est, policy, universe)
    except VolatilityCeilingError as exc:
        if market.source is not Source.HISTORY:
            raise  # the shipped assumptions must meet the policy: a policy error
        allocation = _least_risk(est, policy, universe, exc, request.lang)
    rating = rate_allocation(allocation, universe, policy)
    constraints = portfolio_constraints(universe, policy)
    lang = "zh" if str(request.lang).lower() == "zh" else "en"
    label = None
    if lang == "zh":
        from roboadvisor.services.assess import tier_label

        label = tier_label(tier, lang)
    from roboadvisor.services.project import bad_year_for

    bad_year = bad_year_for(allocation, market.prices, request.market.prices)
    explanation = explain_allocation(allocation, est.subset(universe.tickers).covariance,
                                     universe, policy, constraints, lang=lang, tier_label=label,
                                     bad_year=bad_year)
    shares, as_of, notes = None, None, market.notes + allocation.notes
    if request.amount is not None:
        shares, as_of, more = _whole_shares(allocation, request.amount, market, request.market)
        notes += tuple(n for n in more if n not in notes)
    elif market.source is Source.CMA and request.market.prices is not None:
        from roboadvisor.reports.i18n import text

        notes += (text("errors.prices_ignored"),)
    return AllocationResult(tier, policy, universe, est, market.source, market.method,
                            allocation, explanation, request.amount, shares, as_of, notes,
                            assessment, rating)


def _least_risk(est: Estimates, policy: Policy, universe: Universe,
                error: VolatilityCeilingError, lang: str) -> Allocation:
    """A history window too volatile for the tier's ceiling: the policy's least-volatile
    admissible portfolio, with a note saying so (as the walk-forward does)."""
    from dataclasses import replace

    from roboadvisor.domain.optimizer import least_risk
    from roboadvisor.reports.i18n import t

    held = least_risk(est, policy, universe)
    note = t("suitability.least_risk", "zh" if str(lang).lower() == "zh" else "en",
             target=f"{100 * error.target:.1f}%", lowest=f"{100 * held.volatility:.1f}%")
    return replace(held, notes=(note, *held.notes))


def _whole_shares(allocation: Allocation, amount: float, market: Market,
                  request: MarketRequest) -> tuple[WholeShares | None, str | None,
                                                   tuple[str, ...]]:
    held = [t for t, w in zip(allocation.tickers, allocation.weights, strict=True)
            if w > HELD_WEIGHT]
    latest = _latest_prices(held, market, request)
    if latest is None:
        return None, None, (catalog_text("zh_hardening.shares_need_prices"),)
    prices, as_of, notes = latest
    idx = [allocation.tickers.index(t) for t in held]
    weights = allocation.weights[idx] / allocation.weights[idx].sum()
    shares = whole_shares(tuple(held), weights, np.array([prices[t] for t in held]), amount)
    if shares.invested == 0:
        notes += (catalog_text("zh_hardening.no_whole_share", amount=f"{amount:,.2f}",
                               day=as_of),)
    return shares, as_of, notes


def _latest_prices(tickers: list[str], market: Market,
                   request: MarketRequest
                   ) -> tuple[dict[str, float], str, tuple[str, ...]] | None:
    """The last price of each ticker, the date of the oldest of them and the warnings about
    the prices; None when there are no prices at all (no file, nothing cached)."""
    frame = market.prices
    warnings: tuple[str, ...] = ()
    if frame is None:
        try:
            data = _load_prices(tickers, request)
        except CoverageError:
            if request.prices is not None:
                raise
            return None
        frame, warnings = data.prices, data.warnings
    frame = frame[tickers]
    last = {t: frame[t].last_valid_index() for t in tickers}
    missing = [t for t, d in last.items() if d is None]
    if missing:
        raise ConfigError.from_catalog("zh_hardening.no_price_for", tickers=", ".join(missing))
    prices = {t: float(frame.at[d, t]) for t, d in last.items()}
    as_of = min(last.values()).date().isoformat()
    return prices, as_of, warnings
