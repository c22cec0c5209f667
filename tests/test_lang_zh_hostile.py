"""Hostile inputs of every area under --lang zh: the one-line refusal is Chinese, with no English
sentence from the catalog left in it (issue 8: errors and warnings stayed English). Each case
failed before its messages moved to the catalog."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.reports.i18n import catalog

runner = CliRunner()
CJK = re.compile(r"[\u4e00-\u9fff]")


def _english_fragments() -> set[str]:
    """Literal runs of four or more words of the English catalog that no Chinese message
    contains: if one shows under --lang zh, a message was not localised."""
    zh = " ".join(texts["zh"] for texts in catalog().values())
    found = set()
    for texts in catalog().values():
        for literal, *_ in string.Formatter().parse(texts["en"]):
            for run in re.finditer(r"[A-Za-z']{2,}(?: [A-Za-z']{2,}){3,}", literal):
                if run.group() not in zh:  # four words in a row: a sentence, not a list
                    found.add(run.group())
    return found


ENGLISH = _english_fragments()


def run_zh(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--lang", "zh"], color=False, terminal_width=400,
                           env=env)
    return result.exit_code, result.output


def _words(out: str) -> str:
    """The message without its prefix and what is not prose: paths, commands in backquotes,
    quoted values, option names."""
    body = re.sub(r"^(错误|警告): ", "", out.strip(), flags=re.M)
    body = re.sub(r"`[^`]*`|'[^']*'|\S*/\S*|--\S+", " ", body)
    return body


def assert_chinese(code: int, out: str) -> None:
    assert code != 0, out
    assert out.strip(), "no message"
    assert "Traceback" not in out
    body = _words(out)
    assert CJK.search(body), out
    left = [e for e in ENGLISH if e in out]
    left += re.findall(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){3,}", body)
    assert not left, f"English left under --lang zh: {left} in {out!r}"


def _prices(tmp_path: Path, days: int = 400) -> Path:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    index = pd.bdate_range("2019-01-01", periods=days, name="Date")
    values = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, (days, 3)), axis=0))
    path = tmp_path / "p.csv"
    pd.DataFrame(values, index=index, columns=["VTI", "BND", "GLD"]).to_csv(
        path, float_format="%.4f")
    return path


def test_the_english_fragments_are_found() -> None:
    """The check is not vacuous: English sentences of the catalog are collected, and an
    English refusal fails it."""
    from roboadvisor.reports.i18n import Lang, t

    assert len(ENGLISH) > 200
    with pytest.raises(AssertionError, match="English left"):
        assert_chinese(2, "错误: 文件 " + t("zh_hardening.wf_shorten_window", Lang.EN, days=30))


BACKTEST_FILES = {
    "rule": "weights: {VTI: 0.6, BND: 0.4}\nrule: weekly\n",
    "rule_mapping": "weights: {VTI: 0.6, BND: 0.4}\nrule: {type: bands}\n",
    "band": "weights: {VTI: 0.6, BND: 0.4}\nrule: bands:abs=2\n",
    "drift": "weights: {VTI: 0.6, BND: 0.4}\nrule: {type: drift}\n",
    "date": "weights: {VTI: 0.6, BND: 0.4}\nstart: 2020/01/02\n",
    "risk_free": "weights: {VTI: 0.6, BND: 0.4}\nrisk_free: 3\n",
    "tier": "tier: 9\n",
    "frequency": "tier: 3\ntargets: walk_forward\nwalk_forward: {frequency: weekly}\n",
}


@pytest.mark.parametrize("case", sorted(BACKTEST_FILES))
def test_backtest_configuration_errors(tmp_path: Path, case: str) -> None:
    config = tmp_path / "bt.yaml"
    config.write_text(BACKTEST_FILES[case])
    assert_chinese(*run_zh("backtest", "run", str(config), "--prices", str(_prices(tmp_path))))


@pytest.mark.parametrize("option", [["--rule", "fortnightly"], ["--risk-free", "-40%"],
                                    ["--start", "2020-06-01", "--end", "2020-01-01"],
                                    ["--plot", "out.txt"]])
def test_backtest_option_errors(tmp_path: Path, option: list[str]) -> None:
    config = tmp_path / "bt.yaml"
    config.write_text("weights: {VTI: 0.6, BND: 0.4}\n")
    assert_chinese(*run_zh("backtest", "run", str(config), "--prices", str(_prices(tmp_path)),
                           *option))


def test_backtest_coverage_errors(tmp_path: Path) -> None:
    prices = _prices(tmp_path, days=120)
    wf = tmp_path / "wf.yaml"
    wf.write_text("tier: 3\ntargets: walk_forward\nwalk_forward: {window: 252}\n"
                  "universe: u.yaml\n")
    (tmp_path / "u.yaml").write_text(
        "id: three\nname: Three\nversion: 1\nassets:\n"
        "  - {ticker: VTI, name: V, asset_class: equity, region: us, currency: USD, "
        "expense_ratio: 0.0003, risk_level: 3}\n"
        "  - {ticker: BND, name: B, asset_class: fixed_income, region: us, currency: USD, "
        "expense_ratio: 0.0003, risk_level: 2}\n"
        "  - {ticker: GLD, name: G, asset_class: commodity, region: global, currency: USD, "
        "expense_ratio: 0.004, risk_level: 4}\n")
    assert_chinese(*run_zh("backtest", "run", str(wf), "--prices", str(prices)))
    missing = tmp_path / "m.yaml"
    missing.write_text("weights: {VTI: 0.5, QQQ: 0.5}\n")
    assert_chinese(*run_zh("backtest", "run", str(missing), "--prices", str(prices)))
    rates = tmp_path / "rf.csv"
    rates.write_text("Date,IRX\n2019-06-03,2.0\n2019-06-04,2.0\n")
    late = tmp_path / "late.yaml"
    late.write_text(f"weights: {{VTI: 0.6, BND: 0.4}}\nrisk_free: {rates}\n")
    assert_chinese(*run_zh("backtest", "run", str(late), "--prices", str(prices)))


QUESTIONNAIRE_EDITS = {
    "weight": ("weight: 2", "weight: 0"),
    "dimension": ("dimension: capacity", "dimension: nerve"),
    "field": ("weight: 2", "weight: 2\n    colour: red"),
}


@pytest.mark.parametrize("case", sorted(QUESTIONNAIRE_EDITS))
def test_questionnaire_definition_errors(tmp_path: Path, case: str) -> None:
    from roboadvisor import config

    source = next(iter(sorted(config.questionnaires_dir().glob("*.yaml"))))
    text = source.read_text(encoding="utf-8")
    old, new = QUESTIONNAIRE_EDITS[case]
    assert old in text, (source, old)
    folder = tmp_path / "q"
    folder.mkdir()
    (folder / source.name).write_text(text.replace(old, new, 1), encoding="utf-8")
    assert_chinese(*run_zh("questionnaire", "list",
                           env={config.QUESTIONNAIRES_ENV: str(folder)}))


def test_answers_and_assess_errors(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("questionnaire: {id: standard, version: 99}\nanswers: {}\n")
    assert_chinese(*run_zh("assess", "--answers", str(answers)))
    answers.write_text("- a\n- b\n")
    assert_chinese(*run_zh("assess", "--answers", str(answers)))
    answers.write_text("answers: {}\nextra: 1\n")
    assert_chinese(*run_zh("assess", "--answers", str(answers)))
    assert_chinese(*run_zh("assess", "--answers", str(answers), "--save-answers",
                           str(tmp_path / "s.yaml")))


def test_allocation_policy_and_universe_errors(tmp_path: Path) -> None:
    from roboadvisor.data.policy_file import DEFAULT_POLICIES

    assert_chinese(*run_zh("allocate", "--tier", "3", "--views",
                           "roboadvisor/resources/views_example.yaml"))
    assert_chinese(*run_zh("allocate", "--tier", "3", "--source", "history", "--method",
                           "black-litterman"))
    assert_chinese(*run_zh("allocate", "--tier", "3", "--source", "history", "--cache-dir",
                           str(tmp_path / "empty")))
    policies = tmp_path / "p.yaml"
    text = DEFAULT_POLICIES.read_text(encoding="utf-8")
    policies.write_text(text.replace("\n  1:", "\n  nine:", 1), encoding="utf-8")
    assert "\n  nine:" in policies.read_text(encoding="utf-8")
    assert_chinese(*run_zh("allocate", "--tier", "3", "--policies", str(policies)))
    universe = tmp_path / "u.yaml"
    asset = ("  - {ticker: VTI, name: V, asset_class: equity, region: us, currency: USD, "
             "expense_ratio: 0.0003, risk_level: 3}\n")
    universe.write_text("id: u\nname: U\nversion: 1\nassets:\n" + asset + asset)
    assert_chinese(*run_zh("universe", "show", "--universe", str(universe)))


def test_data_errors(tmp_path: Path) -> None:
    assert_chinese(*run_zh("data", "fetch", "--tickers", "VTI", "--universe",
                           "roboadvisor/resources/universe_default.yaml"))
