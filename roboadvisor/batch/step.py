"""The partition step: arrays in, arrays out, no I/O. The same function runs in every engine.

For one partition of n accounts over A assets:

1. score every answer set (``scoring_batch``): tolerance, capacity, combined score, tier,
   investor level; a lowest-category investor (C1-lowest: the questionnaire's
   ``lowest_category`` answers) is of tier 1 whatever the scores, as ``book assess`` stores it;
2. the tier the review aims at (``account review``'s rule, ``services.book_daily.review_of``):
   the tier in force when it is the client's own choice above the assessed one
   (``above_level``: the review does not follow the assessment), unless the client is now of
   the lowest category (tier 1 only, even on request); else the scored tier,
   except that an expired assessment (expired from its ``expires_on`` day on) may lower the
   risk but never raise it (target = min(scored, in force) when expired);
3. targets: a row of the tier x asset target matrix (optimised once per tier by the caller,
   or a published model version's); a lowest-category account aiming at tier 1 aims at the
   lowest category's R1-only portfolio (the version's own, else tier 1's R1 products
   rescaled: ``services.book_daily.Context.lowest_weights``), and every lowest-category
   account is judged by the products' own R-levels, as in ``account review``;
4. the drift screen over accounts x assets (``trade_list.account_drift``, the review's
   formula): half the sum of absolute deviations from the target, cash counted as an asset
   with target 0;
5. triggers: the review's own (``domain.review.Trigger``), one bit each (``trigger_bit``):
   drift above the threshold, a cash flow waiting, a tier change, holdings above the level, an
   expired assessment (the rule, calendar and model-version triggers need facts a parquet book
   does not carry and never fire here);
6. trades: the seam ``TradeFunction`` (``batch.trades``: the vectorised trade lists, or the
   exact per-account path). Without one the step proposes no trades; it never invents them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from roboadvisor.domain.review import Trigger
from roboadvisor.domain.scoring_batch import BatchProfiles, ScoringTables, score_batch
from roboadvisor.domain.trade_list import TradeRules, account_drift

DEFAULT_DRIFT_THRESHOLD = 0.03
"""Drift (share of the portfolio) above which an account is rebalanced: 3%."""
DEFAULT_RULES = TradeRules()
"""The trading rules of ``account rebalance`` by default (no reserve, minimum trade 50)."""

TRIGGERS = tuple(Trigger)
"""Bit i of a ``triggers`` column is ``TRIGGERS[i]`` (the review's triggers, in their order)."""
if len(TRIGGERS) > 8:
    raise ImportError("the review has more triggers than a uint8 column holds")
BATCH_TRIGGERS = (Trigger.DRIFT, Trigger.CASH_FLOW, Trigger.TIER_CHANGE,
                  Trigger.UNSUITABLE_HOLDINGS, Trigger.ASSESSMENT_EXPIRED)
"""The triggers a book run can fire (the summary counts these)."""


def trigger_bit(trigger: Trigger) -> np.uint8:
    """The bit of ``trigger`` in a ``triggers`` column."""
    return np.uint8(1 << TRIGGERS.index(trigger))


def triggers_of(bits: int) -> tuple[Trigger, ...]:
    """The triggers set in one ``triggers`` value."""
    return tuple(t for i, t in enumerate(TRIGGERS) if int(bits) >> i & 1)


REBALANCING_BITS = np.uint8(sum(int(trigger_bit(t)) for t in TRIGGERS if t.rebalances))
"""Triggers that call for a full rebalance (``Trigger.rebalances``)."""
ACTION_BITS = np.uint8(REBALANCING_BITS | trigger_bit(Trigger.CASH_FLOW))
"""Triggers that call for a trade list (an expired assessment alone trades nothing)."""

LowestRule = tuple[tuple[int, np.ndarray], ...]
"""The lowest category as (question index, mask over its options) conditions, all of which
must hold (``Questionnaire.lowest_category``); empty: the questionnaire has none."""


def lowest_rule(questionnaire: object) -> LowestRule:
    """``questionnaire.lowest_category`` as masks over the answer codes."""
    ids = list(questionnaire.question_ids)  # type: ignore[attr-defined]
    out = []
    for qid, options in questionnaire.lowest_category:  # type: ignore[attr-defined]
        j = ids.index(qid)
        names = questionnaire.questions[j].option_ids  # type: ignore[attr-defined]
        out.append((j, np.array([o in options for o in names])))
    return tuple(out)


def is_lowest(rule: LowestRule, codes: np.ndarray) -> np.ndarray:
    """(n,) True for the answer sets of the lowest category (all conditions hold)."""
    codes = np.asarray(codes)
    if not rule:
        return np.zeros(len(codes), dtype=bool)
    out = np.ones(len(codes), dtype=bool)
    for j, mask in rule:
        out &= mask[codes[:, j]]
    return out


@dataclass(frozen=True, eq=False)
class ModelArrays:
    """What every account is drawn (``synth``) and reviewed against (small; shipped to every
    worker).

    ``targets``: (5, A) target weights of tiers 1..5, rows sum to 1, universe order.
    ``prices``: (A,) latest prices. ``risk_levels``: (A,) each product's level as the review
    sees it (``domain.review.effective_levels``): a tier k account may hold it when <= k.
    ``as_of_day``: review date, days since 1970-01-01. ``drift_threshold``: a decimal.
    ``lowest``: the lowest-category rule; ``lowest_targets`` (A,) the weights such an account
    aims at in tier 1 and ``own_levels`` (A,) the products' own R-levels it is judged by
    (None: no lowest category). ``rules``: the trading rules of every account (reserve,
    minimum trade).
    """

    tables: ScoringTables
    targets: np.ndarray
    prices: np.ndarray
    risk_levels: np.ndarray
    as_of_day: int
    drift_threshold: float = DEFAULT_DRIFT_THRESHOLD
    lowest: LowestRule = ()
    lowest_targets: np.ndarray | None = None
    own_levels: np.ndarray | None = None
    rules: TradeRules = DEFAULT_RULES
    expiry_months: int = 12
    """How long an assessment is valid (the questionnaire's ``expiry_months``; ``synth``)."""


def investor_tiers(model: ModelArrays, codes: np.ndarray
                   ) -> tuple[BatchProfiles, np.ndarray, np.ndarray]:
    """(profiles, tier, lowest): the scores, the investor's tier (1 for the lowest category,
    else the scored tier) and the lowest-category flags."""
    profiles = score_batch(model.tables, codes)
    lowest = is_lowest(model.lowest, codes)
    return profiles, np.where(lowest, 1, profiles.tier).astype(np.int8), lowest


@dataclass(frozen=True, eq=False)
class PartitionInputs:
    """One partition's accounts as arrays (row i = the partition's i-th account).

    ``codes``: (n, questions) option indices; ``tier_in_force``: (n,) 1..5; ``cash``: (n,);
    ``expires_day``: (n,) days since 1970-01-01, the first day the assessment is expired;
    ``shares``: (n, A); ``pending_flow``: (n,) net deposits (+) and withdrawals (-) waiting;
    ``has_flow``: (n,) any flow waiting; ``above_level``: (n,) the tier in force is the
    client's own choice above the assessed one (None: no such account).
    """

    codes: np.ndarray
    tier_in_force: np.ndarray
    cash: np.ndarray
    expires_day: np.ndarray
    shares: np.ndarray
    pending_flow: np.ndarray
    has_flow: np.ndarray
    above_level: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.tier_in_force)


@dataclass(frozen=True, eq=False)
class TradeInputs:
    """What a trade function receives: everything it needs, as arrays.

    ``needs_trade``: (n,) accounts to trade (``ACTION_BITS``: any trigger but an expired
    assessment alone); ``rebalance``: (n,) a trigger calls for a full rebalance (else a cash
    flow alone: its own side first); ``triggers``: (n,) the bits; ``shares``: (n, A);
    ``cash``: (n,); ``pending_flow``: (n,); ``prices``: (A,); ``targets``: (n, A) the target
    weights each account aims at; ``allowed``: (n, A) products the investor's level permits
    (a held product outside it is sold first, never bought); ``drift_threshold`` and
    ``rules`` as in ``ModelArrays``.
    """

    needs_trade: np.ndarray
    shares: np.ndarray
    cash: np.ndarray
    pending_flow: np.ndarray
    prices: np.ndarray
    targets: np.ndarray
    allowed: np.ndarray
    rebalance: np.ndarray | None = None
    triggers: np.ndarray | None = None
    drift_threshold: float = DEFAULT_DRIFT_THRESHOLD
    rules: TradeRules = DEFAULT_RULES


@dataclass(frozen=True, eq=False)
class TradeArrays:
    """Orders as rows: ``account`` (m,) row in the partition, ``asset`` (m,) column, ``shares``
    (m,) signed (> 0 buy, < 0 sell), ``reason`` (m,) the account's trigger bits behind the
    order (``trigger_bit``)."""

    account: np.ndarray
    asset: np.ndarray
    shares: np.ndarray
    reason: np.ndarray


TradeFunction = Callable[[TradeInputs], TradeArrays]
"""The trade seam: a trade-list function over a partition (module-level, so that Dask can
pickle it; ``batch.trades`` has the vectorised and the exact one).
``review_partition(..., trades=fn)`` calls it once per partition."""


@dataclass(frozen=True, eq=False)
class ReviewArrays:
    """The review of each account, arrays of shape (n,) (see ``schema.REVIEW_SCHEMA``)."""

    profiles: BatchProfiles
    target_tier: np.ndarray
    value: np.ndarray
    drift: np.ndarray
    triggers: np.ndarray
    level: np.ndarray
    """The investor level k of Ck (the scored tier; 1 for the lowest category)."""


@dataclass(frozen=True, eq=False)
class PartitionResult:
    """The review, and the orders when a trade function was given (else None)."""

    review: ReviewArrays
    trades: TradeArrays | None


def review_partition(inputs: PartitionInputs, model: ModelArrays,
                     trades: TradeFunction | None = None) -> PartitionResult:
    """Score, target, screen and (with ``trades``) trade one partition. Pure."""
    profiles, tier, lowest = investor_tiers(model, inputs.codes)
    expired = inputs.expires_day <= model.as_of_day   # the book's rule: now >= expires_at
    in_force = inputs.tier_in_force
    target_tier = np.where(expired, np.minimum(tier, in_force), tier)
    if inputs.above_level is not None:
        # a lowest-category client may hold tier 1 only, whatever was chosen before
        target_tier = np.where(inputs.above_level & ~lowest, in_force, target_tier)
    target_tier = target_tier.astype(np.int8)
    targets = model.targets[target_tier - 1]                                   # (n, A)
    levels = np.broadcast_to(model.risk_levels, inputs.shares.shape)
    if lowest.any() and model.lowest_targets is not None and model.own_levels is not None:
        own = (lowest & (target_tier == 1))[:, None]
        targets = np.where(own, model.lowest_targets, targets)
        levels = np.where(lowest[:, None], model.own_levels, levels)
    drift = account_drift(inputs.shares, model.prices, inputs.cash, targets)
    # row sums, not a matrix product: BLAS threads would change the last bits by engine
    value = (inputs.shares * model.prices).sum(axis=1) + inputs.cash
    allowed = levels <= target_tier[:, None]
    above = ((inputs.shares > 0) & ~allowed).any(axis=1)
    bit = trigger_bit
    triggers = ((drift > model.drift_threshold) * bit(Trigger.DRIFT)
                | (inputs.pending_flow != 0) * bit(Trigger.CASH_FLOW)
                | (target_tier != inputs.tier_in_force) * bit(Trigger.TIER_CHANGE)
                | above * bit(Trigger.UNSUITABLE_HOLDINGS)
                | expired * bit(Trigger.ASSESSMENT_EXPIRED)).astype(np.uint8)
    review = ReviewArrays(profiles, target_tier, value, drift, triggers, tier)
    if trades is None:
        return PartitionResult(review, None)
    return PartitionResult(review, trades(TradeInputs(
        (triggers & ACTION_BITS) != 0, inputs.shares, inputs.cash, inputs.pending_flow,
        model.prices, targets, allowed, (triggers & REBALANCING_BITS) != 0, triggers,
        model.drift_threshold, model.rules)))
