"""Tables and records for `roboadvisor universe ...` and `roboadvisor data ...`.

Results go to stdout (tables, or JSON with ``--json``); warnings, notes and questions to stderr.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rich.table import Table

from roboadvisor.cli.render import _lang, err, note, out, pct, warning
from roboadvisor.reports.i18n import localized, t, text

if TYPE_CHECKING:
    from roboadvisor.data.cache import CacheEntry
    from roboadvisor.domain.models import Universe
    from roboadvisor.services.market import CacheStatus, FetchReport, ImportReport


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else "-"


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "-"


# --- universe ---------------------------------------------------------------------------------
def universe_record(universe: Universe) -> dict[str, Any]:
    weights = universe.market_weights()
    return {
        "name": universe.name,
        "assets": [
            {"ticker": a.ticker, "name": a.name, "asset_class": a.asset_class.value,
             "region": a.region.value, "currency": a.currency,
             "expense_ratio": a.expense_ratio, "risk_level": a.risk_level,
             "risk_label": f"R{a.risk_level}", "min_weight": a.min_weight,
             "max_weight": a.max_weight, "market_weight": a.market_weight,
             "market_share": None if weights is None else float(weights[i]),
             "description": a.description}
            for i, a in enumerate(universe.assets)
        ],
    }


def show_universe(universe: Universe) -> None:
    weights = universe.market_weights()

    lang = _lang()
    table = Table(title=t("tables.universe_title", lang, name=universe.name,
                          count=len(universe)), title_justify="left")
    for header, justify in (("ticker", "left"), ("name", "left"), ("class", "left"),
                            ("region", "left"), ("currency", "left"), ("expense", "right"),
                            ("risk", "center"), ("min", "right"), ("max", "right"),
                            ("market_weight", "right")):
        table.add_column(t(f"tables.{header}", lang), justify=justify)  # type: ignore[arg-type]
    for i, a in enumerate(universe.assets):
        market = "-" if weights is None else pct(float(weights[i]), 1)
        table.add_row(a.ticker, a.name, t(f"tables.class_{a.asset_class.value}", lang),
                      t(f"tables.region_{a.region.value}", lang), a.currency,
                      pct(a.expense_ratio), f"R{a.risk_level}", pct(a.min_weight, 0),
                      pct(a.max_weight, 0), market)
    out().print(table)
    if weights is None:
        note(t("tables.no_market_weights", lang))


# --- cache entries ----------------------------------------------------------------------------
def entry_record(entry: CacheEntry) -> dict[str, Any]:
    return {"ticker": entry.ticker, "first": _day(entry.first), "last": _day(entry.last),
            "rows": entry.rows, "updated": entry.updated.isoformat(), "source": entry.source}


def _print_entries(title: str, rows: Iterable[tuple[str, CacheEntry | None, str]]) -> None:
    lang = _lang()
    table = Table()
    for header, justify in (("ticker", "left"), ("first", "left"), ("last", "left"),
                            ("rows", "right"), ("updated", "left"), ("source", "left"),
                            ("note", "left")):
        table.add_column(t(f"zh_hardening.col_{header}", lang),
                         justify=justify)  # type: ignore[arg-type]
    for ticker, entry, remark in rows:
        if entry is None:
            table.add_row(ticker, "-", "-", "-", "-", "-", localized(remark, lang))
        else:
            table.add_row(ticker, _day(entry.first), _day(entry.last), f"{entry.rows:,}",
                          _time(entry.updated), entry.source, localized(remark, lang))
    console = out()
    console.print(localized(title, lang), markup=False, soft_wrap=True)
    console.print(table)


# --- data status ------------------------------------------------------------------------------
def status_record(status: CacheStatus, universe_tickers: list[str]) -> dict[str, Any]:
    return {
        "cache_dir": str(status.root),
        "tickers": [dict(entry_record(e), in_universe=e.ticker in universe_tickers)
                    for e in status.entries],
        "missing": list(status.missing),
        "unreadable": [{"path": str(p), "reason": r} for p, r in status.unreadable],
        "problems": list(status.problems),
        "leftovers_removed": status.tidied,
    }


def show_status(status: CacheStatus, universe_tickers: list[str], show_all: bool) -> None:
    by_ticker = {e.ticker: e for e in status.entries}
    rows: list[tuple[str, CacheEntry | None, str]] = [
        (k, by_ticker.get(k), "" if k in by_ticker else text("zh_hardening.remark_missing"))
        for k in universe_tickers]
    others = [e for e in status.entries if e.ticker not in universe_tickers]
    if show_all:
        rows += [(e.ticker, e, text("zh_hardening.remark_not_in_universe")) for e in others]
    covered = len(universe_tickers) - len(status.missing)
    _print_entries(text("zh_hardening.status_title", root=status.root, covered=covered,
                        total=len(universe_tickers)), rows)
    if others and not show_all:
        note(text("zh_hardening.status_others", count=len(others)))
    for _path, reason in status.unreadable:
        warning(reason)
    for problem in status.problems:
        warning(problem)
    if status.tidied:
        note(localized(text("data.leftovers_removed", count=status.tidied), _lang()))
    elif not status.problems and not status.unreadable:
        note(localized(text("data.cache_verified"), _lang()))
    if status.missing:
        warning(text("zh_hardening.status_not_cached", tickers=", ".join(status.missing)))


# --- data fetch -------------------------------------------------------------------------------
def fetch_record(report: FetchReport) -> dict[str, Any]:
    return {
        "cache_dir": str(report.cache_root),
        "tickers": [dict(entry_record(r.entry) if r.entry else {"ticker": r.ticker},
                         status=r.status.value, new_rows=r.new_rows) for r in report.tickers],
        "warnings": list(report.warnings),
    }


def show_fetch(report: FetchReport) -> None:
    rows = [(r.ticker, r.entry, text("zh_hardening.fetch_remark_rows" if r.new_rows
                                     else "zh_hardening.fetch_remark",
                                     status=text(f"zh_hardening.status_{r.status.name.lower()}"),
                                     rows=f"{r.new_rows:,}"))
            for r in report.tickers]
    _print_entries(text("zh_hardening.fetched_into", root=report.cache_root), rows)


# --- data import ------------------------------------------------------------------------------
def import_record(report: ImportReport) -> dict[str, Any]:
    return {"file": str(report.path), "cache_dir": str(report.cache_root),
            "tickers": [entry_record(e) for e in report.entries],
            "warnings": list(report.warnings), "missing_from_universe": list(report.missing)}


def show_import(report: ImportReport) -> None:
    _print_entries(text("zh_hardening.imported_into", file=report.path.name,
                        root=report.cache_root, count=len(report.entries)),
                   [(e.ticker, e, "") for e in report.entries])


def show_import_missing(report: ImportReport) -> None:
    if report.missing:
        warning(text("data.import_missing", file=report.path.name,
                     tickers=", ".join(report.missing)))


# --- data clear -------------------------------------------------------------------------------
def confirm_clear(root: Any, count: int) -> bool:
    """Ask on stderr; no answer (end of input) means no."""
    import typer

    try:
        return bool(typer.confirm(t("zh_hardening.confirm_clear", _lang(), count=count,
                                    root=root), default=False, err=True))
    except typer.Abort:
        err().print()
        return False


def show_cleared(root: Any, count: int) -> None:
    out().print(t("zh_hardening.cleared", _lang(), count=count, root=root), markup=False)
