"""`roboadvisor universe ...`: placeholder until its issue lands."""

import typer

HELP = "Show the investable universe (default or --universe FILE)."

app = typer.Typer(no_args_is_help=True, help=HELP)
