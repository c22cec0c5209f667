"""The JSON record of ``assess`` and ``plan`` (issue 8): question and rule ids only, never an
option id of the client's answers nor an answer's text (the record is stored and shipped)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.data.questionnaire_files import load_questionnaire_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "questionnaires" / "examples"
STANDARD = load_questionnaire_file(ROOT / "questionnaires" / "standard_v1.yaml")


def strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def chosen(answers_file: Path) -> list[tuple[str, str]]:
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8"))["answers"]
    return [(q, str(o)) for q, o in answers.items()]


@pytest.mark.parametrize("command", ["assess", "plan"])
@pytest.mark.parametrize("name", ["tier1_conservative.yaml", "contradictory.yaml",
                                  "tier2_moderately_conservative.yaml"])
def test_the_record_holds_no_option_id_or_answer_text(command: str, name: str) -> None:
    path = EXAMPLES / name
    result = CliRunner().invoke(app, [command, "--answers", str(path), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    texts = strings(record)
    question_ids = {q.id for q in STANDARD.questions}
    for question_id, option_id in chosen(path):
        question = STANDARD.question(question_id)
        option = question.option(option_id)
        assert option is not None
        if option_id not in question_ids | {"balanced", "cautious"}:  # also a key or tier name
            assert option_id not in texts, f"option id {option_id} in the {command} JSON"
        answer_texts = [option.text.get(lang) for lang in ("en", "zh")]
        reasons = [] if option.knockout_reason is None else \
            [option.knockout_reason.get(lang) for lang in ("en", "zh")]
        for text in answer_texts + reasons:
            assert not any(text in s for s in texts), f"answer text {text!r} in the JSON"
    if name != "tier2_moderately_conservative.yaml":
        assert record.get("knockouts", record.get("assessment", {}).get("knockouts")) \
            or record.get("flags", record.get("assessment", {}).get("flags"))
