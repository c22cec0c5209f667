"""Price files (CSV/parquet): every validation rule as the user meets it, and the real file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from roboadvisor.data.price_files import PriceFileSource, read_price_file
from roboadvisor.data.universe_file import load_universe
from roboadvisor.domain.alignment import coverage
from roboadvisor.domain.price_checks import Rule
from roboadvisor.errors import DataQualityError
from roboadvisor.services.market import load_price_data, load_prices
from tests.conftest import RESOURCES

PRICES = RESOURCES / "prices"
SMALL = PRICES / "three_etfs.csv"


def write(tmp_path: Path, text: str, name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_valid_file_reads_as_a_float_table_with_nan_before_first_dates() -> None:
    file = read_price_file(SMALL)
    prices = file.prices
    assert list(prices.columns) == ["AAA", "BBB", "CCC"]
    assert prices.index.name == "Date" and prices.index.is_monotonic_increasing
    assert (prices.dtypes == np.float64).all()
    assert prices["BBB"].first_valid_index() == pd.Timestamp("2021-01-18")
    assert prices["BBB"].iloc[:10].isna().all() and prices["AAA"].notna().all()
    assert prices.loc["2021-01-04", "AAA"] == 40.0004  # the file's own text
    assert file.report.ok and not file.report.warnings


@pytest.mark.parametrize("layout", ["date_column", "date_index"])
def test_parquet_files_read_like_csv(tmp_path: Path, layout: str) -> None:
    frame = pd.read_csv(SMALL, index_col="Date", parse_dates=True)
    path = tmp_path / "p.parquet"
    (frame.reset_index() if layout == "date_column" else frame).to_parquet(path)
    pd.testing.assert_frame_equal(read_price_file(path).prices, read_price_file(SMALL).prices)


@pytest.mark.parametrize("text, where, what", [
    ("Date,AAA\n2021-01-04,1\n2021-01-05,1\n04/01/2021,1\n", "line 4", "'04/01/2021'"),
    ("Date,AAA\n2021-01-04,1\n2021-01-05,1\n2021-01-05,1\n", "line 4", "2021-01-05 appears twice"),
    ("Date,AAA\n2021-01-04,1\n2021-01-06,1\n2021-01-05,1\n", "line 4",
     "2021-01-05 comes after 2021-01-06"),
    ("Date,AAA,BBB\n2021-01-04,1,2\n2021-01-05,1,0\n", "line 3",
     "ticker BBB: price 0 on 2021-01-05 is not positive"),
    ("Date,AAA,BBB\n2021-01-04,1,2\n2021-01-05,1,-3\n", "line 3", "price -3"),
    ("Date,AAA,BBB\n2021-01-04,1,2\n2021-01-05,x1,2\n", "line 3", "ticker AAA: 'x1' is not a"),
    ("Date,AAA\n2021-01-04,1\n2021-01-05,inf\n", "line 3",
     "ticker AAA: price inf on 2021-01-05 is not a finite number"),
    ("Date,AAA,BBB\n2021-01-04,1,-inf\n2021-01-05,1,2\n", "line 2",
     "ticker BBB: price -inf on 2021-01-04 is not a finite number"),
    ("Date,AAA\n2021-01-04,1\n2021-01-05,1e999\n", "line 3", "ticker AAA: price inf"),
])
def test_structural_problems_are_errors_naming_file_line_and_value(
        tmp_path: Path, text: str, where: str, what: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DataQualityError) as info:
        read_price_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {where}: ") and what in message
    assert "\n" not in message


def test_the_unsorted_fixture_is_refused() -> None:
    with pytest.raises(DataQualityError, match=r"unsorted.csv: line 6: .*2021-01-07 comes "
                                               r"after 2021-01-08; sort the file by date"):
        read_price_file(PRICES / "unsorted.csv")


def test_many_errors_are_summarised_on_one_line(tmp_path: Path) -> None:
    rows = "".join(f"2021-01-{d:02d},-1,0\n" for d in range(4, 10))
    text = "Date,AAA,BBB\n2021-13-01,1,1\n2021-14-01,1,1\n" + rows
    with pytest.raises(DataQualityError, match=r"line 3: .*; .*line 4: .* \(and 1 more "
                                               r"problem\(s\)\)$"):
        read_price_file(write(tmp_path, text))


@pytest.mark.parametrize("content, message", [
    ("AAA,BBB\n1,2\n", "no 'Date' column"),
    ("Date,AAA,AAA\n2021-01-04,1,2\n", "column AAA appears twice"),
    ("", "file is empty"),
    ("Date\n2021-01-04\n", "no ticker columns"),
])
def test_bad_headers_and_empty_files(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(DataQualityError, match=message):
        read_price_file(write(tmp_path, content))


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(DataQualityError, match="price file not found"):
        read_price_file(tmp_path / "nope.csv")
    path = tmp_path / "p.csv"
    path.write_bytes(b"Date,AAA\n2021-01-04,\xff\xfe\n")
    with pytest.raises(DataQualityError, match="not UTF-8"):
        read_price_file(path)
    with pytest.raises(DataQualityError, match="not a readable parquet"):
        read_price_file(write(tmp_path, "not parquet", "p.parquet"))


def test_gaps_and_spikes_are_warnings_and_the_data_is_kept(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    index = pd.bdate_range("2021-01-04", periods=150, name="Date")
    frame = pd.DataFrame(50 * np.exp(np.cumsum(rng.normal(0, 0.01, (150, 3)), axis=0)),
                         index=index, columns=["AAA", "BBB", "CCC"])
    frame.loc["2021-02-01", "AAA"] = np.nan                      # a hole after the first date
    frame = frame.drop(pd.bdate_range("2021-02-15", "2021-02-26"))  # a 17-day calendar gap
    frame.loc["2021-04-14", "CCC"] *= 1.10                      # a spike that reverses
    path = tmp_path / "p.csv"
    frame.to_csv(path)
    file = read_price_file(path)
    found = {(i.rule, i.ticker, str(i.date)) for i in file.report.warnings}
    assert found == {(Rule.MISSING_VALUES, "AAA", "2021-02-01"),
                     (Rule.CALENDAR_GAP, None, "2021-03-01"),
                     (Rule.SPIKE, "CCC", "2021-04-14")}
    assert np.isnan(file.prices.loc["2021-02-01", "AAA"])          # reported, not fixed
    assert file.prices.loc["2021-04-14", "CCC"] == pytest.approx(frame.loc["2021-04-14", "CCC"])
    messages = file.warning_messages(["AAA"])
    assert all(m.startswith("p.csv: ") for m in messages)
    assert not any("CCC" in m for m in messages)  # only the tickers asked about, and the calendar


def test_load_prices_from_a_file_selects_orders_and_windows() -> None:
    frame = load_prices(["CCC", "BBB"], prices_file=SMALL, start=date(2021, 1, 11),
                        end=date(2021, 1, 29))
    assert list(frame.columns) == ["CCC", "BBB"]
    assert frame.index[0] == pd.Timestamp("2021-01-11")
    assert frame.index[-1] == pd.Timestamp("2021-01-29")
    assert frame["BBB"].isna().sum() == 5  # not aligned: NaN before BBB's first date


def test_a_requested_ticker_missing_from_the_file_is_an_error_or_dropped() -> None:
    with pytest.raises(DataQualityError, match=r"three_etfs.csv: no prices for ZZZ, YYY \(not "
                                               r"in three_etfs.csv\); .*allow_missing"):
        load_prices(["AAA", "ZZZ", "YYY"], prices_file=SMALL)
    data = load_price_data(["AAA", "ZZZ"], prices_file=SMALL, allow_missing=True)
    assert list(data.prices.columns) == ["AAA"] and data.dropped == ("ZZZ",)
    assert any("dropped ZZZ" in w for w in data.warnings)


def test_the_file_source_is_a_price_source() -> None:
    result = PriceFileSource(SMALL).fetch(["AAA", "NOPE"])
    assert list(result.prices.columns) == ["AAA"] and result.failed == ("NOPE",)


# First dates of the default universe's tickers as listed in ../shared/data/SOURCES.md.
SOURCES_FIRST_DATES = {
    "VTI": "2001-06-15", "VEA": "2007-07-26", "VWO": "2005-03-10", "MCHI": "2011-03-31",
    "VNQ": "2004-09-29", "VNQI": "2010-11-01", "AGG": "2003-09-29", "SHY": "2002-07-30",
    "TLT": "2002-07-30", "TIP": "2003-12-05", "LQD": "2002-07-30", "HYG": "2007-04-11",
    "BNDX": "2013-06-04", "EMB": "2007-12-19", "GLD": "2004-11-18", "DBC": "2006-02-06",
    "BIL": "2007-05-30",
}


@pytest.mark.realdata
def test_the_real_file_covers_the_default_universe(real_prices_csv: Path) -> None:
    file = read_price_file(real_prices_csv)
    assert file.prices.shape == (8433, 52) and file.report.ok
    spikes = {(i.ticker, str(i.date)) for i in file.report.warnings}
    assert ("GOVT", "2024-12-31") in spikes
    assert all(i.rule is Rule.SPIKE for i in file.report.warnings)  # no gaps, nothing else
    universe = load_universe()
    assert set(SOURCES_FIRST_DATES) == set(universe.tickers)
    cov = coverage(file.prices[list(universe.tickers)])
    assert {t: str(c.first) for t, c in cov.items()} == SOURCES_FIRST_DATES
    assert {str(c.last) for c in cov.values()} == {"2026-07-31"}
    data = load_price_data(list(universe.tickers), prices_file=real_prices_csv)
    assert data.warnings == ()  # GOVT and AOK are not in the default universe
    assert list(data.prices.columns) == list(universe.tickers)


def test_infinite_prices_are_refused_for_prices_given_to_any_command(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,AAA,BBB\n2021-01-04,1,2\n2021-01-05,2,inf\n2021-01-06,3,2\n")
    with pytest.raises(DataQualityError, match=r"p.csv: line 3: ticker BBB: price inf"):
        load_prices(["AAA"], prices_file=path)


def test_a_file_without_any_price_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,AAA\n2021-01-04,\n2021-01-05,\n")
    with pytest.raises(DataQualityError, match=rf"^no prices in {path}: every ticker column is "
                                               "empty"):
        read_price_file(path)


def test_an_empty_column_is_named_in_a_warning_and_as_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,AAA,BBB\n2021-01-04,1,\n2021-01-05,2,\n")
    file = read_price_file(path)
    assert file.warning_messages() == (
        "p.csv: ticker BBB has no prices (its column is empty); it is ignored",)
    with pytest.raises(DataQualityError, match=r"no prices for BBB \(its column in p.csv is "
                                               r"empty\)"):
        load_prices(["AAA", "BBB"], prices_file=path)
    data = load_price_data(["AAA", "BBB"], prices_file=path, allow_missing=True)
    assert data.dropped == ("BBB",) and list(data.prices.columns) == ["AAA"]


def test_a_directory_is_not_a_price_file(tmp_path: Path) -> None:
    with pytest.raises(DataQualityError, match=rf"^{tmp_path} is a directory, not a price "
                                               "file"):
        read_price_file(tmp_path)


def test_a_price_file_read_twice_is_parsed_once_and_never_shared(tmp_path: Path) -> None:
    """The memo returns independent copies, and a rewritten file is read again."""
    path = tmp_path / "p.csv"
    path.write_text("Date,AAA\n2021-01-04,10\n2021-01-05,11\n", encoding="utf-8")
    first = read_price_file(path)
    first.prices.iloc[0, 0] = -1.0  # a caller scribbling on its copy
    second = read_price_file(path)
    assert second.prices.iloc[0, 0] == 10.0
    path.write_text("Date,AAA\n2021-01-04,20\n2021-01-05,22\n2021-01-06,23\n", encoding="utf-8")
    third = read_price_file(path)
    assert list(third.prices["AAA"]) == [20.0, 22.0, 23.0]
