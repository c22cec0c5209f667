"""Portfolio-level suitability: a portfolio is rated R1..R5 as a whole.

Two measures, each mapped to a level by bands stated in the policies file, and the portfolio's
rating is the higher of the two:

- ex-ante volatility (annualised decimal) against ``volatility_bands``: the upper edges of
  R1..R4 (above the last edge is R5);
- stress loss against ``stress_bands``: the largest loss (a positive decimal) of the portfolio
  over the stated ``scenarios``, each a one-off return per asset (by ticker, else by asset
  class), i.e. loss = max(0, -sum_i w_i s_i) for the worst scenario.

A band edge belongs to the lower level (volatility exactly 5% with edges 2%, 5%, ... is R2).
Pure: no I/O, no printing; texts come from the catalog in the service and render layers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from roboadvisor.domain.models import AssetClass, Universe


class Suitability(StrEnum):
    """How a tier's suitability is applied: to the portfolio as a whole (its rating R1..R5 must
    not exceed the tier's level), or to every holding (each product's level must not)."""

    PORTFOLIO = "portfolio"
    HOLDINGS = "holdings"


@dataclass(frozen=True)
class Scenario:
    """A stated stress scenario: a return per ticker, else per asset class (decimals)."""

    name: str
    by_ticker: tuple[tuple[str, float], ...]
    by_class: tuple[tuple[AssetClass, float], ...]
    description: str = ""

    def shocks(self, universe: Universe) -> np.ndarray:
        """The scenario's return of each asset, in universe order."""
        tickers: Mapping[str, float] = dict(self.by_ticker)
        classes: Mapping[AssetClass, float] = dict(self.by_class)
        out = []
        for a in universe:
            if a.ticker in tickers:
                out.append(tickers[a.ticker])
            elif a.asset_class in classes:
                out.append(classes[a.asset_class])
            else:
                raise KeyError(a.ticker)
        return np.asarray(out, dtype=float)


@dataclass(frozen=True)
class RatingRules:
    """Upper edges of R1..R4 for volatility and stress loss (increasing), and the scenarios."""

    volatility_bands: tuple[float, float, float, float]
    stress_bands: tuple[float, float, float, float]
    scenarios: tuple[Scenario, ...]


@dataclass(frozen=True)
class PortfolioRating:
    """A portfolio's rating ``level`` (1..5 = R1..R5) and what produced it.

    ``volatility`` and ``stress_loss`` are decimals (a loss is positive); ``scenario`` names the
    worst scenario; ``volatility_level``/``stress_level`` the level each measure gives.
    """

    level: int
    volatility: float
    volatility_level: int
    stress_loss: float
    stress_level: int
    scenario: str
    rules: RatingRules

    @property
    def decided_by(self) -> str:
        """'volatility', 'stress' or 'both': the measure(s) that gave the rating."""
        if self.volatility_level == self.stress_level:
            return "both"
        return "volatility" if self.volatility_level > self.stress_level else "stress"


def band_level(value: float, edges: tuple[float, ...]) -> int:
    """1 + the number of edges strictly below ``value`` (an edge belongs to the lower band)."""
    return 1 + int(sum(value > e + 1e-12 for e in edges))


def band_range(level: int, edges: tuple[float, ...]) -> tuple[float, float | None]:
    """The (lower, upper) edges of ``level``; upper None for the top level."""
    lower = 0.0 if level == 1 else edges[level - 2]
    upper = edges[level - 1] if level <= len(edges) else None
    return lower, upper


def stress_loss(weights: np.ndarray, universe: Universe,
                scenarios: tuple[Scenario, ...]) -> tuple[float, str]:
    """The largest loss (positive decimal, 0 for a gain) over ``scenarios``, and its name."""
    w = np.asarray(weights, dtype=float)
    worst, name = -np.inf, ""
    for s in scenarios:
        loss = -float(w @ s.shocks(universe))
        if loss > worst:
            worst, name = loss, s.name
    return max(worst, 0.0), name


def rate_portfolio(weights: np.ndarray, volatility: float, universe: Universe,
                   rules: RatingRules) -> PortfolioRating:
    """Rate a portfolio (weights in universe order, ex-ante ``volatility``) by ``rules``."""
    loss, scenario = stress_loss(weights, universe, rules.scenarios)
    vol_level = band_level(volatility, rules.volatility_bands)
    stress_level = band_level(loss, rules.stress_bands)
    return PortfolioRating(max(vol_level, stress_level), float(volatility), vol_level,
                           loss, stress_level, scenario, rules)
