"""Price snapshots: the shipped reference prices and the latest row of a price file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from roboadvisor.batch.prices import latest_snapshot, reference_snapshot
from roboadvisor.data.universe_file import load_universe
from roboadvisor.errors import ConfigError
from tests.conftest import RESOURCES


@pytest.mark.realdata
def test_reference_prices_are_the_shared_closes(real_prices_csv: Path) -> None:
    ref = reference_snapshot()
    tickers = load_universe(None).tickers
    frame = pd.read_csv(real_prices_csv, usecols=["Date", *tickers], index_col="Date")
    assert ref.as_of == frame.index[-1]
    assert dict(ref.values) == {t: round(float(frame[t].iloc[-1]), 2) for t in tickers}


def test_latest_row_of_a_price_file() -> None:
    path = RESOURCES / "allocation" / "latest_prices.csv"
    frame = pd.read_csv(path, index_col="Date")
    snap = latest_snapshot(path, ("VTI", "AGG"))
    assert snap.as_of == frame.index[-1]
    assert dict(snap.values) == {"VTI": frame["VTI"].iloc[-1], "AGG": frame["AGG"].iloc[-1]}


def test_a_ticker_missing_from_the_file_is_named() -> None:
    with pytest.raises(ConfigError, match="no price for VTI, XYZ"):
        latest_snapshot(RESOURCES / "prices" / "three_etfs.csv", ("VTI", "XYZ"))
