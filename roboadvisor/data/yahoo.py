"""Yahoo Finance prices through yfinance: the only module that imports yfinance (lazily).

yfinance 1.x does not raise when a download fails: ``yf.download`` returns an empty frame, or
all-NaN columns for the tickers that failed, and reports the reason only on the ``yfinance``
logger (a rate limit included: it is caught inside yfinance and logged as
``YFRateLimitError(...)``). So each ticker is downloaded on its own while a logging handler
captures what yfinance says, and the result is judged here:

- a frame with prices whose last date is recent enough -> success;
- no prices (empty frame or all NaN) -> a failure, classified from the captured log records or
  the raised exception: rate limit, network, no data (wrong or delisted ticker), other error;
- prices that stop more than ``stale_days`` before the requested end -> a STALE failure.

Rate limits and network errors are retried with exponential backoff (``sleep`` is injectable so
tests are instant). Once retries are exhausted on a rate limit or a network error, the remaining
tickers are not tried (they would fail the same way) and are reported with the same kind.

Offline, yfinance sometimes reports only "possibly delisted; no timezone found" (its time-zone
lookup failed, whatever the reason). One ticker alone cannot tell a wrong symbol from a dead
network, but when every ticker of a request fails that way (or with a network error), the
network is the likely cause: those failures are reported as NETWORK, "could not reach Yahoo
Finance (no network?)", instead of relaying the misleading "delisted" text.
Prices are adjusted closes: ``auto_adjust=True`` is passed explicitly, so the ``Close`` field
includes dividends and splits.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from roboadvisor.data.sources import FailureKind, FetchResult, ProgressCallback, TickerFailure
from roboadvisor.domain.price_checks import DATE_DTYPE
from roboadvisor.errors import catalog_text

if TYPE_CHECKING:
    import pandas as pd

YFINANCE_LOGGER = "yfinance"

_RATE_LIMIT_MARKERS = ("yfratelimiterror", "too many requests", "rate limit")
_NETWORK_MARKERS = ("could not resolve host", "dnserror", "connectionerror", "connection error",
                    "timed out", "timeout", "failed to perform", "curl: (", "network is "
                    "unreachable", "connection refused", "connection reset", "sslerror",
                    "name or service not known", "temporary failure in name resolution")
_NO_DATA_MARKERS = ("possibly delisted", "no price data found", "no timezone found",
                    "no data found", "symbol may be delisted", "quote not found")
_NO_TIMEZONE_MARKER = "no timezone found"
def offline_detail() -> str:
    """The detail of a failure reclassified as NETWORK (see the module docstring)."""
    return catalog_text("zh_hardening.yahoo_offline")


class _Capture(logging.Handler):
    """Keeps the yfinance log records emitted during one download (and stops them reaching
    the terminal through logging's last-resort handler)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, level: int = logging.WARNING) -> list[str]:
        out = []
        for record in self.records:
            if record.levelno >= level:
                try:
                    out.append(record.getMessage().strip())
                except (TypeError, ValueError):  # a malformed log call inside yfinance
                    out.append(str(record.msg).strip())
        return [m for m in out if m]


def _default_sleep(seconds: float) -> None:
    time.sleep(seconds)


def _default_download() -> Callable[..., Any]:
    import yfinance

    return yfinance.download


def _is_rate_limit_exception(exc: BaseException) -> bool:
    from yfinance.exceptions import YFRateLimitError

    return isinstance(exc, YFRateLimitError)


def classify(messages: Sequence[str], exc: BaseException | None) -> tuple[FailureKind, str]:
    """Why a download gave no prices, from the exception raised (if any) and the log messages.

    Rate limit first (retryable), then network (retryable), then no data, else a plain error.
    """
    texts = list(messages)
    if exc is not None:
        texts.append(f"{type(exc).__name__}: {exc}")
    lowered = [t.lower() for t in texts]
    detail = _best_detail(texts)
    if exc is not None and _is_rate_limit_exception(exc):
        return FailureKind.RATE_LIMIT, detail
    if any(m in t for t in lowered for m in _RATE_LIMIT_MARKERS):
        return FailureKind.RATE_LIMIT, detail
    if isinstance(exc, OSError) or any(m in t for t in lowered for m in _NETWORK_MARKERS):
        network = [t for t, low in zip(texts, lowered, strict=True)
                   if any(m in low for m in _NETWORK_MARKERS)]
        return FailureKind.NETWORK, _best_detail(network) or detail
    if any(m in t for t in lowered for m in _NO_DATA_MARKERS) or not texts:
        return FailureKind.NO_DATA, detail or catalog_text("zh_hardening.yahoo_no_prices")
    return FailureKind.ERROR, detail


def _best_detail(texts: Sequence[str]) -> str:
    """The most specific message: the last one naming an error, without yfinance's
    "['VTI']: " prefix, on one line and at most 200 characters."""
    chosen = ""
    for text in texts:
        line = " ".join(text.split())
        if "failed download" in line.lower() or not line:
            continue
        if line.startswith("[") and "]: " in line:
            line = line.split("]: ", 1)[1]
        chosen = line.split(" See https://curl.se", 1)[0]  # curl's boilerplate pointer
    return chosen[:200]


def close_series(frame: pd.DataFrame | None, ticker: str) -> pd.Series:
    """The adjusted close of ``ticker`` from a ``yf.download`` frame of any shape.

    Handles MultiIndex columns in either order ((field, ticker) with ``group_by="column"``,
    (ticker, field) with ``group_by="ticker"``) and flat columns. Returns a float64 Series
    on a tz-naive, normalised, ascending DatetimeIndex named "Date", without NaN.
    """
    import pandas as pd

    empty = pd.Series([], index=pd.DatetimeIndex([], name="Date", dtype=DATE_DTYPE),
                      dtype="float64", name=ticker)
    if frame is None or len(frame) == 0 or len(frame.columns) == 0:
        return empty
    cols = frame.columns
    series = None
    if isinstance(cols, pd.MultiIndex):
        wanted = ticker.upper()
        for field in ("Close", "Adj Close"):
            for key in cols:
                parts = [str(p) for p in key]
                if field in parts and any(p.upper() == wanted for p in parts):
                    series = frame[key]
                    break
            if series is not None:
                break
    else:
        for name in ("Close", "Adj Close", ticker):
            if name in cols:
                series = frame[name]
                break
    if series is None:
        return empty
    series = pd.to_numeric(series, errors="coerce").astype("float64")
    index = pd.DatetimeIndex(series.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    series.index = index.normalize().astype(DATE_DTYPE).rename("Date")
    series = series.dropna()
    series = series[~series.index.duplicated(keep="last")].sort_index()
    return series.rename(ticker)


def _offline_failures(failures: list[TickerFailure]) -> list[TickerFailure]:
    """Every ticker failed: if each failure is a network error or yfinance's "no timezone
    found", the network is the likely cause, so say that instead of "possibly delisted"."""
    def no_timezone(f: TickerFailure) -> bool:
        return f.kind is FailureKind.NO_DATA and _NO_TIMEZONE_MARKER in f.detail.lower()

    if not failures or not any(no_timezone(f) for f in failures) or not all(
            no_timezone(f) or f.kind is FailureKind.NETWORK for f in failures):
        return failures
    return [TickerFailure(f.ticker, FailureKind.NETWORK, offline_detail()) if no_timezone(f)
            else f for f in failures]


class YahooSource:
    """Daily adjusted closes from Yahoo Finance, one ticker at a time, with retries.

    ``download`` defaults to ``yfinance.download`` (imported on first use); tests inject a fake
    with the same keyword arguments. ``sleep(seconds)`` waits between retries; the n-th retry
    waits ``backoff_seconds * 2**(n-1)``. ``today()`` gives the date used for staleness.
    """

    name = "yahoo"

    def __init__(self, download: Callable[..., Any] | None = None, *,
                 sleep: Callable[[float], None] | None = None,
                 max_attempts: int = 4,
                 network_attempts: int = 2,
                 backoff_seconds: float = 2.0,
                 stale_days: int = 10,
                 timeout: float = 20.0,
                 today: Callable[[], date] = date.today) -> None:
        self._download = download
        self._sleep = sleep if sleep is not None else _default_sleep
        self.max_attempts = max(1, max_attempts)
        self.network_attempts = max(1, network_attempts)
        self.backoff_seconds = backoff_seconds
        self.stale_days = stale_days
        self.timeout = timeout
        self._today = today

    # -- public ---------------------------------------------------------------------------
    def fetch(self, tickers: Sequence[str], start: date | None = None, end: date | None = None,
              progress: ProgressCallback | None = None) -> FetchResult:
        import pandas as pd

        got: dict[str, pd.Series] = {}
        failures: list[TickerFailure] = []
        given_up: TickerFailure | None = None
        for ticker in tickers:
            if given_up is not None:
                failures.append(TickerFailure(ticker, given_up.kind, catalog_text(
                    "zh_hardening.yahoo_not_tried", ticker=given_up.ticker,
                    detail=given_up.detail)))
            else:
                series, failure = self._fetch_one(ticker, start, end)
                if failure is None:
                    got[ticker] = series
                else:
                    failures.append(failure)
                    if failure.kind in (FailureKind.NETWORK, FailureKind.RATE_LIMIT):
                        given_up = failure
            if progress is not None:
                progress(ticker)
        if not got:
            failures = _offline_failures(failures)
        if got:
            prices = pd.concat(got, axis=1).sort_index().astype("float64")
            prices.index.name = "Date"
        else:
            prices = pd.DataFrame(index=pd.DatetimeIndex([], name="Date",
                                                         dtype=DATE_DTYPE))
        return FetchResult(prices, tuple(failures))

    # -- one ticker -------------------------------------------------------------------------
    def _fetch_one(self, ticker: str, start: date | None,
                   end: date | None) -> tuple[pd.Series, TickerFailure | None]:
        attempt = 0
        while True:
            attempt += 1
            frame, messages, exc = self._call(ticker, start, end)
            series = close_series(frame, ticker)
            if not series.empty:
                return series, self._stale(ticker, series, end)
            kind, detail = classify(messages, exc)
            limit = {FailureKind.RATE_LIMIT: self.max_attempts,
                     FailureKind.NETWORK: self.network_attempts}.get(kind, 1)
            if attempt >= limit:
                if attempt > 1:
                    detail = catalog_text("zh_hardening.yahoo_after_attempts", detail=detail,
                                          count=attempt)
                return series, TickerFailure(ticker, kind, detail)
            self._sleep(self.backoff_seconds * 2 ** (attempt - 1))

    def _call(self, ticker: str, start: date | None,
              end: date | None) -> tuple[Any, list[str], BaseException | None]:
        download = self._download or _default_download()
        kwargs: dict[str, Any] = dict(auto_adjust=True, actions=False, progress=False,
                                      threads=False, group_by="column",
                                      multi_level_index=True, interval="1d",
                                      timeout=self.timeout)
        if start is None and end is None:
            kwargs["period"] = "max"
        if start is not None:
            kwargs["start"] = start.isoformat()
        if end is not None:
            kwargs["end"] = (end + timedelta(days=1)).isoformat()  # yfinance's end is exclusive
        capture = _Capture()
        logger = logging.getLogger(YFINANCE_LOGGER)
        logger.addHandler(capture)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # yfinance's pandas deprecation noise
                frame = download([ticker], **kwargs)
            return frame, capture.messages(), None
        except Exception as exc:  # yfinance and its HTTP stack raise many types: classified
            return None, capture.messages(), exc
        finally:
            logger.removeHandler(capture)

    def _stale(self, ticker: str, series: pd.Series, end: date | None) -> TickerFailure | None:
        today = self._today()
        expected = min(end, today) if end is not None else today
        last = series.index[-1].date()
        if (expected - last).days > self.stale_days:
            return TickerFailure(ticker, FailureKind.STALE, catalog_text(
                "zh_hardening.yahoo_stale", last=last, days=self.stale_days, expected=expected))
        return None
