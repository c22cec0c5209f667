"""`roboadvisor universe show`: the default universe, a user's file, and bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.data.universe_file import load_universe

runner = CliRunner()

TWO_ASSETS = """\
id: tiny
name: Tiny test universe
assets:
  - {ticker: aaa, name: Alpha Equity, asset_class: equity, region: us, currency: usd,
     expense_ratio: 0.001, risk_level: 4, max_weight: 0.7, market_weight: 3}
  - {ticker: BBB, name: Beta Bond, asset_class: fixed_income, region: global, currency: EUR,
     expense_ratio: 0.002, risk_level: 2, min_weight: 0.1, market_weight: 1}
"""


def test_show_lists_every_default_asset_with_its_risk_level() -> None:
    result = runner.invoke(app, ["universe", "show"])
    assert result.exit_code == 0, result.output
    universe = load_universe()
    lines = result.stdout.splitlines()
    for asset in universe:
        row = next(line for line in lines if line.startswith(f"│ {asset.ticker} "))
        assert f"R{asset.risk_level}" in row and asset.asset_class.value in row
    assert universe.name in result.stdout and f"({len(universe)} assets)" in result.stdout


def test_show_json_matches_the_loaded_universe() -> None:
    result = runner.invoke(app, ["universe", "show", "--json"])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    universe = load_universe()
    assert [a["ticker"] for a in record["assets"]] == list(universe.tickers)
    vti = record["assets"][0]
    assert (vti["expense_ratio"], vti["risk_label"], vti["max_weight"]) == (0.0003, "R3", 0.6)
    assert sum(a["market_share"] for a in record["assets"]) == pytest.approx(1.0)


def test_show_a_user_universe_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(TWO_ASSETS)
    result = runner.invoke(app, ["universe", "show", "--universe", str(path)])
    assert result.exit_code == 0, result.output
    assert "Tiny test universe (2 assets)" in result.stdout and "VTI" not in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("│ AAA "))
    assert "R4" in row and "75.0%" in row and "70%" in row  # market share 3 of 4, max 70%
    record = json.loads(runner.invoke(app, ["universe", "show", "-u", str(path),
                                            "--json"]).stdout)
    assert [a["currency"] for a in record["assets"]] == ["USD", "EUR"]
    assert record["assets"][1]["min_weight"] == 0.1


@pytest.mark.parametrize("content, message", [
    (TWO_ASSETS.replace("risk_level: 4", "risk_level: 9"),
     "asset aaa: risk_level = 9 is outside 1..5"),
    (TWO_ASSETS.replace("region: global", "region: mars"), "region = 'mars'"),
    ("assets: []\n", "'assets' must be a non-empty list"),
])
def test_a_bad_universe_file_is_one_line_naming_the_file(tmp_path: Path, content: str,
                                                         message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = runner.invoke(app, ["universe", "show", "--universe", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}") and message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_a_missing_universe_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["universe", "show", "--universe", str(tmp_path / "no.yaml")])
    assert result.exit_code == 2 and "file not found" in result.stderr


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["universe", "show", "--help"])
    assert result.exit_code == 0 and "Example: roboadvisor universe show" in result.stdout


def test_the_universe_help_page_shows_an_example() -> None:
    result = runner.invoke(app, ["universe", "--help"])
    assert result.exit_code == 0 and "Example: roboadvisor universe show" in result.stdout
