"""`roboadvisor backtest run|compare` through the CLI: tables, JSON, CSV, plots, overrides and
one-line errors. Fixtures: tests/resources/backtest (synthetic prices and small configs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from tests.conftest import REPO_ROOT, RESOURCES

# bt's ffn dependency asks pandas for infer_freq strings, which pandas 3 warns about.
pytestmark = pytest.mark.filterwarnings("ignore:A future version of pandas will return")

runner = CliRunner()
FIX = RESOURCES / "backtest"
PRICES = FIX / "prices.csv"
MONTHLY = FIX / "weights_monthly.yaml"
BANDS = FIX / "weights_bands.yaml"
WALK = FIX / "tier1_walkforward.yaml"


def _run(*args: object) -> object:
    return runner.invoke(app, ["backtest", *map(str, args)])


def _month_ends(index: pd.DatetimeIndex) -> int:
    """Month ends strictly inside the data (the last day is not one), counted with pandas."""
    last_per_month = pd.Series(index, index=index).groupby(index.to_period("M")).max()
    return int((last_per_month < index[-1]).sum())


def _one_line_error(result: object, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    return result.stderr


def test_help_shows_commands_and_an_example() -> None:
    result = _run("--help")
    assert result.exit_code == 0 and "run" in result.output and "compare" in result.output
    result = _run("run", "--help")
    assert result.exit_code == 0 and "Example: roboadvisor backtest run" in result.output


def test_run_prints_the_tables() -> None:
    result = _run("run", MONTHLY)
    assert result.exit_code == 0, result.output
    for text in ("60/40 monthly", "Performance", "CAGR", "Max drawdown", "Turnover/yr",
                 "Calendar-year returns", "Weights", "AOR", "Contributed", "information ratio"):
        assert text in result.stdout


def test_json_record_is_consistent_with_the_data() -> None:
    result = _run("run", MONTHLY, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    s = record["summary"]
    prices = pd.read_csv(PRICES, index_col=0, parse_dates=True)
    ends = _month_ends(prices.index)
    assert s["start"] == str(prices.index[0].date()) and s["end"] == str(prices.index[-1].date())
    assert s["contributions"] == pytest.approx(100 * ends)      # 100 at every month end
    assert s["rebalances"] == ends == len(record["rebalance_dates"])
    assert record["targets"][0]["weights"] == {"VTI": 0.6, "AGG": 0.4}
    assert s["benchmark"]["name"] == "AOR"
    aor = prices["AOR"]
    assert s["benchmark"]["cagr"] == pytest.approx(
        (aor.iloc[-1] / aor.iloc[0]) ** (252 / (len(aor) - 1)) - 1)
    assert s["total_costs"] > 0 and s["cost_drag"] > 0
    assert record["rule"]["kind"] == "calendar" and record["costs"]["bps"] == 10


def test_csv_and_plot_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    png = tmp_path / "curve.png"
    result = _run("run", MONTHLY, "--csv", out, "--plot", png, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    equity = pd.read_csv(out / "equity.csv", index_col=0, parse_dates=True)
    trades = pd.read_csv(out / "trades.csv")
    prices = pd.read_csv(PRICES, index_col=0, parse_dates=True)
    assert equity.index.equals(prices.index)
    assert equity["value"].iloc[-1] == pytest.approx(record["summary"]["final_value"])
    assert equity["flow"].sum() == pytest.approx(record["summary"]["contributions"])
    assert equity["drawdown"].min() == pytest.approx(record["summary"]["max_drawdown"])
    assert list(trades.columns) == ["date", "event", "ticker", "value", "cost"]
    assert trades["cost"].sum() == pytest.approx(record["summary"]["total_costs"])
    assert set(trades["ticker"]) == {"VTI", "AGG"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert not list(tmp_path.glob("**/.*tmp"))       # no temporary files left behind


def test_options_override_the_file() -> None:
    result = _run("run", MONTHLY, "--json", "--rule", "never", "--start", "2019-07-01",
                  "--end", "2020-06-30", "--benchmark", "none", "--risk-free", "0.03")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    s = record["summary"]
    assert record["rule"]["kind"] == "never" and s["rebalances"] == 0
    assert s["start"] == "2019-07-01" and s["end"] == "2020-06-30"
    assert s["benchmark"] is None and s["risk_free"] == "3%"


def test_bands_config_with_fixed_costs() -> None:
    result = _run("run", BANDS, "--json", "--rule", "bands:abs=0.01")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["summary"]["rebalances"] > 0          # a 1-point band does fire here
    assert record["costs"]["fixed"] == 1.0


def test_walk_forward_run() -> None:
    result = _run("run", WALK, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["tickers"] == ["SHY", "BIL"]
    assert len(record["targets"]) > 10
    for target in record["targets"]:
        assert sum(target["weights"].values()) == pytest.approx(1)
        assert target["weights"]["BIL"] >= 0.25 - 1e-6       # tier 1 keeps 25%+ in cash


def test_compare_puts_strategies_side_by_side(tmp_path: Path) -> None:
    result = _run("compare", MONTHLY, BANDS, "--start", "2019-07-01", "--csv", tmp_path)
    assert result.exit_code == 0, result.output
    assert "60/40 monthly" in result.stdout and "3-asset 5/25 bands" in result.stdout
    assert "Backtest comparison" in result.stdout
    equity = pd.read_csv(tmp_path / "equity.csv", index_col=0)
    assert list(equity.columns) == ["60/40 monthly", "3-asset 5/25 bands"]
    result = _run("compare", MONTHLY, BANDS, "--start", "2019-07-01", "--json")
    names = [s["name"] for s in json.loads(result.stdout)["strategies"]]
    assert names == ["60/40 monthly", "3-asset 5/25 bands"]


def test_prices_from_the_cache_after_data_import(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(MONTHLY.read_text().replace("prices: prices.csv\n", ""))
    missing = _run("run", config)
    assert "data import" in _one_line_error(missing) and "--prices" in missing.stderr
    imported = runner.invoke(app, ["data", "import", str(PRICES)])
    assert imported.exit_code == 0, imported.output
    from_cache = _run("run", config, "--json")
    from_file = _run("run", MONTHLY, "--json")
    assert from_cache.exit_code == 0, from_cache.output
    assert (json.loads(from_cache.stdout)["summary"]["final_value"]
            == pytest.approx(json.loads(from_file.stdout)["summary"]["final_value"]))


@pytest.mark.parametrize("args, message", [
    (["run", "missing.yaml"], "missing.yaml: file not found"),
    (["run", MONTHLY, "--rule", "weekly"], "--rule: unknown rule 'weekly'"),
    (["run", MONTHLY, "--risk-free", "nofile.csv"], "--risk-free: nofile.csv not found"),
    (["run", MONTHLY, "--prices", "nofile.csv"], "--prices nofile.csv: file not found"),
    (["run", BANDS, "--start", "2019-03-01"], "GLD (first price 2019-07-01)"),
    (["run", MONTHLY, "--start", "2020-06-01", "--end", "2020-01-01"], "not after start"),
    (["run", MONTHLY, "--plot", "curve.jpg"], "ending in .png"),
    (["run", MONTHLY, "--start", "2021-06-01"], "is after 2020-12-31, where the prices end"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[object], message: str) -> None:
    assert message in _one_line_error(_run(*args))


def test_an_end_beyond_the_data_is_a_warning_naming_the_last_date() -> None:
    result = _run("run", MONTHLY, "--end", "2030-01-01", "--json")
    assert result.exit_code == 0
    assert "warning: end 2030-01-01 is after 2020-12-31" in result.stderr
    assert json.loads(result.stdout)["summary"]["end"] == "2020-12-31"


def test_nothing_is_written_when_the_run_fails(tmp_path: Path) -> None:
    out = tmp_path / "out"
    png = tmp_path / "x.png"
    result = _run("run", BANDS, "--start", "2019-03-01", "--csv", out, "--plot", png)
    _one_line_error(result)
    assert not out.exists() and not png.exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert "not a directory" in _one_line_error(_run("run", MONTHLY, "--csv", blocker))


def test_a_copied_config_finds_prices_next_to_it(tmp_path: Path) -> None:
    shutil.copy(MONTHLY, tmp_path / "m.yaml")
    shutil.copy(PRICES, tmp_path / "prices.csv")
    result = _run("run", tmp_path / "m.yaml", "--json")
    assert result.exit_code == 0, result.output


@pytest.mark.realdata
def test_tier3_quarterly_on_real_prices(real_prices_csv: Path) -> None:
    """The shipped tier-3 config on the shared daily file: tables print, rebalances fall on
    the quarter ends, and costs explain the gap to a cost-free bt run of the same weights."""
    bt = pytest.importorskip("bt")
    config = REPO_ROOT / "backtests" / "tier3_quarterly.yaml"
    shown = _run("run", config, "--prices", real_prices_csv)
    assert shown.exit_code == 0, shown.output
    assert "Tier 3 quarterly" in shown.stdout and "AOM" in shown.stdout
    result = _run("run", config, "--prices", real_prices_csv, "--json")
    record = json.loads(result.stdout)
    s = record["summary"]
    weights = record["targets"][0]["weights"]
    prices = pd.read_csv(real_prices_csv, index_col=0, parse_dates=True)
    frame = prices.loc[s["start"]:s["end"], list(weights)]
    assert not frame.isna().any().any() and s["start"] >= "2015-01-01"
    quarter_ends = pd.Series(frame.index, index=frame.index).groupby(
        frame.index.to_period("Q")).max()
    assert s["rebalances"] == int((quarter_ends < frame.index[-1]).sum())
    w = pd.DataFrame(np.tile(list(weights.values()), (len(frame), 1)), index=frame.index,
                     columns=frame.columns)
    strategy = bt.Strategy("q", [bt.algos.RunQuarterly(run_on_end_of_period=True),
                                 bt.algos.WeighTarget(w), bt.algos.Rebalance()])
    free = bt.run(bt.Backtest(strategy, frame, initial_capital=100_000,
                              integer_positions=False, progress_bar=False))
    free_final = float(free.backtests["q"].strategy.values.iloc[-1])
    assert s["final_value"] < free_final
    assert free_final - s["final_value"] < 2 * s["total_costs"] * free_final / 100_000
