"""Rebalancing rules: calendar dates, bands, drift and hybrids trigger when and only when they
should. Expectations come from a plain day-by-day reference simulation written here from the
documented rules (pandas for the calendar), not from the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roboadvisor.domain.backtest import CashFlowPlan, simulate
from roboadvisor.domain.rebalancing import (
    Bands,
    Frequency,
    RebalanceRule,
    RuleKind,
    period_end_mask,
    period_keys,
    portfolio_drift,
)

_PANDAS_FREQ = {Frequency.MONTHLY: "M", Frequency.QUARTERLY: "Q", Frequency.ANNUAL: "Y"}


def calendar_days(dates: pd.DatetimeIndex, frequency: Frequency) -> set[int]:
    """Last row of each calendar period, by pandas grouping; never the last row of all."""
    if frequency is Frequency.SEMIANNUAL:
        key = pd.Series(dates.year * 2 + (dates.month - 1) // 6)
    else:
        key = pd.Series(dates.to_period(_PANDAS_FREQ[frequency]).astype(str))
    last = key.groupby(key).apply(lambda s: s.index[-1])
    return {int(i) for i in last if i != len(dates) - 1}


def reference_simulate(prices: np.ndarray, dates: pd.DatetimeIndex, w: np.ndarray,
                       rule: RebalanceRule, initial: float = 1.0
                       ) -> tuple[np.ndarray, list[int]]:
    """Zero costs, no flows: values and the days a rebalance happened (day 0 excluded)."""
    cal = calendar_days(dates, rule.frequency) if rule.frequency else set()
    tol = None
    if rule.bands is not None:
        tol = np.full(w.shape, np.inf)
        if rule.bands.absolute is not None:
            tol = np.minimum(tol, rule.bands.absolute)
        if rule.bands.relative is not None:
            tol = np.minimum(tol, rule.bands.relative * w)
    units = w * initial / prices[0]
    values = [initial]
    events = []
    for t in range(1, len(prices)):
        held = units * prices[t]
        value = held.sum()
        weights = held / value
        if rule.kind is RuleKind.NEVER:
            fire = False
        elif rule.kind is RuleKind.CALENDAR:
            fire = t in cal
        elif rule.kind is RuleKind.BANDS:
            fire = bool(np.any(np.abs(weights - w) > tol))
        elif rule.kind is RuleKind.DRIFT:
            fire = 0.5 * np.abs(weights - w).sum() > rule.drift_limit
        else:
            fire = t in cal and bool(np.any(np.abs(weights - w) > tol))
        if fire:
            units = w * value / prices[t]
            events.append(t)
        values.append(value)
    return np.array(values), events


def _prices(seed: int, days: int, n: int, vol: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 50 * np.cumprod(1 + rng.normal(0.0002, vol, (days, n)), axis=0)


# --- calendar dates --------------------------------------------------------------------------
@pytest.mark.parametrize("frequency", list(Frequency))
def test_period_ends_are_the_last_trading_day_of_each_period(frequency: Frequency) -> None:
    dates = pd.bdate_range("2019-11-15", "2022-02-10")
    dates = dates.delete([5, 40, 41, 300])  # holidays: the calendar comes from the data
    mask = period_end_mask(dates.to_numpy(dtype="datetime64[D]"), frequency)
    assert set(np.flatnonzero(mask)) == calendar_days(dates, frequency)
    assert not mask[-1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 4000), min_size=0, max_size=120, unique=True),
       st.sampled_from(list(Frequency)))
def test_period_ends_of_sparse_dates_match_the_period_of_every_date(offsets: list[int],
                                                                     frequency: Frequency
                                                                     ) -> None:
    """The searchsorted short cut for increasing dates (months without any date included)
    gives the dates whose next date falls in another period, as ``period_keys`` says."""
    dates = np.datetime64("1998-12-30") + np.array(sorted(offsets), dtype=np.int64)
    keys = period_keys(dates, frequency)
    expected = [i for i in range(len(dates) - 1) if keys[i] != keys[i + 1]]
    assert np.flatnonzero(period_end_mask(dates, frequency)).tolist() == expected
    shuffled = dates[::-1]  # not increasing: the general way, the same rule
    keys = period_keys(shuffled, frequency)
    expected = [i for i in range(len(dates) - 1) if keys[i] != keys[i + 1]]
    assert np.flatnonzero(period_end_mask(shuffled, frequency)).tolist() == expected


def test_month_end_on_a_holiday_moves_to_the_previous_trading_day() -> None:
    dates = pd.to_datetime(["2024-05-29", "2024-05-30", "2024-06-03", "2024-06-28",
                            "2024-07-01"]).to_numpy(dtype="datetime64[D]")
    assert np.flatnonzero(period_end_mask(dates, Frequency.MONTHLY)).tolist() == [1, 3]
    assert np.flatnonzero(period_end_mask(dates, Frequency.QUARTERLY)).tolist() == [3]


# --- bands and drift ---------------------------------------------------------------------------
def test_five_twenty_five_takes_the_smaller_tolerance() -> None:
    bands = Bands.five_twenty_five()
    np.testing.assert_allclose(bands.tolerance(np.array([0.40, 0.20, 0.10, 0.0])),
                               [0.05, 0.05, 0.025, 0.0])


def test_band_trigger_is_strict() -> None:
    rule = RebalanceRule.threshold(Bands(absolute=0.05))
    target = np.array([0.6, 0.4])
    assert not rule.triggered(np.array([[0.649, 0.351]]), target)[0]
    assert rule.triggered(np.array([[0.651, 0.349]]), target)[0]
    rel = RebalanceRule.threshold(Bands(relative=0.25))
    # a 10% target may go 7.5%..12.5%; a 90% target would need 22.5 points
    assert rel.triggered(np.array([[0.126, 0.874]]), np.array([0.1, 0.9]))[0]
    assert not rel.triggered(np.array([[0.124, 0.876]]), np.array([0.1, 0.9]))[0]


def test_drift_is_half_the_absolute_deviation() -> None:
    assert portfolio_drift(np.array([0.7, 0.2, 0.1]), np.array([0.5, 0.3, 0.2])) == (
        pytest.approx(0.2))
    rule = RebalanceRule.drift(0.1)
    assert rule.triggered(np.array([[0.62, 0.38]]), np.array([0.5, 0.5]))[0]
    assert not rule.triggered(np.array([[0.58, 0.42]]), np.array([0.5, 0.5]))[0]


def test_rules_check_their_fields() -> None:
    with pytest.raises(ValueError, match="frequency"):
        RebalanceRule(RuleKind.CALENDAR)
    with pytest.raises(ValueError, match="between 0 and 1"):
        RebalanceRule.drift(1.5)
    with pytest.raises(ValueError, match="absolute and/or a relative"):
        Bands()


# --- each rule fires when and only when it should ----------------------------------------------
_RULES = st.one_of(
    st.just(RebalanceRule.never()),
    st.sampled_from(list(Frequency)).map(RebalanceRule.calendar),
    st.builds(lambda a, r: RebalanceRule.threshold(Bands(a, r)),
              st.one_of(st.none(), st.floats(0.005, 0.1)),
              st.floats(0.05, 0.5)),
    st.floats(0.005, 0.1).map(RebalanceRule.drift),
    st.builds(lambda f, a: RebalanceRule.calendar_bands(f, Bands(absolute=a)),
              st.sampled_from([Frequency.MONTHLY, Frequency.QUARTERLY]),
              st.floats(0.005, 0.05)),
)


@settings(max_examples=60, deadline=None)
@given(rule=_RULES, seed=st.integers(0, 10_000), n=st.integers(2, 5),
       days=st.integers(30, 400), vol=st.floats(0.002, 0.03),
       start=st.dates(min_value=pd.Timestamp("2000-01-01").date(),
                      max_value=pd.Timestamp("2030-01-01").date()))
def test_engine_trades_exactly_when_the_reference_does(rule: RebalanceRule, seed: int, n: int,
                                                       days: int, vol: float,
                                                       start: object) -> None:
    prices = _prices(seed, days, n, vol)
    dates = pd.bdate_range(start, periods=days)
    w = np.random.default_rng(seed + 1).dirichlet(np.ones(n))
    expected_values, expected_days = reference_simulate(prices, dates, w, rule)
    result = simulate(prices, dates.to_numpy(dtype="datetime64[D]"), w, rule,
                      cash_flows=CashFlowPlan(initial=1.0))
    got_days = [int(d) for d, k in zip(result.event_days, result.event_kinds, strict=True)
                if k.value == "rebalance"]
    assert got_days == expected_days
    np.testing.assert_allclose(result.values, expected_values, rtol=1e-11)


def test_bands_never_fire_while_weights_stay_inside() -> None:
    """Two assets that move together never leave any band: no trades at all."""
    base = _prices(3, 300, 1, 0.02)
    prices = np.hstack([base, base * 2.0])
    dates = pd.bdate_range("2020-01-01", periods=300).to_numpy(dtype="datetime64[D]")
    for rule in (RebalanceRule.threshold(Bands.five_twenty_five()), RebalanceRule.drift(0.001)):
        result = simulate(prices, dates, np.array([0.3, 0.7]), rule)
        assert result.rebalance_count == 0


def test_bands_fire_on_the_first_day_outside() -> None:
    """Asset A rises 1% a day against a flat B: a 50/50 portfolio leaves a 5-point band on the
    first day its weight exceeds 55%, computed here in closed form."""
    days = 70
    a = 1.01 ** np.arange(days)
    prices = np.column_stack([a, np.ones(days)])
    dates = pd.bdate_range("2021-03-01", periods=days).to_numpy(dtype="datetime64[D]")
    rule = RebalanceRule.threshold(Bands(absolute=0.05))
    result = simulate(prices, dates, np.array([0.5, 0.5]), rule)
    # weight of A after k days from a rebalance: g/(g+1), g = 1.01**k > 0.55/0.45
    k = int(np.floor(np.log(0.55 / 0.45) / np.log(1.01))) + 1
    rebalances = [int(d) for d, kind in zip(result.event_days, result.event_kinds, strict=True)
                  if kind.value == "rebalance"]
    assert rebalances[:3] == [k, 2 * k, 3 * k]


@pytest.mark.parametrize("seed", range(20))
def test_period_ends_of_sorted_dates_are_where_the_period_changes(seed: int) -> None:
    """``period_end_mask_sorted`` (the backtest's short cut, issue 14) marks exactly the dates
    whose next date is in another period, before 1970 too."""
    from roboadvisor.domain.rebalancing import period_end_mask_sorted, period_keys

    rng = np.random.default_rng(seed)
    start = np.datetime64("1950-01-01") + int(rng.integers(0, 30_000))
    steps = rng.integers(1, int(rng.choice([3, 20, 200])), int(rng.integers(1, 300)))
    days = np.unique(start + np.cumsum(steps)).astype("datetime64[D]")
    for frequency in Frequency:
        keys = period_keys(days, frequency)
        expected = np.zeros(days.shape, dtype=bool)
        expected[:-1] = keys[:-1] != keys[1:]
        assert np.array_equal(period_end_mask_sorted(days, frequency), expected)
