"""Alignment policy: windows start when every asset has data; errors name the late asset."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roboadvisor.domain.alignment import align_prices, coverage, splice_adjusted
from roboadvisor.errors import CoverageError


def table() -> pd.DataFrame:
    """EARLY from day 0, LATE from day 5; 10 business days from 2020-01-01 (a Wednesday)."""
    index = pd.bdate_range("2020-01-01", periods=10, name="Date")
    early = 100 + np.arange(10, dtype=float)
    late = np.r_[np.full(5, np.nan), 50 + np.arange(5, dtype=float)]
    return pd.DataFrame({"EARLY": early, "LATE": late}, index=index)


def test_coverage_reports_first_last_and_rows() -> None:
    frame = table()
    frame["NONE"] = np.nan
    cov = coverage(frame)
    assert list(cov) == ["EARLY", "LATE", "NONE"]
    assert (cov["EARLY"].first, cov["EARLY"].last, cov["EARLY"].rows) == (
        date(2020, 1, 1), date(2020, 1, 14), 10)
    assert (cov["LATE"].first, cov["LATE"].rows) == (date(2020, 1, 8), 5)
    assert cov["NONE"].first is None and cov["NONE"].rows == 0


def test_without_start_the_window_starts_at_the_latest_first_date() -> None:
    aligned = align_prices(table(), ["LATE", "EARLY"])
    assert list(aligned.columns) == ["LATE", "EARLY"]
    assert aligned.index[0] == pd.Timestamp("2020-01-08") and len(aligned) == 5
    assert not aligned.isna().any().any() and (aligned.dtypes == np.float64).all()


def test_a_start_before_a_late_asset_names_it_and_its_first_date() -> None:
    with pytest.raises(CoverageError) as info:
        align_prices(table(), ["EARLY", "LATE"], start=date(2020, 1, 2))
    message = str(info.value)
    assert "LATE (first price 2020-01-08)" in message
    assert "use start 2020-01-08" in message and "drop LATE" in message  # no CLI flag


def test_an_explicit_start_and_end_bound_the_window() -> None:
    aligned = align_prices(table(), ["EARLY", "LATE"], start=date(2020, 1, 11),
                           end=date(2020, 1, 13))
    assert list(aligned.index.strftime("%Y-%m-%d")) == ["2020-01-13"]  # 11th, 12th: weekend
    aligned = align_prices(table(), ["EARLY"], start=date(2020, 1, 2))
    assert aligned.index[0] == pd.Timestamp("2020-01-02") and len(aligned) == 9


def test_interior_gaps_carry_the_last_price_and_keep_the_total_return() -> None:
    frame = table()
    frame.iloc[7, 1] = np.nan
    aligned = align_prices(frame, ["EARLY", "LATE"])
    assert aligned["LATE"].iloc[2] == aligned["LATE"].iloc[1]  # carried
    total = aligned["LATE"].iloc[-1] / aligned["LATE"].iloc[0]
    assert total == pytest.approx(frame["LATE"].iloc[-1] / frame["LATE"].iloc[5])


def test_an_asset_that_stops_early_is_named_unless_the_end_is_before_it() -> None:
    index = pd.bdate_range("2020-01-01", periods=30)
    frame = pd.DataFrame({"A": np.arange(30.0) + 1, "B": np.r_[np.arange(10.0) + 1,
                                                                np.full(20, np.nan)]},
                         index=index)
    with pytest.raises(CoverageError, match=r"B has no prices after 2020-01-14"):
        align_prices(frame, ["A", "B"])
    ok = align_prices(frame, ["A", "B"], end=date(2020, 1, 14))
    assert ok.index[-1] == pd.Timestamp("2020-01-14")


@pytest.mark.parametrize("tickers, message", [
    (["EARLY", "MISSING"], "no prices for MISSING"),
    ([], "no tickers"),
])
def test_bad_requests_are_named(tickers: list[str], message: str) -> None:
    with pytest.raises(CoverageError, match=message):
        align_prices(table(), tickers)


def test_start_after_end_is_refused() -> None:
    with pytest.raises(CoverageError, match="after end"):
        align_prices(table(), ["EARLY"], start=date(2020, 2, 1), end=date(2020, 1, 1))


@settings(max_examples=60, deadline=None)
@given(firsts=st.lists(st.integers(0, 40), min_size=1, max_size=5),
       holes=st.lists(st.integers(0, 59), max_size=5))
def test_aligned_frames_have_no_nan_and_start_at_the_latest_first(firsts: list[int],
                                                                   holes: list[int]) -> None:
    index = pd.bdate_range("2021-01-01", periods=60)
    data = {}
    for k, first in enumerate(firsts):
        col = np.linspace(10, 20, 60)
        col[:first] = np.nan
        for h in holes:
            if first < h < 59:
                col[h] = np.nan
        data[f"T{k}"] = col
    frame = pd.DataFrame(data, index=index)
    aligned = align_prices(frame, list(data))
    assert not aligned.isna().any().any()
    assert aligned.index[0] == index[max(firsts)]
    assert aligned.index[-1] == index[-1]


def test_splice_rescales_the_older_piece_onto_the_newer_adjustment() -> None:
    index = pd.bdate_range("2020-01-01", periods=40)
    truth = pd.Series(np.linspace(100, 120, 40), index=index)
    old = truth.iloc[:25] * 1.02      # an older download, adjusted before a later dividend
    new = truth.iloc[20:]             # the newer download, overlapping 5 days
    merged = splice_adjusted(old, new)
    assert merged is not None
    pd.testing.assert_series_equal(merged, truth, check_freq=False, check_names=False)


def test_splice_refuses_a_revised_history() -> None:
    index = pd.bdate_range("2020-01-01", periods=40)
    truth = pd.Series(np.linspace(100, 120, 40), index=index)
    revised = truth.iloc[20:].copy()
    revised.iloc[:3] *= 1.5  # the shared dates disagree beyond a single factor
    assert splice_adjusted(truth.iloc[:25], revised) is None
    # without shared dates, a later piece is appended as it is; an earlier one is refused
    assert len(splice_adjusted(truth.iloc[:10], truth.iloc[12:])) == 38
    assert splice_adjusted(truth.iloc[12:20], truth.iloc[:10]) is None
