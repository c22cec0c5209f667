"""`roboadvisor plan`: the main job in one go, answers -> profile -> tier -> portfolio -> why."""

from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli.commands.allocate import (
    AMOUNT,
    LANG,
    METHOD,
    SOURCE,
    VIEWS,
    market,
)
from roboadvisor.cli.options import CACHE_DIR, JSON, POLICIES, PRICES, UNIVERSE

HELP = ("The main job: a client's answers -> risk profile -> tier -> portfolio -> explanation. "
        "Without --answers the questionnaire is asked interactively (as in `assess`). "
        "Offline by default (shipped capital market assumptions).\n\nExamples:\n\n"
        "  roboadvisor plan --answers questionnaires/examples/tier3_balanced.yaml\n\n"
        "  roboadvisor plan --lang zh --amount 50000\n\n"
        "  roboadvisor plan --answers my_answers.yaml --amount 50000 --prices prices.csv "
        "--lang zh\n\n"
        "  roboadvisor plan --answers my_answers.yaml --source history --prices prices.csv "
        "--json")


def plan(answers: Path | None = typer.Option(
             None, "--answers", "-a", metavar="FILE",
             help="The client's answers (YAML or JSON). Without it the questions are asked "
                  "interactively."),
         questionnaire: str | None = typer.Option(
             None, "--questionnaire", "-q", metavar="ID",
             help="Questionnaire id (default: the one the answers file names, else standard)."),
         lang: Literal["en", "zh"] = LANG,
         amount: float | None = AMOUNT, source: str = SOURCE, prices: Path | None = PRICES,
         method: str | None = METHOD, views: Path | None = VIEWS,
         universe: Path | None = UNIVERSE, policies: Path | None = POLICIES,
         cache_dir: Path | None = CACHE_DIR, json_output: bool = JSON) -> None:
    """Assess, allocate and explain."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import allocation as view
    from roboadvisor.cli.render.profile import show_assessment
    from roboadvisor.services import allocate as service

    request = service.AllocationRequest(answers=answers, amount=amount, questionnaire_id=
                                        questionnaire, lang=lang, policies_file=policies,
                                        market=market(source, prices, method, views, universe,
                                                      cache_dir))
    if answers is None:
        from dataclasses import replace

        from roboadvisor.cli.commands.assess import interactive_assessment

        service.check_request(request)
        request = replace(request, assessment=interactive_assessment(questionnaire, lang))
    with render.progress("Planning", total=2) as advance:
        result = service.plan(request, step=lambda text: advance(1, text))
    if json_output:
        render.print_json(service.plan_record(result))
        view.show_notes(result)
        return
    show_assessment(result.assessment, lang)
    view.show_allocation(result, lang)
    view.show_explanation(result, lang, with_classes=False)
