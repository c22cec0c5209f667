"""Alignment policy: which rows of a price table a calculation may use (pure).

Assets start trading on different dates (VEA 2007, BNDX 2013, ...). A window over a set of held
assets starts on the first row where *every* one of them has a price, and ends on the last row
where every one of them has a price:

- no ``start``: the window starts at the latest first date among the tickers;
- an explicit ``start`` before some ticker's first date is an error (``CoverageError``) naming
  the late ticker and its first date, so the user chooses: a later start, or drop the ticker.
  Nothing is back-filled and no ticker is dropped silently;
- no ``end``: the window ends at the earliest last date; if one ticker stops more than
  ``MAX_STALE_DAYS`` calendar days before the others, that is an error naming it (its data is
  stale or it was delisted) unless an explicit ``end`` at or before its last date is given;
- inside the window a missing price (a gap already reported as a warning when the prices were
  loaded) is filled with the last known price: a zero return that day and the whole move on the
  next day with a price, so total returns over the window are preserved.

``splice_adjusted`` joins an older and a newer download of the same adjusted-close series:
adjusted closes are rescaled backwards after every dividend, so the older piece is rescaled by
the ratio observed on the dates both pieces share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from roboadvisor.errors import CoverageError, catalog_text

MAX_STALE_DAYS = 7


@dataclass(frozen=True)
class TickerCoverage:
    """Which dates a ticker has prices for. ``first``/``last`` are None without any price."""

    ticker: str
    first: date | None
    last: date | None
    rows: int


def coverage(prices: pd.DataFrame) -> dict[str, TickerCoverage]:
    """Per ticker (in column order): first and last date with a price, and how many rows."""
    result: dict[str, TickerCoverage] = {}
    for col in prices.columns:
        valid = prices[col].dropna()
        if valid.empty:
            result[str(col)] = TickerCoverage(str(col), None, None, 0)
        else:
            result[str(col)] = TickerCoverage(str(col), valid.index[0].date(),
                                              valid.index[-1].date(), int(valid.size))
    return result


def align_prices(prices: pd.DataFrame, tickers: Sequence[str], start: date | None = None,
                 end: date | None = None) -> pd.DataFrame:
    """The rows of ``prices`` where every ticker has a price (see the module docstring).

    Returns a frame with exactly ``tickers`` as columns and no NaN. Raises ``CoverageError``
    naming the ticker and its dates when the request cannot be met.
    """
    tickers = list(tickers)
    if not tickers:
        raise CoverageError.from_catalog("market.no_tickers")
    absent = [t for t in tickers if t not in prices.columns]
    if absent:
        raise CoverageError.from_catalog("market.no_prices_fetch", tickers=", ".join(absent))
    if start is not None and end is not None and start > end:
        raise CoverageError.from_catalog("market.start_after_end", start=start, end=end)
    cov = coverage(prices[tickers])
    empty = [t for t, c in cov.items() if c.first is None]
    if empty:
        raise CoverageError.from_catalog("market.no_prices", tickers=", ".join(empty))

    latest_first = max(c.first for c in cov.values() if c.first is not None)
    if start is not None:
        late = [c for c in cov.values() if c.first is not None and c.first > start]
        if late:
            late.sort(key=lambda c: c.first or start)
            names = [catalog_text("market.first_price_of", ticker=c.ticker, day=c.first)
                     for c in late]
            raise CoverageError.from_catalog("market.start_before_first", start=start,
                                             names=_joined(names), use=latest_first,
                                             drop=late[-1].ticker)
    window_start = start if start is not None else latest_first

    latest_last = max(c.last for c in cov.values() if c.last is not None)
    earliest = min(cov.values(), key=lambda c: c.last or latest_last)
    assert earliest.last is not None
    if (latest_last - earliest.last).days > MAX_STALE_DAYS and (end is None
                                                                  or end > earliest.last):
        raise CoverageError.from_catalog("market.stale_ticker", ticker=earliest.ticker,
                                         last=earliest.last, others=latest_last)
    window_end = earliest.last if end is None else min(end, earliest.last)

    # Carry prices forward before cutting, so a gap on the window's first day is filled too.
    history = prices.loc[prices.index <= pd.Timestamp(window_end), tickers].ffill()
    frame = history.loc[history.index >= pd.Timestamp(window_start)]
    if frame.empty or frame.isna().any().any():
        raise CoverageError.from_catalog("market.no_common_dates", tickers=", ".join(tickers),
                                         start=window_start, end=window_end)
    return frame.astype("float64")


def splice_adjusted(old: pd.Series, new: pd.Series,
                    tolerance: float = 1e-3) -> pd.Series | None:
    """Join two downloads of one adjusted-close series; the newer wins where both have a price.

    The older piece is multiplied by the median ratio new/old over the shared dates (adjusted
    histories are rescaled after each dividend). Returns None when the ratios disagree by more
    than ``tolerance`` (the history itself was revised: fetch it again in full). Without shared
    dates the pieces are joined as they are when ``new`` starts after ``old`` ends.
    """
    old = old.dropna()
    new = new.dropna()
    if old.empty:
        return new.copy()
    if new.empty:
        return old.copy()
    shared = old.index.intersection(new.index)
    if shared.empty:
        if new.index[0] <= old.index[-1]:
            return None
        factor = 1.0
    else:
        ratios = new.loc[shared].to_numpy(dtype=float) / old.loc[shared].to_numpy(dtype=float)
        factor = float(np.median(ratios))
        if np.max(np.abs(ratios / factor - 1.0)) > tolerance:
            return None
    merged = new.combine_first(old * factor).sort_index()
    return merged.astype("float64")


def _joined(texts: Sequence[object]) -> object:
    """Catalog texts as one list ("a, b, c"; "a、b、c" in Chinese), still localizable."""
    if len(texts) == 1:
        return texts[0]
    return catalog_text("market.list", first=texts[0], rest=_joined(texts[1:]))
