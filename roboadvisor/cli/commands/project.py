"""`roboadvisor project`: Monte Carlo projection of a tier's portfolio towards a goal."""

from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli.book_context import DB
from roboadvisor.cli.book_subject import ACCOUNT, CLIENT
from roboadvisor.cli.commands.allocate import ANSWERS, LANG, TIER
from roboadvisor.cli.options import (
    GOAL,
    JSON,
    MONTHLY,
    POLICIES,
    PRICES,
    UNIVERSE,
    WITHDRAW,
)
from roboadvisor.fields import Field

HELP = ("Project a tier's portfolio (--tier N, --answers FILE, or from the client book "
        "--client ID / --account ID) with Monte Carlo paths: "
        "wealth percentiles by year, the chance of reaching --goal, the monthly saving that "
        "makes it likely, and with --withdraw-monthly the chance of running out.\n\n"
        "Examples:\n\n"
        "  roboadvisor project --tier 4 --amount 100000 --monthly 1000 --years 25 "
        "--goal 1000000 --inflation 0.02\n\n"
        "  roboadvisor project --answers questionnaires/examples/tier2_moderately_conservative"
        ".yaml --amount 600000 --withdraw-monthly 2500 --years 30 --inflation 0.02\n\n"
        "  roboadvisor project --tier 3 --amount 50000 --model bootstrap --prices prices.csv "
        "--plot fan.png --lang zh\n\n"
        "  roboadvisor project --account A1 --prices prices.csv --monthly 500 --goal 500000")


def project(tier: str | None = TIER, answers: Path | None = ANSWERS,
            amount: float | None = typer.Option(
                None, "--amount", metavar="X", help="Money invested today (default: with "
                "--account its current value, else 0)."),
            monthly: float = MONTHLY,
            years: int = typer.Option(30, "--years", metavar="T", help="Horizon in years."),
            goal: float | None = GOAL, withdraw: float = WITHDRAW,
            inflation: float | None = typer.Option(
                None, "--inflation", metavar="I", help="Yearly inflation as a decimal (0.02): "
                "amounts and results in today's money."),
            fees: float = typer.Option(0.0, "--fees", metavar="F", help="Yearly advisory fee as "
                                       "a decimal (0.0025), on top of the ETFs' own costs."),
            probability: float = typer.Option(0.8, "--probability", metavar="P",
                                              help="Chance of reaching the goal the saving "
                                                   "needed is solved for."),
            paths: int = typer.Option(10_000, "--paths", metavar="N",
                                      help="Simulated paths."),
            model: str = typer.Option("normal", "--model", metavar="normal|bootstrap",
                                      help="normal: the portfolio's estimates; bootstrap: "
                                           "blocks of real monthly returns (needs prices)."),
            prices: Path | None = PRICES,
            seed: int | None = typer.Option(None, "--seed", metavar="S", help="Random seed "
                                            "(default 0: the same inputs, the same figures)."),
            plot: Path | None = typer.Option(None, "--plot", metavar="FILE.png",
                                             help="Write the fan chart."),
            universe: Path | None = UNIVERSE, policies: Path | None = POLICIES,
            lang: Literal["en", "zh"] = LANG, json_output: bool = JSON,
            client: str | None = CLIENT, account: str | None = ACCOUNT,
            db: str | None = DB) -> None:
    """Project a portfolio towards a goal."""
    from roboadvisor.api import projection as api
    from roboadvisor.cli import render
    from roboadvisor.cli.book_subject import chosen_basis
    from roboadvisor.cli.render import projection as view
    from roboadvisor.cli.render.plots import check_png_path
    from roboadvisor.reports.build import projection_view
    from roboadvisor.reports.views import record

    book = chosen_basis(db, client, account, amount, prices, lang,
                        {Field.TIER: tier, Field.ANSWERS: answers})
    if book is not None:
        tier, amount = str(book.subject.tier), book.amount
        render.show_warnings(book.warnings)
    if plot is not None:
        check_png_path(plot)
    projected = api.project(tier, answers=answers, amount=amount or 0.0, monthly=monthly,
                            years=years, goal=goal, withdraw_monthly=withdraw,
                            inflation=inflation, fees=fees, paths=paths, model=model,
                            prices=prices, seed=seed, target_probability=probability,
                            lang=lang, policies=policies, universe=universe)
    result = view_model = projection_view(projected.result)
    if plot is not None:
        view.plot_projection(view_model, plot, lang)
    if json_output:
        render.print_json(record(result) if book is None else
                          {**record(result), "book": book.record()})
    else:
        view.show_projection(view_model, lang)
