"""Scoring: scores, the min rule, cut-offs, knock-outs, consistency flags, and the invariants
(one tier per answer set, monotone in every answer, knock-outs always cap) as properties."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from roboadvisor.data.questionnaire_files import load_questionnaires
from roboadvisor.domain.models import Tier
from roboadvisor.domain.questionnaire import (
    ConsistencyRule,
    Dimension,
    Lang,
    Localized,
    Option,
    Question,
    Questionnaire,
)
from roboadvisor.domain.scoring import (
    LimitingFactor,
    dimension_score,
    question_scores,
    score_answers,
    tier_for_score,
)
from roboadvisor.errors import AnswersError, QuestionnaireError

QUESTIONNAIRES = Path(__file__).resolve().parents[1] / "questionnaires"
STANDARD = next(q for q in load_questionnaires(QUESTIONNAIRES) if q.id == "standard")
TEXT = Localized({Lang.EN: "text"})


def opt(oid: str, score: float, max_tier: int | None = None) -> Option:
    return Option(oid, score, TEXT, Tier(max_tier) if max_tier else None,
                  TEXT if max_tier else None)


def question(qid: str, dimension: Dimension, scores: tuple[float, ...], weight: float = 1.0,
             caps: Mapping[int, int] | None = None) -> Question:
    caps = caps or {}
    return Question(qid, dimension, weight, TEXT,
                    tuple(opt(f"o{i}", s, caps.get(i)) for i, s in enumerate(scores)))


def small(rules: tuple[ConsistencyRule, ...] = (), caps: Mapping[int, int] | None = None,
          cutoffs: tuple[float, float, float, float] = (20, 40, 60, 80)) -> Questionnaire:
    """t1 (w 2), t2 (w 1) measure tolerance; c1 (w 1, knock-outs ``caps``) measures capacity."""
    return Questionnaire(
        "small", 1, (Lang.EN,), TEXT, TEXT,
        (question("t1", Dimension.TOLERANCE, (0, 50, 100), weight=2),
         question("t2", Dimension.TOLERANCE, (0, 50, 100)),
         question("c1", Dimension.CAPACITY, (0, 25, 75, 100), caps=caps)),
        cutoffs, rules)


def answers_for(q: Questionnaire, **chosen: str) -> dict[str, str]:
    return {x.id: chosen.get(x.id, x.options[0].id) for x in q.questions}


# --- unit tests ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("score", "tier"), [(0, 1), (19.9, 1), (20, 2), (39.9, 2), (40, 3),
                                             (60, 4), (79.9, 4), (80, 5), (100, 5)])
def test_cutoffs_are_inclusive_lower_bounds(score: float, tier: int) -> None:
    assert tier_for_score(score, (20, 40, 60, 80)) == Tier(tier)


def test_dimension_scores_are_weighted_means() -> None:
    q = small()
    scores = question_scores(q, answers_for(q, t1="o2", t2="o1", c1="o2"))
    assert dimension_score(q, scores, Dimension.TOLERANCE) == pytest.approx((2 * 100 + 50) / 3,
                                                                            abs=0.05)
    assert dimension_score(q, scores, Dimension.CAPACITY) == 75


@pytest.mark.parametrize(("chosen", "factor", "combined"), [
    ({"t1": "o2", "t2": "o2", "c1": "o1"}, LimitingFactor.CAPACITY, 25),
    ({"t1": "o1", "t2": "o0", "c1": "o3"}, LimitingFactor.TOLERANCE, 33.3),
    ({"t1": "o1", "t2": "o1", "c1": "o2"}, LimitingFactor.TOLERANCE, 50.0),
])
def test_combined_is_the_more_conservative_score(chosen: dict[str, str], factor: LimitingFactor,
                                                 combined: float) -> None:
    q = small()
    p = score_answers(q, answers_for(q, **chosen))
    assert p.combined_score == min(p.tolerance_score, p.capacity_score) == combined
    assert p.limiting_factor is factor
    assert "min(tolerance, capacity)" in p.rule


def test_equal_scores_limit_both() -> None:
    q = small()
    p = score_answers(q, answers_for(q, t1="o2", t2="o2", c1="o3"))
    assert p.tolerance_score == p.capacity_score == 100
    assert p.limiting_factor is LimitingFactor.BOTH and p.tier is Tier.AGGRESSIVE


def test_knockout_caps_the_tier_and_becomes_the_limiting_factor() -> None:
    q = small(caps={0: 1, 1: 2, 2: 2})
    p = score_answers(q, answers_for(q, t1="o2", t2="o2", c1="o2"))
    assert p.score_tier is Tier.GROWTH and p.tier is Tier.MODERATELY_CONSERVATIVE
    assert p.limiting_factor is LimitingFactor.CAPACITY
    assert [(k.question_id, k.option_id, k.binding) for k in p.knockouts] == [("c1", "o2", True)]


def test_knockout_below_the_score_tier_is_listed_but_not_binding() -> None:
    q = small(caps={0: 3})
    p = score_answers(q, answers_for(q, c1="o0"))
    assert p.tier is Tier.CONSERVATIVE and not p.knockouts[0].binding
    assert p.binding_knockouts == ()


def test_flag_caps_the_risky_answer_and_lowers_tolerance() -> None:
    rule = ConsistencyRule("panic", "t2", frozenset({"o0"}), "t1", frozenset({"o2"}), 50, TEXT)
    q = small(rules=(rule,))
    p = score_answers(q, answers_for(q, t1="o2", t2="o0", c1="o3"))
    assert [f.rule_id for f in p.flags] == ["panic"]
    assert (p.flags[0].original_score, p.flags[0].scored_as) == (100, 50)
    assert p.tolerance_score_unflagged == pytest.approx(66.7)
    assert p.tolerance_score == pytest.approx(33.3)
    assert p.tolerance_penalty == pytest.approx(33.4)


def test_flag_needs_both_answers() -> None:
    rule = ConsistencyRule("panic", "t2", frozenset({"o0"}), "t1", frozenset({"o2"}), 50, TEXT)
    q = small(rules=(rule,))
    assert score_answers(q, answers_for(q, t1="o2", t2="o1")).flags == ()
    assert score_answers(q, answers_for(q, t1="o1", t2="o0")).flags == ()


def test_incomplete_answers_are_refused() -> None:
    q = small()
    with pytest.raises(AnswersError, match="'c1' has no answer"):
        score_answers(q, {"t1": "o0", "t2": "o0"})


@pytest.mark.parametrize(("build", "message"), [
    (lambda: small(cutoffs=(20, 60, 40, 80)), "tier_cutoffs"),
    (lambda: small(caps={0: 4, 1: 2}), "question 'c1', option 'o1', field 'max_tier'"),
    (lambda: small(rules=(ConsistencyRule("r", "t2", frozenset({"o0"}), "t1", frozenset({"o2"}),
                                          40, TEXT),)), "field 'cap': must be at least 50"),
    (lambda: small(rules=(ConsistencyRule("r", "t2", frozenset({"o1"}), "t1", frozenset({"o2"}),
                                          50, TEXT),)), "field 'cautious.options'"),
    (lambda: small(rules=(ConsistencyRule("r", "t2", frozenset({"o0"}), "t1", frozenset({"o1"}),
                                          0, TEXT),)), "field 'risky.options'"),
    (lambda: small(rules=(ConsistencyRule("r", "t1", frozenset({"o0"}), "c1", frozenset({"o3"}),
                                          75, TEXT),)), "must be a tolerance question"),
])
def test_definitions_that_could_break_monotonicity_are_refused(build, message: str) -> None:
    with pytest.raises(QuestionnaireError, match=message):
        build()


# --- the standard questionnaire ------------------------------------------------------------------
def test_standard_questionnaire_shape() -> None:
    assert 10 <= len(STANDARD.questions) <= 14
    tolerance = {q.id for q in STANDARD.questions_of(Dimension.TOLERANCE)}
    capacity = {q.id for q in STANDARD.questions_of(Dimension.CAPACITY)}
    assert {"loss_reaction", "return_tradeoff", "experience", "volatility"} <= tolerance
    assert {"horizon", "age", "income_stability", "emergency_savings", "share_invested",
            "money_needed", "debts"} <= capacity


@pytest.mark.parametrize(("option", "cap"), [("within_1_year", 1), ("within_3_years", 2)])
def test_money_needed_soon_caps_the_tier(option: str, cap: int) -> None:
    best = {q.id: q.options_by_risk[-1].id for q in STANDARD.questions}
    p = score_answers(STANDARD, {**best, "money_needed": option})
    assert p.tier == cap and p.score_tier == Tier.AGGRESSIVE
    assert p.limiting_factor is LimitingFactor.CAPACITY


def test_panic_seller_who_wants_maximum_growth_is_flagged() -> None:
    best = {q.id: q.options_by_risk[-1].id for q in STANDARD.questions}
    p = score_answers(STANDARD, {**best, "loss_reaction": "sell_all"})
    assert {f.rule_id for f in p.flags} == {"panic_seller_wants_max_growth",
                                            "panic_seller_picks_deep_loss_portfolio"}
    assert p.tolerance_score < p.tolerance_score_unflagged


# --- properties ----------------------------------------------------------------------------------
def answer_sets(q: Questionnaire) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({x.id: st.sampled_from(x.option_ids) for x in q.questions})


def assert_monotone(q: Questionnaire, answers: dict[str, str]) -> None:
    """Moving any one answer to any more risk-seeking option never lowers scores or tier."""
    base = score_answers(q, answers)
    for x in q.questions:
        current = x.option(answers[x.id])
        assert current is not None
        for better in x.options:
            if better.score > current.score:
                moved = score_answers(q, {**answers, x.id: better.id})
                assert moved.tier >= base.tier, (x.id, current.id, better.id)
                assert moved.combined_score >= base.combined_score
                assert moved.tolerance_score >= base.tolerance_score
                assert moved.capacity_score >= base.capacity_score


@given(answer_sets(STANDARD))
def test_every_answer_set_gets_exactly_one_tier(answers: dict[str, str]) -> None:
    p = score_answers(STANDARD, answers)
    assert isinstance(p.tier, Tier) and 1 <= p.tier <= 5
    assert 0 <= p.tolerance_score <= 100 and 0 <= p.capacity_score <= 100
    assert p.combined_score == min(p.tolerance_score, p.capacity_score)
    assert p.tier <= p.score_tier == tier_for_score(p.combined_score, STANDARD.tier_cutoffs)


@given(answer_sets(STANDARD))
def test_more_risk_seeking_answers_never_lower_the_tier(answers: dict[str, str]) -> None:
    assert_monotone(STANDARD, answers)


@given(answer_sets(STANDARD))
def test_knockouts_always_cap(answers: dict[str, str]) -> None:
    p = score_answers(STANDARD, answers)
    for x in STANDARD.questions:
        option = x.option(answers[x.id])
        if option is not None and option.max_tier is not None:
            assert p.tier <= option.max_tier
            assert any(k.question_id == x.id for k in p.knockouts)


@st.composite
def questionnaires(draw: st.DrawFn) -> Questionnaire:
    """Random questionnaires that pass validation: random scores, weights, knock-outs, rules."""
    qs = []
    for dim, count in ((Dimension.TOLERANCE, draw(st.integers(1, 3))),
                       (Dimension.CAPACITY, draw(st.integers(1, 3)))):
        for i in range(count):
            scores = sorted(draw(st.lists(st.integers(0, 100), min_size=2, max_size=4)))
            caps = sorted(draw(st.lists(st.integers(1, 5), min_size=len(scores),
                                        max_size=len(scores))))
            options = tuple(opt(f"o{j}", s, caps[j] if caps[j] < 5 else None)
                            for j, s in enumerate(scores))
            qs.append(Question(f"{dim.value[:3]}{i}", dim, draw(st.integers(1, 3)), TEXT,
                               options))
    tolerance = [x for x in qs if x.dimension is Dimension.TOLERANCE]
    rules = []
    for r in range(draw(st.integers(0, 3))):
        risky = draw(st.sampled_from(tolerance))
        cautious = draw(st.sampled_from([x for x in qs if x is not risky] or [risky]))
        if cautious is risky:
            break
        top = draw(st.sampled_from([o.score for o in cautious.options]))
        low = draw(st.sampled_from([o.score for o in risky.options]))
        floor = max((o.score for o in risky.options if o.score < low), default=0.0)
        if floor >= low:
            continue
        rules.append(ConsistencyRule(
            f"r{r}", cautious.id, frozenset(o.id for o in cautious.options if o.score <= top),
            risky.id, frozenset(o.id for o in risky.options if o.score >= low),
            draw(st.floats(floor, low, exclude_max=True)), TEXT))
    cut = sorted(draw(st.lists(st.integers(1, 100), min_size=4, max_size=4, unique=True)))
    try:
        return Questionnaire("random", 1, (Lang.EN,), TEXT, TEXT, tuple(qs),
                             (cut[0], cut[1], cut[2], cut[3]), tuple(rules))
    except QuestionnaireError:
        assume(False)
        raise


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.filter_too_much])
@given(st.data())
def test_validation_guarantees_monotonicity_for_any_questionnaire(data: st.DataObject) -> None:
    q = data.draw(questionnaires())
    assert_monotone(q, data.draw(answer_sets(q)))
