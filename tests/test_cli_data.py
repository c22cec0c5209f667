"""`roboadvisor data ...` through the CLI, with yfinance replaced by a fake (no network)."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.data import yahoo
from roboadvisor.data.cache import PriceCache
from roboadvisor.data.universe_file import load_universe
from tests.conftest import RESOURCES
from tests.test_yahoo import FakeDownload, truth

runner = CliRunner()
SMALL = RESOURCES / "prices" / "three_etfs.csv"


def cache_root() -> Path:
    return Path(os.environ["ROBOADVISOR_CACHE_DIR"])


def cached_files() -> list[str]:
    prices = cache_root() / "prices"
    return sorted(p.name for p in prices.iterdir()) if prices.is_dir() else []


@pytest.fixture
def fake_yahoo(monkeypatch: pytest.MonkeyPatch) -> FakeDownload:
    """yfinance.download replaced by a fake serving prices up to today; retries don't wait."""
    today = str(date.today())
    fake = FakeDownload(data=lambda t: truth(t, start="2024-01-02", end=today))
    monkeypatch.setattr(yahoo, "_default_download", lambda: fake)
    monkeypatch.setattr(yahoo, "_default_sleep", lambda seconds: None)
    return fake


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def test_fetch_downloads_then_status_shows_the_coverage(fake_yahoo: FakeDownload) -> None:
    result = invoke("data", "fetch", "--tickers", "VTI,VEA", "--start", "2024-01-02")
    assert result.exit_code == 0, result.output
    assert "VTI" in result.stdout and "downloaded" in result.stdout
    assert [t for t, _ in fake_yahoo.calls] == ["VTI", "VEA"]
    assert cached_files() == ["VEA.parquet", "VTI.parquet"]
    status = invoke("data", "status", "--json")
    assert status.exit_code == 0
    record = json.loads(status.stdout)
    rows = {r["ticker"]: r for r in record["tickers"]}
    assert set(rows) == {"VTI", "VEA"} and rows["VTI"]["source"] == "yahoo"
    assert rows["VTI"]["first"] == "2024-01-02" and rows["VTI"]["in_universe"] is True
    assert rows["VTI"]["rows"] == len(truth("VTI", "2024-01-02", str(date.today())))
    assert set(record["missing"]) == set(load_universe().tickers) - {"VTI", "VEA"}
    again = invoke("data", "fetch", "--tickers", "VTI", "--start", "2024-01-02", "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["tickers"][0]["status"] == "up to date"
    assert len(fake_yahoo.calls) == 2  # nothing downloaded again today
    older = invoke("data", "fetch", "--tickers", "VTI", "--start", "2023-06-01", "--json")
    assert json.loads(older.stdout)["tickers"][0]["status"] == "updated"
    _, kwargs = fake_yahoo.calls[-1]
    assert kwargs["start"] == "2023-06-01" and kwargs["end"] <= "2024-01-13"  # only the head


def test_fetch_offline_is_one_line_and_writes_nothing(fake_yahoo: FakeDownload) -> None:
    fake_yahoo.script = {"VTI": ["dns"], "VEA": ["dns"]}
    result = invoke("data", "fetch", "--tickers", "VTI", "--tickers", "VEA")
    assert result.exit_code == 1
    assert result.stderr == ("error: could not reach Yahoo Finance for VTI, VEA: no network? "
                             "Use --prices FILE or `roboadvisor data import FILE`\n")
    assert result.stdout == "" and cached_files() == []


def test_fetch_failure_keeps_what_was_cached(fake_yahoo: FakeDownload) -> None:
    assert invoke("data", "fetch", "--tickers", "VTI", "--end", "2024-06-28").exit_code == 0
    before = (cache_root() / "prices" / "VTI.parquet").read_bytes()
    fake_yahoo.script = {"VTI": ["rate"]}
    result = invoke("data", "fetch", "--tickers", "VTI")
    assert result.exit_code == 1 and "rate-limiting" in result.stderr
    assert (cache_root() / "prices" / "VTI.parquet").read_bytes() == before


def test_fetch_allow_missing_drops_a_bad_ticker_with_a_warning(fake_yahoo: FakeDownload) -> None:
    fake_yahoo.script = {"ZZZZ": ["empty"]}
    failed = invoke("data", "fetch", "--tickers", "VTI,ZZZZ")
    assert failed.exit_code == 1
    assert "no prices from Yahoo Finance for ZZZZ" in failed.stderr
    result = invoke("data", "fetch", "--tickers", "VTI,ZZZZ", "--allow-missing")
    assert result.exit_code == 0
    assert "warning: dropped ZZZZ" in result.stderr and "dropped" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--start", "2020-13-01"], "--start"),
    (["--tickers", "VTI", "--universe", "u.yaml"], "either --tickers or --universe"),
    (["--start", "2021-01-01", "--end", "2020-01-01", "--tickers", "VTI"], "after end"),
])
def test_fetch_bad_options_exit_2(fake_yahoo: FakeDownload, args: list[str],
                                  message: str) -> None:
    result = invoke("data", "fetch", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert fake_yahoo.calls == []


@pytest.mark.realdata
def test_import_the_real_file_then_status_covers_the_universe(real_prices_csv: Path) -> None:
    result = invoke("data", "import", str(real_prices_csv))
    assert result.exit_code == 0, result.output
    assert "52 tickers" in result.stdout
    assert "ticker GOVT: one-day spike on 2024-12-31" in result.stderr
    status = invoke("data", "status")
    assert status.exit_code == 0
    assert "17 of 17 universe tickers cached" in status.stdout
    assert "missing" not in status.stdout and "not cached" not in status.stderr
    record = json.loads(invoke("data", "status", "--json").stdout)
    assert record["missing"] == [] and len(record["tickers"]) == 52
    bndx = next(r for r in record["tickers"] if r["ticker"] == "BNDX")
    assert (bndx["first"], bndx["last"]) == ("2013-06-04", "2026-07-31")


def test_import_a_small_file_reports_universe_gaps_and_lists_with_all() -> None:
    result = invoke("data", "import", str(SMALL))
    assert result.exit_code == 0
    assert "universe tickers not in three_etfs.csv: VTI" in result.stderr
    status = invoke("data", "status")
    assert "0 of 17 universe tickers cached" in status.stdout
    assert "3 other cached ticker(s)" in status.stderr
    listed = invoke("data", "status", "--all")
    assert "AAA" in listed.stdout and "not in universe" in listed.stdout


def test_import_refuses_a_bad_file_and_writes_nothing() -> None:
    result = invoke("data", "import", str(RESOURCES / "prices" / "unsorted.csv"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "sort the file by date" in result.stderr
    assert cached_files() == []


def test_import_into_an_explicit_cache_dir(tmp_path: Path) -> None:
    result = invoke("data", "import", str(SMALL), "--cache-dir", str(tmp_path / "c"))
    assert result.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "c" / "prices").iterdir()) == [
        "AAA.parquet", "BBB.parquet", "CCC.parquet"]
    assert cached_files() == []  # the environment's cache untouched


def test_status_names_a_corrupt_file() -> None:
    invoke("data", "import", str(SMALL))
    (cache_root() / "prices" / "BBB.parquet").write_bytes(b"garbage")
    result = invoke("data", "status")
    assert result.exit_code == 0
    assert "BBB.parquet is unreadable" in result.stderr and "roboadvisor data clear" in \
        result.stderr


def test_clear_asks_first() -> None:
    invoke("data", "import", str(SMALL))
    declined = invoke("data", "clear", input="n\n")
    assert declined.exit_code == 1 and "nothing deleted" in declined.stderr
    assert len(cached_files()) == 3
    no_answer = invoke("data", "clear", input="")
    assert no_answer.exit_code == 1 and len(cached_files()) == 3
    accepted = invoke("data", "clear", input="y\n")
    assert accepted.exit_code == 0 and "Deleted 3 cached ticker(s)" in accepted.stdout
    assert cached_files() == []


def test_clear_yes_does_not_ask() -> None:
    invoke("data", "import", str(SMALL))
    result = invoke("data", "clear", "--yes")
    assert result.exit_code == 0 and "Deleted 3" in result.stdout and cached_files() == []


@pytest.mark.parametrize("command", ["fetch", "status", "import", "clear"])
def test_every_data_command_has_help_with_an_example(command: str) -> None:
    result = invoke("data", command, "--help")
    assert result.exit_code == 0 and "Example: roboadvisor data " + command in result.stdout


def test_fetch_offline_of_a_cached_ticker_says_no_network_not_delisted(
        fake_yahoo: FakeDownload) -> None:
    index = pd.bdate_range("2024-01-02", "2024-06-28")
    PriceCache(cache_root()).write("VTI", pd.Series(100.0, index=index), source="yahoo",
                                   updated=datetime(2024, 6, 29, tzinfo=UTC))
    before = (cache_root() / "prices" / "VTI.parquet").read_bytes()
    fake_yahoo.script = {"VTI": ["no_tz"]}
    result = invoke("data", "fetch", "--tickers", "VTI")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: could not reach Yahoo Finance for VTI: no network?")
    assert "delisted" not in result.stderr and "timezone" not in result.stderr
    assert (cache_root() / "prices" / "VTI.parquet").read_bytes() == before


@pytest.mark.parametrize("tickers", ["VTI;rm", "VTI,$(reboot)", "VTI AGG", "X" * 16])
def test_fetch_refuses_bad_ticker_symbols_before_any_download(
        fake_yahoo: FakeDownload, tickers: str) -> None:
    result = invoke("data", "fetch", "--tickers", tickers)
    assert result.exit_code == 2 and "is not a ticker symbol" in result.stderr
    assert result.stderr.count("\n") == 1 and fake_yahoo.calls == [] and cached_files() == []


@pytest.mark.parametrize("content, message", [
    ("Date,VTI\n2020-01-02,100\n2020-01-03,inf\n", "line 3: ticker VTI: price inf on "
                                                     "2020-01-03 is not a finite number"),
    ("Date,VTI\n2020-01-02,-inf\n", "line 2: ticker VTI: price -inf"),
    ("Date,VTI\n2020-01-02,\n2020-01-03,\n", "no prices in "),
])
def test_import_refuses_infinite_prices_and_files_without_prices(
        tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text(content)
    result = invoke("data", "import", str(path))
    assert result.exit_code == 2 and message in result.stderr and str(path) in result.stderr
    assert result.stdout == "" and cached_files() == []


def test_import_names_an_empty_column_in_its_warnings(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Date,VTI,AGG\n2020-01-02,,50\n2020-01-03,,51\n")
    result = invoke("data", "import", str(path))
    assert result.exit_code == 0 and cached_files() == ["AGG.parquet"]
    assert "warning: p.csv: ticker VTI has no prices (its column is empty)" in result.stderr
    missing = next(line for line in result.stderr.splitlines() if "universe tickers not in" in
                   line)
    assert "VTI" in missing.split("p.csv: ")[1] and "AGG" not in missing


def test_import_of_a_directory_says_it_is_a_directory(tmp_path: Path) -> None:
    result = invoke("data", "import", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path} is a directory, not a price file; give the "
                             "path of a CSV or parquet file\n")


@pytest.mark.parametrize("command", [["status"], ["import", str(SMALL)], ["clear", "--yes"]])
def test_a_cache_dir_that_is_a_file_is_refused(tmp_path: Path, command: list[str]) -> None:
    afile = tmp_path / "afile"
    afile.write_text("mine")
    result = invoke("data", *command, "--cache-dir", str(afile))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"the price cache directory {afile} is a file, not a directory" in result.stderr
    assert afile.read_text() == "mine"


def test_import_writes_files_with_the_umask_mode() -> None:
    old = os.umask(0o022)
    try:
        assert invoke("data", "import", str(SMALL)).exit_code == 0
    finally:
        os.umask(old)
    modes = {p.stat().st_mode & 0o777 for p in (cache_root() / "prices").iterdir()}
    assert modes == {0o644}


def test_the_data_help_page_shows_an_example() -> None:
    result = invoke("data", "--help")
    assert result.exit_code == 0 and "Example: roboadvisor data fetch" in result.stdout


def test_import_help_wraps_its_paragraphs_evenly() -> None:
    result = runner.invoke(app, ["data", "import", "--help"], env={"COLUMNS": "80"})
    text = result.stdout.split("Usage:", 1)[1].split("╭", 1)[0]
    paragraphs: list[list[str]] = [[]]
    for line in text.splitlines()[1:]:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [p for p in paragraphs if p]
    assert len(paragraphs) == 2 and paragraphs[1][0].startswith("A file with errors")
    for lines in paragraphs:  # no line broken short in the middle of a paragraph
        assert all(len(line) > 60 for line in lines[:-1]), lines
