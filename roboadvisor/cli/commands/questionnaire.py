"""`roboadvisor questionnaire ...`: placeholder until its issue lands."""

import typer

HELP = "List and show the risk questionnaires (English and Chinese)."

app = typer.Typer(no_args_is_help=True, help=HELP)
