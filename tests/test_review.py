"""Account review: weights, drift, triggers with reasons, cash flows first, the book screen,
and a catalog entry for every code the domain returns."""

from __future__ import annotations

import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roboadvisor.domain.rebalancing import Bands, RebalanceRule
from roboadvisor.domain.review import (
    AccountFacts,
    ReviewPolicy,
    Trigger,
    plan_trades,
    quiet_reviews,
    review,
    screen,
)
from roboadvisor.domain.trade_list import (
    OrderReason,
    Outcome,
    Side,
    TradeMode,
    TradeRules,
    trade_list,
)
from roboadvisor.reports.i18n import Lang, catalog, t

# three products: R1 bond, R3 equity, R5 commodity; tiers 1..5 model weights
LEVELS = np.array([1, 3, 5])
MODELS = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.4, 0.6, 0.0],
                   [0.3, 0.5, 0.2]])
P = np.array([100.0, 50.0, 20.0])


def test_weights_and_drift_by_hand() -> None:
    # 6 bonds (600) + 6 equity (300) + 100 cash = 1000; tier 3 target 50/50
    rev = review(np.array([6.0, 6.0, 0.0]), P, 100.0, MODELS, LEVELS, AccountFacts(tier=3))
    np.testing.assert_allclose(rev.weights, [0.6, 0.3, 0.0])
    assert rev.cash_weight == pytest.approx(0.1)
    np.testing.assert_allclose(rev.deviation, [0.1, -0.2, 0.0])
    assert rev.drift == pytest.approx(0.5 * (0.1 + 0.2 + 0.1))
    assert rev.triggers == (Trigger.DRIFT,)
    assert rev.fired[0].params == {"drift": pytest.approx(0.2), "threshold": 0.03}
    assert rev.mode is TradeMode.FULL


def test_inside_the_threshold_nothing_to_do_and_bands_use_the_rule_code() -> None:
    h = np.array([5.0, 10.2, 0.0])  # 500 + 510: 49.5/50.5, drift 0.5%
    rev = review(h, P, 0.0, MODELS, LEVELS, AccountFacts(tier=3))
    assert rev.fired == () and rev.mode is None and not rev.action_needed
    tight = ReviewPolicy(rule=RebalanceRule.threshold(Bands(absolute=0.004)))
    fired = review(h, P, 0.0, MODELS, LEVELS, AccountFacts(tier=3), tight)
    assert fired.triggers == (Trigger.RULE,) and fired.mode is TradeMode.FULL
    w = h * P / (h * P).sum()
    assert RebalanceRule.threshold(Bands(absolute=0.004)).triggered(w, MODELS[2])[0]


def test_triggers_from_the_facts() -> None:
    h = np.array([5.0, 10.0, 0.0])
    facts = AccountFacts(tier=3, model_version=1, latest_model_version=2, pending_flow=-200.0)
    rev = review(h, P, 0.0, MODELS, LEVELS, facts)
    assert set(rev.triggers) == {Trigger.MODEL_VERSION, Trigger.CASH_FLOW}
    assert rev.triggers[0] is Trigger.CASH_FLOW   # by urgency
    assert rev.mode is TradeMode.FULL
    flow_only = review(h, P, 0.0, MODELS, LEVELS, AccountFacts(tier=3, pending_flow=300.0))
    assert flow_only.triggers == (Trigger.CASH_FLOW,) and flow_only.mode is TradeMode.BUY_ONLY


def test_lower_tier_makes_holdings_unsuitable() -> None:
    h = np.array([5.0, 10.0, 0.0])
    rev = review(h, P, 0.0, MODELS, LEVELS, AccountFacts(tier=3, requested_tier=2))
    assert rev.tier == 2
    assert set(rev.triggers) == {Trigger.TIER_CHANGE, Trigger.UNSUITABLE_HOLDINGS, Trigger.DRIFT}
    assert rev.triggers[0] is Trigger.UNSUITABLE_HOLDINGS  # the most urgent first
    assert rev.allowed.tolist() == [True, False, False]
    trades = plan_trades(h, P, 0.0, rev, TradeRules())
    assert [(o.index, o.side, o.reason) for o in trades.orders if o.side is Side.SELL] == [
        (1, Side.SELL, OrderReason.SELL_UNSUITABLE)]
    assert trades.shares_after[1] == 0


def test_an_expired_assessment_may_lower_risk_but_never_raise_it() -> None:
    h = np.array([5.0, 10.0, 0.0])
    up = review(h, P, 0.0, MODELS, LEVELS,
                AccountFacts(tier=3, requested_tier=5, assessment_expired=True))
    assert up.tier == 3 and Trigger.TIER_CHANGE not in up.triggers
    expired = next(f for f in up.fired if f.trigger is Trigger.ASSESSMENT_EXPIRED)
    assert expired.params == {"requested": 5, "kept": 3, "raise_blocked": 1}
    assert up.mode is None  # an expired assessment alone trades nothing
    down = review(h, P, 0.0, MODELS, LEVELS,
                  AccountFacts(tier=3, requested_tier=2, assessment_expired=True))
    assert down.tier == 2 and Trigger.TIER_CHANGE in down.triggers


def test_cash_flows_first_then_a_full_rebalance_only_if_still_needed() -> None:
    h = np.array([5.0, 10.0, 0.0])  # on target 50/50
    small = review(h, P, 0.0, MODELS, LEVELS, AccountFacts(tier=3, pending_flow=200.0))
    trades = plan_trades(h, P, 0.0, small, TradeRules())
    assert trades.mode is TradeMode.BUY_ONLY
    assert all(o.side is Side.BUY for o in trades.orders)
    # far off target: the deposit alone cannot fix it, so the day rebalances fully
    skewed = np.array([9.0, 2.0, 0.0])
    big = review(skewed, P, 0.0, MODELS, LEVELS, AccountFacts(tier=3, pending_flow=100.0),
                 ReviewPolicy(drift_threshold=0.5))
    assert big.mode is TradeMode.BUY_ONLY
    full = plan_trades(skewed, P, 0.0, big, TradeRules(), ReviewPolicy(drift_threshold=0.05))
    assert full.mode is TradeMode.FULL and full.drift_after <= 0.05


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=3, max_size=3), st.floats(1.0, 5000.0))
def test_a_deposit_never_triggers_a_sale(holdings, deposit) -> None:
    h = np.array(holdings, dtype=float)
    rev = review(h, P, 0.0, MODELS, LEVELS, AccountFacts(tier=5, pending_flow=deposit),
                 ReviewPolicy(drift_threshold=None))
    trades = plan_trades(h, P, 0.0, rev, TradeRules(), ReviewPolicy(drift_threshold=None))
    assert trades.mode is TradeMode.BUY_ONLY
    assert all(o.side is Side.BUY for o in trades.orders)


def test_screen_matches_the_review_of_each_account() -> None:
    rng = np.random.default_rng(5)
    shares = rng.integers(0, 30, (50, 3)).astype(float)
    cash = rng.uniform(0, 300, 50)
    targets = np.repeat(MODELS[4][None, :], 50, axis=0)
    policy = ReviewPolicy(rule=RebalanceRule.threshold(Bands.five_twenty_five()))
    drift, fires = screen(shares, P, cash, targets, policy)
    for a in range(50):
        one = review(shares[a], P, cash[a], MODELS, LEVELS, AccountFacts(tier=5), policy)
        assert drift[a] == pytest.approx(one.drift, abs=1e-15)
        assert fires[a] == (one.mode is TradeMode.FULL)


@pytest.mark.parametrize("rule", [None, RebalanceRule.threshold(Bands.five_twenty_five())])
def test_quiet_reviews_equal_the_review_of_each_account(rule) -> None:
    rng = np.random.default_rng(9)
    n = 200
    # tier 4 accounts around their target (R5 held by a few: they must go to review)
    target_shares = MODELS[3] * 1000 / P
    shares = np.floor(target_shares * rng.uniform(0.8, 1.2, (n, 3)))
    shares[:, 2] = np.where(rng.random(n) < 0.05, 1.0, 0.0)
    shares[0] = 0.0
    cash = rng.uniform(0, 60, n)
    cash[0] = 0.0                                       # nothing at all: value 0
    thresholds = rng.choice([0.02, 0.03, 0.05], n)
    quiet = quiet_reviews(shares, P, cash, 4, MODELS, LEVELS, thresholds, rule)
    kinds = set()
    for a in range(n):
        one = review(shares[a], P, cash[a], MODELS, LEVELS, AccountFacts(tier=4),
                     ReviewPolicy(drift_threshold=float(thresholds[a]), rule=rule))
        fast = quiet[a]
        kinds.add(fast is None)
        if fast is None:  # it fires, holds what its level forbids, or is worth nothing
            assert one.fired or one.value <= 0
            continue
        assert not one.fired and one.mode is None
        for name in ("tier", "value", "cash_weight", "drift", "fired", "mode", "pending_flow"):
            assert getattr(fast, name) == getattr(one, name), name
        for name in ("targets", "allowed", "weights", "deviation"):
            assert np.array_equal(getattr(fast, name), getattr(one, name)), name
    assert kinds == {True, False}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_code_has_its_message_in_both_languages() -> None:
    messages = catalog()
    for group, codes in (("reason", OrderReason), ("outcome", Outcome), ("trigger", Trigger),
                         ("side", Side)):
        for code in codes:
            assert f"trading.{group}.{code.value}" in messages, (group, code)
    # the facts of each trigger fill its message
    h = np.array([5.0, 10.0, 0.0])
    facts = AccountFacts(tier=3, requested_tier=2, model_version=1, latest_model_version=2,
                         pending_flow=100.0, assessment_expired=True, scheduled=True)
    rev = review(np.array([9.0, 2.0, 1.0]), P, 0.0, MODELS, LEVELS, facts,
                 ReviewPolicy(rule=RebalanceRule.drift(0.01)))
    assert len(rev.fired) == len(Trigger)
    for f in rev.fired:
        text = t(f"trading.trigger.{f.trigger.value}", Lang.ZH, **f.params)
        assert "{" not in text
        assert _fields(messages[f"trading.trigger.{f.trigger.value}"]["en"]) <= set(f.params)
    result = trade_list(h, P, 0.0, MODELS[2])
    assert t(f"trading.outcome.{result.outcome.value}", Lang.EN, min_trade=50, reserve=0)


def test_effective_levels_lower_a_product_to_the_first_tier_whose_model_holds_it() -> None:
    from roboadvisor.domain.review import effective_levels

    own = np.array([1, 3, 5, 4])
    models = np.zeros((5, 4))
    models[0] = [0.9, 0.1, 0, 0]      # tier 1 holds an R3 product (rated as a whole)
    models[1] = [0.8, 0.1, 0.1, 0]    # tier 2 an R5 one
    models[4] = [0.1, 0.3, 0.3, 0.3]
    assert effective_levels(own, models).tolist() == [1, 1, 2, 4]
    # under holdings suitability no tier holds above its level: the own levels stand
    holdings = np.zeros((5, 4))
    for k in range(5):
        holdings[k, own <= k + 1] = 1
    assert effective_levels(own, holdings).tolist() == own.tolist()
