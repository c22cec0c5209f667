"""The efficient frontier: from the minimum-variance to the maximum-return portfolio.

``efficient_frontier(estimates, universe, policy=None, points=50)`` returns ``points``
allocations with expected returns evenly spaced from the minimum-variance portfolio's to the
highest achievable; each is the minimum-variance portfolio for its return (what
PyPortfolioOpt's ``efficient_return`` gives), so volatility rises with return.

How: the frontier of a long-only problem with linear constraints is piecewise linear in the
weights. We trace it exactly, as the critical line algorithm does: solve
min ½ w'Σw - λ μ'w for λ from 0 upwards, where for a fixed set of active constraints the
solution is affine in λ (one KKT solve gives it), and the set changes only at "corners" where a
constraint starts to bind or a multiplier reaches zero. One interior-point solve finds the
minimum-variance start; after that each corner costs one small linear solve, so a 50-point
frontier costs about as much as two or three solver calls. Degenerate corners (several
constraints meeting at once) or any failed check fall back to one Clarabel solve per point.

A policy's ``min_position`` is ignored here: "0 or at least x" is not convex, and the
frontier is the continuous trade-off it approximates (``optimise`` applies it to a tier).

Every point is tidied before it is returned: a weight of at most ``DUST`` (0.01%, the size
callers treat as noise and do not list) is set to 0 where its lower bound allows, and its
money is spread over the other assets within their bounds, so the weights a caller lists sum
to 1 (within 1e-12), not to 1 minus the dust.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from roboadvisor.domain import qp
from roboadvisor.domain.blas_threads import one_blas_thread_when_small
from roboadvisor.domain.constraints import PortfolioConstraints, portfolio_constraints
from roboadvisor.domain.models import Allocation, Estimates, Universe
from roboadvisor.domain.optimizer import (
    aligned_estimates,
    allocation_of,
    clean_weights,
    solve_problem,
)
from roboadvisor.domain.policy import Objective, Policy
from roboadvisor.errors import InfeasibleError

_ACTIVE = 1e-5     # a constraint whose slack is below this at the start is guessed active
_FEAS = 1e-9       # allowed violation of a constraint by a traced point
DUST = 1e-4
"""Weights at or below this (0.01%) are not kept on a frontier point (see ``_tidy``)."""


@one_blas_thread_when_small(lambda estimates, universe, *_a, **_k: len(universe))
def efficient_frontier(estimates: Estimates, universe: Universe, policy: Policy | None = None,
                       points: int = 50) -> tuple[Allocation, ...]:
    """``points`` frontier portfolios (universe order), returns evenly spaced from the
    minimum-variance portfolio to the maximum-return one of the feasible set.

    ``policy`` supplies the asset, class, region and suitability bounds (its objective,
    turnover and costs do not apply); None means long-only, fully invested, the universe's
    own min/max weights.
    """
    if points < 2:
        raise ValueError(f"a frontier needs at least 2 points, got {points}")
    est = aligned_estimates(estimates, universe)
    c = portfolio_constraints(universe, policy)
    weights = frontier_weights(est.expected_returns, est.covariance, c, points)
    return tuple(allocation_of(w, est) for w in weights)


def frontier_weights(mu: np.ndarray, cov: np.ndarray, c: PortfolioConstraints,
                     points: int) -> np.ndarray:
    """The frontier as a (points x n) array of weights (see ``efficient_frontier``)."""
    w_min = _min_variance(mu, cov, c)
    path = _Path.trace(mu, cov, c, w_min)
    if path is not None:
        weights = path.weights_at(np.linspace(path.r_min, path.r_max, points))
        if weights is not None and _feasible(weights, c):
            return np.array([_tidy(clean_weights(w, c), c) for w in weights])
    return np.array([_tidy(w, c) for w in _pointwise(mu, cov, c, w_min, points)])


def _tidy(w: np.ndarray, c: PortfolioConstraints) -> np.ndarray:
    """``w`` without dust: weights at most ``DUST`` (with a zero lower bound) set to 0 and
    their money given to the assets with room below their upper bounds, in proportion to
    their weights; the sum is then 1 within 1e-12. If that would break a group bound, the
    untidied weights are kept (renormalised)."""
    w = np.asarray(w, dtype=float)
    out = w.copy()
    out[(out <= DUST) & (c.lower <= 0)] = 0.0
    for _ in range(len(out) + 1):
        deficit = 1.0 - float(out.sum())
        if abs(deficit) <= 1e-15:
            break
        room = (out > DUST) & (out < c.upper - 1e-15) if deficit > 0 else (out > c.lower)
        if not room.any():
            break
        out[room] += deficit * out[room] / out[room].sum()
        out = np.clip(out, c.lower, c.upper)
    if abs(out.sum() - 1.0) > 1e-12 or not _feasible(out[None, :], c):
        return w / w.sum()
    return out


def _min_variance(mu: np.ndarray, cov: np.ndarray, c: PortfolioConstraints) -> np.ndarray:
    w = solve_problem(qp.Problem(Objective.MIN_VARIANCE, mu, cov, c))
    if w is None:
        raise InfeasibleError.from_catalog("constraints.no_portfolio", who=c.who)
    return w


# --------------------------------------------------------------------------------------------
# The fallback: one solve per point
# --------------------------------------------------------------------------------------------
def _pointwise(mu: np.ndarray, cov: np.ndarray, c: PortfolioConstraints, w_min: np.ndarray,
               points: int) -> np.ndarray:
    # The highest return (an LP, with a touch of variance to pick the least risky optimum).
    w_top = solve_problem(qp.Problem(Objective.UTILITY, mu, cov, c, gamma=1e-9))
    assert w_top is not None  # feasible: w_min exists
    r_min, r_max = float(mu @ w_min), float(mu @ w_top)
    out = [clean_weights(w_min, c)]
    for r in np.linspace(r_min, r_max, points)[1:]:
        target = min(r, r_max - 1e-10 * max(1.0, abs(r_max)))
        w = solve_problem(qp.Problem(Objective.MIN_VARIANCE, mu, cov, c, min_return=target))
        out.append(clean_weights(w if w is not None else w_top, c))
    return np.array(out)


def _feasible(weights: np.ndarray, c: PortfolioConstraints) -> bool:
    if not np.all(np.abs(weights.sum(axis=1) - 1) < 1e-8):
        return False
    if np.any(weights < c.lower - _FEAS) or np.any(weights > c.upper + _FEAS):
        return False
    for g in c.groups:
        s = weights[:, np.array(g.members)].sum(axis=1)
        if np.any(s < g.lower - _FEAS) or np.any(s > g.upper + _FEAS):
            return False
    return True


# --------------------------------------------------------------------------------------------
# The exact path (critical line)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Reduced:
    """The problem over the free assets (lower < upper); fixed assets keep their weight.

    Minimise ½ x'Σx + q0'x - λ μ'x subject to 1'x = e and G x <= h.
    """

    free: np.ndarray        # indices of the free assets
    fixed_w: np.ndarray     # full-length weights of the fixed assets (0 for free ones)
    sigma: np.ndarray
    q0: np.ndarray
    mu: np.ndarray
    e: float
    g: np.ndarray
    h: np.ndarray
    bound_var: np.ndarray   # per row of g: the variable of a bound row, -1 for a group row

    @classmethod
    def build(cls, mu: np.ndarray, cov: np.ndarray, c: PortfolioConstraints) -> _Reduced:
        n = len(mu)
        lo, hi = c.lower.copy(), c.upper.copy()
        free = np.flatnonzero(hi - lo > 1e-12)
        fixed = np.setdiff1d(np.arange(n), free)
        fixed_w = np.zeros(n)
        fixed_w[fixed] = lo[fixed]
        e = 1.0 - float(fixed_w.sum())
        # Group bounds over the free assets; identical member sets merged; single-member
        # groups folded into the asset bounds (duplicates would make the KKT matrix singular).
        merged: dict[tuple[int, ...], tuple[float, float]] = {}
        for grp in c.groups:
            mask = np.array(grp.members)
            members = tuple(int(i) for i in np.flatnonzero(mask[free]))
            base = float(fixed_w[mask].sum())
            glo, ghi = grp.lower - base, grp.upper - base
            if not members:
                continue
            if len(members) == 1:
                i = free[members[0]]
                lo[i], hi[i] = max(lo[i], glo), min(hi[i], ghi)
                continue
            old = merged.get(members, (-np.inf, np.inf))
            merged[members] = (max(old[0], glo), min(old[1], ghi))
        lo_f, hi_f = lo[free], hi[free]
        m = len(free)
        rows: list[np.ndarray] = []
        rhs: list[float] = []
        others_lo = lo_f.sum() - lo_f
        for j in range(m):
            if hi_f[j] < e - others_lo[j] - 1e-12:      # not implied by 1'x = e
                r = np.zeros(m)
                r[j] = 1.0
                rows.append(r)
                rhs.append(hi_f[j])
            r = np.zeros(m)
            r[j] = -1.0
            rows.append(r)
            rhs.append(-lo_f[j])
        for members, (glo, ghi) in merged.items():
            mask = np.zeros(m)
            mask[list(members)] = 1.0
            if len(members) == m:                        # the whole budget: implied
                continue
            if ghi < e - 1e-12:
                rows.append(mask)
                rhs.append(ghi)
            if glo > 1e-12:
                rows.append(-mask)
                rhs.append(-glo)
        sigma = cov[np.ix_(free, free)]
        q0 = cov[np.ix_(free, fixed)] @ fixed_w[fixed]
        g = np.array(rows).reshape(len(rows), m)
        nonzero = (g != 0).sum(axis=1)
        first = np.abs(g).argmax(axis=1) if m else np.zeros(len(g), dtype=int)
        bound_var = np.where(nonzero == 1, first, -1)
        return cls(free, fixed_w, sigma, q0, mu[free], e, g, np.array(rhs), bound_var)

    def full(self, x: np.ndarray) -> np.ndarray:
        w = self.fixed_w.copy()
        w[self.free] = x
        return w


@dataclass(frozen=True, eq=False)
class _Segment:
    lam0: float
    lam1: float
    xa: np.ndarray   # x(λ) = xa + λ xb on [lam0, lam1]
    xb: np.ndarray


class _Path:
    """The piecewise-affine path x(λ) of the reduced problem for λ >= 0."""

    def __init__(self, red: _Reduced, segments: list[_Segment]) -> None:
        self.red = red
        self.segments = segments
        self.r_min = self._ret(segments[0], segments[0].lam0)
        last = segments[-1]
        self.r_max = self._ret(last, last.lam0)

    def _ret(self, s: _Segment, lam: float) -> float:
        return float(self.red.mu @ (s.xa + lam * s.xb))

    @classmethod
    def trace(cls, mu: np.ndarray, cov: np.ndarray, c: PortfolioConstraints,
              w_min: np.ndarray) -> _Path | None:
        red = _Reduced.build(mu, cov, c)
        m, k = len(red.free), len(red.h)
        if m == 0:
            return cls(red, [_Segment(0.0, np.inf, np.zeros(0), np.zeros(0))])
        x0 = w_min[red.free]
        # The interior-point start is accurate to about 1e-6, so guess the active set
        # generously (keeping its rows independent: at a degenerate corner more constraints
        # bind than are needed), then correct it: drop the most negative multiplier, or add
        # the most violated constraint, until the KKT point of the set is optimal and feasible.
        slack = red.h - red.g @ x0
        active: list[int] = []
        near = np.flatnonzero(slack < _ACTIVE)
        for i in sorted(near, key=lambda i: (red.bound_var[i] < 0, slack[i])):
            if _independent(red, [*active, int(i)]):
                active.append(int(i))
        for _ in range(2 * k + 2):
            sol = _kkt(red, active)
            if sol is None:
                return None
            (xa, _, ga), _ = sol
            violation = red.g @ xa - red.h
            violation[active] = -np.inf
            order = np.argsort(-violation)
            if len(ga) and ga.min() < -1e-10:
                active.pop(int(np.argmin(ga)))
            elif k and violation[order[0]] > 1e-10:
                add = next((int(i) for i in order if violation[i] > 1e-10
                            and _independent(red, [*active, int(i)])), None)
                if add is None:
                    return None
                active.append(add)
            else:
                break
        else:
            return None
        if np.abs(xa - x0).max() > 1e-4:
            return None
        segments: list[_Segment] = []
        lam = 0.0
        last_change: int | None = None
        scale = float(np.abs(red.mu).max()) or 1.0
        for _ in range(4 * (m + k) + 10):
            sol = _kkt(red, active)
            if sol is None:
                return None
            (xa, _, ga), (xb, _, gb) = sol
            best, event = np.inf, None
            is_active = np.zeros(k, dtype=bool)
            is_active[active] = True
            inactive = np.flatnonzero(~is_active)
            if len(inactive):
                rate = red.g[inactive] @ xb
                slack = red.h[inactive] - red.g[inactive] @ xa
                hits = rate > 1e-12 * max(1.0, float(np.abs(xb).max()))
                at = np.full(len(inactive), np.inf)
                at[hits] = np.maximum(slack[hits] / rate[hits], lam)
                at[(inactive == last_change) & (at <= lam)] = np.inf
                while np.isfinite(at.min()):
                    j = int(np.argmin(at))
                    if _independent(red, [*active, int(inactive[j])]):
                        best, event = float(at[j]), ("add", int(inactive[j]))
                        break
                    at[j] = np.inf  # implied by the active rows: its slack stays put
            if len(active):
                leaving = gb < -1e-12 * (1.0 + np.abs(ga))
                at = np.full(len(active), np.inf)
                at[leaving] = np.maximum(-ga[leaving] / gb[leaving], lam)
                at[(np.array(active) == last_change) & (at <= lam)] = np.inf
                j = int(np.argmin(at))
                if at[j] < best:
                    best, event = float(at[j]), ("drop", active[j])
            if event is None:
                if np.abs(xb).max() * scale > 1e-12:
                    return None            # unbounded direction: cannot happen; be safe
                segments.append(_Segment(lam, np.inf, xa, xb))
                return cls(red, segments)
            segments.append(_Segment(lam, best, xa, xb))
            kind, idx = event
            if kind == "add":
                active.append(idx)
            else:
                active.remove(idx)
            last_change = idx
            lam = best
        return None

    def weights_at(self, targets: np.ndarray) -> np.ndarray | None:
        """Full weights at each target return (ascending), or None if a target is missed."""
        out = []
        tol = 1e-12 * max(1.0, abs(self.r_max))
        j = 0
        for r in targets:
            while j < len(self.segments) - 1:
                s = self.segments[j]
                if np.isfinite(s.lam1) and self._ret(s, s.lam1) < r - tol:
                    j += 1
                else:
                    break
            s = self.segments[j]
            slope = float(self.red.mu @ s.xb)
            r0 = self._ret(s, s.lam0)
            if slope > 0:
                lam = s.lam0 + max(r - r0, 0.0) / slope
                if np.isfinite(s.lam1):
                    lam = min(lam, s.lam1)
            else:
                lam = s.lam0
            x = s.xa + lam * s.xb
            if abs(float(self.red.mu @ x) - r) > 1e-9 * max(1.0, abs(r)):
                return None
            out.append(self.red.full(x))
        return np.array(out)


def _independent(red: _Reduced, active: list[int]) -> bool:
    """Whether the KKT system of ``active`` is non-singular: no variable at both bounds, and
    the budget and group rows restricted to the variables not at a bound have full rank."""
    bound = red.bound_var[active]
    bvars = bound[bound >= 0]
    if len(np.unique(bvars)) < len(bvars):
        return False
    free = np.ones(len(red.free), dtype=bool)
    free[bvars] = False
    if len(bvars) == len(active):  # only the budget row: needs one variable off its bounds
        return bool(free.any())
    rows = np.vstack([np.ones((1, len(red.free))), red.g[np.asarray(active)[bound < 0]]
                      if len(active) else np.zeros((0, len(red.free)))])[:, free]
    if rows.shape[1] < rows.shape[0]:
        return False
    return bool(np.linalg.matrix_rank(rows) == rows.shape[0])


def _kkt(red: _Reduced, active: list[int]
         ) -> tuple[tuple[np.ndarray, float, np.ndarray],
                    tuple[np.ndarray, float, np.ndarray]] | None:
    """The affine solution (x, ν, γ) = a + λ b for the given active constraints.

    Variables held at an active bound are eliminated (as in the critical line algorithm), so
    the linear system covers only the free variables and the active group rows; the bound
    multipliers follow from the stationarity of the eliminated variables.
    """
    m = len(red.free)
    at_bound: dict[int, int] = {}        # variable -> position in ``active``
    general: list[int] = []              # positions in ``active`` of multi-asset rows
    for pos, row in enumerate(active):
        var = red.bound_var[row]
        if var < 0:
            general.append(pos)
        elif var in at_bound:
            return None                  # both bounds of one variable: degenerate
        else:
            at_bound[var] = pos
    bvars = np.fromiter(at_bound, dtype=int, count=len(at_bound))
    is_free = np.ones(m, dtype=bool)
    is_free[bvars] = False
    fvars = np.flatnonzero(is_free)
    xb_val = np.array([red.h[active[at_bound[v]]] * red.g[active[at_bound[v]], v]
                       for v in bvars])  # row s*x_v <= h means x_v = h / s = h * s
    rows = np.vstack([np.ones((1, m)), red.g[[active[p] for p in general]]])
    d = np.r_[red.e, red.h[[active[p] for p in general]]]
    cf, cb = rows[:, fvars], rows[:, bvars]
    nf, p = len(fvars), len(rows)
    kkt = np.zeros((nf + p, nf + p))
    kkt[:nf, :nf] = red.sigma[np.ix_(fvars, fvars)]
    kkt[:nf, nf:] = cf.T
    kkt[nf:, :nf] = cf
    rhs = np.zeros((nf + p, 2))
    rhs[:nf, 0] = -red.q0[fvars] - red.sigma[np.ix_(fvars, bvars)] @ xb_val
    rhs[nf:, 0] = d - cb @ xb_val
    rhs[:nf, 1] = red.mu[fvars]
    sol = qp.solve_verified(kkt, rhs)
    if sol is None:
        return None
    x = np.zeros((m, 2))
    x[fvars] = sol[:nf]
    x[bvars, 0] = xb_val
    y = sol[nf:]                          # multipliers of the budget and the group rows
    gamma = np.zeros((len(active), 2))
    for j, pos in enumerate(general):
        gamma[pos] = y[1 + j]
    if len(bvars):
        # stationarity of x_v: Σ_v x + q0_v - λ μ_v + rows_v' y + s γ = 0, s the row's sign
        grad = red.sigma[bvars] @ x + rows[:, bvars].T @ y
        grad[:, 0] += red.q0[bvars]
        grad[:, 1] -= red.mu[bvars]
        signs = np.array([red.g[active[at_bound[v]], v] for v in bvars])
        gamma[[at_bound[v] for v in bvars]] = -grad / signs[:, None]
    return ((x[:, 0], float(y[0, 0]), gamma[:, 0]), (x[:, 1], float(y[0, 1]), gamma[:, 1]))
