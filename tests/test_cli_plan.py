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


def invoke(*args: str) -> Result:
    return runner.invoke(app, ["plan", *args])


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
        assert all(RISK[t] <= k for t in weights), (k, weights)
        assert max(weights.values()) <= 0.80
        vectors.append(_vector(weights))
        vols.append(record["allocation"]["volatility"])
    assert vols == sorted(vols) and len(set(np.round(vols, 4))) == 5
    for i in range(5):
        for j in range(i + 1, 5):
            assert np.abs(vectors[i] - vectors[j]).sum() > 0.2


def test_each_example_gives_a_distinct_suitable_portfolio_offline() -> None:
    _check_five(())


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
    ([], "plan needs --answers FILE"),
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
