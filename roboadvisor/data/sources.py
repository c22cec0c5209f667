"""Where daily adjusted closes come from: one small interface, several implementations.

- ``roboadvisor.data.yahoo.YahooSource``: downloads from Yahoo Finance (yfinance);
- ``roboadvisor.data.cache.PriceCache``: the local parquet cache (offline);
- ``roboadvisor.data.price_files.PriceFileSource``: a user's CSV or parquet file.

A source never returns a silently partial answer: every requested ticker is either a column of
``FetchResult.prices`` or a ``TickerFailure`` saying why not. What to do about failures (stop,
or drop with a warning) is the caller's decision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

ProgressCallback = Callable[[str], None]
"""Called once per ticker, after it is done (for progress bars)."""


class FailureKind(StrEnum):
    """Why a source has no usable prices for a ticker."""

    NETWORK = "network"          # could not reach the source (offline, DNS, timeout)
    RATE_LIMIT = "rate_limit"    # the source refused: too many requests, retries exhausted
    NO_DATA = "no_data"          # the source answered without prices (wrong or delisted ticker)
    STALE = "stale"              # prices stop well before the requested end
    ERROR = "error"              # anything else the source reported


@dataclass(frozen=True)
class TickerFailure:
    ticker: str
    kind: FailureKind
    detail: str


@dataclass(frozen=True, eq=False)
class FetchResult:
    """Prices (Date index ascending, tz-naive; one float64 column per ticker that succeeded,
    NaN before its first date), the tickers that failed, and warnings about the data."""

    prices: pd.DataFrame
    failures: tuple[TickerFailure, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(f.ticker for f in self.failures)


@runtime_checkable
class PriceSource(Protocol):
    """Anything that can produce daily adjusted closes for tickers between two dates.

    ``start``/``end`` are inclusive; None means "from the first available date" and "up to the
    latest available date". ``name`` is recorded in the cache as the prices' source.
    """

    name: str

    def fetch(self, tickers: Sequence[str], start: date | None = None,
              end: date | None = None,
              progress: ProgressCallback | None = None) -> FetchResult:
        ...
