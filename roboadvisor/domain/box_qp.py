"""The box-and-budget short cut: exact portfolio solves by a primal-dual active set (issue 14).

When a problem's only constraints are the budget 1'w = 1 and per-asset bounds lo <= w <= hi
(no class/region bounds, stress-loss limits, turnover or costs, no minimum return), all four
objectives are points of one parametric problem

    minimise  ½ w'Σw - λ μ'w   subject to   1'w = 1,  lo <= w <= hi               (P_λ)

- minimum variance is λ = 0, utility with risk aversion γ is λ = 1/γ;
- maximum Sharpe is the λ where λ = w'Σw / (μ - rf)'w (its KKT conditions, scaled by
  σ³/excess return, are those of P_λ);
- target volatility σ* (when the ceiling binds) is the λ where w'Σw = σ*², λ = 1/(2θ) with θ
  the ceiling's multiplier.

For a fixed set of assets held at a bound, the solution of P_λ is affine in λ, w = a + λ b
(one small KKT solve with two right-hand sides), so the λ of each objective follows in closed
form on that set: maximum Sharpe maximises (p + qλ) / sqrt(A + 2Bλ + Cλ²), at
λ = (pB - qA) / (qB - pC); the target volatility solves the quadratic A + 2Bλ + Cλ² = σ*².
The active set is then updated the primal-dual way (Hintermüller, Ito, Kunisch): free assets
outside their bounds go to the bound, bound assets whose multiplier has the wrong sign are
freed, all at once, until nothing changes. The result satisfies the KKT conditions to
rounding, so it is the exact optimum (unique when Σ is positive definite): no tolerance of an
interior-point method, and a few milliseconds where Clarabel takes tens at 300 assets.

Anything unusual (no free asset, a singular system, no convergence within ``_MAX_ROUNDS``, a
ceiling that does not bind or cannot be met, no portfolio beating the risk-free rate) returns
None, and the caller solves the problem with Clarabel as before. ``hint`` carries the last
active set per problem shape into the next solve (walk-forward dates, minimum-position
re-solves): a warm start that only changes how fast, never what, the answer is.
"""

from __future__ import annotations

import threading

import numpy as np

from roboadvisor.domain import qp
from roboadvisor.domain.policy import Objective

_MAX_ROUNDS = 60
_FEAS = 1e-12        # allowed bound violation (weights) of the answer
_DUAL = 1e-12        # allowed wrong-sign multiplier, relative to the gradient's scale

_hints: dict[tuple[int, Objective], np.ndarray] = {}
_hints_lock = threading.Lock()


def forget_warm_starts() -> None:
    """Drop the remembered active sets (benchmarks of a single, cold solve)."""
    with _hints_lock:
        _hints.clear()


def applicable(p: qp.Problem) -> bool:
    """True when ``p`` has only the budget and per-asset bounds (see the module docstring)."""
    c = p.constraints
    trades = p.w0 is not None and (
        (p.turnover and c.max_turnover is not None)
        or (p.cost and bool(np.any(np.asarray(c.transaction_cost) > 0))))
    return (not c.groups and not c.loss_limits and not trades and p.min_return is None
            and len(c.tickers) > 1)


def solve(p: qp.Problem) -> np.ndarray | None:
    """The exact optimum of ``p`` (weights, universe order), or None when the short cut does
    not apply or does not settle (the caller then solves ``p`` the general way)."""
    if not applicable(p):
        return None
    obj = p.objective
    if obj is Objective.UTILITY and not p.gamma > 0:
        return None
    if obj is Objective.TARGET_VOLATILITY and not p.sigma > 0:
        return None
    lo, hi = np.asarray(p.constraints.lower, float), np.asarray(p.constraints.upper, float)
    if lo.sum() > 1.0 + 1e-12 or hi.sum() < 1.0 - 1e-12:
        return None                      # infeasible: the general path says so
    cov = np.asarray(p.cov, float)
    mu = np.asarray(p.mu, float)
    key = (len(mu), obj)
    with _hints_lock:
        start = _hints.get(key)
    if start is None:
        start = _first_guess(p, cov, mu, lo, hi)
    state = _initial_state(lo, hi, start)
    found = _active_set(cov, mu, lo, hi, state, p)
    if found is None and start is not None:   # a stale hint or a bad guess: from scratch
        found = _active_set(cov, mu, lo, hi, _initial_state(lo, hi, None), p)
    if found is None:
        return None
    w, state = found
    with _hints_lock:
        _hints[key] = state
    return w


def _first_guess(p: qp.Problem, cov: np.ndarray, mu: np.ndarray, lo: np.ndarray,
                 hi: np.ndarray) -> np.ndarray | None:
    """A cold start for maximum Sharpe and target volatility: the third of the assets with the
    best excess return per unit of volatility free (at least enough to fill the budget under
    the caps), the others at their lower bound. The optimum of these objectives holds few
    assets; starting from all assets free, the primal-dual steps overshoot back and forth
    (12 rounds for the 25 real ETFs of the benchmark, 7 from this guess). Only speed
    depends on it: the answer is checked as always, and a guess that does not settle is
    followed by the usual start from all assets free (issue 14)."""
    if p.objective not in (Objective.MAX_SHARPE, Objective.TARGET_VOLATILITY):
        return None
    n = len(mu)
    vol = np.sqrt(np.maximum(np.diag(cov), 1e-300))
    enough = int(np.ceil(1.0 / max(float(hi.max()), 1e-12))) + 1
    guess = np.full(n, -1, dtype=np.int8)
    guess[np.argsort(-(mu - p.rf) / vol, kind="stable")[:max(enough, n // 3)]] = 0
    return guess if _budget_allows(guess, lo, hi) else None


def _initial_state(lo: np.ndarray, hi: np.ndarray, hint: np.ndarray | None) -> np.ndarray:
    """Per asset: 0 free, -1 at its lower bound, +1 at its upper bound (fixed assets at -1)."""
    state = (np.zeros(len(lo), dtype=np.int8) if hint is None or len(hint) != len(lo)
             else hint.copy())
    state[hi - lo <= 1e-12] = -1
    return state


def _active_set(cov: np.ndarray, mu: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                state: np.ndarray, p: qp.Problem) -> tuple[np.ndarray, np.ndarray] | None:
    fixed = hi - lo <= 1e-12
    scale = max(float(np.abs(np.diag(cov)).max()), 1e-300)
    mu_scale = float(np.abs(mu).max())
    seen: set[bytes] = set()
    for _ in range(_MAX_ROUNDS):
        free = state == 0
        if free.any():
            affine = _affine(cov, mu, lo, hi, state, free)
            if affine is None:
                return None
            a, b, nu_a, nu_b = affine
            sa, sb = cov @ a, cov @ b
            lam = _lambda(p, mu, a, b, sa, sb)
            if lam is None:
                return None
            w = a + lam * b
            grad = sa + lam * (sb - mu) + (nu_a + lam * nu_b)  # multiplier of lo minus of hi
        else:
            vertex = _vertex(cov, mu, lo, hi, state, p)
            if vertex is None:
                return None
            w, lam, grad = vertex
        tol = _DUAL * (scale + lam * mu_scale)
        # how far each asset is from being right where it is (0: right): a free one by how
        # far it is outside its bounds, one at lo (state -1) by -grad, at hi (+1) by grad
        wrong = np.where(free, np.maximum(lo - w, w - hi), state * grad)
        wrong[fixed] = 0.0
        limit = np.where(free, _FEAS, tol)
        move = wrong > limit
        if not move.any():
            w = np.clip(w, lo, hi)
            return (w, state) if _objective_condition_holds(p, cov, mu, w, lam) else None
        seen.add(state.tobytes())
        new = _moved(state, move, w, lo)
        if new.tobytes() in seen:          # cycling: move the worst asset only
            one = np.zeros(len(w), dtype=bool)
            one[int(np.argmax(np.where(move, wrong / limit, -np.inf)))] = True
            move = one
            new = _moved(state, move, w, lo)
        if not _budget_allows(new, lo, hi):
            new = _moved(state, _within_budget(state, move, wrong / limit, w, lo, hi), w, lo)
            if np.array_equal(new, state) or not _budget_allows(new, lo, hi):
                return None
        state = new
    return None


def _objective_condition_holds(p: qp.Problem, cov: np.ndarray, mu: np.ndarray, w: np.ndarray,
                               lam: float) -> bool:
    """The last KKT condition, checked on the answer rather than trusted from the closed
    form: λ = w'Σw / (μ - rf)'w for the maximum Sharpe ratio, w'Σw = σ*² for the target
    volatility (minimum variance and utility have λ fixed)."""
    var = float(w @ cov @ w)
    if p.objective is Objective.MAX_SHARPE:
        excess = float((mu - p.rf) @ w)
        return excess > 0 and abs(lam * excess - var) <= 1e-9 * max(var, 1e-300)
    if p.objective is Objective.TARGET_VOLATILITY:
        return abs(var - p.sigma ** 2) <= 1e-9 * p.sigma ** 2
    return True


def _moved(state: np.ndarray, move: np.ndarray, w: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """``state`` with the assets of ``move`` changed: bound ones freed, free ones to the
    bound they cross."""
    new = state.copy()
    new[move & (state != 0)] = 0
    crossing = move & (state == 0)
    new[crossing] = np.where(w[crossing] < lo[crossing], -1, 1)
    return new


def _within_budget(state: np.ndarray, move: np.ndarray, badness: np.ndarray, w: np.ndarray,
                   lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The part of ``move`` the budget allows: every freeing move, and free assets sent to a
    bound worst first while the free ones left can still make the weights sum to 1 (the
    full step of the primal-dual method can overshoot: too many assets at their caps)."""
    keep = move & (state != 0)
    width = hi - lo
    least = float(np.where(state == 1, hi, lo).sum() - width[keep & (state == 1)].sum())
    most = float(np.where(state == -1, lo, hi).sum() + width[keep & (state == -1)].sum())
    free_left = int((state == 0).sum() + keep.sum())
    for side in (1, -1):
        cand = np.flatnonzero(move & (state == 0) & ((w > hi) if side == 1 else (w < lo)))
        cand = cand[np.argsort(-badness[cand])]
        if side == 1:
            ok = least + np.cumsum(width[cand]) <= 1.0 + 1e-12
        else:
            ok = most - np.cumsum(width[cand]) >= 1.0 - 1e-12
        take = cand[:int(np.argmin(ok)) if not ok.all() else len(cand)]
        take = take[:max(free_left - 1, 0)]          # keep one asset free
        keep[take] = True
        free_left -= len(take)
        if side == 1:
            least += float(width[take].sum())
        else:
            most -= float(width[take].sum())
    return keep


def _budget_allows(state: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
    """Can the free assets make the weights sum to 1 with the others at their bounds?"""
    least = float(np.where(state == 1, hi, lo).sum())
    most = float(np.where(state == -1, lo, hi).sum())
    if not (state == 0).any():
        return abs(least - 1.0) <= 1e-12
    return least <= 1.0 + 1e-12 and most >= 1.0 - 1e-12


def _vertex(cov: np.ndarray, mu: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            state: np.ndarray, p: qp.Problem) -> tuple[np.ndarray, float, np.ndarray] | None:
    """Every asset at a bound (a corner of the feasible set): (w, λ, gradient) with the
    budget multiplier ν in the middle of the range the bound multipliers allow (when that
    range is empty, the assets whose multiplier has the wrong sign are freed next)."""
    w = np.where(state == 1, hi, lo)
    if abs(w.sum() - 1.0) > 1e-12:
        return None
    if p.objective is Objective.MIN_VARIANCE:
        lam = 0.0
    elif p.objective is Objective.UTILITY:
        lam = 1.0 / p.gamma
    elif p.objective is Objective.MAX_SHARPE:
        excess = float((mu - p.rf) @ w)
        if not excess > 0.0:
            return None
        lam = float(w @ cov @ w) / excess
    else:
        return None                      # a ceiling binding exactly at a corner: leave it
    g = cov @ w - lam * mu
    at_lo, at_hi = state == -1, state == 1
    nu_lo = float((-g[at_lo]).max()) if at_lo.any() else -np.inf
    nu_hi = float((-g[at_hi]).min()) if at_hi.any() else np.inf
    nu = (nu_lo + nu_hi) / 2 if np.isfinite(nu_lo) and np.isfinite(nu_hi) else (
        nu_lo if np.isfinite(nu_lo) else nu_hi)
    return w, lam, g + nu


def _affine(cov: np.ndarray, mu: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            state: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray, float,
                                                          float] | None:
    """(a, b, ν_a, ν_b): the solution w = a + λ b of P_λ with the assets of ``state`` held at
    their bounds (``free``: state == 0), and the budget multiplier ν = ν_a + λ ν_b."""
    f = np.flatnonzero(free)
    if len(f) == 0:
        return None
    bound = np.where(state == 1, hi, lo)
    bound[f] = 0.0
    nf = len(f)
    rows = cov[f]                          # the free assets' rows (one gather, used twice)
    kkt = np.empty((nf + 1, nf + 1))
    kkt[:nf, :nf] = rows[:, f]
    kkt[:nf, nf] = 1.0
    kkt[nf, :nf] = 1.0
    kkt[nf, nf] = 0.0
    rhs = np.empty((nf + 1, 2))
    rhs[:nf, 0] = -(rows @ bound)          # the held assets' pull (free ones are 0 here)
    rhs[nf, 0] = 1.0 - bound.sum()
    rhs[:nf, 1] = mu[f]
    rhs[nf, 1] = 0.0
    sol = qp.solve_verified(kkt, rhs)
    if sol is None:
        return None
    a = bound
    b = np.zeros(len(mu))
    a[f], b[f] = sol[:nf, 0], sol[:nf, 1]
    return a, b, float(sol[nf, 0]), float(sol[nf, 1])


def _lambda(p: qp.Problem, mu: np.ndarray, a: np.ndarray, b: np.ndarray, sa: np.ndarray,
            sb: np.ndarray) -> float | None:
    """The λ of ``p``'s objective on the segment w = a + λ b (``sa``, ``sb``: Σa, Σb; None:
    not on this segment in a way the short cut can use)."""
    obj = p.objective
    if obj is Objective.MIN_VARIANCE:
        return 0.0
    if obj is Objective.UTILITY:
        return 1.0 / p.gamma
    qa, qb, qc = float(a @ sa), float(a @ sb), float(b @ sb)   # variance A + 2Bλ + Cλ²
    if obj is Objective.MAX_SHARPE:
        excess = mu - p.rf
        pr, qr = float(excess @ a), float(excess @ b)          # excess return p + qλ
        den = qr * qb - pr * qc
        if den == 0.0:
            return None
        lam = (pr * qb - qr * qa) / den
        if not (np.isfinite(lam) and lam >= 0.0 and pr + qr * lam > 0.0):
            return None
        return float(lam)
    # TARGET_VOLATILITY: the larger root of A + 2Bλ + Cλ² = σ*²
    if qc <= 1e-18 * max(qa, 1e-300):
        return None                      # variance flat in λ: the ceiling may not bind
    disc = qb * qb - qc * (qa - p.sigma ** 2)
    if disc < 0.0:
        return None
    lam = (-qb + np.sqrt(disc)) / qc
    if not (np.isfinite(lam) and lam >= 0.0):
        return None
    return float(lam)
