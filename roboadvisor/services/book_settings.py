"""Account settings (``account set``): the drift threshold, fractional shares, the cash
reserve and the account's own minimum order value, used by every later review and rebalance.
Each change is kept as an account record in the advice chain (before and after)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from roboadvisor.book.models import Account, Record, RecordKind
from roboadvisor.book.repositories import Book
from roboadvisor.domain.limits import MAX_MONEY, money_ok
from roboadvisor.errors import BookError
from roboadvisor.fields import Field
from roboadvisor.services import book as service
from roboadvisor.services import book_records as records

MAX_THRESHOLD = Decimal("0.5")


@dataclass(frozen=True)
class SettingsChange:
    """What to change (None: unchanged). ``drift_threshold``: percent of the portfolio, e.g.
    "3" for 3%; ``cash_reserve`` and ``min_trade``: amounts in the account's currency
    (``min_trade`` "default": back to the run's --min-trade)."""

    drift_threshold: str | None = None
    fractional: bool | None = None
    cash_reserve: str | None = None
    min_trade: str | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.drift_threshold, self.fractional,
                                        self.cash_reserve, self.min_trade))


def settings_of(account: Account) -> dict[str, Any]:
    """An account's settings as shown and recorded (decimals as text)."""
    return {"drift_threshold": str(account.drift_threshold),
            "allow_fractional": account.allow_fractional,
            "cash_reserve": str(account.cash_reserve),
            "min_trade": None if account.min_trade is None else str(account.min_trade)}


def _number(option: Field, text: str, places: int) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise BookError.from_catalog("daily3.setting_bad", option=option, value=text) from None
    if not value.is_finite() or value < 0 or not math.isfinite(float(value)):
        raise BookError.from_catalog("daily3.setting_bad", option=option, value=text)
    if value.as_tuple().exponent < -places:  # type: ignore[operator]
        raise BookError.from_catalog("daily3.setting_places", option=option, value=text,
                                     places=places)
    if not money_ok(value):
        raise BookError.from_catalog("book.setting_too_large", option=option, value=text,
                                     most=f"{MAX_MONEY:,}")
    return value


def parse(change: SettingsChange) -> dict[str, Any]:
    """The repository's keyword arguments for ``change``, refused in one line when a value
    is not a number, negative, too precise, or (threshold) outside 0..50%."""
    out: dict[str, Any] = {}
    if change.drift_threshold is not None:
        pct = _number(Field.DRIFT_THRESHOLD, change.drift_threshold, 4)
        if not Decimal(0) < pct <= MAX_THRESHOLD * 100:
            raise BookError.from_catalog("daily3.threshold_range",
                                         value=change.drift_threshold)
        out["drift_threshold"] = pct / 100
    if change.fractional is not None:
        out["allow_fractional"] = change.fractional
    if change.cash_reserve is not None:
        out["cash_reserve"] = _number(Field.CASH_RESERVE, change.cash_reserve, 4)
    if change.min_trade is not None:
        if change.min_trade.strip().lower() == "default":
            out["clear_min_trade"] = True
        else:
            out["min_trade"] = _number(Field.MIN_TRADE, change.min_trade, 4)
    return out


def set_account(book: Book, account_id: str, change: SettingsChange, now: datetime
                ) -> tuple[Account, Account, Record | None]:
    """(before, after, record): the account's settings changed and recorded; nothing is
    written (record None) when the values are already those asked for."""
    if change.empty:
        raise BookError.from_catalog("daily3.setting_none")
    values = parse(change)
    before = service.account(book, account_id)
    service.live_client(book, before.client_id)
    book.accounts.set_settings(account_id, **values)
    after = service.account(book, account_id)
    if settings_of(after) == settings_of(before):
        return before, after, None
    content = {**records._base(),
               "outputs": {"settings": settings_of(after), "before": settings_of(before)}}
    record = book.records.append(RecordKind.ACCOUNT, after.client_id, account_id, content, now)
    return before, after, record
