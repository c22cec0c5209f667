"""Price files a user supplies (``--prices FILE``, ``roboadvisor data import FILE``).

Format (CSV or parquet), wide: a ``Date`` column (``YYYY-MM-DD``) and one adjusted-close column
per ticker, a cell left empty before the ticker's first date. For example::

    Date,VTI,BNDX
    2013-06-03,72.10,
    2013-06-04,72.45,49.90

A parquet file may hold the dates as a ``Date`` column or as its index. Reading applies every
rule of ``roboadvisor.domain.price_checks``: structural problems (bad or duplicate dates,
unsorted rows, prices that are not numbers, infinite or <= 0) raise ``DataQualityError`` naming
the file, the line (CSV; the header is line 1) or row (parquet), the ticker and the date; a file
without a single price is refused too. So are dates that are not ISO or lie after today, weekly or
monthly rows, one-day falls of 90% or more that stay down (unless ``accept_falls``), column names
that are not ticker syntax (``../../X``), and a file separated by ``;`` or tabs (the message says
which separator and decimal comma it found). Ticker names are trimmed and upper-cased with a
warning; Saturday/Sunday rows that repeat the previous prices are dropped with one warning.
Quality findings (gaps, spikes, an empty ticker column)
come back as warnings in the report, never fixed silently.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pandas as pd

from roboadvisor.data.sources import FailureKind, FetchResult, ProgressCallback, TickerFailure
from roboadvisor.domain.price_checks import (
    Issue,
    PriceReport,
    Rule,
    check_dates,
    drop_repeated_rows,
    parse_dates,
    parse_numbers,
    validate_prices,
)
from roboadvisor.domain.tickers import normalise_ticker
from roboadvisor.errors import DataQualityError, shown
from roboadvisor.errors import catalog_text as _msg

NA_TOKENS = ["", "NA", "N/A", "#N/A", "NaN", "nan", "null", "NULL", "None"]
MAX_ERRORS_SHOWN = 3


@dataclass(frozen=True, eq=False)
class PriceFile:
    """A validated price file: every ticker column (float64, Date index ascending) and the
    report (its ``warnings`` are what the user should be shown)."""

    path: Path
    prices: pd.DataFrame
    report: PriceReport

    def __str__(self) -> str:
        """The file's path (or ``FRAME_NAME`` for a table from memory), as messages name it."""
        return str(self.path)

    def warning_messages(self, tickers: Sequence[str] | None = None) -> tuple[str, ...]:
        """Warnings as one-line messages naming the file; only those about ``tickers`` (and
        the whole calendar) when given."""
        keep = None if tickers is None else set(tickers)
        return tuple(_msg("data.in_file", path=self.path.name, problem=i.message)
                     for i in self.report.warnings
                     if keep is None or i.ticker is None or i.ticker in keep)


def read_price_file(path: Path, accept_falls: bool = False) -> PriceFile:
    """Read and validate a CSV or parquet price file (see the module docstring).

    The validated result is remembered for the file's path, modification time and size, so
    commands that need the same file several times (``backtest compare`` reads it once per
    strategy and benchmark) parse it once; every caller gets its own copy of the prices.
    """
    path = Path(path)
    if path.is_dir():
        raise DataQualityError.from_catalog("prices.directory", path=path)
    if not path.is_file():
        raise DataQualityError.from_catalog("data.file_not_found", path=path)
    stat = path.stat()
    file = _read_validated(path, stat.st_mtime_ns, stat.st_size, accept_falls, date.today())
    return replace(file, path=path, prices=file.prices.copy())


FRAME_NAME = Path("prices DataFrame")
"""How errors and warnings name a price table given from memory (``read_price_frame``)."""


def read_price_frame(frame: pd.DataFrame, accept_falls: bool = False) -> PriceFile:
    """Validate a price table from memory by the rules of a price file (the module
    docstring): the same checks and the same ``DataQualityError`` messages, naming the row
    (1-based: ``frame.iloc[0]`` is row 1) as a parquet file's are. ``frame`` is laid out
    as a parquet file may be: dates as a ``Date`` column or as the index (e.g. from
    ``pandas.read_csv(path, index_col="Date")``), one column per ticker."""
    if not isinstance(frame, pd.DataFrame):
        raise DataQualityError.from_catalog("api.prices_not_a_frame",
                                            kind=type(frame).__name__)
    raw = _date_index_as_column(frame)
    names = [str(c).strip() for c in raw.columns]
    renamed = _check_header(FRAME_NAME, [str(c) for c in raw.columns])
    raw = raw.set_axis(names, axis=1)
    dates_raw, values_raw = _split(FRAME_NAME, raw)
    return _validated(FRAME_NAME, dates_raw, values_raw, renamed, True, accept_falls,
                      date.today())


@functools.lru_cache(maxsize=4)
def _read_validated(path: Path, mtime_ns: int, size: int, accept_falls: bool,
                    today: date) -> PriceFile:
    """Parse and validate (the key's mtime and size make a changed file a new entry)."""
    is_parquet = path.suffix.lower() in {".parquet", ".pq"}
    dates_raw, values_raw, renamed = _read_parquet(path) if is_parquet else _read_csv(path)
    return _validated(path, dates_raw, values_raw, renamed, is_parquet, accept_falls, today)


def _validated(path: Path, dates_raw: pd.Series, values_raw: pd.DataFrame,
               renamed: list[Issue], is_parquet: bool, accept_falls: bool,
               today: date) -> PriceFile:
    """Every rule of ``domain.price_checks`` on a parsed table; errors name ``path`` and the
    row (``is_parquet``: parquet files and tables from memory) or else the CSV line."""
    index, date_issues = parse_dates(dates_raw)
    values, number_issues = parse_numbers(values_raw)
    values.index = index
    extra = renamed + date_issues + number_issues
    if not date_issues and not check_dates(index):
        values, dropped = drop_repeated_rows(values)
        extra += dropped
    report = validate_prices(values, extra=extra, today=today, accept_falls=accept_falls)
    if report.errors:
        raise _describe(path, report.errors, is_parquet)
    if not values.notna().to_numpy().any():
        raise DataQualityError.from_catalog("prices.all_empty", path=path)
    return PriceFile(path, values.astype("float64"), report)


def _where(path: Path, issue: Issue, is_parquet: bool) -> str:
    if issue.row is None:
        return _msg("data.in_file", path=path, problem=issue.message)
    if is_parquet:
        return _msg("data.at_row", path=path, line=issue.row + 1, problem=issue.message)
    return _msg("data.at_line", path=path, line=issue.row + 2, problem=issue.message)


def _describe(path: Path, errors: Sequence[Issue], is_parquet: bool) -> DataQualityError:
    """One error naming the first few problems (each with its line), in the user's language."""
    problems = [_where(path, e, is_parquet) for e in errors[:MAX_ERRORS_SHOWN]]
    more = len(errors) - MAX_ERRORS_SHOWN
    tail = _msg("data.more_problems", count=more) if more > 0 else ""
    return DataQualityError.from_catalog("data.problems", problems=problems, more=tail)


def _read_csv(path: Path) -> tuple[pd.Series, pd.DataFrame, list[Issue]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=NA_TOKENS,
                          encoding="utf-8-sig", skipinitialspace=True)
    except UnicodeDecodeError:
        raise DataQualityError.from_catalog("prices.not_utf8", path=path) from None
    except pd.errors.EmptyDataError:
        raise DataQualityError.from_catalog("prices.empty", path=path) from None
    except pd.errors.ParserError as exc:
        msg = " ".join(str(exc).split())
        raise DataQualityError.from_catalog("prices.bad_csv", path=path, reason=msg) from None
    except OSError as exc:
        raise DataQualityError.from_catalog("prices.unreadable", path=path,
                                            reason=exc.strerror) from None
    _check_separator(path, header)
    names = [h.strip() for h in header]
    renamed = _check_header(path, header)
    raw.columns = names
    return (*_split(path, raw), renamed)


def _check_separator(path: Path, header: list[str]) -> None:
    """Refuse a file whose fields are not separated by commas, saying what was found."""
    if len(header) != 1:
        return
    line = header[0]
    for sep, name in ((";", "data.sep_semicolon"), ("\t", "data.sep_tab"),
                      ("|", "data.sep_bar")):
        if sep in line:
            decimals: str = ""
            with contextlib.suppress(OSError, UnicodeDecodeError):
                with path.open(encoding="utf-8-sig") as fh:
                    fh.readline()
                    sample = fh.readline()
                if re.search(r"\d,\d", sample):
                    decimals = _msg("data.decimal_commas")
            raise DataQualityError.from_catalog("data.separator", path=path,
                                                separator=_msg(name), decimals=decimals)


def _read_parquet(path: Path) -> tuple[pd.Series, pd.DataFrame, list[Issue]]:
    import pyarrow as pa

    try:
        raw = pd.read_parquet(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:160]
        raise DataQualityError.from_catalog("prices.bad_parquet", path=path,
                                            reason=reason) from None
    raw = _date_index_as_column(raw)
    names = [str(c).strip() for c in raw.columns]
    renamed = _check_header(path, [str(c) for c in raw.columns])
    raw.columns = names
    return (*_split(path, raw), renamed)


def _date_index_as_column(raw: pd.DataFrame) -> pd.DataFrame:
    """A table whose dates are its index (a DatetimeIndex or an index named Date) with the
    dates as a ``Date`` column instead, as the checks read them."""
    has_date_column = any(str(c).strip().lower() == "date" for c in raw.columns)
    date_index = isinstance(raw.index, pd.DatetimeIndex) or str(raw.index.name).lower() == "date"
    if not has_date_column and date_index:
        return raw.reset_index(names="Date")
    return raw


def _check_header(path: Path, header: list[str]) -> list[Issue]:
    """Refuse a header without Date, without tickers, with a name that is not ticker syntax
    or a ticker twice; a warning for each name that had to be trimmed or upper-cased."""
    names = [h.strip() for h in header]
    lowered = [n.lower() for n in names]
    if "date" not in lowered:
        raise DataQualityError.from_catalog("data.no_date_column", path=path)
    raw_tickers = [h for h, low in zip(header, lowered, strict=True) if low != "date"]
    if not raw_tickers:
        raise DataQualityError.from_catalog("prices.no_tickers", path=path)
    if any(not t.strip() for t in raw_tickers):
        raise DataQualityError.from_catalog("prices.unnamed_column", path=path)
    tickers: list[str] = []
    renamed: list[Issue] = []
    for raw_name in raw_tickers:
        ticker = normalise_ticker(raw_name)
        if ticker is None:
            raise DataQualityError.from_catalog("data.bad_ticker_column", path=path,
                                                raw=shown(raw_name))
        if ticker != raw_name:
            renamed.append(Issue(Rule.TICKER_RENAMED, _msg("data.ticker_renamed",
                                                           raw=shown(raw_name), ticker=ticker),
                                 ticker=ticker))
        tickers.append(ticker)
    seen: set[str] = set()
    for t in tickers:
        if t in seen:
            raise DataQualityError.from_catalog("prices.column_twice", path=path, ticker=t)
        seen.add(t)
    if lowered.count("date") > 1:
        raise DataQualityError.from_catalog("prices.dates_twice", path=path)
    return renamed


def _split(path: Path, raw: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    date_col = next(c for c in raw.columns if c.lower() == "date")
    values = raw.drop(columns=[date_col])
    values.columns = [str(c).strip().upper() for c in values.columns]
    return raw[date_col].reset_index(drop=True), values.reset_index(drop=True)


PriceInput = Path | PriceFile
"""Where a calculation's prices come from: a price file's path, or a table validated as one
(``read_price_frame``)."""


class PriceFileSource:
    """A price file as a ``PriceSource``: read and validated once, on first use (or a
    ``PriceFile`` validated already, e.g. a table from memory)."""

    def __init__(self, path: Path | PriceFile, accept_falls: bool = False) -> None:
        self._file: PriceFile | None = path if isinstance(path, PriceFile) else None
        self.path = path.path if isinstance(path, PriceFile) else Path(path)
        self.accept_falls = accept_falls
        self.name = f"file:{self.path.name}"

    def load(self) -> PriceFile:
        if self._file is None:
            self._file = read_price_file(self.path, self.accept_falls)
        return self._file

    def fetch(self, tickers: Sequence[str], start: date | None = None, end: date | None = None,
              progress: ProgressCallback | None = None) -> FetchResult:
        file = self.load()
        present = [t for t in tickers if t in file.prices.columns
                   and file.prices[t].notna().any()]
        failures = tuple(TickerFailure(t, FailureKind.NO_DATA,
                                       _msg("zh_hardening.p_column_empty",
                                                    name=self.path.name)
                                       if t in file.prices.columns
                                       else _msg("zh_hardening.p_not_in",
                                                         name=self.path.name))
                         for t in tickers if t not in present)
        frame = file.prices[present]
        if start is not None:
            frame = frame.loc[frame.index >= pd.Timestamp(start)]
        if end is not None:
            frame = frame.loc[frame.index <= pd.Timestamp(end)]
        if progress is not None:
            for t in tickers:
                progress(t)
        return FetchResult(frame, failures, file.warning_messages(present))
