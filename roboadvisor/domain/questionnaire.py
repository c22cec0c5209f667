"""Questionnaire definitions: questions, options, knock-outs, consistency rules, tier cut-offs.

Pure data with its invariants checked on construction (no I/O). Every option carries a ``score``
0..100: a higher score is the more risk-seeking answer, so "more risk-seeking" is defined by the
data. The invariants below are what make the tier monotone in every answer (see ``scoring``):

- knock-outs: a more risk-seeking option never has a stricter tier cap;
- consistency rules: the cautious side is a set of lowest options, the risky side a set of
  highest options, and the cap is at least the score of every risky-side option outside the set.

Errors name the question and field; the file loader prefixes the file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Any

from roboadvisor.domain.models import Tier
from roboadvisor.errors import AnswersError, QuestionnaireError, catalog_text, shown

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
RESERVED_IDS = frozenset({"questionnaire", "answers"})  # top-level keys of an answers file


class Lang(StrEnum):
    """Languages the CLI can speak; a questionnaire declares which of them it provides."""

    EN = "en"
    ZH = "zh"

    @classmethod
    def parse(cls, value: str | Lang) -> Lang:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise QuestionnaireError(
                f"unknown language {shown(value)}: use one of {', '.join(cls)}") from None


class Dimension(StrEnum):
    """What a question measures: willingness (tolerance) or ability (capacity) to take risk."""

    TOLERANCE = "tolerance"
    CAPACITY = "capacity"


@dataclass(frozen=True)
class Localized:
    """One text in several languages."""

    texts: Mapping[Lang, str]

    def get(self, lang: Lang | str) -> str:
        """The text in ``lang``, else in the first language given, else ''."""
        return self.texts.get(Lang(lang)) or next(iter(self.texts.values()), "")


@dataclass(frozen=True)
class Option:
    """One answer. ``score`` 0..100, higher = more risk-seeking; ``max_tier`` is a knock-out."""

    id: str
    score: float
    text: Localized
    max_tier: Tier | None = None
    knockout_reason: Localized | None = None


@dataclass(frozen=True)
class Question:
    """A question with its options, the dimension it measures and its weight in that score."""

    id: str
    dimension: Dimension
    weight: float
    text: Localized
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    @property
    def options_by_risk(self) -> tuple[Option, ...]:
        """Options from the most cautious to the most risk-seeking."""
        return tuple(sorted(self.options, key=lambda o: o.score))


@dataclass(frozen=True)
class ConsistencyRule:
    """Flags a cautious answer given together with a contradicting risk-seeking one.

    When it fires, the risky question (a tolerance question) is scored at most ``cap``: we believe
    the cautious answer. ``cap`` is at least the score of every risky-question option outside
    ``risky_options``, so choosing a flagged option never scores below a non-flagged one.
    """

    id: str
    cautious_question: str
    cautious_options: frozenset[str]
    risky_question: str
    risky_options: frozenset[str]
    cap: float
    message: Localized

    def fires(self, answers: Mapping[str, str]) -> bool:
        return (answers.get(self.cautious_question) in self.cautious_options
                and answers.get(self.risky_question) in self.risky_options)


@dataclass(frozen=True)
class Questionnaire:
    """A versioned questionnaire. ``tier_cutoffs[k]`` is the lowest combined score of tier k+2
    (tier 1 starts at 0)."""

    id: str
    version: int
    languages: tuple[Lang, ...]
    title: Localized
    description: Localized
    questions: tuple[Question, ...]
    tier_cutoffs: tuple[float, float, float, float]
    rules: tuple[ConsistencyRule, ...] = ()
    expiry_months: int = 12
    lowest_category: tuple[tuple[str, frozenset[str]], ...] = ()

    def __post_init__(self) -> None:
        _check_id(self.id, "questionnaire id")
        if isinstance(self.version, bool) or not isinstance(self.version, int) \
                or self.version < 1:
            raise QuestionnaireError(f"field 'version': must be a whole number >= 1, "
                                     f"got {shown(self.version)}")
        _check_questions(self.questions)
        _check_cutoffs(self.tier_cutoffs)
        for rule in self.rules:
            _check_rule(rule, {q.id: q for q in self.questions})
        if len({r.id for r in self.rules}) != len(self.rules):
            raise QuestionnaireError("field 'consistency': two rules share an id; rename one")
        if isinstance(self.expiry_months, bool) or not isinstance(self.expiry_months, int) \
                or not 1 <= self.expiry_months <= 120:
            raise QuestionnaireError(f"field 'expiry_months': must be a whole number of months "
                                     f"1..120, got {self.expiry_months!r}")
        for qid, options in self.lowest_category:
            known = {q.id: q for q in self.questions}
            if qid not in known or not options <= set(known[qid].option_ids):
                raise QuestionnaireError(f"field 'lowest_category': question {qid!r} or one of "
                                         f"its options {sorted(options)} is not in the "
                                         "questionnaire")

    def is_lowest_category(self, answers: Mapping[str, str]) -> bool:
        """True when every ``lowest_category`` condition holds: an investor who cannot bear any
        loss (C1-lowest), who may only hold R1 products whatever else is asked."""
        return bool(self.lowest_category) and all(answers.get(qid) in options
                                                   for qid, options in self.lowest_category)

    @property
    def key(self) -> str:
        return f"{self.id} v{self.version}"

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)

    def questions_of(self, dimension: Dimension) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.dimension is dimension)

    def tier_range(self, tier: Tier) -> tuple[float, float]:
        """The combined-score interval [low, high) of a tier (high = 100 for tier 5)."""
        bounds = (0.0, *self.tier_cutoffs, 100.0)
        return bounds[tier - 1], bounds[tier]


def check_answers(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> dict[str, str]:
    """The answers as question id -> option id, or AnswersError naming the question to fix
    (from the message catalog, so the CLI shows it in the user's language)."""
    known = questionnaire.question_ids
    for qid in answers:
        if qid not in known:
            raise AnswersError.from_catalog(
                "errors.unknown_question", question=shown(qid),
                hint=_did_you_mean(str(qid), known), questionnaire=questionnaire.key,
                known=", ".join(known))
    missing = [qid for qid in known if qid not in answers]
    if missing:
        more = catalog_text("errors.no_answer_more", count=len(missing) - 1,
                            rest=", ".join(missing[1:])) if len(missing) > 1 else ""
        q = questionnaire.question(missing[0])
        raise AnswersError.from_catalog("errors.no_answer", question=shown(q.id), more=more,
                                        qid=q.id, options=", ".join(q.option_ids))
    clean: dict[str, str] = {}
    for q in questionnaire.questions:
        value = answers[q.id]
        if not isinstance(value, str):
            raise AnswersError.from_catalog("errors.answer_not_text", question=shown(q.id),
                                            value=shown(value), options=", ".join(q.option_ids))
        if q.option(value) is None:
            raise AnswersError.from_catalog("errors.not_an_option", question=shown(q.id),
                                            value=shown(value),
                                            hint=_did_you_mean(value, q.option_ids),
                                            options=", ".join(q.option_ids))
        clean[q.id] = value
    return clean


def _did_you_mean(value: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, choices, n=1)
    return catalog_text("errors.did_you_mean", value=repr(close[0])) if close else ""


def _check_id(value: object, what: str) -> None:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise QuestionnaireError(f"{what} {shown(value)}: use lower-case letters, digits and '_', "
                                 "starting with a letter")


def _check_questions(questions: tuple[Question, ...]) -> None:
    if not questions:
        raise QuestionnaireError("field 'questions': list at least one question")
    seen: set[str] = set()
    for q in questions:
        _check_id(q.id, "question id")
        where = f"question {shown(q.id)}"
        if q.id in seen:
            raise QuestionnaireError(f"{where}: the id appears twice; rename one")
        if q.id in RESERVED_IDS:
            raise QuestionnaireError(f"{where}: the id is reserved; rename it")
        seen.add(q.id)
        if not q.weight > 0:
            raise QuestionnaireError(f"{where}, field 'weight': must be > 0, got {shown(q.weight)}")
        if len(q.options) < 2:
            raise QuestionnaireError(f"{where}, field 'options': give at least two options")
        if len(set(q.option_ids)) != len(q.options):
            raise QuestionnaireError(f"{where}, field 'options': two options share an id")
        for o in q.options:
            _check_id(o.id, f"{where}: option id")
            if not 0 <= o.score <= 100:
                raise QuestionnaireError(f"{where}, option {shown(o.id)}, field 'score': must be "
                                         f"within 0..100, got {shown(o.score)}")
        _check_knockouts(q)
    for dimension in Dimension:
        if not any(q.dimension is dimension for q in questions):
            raise QuestionnaireError(f"field 'questions': no question measures {dimension}; "
                                     "add one")


def _check_knockouts(q: Question) -> None:
    """A more risk-seeking option must never have a stricter knock-out cap."""
    for a in q.options:
        for b in q.options:
            cap_a, cap_b = a.max_tier or Tier.AGGRESSIVE, b.max_tier or Tier.AGGRESSIVE
            if b.score > a.score and cap_b < cap_a:
                raise QuestionnaireError(
                    f"question {shown(q.id)}, option {shown(b.id)}, field 'max_tier': "
                    f"{int(cap_b)} is stricter than the cap {int(cap_a)} of the more cautious "
                    f"option {shown(a.id)}; "
                    "a more risk-seeking answer must not get a lower cap")
        if a.max_tier is not None and a.knockout_reason is None:
            raise QuestionnaireError(f"question {shown(q.id)}, option {shown(a.id)}: a max_tier "
                                     "needs a 'knockout_reason'")


def _check_cutoffs(cutoffs: tuple[float, ...]) -> None:
    bounds = (0.0, *cutoffs, 100.0)
    if len(cutoffs) != 4 or any(lo >= hi for lo, hi in pairwise(bounds)):
        raise QuestionnaireError(
            f"field 'tier_cutoffs': give the lowest score of tiers 2, 3, 4 and 5, strictly "
            f"increasing, above 0 and below 100; got {list(cutoffs)}")


def _check_rule(rule: ConsistencyRule, questions: Mapping[str, Question]) -> None:
    where = f"consistency rule {shown(rule.id)}"
    _check_id(rule.id, "consistency rule id")
    for field, qid, chosen in (("cautious", rule.cautious_question, rule.cautious_options),
                               ("risky", rule.risky_question, rule.risky_options)):
        if qid not in questions:
            raise QuestionnaireError(f"{where}, field '{field}.question': unknown question "
                                     f"{shown(qid)}")
        unknown = sorted(chosen - set(questions[qid].option_ids))
        if unknown or not chosen:
            problem = (f"{shown(unknown[0])} is not an option of {shown(qid)}" if unknown
                       else "list one")
            raise QuestionnaireError(f"{where}, field '{field}.options': {problem}; options: "
                                     f"{', '.join(questions[qid].option_ids)}")
    if rule.cautious_question == rule.risky_question:
        raise QuestionnaireError(f"{where}: the two sides must be different questions")
    cautious, risky = questions[rule.cautious_question], questions[rule.risky_question]
    if risky.dimension is not Dimension.TOLERANCE:
        raise QuestionnaireError(f"{where}, field 'risky.question': {shown(risky.id)} must be a "
                                 "tolerance question (flags lower the tolerance score)")
    top = max(o.score for o in cautious.options if o.id in rule.cautious_options)
    if any(o.score <= top and o.id not in rule.cautious_options for o in cautious.options):
        raise QuestionnaireError(f"{where}, field 'cautious.options': must include every option "
                                 f"of {shown(cautious.id)} at least as cautious as those listed")
    low = min(o.score for o in risky.options if o.id in rule.risky_options)
    if any(o.score >= low and o.id not in rule.risky_options for o in risky.options):
        raise QuestionnaireError(f"{where}, field 'risky.options': must include every option "
                                 f"of {shown(risky.id)} at least as risk-seeking as those listed")
    floor = max((o.score for o in risky.options if o.id not in rule.risky_options), default=0.0)
    if not floor <= rule.cap < low:
        raise QuestionnaireError(
            f"{where}, field 'cap': must be at least {floor:g} (the best unflagged option of "
            f"{shown(risky.id)}) and below {low:g} (the lowest flagged one); got {rule.cap:g}")
