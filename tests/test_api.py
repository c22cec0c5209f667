"""The Python API (issue 15): cheap to import, typed specs, the same validation and errors as
files, and the same figures as the command line's --json for the same inputs."""

from __future__ import annotations

import doctest
import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import roboadvisor
import roboadvisor.api
from roboadvisor.cli.app import app
from roboadvisor.data.price_files import read_price_file
from roboadvisor.errors import ConfigError, DataQualityError, RoboAdvisorError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "questionnaires" / "examples"
runner = CliRunner()

HEAVY = ("pandas", "numpy", "cvxpy", "pypfopt", "yfinance", "matplotlib", "sqlalchemy", "dask",
         "scipy", "sklearn", "pyarrow")
API_MODULES = ["roboadvisor.api.assessment", "roboadvisor.api.allocation",
               "roboadvisor.api.backtesting", "roboadvisor.api.prices",
               "roboadvisor.api.projection"]


def cli_json(*argv: str) -> dict:
    result = runner.invoke(app, [*argv, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- the package -------------------------------------------------------------------------------
def test_importing_the_package_loads_nothing_heavy() -> None:
    code = (f"import sys, roboadvisor\nprint([m for m in {HEAVY!r} if m in sys.modules])\n"
            "roboadvisor.RebalanceRule\nprint('pandas' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.split("\n")[:2] == ["[]", "False"], proc.stdout


def test_every_public_name_resolves_and_both_lists_agree() -> None:
    assert roboadvisor.__all__ == roboadvisor.api.__all__
    assert set(roboadvisor.api.__all__) == set(roboadvisor.api.EXPORTS)
    for name in roboadvisor.__all__:
        assert getattr(roboadvisor, name) is getattr(roboadvisor.api, name)
    with pytest.raises(AttributeError):
        roboadvisor.not_a_name  # noqa: B018


@pytest.mark.parametrize("module", API_MODULES)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_every_public_function_has_an_example_and_units() -> None:
    for name in ("assess", "allocate", "estimates", "frontier", "backtest", "check_prices",
                 "project"):
        doc = getattr(roboadvisor, name).__doc__
        assert ">>> " in doc and "Returns" in doc and "Parameters" in doc, name


# --- prices from memory: the same validation and errors as a file --------------------------------
BAD_CELLS = {"negative price": (3, "VTI", "-1"), "not a number": (2, "AGG", "abc"),
             "bad date": (1, "Date", "2020/01/03")}


@pytest.mark.parametrize("case", sorted(BAD_CELLS))
def test_a_bad_table_fails_as_the_same_parquet_file_does(case: str, tmp_path: Path) -> None:
    table = pd.DataFrame({"Date": [f"2020-01-0{d}" for d in (2, 3, 6, 7, 8)],
                          "VTI": ["150.0", "151.0", "152.5", "150.5", "151.5"],
                          "AGG": ["110.0", "110.1", "110.2", "110.0", "110.3"]})
    row, column, value = BAD_CELLS[case]
    table.loc[row, column] = value
    path = tmp_path / "prices.parquet"
    table.to_parquet(path, index=False)
    with pytest.raises(DataQualityError) as from_file:
        read_price_file(path)
    with pytest.raises(DataQualityError) as from_memory:
        roboadvisor.check_prices(table)
    expected = str(from_file.value).replace(str(path), "prices DataFrame")
    assert str(from_memory.value) == expected
    with pytest.raises(DataQualityError) as via_allocate:   # and every API call that takes it
        roboadvisor.allocate(3, prices=table)
    assert str(via_allocate.value) == expected


def test_a_good_table_reads_as_the_same_file(tmp_path: Path) -> None:
    table = pd.DataFrame({"Date": ["2020-01-02", "2020-01-03"], " vti": [150.0, 151.0]})
    path = tmp_path / "p.csv"
    table.to_csv(path, index=False)
    pd.testing.assert_frame_equal(roboadvisor.check_prices(table), read_price_file(path).prices)
    indexed = roboadvisor.check_prices(pd.read_csv(path, index_col="Date", parse_dates=True))
    pd.testing.assert_frame_equal(indexed, read_price_file(path).prices)


def test_not_a_table_is_our_error_not_a_crash() -> None:
    with pytest.raises(RoboAdvisorError, match="pandas DataFrame"):
        roboadvisor.backtest(3, [1, 2, 3])  # type: ignore[arg-type]


def test_bad_spec_text_is_a_config_error_naming_the_field() -> None:
    days = pd.bdate_range("2020-01-01", periods=50, name="Date")
    table = pd.DataFrame({"VTI": np.linspace(100, 110, 50)}, index=days)
    with pytest.raises(ConfigError, match="backtest options: rule: unknown rule"):
        roboadvisor.backtest({"VTI": 1.0}, table, rule="fortnightly")
    with pytest.raises(ConfigError, match=r"costs\.bps"):
        roboadvisor.backtest({"VTI": 1.0}, table, costs=-5)


# --- typed specs and strings give the same run ---------------------------------------------------
def _synthetic(days: int = 700, seed: int = 3) -> pd.DataFrame:
    index = pd.bdate_range("2019-01-01", periods=days, name="Date")
    steps = np.random.default_rng(seed).normal(0.0002, 0.01, (days, 3))
    return pd.DataFrame(100 * np.exp(steps.cumsum(axis=0)), index=index,
                        columns=["VTI", "AGG", "GLD"])


def test_typed_specs_and_their_text_give_the_same_backtest() -> None:
    table, mix = _synthetic(), {"VTI": 0.5, "AGG": 0.3, "GLD": 0.2}
    text = roboadvisor.backtest(mix, table, rule="bands:5/25", costs=10, cash_flows=50_000)
    typed = roboadvisor.backtest(
        mix, table, rule=roboadvisor.RebalanceRule.threshold(roboadvisor.Bands(0.05, 0.25)),
        costs=roboadvisor.CostModel(bps=10), cash_flows=roboadvisor.CashFlowPlan(50_000))
    pd.testing.assert_series_equal(text.equity, typed.equity)
    assert text.metrics["rebalances"] == typed.metrics["rebalances"] > 0


def test_daily_weights_hold_the_portfolio_value() -> None:
    table = _synthetic()
    result = roboadvisor.backtest({"VTI": 0.5, "AGG": 0.3, "GLD": 0.2}, table,
                                  rule="quarterly", costs=5,
                                  cash_flows=roboadvisor.CashFlowPlan(
                                      10_000, 500, roboadvisor.Frequency.MONTHLY))
    w = result.weights
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(w.iloc[-1].to_numpy(), result.run.result.final_weights,
                               atol=1e-12)
    # each asset's value moves with its own price between trades
    held = w.mul(result.equity, axis=0)
    quiet = ~w.index.isin(pd.to_datetime(result.trades["date"]))
    growth = (held / held.shift()).loc[quiet].iloc[1:]
    moves = (table / table.shift()).reindex(growth.index)
    np.testing.assert_allclose(growth.to_numpy(), moves.to_numpy(), rtol=1e-10)


def test_compare_puts_runs_side_by_side() -> None:
    table, mix = _synthetic(), {"VTI": 0.6, "AGG": 0.4}
    a = roboadvisor.backtest(mix, table, rule="monthly", name="monthly")
    b = roboadvisor.backtest(mix, table, rule="never", name="held")
    frame = a.compare(b)
    assert list(frame.columns) == ["monthly", "held"]
    assert frame.loc["rebalances", "held"] == 0
    assert frame.loc["final_value", "monthly"] == a.equity.iloc[-1]


# --- the README's CLI tour against the same API calls -------------------------------------------
def test_assess_equals_the_cli() -> None:
    path = EXAMPLES / "contradictory.yaml"
    record = cli_json("assess", "--answers", str(path))
    answers = yaml.safe_load(path.read_text())["answers"]
    profile = roboadvisor.assess(answers)
    assert record["tier"] == int(profile.tier)
    assert record["answers_sha256"] == profile.answers_sha256
    p = profile.profile
    assert (record["tolerance_score"], record["capacity_score"], record["combined_score"]) == (
        p.tolerance_score, p.capacity_score, p.combined_score)
    assert len(record["flags"]) == len(p.flags) > 0


@pytest.mark.parametrize("tier", [2, 4])
def test_allocate_equals_the_cli(tier: int) -> None:
    record = cli_json("allocate", "--tier", str(tier))
    portfolio = roboadvisor.allocate(tier)
    held = portfolio.weights[portfolio.weights > 1e-4]
    assert record["weights"] == held.to_dict()
    assert record["expected_return"] == portfolio.expected_return
    assert record["volatility"] == portfolio.volatility
    assert [b["name"] for b in record["explanation"]["binding_constraints"]] == [
        b.name for b in portfolio.binding]
    assert record["explanation"]["summary"] == portfolio.explain()


def test_frontier_equals_the_cli() -> None:
    record = cli_json("frontier", "--points", "6")
    front = roboadvisor.frontier(points=6)
    assert [p["volatility"] for p in record["frontier"]] == front.points["volatility"].tolist()
    assert {int(t): v["expected_return"] for t, v in record["tiers"].items()} == \
        front.tiers["expected_return"].to_dict()


def test_project_equals_the_cli() -> None:
    record = cli_json("project", "--tier", "4", "--amount", "100000", "--monthly", "1000",
                      "--years", "20", "--goal", "900000", "--paths", "1000")
    fan = roboadvisor.project(4, amount=100_000, monthly=1000, years=20, goal=900_000,
                              paths=1000)
    text = json.dumps(record)
    assert str(fan.goal_probability) in text and str(fan.saving_needed) in text
    assert str(float(fan.percentiles.loc[20, 50])) in text


def test_backtest_run_equals_the_cli_on_the_same_prices(tmp_path: Path) -> None:
    table = _synthetic(900)
    csv = tmp_path / "prices.csv"
    table.to_csv(csv, float_format="%.10g")
    config = tmp_path / "mix.yaml"
    config.write_text("name: mix\nweights: {VTI: 0.5, AGG: 0.3, GLD: 0.2}\nrule: quarterly\n"
                      "costs: {bps: 5}\nbenchmark: none\nrisk_free: 0.02\n")
    record = cli_json("backtest", "run", str(config), "--prices", str(csv))
    prices = pd.read_csv(csv)   # what a notebook does with the same file
    from_file = roboadvisor.backtest(config, prices)
    from_args = roboadvisor.backtest({"VTI": 0.5, "AGG": 0.3, "GLD": 0.2}, prices,
                                     rule="quarterly", costs=5, benchmark="none",
                                     risk_free=0.02, name="mix")
    for result in (from_file, from_args):
        assert dict(result.metrics)["final_value"] == record["summary"]["final_value"]
        assert json.loads(json.dumps(dict(result.metrics))) == record["summary"]
        assert result.run.result.rebalance_count == len(record["rebalance_dates"])


def test_an_allocation_backtests_as_its_holdings() -> None:
    table = _synthetic(300)
    portfolio = roboadvisor.allocate(2)
    prices = pd.DataFrame({t: table.iloc[:, i % 3].to_numpy()
                           for i, t in enumerate(portfolio.holdings.index)}, index=table.index)
    direct = roboadvisor.backtest(portfolio, prices)
    by_weights = roboadvisor.backtest(portfolio.holdings.to_dict(), prices)
    pd.testing.assert_series_equal(direct.equity, by_weights.equity, check_names=False)
    assert direct.name == "tier 2 allocation"


# --- the README's "Python API" section, run as written, against the CLI ------------------------
def _readme_python_api_code() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def _same(a: object, b: object) -> bool:
    """Equal, NaN equal to NaN (JSON-shaped values)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return a == b


@pytest.mark.realdata
def test_readme_python_api_gives_the_cli_figures(real_prices_csv: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    code = _readme_python_api_code().replace("../shared/data/", f"{real_prices_csv.parent}/")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert (tmp_path / "tier3_equity.png").stat().st_size > 10_000
    monkeypatch.chdir(ROOT)
    profile, portfolio, result = (namespace[k] for k in ("profile", "portfolio", "result"))

    # assess: the README's answers are the shipped tier-3 example's
    example = EXAMPLES / "tier3_balanced.yaml"
    assert namespace["answers"] == yaml.safe_load(example.read_text())["answers"]
    assessed = cli_json("assess", "--answers", str(example))
    assert (assessed["tier"], assessed["combined_score"], assessed["answers_sha256"]) == (
        int(profile.tier), profile.profile.combined_score, profile.answers_sha256)

    # allocate tier 3 on the same prices
    allocated = cli_json("allocate", "--tier", "3", "--source", "history", "--prices",
                         str(real_prices_csv))
    assert allocated["estimates"]["source"] == "history"
    assert allocated["weights"] == portfolio.weights[portfolio.weights > 1e-4].to_dict()
    assert (allocated["expected_return"], allocated["volatility"]) == (
        portfolio.expected_return, portfolio.volatility)

    # backtest: a configuration file holding the CLI's weights, run by `backtest run`
    held = pd.Series(allocated["weights"])
    config = tmp_path / "tier3_history.yaml"
    config.write_text(yaml.safe_dump({
        "name": "tier 3 from history", "weights": (held / held.sum()).to_dict(),
        "rule": "quarterly", "costs": {"bps": 5}, "start": "2015-01-01", "benchmark": "AOM",
        "risk_free": 0.02}, sort_keys=False))
    ran = cli_json("backtest", "run", str(config), "--prices", str(real_prices_csv))
    assert _same(json.loads(json.dumps(dict(result.metrics))), ran["summary"])
    assert ran["summary"]["benchmark"]["name"] == "AOM"
    assert result.equity.iloc[-1] == ran["summary"]["final_value"]
    assert ran["rebalance_dates"] == sorted(
        {d for d, e in zip(result.trades["date"], result.trades["event"], strict=True)
         if e == "rebalance"})


def _universe_prices(days: int = 800, seed: int = 5) -> pd.DataFrame:
    """Calm synthetic prices for every ETF of the shipped universe (one common factor)."""
    tickers = list(roboadvisor.allocate(3).weights.index)
    rng = np.random.default_rng(seed)
    common = rng.normal(0.0002, 0.003, (days, 1))
    steps = common * rng.uniform(0.2, 1.5, len(tickers)) + rng.normal(0, 0.002,
                                                                      (days, len(tickers)))
    index = pd.bdate_range("2021-01-01", periods=days, name="Date")
    return pd.DataFrame(100 * np.exp(steps.cumsum(axis=0)), index=index, columns=tickers)


def test_estimates_given_to_allocate_are_the_ones_prices_give() -> None:
    table = _universe_prices()
    est = roboadvisor.estimates(table)
    from_prices = roboadvisor.allocate(3, prices=table)
    from_estimates = roboadvisor.allocate(3, estimates=est)
    pd.testing.assert_series_equal(from_prices.weights, from_estimates.weights)
    assert from_estimates.record()["estimates"]["source"] == "given"
    sample = roboadvisor.estimates(table, covariance="sample")
    assert not np.allclose(sample.covariance, est.covariance)
    with pytest.raises(RoboAdvisorError, match="covariance"):
        roboadvisor.estimates(table, covariance="robust")


def test_estimates_without_an_asset_of_the_universe_are_refused() -> None:
    table = _universe_prices()
    est = roboadvisor.estimates(table)
    two = roboadvisor.Estimates(est.tickers[:2], est.expected_returns[:2],
                                est.covariance[:2, :2], est.risk_free_rate, "two")
    with pytest.raises(RoboAdvisorError, match=est.tickers[2]):
        roboadvisor.allocate(3, estimates=two)


@pytest.mark.realdata
def test_a_projection_on_a_table_equals_one_on_its_file(real_prices_csv: Path) -> None:
    table = pd.read_csv(real_prices_csv)
    on_table = roboadvisor.project(3, amount=100_000, years=10, model="bootstrap",
                                   prices=table, paths=500)
    on_file = roboadvisor.project(3, amount=100_000, years=10, model="bootstrap",
                                  prices=real_prices_csv, paths=500)
    pd.testing.assert_frame_equal(on_table.percentiles, on_file.percentiles)
    assert on_table.result.history_window == on_file.result.history_window
