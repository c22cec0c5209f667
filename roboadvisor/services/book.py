"""Use cases of the client book: clients, assessments, accounts, cash flows, records.

Every function receives the repositories of one transaction (``Book``) and the time ``now``
(UTC); it never opens files or reads the environment. Errors are one line naming the id to fix.
Records are built in ``book_records`` from the same facts the terminal shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from roboadvisor.book.models import (
    Account,
    CashFlow,
    Client,
    FlowKind,
    Record,
    RecordKind,
    StoredAssessment,
)
from roboadvisor.book.repositories import Book
from roboadvisor.domain.limits import MAX_MONEY, money_ok
from roboadvisor.errors import BookError
from roboadvisor.services import book_records as records

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DEFAULT_DRIFT = Decimal("0.03")
MAX_AGE_YEARS = 130
"""A birth date is today or earlier and at most this many years ago."""


@dataclass(frozen=True)
class ClientView:
    """A client with the latest assessment (or None), whether it expired, and the accounts."""

    client: Client
    assessment: StoredAssessment | None
    expired: bool
    accounts: tuple[Account, ...]


@dataclass(frozen=True)
class AccountView:
    account: Account
    assessment: StoredAssessment | None
    expired: bool
    flows: tuple[CashFlow, ...]


# --- clients ------------------------------------------------------------------------------------
def add_client(book: Book, client_id: str, name: str | None, birth_date: date | None,
               now: datetime) -> tuple[Client, Record]:
    _check_id(client_id, "client")
    if birth_date is not None and not (
            now.date().replace(year=now.year - MAX_AGE_YEARS, day=min(now.day, 28))
            <= birth_date <= now.date()):
        raise BookError.from_catalog("book.birth_date_range", value=birth_date.isoformat(),
                                     years=MAX_AGE_YEARS)
    if book.clients.get(client_id) is not None:
        raise BookError.from_catalog("book.client_exists", id=client_id)
    client = book.clients.add(client_id, name, birth_date, now)
    return client, book.records.append(RecordKind.CLIENT, client_id, None,
                                       records.client_added(client), now)


def client(book: Book, client_id: str) -> Client:
    found = book.clients.get(client_id)
    if found is None:
        raise BookError.from_catalog("book.client_unknown", id=client_id)
    return found


def live_client(book: Book, client_id: str) -> Client:
    found = client(book, client_id)
    if found.erased:
        raise BookError.from_catalog("book.client_erased", id=client_id)
    return found


def valid_assessment(book: Book, client_id: str, now: datetime) -> StoredAssessment:
    """The client's latest assessment; refused when there is none or it has expired (nothing
    may be advised on an expired profile until the client is assessed again)."""
    latest = book.assessments.latest(client_id)
    if latest is None:
        raise BookError.from_catalog("book.not_assessed", id=client_id)
    if latest.expired(now):
        raise BookError.from_catalog("book.assessment_expired", id=client_id,
                                     date=latest.expires_at.date().isoformat())
    return latest


def client_view(book: Book, client_id: str, now: datetime) -> ClientView:
    found = client(book, client_id)
    latest = book.assessments.latest(client_id)
    return ClientView(found, latest, bool(latest and latest.expired(now)),
                      tuple(book.accounts.of_client(client_id)))


def list_clients(book: Book, now: datetime) -> list[ClientView]:
    """Every client (no personal data is decrypted: the list needs no key)."""
    views = []
    for c in book.clients.all():
        latest = book.assessments.latest(c.id)
        views.append(ClientView(c, latest, bool(latest and latest.expired(now)),
                                tuple(book.accounts.of_client(c.id))))
    return views


def erase_client(book: Book, client_id: str, now: datetime) -> Record:
    """Remove the personal data (name, birth date, answers, acknowledgements); keep the records,
    which hold only hashes of it."""
    found = client(book, client_id)
    if found.erased:
        raise BookError.from_catalog("book.client_erased", id=client_id)
    book.clients.erase(client_id, now)
    return book.records.append(RecordKind.ERASURE, client_id, None, records.erasure(), now)


# --- assessments --------------------------------------------------------------------------------
def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the last day of a shorter month)."""
    import calendar

    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    return moment.replace(year=year, month=month,
                          day=min(moment.day, calendar.monthrange(year, month)[1]))


def store_assessment(book: Book, client_id: str, facts: records.AssessmentFacts,
                     now: datetime) -> tuple[StoredAssessment, Record]:
    """Keep an assessment (answers encrypted) and append its record."""
    live_client(book, client_id)
    a = facts.assessment
    p = a.profile
    stored = StoredAssessment(
        0, client_id, a.questionnaire_id, a.questionnaire_version, facts.questionnaire_sha256,
        a.answers_sha256, p.tolerance_score, p.capacity_score, p.combined_score,
        int(p.score_tier), facts.tier_in_force, facts.lowest, a.assessed_at,
        add_months(a.assessed_at, a.questionnaire.expiry_months))
    stored = book.assessments.add(stored, a.answers)
    record = book.records.append(RecordKind.ASSESSMENT, client_id, None,
                                 records.assessment(facts, stored), now)
    return stored, record


# --- accounts -----------------------------------------------------------------------------------
def open_account(book: Book, account_id: str, client_id: str, tier: int | None,
                 above_level: bool, acknowledgement: str | None, warning: tuple[str, ...],
                 now: datetime) -> tuple[Account, list[Record]]:
    """Open an account at the assessed tier, a lower one, or (only on the client's own request,
    acknowledged, never for the lowest category) a higher one."""
    _check_id(account_id, "account")
    live_client(book, client_id)
    if book.accounts.get(account_id) is not None:
        raise BookError.from_catalog("book.account_exists", id=account_id)
    latest = valid_assessment(book, client_id, now)
    chosen = latest.tier if tier is None else tier
    if not 1 <= chosen <= 5:
        raise BookError.from_catalog("book.tier_range", tier=chosen)
    above = chosen > latest.tier
    if above:
        if latest.lowest:
            raise BookError.from_catalog("book.lowest_no_above", id=client_id)
        if not above_level:
            raise BookError.from_catalog("book.above_needs_flag", tier=chosen,
                                         assessed=latest.tier)
        if not (acknowledgement or "").strip():
            raise BookError.from_catalog("book.above_needs_ack")
    elif above_level:
        raise BookError.from_catalog("book.above_not_above", tier=chosen, assessed=latest.tier)
    account = Account(account_id, client_id, chosen, above, now, Decimal(0), {},
                      False, DEFAULT_DRIFT)
    book.accounts.open(account, acknowledgement.strip() if above and acknowledgement else None)
    made = [book.records.append(RecordKind.ACCOUNT, client_id, account_id,
                                records.account_opened(account, latest), now)]
    if above:
        made.append(book.records.append(
            RecordKind.OVERRIDE, client_id, account_id,
            records.override(account, latest, acknowledgement or "", warning), now))
    return account, made


def account(book: Book, account_id: str) -> Account:
    found = book.accounts.get(account_id)
    if found is None:
        raise BookError.from_catalog("book.account_unknown", id=account_id)
    return found


def account_view(book: Book, account_id: str, now: datetime) -> AccountView:
    found = account(book, account_id)
    latest = book.assessments.latest(found.client_id)
    return AccountView(found, latest, bool(latest and latest.expired(now)),
                       tuple(book.accounts.flows(account_id)))


def cash_flow(book: Book, account_id: str, kind: FlowKind, amount: str | Decimal, on: date,
              now: datetime) -> tuple[CashFlow, Record]:
    """A dated deposit or withdrawal, pending until a rebalance applies it."""
    found = account(book, account_id)
    live_client(book, found.client_id)
    value = parse_amount(amount)
    flow = book.accounts.add_flow(account_id, kind, value, on, now)
    return flow, book.records.append(RecordKind.CASH_FLOW, found.client_id, account_id,
                                     records.cash_flow(flow), now)


def parse_amount(text: str | Decimal) -> Decimal:
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise BookError.from_catalog("book.amount_bad", value=text) from None
    if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise BookError.from_catalog("book.amount_bad", value=text)
    if not money_ok(value):
        raise BookError.from_catalog("book.amount_too_large", value=text, most=f"{MAX_MONEY:,}")
    return value


def _check_id(value: str, what: str) -> None:
    if not ID_PATTERN.match(value or ""):
        raise BookError.from_catalog("book.id_bad", what=what, id=value)


# --- valuation ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One row of an account's valuation: shares, price, value, weight (of total value incl.
    cash) and the tier's target weight (None when not computed)."""

    ticker: str
    shares: Decimal
    price: float | None
    value: float | None
    weight: float | None
    target: float | None


@dataclass(frozen=True)
class Valuation:
    lines: tuple[Line, ...]
    cash: float
    total: float | None
    prices_as_of: str | None
    unpriced: tuple[str, ...]


def value_account(held: Account, prices: dict[str, float] | None, as_of: str | None,
                  target: dict[str, float] | None) -> Valuation:
    """Positions at ``prices`` (last close per ticker) against the tier's target weights."""
    cash = float(held.cash)
    tickers = sorted(set(held.positions) | set(target or {}))
    values = {t: float(held.positions.get(t, 0)) * prices[t]
              for t in tickers if prices is not None and t in prices}
    unpriced = tuple(t for t in held.positions if prices is not None and t not in prices)
    total = cash + sum(values.values()) if prices is not None else None
    lines = tuple(Line(t, held.positions.get(t, Decimal(0)),
                       prices.get(t) if prices else None, values.get(t),
                       values[t] / total if total and t in values else None,
                       None if target is None else target.get(t, 0.0)) for t in tickers)
    return Valuation(lines, cash, total, as_of, unpriced)
