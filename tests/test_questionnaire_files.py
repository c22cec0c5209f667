"""Questionnaire definitions and answer files: strict reading, validation messages, the shipped
questionnaire (both languages, same ids) and the shipped examples (each lands in its tier)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
import yaml

from roboadvisor.data.questionnaire_files import (
    load_questionnaire_file,
    load_questionnaires,
    read_answers_file,
    write_answers_file,
)
from roboadvisor.domain.models import Tier
from roboadvisor.domain.questionnaire import Lang
from roboadvisor.errors import AnswersError, QuestionnaireError
from roboadvisor.services.assess import assess_answers_file, questionnaire_record

ROOT = Path(__file__).resolve().parents[1]
QUESTIONNAIRES = ROOT / "questionnaires"
EXAMPLES = QUESTIONNAIRES / "examples"
ANSWERS = Path(__file__).resolve().parent / "resources" / "answers"
STANDARD_FILE = QUESTIONNAIRES / "standard_v1.yaml"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def standard_raw() -> dict:
    return yaml.safe_load(STANDARD_FILE.read_text(encoding="utf-8"))


# --- the shipped questionnaire and examples -------------------------------------------------------
def test_shipped_questionnaires_load() -> None:
    found = load_questionnaires(QUESTIONNAIRES)
    assert [(q.id, q.version) for q in found] == [("standard", 1)]
    assert set(found[0].languages) == {Lang.EN, Lang.ZH}


def test_english_and_chinese_have_the_same_question_and_option_ids() -> None:
    q = load_questionnaire_file(STANDARD_FILE)
    en, zh = questionnaire_record(q, "en"), questionnaire_record(q, "zh")

    def ids(record: dict) -> list:
        return [(x["id"], [o["id"] for o in x["options"]]) for x in record["questions"]]

    assert ids(en) == ids(zh)
    for qe, qz in zip(en["questions"], zh["questions"], strict=True):
        assert not CJK.search(qe["text"]) and CJK.search(qz["text"]), qe["id"]
        for oe, oz in zip(qe["options"], qz["options"], strict=True):
            assert oe["text"] != oz["text"] or not CJK.search(oe["text"]), oe["id"]
    for r_en, r_zh in zip(en["consistency"], zh["consistency"], strict=True):
        assert r_en["id"] == r_zh["id"] and CJK.search(r_zh["message"])


@pytest.mark.parametrize(("name", "tier"), [
    ("tier1_conservative.yaml", Tier.CONSERVATIVE),
    ("tier2_moderately_conservative.yaml", Tier.MODERATELY_CONSERVATIVE),
    ("tier3_balanced.yaml", Tier.BALANCED),
    ("tier4_growth.yaml", Tier.GROWTH),
    ("tier5_aggressive.yaml", Tier.AGGRESSIVE),
])
def test_each_example_lands_in_its_tier(name: str, tier: Tier) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert text.startswith("# Client:"), "each example starts with the client's story"
    assert assess_answers_file(EXAMPLES / name).profile.tier is tier


def test_contradictory_example_is_flagged() -> None:
    profile = assess_answers_file(EXAMPLES / "contradictory.yaml").profile
    assert len(profile.flags) >= 1
    assert profile.tolerance_score < profile.tolerance_score_unflagged


def test_examples_folder_holds_exactly_the_documented_files() -> None:
    assert sorted(p.name for p in EXAMPLES.iterdir()) == sorted([
        "tier1_conservative.yaml", "tier2_moderately_conservative.yaml", "tier3_balanced.yaml",
        "tier4_growth.yaml", "tier5_aggressive.yaml", "contradictory.yaml",
        "holdings_example.csv"])


# --- answer files: formats ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["flat_balanced.yaml", "flat_balanced.json",
                                  "nested_balanced.json"])
def test_flat_and_nested_yaml_and_json_give_the_same_answers(name: str) -> None:
    reference = read_answers_file(EXAMPLES / "tier3_balanced.yaml")
    doc = read_answers_file(ANSWERS / name)
    assert dict(doc.answers) == dict(reference.answers)
    if name.startswith("nested"):
        assert (doc.questionnaire_id, doc.questionnaire_version) == ("standard", 1)


def test_questionnaire_header_may_be_just_an_id(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("questionnaire: standard\nanswers: {horizon: over_10_years}\n")
    doc = read_answers_file(path)
    assert (doc.questionnaire_id, doc.questionnaire_version) == ("standard", None)


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_written_answers_round_trip_and_are_private(tmp_path: Path, umask: int) -> None:
    q = load_questionnaire_file(STANDARD_FILE)
    answers = dict(read_answers_file(EXAMPLES / "tier4_growth.yaml").answers)
    path = tmp_path / "saved.yaml"
    old = os.umask(umask)
    try:
        write_answers_file(path, q, answers)
    finally:
        os.umask(old)
    assert dict(read_answers_file(path).answers) == answers
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["saved.yaml"]


# --- answer files: bad input ---------------------------------------------------------------------
@pytest.mark.parametrize(("name", "message"), [
    ("duplicate_key.yaml", r"has the key 'horizon' twice \(line 8\)"),
    ("duplicate_key.json", r"has the key 'loss_reaction' twice"),
    ("duplicate_nested.yaml", r"has the key 'debts' twice"),
    ("malformed.yaml", r"is not valid YAML: .*line 3"),
    ("malformed.json", r"is not valid JSON: .*line 1"),
    ("empty.yaml", r"is empty"),
    ("comments_only.yaml", r"is empty"),
    ("not_a_mapping.yaml", r"must be a mapping of question id -> option id, not a list"),
    ("no_such_file.yaml", r"file not found"),
])
def test_unreadable_answer_files(name: str, message: str) -> None:
    with pytest.raises(AnswersError, match=message) as info:
        read_answers_file(ANSWERS / name)
    assert name in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("content", [bytes(range(256)), b"\xff\xfe\x00h\x00i", b"caf\xe9: x\n"])
def test_binary_answer_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "answers.yaml"
    path.write_bytes(content)
    with pytest.raises(AnswersError, match=r"answers\.yaml: is (a binary file|not UTF-8)"):
        read_answers_file(path)


def test_a_directory_is_not_an_answers_file(tmp_path: Path) -> None:
    with pytest.raises(AnswersError, match="is a directory"):
        read_answers_file(tmp_path)


@pytest.mark.parametrize(("text", "message"), [
    ("questionnaire: standard\nanswers: [a, b]\n", "'answers' must be a mapping"),
    ("questionnaire: {id: standard, version: one}\nanswers: {}\n", "must be a whole number"),
    ("questionnaire: {name: standard}\nanswers: {}\n", "'questionnaire' must be an id"),
    ("answers: {}\nextra: 1\n", "unexpected top-level key 'extra'"),
])
def test_malformed_answer_headers(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(text)
    with pytest.raises(AnswersError, match=message):
        read_answers_file(path)


# --- questionnaire definitions: validation names the file, question and field -------------------
def _write(tmp_path: Path, doc: dict, name: str = "q.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _break(doc: dict, change) -> dict:
    change(doc)
    return doc


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["questions"][0]["options"][1].pop("score"),
     "question 'loss_reaction', option 'sell_some': field 'score' is missing"),
    (lambda d: d["questions"][0]["options"][1].update(score=120),
     "question 'loss_reaction', option 'sell_some', field 'score': must be within 0..100"),
    (lambda d: d["questions"][0]["options"][1].update(score="high"),
     "question 'loss_reaction', option 'sell_some', field 'score': must be a number"),
    (lambda d: d["questions"][2]["text"].pop("zh"),
     "question 'investment_goal', field 'text': the 'zh' text is missing"),
    (lambda d: d["questions"][3].update(dimension="courage"),
     "question 'experience', field 'dimension': use 'tolerance' or 'capacity'"),
    (lambda d: d["questions"][0].update(weight=float("inf")),
     "question 'loss_reaction', field 'weight': must be a finite number, got inf"),
    (lambda d: d["questions"][0].update(weight=float("nan")),
     "question 'loss_reaction', field 'weight': must be a finite number, got nan"),
    (lambda d: d["questions"][0].update(weight=0), "field 'weight': 0 must be above 0"),
    (lambda d: d["consistency"][0].update(cap=float("inf")), "field 'cap': must be a finite"),
    (lambda d: d["tier_cutoffs"].update({3: float("nan")}), "must be a finite number"),
    (lambda d: d["questions"][4].update(id="loss_reaction"),
     "question 'loss_reaction': the id appears twice"),
    (lambda d: d["questions"][4]["options"][2].update(id="Relaxed!"),
     "option id 'Relaxed!'"),
    (lambda d: d["questions"][6]["options"][2].update(max_tier=1),
     "question 'money_needed', option 'within_10_years', field 'max_tier'"),
    (lambda d: d["questions"][6]["options"][0].pop("knockout_reason"),
     "question 'money_needed', option 'within_1_year': a max_tier needs a 'knockout_reason'"),
    (lambda d: d["tier_cutoffs"].update({3: 10}), "field 'tier_cutoffs'"),
    (lambda d: d["tier_cutoffs"].pop(5), "field 'tier_cutoffs'"),
    (lambda d: d.update(version="one"), "field 'version'"),
    (lambda d: d.update(languages=["en", "fr"]), "field 'languages'"),
    (lambda d: d.update(colour="blue"), "unknown field 'colour'"),
    (lambda d: d["consistency"][0].update(cap=10),
     "consistency rule 'panic_seller_wants_max_growth', field 'cap': must be at least 65"),
    (lambda d: d["consistency"][0]["risky"].update(question="nope"),
     "consistency rule 'panic_seller_wants_max_growth', field 'risky.question'"),
])
def test_invalid_definitions_name_file_question_and_field(tmp_path: Path, standard_raw: dict,
                                                          change, message: str) -> None:
    path = _write(tmp_path, _break(standard_raw, change))
    with pytest.raises(QuestionnaireError, match=re.escape(message)) as info:
        load_questionnaire_file(path)
    assert str(info.value).startswith(f"questionnaire file {path}: ")


def test_duplicate_keys_in_a_definition_are_refused(tmp_path: Path) -> None:
    text = STANDARD_FILE.read_text(encoding="utf-8").replace("version: 1\n",
                                                             "version: 1\nversion: 2\n", 1)
    path = tmp_path / "q.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=r"q\.yaml: has the key 'version' twice"):
        load_questionnaire_file(path)


def test_same_id_and_version_twice_is_refused(tmp_path: Path, standard_raw: dict) -> None:
    _write(tmp_path, standard_raw, "a.yaml")
    _write(tmp_path, standard_raw, "b.yaml")
    with pytest.raises(QuestionnaireError, match=r"standard v1 is defined twice: in .*a\.yaml"):
        load_questionnaires(tmp_path)


def test_several_versions_can_live_side_by_side(tmp_path: Path, standard_raw: dict) -> None:
    _write(tmp_path, standard_raw, "standard_v1.yaml")
    _write(tmp_path, {**standard_raw, "version": 2}, "standard_v2.yaml")
    assert [q.key for q in load_questionnaires(tmp_path)] == ["standard v1", "standard v2"]


def test_an_empty_folder_has_no_questionnaires(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="no questionnaire files"):
        load_questionnaires(tmp_path)


def test_flat_answers_may_carry_a_questionnaire_header(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("questionnaire: {id: standard, version: '1'}\nhorizon: over_10_years\n")
    doc = read_answers_file(path)
    assert (doc.questionnaire_id, doc.questionnaire_version) == ("standard", 1)
    assert dict(doc.answers) == {"horizon": "over_10_years"}


def test_oversized_answer_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# padding\n" * 200_000)
    with pytest.raises(AnswersError, match="is larger than"):
        read_answers_file(path)
