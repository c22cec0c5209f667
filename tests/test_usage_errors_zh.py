"""Click's usage errors (refused before our code runs) in Chinese under --lang zh: one line,
exit 2, the option named; without --lang zh Click's English box is unchanged."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app

CASES = [
    (["allocate", "--tierr", "3"], ["--tierr", "--tier", "没有选项"]),
    (["backtest", "run", "x.yaml", "--start", "2020/01/02"], ["--start", "YYYY-MM-DD", "日期"]),
    (["frontier", "--points", "1.5"], ["--points", "整数"]),
    (["project", "--tier", "3", "--amount", "abc"], ["--amount", "数字"]),
    (["account", "deposit"], ["ACCOUNT", "缺少"]),
    (["client", "add", "x", "--birth-date", "2020-02-30"], ["--birth-date", "日期"]),
]


@pytest.mark.parametrize(("args", "says"), CASES, ids=[" ".join(c[0][:3]) for c in CASES])
def test_usage_error_in_chinese(args: list[str], says: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--lang", "zh"])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and message.startswith("错误")
    assert all(s in message for s in says), message
    command = " ".join(["roboadvisor", *args[:2]]) if args[0] in ("backtest", "account",
                                                                  "client") else \
        f"roboadvisor {args[0]}"
    assert f"{command} --help" in message
    english_words = re.findall(r"[A-Za-z]{4,}", message.split("；")[0])
    assert not {"Invalid", "value", "Missing", "such", "option"} & set(english_words)


def test_english_keeps_clicks_message() -> None:
    result = CliRunner().invoke(app, ["allocate", "--tierr", "3"])
    assert result.exit_code == 2 and "No such option: --tierr" in result.stderr


@pytest.mark.parametrize("args", [["allocate", "--lang", "fr"],
                                  ["book", "run", "x", "--out", "y", "--lang=de"],
                                  ["account", "deposit", "--lang", "xx"]])
def test_an_unknown_language_is_refused_in_both(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    message = result.stderr.strip()
    assert result.exit_code == 2 and len(message.splitlines()) == 1
    assert "use en or zh" in message and "请使用 en 或 zh" in message
