"""Market data use cases: load prices for a calculation, fetch, import, inspect, clear the cache.

``load_prices`` is what the other services call. It returns daily adjusted closes (a
DatetimeIndex named "Date", ascending, tz-naive; columns exactly the requested tickers in their
order, minus any dropped with ``allow_missing``; float64; NaN before a ticker's first date; not
aligned, see ``roboadvisor.domain.alignment``). ``load_price_data`` returns the same frame with
the warnings the user should see.

Where prices come from:
- ``prices_file``: that CSV/parquet file, validated (structural problems are errors, gaps and
  spikes are warnings); the cache is not touched;
- otherwise the cache (``cache_dir``, else ROBOADVISOR_CACHE_DIR, else the user cache), and a
  download (``source``, default Yahoo Finance) of only what is missing: tickers not cached, dates
  before the cached start (when the cache did not get the whole history), and dates after the
  cached end. When ``end`` is None, "after" means up to today, refreshed at most once a day, and
  only for tickers the cache got from that same source (an imported file is not topped up from
  Yahoo unless asked with ``roboadvisor data fetch``). Each download overlaps the cached dates
  and the older prices are rescaled onto the newer adjustment (see ``splice_adjusted``).

Failures never shorten the answer silently. A ticker without any cached prices that cannot be
downloaded is an error naming it (``DownloadError``), unless ``allow_missing`` drops it with a
warning. A cached ticker whose top-up fails keeps its cached prices, with a warning. Prices
downloaded before a failure are saved, so a retry fetches only the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path

import pandas as pd

from roboadvisor import config
from roboadvisor.data.cache import CacheEntry, PriceCache
from roboadvisor.data.price_files import PriceFile, PriceFileSource, PriceInput, read_price_file
from roboadvisor.data.sources import FailureKind, FetchResult, PriceSource, TickerFailure
from roboadvisor.data.universe_file import load_universe
from roboadvisor.domain.alignment import splice_adjusted
from roboadvisor.domain.models import Universe
from roboadvisor.domain.price_checks import DATE_DTYPE, check_gaps, find_spikes
from roboadvisor.domain.tickers import TICKER_PATTERN
from roboadvisor.errors import (
    CacheError,
    ConfigError,
    CoverageError,
    DataQualityError,
    DownloadError,
    catalog_text,
    shown,
)

OVERLAP_DAYS = 10
"""Calendar days a top-up download overlaps the cached prices (to rescale the older ones)."""

ProgressFn = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class PriceData:
    """Prices (see ``load_prices``) and what the user should know about them."""

    prices: pd.DataFrame
    warnings: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()


class TickerStatus(StrEnum):
    DOWNLOADED = "downloaded"      # fetched in full
    UPDATED = "updated"            # cached, topped up
    UP_TO_DATE = "up to date"      # cached, nothing to fetch
    KEPT = "kept"                  # cached, top-up failed: cached prices kept
    DROPPED = "dropped"            # not available, dropped (allow_missing)


@dataclass(frozen=True)
class FetchedTicker:
    ticker: str
    status: TickerStatus
    entry: CacheEntry | None
    new_rows: int = 0


@dataclass(frozen=True)
class FetchReport:
    """What ``fetch_prices`` did per ticker, in request order."""

    tickers: tuple[FetchedTicker, ...]
    warnings: tuple[str, ...] = ()
    cache_root: Path | None = None


@dataclass(frozen=True)
class ImportReport:
    path: Path
    entries: tuple[CacheEntry, ...]
    warnings: tuple[str, ...]
    missing: tuple[str, ...]
    """Tickers of the universe that the file does not have."""
    cache_root: Path | None = None


@dataclass(frozen=True)
class CacheStatus:
    root: Path
    entries: tuple[CacheEntry, ...]
    missing: tuple[str, ...]
    """Requested (universe) tickers not in the cache."""
    unreadable: tuple[tuple[Path, str], ...] = field(default_factory=tuple)
    problems: tuple[str, ...] = ()
    """What ``PriceCache.verify`` found wrong after tidying (one line each)."""
    tidied: int = 0
    """Leftovers of an interrupted write removed when the cache was opened."""


def _open_cache(cache_dir: Path | None) -> PriceCache:
    """The cache, with what an interrupted write left behind removed (``tidied`` counts it)."""
    cache = PriceCache(config.cache_dir(cache_dir))
    cache.tidied = cache.tidy()
    return cache


# --- public API -----------------------------------------------------------------------------
def get_universe(path: Path | None = None) -> Universe:
    """The universe in ``path`` (YAML), or the shipped default."""
    return load_universe(path)


def load_prices(tickers: Sequence[str], *, prices_file: PriceInput | None = None,
                start: date | None = None, end: date | None = None,
                cache_dir: Path | None = None, allow_missing: bool = False,
                download: bool = True, source: PriceSource | None = None) -> pd.DataFrame:
    """Daily adjusted closes for ``tickers`` (see the module docstring)."""
    return load_price_data(tickers, prices_file=prices_file, start=start, end=end,
                           cache_dir=cache_dir, allow_missing=allow_missing,
                           download=download, source=source).prices


def load_price_data(tickers: Sequence[str], *, prices_file: PriceInput | None = None,
                    start: date | None = None, end: date | None = None,
                    cache_dir: Path | None = None, allow_missing: bool = False,
                    download: bool = True, source: PriceSource | None = None,
                    progress: ProgressFn | None = None,
                    today: date | None = None) -> PriceData:
    """``load_prices`` plus the warnings to show and the tickers dropped."""
    wanted = normalise_tickers(tickers)
    _check_window(start, end)
    if prices_file is not None:
        source_file = prices_file if isinstance(prices_file, PriceFile) else Path(prices_file)
        return _from_file(source_file, wanted, start, end, allow_missing)
    cache = _open_cache(cache_dir)
    run = _CacheRun(cache, source, today or date.today(), progress)
    run.update(wanted, start, end, allow_missing=allow_missing, download=download,
               refresh=False)
    kept = [t for t in wanted if t not in run.dropped]
    frame = _frame(cache, kept, start, end)
    return PriceData(frame, tuple(run.warnings), tuple(run.dropped))


def fetch_prices(tickers: Sequence[str], *, start: date | None = None, end: date | None = None,
                 cache_dir: Path | None = None, allow_missing: bool = False,
                 source: PriceSource | None = None, progress: ProgressFn | None = None,
                 today: date | None = None) -> FetchReport:
    """Bring the cache up to date for ``tickers`` (``roboadvisor data fetch``).

    Unlike ``load_prices`` it tops up every ticker (imported ones too) to ``end`` or today, and
    a failed top-up is an error unless ``allow_missing``.
    """
    wanted = normalise_tickers(tickers)
    _check_window(start, end)
    cache = _open_cache(cache_dir)
    run = _CacheRun(cache, source, today or date.today(), progress)
    run.update(wanted, start, end, allow_missing=allow_missing, download=True, refresh=True)
    rows = []
    for t in wanted:
        status = run.status.get(t, TickerStatus.UP_TO_DATE)
        entry = None if status is TickerStatus.DROPPED else cache.entry(t)
        rows.append(FetchedTicker(t, status, entry, run.new_rows.get(t, 0)))
    return FetchReport(tuple(rows), tuple(run.warnings), cache.root)


def import_prices(path: Path, *, universe_tickers: Sequence[str] = (),
                  cache_dir: Path | None = None, accept_falls: bool = False) -> ImportReport:
    """Validate a price file and store every ticker in it into the cache (replacing what the
    cache had for those tickers), all or nothing: a file with errors raises before anything is
    written, and an interrupt or a failed write leaves the cache as it was. An empty ticker
    column is left out (the file's warnings name it). ``accept_falls`` keeps one-day falls of
    90% or more that stay down (refused otherwise)."""
    universe = normalise_tickers(universe_tickers)
    file = read_price_file(Path(path), accept_falls=accept_falls)
    cache = _open_cache(cache_dir)
    prices = {t: file.prices[t].dropna() for t in file.prices.columns}
    entries = cache.write_all({t: s for t, s in prices.items() if not s.empty},
                              source=f"file:{file.path.name}", requested_start=None)
    imported = {e.ticker for e in entries}
    missing = tuple(t for t in universe if t not in imported)
    return ImportReport(file.path, tuple(entries), file.warning_messages(), missing, cache.root)


def cache_status(universe_tickers: Sequence[str] = (), *,
                 cache_dir: Path | None = None) -> CacheStatus:
    """Every cached ticker's coverage, and which ``universe_tickers`` are not cached."""
    cache = _open_cache(cache_dir)
    entries, bad = cache.entries()
    cached = {e.ticker for e in entries}
    missing = tuple(t for t in normalise_tickers(universe_tickers) if t not in cached)
    return CacheStatus(cache.root, tuple(entries), missing, tuple(bad),
                       tuple(cache.verify()), cache.tidied)


def clear_cache(*, cache_dir: Path | None = None) -> tuple[Path, int]:
    """Delete the cached prices; returns the cache directory and how many tickers were removed."""
    cache = _open_cache(cache_dir)
    return cache.root, cache.clear()


# --- helpers ---------------------------------------------------------------------------------
"""A ticker symbol, upper-cased: letters, digits and . - ^ = (BRK-B, ^GSPC, EURUSD=X)."""


def normalise_tickers(tickers: Sequence[str]) -> list[str]:
    """Tickers stripped, upper-cased and deduplicated in order; ConfigError naming the first
    one that is not a ticker symbol (checked before any download)."""
    if isinstance(tickers, str):
        tickers = [tickers]
    wanted = list(dict.fromkeys(t.strip().upper() for t in tickers if t and t.strip()))
    for t in wanted:
        if not TICKER_PATTERN.fullmatch(t):
            raise ConfigError.from_catalog("market.bad_ticker", value=shown(t))
    return wanted


def _check_window(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise CoverageError.from_catalog("market.start_after_end", start=start, end=end)


def _frame(cache: PriceCache, tickers: Sequence[str], start: date | None,
           end: date | None) -> pd.DataFrame:
    series = {}
    for t in tickers:
        s = cache.read(t)
        if s is None:  # written moments ago; only a concurrent `data clear` gets here
            raise CacheError.from_catalog("market.cache_file_gone", path=cache.path_for(t))
        series[t] = s
    frame = pd.concat(series, axis=1) if series else pd.DataFrame()
    return _window(frame, list(tickers), start, end)


def _window(frame: pd.DataFrame, tickers: list[str], start: date | None,
            end: date | None) -> pd.DataFrame:
    if frame.empty and not len(frame.columns):
        frame = pd.DataFrame(columns=tickers, dtype="float64")
    frame = frame.sort_index()
    frame.index = pd.DatetimeIndex(frame.index).astype(DATE_DTYPE).rename("Date")
    if start is not None:
        frame = frame.loc[frame.index >= pd.Timestamp(start)]
    if end is not None:
        frame = frame.loc[frame.index <= pd.Timestamp(end)]
    frame = frame.reindex(columns=tickers).astype("float64")
    frame.columns.name = None
    return frame


def _from_file(path: PriceInput, tickers: list[str], start: date | None, end: date | None,
               allow_missing: bool) -> PriceData:
    src = PriceFileSource(path)
    result = src.fetch(tickers, start, end)
    warnings = list(result.warnings)
    dropped = list(result.failed)
    by_reason: dict[str, list[str]] = {}
    for f in result.failures:
        by_reason.setdefault(f.detail, []).append(f.ticker)
    which = ", ".join(f"{', '.join(names)} ({why})" for why, names in by_reason.items())
    if dropped and not allow_missing:
        raise DataQualityError.from_catalog("market.file_lacks", path=path, which=which)
    if dropped:
        warnings.append(catalog_text("market.dropped", which=which))
    kept = [t for t in tickers if t not in dropped]
    if not kept:
        raise DataQualityError.from_catalog("market.file_has_none", path=path,
                                            tickers=", ".join(tickers))
    return PriceData(_window(result.prices, kept, start, end), tuple(warnings), tuple(dropped))


def _kind_name(kind: FailureKind) -> str:
    """'no_data' -> "no data" in the catalog (the reason a ticker was dropped)."""
    return catalog_text(f"zh_hardening.kind_{kind.value}")


def _source_label(source: PriceSource) -> str:
    return "Yahoo Finance" if source.name == "yahoo" else source.name


def download_error(failures: Sequence[TickerFailure], source_label: str,
                   saved: int = 0) -> DownloadError:
    """One line naming the failed tickers, grouped by why, each with what to do."""
    groups: dict[FailureKind, list[TickerFailure]] = {}
    for f in failures:
        groups.setdefault(f.kind, []).append(f)
    parts = []
    for kind, items in groups.items():
        names = ", ".join(f.ticker for f in items)
        detail = items[0].detail
        if kind is FailureKind.NETWORK:
            online = any(getattr(f.detail, "key", None) == "zh_hardening.yahoo_offline"
                         or "check the ticker" in f.detail for f in items)
            parts.append(catalog_text("zh_hardening.download_network", source=source_label,
                                      names=names, hint=catalog_text(
                                          "zh_hardening.download_online_hint") if online else ""))
        else:
            parts.append(catalog_text(f"zh_hardening.download_{kind.value}",
                                      source=source_label, names=names, detail=detail))
    return DownloadError.from_catalog(
        "zh_hardening.download_failed", parts=parts,
        saved=catalog_text("zh_hardening.download_saved", count=saved) if saved else "")


class _Kind(StrEnum):
    FULL = "full"
    HEAD = "head"
    TAIL = "tail"


@dataclass(frozen=True)
class _Request:
    ticker: str
    kind: _Kind
    start: date | None
    end: date | None


class _CacheRun:
    """One pass of "serve from the cache, download what is missing" over a list of tickers."""

    def __init__(self, cache: PriceCache, source: PriceSource | None, today: date,
                 progress: ProgressFn | None) -> None:
        self.cache = cache
        self._source = source
        self.today = today
        self.progress = progress
        self.warnings: list[str] = []
        self.dropped: list[str] = []
        self.status: dict[str, TickerStatus] = {}
        self.new_rows: dict[str, int] = {}
        self.topup_failures: list[TickerFailure] = []

    @property
    def source(self) -> PriceSource:
        if self._source is None:
            from roboadvisor.data.yahoo import YahooSource

            self._source = YahooSource()
        return self._source

    # -- planning ---------------------------------------------------------------------------
    def _plan(self, entry: CacheEntry | None, ticker: str, start: date | None,
              end: date | None, refresh: bool) -> list[_Request]:
        if entry is None or entry.rows == 0 or entry.first is None or entry.last is None:
            return [_Request(ticker, _Kind.FULL, start, end)]
        requests = []
        if entry.requested_start is not None and (start is None
                                                  or start < entry.requested_start):
            requests.append(_Request(ticker, _Kind.HEAD, start,
                                     entry.first + timedelta(days=OVERLAP_DAYS)))
        target = end if end is not None else self.today
        # Freshness only means something for prices this source gave: an imported file's
        # update time says nothing about what Yahoo has. Yahoo was asked up to known_until;
        # with no end, one top-up a day is enough.
        source_name = "yahoo" if self._source is None else self._source.name
        same_source = source_name in entry.source.split("+")
        fresh = same_source and entry.known_until >= target
        wants_tail = refresh or end is not None or same_source
        if entry.last < target and not fresh and wants_tail:
            requests.append(_Request(ticker, _Kind.TAIL,
                                     entry.last - timedelta(days=OVERLAP_DAYS), end))
        return requests

    # -- the run ----------------------------------------------------------------------------
    def update(self, tickers: list[str], start: date | None, end: date | None, *,
               allow_missing: bool, download: bool, refresh: bool) -> None:
        if not tickers:
            raise CoverageError.from_catalog("zh_hardening.no_tickers_requested")
        entries: dict[str, CacheEntry | None] = {}
        requests: list[_Request] = []
        for t in tickers:
            try:
                entries[t] = self.cache.entry(t)
            except CacheError as exc:
                if not download:
                    raise
                self.warnings.append(catalog_text("zh_hardening.cache_refetch", problem=exc,
                                                  ticker=t))
                entries[t] = None
            requests += self._plan(entries[t], t, start, end, refresh)

        if not download:
            absent = [r.ticker for r in requests if r.kind is _Kind.FULL]
            if absent:
                raise CoverageError.from_catalog("zh_hardening.no_cached_prices",
                                                 tickers=", ".join(absent),
                                                 root=self.cache.root)
            self._progress_all(tickers)
            return

        remaining = {t: sum(r.ticker == t for r in requests) for t in tickers}
        for t in tickers:
            if remaining[t] == 0 and self.progress is not None:
                self.progress(t)

        def done(ticker: str) -> None:
            remaining[ticker] = remaining.get(ticker, 1) - 1
            if remaining[ticker] == 0 and self.progress is not None:
                self.progress(ticker)

        hard: list[TickerFailure] = []
        refetch: list[_Request] = []
        for (r_start, r_end), group in self._batches(requests).items():
            result = self.source.fetch([r.ticker for r in group], r_start, r_end, progress=done)
            self.warnings += result.warnings
            failures = self._failures(result, group)
            for r in group:
                if r.ticker in failures:
                    self._failed(r, failures[r.ticker], entries[r.ticker], hard)
                    continue
                new = result.prices[r.ticker].dropna()
                self._quality_warnings(r.ticker, new)
                if not self._store(r, new):
                    refetch.append(_Request(r.ticker, _Kind.FULL, start, end))
        if refetch:
            for (r_start, r_end), group in self._batches(refetch).items():
                result = self.source.fetch([r.ticker for r in group], r_start, r_end)
                failures = self._failures(result, group)
                for r in group:
                    if r.ticker in failures:
                        self._failed(r, failures[r.ticker], entries[r.ticker], hard)
                    else:
                        self._store(r, result.prices[r.ticker].dropna())

        # In `data fetch` (refresh) the user asked for fresh prices: a failed top-up is fatal
        # too. Either way, what was downloaded before the failure is already saved.
        fatal = list({f.ticker: f for f in hard + (self.topup_failures if refresh else [])
                      }.values())
        if fatal and not allow_missing:
            failed = {f.ticker for f in fatal}
            saved = sum(1 for t in tickers if t not in failed
                        and self.status.get(t) in (TickerStatus.DOWNLOADED,
                                                   TickerStatus.UPDATED))
            raise download_error(fatal, _source_label(self.source), saved)
        for f in hard:
            if f.ticker in self.dropped:
                continue
            self.dropped.append(f.ticker)
            self.status[f.ticker] = TickerStatus.DROPPED
            self.warnings.append(catalog_text("zh_hardening.fetch_dropped", ticker=f.ticker,
                                              kind=_kind_name(f.kind), detail=f.detail))
        if len(self.dropped) == len(tickers):
            raise download_error(hard, _source_label(self.source))

    @staticmethod
    def _failures(result: FetchResult, group: list[_Request]) -> dict[str, TickerFailure]:
        """The source's failures, plus any requested ticker it silently left out."""
        failures = {f.ticker: f for f in result.failures}
        for r in group:
            if r.ticker not in failures and (r.ticker not in result.prices.columns
                                             or result.prices[r.ticker].isna().all()):
                failures[r.ticker] = TickerFailure(
                    r.ticker, FailureKind.NO_DATA, catalog_text("zh_hardening.no_prices_returned"))
        return failures

    def _progress_all(self, tickers: list[str]) -> None:
        if self.progress is not None:
            for t in tickers:
                self.progress(t)

    @staticmethod
    def _batches(requests: list[_Request]) -> Mapping[tuple[date | None, date | None],
                                                      list[_Request]]:
        groups: dict[tuple[date | None, date | None], list[_Request]] = {}
        for r in requests:
            groups.setdefault((r.start, r.end), []).append(r)
        return groups

    def _failed(self, request: _Request, failure: TickerFailure, entry: CacheEntry | None,
                hard: list[TickerFailure]) -> None:
        """A failed full download is fatal (unless allowed missing); a failed top-up keeps the
        cached prices with a warning (and is fatal in ``data fetch``, see ``update``)."""
        if request.kind is _Kind.FULL or entry is None:
            hard.append(failure)
            return
        self.warnings.append(catalog_text(
            "market.topup_older" if request.kind is _Kind.HEAD else "market.topup_newer",
            ticker=request.ticker, source=_source_label(self.source),
            kind=failure.kind.value.replace("_", " "), detail=failure.detail,
            first=entry.first, last=entry.last))
        self.status.setdefault(request.ticker, TickerStatus.KEPT)
        self.topup_failures.append(failure)

    def _quality_warnings(self, ticker: str, series: pd.Series) -> None:
        if series.empty:
            return
        frame = series.to_frame(ticker)
        for issue in check_gaps(frame) + find_spikes(frame):
            self.warnings.append(catalog_text("market.from_source",
                                              source=_source_label(self.source),
                                              message=issue.message))

    def _store(self, request: _Request, new: pd.Series) -> bool:
        """Write the downloaded prices into the cache; False when they cannot be spliced onto
        the cached ones (the history was revised) and a full download is needed."""
        t = request.ticker
        if request.kind is _Kind.FULL:
            self.cache.write(t, new, self.source.name, requested_start=request.start,
                             requested_end=request.end)
            self.status[t] = TickerStatus.DOWNLOADED
            self.new_rows[t] = len(new)
            return True
        old = self.cache.read(t)
        assert old is not None
        merged = splice_adjusted(old, new)
        if merged is None:
            return False
        entry = self.cache.entry(t)
        assert entry is not None
        requested_start, requested_end = entry.requested_start, entry.requested_end
        if request.kind is _Kind.HEAD:
            requested_start = request.start
            requested_end = entry.known_until  # the top end was not asked again
        else:
            requested_end = request.end
        label = entry.source
        if self.source.name not in label.split("+"):
            label = f"{label}+{self.source.name}"
        self.cache.write(t, merged, label, requested_start=requested_start,
                         requested_end=requested_end)
        self.new_rows[t] = self.new_rows.get(t, 0) + max(0, len(merged) - len(old))
        self.status[t] = TickerStatus.UPDATED
        return True
