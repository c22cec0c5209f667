"""Frozen values the book hands across layers: clients, assessments, accounts, cash flows,
advice records. Money is in the account's currency (Decimal); shares are Decimal so that whole
and fractional positions are exact; weights and thresholds are decimals (0.03 = 3%)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class RecordKind(StrEnum):
    """What an advice record is about."""

    CLIENT = "client"
    ASSESSMENT = "assessment"
    ALLOCATION = "allocation"
    OVERRIDE = "override"
    ACCOUNT = "account"
    REPORT = "report"
    HOLDINGS = "holdings"
    CASH_FLOW = "cash_flow"
    ERASURE = "erasure"
    MODEL = "model"
    REBALANCE = "rebalance"


class FlowKind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"


class FlowStatus(StrEnum):
    """A cash flow is pending until a rebalance applies it to the account's cash."""

    PENDING = "pending"
    APPLIED = "applied"


@dataclass(frozen=True)
class Client:
    """A client. ``name`` and ``birth_date`` are personal data: decrypted only when the key is
    present (``personal_available``); None after erasure."""

    id: str
    created_at: datetime
    erased_at: datetime | None = None
    name: str | None = field(default=None, repr=False)
    birth_date: date | None = field(default=None, repr=False)
    personal_available: bool = True

    @property
    def erased(self) -> bool:
        return self.erased_at is not None


@dataclass(frozen=True)
class StoredAssessment:
    """An assessment as kept in the book: scores and tier (not personal), answers only as their
    hash (the encrypted answers stay in the store)."""

    id: int
    client_id: str
    questionnaire_id: str
    questionnaire_version: int
    questionnaire_sha256: str
    answers_sha256: str
    tolerance_score: float
    capacity_score: float
    combined_score: float
    score_tier: int
    tier: int
    lowest: bool
    assessed_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class Account:
    """An account of one client: the tier in force, cash and positions (shares per ticker)."""

    id: str
    client_id: str
    tier: int
    above_level: bool
    opened_at: datetime
    cash: Decimal
    positions: dict[str, Decimal]
    allow_fractional: bool = False
    drift_threshold: Decimal = Decimal("0.03")
    model_version: int | None = None
    cash_reserve: Decimal = Decimal(0)
    """Cash kept out of the market (currency): the target invests value minus the reserve."""
    min_trade: Decimal | None = None
    """The account's minimum order value (currency); None: the run's minimum trade."""


@dataclass(frozen=True)
class CashFlow:
    id: int
    account_id: str
    kind: FlowKind
    amount: Decimal
    on: date
    status: FlowStatus


@dataclass(frozen=True)
class Record:
    """One link of the advice record chain. ``body`` is the canonical JSON text hashed."""

    seq: int
    kind: RecordKind
    created_at: datetime
    client_id: str | None
    account_id: str | None
    body: str
    prev_hash: str
    hash: str

    def content(self) -> dict[str, Any]:
        import json

        return dict(json.loads(self.body))


@dataclass(frozen=True)
class ModelTier:
    """One tier of a model version: ``weights`` (ticker -> decimal, sum to 1), annualised
    ``expected_return`` and ``volatility``, the ``binding`` constraints ("kind:name" -> the
    limit, a decimal; kinds of ``explain.ConstraintKind``) and the
    per-asset estimates it was optimised on (``asset_returns``, ``asset_volatility``)."""

    tier: int
    weights: dict[str, float]
    expected_return: float
    volatility: float
    binding: dict[str, float]
    asset_returns: dict[str, float]
    asset_volatility: dict[str, float]


@dataclass(frozen=True)
class ModelVersion:
    """Version N of the model portfolios: the five tiers, the hashes of every input, the
    digest of the tiers (equal digests: the same models) and the record that announced it."""

    version: int
    created_at: datetime
    source: str
    note: str | None
    inputs: dict[str, str]
    digest: str
    record_seq: int
    tiers: dict[int, ModelTier]
    lowest: ModelTier | None = None
    """The lowest category's (C1-lowest) portfolio: R1 products only under tier 1's policy
    (stored as tier 0; None in versions published before it existed)."""
