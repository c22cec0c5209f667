"""Questionnaire definitions and answer files: read, validate, (on request) write.

Both are YAML (answers may also be JSON). Reading is strict: a missing, empty, binary or oversized
file, malformed syntax and duplicate keys (which PyYAML and ``json`` would silently resolve to the
last value) are errors that name the file, and the key or line. Answers are personal data: this
module never logs them, and writes them only through ``write_answers_file``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from roboadvisor.data.atomic import atomic_write_text
from roboadvisor.data.numbers import number
from roboadvisor.data.yaml_io import read_document
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
from roboadvisor.errors import AnswersError, QuestionnaireError, reason, shown
from roboadvisor.errors import catalog_text as _msg


# --- answer files -------------------------------------------------------------------------------
@dataclass(frozen=True)
class AnswersFile:
    """An answers file as read: the answers (not yet checked against a questionnaire) and the
    questionnaire it names, if any."""

    path: Path
    answers: Mapping[Any, Any]
    questionnaire_id: str | None = None
    questionnaire_version: int | None = None


def read_answers_file(path: Path) -> AnswersFile:
    """Read answers: a flat mapping ``question: option``, or ``questionnaire: {id, version}``
    (optional) beside ``answers: {question: option}``."""
    path = Path(path)
    doc = read_document(path, AnswersError, "answers file")

    def fail(message: str) -> AnswersError:
        return AnswersError.from_catalog(
            "data.in_file", path=_msg("files.label_answers_file", path=path), problem=message)

    if not isinstance(doc, dict):
        raise fail(_msg("zh_hardening.a_not_mapping", kind=_kind(doc)))
    doc = dict(doc)
    header = doc.pop("questionnaire", None)
    if "answers" in doc:
        answers = doc.pop("answers")
        if doc:
            raise fail(_msg("zh_hardening.a_unexpected_key", key=shown(next(iter(doc)))))
        if not isinstance(answers, dict):
            raise fail(_msg("zh_hardening.a_answers_not_mapping", kind=_kind(answers)))
    else:
        answers = doc
    qid, version = _answers_header(header, fail)
    return AnswersFile(path, answers, qid, version)


def _answers_header(header: Any,
                    fail: Callable[[str], AnswersError]) -> tuple[str | None, int | None]:
    if header is None:
        return None, None
    if isinstance(header, str):
        return header, None
    if not isinstance(header, dict) or not isinstance(header.get("id"), str) \
            or set(header) - {"id", "version"}:
        raise fail(_msg("zh_hardening.a_header_shape"))
    version = header.get("version")
    if version is None:
        return header["id"], None
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version)
    if isinstance(version, bool) or not isinstance(version, int):
        raise fail(_msg("zh_hardening.a_header_version", value=shown(version)))
    return header["id"], version


def write_answers_file(path: Path, questionnaire: Questionnaire,
                       answers: Mapping[str, str]) -> None:
    """Write answers (readable by ``read_answers_file``) atomically, readable by the owner only
    (mode 0600 whatever the umask)."""
    path = Path(path)
    body = {"questionnaire": {"id": questionnaire.id, "version": questionnaire.version},
            "answers": {qid: answers[qid] for qid in questionnaire.question_ids}}
    text = ("# Risk questionnaire answers (personal data: keep private)\n"
            + yaml.safe_dump(body, sort_keys=False, allow_unicode=True))
    try:
        atomic_write_text(path, text, mode=0o600)
    except OSError as exc:
        raise AnswersError.from_catalog("zh_hardening.a_cannot_write", path=path,
                                        reason=exc.strerror or reason(exc)) from None


# --- questionnaire definitions ------------------------------------------------------------------
def load_questionnaires(directory: Path) -> tuple[Questionnaire, ...]:
    """Every ``*.yaml`` questionnaire in ``directory``, sorted by id then version."""
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        raise QuestionnaireError.from_catalog("zh_hardening.q_no_files", directory=directory)
    found: dict[tuple[str, int], Path] = {}
    result = []
    for path in files:
        q = load_questionnaire_file(path)
        if (q.id, q.version) in found:
            raise QuestionnaireError.from_catalog("zh_hardening.q_defined_twice", key=q.key,
                                                  first=found[(q.id, q.version)], path=path)
        found[(q.id, q.version)] = path
        result.append(q)
    return tuple(sorted(result, key=lambda q: (q.id, q.version)))


def load_questionnaire_file(path: Path) -> Questionnaire:
    """One questionnaire definition, validated (errors name the file, question and field)."""
    doc = read_document(Path(path), QuestionnaireError, "questionnaire file")
    try:
        return _questionnaire(doc)
    except QuestionnaireError as exc:
        raise QuestionnaireError.from_catalog(
            "data.in_file", path=_msg("files.label_questionnaire_file", path=path),
            problem=reason(exc)) from None


_TOP_KEYS = {"id", "version", "languages", "title", "description", "tier_cutoffs", "questions",
             "consistency", "expiry_months", "lowest_category"}


def _questionnaire(doc: Any) -> Questionnaire:
    top = _mapping(doc, _msg("zh_hardening.q_top_level"),
                   required={"id", "version", "languages", "title", "questions", "tier_cutoffs"},
                   allowed=_TOP_KEYS)
    languages = _languages(top["languages"])

    def text(value: Any, where: str) -> Localized:
        return _localized(value, languages, where)

    questions = tuple(_question(q, i, text) for i, q in enumerate(_list(top["questions"],
                                                                         _top("questions"))))
    rules = tuple(_rule(r, i, text) for i, r in enumerate(_list(top.get("consistency") or [],
                                                                _top("consistency"))))
    return Questionnaire(
        id=top["id"], version=top["version"], languages=languages,
        title=text(top["title"], _top("title")),
        description=text(top.get("description") or dict.fromkeys(languages, ""),
                         _top("description")),
        questions=questions, tier_cutoffs=_cutoffs(top["tier_cutoffs"]), rules=rules,
        expiry_months=top.get("expiry_months", 12),
        lowest_category=_lowest(top.get("lowest_category") or []))


def _lowest(raw: Any) -> tuple[tuple[str, frozenset[str]], ...]:
    """``lowest_category``: a list of ``{question, options}`` that must all hold."""
    result = []
    for i, item in enumerate(_list(raw, _top("lowest_category"))):
        where = _msg("zh_hardening.q_item", name="lowest_category", index=i)
        c = _mapping(item, where, required={"question", "options"},
                     allowed={"question", "options"})
        options = _list(c["options"], _field(where, "options"))
        result.append((str(c["question"]), frozenset(str(x) for x in options)))
    return tuple(result)


def _question(raw: Any, index: int, text: Callable[[Any, str], Localized]) -> Question:
    qid = raw.get("id") if isinstance(raw, dict) else None
    where = (_msg("zh_hardening.q_question", id=shown(qid)) if isinstance(qid, str)
             else _msg("zh_hardening.q_item", name="questions", index=index))
    q = _mapping(raw, where, required={"id", "dimension", "text", "options"},
                 allowed={"id", "dimension", "weight", "text", "options"})
    try:
        dimension = Dimension(q["dimension"])
    except ValueError:
        raise QuestionnaireError.from_catalog(
            "zh_hardening.q_dimension", where=_field(where, "dimension"),
            value=shown(q["dimension"])) from None
    options = tuple(_option(o, where, i, text)
                    for i, o in enumerate(_list(q["options"], _field(where, "options"))))
    return Question(q["id"], dimension, _number(q.get("weight", 1), _field(where, "weight"), 0, 100,
                                          lo_open=True),
                    text(q["text"], _field(where, "text")), options)


def _option(raw: Any, question: str, index: int,
            text: Callable[[Any, str], Localized]) -> Option:
    oid = raw.get("id") if isinstance(raw, dict) else None
    where = (_msg("zh_hardening.q_option", where=question, id=shown(oid)) if isinstance(oid, str)
             else _msg("zh_hardening.q_sub_item", where=question, name="options", index=index))
    o = _mapping(raw, where, required={"id", "score", "text"},
                 allowed={"id", "score", "text", "max_tier", "knockout_reason"})
    max_tier = None
    if o.get("max_tier") is not None:
        try:
            max_tier = Tier(o["max_tier"])
        except ValueError:
            raise QuestionnaireError.from_catalog(
                "zh_hardening.q_max_tier", where=_field(where, "max_tier"),
                value=shown(o["max_tier"])) from None
    knockout = o.get("knockout_reason")
    return Option(o["id"], _number(o["score"], _field(where, "score")),
                  text(o["text"], _field(where, "text")), max_tier,
                  text(knockout, _field(where, "knockout_reason")) if knockout else None)


def _rule(raw: Any, index: int, text: Callable[[Any, str], Localized]) -> ConsistencyRule:
    rid = raw.get("id") if isinstance(raw, dict) else None
    where = (_msg("zh_hardening.q_rule", id=shown(rid)) if isinstance(rid, str)
             else _msg("zh_hardening.q_item", name="consistency", index=index))
    r = _mapping(raw, where, required={"id", "cautious", "risky", "cap", "message"},
                 allowed={"id", "cautious", "risky", "cap", "message"})
    sides = []
    for side in ("cautious", "risky"):
        s = _mapping(r[side], _field(where, side), required={"question", "options"},
                     allowed={"question", "options"})
        chosen = _list(s["options"], _field(where, f"{side}.options"))
        sides.append((s["question"], frozenset(str(x) for x in chosen)))
    return ConsistencyRule(r["id"], sides[0][0], sides[0][1], sides[1][0], sides[1][1],
                           _number(r["cap"], _field(where, "cap")),
                           text(r["message"], _field(where, "message")))


def _cutoffs(raw: Any) -> tuple[float, float, float, float]:
    where = _top("tier_cutoffs")
    m = _mapping(raw, where, required=set(), allowed=None)
    keys = {int(k) if str(k).isdigit() else k: v for k, v in m.items()}
    if set(keys) != {2, 3, 4, 5}:
        raise QuestionnaireError.from_catalog("zh_hardening.q_cutoff_keys", where=where,
                                              keys=shown(sorted(map(str, m))))
    c = tuple(_number(keys[t], _msg("zh_hardening.q_tier_of", where=where, k=t))
              for t in (2, 3, 4, 5))
    return c[0], c[1], c[2], c[3]


def _languages(raw: Any) -> tuple[Lang, ...]:
    items = _list(raw, _top("languages"))
    try:
        langs = tuple(Lang(str(x)) for x in items)
    except ValueError:
        raise QuestionnaireError.from_catalog("zh_hardening.q_languages_unknown",
                                              choices=", ".join(Lang), value=shown(items)
                                              ) from None
    if not langs or len(set(langs)) != len(langs):
        raise QuestionnaireError.from_catalog("zh_hardening.q_languages_once")
    return langs


def _localized(raw: Any, languages: tuple[Lang, ...], where: str) -> Localized:
    if isinstance(raw, str) and len(languages) == 1:
        raw = {languages[0].value: raw}
    if not isinstance(raw, dict):
        raise QuestionnaireError.from_catalog(
            "zh_hardening.q_text_each_language", where=where,
            shape="{" + ", ".join(f"{lang}: ..." for lang in languages) + "}")
    for lang in languages:
        if not isinstance(raw.get(lang.value), str) or not raw[lang.value].strip():
            raise QuestionnaireError.from_catalog("zh_hardening.q_text_missing", where=where,
                                                  lang=shown(lang.value))
    extra = set(raw) - {lang.value for lang in languages}
    if extra:
        raise QuestionnaireError.from_catalog("zh_hardening.q_text_extra_language", where=where,
                                              lang=shown(sorted(map(str, extra))[0]))
    return Localized({lang: " ".join(raw[lang.value].split()) for lang in languages})


def _mapping(raw: Any, where: str, required: set[str],
             allowed: set[str] | None) -> dict[Any, Any]:
    if not isinstance(raw, dict):
        raise QuestionnaireError.from_catalog("zh_hardening.q_not_mapping", where=where,
                                              kind=_kind(raw))
    missing = sorted(required - set(raw))
    if missing:
        raise QuestionnaireError.from_catalog("zh_hardening.q_field_missing", where=where,
                                              field=shown(missing[0]))
    if allowed is not None:
        unknown = sorted(map(str, set(raw) - allowed))
        if unknown:
            raise QuestionnaireError.from_catalog("zh_hardening.q_unknown_field", where=where,
                                                  field=shown(unknown[0]),
                                                  known=", ".join(sorted(allowed)))
    return raw


def _list(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise QuestionnaireError.from_catalog("zh_hardening.q_not_list", where=where,
                                              kind=_kind(raw))
    return raw


def _number(raw: Any, where: str, lo: float = -math.inf, hi: float = math.inf,
            lo_open: bool = False) -> float:
    return number(raw, _msg("zh_hardening.where_colon", where=where), QuestionnaireError, lo,
                  hi, lo_open=lo_open)


def _kind(value: Any) -> str:
    """What a value is, for "must be a mapping, not <kind>" (a catalog text)."""
    if isinstance(value, list):
        return _msg("zh_hardening.kind_list")
    if isinstance(value, str):
        return _msg("zh_hardening.kind_text", value=shown(value[:40]))
    if value is None:
        return _msg("zh_hardening.kind_nothing")
    return _msg("zh_hardening.kind_type", name=type(value).__name__)


def _top(field: str) -> str:
    """"field 'x'" (a top-level field of a questionnaire) as a catalog text."""
    return _msg("zh_hardening.q_top_field", field=field)


def _field(where: str, field: str) -> str:
    """"<where>, field 'x'": the one way a located questionnaire message names a field."""
    return _msg("zh_hardening.q_field", where=where, field=field)
