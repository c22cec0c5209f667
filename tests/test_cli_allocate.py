"""`roboadvisor allocate` and `roboadvisor explain` through CliRunner: tables, --json, whole
shares with a small prices file, and one-line errors (exit 2) for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from roboadvisor.cli.app import app
from roboadvisor.data.universe_file import load_universe

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "questionnaires" / "examples"
LATEST = Path(__file__).resolve().parent / "resources" / "allocation" / "latest_prices.csv"
RISK = {a.ticker: a.risk_level for a in load_universe()}

runner = CliRunner()


def invoke(*args: str) -> Result:
    return runner.invoke(app, [*args])


def test_allocate_table_shows_weights_classes_and_figures() -> None:
    result = invoke("allocate", "--tier", "3", "--suitability", "holdings")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("Tier 3 · Balanced", "investor level C3", "Expected return", "volatility 8.00%",
                 "Sharpe", "VTI", "Equity", "Share of risk", "capital market assumptions",
                 "every holding at most R3"):
        assert text in out, text
    assert "VWO" not in out and "MCHI" not in out  # R4/R5: not suitable for tier 3


@pytest.mark.parametrize("tier", ["1", "2"])
def test_cautious_tiers_show_a_rated_diversified_portfolio(tier: str) -> None:
    result = invoke("allocate", "--tier", tier)
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.replace("│", " ").split())
    assert f"Portfolio rating R{tier} (tier limit R{tier}, rated as a whole)" in out
    assert "the higher of volatility" in out and "stress loss" in out
    record = json.loads(invoke("allocate", "--tier", tier, "--json").stdout)
    equity = [t for t, a in ((a["ticker"], a) for a in record["assets"])
              if a["asset_class"] == "equity"]
    assert len(equity) >= 2                              # more than one equity market
    assert record["class_weights"]["equity"] > 0.0
    assert record["suitability"]["rating"]["level"] == f"R{tier}"


@pytest.mark.parametrize("tier", ["1", "2", "3", "4", "5"])
def test_allocate_json_respects_suitability(tier: str) -> None:
    result = invoke("allocate", "--tier", tier, "--json", "--suitability", "holdings")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["tier"] == int(tier)
    assert sum(record["weights"].values()) == pytest.approx(1.0, abs=1e-3)
    assert all(RISK[t] <= int(tier) for t in record["weights"])
    assert record["suitability"]["mode"] == "holdings"
    rated = json.loads(invoke("allocate", "--tier", tier, "--json").stdout)["suitability"]
    assert rated["mode"] == "portfolio" and int(rated["rating"]["level"][1]) <= int(tier)
    assert record["explanation"]["summary"].startswith(f"This portfolio for tier {tier}")


def test_allocate_from_answers_uses_their_tier() -> None:
    result = invoke("allocate", "--answers", str(EXAMPLES / "tier5_aggressive.yaml"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tier"] == 5


def test_amount_with_a_small_prices_file_gives_whole_shares() -> None:
    result = invoke("allocate", "--tier", "4", "--amount", "25000", "--prices", str(LATEST),
                    "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["prices_as_of"] == "2026-07-31"
    positions = record["positions"]
    assert all(isinstance(p["shares"], int) and p["shares"] >= 0 for p in positions)
    # the file's last prices: VTI 302.00, VEA 51.00
    prices = {p["ticker"]: p["price"] for p in positions}
    assert prices["VTI"] == 302.0 and prices["VEA"] == 51.0
    invested = sum(p["shares"] * p["price"] for p in positions)
    assert invested == pytest.approx(record["invested"])
    assert record["cash_left"] == pytest.approx(25000 - invested)
    assert 0 <= record["cash_left"] < 302.0

    table = invoke("allocate", "--tier", "4", "--amount", "25000", "--prices", str(LATEST))
    assert table.exit_code == 0
    assert "Shares" in table.stdout and "cash left" in table.stdout


def test_amount_offline_without_prices_shows_amounts_and_warns() -> None:
    result = invoke("allocate", "--tier", "2", "--amount", "10000")
    assert result.exit_code == 0, result.output
    assert "Target" in result.stdout and "Price" not in result.stdout
    assert "warning: whole shares need prices: pass --prices FILE" in result.stderr


@pytest.mark.parametrize("args, message", [
    ([], "give --tier N (1..5) or --answers FILE"),
    (["--tier", "3", "--answers", str(EXAMPLES / "tier3_balanced.yaml")],
     "give either --tier N or --answers FILE, not both"),
    (["--tier", "7"], "--tier 7: unknown tier '7': use 1..5"),
    (["--tier", "3", "--source", "oracle"], "--source oracle: use one of cma, history"),
    (["--tier", "3", "--source", "history"], "--source history: no cached prices for VTI"),
    (["--tier", "3", "--amount", "-100"], "--amount -100: give a positive amount"),
    (["--tier", "3", "--source", "history", "--prices", str(LATEST), "--method", "magic"],
     "--method magic: use one of mean, ema, capm, equilibrium, black-litterman"),
    (["--tier", "3", "--answers", "missing.yaml"], "not both"),
    (["--answers", "missing.yaml"], "missing.yaml"),
    (["--tier", "3", "--policies", "nope.yaml"], "nope.yaml: file not found"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = invoke("allocate", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_explain_table_names_binding_constraints_and_summary() -> None:
    result = invoke("explain", "--tier", "2", "--suitability", "holdings")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Risk contributions" in out and "Total" in out and "100.00%" in out
    assert "LQD at its maximum of 30.0%" in out
    assert "volatility at its ceiling of 4.0%" in out
    assert "excluded by suitability: VTI, VEA, TLT, HYG, EMB" in out
    assert "In plain words" in out


def test_explain_json_contributions_sum_to_one() -> None:
    result = invoke("explain", "--answers", str(EXAMPLES / "tier3_balanced.yaml"), "--json",
                    "--suitability", "holdings")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["tier"] == 3
    assert sum(record["risk_contributions"].values()) == pytest.approx(1.0, abs=1e-3)
    kinds = {b["kind"] for b in record["binding_constraints"]}
    assert {"volatility_target", "suitability"} <= kinds
    assert "tier 3" in record["summary"]


def test_explain_bad_input() -> None:
    result = invoke("explain")
    assert result.exit_code == 2 and "give --tier N" in result.stderr


def test_help_shows_examples() -> None:
    for command in ("allocate", "explain"):
        result = invoke(command, "--help")
        assert result.exit_code == 0
        assert "roboadvisor " + command in result.stdout and "--json" in result.stdout


@pytest.mark.realdata
@pytest.mark.parametrize("mode", ["portfolio", "holdings"])
@pytest.mark.parametrize("tier", ["1", "3", "5"])
def test_allocate_on_real_history(real_prices_csv: Path, tier: str, mode: str) -> None:
    result = invoke("allocate", "--tier", tier, "--source", "history", "--prices",
                    str(real_prices_csv), "--amount", "50000", "--json", "--suitability", mode)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["estimates"]["method"] == "equilibrium"
    assert record["prices_as_of"] == "2026-07-31"
    if mode == "holdings":
        assert all(RISK[t] <= int(tier) for t in record["weights"])
    assert int(record["suitability"]["rating"]["level"][1]) <= int(tier)
    assert 0 <= record["cash_left"] < max(p["price"] for p in record["positions"])


def test_amount_uses_the_cache_when_no_prices_file_is_given() -> None:
    from roboadvisor.services.market import import_prices

    import_prices(LATEST)  # into the test's own cache (ROBOADVISOR_CACHE_DIR)
    result = invoke("allocate", "--tier", "1", "--amount", "10000", "--json", "--suitability",
                    "holdings")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["prices_as_of"] == "2026-07-31"
    assert {p["ticker"]: p["price"] for p in record["positions"]} == {"SHY": 80.10,
                                                                      "BIL": 91.02}
    assert "warning" not in result.stderr


def test_policies_override_changes_the_portfolio(tmp_path: Path) -> None:
    from roboadvisor.data.policy_file import DEFAULT_POLICIES

    text = DEFAULT_POLICIES.read_text(encoding="utf-8")
    custom = tmp_path / "policies.yaml"
    custom.write_text(text.replace("target_volatility: 0.08", "target_volatility: 0.07"),
                      encoding="utf-8")
    result = invoke("allocate", "--tier", "3", "--policies", str(custom), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["volatility"] == pytest.approx(0.07, abs=1e-5)
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("max_product_risk: 3", "max_product_risk: 5"),
                      encoding="utf-8")
    result = invoke("allocate", "--tier", "3", "--policies", str(broken))
    assert result.exit_code == 2
    assert f"{broken}: tier 3: max_product_risk 5 exceeds the tier" in result.stderr


def test_allocate_and_explain_speak_chinese() -> None:
    allocated = invoke("allocate", "--tier", "2", "--lang", "zh")
    assert allocated.exit_code == 0, allocated.output
    out = allocated.stdout
    assert "第 2 级 · 稳健型" in out and "估计：资本市场假设（cma_default.yaml）" in out
    assert "capital market assumptions" not in out
    record = json.loads(invoke("allocate", "--tier", "2", "--lang", "zh", "--json").stdout)
    assert record["explanation"]["summary"].startswith("这是为第 2 级")
    explained = invoke("explain", "--tier", "2", "--lang", "zh", "--suitability", "holdings")
    assert explained.exit_code == 0, explained.output
    for text in ("组合说明 · 第 2 级", "风险贡献", "LQD 达到上限 30.0%", "通俗说明",
                 "这是为第 2 级（稳健型"):
        assert text in explained.stdout, text
    assert "In plain words" not in explained.stdout
    assert invoke("explain", "--tier", "2", "--lang", "fr").exit_code == 2


def test_chinese_names_history_estimates_in_chinese(tmp_path: Path) -> None:
    from tests.test_allocate_service import synthetic_prices

    prices = synthetic_prices(tmp_path / "p.csv")
    result = invoke("allocate", "--tier", "3", "--lang", "zh", "--source", "history",
                    "--prices", str(prices))
    assert result.exit_code == 0, result.output
    assert "估计：历史数据 2024-01-03 至" in result.stdout
    assert "市场均衡预期收益，Ledoit-Wolf 收缩协方差" in result.stdout
    assert "history 2024" not in result.stdout
