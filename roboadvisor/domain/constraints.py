"""The feasible set of a policy over a universe: per-asset, class and region bounds, resolved.

``portfolio_constraints(universe, policy)`` tightens the universe's min/max weights by the
policy's ``asset_bounds``, zeroes assets above the tier's product risk level (suitability by
holdings; under portfolio suitability the rating is checked after solving, by the service),
collects class and region bounds, and refuses -- before any solver runs -- policies that no
fully invested portfolio can meet, with an ``InfeasibleError`` naming the tier and the
constraint. Weights are fractions in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from roboadvisor.domain.models import Universe
from roboadvisor.domain.policy import Policy
from roboadvisor.domain.suitability import Suitability
from roboadvisor.errors import InfeasibleError, shown
from roboadvisor.errors import catalog_text as _msg

_TOL = 1e-9          # slack on feasibility pre-checks (weights)


@dataclass(frozen=True)
class GroupBound:
    """A bound on the summed weight of a group of assets (an asset class or a region).

    ``kind`` is "class" or "region"; ``label`` the class or region value; ``members`` a boolean
    mask in universe order.
    """

    kind: str
    label: str
    members: tuple[bool, ...]
    lower: float
    upper: float


@dataclass(frozen=True)
class LossLimit:
    """A stress-loss limit: -sum_i shocks_i w_i <= max_loss (a scenario's loss, decimals).

    Under portfolio suitability each rating scenario limits the loss to the upper edge of the
    tier's stress band, so the optimiser's portfolio rates within the tier on that measure.
    """

    name: str
    shocks: tuple[float, ...]
    max_loss: float


@dataclass(frozen=True, eq=False)
class PortfolioConstraints:
    """The linear feasible set of a policy over a universe, in universe order.

    ``lower``/``upper``: per-asset bounds after the policy's tightening and suitability
    (unsuitable assets have upper bound 0). ``excluded``: tickers removed by suitability.
    ``groups``: class and region bounds. ``who``: how messages name the policy ("tier 2").
    ``transaction_cost``: decimal cost per unit of weight traded, one number or one per asset
    (``trading.CostModel.rates``).
    """

    tickers: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    groups: tuple[GroupBound, ...]
    excluded: tuple[str, ...]
    who: str
    max_turnover: float | None = None
    transaction_cost: float | np.ndarray = 0.0
    loss_limits: tuple[LossLimit, ...] = ()


def policy_label(policy: Policy | None) -> str:
    """How messages name a policy: "tier 2", else "policy 'name'"."""
    if policy is None:
        return _msg("constraints.who_universe")
    if policy.tier is not None:
        return _msg("constraints.who_tier", k=int(policy.tier))
    return _msg("constraints.who_policy", name=shown(policy.name))


def percent(x: float) -> str:
    """0.016 -> "1.6%"."""
    return f"{100 * x:.1f}%"


def portfolio_constraints(universe: Universe, policy: Policy | None = None) -> PortfolioConstraints:
    """Resolve the per-asset, class and region bounds of ``policy`` over ``universe``.

    ``policy`` None means: long-only, fully invested, the universe's own min/max weights.
    Policy ``asset_bounds`` naming tickers outside the universe are ignored here, because
    walk-forward solves on a suitability-filtered sub-universe; the services check the names
    against the user's whole universe when they load the policies (``load_policies``).
    Raises InfeasibleError for bounds that contradict each other or cannot sum to 1.
    """
    who = policy_label(policy)
    lower = np.array([a.min_weight for a in universe], dtype=float)
    upper = np.array([a.max_weight for a in universe], dtype=float)
    excluded: list[str] = []
    groups: list[GroupBound] = []
    if policy is not None:
        for ticker, bound in policy.asset_bounds:
            if ticker in universe:
                i = universe.index(ticker)
                lower[i] = max(lower[i], bound.lower)
                upper[i] = min(upper[i], bound.upper)
        level = policy.max_product_risk
        by_holding = policy.suitability is Suitability.HOLDINGS
        for i, a in enumerate(universe):
            if by_holding and a.risk_level > level:
                if lower[i] > _TOL:
                    raise InfeasibleError.from_catalog(
                        "constraints.min_above_suitability", who=who, min=percent(lower[i]),
                        ticker=a.ticker, level=level, risk=a.risk_level)
                upper[i] = 0.0
                excluded.append(a.ticker)
        for kind, bounds in (("class", policy.class_bounds), ("region", policy.region_bounds)):
            for key, bound in bounds:
                attr = "asset_class" if kind == "class" else "region"
                members = tuple(getattr(a, attr) == key for a in universe)
                groups.append(GroupBound(kind, str(key.value), members,
                                         float(bound.lower), float(bound.upper)))
    for i, a in enumerate(universe):
        if lower[i] > upper[i] + _TOL:
            raise InfeasibleError.from_catalog(
                "constraints.asset_bounds_cross", who=who, ticker=a.ticker,
                min=percent(lower[i]), max=percent(upper[i]))
    cons = PortfolioConstraints(
        universe.tickers, lower, upper, tuple(groups), tuple(excluded), who,
        None if policy is None else policy.max_turnover,
        0.0 if policy is None else float(policy.transaction_cost),
        _loss_limits(universe, policy))
    _check_feasible(cons, universe, policy)
    return cons


def _loss_limits(universe: Universe, policy: Policy | None) -> tuple[LossLimit, ...]:
    """Under portfolio suitability, each rating scenario's loss at most the upper edge of the
    stress band of the tier's level (none for the top level)."""
    if policy is None or policy.rating is None or policy.suitability is not Suitability.PORTFOLIO:
        return ()
    level = policy.max_product_risk
    bands = policy.rating.stress_bands
    if level > len(bands):
        return ()
    return tuple(LossLimit(s.name, tuple(float(x) for x in s.shocks(universe)), bands[level - 1])
                 for s in policy.rating.scenarios)


def _check_feasible(c: PortfolioConstraints, universe: Universe, policy: Policy | None) -> None:
    """Reject, with the constraint named, what cannot be met by any fully invested portfolio."""
    who = c.who
    total_max = float(c.upper.sum())
    if total_max < 1 - _TOL:
        extra = (_msg("constraints.after_exclusion", tickers=", ".join(c.excluded))
                 if c.excluded else "")
        raise InfeasibleError.from_catalog("constraints.max_sum_low", who=who,
                                           total=percent(total_max), extra=extra)
    total_min = float(c.lower.sum())
    if total_min > 1 + _TOL:
        raise InfeasibleError.from_catalog("constraints.min_sum_high", who=who,
                                           total=percent(total_min))
    for g in c.groups:
        mask = np.array(g.members)
        if g.lower > g.upper + _TOL:
            raise InfeasibleError.from_catalog(
                "constraints.group_bounds_cross", who=who, kind=_kind(g.kind), label=g.label,
                min=percent(g.lower), max=percent(g.upper))
        if g.lower > _TOL:
            if not mask.any():
                raise InfeasibleError.from_catalog(
                    "constraints.group_absent", who=who, min=percent(g.lower), label=g.label,
                    universe=shown(universe.name))
            reach = float(c.upper[mask].sum())
            if reach <= _TOL and policy is not None:
                levels = sorted({a.risk_level for a, m in zip(universe, mask, strict=True)
                                 if m})
                raise InfeasibleError.from_catalog(
                    "constraints.group_unsuitable", who=who, min=percent(g.lower),
                    label=g.label, level=policy.max_product_risk, risk=levels[0],
                    kind=_kind(g.kind))
            if reach < g.lower - _TOL:
                raise InfeasibleError.from_catalog(
                    "constraints.group_reach_low", who=who, min=percent(g.lower),
                    label=g.label, reach=percent(reach), kind=_kind(g.kind))
        floor = float(c.lower[mask].sum())
        if floor > g.upper + _TOL:
            raise InfeasibleError.from_catalog(
                "constraints.group_floor_high", who=who, max=percent(g.upper), label=g.label,
                floor=percent(floor))
    for kind in ("class", "region"):
        gs = [g for g in c.groups if g.kind == kind]
        if not gs:
            continue
        mins = sum(g.lower for g in gs)
        if mins > 1 + _TOL:
            raise InfeasibleError.from_catalog("constraints.group_mins_high", who=who,
                                               kind=_kind(kind), total=percent(mins))
        # Assets outside every bounded group of this kind are capped by their own max weight.
        covered = np.zeros(len(c.upper), dtype=bool)
        reach = 0.0
        for g in gs:
            mask = np.array(g.members)
            reach += min(g.upper, float(c.upper[mask & ~covered].sum()))
            covered |= mask
        reach += float(c.upper[~covered].sum())
        if reach < 1 - _TOL:
            raise InfeasibleError.from_catalog("constraints.group_max_low", who=who,
                                               kind=_kind(kind), reach=percent(reach))


def _kind(kind: str) -> str:
    """"class" or "region" as messages say it (a catalog text)."""
    return _msg(f"constraints.kind_{kind}")


def group_matrix(c: PortfolioConstraints) -> np.ndarray:
    """The membership of each group bound as a 0/1 matrix (groups x assets)."""
    n = len(c.tickers)
    return np.array([g.members for g in c.groups], dtype=float).reshape(len(c.groups), n)
