"""The partition step: arrays in, arrays out, no I/O. The same function runs in every engine.

For one partition of n accounts over A assets:

1. score every answer set (``scoring_batch``): tolerance, capacity, combined score, tier,
   investor level;
2. the tier the review aims at: the scored tier, except that an expired assessment may lower
   the risk but never raise it (target = min(scored, in force) when expired);
3. targets: a row of the tier x asset target matrix (optimised once per tier by the caller);
4. the drift screen over accounts x assets: weights = shares x prices / (holdings + cash);
   drift = half the sum of absolute deviations from the target, cash counted as an asset with
   target 0;
5. triggers (``Trigger`` bits): drift above the threshold, a cash flow waiting, a tier change,
   a holding above the investor's level, an expired assessment;
6. trades: the seam ``TradeFunction`` (issue 11's vectorised trade lists plug in here). Without
   one the step proposes no trades; it never invents them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntFlag

import numpy as np

from roboadvisor.domain.scoring_batch import BatchProfiles, ScoringTables, score_batch

DEFAULT_DRIFT_THRESHOLD = 0.03
"""Drift (share of the portfolio) above which an account is rebalanced: 3%."""


class Trigger(IntFlag):
    """Why an account needs action (bits of the ``triggers`` column)."""

    DRIFT = 1
    CASH_FLOW = 2
    TIER_CHANGE = 4
    ABOVE_LEVEL = 8
    EXPIRED = 16


@dataclass(frozen=True, eq=False)
class ModelArrays:
    """What every partition is reviewed against (small; shipped to every worker).

    ``targets``: (5, A) target weights of tiers 1..5, rows sum to 1, universe order.
    ``prices``: (A,) latest prices. ``risk_levels``: (A,) each product's level as the review
    sees it (``domain.review.effective_levels``): a tier k account may hold it when <= k.
    ``as_of_day``: review date, days since 1970-01-01. ``drift_threshold``: a decimal.
    """

    tables: ScoringTables
    targets: np.ndarray
    prices: np.ndarray
    risk_levels: np.ndarray
    as_of_day: int
    drift_threshold: float = DEFAULT_DRIFT_THRESHOLD


@dataclass(frozen=True, eq=False)
class PartitionInputs:
    """One partition's accounts as arrays (row i = the partition's i-th account).

    ``codes``: (n, questions) option indices; ``tier_in_force``: (n,) 1..5; ``cash``: (n,);
    ``expires_day``: (n,) days since 1970-01-01; ``shares``: (n, A); ``pending_flow``: (n,)
    net deposits (+) and withdrawals (-) waiting; ``has_flow``: (n,) any flow waiting.
    """

    codes: np.ndarray
    tier_in_force: np.ndarray
    cash: np.ndarray
    expires_day: np.ndarray
    shares: np.ndarray
    pending_flow: np.ndarray
    has_flow: np.ndarray

    def __len__(self) -> int:
        return len(self.tier_in_force)


@dataclass(frozen=True, eq=False)
class TradeInputs:
    """What a trade function receives: everything it needs, as arrays.

    ``needs_trade``: (n,) accounts to trade (any trigger but EXPIRED alone); ``shares``: (n, A);
    ``cash``: (n,); ``pending_flow``: (n,); ``prices``: (A,); ``targets``: (n, A) the target
    weights each account aims at; ``allowed``: (n, A) products the investor's level permits
    (a held product outside it is sold first, never bought).
    """

    needs_trade: np.ndarray
    shares: np.ndarray
    cash: np.ndarray
    pending_flow: np.ndarray
    prices: np.ndarray
    targets: np.ndarray
    allowed: np.ndarray


@dataclass(frozen=True, eq=False)
class TradeArrays:
    """Orders as rows: ``account`` (m,) row in the partition, ``asset`` (m,) column, ``shares``
    (m,) signed (> 0 buy, < 0 sell), ``reason`` (m,) Trigger bits behind the order."""

    account: np.ndarray
    asset: np.ndarray
    shares: np.ndarray
    reason: np.ndarray


TradeFunction = Callable[[TradeInputs], TradeArrays]
"""The seam for issue 11: a vectorised trade-list function (module-level, so that Dask can
pickle it). ``review_partition(..., trades=fn)`` calls it once per partition."""


@dataclass(frozen=True, eq=False)
class ReviewArrays:
    """The review of each account, arrays of shape (n,) (see ``schema.REVIEW_SCHEMA``)."""

    profiles: BatchProfiles
    target_tier: np.ndarray
    value: np.ndarray
    drift: np.ndarray
    triggers: np.ndarray


@dataclass(frozen=True, eq=False)
class PartitionResult:
    """The review, and the orders when a trade function was given (else None)."""

    review: ReviewArrays
    trades: TradeArrays | None


def review_partition(inputs: PartitionInputs, model: ModelArrays,
                     trades: TradeFunction | None = None) -> PartitionResult:
    """Score, target, screen and (with ``trades``) trade one partition. Pure."""
    profiles = score_batch(model.tables, inputs.codes)
    expired = inputs.expires_day < model.as_of_day
    target_tier = np.where(expired, np.minimum(profiles.tier, inputs.tier_in_force),
                           profiles.tier).astype(np.int8)
    targets = model.targets[target_tier - 1]                                   # (n, A)
    held_value = inputs.shares * model.prices                                  # (n, A)
    value = held_value.sum(axis=1) + inputs.cash
    safe = np.where(value > 0, value, 1.0)
    weights = held_value / safe[:, None]
    cash_weight = np.where(value > 0, inputs.cash / safe, 0.0)
    drift = 0.5 * (np.abs(weights - targets).sum(axis=1) + cash_weight)
    drift = np.where(value > 0, drift, 0.0)
    allowed = model.risk_levels[None, :] <= target_tier[:, None]
    above = ((inputs.shares > 0) & ~allowed).any(axis=1)
    triggers = ((drift > model.drift_threshold) * Trigger.DRIFT
                | inputs.has_flow * Trigger.CASH_FLOW
                | (target_tier != inputs.tier_in_force) * Trigger.TIER_CHANGE
                | above * Trigger.ABOVE_LEVEL
                | expired * Trigger.EXPIRED).astype(np.uint8)
    review = ReviewArrays(profiles, target_tier, value, drift, triggers)
    if trades is None:
        return PartitionResult(review, None)
    needs = (triggers & ~np.uint8(Trigger.EXPIRED)) != 0
    return PartitionResult(review, trades(TradeInputs(
        needs, inputs.shares, inputs.cash, inputs.pending_flow, model.prices, targets,
        allowed)))
