"""`roboadvisor project`: Monte Carlo projection of a tier's portfolio towards a goal."""

from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli.commands.allocate import ANSWERS, LANG, TIER
from roboadvisor.cli.options import JSON, POLICIES, PRICES, UNIVERSE

HELP = ("Project a tier's portfolio (--tier N or --answers FILE) with Monte Carlo paths: "
        "wealth percentiles by year, the chance of reaching --goal, the monthly saving that "
        "makes it likely, and with --withdraw-monthly the chance of running out.\n\n"
        "Examples:\n\n"
        "  roboadvisor project --tier 4 --amount 100000 --monthly 1000 --years 25 "
        "--goal 1000000 --inflation 0.02\n\n"
        "  roboadvisor project --answers questionnaires/examples/tier2_moderately_conservative"
        ".yaml --amount 600000 --withdraw-monthly 2500 --years 30 --inflation 0.02\n\n"
        "  roboadvisor project --tier 3 --amount 50000 --model bootstrap --prices prices.csv "
        "--plot fan.png --lang zh")


def project(tier: str | None = TIER, answers: Path | None = ANSWERS,
            amount: float = typer.Option(0.0, "--amount", metavar="X",
                                         help="Money invested today."),
            monthly: float = typer.Option(0.0, "--monthly", metavar="Y",
                                          help="Saved at the end of each month."),
            years: int = typer.Option(30, "--years", metavar="T", help="Horizon in years."),
            goal: float | None = typer.Option(None, "--goal", metavar="G",
                                              help="Wealth wanted at the horizon."),
            withdraw: float = typer.Option(0.0, "--withdraw-monthly", metavar="W",
                                           help="Taken out at the end of each month."),
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
            lang: Literal["en", "zh"] = LANG, json_output: bool = JSON) -> None:
    """Project a portfolio towards a goal."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import projection as view
    from roboadvisor.cli.render.plots import check_png_path
    from roboadvisor.reports.build import projection_view
    from roboadvisor.reports.views import record
    from roboadvisor.services import project as service

    request = service.ProjectionRequest(
        tier=tier, answers=answers, amount=amount, monthly=monthly, years=years, goal=goal,
        withdraw_monthly=withdraw, inflation=inflation, fees=fees, paths=paths, model=model,
        prices_file=prices, seed=seed, target_probability=probability, lang=lang,
        policies_file=policies, universe_file=universe)
    if plot is not None:
        check_png_path(plot)
    result = view_model = projection_view(service.run_projection(request))
    if plot is not None:
        view.plot_projection(view_model, plot, lang)
    if json_output:
        render.print_json(record(result))
    else:
        view.show_projection(view_model, lang)
