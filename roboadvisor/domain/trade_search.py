"""Exact whole-share trade search: branch and bound over each asset's candidate trades.

The trade-list programme (``trade_list``) is separable: with net trade d_i (whole shares, buy
> 0) the objective is ``sum_i phi_i(d_i)`` and the only coupling is the cash constraint
``sum_i q_i(d_i) <= budget`` (q = cash used, negative for a sale). HiGHS solves it exactly but
spends hundreds of milliseconds in its root node on 17 assets; this search proves the same
optimum in about a millisecond on such accounts:

- Candidates per asset: 0, the buys from the smallest allowed order up to the first share past
  the target (more never lowers the objective: it removes no deviation and costs money), the
  sales from the smallest allowed order up to all shares held (a reserve or withdrawal may need
  sales past the target); a forced sale has one candidate, everything.
- Bound: for any multiplier mu >= 0, the Lagrangian ``sum_i min_d (phi_i + mu q_i) - mu budget``
  bounds the rest of the assets from below; mu is the dual optimum at the root (bisection on
  the concave dual). At a node the bound is the partial objective plus the remaining assets'
  Lagrangian minima minus mu times the cash left. Candidates are tried in increasing
  ``phi + mu q``, so the first that cannot beat the incumbent ends the loop (the bound only
  grows along the list); equal keys in a fixed order (``_tie_order``). Cash feasibility
  prunes with the most cash the rest could raise.
- Ties and near-subset-sums: without costs, buys up to the target are worth exactly their
  value and sales down to it cost nothing, so the best lists are whole-share sums as close to
  the cash as possible; the Lagrangian bound cannot tell them apart and the search would
  enumerate them. After ``_QUICK_NODES`` nodes the meet-in-the-middle Pareto programme
  (``split_pareto_trades``) proves the optimum instead, in milliseconds.
- A limit reached (nodes, or frontier states; counts, never time) returns None; the caller
  then asks HiGHS.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

_QUICK_NODES = 1_000       # the branch and bound first, then the split Pareto programme
_FRONTIER_CAP = 200_000    # states of one half's frontier (memory: a few times 8 x this)
_GRID = np.concatenate([[0.0], np.geomspace(1e-4, 1e3, 22)])   # first multipliers tried


@dataclass(frozen=True, eq=False)
class Candidates:
    """Per asset: candidate net trades ``d`` with objective ``phi`` and cash used ``q``."""

    d: tuple[np.ndarray, ...]
    phi: tuple[np.ndarray, ...]
    q: tuple[np.ndarray, ...]


def best_trades(cands: Candidates, budget: float, *, tol: float = 0.0,
                node_limit: int = 200_000) -> tuple[np.ndarray | None, bool]:
    """(net trades, finished): the candidate choice minimising sum phi with sum q <= budget.

    The branch and bound (``search_trades``) first, for ``_QUICK_NODES`` nodes: it proves
    most accounts' optimum in a few hundred. If not, its best choice is the incumbent of the
    meet-in-the-middle Pareto programme (``split_pareto_trades``), which proves the rest,
    the subset-sum-like accounts, in milliseconds; only if a half's frontier passes
    ``_FRONTIER_CAP`` does the search go on to ``node_limit`` (then the caller asks HiGHS).
    Every limit is a count, so the choice is the same on any machine.
    """
    n = len(cands.d)
    fixed = [i for i in range(n) if cands.d[i].size == 1]
    if fixed:  # one candidate: a constant, left out of the search
        out = np.zeros(n)
        for i in fixed:
            out[i] = cands.d[i][0]
        active = [i for i in range(n) if cands.d[i].size > 1]
        rest = budget - sum(float(cands.q[i][0]) for i in fixed)
        if not active:
            feasible = rest >= -1e-9 * max(1.0, abs(budget))
            return (out if feasible else None), True
        sub = Candidates(tuple(cands.d[i] for i in active), tuple(cands.phi[i] for i in active),
                         tuple(cands.q[i] for i in active))
        found, finished = best_trades(sub, rest, tol=tol, node_limit=node_limit)
        if found is None:
            return None, finished
        out[active] = found
        return out, True
    mu = _dual_multiplier(cands, budget)
    first, finished, incumbent = search_trades(cands, budget, tol=tol, node_limit=_QUICK_NODES,
                                               mu=mu)
    if finished:
        return first, True
    found, finished, value = split_pareto_trades(cands, budget, incumbent, cap=_FRONTIER_CAP,
                                                 mu=mu)
    if finished:  # (the incumbent when nothing beat it)
        return (found if value < incumbent else first), True
    found, finished, _ = search_trades(cands, budget, tol=tol, node_limit=node_limit, mu=mu)
    return (found if finished else None), finished


def pareto_trades(cands: Candidates, budget: float,
                  incumbent: float = np.inf) -> np.ndarray | None:
    """Exact dynamic programme over assets keeping the Pareto frontier of (cash used,
    objective): a partial choice is dropped when another uses no more cash for no more
    objective, when even the most cash the remaining assets could raise cannot bring it
    within the budget, or when the Lagrangian bound of the rest says it cannot beat
    ``incumbent`` (a known objective). Cost grows with the frontier, at most the number of
    combinations."""
    return split_pareto_trades(cands, budget, incumbent, halves=1)[0]


def split_pareto_trades(cands: Candidates, budget: float, incumbent: float = np.inf, *,
                        halves: int = 2, cap: int | None = None, mu: float | None = None
                        ) -> tuple[np.ndarray | None, bool, float]:
    """Meet in the middle: the Pareto frontier of (cash used, objective) of each half of the
    assets (see ``pareto_trades``), then for every choice of the first half the best of the
    second that fits the cash left (on a frontier sorted by cash the objective falls, so it is
    the last that fits: one binary search). Exact; it costs about the square root of the one
    frontier of all assets, which is what the subset-sum-like accounts need (a deposit with
    no costs: the bound cannot prune ties of whole-share sums near the budget).

    Returns (choice, finished, its objective) like ``search_trades``: (None, True, inf) when
    no choice fits the budget and beats ``incumbent``, (None, False, inf) when a frontier
    would grow past ``cap`` states (a count, not a time: the result never depends on the
    machine). Among choices of equal objective: the first half's that uses the least cash."""
    n = len(cands.d)
    slack = 1e-9 * max(1.0, abs(budget))
    mu = _dual_multiplier(cands, budget) if mu is None else mu
    min_q = np.array([q.min() for q in cands.q])
    min_lag = np.array([(phi + mu * q).min() for phi, q in zip(cands.phi, cands.q,
                                                                 strict=True)])
    groups = _split(cands, halves)
    fronts = []
    for g, group in enumerate(groups):
        others = [i for h, other in enumerate(groups) if h != g for i in other]
        fronts.append(_frontier(cands, group, budget, float(min_q[others].sum()),
                                float(min_lag[others].sum()), min_q, min_lag, mu,
                                incumbent, slack, cap))
    if any(f is None for f in fronts):
        return None, False, np.inf
    if any(f[0].size == 0 for f in fronts):
        return None, True, np.inf
    if len(fronts) == 1:
        _, obj, _, _ = fronts[0]
        k_all = [int(np.argmin(obj))]
        best = float(obj[k_all[0]])
    else:
        (c1, o1, _, _), (c2, o2, _, _) = fronts
        limit = budget + slack
        j = np.searchsorted(c2, limit - c1, side="right") - 1
        for _ in range(2):  # rounding: the last j with c1 + c2[j] <= limit, summed that way
            up = np.minimum(j + 1, c2.size - 1)
            j = np.where((j + 1 < c2.size) & (c1 + c2[up] <= limit), j + 1, j)
            j = np.where((j >= 0) & (c1 + c2[np.maximum(j, 0)] > limit), j - 1, j)
        ok = j >= 0
        if not ok.any():
            return None, True, np.inf
        total = np.where(ok, o1 + o2[np.maximum(j, 0)], np.inf)
        k1 = int(np.argmin(total))
        k_all = [k1, int(j[k1])]
        best = float(total[k1])
    out = np.zeros(n)
    for group, front, k in zip(groups, fronts, k_all, strict=True):
        _, _, parents, picks = front
        for level in range(len(group) - 1, -1, -1):
            i = group[level]
            out[i] = cands.d[i][picks[level][k]]
            k = int(parents[level][k])
    return out, True, best


def _split(cands: Candidates, halves: int) -> list[list[int]]:
    """The assets in ``halves`` groups (1 or 2) of about equal numbers of combinations,
    largest assets first, each group in asset order."""
    n = len(cands.d)
    if halves == 1:
        return [list(range(n))]
    logs = np.log([d.size for d in cands.d])
    groups: list[list[int]] = [[], []]
    weight = [0.0, 0.0]
    for i in np.argsort(-logs, kind="stable"):
        g = 0 if weight[0] <= weight[1] else 1
        groups[g].append(int(i))
        weight[g] += float(logs[i])
    return [sorted(g) for g in groups if g]


def _frontier(cands: Candidates, group: list[int], budget: float, other_q: float,
              other_lag: float, min_q: np.ndarray, min_lag: np.ndarray, mu: float,
              incumbent: float, slack: float, cap: int | None):
    """Pareto frontier of the assets of ``group`` (cash ascending, objective strictly
    falling), with the parents and picks to recover each choice; None beyond ``cap``."""
    rest_q = np.concatenate([np.cumsum(min_q[group][::-1])[::-1][1:], [0.0]]) + other_q
    rest_lag = np.concatenate([np.cumsum(min_lag[group][::-1])[::-1][1:], [0.0]]) + other_lag
    margin = 1e-9 * max(1.0, abs(incumbent)) if np.isfinite(incumbent) else 0.0
    cash = np.zeros(1)
    obj = np.zeros(1)
    parents: list[np.ndarray] = []
    picks: list[np.ndarray] = []
    for level, i in enumerate(group):
        q, phi = cands.q[i], cands.phi[i]
        if cap is not None and cash.size * q.size > 8 * cap:
            return None
        new_cash = (cash[:, None] + q[None, :]).ravel()
        new_obj = (obj[:, None] + phi[None, :]).ravel()
        keep = new_cash + rest_q[level] <= budget + slack
        if np.isfinite(incumbent):
            keep &= (new_obj + rest_lag[level] - mu * (budget - new_cash)
                     < incumbent + margin)
        idx = np.flatnonzero(keep)
        order = idx[np.lexsort((new_obj[idx], new_cash[idx]))]
        o = new_obj[order]
        best_before = np.minimum.accumulate(np.concatenate([[np.inf], o[:-1]]))
        order = order[o < best_before]
        if cap is not None and order.size > cap:
            return None
        parents.append(order // q.size)
        picks.append(order % q.size)
        cash, obj = new_cash[order], new_obj[order]
    return cash, obj, parents, picks


def search_trades(cands: Candidates, budget: float, *, tol: float = 0.0,
                  node_limit: int = 200_000, mu: float | None = None
                  ) -> tuple[np.ndarray | None, bool, float]:
    """Branch and bound (see the module docstring): (choice, finished, best objective).

    Returns (None, True, inf) when no choice is feasible and (the best choice found or None,
    False, its objective) when the node limit was reached. ``tol`` (objective units) is how
    much better than the incumbent a branch must be able to get to be explored (0: exact up
    to floating point). Ties: ``_tie_order``. ``mu``: the multiplier of the bound (default:
    ``_dual_multiplier``).
    """
    n = len(cands.d)
    slack = 1e-9 * max(1.0, abs(budget))
    if n == 0:
        fits = budget >= -slack
        return (np.zeros(0) if fits else None), True, (0.0 if fits else np.inf)
    mu = _dual_multiplier(cands, budget) if mu is None else mu
    # all assets' candidates in flat arrays: levels (widest key range first), each sorted
    sizes = np.array([d.size for d in cands.d])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat_d, flat_phi, flat_q = (np.concatenate(x) for x in (cands.d, cands.phi, cands.q))
    flat_key = flat_phi + mu * flat_q
    spread = np.maximum.reduceat(flat_key, starts) - np.minimum.reduceat(flat_key, starts)
    order_assets = np.argsort(-spread, kind="stable")
    level_of = np.empty(n, dtype=np.int64)
    level_of[order_assets] = np.arange(n)
    o = _tie_order(flat_key, flat_q, np.repeat(level_of, sizes))
    bounds = np.concatenate([[0], np.cumsum(sizes[order_assets])]).tolist()
    cuts = list(pairwise(bounds))
    all_d, all_phi = flat_d[o], flat_phi[o].tolist()
    all_q, all_lag = flat_q[o], flat_key[o].tolist()
    ds = [all_d[a:b] for a, b in cuts]
    phis = [all_phi[a:b] for a, b in cuts]
    lag = [all_lag[a:b] for a, b in cuts]
    min_lag = np.array([row[0] for row in lag])
    min_q = np.minimum.reduceat(all_q, bounds[:-1])
    all_q_list = all_q.tolist()
    qs = [all_q_list[a:b] for a, b in cuts]
    suffix_lag = np.concatenate([np.cumsum(min_lag[::-1])[::-1], [0.0]]).tolist()
    suffix_q = np.concatenate([np.cumsum(min_q[::-1])[::-1], [0.0]]).tolist()
    best = np.inf
    best_choice: list[int] = []
    choice = [0] * n
    nodes = 0
    last = n - 1
    cap = budget + slack

    def dfs(level: int, obj: float, cash: float) -> bool:
        """Explore the choices of ``level`` onwards; False when the node limit is reached.
        (Locals instead of attribute and list lookups: a book rebalance visits 460,000
        nodes; the arithmetic and the order of every comparison are as written.)"""
        nonlocal best, best_choice, nodes
        nodes += 1
        if nodes > node_limit:
            return False
        base = obj + suffix_lag[level + 1] - mu * (budget - cash)
        rest_q = suffix_q[level + 1]
        limit = best - tol
        phi_l, q_l, lag_l = phis[level], qs[level], lag[level]
        if level == last:  # the leaves, kept when better (inline: no call per leaf)
            for k in range(len(lag_l)):
                if base + lag_l[k] >= limit:
                    break
                if cash + q_l[k] + rest_q > cap:
                    continue
                if obj + phi_l[k] < best:
                    best = obj + phi_l[k]
                    limit = best - tol
                    choice[level] = k
                    best_choice = choice.copy()
            return True
        for k in range(len(lag_l)):
            if base + lag_l[k] >= limit:
                break
            q = q_l[k]
            if cash + q + rest_q > cap:
                continue
            choice[level] = k
            if not dfs(level + 1, obj + phi_l[k], cash + q):
                return False
            limit = best - tol
        return True

    finished = dfs(0, 0.0, 0.0)
    if not np.isfinite(best):
        return None, finished, best
    out = np.zeros(n)
    for level, i in enumerate(order_assets):
        out[i] = ds[level][best_choice[level]]
    return out, finished, best


def _tie_order(keyed: np.ndarray, q: np.ndarray, level: np.ndarray) -> np.ndarray:
    """The order candidates are tried in: by ``level`` (the asset's place in the search),
    then within an asset increasing ``phi + mu q`` (so the first
    that cannot beat the incumbent ends the loop), and among equal keys the one that uses
    more cash first, i.e. the smaller sale (or the larger buy). Without costs many
    candidates tie exactly (every sale down to the target costs nothing, see
    ``trade_list._under_target_change``); a fixed order makes the first optimum found, the
    one kept, the same on every run, and with ``<`` against the incumbent a tie never
    reopens a branch."""
    return np.lexsort((-q, keyed, level))


def _dual_multiplier(cands: Candidates, budget: float) -> float:
    """A mu >= 0 near the maximum of the concave Lagrangian dual (any mu >= 0 gives a valid
    bound; a better one prunes more): the best of a geometric grid, refined twice."""
    phi = np.concatenate(cands.phi)
    q = np.concatenate(cands.q)
    starts = np.cumsum([0] + [x.size for x in cands.phi[:-1]])

    def dual(mus: np.ndarray) -> np.ndarray:
        keyed = phi[:, None] + q[:, None] * mus[None, :]
        return np.minimum.reduceat(keyed, starts, axis=0).sum(axis=0) - mus * budget

    grid = _GRID
    for _ in range(2):
        values = dual(grid)
        k = int(np.argmax(values))
        lo = grid[max(k - 1, 0)]
        hi = grid[min(k + 1, grid.size - 1)]
        if hi <= lo:
            break
        grid = np.linspace(lo, hi, 12)
    return float(grid[int(np.argmax(dual(grid)))])
