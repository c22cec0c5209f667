"""`roboadvisor questionnaire list|show` through CliRunner, in both languages and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from roboadvisor.cli.app import app

STANDARD_FILE = Path(__file__).resolve().parents[1] / "questionnaires" / "standard_v1.yaml"

runner = CliRunner()


def test_list() -> None:
    result = runner.invoke(app, ["questionnaire", "list"])
    assert result.exit_code == 0, result.output
    assert "standard" in result.stdout and "Standard risk questionnaire" in result.stdout
    assert "en, zh" in result.stdout


def test_list_in_chinese_and_json() -> None:
    chinese = runner.invoke(app, ["questionnaire", "list", "--lang", "zh"])
    assert "标准风险测评问卷" in chinese.stdout
    result = runner.invoke(app, ["questionnaire", "list", "--json"])
    assert json.loads(result.stdout) == [{"id": "standard", "version": 1,
                                          "languages": ["en", "zh"], "question_count": 12,
                                          "title": "Standard risk questionnaire"}]


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["Suppose a sharp market fall", "sell_all", "knock-out: tier ≤ 1",
            "Tier cut-offs", "Consistency rules", "panic_seller_wants_max_growth"]),
    ("zh", ["假设市场大幅下跌", "sell_all", "等级上限 1", "等级分界", "一致性规则"]),
])
def test_show(lang: str, words: list[str]) -> None:
    result = runner.invoke(app, ["questionnaire", "show", "standard", "--lang", lang])
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.stdout


def test_show_json() -> None:
    result = runner.invoke(app, ["questionnaire", "show", "standard", "--json", "--lang", "zh",
                                 "--version", "1"])
    record = json.loads(result.stdout)
    assert (record["id"], record["version"], record["lang"]) == ("standard", 1, "zh")
    assert len(record["questions"]) == 12 and record["tier_cutoffs"]["2"] == 25
    money = next(q for q in record["questions"] if q["id"] == "money_needed")
    assert [o["max_tier"] for o in money["options"]] == [1, 2, None, None]


@pytest.mark.parametrize(("args", "message"), [
    (["show", "nope"], "unknown questionnaire 'nope'; available: standard v1"),
    (["show", "standard", "--version", "7"], "has no version 7"),
])
def test_show_unknown(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["questionnaire", *args])
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_help_lists_the_subcommands() -> None:
    result = runner.invoke(app, ["questionnaire", "--help"])
    assert result.exit_code == 0 and "list" in result.stdout and "show" in result.stdout


def test_env_folder_with_a_broken_definition(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    doc = yaml.safe_load(STANDARD_FILE.read_text(encoding="utf-8"))
    doc["questions"][1]["options"][0]["score"] = -5
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True),
                                          encoding="utf-8")
    monkeypatch.setenv("ROBOADVISOR_QUESTIONNAIRES", str(tmp_path))
    result = runner.invoke(app, ["questionnaire", "list"])
    assert result.exit_code == 2
    assert "broken.yaml: question 'return_tradeoff', option 'steady', field 'score'" in \
        result.stderr


def test_env_folder_with_an_english_only_questionnaire(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    doc = yaml.safe_load(STANDARD_FILE.read_text(encoding="utf-8"))

    def english(node: object) -> object:
        if isinstance(node, dict):
            if set(node) == {"en", "zh"}:
                return node["en"]
            return {k: english(v) for k, v in node.items()}
        if isinstance(node, list):
            return [english(v) for v in node]
        return node

    doc = {**english(doc), "id": "plain", "languages": ["en"]}
    (tmp_path / "plain.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    monkeypatch.setenv("ROBOADVISOR_QUESTIONNAIRES", str(tmp_path))
    assert runner.invoke(app, ["questionnaire", "show", "plain"]).exit_code == 0
    result = runner.invoke(app, ["questionnaire", "show", "plain", "--lang", "zh"])
    # the error comes in the language asked for (the catalog has zh), naming what to use
    assert result.exit_code == 2 and "没有 'zh' 版本" in result.stderr
    assert "--lang en" in result.stderr
    # the only questionnaire there is the default one
    answers = Path(__file__).resolve().parent / "resources" / "answers" / "flat_balanced.yaml"
    result = runner.invoke(app, ["assess", "--answers", str(answers), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["questionnaire"] == {"id": "plain", "version": 1}


@pytest.mark.parametrize("args", [["questionnaire", "--help"], ["questionnaire", "list", "--help"],
                                  ["questionnaire", "show", "--help"]])
def test_help_pages_have_an_example(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Examples: roboadvisor questionnaire" in result.stdout


def test_show_usage_names_the_argument_plainly() -> None:
    usage = runner.invoke(app, ["questionnaire", "show", "--help"]).stdout
    assert "questionnaire show [OPTIONS] ID" in usage and "{ID}" not in usage
