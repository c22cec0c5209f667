"""The local price cache: one parquet file per ticker under ``<cache dir>/prices/``.

Why one file per ticker, with its coverage inside it (parquet key-value metadata) rather than
one table plus a separate manifest:
- an update rewrites only the ticker that changed, and a damaged file costs one ticker;
- a file and its coverage (first/last date, rows, last update time, source) are replaced
  together by a single ``os.replace``, so they can never disagree after a crash, which a
  data file plus a manifest written in two steps cannot promise;
- ``status`` reads only the small parquet footers, not the prices.

Writes are atomic: the table goes to a temporary file in the same directory, is flushed and
fsync'ed, then ``os.replace``d over the old file (and the directory is fsync'ed). A crash at
any point leaves either the old file or the new one, never a torn file; stray ``*.tmp`` files
are ignored by readers and removed by ``clear``. An unreadable file raises ``CacheError``
naming the path and the way out (``roboadvisor data clear`` or fetching the ticker again).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote, unquote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from roboadvisor.data.sources import FailureKind, FetchResult, ProgressCallback, TickerFailure
from roboadvisor.domain.price_checks import DATE_DTYPE
from roboadvisor.errors import CacheError

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


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class PriceCache:
    """Daily adjusted closes kept on disk, per ticker. Also a ``PriceSource`` (offline)."""

    name = "cache"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()
        self.prices_dir = self.root / "prices"

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
        series = prices.dropna().astype("float64").sort_index()
        index = pd.DatetimeIndex(series.index).astype(DATE_DTYPE)
        updated = updated or datetime.now(UTC)
        meta = {
            "format": FORMAT_VERSION, "ticker": ticker, "source": source,
            "updated": updated.isoformat(timespec="seconds"),
            "first": index[0].date().isoformat() if len(index) else None,
            "last": index[-1].date().isoformat() if len(index) else None,
            "rows": len(index),
            "requested_start": requested_start.isoformat() if requested_start else None,
            "requested_end": requested_end.isoformat() if requested_end else None,
        }
        table = pa.table({"Date": pa.array(index.to_numpy(), type=pa.timestamp("us")),
                          "close": pa.array(series.to_numpy(), type=pa.float64())})
        table = table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
        path = self.path_for(ticker)
        self._atomic_write(path, table)
        return self._entry_from_meta(path, ticker, {_META_KEY: json.dumps(meta).encode()})

    def _atomic_write(self, path: Path, table: pa.Table) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.",
                                            suffix=".tmp")
        except OSError as exc:
            raise CacheError(f"cannot write to the price cache {path.parent} "
                             f"({exc.strerror}); fix its permissions or use --cache-dir") from None
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                pq.write_table(table, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise CacheError(f"cannot write {path} ({exc.strerror or exc}); the previous "
                             "cached prices are unchanged. Free disk space or use "
                             "--cache-dir") from None
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        _fsync_dir(path.parent)

    def clear(self) -> int:
        """Delete every cached price file (and stray temporary files); returns how many
        tickers were removed. Only files this cache wrote are touched."""
        removed = 0
        if not self.prices_dir.is_dir():
            return 0
        for path in list(self.prices_dir.iterdir()):
            is_price = path.suffix == _SUFFIX and not path.name.startswith(".")
            is_tmp = path.name.startswith(".") and path.suffix == ".tmp"
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
