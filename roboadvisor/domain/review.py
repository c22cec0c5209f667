"""Reviewing an account: where it stands against its target and which triggers fire.

Pure numpy, plain values in (arrays and the facts a book knows about the account), a frozen
``Review`` out with codes and numbers (texts: ``reports/messages/trading.yaml``).

- Current weights: shares x prices over the account value (holdings plus cash).
- The target: the model weights of the tier in force; the account's target weights are the
  tier's weights times (V - reserve) / V, and the reserve's share in cash.
- Drift: half the sum of absolute deviations, cash included (``trade_list.account_drift``),
  and per asset (signed, weight minus target weight).
- Triggers (``Trigger``): drift above the account's threshold (default 3%); the account's
  rebalancing rule (bands such as 5/25, or a drift rule: ``rebalancing.RebalanceRule``, the
  same code as the backtests, on the invested weights); a scheduled (calendar) date; a new
  model version; a pending deposit or withdrawal; a tier change (new assessment or client
  choice); holdings the client's level no longer allows; an expired assessment (a review may
  lower the tier but never raise it: a raise is held back and says so).

``plan_trades`` turns a review into a trade list, cash flows first: a flow alone buys or sells
towards target (``TradeMode.BUY_ONLY``/``SELL_ONLY``); if the account's rule or threshold still
fires afterwards, the day does a full rebalance instead (one trade list, not two). ``screen``
is the vectorised first pass over a book: drift and rule per account, so that accounts inside
their bands cost one row of array arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from roboadvisor.domain.rebalancing import RebalanceRule
from roboadvisor.domain.trade_list import (
    TradeList,
    TradeMode,
    TradeRules,
    account_drift,
    trade_list,
)

DEFAULT_DRIFT_THRESHOLD = 0.03


class Trigger(StrEnum):
    """Why an account needs attention (catalog key ``trading.trigger.<value>``)."""

    DRIFT = "drift"
    RULE = "rule"
    SCHEDULED = "scheduled"
    MODEL_VERSION = "model_version"
    CASH_FLOW = "cash_flow"
    TIER_CHANGE = "tier_change"
    UNSUITABLE_HOLDINGS = "unsuitable_holdings"
    ASSESSMENT_EXPIRED = "assessment_expired"

    @property
    def rebalances(self) -> bool:
        """True when the trigger calls for a full rebalance (a cash flow alone trades only
        its own side; an expired assessment alone trades nothing)."""
        return self not in (Trigger.CASH_FLOW, Trigger.ASSESSMENT_EXPIRED)


_URGENCY = {Trigger.UNSUITABLE_HOLDINGS: 5.0, Trigger.TIER_CHANGE: 4.0,
            Trigger.CASH_FLOW: 3.0, Trigger.MODEL_VERSION: 2.0, Trigger.RULE: 1.5,
            Trigger.DRIFT: 1.0, Trigger.SCHEDULED: 1.0, Trigger.ASSESSMENT_EXPIRED: 0.5}


@dataclass(frozen=True)
class Fired:
    """A trigger that fired with its facts (the placeholders of its catalog message)."""

    trigger: Trigger
    facts: tuple[tuple[str, float | int | str], ...] = ()

    @property
    def params(self) -> dict[str, float | int | str]:
        return dict(self.facts)


@dataclass(frozen=True)
class ReviewPolicy:
    """An account's review settings: ``drift_threshold`` (decimal; None = off), its
    rebalancing ``rule`` (bands or drift; calendar rules are the caller's ``scheduled``),
    ``reserve`` cash (currency)."""

    drift_threshold: float | None = DEFAULT_DRIFT_THRESHOLD
    rule: RebalanceRule | None = None
    reserve: float = 0.0


@dataclass(frozen=True)
class AccountFacts:
    """What the book knows besides holdings: the ``tier`` in force, a ``requested_tier``
    (new assessment or client choice; None = unchanged), whether the assessment has
    ``assessment_expired``, the model version the account was last rebalanced to and the
    latest one, a ``pending_flow`` (deposit > 0, withdrawal < 0), and whether today is a
    ``scheduled`` rebalance date."""

    tier: int
    requested_tier: int | None = None
    assessment_expired: bool = False
    model_version: int | None = None
    latest_model_version: int | None = None
    pending_flow: float = 0.0
    scheduled: bool = False


@dataclass(frozen=True, eq=False)
class Review:
    """Where an account stands. ``tier``: the tier whose target applies (after the expired-
    assessment rule); ``targets``: its model weights (sum to 1); ``allowed``: assets the
    level may buy; ``weights``: holdings / value; ``deviation``: weights minus target
    weights (signed, per asset); ``drift``: decimal; ``fired``: triggers in order of
    urgency; ``mode``: the trade list to run (None: nothing to do)."""

    tier: int
    targets: np.ndarray
    allowed: np.ndarray
    value: float
    weights: np.ndarray
    cash_weight: float
    deviation: np.ndarray
    drift: float
    fired: tuple[Fired, ...]
    mode: TradeMode | None
    pending_flow: float

    @property
    def triggers(self) -> tuple[Trigger, ...]:
        return tuple(f.trigger for f in self.fired)

    @property
    def action_needed(self) -> bool:
        return self.mode is not None

    @property
    def urgency(self) -> float:
        """A sort key for a book review: the most urgent trigger, then the drift."""
        top = max((_URGENCY[f.trigger] for f in self.fired if f.trigger.rebalances
                   or f.trigger is Trigger.CASH_FLOW), default=0.0)
        return top + self.drift


def review(shares: np.ndarray, prices: np.ndarray, cash: float, model_weights: np.ndarray,
           product_levels: np.ndarray, facts: AccountFacts,
           policy: ReviewPolicy = ReviewPolicy()) -> Review:
    """Review one account. ``model_weights``: tiers x assets, row k for tier k+1 (each row
    sums to 1 over the products its level allows); ``product_levels``: per asset, the lowest
    tier allowed to hold it (1..5; see ``effective_levels``); a tier k client may hold
    those <= k."""
    h = np.asarray(shares, dtype=float)
    p = np.asarray(prices, dtype=float)
    models = np.atleast_2d(np.asarray(model_weights, dtype=float))
    levels = np.asarray(product_levels)
    fired: list[Fired] = []
    tier = _tier_in_force(facts, fired)
    targets = models[tier - 1]
    allowed = levels <= tier
    values = h * p
    value = float(values.sum() + cash)
    reserve = policy.reserve
    if value > 0:
        weights = values / value
        cash_weight = float(cash) / value
        target_w = targets * (value - reserve) / value
    else:
        weights, cash_weight, target_w = np.zeros_like(values), 0.0, np.zeros_like(values)
    drift = float(account_drift(h, p, cash, targets, reserve))
    unsuitable = np.flatnonzero(~allowed & (h > 0))
    if unsuitable.size:
        fired.append(Fired(Trigger.UNSUITABLE_HOLDINGS, (("count", int(unsuitable.size)),
                                                         ("level", tier))))
    if facts.pending_flow != 0:
        fired.append(Fired(Trigger.CASH_FLOW, (("amount", float(facts.pending_flow)),)))
    if (facts.latest_model_version is not None
            and facts.model_version != facts.latest_model_version):
        fired.append(Fired(Trigger.MODEL_VERSION, (
            ("old", facts.model_version if facts.model_version is not None else 0),
            ("new", facts.latest_model_version))))
    if policy.rule is not None and _rule_fires(policy.rule, values, targets):
        fired.append(Fired(Trigger.RULE, (("rule", policy.rule.describe()),)))
    if policy.drift_threshold is not None and drift > policy.drift_threshold:
        fired.append(Fired(Trigger.DRIFT, (("drift", drift),
                                           ("threshold", policy.drift_threshold))))
    if facts.scheduled:
        fired.append(Fired(Trigger.SCHEDULED))
    fired.sort(key=lambda f: -_URGENCY[f.trigger])
    if any(f.trigger.rebalances for f in fired):
        mode: TradeMode | None = TradeMode.FULL
    elif facts.pending_flow != 0:
        mode = TradeMode.for_flow(facts.pending_flow)
    else:
        mode = None
    return Review(tier, targets, allowed, value, weights, cash_weight, weights - target_w,
                  drift, tuple(fired), mode, float(facts.pending_flow))


def plan_trades(shares: np.ndarray, prices: np.ndarray, cash: float, rev: Review,
                rules: TradeRules, policy: ReviewPolicy = ReviewPolicy(), *,
                tickers: tuple[str, ...] | None = None) -> TradeList | None:
    """The trade list a review calls for (None when nothing is to be done), cash flows first:
    a flow-only trade list that leaves the account's rule or threshold firing is replaced by
    a full rebalance with the flow folded in."""
    if rev.mode is None:
        return None
    rules = rules if rules.reserve == policy.reserve else _with_reserve(rules, policy.reserve)
    flow = rev.pending_flow
    result = trade_list(shares, prices, cash, rev.targets, rules, tickers=tickers,
                        allowed=rev.allowed, flow=flow, mode=rev.mode)
    if rev.mode is TradeMode.FULL:
        return result
    p = np.asarray(prices, dtype=float)
    values = result.shares_after * p
    still = _rule_fires(policy.rule, values, rev.targets) or (
        policy.drift_threshold is not None and result.drift_after > policy.drift_threshold)
    if still:
        return trade_list(shares, prices, cash, rev.targets, rules, tickers=tickers,
                          allowed=rev.allowed, flow=flow, mode=TradeMode.FULL)
    return result


def screen(shares: np.ndarray, prices: np.ndarray, cash: np.ndarray, targets: np.ndarray,
           policy: ReviewPolicy = ReviewPolicy()) -> tuple[np.ndarray, np.ndarray]:
    """(drift, fires) for a book: accounts x assets arrays (``prices`` per asset or per
    account and asset). ``fires`` is the drift threshold or the rule; the other triggers are
    facts the caller already has per account (flows, versions, tiers)."""
    values = np.asarray(shares, dtype=float) * np.asarray(prices, dtype=float)
    drift = account_drift(shares, prices, cash, targets, policy.reserve)
    fires = np.zeros(drift.shape, dtype=bool)
    if policy.drift_threshold is not None:
        fires |= drift > policy.drift_threshold
    if policy.rule is not None:
        fires |= _rule_fires_many(policy.rule, values, np.asarray(targets, dtype=float))
    return drift, fires


def quiet_reviews(shares: np.ndarray, prices: np.ndarray, cash: np.ndarray, tier: int,
                  model_weights: np.ndarray, product_levels: np.ndarray,
                  thresholds: np.ndarray, rule: RebalanceRule | None = None,
                  reserve: float = 0.0) -> list[Review | None]:
    """``review`` of many accounts (accounts x assets ``shares``, ``cash`` and
    ``thresholds`` per account) of one tier in force that have no other facts (no flow, no
    tier change, no new model version, a valid assessment): with array arithmetic, the
    ``Review`` of each account that stays inside its threshold and rule and holds nothing its
    level forbids (nothing fired, the same numbers as ``review``), None for the others (they
    need ``review``)."""
    h = np.asarray(shares, dtype=float)
    p = np.asarray(prices, dtype=float)
    c = np.asarray(cash, dtype=float)
    models = np.atleast_2d(np.asarray(model_weights, dtype=float))
    targets = models[tier - 1]
    allowed = np.asarray(product_levels) <= tier
    values = h * p
    value = values.sum(axis=-1) + c
    drift = account_drift(h, p, c, targets, reserve)
    fires = drift > np.asarray(thresholds, dtype=float)
    if rule is not None:
        fires |= _rule_fires_many(rule, values, targets)
    quiet = ~fires & (value > 0) & ~(~allowed & (h > 0)).any(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = values / value[:, None]
        target_w = targets * (value - reserve)[:, None] / value[:, None]
    deviation = weights - target_w
    out: list[Review | None] = []
    for i in range(h.shape[0]):
        if not quiet[i]:
            out.append(None)
            continue
        v = float(value[i])
        out.append(Review(tier, targets, allowed, v, weights[i], float(c[i]) / v, deviation[i],
                          float(drift[i]), (), None, 0.0))
    return out


def _tier_in_force(facts: AccountFacts, fired: list[Fired]) -> int:
    current = int(facts.tier)
    wanted = current if facts.requested_tier is None else int(facts.requested_tier)
    if facts.assessment_expired:
        held_back = wanted > current
        fired.append(Fired(Trigger.ASSESSMENT_EXPIRED, (
            ("requested", wanted), ("kept", current if held_back else wanted),
            ("raise_blocked", int(held_back)))))
        if held_back:
            wanted = current
    if wanted != current:
        fired.append(Fired(Trigger.TIER_CHANGE, (("old", current), ("new", wanted))))
    return wanted


def _rule_fires(rule: RebalanceRule | None, values: np.ndarray, targets: np.ndarray) -> bool:
    if rule is None:
        return False
    total = float(values.sum())
    return bool(total > 0 and rule.triggered(values / total, targets)[0])


def _rule_fires_many(rule: RebalanceRule, values: np.ndarray, targets: np.ndarray
                     ) -> np.ndarray:
    total = values.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(total > 0, values / total, 0.0)
    fired = rule.triggered(w, targets)  # broadcasts over one target row per account
    return np.asarray(fired) & (total[..., 0] > 0)


def _with_reserve(rules: TradeRules, reserve: float) -> TradeRules:
    from dataclasses import replace

    return replace(rules, reserve=reserve)


def effective_levels(levels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Product levels as the review sees them: a product's own level R1..R5, lowered to the
    lowest tier whose model portfolio holds it (under portfolio-level suitability a tier's
    model may hold a product above its level, rated as a whole; under holdings suitability
    this changes nothing). A tier k account may buy what has an effective level <= k."""
    held = weights > 0
    lowest = np.where(held.any(axis=0), np.argmax(held, axis=0) + 1, 99)
    return np.minimum(levels, lowest)
