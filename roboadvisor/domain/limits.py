"""The largest amount of money and the largest position we accept, in one place for every
way in: an amount to invest, plan or project (and a projection's goal), a backtest's cash
flows, and the book's deposits, withdrawals, settings, holdings files and parquet books.

The limits are far beyond any client account and well inside what the arithmetic keeps
exact: money is stored with 4 decimals (``Numeric(20, 4)``) and computed in float64, whose 53
bits hold 10^11 to 1e-4 exactly enough for cents; a position of 10^10 shares at any listed
price stays inside the same range. Larger values are refused with a message that says so,
before they can reach a trade list.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MAX_MONEY = Decimal(10**11)
"""Largest cash balance, cash flow, reserve or minimum trade (currency units)."""

MAX_SHARES = Decimal(10**10)
"""Largest number of shares in one position."""


def money_ok(value: Decimal) -> bool:
    """A finite amount of at most ``MAX_MONEY`` in absolute value."""
    return value.is_finite() and abs(value) <= MAX_MONEY


def shares_ok(value: Decimal) -> bool:
    """A finite, non-negative share count of at most ``MAX_SHARES``."""
    return value.is_finite() and Decimal(0) <= value <= MAX_SHARES


def first_bad_amount(cash: np.ndarray, shares: np.ndarray,
                     flows: np.ndarray) -> tuple[str, float, str] | None:
    """The first value a book's arrays may not hold, as (what, value, rule), or None.

    ``what``: ``"cash"`` and ``"shares"`` must be finite, non-negative and at most
    ``MAX_MONEY`` / ``MAX_SHARES``; ``"cash_flow_amount"`` (signed, deposits > 0) finite,
    not zero and at most ``MAX_MONEY`` in absolute value. ``rule``: the one broken,
    ``"not_a_number"``, ``"negative"``, ``"zero"`` or ``"too_large"``.
    """
    import numpy as np

    for what, values, signed, most in (("cash", cash, False, MAX_MONEY),
                                       ("shares", shares, False, MAX_SHARES),
                                       ("cash_flow_amount", flows, True, MAX_MONEY)):
        values = np.asarray(values, dtype=float)
        for rule, wrong in (("not_a_number", ~np.isfinite(values)),
                            ("negative", np.zeros(values.shape, bool) if signed else values < 0),
                            ("zero", values == 0 if signed else np.zeros(values.shape, bool)),
                            ("too_large", np.abs(values) > float(most))):
            if wrong.any():
                return what, float(values[wrong][0]), rule
    return None
