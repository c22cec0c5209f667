"""Use case: a client's answers -> an auditable risk assessment.

The audit key is the SHA-256 of the canonical answers: the mapping question id -> option id as
JSON with sorted keys and no whitespace (``separators=(",", ":")``), non-ASCII kept, UTF-8
encoded. Reproduce it with::

    hashlib.sha256(json.dumps(answers, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False).encode("utf-8")).hexdigest()

Answers are personal data: they stay in memory (``Assessment.answers``, hidden from ``repr``) and
are neither logged nor part of the JSON record, which carries only their hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from roboadvisor import config
from roboadvisor.data import questionnaire_files as files
from roboadvisor.domain.models import Tier
from roboadvisor.domain.questionnaire import Lang, Questionnaire, check_answers
from roboadvisor.domain.scoring import LimitingFactor, RiskProfile, score_answers
from roboadvisor.errors import AnswersError, QuestionnaireError, shown

DEFAULT_QUESTIONNAIRE = "standard"

TIER_LABELS_ZH = {1: "保守型", 2: "稳健型", 3: "平衡型", 4: "成长型", 5: "进取型"}


@dataclass(frozen=True)
class Assessment:
    """A scored answer set with what an audit needs: questionnaire id+version, time, hash."""

    questionnaire: Questionnaire
    profile: RiskProfile
    answers_sha256: str
    assessed_at: datetime
    lang: Lang
    answers: Mapping[str, str] = field(repr=False)  # personal data: memory only

    @property
    def questionnaire_id(self) -> str:
        return self.questionnaire.id

    @property
    def questionnaire_version(self) -> int:
        return self.questionnaire.version

    @property
    def tier(self) -> Tier:
        return self.profile.tier


# --- questionnaires -----------------------------------------------------------------------------
def list_questionnaires() -> tuple[Questionnaire, ...]:
    """Every available questionnaire (id, version order)."""
    return files.load_questionnaires(config.questionnaires_dir())


def get_questionnaire(questionnaire_id: str | None = None,
                      version: int | None = None) -> Questionnaire:
    """A questionnaire by id (default: the standard one), latest version unless given."""
    available = list_questionnaires()
    ids = sorted({q.id for q in available})
    if questionnaire_id is None:
        questionnaire_id = DEFAULT_QUESTIONNAIRE if DEFAULT_QUESTIONNAIRE in ids or \
            len(ids) != 1 else ids[0]
    matches = [q for q in available if q.id == questionnaire_id]
    if not matches:
        raise QuestionnaireError.from_catalog(
            "errors.unknown_questionnaire", name=shown(questionnaire_id),
            available=", ".join(q.key for q in available))
    if version is None:
        return matches[-1]
    for q in matches:
        if q.version == version:
            return q
    raise QuestionnaireError.from_catalog(
        "errors.no_questionnaire_version", name=shown(questionnaire_id), version=version,
        available=", ".join(str(q.version) for q in matches))


def check_language(questionnaire: Questionnaire, lang: str | Lang) -> Lang:
    """``lang`` as a Lang the questionnaire provides, or QuestionnaireError."""
    chosen = Lang.parse(lang)
    if chosen not in questionnaire.languages:
        raise QuestionnaireError.from_catalog(
            "errors.questionnaire_language", name=questionnaire.key, lang=repr(chosen.value),
            choices=" or ".join(lang.value for lang in questionnaire.languages))
    return chosen


# --- assessing ----------------------------------------------------------------------------------
def assess_answers_file(answers: Path, questionnaire_id: str | None = None, lang: str = "en",
                        *, now: datetime | None = None) -> Assessment:
    """Assess an answers file (YAML or JSON). Errors name the file and the question."""
    doc = files.read_answers_file(Path(answers))
    if questionnaire_id and doc.questionnaire_id and questionnaire_id != doc.questionnaire_id:
        raise AnswersError.from_catalog("zh_hardening.answers_other_questionnaire",
                                        path=doc.path, id=shown(doc.questionnaire_id),
                                        given=shown(questionnaire_id))
    questionnaire = _questionnaire_for(doc, questionnaire_id)
    try:
        clean = check_answers(questionnaire, doc.answers)
    except AnswersError as exc:
        raise AnswersError.from_catalog("errors.answers_in_file", path=doc.path,
                                        problem=exc) from None
    return assess_answers(questionnaire, clean, lang, now=now)


def _questionnaire_for(doc: files.AnswersFile, questionnaire_id: str | None) -> Questionnaire:
    questionnaire = get_questionnaire(questionnaire_id or doc.questionnaire_id)
    wanted = doc.questionnaire_version
    if wanted is None or wanted == questionnaire.version:
        return questionnaire
    try:
        return get_questionnaire(questionnaire.id, wanted)
    except QuestionnaireError:
        raise AnswersError.from_catalog("zh_hardening.answers_old_version", path=doc.path,
                                        id=shown(questionnaire.id), version=wanted,
                                        current=questionnaire.version) from None


def assess_answers(questionnaire: Questionnaire, answers: Mapping[str, str],
                   lang: str | Lang = "en", *, now: datetime | None = None) -> Assessment:
    """Score answers (checked against the questionnaire) and stamp them for the audit."""
    chosen = check_language(questionnaire, lang)
    clean = check_answers(questionnaire, answers)
    return Assessment(questionnaire, score_answers(questionnaire, clean), answers_sha256(clean),
                      (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0),
                      chosen, clean)


def canonical_answers(answers: Mapping[str, str]) -> bytes:
    """JSON with sorted keys, no whitespace, UTF-8: the bytes the audit hash is taken of."""
    return json.dumps(dict(answers), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def answers_sha256(answers: Mapping[str, str]) -> str:
    """The audit key: SHA-256 (hex) of the canonical answers."""
    return hashlib.sha256(canonical_answers(answers)).hexdigest()


def save_answers(path: Path, assessment: Assessment) -> None:
    """Write the assessment's answers to ``path`` (only when the user asks)."""
    files.write_answers_file(path, assessment.questionnaire, assessment.answers)


# --- presenting ---------------------------------------------------------------------------------
def tier_label(tier: Tier, lang: str | Lang = "en") -> str:
    return TIER_LABELS_ZH[int(tier)] if Lang(lang) is Lang.ZH else tier.label


def explain(assessment: Assessment, lang: str | Lang | None = None,
            private: bool = False) -> tuple[str, ...]:
    """The plain-language explanation, one sentence per item, in ``lang``. ``private`` (the
    JSON record) names the capping question instead of quoting the answer's reason."""
    lang = Lang(lang or assessment.lang)
    p, q = assessment.profile, assessment.questionnaire
    zh = lang is Lang.ZH
    t, c, m = p.tolerance_score, p.capacity_score, p.combined_score
    lo, hi = q.tier_range(p.score_tier)
    span = (f"{lo:g}分及以上" if zh else f"{lo:g} and above") if p.score_tier == 5 else \
        (f"{lo:g}至{hi:g}分以下" if zh else f"{lo:g} to below {hi:g}")
    factor = (LimitingFactor.TOLERANCE if t < c else
              LimitingFactor.CAPACITY if c < t else LimitingFactor.BOTH)
    lines = [_ZH["scores"] if zh else _EN["scores"],
             (_ZH if zh else _EN)[f"rule_{factor.value}"],
             _ZH["band"] if zh else _EN["band"]]
    lines += [(_ZH if zh else _EN)["knockout_private" if private else "knockout"].format(
        k=int(k.max_tier), q=k.question_id, reason="" if private else k.reason.get(lang))
        .replace("{", "{{").replace("}", "}}") for k in p.binding_knockouts]
    if p.flags:
        lines.append((_ZH if zh else _EN)["flags"])
    lines.append((_ZH if zh else _EN)["tier"])
    return tuple(line.format(t=t, c=c, m=m, span=span, score_tier=int(p.score_tier),
                             score_label=tier_label(p.score_tier, lang), n=len(p.flags),
                             s="" if len(p.flags) == 1 else "s",
                             raw=p.tolerance_score_unflagged, k=int(p.tier),
                             label=tier_label(p.tier, lang)) for line in lines)


_EN = {
    "scores": "Your willingness to take risk (tolerance) scores {t:.1f} out of 100; your financial "
              "ability to bear losses (capacity) scores {c:.1f}.",
    "rule_tolerance": "We follow the more conservative of the two, so your combined score is "
                      "{m:.1f}, set by your tolerance.",
    "rule_capacity": "We follow the more conservative of the two, so your combined score is "
                     "{m:.1f}, set by your capacity.",
    "rule_both": "We follow the more conservative of the two; both are equal, so your combined "
                 "score is {m:.1f}.",
    "band": "A combined score of {m:.1f} falls in tier {score_tier} ({score_label}, "
            "scores {span}).",
    "knockout": "One of your answers caps the tier at {k}: {reason}",
    "knockout_private": "Your answer to question {q} caps the tier at {k}.",
    "flags": "{n} contradiction{s} between your answers: we believed the more cautious answer, "
             "which lowered your tolerance from {raw:.1f} to {t:.1f}.",
    "tier": "Your tier is {k} ({label}): investor suitability level C{k}, so you may hold "
            "products of risk level up to R{k}.",
}

_ZH = {
    "scores": "您承担风险的意愿（风险承受意愿）得分为{t:.1f}分（满分100），承受亏损的财务能力"
              "（风险承受能力）得分为{c:.1f}分。",
    "rule_tolerance": "我们以两者中较保守的一项为准，综合得分为{m:.1f}分，"
                      "由您的风险承受意愿决定。",
    "rule_capacity": "我们以两者中较保守的一项为准，综合得分为{m:.1f}分，"
                     "由您的风险承受能力决定。",
    "rule_both": "我们以两者中较保守的一项为准；两项得分相同，综合得分为{m:.1f}分。",
    "band": "综合得分{m:.1f}分对应第{score_tier}级（{score_label}，{span}）。",
    "knockout": "您的一项回答将风险等级上限设为第{k}级：{reason}",
    "knockout_private": "您对题目 {q} 的回答将风险等级上限设为第{k}级。",
    "flags": "您有{n}处回答相互矛盾；我们采信较谨慎的回答，风险承受意愿得分因此由{raw:.1f}分"
             "降至{t:.1f}分。",
    "tier": "您的风险等级为第{k}级（{label}）：投资者适当性等级C{k}，可购买风险等级不高于"
            "R{k}的产品。",
}


def questionnaire_summary(questionnaire: Questionnaire, lang: str | Lang = "en") -> dict[str, Any]:
    """Id, version, languages, number of questions and title (JSON-safe)."""
    q = questionnaire
    return {"id": q.id, "version": q.version, "languages": [x.value for x in q.languages],
            "question_count": len(q.questions), "title": q.title.get(lang)}


def questionnaire_record(questionnaire: Questionnaire, lang: str | Lang = "en") -> dict[str, Any]:
    """The whole definition in one language (JSON-safe)."""
    q = questionnaire
    return {
        **questionnaire_summary(q, lang), "lang": Lang(lang).value,
        "description": q.description.get(lang),
        "tier_cutoffs": {str(tier): cut for tier, cut in enumerate(q.tier_cutoffs, 2)},
        "questions": [{"id": x.id, "dimension": x.dimension.value, "weight": x.weight,
                       "text": x.text.get(lang),
                       "options": [{"id": o.id, "score": o.score, "text": o.text.get(lang),
                                    "max_tier": int(o.max_tier) if o.max_tier else None}
                                   for o in x.options]} for x in q.questions],
        "consistency": [{"id": r.id, "cautious": {"question": r.cautious_question,
                                                  "options": sorted(r.cautious_options)},
                         "risky": {"question": r.risky_question,
                                   "options": sorted(r.risky_options)},
                         "cap": r.cap, "message": r.message.get(lang)} for r in q.rules],
    }


def assessment_record(assessment: Assessment) -> dict[str, Any]:
    """The machine-readable record (JSON-safe): question and rule ids, the answers' hash, never
    an option id or an answer's text (the record is what gets stored and shipped)."""
    p, lang = assessment.profile, assessment.lang
    return {
        "questionnaire": {"id": assessment.questionnaire_id,
                          "version": assessment.questionnaire_version},
        "assessed_at": assessment.assessed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "answers_sha256": assessment.answers_sha256,
        "lang": lang.value,
        "tolerance_score": p.tolerance_score,
        "tolerance_score_before_flags": p.tolerance_score_unflagged,
        "capacity_score": p.capacity_score,
        "combined_score": p.combined_score,
        "combining_rule": p.rule,
        "limiting_factor": p.limiting_factor.value,
        "score_tier": int(p.score_tier),
        "tier": int(p.tier),
        "tier_name": p.tier.name.lower(),
        "tier_label": tier_label(p.tier, lang),
        "suitability_level": p.tier.suitability_level,
        "max_product_risk": f"R{p.tier.max_product_risk}",
        "knockouts": [{"question": k.question_id, "max_tier": int(k.max_tier),
                       "binding": k.binding} for k in p.knockouts],
        "flags": [{"rule": f.rule_id, "cautious": {"question": f.cautious_question},
                   "risky": {"question": f.risky_question},
                   "score": f.original_score, "scored_as": f.scored_as} for f in p.flags],
        "explanation": list(explain(assessment, lang, private=True)),
    }
