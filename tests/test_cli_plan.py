"""`roboadvisor plan` through CliRunner: the README's first command, every example tier, JSON,
Chinese, whole shares, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from roboadvisor.cli.app import app
from roboadvisor.data.universe_file import load_universe

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "questionnaires" / "examples"
LATEST = Path(__file__).resolve().parent / "resources" / "allocation" / "latest_prices.csv"
UNIVERSE = load_universe()
RISK = {a.ticker: a.risk_level for a in UNIVERSE}
FILES = ["tier1_conservative.yaml", "tier2_moderately_conservative.yaml",
         "tier3_balanced.yaml", "tier4_growth.yaml", "tier5_aggressive.yaml"]

runner = CliRunner()


# tier3_balanced.yaml as interactive replies (option numbers, 1-based)
BALANCED_REPLIES = "\n".join(["3", "3", "3", "3", "2", "3", "3", "3", "3", "2", "2", "2"]) + "\n"


def invoke(*args: str, input: str | None = None) -> Result:
    return runner.invoke(app, ["plan", *args], input=input)


def test_readme_first_command() -> None:
    result = invoke("--answers", str(EXAMPLES / "tier3_balanced.yaml"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("Risk profile", "Tier 3", "Portfolio", "Why this portfolio", "In plain words",
                 "Risk contributions", "Binding constraints"):
        assert text in out, text


def _plan_weights(name: str, *extra: str) -> tuple[int, dict[str, float], dict[str, object]]:
    result = invoke("--answers", str(EXAMPLES / name), "--json", *extra)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    return record["assessment"]["tier"], record["allocation"]["weights"], record


def _vector(weights: dict[str, float]) -> np.ndarray:
    return np.array([weights.get(t, 0.0) for t in UNIVERSE.tickers])


def _check_five(extra: tuple[str, ...]) -> None:
    vectors, vols = [], []
    for k, name in enumerate(FILES, start=1):
        tier, weights, record = _plan_weights(name, *extra)
        assert tier == k
        if "holdings" in extra:
            assert all(RISK[t] <= k for t in weights), (k, weights)
        else:
            rating = record["allocation"]["suitability"]["rating"]["level"]
            assert int(rating[1]) <= k, (k, rating)
        assert max(weights.values()) <= 0.80
        vectors.append(_vector(weights))
        vols.append(record["allocation"]["volatility"])
    assert vols == sorted(vols) and len(set(np.round(vols, 4))) == 5
    for i in range(5):
        for j in range(i + 1, 5):
            assert np.abs(vectors[i] - vectors[j]).sum() > 0.2


@pytest.mark.parametrize("mode", ["portfolio", "holdings"])
def test_each_example_gives_a_distinct_suitable_portfolio_offline(mode: str) -> None:
    _check_five(("--suitability", mode))


@pytest.mark.realdata
def test_each_example_on_real_history(real_prices_csv: Path) -> None:
    _check_five(("--source", "history", "--prices", str(real_prices_csv)))


def test_json_is_one_record_with_assessment_allocation_and_explanation() -> None:
    _, _, record = _plan_weights("tier4_growth.yaml")
    assert set(record) == {"assessment", "allocation", "explanation"}
    assert record["assessment"]["answers_sha256"]
    assert record["allocation"]["tier"] == record["assessment"]["tier"] == 4
    assert "summary" in record["explanation"]
    assert "explanation" not in record["allocation"]


def test_chinese_profile_and_whole_shares() -> None:
    result = invoke("--answers", str(EXAMPLES / "tier2_moderately_conservative.yaml"),
                    "--lang", "zh", "--amount", "20000", "--prices", str(LATEST))
    assert result.exit_code == 0, result.output
    assert "稳健型" in result.stdout
    assert "剩余现金" in result.stdout and "通俗说明" in result.stdout
    assert "这是为第 2 级（稳健型，投资者适当性等级 C2）客户配置的组合" in result.stdout
    record = json.loads(invoke("--answers", str(EXAMPLES / "tier2_moderately_conservative.yaml"),
                               "--lang", "zh", "--json").stdout)
    assert "并非承诺" in record["explanation"]["summary"]


@pytest.mark.parametrize("args, message", [
    (["--answers", "nowhere.yaml"], "nowhere.yaml"),
    (["--answers", str(EXAMPLES / "tier3_balanced.yaml"), "--source", "history"],
     "--source history: no cached prices"),
    (["--answers", str(EXAMPLES / "tier3_balanced.yaml"), "--amount", "0"],
     "--amount 0: give a positive amount"),
])
def test_bad_input(args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_without_answers_the_questionnaire_is_asked_then_the_plan_follows() -> None:
    result = invoke("--json", input=BALANCED_REPLIES)
    assert result.exit_code == 0, result.output
    assert "1/12" in result.stderr and "12/12" in result.stderr     # the questions: stderr
    record = json.loads(result.stdout)
    _, weights, by_file = _plan_weights("tier3_balanced.yaml")
    assert record["assessment"]["tier"] == 3
    assert record["assessment"]["answers_sha256"] == by_file["assessment"]["answers_sha256"]
    assert record["allocation"]["weights"] == pytest.approx(weights, abs=1e-12)
    table = invoke("--lang", "zh", input=BALANCED_REPLIES)
    assert table.exit_code == 0, table.output
    assert "您的选择" in table.stderr
    for text in ("风险测评结果", "第 3 级 · 平衡型", "投资组合", "通俗说明"):
        assert text in table.stdout, text


def test_interactive_plan_checks_options_before_asking_and_stops_at_end_of_input() -> None:
    early = invoke("--amount", "-5", input=BALANCED_REPLIES)
    assert early.exit_code == 2 and "--amount -5" in early.stderr
    assert "1/12" not in early.stderr                                # nothing asked in vain
    cut = invoke(input="3\n3\n")
    assert cut.exit_code == 2
    assert "input ended before question 'investment_goal' (3 of 12)" in cut.stderr
    assert cut.stdout == ""
