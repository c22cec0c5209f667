"""Holdings import: a broker-style CSV ``account,ticker,shares`` (a ``CASH`` ticker row gives the
account's cash in its ``shares`` column). Validated whole before anything is written: unknown
account or ticker, a bad, negative or (where not allowed) fractional number, a duplicate row,
each refused in one line naming the file and line. Each account named in the file gets exactly
the positions the file lists (a statement, not a delta); all accounts in one transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from roboadvisor.book.chain import sha256_bytes
from roboadvisor.book.models import RecordKind
from roboadvisor.book.repositories import Book
from roboadvisor.domain.limits import MAX_MONEY, MAX_SHARES, money_ok, shares_ok
from roboadvisor.errors import BookError, RoboAdvisorError
from roboadvisor.services import book_records as records

CASH = "CASH"
HEADER = ("account", "ticker", "shares")


@dataclass(frozen=True)
class AccountHoldings:
    account_id: str
    cash: Decimal | None
    positions: dict[str, Decimal]


@dataclass(frozen=True)
class ImportResult:
    accounts: tuple[AccountHoldings, ...]
    rows: int
    source_sha256: str


def import_holdings(book: Book, name: str, data: bytes, universe: Collection[str],
                    now: datetime) -> ImportResult:
    """Validate the whole file, then replace the holdings of every account it names."""
    parsed, rows = _parse(book, name, data, universe)
    digest = sha256_bytes(data)
    for held in parsed:
        book.accounts.replace_holdings(held.account_id, held.cash, held.positions)
        owner = book.accounts.get(held.account_id)
        book.records.append(RecordKind.HOLDINGS, owner.client_id if owner else None,
                            held.account_id,
                            records.holdings(held.account_id, digest,
                                             str(held.cash) if held.cash is not None else None,
                                             {t: str(s) for t, s in held.positions.items()}),
                            now)
    return ImportResult(tuple(parsed), rows, digest)


def _parse(book: Book, name: str, data: bytes,
           universe: Collection[str]) -> tuple[list[AccountHoldings], int]:
    def fail(line: int, key: str, **params: object) -> RoboAdvisorError:
        from roboadvisor.reports.i18n import t

        return BookError.from_catalog("book.holdings_line", file=name, line=line,
                                      problem=t(key, "en", **params))

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail(1, "book.holdings_not_text") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        raise fail(1, "book.holdings_header", expected=",".join(HEADER))
    found: dict[str, AccountHoldings] = {}
    fractional: dict[str, bool] = {}
    seen: dict[tuple[str, str], int] = {}
    rows = 0
    for cells in reader:
        line = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != 3:
            raise fail(line, "book.holdings_cells", n=len(cells))
        account_id, ticker, raw = (c.strip() for c in cells)
        ticker = ticker.upper()
        if account_id not in fractional:
            acc = book.accounts.get(account_id)
            if acc is None:
                raise fail(line, "book.holdings_account", id=account_id)
            fractional[account_id] = acc.allow_fractional
            found[account_id] = AccountHoldings(account_id, None, {})
        if (account_id, ticker) in seen:
            raise fail(line, "book.holdings_duplicate", id=account_id, ticker=ticker,
                       first=seen[(account_id, ticker)])
        seen[(account_id, ticker)] = line
        value = _number(raw)
        if value is None:
            raise fail(line, "book.holdings_number", value=raw)
        if value < 0:
            raise fail(line, "book.holdings_negative", value=raw)
        if not (money_ok(value) if ticker == CASH else shares_ok(value)):
            raise fail(line, "book.holdings_too_large", value=raw,
                       most=f"{MAX_MONEY if ticker == CASH else MAX_SHARES:,}")
        if ticker == CASH:
            found[account_id] = AccountHoldings(account_id, value, found[account_id].positions)
        else:
            if ticker not in universe:
                raise fail(line, "book.holdings_ticker", ticker=ticker)
            if value != value.to_integral_value() and not fractional[account_id]:
                raise fail(line, "book.holdings_fraction", value=raw, id=account_id)
            if value > 0:
                found[account_id].positions[ticker] = value
        rows += 1
    if not found:
        raise fail(max(1, reader.line_num), "book.holdings_empty")
    return list(found.values()), rows


def _number(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
