"""Prices and target weights for showing an account (the tier's portfolio from the shipped
capital market assumptions)."""

from __future__ import annotations

from pathlib import Path

from roboadvisor.book.models import Account


def prices_and_target(account: Account, prices_file: Path
                      ) -> tuple[dict[str, float], str, dict[str, float]]:
    """The last close of every ticker in the file, its date, and the tier's target weights."""
    from roboadvisor.data.price_files import read_price_file
    from roboadvisor.services import allocate

    frame = read_price_file(prices_file).prices
    last = {t: frame[t].last_valid_index() for t in frame.columns}
    prices = {t: float(frame.at[d, t]) for t, d in last.items() if d is not None}
    as_of = max(d for d in last.values() if d is not None).date().isoformat()
    result = allocate.allocate(allocate.AllocationRequest(tier=account.tier))
    target = result.allocation.as_dict(allocate.HELD_WEIGHT)
    return prices, as_of, {str(k): float(v) for k, v in target.items()}
