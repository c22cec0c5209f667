"""`roboadvisor questionnaire list|show`: the available risk questionnaires."""

from typing import Literal

import typer

from roboadvisor.cli.options import JSON, PlainUsage, lang_option

HELP = "List and show the risk questionnaires (English and Chinese)."

app = typer.Typer(
    no_args_is_help=True, help=HELP,
    epilog="Examples: roboadvisor questionnaire list   ·   roboadvisor questionnaire show "
           "standard --lang zh   (answer one with: roboadvisor assess)")


_LANG_HELP = "Language of the texts."


@app.command("list", epilog="Examples: roboadvisor questionnaire list --lang zh   ·   "
                             "roboadvisor questionnaire list --json")
def list_questionnaires(
    lang: Literal["en", "zh"] = lang_option(_LANG_HELP),
    json_output: bool = JSON,
) -> None:
    """List the questionnaires: id, version, number of questions, languages, title."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import profile as view
    from roboadvisor.services import assess as service

    found = service.list_questionnaires()
    if json_output:
        render.print_json([service.questionnaire_summary(q, lang) for q in found])
    else:
        view.show_questionnaire_list(found, lang)


@app.command("show", cls=PlainUsage,
             epilog="Examples: roboadvisor questionnaire show standard   ·   roboadvisor "
                    "questionnaire show standard --lang zh --json")
def show(
    questionnaire_id: str = typer.Argument(..., metavar="ID", help="Questionnaire id."),
    version: int | None = typer.Option(None, "--version", help="Version (default: latest)."),
    lang: Literal["en", "zh"] = lang_option(_LANG_HELP),
    json_output: bool = JSON,
) -> None:
    """Show every question and option with its score, the knock-outs, cut-offs and rules."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import profile as view
    from roboadvisor.services import assess as service

    found = service.get_questionnaire(questionnaire_id, version)
    service.check_language(found, lang)
    if json_output:
        render.print_json(service.questionnaire_record(found, lang))
    else:
        view.show_questionnaire(found, lang)
