"""The local price cache: one parquet file per ticker under ``<cache dir>/prices/``.

Why one file per ticker, with its coverage inside it (parquet key-value metadata) rather than
one table plus a separate manifest:
- an update rewrites only the ticker that changed, and a damaged file costs one ticker;
- a file and its coverage (first/last date, rows, last update time, source) are replaced
  together by a single ``os.replace``, so they can never disagree after a crash, which a
  data file plus a manifest written in two steps cannot promise;
- ``status`` reads only the small parquet footers, not the prices.

Writes are atomic (``roboadvisor.data.atomic``): the table goes to a temporary file in the same
directory, is flushed and fsync'ed, gets the mode the umask gives a new file, then is
``os.replace``d over the old file (and the directory is fsync'ed). A crash at any point leaves
either the old file or the new one, never a torn file; stray ``.*.tmp`` files are ignored by
readers and removed by ``clear``.

``write_all`` stores several tickers all or nothing (``data import``): every new file is
written to a temporary file first, then all are renamed in one quick step during which Ctrl-C
waits; an interrupt or error before that step leaves the cache exactly as it was, and a rename
that fails puts back the files already replaced.

An unreadable file raises ``CacheError`` naming the path and the way out (``roboadvisor data
clear`` or fetching the ticker again). A cache directory that is a file raises ``ConfigError``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote, unquote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from roboadvisor.data.atomic import TMP_SUFFIX, atomic_path, fsync_dir, sync_file, temp_path_for
from roboadvisor.data.sources import FailureKind, FetchResult, ProgressCallback, TickerFailure
from roboadvisor.domain.price_checks import DATE_DTYPE
from roboadvisor.errors import CacheError, ConfigError

FORMAT_VERSION = 1
_META_KEY = b"roboadvisor"
_SUFFIX = ".parquet"


@dataclass(frozen=True)
class CacheEntry:
    """What the cache holds for one ticker.

    ``requested_start`` is the start date asked for when the prices were fetched (None: the
    whole history, as Yahoo's ``period="max"`` or a file import), so a later request for an
    earlier start knows whether older prices may exist. ``requested_end`` is the last date asked
    for (None: everything up to the update). ``updated`` is a UTC time.
    """

    ticker: str
    path: Path
    first: date | None
    last: date | None
    rows: int
    updated: datetime
    source: str
    requested_start: date | None = None
    requested_end: date | None = None

    @property
    def known_until(self) -> date:
        """The source was asked for prices up to this date: later dates may exist there."""
        asked = self.updated.date()
        return asked if self.requested_end is None else min(asked, self.requested_end)


_replace = os.replace
"""The rename used to commit staged files (a seam for tests that simulate a failing disk)."""


@dataclass(frozen=True)
class _Staged:
    """A ticker's new file, written to ``tmp`` and waiting to replace ``path``."""

    ticker: str
    tmp: Path
    path: Path
    meta: bytes


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the duration of the block and deliver them after it, so a
    short commit step is never cut in half. Only in the main thread (where handlers live)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None]
    previous = {s: signal.getsignal(s) for s in wanted}
    wanted = [s for s in wanted if previous[s] is not None]  # installed outside Python: leave
    received: list[int] = []

    def hold(signum: int, _frame: object) -> None:
        received.append(signum)

    for s in wanted:
        signal.signal(s, hold)
    try:
        yield
    finally:
        for s in wanted:
            signal.signal(s, previous[s])
    for s in dict.fromkeys(received):
        signal.raise_signal(s)


class PriceCache:
    """Daily adjusted closes kept on disk, per ticker. Also a ``PriceSource`` (offline)."""

    name = "cache"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()
        self.prices_dir = self.root / "prices"
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError(f"the price cache directory {self.root} is a file, not a "
                              "directory; pass --cache-dir (or set ROBOADVISOR_CACHE_DIR) to "
                              "a directory")
        if self.prices_dir.exists() and not self.prices_dir.is_dir():
            raise ConfigError(f"{self.prices_dir} is a file, but the price cache keeps a "
                              "directory there; move the file away or use another --cache-dir")

    # -- paths ------------------------------------------------------------------------------
    def path_for(self, ticker: str) -> Path:
        return self.prices_dir / f"{quote(ticker.upper(), safe='')}{_SUFFIX}"

    def _files(self) -> Iterator[Path]:
        if self.prices_dir.is_dir():
            yield from sorted(p for p in self.prices_dir.iterdir()
                              if p.suffix == _SUFFIX and not p.name.startswith("."))

    # -- reading ----------------------------------------------------------------------------
    def entry(self, ticker: str) -> CacheEntry | None:
        """The coverage of ``ticker`` (footer only), None if not cached; CacheError if the file
        is unreadable."""
        path = self.path_for(ticker)
        if not path.is_file():
            return None
        try:
            meta = pq.read_metadata(path).metadata or {}
        except (pa.ArrowException, OSError) as exc:
            raise self._corrupt(path, ticker, exc) from None
        return self._entry_from_meta(path, ticker, meta)

    def entries(self) -> tuple[list[CacheEntry], list[tuple[Path, str]]]:
        """Every cached ticker, and the files that could not be read (path, reason)."""
        good: list[CacheEntry] = []
        bad: list[tuple[Path, str]] = []
        for path in self._files():
            ticker = unquote(path.name[: -len(_SUFFIX)])
            try:
                entry = self.entry(ticker)
            except CacheError as exc:
                bad.append((path, str(exc)))
                continue
            if entry is not None:
                good.append(entry)
        return good, bad

    def read(self, ticker: str) -> pd.Series | None:
        """The cached prices of ``ticker`` (float64, Date index), None if not cached."""
        path = self.path_for(ticker)
        if not path.is_file():
            return None
        try:
            table = pq.read_table(path)
            self._entry_from_meta(path, ticker, table.schema.metadata or {})
            frame = table.to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise self._corrupt(path, ticker, exc) from None
        if list(frame.columns) != ["Date", "close"]:
            raise self._corrupt(path, ticker,
                                ValueError(f"unexpected columns {list(frame.columns)}"))
        index = pd.DatetimeIndex(frame["Date"]).astype(DATE_DTYPE).rename("Date")
        return pd.Series(frame["close"].to_numpy(dtype="float64"), index=index,
                         name=ticker.upper())

    def fetch(self, tickers: Sequence[str], start: date | None = None, end: date | None = None,
              progress: ProgressCallback | None = None) -> FetchResult:
        """What the cache has for ``tickers`` between ``start`` and ``end`` (PriceSource)."""
        got: dict[str, pd.Series] = {}
        failures: list[TickerFailure] = []
        for ticker in tickers:
            series = self.read(ticker)
            if series is None or series.dropna().empty:
                failures.append(TickerFailure(ticker, FailureKind.NO_DATA, "not in the cache"))
            else:
                got[ticker] = series
            if progress is not None:
                progress(ticker)
        frame = (pd.concat(got, axis=1).sort_index() if got else
                 pd.DataFrame(index=pd.DatetimeIndex([], name="Date", dtype=DATE_DTYPE)))
        frame.index.name = "Date"
        if start is not None:
            frame = frame.loc[frame.index >= pd.Timestamp(start)]
        if end is not None:
            frame = frame.loc[frame.index <= pd.Timestamp(end)]
        return FetchResult(frame.astype("float64"), tuple(failures))

    # -- writing ----------------------------------------------------------------------------
    def write(self, ticker: str, prices: pd.Series, source: str,
              requested_start: date | None = None, requested_end: date | None = None,
              updated: datetime | None = None) -> CacheEntry:
        """Store ``prices`` (NaN dropped) as the whole cached history of ``ticker``, atomically."""
        ticker = ticker.upper()
        table, meta = self._table(ticker, prices, source, requested_start, requested_end,
                                  updated or datetime.now(UTC))
        path = self.path_for(ticker)
        self._make_dir()
        try:
            with atomic_path(path) as tmp:
                pq.write_table(table, tmp)
        except OSError as exc:
            raise self._write_failed(path, exc) from None
        return self._entry_from_meta(path, ticker, {_META_KEY: meta})

    def write_all(self, prices: Mapping[str, pd.Series], source: str,
                  requested_start: date | None = None, requested_end: date | None = None,
                  updated: datetime | None = None) -> list[CacheEntry]:
        """Store several tickers' prices (as ``write``), all or nothing: every file is written
        to a temporary file first, then all replace the cached ones in one quick step (see
        the module docstring). Returns the entries in the order of ``prices``."""
        updated = updated or datetime.now(UTC)
        self._make_dir()
        staged: list[_Staged] = []
        try:
            for ticker, series in prices.items():
                ticker = ticker.upper()
                table, meta = self._table(ticker, series, source, requested_start,
                                          requested_end, updated)
                path = self.path_for(ticker)
                try:
                    tmp = temp_path_for(path)
                    staged.append(_Staged(ticker, tmp, path, meta))
                    pq.write_table(table, tmp)
                    sync_file(tmp)
                except OSError as exc:
                    raise self._write_failed(path, exc) from None
            self._commit(staged)
        finally:
            for s in staged:  # committed ones are gone already
                with contextlib.suppress(OSError):
                    s.tmp.unlink()
        return [self._entry_from_meta(s.path, s.ticker, {_META_KEY: s.meta}) for s in staged]

    def _commit(self, staged: Sequence[_Staged]) -> None:
        """Rename every staged file over its target, Ctrl-C held until done; if a rename fails,
        put back the files already replaced and raise CacheError."""
        existed = {s.path for s in staged if s.path.exists()}
        backups = {s.path: self._backup(s) for s in staged if s.path in existed}
        done: list[_Staged] = []
        try:
            with _interrupts_deferred():
                for s in staged:
                    try:
                        _replace(s.tmp, s.path)
                    except OSError as exc:
                        self._roll_back(done, existed, backups)
                        raise self._write_failed(s.path, exc) from None
                    done.append(s)
        finally:
            for backup in backups.values():
                if backup is not None:
                    with contextlib.suppress(OSError):
                        backup.unlink()
        fsync_dir(self.prices_dir)

    @staticmethod
    def _backup(staged: _Staged) -> Path | None:
        """A hard link to the file ``staged`` will replace, to put it back if the commit fails
        half-way (None where the file system has no hard links)."""
        backup = staged.tmp.with_name(f"{staged.tmp.name[:-len(TMP_SUFFIX)]}.old{TMP_SUFFIX}")
        try:
            os.link(staged.path, backup)
        except OSError:
            return None
        return backup

    @staticmethod
    def _roll_back(done: Sequence[_Staged], existed: set[Path],
                   backups: Mapping[Path, Path | None]) -> None:
        for s in reversed(done):
            backup = backups.get(s.path)
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, s.path)
                elif s.path not in existed:
                    s.path.unlink()

    def _make_dir(self) -> None:
        try:
            self.prices_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"cannot write to the price cache {self.prices_dir} "
                             f"({exc.strerror}); fix its permissions or use --cache-dir"
                             ) from None

    @staticmethod
    def _write_failed(path: Path, exc: OSError) -> CacheError:
        return CacheError(f"cannot write {path} ({exc.strerror or exc}); the previous cached "
                          "prices are unchanged. Free disk space or use --cache-dir")

    @staticmethod
    def _table(ticker: str, prices: pd.Series, source: str, requested_start: date | None,
               requested_end: date | None, updated: datetime) -> tuple[pa.Table, bytes]:
        """The parquet table of one ticker and its coverage metadata."""
        series = prices.dropna().astype("float64").sort_index()
        index = pd.DatetimeIndex(series.index).astype(DATE_DTYPE)
        meta = json.dumps({
            "format": FORMAT_VERSION, "ticker": ticker, "source": source,
            "updated": updated.isoformat(timespec="seconds"),
            "first": index[0].date().isoformat() if len(index) else None,
            "last": index[-1].date().isoformat() if len(index) else None,
            "rows": len(index),
            "requested_start": requested_start.isoformat() if requested_start else None,
            "requested_end": requested_end.isoformat() if requested_end else None,
        }).encode()
        table = pa.table({"Date": pa.array(index.to_numpy(), type=pa.timestamp("us")),
                          "close": pa.array(series.to_numpy(), type=pa.float64())})
        return table.replace_schema_metadata({_META_KEY: meta}), meta

    def clear(self) -> int:
        """Delete every cached price file (and stray temporary files); returns how many
        tickers were removed. Only files this cache wrote are touched."""
        removed = 0
        if not self.prices_dir.is_dir():
            return 0
        for path in list(self.prices_dir.iterdir()):
            is_price = path.suffix == _SUFFIX and not path.name.startswith(".")
            is_tmp = path.name.startswith(".") and path.suffix == TMP_SUFFIX
            if not (is_price or is_tmp) or not path.is_file():
                continue
            try:
                path.unlink()
            except OSError as exc:
                raise CacheError(f"cannot delete {path} ({exc.strerror}); remove it by hand"
                                 ) from None
            removed += is_price
        with contextlib.suppress(OSError):
            self.prices_dir.rmdir()  # only when empty
        return removed

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _corrupt(path: Path, ticker: str, exc: BaseException) -> CacheError:
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        return CacheError(f"cache file {path} is unreadable ({reason}); run `roboadvisor data "
                          f"clear` or `roboadvisor data fetch --tickers {ticker.upper()}` to "
                          "fetch it again")

    def _entry_from_meta(self, path: Path, ticker: str, meta: dict[bytes, bytes]) -> CacheEntry:
        try:
            info = json.loads(meta[_META_KEY])
            if info["format"] != FORMAT_VERSION or info["ticker"] != ticker.upper():
                raise ValueError(f"written for {info['ticker']} in format {info['format']}")
            return CacheEntry(
                ticker=info["ticker"], path=path,
                first=date.fromisoformat(info["first"]) if info["first"] else None,
                last=date.fromisoformat(info["last"]) if info["last"] else None,
                rows=int(info["rows"]),
                updated=datetime.fromisoformat(info["updated"]),
                source=str(info["source"]),
                requested_start=(date.fromisoformat(info["requested_start"])
                                 if info.get("requested_start") else None),
                requested_end=(date.fromisoformat(info["requested_end"])
                               if info.get("requested_end") else None),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise self._corrupt(path, ticker, ValueError(f"bad metadata: {exc}")) from None
