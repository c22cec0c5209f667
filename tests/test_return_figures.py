"""Honest return figures: the daily risk-free convention against quantstats, the
money-weighted return (IRR) against hand-solved cases, and the labelled figures from the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.domain.metrics import (
    daily_risk_free,
    money_weighted_return,
    sharpe_ratio,
    sortino_ratio,
)

RESOURCES = Path(__file__).parent / "resources" / "backtest"


def _returns(seed: int = 7, n: int = 756) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(0.0004, 0.009, n), index=pd.bdate_range("2020-01-02", periods=n))


@pytest.mark.parametrize("rf", [0.0, 0.02, 0.05])
def test_sharpe_and_sortino_match_quantstats_with_its_daily_conversion(rf: float) -> None:
    qs = pytest.importorskip("quantstats")
    r = _returns()
    daily = daily_risk_free(rf)
    assert daily == pytest.approx((1 + rf) ** (1 / 252) - 1, rel=1e-15)
    assert sharpe_ratio(r.to_numpy(), daily) == pytest.approx(
        float(qs.stats.sharpe(r, rf=rf, periods=252)), rel=1e-9)
    assert sortino_ratio(r.to_numpy(), daily) == pytest.approx(
        float(qs.stats.sortino(r, rf=rf, periods=252)), rel=1e-9)


def test_the_old_rf_over_252_convention_differs_by_about_half_a_percent() -> None:
    r = _returns().to_numpy()
    new, old = sharpe_ratio(r, daily_risk_free(0.04)), sharpe_ratio(r, 0.04 / 252)
    assert 0.001 < abs(new / old - 1) < 0.05


def test_a_series_of_annual_rates_converts_day_by_day() -> None:
    rates = np.array([0.0, 0.01, 0.05])
    np.testing.assert_allclose(daily_risk_free(rates), (1 + rates) ** (1 / 252) - 1, rtol=1e-15)


def test_irr_of_a_single_investment_is_its_annual_growth() -> None:
    dates = np.array(["2020-01-01", "2020-07-01", "2022-01-01"], dtype="datetime64[D]")
    irr = money_weighted_return(dates, np.zeros(3), 100.0, 121.0)
    days = (dates[-1] - dates[0]).astype(int)
    assert irr == pytest.approx(1.21 ** (365 / days) - 1, rel=1e-10)


def test_irr_with_a_contribution_solves_the_quadratic() -> None:
    # 100 at t=0, 100 more after 365 days, 220 back after 730 days:
    # 100 x^2 + 100 x = 220 with x = 1 + r  ->  x = (-1 + sqrt(1 + 8.8)) / 2.
    start = np.datetime64("2021-01-01")
    dates = start + np.arange(731)
    flows = np.zeros(731)
    flows[365] = 100.0
    irr = money_weighted_return(dates, flows, 100.0, 220.0)
    assert irr == pytest.approx((-1 + np.sqrt(9.8)) / 2 - 1, rel=1e-10)


def test_irr_with_a_withdrawal_and_nothing_left() -> None:
    # 100 in, 60 out after a year, 50 at the end of year two: 100 = 60/x + 50/x^2.
    dates = np.datetime64("2021-01-01") + np.arange(731)
    flows = np.zeros(731)
    flows[365] = -60.0
    x = (60 + np.sqrt(60 ** 2 + 4 * 100 * 50)) / 200
    assert money_weighted_return(dates, flows, 100.0, 50.0) == pytest.approx(x - 1, rel=1e-10)


def test_a_backtest_with_contributions_labels_both_returns(tmp_path: Path) -> None:
    config = RESOURCES / "weights_monthly.yaml"                  # 10,000 + 100 a month
    runner = CliRunner()
    shown = runner.invoke(app, ["backtest", "run", str(config), "--csv", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    for label in ("Return, time-weighted", "Return, money-weighted (IRR/yr)", "Gain in money",
                  "Contributed", "(1 + rf)^(1/252) - 1"):
        assert label in text, label
    record = json.loads(runner.invoke(app, ["backtest", "run", str(config), "--json"]).stdout)
    s = record["summary"]
    assert record["total_return_kind"] == "time_weighted"
    assert s["contributions"] > 0
    assert s["gain"] == pytest.approx(s["final_value"] - s["initial"] - s["contributions"]
                                      + s["withdrawals"], rel=1e-12)
    # At the reported IRR the investor's flows (from the equity file) are worth zero today.
    equity = pd.read_csv(tmp_path / "equity.csv", index_col=0, parse_dates=True)
    years = (equity.index - equity.index[0]).days.to_numpy() / 365.0
    cash = -equity["flow"].to_numpy(dtype=float)
    cash[0] = -s["initial"]
    cash[-1] += s["final_value"]
    npv = np.sum(cash / (1 + s["money_weighted_return"]) ** years)
    assert abs(npv) < 1e-6 * s["initial"]
