"""View models: the facts of a result, built once and rendered three ways (Rich, JSON, HTML).

Frozen dataclasses of plain values (numbers as decimals, dates as ISO strings); texts that
depend on the language are not stored here but made by the renderers from the catalog, except
the few sentences the domain already writes (explanation summary, profile explanation), which
are built in the requested language. ``record(view)`` is the JSON form of any of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any


@dataclass(frozen=True)
class YearBand:
    """Wealth percentiles at the end of ``year`` (money; today's money with inflation)."""

    year: int
    p5: float
    p25: float
    p50: float
    p75: float
    p95: float


@dataclass(frozen=True)
class ProjectionView:
    """A projection's figures. Rates are decimals a year; money in the amounts' currency."""

    tier: int
    model: str
    paths: int
    seed: int
    years: int
    amount: float
    monthly: float
    withdraw_monthly: float
    inflation: float | None
    fund_cost: float
    advisory_fee: float
    total_cost: float
    goal: float | None
    goal_probability: float | None
    target_probability: float
    saving_needed: float | None
    depleted_share: float | None
    median_depletion_year: float | None
    history_window: str | None
    bad_year: float
    bad_year_model: str
    bands: tuple[YearBand, ...]

    @property
    def real_terms(self) -> bool:
        return self.inflation is not None

    @property
    def final(self) -> YearBand:
        return self.bands[-1]


@dataclass(frozen=True)
class ProfileView:
    """The client's risk profile: both scores, the rule that decided, the tier."""

    tolerance_score: float
    capacity_score: float
    combined_score: float
    combining_rule: str
    limiting_factor: str
    score_tier: int
    tier: int
    tier_label: str
    suitability_level: str
    max_product_risk: str
    knockouts: tuple[str, ...]
    flags: tuple[str, ...]
    explanation: tuple[str, ...]
    questionnaire: str
    assessed_at: str
    answers_sha256: str


@dataclass(frozen=True)
class Holding:
    """One held ETF."""

    ticker: str
    name: str
    asset_class: str
    region: str
    weight: float
    expense_ratio: float
    risk_level: str
    risk_share: float


@dataclass(frozen=True)
class ClassShare:
    """An asset class's share of the money and of the risk."""

    name: str
    weight: float
    risk_share: float


@dataclass(frozen=True)
class PortfolioView:
    """The portfolio and why it looks that way."""

    tier: int
    tier_label: str
    policy: str
    expected_return: float
    volatility: float
    sharpe_ratio: float
    risk_free_rate: float
    estimates: str
    holdings: tuple[Holding, ...]
    classes: tuple[ClassShare, ...]
    binding: tuple[str, ...]
    excluded: tuple[str, ...]
    summary: str
    fund_cost: float


@dataclass(frozen=True)
class Drawdown:
    """A fall from a peak (``depth`` negative decimal) and its dates (``end`` None: not yet
    recovered)."""

    start: str
    trough: str
    end: str | None
    depth: float


@dataclass(frozen=True)
class BacktestView:
    """The tier held on real history against its benchmark (both start at 1.0)."""

    name: str
    start: str
    end: str
    rule: str
    dates: tuple[str, ...]
    wealth: tuple[float, ...]
    benchmark: str | None
    benchmark_wealth: tuple[float | None, ...] | None
    cagr: float
    volatility: float
    max_drawdown: float
    benchmark_cagr: float | None
    benchmark_volatility: float | None
    benchmark_max_drawdown: float | None
    drawdowns: tuple[Drawdown, ...]


@dataclass(frozen=True)
class ReportView:
    """Everything in the client report."""

    lang: str
    created: str
    profile: ProfileView | None
    portfolio: PortfolioView
    backtest: BacktestView | None
    projection: ProjectionView
    audit_key: str | None
    notes: tuple[str, ...] = ()
    book: BookView | None = None
    """For a client or account of the book: ids, records and holdings (no personal data)."""


@dataclass(frozen=True)
class PositionLine:
    """One line of an account against the portfolio: shares (exact, as text), last close,
    value (money), weight of the account's total and the target weight (decimals)."""

    ticker: str
    shares: str
    price: float | None
    value: float | None
    weight: float | None
    target: float


@dataclass(frozen=True)
class HoldingsView:
    """An account's holdings against the report's portfolio (``total`` None: not valued,
    ``unpriced`` names the tickers without a price)."""

    account_id: str
    tier: int
    above_level: bool
    cash: float
    total: float | None
    prices_as_of: str | None
    lines: tuple[PositionLine, ...]
    unpriced: tuple[str, ...]


@dataclass(frozen=True)
class BookView:
    """Where the report stands in the client book: the ids, the assessment used (expired or
    not), the records it rests on and the report's own record (its number and the hash it
    follows in the chain)."""

    client_id: str
    account_id: str | None
    assessment_id: int
    assessed_at: str
    expires_at: str
    expired: bool
    assessment_record: int | None
    assessment_record_hash: str | None
    report_record: int | None = None
    previous_hash: str | None = None
    holdings: HoldingsView | None = None


def record(view: Any) -> Any:
    """The JSON-safe form of a view (dataclasses -> dicts, enums -> values, tuples -> lists)."""
    if dataclasses.is_dataclass(view) and not isinstance(view, type):
        return {f.name: record(getattr(view, f.name)) for f in dataclasses.fields(view)}
    if isinstance(view, Enum):
        return view.value
    if isinstance(view, tuple | list):
        return [record(v) for v in view]
    if isinstance(view, dict):
        return {str(k): record(v) for k, v in view.items()}
    return view
