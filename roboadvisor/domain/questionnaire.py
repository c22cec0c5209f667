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
            raise _fail("zh_hardening.q_unknown_language", value=shown(value),
                        choices=", ".join(cls)) from None


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
        _check_id(self.id, catalog_text("zh_hardening.q_questionnaire_id"))
        if isinstance(self.version, bool) or not isinstance(self.version, int) \
                or self.version < 1:
            raise _fail("zh_hardening.q_version", value=shown(self.version))
        _check_questions(self.questions)
        _check_cutoffs(self.tier_cutoffs)
        for rule in self.rules:
            _check_rule(rule, {q.id: q for q in self.questions})
        if len({r.id for r in self.rules}) != len(self.rules):
            raise _fail("zh_hardening.q_rules_share_id")
        if isinstance(self.expiry_months, bool) or not isinstance(self.expiry_months, int) \
                or not 1 <= self.expiry_months <= 120:
            raise _fail("zh_hardening.q_expiry", value=shown(self.expiry_months))
        for qid, options in self.lowest_category:
            known = {q.id: q for q in self.questions}
            if qid not in known or not options <= set(known[qid].option_ids):
                raise _fail("zh_hardening.q_lowest_unknown", id=shown(qid),
                            options=shown(sorted(options)))

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
        raise _fail("zh_hardening.q_bad_id", what=what, value=shown(value))


def _check_questions(questions: tuple[Question, ...]) -> None:
    if not questions:
        raise _fail("zh_hardening.q_no_questions")
    seen: set[str] = set()
    for q in questions:
        _check_id(q.id, catalog_text("zh_hardening.q_question_id"))
        where = _question(q.id)
        if q.id in seen:
            raise _fail("zh_hardening.q_id_twice", where=where)
        if q.id in RESERVED_IDS:
            raise _fail("zh_hardening.q_id_reserved", where=where)
        seen.add(q.id)
        if not q.weight > 0:
            raise _fail("zh_hardening.q_weight", where=_field(where, "weight"),
                        value=shown(q.weight))
        if len(q.options) < 2:
            raise _fail("zh_hardening.q_two_options", where=_field(where, "options"))
        if len(set(q.option_ids)) != len(q.options):
            raise _fail("zh_hardening.q_options_share_id", where=_field(where, "options"))
        for o in q.options:
            _check_id(o.id, catalog_text("zh_hardening.q_option_id", where=where))
            if not 0 <= o.score <= 100:
                raise _fail("zh_hardening.q_score", where=_field(_option(where, o.id), "score"),
                            value=shown(o.score))
        _check_knockouts(q)
    for dimension in Dimension:
        if not any(q.dimension is dimension for q in questions):
            raise _fail("zh_hardening.q_no_dimension", dimension=dimension.value)


def _check_knockouts(q: Question) -> None:
    """A more risk-seeking option must never have a stricter knock-out cap."""
    for a in q.options:
        for b in q.options:
            cap_a, cap_b = a.max_tier or Tier.AGGRESSIVE, b.max_tier or Tier.AGGRESSIVE
            if b.score > a.score and cap_b < cap_a:
                raise _fail("zh_hardening.q_cap_order",
                            where=_field(_option(_question(q.id), b.id), "max_tier"),
                            cap=int(cap_b), other=int(cap_a), option=shown(a.id))
        if a.max_tier is not None and a.knockout_reason is None:
            raise _fail("zh_hardening.q_knockout_reason", where=_option(_question(q.id), a.id))


def _check_cutoffs(cutoffs: tuple[float, ...]) -> None:
    bounds = (0.0, *cutoffs, 100.0)
    if len(cutoffs) != 4 or any(lo >= hi for lo, hi in pairwise(bounds)):
        raise _fail("zh_hardening.q_cutoffs", value=shown(list(cutoffs)))


def _check_rule(rule: ConsistencyRule, questions: Mapping[str, Question]) -> None:
    where = catalog_text("zh_hardening.q_rule", id=shown(rule.id))
    _check_id(rule.id, catalog_text("zh_hardening.q_rule_id"))
    for field, qid, chosen in (("cautious", rule.cautious_question, rule.cautious_options),
                               ("risky", rule.risky_question, rule.risky_options)):
        if qid not in questions:
            raise _fail("zh_hardening.q_rule_unknown_question",
                        where=_field(where, f"{field}.question"), id=shown(qid))
        unknown = sorted(chosen - set(questions[qid].option_ids))
        if unknown or not chosen:
            problem = (catalog_text("zh_hardening.q_not_an_option", value=shown(unknown[0]),
                                    id=shown(qid)) if unknown
                       else catalog_text("zh_hardening.q_list_one"))
            raise _fail("zh_hardening.q_rule_options", where=_field(where, f"{field}.options"),
                        problem=problem, options=", ".join(questions[qid].option_ids))
    if rule.cautious_question == rule.risky_question:
        raise _fail("zh_hardening.q_rule_same_question", where=where)
    cautious, risky = questions[rule.cautious_question], questions[rule.risky_question]
    if risky.dimension is not Dimension.TOLERANCE:
        raise _fail("zh_hardening.q_rule_risky_tolerance",
                    where=_field(where, "risky.question"), id=shown(risky.id))
    top = max(o.score for o in cautious.options if o.id in rule.cautious_options)
    if any(o.score <= top and o.id not in rule.cautious_options for o in cautious.options):
        raise _fail("zh_hardening.q_rule_cautious_options",
                    where=_field(where, "cautious.options"), id=shown(cautious.id))
    low = min(o.score for o in risky.options if o.id in rule.risky_options)
    if any(o.score >= low and o.id not in rule.risky_options for o in risky.options):
        raise _fail("zh_hardening.q_rule_risky_options",
                    where=_field(where, "risky.options"), id=shown(risky.id))
    floor = max((o.score for o in risky.options if o.id not in rule.risky_options), default=0.0)
    if not floor <= rule.cap < low:
        raise _fail("zh_hardening.q_rule_cap", where=_field(where, "cap"), floor=f"{floor:g}",
                    id=shown(risky.id), low=f"{low:g}", value=f"{rule.cap:g}")


def _fail(key: str, /, **params: object) -> QuestionnaireError:
    """A questionnaire error from catalog message ``key``."""
    return QuestionnaireError.from_catalog(key, **params)


def _question(qid: object) -> str:
    """"question 'q1'" as a catalog text (located messages read in the user's language)."""
    return catalog_text("zh_hardening.q_question", id=shown(qid))


def _option(where: str, oid: object) -> str:
    return catalog_text("zh_hardening.q_option", where=where, id=shown(oid))


def _field(where: str, field: str) -> str:
    return catalog_text("zh_hardening.q_field", where=where, field=field)
