"""`roboadvisor data ...`: placeholder until its issue lands."""

import typer

HELP = "Market data: fetch from Yahoo, import a price file, cache status, clear."

app = typer.Typer(no_args_is_help=True, help=HELP)
