"""The pure partition step on hand-made arrays: drift, targets and every trigger."""

from __future__ import annotations

import numpy as np
import pytest

from roboadvisor.batch.step import (
    ModelArrays,
    PartitionInputs,
    TradeArrays,
    TradeInputs,
    review_partition,
    trigger_bit,
    triggers_of,
)
from roboadvisor.domain.review import Trigger
from roboadvisor.domain.scoring_batch import encode_answers, scoring_tables
from roboadvisor.services.assess import assess_answers, get_questionnaire

AS_OF = 20_000  # days since 1970-01-01
PRICES = np.array([100.0, 50.0, 20.0])
RISK = np.array([1, 3, 5], dtype=np.int8)
# tier k target: a simple grid, rows sum to 1, tier 1 holds only the R1 asset
TARGETS = np.array([[1.0, 0.0, 0.0], [0.8, 0.2, 0.0], [0.6, 0.4, 0.0],
                    [0.4, 0.6, 0.0], [0.2, 0.5, 0.3]])


@pytest.fixture(scope="module")
def questionnaire():  # type: ignore[no-untyped-def]
    return get_questionnaire()


def _answers_for_tier(questionnaire, tier: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(tier)
    while True:
        a = {q.id: q.option_ids[rng.integers(len(q.options))] for q in questionnaire.questions}
        if int(assess_answers(questionnaire, a).tier) == tier:
            return a


def _model(questionnaire, threshold: float = 0.03) -> ModelArrays:  # type: ignore[no-untyped-def]
    return ModelArrays(scoring_tables(questionnaire), TARGETS, PRICES, RISK, AS_OF, threshold)


def _inputs(questionnaire, rows: list[dict]) -> PartitionInputs:  # type: ignore[no-untyped-def,type-arg]
    answers = [_answers_for_tier(questionnaire, r["scored"]) for r in rows]
    return PartitionInputs(
        encode_answers(questionnaire, answers),
        np.array([r["in_force"] for r in rows], dtype=np.int8),
        np.array([r.get("cash", 0.0) for r in rows]),
        np.array([r.get("expires", AS_OF + 100) for r in rows], dtype=np.int32),
        np.array([r["shares"] for r in rows], dtype=float),
        np.array([r.get("flow", 0.0) for r in rows]),
        np.array([r.get("flow", 0.0) != 0 for r in rows]))


def _drift(shares: list[float], cash: float, target: np.ndarray) -> float:
    values = [s * p for s, p in zip(shares, PRICES, strict=True)]
    total = sum(values) + cash
    return 0.5 * (sum(abs(v / total - t) for v, t in zip(values, target, strict=True))
                  + cash / total)


def test_drift_and_each_trigger(questionnaire) -> None:  # type: ignore[no-untyped-def]
    rows = [
        # on target (tier 3: 60/40): 60 x 100 = 6000, 80 x 50 = 4000 -> no trigger
        {"scored": 3, "in_force": 3, "shares": [60, 80, 0]},
        # drifted: 80/20 held by a tier-3 account
        {"scored": 3, "in_force": 3, "shares": [80, 40, 0]},
        # on target with 5% cash: drift 5% exactly from the cash
        {"scored": 3, "in_force": 3, "shares": [57, 76, 0], "cash": 500.0},
        # a deposit waiting, otherwise on target
        {"scored": 3, "in_force": 3, "shares": [60, 80, 0], "flow": 1000.0},
        # tier change: scored 2, tier in force 3 (holds the tier-3 mix)
        {"scored": 2, "in_force": 3, "shares": [60, 80, 0]},
        # above level: a tier-4 account holding one share of the R5 asset
        {"scored": 4, "in_force": 4, "shares": [40, 120, 1]},
        # expired, scored higher than in force: the target stays at the tier in force
        {"scored": 5, "in_force": 3, "shares": [60, 80, 0], "expires": AS_OF - 1},
        # expired, scored lower: risk is lowered (tier change)
        {"scored": 1, "in_force": 3, "shares": [60, 80, 0], "expires": AS_OF - 1},
        # empty account: no drift
        {"scored": 3, "in_force": 3, "shares": [0, 0, 0]},
    ]
    result = review_partition(_inputs(questionnaire, rows), _model(questionnaire))
    r = result.review
    assert result.trades is None
    expected_target = [3, 3, 3, 3, 2, 4, 3, 1, 3]
    assert r.target_tier.tolist() == expected_target
    for i, row in enumerate(rows[:-1]):
        want = _drift(row["shares"], row.get("cash", 0.0), TARGETS[expected_target[i] - 1])
        assert r.drift[i] == pytest.approx(want, abs=1e-12), i
    assert r.drift[-1] == 0.0 and r.value[-1] == 0.0
    assert r.drift[0] == pytest.approx(0.0, abs=1e-12)
    assert r.drift[2] == pytest.approx(0.05, abs=1e-3)
    drift, flow, change = Trigger.DRIFT, Trigger.CASH_FLOW, Trigger.TIER_CHANGE
    above, expired = Trigger.UNSUITABLE_HOLDINGS, Trigger.ASSESSMENT_EXPIRED
    assert [set(triggers_of(x)) for x in r.triggers] == [
        set(), {drift}, {drift}, {flow},
        # a lower tier no longer allows the R3 asset it holds
        {change, drift, above}, {above}, {expired}, {expired, change, drift, above}, set()]
    # the bits are the review's triggers in their order
    assert [int(trigger_bit(t)) for t in Trigger] == [1 << i for i in range(len(Trigger))]
    assert r.profiles.tier.tolist() == [row["scored"] for row in rows]


def test_threshold_is_strictly_above(questionnaire) -> None:  # type: ignore[no-untyped-def]
    rows = [{"scored": 3, "in_force": 3, "shares": [57, 76, 0], "cash": 500.0}]
    inputs = _inputs(questionnaire, rows)
    drift = review_partition(inputs, _model(questionnaire)).review.drift[0]
    assert review_partition(inputs, _model(questionnaire, drift)).review.triggers[0] == 0
    assert review_partition(inputs, _model(questionnaire, drift * 0.99)).review.triggers[0] \
        == trigger_bit(Trigger.DRIFT)


def test_trade_seam_receives_the_screen_and_returns_its_orders(questionnaire) -> None:  # type: ignore[no-untyped-def]
    rows = [{"scored": 3, "in_force": 3, "shares": [60, 80, 0]},
            {"scored": 3, "in_force": 3, "shares": [80, 40, 0]},
            {"scored": 5, "in_force": 3, "shares": [60, 80, 0], "expires": AS_OF - 1},
            {"scored": 4, "in_force": 4, "shares": [40, 120, 1], "flow": -200.0}]
    seen: list[TradeInputs] = []

    def trades(inputs: TradeInputs) -> TradeArrays:
        seen.append(inputs)
        rows_ = np.flatnonzero(inputs.needs_trade)
        return TradeArrays(rows_, np.zeros(len(rows_), dtype=np.int64),
                           np.ones(len(rows_)), np.zeros(len(rows_), dtype=np.uint8))

    result = review_partition(_inputs(questionnaire, rows), _model(questionnaire), trades)
    (got,) = seen
    # expired alone needs a new assessment, not a trade
    assert got.needs_trade.tolist() == [False, True, False, True]
    assert np.array_equal(got.targets, TARGETS[[2, 2, 2, 3]])
    assert got.allowed[3].tolist() == [True, True, False]
    assert got.pending_flow.tolist() == [0.0, 0.0, 0.0, -200.0]
    assert result.trades is not None and result.trades.account.tolist() == [1, 3]
