"""`roboadvisor model ...`: model portfolios as versions (publish, list, show, diff)."""

from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli import options
from roboadvisor.cli.book_context import DB
from roboadvisor.cli.options import lang_option

HELP = "Model portfolios as versions: publish, list, show, diff."
app = typer.Typer(no_args_is_help=True, help=HELP)
LANG = lang_option("Language of the text shown.")


@app.command("publish", cls=options.PlainUsage)
def publish(source: str = typer.Option("cma", "--source",
                                       help="cma (shipped assumptions) or history (prices)."),
            prices: Path | None = typer.Option(None, "--prices", metavar="FILE",
                                               help="Price file for --source history "
                                                    "(default: the local cache)."),
            note: str | None = typer.Option(None, "--note", metavar="TEXT",
                                            help="A note kept with the version."),
            universe: Path | None = options.UNIVERSE, db: str | None = DB,
            lang: Literal["en", "zh"] = LANG, json_output: bool = options.JSON) -> None:
    """Optimise the five tiers and store them as the next model version (nothing is stored
    when they equal the latest version)."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import daily as view
    from roboadvisor.services.model import PublishRequest
    from roboadvisor.services.model import publish as run

    request = PublishRequest(source=source, prices_file=prices, note=note,
                             universe_file=universe)
    with book(db) as (b, now):
        result = run(b, request, now)
    view.published(result, lang, json_output)


@app.command("list")
def list_(db: str | None = DB, lang: Literal["en", "zh"] = LANG,
          json_output: bool = options.JSON) -> None:
    """Every model version: number, date, source, digest."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import daily as view

    with book(db) as (b, _):
        found = b.models.all()
    view.model_list(found, lang, json_output)


@app.command("show", cls=options.PlainUsage)
def show(version: int | None = typer.Argument(None, metavar="[N]",
                                              help="Version (default: the latest)."),
         db: str | None = DB, lang: Literal["en", "zh"] = LANG,
         json_output: bool = options.JSON) -> None:
    """One model version: per tier, expected return, volatility and weights."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import daily as view
    from roboadvisor.services.model import get

    with book(db) as (b, _):
        found = get(b, version)
    view.model_show(found, lang, json_output)


@app.command("diff", cls=options.PlainUsage)
def diff(a: int = typer.Argument(..., metavar="A"), b_: int = typer.Argument(..., metavar="B"),
         tier: int | None = typer.Option(None, "--tier", help="Only this tier."),
         db: str | None = DB, lang: Literal["en", "zh"] = LANG,
         json_output: bool = options.JSON) -> None:
    """The adjustment notice between versions A and B: per tier, weights, expected return and
    volatility before and after, and why."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import daily as view
    from roboadvisor.services.model import get
    from roboadvisor.services.model_diff import diff as run

    with book(db) as (bk, _):
        result = run(get(bk, a), get(bk, b_))
    view.model_diff(result, tier, lang, json_output)
