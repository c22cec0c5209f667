"""`roboadvisor book review|rebalance`: the daily job over every account of the book.

(Its own Typer group registered as ``book``; the lead merges it with the ``book`` group of
the batch branch.)"""

from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli import options
from roboadvisor.cli.book_context import DB
from roboadvisor.cli.options import lang_option

HELP = "The whole book: review every account, rebalance those that need it."
app = typer.Typer(no_args_is_help=True, help=HELP)
LANG = lang_option("Language of the text shown.")
PRICES = typer.Option(None, "--prices", metavar="FILE",
                      help="Price file: the last close of every ticker (default: the cache).")
MIN_TRADE = typer.Option(50.0, "--min-trade", help="Minimum order value.")
BPS = typer.Option(0.0, "--cost-bps", help="Trading cost in basis points of traded value.")
FIXED = typer.Option(0.0, "--cost-fixed", help="Trading cost per order (currency).")


@app.command("review", cls=options.PlainUsage)
def review(prices: Path | None = PRICES, universe: Path | None = options.UNIVERSE,
           db: str | None = DB, lang: Literal["en", "zh"] = LANG,
           json_output: bool = options.JSON) -> None:
    """Every account: value, drift, triggers, action needed, most urgent first."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import daily as view
    from roboadvisor.services import book_daily as daily
    from roboadvisor.services.market import get_universe

    u = get_universe(universe)
    quotes = daily.quotes_from_file(prices, u.tickers)
    failed: list[daily.Failure] = []
    with book(db) as (b, now):
        found = daily.review_book(b, daily.context(b, u, quotes), now, failed)
    view.book_review(found, quotes, failed, lang, json_output)


@app.command("rebalance", cls=options.PlainUsage)
def rebalance(prices: Path | None = PRICES, apply: bool = typer.Option(
                  False, "--apply", help="Book the orders as filled at the prices used."),
              min_trade: float = MIN_TRADE, cost_bps: float = BPS, cost_fixed: float = FIXED,
              rule: str | None = typer.Option(None, "--rule", metavar="RULE",
                                              help="Also rebalance when this band or drift "
                                                   "rule fires (e.g. bands:5/25)."),
              universe: Path | None = options.UNIVERSE, db: str | None = DB,
              lang: Literal["en", "zh"] = LANG, json_output: bool = options.JSON) -> None:
    """A trade list for every account that needs one (a record each); --apply books them."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import daily as view
    from roboadvisor.services import book_daily as daily
    from roboadvisor.services.market import get_universe

    settings = daily.settings(min_trade, cost_bps, cost_fixed, rule)
    u = get_universe(universe)
    quotes = daily.quotes_from_file(prices, u.tickers)
    failed: list[daily.Failure] = []
    with book(db) as (b, now):
        found = daily.rebalance_book(b, daily.context(b, u, quotes, settings), now, apply,
                                     failed)
    view.book_rebalance(found, failed, lang, json_output)
