"""`roboadvisor assess`: a client's answers -> risk profile, tier and C-level."""

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from roboadvisor.cli.book_context import CLIENT, DB
from roboadvisor.cli.options import lang_option

if TYPE_CHECKING:
    from roboadvisor.services.assess import Assessment

HELP = ("Assess a client's risk profile and tier from a questionnaire (interactive, or "
        "--answers FILE).\n\nExamples:\n\n"
        "  roboadvisor assess\n\n"
        "  roboadvisor assess --lang zh --save-answers client.yaml\n\n"
        "  roboadvisor assess --answers questionnaires/examples/contradictory.yaml --json")


def assess(
    questionnaire: str | None = typer.Option(
        None, "--questionnaire", "-q", metavar="ID",
        help="Questionnaire id (default: the standard one, or the one the answers file names)."),
    answers: Path | None = typer.Option(
        None, "--answers", "-a", metavar="FILE",
        help="Answers as YAML or JSON (question id -> option id). Without it the questions are "
             "asked interactively."),
    lang: Literal["en", "zh"] = lang_option(
        "Language of the questions, the explanation, errors and warnings."),
    json_output: bool = typer.Option(
        False, "--json", help="Print a JSON record: scores, tier, questionnaire id+version, UTC "
                              "time and the SHA-256 of the canonical answers (not the answers)."),
    save_answers: Path | None = typer.Option(
        None, "--save-answers", metavar="FILE",
        help="Interactive only: also write the answers to FILE (personal data; nothing is "
             "written otherwise)."),
    client: str | None = CLIENT,
    db: str | None = DB,
) -> None:
    """Score the answers and show the risk profile."""
    from roboadvisor.api.assessment import assess as assess_answers
    from roboadvisor.cli import render
    from roboadvisor.cli.render import profile as view
    from roboadvisor.errors import InputError
    from roboadvisor.services import assess as service

    if answers is not None:
        if save_answers is not None:
            raise InputError.from_catalog("zh_hardening.save_answers_interactive")
        result = assess_answers(answers, questionnaire, lang=lang)
    else:
        result = interactive_assessment(questionnaire, lang, save_answers)
    if client is not None:
        from roboadvisor.cli.book_context import assess_into_book

        assess_into_book(db, client, result, lang, show=False)
    if json_output:
        render.print_json(service.assessment_record(result))
    else:
        view.show_assessment(result, lang)


def interactive_assessment(questionnaire_id: str | None, lang: str,
                           save_to: Path | None = None) -> "Assessment":
    """Ask the questions on stderr, score them, and save them only if asked."""
    from roboadvisor.cli import prompts
    from roboadvisor.errors import AnswersError
    from roboadvisor.services import assess as service

    if save_to is not None:  # checked before the first question, not after the last
        from roboadvisor.data.outputs import check_output

        if save_to.exists() and not save_to.is_dir():
            raise AnswersError.from_catalog("zh_hardening.save_answers_exists", path=save_to)
        check_output(save_to, "--save-answers", error=AnswersError)
    from roboadvisor.api.assessment import assess

    questionnaire = service.get_questionnaire(questionnaire_id)
    chosen = service.check_language(questionnaire, lang)
    result = assess(prompts.ask_answers(questionnaire, chosen), questionnaire, lang=chosen)
    if save_to is not None:
        service.save_answers(save_to, result)
    return result
