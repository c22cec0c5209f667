"""`roboadvisor assess` through CliRunner: answers files, languages, JSON, the interactive path,
and every kind of bad input (one line, exit 2, nothing written)."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from rich.prompt import Prompt
from typer.testing import CliRunner, Result

from roboadvisor.cli.app import app
from roboadvisor.services.assess import answers_sha256, canonical_answers

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "questionnaires" / "examples"
ANSWERS = Path(__file__).resolve().parent / "resources" / "answers"
BALANCED = EXAMPLES / "tier3_balanced.yaml"
# tier3_balanced.yaml as interactive replies (option numbers, 1-based)
BALANCED_REPLIES = ["3", "3", "3", "3", "2", "3", "3", "3", "3", "2", "2", "2"]

runner = CliRunner()


def invoke(*args: str, input: str | None = None) -> Result:
    return runner.invoke(app, ["assess", *args], input=input)


def balanced_answers() -> dict[str, str]:
    return yaml.safe_load(BALANCED.read_text(encoding="utf-8"))["answers"]


# --- answers files ----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "label", "level"), [
    ("tier1_conservative.yaml", "Conservative", "C1"),
    ("tier2_moderately_conservative.yaml", "Moderately conservative", "C2"),
    ("tier3_balanced.yaml", "Balanced", "C3"),
    ("tier4_growth.yaml", "Growth", "C4"),
    ("tier5_aggressive.yaml", "Aggressive", "C5"),
])
def test_examples_show_their_tier(name: str, label: str, level: str) -> None:
    result = invoke("--answers", str(EXAMPLES / name))
    assert result.exit_code == 0, result.output
    assert f"Tier {level[1]} · {label}" in result.stdout
    assert f"suitability level {level}" in result.stdout
    for words in ("Risk tolerance", "Risk capacity", "Limiting factor", "Explanation",
                  "SHA-256"):
        assert words in result.stdout


def test_knockouts_and_flags_are_shown() -> None:
    knocked = invoke("--answers", str(EXAMPLES / "tier1_conservative.yaml")).stdout
    assert "Knock-outs" in knocked and "(binding)" in knocked and "within a year" in knocked
    flagged = invoke("--answers", str(EXAMPLES / "contradictory.yaml")).stdout
    assert "Consistency flags" in flagged and "panic_seller_wants_max_growth" in flagged


def test_chinese_knockouts_and_flags_name_questions_and_answers_not_ids() -> None:
    knocked = invoke("--answers", str(EXAMPLES / "tier1_conservative.yaml"), "--lang", "zh")
    assert knocked.exit_code == 0, knocked.output
    out = knocked.stdout
    assert "horizon:" not in out and "money_needed:" not in out
    assert "您计划将这笔资金的大部分投资多长时间？" in out and "少于3年" in out
    assert "1（已生效）" in out
    flagged = invoke("--answers", str(EXAMPLES / "contradictory.yaml"), "--lang", "zh").stdout
    assert "panic_seller" not in flagged and "investment_goal" not in flagged
    assert "“全部卖出，避免进一步亏损”与“追求长期最大增值，可以接受资产价值大幅波动”相互矛盾" \
        in flagged
    assert "后者计分 100 → 65" in flagged
    english = invoke("--answers", str(EXAMPLES / "tier1_conservative.yaml")).stdout
    assert "How long do you plan to keep" in english
    assert "horizon:" not in english


def test_help_has_examples() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "roboadvisor assess --answers" in result.stdout


def test_chinese_output() -> None:
    result = invoke("--answers", str(BALANCED), "--lang", "zh")
    assert result.exit_code == 0, result.output
    for words in ("第 3 级 · 平衡型", "风险承受意愿", "风险承受能力", "C3", "R3", "说明"):
        assert words in result.stdout


def test_json_record() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    result = invoke("--answers", str(BALANCED), "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["questionnaire"] == {"id": "standard", "version": 1}
    assert (record["tier"], record["suitability_level"], record["max_product_risk"]) == \
        (3, "C3", "R3")
    assert record["limiting_factor"] == "capacity"
    assert record["combined_score"] == min(record["tolerance_score"], record["capacity_score"])
    assert "min(tolerance, capacity)" in record["combining_rule"]
    when = datetime.strptime(record["assessed_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= when <= datetime.now(UTC)
    expected = hashlib.sha256(json.dumps(balanced_answers(), sort_keys=True,
                                         separators=(",", ":")).encode()).hexdigest()
    assert record["answers_sha256"] == expected
    assert "answers" not in record and "half_to_three_quarters" not in result.stdout
    assert record["explanation"] and record["knockouts"] == [] and record["flags"] == []


def test_the_audit_hash_ignores_format_and_key_order() -> None:
    hashes = {json.loads(invoke("--answers", str(path), "--json").stdout)["answers_sha256"]
              for path in (BALANCED, ANSWERS / "flat_balanced.yaml",
                           ANSWERS / "flat_balanced.json", ANSWERS / "nested_balanced.json")}
    assert len(hashes) == 1


def test_canonical_answers_are_sorted_compact_utf8() -> None:
    assert canonical_answers({"b": "é", "a": "x"}) == '{"a":"x","b":"é"}'.encode()
    assert answers_sha256({"a": "x"}) == hashlib.sha256(b'{"a":"x"}').hexdigest()


def test_questionnaire_option_matches_the_file() -> None:
    result = invoke("--answers", str(BALANCED), "--questionnaire", "standard", "--json")
    assert result.exit_code == 0, result.output


# --- interactive ------------------------------------------------------------------------------
def test_interactive_matches_the_answers_file() -> None:
    result = invoke("--json", input="\n".join(BALANCED_REPLIES) + "\n")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)  # prompts went to stderr: stdout is pure JSON
    assert record["answers_sha256"] == answers_sha256(balanced_answers())
    assert "1/12" in result.stderr and "12/12" in result.stderr


def test_interactive_asks_again_after_an_invalid_choice() -> None:
    replies = ["9", "maybe", "", *BALANCED_REPLIES]
    result = invoke(input="\n".join(replies) + "\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Please type a number from 1 to 4") == 3
    assert "Tier 3 · Balanced" in result.stdout


def test_interactive_accepts_option_ids_and_chinese() -> None:
    replies = ["HOLD", *BALANCED_REPLIES[1:]]
    result = invoke("--lang", "zh", input="\n".join(replies) + "\n")
    assert result.exit_code == 0, result.output
    assert "您的选择" in result.stderr and "平衡型" in result.stdout


def test_end_of_input_exits_cleanly_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "saved.yaml"
    result = invoke("--save-answers", str(target), input="3\n3\n")
    assert result.exit_code == 2
    assert "input ended before question 'investment_goal' (3 of 12)" in result.stderr
    assert result.stdout == "" and not target.exists() and list(tmp_path.iterdir()) == []


def test_ctrl_c_exits_cleanly_and_writes_nothing(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(self: Prompt, *args: object, **kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(Prompt, "__call__", interrupt)
    target = tmp_path / "saved.yaml"
    result = invoke("--save-answers", str(target))
    assert result.exit_code == 130
    assert "interrupted" in result.stderr and result.stdout == ""
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


def test_ctrl_c_at_the_prompt_ends_its_line_before_the_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: object) -> str:  # Ctrl-C while the prompt waits for a reply
        raise KeyboardInterrupt

    monkeypatch.setattr("builtins.input", interrupt)
    result = invoke()
    assert result.exit_code == 130
    prompt_line = next(line for line in result.stderr.splitlines() if "Your answer" in line)
    assert "interrupted" not in prompt_line
    assert "\nerror: interrupted" in result.stderr


def test_save_answers_writes_a_reusable_answers_file(tmp_path: Path) -> None:
    target = tmp_path / "saved.yaml"
    first = invoke("--json", "--save-answers", str(target),
                   input="\n".join(BALANCED_REPLIES) + "\n")
    assert first.exit_code == 0, first.output
    again = invoke("--json", "--answers", str(target))
    assert json.loads(again.stdout)["answers_sha256"] == json.loads(first.stdout)["answers_sha256"]


def test_save_answers_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "saved.yaml"
    target.write_text("keep me")
    result = invoke("--save-answers", str(target), input="\n".join(BALANCED_REPLIES) + "\n")
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert target.read_text() == "keep me"


def test_save_answers_needs_the_interactive_path(tmp_path: Path) -> None:
    result = invoke("--answers", str(BALANCED), "--save-answers", str(tmp_path / "x.yaml"))
    assert result.exit_code == 2 and list(tmp_path.iterdir()) == []
    assert "--save-answers only applies to the interactive questionnaire" in result.stderr


# --- bad input: one line, exit 2, nothing written ----------------------------------------------
@pytest.mark.parametrize(("name", "extra", "message"), [
    ("flat_balanced.yaml", ["--questionnaire", "nope"], "unknown questionnaire 'nope'"),
    ("malformed.yaml", [], "is not valid YAML"),
    ("malformed.json", [], "is not valid JSON"),
    ("unknown_question.yaml", [], "unknown question 'favourite_colour'"),
    ("missing_answer.yaml", [], "question 'debts' has no answer"),
    ("invalid_option.yaml", [], "question 'horizon': 'forever' is not an option"),
    ("other_version.yaml", [], "questionnaire 'standard' version 2, which is not available"),
    ("duplicate_key.yaml", [], "has the key 'horizon' twice (line 8)"),
    ("duplicate_key.json", [], "has the key 'loss_reaction' twice"),
    ("empty.yaml", [], "is empty"),
    ("comments_only.yaml", [], "is empty"),
    ("binary.yaml", [], "is a binary file"),
    ("not_a_mapping.yaml", [], "must be a mapping"),
    ("missing.yaml", [], "file not found"),
    ("nested_balanced.json", ["--questionnaire", "other"], "is for questionnaire 'standard'"),
])
def test_bad_input(tmp_path: Path, name: str, extra: list[str], message: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    if name == "binary.yaml":
        (work / name).write_bytes(bytes(range(256)) * 4)
    elif (ANSWERS / name).exists():
        shutil.copy(ANSWERS / name, work / name)
    before = sorted(p.name for p in work.iterdir())
    result = invoke("--answers", str(work / name), *extra)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    if "questionnaire" not in " ".join(extra):
        assert name in result.stderr  # names the file
    assert result.stdout == ""
    assert sorted(p.name for p in work.iterdir()) == before


@pytest.mark.parametrize(("name", "question"), [("missing_answer.yaml", "debts"),
                                                ("invalid_option.yaml", "horizon"),
                                                ("unknown_question.yaml", "favourite_colour")])
def test_errors_name_the_file_and_the_question(name: str, question: str) -> None:
    result = invoke("--answers", str(ANSWERS / name))
    assert f"answers file {ANSWERS / name}: " in result.stderr
    assert f"'{question}'" in result.stderr


def test_unknown_questionnaire_interactive_asks_nothing() -> None:
    result = invoke("--questionnaire", "nope", input="3\n")
    assert result.exit_code == 2 and "unknown questionnaire 'nope'" in result.stderr
    assert "1/12" not in result.stderr


def test_unknown_language_is_a_usage_error() -> None:
    result = invoke("--answers", str(BALANCED), "--lang", "fr")
    assert result.exit_code == 2
