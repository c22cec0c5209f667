"""Investment policies: what the optimiser maximises and the constraints it must respect.

A tier's policy is data (``roboadvisor/resources/policies.yaml``); this module only defines the
shape. Volatilities are annualised decimals; bounds are weight fractions in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from roboadvisor.domain.models import AssetClass, Region, Tier
from roboadvisor.domain.suitability import RatingRules, Suitability


class Objective(StrEnum):
    """What the optimiser maximises (all long-only and fully invested)."""

    MIN_VARIANCE = "min_variance"              # minimise w'Σw
    MAX_SHARPE = "max_sharpe"                  # maximise (μ'w - rf) / sqrt(w'Σw)
    TARGET_VOLATILITY = "target_volatility"    # maximise μ'w subject to sqrt(w'Σw) <= target
    UTILITY = "utility"                        # maximise μ'w - (risk_aversion / 2) w'Σw


@dataclass(frozen=True)
class Bound:
    """A closed interval of weight, lower <= w <= upper, both in [0, 1]."""

    lower: float = 0.0
    upper: float = 1.0


@dataclass(frozen=True)
class Policy:
    """Everything the optimiser needs besides the estimates and the universe.

    - ``target_volatility`` (TARGET_VOLATILITY) and ``risk_aversion`` (UTILITY) parameterise
      the objective.
    - ``max_product_risk``: the tier's suitability level 1..5 (R1..R5). Under
      ``suitability`` HOLDINGS, assets whose risk level exceeds it get weight 0; under
      PORTFOLIO, the portfolio's rating by ``rating`` (``domain.suitability``) must not exceed
      it, and constituents of any level the class bounds allow may be held.
    - ``class_bounds``/``region_bounds``: bounds on the summed weight of each class/region.
    - ``asset_bounds``: per-ticker bounds that tighten the universe's own min/max weights.
    - ``max_turnover``: sum |w - w_current| <= limit (only with current holdings).
    - ``transaction_cost``: decimal cost per unit of weight traded, subtracted from the
      objective (only with current holdings).
    - ``min_position``: smallest weight worth holding, 0 <= min_position < 0.5 (0 = off): a
      held asset gets either 0 or at least this. ``optimise`` enforces it heuristically by
      re-solving without the assets that came out below it (see ``optimizer``); assets with a
      positive minimum weight are never removed. The efficient frontier ignores it (its
      points are the continuous minimum-variance portfolios).
    """

    name: str
    objective: Objective
    target_volatility: float | None = None
    risk_aversion: float | None = None
    max_product_risk: int = 5
    class_bounds: tuple[tuple[AssetClass, Bound], ...] = ()
    region_bounds: tuple[tuple[Region, Bound], ...] = ()
    asset_bounds: tuple[tuple[str, Bound], ...] = ()
    max_turnover: float | None = None
    transaction_cost: float = 0.0
    tier: Tier | None = None
    description: str = ""
    min_position: float = 0.0
    suitability: Suitability = Suitability.HOLDINGS
    rating: RatingRules | None = None
