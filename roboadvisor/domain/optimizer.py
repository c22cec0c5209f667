"""Mean-variance portfolio optimisation: ``optimise(estimates, policy, universe) -> Allocation``.

Objectives (``roboadvisor.domain.policy.Objective``), all long-only and fully invested:

- MIN_VARIANCE: minimise w'Σw (+ transaction costs).
- MAX_SHARPE: maximise (μ'w - rf) / sqrt(w'Σw), solved as the convex problem in y = k w
  (minimise y'Σy subject to (μ - rf)'y = 1, 1'y = k, k >= 0, every bound multiplied by k).
- TARGET_VOLATILITY: maximise μ'w subject to sqrt(w'Σw) <= target (a second-order cone).
- UTILITY: maximise μ'w - (risk_aversion / 2) w'Σw.

Constraints: per-asset bounds (the universe's min/max weight tightened by the policy's
``asset_bounds``; assets above the tier's product risk level get upper bound 0), asset-class and
region bounds, an optional turnover limit sum |w - w0| <= L and a transaction-cost penalty
cost * sum |w - w0| against current holdings w0 (subtracted from the return, or for
MIN_VARIANCE added to the variance, and for MAX_SHARPE subtracted from the excess return).

Policies that cannot be met are refused before solving where possible with an
``InfeasibleError`` naming the tier and the constraint. Problems are built once per structure
(size, objective, which constraints are present, class/region membership) with cvxpy
Parameters and re-solved; the cache is internal, so ``optimise`` is a plain function.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from roboadvisor.domain.models import Allocation, Estimates, Universe
from roboadvisor.domain.policy import Bound, Objective, Policy
from roboadvisor.errors import ConfigError, EstimationError, InfeasibleError, OptimizationError

_TOL = 1e-9          # slack on feasibility pre-checks (weights)
_CLEAN = 1e-9        # weights below this after solving are set to 0


# --------------------------------------------------------------------------------------------
# The feasible set: bounds resolved from the universe and the policy
# --------------------------------------------------------------------------------------------
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


@dataclass(frozen=True, eq=False)
class PortfolioConstraints:
    """The linear feasible set of a policy over a universe, in universe order.

    ``lower``/``upper``: per-asset bounds after the policy's tightening and suitability
    (unsuitable assets have upper bound 0). ``excluded``: tickers removed by suitability.
    ``groups``: class and region bounds. ``who``: how messages name the policy ("tier 2").
    """

    tickers: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    groups: tuple[GroupBound, ...]
    excluded: tuple[str, ...]
    who: str
    max_turnover: float | None = None
    transaction_cost: float = 0.0


def _who(policy: Policy | None) -> str:
    if policy is None:
        return "the universe"
    if policy.tier is not None:
        return f"tier {int(policy.tier)}"
    return f"policy {policy.name!r}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def portfolio_constraints(universe: Universe, policy: Policy | None = None) -> PortfolioConstraints:
    """Resolve the per-asset, class and region bounds of ``policy`` over ``universe``.

    ``policy`` None means: long-only, fully invested, the universe's own min/max weights.
    Policy ``asset_bounds`` naming tickers outside the universe are ignored (a policy file is
    written for the default universe; a custom universe may hold fewer assets).
    Raises InfeasibleError for bounds that contradict each other or cannot sum to 1.
    """
    who = _who(policy)
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
        for i, a in enumerate(universe):
            if a.risk_level > level:
                if lower[i] > _TOL:
                    raise InfeasibleError(
                        f"{who} requires at least {_pct(lower[i])} of {a.ticker} but its "
                        f"suitability allows products up to R{level} and {a.ticker} is "
                        f"R{a.risk_level}; drop the minimum weight of {a.ticker}")
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
            raise InfeasibleError(
                f"{who}: {a.ticker} needs a weight of at least {_pct(lower[i])} but at most "
                f"{_pct(upper[i])}; relax its min_weight or max_weight")
    cons = PortfolioConstraints(
        universe.tickers, lower, upper, tuple(groups), tuple(excluded), who,
        None if policy is None else policy.max_turnover,
        0.0 if policy is None else float(policy.transaction_cost))
    _check_feasible(cons, universe, policy)
    return cons


def _check_feasible(c: PortfolioConstraints, universe: Universe, policy: Policy | None) -> None:
    """Reject, with the constraint named, what cannot be met by any fully invested portfolio."""
    who = c.who
    total_max = float(c.upper.sum())
    if total_max < 1 - _TOL:
        extra = (f" after suitability excludes {', '.join(c.excluded)}" if c.excluded else "")
        raise InfeasibleError(
            f"{who}: the maximum weights of the allowed assets sum to {_pct(total_max)}"
            f"{extra}, below 100%; raise some max_weight or allow more assets")
    total_min = float(c.lower.sum())
    if total_min > 1 + _TOL:
        raise InfeasibleError(
            f"{who}: the minimum weights of the assets sum to {_pct(total_min)}, above 100%; "
            "lower some min_weight")
    for g in c.groups:
        mask = np.array(g.members)
        if g.lower > g.upper + _TOL:
            raise InfeasibleError(
                f"{who}: {g.kind} {g.label} minimum {_pct(g.lower)} exceeds its maximum "
                f"{_pct(g.upper)}")
        if g.lower > _TOL:
            if not mask.any():
                raise InfeasibleError(
                    f"{who} requires at least {_pct(g.lower)} {g.label} but the universe "
                    f"{universe.name!r} has no {g.label} asset; add one or drop the minimum")
            reach = float(c.upper[mask].sum())
            if reach <= _TOL and policy is not None:
                levels = sorted({a.risk_level for a, m in zip(universe, mask, strict=True)
                                 if m})
                raise InfeasibleError(
                    f"{who} requires at least {_pct(g.lower)} {g.label} but its suitability "
                    f"level C{policy.max_product_risk} allows no {g.label} product (all are "
                    f"R{levels[0]} or above); lower the {g.kind} minimum or the tier's "
                    "suitability")
            if reach < g.lower - _TOL:
                raise InfeasibleError(
                    f"{who} requires at least {_pct(g.lower)} {g.label} but the allowed "
                    f"{g.label} assets can hold at most {_pct(reach)} (their max weights); "
                    f"lower the {g.kind} minimum or raise those max weights")
        floor = float(c.lower[mask].sum())
        if floor > g.upper + _TOL:
            raise InfeasibleError(
                f"{who} allows at most {_pct(g.upper)} {g.label} but the min weights of its "
                f"{g.label} assets sum to {_pct(floor)}; lower them or raise the maximum")
    for kind in ("class", "region"):
        gs = [g for g in c.groups if g.kind == kind]
        if not gs:
            continue
        mins = sum(g.lower for g in gs)
        if mins > 1 + _TOL:
            raise InfeasibleError(
                f"{who}: the {kind} minimums sum to {_pct(mins)}, above 100%; lower some")
        # Assets outside every bounded group of this kind are capped by their own max weight.
        covered = np.zeros(len(c.upper), dtype=bool)
        reach = 0.0
        for g in gs:
            mask = np.array(g.members)
            reach += min(g.upper, float(c.upper[mask & ~covered].sum()))
            covered |= mask
        reach += float(c.upper[~covered].sum())
        if reach < 1 - _TOL:
            raise InfeasibleError(
                f"{who}: with the {kind} maximums and the assets' max weights at most "
                f"{_pct(reach)} can be invested, below 100%; raise some {kind} maximum")


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------
def _aligned(estimates: Estimates, universe: Universe) -> Estimates:
    if estimates.tickers == universe.tickers:
        return estimates
    missing = [t for t in universe.tickers if t not in estimates.tickers]
    if missing:
        raise EstimationError(
            f"no expected return or covariance for {', '.join(missing)} (estimates cover "
            f"{', '.join(estimates.tickers)}); estimate them or remove them from the universe")
    return estimates.subset(universe.tickers)


def covariance_factor(cov: np.ndarray) -> np.ndarray:
    """F with F F' = cov (Cholesky, or an eigenvalue factor when cov is only semi-definite)."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
        if vals.min() < -1e-10 * max(1.0, float(vals.max())):
            raise EstimationError(
                f"the covariance matrix is not positive semi-definite (smallest eigenvalue "
                f"{vals.min():.2e}); repair it with estimates.nearest_positive_definite") from None
        return vecs * np.sqrt(np.clip(vals, 0, None))


def _check_policy(policy: Policy) -> None:
    who = _who(policy)
    if policy.objective is Objective.TARGET_VOLATILITY and not (
            policy.target_volatility is not None and policy.target_volatility > 0):
        raise ConfigError(f"{who}: objective target_volatility needs a positive "
                          "target_volatility")
    if policy.objective is Objective.UTILITY and not (
            policy.risk_aversion is not None and policy.risk_aversion > 0):
        raise ConfigError(f"{who}: objective utility needs a positive risk_aversion")
    if policy.max_turnover is not None and policy.max_turnover < 0:
        raise ConfigError(f"{who}: max_turnover must be >= 0")
    if policy.transaction_cost < 0:
        raise ConfigError(f"{who}: transaction_cost must be >= 0")


def _current(current_weights: np.ndarray | None, n: int) -> np.ndarray | None:
    if current_weights is None:
        return None
    w0 = np.asarray(current_weights, dtype=float)
    if w0.shape != (n,):
        raise ValueError(f"current_weights must have shape ({n},), got {w0.shape}")
    return w0


# --------------------------------------------------------------------------------------------
# cvxpy problems, built once per structure
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Structure:
    n: int
    objective: Objective
    groups: tuple[tuple[bool, ...], ...]
    turnover: bool
    cost: bool


class _Compiled:
    """One cvxpy problem with Parameters for every number; guarded by a lock while in use."""

    def __init__(self, s: _Structure) -> None:
        import cvxpy as cp

        self.lock = threading.Lock()
        n = s.n
        self.mu = cp.Parameter(n, name="mu")
        self.factor = cp.Parameter((n, n), name="factor")
        self.lower = cp.Parameter(n, nonneg=True, name="lower")
        self.upper = cp.Parameter(n, nonneg=True, name="upper")
        self.g_lower = cp.Parameter(len(s.groups), nonneg=True, name="g_lower")
        self.g_upper = cp.Parameter(len(s.groups), nonneg=True, name="g_upper")
        self.w0 = cp.Parameter(n, name="w0")
        self.turnover = cp.Parameter(nonneg=True, name="turnover")
        self.cost = cp.Parameter(nonneg=True, name="cost")
        self.rf = cp.Parameter(name="rf")
        self.sigma = cp.Parameter(nonneg=True, name="sigma")
        membership = np.array(s.groups, dtype=float).reshape(len(s.groups), n)

        homogeneous = s.objective is Objective.MAX_SHARPE
        w = cp.Variable(n, name="w")
        k = cp.Variable(nonneg=True, name="k") if homogeneous else 1.0
        cons: list[Any] = [cp.sum(w) == k, w >= self.lower * k, w <= self.upper * k]
        if s.groups:
            cons += [membership @ w >= self.g_lower * k, membership @ w <= self.g_upper * k]
        traded = None
        if s.turnover or s.cost:
            # |w - w0| through an auxiliary variable, so the cost parameter multiplies a
            # parameter-free expression (DPP)
            trade = cp.Variable(n, nonneg=True, name="trade")
            cons += [trade >= w - self.w0 * k, trade >= self.w0 * k - w]
            traded = cp.sum(trade)
            if s.turnover:
                cons.append(traded <= self.turnover * k)
        risk = cp.sum_squares(self.factor.T @ w)
        penalty = self.cost * traded if s.cost else 0.0
        if s.objective is Objective.MIN_VARIANCE:
            objective = cp.Minimize(risk + penalty)
        elif s.objective is Objective.UTILITY:
            # the factor parameter holds sqrt(risk_aversion / 2) F (keeps the problem DPP)
            objective = cp.Maximize(self.mu @ w - penalty - risk)
        elif s.objective is Objective.TARGET_VOLATILITY:
            cons.append(cp.norm(self.factor.T @ w, 2) <= self.sigma)
            objective = cp.Maximize(self.mu @ w - penalty)
        else:  # MAX_SHARPE: (mu - rf)'y - cost |y - k w0| >= 1, minimise y'Σy
            cons.append((self.mu - self.rf) @ w - penalty >= 1)
            objective = cp.Minimize(risk)
        self.w = w
        self.k = k
        self.problem = cp.Problem(objective, cons)
        assert self.problem.is_dpp()


@lru_cache(maxsize=64)
def _compiled(s: _Structure) -> _Compiled:
    return _Compiled(s)


def _solve_cvxpy(est: Estimates, c: PortfolioConstraints, objective: Objective,
                 w0: np.ndarray | None, *, gamma: float = 0.0, sigma: float = 0.0,
                 turnover: bool = True, cost: bool = True) -> np.ndarray | None:
    """Solve one problem with Clarabel, then SCS; the weights, or None if infeasible."""
    import cvxpy as cp

    n = len(c.tickers)
    use_turnover = turnover and w0 is not None and c.max_turnover is not None
    use_cost = cost and w0 is not None and c.transaction_cost > 0
    s = _Structure(n, objective, tuple(g.members for g in c.groups), use_turnover, use_cost)
    p = _compiled(s)
    with p.lock:
        p.mu.value = est.expected_returns
        factor = covariance_factor(est.covariance)
        if objective is Objective.UTILITY:
            factor = factor * np.sqrt(gamma / 2)
        p.factor.value = factor
        p.lower.value = c.lower
        p.upper.value = c.upper
        p.g_lower.value = np.array([g.lower for g in c.groups])
        p.g_upper.value = np.array([g.upper for g in c.groups])
        p.w0.value = w0 if w0 is not None else np.zeros(n)
        p.turnover.value = c.max_turnover if use_turnover else 0.0
        p.cost.value = c.transaction_cost if use_cost else 0.0
        p.rf.value = est.risk_free_rate
        p.sigma.value = sigma
        statuses = []
        for solver in (cp.CLARABEL, cp.SCS):
            kwargs = {"eps": 1e-9, "max_iters": 100_000} if solver == cp.SCS else {}
            try:
                p.problem.solve(solver=solver, **kwargs)
            except cp.SolverError as exc:
                statuses.append(f"{solver}: {exc}")
                continue
            status = p.problem.status
            if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) and p.w.value is not None:
                k = p.k.value if isinstance(p.k, cp.Variable) else 1.0
                return np.asarray(p.w.value, dtype=float) / float(k)
            if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
                return None
            statuses.append(f"{solver}: {status}")
    raise OptimizationError(
        f"{c.who}: the {objective.value} problem was not solved ({'; '.join(statuses)}); "
        "check the estimates for extreme values or set ROBOADVISOR_DEBUG=1 and report it")


def _clean(w: np.ndarray, c: PortfolioConstraints) -> np.ndarray:
    w = np.where(w < _CLEAN, 0.0, w)
    w = np.minimum(w, c.upper)
    return w / w.sum()


def _allocation(w: np.ndarray, est: Estimates) -> Allocation:
    vol = float(np.sqrt(max(float(w @ est.covariance @ w), 0.0)))
    return Allocation(est.tickers, w, float(est.expected_returns @ w), vol, est.risk_free_rate)


def _infeasible_with_holdings(c: PortfolioConstraints, w0: np.ndarray | None) -> InfeasibleError:
    if w0 is not None and c.max_turnover is not None:
        return InfeasibleError(
            f"{c.who}: the turnover limit {_pct(c.max_turnover)} is too tight to move the "
            "current holdings inside the policy's bounds; raise max_turnover or rebalance "
            "without the limit")
    return InfeasibleError(
        f"{c.who}: no portfolio meets the asset, class and region bounds together; "
        "relax the class or region minimums")


# --------------------------------------------------------------------------------------------
# The public entry point
# --------------------------------------------------------------------------------------------
def min_variance_weights(estimates: Estimates, constraints: PortfolioConstraints,
                         current_weights: np.ndarray | None = None) -> np.ndarray:
    """The minimum-variance weights of the feasible set (turnover limit included, no costs)."""
    w = _solve_cvxpy(estimates, constraints, Objective.MIN_VARIANCE, current_weights,
                     cost=False)
    if w is None:
        raise _infeasible_with_holdings(constraints, current_weights)
    return _clean(w, constraints)


def optimise(estimates: Estimates, policy: Policy, universe: Universe,
             current_weights: np.ndarray | None = None) -> Allocation:
    """The optimal portfolio of ``policy`` over ``universe`` (weights in universe order).

    ``current_weights`` (universe order) enable the policy's turnover limit and transaction
    costs. Raises InfeasibleError naming the tier and the constraint when the policy cannot be
    met, ConfigError for an objective without its parameter, OptimizationError when both
    solvers fail.
    """
    _check_policy(policy)
    est = _aligned(estimates, universe)
    c = portfolio_constraints(universe, policy)
    w0 = _current(current_weights, len(universe))
    obj = policy.objective
    if obj is Objective.TARGET_VOLATILITY:
        assert policy.target_volatility is not None
        w_min = min_variance_weights(est, c, w0)
        lowest = float(np.sqrt(max(float(w_min @ est.covariance @ w_min), 0.0)))
        if policy.target_volatility < lowest - 1e-7:
            raise InfeasibleError(
                f"{c.who} target volatility {_pct(policy.target_volatility)} is below the "
                f"lowest achievable {_pct(lowest)}; raise target_volatility or widen the "
                "bounds")
        w = _solve_cvxpy(est, c, obj, w0, sigma=max(policy.target_volatility, lowest))
    elif obj is Objective.MAX_SHARPE:
        w = _solve_cvxpy(est, c, obj, w0)
        if w is None:
            best = _solve_cvxpy(est, c, Objective.UTILITY, w0, gamma=1e-6)
            if best is not None and float(est.expected_returns @ best) <= est.risk_free_rate:
                raise InfeasibleError(
                    f"{c.who}: no allowed portfolio is expected to beat the risk-free rate "
                    f"{_pct(est.risk_free_rate)}, so the maximum Sharpe ratio is undefined; "
                    "use objective min_variance or revise the expected returns")
    elif obj is Objective.UTILITY:
        assert policy.risk_aversion is not None
        w = _solve_cvxpy(est, c, obj, w0, gamma=policy.risk_aversion)
    else:
        w = _solve_cvxpy(est, c, obj, w0)
    if w is None:
        raise _infeasible_with_holdings(c, w0)
    return _allocation(_clean(w, c), est)


def optimise_many(estimates_seq: Sequence[Estimates], policy: Policy, universe: Universe,
                  current_weights: np.ndarray | None = None) -> list[Allocation]:
    """``optimise`` for each estimate in turn (a walk-forward); holdings are not chained."""
    return [optimise(e, policy, universe, current_weights) for e in estimates_seq]


__all__ = ["Bound", "GroupBound", "PortfolioConstraints", "covariance_factor",
           "min_variance_weights", "optimise", "optimise_many", "portfolio_constraints"]
