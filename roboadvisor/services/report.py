"""The client report use case: answers (or a tier) -> profile, portfolio, explanation,
backtest on real history (when prices are at hand), projection -> one ``ReportView``.

The backtest holds the report's own portfolio (its weights, not a re-optimisation) from the
first day every held ETF has a price, rebalanced quarterly at 5 bp, against the tier's
iShares allocation ETF; without prices (no ``--prices`` and nothing cached) the section is
left out with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from roboadvisor.errors import DataError, InputError, reason
from roboadvisor.reports.views import ReportView
from roboadvisor.services.project import ProjectionRequest, check_request, project_portfolio

if TYPE_CHECKING:
    from roboadvisor.services.allocate import AllocationResult
    from roboadvisor.services.backtest import BacktestRun

BACKTEST_INITIAL = 100_000.0
BACKTEST_COST_BPS = 5.0
BACKTEST_RISK_FREE = 0.02


@dataclass(frozen=True)
class ReportRequest:
    """Whose report: a client's answers file or a tier; the projection's inputs in
    ``projection`` (its tier/answers fields are ignored)."""

    answers: Path | None = None
    tier: int | str | None = None
    lang: str = "en"
    prices_file: Path | None = None
    projection: ProjectionRequest = field(default_factory=ProjectionRequest)
    policies_file: Path | None = None
    universe_file: Path | None = None
    cache_dir: Path | None = None


def build_report(request: ReportRequest, now: datetime | None = None) -> ReportView:
    """Every fact of the report, computed once."""
    from roboadvisor.reports.build import (
        backtest_view,
        portfolio_view,
        profile_view,
        projection_view,
    )
    from roboadvisor.services.allocate import AllocationRequest, MarketRequest, allocate

    if (request.answers is None) == (request.tier is None):
        raise InputError.from_catalog("report.who")
    projection_request = replace(request.projection, tier=None, answers=None,
                                 lang=request.lang, prices_file=request.prices_file,
                                 cache_dir=request.cache_dir)
    model = check_request(projection_request)
    portfolio = allocate(AllocationRequest(
        tier=request.tier, answers=request.answers, lang=request.lang,
        policies_file=request.policies_file,
        market=MarketRequest(universe_file=request.universe_file, cache_dir=request.cache_dir,
                             prices_file=request.prices_file)))
    projection = project_portfolio(portfolio, projection_request, model)
    notes: list[str] = []
    backtest = None
    try:
        run = backtest_portfolio(portfolio, request)
    except DataError as exc:
        from roboadvisor.reports.i18n import t

        notes.append(t("report.no_backtest", request.lang, reason=reason(exc)))
    else:
        backtest = backtest_view(run)
    assessment = portfolio.assessment
    created = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return ReportView(
        lang=request.lang, created=created,
        profile=profile_view(assessment) if assessment is not None else None,
        portfolio=portfolio_view(portfolio, request.lang), backtest=backtest,
        projection=projection_view(projection),
        audit_key=assessment.answers_sha256 if assessment is not None else None,
        notes=tuple(notes))


def backtest_portfolio(portfolio: AllocationResult, request: ReportRequest) -> BacktestRun:
    """The report's portfolio held on real history (see the module docstring)."""
    from roboadvisor.data.backtest_config import (
        TIER_BENCHMARKS,
        BacktestConfig,
        RiskFree,
        TargetMode,
    )
    from roboadvisor.domain.backtest import CashFlowPlan, CostModel
    from roboadvisor.domain.rebalancing import Frequency, RebalanceRule
    from roboadvisor.services.backtest import run_backtest
    from roboadvisor.services.project import held_weights

    held, weights = held_weights(portfolio)
    tier = portfolio.tier
    config = BacktestConfig(
        name=f"Tier {int(tier)}", source=None, tier=tier,
        weights=tuple((t, float(w)) for t, w in zip(held, weights, strict=True)),
        universe=request.universe_file, targets=TargetMode.FIXED, walk_forward=None,
        assumptions=None, policies=request.policies_file, prices=request.prices_file,
        start=None, end=None, rule=RebalanceRule.calendar(Frequency.QUARTERLY),
        costs=CostModel(bps=BACKTEST_COST_BPS), cash_flows=CashFlowPlan(BACKTEST_INITIAL),
        benchmark=TIER_BENCHMARKS[tier], risk_free=RiskFree(BACKTEST_RISK_FREE),
        benchmark_auto=True)
    return run_backtest(config, cache_dir=request.cache_dir)
