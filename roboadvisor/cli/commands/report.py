"""`roboadvisor report`: the client proposal as one self-contained HTML page."""

from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli.commands.allocate import ANSWERS, LANG, TIER
from roboadvisor.cli.options import JSON, POLICIES, PRICES, UNIVERSE

HELP = ("Write the client proposal (--answers FILE or --tier N) as one HTML page that opens "
        "offline and prints cleanly: risk profile, portfolio, why, how it behaved on real "
        "history (with --prices or cached prices), projection towards --goal, costs, "
        "assumptions and limits, audit key.\n\nExamples:\n\n"
        "  roboadvisor report --answers questionnaires/examples/tier4_growth.yaml --out r.html "
        "--prices prices.csv --amount 100000 --monthly 1000 --goal 1000000\n\n"
        "  roboadvisor report --tier 3 --out r.html --lang zh")


def report(out: Path = typer.Option(..., "--out", "-o", metavar="FILE.html",
                                    help="Where to write the page."),
           answers: Path | None = ANSWERS, tier: str | None = TIER,
           amount: float = typer.Option(100_000.0, "--amount", metavar="X",
                                        help="Money invested today (projection, costs)."),
           monthly: float = typer.Option(0.0, "--monthly", metavar="Y",
                                         help="Saved at the end of each month."),
           years: int = typer.Option(20, "--years", metavar="T", help="Projection horizon."),
           goal: float | None = typer.Option(None, "--goal", metavar="G",
                                             help="Wealth wanted at the horizon."),
           withdraw: float = typer.Option(0.0, "--withdraw-monthly", metavar="W",
                                          help="Taken out at the end of each month."),
           inflation: float | None = typer.Option(0.02, "--inflation", metavar="I",
                                                  help="Yearly inflation (decimal)."),
           fees: float = typer.Option(0.0, "--fees", metavar="F",
                                      help="Yearly advisory fee (decimal)."),
           paths: int = typer.Option(10_000, "--paths", metavar="N", help="Simulated paths."),
           model: str = typer.Option("normal", "--model", metavar="normal|bootstrap",
                                     help="Projection model (bootstrap needs prices)."),
           seed: int | None = typer.Option(None, "--seed", metavar="S", help="Random seed."),
           prices: Path | None = PRICES, universe: Path | None = UNIVERSE,
           policies: Path | None = POLICIES, lang: Literal["en", "zh"] = LANG,
           json_output: bool = JSON) -> None:
    """Write the client report."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import report as view
    from roboadvisor.reports.views import record
    from roboadvisor.services.project import ProjectionRequest
    from roboadvisor.services.report import ReportRequest, build_report

    view.check_html_path(out)
    request = ReportRequest(
        answers=answers, tier=tier, lang=lang, prices_file=prices, policies_file=policies,
        universe_file=universe,
        projection=ProjectionRequest(amount=amount, monthly=monthly, years=years, goal=goal,
                                     withdraw_monthly=withdraw, inflation=inflation,
                                     fees=fees, paths=paths, model=model, seed=seed))
    with render.progress("Report", total=None):
        facts = build_report(request)
    view.write_report(facts, out)
    if json_output:
        render.print_json(record(facts))
    else:
        view.show_report(facts, out)
