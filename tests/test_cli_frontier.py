"""`roboadvisor frontier` through CliRunner: the table with the tiers marked, --json, --plot
(a real PNG written atomically, only after computing), and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from roboadvisor.cli.app import app

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
runner = CliRunner()


def invoke(*args: str) -> Result:
    return runner.invoke(app, ["frontier", *args])


def test_table_marks_the_five_tiers_and_says_they_may_lie_inside() -> None:
    result = invoke("--points", "10")
    assert result.exit_code == 0, result.output
    for k, label in enumerate(["Conservative", "Moderately conservative", "Balanced", "Growth",
                               "Aggressive"], start=1):
        assert f"tier {k} · {label}" in result.stdout
    assert result.stdout.count("frontier ") >= 10
    assert "may lie inside it" in result.stderr


def test_json_points_and_tiers() -> None:
    result = invoke("--points", "8", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert len(record["frontier"]) == 8
    vols = [p["volatility"] for p in record["frontier"]]
    assert vols == sorted(vols)
    for tier in record["tiers"].values():
        assert tier["expected_return"] <= tier["frontier_return_at_same_volatility"] + 1e-6
    assert set(record["assets"]) >= {"VTI", "BIL"}


def test_plot_writes_a_png_and_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "frontier.png"
    result = invoke("--points", "10", "--plot", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == PNG_SIGNATURE
    assert target.stat().st_size > 20_000
    assert [p.name for p in tmp_path.iterdir()] == ["frontier.png"]  # no temp file left
    assert f"wrote {target}" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--plot", "frontier.jpg"], "--plot frontier.jpg: give a file name ending in .png"),
    (["--plot", "no/such/folder/f.png"], "folder no/such/folder does not exist"),
    (["--points", "1"], "--points 1: use 2..500 points"),
    (["--source", "history"], "--source history: no cached prices"),
    (["--source", "tea-leaves"], "--source tea-leaves: use one of cma, history"),
])
def test_bad_input_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_failed_computation_leaves_no_picture(tmp_path: Path) -> None:
    target = tmp_path / "f.png"
    result = invoke("--plot", str(target), "--source", "history")  # no prices: fails first
    assert result.exit_code == 2
    assert not target.exists()


def test_tiers_the_universe_cannot_build_are_marked_and_left_out_of_the_plot(
        tmp_path: Path) -> None:
    universe = tmp_path / "one.yaml"
    universe.write_text("id: one\nname: One\nversion: 1\nassets:\n  - {ticker: VTI, name: VTI, "
                        "asset_class: equity, region: us, currency: USD, "
                        "expense_ratio: 0.0003, risk_level: 3, market_weight: 1.0}\n",
                        encoding="utf-8")
    target = tmp_path / "f.png"
    result = invoke("--universe", str(universe), "--points", "5", "--plot", str(target))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "tier 5 · Aggressive" in out
    for k in (1, 2, 3, 4):
        assert f"tier {k} cannot be built:" in out
    assert out.count("cannot be built") == 8        # a table row and a reason per tier
    assert "universe 'One' has no fixed_income" in out  # tiers 1-4 need bonds
    assert target.read_bytes()[:8] == PNG_SIGNATURE
    record = json.loads(invoke("--universe", str(universe), "--points", "5", "--json").stdout)
    assert set(record["tiers"]) == {"5"} and len(record["unavailable_tiers"]) == 4
