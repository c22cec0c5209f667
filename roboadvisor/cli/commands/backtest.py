"""`roboadvisor backtest ...`: placeholder until its issue lands."""

import typer

HELP = "Backtest tier portfolios under rebalancing rules, and compare strategies."

app = typer.Typer(no_args_is_help=True, help=HELP)
