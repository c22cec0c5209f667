"""The questionnaire fields the book relies on: expiry_months and lowest_category."""

from __future__ import annotations

from pathlib import Path

import pytest

from roboadvisor.data.questionnaire_files import load_questionnaire_file, read_answers_file
from roboadvisor.errors import QuestionnaireError
from tests.book.helpers import EXAMPLES, REPO

STANDARD = REPO / "questionnaires" / "standard_v1.yaml"


def test_lowest_category_needs_every_condition() -> None:
    q = load_questionnaire_file(STANDARD)
    answers = dict(read_answers_file(EXAMPLES / "tier1_conservative.yaml").answers)
    assert not q.is_lowest_category(answers)
    assert not q.is_lowest_category({**answers, "loss_reaction": "sell_all"})
    assert q.is_lowest_category({**answers, "loss_reaction": "sell_all",
                                 "investment_goal": "preserve_capital"})


@pytest.mark.parametrize(("old", "new", "says"), [
    ("expiry_months: 12", "expiry_months: 0", "expiry_months"),
    ("expiry_months: 12", "expiry_months: 1.5", "expiry_months"),
    ("options: [preserve_capital]}", "options: [no_such_option]}", "lowest_category"),
])
def test_bad_book_fields_are_refused_naming_the_field(tmp_path: Path, old: str, new: str,
                                                      says: str) -> None:
    path = tmp_path / "q.yaml"
    text = STANDARD.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(QuestionnaireError, match=says):
        load_questionnaire_file(path)


def test_expiry_defaults_to_twelve_months(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(STANDARD.read_text().replace("expiry_months: 12\n", ""))
    assert load_questionnaire_file(path).expiry_months == 12
