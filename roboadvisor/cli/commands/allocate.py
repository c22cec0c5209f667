"""`roboadvisor allocate`: a tier's mean-variance portfolio, optionally in whole shares.

The allocation options shared with ``explain``, ``frontier`` and ``plan`` are defined here
once; those every command shares live in ``roboadvisor.cli.options``.
"""

from pathlib import Path
from typing import Any, Literal

import typer

from roboadvisor.cli.book_context import CLIENT, DB
from roboadvisor.cli.options import CACHE_DIR, JSON, POLICIES, PRICES, UNIVERSE, lang_option
from roboadvisor.errors import catalog_text

HELP = ("Build the mean-variance portfolio of a tier (--tier N or --answers FILE): weights by "
        "ETF and asset class, expected return, volatility, Sharpe; with --amount, whole shares."
        "\n\nExamples:\n\n"
        "  roboadvisor allocate --tier 3\n\n"
        "  roboadvisor allocate --answers questionnaires/examples/tier4_growth.yaml "
        "--amount 25000 --prices prices.csv\n\n"
        "  roboadvisor allocate --tier 5 --source history --prices prices.csv --json\n\n"
        "  roboadvisor allocate --tier 2 --lang zh")

TIER = typer.Option(None, "--tier", "-t", metavar="N",
                    help="Risk tier 1..5 (or C1..C5, or a name such as balanced).")
ANSWERS = typer.Option(None, "--answers", "-a", metavar="FILE",
                       help="A client's answers (YAML/JSON): assess them and use their tier.")
AMOUNT = typer.Option(None, "--amount", metavar="X", help="Money to invest: show whole shares "
                      "per ETF at the latest prices (--prices FILE or the cache) and the cash "
                      "left.")
SOURCE = typer.Option("cma", "--source", metavar="cma|history",
                      help="Estimates: cma = shipped capital market assumptions (offline); "
                           "history = daily prices from --prices FILE or the cache.")
METHOD = typer.Option(None, "--method", metavar="NAME",
                      help="History only: expected returns by mean, ema, capm, equilibrium "
                           "(default) or black-litterman (needs --views).")
VIEWS = typer.Option(None, "--views", metavar="FILE", help="Black-Litterman views (see "
                     "roboadvisor/resources/views_example.yaml).")
SUITABILITY = typer.Option(None, "--suitability", metavar="portfolio|holdings",
                           help="Override the policies file's suitability: portfolio = the "
                                "portfolio is rated R1..R5 as a whole; holdings = every ETF "
                                "at most the tier's level (tiers 1-2 then hold no equity).")
LANG = lang_option("Language of the output: en (English) or zh (Simplified Chinese): "
                   "tables, risk profile, plain-language summary, errors and warnings.")


def market(source: str, prices: Path | None, method: str | None, views: Path | None,
           universe: Path | None, cache_dir: Path | None = None) -> Any:
    """The service's MarketRequest from the shared options."""
    from roboadvisor.services.allocate import MarketRequest

    return MarketRequest(source=source, prices_file=prices, method=method, views_file=views,
                         universe_file=universe, cache_dir=cache_dir)


def allocate(tier: str | None = TIER, answers: Path | None = ANSWERS,
             amount: float | None = AMOUNT, source: str = SOURCE, prices: Path | None = PRICES,
             method: str | None = METHOD, views: Path | None = VIEWS,
             universe: Path | None = UNIVERSE, policies: Path | None = POLICIES,
             cache_dir: Path | None = CACHE_DIR,
             lang: Literal["en", "zh"] = LANG, suitability: str | None = SUITABILITY,
             json_output: bool = JSON, client: str | None = CLIENT,
             db: str | None = DB) -> None:
    """A tier's portfolio."""
    from roboadvisor.api.allocation import allocate as allocate_tier
    from roboadvisor.cli import render
    from roboadvisor.cli.render import allocation as view
    from roboadvisor.services import allocate as service

    if client is not None:
        tier, suitability = _book_tier(tier, answers, suitability, client, db)
    with render.progress(catalog_text("zh_hardening.progress_optimising"), total=2) as advance:
        portfolio = allocate_tier(tier, answers=answers, amount=amount, lang=lang,
                                  estimates=source, prices=prices, method=method, views=views,
                                  universe=universe, policies=policies, suitability=suitability,
                                  cache_dir=cache_dir, progress=lambda text: advance(1, text))
    result = portfolio.result
    if client is not None:
        from roboadvisor.cli.book_context import record_allocation

        record_allocation(db, client, portfolio.request, result, lang)
    if json_output:
        render.print_json(service.allocation_record(result))
        view.show_notes(result)
    else:
        view.show_allocation(result, lang)


def _book_tier(tier: str | None, answers: Path | None, suitability: str | None, client: str,
               db: str | None) -> tuple[Any, str | None]:
    """With --client: the tier in force from the book (a lower --tier is allowed)."""
    from roboadvisor.cli.book_context import client_tier
    from roboadvisor.errors import BookError

    if answers is not None:
        raise BookError.from_catalog("book.client_with_answers")
    return client_tier(db, client, tier, suitability)
