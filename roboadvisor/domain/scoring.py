"""Answers -> tolerance and capacity scores -> combined score -> tier. Pure functions.

The rules, in order:

1. Each question's score is its chosen option's score (0..100, higher = more risk-seeking).
2. Consistency flags: when a rule fires, its risky (tolerance) question is scored at most the
   rule's cap -- we believe the cautious answer. Each flag is listed.
3. Tolerance and capacity are the weighted means of their questions' scores, rounded to 0.1.
4. The combined score is the more conservative of the two: ``min(tolerance, capacity)``.
5. The tier is the highest tier whose cut-off (from the questionnaire) the combined score reaches.
6. Knock-outs: an option with a ``max_tier`` caps the tier whatever the scores say.

Every step is non-decreasing in every option score, so a more risk-seeking answer never lowers
the tier (tested with hypothesis).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from roboadvisor.domain.models import Tier
from roboadvisor.domain.questionnaire import (
    Dimension,
    Localized,
    Option,
    Question,
    Questionnaire,
    check_answers,
)

COMBINING_RULE = ("combined score = min(tolerance, capacity): the more conservative of the two; "
                  "tier from the questionnaire's cut-offs, then capped by any knock-out")


class LimitingFactor(StrEnum):
    """What sets the tier: the lower score, or a knock-out on the named dimension."""

    TOLERANCE = "tolerance"
    CAPACITY = "capacity"
    BOTH = "both"  # equal scores


@dataclass(frozen=True)
class Knockout:
    """A chosen option that caps the tier. ``binding`` when it lowered the tier."""

    question_id: str
    option_id: str
    dimension: Dimension
    max_tier: Tier
    binding: bool
    reason: Localized


@dataclass(frozen=True)
class ConsistencyFlag:
    """A contradiction between two answers; the risky question was scored ``scored_as``."""

    rule_id: str
    cautious_question: str
    cautious_option: str
    risky_question: str
    risky_option: str
    original_score: float
    scored_as: float
    message: Localized


@dataclass(frozen=True)
class RiskProfile:
    """The outcome of scoring one complete answer set. Scores are 0..100."""

    tolerance_score: float
    tolerance_score_unflagged: float
    capacity_score: float
    combined_score: float
    score_tier: Tier
    tier: Tier
    limiting_factor: LimitingFactor
    knockouts: tuple[Knockout, ...]
    flags: tuple[ConsistencyFlag, ...]
    rule: str = COMBINING_RULE

    @property
    def tolerance_penalty(self) -> float:
        """Tolerance points removed by consistency flags."""
        return round(self.tolerance_score_unflagged - self.tolerance_score, 1)

    @property
    def binding_knockouts(self) -> tuple[Knockout, ...]:
        return tuple(k for k in self.knockouts if k.binding)


def consistency_flags(questionnaire: Questionnaire,
                      answers: Mapping[str, str]) -> tuple[ConsistencyFlag, ...]:
    """The consistency rules the answers trigger, in questionnaire order."""
    flags = []
    for rule in questionnaire.rules:
        if rule.fires(answers):
            risky = questionnaire.question(rule.risky_question)
            score = _chosen(risky, answers).score
            flags.append(ConsistencyFlag(
                rule.id, rule.cautious_question, answers[rule.cautious_question],
                rule.risky_question, answers[rule.risky_question], score,
                min(score, rule.cap), rule.message))
    return tuple(flags)


def question_scores(questionnaire: Questionnaire, answers: Mapping[str, str],
                    flags: tuple[ConsistencyFlag, ...] = ()) -> dict[str, float]:
    """Question id -> score of the chosen option, capped by any flag on that question."""
    scores = {q.id: _chosen(q, answers).score for q in questionnaire.questions}
    for flag in flags:
        scores[flag.risky_question] = min(scores[flag.risky_question], flag.scored_as)
    return scores


def dimension_score(questionnaire: Questionnaire, scores: Mapping[str, float],
                    dimension: Dimension) -> float:
    """The weighted mean of the dimension's question scores, rounded to 0.1."""
    questions = questionnaire.questions_of(dimension)
    total = sum(q.weight for q in questions)
    return round(sum(q.weight * scores[q.id] for q in questions) / total, 1)


def tier_for_score(score: float, cutoffs: tuple[float, ...]) -> Tier:
    """The highest tier whose cut-off ``score`` reaches (tier 1 below the first cut-off)."""
    return Tier(1 + sum(1 for c in cutoffs if score >= c))


def knockouts(questionnaire: Questionnaire, answers: Mapping[str, str],
              score_tier: Tier) -> tuple[Knockout, ...]:
    """Chosen options that cap the tier; the strictest are binding if below ``score_tier``."""
    hits = [(q, o) for q in questionnaire.questions
            if (o := _chosen(q, answers)).max_tier is not None]
    caps = [(q, o, o.max_tier) for q, o in hits if o.max_tier is not None]
    strictest = min((cap for _, _, cap in caps), default=score_tier)
    return tuple(Knockout(q.id, o.id, q.dimension, cap, cap == strictest < score_tier,
                          o.knockout_reason or Localized({}))
                 for q, o, cap in caps)


def score_answers(questionnaire: Questionnaire, answers: Mapping[str, str]) -> RiskProfile:
    """Score a complete answer set (raises AnswersError naming the question if it is not)."""
    answers = check_answers(questionnaire, answers)
    flags = consistency_flags(questionnaire, answers)
    raw = question_scores(questionnaire, answers)
    tolerance_unflagged = dimension_score(questionnaire, raw, Dimension.TOLERANCE)
    tolerance = dimension_score(questionnaire, question_scores(questionnaire, answers, flags),
                                Dimension.TOLERANCE)
    capacity = dimension_score(questionnaire, raw, Dimension.CAPACITY)
    combined = min(tolerance, capacity)
    score_tier = tier_for_score(combined, questionnaire.tier_cutoffs)
    kos = knockouts(questionnaire, answers, score_tier)
    tier = min([score_tier, *(k.max_tier for k in kos)])
    return RiskProfile(tolerance, tolerance_unflagged, capacity, combined, score_tier,
                       Tier(tier), _limiting(tolerance, capacity, kos), kos, flags)


def _limiting(tolerance: float, capacity: float,
              kos: tuple[Knockout, ...]) -> LimitingFactor:
    binding = [k for k in kos if k.binding]
    if binding:
        dims = {k.dimension for k in binding}
        return LimitingFactor(dims.pop()) if len(dims) == 1 else LimitingFactor.BOTH
    if tolerance < capacity:
        return LimitingFactor.TOLERANCE
    if capacity < tolerance:
        return LimitingFactor.CAPACITY
    return LimitingFactor.BOTH


def _chosen(question: Question, answers: Mapping[str, str]) -> Option:
    option = question.option(answers[question.id])
    assert option is not None, "answers are checked before scoring"
    return option
