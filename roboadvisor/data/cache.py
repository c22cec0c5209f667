"""The local price cache: one parquet file per ticker, in generations switched by one rename.

Layout::

    <cache dir>/prices         a symbolic link to the current generation, e.g. gen-000007
    <cache dir>/gen-000007/    VTI.parquet, AGG.parquet, ... (one file per ticker)
    <cache dir>/.lock          held (``filelock``) by the one process writing the cache

Why one file per ticker, with its coverage inside it (parquet key-value metadata): a damaged file
costs one ticker, a file and its coverage can never disagree, and ``status`` reads only the small
parquet footers.

Why generations: a write (``data import`` of many tickers, or one ticker fetched) never touches
the files readers use. It builds the next generation beside the current one (hard links to the
unchanged files, new files written and fsync'ed), then switches the ``prices`` link to it with a
single ``os.replace`` of a new link over the old one. A crash or ``kill -9`` at any moment
leaves the ``prices`` link naming either the old generation or the new one, complete, never a
mix. What a crash leaves behind (an unfinished generation, a temporary link, ``.tmp`` files) is
removed by the next command that opens the cache (``tidy``); ``verify`` reports problems for
``data status``. Two writers never interleave: the second is refused while the first holds the
lock. A cache written by an older version (``prices`` a plain directory) becomes generation 0
on its first write.

An unreadable file raises ``CacheError`` naming the path and the way out (``roboadvisor data
clear`` or fetching the ticker again). A cache directory that is a file raises ``ConfigError``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
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

from roboadvisor.data.atomic import TMP_SUFFIX, default_file_mode, fsync_dir, sync_file
from roboadvisor.data.sources import FailureKind, FetchResult, ProgressCallback, TickerFailure
from roboadvisor.domain.price_checks import DATE_DTYPE
from roboadvisor.domain.tickers import is_ticker
from roboadvisor.errors import CacheError, ConfigError, catalog_text, reason, shown

FORMAT_VERSION = 1
_META_KEY = b"roboadvisor"
_SUFFIX = ".parquet"
_LINK = "prices"
_LOCK = ".lock"
_GENERATION = re.compile(r"gen-(\d{6})")
_TMP_LINK_PREFIX = ".prices."


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


def _replace(src: Path, dst: Path) -> None:
    """The one rename that switches generations (a seam for tests of a failing disk)."""
    os.replace(src, dst)


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
        self.tidied = 0
        self.root = Path(root).expanduser()
        self.prices_dir = self.root / _LINK
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError.from_catalog("cache.root_is_file", root=self.root)
        if self.prices_dir.exists() and not self.prices_dir.is_dir():
            raise ConfigError.from_catalog("cache.prices_is_file", path=self.prices_dir)

    # -- paths ------------------------------------------------------------------------------
    def path_for(self, ticker: str) -> Path:
        name = ticker.upper()
        if not is_ticker(name):
            raise ConfigError.from_catalog("market.bad_ticker", value=shown(ticker))
        return self.prices_dir / f"{quote(name, safe='')}{_SUFFIX}"

    def _files(self) -> Iterator[Path]:
        if self.prices_dir.is_dir():
            yield from sorted(p for p in self.prices_dir.iterdir()
                              if p.suffix == _SUFFIX and not p.name.startswith("."))

    def _current(self) -> Path | None:
        """The directory the ``prices`` link names (or the legacy plain directory)."""
        if self.prices_dir.is_symlink():
            return self.root / os.readlink(self.prices_dir)
        return self.prices_dir if self.prices_dir.is_dir() else None

    def _generations(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir()
                      if _GENERATION.fullmatch(p.name) and p.is_dir() and not p.is_symlink())

    # -- locking and tidying -------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cache's write lock; CacheError at once if another process holds it."""
        from filelock import FileLock, Timeout

        self._make_root()
        lock = FileLock(str(self.root / _LOCK), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise CacheError.from_catalog("data.cache_busy", root=self.root) from None
        try:
            yield
        finally:
            lock.release()

    def litter(self) -> list[Path]:
        """What an interrupted write left behind: generations the link does not name,
        temporary links, ``.tmp`` files in the current generation."""
        if not self.root.is_dir():
            return []
        current = self._current()
        found = [g for g in self._generations() if current is None or g != current]
        found += [p for p in self.root.iterdir()
                  if p.name.startswith(_TMP_LINK_PREFIX) and p.name.endswith(TMP_SUFFIX)]
        if current is not None and current.is_dir():
            found += [p for p in current.iterdir()
                      if p.name.startswith(".") and p.name.endswith(TMP_SUFFIX)]
        return sorted(found)

    def tidy(self) -> int:
        """Remove what an interrupted write left behind (see ``litter``), unless another
        process is writing now. Returns how many leftovers were removed."""
        if not self.root.is_dir():
            return 0
        try:
            with self.locked():
                return self._remove_litter()
        except (CacheError, OSError):
            return 0  # a writer is busy (its generation is not litter), or a read-only cache

    def _remove_litter(self) -> int:
        if self._current() is None and not self.prices_dir.is_symlink():
            generations = self._generations()
            if generations:  # a crash between the two migration renames: the newest is whole
                self._switch(generations[-1])
        removed = 0
        for path in self.litter():
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed += 1
        return removed

    def verify(self) -> list[str]:
        """Problems a reader would meet, one line each (``data status``)."""
        problems: list[str] = []
        if self.prices_dir.is_symlink() and not self.prices_dir.is_dir():
            problems.append(catalog_text("zh_hardening.c_dangling", path=self.prices_dir,
                                         target=os.readlink(self.prices_dir)))
        problems += [catalog_text("zh_hardening.c_leftover", path=p) for p in self.litter()]
        return problems

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
                bad.append((path, reason(exc)))
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
                                ValueError(catalog_text("zh_hardening.c_columns",
                                                        columns=shown(list(frame.columns)))))
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
                failures.append(TickerFailure(ticker, FailureKind.NO_DATA,
                                              catalog_text("zh_hardening.c_not_cached")))
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
        """Store ``prices`` (NaN dropped) as the whole cached history of ``ticker``, atomically
        (a new generation, see the module docstring)."""
        return self.write_all({ticker: prices}, source, requested_start, requested_end,
                              updated)[0]

    def write_all(self, prices: Mapping[str, pd.Series], source: str,
                  requested_start: date | None = None, requested_end: date | None = None,
                  updated: datetime | None = None) -> list[CacheEntry]:
        """Store several tickers' prices (each the ticker's whole cached history), all or
        nothing: a new generation holding them and every other cached ticker replaces the
        current one in one rename. Returns the entries in the order of ``prices``."""
        updated = updated or datetime.now(UTC)
        staged = []
        for ticker, series in prices.items():
            path = self.path_for(ticker)  # refuses names that are not tickers
            table, meta = self._table(ticker.upper(), series, source, requested_start,
                                      requested_end, updated)
            staged.append((ticker.upper(), path.name, table, meta))
        with self.locked():
            self._remove_litter()
            current = self._current()
            new = self._next_generation()
            try:
                self._build(new, current, staged)
                with _interrupts_deferred():
                    self._switch(new)
            except BaseException:
                with contextlib.suppress(OSError):
                    shutil.rmtree(new)
                raise
            if current == self.prices_dir:  # the legacy directory became generation 0
                current = self.root / "gen-000000"
            if current is not None:
                self._drop(current)
        return [self._entry_from_meta(self.prices_dir / name, ticker, {_META_KEY: meta})
                for ticker, name, _, meta in staged]

    def _next_generation(self) -> Path:
        numbers = [int(_GENERATION.fullmatch(g.name).group(1))  # type: ignore[union-attr]
                   for g in self._generations()]
        new = self.root / f"gen-{max(numbers, default=0) + 1:06d}"
        try:
            new.mkdir()
        except OSError as exc:
            raise CacheError.from_catalog("cache.not_writable", root=self.root,
                                          reason=exc.strerror) from None
        return new

    def _build(self, new: Path, current: Path | None,
               staged: Sequence[tuple[str, str, pa.Table, bytes]]) -> None:
        """Fill ``new``: links to the current files not being replaced, then the new files,
        each fsync'ed."""
        replaced = {name for _, name, _, _ in staged}
        if current is not None and current.is_dir():
            for old in current.iterdir():
                if old.suffix != _SUFFIX or old.name.startswith(".") or old.name in replaced:
                    continue
                try:
                    os.link(old, new / old.name)
                except OSError:
                    shutil.copy2(old, new / old.name)
        for _, name, table, _ in staged:
            target = new / name
            try:
                pq.write_table(table, target)
                sync_file(target)
                os.chmod(target, default_file_mode())
            except OSError as exc:
                raise self._write_failed(target, exc) from None
        fsync_dir(new)

    def _switch(self, new: Path) -> None:
        """Point the ``prices`` link at ``new`` with one rename (a legacy plain directory
        becomes a generation first)."""
        if self.prices_dir.is_dir() and not self.prices_dir.is_symlink():
            legacy = self.root / "gen-000000"
            os.replace(self.prices_dir, legacy)  # a crash here: tidy links it back
        tmp = self.root / f"{_TMP_LINK_PREFIX}{new.name}{TMP_SUFFIX}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(new.name, tmp)
        try:
            _replace(tmp, self.prices_dir)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise self._write_failed(self.prices_dir, exc) from None
        fsync_dir(self.root)

    def _drop(self, generation: Path) -> None:
        """Remove a generation no longer named (best effort; ``tidy`` retries)."""
        if generation == self._current():
            return
        for path in list(generation.iterdir()) if generation.is_dir() else []:
            if path.suffix in (_SUFFIX, TMP_SUFFIX) and path.is_file():
                with contextlib.suppress(OSError):
                    path.unlink()
        with contextlib.suppress(OSError):
            generation.rmdir()  # only when empty: files we did not write stay

    def _make_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError.from_catalog("cache.not_writable", root=self.root,
                                          reason=exc.strerror) from None

    @staticmethod
    def _write_failed(path: Path, exc: OSError) -> CacheError:
        return CacheError.from_catalog("cache.write_failed", path=path,
                                       reason=exc.strerror or exc)

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
        """Delete every cached price (every generation, the link, stray temporary files);
        returns how many tickers were removed. Only files this cache wrote are touched."""
        if not self.root.is_dir():
            return 0
        with self.locked():
            removed = len(list(self._files()))
            current = self._current()
            if self.prices_dir.is_symlink():
                self.prices_dir.unlink()
            dirs = self._generations() + ([current] if current is not None else [])
            for directory in dict.fromkeys(dirs):
                for path in list(directory.iterdir()):
                    ours = (path.suffix == _SUFFIX
                            or (path.name.startswith(".") and path.suffix == TMP_SUFFIX))
                    if not ours or not path.is_file():
                        continue
                    try:
                        path.unlink()
                    except OSError as exc:
                        raise CacheError.from_catalog("cache.cannot_delete", path=path,
                                                      reason=exc.strerror) from None
                with contextlib.suppress(OSError):
                    directory.rmdir()  # only when empty
            self._remove_litter()
        return removed

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _corrupt(path: Path, ticker: str, exc: BaseException) -> CacheError:
        said = reason(exc)
        if not hasattr(said, "localized"):  # a library's own words, cut to one short line
            said = " ".join(str(exc).split())[:120] or type(exc).__name__
        return CacheError.from_catalog("cache.unreadable", path=path, reason=said,
                                       ticker=ticker.upper())

    def _entry_from_meta(self, path: Path, ticker: str, meta: dict[bytes, bytes]) -> CacheEntry:
        try:
            info = json.loads(meta[_META_KEY])
            if info["format"] != FORMAT_VERSION or info["ticker"] != ticker.upper():
                raise ValueError(catalog_text("zh_hardening.c_written_for",
                                              ticker=shown(info["ticker"]),
                                              format=shown(info["format"])))
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
            raise self._corrupt(path, ticker, ValueError(catalog_text(
                "zh_hardening.c_bad_metadata", problem=reason(exc)))) from None
