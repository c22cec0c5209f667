"""Ticker syntax: the one rule for every ticker that enters (options, price-file columns,
universes, cache file names).

A ticker is 1 to 15 characters: an optional leading ``^`` (an index), then a letter or digit,
then letters, digits, ``.``, ``-`` or ``=`` (``VTI``, ``BRK-B``, ``^GSPC``, ``EURUSD=X``,
``0700.HK``). Anything else (``../../X``, ``SH Y``, an empty name) is refused, so a name can
never become a path or hide a space.
"""

from __future__ import annotations

import re

TICKER_PATTERN = re.compile(r"\^?[A-Z0-9][A-Z0-9.\-=]{0,14}")


def normalise_ticker(raw: str) -> str | None:
    """``raw`` trimmed and upper-cased when that is ticker syntax, else None."""
    text = str(raw).strip().upper()
    return text if TICKER_PATTERN.fullmatch(text) else None


def is_ticker(text: str) -> bool:
    """Whether ``text`` is already a ticker as stored (trimmed, upper case)."""
    return TICKER_PATTERN.fullmatch(text) is not None
