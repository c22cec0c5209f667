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
from roboadvisor.errors import AnswersError, QuestionnaireError, shown


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
        return AnswersError(f"answers file {path}: {message}")

    if not isinstance(doc, dict):
        raise fail("must be a mapping of question id -> option id, "
                   f"not {_kind(doc)}")
    doc = dict(doc)
    header = doc.pop("questionnaire", None)
    if "answers" in doc:
        answers = doc.pop("answers")
        if doc:
            raise fail(f"unexpected top-level key {shown(next(iter(doc)))}; beside 'answers' only "
                       "'questionnaire' is allowed")
        if not isinstance(answers, dict):
            raise fail(f"'answers' must be a mapping of question id -> option id, "
                       f"not {_kind(answers)}")
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
        raise fail("'questionnaire' must be an id or a mapping {id: <id>, version: <number>}")
    version = header.get("version")
    if version is None:
        return header["id"], None
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version)
    if isinstance(version, bool) or not isinstance(version, int):
        raise fail(f"'questionnaire.version' must be a whole number, got {shown(version)}")
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
        raise AnswersError(f"cannot write answers file {path}: {exc.strerror or exc}") from None


# --- questionnaire definitions ------------------------------------------------------------------
def load_questionnaires(directory: Path) -> tuple[Questionnaire, ...]:
    """Every ``*.yaml`` questionnaire in ``directory``, sorted by id then version."""
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        raise QuestionnaireError(f"no questionnaire files (*.yaml) in {directory}; point "
                                 "ROBOADVISOR_QUESTIONNAIRES to a folder that has some")
    found: dict[tuple[str, int], Path] = {}
    result = []
    for path in files:
        q = load_questionnaire_file(path)
        if (q.id, q.version) in found:
            raise QuestionnaireError(f"questionnaire {q.key} is defined twice: in "
                                     f"{found[(q.id, q.version)]} and {path}; keep one")
        found[(q.id, q.version)] = path
        result.append(q)
    return tuple(sorted(result, key=lambda q: (q.id, q.version)))


def load_questionnaire_file(path: Path) -> Questionnaire:
    """One questionnaire definition, validated (errors name the file, question and field)."""
    doc = read_document(Path(path), QuestionnaireError, "questionnaire file")
    try:
        return _questionnaire(doc)
    except QuestionnaireError as exc:
        raise QuestionnaireError(f"questionnaire file {path}: {exc}") from None


_TOP_KEYS = {"id", "version", "languages", "title", "description", "tier_cutoffs", "questions",
             "consistency", "expiry_months", "lowest_category"}


def _questionnaire(doc: Any) -> Questionnaire:
    top = _mapping(doc, "top level", required={"id", "version", "languages", "title",
                                              "questions", "tier_cutoffs"}, allowed=_TOP_KEYS)
    languages = _languages(top["languages"])

    def text(value: Any, where: str) -> Localized:
        return _localized(value, languages, where)

    questions = tuple(_question(q, i, text) for i, q in enumerate(_list(top["questions"],
                                                                         "field 'questions'")))
    rules = tuple(_rule(r, i, text) for i, r in enumerate(_list(top.get("consistency") or [],
                                                                "field 'consistency'")))
    return Questionnaire(
        id=top["id"], version=top["version"], languages=languages,
        title=text(top["title"], "field 'title'"),
        description=text(top.get("description") or dict.fromkeys(languages, ""),
                         "field 'description'"),
        questions=questions, tier_cutoffs=_cutoffs(top["tier_cutoffs"]), rules=rules,
        expiry_months=top.get("expiry_months", 12),
        lowest_category=_lowest(top.get("lowest_category") or []))


def _lowest(raw: Any) -> tuple[tuple[str, frozenset[str]], ...]:
    """``lowest_category``: a list of ``{question, options}`` that must all hold."""
    result = []
    for i, item in enumerate(_list(raw, "field 'lowest_category'")):
        c = _mapping(item, f"lowest_category[{i}]", required={"question", "options"},
                     allowed={"question", "options"})
        options = _list(c["options"], f"lowest_category[{i}], field 'options'")
        result.append((str(c["question"]), frozenset(str(x) for x in options)))
    return tuple(result)


def _question(raw: Any, index: int, text: Callable[[Any, str], Localized]) -> Question:
    qid = raw.get("id") if isinstance(raw, dict) else None
    where = f"question {shown(qid)}" if isinstance(qid, str) else f"questions[{index}]"
    q = _mapping(raw, where, required={"id", "dimension", "text", "options"},
                 allowed={"id", "dimension", "weight", "text", "options"})
    try:
        dimension = Dimension(q["dimension"])
    except ValueError:
        raise QuestionnaireError(f"{where}, field 'dimension': use 'tolerance' or 'capacity', "
                                 f"got {shown(q['dimension'])}") from None
    options = tuple(_option(o, where, i, text)
                    for i, o in enumerate(_list(q["options"], f"{where}, field 'options'")))
    return Question(qid, dimension, _number(q.get("weight", 1), f"{where}, field 'weight'", 0, 100,
                                          lo_open=True),
                    text(q["text"], f"{where}, field 'text'"), options)


def _option(raw: Any, question: str, index: int,
            text: Callable[[Any, str], Localized]) -> Option:
    oid = raw.get("id") if isinstance(raw, dict) else None
    where = f"{question}, option {shown(oid)}" if isinstance(oid, str) else \
        f"{question}, options[{index}]"
    o = _mapping(raw, where, required={"id", "score", "text"},
                 allowed={"id", "score", "text", "max_tier", "knockout_reason"})
    max_tier = None
    if o.get("max_tier") is not None:
        try:
            max_tier = Tier(o["max_tier"])
        except ValueError:
            raise QuestionnaireError(f"{where}, field 'max_tier': use a tier 1..5, got "
                                     f"{shown(o['max_tier'])}") from None
    reason = o.get("knockout_reason")
    return Option(oid, _number(o["score"], f"{where}, field 'score'"),
                  text(o["text"], f"{where}, field 'text'"), max_tier,
                  text(reason, f"{where}, field 'knockout_reason'") if reason else None)


def _rule(raw: Any, index: int, text: Callable[[Any, str], Localized]) -> ConsistencyRule:
    rid = raw.get("id") if isinstance(raw, dict) else None
    where = f"consistency rule {shown(rid)}" if isinstance(rid, str) else f"consistency[{index}]"
    r = _mapping(raw, where, required={"id", "cautious", "risky", "cap", "message"},
                 allowed={"id", "cautious", "risky", "cap", "message"})
    sides = []
    for side in ("cautious", "risky"):
        s = _mapping(r[side], f"{where}, field '{side}'", required={"question", "options"},
                     allowed={"question", "options"})
        chosen = _list(s["options"], f"{where}, field '{side}.options'")
        sides.append((s["question"], frozenset(str(x) for x in chosen)))
    return ConsistencyRule(rid, sides[0][0], sides[0][1], sides[1][0], sides[1][1],
                           _number(r["cap"], f"{where}, field 'cap'"),
                           text(r["message"], f"{where}, field 'message'"))


def _cutoffs(raw: Any) -> tuple[float, float, float, float]:
    where = "field 'tier_cutoffs'"
    m = _mapping(raw, where, required=set(), allowed=None)
    keys = {int(k) if str(k).isdigit() else k: v for k, v in m.items()}
    if set(keys) != {2, 3, 4, 5}:
        raise QuestionnaireError(f"{where}: give the lowest combined score of tiers 2, 3, 4 and "
                                 f"5 (e.g. {{2: 25, 3: 42, 4: 60, 5: 78}}), got keys "
                                 f"{sorted(map(str, m))}")
    c = tuple(_number(keys[t], f"{where} (tier {t})") for t in (2, 3, 4, 5))
    return c[0], c[1], c[2], c[3]


def _languages(raw: Any) -> tuple[Lang, ...]:
    items = _list(raw, "field 'languages'")
    try:
        langs = tuple(Lang(str(x)) for x in items)
    except ValueError:
        raise QuestionnaireError(f"field 'languages': use some of {', '.join(Lang)}, "
                                 f"got {items}") from None
    if not langs or len(set(langs)) != len(langs):
        raise QuestionnaireError("field 'languages': list each language once, at least one")
    return langs


def _localized(raw: Any, languages: tuple[Lang, ...], where: str) -> Localized:
    if isinstance(raw, str) and len(languages) == 1:
        raw = {languages[0].value: raw}
    if not isinstance(raw, dict):
        raise QuestionnaireError(f"{where}: give the text in each language, "
                                 f"{{{', '.join(f'{lang}: ...' for lang in languages)}}}")
    for lang in languages:
        if not isinstance(raw.get(lang.value), str) or not raw[lang.value].strip():
            raise QuestionnaireError(f"{where}: the {shown(lang.value)} text is missing or empty")
    extra = set(raw) - {lang.value for lang in languages}
    if extra:
        raise QuestionnaireError(f"{where}: language {shown(sorted(map(str, extra))[0])} is not in "
                                 "'languages'")
    return Localized({lang: " ".join(raw[lang.value].split()) for lang in languages})


def _mapping(raw: Any, where: str, required: set[str],
             allowed: set[str] | None) -> dict[Any, Any]:
    if not isinstance(raw, dict):
        raise QuestionnaireError(f"{where}: must be a mapping, not {_kind(raw)}")
    missing = sorted(required - set(raw))
    if missing:
        raise QuestionnaireError(f"{where}: field {shown(missing[0])} is missing")
    if allowed is not None:
        unknown = sorted(map(str, set(raw) - allowed))
        if unknown:
            raise QuestionnaireError(f"{where}: unknown field {shown(unknown[0])}; known: "
                                     f"{', '.join(sorted(allowed))}")
    return raw


def _list(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise QuestionnaireError(f"{where}: must be a list, not {_kind(raw)}")
    return raw


def _number(raw: Any, where: str, lo: float = -math.inf, hi: float = math.inf,
            lo_open: bool = False) -> float:
    return number(raw, f"{where}:", QuestionnaireError, lo, hi, lo_open=lo_open)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {shown(value[:40])}"
    return f"a {type(value).__name__}" if value is not None else "nothing"
