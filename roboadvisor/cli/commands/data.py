"""`roboadvisor data ...`: fetch prices from Yahoo, import a price file, cache status, clear."""

from datetime import datetime
from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli.options import (
    CACHE_DIR,
    DATE_FORMATS,
    JSON,
    LANG,
    UNIVERSE,
    PlainUsage,
    day,
)
from roboadvisor.errors import InputError, catalog_text

HELP = "Market data: fetch from Yahoo, import a price file, cache status, clear."

app = typer.Typer(
    no_args_is_help=True, help=HELP,
    epilog="Example: roboadvisor data fetch --tickers VTI,AGG   "
           "(offline: roboadvisor data import prices.csv)")

IMPORT_HELP = (
    "Validate a price file and store its prices in the cache, so later runs work offline."
    "\n\n"
    "A file with errors (bad or duplicate dates, unsorted rows, prices that are not finite "
    "numbers > 0, no prices at all, dates that are not YYYY-MM-DD or lie in the future, weekly "
    "or monthly rows, a one-day fall of 90% or more that stays down, column names that are "
    "not tickers) is refused and nothing is written; gaps and one-day spikes "
    "are shown as warnings and kept as they are. Tickers in the file replace what the cache "
    "had for them, all at once: an interrupted import leaves the cache as it was.")


def _tickers(tickers: list[str] | None, universe: Path | None) -> list[str]:
    """--tickers (repeatable, comma-separated) or the universe's tickers."""
    from roboadvisor.services import market

    if tickers:
        if universe is not None:
            raise InputError.from_catalog("zh_hardening.tickers_or_universe")
        return market.normalise_tickers([t for item in tickers for t in item.split(",")])
    return list(market.get_universe(universe).tickers)


@app.command("fetch", epilog="Example: roboadvisor data fetch --start 2010-01-01 "
                             "--tickers VTI,AGG")
def fetch(
    start: datetime | None = typer.Option(
        None, "--start", formats=DATE_FORMATS, metavar="YYYY-MM-DD",
        help="First date wanted (default: each ticker's whole history)."),
    end: datetime | None = typer.Option(
        None, "--end", formats=DATE_FORMATS, metavar="YYYY-MM-DD",
        help="Last date wanted, inclusive (default: today)."),
    universe: Path | None = UNIVERSE,
    tickers: list[str] | None = typer.Option(
        None, "--tickers", "-t", metavar="TICKERS",
        help="Tickers to fetch instead of the universe's: VTI,AGG or repeat the option."),
    cache_dir: Path | None = CACHE_DIR,
    lang: Literal["en", "zh"] = LANG,
    allow_missing: bool = typer.Option(
        False, "--allow-missing",
        help="Skip tickers that cannot be downloaded (with a warning) instead of failing."),
    json_output: bool = JSON,
) -> None:
    """Download daily adjusted closes from Yahoo Finance into the cache (only missing dates)."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import data as view
    from roboadvisor.services import market

    wanted = _tickers(tickers, universe)
    with render.progress(catalog_text("zh_hardening.progress_fetching"),
                         total=len(wanted)) as advance:
        report = market.fetch_prices(wanted, start=day(start), end=day(end),
                                     cache_dir=cache_dir, allow_missing=allow_missing,
                                     progress=lambda t: advance(1, f"Prices: {t}"))
    render.show_warnings(report.warnings)
    if json_output:
        render.print_json(view.fetch_record(report))
    else:
        view.show_fetch(report)


@app.command("status", epilog="Example: roboadvisor data status --json")
def status(
    universe: Path | None = UNIVERSE,
    cache_dir: Path | None = CACHE_DIR,
    lang: Literal["en", "zh"] = LANG,
    show_all: bool = typer.Option(False, "--all", help="Also list cached tickers that are not "
                                                       "in the universe."),
    json_output: bool = JSON,
) -> None:
    """Show what the price cache covers per ticker, and which universe tickers are missing."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import data as view
    from roboadvisor.services import market

    tickers = list(market.get_universe(universe).tickers)
    result = market.cache_status(tickers, cache_dir=cache_dir)
    if json_output:
        render.print_json(view.status_record(result, tickers))
    else:
        view.show_status(result, tickers, show_all)


@app.command("import", cls=PlainUsage, help=IMPORT_HELP,
             epilog="Example: roboadvisor data import prices.csv")
def import_(
    file: Path = typer.Argument(..., metavar="FILE", help="CSV or parquet: a Date column "
                                "(YYYY-MM-DD) and one adjusted-close column per ticker."),
    universe: Path | None = typer.Option(None, "--universe", "-u", metavar="FILE",
                                         help="Universe file, only to report tickers the file "
                                              "lacks (default: the shipped universe)."),
    cache_dir: Path | None = CACHE_DIR,
    lang: Literal["en", "zh"] = LANG,
    accept_falls: bool = typer.Option(
        False, "--accept-falls",
        help="Keep one-day falls of 90% or more that stay down (refused otherwise: usually "
             "an unadjusted split)."),
    json_output: bool = JSON,
) -> None:
    """Validate a price file and store its prices in the cache (help: IMPORT_HELP)."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import data as view
    from roboadvisor.services import market

    tickers = list(market.get_universe(universe).tickers)
    report = market.import_prices(file, universe_tickers=tickers, cache_dir=cache_dir,
                                  accept_falls=accept_falls)
    render.show_warnings(report.warnings)
    view.show_import_missing(report)
    if json_output:
        render.print_json(view.import_record(report))
    else:
        view.show_import(report)


@app.command("clear", epilog="Example: roboadvisor data clear --yes")
def clear(
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    cache_dir: Path | None = CACHE_DIR,
    lang: Literal["en", "zh"] = LANG,
) -> None:
    """Delete every cached price (asks first unless --yes)."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import data as view
    from roboadvisor.services import market

    current = market.cache_status(cache_dir=cache_dir)
    count = len(current.entries) + len(current.unreadable)
    if not yes and count and not view.confirm_clear(current.root, count):
        render.note(catalog_text("zh_hardening.nothing_deleted"))
        raise typer.Exit(1)
    root, removed = market.clear_cache(cache_dir=cache_dir)
    view.show_cleared(root, removed)
