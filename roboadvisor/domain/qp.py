"""The solver-level fast path: portfolio problems written straight in Clarabel's standard form.

cvxpy spends about a millisecond per solve on modelling even when a problem is compiled once
with Parameters; these problems are small and regular, so we write the conic standard form

    minimise  ½ x'Px + q'x   subject to   A x + s = b,   s in K (zero, nonnegative, SOC cones)

ourselves with a few numpy operations and hand it to Clarabel (an interior-point solver; no
warm start needed). The variables are x = [w; t; k]: the weights, the trades t >= |w - w0| when
holdings matter, and the homogenising scale k for the maximum Sharpe ratio (w = y / k).

The formulation is the same as the cvxpy one in ``optimizer`` (the reference and the second
solver path); tests check that both agree with each other and with PyPortfolioOpt.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from roboadvisor.domain.constraints import PortfolioConstraints, group_matrix
from roboadvisor.domain.policy import Objective


class Status(Enum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    FAILED = "failed"


@dataclass(frozen=True, eq=False)
class Solution:
    """Weights in universe order (None unless OPTIMAL), with the solver's status text."""

    status: Status
    weights: np.ndarray | None
    detail: str


@dataclass(frozen=True, eq=False)
class Problem:
    """One portfolio problem: the objective with its parameters, over a feasible set.

    ``gamma``: risk aversion (UTILITY). ``sigma``: volatility cap (TARGET_VOLATILITY).
    ``min_return``: optional constraint mu'w >= min_return (frontier points).
    ``w0`` with ``turnover``/``cost`` switch on the turnover limit and the cost penalty.
    """

    objective: Objective
    mu: np.ndarray
    cov: np.ndarray
    constraints: PortfolioConstraints
    rf: float = 0.0
    gamma: float = 0.0
    sigma: float = 0.0
    min_return: float | None = None
    w0: np.ndarray | None = None
    turnover: bool = False
    cost: bool = False


def _settings(tight: bool) -> Any:
    """Clarabel settings. Tight: duality gap and feasibility 1e-11 -- portfolio QPs are often
    flat (highly correlated assets), so the default 1e-8 leaves weights uncertain at 1e-3;
    at 1e-11 they agree with an exact solution to about 1e-5, for one or two more
    iterations."""
    import clarabel

    s = clarabel.DefaultSettings()
    s.verbose = False
    if tight:
        s.tol_gap_abs = s.tol_gap_rel = s.tol_feas = 1e-11
        s.tol_ktratio = 1e-9
        s.max_iter = 300
    return s


@dataclass(frozen=True, eq=False)
class Csc:
    """A compressed sparse column matrix with the attributes Clarabel reads (``data``,
    ``indices``, ``indptr``, ``nnz``, ``shape``), built from a dense array with numpy alone:
    importing scipy.sparse costs about 0.1 s, several times the solve itself (issue 14)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    nnz: int
    shape: tuple[int, int]
    has_canonical_format: bool = True  # indices sorted within each column, no duplicates

    @classmethod
    def of(cls, dense: np.ndarray) -> Csc:
        """The nonzeros of ``dense``, column by column, rows ascending."""
        dense = np.asarray(dense, dtype=float)
        cols, rows = np.nonzero(dense.T)          # column-major order, rows sorted
        counts = np.bincount(cols, minlength=dense.shape[1])
        indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return cls(dense.T[cols, rows], rows.astype(np.int64), indptr, len(rows),
                   (int(dense.shape[0]), int(dense.shape[1])))


def standard_form(p: Problem) -> tuple:
    """(P, q, A, b, cones, n_vars): the problem in Clarabel's form (P upper triangular)."""
    import clarabel

    c = p.constraints
    n = len(c.tickers)
    trades = p.w0 is not None and (p.turnover or p.cost)
    homogeneous = p.objective is Objective.MAX_SHARPE
    nt = n if trades else 0
    nv = n + nt + (1 if homogeneous else 0)
    iw, it = slice(0, n), slice(n, n + nt)
    ik = n + nt
    w0 = p.w0 if p.w0 is not None else np.zeros(n)

    # Rows are coefficients on x plus a "scale" term: the right-hand side is multiplied by k
    # in the homogeneous (max Sharpe) problem, so "w <= hi" becomes "w - hi k <= 0".
    def rows(m: int) -> np.ndarray:
        return np.zeros((m, nv))

    eq_a: list[np.ndarray] = []
    eq_b: list[np.ndarray] = []
    le_a: list[np.ndarray] = []
    le_b: list[np.ndarray] = []

    def add(block: list, rhs: list, a: np.ndarray, scale: np.ndarray) -> None:
        """a x <= scale (times k when homogeneous)."""
        if homogeneous:
            a[:, ik] = -scale
            block.append(a)
            rhs.append(np.zeros(len(a)))
        else:
            block.append(a)
            rhs.append(np.asarray(scale, dtype=float))

    a = rows(1)
    a[0, iw] = 1.0
    add(eq_a, eq_b, a, np.array([1.0]))                        # fully invested
    up = c.upper < 1.0
    a = rows(int(up.sum()))
    a[np.arange(len(a)), np.flatnonzero(up)] = 1.0
    add(le_a, le_b, a, c.upper[up])                            # w <= upper
    a = rows(n)
    a[np.arange(n), np.arange(n)] = -1.0
    add(le_a, le_b, a, -c.lower)                               # w >= lower (>= 0)
    if c.groups:
        g = group_matrix(c)
        hi = np.array([x.upper for x in c.groups])
        lo = np.array([x.lower for x in c.groups])
        sel = hi < 1.0
        a = rows(int(sel.sum()))
        a[:, iw] = g[sel]
        add(le_a, le_b, a, hi[sel])
        sel = lo > 0.0
        a = rows(int(sel.sum()))
        a[:, iw] = -g[sel]
        add(le_a, le_b, a, -lo[sel])
    for limit in c.loss_limits:
        a = rows(1)
        a[0, iw] = -np.asarray(limit.shocks)
        add(le_a, le_b, a, np.array([limit.max_loss]))        # scenario loss <= limit
    if trades:
        a = rows(n)
        a[:, iw] = np.eye(n)
        a[:, it] = -np.eye(n)
        add(le_a, le_b, a, w0)                                 # w - t <= w0
        a = rows(n)
        a[:, iw] = -np.eye(n)
        a[:, it] = -np.eye(n)
        add(le_a, le_b, a, -w0)                                # -w - t <= -w0
        if p.turnover and c.max_turnover is not None:
            a = rows(1)
            a[0, it] = 1.0
            add(le_a, le_b, a, np.array([c.max_turnover]))     # sum t <= L
    if p.min_return is not None:
        a = rows(1)
        a[0, iw] = -p.mu
        add(le_a, le_b, a, np.array([-p.min_return]))          # mu'w >= r
    cost = c.transaction_cost if (trades and p.cost) else 0.0
    q = np.zeros(nv)
    quad = np.zeros((nv, nv))
    if homogeneous:
        a = rows(1)
        a[0, iw] = -(p.mu - p.rf)
        if np.any(cost):
            a[0, it] = cost
        le_a.append(a)
        le_b.append(np.array([-1.0]))                          # (mu-rf)'y - c 1't >= 1
        a = rows(1)
        a[0, ik] = -1.0
        le_a.append(a)
        le_b.append(np.zeros(1))                               # k >= 0
        quad[iw, iw] = 2.0 * p.cov
    elif p.objective is Objective.MIN_VARIANCE:
        quad[iw, iw] = 2.0 * p.cov
    elif p.objective is Objective.UTILITY:
        quad[iw, iw] = p.gamma * p.cov
        q[iw] = -p.mu
    else:  # TARGET_VOLATILITY
        q[iw] = -p.mu
    if np.any(cost) and not homogeneous:
        q[it] = cost
    blocks = [np.vstack(eq_a), np.vstack(le_a)]
    rhs = [np.concatenate(eq_b), np.concatenate(le_b)]
    cones = [clarabel.ZeroConeT(len(blocks[0])), clarabel.NonnegativeConeT(len(blocks[1]))]
    if p.objective is Objective.TARGET_VOLATILITY:
        factor = covariance_factor(p.cov)
        a = rows(n + 1)
        a[1:, iw] = -factor.T                                  # (sigma, F'w) in SOC
        blocks.append(a)
        rhs.append(np.r_[p.sigma, np.zeros(n)])
        cones.append(clarabel.SecondOrderConeT(n + 1))
    big_a = Csc.of(np.vstack(blocks))
    big_p = Csc.of(np.triu(quad))
    return big_p, q, big_a, np.concatenate(rhs), cones, nv


def covariance_factor(cov: np.ndarray) -> np.ndarray:
    """F with F F' = cov: Cholesky, or an eigenvalue factor when cov is only semi-definite."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
        return vecs * np.sqrt(np.clip(vals, 0.0, None))


def solve(p: Problem) -> Solution:
    """Solve ``p`` with Clarabel. INFEASIBLE when Clarabel proves it; FAILED otherwise."""
    import clarabel

    big_p, q, big_a, b, cones, _ = standard_form(p)
    status = "not run"
    for tight in (True, False):  # if the tight tolerances stall, accept the default ones
        try:
            sol = clarabel.DefaultSolver(big_p, q, big_a, b, cones, _settings(tight)).solve()
        except (ValueError, RuntimeError, TypeError) as exc:  # bad data reaching the solver
            return Solution(Status.FAILED, None, f"clarabel: {exc}")
        status = str(sol.status)
        if status in ("PrimalInfeasible", "AlmostPrimalInfeasible"):
            return Solution(Status.INFEASIBLE, None, f"clarabel: {status}")
        if status in ("Solved", "AlmostSolved"):
            break
    else:
        return Solution(Status.FAILED, None, f"clarabel: {status}")
    x = np.asarray(sol.x, dtype=float)
    n = len(p.constraints.tickers)
    w = x[:n]
    if p.objective is Objective.MAX_SHARPE:
        k = x[-1]
        if not k > 0:
            return Solution(Status.FAILED, None, f"clarabel: scale k = {k:.3g}")
        w = w / k
    if not np.isfinite(w).all():
        return Solution(Status.FAILED, None, "clarabel: non-finite weights")
    return Solution(Status.OPTIMAL, w, f"clarabel: {status}")


def solve_verified(kkt: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """``kkt^-1 rhs`` for a KKT system, or None when it is singular or the solution does not
    reproduce ``rhs`` to 1e-9 (relative): the one check the exact frontier and the box-and-
    budget solver both rely on before trusting an active set."""
    try:
        sol = np.linalg.solve(kkt, rhs)
    except np.linalg.LinAlgError:
        return None
    if not np.isfinite(sol).all() or np.abs(kkt @ sol - rhs).max() > 1e-9 * (
            1.0 + np.abs(rhs).max()):
        return None
    return sol
