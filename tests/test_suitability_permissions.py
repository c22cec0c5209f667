"""Which tier may hold which product: one vector for the account review and the book job."""

from __future__ import annotations

import numpy as np

from roboadvisor.data.policy_file import load_policies
from roboadvisor.data.universe_file import load_universe
from roboadvisor.domain.constraints import portfolio_constraints
from roboadvisor.domain.models import Tier
from roboadvisor.services.suitability import lowest_permitted_tiers


def test_holdings_suitability_permits_exactly_the_product_levels() -> None:
    universe = load_universe(None)
    lowest = lowest_permitted_tiers(universe, load_policies(None, universe, "holdings"))
    assert lowest.tolist() == [a.risk_level for a in universe]


def test_portfolio_suitability_follows_each_tiers_bounds() -> None:
    universe = load_universe(None)
    policies = load_policies(None, universe, "portfolio")
    lowest = lowest_permitted_tiers(universe, policies)
    for tier in Tier:
        may_hold = portfolio_constraints(universe, policies[tier]).upper > 0
        assert np.array_equal(lowest <= tier.value, may_hold), tier
    # cautious tiers hold equity ETFs (rated as a whole), unlike under holdings suitability
    assets = list(universe)
    equity = [i for i, a in enumerate(assets) if a.asset_class.value == "equity"]
    assert (lowest[equity] < np.array([assets[i].risk_level for i in equity])).any()
