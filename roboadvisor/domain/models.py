"""Domain values shared across layers: tiers, assets, universes, estimates, allocations.

Pure data: no I/O. Units follow the package conventions (decimals, annualised; weights sum to 1).
Area-specific values live beside the code that makes them (``scoring``, ``policy``, ``backtest``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import numpy as np

from roboadvisor.errors import UniverseError, catalog_text, shown


class Tier(IntEnum):
    """Five risk tiers. Tier k maps to investor suitability level Ck: under portfolio
    suitability its portfolio must rate R1..Rk as a whole; under holdings suitability it may
    hold products of risk level R1..Rk only (see ``domain.suitability``)."""

    CONSERVATIVE = 1
    MODERATELY_CONSERVATIVE = 2
    BALANCED = 3
    GROWTH = 4
    AGGRESSIVE = 5

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()

    @property
    def suitability_level(self) -> str:
        """The investor suitability level, 'C1'..'C5'."""
        return f"C{self.value}"

    @property
    def max_product_risk(self) -> int:
        """The highest risk level (1..5, i.e. R1..R5) of this tier's portfolio (portfolio
        suitability) or of any product it holds (holdings suitability)."""
        return int(self.value)

    @classmethod
    def parse(cls, value: int | str) -> Tier:
        """A tier from 1..5, 'C3', or a name such as 'balanced'."""
        text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        if text.startswith("c") and text[1:].isdigit():
            text = text[1:]
        if text.isdigit() and 1 <= int(text) <= 5:
            return cls(int(text))
        for tier in cls:
            if tier.name.lower() == text:
                return tier
        raise ValueError(catalog_text("zh_hardening.unknown_tier", value=shown(value),
                                      names=", ".join(t.name.lower() for t in cls)))


class AssetClass(StrEnum):
    """Broad asset classes; tier policies bound the weight of each."""

    EQUITY = "equity"
    REAL_ESTATE = "real_estate"
    FIXED_INCOME = "fixed_income"
    COMMODITY = "commodity"
    CASH = "cash"


class Region(StrEnum):
    """Where an asset's exposure lies; policies may bound the weight of each."""

    US = "us"
    DEVELOPED_EX_US = "developed_ex_us"
    EMERGING = "emerging"
    CHINA = "china"
    GLOBAL = "global"


@dataclass(frozen=True)
class Asset:
    """One investable product (an ETF).

    ``expense_ratio`` is a decimal per year (0.0003 = 3 bp). ``risk_level`` is the product risk
    level 1..5 (R1..R5). ``min_weight``/``max_weight`` bound its weight (0..1).
    ``market_weight`` is its share of the global market portfolio, used for equilibrium returns.
    """

    ticker: str
    name: str
    asset_class: AssetClass
    region: Region
    currency: str
    expense_ratio: float
    risk_level: int
    min_weight: float = 0.0
    max_weight: float = 1.0
    market_weight: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Universe:
    """An ordered set of assets with unique tickers. The order is the order of every weight
    vector and matrix built from it."""

    name: str
    assets: tuple[Asset, ...]
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.assets:
            raise UniverseError.from_catalog("zh_hardening.universe_empty", name=shown(self.name))
        index: dict[str, int] = {}
        for i, asset in enumerate(self.assets):
            if asset.ticker in index:
                raise UniverseError.from_catalog("zh_hardening.universe_ticker_twice",
                                                 name=shown(self.name), ticker=asset.ticker)
            index[asset.ticker] = i
        object.__setattr__(self, "_index", index)

    @property
    def tickers(self) -> tuple[str, ...]:
        return tuple(a.ticker for a in self.assets)

    def __len__(self) -> int:
        return len(self.assets)

    def __iter__(self) -> Iterator[Asset]:
        return iter(self.assets)

    def __contains__(self, ticker: object) -> bool:
        return ticker in self._index

    def index(self, ticker: str) -> int:
        return self._index[ticker]

    def get(self, ticker: str) -> Asset:
        try:
            return self.assets[self._index[ticker]]
        except KeyError:
            raise UniverseError.from_catalog("zh_hardening.not_in_universe", ticker=ticker,
                                             name=shown(self.name),
                                             known=", ".join(self.tickers)) from None

    def subset(self, tickers: tuple[str, ...] | list[str]) -> Universe:
        """The same universe restricted to ``tickers`` (kept in universe order)."""
        wanted = set(tickers)
        for t in wanted:
            self.get(t)
        return Universe(self.name, tuple(a for a in self.assets if a.ticker in wanted))

    def market_weights(self) -> np.ndarray | None:
        """Market-portfolio weights normalised to sum to 1, or None when any is missing."""
        values = [a.market_weight for a in self.assets]
        if any(v is None for v in values):
            return None
        w = np.asarray(values, dtype=float)
        return w / w.sum()


@dataclass(frozen=True, eq=False)
class Estimates:
    """Inputs of the optimiser for one universe, in universe order.

    ``expected_returns``: annualised arithmetic expected returns (decimals), shape (n,).
    ``covariance``: annualised covariance of returns, shape (n, n), symmetric positive definite.
    ``risk_free_rate``: annualised decimal. ``source``: how they were made, for the record.
    """

    tickers: tuple[str, ...]
    expected_returns: np.ndarray
    covariance: np.ndarray
    risk_free_rate: float
    source: str
    as_of: str | None = None

    def __post_init__(self) -> None:
        n = len(self.tickers)
        if self.expected_returns.shape != (n,) or self.covariance.shape != (n, n):
            raise ValueError(
                f"estimates for {n} tickers need returns of shape ({n},) and covariance "
                f"({n}, {n}); got {self.expected_returns.shape} and {self.covariance.shape}")

    @property
    def volatilities(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))

    def subset(self, tickers: tuple[str, ...]) -> Estimates:
        idx = [self.tickers.index(t) for t in tickers]
        return Estimates(tuple(tickers), self.expected_returns[idx],
                         self.covariance[np.ix_(idx, idx)], self.risk_free_rate,
                         self.source, self.as_of)


@dataclass(frozen=True, eq=False)
class Allocation:
    """A portfolio: weights (sum to 1, long-only) over ``tickers`` with its ex-ante figures.

    ``expected_return`` and ``volatility`` are annualised decimals from the estimates used.
    ``notes``: what the user should know about how it was found (e.g. a fallback).
    """

    tickers: tuple[str, ...]
    weights: np.ndarray
    expected_return: float
    volatility: float
    risk_free_rate: float
    notes: tuple[str, ...] = ()

    @property
    def sharpe_ratio(self) -> float:
        if self.volatility <= 0:
            return float("nan")
        return (self.expected_return - self.risk_free_rate) / self.volatility

    def as_dict(self, min_weight: float = 0.0) -> dict[str, float]:
        """Ticker -> weight, keeping weights above ``min_weight``."""
        return {t: float(w) for t, w in zip(self.tickers, self.weights, strict=True)
                if w > min_weight}
