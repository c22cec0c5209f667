"""The box-and-budget short cut (domain/box_qp.py) against Clarabel on the same problem."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from roboadvisor.domain import box_qp, qp
from roboadvisor.domain.constraints import GroupBound, PortfolioConstraints
from roboadvisor.domain.policy import Objective


def problem(n: int, seed: int, objective: Objective, cap: float = 0.25,
            lower: float = 0.0) -> qp.Problem:
    rng = np.random.default_rng(seed)
    load = rng.normal(0, 1, (n, 3)) * 0.1
    cov = load @ load.T + np.diag(rng.uniform(0.01, 0.06, n))
    mu = rng.normal(0.06, 0.03, n)
    c = PortfolioConstraints(tuple(f"A{i}" for i in range(n)), np.full(n, lower),
                             np.full(n, cap), (), (), "test")
    p = qp.Problem(objective, mu, cov, c, rf=0.01, gamma=3.0)
    if objective is Objective.TARGET_VOLATILITY:  # a ceiling between the least and most risky
        ends = [qp.solve(replace(p, objective=o, gamma=1e-6)).weights
                for o in (Objective.MIN_VARIANCE, Objective.UTILITY)]
        vols = [float(np.sqrt(w @ cov @ w)) for w in ends if w is not None]
        p = replace(p, sigma=0.6 * vols[0] + 0.4 * vols[1])
    return p


def value(p: qp.Problem, w: np.ndarray) -> float:
    """The objective, to be minimised (max Sharpe as minus the Sharpe ratio)."""
    var = float(w @ p.cov @ w)
    if p.objective is Objective.MIN_VARIANCE:
        return var
    if p.objective is Objective.UTILITY:
        return p.gamma / 2 * var - float(p.mu @ w)
    if p.objective is Objective.MAX_SHARPE:
        return -(float(p.mu @ w) - p.rf) / np.sqrt(var)
    return -float(p.mu @ w)


def feasible(p: qp.Problem, w: np.ndarray, tol: float = 1e-10) -> bool:
    c = p.constraints
    ok = abs(w.sum() - 1) < tol and bool(np.all(w >= c.lower - tol) and np.all(w <= c.upper + tol))
    if p.objective is Objective.TARGET_VOLATILITY:
        ok = ok and float(np.sqrt(w @ p.cov @ w)) <= p.sigma + tol
    return ok


@pytest.mark.parametrize("objective", list(Objective))
@pytest.mark.parametrize(("n", "cap", "lower"), [(8, 0.3, 0.0), (40, 0.25, 0.0),
                                                 (120, 0.05, 0.0), (30, 0.2, 0.01)])
def test_agrees_with_clarabel_and_is_at_least_as_good(objective: Objective, n: int, cap: float,
                                                      lower: float) -> None:
    for seed in range(3):
        box_qp._hints.clear()
        p = problem(n, seed, objective, cap, lower)
        ref = qp.solve(p)
        ours = box_qp.solve(p)
        if ours is None:  # allowed (the caller falls back), but not on these plain problems
            pytest.fail(f"short cut gave up on seed {seed}")
        assert ref.weights is not None
        assert feasible(p, ours)
        # exact: no worse than the interior-point answer, and the same portfolio
        assert value(p, ours) <= value(p, ref.weights) + 1e-10
        np.testing.assert_allclose(ours, ref.weights, atol=1e-5)


def test_a_stale_warm_start_does_not_change_the_answer() -> None:
    box_qp._hints.clear()
    p = problem(60, 1, Objective.MAX_SHARPE, cap=0.3)
    first = box_qp.solve(p)
    tighter = replace(p, constraints=replace(p.constraints, upper=np.full(60, 0.04)))
    warm = box_qp.solve(tighter)          # starts from the first problem's active set
    box_qp._hints.clear()
    cold = box_qp.solve(tighter)
    assert first is not None and warm is not None and cold is not None
    np.testing.assert_allclose(warm, cold, atol=1e-12)
    assert warm.max() <= 0.04 + 1e-12


def test_fixed_weights_and_corner_solutions() -> None:
    p = problem(10, 3, Objective.UTILITY, cap=0.25)
    c = p.constraints
    lower, upper = c.lower.copy(), c.upper.copy()
    lower[2] = upper[2] = 0.1                  # a fixed asset
    p = replace(p, gamma=1e-3, constraints=replace(c, lower=lower, upper=upper))
    w = box_qp.solve(p)                        # nearly an LP: a corner of the box
    ref = qp.solve(p).weights
    assert w is not None and ref is not None
    assert w[2] == pytest.approx(0.1, abs=1e-12)
    assert value(p, w) <= value(p, ref) + 1e-10


def test_other_constraints_and_unreachable_targets_go_the_general_way() -> None:
    p = problem(10, 0, Objective.MIN_VARIANCE)
    group = GroupBound("class", "x", (True,) * 5 + (False,) * 5, 0.0, 0.4)
    assert box_qp.solve(replace(p, constraints=replace(p.constraints, groups=(group,)))) is None
    assert box_qp.solve(replace(p, min_return=0.05)) is None
    low = replace(p, objective=Objective.TARGET_VOLATILITY, sigma=0.01)   # below min variance
    assert box_qp.solve(low) is None and qp.solve(low).status is qp.Status.INFEASIBLE
    loser = replace(p, objective=Objective.MAX_SHARPE, rf=1.0)            # nothing beats rf
    assert box_qp.solve(loser) is None


@pytest.mark.parametrize("objective", [Objective.MAX_SHARPE, Objective.TARGET_VOLATILITY])
@pytest.mark.parametrize("n", [8, 25, 60])
def test_the_first_guess_changes_only_the_speed(objective: Objective, n: int) -> None:
    """A cold solve starts from a guessed active set (``_first_guess``); wherever the start
    from all assets free settles, the solve gives the same weights."""
    for seed in range(12):
        p = problem(n, seed, objective)
        lo, hi = np.asarray(p.constraints.lower, float), np.asarray(p.constraints.upper, float)
        plain = box_qp._active_set(np.asarray(p.cov, float), np.asarray(p.mu, float), lo, hi,
                                   box_qp._initial_state(lo, hi, None), p)
        box_qp.forget_warm_starts()
        guessed = box_qp.solve(p)
        if plain is not None:
            assert guessed is not None
            np.testing.assert_allclose(guessed, plain[0], atol=1e-10)
        if guessed is not None:
            assert feasible(p, guessed)
