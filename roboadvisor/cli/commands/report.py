"""`roboadvisor report`: the client proposal as one self-contained HTML page."""

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
from roboadvisor.errors import catalog_text
from roboadvisor.fields import Field

HELP = ("Write the client proposal (--answers FILE or --tier N, or from the client book "
        "--client ID / --account ID) as one HTML page that opens "
        "offline and prints cleanly: risk profile, portfolio, why, how it behaved on real "
        "history (with --prices or cached prices), projection towards --goal, costs, "
        "assumptions and limits, audit key. From the book it shows the stored assessment, "
        "the account's holdings against the portfolio, and appends a 'report' advice record "
        "(hashes of the inputs and of the page) whose number the page carries."
        "\n\nExamples:\n\n"
        "  roboadvisor report --answers questionnaires/examples/tier4_growth.yaml --out r.html "
        "--prices prices.csv --amount 100000 --monthly 1000 --goal 1000000\n\n"
        "  roboadvisor report --tier 3 --out r.html --lang zh\n\n"
        "  roboadvisor report --account A1 --out r.html --prices prices.csv --goal 500000")


def report(out: Path = typer.Option(..., "--out", "-o", metavar="FILE.html",
                                    help="Where to write the page."),
           answers: Path | None = ANSWERS, tier: str | None = TIER,
           amount: float | None = typer.Option(
               None, "--amount", metavar="X", help="Money invested today (projection, costs; "
               "default: with --account its current value, else 100000)."),
           monthly: float = MONTHLY,
           years: int = typer.Option(20, "--years", metavar="T", help="Projection horizon."),
           goal: float | None = GOAL, withdraw: float = WITHDRAW,
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
           json_output: bool = JSON, client: str | None = CLIENT,
           account: str | None = ACCOUNT, db: str | None = DB) -> None:
    """Write the client report."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import report as view
    from roboadvisor.reports.views import record
    from roboadvisor.services.project import ProjectionRequest
    from roboadvisor.services.report import ReportRequest, build_report

    view.check_html_path(out)
    from roboadvisor.cli.book_subject import chosen_basis

    made = None
    found = chosen_basis(db, client, account, amount, prices, lang,
                         {Field.ANSWERS: answers, Field.TIER: tier})
    if found is not None:
        tier, amount = str(found.subject.tier), found.amount
    request = ReportRequest(
        answers=answers, tier=tier, lang=lang, prices_file=prices, policies_file=policies,
        universe_file=universe,
        projection=ProjectionRequest(amount=100_000.0 if amount is None else amount,
                                     monthly=monthly, years=years, goal=goal,
                                     withdraw_monthly=withdraw, inflation=inflation,
                                     fees=fees, paths=paths, model=model, seed=seed))
    with render.progress(catalog_text("zh_hardening.progress_report"), total=None):
        facts = build_report(request)
    if found is None:
        view.write_report(facts, out)
    else:
        from roboadvisor.cli.book_subject import issue_report
        from roboadvisor.services.book_report import input_files

        facts, made = issue_report(db, found, facts, out,
                                   input_files(universe, policies, prices))
    if json_output:
        render.print_json(record(facts))
    else:
        view.show_report(facts, out)
    if found is not None:
        from roboadvisor.cli.render.book import recorded

        if made is not None:
            recorded(made, found.subject.client_id, lang)
