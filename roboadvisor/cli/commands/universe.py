"""`roboadvisor universe ...`: show the investable universe."""

from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli.options import JSON, LANG, UNIVERSE

HELP = "Show the investable universe (default or --universe FILE)."

app = typer.Typer(no_args_is_help=True, help=HELP,
                  epilog="Example: roboadvisor universe show --json")


@app.command("show", epilog="Example: roboadvisor universe show --universe my_universe.yaml")
def show(
    universe: Path | None = UNIVERSE,
    lang: Literal["en", "zh"] = LANG,
    json_output: bool = JSON,
) -> None:
    """List the assets: class, region, expense ratio, risk level R1..R5, weight bounds."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import data as view
    from roboadvisor.services import market

    result = market.get_universe(universe)
    if json_output:
        render.print_json(view.universe_record(result))
    else:
        view.show_universe(result)
