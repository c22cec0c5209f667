"""The Yahoo source against a fake ``yf.download`` that behaves like yfinance 1.x: it never
raises for a failed ticker, it returns an empty or all-NaN frame and logs on "yfinance"."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pytest

from roboadvisor.data import yahoo
from roboadvisor.data.sources import FailureKind, PriceSource
from roboadvisor.data.yahoo import YahooSource, classify, close_series
from roboadvisor.errors import DownloadError
from roboadvisor.services.market import fetch_prices, load_price_data

LOG = logging.getLogger("yfinance")
TODAY = date(2024, 3, 28)


def truth(ticker: str, start: str = "2023-01-02", end: str = "2024-03-28") -> pd.Series:
    """A deterministic price path per ticker (business days)."""
    seed = sum(ord(c) for c in ticker)
    index = pd.bdate_range(start, end, name="Date")
    rng = np.random.default_rng(seed)
    return pd.Series(50 * np.exp(np.cumsum(rng.normal(0, 0.01, len(index)))), index=index,
                     name=ticker)


def yf_frame(data: dict[str, pd.Series], group_by: str = "column") -> pd.DataFrame:
    """A frame shaped like ``yf.download(..., auto_adjust=True, multi_level_index=True)``."""
    parts = {}
    for ticker, close in data.items():
        parts[ticker] = pd.DataFrame({"Close": close, "High": close * 1.01, "Low": close * 0.99,
                                      "Open": close, "Volume": 1000.0})
    frame = pd.concat(parts, axis=1, names=["Ticker", "Price"])
    if group_by == "column":
        frame.columns = frame.columns.swaplevel(0, 1)
        frame = frame.sort_index(axis=1, level=0)
    return frame


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame(index=pd.DatetimeIndex([], name="Date"))


def log_failure(ticker: str, error: str) -> None:
    """What yfinance logs after a failed ticker (multi.py)."""
    LOG.error("\n1 Failed download:")
    LOG.error(f"['{ticker}']: {error}")


RATE = "YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')"
DNS = ("DNSError('Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com."
       " See https://curl.se/libcurl/c/libcurl-errors.html first for more details.')")
DELISTED = "possibly delisted; no price data found  (1d 2023-01-02 -> 2024-03-29)"
NO_TZ = "possibly delisted; no timezone found"


class FakeDownload:
    """Stands in for ``yfinance.download``. ``script[ticker]`` is a list of behaviours used one
    per call (the last one repeats): "ok", "empty", "nan", "rate", "raise_rate", "dns",
    "stale", "ticker_first" (ok, with columns grouped by ticker), "no_tz" (what yfinance
    logs offline when its time-zone lookup failed, and also for a wrong symbol)."""

    def __init__(self, script: dict[str, list[str]] | None = None,
                 data: Callable[[str], pd.Series] = truth) -> None:
        self.script = script or {}
        self.data = data
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, tickers: list[str], **kwargs) -> pd.DataFrame:
        assert len(tickers) == 1
        ticker = tickers[0]
        self.calls.append((ticker, kwargs))
        steps = self.script.get(ticker, ["ok"])
        n = sum(1 for t, _ in self.calls if t == ticker)
        step = steps[min(n, len(steps)) - 1]
        series = self.data(ticker)
        if "start" in kwargs:
            series = series[series.index >= pd.Timestamp(kwargs["start"])]
        if "end" in kwargs:
            series = series[series.index < pd.Timestamp(kwargs["end"])]
        if step in ("ok", "ticker_first"):
            return yf_frame({ticker: series}, "ticker" if step == "ticker_first" else "column")
        if step == "stale":
            return yf_frame({ticker: series[series.index < "2023-06-01"]})
        if step == "nan":
            return yf_frame({ticker: series * np.nan})
        if step == "raise_rate":
            from yfinance.exceptions import YFRateLimitError

            raise YFRateLimitError()
        log_failure(ticker, {"empty": DELISTED, "rate": RATE, "dns": DNS, "no_tz": NO_TZ}[step])
        return empty_frame()


def source(fake: FakeDownload, sleeps: list[float] | None = None) -> YahooSource:
    record = sleeps if sleeps is not None else []
    return YahooSource(fake, sleep=record.append, today=lambda: TODAY)


def test_it_is_a_price_source() -> None:
    assert isinstance(YahooSource(), PriceSource)


def test_success_returns_adjusted_closes_in_order() -> None:
    fake = FakeDownload({"VEA": ["ticker_first"]})
    result = source(fake).fetch(["VTI", "VEA"], date(2023, 6, 1), date(2023, 6, 30))
    assert not result.failures
    frame = result.prices
    assert list(frame.columns) == ["VTI", "VEA"]
    assert frame.index.name == "Date" and frame.index.tz is None
    assert (frame.dtypes == np.float64).all()
    assert frame.index[0] == pd.Timestamp("2023-06-01")
    assert frame.index[-1] == pd.Timestamp("2023-06-30")  # end is inclusive for us
    np.testing.assert_allclose(frame["VEA"], truth("VEA").loc["2023-06-01":"2023-06-30"])
    ticker, kwargs = fake.calls[0]
    assert ticker == "VTI"
    assert kwargs["auto_adjust"] is True and kwargs["progress"] is False
    assert kwargs["start"] == "2023-06-01" and kwargs["end"] == "2023-07-01"  # exclusive


def test_without_dates_the_whole_history_is_asked_for() -> None:
    fake = FakeDownload()
    source(fake).fetch(["VTI"])
    assert fake.calls[0][1]["period"] == "max" and "start" not in fake.calls[0][1]


def test_the_default_download_is_yfinance_download(monkeypatch: pytest.MonkeyPatch) -> None:
    import yfinance

    fake = FakeDownload()
    monkeypatch.setattr(yfinance, "download", fake)
    result = YahooSource(today=lambda: TODAY).fetch(["VTI"], date(2024, 1, 2))
    assert list(result.prices.columns) == ["VTI"] and fake.calls[0][1]["auto_adjust"] is True


@pytest.mark.parametrize("shape", ["column", "ticker", "flat", "tz"])
def test_close_series_reads_every_frame_shape(shape: str) -> None:
    s = truth("VTI").iloc[:5]
    if shape == "flat":
        frame = yf_frame({"VTI": s}).droplevel(1, axis=1)
    elif shape == "tz":
        frame = yf_frame({"VTI": s})
        frame.index = frame.index.tz_localize("America/New_York")
    else:
        frame = yf_frame({"VTI": s}, shape)
    out = close_series(frame, "VTI")
    np.testing.assert_allclose(out.to_numpy(), s.to_numpy())
    assert out.index.tz is None and list(out.index) == list(s.index)


def test_an_empty_frame_is_a_named_failure() -> None:
    result = source(FakeDownload({"ZZZZ": ["empty"]})).fetch(["VTI", "ZZZZ"])
    assert list(result.prices.columns) == ["VTI"]
    (failure,) = result.failures
    assert failure.ticker == "ZZZZ" and failure.kind is FailureKind.NO_DATA
    assert "possibly delisted" in failure.detail


def test_an_all_nan_ticker_is_a_failure_not_a_column() -> None:
    result = source(FakeDownload({"VEA": ["nan"]})).fetch(["VTI", "VEA"])
    assert list(result.prices.columns) == ["VTI"]
    assert result.failed == ("VEA",)


@pytest.mark.parametrize("how", ["rate", "raise_rate"])
def test_rate_limit_then_success_retries_with_backoff(how: str) -> None:
    sleeps: list[float] = []
    fake = FakeDownload({"VTI": [how, how, "ok"]})
    result = source(fake, sleeps).fetch(["VTI"])
    assert not result.failures and list(result.prices.columns) == ["VTI"]
    assert sleeps == [2.0, 4.0] and len(fake.calls) == 3


def test_repeated_rate_limits_give_up_and_do_not_hammer_the_rest() -> None:
    sleeps: list[float] = []
    fake = FakeDownload({"VTI": ["rate"]})
    result = source(fake, sleeps).fetch(["VTI", "VEA", "AGG"])
    assert [f.kind for f in result.failures] == [FailureKind.RATE_LIMIT] * 3
    assert sleeps == [2.0, 4.0, 8.0]          # 4 attempts on VTI
    assert [t for t, _ in fake.calls] == ["VTI"] * 4  # VEA, AGG not tried
    assert "after 4 attempts" in result.failures[0].detail


def test_offline_is_one_clear_error_naming_the_tickers() -> None:
    sleeps: list[float] = []
    fake = FakeDownload({"VTI": ["dns"], "VEA": ["dns"]})
    with pytest.raises(DownloadError) as info:
        load_price_data(["VTI", "VEA"], source=source(fake, sleeps), today=TODAY)
    assert str(info.value) == ("could not reach Yahoo Finance for VTI, VEA: no network? Use "
                               "prices FILE or `roboadvisor data import FILE`")
    assert sleeps == [2.0]  # one retry of the first ticker, the second not tried


def test_stale_prices_are_a_failure() -> None:
    result = source(FakeDownload({"VTI": ["stale"]})).fetch(["VTI"])
    (failure,) = result.failures
    assert failure.kind is FailureKind.STALE and "2023-05-31" in failure.detail


def test_failures_stop_the_load_or_are_dropped_with_a_warning() -> None:
    fake = FakeDownload({"ZZZZ": ["empty"]})
    with pytest.raises(DownloadError, match=r"no prices from Yahoo Finance for ZZZZ .*"
                                            r"allow_missing.*1 other ticker"):
        load_price_data(["VTI", "ZZZZ"], source=source(fake), today=TODAY)
    data = load_price_data(["VTI", "ZZZZ"], source=source(fake), allow_missing=True,
                           today=TODAY)
    assert list(data.prices.columns) == ["VTI"] and data.dropped == ("ZZZZ",)
    assert any("dropped ZZZZ" in w for w in data.warnings)


def test_the_successful_tickers_are_saved_before_the_error() -> None:
    fake = FakeDownload({"ZZZZ": ["empty"]})
    with pytest.raises(DownloadError):
        fetch_prices(["VTI", "ZZZZ"], source=source(fake), today=TODAY)
    fake.calls.clear()
    data = load_price_data(["VTI"], source=source(fake), today=TODAY)
    assert fake.calls == [] and len(data.prices) == len(truth("VTI"))


def test_yfinance_log_noise_does_not_reach_the_terminal(capsys: pytest.CaptureFixture) -> None:
    source(FakeDownload({"ZZZZ": ["empty"]})).fetch(["ZZZZ"])
    assert "Failed download" not in capsys.readouterr().err


@pytest.mark.parametrize("messages, exc, kind", [
    ([f"['X']: {RATE}"], None, FailureKind.RATE_LIMIT),
    ([f"['X']: {DNS}"], None, FailureKind.NETWORK),
    ([], ConnectionError("refused"), FailureKind.NETWORK),
    ([f"['X']: {DELISTED}"], None, FailureKind.NO_DATA),
    ([], None, FailureKind.NO_DATA),
    (["['X']: KeyError('chart')"], None, FailureKind.ERROR),
])
def test_classify(messages: list[str], exc: Exception | None, kind: FailureKind) -> None:
    got, detail = classify(messages, exc)
    assert got is kind and "['X']" not in detail


def test_progress_is_reported_per_ticker() -> None:
    seen: list[str] = []
    source(FakeDownload()).fetch(["VTI", "VEA"], progress=seen.append)
    assert seen == ["VTI", "VEA"]


def test_yahoo_is_the_only_module_importing_yfinance() -> None:
    from pathlib import Path

    package = Path(yahoo.__file__).resolve().parents[1]
    importers = [p.relative_to(package).as_posix() for p in package.rglob("*.py")
                 if "import yfinance" in p.read_text(encoding="utf-8")
                 or "from yfinance" in p.read_text(encoding="utf-8")]
    assert importers == ["data/yahoo.py"]


def test_no_timezone_for_every_ticker_is_reported_as_no_network() -> None:
    fake = FakeDownload({"VTI": ["no_tz"], "VEA": ["no_tz"]})
    result = source(fake).fetch(["VTI", "VEA"])
    assert [f.kind for f in result.failures] == [FailureKind.NETWORK] * 2
    assert all("could not reach Yahoo Finance (no network?)" in f.detail
               and "delisted" not in f.detail for f in result.failures)
    with pytest.raises(DownloadError, match=r"^could not reach Yahoo Finance for VTI, VEA: no "
                                            r"network\?.*check the ticker symbols"):
        fetch_prices(["VTI", "VEA"], source=source(fake), today=TODAY)


def test_no_timezone_beside_a_success_stays_a_wrong_ticker() -> None:
    result = source(FakeDownload({"ZZZZ": ["no_tz"]})).fetch(["VTI", "ZZZZ"])
    (failure,) = result.failures
    assert failure.kind is FailureKind.NO_DATA and "no timezone found" in failure.detail


def test_a_network_failure_is_described_by_the_network_message() -> None:
    got, detail = classify([f"Failed to get ticker 'X' reason: {DNS[10:-2]}", f"$X: {NO_TZ}",
                            f"['X']: {NO_TZ}"], None)
    assert got is FailureKind.NETWORK
    assert "Could not resolve host" in detail and "delisted" not in detail
