"""Exact minimum positions: each asset is held at 0 or at least ``min_position``.

That rule is semi-continuous (a mixed-integer constraint). ``exact_min_positions`` solves it
exactly by branch and bound with the existing convex solve (``optimizer.solve_problem``) as
the relaxation: solve with the current per-asset bounds; an asset held in (0, min_position) is
branched on (upper bound 0, or lower bound min_position); a node whose relaxed objective cannot
beat the best portfolio found so far is pruned. Only assets that come out near the threshold
are ever branched on, so at 17-50 assets a handful of solves suffice. Shrinking the bounds only
shrinks the feasible set, so each relaxation bounds its subtree and the search is exact (to the
solver's tolerance). No mixed-integer conic solver is needed (none ships with cvxpy here).

Assets with a positive lower bound of their own are held anyway and are not branched on; an
asset whose upper bound is below ``min_position`` can only be 0.

The search gives up after ``max_nodes`` solves (returns None); the optimiser then falls back
to the drop-and-re-solve heuristic and says so in the allocation's notes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from roboadvisor.domain import qp
from roboadvisor.domain.policy import Objective

_ZERO = 1e-7       # a relaxed weight below this counts as not held
_SLACK = 1e-7      # a relaxed weight within this below min_position counts as meeting it
MAX_NODES = 2000


@dataclass(frozen=True, eq=False)
class ExactResult:
    """The best weights meeting the rule (None when no portfolio meets it together with the
    other constraints), and the number of relaxations solved."""

    weights: np.ndarray | None
    nodes: int


def objective_value(p: qp.Problem, w: np.ndarray) -> float:
    """The value ``p`` maximises at ``w`` (minimisation objectives negated), transaction
    costs included as the solver counts them."""
    cost = 0.0
    rates = np.asarray(p.constraints.transaction_cost, dtype=float)  # one rate, or one per asset
    if p.w0 is not None and p.cost and np.any(rates > 0):
        cost = float(np.sum(rates * np.abs(w - p.w0)))
    var = float(w @ p.cov @ w)
    if p.objective is Objective.MIN_VARIANCE:
        return -(var + cost)
    if p.objective is Objective.UTILITY:
        return float(p.mu @ w) - p.gamma / 2 * var - cost
    if p.objective is Objective.TARGET_VOLATILITY:
        return float(p.mu @ w) - cost
    return (float(p.mu @ w) - p.rf - cost) / np.sqrt(max(var, 1e-300))


def exact_min_positions(p: qp.Problem, min_position: float,
                        solve: Callable[[qp.Problem], np.ndarray | None],
                        max_nodes: int = MAX_NODES) -> ExactResult | None:
    """The optimum of ``p`` with every asset at 0 or at least ``min_position``.

    ``solve`` maps a problem to clean weights or None when infeasible (``optimizer`` passes
    its two-solver solve followed by ``clean_weights``). Returns None when the search needs
    more than ``max_nodes`` solves.
    """
    c = p.constraints
    exempt = c.lower > 0.0
    upper0 = np.where(~exempt & (c.upper < min_position), 0.0, c.upper)
    best_w: np.ndarray | None = None
    best = -np.inf
    nodes = 0
    stack: list[tuple[np.ndarray, np.ndarray]] = [(c.lower.copy(), upper0)]
    while stack:
        lower, upper = stack.pop()
        if nodes >= max_nodes:
            return None
        nodes += 1
        w = solve(replace(p, constraints=replace(c, lower=lower, upper=upper)))
        if w is None:
            continue
        value = objective_value(p, w)
        if value <= best + 1e-12 * max(1.0, abs(best)):
            continue
        free = ~exempt & (lower < min_position) & (upper > 0.0)
        gap = free & (w > _ZERO) & (w < min_position - _SLACK)
        if not gap.any():
            w = np.where(~exempt & (w <= _ZERO), 0.0, w)
            best_w, best = w / w.sum(), value
            continue
        # branch on the asset furthest from both 0 and the threshold
        i = int(np.argmax(np.where(gap, np.minimum(w, min_position - w), -1.0)))
        drop_upper = upper.copy()
        drop_upper[i] = 0.0
        keep_lower = lower.copy()
        keep_lower[i] = min_position
        drop, keep = (lower, drop_upper), (keep_lower, upper)
        # depth first; the nearer side is explored first (pushed last)
        stack += [keep, drop] if w[i] < min_position / 2 else [drop, keep]
    return ExactResult(best_w, nodes)
