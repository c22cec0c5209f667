"""Tier portfolios with the 1% minimum position: branch and bound against brute force.

Brute force solves the tier's problem once per pattern of held and unheld assets among those
the tier may hold (2^n convex solves; 2^15 for tier 4 in holdings mode), keeps the best, and
compares it with ``optimise`` (branch and bound). Run on demand:

    PYTHONPATH=. python tests/benchmarks/bench_min_position.py [TIER] [portfolio|holdings]
"""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import replace

import numpy as np

from roboadvisor.data.assumptions_file import load_assumptions
from roboadvisor.data.policy_file import load_policies
from roboadvisor.data.universe_file import load_universe
from roboadvisor.domain import qp
from roboadvisor.domain.constraints import portfolio_constraints
from roboadvisor.domain.min_position import objective_value
from roboadvisor.domain.models import Tier
from roboadvisor.domain.optimizer import clean_weights, optimise, solve_problem


def main() -> None:
    tier = Tier(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
    mode = sys.argv[2] if len(sys.argv) > 2 else None
    universe = load_universe()
    est = load_assumptions(universe)
    policy = load_policies(None, universe, mode)[tier]
    c = portfolio_constraints(universe, policy)
    m = policy.min_position
    start = time.perf_counter()
    exact = optimise(est, policy, universe)
    t_exact = time.perf_counter() - start
    free = np.flatnonzero(c.upper > 0)
    p0 = qp.Problem(policy.objective, est.expected_returns, est.covariance, c,
                    est.risk_free_rate, gamma=policy.risk_aversion or 0.0,
                    sigma=policy.target_volatility or 0.0)
    best, best_w, solves = -np.inf, None, 0
    start = time.perf_counter()
    for held in itertools.product((False, True), repeat=free.size):
        mask = np.zeros(len(universe), dtype=bool)
        mask[free[list(held)]] = True
        lower = np.where(mask, np.maximum(c.lower, m), 0.0)
        upper = np.where(mask, c.upper, 0.0)
        if not mask.any() or (lower > upper).any() or upper.sum() < 1 or lower.sum() > 1:
            continue
        cc = replace(c, lower=lower, upper=upper)
        solves += 1
        w = solve_problem(replace(p0, constraints=cc))
        if w is None:
            continue
        w = clean_weights(w, cc)
        value = objective_value(p0, w)
        if value > best:
            best, best_w = value, w
    t_brute = time.perf_counter() - start
    assert best_w is not None
    print(f"tier {tier.value}: {free.size} assets, {solves} brute-force solves in "
          f"{t_brute:.1f} s; branch and bound {1000 * t_exact:.1f} ms")
    print(f"objective: exact {objective_value(p0, exact.weights):.10f}, brute force "
          f"{best:.10f}; largest weight difference {np.abs(exact.weights - best_w).max():.2e}")
    for t, a, b in zip(universe.tickers, exact.weights, best_w, strict=True):
        if a > 1e-6 or b > 1e-6:
            print(f"  {t:5s} {100 * a:7.3f}% {100 * b:7.3f}%")


if __name__ == "__main__":
    main()
