"""Mean-variance portfolio optimisation: ``optimise(estimates, policy, universe) -> Allocation``.

Objectives (``roboadvisor.domain.policy.Objective``), all long-only and fully invested:

- MIN_VARIANCE: minimise w'Σw (+ transaction costs).
- MAX_SHARPE: maximise (μ'w - rf) / sqrt(w'Σw), solved as the convex problem in y = k w
  (minimise y'Σy subject to (μ - rf)'y = 1, 1'y = k, k >= 0, every bound multiplied by k).
- TARGET_VOLATILITY: maximise μ'w subject to sqrt(w'Σw) <= target (a second-order cone).
- UTILITY: maximise μ'w - (risk_aversion / 2) w'Σw.

Constraints (``constraints.portfolio_constraints``): per-asset bounds (the universe's min/max
weight tightened by the policy's ``asset_bounds``; assets above the tier's product risk level
get upper bound 0), asset-class and region bounds, an optional turnover limit
sum |w - w0| <= L and a transaction-cost penalty sum_i c_i |w_i - w0_i| against current
holdings w0 (c_i the policy's ``transaction_cost``, or per asset the proportional rates of the
shared ``trading.CostModel`` passed as ``costs``; its fixed cost per trade is not convex and is
left to the whole-share trade list; subtracted from the return; for MIN_VARIANCE added to the
variance; for MAX_SHARPE subtracted from the excess return, i.e. the Sharpe ratio is net of costs).

Policies that cannot be met are refused before solving where possible with an
``InfeasibleError`` naming the tier and the constraint.

Minimum position (``policy.min_position`` > 0): a held asset gets 0 or at least that weight.
That is a semi-continuous (mixed-integer) constraint, solved exactly by branch and bound over
the assets that come out near the threshold, with the convex solve as relaxation
(``min_position.exact_min_positions``). An asset with a positive lower bound is never
removed. Only when that search gives up (too many nodes) or finds no portfolio meeting the
rule does the old heuristic run, with a note in ``Allocation.notes``: after the solve, assets
held below the minimum get upper bound 0 and the problem is solved again, for at most
``_DROP_ROUNDS`` rounds while new small positions appear; a re-solve that is infeasible or
fails keeps the previous solution, small positions included. With ``min_position`` 0 nothing
is re-solved. The efficient frontier (``frontier``) ignores ``min_position``.

Solving: first Clarabel on the standard form written directly (``qp``; no modelling overhead,
about 1 ms at 25 assets); if Clarabel fails, the same problem modelled in cvxpy is solved with
SCS. The cvxpy problems are built once per structure (size, objective, which constraints are
present, class/region membership) with Parameters (DPP) and re-solved; that cache is internal,
so ``optimise`` is a plain function. Per-asset bounds are Parameters (data, not structure), so
the minimum-position re-solves reuse the compiled problem; the direct Clarabel path builds its
standard form per solve anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from roboadvisor.domain import box_qp, qp
from roboadvisor.domain.blas_threads import one_blas_thread_when_small
from roboadvisor.domain.constraints import (
    GroupBound,
    PortfolioConstraints,
    group_matrix,
    percent,
    policy_label,
    portfolio_constraints,
)
from roboadvisor.domain.estimates import cholesky_certifies, is_checked_covariance
from roboadvisor.domain.models import Allocation, Estimates, Universe
from roboadvisor.domain.policy import Objective, Policy
from roboadvisor.domain.trading import CostModel
from roboadvisor.errors import (
    ConfigError,
    EstimationError,
    InfeasibleError,
    OptimizationError,
    VolatilityCeilingError,
    catalog_text,
)

_CLEAN = 1e-9        # weights below this after solving are set to 0
_DROP_ROUNDS = 5     # at most this many re-solves to remove positions below min_position


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------
def aligned_estimates(estimates: Estimates, universe: Universe) -> Estimates:
    """``estimates`` in universe order, checked usable: finite, symmetric PSD covariance."""
    est = estimates
    if est.tickers != universe.tickers:
        missing = [t for t in universe.tickers if t not in est.tickers]
        if missing:
            raise EstimationError.from_catalog("constraints.no_estimates",
                                               missing=", ".join(missing),
                                               covered=", ".join(est.tickers))
        est = est.subset(universe.tickers)
    cov = est.covariance
    if not np.isfinite(est.expected_returns).all() or (
            not is_checked_covariance(cov) and not np.isfinite(cov).all()):
        raise EstimationError.from_catalog("constraints.estimates_not_finite",
                                           source=est.source)
    if is_checked_covariance(cov):  # check_covariance made it: symmetric, positive definite
        return est
    scale = float(np.abs(np.diag(cov)).max()) if len(cov) else 1.0
    if not np.abs(cov - cov.T).max(initial=0.0) <= 1e-12 * scale:
        raise EstimationError.from_catalog("constraints.cov_not_symmetric", source=est.source)
    if cholesky_certifies(cov, floor=-1e-10 * scale):
        return est
    smallest = float(np.linalg.eigvalsh(cov).min())
    if smallest < -1e-10 * scale:
        raise EstimationError.from_catalog("constraints.cov_not_psd", source=est.source,
                                           smallest=f"{smallest:.2e}")
    return est


def _check_policy(policy: Policy) -> None:
    who = policy_label(policy)
    if policy.objective is Objective.TARGET_VOLATILITY and not (
            policy.target_volatility is not None and policy.target_volatility > 0):
        raise ConfigError.from_catalog("constraints.needs_positive", who=who,
                                       objective="target_volatility",
                                       field="target_volatility")
    if policy.objective is Objective.UTILITY and not (
            policy.risk_aversion is not None and policy.risk_aversion > 0):
        raise ConfigError.from_catalog("constraints.needs_positive", who=who,
                                       objective="utility", field="risk_aversion")
    if policy.max_turnover is not None and policy.max_turnover < 0:
        raise ConfigError.from_catalog("constraints.not_negative", who=who,
                                       field="max_turnover")
    if policy.transaction_cost < 0:
        raise ConfigError.from_catalog("constraints.not_negative", who=who,
                                       field="transaction_cost")
    if not 0 <= policy.min_position < 0.5:
        raise ConfigError.from_catalog("constraints.min_position_range", who=who,
                                       value=f"{policy.min_position:g}")


def _current(current_weights: np.ndarray | None, n: int) -> np.ndarray | None:
    if current_weights is None:
        return None
    w0 = np.asarray(current_weights, dtype=float)
    if w0.shape != (n,) or not np.isfinite(w0).all():
        raise ValueError(f"current_weights must be {n} finite numbers, got shape {w0.shape}")
    return w0


# --------------------------------------------------------------------------------------------
# cvxpy problems, built once per structure (the second-solver path and the reference model)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Structure:
    n: int
    objective: Objective
    groups: tuple[tuple[bool, ...], ...]
    turnover: bool
    cost: bool
    min_return: bool
    loss_limits: tuple[tuple[tuple[float, ...], float], ...] = ()


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
        self.cost = cp.Parameter(n, nonneg=True, name="cost")
        self.rf = cp.Parameter(name="rf")
        self.sigma = cp.Parameter(nonneg=True, name="sigma")
        self.min_return = cp.Parameter(name="min_return")
        membership = np.array(s.groups, dtype=float).reshape(len(s.groups), n)

        homogeneous = s.objective is Objective.MAX_SHARPE
        w = cp.Variable(n, name="w")
        k = cp.Variable(nonneg=True, name="k") if homogeneous else 1.0
        cons: list[Any] = [cp.sum(w) == k, w >= self.lower * k, w <= self.upper * k]
        if s.groups:
            cons += [membership @ w >= self.g_lower * k, membership @ w <= self.g_upper * k]
        if s.min_return:
            cons.append(self.mu @ w >= self.min_return * k)
        for shocks, max_loss in s.loss_limits:
            cons.append(-np.asarray(shocks) @ w <= max_loss * k)
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
        penalty = self.cost @ trade if s.cost else 0.0
        objective: cp.Minimize | cp.Maximize
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


def solve_cvxpy(p: qp.Problem, solvers: Sequence[str] = ("CLARABEL", "SCS")) -> qp.Solution:
    """Solve ``p`` modelled in cvxpy (compiled once per structure), trying ``solvers`` in turn.
    """
    import cvxpy as cp

    c = p.constraints
    n = len(c.tickers)
    trades = p.w0 is not None
    use_turnover = trades and p.turnover and c.max_turnover is not None
    use_cost = trades and p.cost and bool(np.any(np.asarray(c.transaction_cost) > 0))
    s = _Structure(n, p.objective, tuple(g.members for g in c.groups), use_turnover, use_cost,
                   p.min_return is not None,
                   tuple((lim.shocks, lim.max_loss) for lim in c.loss_limits))
    m = _compiled(s)
    factor = qp.covariance_factor(p.cov)
    if p.objective is Objective.UTILITY:
        factor = factor * np.sqrt(p.gamma / 2)
    details = []
    with m.lock:
        m.mu.value = p.mu
        m.factor.value = factor
        m.lower.value = c.lower
        m.upper.value = c.upper
        m.g_lower.value = np.array([g.lower for g in c.groups])
        m.g_upper.value = np.array([g.upper for g in c.groups])
        m.w0.value = p.w0 if p.w0 is not None else np.zeros(n)
        m.turnover.value = c.max_turnover if use_turnover else 0.0
        m.cost.value = np.broadcast_to(c.transaction_cost if use_cost else 0.0, (n,)).astype(float)
        m.rf.value = p.rf
        m.sigma.value = p.sigma
        m.min_return.value = p.min_return if p.min_return is not None else 0.0
        for solver in solvers:
            kwargs: dict[str, Any] = (
                {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000}
                if solver == "SCS" else {})
            try:
                m.problem.solve(solver=solver, **kwargs)
            except cp.SolverError as exc:
                details.append(f"{solver.lower()}: {exc}")
                continue
            status = m.problem.status
            if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) and m.w.value is not None:
                k = float(m.k.value) if isinstance(m.k, cp.Variable) and m.k.value is not None \
                    else 1.0
                if k > 0:
                    return qp.Solution(qp.Status.OPTIMAL, np.asarray(m.w.value, float) / k,
                                       f"{solver.lower()}: {status}")
            if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
                return qp.Solution(qp.Status.INFEASIBLE, None, f"{solver.lower()}: {status}")
            details.append(f"{solver.lower()}: {status}")
    return qp.Solution(qp.Status.FAILED, None, "; ".join(details))


def solve_problem(p: qp.Problem) -> np.ndarray | None:
    """Weights solving ``p``, or None when it is infeasible: the exact active-set short cut
    when only the budget and per-asset bounds constrain ``p`` (``box_qp``), else (or when it
    does not settle) Clarabel on the direct standard form, then SCS on the cvxpy model.
    Raises OptimizationError when both fail."""
    exact = box_qp.solve(p)
    if exact is not None:
        return exact
    first = qp.solve(p)
    if first.status is qp.Status.OPTIMAL:
        return first.weights
    if first.status is qp.Status.INFEASIBLE:
        return None
    second = solve_cvxpy(p, solvers=("SCS",))
    if second.status is qp.Status.OPTIMAL:
        return second.weights
    if second.status is qp.Status.INFEASIBLE:
        return None
    raise OptimizationError.from_catalog("zh_hardening.o_not_solved", who=p.constraints.who,
                                         objective=p.objective.value, first=first.detail,
                                         second=second.detail)


def clean_weights(w: np.ndarray, c: PortfolioConstraints) -> np.ndarray:
    """Solver output -> weights: tiny values to 0, within the upper bounds, summing to 1."""
    w = np.where(w < _CLEAN, 0.0, w)
    w = np.minimum(w, c.upper)
    return w / w.sum()


def allocation_of(w: np.ndarray, est: Estimates, notes: tuple[str, ...] = ()) -> Allocation:
    """Weights ``w`` (in ``est`` order) with their expected return and volatility."""
    vol = float(np.sqrt(max(float(w @ est.covariance @ w), 0.0)))
    return Allocation(est.tickers, w, float(est.expected_returns @ w), vol, est.risk_free_rate,
                      notes)


def _infeasible_with_holdings(c: PortfolioConstraints, w0: np.ndarray | None) -> InfeasibleError:
    if w0 is not None and c.max_turnover is not None:
        return InfeasibleError.from_catalog("constraints.turnover_too_tight", who=c.who,
                                            limit=percent(c.max_turnover))
    return InfeasibleError.from_catalog("constraints.no_portfolio", who=c.who)


# --------------------------------------------------------------------------------------------
# The public entry points
# --------------------------------------------------------------------------------------------
def min_variance_weights(estimates: Estimates, constraints: PortfolioConstraints,
                         current_weights: np.ndarray | None = None) -> np.ndarray:
    """The minimum-variance weights of the feasible set (turnover limit included, no costs);
    ``estimates`` in the constraints' ticker order."""
    p = qp.Problem(Objective.MIN_VARIANCE, estimates.expected_returns, estimates.covariance,
                   constraints, estimates.risk_free_rate, w0=current_weights, turnover=True)
    w = solve_problem(p)
    if w is None:
        raise _infeasible_with_holdings(constraints, current_weights)
    return clean_weights(w, constraints)


@one_blas_thread_when_small(lambda estimates, policy, universe, *_a, **_k: len(universe))
def optimise(estimates: Estimates, policy: Policy, universe: Universe,
             current_weights: np.ndarray | None = None, *,
             costs: CostModel | None = None) -> Allocation:
    """The optimal portfolio of ``policy`` over ``universe`` (weights in universe order).

    ``current_weights`` (universe order) enable the policy's turnover limit and transaction
    costs; ``costs`` (the shared ``trading.CostModel``) replaces the policy's single
    ``transaction_cost`` by its per-asset proportional rates. A positive ``policy.min_position``
    then removes positions below it where the other constraints allow (``drop_small_positions``, a
    heuristic). Raises InfeasibleError naming the tier and the constraint when the policy cannot be
    met, ConfigError for an objective without its parameter or a min_position outside [0, 0.5),
    EstimationError for unusable estimates, OptimizationError when both solvers fail.
    """
    _check_policy(policy)
    est = aligned_estimates(estimates, universe)
    c = portfolio_constraints(universe, policy)
    if costs is not None:
        c = replace(c, transaction_cost=costs.rates(universe.tickers))
    w0 = _current(current_weights, len(universe))
    obj = policy.objective
    p = qp.Problem(obj, est.expected_returns, est.covariance, c, est.risk_free_rate,
                   gamma=policy.risk_aversion or 0.0, sigma=policy.target_volatility or 0.0,
                   w0=w0, turnover=True, cost=True)
    w = solve_problem(p)
    at_floor = False  # the target is the lowest volatility: min positions by min variance
    if w is None and obj is Objective.TARGET_VOLATILITY:
        assert policy.target_volatility is not None
        w_min = min_variance_weights(est, c, w0)  # raises when even that is infeasible
        lowest = float(np.sqrt(max(float(w_min @ est.covariance @ w_min), 0.0)))
        if policy.target_volatility < lowest * (1 - 1e-6):
            params: dict[str, object] = {"who": c.who,
                                         "target": percent(policy.target_volatility),
                      "lowest": percent(lowest)}
            error = VolatilityCeilingError(catalog_text("constraints.ceiling_below_lowest",
                                                        **params),
                                           policy.target_volatility, lowest)
            error.key, error.params = "constraints.ceiling_below_lowest", params
            raise error
        w = w_min  # the target is the lowest volatility itself (up to rounding)
        at_floor = True
    elif w is None and obj is Objective.MAX_SHARPE:
        # Is any allowed portfolio expected to beat the risk-free rate (net of costs)?
        best = solve_problem(qp.Problem(Objective.UTILITY, est.expected_returns,
                                        est.covariance, c, gamma=1e-9, w0=w0, turnover=True,
                                        cost=True))
        if best is not None:
            net = float(est.expected_returns @ best)
            after_costs = ""
            rates = np.broadcast_to(np.asarray(c.transaction_cost, dtype=float), w0.shape
                                    if w0 is not None else (len(universe),))
            if w0 is not None and np.any(rates > 0):
                net -= float(rates @ np.abs(best - w0))
                after_costs = catalog_text("constraints.after_costs" if np.ptp(rates) == 0
                                     else "constraints.after_costs_up_to",
                                     rate=f"{float(rates.max()):g}")
            if net <= est.risk_free_rate + 1e-12:
                raise InfeasibleError.from_catalog("constraints.no_sharpe", who=c.who,
                                                   rate=percent(est.risk_free_rate),
                                                   costs=after_costs)
    if w is None:
        raise _infeasible_with_holdings(c, w0)
    w = clean_weights(w, c)
    notes: tuple[str, ...] = ()
    if policy.min_position > 0:
        if at_floor:
            p = replace(p, objective=Objective.MIN_VARIANCE)
        w, notes = with_min_positions(p, w, policy.min_position)
    return allocation_of(w, est, notes)


def least_risk(estimates: Estimates, policy: Policy, universe: Universe) -> Allocation:
    """The policy's least-volatile admissible portfolio (its bounds, suitability and minimum
    positions, no volatility ceiling): what to hold when the ceiling is out of reach."""
    return optimise(estimates, replace(policy, objective=Objective.MIN_VARIANCE,
                                       target_volatility=None, risk_aversion=None), universe)


def with_min_positions(p: qp.Problem, w: np.ndarray,
                       min_position: float) -> tuple[np.ndarray, tuple[str, ...]]:
    """Clean weights ``w`` solving ``p`` -> the exact optimum of ``p`` with every asset at 0
    or at least ``min_position`` (branch and bound); the heuristic ``drop_small_positions``
    with a note when the exact search gives up or finds nothing."""
    from roboadvisor.domain.min_position import exact_min_positions

    c = p.constraints
    held_small = (w > 0) & (w < min_position) & (c.lower <= 0)
    if not held_small.any():
        return w, ()

    def solve(q: qp.Problem) -> np.ndarray | None:
        try:
            raw = solve_problem(q)
        except OptimizationError:
            return None
        return None if raw is None else clean_weights(raw, q.constraints)

    exact = exact_min_positions(p, min_position, solve)
    if exact is not None and exact.weights is not None:
        return exact.weights, ()
    why = catalog_text("zh_hardening.min_position_stopped" if exact is None
                       else "zh_hardening.min_position_none")
    note = catalog_text("zh_hardening.min_position_heuristic", who=c.who,
                        minimum=percent(min_position), why=why)
    return drop_small_positions(p, w, min_position), (note,)


def drop_small_positions(p: qp.Problem, w: np.ndarray, min_position: float) -> np.ndarray:
    """Clean weights ``w`` solving ``p`` -> weights without positions in (0, min_position).

    A heuristic for the semi-continuous constraint "0 or at least min_position": re-solve
    ``p`` with upper bound 0 on the assets held below ``min_position`` (never on one with a
    positive lower bound), again while new ones appear, for at most ``_DROP_ROUNDS`` rounds.
    A re-solve that is infeasible or fails keeps the previous solution, so the result can
    still hold small positions when removing them is impossible under the other constraints.
    """
    c = p.constraints
    droppable = c.lower <= 0.0
    upper = c.upper
    for _ in range(_DROP_ROUNDS):
        small = (w > 0.0) & (w < min_position) & droppable
        if not small.any():
            break
        upper = np.where(small, 0.0, upper)
        reduced = replace(c, upper=upper)
        try:
            resolved = solve_problem(replace(p, constraints=reduced))
        except OptimizationError:
            break
        if resolved is None:
            break
        w = clean_weights(resolved, reduced)
    return w


def optimise_many(estimates_seq: Sequence[Estimates], policy: Policy, universe: Universe,
                  current_weights: np.ndarray | None = None) -> list[Allocation]:
    """``optimise`` for each estimate in turn (a walk-forward); holdings are not chained."""
    return [optimise(e, policy, universe, current_weights) for e in estimates_seq]


__all__ = ["GroupBound", "PortfolioConstraints", "aligned_estimates", "allocation_of",
           "clean_weights", "drop_small_positions", "group_matrix", "min_variance_weights",
           "optimise", "optimise_many", "portfolio_constraints", "solve_problem"]
