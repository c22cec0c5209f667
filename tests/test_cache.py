"""The parquet price cache: round trip, incremental updates, atomic writes, corrupt files."""

from __future__ import annotations

import hashlib
import os
import signal
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from roboadvisor.data import cache as cache_module
from roboadvisor.data.atomic import atomic_path, atomic_write_bytes, atomic_write_text
from roboadvisor.data.cache import PriceCache
from roboadvisor.data.sources import FailureKind, FetchResult, PriceSource, TickerFailure
from roboadvisor.errors import CacheError, ConfigError, CoverageError, DownloadError
from roboadvisor.services.market import (
    TickerStatus,
    cache_status,
    clear_cache,
    fetch_prices,
    import_prices,
    load_price_data,
    load_prices,
)

TODAY = date(2024, 12, 31)


def truth(ticker: str) -> pd.Series:
    seed = sum(ord(c) for c in ticker)
    index = pd.bdate_range("2020-01-01", "2024-12-31", name="Date")
    rng = np.random.default_rng(seed)
    return pd.Series(30 * np.exp(np.cumsum(rng.normal(0.0002, 0.01, len(index)))),
                     index=index, name=ticker)


class FakeSource:
    """A PriceSource serving ``truth`` (times ``scale``, as a later adjustment would), recording
    each request; tickers in ``fail`` fail with ``kind``."""

    name = "yahoo"

    def __init__(self, scale: float = 1.0, fail: tuple[str, ...] = (),
                 kind: FailureKind = FailureKind.NETWORK) -> None:
        self.scale = scale
        self.fail = set(fail)
        self.kind = kind
        self.calls: list[tuple[tuple[str, ...], date | None, date | None]] = []

    def fetch(self, tickers, start=None, end=None, progress=None) -> FetchResult:
        self.calls.append((tuple(tickers), start, end))
        got, failures = {}, []
        for t in tickers:
            if t in self.fail:
                failures.append(TickerFailure(t, self.kind, "simulated"))
            else:
                s = truth(t) * self.scale
                got[t] = s.loc[pd.Timestamp(start or "1900"):pd.Timestamp(end or "2100")]
            if progress:
                progress(t)
        frame = pd.concat(got, axis=1) if got else pd.DataFrame(
            index=pd.DatetimeIndex([], name="Date"))
        return FetchResult(frame, tuple(failures))


def cache_root() -> Path:
    return Path(os.environ["ROBOADVISOR_CACHE_DIR"])


def test_fake_is_a_price_source() -> None:
    assert isinstance(FakeSource(), PriceSource)


def test_round_trip_keeps_values_and_coverage(tmp_path: Path) -> None:
    cache = PriceCache(tmp_path)
    s = truth("VTI").iloc[:300]
    entry = cache.write("VTI", s, source="yahoo", requested_start=date(2020, 1, 1))
    back = cache.read("VTI")
    pd.testing.assert_series_equal(back, s.rename("VTI"), check_freq=False)
    assert back.index.name == "Date" and back.dtype == np.float64
    assert (entry.first, entry.last, entry.rows) == (s.index[0].date(), s.index[-1].date(), 300)
    again = cache.entry("VTI")
    assert again == entry and again.source == "yahoo"
    assert again.requested_start == date(2020, 1, 1)
    assert abs(datetime.now(again.updated.tzinfo) - again.updated) < timedelta(minutes=5)
    assert cache.read("VEA") is None and cache.entry("VEA") is None


def test_odd_ticker_symbols_get_safe_file_names(tmp_path: Path) -> None:
    cache = PriceCache(tmp_path)
    for t in ("BRK-B", "^GSPC", "EURUSD=X"):
        cache.write(t, truth("VTI").iloc[:5], source="yahoo")
        assert cache.path_for(t).parent == cache.prices_dir
        assert cache.read(t) is not None
    assert sorted(e.ticker for e in cache.entries()[0]) == ["BRK-B", "EURUSD=X", "^GSPC"]
    for bad in ("a/b", "../../X", "SH Y"):  # never a path or a name with a space
        with pytest.raises(ConfigError, match="is not a ticker symbol"):
            cache.write(bad, truth("VTI").iloc[:5], source="yahoo")


def test_second_load_asks_only_for_the_missing_dates() -> None:
    src = FakeSource()
    first = load_prices(["VTI", "AGG"], end=date(2024, 6, 28), source=src)
    assert src.calls == [(("VTI", "AGG"), None, date(2024, 6, 28))]
    src.calls.clear()
    second = load_price_data(["VTI", "AGG"], end=date(2024, 12, 31), source=src, today=TODAY)
    (tickers, start, end), = src.calls
    assert tickers == ("VTI", "AGG") and end == date(2024, 12, 31)
    assert date(2024, 6, 14) <= start <= date(2024, 6, 28)  # a short overlap, not the history
    expected = pd.concat({t: truth(t) for t in ("VTI", "AGG")}, axis=1)
    pd.testing.assert_frame_equal(second.prices, expected, check_freq=False, rtol=1e-12)
    assert len(first) < len(second.prices)
    src.calls.clear()
    load_prices(["VTI", "AGG"], end=date(2024, 12, 31), source=src)
    assert src.calls == []  # fully cached now


def test_a_top_up_rescales_older_prices_onto_the_new_adjustment() -> None:
    load_prices(["VTI"], end=date(2024, 6, 28), source=FakeSource())
    later = FakeSource(scale=0.99)  # a dividend since: the whole history is rescaled by 0.99
    prices = load_prices(["VTI"], end=date(2024, 12, 31), source=later)["VTI"]
    np.testing.assert_allclose(prices.to_numpy(), 0.99 * truth("VTI").to_numpy(), rtol=1e-12)
    returns = prices.pct_change().dropna()
    np.testing.assert_allclose(returns.to_numpy(), truth("VTI").pct_change().dropna(),
                               rtol=1e-9)  # no jump at the join


def test_an_earlier_start_fetches_only_the_older_dates() -> None:
    src = FakeSource()
    load_prices(["VTI"], start=date(2023, 1, 2), end=date(2024, 12, 31), source=src)
    src.calls.clear()
    frame = load_prices(["VTI"], start=date(2021, 1, 4), end=date(2024, 12, 31), source=src)
    (_, start, end), = src.calls
    assert start == date(2021, 1, 4) and end <= date(2023, 1, 31)
    assert frame.index[0] == pd.Timestamp("2021-01-04")
    np.testing.assert_allclose(frame["VTI"], truth("VTI").loc["2021-01-04":], rtol=1e-12)


def test_columns_follow_the_request_and_the_window() -> None:
    frame = load_prices(["agg", "VTI"], start=date(2022, 1, 3), end=date(2022, 1, 31),
                        source=FakeSource())
    assert list(frame.columns) == ["AGG", "VTI"]
    assert frame.index[0] == pd.Timestamp("2022-01-03")
    assert frame.index[-1] == pd.Timestamp("2022-01-31")
    assert frame.index.name == "Date" and frame.index.tz is None


def test_without_download_a_missing_ticker_says_what_to_run() -> None:
    load_prices(["VTI"], source=FakeSource())
    with pytest.raises(CoverageError, match=r"no cached prices for AGG .*roboadvisor data fetch"):
        load_prices(["VTI", "AGG"], download=False)


def test_a_failed_top_up_keeps_the_cache_with_a_warning_but_fails_data_fetch() -> None:
    load_prices(["VTI"], end=date(2024, 6, 28), source=FakeSource())
    offline = FakeSource(fail=("VTI",))
    data = load_price_data(["VTI"], end=date(2024, 12, 31), source=offline, today=TODAY)
    assert data.prices.index[-1] == pd.Timestamp("2024-06-28")
    assert any("using cached prices 2020-01-01 to 2024-06-28" in w for w in data.warnings)
    with pytest.raises(DownloadError, match="could not reach Yahoo Finance for VTI"):
        fetch_prices(["VTI"], end=date(2024, 12, 31), source=offline, today=TODAY)
    assert PriceCache(cache_root()).entry("VTI").last == date(2024, 6, 28)  # nothing lost
    report = fetch_prices(["VTI"], end=date(2024, 12, 31), source=offline, today=TODAY,
                          allow_missing=True)
    assert report.tickers[0].status is TickerStatus.KEPT


def test_fetch_reports_what_it_did() -> None:
    report = fetch_prices(["VTI"], end=date(2024, 6, 28), source=FakeSource(), today=TODAY)
    assert report.tickers[0].status is TickerStatus.DOWNLOADED
    report = fetch_prices(["VTI", "AGG"], end=date(2024, 12, 31), source=FakeSource(),
                          today=TODAY)
    vti, agg = report.tickers
    assert vti.status is TickerStatus.UPDATED and agg.status is TickerStatus.DOWNLOADED
    assert vti.new_rows == len(truth("VTI").loc["2024-07-01":])
    assert vti.entry.last == date(2024, 12, 31)


def test_a_crash_while_replacing_leaves_the_old_file_intact(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cache = PriceCache(tmp_path)
    old = truth("VTI").iloc[:100]
    cache.write("VTI", old, source="yahoo")

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module.os, "replace", crash)
    with pytest.raises(CacheError, match=r"cannot write .*prices.*previous cached prices "
                                         r"are unchanged"):
        cache.write("VTI", truth("VTI"), source="yahoo")
    monkeypatch.undo()
    pd.testing.assert_series_equal(cache.read("VTI"), old.rename("VTI"), check_freq=False)
    assert cache.entry("VTI").rows == 100
    assert [p.name for p in cache.prices_dir.iterdir()] == ["VTI.parquet"]  # no temp left


def test_an_interrupt_half_way_through_the_write_leaves_the_old_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cache = PriceCache(tmp_path)
    old = truth("VTI").iloc[:100]
    cache.write("VTI", old, source="yahoo")
    real_write = cache_module.pq.write_table

    def half_then_die(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")  # some bytes hit the temporary file,
        raise KeyboardInterrupt                        # then Ctrl-C

    monkeypatch.setattr(cache_module.pq, "write_table", half_then_die)
    with pytest.raises(KeyboardInterrupt):
        cache.write("VTI", truth("VTI"), source="yahoo")
    monkeypatch.setattr(cache_module.pq, "write_table", real_write)
    pd.testing.assert_series_equal(cache.read("VTI"), old.rename("VTI"), check_freq=False)
    assert [p.name for p in cache.prices_dir.iterdir()] == ["VTI.parquet"]


def test_a_corrupt_file_is_detected_and_named(tmp_path: Path) -> None:
    cache = PriceCache(tmp_path)
    cache.write("VTI", truth("VTI"), source="yahoo")
    cache.path_for("VTI").write_bytes(b"\x00garbage, not parquet" * 10)
    with pytest.raises(CacheError) as info:
        cache.read("VTI")
    assert str(cache.path_for("VTI")) in str(info.value)
    assert "roboadvisor data clear" in str(info.value)
    good, bad = cache.entries()
    assert good == [] and bad[0][0] == cache.path_for("VTI")


def test_a_corrupt_file_is_refetched_when_downloads_are_allowed() -> None:
    load_prices(["VTI"], end=date(2024, 12, 31), source=FakeSource())
    path = PriceCache(cache_root()).path_for("VTI")
    path.write_bytes(b"garbage")
    with pytest.raises(CacheError, match="unreadable"):
        load_prices(["VTI"], end=date(2024, 12, 31), download=False)
    data = load_price_data(["VTI"], end=date(2024, 12, 31), source=FakeSource())
    assert any("unreadable" in w and "fetching VTI again" in w for w in data.warnings)
    assert len(data.prices) == len(truth("VTI"))
    assert PriceCache(cache_root()).read("VTI") is not None


def test_status_and_clear_touch_only_cache_files() -> None:
    load_prices(["VTI", "AGG"], end=date(2024, 12, 31), source=FakeSource())
    mine = cache_root() / "notes.txt"
    mine.write_text("not ours")
    status = cache_status(["VTI", "AGG", "BNDX"])
    assert [e.ticker for e in status.entries] == ["AGG", "VTI"]
    assert status.missing == ("BNDX",)
    root, removed = clear_cache()
    assert removed == 2 and root == cache_root()
    assert mine.read_text() == "not ours"
    assert cache_status(["VTI"]).missing == ("VTI",)


def test_imported_prices_are_not_topped_up_from_yahoo_unless_fetched(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    truth("VTI").loc[:"2024-06-28"].rename("VTI").to_frame().to_csv(path)
    import_prices(path)
    src = FakeSource()
    load_prices(["VTI"], source=src)  # end=None: the imported file is taken as it is
    assert src.calls == []
    report = fetch_prices(["VTI"], source=src, today=TODAY)
    assert src.calls and report.tickers[0].status is TickerStatus.UPDATED
    assert report.tickers[0].entry.source == "file:p.csv+yahoo"


def test_a_source_that_leaves_a_ticker_out_silently_is_caught() -> None:
    class Forgetful(FakeSource):
        def fetch(self, tickers, start=None, end=None, progress=None) -> FetchResult:
            full = super().fetch(tickers, start, end, progress)
            return FetchResult(full.prices.drop(columns=["AGG"]), ())  # no failure reported

    with pytest.raises(DownloadError, match=r"no prices from Yahoo Finance for AGG \(the source "
                                            r"returned no prices\)"):
        load_prices(["VTI", "AGG"], end=date(2024, 12, 31), source=Forgetful())


# --- all-or-nothing imports, file modes, the cache location ---------------------------------------
def wide_file(tmp_path: Path, tickers: tuple[str, ...], scale: float = 1.0) -> Path:
    path = tmp_path / f"prices_{scale}.csv"
    frame = pd.concat({t: truth(t).iloc[:200] * scale for t in tickers}, axis=1)
    frame.index.name = "Date"
    frame.to_csv(path)
    return path


def snapshot(directory: Path) -> dict[str, str]:
    """Every file in ``directory`` (temporary ones included) and a hash of its content."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16]
            for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError])
def test_an_import_stopped_after_a_few_tickers_leaves_the_cache_as_it_was(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, error: type[BaseException]) -> None:
    import_prices(wide_file(tmp_path, ("AAA", "BBB")))
    before = snapshot(cache_root() / "prices")
    real_write = cache_module.pq.write_table
    written: list[str] = []

    def die_on_the_third(table, where, **kwargs):
        if len(written) == 2:
            raise error(28, "No space left on device") if error is OSError else error()
        written.append(str(where))
        return real_write(table, where, **kwargs)

    monkeypatch.setattr(cache_module.pq, "write_table", die_on_the_third)
    newer = wide_file(tmp_path, ("AAA", "BBB", "CCC", "DDD"), scale=2.0)
    with pytest.raises(CacheError if error is OSError else KeyboardInterrupt):
        import_prices(newer)
    assert len(written) == 2  # two tickers were fully written before the failure
    assert snapshot(cache_root() / "prices") == before  # ... yet nothing changed, no litter
    monkeypatch.setattr(cache_module.pq, "write_table", real_write)
    report = import_prices(newer)
    assert [e.ticker for e in report.entries] == ["AAA", "BBB", "CCC", "DDD"]
    np.testing.assert_allclose(PriceCache(cache_root()).read("AAA"),
                               2.0 * truth("AAA").iloc[:200], rtol=1e-12)


def test_a_failing_switch_leaves_the_old_generation_and_no_litter(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cache = PriceCache(tmp_path)
    cache.write_all({"AAA": truth("AAA").iloc[:50], "BBB": truth("BBB").iloc[:50]}, "file:a")
    before = snapshot(cache.prices_dir)
    listing = sorted(p.name for p in tmp_path.iterdir())

    def fail(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(cache_module, "_replace", fail)
    with pytest.raises(CacheError, match=r"cannot write .*prices .*unchanged"):
        cache.write_all({t: truth(t) for t in ("AAA", "BBB", "CCC")}, "file:b")
    assert snapshot(cache.prices_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_ctrl_c_during_the_commit_step_waits_until_it_is_over() -> None:
    done: list[str] = []
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), cache_module._interrupts_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        done.append("rest of the commit")
    assert done == ["rest of the commit"]
    assert signal.getsignal(signal.SIGINT) is handler


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_files_get_the_mode_the_umask_gives(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        cache = PriceCache(tmp_path / "cache")
        cache.write("VTI", truth("VTI").iloc[:10], source="yahoo")
        cache.write_all({"AGG": truth("AGG").iloc[:10]}, source="file:x")
        atomic_write_text(tmp_path / "out.txt", "hello")
        atomic_write_bytes(tmp_path / "out.bin", b"\x00\x01")
        with atomic_path(tmp_path / "out.csv") as tmp:
            tmp.write_text("a,b\n")
    finally:
        os.umask(old)
    for path in (cache.path_for("VTI"), cache.path_for("AGG"), tmp_path / "out.txt",
                 tmp_path / "out.bin", tmp_path / "out.csv"):
        assert path.stat().st_mode & 0o777 == mode, path
    assert (tmp_path / "out.txt").read_text() == "hello"
    assert (tmp_path / "out.csv").read_text() == "a,b\n"


def test_atomic_path_leaves_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old")
    with pytest.raises(ValueError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise ValueError("writer failed")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == [
        "report.csv"]


def test_a_cache_directory_that_is_a_file_is_an_input_error(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ConfigError, match=rf"price cache directory {afile} is a file, not a "
                                          "directory; pass cache_dir"):
        cache_status(["VTI"], cache_dir=afile)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "prices").write_text("x")
    with pytest.raises(ConfigError, match=r"prices is a file"):
        PriceCache(tmp_path / "c")


@pytest.mark.parametrize("bad", ["VTI;RM", "VTI RM", "$(rm)", "A" * 16, "VTI/X"])
def test_bad_ticker_symbols_are_refused_before_any_download(bad: str) -> None:
    src = FakeSource()
    with pytest.raises(ConfigError, match=r"is not a ticker symbol"):
        fetch_prices(["VTI", bad], source=src, today=TODAY)
    assert src.calls == []


def test_odd_but_valid_ticker_symbols_are_accepted_and_upper_cased() -> None:
    from roboadvisor.services.market import normalise_tickers

    assert normalise_tickers([" brk-b", "^gspc", "EURUSD=X", "BF.B", "BRK-B"]) == [
        "BRK-B", "^GSPC", "EURUSD=X", "BF.B"]
