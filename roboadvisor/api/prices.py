"""Prices for the API: a ``pandas.DataFrame`` from memory or a price file's path, both
validated by the rules of a price file (``roboadvisor.data.price_files``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    import pandas as pd

    from roboadvisor.data.price_files import PriceInput

PricesLike = Union["pd.DataFrame", str, "os.PathLike[str]"]
"""A table of daily adjusted closes (dates as a ``Date`` column or index, one column per
ticker), or the path of a CSV or parquet price file."""


def check_prices(prices: pd.DataFrame, accept_falls: bool = False) -> pd.DataFrame:
    """Validate a table of prices as a price file is validated; return the clean table.

    Parameters
    ----------
    prices : pandas.DataFrame
        Daily adjusted closes, shape (days, tickers): a ``Date`` column or a date index
        (ISO dates, ascending, no duplicates), one column per ticker, NaN before a ticker's
        first price. ``pandas.read_csv(path)`` of a price file is such a table.
    accept_falls : bool
        Accept one-day falls of 90% or more that stay down (refused by default).

    Returns
    -------
    pandas.DataFrame
        float64 prices with a ``DatetimeIndex`` named ``Date``, tickers upper-cased.

    Raises
    ------
    roboadvisor.errors.DataQualityError
        With the message a price file with the same content gets (the row, ticker, date).

    Examples
    --------
    >>> import pandas as pd
    >>> import roboadvisor as ra
    >>> table = pd.DataFrame({"Date": ["2024-01-02", "2024-01-03"], "vti": [230.0, 231.5]})
    >>> ra.check_prices(table).columns.tolist()
    ['VTI']
    >>> bad = pd.DataFrame({"Date": ["2024-01-02", "2024-01-03"], "VTI": [230.0, -1.0]})
    >>> ra.check_prices(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    roboadvisor.errors.DataQualityError: prices DataFrame: row 2: ticker VTI: price -1 on ...
    """
    from roboadvisor.data.price_files import read_price_frame

    return read_price_frame(prices, accept_falls).prices


def price_input(prices: PricesLike | None) -> PriceInput | None:
    """What the services take: a path stays a path (its file is read and validated where
    used); a table is validated here, once."""
    if prices is None:
        return None
    if isinstance(prices, str | os.PathLike):
        return Path(prices)
    from roboadvisor.data.price_files import read_price_frame

    return read_price_frame(prices)
