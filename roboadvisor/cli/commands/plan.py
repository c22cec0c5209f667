"""`roboadvisor plan`: the main job in one go, answers -> profile -> tier -> portfolio -> why."""

from pathlib import Path
from typing import Any, Literal

import typer

from roboadvisor.cli.book_context import CLIENT, DB
from roboadvisor.cli.commands.allocate import (
    AMOUNT,
    LANG,
    METHOD,
    SOURCE,
    SUITABILITY,
    VIEWS,
    market,
)
from roboadvisor.cli.options import CACHE_DIR, JSON, POLICIES, PRICES, UNIVERSE
from roboadvisor.errors import catalog_text

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
         suitability: str | None = SUITABILITY, cache_dir: Path | None = CACHE_DIR,
         json_output: bool = JSON, client: str | None = CLIENT,
         db: str | None = DB) -> None:
    """Assess, allocate and explain."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import allocation as view
    from roboadvisor.cli.render.profile import show_assessment
    from roboadvisor.services import allocate as service

    request = service.AllocationRequest(answers=answers, amount=amount, questionnaire_id=
                                        questionnaire, lang=lang, policies_file=policies,
                                        suitability=suitability,
                                        market=market(source, prices, method, views, universe,
                                                      cache_dir))
    if answers is None:
        from dataclasses import replace

        from roboadvisor.cli.commands.assess import interactive_assessment

        service.check_request(request)
        request = replace(request, assessment=interactive_assessment(questionnaire, lang))
    if client is not None:
        request = _into_book(request, client, db, lang)
    with render.progress(catalog_text("zh_hardening.progress_planning"), total=2) as advance:
        result = service.plan(request, step=lambda text: advance(1, text))
    if client is not None:
        from roboadvisor.cli.book_context import record_allocation

        record_allocation(db, client, request, result, lang)
    if json_output:
        render.print_json(service.plan_record(result))
        view.show_notes(result)
        return
    if result.assessment is not None:
        show_assessment(result.assessment, lang)
    view.show_allocation(result, lang)
    view.show_explanation(result, lang, with_classes=False)


def _into_book(request: Any, client: str, db: str | None, lang: str) -> Any:
    """With --client: keep the assessment in the book; the lowest category plans tier 1 of
    R1 products only."""
    from dataclasses import replace

    from roboadvisor.cli.book_context import assess_into_book
    from roboadvisor.domain.models import Tier
    from roboadvisor.services import allocate as service
    from roboadvisor.services.assess import assess_answers_file

    service.check_request(request)
    assessment = request.assessment or assess_answers_file(
        request.answers, request.questionnaire_id, lang)
    from roboadvisor.services.book_allocation import LOWEST_CATEGORY_SUITABILITY

    tier, lowest = assess_into_book(db, client, assessment, lang, show=False)
    if tier != int(assessment.tier):
        assessment = replace(assessment, profile=replace(assessment.profile,
                                                                 tier=Tier(tier)))
    suitability = LOWEST_CATEGORY_SUITABILITY if lowest else request.suitability
    return replace(request, answers=None, assessment=assessment, suitability=suitability)
