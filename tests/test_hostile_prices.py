"""Hostile price and yield files (issue 8): each class is refused naming what to change, or
kept with one warning, wherever prices enter (``read_price_file`` serves ``data import`` and
every ``--prices``)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from roboadvisor.data.backtest_config import load_risk_free_file
from roboadvisor.data.price_files import PriceFileSource, read_price_file
from roboadvisor.domain.price_checks import Rule
from roboadvisor.errors import ConfigError, DataQualityError, shown
from roboadvisor.services.market import normalise_tickers


def daily(n: int = 400, seed: int = 1, start: str = "2015-01-01") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(start, periods=n, name="Date")
    return pd.DataFrame({"VTI": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))}, index=index)


def save(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, float_format="%.6f")
    return path


def refused(path: Path, *fragments: str) -> str:
    with pytest.raises(DataQualityError) as info:
        read_price_file(path)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message
    assert "\n" not in message
    return message


@pytest.mark.parametrize("rule, fragment", [("ME", "monthly"), ("W-FRI", "weekly")])
def test_non_daily_prices_are_refused_saying_what_was_found(tmp_path: Path, rule: str,
                                                             fragment: str) -> None:
    prices = daily(3000).resample(rule).last()
    refused(save(prices, tmp_path / "p.csv"), fragment, "give daily prices")
    # the same file through a --prices source
    with pytest.raises(DataQualityError, match=fragment):
        PriceFileSource(tmp_path / "p.csv").fetch(["VTI"])


def test_weekend_rows_repeating_friday_are_dropped_with_one_warning(tmp_path: Path) -> None:
    prices = daily(300)
    calendar = prices.asfreq("D").ffill()
    weekend_rows = int((calendar.index.day_of_week >= 5).sum())
    file = read_price_file(save(calendar, tmp_path / "p.csv"))
    assert len(file.prices) == len(prices)
    np.testing.assert_allclose(file.prices["VTI"].to_numpy(), prices["VTI"].to_numpy(),
                               rtol=1e-6)
    repeats = [w for w in file.report.warnings if w.rule is Rule.WEEKEND_REPEAT]
    assert len(repeats) == 1 and f"{weekend_rows} row(s)" in repeats[0].message


def three_tickers(n: int = 300) -> pd.DataFrame:
    return pd.concat([daily(n, seed=s)["VTI"].rename(t) for s, t in
                      [(1, "VTI"), (2, "BND"), (3, "GLD")]], axis=1)


def test_weekday_holidays_repeating_every_price_are_dropped_with_one_warning(
        tmp_path: Path) -> None:
    prices = three_tickers()
    # a calendar of every weekday (holidays forward-filled), weekends too
    holidays = prices.index[[20, 75, 140]]
    filled = prices.drop(holidays).reindex(prices.index).ffill()
    calendar = filled.asfreq("D").ffill()
    weekend_rows = int((calendar.index.day_of_week >= 5).sum())
    file = read_price_file(save(calendar, tmp_path / "p.csv"))
    assert list(file.prices.index) == list(prices.drop(holidays).index)
    [warning] = [w for w in file.report.warnings
                 if w.rule in (Rule.HOLIDAY_REPEAT, Rule.WEEKEND_REPEAT)]
    assert warning.rule is Rule.HOLIDAY_REPEAT
    assert f"{weekend_rows + 3} row(s)" in warning.message
    assert f"{weekend_rows} on Saturdays" in warning.message and "3 on weekdays" in warning.message


def test_a_quiet_weekday_of_one_or_two_tickers_is_kept(tmp_path: Path) -> None:
    for columns in (["VTI"], ["VTI", "BND"]):
        prices = three_tickers()[columns]
        prices.iloc[50] = prices.iloc[49]  # nothing moved that day: a genuine quiet day
        file = read_price_file(save(prices, tmp_path / "q.csv"))
        assert len(file.prices) == len(prices)
        assert file.report.warnings == [] or all(
            w.rule not in (Rule.HOLIDAY_REPEAT, Rule.WEEKEND_REPEAT) for w in file.report.warnings)


@pytest.mark.realdata
def test_the_real_daily_file_loses_no_trading_day(real_prices_csv: Path) -> None:
    raw = pd.read_csv(real_prices_csv, index_col=0)
    file = read_price_file(real_prices_csv)
    assert len(file.prices) == len(raw)
    assert not [w for w in file.report.warnings
                if w.rule in (Rule.HOLIDAY_REPEAT, Rule.WEEKEND_REPEAT)]


def test_a_fall_of_90_percent_that_stays_is_refused_unless_accepted(tmp_path: Path) -> None:
    prices = daily(300)
    prices.iloc[200:] /= 20  # an unadjusted 20-for-1 split
    day = prices.index[200].date()
    path = save(prices, tmp_path / "p.csv")
    refused(path, "ticker VTI", str(day), "adjusted closes", "accept_falls")
    kept = read_price_file(path, accept_falls=True)
    assert [w.date for w in kept.report.warnings if w.rule is Rule.LARGE_FALL_ACCEPTED] == [day]
    # a fall of 89% is a market move, not refused
    mild = daily(300)
    mild.iloc[200:] *= 0.11
    assert read_price_file(save(mild, tmp_path / "m.csv")).report.ok


@pytest.mark.parametrize("bad", ["2020/01/02", "20200102", "2020-01", "02-01-2020",
                                 "2020-01-02 13:30"])
def test_only_iso_dates_are_taken(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text(f"Date,VTI\n2019-12-31,1\n{bad},1\n")
    refused(path, "line 3", repr(bad), "YYYY-MM-DD")


def test_midnight_times_are_taken_and_future_dates_refused(tmp_path: Path) -> None:
    ok = tmp_path / "ok.csv"
    ok.write_text("Date,VTI\n2020-01-02 00:00:00,1\n2020-01-03T00:00,1\n")
    assert len(read_price_file(ok).prices) == 2
    later = date.today() + timedelta(days=3)
    path = tmp_path / "p.csv"
    path.write_text(f"Date,VTI\n2020-01-02,1\n{later},1\n")
    refused(path, "line 3", str(later), "after today")


@pytest.mark.parametrize("name", ["../../X", "SH Y", "a/b", ".hidden", "X" * 16])
def test_column_names_that_are_not_tickers_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text(f"Date,{name}\n2020-01-02,1\n2020-01-03,1\n")
    refused(path, "is not a ticker symbol")
    with pytest.raises(ConfigError, match="is not a ticker symbol"):
        normalise_tickers([name])


def test_tickers_are_trimmed_and_upper_cased_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Date, vti ,BRK-B\n2020-01-02,1,2\n2020-01-03,1,2\n")
    file = read_price_file(path)
    assert list(file.prices.columns) == ["VTI", "BRK-B"]
    renamed = [w for w in file.report.warnings if w.rule is Rule.TICKER_RENAMED]
    assert len(renamed) == 1 and "' vti '" in renamed[0].message


@pytest.mark.parametrize("text, fragments", [
    ("Date;VTI\n2020-01-02;150,5\n", ["semicolons", "decimal commas"]),
    ("Date;VTI\n2020-01-02;150.5\n", ["semicolons"]),
    ("Date\tVTI\n2020-01-02\t150.5\n", ["tabs"]),
])
def test_other_separators_are_named(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = tmp_path / "p.csv"
    path.write_text(text)
    message = refused(path, *fragments, "comma-separated")
    assert "no 'Date' column" not in message


def test_a_huge_bad_value_is_echoed_capped(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Date,VTI\n2020-01-02,1\n" + "9" * 100_000 + "x,1\n")
    assert len(refused(path, "line 3")) < 300
    assert len(shown("y" * 10_000)) <= 40


@pytest.mark.parametrize("cell, fragment", [
    ("-40", "-40.00% a year"), ("45", "45.00% a year"), ("abc", "'abc' in column"),
])
def test_risk_free_files_refuse_implausible_yields_and_text(tmp_path: Path, cell: str,
                                                            fragment: str) -> None:
    path = tmp_path / "y.csv"
    path.write_text(f"Date,IRX_pct\n2020-01-02,1.5\n2020-01-03,1.6\n2020-01-06,{cell}\n"
                    "2020-01-07,1.4\n")
    with pytest.raises(ConfigError, match="line 4") as info:
        load_risk_free_file(path)
    assert fragment in str(info.value)


def test_risk_free_files_take_empty_cells_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    path.write_text("Date,IRX_pct\n2020-01-02,1.5\n2020-01-03,\n2020-01-06,.\n")
    dates, rates = load_risk_free_file(path)
    assert len(dates) == 1 and rates[0] == pytest.approx(0.015)
