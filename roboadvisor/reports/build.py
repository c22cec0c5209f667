"""Build the view models once from the services' results (no printing, no files)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from roboadvisor.domain.projection import PERCENTILES
from roboadvisor.reports.views import (
    BacktestView,
    ClassShare,
    Drawdown,
    Holding,
    PortfolioView,
    ProfileView,
    ProjectionView,
    YearBand,
)

if TYPE_CHECKING:
    from roboadvisor.services.allocate import AllocationResult
    from roboadvisor.services.assess import Assessment
    from roboadvisor.services.backtest import BacktestRun
    from roboadvisor.services.project import ProjectionResult

HELD = 1e-4


def projection_view(result: ProjectionResult) -> ProjectionView:
    """The figures of a projection."""
    p, r = result.projection, result.request
    bands = tuple(YearBand(int(y), *(float(v) for v in row))
                  for y, row in zip(p.years, p.percentiles, strict=True))
    assert len(PERCENTILES) == 5
    withdrawing = r.withdraw_monthly > 0
    return ProjectionView(
        tier=int(result.portfolio.tier), model=result.model.value, paths=r.paths,
        seed=result.seed, years=r.years, amount=r.amount, monthly=r.monthly,
        withdraw_monthly=r.withdraw_monthly, inflation=r.inflation,
        fund_cost=result.fund_cost, advisory_fee=r.fees, total_cost=result.total_cost,
        goal=r.goal, goal_probability=p.goal_probability,
        target_probability=r.target_probability, saving_needed=result.saving_needed,
        depleted_share=p.depleted_share if withdrawing else None,
        median_depletion_year=p.median_depletion_year if withdrawing else None,
        history_window=result.history_window, bad_year=result.bad_year.value,
        bad_year_model=result.bad_year.model.value, bands=bands)


def profile_view(assessment: Assessment) -> ProfileView:
    """The risk profile with both scores and the rule that decided."""
    from roboadvisor.services.assess import explain, tier_label

    p, lang = assessment.profile, assessment.lang
    return ProfileView(
        tolerance_score=p.tolerance_score, capacity_score=p.capacity_score,
        combined_score=p.combined_score, combining_rule=p.rule,
        limiting_factor=p.limiting_factor.value, score_tier=int(p.score_tier),
        tier=int(p.tier), tier_label=tier_label(p.tier, lang),
        suitability_level=p.tier.suitability_level,
        max_product_risk=f"R{p.tier.max_product_risk}",
        knockouts=tuple(k.reason.get(lang) or "" for k in p.binding_knockouts),
        flags=tuple(f.message.get(lang) or "" for f in p.flags),
        explanation=tuple(explain(assessment, lang)),
        questionnaire=f"{assessment.questionnaire_id} v{assessment.questionnaire_version}",
        assessed_at=assessment.assessed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        answers_sha256=assessment.answers_sha256)


def portfolio_view(result: AllocationResult, lang: str = "en") -> PortfolioView:
    """The portfolio by ETF and asset class, with the reasons for its shape."""
    from roboadvisor.domain.explain import ConstraintKind, constraint_text_zh
    from roboadvisor.services.assess import tier_label

    a, ex, u = result.allocation, result.explanation, result.universe
    risk = {c.name: c.risk for c in ex.assets}
    holdings = tuple(
        Holding(asset.ticker, asset.name, asset.asset_class.value, asset.region.value,
                float(w), asset.expense_ratio, f"R{asset.risk_level}", risk.get(asset.ticker, 0.0))
        for asset, w in zip(u, a.weights, strict=True) if w > HELD)
    holdings = tuple(sorted(holdings, key=lambda h: -h.weight))
    classes = tuple(ClassShare(c.name, c.weight, c.risk) for c in
                    sorted(ex.classes, key=lambda c: -c.weight) if c.weight > HELD)
    zh = lang == "zh"
    shaping = [b for b in ex.binding if b.kind is not ConstraintKind.SUITABILITY]
    excluded = [b for b in ex.binding if b.kind is ConstraintKind.SUITABILITY]
    held = [h.weight for h in holdings]
    fund_cost = float(np.dot(held, [h.expense_ratio for h in holdings]) / sum(held))
    return PortfolioView(
        tier=int(result.tier), tier_label=tier_label(result.tier, lang),
        policy=result.policy.name, expected_return=a.expected_return,
        volatility=a.volatility, sharpe_ratio=a.sharpe_ratio,
        risk_free_rate=a.risk_free_rate, estimates=result.estimates.source,
        holdings=holdings, classes=classes,
        binding=tuple(constraint_text_zh(b) if zh else b.text for b in shaping),
        excluded=tuple(constraint_text_zh(b) if zh else b.text for b in excluded),
        summary=ex.summary, fund_cost=fund_cost)


def backtest_view(run: BacktestRun, points: int = 400) -> BacktestView:
    """The backtest's wealth and its benchmark's (both from 1.0), thinned to about ``points``
    dates for charts, and its drawdowns deeper than 10% (or the deepest one)."""
    from roboadvisor.domain.metrics import wealth_index

    res, s = run.result, run.summary
    dates = res.dates.astype("datetime64[D]").astype(str)
    wealth = wealth_index(res.daily_returns)
    dates = dates[:wealth.size]
    step = max(1, len(dates) // points)
    idx = np.unique(np.concatenate((np.arange(0, len(dates), step), [len(dates) - 1])))
    bench = None
    bench_name = None
    if run.benchmark_prices is not None and s.benchmark is not None:
        bp = np.asarray(run.benchmark_prices, dtype=float)
        first = np.flatnonzero(np.isfinite(bp))
        if first.size:
            bw = bp / bp[first[0]]
            bench = tuple(None if not np.isfinite(v) else float(v) for v in bw[idx])
            bench_name = s.benchmark.name
    b = s.benchmark
    return BacktestView(
        name=run.config.name, start=s.start, end=s.end, rule=run.config.rule.describe(),
        dates=tuple(dates[idx]), wealth=tuple(float(v) for v in wealth[idx]),
        benchmark=bench_name, benchmark_wealth=bench, cagr=s.cagr, volatility=s.volatility,
        max_drawdown=s.max_drawdown,
        benchmark_cagr=b.cagr if b else None,
        benchmark_volatility=b.volatility if b else None,
        benchmark_max_drawdown=b.max_drawdown if b else None,
        drawdowns=drawdowns(wealth, dates))


def drawdowns(wealth: np.ndarray, dates: np.ndarray, deeper_than: float = -0.10,
              most: int = 5) -> tuple[Drawdown, ...]:
    """Peak-to-recovery episodes of ``wealth`` deeper than ``deeper_than`` (at most ``most``,
    deepest first; the deepest is always kept)."""
    w = np.asarray(wealth, dtype=float)
    peaks = np.maximum.accumulate(w)
    dd = w / peaks - 1.0
    episodes: list[Drawdown] = []
    i = 0
    n = w.size
    while i < n:
        if dd[i] >= 0:
            i += 1
            continue
        start = i - 1
        j = i
        while j < n and dd[j] < 0:
            j += 1
        trough = start + 1 + int(np.argmin(dd[start + 1:j]))
        episodes.append(Drawdown(str(dates[start]), str(dates[trough]),
                                 str(dates[j]) if j < n else None, float(dd[trough])))
        i = j
    episodes.sort(key=lambda e: e.depth)
    deep = [e for e in episodes if e.depth <= deeper_than] or episodes[:1]
    return tuple(deep[:most])
