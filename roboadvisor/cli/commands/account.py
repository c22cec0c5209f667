"""`roboadvisor account ...`: accounts of the book (open, import holdings, cash flows, show)."""

from datetime import datetime
from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli import options
from roboadvisor.cli.book_context import DB
from roboadvisor.cli.options import lang_option

HELP = ("Accounts of the book: open, import-holdings, deposit, withdraw, show, set, review, "
        "rebalance.")
app = typer.Typer(no_args_is_help=True, help=HELP)
LANG = lang_option("Language of the text shown.")
ON = typer.Option(None, "--date", formats=options.DATE_FORMATS,
                  help="Value date YYYY-MM-DD (default: today, UTC).")


@app.command("open", cls=options.PlainUsage)
def open_(account_id: str = typer.Argument(..., metavar="ACCOUNT"),
          client_id: str = typer.Option(..., "--client", metavar="ID"),
          tier: int | None = typer.Option(None, "--tier", help="Tier 1..5 (default: assessed)."),
          above_level: bool = typer.Option(False, "--above-level",
                                           help="A tier above the assessed one, on the client's "
                                                "own request (needs --acknowledge)."),
          acknowledge: str | None = typer.Option(None, "--acknowledge", metavar="TEXT",
                                                 help="The client's acknowledgement (stored "
                                                      "encrypted)."),
          db: str | None = DB, lang: Literal["en", "zh"] = LANG,
          json_output: bool = options.JSON) -> None:
    """Open an account for a client at the tier in force."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import book as view
    from roboadvisor.reports.i18n import t
    from roboadvisor.services import book as service

    with book(db) as (b, now):
        latest = b.assessments.latest(client_id)
        warning = (t("book.above_warning", lang, tier=tier, assessed=latest.tier),) \
            if latest is not None and tier is not None and tier > latest.tier else ()
        account, made = service.open_account(b, account_id, client_id, tier, above_level,
                                             acknowledge, warning, now)
    view.opened(account, made, warning, lang, json_output)


@app.command("import-holdings", cls=options.PlainUsage)
def import_holdings(file: Path = typer.Argument(..., metavar="FILE",
                                                help="CSV account,ticker,shares (CASH rows "
                                                     "give cash)."),
                    universe: Path | None = options.UNIVERSE, db: str | None = DB,
                    lang: Literal["en", "zh"] = LANG, json_output: bool = options.JSON) -> None:
    """Import holdings from a broker CSV: all rows or none."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import book as view
    from roboadvisor.errors import BookError
    from roboadvisor.services import market
    from roboadvisor.services.book_holdings import import_holdings as run

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise BookError.from_catalog("book.holdings_unreadable", file=file,
                                     reason=exc.strerror or exc) from None
    tickers = market.get_universe(universe).tickers
    with book(db) as (b, now):
        result = run(b, str(file), data, tickers, now)
    view.imported(result, str(file), lang, json_output)


def _flow(kind_name: str, account_id: str, amount: str, on: datetime | None, db: str | None,
          lang: str, json_output: bool) -> None:
    from roboadvisor.book.models import FlowKind
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import book as view
    from roboadvisor.services import book as service

    with book(db) as (b, now):
        flow, record = service.cash_flow(b, account_id, FlowKind(kind_name), amount,
                                         (options.day(on) or now.date()), now)
    view.flow(flow, record, lang, json_output)


@app.command("deposit", cls=options.PlainUsage)
def deposit(account_id: str = typer.Argument(..., metavar="ACCOUNT"),
            amount: str = typer.Argument(..., metavar="AMOUNT"), on: datetime | None = ON,
            db: str | None = DB, lang: Literal["en", "zh"] = LANG,
            json_output: bool = options.JSON) -> None:
    """Record a deposit (pending until a rebalance applies it)."""
    _flow("deposit", account_id, amount, on, db, lang, json_output)


@app.command("withdraw", cls=options.PlainUsage)
def withdraw(account_id: str = typer.Argument(..., metavar="ACCOUNT"),
             amount: str = typer.Argument(..., metavar="AMOUNT"), on: datetime | None = ON,
             db: str | None = DB, lang: Literal["en", "zh"] = LANG,
             json_output: bool = options.JSON) -> None:
    """Record a withdrawal (pending until a rebalance applies it)."""
    _flow("withdrawal", account_id, amount, on, db, lang, json_output)


@app.command("show", cls=options.PlainUsage)
def show(account_id: str = typer.Argument(..., metavar="ACCOUNT"),
         prices: Path | None = typer.Option(None, "--prices", metavar="FILE",
                                            help="Price file: value the positions at the last "
                                                 "close and compare with the tier's target."),
         db: str | None = DB, lang: Literal["en", "zh"] = LANG,
         json_output: bool = options.JSON) -> None:
    """An account: tier in force, positions, cash, cash flows; with --prices, values and
    weights against the tier's target."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import book as view
    from roboadvisor.services import book as service

    with book(db) as (b, now):
        found = service.account_view(b, account_id, now)
    priced, as_of, target = None, None, None
    if prices is not None:
        from roboadvisor.services.book_value import prices_and_target

        priced, as_of, target = prices_and_target(found.account, prices)
    valuation = service.value_account(found.account, priced, as_of, target)
    view.account(found, valuation, lang, json_output)


PRICES = typer.Option(None, "--prices", metavar="FILE",
                      help="Price file: the last close of every ticker (default: the cache).")


@app.command("set", cls=options.PlainUsage)
def set_(account_id: str = typer.Argument(..., metavar="ACCOUNT"),
         drift_threshold: str | None = typer.Option(
             None, "--drift-threshold", metavar="PCT",
             help="Rebalance when the drift exceeds this percentage of the portfolio (e.g. 3)."),
         fractional: bool | None = typer.Option(
             None, "--fractional/--whole-shares",
             help="Allow fractional shares in trade lists, or whole shares only."),
         cash_reserve: str | None = typer.Option(
             None, "--cash-reserve", metavar="AMOUNT",
             help="Cash kept out of the market; trade lists never go below it."),
         min_trade: str | None = typer.Option(
             None, "--min-trade", metavar="AMOUNT",
             help="The account's minimum order value ('default': the run's --min-trade)."),
         db: str | None = DB, lang: Literal["en", "zh"] = LANG,
         json_output: bool = options.JSON) -> None:
    """Change an account's settings (recorded in the advice chain); reviews and rebalances
    use them from then on."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import daily as view
    from roboadvisor.services.book_settings import SettingsChange, set_account

    change = SettingsChange(drift_threshold, fractional, cash_reserve, min_trade)
    with book(db) as (b, now):
        before, after, record = set_account(b, account_id, change, now)
    view.account_settings(before, after, record, lang, json_output)


@app.command("review", cls=options.PlainUsage)
def review(account_id: str = typer.Argument(..., metavar="ACCOUNT"),
           prices: Path | None = PRICES, universe: Path | None = options.UNIVERSE,
           db: str | None = DB, lang: Literal["en", "zh"] = LANG,
           json_output: bool = options.JSON) -> None:
    """Weights against the tier's target in the latest model, drift, and which triggers
    fire and why."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import daily as view
    from roboadvisor.services import book_daily as daily
    from roboadvisor.services.market import get_universe

    u = get_universe(universe)
    quotes = daily.quotes_from_file(prices, u.tickers)
    with book(db) as (b, now):
        ctx = daily.context(b, u, quotes)
        found = daily.review_account(b, ctx, account_id, now)
    view.account_review(found, ctx, lang, json_output)


@app.command("rebalance", cls=options.PlainUsage)
def rebalance(account_id: str = typer.Argument(..., metavar="ACCOUNT"),
              prices: Path | None = PRICES,
              csv: Path | None = typer.Option(None, "--csv", metavar="ORDERS",
                                              help="Also write the orders to this CSV."),
              apply: bool = typer.Option(False, "--apply",
                                         help="Book the orders as filled at the prices used."),
              tier: int | None = typer.Option(None, "--tier",
                                              help="Move to this tier (the client's choice; "
                                                   "never above the assessed tier)."),
              min_trade: float = typer.Option(50.0, "--min-trade", help="Minimum order value."),
              cost_bps: float = typer.Option(0.0, "--cost-bps",
                                             help="Cost in basis points of traded value."),
              cost_fixed: float = typer.Option(0.0, "--cost-fixed", help="Cost per order."),
              rule: str | None = typer.Option(None, "--rule", metavar="RULE",
                                              help="Also rebalance when this band or drift "
                                                   "rule fires (e.g. bands:5/25)."),
              universe: Path | None = options.UNIVERSE, db: str | None = DB,
              lang: Literal["en", "zh"] = LANG, json_output: bool = options.JSON) -> None:
    """The account's trade list (whole shares unless it allows fractional) with a notice and
    a record; --apply books the fills, applies the cash flows and moves to the model."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import daily as view
    from roboadvisor.data import orders_file
    from roboadvisor.services import book_daily as daily
    from roboadvisor.services.market import get_universe

    settings = daily.settings(min_trade, cost_bps, cost_fixed, rule)
    if csv is not None:
        orders_file.check_target(csv)
    u = get_universe(universe)
    quotes = daily.quotes_from_file(prices, u.tickers)
    with book(db) as (b, now):
        ctx = daily.context(b, u, quotes, settings)
        found = daily.rebalance_account(b, ctx, account_id, now, apply, tier, lang=lang)
    if csv is not None:
        orders_file.write_orders(csv, daily.order_rows(found))
    view.account_rebalance(found, lang, json_output)
