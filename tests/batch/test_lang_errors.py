"""Errors of the book job in the user's language: `book run --lang zh` on a broken book says
what is wrong in Chinese (the book commands set the error language from --lang)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_broken_book_is_refused_in_the_users_language(tmp_path: Path, lang: str) -> None:
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.json").write_text(json.dumps({"format": "x"}))
    result = CliRunner().invoke(app, ["book", "run", str(book), "--out", str(tmp_path / "out"),
                                      "--lang", lang])
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "roboadvisor-book" in message
    assert bool(CJK.search(message)) == (lang == "zh"), message
    assert not (tmp_path / "out").exists()
