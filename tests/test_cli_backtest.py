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
    result = _run("run", WALK, "--json", "--suitability", "holdings")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["tickers"] == ["SHY", "BIL"]
    assert len(record["targets"]) > 10
    for target in record["targets"]:
        assert sum(target["weights"].values()) == pytest.approx(1)
        assert target["weights"]["BIL"] >= 0.25 - 1e-6       # tier 1 keeps 25%+ in cash


def test_portfolio_suitability_needs_prices_of_every_asset_the_tier_may_hold() -> None:
    message = _one_line_error(_run("run", WALK))        # the fixture has 7 of the 17 ETFs
    assert "no prices for VEA" in message and "DBC" in message


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


# --- what a new user ran into (QA) ------------------------------------------------------------
def _copy(tmp_path: Path, fixture: Path, name: str, *changes: tuple[str, str]) -> Path:
    """``fixture`` with its price file named absolutely and ``changes`` (old, new) applied."""
    text = fixture.read_text().replace("prices: prices.csv", f"prices: {PRICES}")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def _prices_without(tmp_path: Path, *tickers: str) -> Path:
    path = tmp_path / f"no_{'_'.join(tickers)}.csv"
    pd.read_csv(PRICES).drop(columns=list(tickers)).to_csv(path, index=False)
    return path


def test_a_held_ticker_missing_from_the_price_file_says_what_works_here(tmp_path: Path) -> None:
    message = _one_line_error(_run("run", MONTHLY, "--prices", _prices_without(tmp_path, "AGG")))
    assert "no prices for AGG" in message and "data import" in message
    assert "--allow-missing" not in message                 # backtest has no such option


def test_fixed_tier_targets_without_assumptions_for_a_ticker(tmp_path: Path) -> None:
    from roboadvisor.config import RESOURCES_DIR

    universe = (RESOURCES_DIR / "universe_default.yaml").read_text() + (
        "  - {ticker: QQQ, name: Invesco QQQ, asset_class: equity, region: us, currency: USD, "
        "expense_ratio: 0.002, risk_level: 3, max_weight: 0.2, market_weight: 0.01}\n")
    (tmp_path / "uni.yaml").write_text(universe)
    config = tmp_path / "c.yaml"
    config.write_text(f"tier: 3\nuniverse: uni.yaml\nprices: {PRICES}\n")
    message = _one_line_error(_run("run", config))
    assert "QQQ" in message and "assumptions:" in message and "walk_forward" in message
    assert "--source" not in message                        # backtest has no such option


def test_a_walk_forward_window_longer_than_the_data(tmp_path: Path) -> None:
    days = len(pd.read_csv(PRICES))                         # SHY and BIL: every row
    long = _copy(tmp_path, WALK, "long.yaml", ("window: 60", "window: 1000"))
    message = _one_line_error(_run("run", long, "--start", "2020-06-01", "--suitability",
                                   "holdings"))
    assert "no date in the data" not in message
    assert f"shorten walk_forward.window to {days - 3} days or fewer" in message
    shorter = _copy(tmp_path, WALK, "shorter.yaml", ("window: 60", "window: 300"))
    message = _one_line_error(_run("run", shorter, "--start", "2019-06-03", "--suitability",
                                   "holdings"))
    first = pd.read_csv(PRICES)["Date"].iloc[301]           # 301 prices before it
    assert f"use --start {first} or later" in message
    assert _run("run", shorter, "--start", first, "--suitability", "holdings").exit_code == 0


def test_two_days_give_honest_statistics() -> None:
    result = _run("run", MONTHLY, "--start", "2020-01-02", "--end", "2020-01-03", "--json")
    assert result.exit_code == 0, result.output
    assert "no prices in the backtest window" not in result.stderr
    s = json.loads(result.stdout)["summary"]
    assert s["total_return"] == pytest.approx(s["final_value"] / 10_000 - 1)
    for key in ("cagr", "volatility", "sharpe", "sortino", "calmar", "turnover", "cost_drag"):
        assert s[key] is None, key
    assert s["benchmark"]["name"] == "AOR" and s["benchmark"]["total_return"] is not None
    shown = _run("run", MONTHLY, "--start", "2020-01-02", "--end", "2020-01-03")
    assert "period under a year: returns not annualised" in shown.stdout


def test_the_total_return_counts_the_initial_purchase_cost() -> None:
    result = _run("run", BANDS, "--json")                   # 5 bp + 1 per trade, no flows
    s = json.loads(result.stdout)["summary"]
    assert s["total_costs"] > 0
    assert s["total_return"] == pytest.approx(s["final_value"] / 100_000 - 1)


def test_an_infeasible_policy_in_a_walk_forward_is_bad_input(tmp_path: Path) -> None:
    from roboadvisor.config import RESOURCES_DIR

    policies = (RESOURCES_DIR / "policies.yaml").read_text()
    assert "target_volatility: 0.015\n" in policies
    (tmp_path / "pol.yaml").write_text(policies.replace("target_volatility: 0.015\n",
                                                        "target_volatility: 0.001\n"))
    walk = _copy(tmp_path, WALK, "w.yaml", ("tier: 1\n", "tier: 1\npolicies: pol.yaml\n"),
                 ("frequency: monthly}", "frequency: monthly, on_infeasible: keep}"))
    assert "first optimisation" in _one_line_error(_run("run", walk, "--suitability",
                                                        "holdings"))
    # By default every month holds the least-risk portfolio instead, and says so.
    least = _copy(tmp_path, WALK, "l.yaml", ("tier: 1\n", "tier: 1\npolicies: pol.yaml\n"))
    held = _run("run", least, "--suitability", "holdings", "--json")
    assert held.exit_code == 0, held.output
    assert "ceiling 0.1% not reachable, held the least-risk portfolio at" in held.stderr
    record = json.loads(held.stdout)
    assert record["failures"] == [] and len(record["least_risk"]) == len(record["targets"])
    fixed = _copy(tmp_path, WALK, "f.yaml", ("tier: 1\n", "tier: 1\npolicies: pol.yaml\n"),
                  ("targets: walk_forward\nwalk_forward: {window: 60, frequency: monthly}\n",
                   ""))
    _one_line_error(_run("run", fixed))                     # the same exit code, 2


def test_compare_needs_two_different_configurations() -> None:
    assert "two or more" in _one_line_error(_run("compare", MONTHLY))
    assert "given twice" in _one_line_error(_run("compare", MONTHLY, BANDS, MONTHLY))


def test_a_per_asset_cost_for_a_ticker_not_held(tmp_path: Path) -> None:
    config = _copy(tmp_path, MONTHLY, "c.yaml",
                   ("costs: {bps: 10}", "costs: {bps: 10, per_asset_bps: {ZZZQ: 20}}"))
    message = _one_line_error(_run("run", config))
    assert str(config) in message and "costs.per_asset_bps.ZZZQ" in message


def test_a_named_benchmark_needs_prices_an_auto_one_is_best_effort(tmp_path: Path) -> None:
    no_aor = _prices_without(tmp_path, "AOR")
    assert "benchmark AOR" in _one_line_error(_run("run", MONTHLY, "--prices", no_aor))
    assert "benchmark ZZZQ" in _one_line_error(_run("run", MONTHLY, "--benchmark", "zzzq"))
    # GLD's prices start 2019-07-01: none in a window that ends before
    message = _one_line_error(_run("run", MONTHLY, "--benchmark", "GLD", "--end", "2019-06-28"))
    assert "benchmark GLD: no prices between 2019-01-02 and 2019-06-28" in message
    auto = _run("run", WALK, "--prices", _prices_without(tmp_path, "AOK"), "--json",
                "--suitability", "holdings")
    assert auto.exit_code == 0 and "warning: benchmark AOK left out" in auto.stderr
    assert json.loads(auto.stdout)["summary"]["benchmark"] is None


def test_outputs_get_the_mode_the_umask_gives(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        result = _run("run", MONTHLY, "--csv", tmp_path / "out", "--plot", tmp_path / "c.png")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    for path in (tmp_path / "out" / "equity.csv", tmp_path / "out" / "trades.csv",
                 tmp_path / "c.png"):
        assert path.stat().st_mode & 0o777 == 0o644, path


def test_an_interrupt_while_drawing_writes_nothing(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", interrupted)
    result = _run("run", MONTHLY, "--csv", tmp_path / "out", "--plot", tmp_path / "c.png")
    assert result.exit_code == 130
    assert list(tmp_path.iterdir()) == []


def test_compare_of_eight_strategies_keeps_every_metric_label(tmp_path: Path) -> None:
    configs = [_copy(tmp_path, MONTHLY, f"s{k}.yaml", ("name: 60/40 monthly",
                                                       f"name: Strategy number {k}"))
               for k in range(8)]
    result = runner.invoke(app, ["backtest", "compare", *map(str, configs)],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    for label in ("  recovered", "Turnover/yr", "  information ratio", "  excess return/yr"):
        assert f"│ {label} " in result.stdout, label


def test_a_tiny_capital_eaten_by_fixed_costs_names_the_costs(tmp_path: Path) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text(f"name: tiny\nweights: {{VTI: 0.6, AGG: 0.4}}\nprices: {PRICES}\n"
                      "rule: monthly\ncosts: {fixed: 10}\ncash_flows: {initial: 15}\n"
                      "benchmark: none\n")
    result = _run("run", config)
    assert result.exit_code == 0, result.output
    assert "trading costs emptied the portfolio" in result.stderr
    assert "fixed cost of 10 per trade" in result.stderr and "initial capital 15" in result.stderr
    assert "withdrawals" not in result.stderr
