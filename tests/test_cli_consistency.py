"""What a user notices across commands (issue 8): --cache-dir wherever the cache is read,
--lang wherever text is shown, errors and warnings in that language, help without <bool>."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app

runner = CliRunner()

READS_CACHE = [["allocate"], ["plan"], ["explain"], ["frontier"], ["data", "status"],
               ["data", "import"], ["data", "fetch"], ["data", "clear"], ["backtest", "run"],
               ["backtest", "compare"]]
SHOWS_TEXT = [*READS_CACHE, ["assess"], ["universe", "show"], ["questionnaire", "list"],
              ["questionnaire", "show"]]
ALL = SHOWS_TEXT


def help_of(command: list[str]) -> str:
    result = runner.invoke(app, [*command, "--help"], color=False, terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", READS_CACHE, ids=" ".join)
def test_every_command_that_reads_the_cache_takes_cache_dir(command: list[str]) -> None:
    assert "--cache-dir" in help_of(command)


@pytest.mark.parametrize("command", SHOWS_TEXT, ids=" ".join)
def test_every_command_that_shows_text_takes_lang(command: list[str]) -> None:
    assert "--lang" in help_of(command)


@pytest.mark.parametrize("command", ALL, ids=" ".join)
def test_help_shows_no_bool_after_flags(command: list[str]) -> None:
    text = help_of(command)
    assert "<bool>" not in text
    if "--json" in text:
        assert re.search(r"--json\s{2,}", text)


def test_allocate_reads_the_cache_it_is_given(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    result = runner.invoke(app, ["allocate", "--tier", "3", "--source", "history",
                                 "--cache-dir", str(empty)], color=False)
    assert result.exit_code == 2 and "no cached prices" in result.output


def test_errors_and_warnings_come_in_the_users_language(tmp_path: Path) -> None:
    index = pd.bdate_range("2010-01-01", periods=1000)
    monthly = pd.DataFrame({"VTI": range(1, 1001)}, index=index.rename("Date"),
                           dtype=float).resample("ME").last()
    path = tmp_path / "m.csv"
    monthly.to_csv(path)
    zh = runner.invoke(app, ["data", "import", str(path), "--lang", "zh", "--cache-dir",
                             str(tmp_path / "c")], color=False)
    en = runner.invoke(app, ["data", "import", str(path), "--cache-dir",
                             str(tmp_path / "c")], color=False)
    assert zh.exit_code == en.exit_code == 2
    assert zh.output.startswith("错误") and "月度" in zh.output
    assert en.output.startswith("error: ") and "monthly" in en.output
    answers = tmp_path / "a.yaml"
    answers.write_text("answers:\n  horizon: forever\n")
    zh = runner.invoke(app, ["assess", "--answers", str(answers), "--lang", "zh"], color=False)
    en = runner.invoke(app, ["assess", "--answers", str(answers)], color=False)
    assert zh.exit_code == en.exit_code == 2
    assert zh.output.startswith("错误: 答案文件") and "题目" in zh.output
    assert en.output.startswith("error: answers file") and "question" in en.output
    # a warning too: a weekend row repeating Friday, dropped with one line in Chinese
    weekdays = pd.bdate_range("2024-01-01", periods=20, name="Date")
    daily = pd.DataFrame({"VTI": 100.0 + pd.RangeIndex(20).to_numpy()}, index=weekdays)
    daily.asfreq("D").ffill().to_csv(tmp_path / "w.csv")
    zh = runner.invoke(app, ["data", "import", str(tmp_path / "w.csv"), "--lang", "zh",
                             "--cache-dir", str(tmp_path / "c")], color=False)
    assert zh.exit_code == 0, zh.output
    assert "警告: w.csv：" in zh.output and "周六或周日" in zh.output
