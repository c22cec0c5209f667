"""Portfolio-level suitability in the use cases: rate a tier's portfolio, refuse one rated
above the tier, and describe the rating and its rule (catalog texts, en/zh)."""

from __future__ import annotations

from typing import Any

from roboadvisor.domain.models import Allocation, Universe
from roboadvisor.domain.policy import Policy
from roboadvisor.domain.suitability import (
    PortfolioRating,
    Suitability,
    band_range,
    rate_portfolio,
)
from roboadvisor.errors import InfeasibleError
from roboadvisor.reports.i18n import t


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def rate_allocation(allocation: Allocation, universe: Universe,
                    policy: Policy) -> PortfolioRating | None:
    """The portfolio's rating by the policy's rules (None without rules); under portfolio
    suitability an InfeasibleError when it rates above the tier's level."""
    if policy.rating is None:
        return None
    rating = rate_portfolio(allocation.weights, allocation.volatility, universe, policy.rating)
    if policy.suitability is Suitability.PORTFOLIO and rating.level > policy.max_product_risk:
        raise InfeasibleError.from_catalog(
            "suitability.rating_too_high", tier=policy.tier.value if policy.tier else "-",
            level=rating.level, limit=policy.max_product_risk, rule=rule_text(rating))
    return rating


def _band(level: int, edges: tuple[float, ...], lang: str) -> str:
    lo, hi = band_range(level, edges)
    if hi is None:
        return t("suitability.band_top", lang, level=level, lo=_pct(lo))
    return t("suitability.band", lang, level=level, lo=_pct(lo), hi=_pct(hi))


def rule_text(rating: PortfolioRating, lang: str = "en") -> str:
    """How the rating came about, e.g. 'the higher of volatility 4.0% -> R2 (...) and ...'."""
    r = rating.rules
    return t("suitability.rule", lang, vol=_pct(rating.volatility),
             vol_level=rating.volatility_level,
             vol_band=_band(rating.volatility_level, r.volatility_bands, lang),
             loss=_pct(rating.stress_loss), scenario=rating.scenario,
             stress_level=rating.stress_level,
             stress_band=_band(rating.stress_level, r.stress_bands, lang))


def rating_line(rating: PortfolioRating, policy: Policy, lang: str = "en") -> str:
    """One line: the rating, the tier's limit, the mode and the rule."""
    mode = t(f"suitability.mode.{policy.suitability.value}", lang,
             limit=policy.max_product_risk)
    return t("suitability.rating_line", lang, level=rating.level,
             limit=policy.max_product_risk, mode=mode, rule=rule_text(rating, lang))


def suitability_record(rating: PortfolioRating | None, policy: Policy) -> dict[str, Any]:
    """The mode, the tier's limit and (with rules) the rating with its rule, JSON-safe."""
    record: dict[str, Any] = {"mode": policy.suitability.value,
                              "limit": f"R{policy.max_product_risk}"}
    if rating is not None:
        record["rating"] = {
            "level": f"R{rating.level}", "volatility": rating.volatility,
            "volatility_level": f"R{rating.volatility_level}",
            "stress_loss": rating.stress_loss, "stress_scenario": rating.scenario,
            "stress_level": f"R{rating.stress_level}", "decided_by": rating.decided_by,
            "volatility_bands": list(rating.rules.volatility_bands),
            "stress_bands": list(rating.rules.stress_bands),
            "rule": rule_text(rating)}
    return record
