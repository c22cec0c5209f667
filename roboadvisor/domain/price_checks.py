"""Validation rules for daily adjusted-close price tables (pure: frames in, findings out).

A price table is wide: one row per trading day (a ``DatetimeIndex``), one column per ticker,
NaN before a ticker's first date. The rules never change the data; they return ``Issue``
values that the caller turns into errors or shows as warnings (report, don't silently fix).

Errors (the table cannot be used as it is):
- ``BAD_DATE``: a date that is not ISO ``YYYY-MM-DD`` (a midnight time and an offset allowed);
  ``2020/01/02``, ``20200102`` and ``2020-01`` are refused, not guessed;
- ``FUTURE_DATE``: a date after ``today`` (the caller passes its clock);
- ``NOT_DAILY``: rows further apart than daily data ever is (median gap over
  ``MAX_MEDIAN_GAP_DAYS`` calendar days: weekly or month-end prices);
- ``LARGE_FALL``: a one-day fall of ``LARGE_FALL`` or more that does not come back within
  ``LARGE_FALL_RECOVERY_ROWS`` rows (an unadjusted split or a bad print); a warning
  ``LARGE_FALL_ACCEPTED`` instead when the caller accepts such falls;
- ``DUPLICATE_DATE``: the same date on two rows;
- ``UNSORTED``: a date earlier than the row before it;
- ``NOT_A_NUMBER``: a price cell that is not a number;
- ``NOT_FINITE``: a price that is infinite (``inf``, ``-inf``, ``1e999``);
- ``NON_POSITIVE``: a price <= 0 (adjusted closes are always positive);
- ``MISSING_TICKER``: a requested ticker with no column, or a column without any price.

Warnings (usable, but look before trusting a result):
- ``EMPTY_COLUMN``: a ticker column without any price (not requested; it is ignored);
- ``MISSING_VALUES``: a ticker without a price on some rows after its first date;
- ``CALENDAR_GAP``: consecutive rows more than ``MAX_CALENDAR_GAP_DAYS`` calendar days apart
  (the longest real market closure in the sample is 7 days, after 2001-09-11);
- ``SPIKE``: a one-day spike that reverses (see ``find_spikes``);
- ``WEEKEND_REPEAT``: rows on a Saturday or Sunday that repeat the previous prices (a
  forward-filled calendar); ``drop_repeated_rows`` removes them and says how many;
- ``HOLIDAY_REPEAT``: the same warning when weekday rows where no ticker moved (holidays
  forward-filled, at least ``MIN_TICKERS_FOR_HOLIDAY`` tickers listed) were dropped too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np
import pandas as pd

from roboadvisor.errors import catalog_text as _msg
from roboadvisor.errors import shown

DATE_DTYPE = "datetime64[us]"
"""The dtype of every price table's Date index (pandas 3's default resolution)."""

MAX_CALENDAR_GAP_DAYS = 7
"""Calendar days between consecutive rows above which a gap is reported."""

MAX_MEDIAN_GAP_DAYS = 4
"""Daily data has a median gap of 1 calendar day (3 over a weekend); weekly data 7."""
MIN_ROWS_FOR_FREQUENCY = 4

MIN_TICKERS_FOR_HOLIDAY = 3
"""Tickers with a price on a weekday row where none moved before the row counts as a
forward-filled holiday (with fewer, a quiet trading day is as likely)."""

LARGE_FALL = 0.90
"""A one-day fall of this fraction or more is refused unless accepted."""
LARGE_FALL_RECOVERY_ROWS = 5
"""A fall that recovers half its loss within this many rows is a spike (``find_spikes``)."""

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}"
                       r"(?:[ T]00:00(?::00(?:\.0+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")

# One-day spike that reverses. Both legs (log returns into and out of the spiked day) must be
# at least SPIKE_MIN_SIGMAS robust daily volatilities of the ticker (1.4826 x the median absolute
# deviation over its whole history) and at least SPIKE_MIN_MOVE, have opposite signs, cancel to
# within SPIKE_MAX_NET_FRACTION of the smaller leg (or within the two-day noise, 3 sigma x
# sqrt 2), and be SPIKE_MIN_NEIGHBOUR_RATIO times larger
# than every other daily move within SPIKE_NEIGHBOURHOOD trading days. The last condition is what
# separates a glitch from a real crisis: on the real 1993-2026 file, 2008 and 2020 reversals
# (e.g. LQD 2008-09-29 -9.6%/+9.3%, IEF 2020-03-16 +2.6%/-2.5%) sit among other large moves
# (ratio <= 2.0), while the GOVT glitch of 2024-12-31 (+2.2%/-2.2%) stands 3.1x above a calm
# fortnight. The only other finding in that file is AOK 2009-06-12 (+2.3%/-3.1% while its
# sister funds AOM and AOR moved less than 0.5%), a bad print as well.
SPIKE_MIN_SIGMAS = 6.0
SPIKE_MIN_MOVE = 0.002
SPIKE_MAX_NET_FRACTION = 0.25
SPIKE_MIN_NEIGHBOUR_RATIO = 2.5
SPIKE_NEIGHBOURHOOD = 10
SPIKE_MIN_OBSERVATIONS = 60


class Rule(StrEnum):
    """Which validation rule an issue comes from."""

    BAD_DATE = "bad_date"
    DUPLICATE_DATE = "duplicate_date"
    UNSORTED = "unsorted"
    NOT_A_NUMBER = "not_a_number"
    NOT_FINITE = "not_finite"
    NON_POSITIVE = "non_positive"
    MISSING_TICKER = "missing_ticker"
    EMPTY_COLUMN = "empty_column"
    MISSING_VALUES = "missing_values"
    CALENDAR_GAP = "calendar_gap"
    SPIKE = "spike"
    FUTURE_DATE = "future_date"
    NOT_DAILY = "not_daily"
    LARGE_FALL = "large_fall"
    LARGE_FALL_ACCEPTED = "large_fall_accepted"
    WEEKEND_REPEAT = "weekend_repeat"
    HOLIDAY_REPEAT = "holiday_repeat"
    TICKER_RENAMED = "ticker_renamed"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


_SEVERITY = {
    Rule.BAD_DATE: Severity.ERROR,
    Rule.DUPLICATE_DATE: Severity.ERROR,
    Rule.UNSORTED: Severity.ERROR,
    Rule.NOT_A_NUMBER: Severity.ERROR,
    Rule.NOT_FINITE: Severity.ERROR,
    Rule.NON_POSITIVE: Severity.ERROR,
    Rule.MISSING_TICKER: Severity.ERROR,
    Rule.EMPTY_COLUMN: Severity.WARNING,
    Rule.MISSING_VALUES: Severity.WARNING,
    Rule.CALENDAR_GAP: Severity.WARNING,
    Rule.SPIKE: Severity.WARNING,
    Rule.FUTURE_DATE: Severity.ERROR,
    Rule.NOT_DAILY: Severity.ERROR,
    Rule.LARGE_FALL: Severity.ERROR,
    Rule.LARGE_FALL_ACCEPTED: Severity.WARNING,
    Rule.WEEKEND_REPEAT: Severity.WARNING,
    Rule.HOLIDAY_REPEAT: Severity.WARNING,
    Rule.TICKER_RENAMED: Severity.WARNING,
}


@dataclass(frozen=True)
class Issue:
    """One finding. ``row`` is the 0-based data row (header excluded) when it applies."""

    rule: Rule
    message: str
    ticker: str | None = None
    date: date | None = None
    row: int | None = None

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self.rule]


@dataclass(frozen=True)
class PriceReport:
    """All findings of a validation, errors first in the order found."""

    issues: tuple[Issue, ...] = ()

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors


def _day(ts: pd.Timestamp) -> date:
    return ts.date()


# --- parsing --------------------------------------------------------------------------------
def parse_dates(raw: Sequence[object]) -> tuple[pd.DatetimeIndex, list[Issue]]:
    """ISO dates (``YYYY-MM-DD``, optionally with a midnight time and an offset) -> a tz-naive
    index. Anything else (``2020/01/02``, ``20200102``, ``2020-01``, a time of day) becomes NaT
    and one ``BAD_DATE`` issue each (the caller usually stops).
    """
    values = pd.Series(list(raw), dtype="object")
    text = values.astype("string").str.strip()
    iso = text.str.fullmatch(_ISO_DATE.pattern).fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(iso), format="ISO8601", errors="coerce", utc=False)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    issues = [Issue(Rule.BAD_DATE, _msg("data.bad_date", value=shown(values.iloc[i])), row=int(i))
              for i in np.flatnonzero(parsed.isna().to_numpy())]
    index = pd.DatetimeIndex(parsed.dt.normalize()).astype(DATE_DTYPE)
    return index.rename("Date"), issues


def check_not_future(index: pd.DatetimeIndex, today: date) -> list[Issue]:
    """Dates after ``today`` (one issue, naming the first)."""
    late = np.flatnonzero(~index.isna() & (index > pd.Timestamp(today)))
    if not late.size:
        return []
    i = int(late[0])
    return [Issue(Rule.FUTURE_DATE, _msg("data.future_date", day=_day(index[i]), today=today,
                                         count=int(late.size)), date=_day(index[i]), row=i)]


def check_daily(index: pd.DatetimeIndex) -> list[Issue]:
    """Refuse weekly, month-end or other non-daily rows: the median gap between consecutive
    rows is at most ``MAX_MEDIAN_GAP_DAYS`` calendar days in daily data. Expects sorted dates."""
    if len(index) < MIN_ROWS_FOR_FREQUENCY:
        return []
    gaps = np.asarray((index[1:] - index[:-1]).days, dtype=float)
    median = float(np.median(gaps))
    if median <= MAX_MEDIAN_GAP_DAYS:
        return []
    per_year = 365.25 / median
    kind = ("weekly" if median <= 10 else "monthly" if median <= 40 else
            "quarterly" if median <= 100 else "sparse")
    return [Issue(Rule.NOT_DAILY, _msg("data.not_daily", gap=f"{median:g}",
                                       per_year=f"{per_year:.0f}", kind=_msg(f"data.kind_{kind}")))]


def drop_repeated_rows(prices: pd.DataFrame) -> tuple[pd.DataFrame, list[Issue]]:
    """Remove rows that repeat the previous row's every price exactly on a day markets were
    closed (a calendar forward-filled over non-trading days); one warning saying how many.

    A Saturday/Sunday row is dropped whenever it repeats. Without an exchange calendar a weekday
    holiday is told from a quiet day only by breadth: a weekday row is dropped when at least
    ``MIN_TICKERS_FOR_HOLIDAY`` tickers have a price on it and none moved. (On the real
    1993-2026 file two genuine trading days, 1998-07-20 and 1998-11-25, had both of the two
    tickers then listed unchanged; no day with three or more listed tickers did.) Rows with new
    prices are kept. Expects sorted, parseable dates."""
    if len(prices) < 2:
        return prices, []
    weekend = np.asarray(prices.index.day_of_week >= 5)
    previous = prices.shift(1)
    same = ((prices == previous) | prices.isna()).all(axis=1).to_numpy()
    listed = prices.notna().sum(axis=1).to_numpy()
    drop = same & (listed > 0) & (weekend | (listed >= MIN_TICKERS_FOR_HOLIDAY))
    drop[0] = False
    if not drop.any():
        return prices, []
    first = _day(prices.index[int(np.flatnonzero(drop)[0])])
    weekdays = int((drop & ~weekend).sum())
    if weekdays == 0:
        issue = Issue(Rule.WEEKEND_REPEAT, _msg("data.weekend_repeat", count=int(drop.sum()),
                                                day=first), date=first)
    else:
        issue = Issue(Rule.HOLIDAY_REPEAT, _msg("data.holiday_repeat", count=int(drop.sum()),
                                                weekend=int((drop & weekend).sum()),
                                                weekdays=weekdays, day=first), date=first)
    return prices.loc[~drop], [issue]


def find_large_falls(prices: pd.DataFrame, accept: bool = False) -> list[Issue]:
    """One-day falls of ``LARGE_FALL`` or more that do not recover half the loss within
    ``LARGE_FALL_RECOVERY_ROWS`` rows: errors naming the ticker and the date, or warnings when
    ``accept``. Expects a sorted, duplicate-free index and positive prices."""
    issues: list[Issue] = []
    for col in prices.columns:
        series = prices[col].dropna()
        values = series.to_numpy(dtype=float)
        if values.size < 2:
            continue
        ratio = values[1:] / values[:-1]
        for i in np.flatnonzero(ratio <= 1 - LARGE_FALL):
            after = values[i + 1: i + 2 + LARGE_FALL_RECOVERY_ROWS]
            if after.max() >= 0.5 * values[i]:
                continue  # a reversing print: find_spikes reports it
            day = _day(series.index[i + 1])
            row = int(prices.index.get_loc(series.index[i + 1]))
            fall = 1 - ratio[i]
            if accept:
                issues.append(Issue(Rule.LARGE_FALL_ACCEPTED,
                                    _msg("data.large_fall_accepted", ticker=col,
                                         fall=f"{fall:.1%}", day=day),
                                    ticker=str(col), date=day, row=row))
            else:
                issues.append(Issue(Rule.LARGE_FALL,
                                    _msg("data.large_fall", ticker=col, fall=f"{fall:.1%}",
                                         day=day, before=f"{values[i]:g}",
                                         after=f"{values[i + 1]:g}"),
                                    ticker=str(col), date=day, row=row))
    return issues


def parse_numbers(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Issue]]:
    """Text cells -> float64 (missing cells already NaN); a cell that is not a number is an
    issue naming the ticker and the row."""
    out: dict[str, pd.Series] = {}
    issues: list[Issue] = []
    for col in raw.columns:
        text = raw[col]
        numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = np.flatnonzero((text.notna() & numbers.isna()).to_numpy())
        for i in bad[:5]:
            issues.append(Issue(Rule.NOT_A_NUMBER,
                                _msg("data.not_a_number", ticker=col,
                                     value=shown(text.iloc[i])),
                                ticker=str(col), row=int(i)))
        out[str(col)] = numbers
    frame = pd.DataFrame(out, index=raw.index)
    return frame, issues


# --- structural rules (errors) ----------------------------------------------------------------
def check_dates(index: pd.DatetimeIndex) -> list[Issue]:
    """Duplicate dates and rows out of order (NaT rows are skipped: ``parse_dates`` named them)."""
    issues: list[Issue] = []
    valid = ~index.isna()
    dup = index.duplicated(keep="first") & valid
    for i in np.flatnonzero(dup)[:5]:
        issues.append(Issue(Rule.DUPLICATE_DATE, _msg("data.duplicate_date", day=_day(index[i])),
                            date=_day(index[i]), row=int(i)))
    positions = np.flatnonzero(valid)
    values = index[valid].asi8
    backwards = np.flatnonzero(values[1:] < values[:-1])
    if backwards.size:
        i = int(positions[backwards[0] + 1])
        prev = int(positions[backwards[0]])
        issues.append(Issue(Rule.UNSORTED,
                            _msg("data.unsorted", day=_day(index[i]), previous=_day(index[prev]),
                                 count=int(backwards.size)), date=_day(index[i]), row=i))
    return issues


def check_tickers(prices: pd.DataFrame, requested: Iterable[str]) -> list[Issue]:
    """Requested tickers without a column, or whose column holds no price at all."""
    issues = []
    for t in requested:
        if t not in prices.columns:
            issues.append(Issue(Rule.MISSING_TICKER,
                                _msg("zh_hardening.p_not_in_file", ticker=t), ticker=t))
        elif prices[t].isna().all():
            issues.append(Issue(Rule.MISSING_TICKER,
                                _msg("zh_hardening.p_no_prices", ticker=t), ticker=t))
    return issues


def check_empty_columns(prices: pd.DataFrame, skip: Iterable[str] = ()) -> list[Issue]:
    """Ticker columns without a single price (warnings; ``skip`` the requested tickers, which
    ``check_tickers`` reports as errors)."""
    skipped = set(skip)
    return [Issue(Rule.EMPTY_COLUMN, _msg("data.empty_column", ticker=col), ticker=str(col))
            for col in prices.columns
            if str(col) not in skipped and prices[col].isna().all()]


def check_finite(prices: pd.DataFrame) -> list[Issue]:
    """Infinite prices (one issue per ticker, naming the first date)."""
    issues = []
    for col in prices.columns:
        values = prices[col].to_numpy(dtype=float)
        bad = np.flatnonzero(np.isinf(values))
        if bad.size:
            i = int(bad[0])
            when = prices.index[i]
            day = None if pd.isna(when) else _day(when)
            issues.append(Issue(Rule.NOT_FINITE,
                                _msg("data.not_finite", ticker=col, value=f"{values[i]:g}",
                                     day=day, count=int(bad.size)),
                                ticker=str(col), date=day, row=i))
    return issues


def check_positive(prices: pd.DataFrame) -> list[Issue]:
    """Finite prices <= 0 (one issue per ticker, naming the first date); infinite ones are
    ``check_finite``'s."""
    issues = []
    for col in prices.columns:
        values = prices[col].to_numpy(dtype=float)
        bad = np.flatnonzero(np.isfinite(values) & (values <= 0))
        if bad.size:
            i = int(bad[0])
            when = prices.index[i]
            day = None if pd.isna(when) else _day(when)
            issues.append(Issue(Rule.NON_POSITIVE,
                                _msg("data.non_positive", ticker=col, value=f"{values[i]:g}",
                                     day=day, count=int(bad.size)),
                                ticker=str(col), date=day, row=i))
    return issues


# --- quality rules (warnings) -------------------------------------------------------------------
def check_gaps(prices: pd.DataFrame, max_gap_days: int = MAX_CALENDAR_GAP_DAYS) -> list[Issue]:
    """Calendar gaps longer than ``max_gap_days`` and tickers missing values after their first
    date. Expects a sorted, duplicate-free index."""
    issues: list[Issue] = []
    if len(prices.index) > 1:
        days = np.asarray((prices.index[1:] - prices.index[:-1]).days)
        for i in np.flatnonzero(days > max_gap_days):
            a, b = prices.index[i], prices.index[i + 1]
            issues.append(Issue(Rule.CALENDAR_GAP,
                                _msg("data.calendar_gap", start=_day(a), end=_day(b),
                                     days=int(days[i])), date=_day(b), row=int(i + 1)))
    for col in prices.columns:
        values = prices[col].to_numpy(dtype=float)
        present = np.flatnonzero(~np.isnan(values))
        if present.size == 0:
            continue
        missing = np.flatnonzero(np.isnan(values[present[0]:])) + int(present[0])
        if missing.size:
            first_missing = int(missing[0])
            issues.append(Issue(Rule.MISSING_VALUES,
                                _msg("data.missing_values", ticker=col, count=int(missing.size),
                                     first=_day(prices.index[present[0]]),
                                     day=_day(prices.index[first_missing])), ticker=str(col),
                                date=_day(prices.index[first_missing]), row=first_missing))
    return issues


def robust_daily_volatility(log_returns: np.ndarray) -> float:
    """1.4826 x the median absolute deviation: a volatility that ignores outliers."""
    if log_returns.size == 0:
        return float("nan")
    med = float(np.median(log_returns))
    return 1.4826 * float(np.median(np.abs(log_returns - med)))


def find_spikes(prices: pd.DataFrame) -> list[Issue]:
    """One-day spikes that reverse: the price on one day jumps and comes straight back.

    See the SPIKE_* constants for the thresholds and why they leave real 2008/2020 moves alone.
    The date named is the day whose price is off. Expects a sorted, duplicate-free index.
    """
    issues: list[Issue] = []
    for col in prices.columns:
        series = prices[col].dropna()
        if len(series) < SPIKE_MIN_OBSERVATIONS or (series <= 0).any():
            continue
        r = np.diff(np.log(series.to_numpy(dtype=float)))
        sigma = robust_daily_volatility(r)
        threshold = max(SPIKE_MIN_SIGMAS * sigma, SPIKE_MIN_MOVE)
        a, b = r[:-1], r[1:]
        small = np.minimum(np.abs(a), np.abs(b))
        # "Nearly cancel": the two-day net move is small next to the spike, or within the
        # two-day noise of the ticker (3 robust standard deviations of a two-day return).
        net_allowed = np.maximum(SPIKE_MAX_NET_FRACTION * small, 3 * np.sqrt(2) * sigma)
        candidate = ((small > threshold) & (np.sign(a) != np.sign(b))
                     & (np.abs(a + b) <= net_allowed))
        abs_r = np.abs(r)
        for i in np.flatnonzero(candidate):
            lo, hi = max(0, i - SPIKE_NEIGHBOURHOOD), i + 2 + SPIKE_NEIGHBOURHOOD
            neighbours = np.concatenate([abs_r[lo:i], abs_r[i + 2:hi]])
            if neighbours.size and small[i] < SPIKE_MIN_NEIGHBOUR_RATIO * neighbours.max():
                continue
            day = series.index[i + 1]
            up, down = np.expm1(a[i]), np.expm1(b[i])
            issues.append(Issue(Rule.SPIKE,
                                _msg("data.spike", ticker=col, day=_day(day), up=f"{up:+.2%}",
                                     down=f"{down:+.2%}"),
                                ticker=str(col), date=_day(day),
                                row=int(prices.index.get_loc(day))))
    return issues


# --- everything --------------------------------------------------------------------------------
def validate_prices(prices: pd.DataFrame, requested: Iterable[str] | None = None,
                    extra: Iterable[Issue] = (), today: date | None = None,
                    accept_falls: bool = False) -> PriceReport:
    """Run every rule on a parsed table. Quality warnings are computed only when the dates are
    sound (sorted, unique, parseable), since gaps and spikes mean nothing otherwise.

    ``extra`` carries parse issues found earlier (bad dates, non-numbers) into the report;
    ``today`` enables the future-date rule; ``accept_falls`` turns large falls into warnings.
    """
    requested = list(requested or ())
    issues = list(extra)
    issues += check_dates(prices.index)
    if today is not None:
        issues += check_not_future(prices.index, today)
    issues += check_tickers(prices, requested)
    issues += check_finite(prices)
    issues += check_positive(prices)
    issues += check_empty_columns(prices, skip=requested)
    if not any(i.severity is Severity.ERROR for i in issues):
        issues += check_daily(prices.index)
        issues += find_large_falls(prices, accept=accept_falls)
    if not any(i.severity is Severity.ERROR for i in issues):
        issues += check_gaps(prices)
        issues += find_spikes(prices)
    return PriceReport(tuple(issues))
