"""``ra.project``: Monte Carlo paths of a tier's portfolio towards a goal."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from roboadvisor.api.prices import PricesLike, price_input
from roboadvisor.domain.models import Tier
from roboadvisor.domain.projection import PERCENTILES
from roboadvisor.services import project as service
from roboadvisor.services.project import ProjectionRequest, ProjectionResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Projection", "project"]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, eq=False)
class Projection:
    """A projection's figures; ``result`` is the full service result (what the command line
    renders)."""

    result: ProjectionResult = field(repr=False)

    @property
    def percentiles(self) -> pd.DataFrame:
        """Wealth at each year end (index: year 0..T) at the 5th, 25th, 50th, 75th and 95th
        percentile of the paths (columns), in today's money when inflation was given."""
        import pandas as pd

        p = self.result.projection
        return pd.DataFrame(p.percentiles, index=pd.Index(p.years.astype(int), name="year"),
                            columns=list(PERCENTILES))

    @property
    def goal_probability(self) -> float | None:
        """Share of paths ending at or above the goal (None without a goal)."""
        return self.result.projection.goal_probability

    @property
    def saving_needed(self) -> float | None:
        """Monthly saving that reaches the goal with the target probability."""
        return self.result.saving_needed

    @property
    def depleted_share(self) -> float:
        """Share of paths that ran out of money (withdrawals)."""
        return self.result.projection.depleted_share


def project(tier: Tier | int | str | None = None, *, amount: float = 0.0, monthly: float = 0.0,
            years: int = 30, goal: float | None = None, withdraw_monthly: float = 0.0,
            inflation: float | None = None, fees: float = 0.0, paths: int = 10_000,
            model: str = "normal", prices: PricesLike | None = None, seed: int | None = None,
            target_probability: float = 0.8, answers: PathLike | None = None,
            lang: str = "en", policies: PathLike | None = None,
            universe: PathLike | None = None,
            cache_dir: PathLike | None = None) -> Projection:
    """Project a tier's portfolio (on the shipped assumptions) with Monte Carlo paths.

    Parameters
    ----------
    tier : Tier, int or str
        1..5, ``"C3"`` or a name (or ``answers``: a client's answers file).
    amount, monthly, withdraw_monthly : float
        Money invested today, saved and taken out at the end of each month (currency).
    years : int
        Horizon, 1..100.
    goal : float, optional
        Wealth wanted at the horizon (currency).
    inflation : float, optional
        Yearly inflation (decimal): amounts and results in today's money.
    fees : float
        Yearly advisory fee (decimal) on top of the ETFs' own costs.
    paths : int
        Simulated paths, 100..200,000.
    model : {"normal", "bootstrap"}
        The portfolio's estimates (lognormal), or blocks of real monthly returns of
        ``prices``.
    prices : pandas.DataFrame or path, optional
        Daily adjusted closes, validated as a price file (bootstrap, and the bad year).
    seed : int, optional
        Random seed (default 0: the same inputs give the same figures).
    target_probability : float
        Chance of reaching the goal that ``saving_needed`` is solved for.

    Returns
    -------
    Projection
        ``.percentiles`` (DataFrame, (years + 1) x 5, currency), ``.goal_probability``,
        ``.saving_needed``, ``.depleted_share``.

    Examples
    --------
    >>> import roboadvisor as ra
    >>> fan = ra.project(3, amount=100_000, monthly=500, years=10, goal=200_000, paths=2000)
    >>> fan.percentiles.shape, list(fan.percentiles.columns)
    ((11, 5), [5, 25, 50, 75, 95])
    >>> 0 < fan.goal_probability < 1
    True
    """
    request = ProjectionRequest(
        tier=int(tier) if isinstance(tier, Tier) else tier,
        answers=None if answers is None else Path(answers), amount=amount, monthly=monthly,
        years=years, goal=goal, withdraw_monthly=withdraw_monthly, inflation=inflation,
        fees=fees, paths=paths, model=model, prices_file=price_input(prices), seed=seed,
        target_probability=target_probability, lang=lang,
        policies_file=None if policies is None else Path(policies),
        universe_file=None if universe is None else Path(universe),
        cache_dir=None if cache_dir is None else Path(cache_dir))
    return Projection(service.run_projection(request))
