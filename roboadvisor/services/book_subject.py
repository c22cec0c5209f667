"""Whom a projection or report is for, read from the client book: a client (its latest
assessment) or an account (its tier in force and holdings), and an account's current value.

Receives the book's repositories and the time; prices come from a price file or the local
cache (never downloaded here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from roboadvisor.book.models import Account, Record, RecordKind, StoredAssessment
from roboadvisor.book.repositories import Book
from roboadvisor.errors import BookError, InputError
from roboadvisor.fields import Field
from roboadvisor.services import book as service


@dataclass(frozen=True)
class Subject:
    """A client of the book and, for ``--account``, one of its accounts. ``tier`` is the
    account's tier in force, else the latest assessment's; ``name`` is the client's name
    when the key is available (personal data: never in JSON)."""

    client_id: str
    account: Account | None
    assessment: StoredAssessment
    expired: bool
    assessment_record: Record | None
    name: str | None

    @property
    def tier(self) -> int:
        return self.account.tier if self.account is not None else self.assessment.tier

    @property
    def account_id(self) -> str | None:
        return self.account.id if self.account is not None else None


def check_choice(client_id: str | None, account_id: str | None,
                 others: Mapping[Field, object]) -> None:
    """At most one of a client and an account; with one, none of the inputs that choose a
    tier another way (``others``: input -> value given or None)."""
    if client_id is not None and account_id is not None:
        raise InputError.from_catalog("report_book.client_and_account")
    if client_id is None and account_id is None:
        return
    given = [field for field, value in others.items() if value is not None]
    if given:
        raise InputError.from_catalog("report_book.book_with_option", option=given[0],
                                      who=Field.CLIENT if client_id else Field.ACCOUNT)


def subject(book: Book, client_id: str | None, account_id: str | None,
            now: datetime) -> Subject:
    """The client (or the account's client), live and assessed."""
    account = None
    if account_id is not None:
        account = service.account(book, account_id)
        client_id = account.client_id
    assert client_id is not None
    found = service.live_client(book, client_id)
    latest = book.assessments.latest(client_id)
    if latest is None:
        raise BookError.from_catalog("book.not_assessed", id=client_id)
    return Subject(client_id, account, latest, latest.expired(now),
                   assessment_record(book, client_id, latest.id), found.name)


def assessment_record(book: Book, client_id: str, assessment_id: int) -> Record | None:
    """The record appended when assessment ``assessment_id`` was stored."""
    for record in book.records.all(client_id):
        if record.kind is RecordKind.ASSESSMENT and \
                record.content().get("outputs", {}).get("assessment_id") == assessment_id:
            return record
    return None


@dataclass(frozen=True)
class Value:
    """An account's value: cash plus shares x last close (money); ``prices`` are the closes
    used (ticker -> price) as of ``as_of``; ``unpriced`` the held tickers without a price."""

    total: float | None
    cash: float
    prices: dict[str, float]
    as_of: str | None
    unpriced: tuple[str, ...]


def latest_prices(tickers: list[str], prices_file: Path | None,
                  cache_dir: Path | None) -> tuple[dict[str, float], str | None]:
    """The last close of each ticker found in the price file or the cache, and the latest
    date among them (empty when none is available)."""
    from roboadvisor.errors import DataError
    from roboadvisor.services.market import load_price_data

    if not tickers:
        return {}, None
    try:
        frame = load_price_data(tickers, prices_file=prices_file, cache_dir=cache_dir,
                                allow_missing=True, download=False).prices
    except DataError:
        if prices_file is not None:
            raise
        return {}, None
    prices: dict[str, float] = {}
    dates = []
    for ticker in frame.columns:
        last = frame[ticker].last_valid_index()
        if last is not None:
            prices[str(ticker)] = float(frame.at[last, ticker])
            dates.append(last)
    return prices, (max(dates).date().isoformat() if dates else None)


def account_value(account: Account, prices_file: Path | None,
                  cache_dir: Path | None) -> Value:
    """Cash + shares x latest prices; ``total`` None when a held ticker has no price."""
    held = sorted(t for t, s in account.positions.items() if s != 0)
    prices, as_of = latest_prices(held, prices_file, cache_dir)
    unpriced = tuple(t for t in held if t not in prices)
    cash = float(account.cash)
    total = None if unpriced else cash + sum(float(account.positions[t]) * prices[t]
                                             for t in held)
    return Value(total, cash, prices, as_of, unpriced)


def default_amount(account: Account, value: Value, prices_file: Path | None) -> float:
    """The account's value as the amount invested today, or a one-line error saying which
    prices are missing and what to give instead."""
    if value.total is not None:
        return value.total
    where = str(prices_file) if prices_file is not None else "the price cache"
    raise InputError.from_catalog("report_book.no_prices", account=account.id,
                                  tickers=", ".join(value.unpriced), where=where)
